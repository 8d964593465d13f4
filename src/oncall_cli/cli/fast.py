"""The console-script entry point, with a fast path for `oncall --help` and `oncall --version`.

Importing Typer alone costs several times the interpreter's own start-up, so these two answers are served
without it: the top-level help is pre-rendered into `help.txt` (a test fails when it drifts from what
Typer renders). Everything else goes to the Typer application.
"""

from __future__ import annotations

import os
import sys


def run() -> None:
    args = sys.argv[1:]
    if args in (["--help"], ["-h"]) or not args:
        # A plain read: importlib.resources alone would cost more than the whole fast path.
        with open(os.path.join(os.path.dirname(__file__), "help.txt"), encoding="utf-8") as handle:
            text = handle.read()
        sys.stdout.write(text)
        sys.exit(0 if args else 2)
    if args == ["--version"]:
        from oncall_cli import __version__

        sys.stdout.write(f"oncall {__version__}\n")
        sys.exit(0)
    from oncall_cli.cli.main import run as run_app

    run_app()
