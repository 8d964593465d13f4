"""The one apply-steps-or-report-partial helper of the non-journaled commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from oncall_cli.errors import OncallError, PartialError


class Steps:
    """Apply a command's remote changes one by one; when one fails, say what was done and what was not.

    The first failure before anything changed is raised as it is (nothing to report); after that it
    becomes a PartialError (exit 10) with `done`, `not_done` and `failed`. Re-running the command is the
    way on: each step checks whether it is done already and returns False then."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.done: list[str] = []
        self.skipped: list[str] = []

    def run(self, name: str, fn: Callable[[], bool], planned: Sequence[str]) -> None:
        """`fn()` returns False when there was nothing to do (already done by an earlier run)."""
        try:
            changed = fn()
        except OncallError as exc:
            if not self.done:
                raise
            rest = [p for p in planned if p not in self.done and p not in self.skipped]
            raise PartialError(
                f"{self.command} stopped at {name}: {exc.message}. Done: {', '.join(self.done)}. "
                f"Not done: {', '.join(rest)}.",
                hint="Fix the cause, then run the same command again: finished changes are detected and "
                "not repeated.",
                details={
                    "done": list(self.done),
                    "not_done": rest,
                    "failed": [{"step": name, "error": exc.to_dict()}],
                },
            ) from exc
        (self.done if changed else self.skipped).append(name)
