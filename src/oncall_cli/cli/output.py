"""How every command speaks: one JSON document on stdout with `--json`, rich text otherwise, notes on stderr.

rich is imported only when something is printed, so `oncall --help` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, Literal

from oncall_cli.errors import OncallError
from oncall_cli.redaction import redact

if TYPE_CHECKING:
    from rich.console import Console

Renderer = Callable[["Console"], None]
SANDBOX_MARK = "SANDBOX"
SANDBOX_NOTE = "nothing here touches a real on-call service, Slack or Statuspage"


def to_json(data: Any) -> str:
    """Serialize our output models: dataclasses, pydantic models, dates and paths become plain JSON."""
    return json.dumps(data, indent=2, default=_default, ensure_ascii=False)


def _default(value: Any) -> Any:
    import dataclasses
    from datetime import date, datetime, time
    from pathlib import Path

    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


class Output:
    """The output of one command invocation."""

    def __init__(self, *, json_mode: bool = False, sandbox: bool = False) -> None:
        self.json_mode = json_mode
        self.sandbox = sandbox
        self._console: Console | None = None
        self._err: Console | None = None
        self._marked = False
        self.pager: Callable[[str], None] | None = None
        """Set on a terminal (unless --no-pager): a result taller than the screen goes through it."""

    @property
    def color(self) -> bool:
        return not os.environ.get("NO_COLOR") and sys.stdout.isatty()

    @staticmethod
    def _color_system() -> Literal["auto"] | None:
        """NO_COLOR means no styles at all, not only no colours (https://no-color.org)."""
        return None if os.environ.get("NO_COLOR") else "auto"

    @property
    def console(self) -> Console:
        """rich console on stdout (recreated per call so test runners' stream swaps are honoured)."""
        from rich.console import Console

        if self._console is None or self._console.file is not sys.stdout:
            from oncall_cli.cli import common

            # Pipes and CI logs get a wide, stable layout instead of rich's 80-column default (and COLUMNS,
            # which pytest-xdist and some CI runners export, is not a terminal's width there); on a
            # terminal rich reads COLUMNS, else asks the terminal.
            width = None if common.stdout_is_terminal() else 160
            self._console = Console(
                file=sys.stdout,
                no_color=not self.color,
                highlight=False,
                width=width,
                color_system=self._color_system(),
            )
        return self._console

    @property
    def err(self) -> Console:
        from rich.console import Console

        if self._err is None or self._err.file is not sys.stderr:
            tty = sys.stderr.isatty()
            self._err = Console(
                file=sys.stderr,
                no_color=bool(os.environ.get("NO_COLOR")) or not tty,
                color_system=self._color_system(),
                highlight=False,
                soft_wrap=not tty,
            )
        return self._err

    def mark_sandbox(self) -> None:
        """Say visibly, once, that this is the sandbox: nobody should confuse practice with production."""
        if self.sandbox and not self._marked:
            self._marked = True
            if sys.stderr.isatty():
                self.message(f"[bold magenta]{SANDBOX_MARK}[/] practice mode: {SANDBOX_NOTE}")
            else:
                # What rich prints off a terminal (no styles, no wrapping), without importing rich for it.
                sys.stderr.write(f"{SANDBOX_MARK} practice mode: {SANDBOX_NOTE}\n")

    def result(self, data: Any, render: Renderer | None = None) -> None:
        """Print the command's result: JSON on stdout, or the human rendering."""
        self.mark_sandbox()
        if self.json_mode:
            sys.stdout.write(redact(to_json(data)) + "\n")
            sys.stdout.flush()
        elif render is not None and self.pager is not None:
            console = self.console
            with console.capture() as captured:
                render(console)
            text = captured.get()
            if text.count("\n") >= console.size.height:
                self.pager(text)
            else:
                sys.stdout.write(text)
                sys.stdout.flush()
        elif render is not None:
            render(self.console)
        else:
            sys.stdout.write(redact(to_json(data)) + "\n")

    def message(self, text: str) -> None:
        """A message for the person at the terminal (stderr, so stdout stays clean for scripts)."""
        self.err.print(redact(text))

    def trace(self, text: str) -> None:
        """A traceback (--debug): printed verbatim, never read as markup, secrets masked."""
        self.err.print(redact(text), markup=False, highlight=False)

    def warn(self, text: str) -> None:
        self.message(f"[yellow]warning:[/] {text}")

    def error(self, exc: OncallError) -> None:
        if self.json_mode:
            sys.stdout.write(redact(to_json({"error": exc.to_dict()})) + "\n")
            return
        from rich.markup import escape

        self.err.print(f"[red]error:[/] {escape(redact(exc.message))}")
        if exc.hint:
            self.err.print(f"[dim]hint:[/] {escape(redact(exc.hint))}")

    def spinner(self, text: str) -> Any:
        """A spinner on a terminal, nothing elsewhere (no control codes in pipes or CI logs)."""
        if self.json_mode or not sys.stderr.isatty() or os.environ.get("NO_COLOR"):
            return nullcontext()
        return self.err.status(text)

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        with self.spinner(text):
            yield
