"""The docs cannot drift: every `oncall` example of README.md and docs/*.md runs, in reading order, against
one fresh sandbox, and docs/cli.md is what `--help` prints (issue 15, item 5).

The sandbox runs on the fixed fake clock of every end-to-end test (`SANDBOX_NOW`, 2027-02-03), not on the
real date: what the examples print and whether they pass would otherwise change with the day the test runs
(the weekday and hour of the shifts, DST, the seed's dates, examples naming a future day). A reader's sandbox
follows the real clock instead, so the examples are written to hold from the day these docs were first read
on: a date that must be in the past (`--since`, `--until`) is before it (`FIRST_READER_DAY`, checked below),
and nothing relies on time passing between two examples (`READING_TIME` is 0: an update that comes soon
after another says `--force`, with a comment why).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from conftest import SandboxCli, explain
from oncall_cli.cli.reference import command_paths, reference_path, render_reference

from .examples import ROOT, Example, all_examples, examples_in

REAL_ACCOUNT = {
    "--install-completion": "changes the shell's start-up files",
    "auth": "the OS keyring and real credentials",
    "--profile": "a real Opsgenie or JSM account",
    "--page-id": "a real Statuspage page (the sandbox profile's page id is the emulator's)",
    "opsgenie.service": "a real account's service (the sandbox profile's service is the emulator's)",
    "opsgenie.team=Platform": "a real account's other team (the sandbox has one team, Engineering)",
    "serve": "serves until interrupted",
    "--web": "opens a web browser",
    "<": "a placeholder to fill in",
}
"""Examples that need a real account (or a person): a word in the example -> why it is skipped."""


def _incidents_thread(sandbox_cli: SandboxCli) -> str:
    return str(sandbox_cli.json("sandbox", "status")["services"]["slack"]["incidents_thread"])


def _listed_override(sandbox_cli: SandboxCli) -> str:
    """The alias of an override that has not ended (the last `override list` gives)."""
    return str(sandbox_cli.json("override", "list")["overrides"][-1]["alias"])


PLACEHOLDERS: dict[str, Callable[[SandboxCli], str]] = {
    "<slack-url>": _incidents_thread,
    "$(oncall --sandbox sandbox status --json | jq -r .services.slack.incidents_thread)": _incidents_thread,
    "<alias>": _listed_override,
}
"""Placeholders the sandbox fills in, as the docs say: a report's link in #incidents (`sandbox status
--json`, `services.slack.incidents_thread`), an override's alias (`override list`)."""

READING_TIME = 0
"""Minutes the sandbox's clock moves after each example: none, as for a reader who runs them one right after
the other (a public status update within `statuspage.min_update_minutes` of the previous one needs `--force`,
and the examples say so)."""
FIRST_READER_DAY = date(2026, 12, 7)
"""The first day readers ran these examples on a sandbox on the real clock (issue 15, item 5)."""
PAST_DATE_FLAGS = ("--since", "--until")


def _skip_reason(example: Example) -> str | None:
    for word, why in REAL_ACCOUNT.items():
        if any(w not in PLACEHOLDERS and (word == w or (word == "<" and w.startswith("<")))
               for w in example.argv):
            return why
    return None


def _argv(example: Example, sandbox_cli: SandboxCli) -> list[str]:
    """The example's words for the harness (which adds --sandbox and --config itself), with the files of
    examples/ named by their path and the placeholders filled in from the sandbox."""
    words = [PLACEHOLDERS[w](sandbox_cli) if w in PLACEHOLDERS else w for w in example.argv]
    return [str(ROOT / w) if w.startswith("examples/") else w for w in words if w != "--sandbox"]


def test_every_example_runs_in_order_on_a_fresh_sandbox(
    sandbox_cli: SandboxCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each example exits with its documented code (`# exit N`, else 0), in reading order on one sandbox."""
    wrong: list[str] = []
    ran = 0
    for example in all_examples():
        if _skip_reason(example) is not None:
            continue
        # Each document in a folder of its own: the files one writes (postmortem-1.md) are not another's.
        folder = tmp_path / "cwd" / example.file
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.chdir(folder)
        result = sandbox_cli(*_argv(example, sandbox_cli))
        sandbox_cli.clock.advance(minutes=READING_TIME)
        ran += 1
        if result.exit_code != example.exit_code:
            wrong.append(f"{example}\nexpected exit {example.exit_code}, got {explain(result)}")
    assert wrong == [], "\n\n".join(wrong)
    assert ran >= 100


def test_dates_that_must_be_past_are_past_for_every_reader() -> None:
    """`schedule stats --since 2027-01-01` ran on the fixed clock but exited 2 for a reader in 2026-12."""
    future = []
    for example in all_examples():
        for flag, value in itertools.pairwise(example.argv):
            dated = flag in PAST_DATE_FLAGS and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
            if dated and date.fromisoformat(value) >= FIRST_READER_DAY:
                future.append(str(example))
    assert future == []


def test_the_example_extractor_finds_the_readme_examples() -> None:
    texts = [e.text for e in all_examples() if e.file == "README.md"]
    assert any(t.startswith("oncall schedule new --split 2 --seed 7") for t in texts)
    assert any("auth login --provider opsgenie --stdin" in t for t in texts)


def test_console_blocks_give_their_prompt_lines_and_sh_blocks_every_line(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```console\n$ oncall incident raise \"Disk full\" -p P4 \\\n    --non-production\n"
        "Incident #1 raised (P4): Disk full\n```\n\n"
        "```\noncall whoisoncall   # output of a plain block, not a command\n"
        "$ oncall whoisoncall --next\n```\n\n"
        "```json\n$ oncall never\n```\n\n"
        "```sh\noncall schedule check --format github > out.txt   # exit 9: a broken rule\n"
        "oncall handoff --post '#dev'   # posts to #dev\n```\n",
        encoding="utf-8",
    )
    found = [(e.line, e.argv, e.exit_code) for e in examples_in(doc)]
    assert found == [
        (2, ("incident", "raise", "Disk full", "-p", "P4", "--non-production"), 0),
        (9, ("whoisoncall", "--next"), 0),
        (17, ("schedule", "check", "--format", "github"), 9),
        (18, ("handoff", "--post", "#dev"), 0),
    ]


def test_docs_cli_md_is_what_help_prints() -> None:
    assert reference_path().read_text(encoding="utf-8") == render_reference(), (
        "docs/cli.md is stale: run `make help-text`"
    )


def test_docs_cli_md_has_a_section_for_every_command() -> None:
    text = reference_path().read_text(encoding="utf-8")
    missing = [" ".join(p) for p in command_paths() if f"## oncall {' '.join(p)}\n" not in text]
    assert missing == []


def test_the_readme_points_at_the_architecture_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in readme and "docs/architecture.md" in readme
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name in ("services/ports.py", "services/backends/", "schedule_store", "`backends` marker"):
        assert name in architecture, name
    assert "make help-text" in (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
