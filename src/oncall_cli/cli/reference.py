"""The CLI reference (docs/cli.md) and the pre-rendered help, generated from `--help`.

`python -m oncall_cli.cli.reference` rewrites all three: docs/cli.md, help.txt (`oncall --help`) and
help_pages.json (`oncall COMMAND... --help`, served by cli/fast.py without importing Typer); tests fail
when any is stale, so neither the docs nor the fast path can drift from the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from oncall_cli.cli.main import app

HELP_TXT = Path(__file__).with_name("help.txt")
HELP_PAGES = Path(__file__).with_name("help_pages.json")


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


def render_pages() -> dict[str, str]:
    """Every command's and group's `--help`, keyed by its words ("schedule new"), as Typer prints it."""
    return {" ".join(path): _help(path) for path in command_paths()}


def pages_json(pages: dict[str, str]) -> str:
    """help_pages.json: one line per command, so a change to one command's help changes one line."""
    return json.dumps(pages, indent=0, ensure_ascii=False) + "\n"


def render_reference(pages: dict[str, str] | None = None) -> str:
    pages = render_pages() if pages is None else pages
    parts = [
        "# CLI reference\n",
        "Generated from `--help` by `make help-text`; do not edit by hand.\n",
        "## oncall\n",
        "```text",
        render_help().rstrip(),
        "```\n",
    ]
    for words, text in pages.items():
        parts += [f"## oncall {words}\n", "```text", text.rstrip(), "```\n"]
    return "\n".join(parts)


def reference_path() -> Path:
    return Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def main() -> None:
    pages = render_pages()
    HELP_TXT.write_text(render_help(), encoding="utf-8")
    HELP_PAGES.write_text(pages_json(pages), encoding="utf-8")
    reference_path().write_text(render_reference(pages), encoding="utf-8")
    print(f"wrote {HELP_TXT}, {HELP_PAGES} and {reference_path()}", file=sys.stderr)


if __name__ == "__main__":
    main()
