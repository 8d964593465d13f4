"""The scheduling docs and examples cannot drift from the CLI: a command they name must exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

from oncall_cli.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "roster.toml"


def test_the_example_roster_names_a_real_command_and_its_options() -> None:
    first = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    found = re.search(r"`oncall ([^`]+)`", first)
    assert found is not None, first
    group, name, *args = found.group(1).split()
    root: Any = typer.main.get_command(app)
    command = root.get_command(typer.Context(root), group).get_command(typer.Context(root), name)
    assert command is not None, f"no command `oncall {group} {name}`"
    options = {o for param in command.params for o in param.opts}
    assert [a for a in args if a.startswith("--") and a not in options] == []
    # A roster and --start together plan without reading Opsgenie, so the line runs as written.
    assert {"--roster", "--start"} <= set(args)
