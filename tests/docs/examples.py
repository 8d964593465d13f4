"""Pull the `oncall ...` examples out of README.md and docs/*.md, in reading order."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w*)\s*$")
EXIT_COMMENT = re.compile(r"(?:^|\s)#\s*exit (\d+)\b")
"""A comment that starts with `exit N` documents the example's exit code on the sandbox (else 0)."""


@dataclass(frozen=True)
class Example:
    file: str
    line: int
    text: str
    argv: tuple[str, ...]
    """The words after `oncall`, without comments, pipes or redirections."""

    @property
    def exit_code(self) -> int:
        """The documented exit code: N when the example's comment starts with `exit N`, else 0."""
        comment = re.search(r"(?:^|\s)#.*$", self.text)
        found = EXIT_COMMENT.match(comment.group(0)) if comment else None
        return int(found.group(1)) if found else 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.text}"


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _words(text: str) -> list[str] | None:
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return None


SHELL = ("sh", "bash", "shell")
"""Blocks whose every line is a command."""
SESSION = ("console", "")
"""Blocks (```console, plain ```) whose `$ ` lines are commands, the others their output."""
PROMPT = "$ "


def examples_in(path: Path) -> list[Example]:
    """Every command of a fenced block that runs `oncall` (after `|` too), joined over `\\` continuations:
    each line of a ```sh block, and each `$ ` line of a ```console or plain ``` block (not their output)."""
    found: list[Example] = []
    lang: str | None = None
    pending = ""
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fence = FENCE.match(raw.strip())
        if fence:
            lang, pending = (fence.group(1) if lang is None else None), ""
            continue
        line = raw.strip()
        if not (pending or lang in SHELL or (lang in SESSION and line.startswith(PROMPT))):
            continue
        if not pending:
            start = number
            line = line.removeprefix(PROMPT)
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        text, pending = (pending + line).strip(), ""
        words = _words(text)
        if not words:
            continue
        if "|" in words and "oncall" in words[words.index("|") :]:
            words = words[words.index("|") + 1 :]
        if not words or words[0] != "oncall":
            continue
        argv = words[1:]
        for stop in (">", "|", ">>"):
            if stop in argv:
                argv = argv[: argv.index(stop)]
        name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
        found.append(Example(name, start, text, tuple(argv)))
    return found


def all_examples() -> list[Example]:
    return [e for doc in documents() for e in examples_in(doc)]
