"""docs/rotation.md cannot drift: every command and option of `oncall rotation|override|holiday`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main

from oncall_cli.cli.main import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "rotation.md"


def test_every_rotation_override_and_holiday_command_and_option_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    root: Any = typer.main.get_command(app)
    missing: list[str] = []
    for group in ("rotation", "override", "holiday"):
        for name, command in root.get_command(typer.Context(root), group).commands.items():
            path = f"oncall {group} {name}"
            if f"`{path}" not in text:
                missing.append(path)
            for param in command.params:
                missing += [
                    f"{path} {o}"
                    for o in param.opts
                    if o.startswith("--") and o != "--help" and o not in text
                ]
    assert not missing, f"not in {DOC.name}: {missing}"


def test_the_role_mapping_is_explained() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "Responder" in text and "`user`" in text
