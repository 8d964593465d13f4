"""The docs cannot drift: every `oncall` example of README.md and docs/*.md runs, in reading order, against
one fresh sandbox, and docs/cli.md is what `--help` prints (issue 15, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SandboxCli, explain
from oncall_cli.cli.reference import command_paths, reference_path, render_reference

from .examples import ROOT, Example, all_examples

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
    "3f0c1d2e-...": "a placeholder to fill in",
}
"""Examples that need a real account (or a person): a word in the example -> why it is skipped."""

PLACEHOLDERS = {"<slack-url>": "incidents_thread"}
"""Placeholders the sandbox can fill in: the word -> the key of `sandbox status --json`'s `services.slack`
that gives its value (the link of a report in the sandbox's #incidents channel, as docs/incident.md shows)."""

READING_TIME = 1
"""Minutes the sandbox's clock moves after each example, as a reader's would (a public status update 10
minutes after the last one needs no --force)."""


def _skip_reason(example: Example) -> str | None:
    for word, why in REAL_ACCOUNT.items():
        if any(w not in PLACEHOLDERS and (word == w or (word == "<" and w.startswith("<")))
               for w in example.argv):
            return why
    return None


def _argv(example: Example, sandbox_cli: SandboxCli) -> list[str]:
    """The example's words for the harness (which adds --sandbox and --config itself), with the files of
    examples/ named by their path and the placeholders filled in from the sandbox."""
    words: list[str] = []
    for word in example.argv:
        if word in PLACEHOLDERS:
            slack = sandbox_cli.json("sandbox", "status")["services"]["slack"]
            word = str(slack[PLACEHOLDERS[word]])
        words.append(str(ROOT / word) if word.startswith("examples/") else word)
    return [w for w in words if w != "--sandbox"]


def test_every_example_runs_in_order_on_a_fresh_sandbox(
    sandbox_cli: SandboxCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each example exits with its documented code (`# exit N`, else 0), in reading order on one sandbox."""
    monkeypatch.chdir(tmp_path)
    wrong: list[str] = []
    ran = 0
    for example in all_examples():
        if _skip_reason(example) is not None:
            continue
        result = sandbox_cli(*_argv(example, sandbox_cli))
        sandbox_cli.clock.advance(minutes=READING_TIME)
        ran += 1
        if result.exit_code != example.exit_code:
            wrong.append(f"{example}\nexpected exit {example.exit_code}, got {explain(result)}")
    assert wrong == [], "\n\n".join(wrong)
    assert ran > 80


def test_the_example_extractor_finds_the_readme_examples() -> None:
    texts = [e.text for e in all_examples() if e.file == "README.md"]
    assert any(t.startswith("oncall schedule new --split 2 --seed 7") for t in texts)
    assert any("auth login --provider opsgenie --stdin" in t for t in texts)


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
