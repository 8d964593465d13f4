"""The console-script entry point, with a fast path for `oncall --help`, `oncall --version` and the help
of every command (`oncall schedule new --help`).

Importing Typer alone costs several times the interpreter's own start-up, so these answers are served
without it: the top-level help is pre-rendered into `help.txt`, every command's and group's into
`help_pages.json` (tests fail when either drifts from what Typer renders; `make help-text` rewrites
them). They are plain text at a fixed width, as in docs/cli.md. Everything else goes to the Typer
application (`oncall --sandbox schedule new --help`, ...) except `oncall help WORD...`, which prints the same
page as `oncall WORD... --help` (the app answers only a word that names no command). So does shell
completion: the shell calls `oncall` with no arguments and `_ONCALL_COMPLETE` set, which only Typer can
answer.
"""

from __future__ import annotations

import os
import sys


def _completing() -> bool:
    """True when a shell asks for completions (`_ONCALL_COMPLETE=complete_bash`, or any `_*_COMPLETE`)."""
    return any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ)


def silence_stdout() -> None:
    """Point stdout at /dev/null after a broken pipe, so the interpreter's final flush cannot fail too.

    A reader that stops early (`oncall ... | head -3`) is not an error: like git, we then exit 0, quietly.
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a test runner's in-memory stream
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _write(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        sys.exit(0)


def _read(name: str) -> str:
    # A plain read: importlib.resources alone would cost more than the whole fast path.
    with open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8") as handle:
        return handle.read()


def help_page(args: list[str]) -> str | None:
    """The pre-rendered help for `oncall WORD... --help` (or `-h`), when the words name a command or group
    and nothing else is on the line; None otherwise (Typer answers)."""
    if len(args) < 2 or args[-1] not in ("--help", "-h"):
        return None
    words = args[:-1]
    if any(not word or word.startswith("-") for word in words):
        return None
    import json

    pages: dict[str, str] = json.loads(_read("help_pages.json"))
    return pages.get(" ".join(words))


def help_command_text(words: list[str]) -> str | None:
    """The pre-rendered page `oncall help WORD...` prints (the top-level help for no words); None when the
    words name no command (the full app then answers with "did you mean")."""
    if not words:
        return _read("help.txt")
    if any(not word or word.startswith("-") for word in words):
        return None
    import json

    pages: dict[str, str] = json.loads(_read("help_pages.json"))
    return pages.get(" ".join(words))


def help_json(words: list[str], text: str) -> str:
    """`oncall help WORD... --json`: the command's words and its help page."""
    import json

    return json.dumps({"command": " ".join(["oncall", *words]), "help": text}, ensure_ascii=False) + "\n"


def _help_command(args: list[str]) -> str | None:
    """`oncall help WORD... [--json]`, served from the same pages as `oncall WORD... --help`."""
    if not args or args[0] != "help":
        return None
    words = args[1:]
    json_mode = "--json" in words
    words = [w for w in words if w != "--json"]
    text = help_command_text(words)
    if text is None:
        return None
    return help_json(words, text) if json_mode else text


def run() -> None:
    args = sys.argv[1:]
    if not _completing():
        if args in (["--help"], ["-h"]) or not args:
            _write(_read("help.txt"))
            sys.exit(0 if args else 2)
        page = help_page(args) or _help_command(args)
        if page is not None:
            _write(page)
            sys.exit(0)
        if args == ["--version"]:
            from oncall_cli import __version__

            _write(f"oncall {__version__}\n")
            sys.exit(0)
    from oncall_cli.cli.main import run as run_app

    run_app()
