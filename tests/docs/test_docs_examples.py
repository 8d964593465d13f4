"""The docs cannot drift: every `oncall` example of README.md and docs/*.md runs, in reading order, against
one fresh sandbox, and docs/cli.md is what `--help` prints (issue 15, item 5)."""

# ruff: noqa: E501  (KNOWN_FAILING quotes whole example lines)

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
    "serve": "serves until interrupted",
    "--web": "opens a web browser",
    "<": "a placeholder to fill in",
    "3f0c1d2e-...": "a placeholder to fill in",
}
"""Examples that need a real account (or a person): a word in the example -> why it is skipped."""

KNOWN_FAILING: dict[str, int] = {
    'README.md: oncall config init --team Engineering --page-id abc123 --me ada@example.com --yes': 2,
    'README.md: oncall config set opsgenie.service Artsy': 2,
    'README.md: oncall --set opsgenie.team=Platform --set me=ada@example.com whoisoncall': 5,
    'README.md: oncall rotation remove-engineer leaver@example.com --manager boss@example.com --apply': 5,
    'README.md: oncall override add --me --start 2027-02-01 11:00 --end 2027-02-02 11:00': 2,
    'README.md: oncall override swap ada@example.com grace@example.com': 2,
    'README.md: oncall override take 3': 2,
    'README.md: oncall holiday plan --year 2026 --apply': 2,
    'README.md: oncall holiday volunteer 3 --me': 2,
    'README.md: oncall holiday show': 5,
    'README.md: oncall shifts --me --ics my-shifts.ics': 3,
    'README.md: oncall incident resume': 5,
    'README.md: oncall incident resume 42 --skip slack.reply_thread': 5,
    'README.md: oncall incident journal 42': 5,
    'README.md: oncall incident show 42 --json': 5,
    'README.md: oncall incident assign 42 --commander ada@example.com --comms grace@example.com': 5,
    'README.md: oncall incident responder add 42 linus@example.com --note database expert': 5,
    'README.md: oncall incident stakeholder add 42 cto@example.com': 5,
    'README.md: oncall incident note 42 Rolled back the 14:05 deploy --at 14:20 --slack': 5,
    'README.md: oncall incident priority 42 P2': 5,
    'README.md: oncall incident update 42 Workaround: use the EU endpoint': 5,
    'README.md: oncall status update 42 --status identified --message We found the cause and are fixing it. --thread': 5,
    'README.md: oncall incident resolve 42 --note Rolled back the deploy --close-alerts': 5,
    'README.md: oncall incident postmortem 42 --output postmortem-42.md': 5,
    'README.md: oncall incident close 43 --reason feature request --ticket https://jira.example.com/X-1': 5,
    'README.md: oncall incident followup 42 Fix the retry storm --project SEARCH': 5,
    'docs/rotation.md: oncall rotation add-engineer late@example.com --start-date 2027-03-10 --apply --remind': 2,
    'docs/rotation.md: oncall rotation remove-engineer leaver@example.com': 5,
    'docs/rotation.md: oncall rotation remove-engineer leaver@example.com --manager boss@example.com --apply': 5,
    'docs/rotation.md: oncall rotation remove-engineer leaver@example.com --apply --delete-user --yes': 5,
    'docs/rotation.md: oncall override add --me --start 2027-02-01 11:00 --end 2027-02-02 11:00': 2,
    'docs/rotation.md: oncall override add --user ada@example.com --start 2027-02-01T16:00Z --end 2027-02-01 15:30 --rotation rot-b': 5,
    'docs/rotation.md: oncall override take 2027-02-08': 2,
    'docs/rotation.md: oncall override take 3': 2,
    'docs/rotation.md: oncall override swap ada@example.com grace@example.com': 2,
    'docs/rotation.md: oncall holiday volunteer 2027-12-24 --me': 2,
    'docs/rotation.md: oncall holiday volunteer 5 --user ada@example.com': 5,
}
"""Examples that do not run on a fresh sandbox yet (issue 15, item 5, open): `file: oncall ARGS` -> the exit
code they end with today. Most name people (ada@, grace@, leaver@, boss@...) or incident numbers (42) the
sandbox's seed does not have, or need `me`; the test fails when one starts to pass, so the list only
shrinks."""

ALSO_ALLOWED = {"schedule check": {9}}
"""Examples whose documented outcome includes another exit code (exit 9: the live schedule breaks a rule)."""


def _skip_reason(example: Example) -> str | None:
    for word, why in REAL_ACCOUNT.items():
        if any(word == w or (word == "<" and w.startswith("<")) for w in example.argv):
            return why
    return None


def _argv(example: Example) -> list[str]:
    words = [str(ROOT / w) if w.startswith("examples/") else w for w in example.argv]
    return words if "--sandbox" in words else ["--sandbox", *words]


def test_every_example_runs_in_order_on_a_fresh_sandbox(
    sandbox_cli: SandboxCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    failing: dict[str, int] = {}
    ran = 0
    for example in all_examples():
        if _skip_reason(example) is not None:
            continue
        argv = _argv(example)
        # The harness adds --sandbox and --config itself.
        result = sandbox_cli(*[w for w in argv if w != "--sandbox"])
        ran += 1
        allowed = {0} | next((codes for cmd, codes in ALSO_ALLOWED.items() if cmd in example.text), set())
        where = f"{example.file}: oncall {' '.join(example.argv)}"
        if result.exit_code not in allowed:
            failing[where] = result.exit_code
            if where not in KNOWN_FAILING:
                print(f"{example}\n{explain(result)}")
    for key, code in failing.items():
        print(f"FAILING {key!r}: {code},")
    assert ran > 40
    assert failing == KNOWN_FAILING


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
