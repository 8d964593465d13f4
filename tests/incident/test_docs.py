"""docs/incident.md cannot drift: every command and option of `oncall incident` and `oncall status`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

from oncall_cli.cli.main import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "incident.md"


def _commands(group: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            yield from _commands(command, path)
        else:
            yield path, command


def test_every_incident_and_status_command_and_option_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    root: Any = typer.main.get_command(app)
    ctx = typer.Context(root)
    groups = [
        (root.get_command(ctx, "incident"), "oncall incident"),
        (root.get_command(ctx, "status"), "oncall status"),
    ]
    missing: list[str] = []
    for group, prefix in groups:
        for path, command in _commands(group, prefix):
            if f"`{path}" not in text:
                missing.append(path)
            for param in command.params:
                for opt in param.opts:
                    if opt.startswith("--") and opt not in ("--help",) and opt not in text:
                        missing.append(f"{path} {opt}")
    assert not missing, f"not in {DOC.name}: {missing}"


def test_every_journaled_step_name_is_documented() -> None:
    from .test_faults import RAISE_STEPS, RESOLVE_STEPS

    text = DOC.read_text(encoding="utf-8")
    assert all(f"`{step}`" in text for step in [*RAISE_STEPS, *RESOLVE_STEPS])
