"""The CLI reference (docs/cli.md) and the pre-rendered top-level help, generated from `--help`.

`python -m oncall_cli.cli.reference` rewrites both; tests fail when either is stale, so the docs cannot
drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from oncall_cli.cli.main import app

HELP_TXT = Path(__file__).with_name("help.txt")


def _help(args: list[str]) -> str:
    return CliRunner().invoke(app, [*args, "--help"], prog_name="oncall").output


def render_help() -> str:
    """The top-level help exactly as Typer prints it."""
    return _help([])


def command_paths() -> list[list[str]]:
    """Every command and group, as argument lists (e.g. ["incident", "raise"]), in help order."""
    import typer.main

    root: Any = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: Any, prefix: list[str]) -> None:
        if not hasattr(command, "list_commands"):
            return
        ctx = typer.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or getattr(sub, "hidden", False):
                continue
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


def render_reference() -> str:
    parts = [
        "# CLI reference\n",
        "Generated from `--help` by `make help-text`; do not edit by hand.\n",
        "## oncall\n",
        "```text",
        render_help().rstrip(),
        "```\n",
    ]
    for path in command_paths():
        parts += [f"## oncall {' '.join(path)}\n", "```text", _help(path).rstrip(), "```\n"]
    return "\n".join(parts)


def reference_path() -> Path:
    return Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def main() -> None:
    HELP_TXT.write_text(render_help(), encoding="utf-8")
    reference_path().write_text(render_reference(), encoding="utf-8")
    print(f"wrote {HELP_TXT} and {reference_path()}", file=sys.stderr)


if __name__ == "__main__":
    main()
