"""The recipes of docs/automation.md cannot rot: every `oncall` command of the GitHub Actions workflow and of
the crontab runs against the sandbox, on every backend, with the same flags; a second round (as the
scheduler's next run) writes and sends nothing."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ALL_BACKENDS, SandboxCli, explain

pytestmark = pytest.mark.backends(*ALL_BACKENDS)

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "github-actions" / "oncall.yml"
CRONTAB = ROOT / "examples" / "crontab"


def _workflow() -> dict[Any, Any]:
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def workflow_commands() -> list[list[str]]:
    """The argv (after `oncall`) of every `oncall` line in the workflow's `run:` steps, in order."""
    found = []
    for job in _workflow()["jobs"].values():
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                line = line.strip()
                if line.startswith("oncall "):
                    assert not line.endswith("\\"), f"keep each oncall command on one line: {line}"
                    found.append(shlex.split(line)[1:])
    return found


def crontab_commands() -> list[list[str]]:
    found = []
    for raw in CRONTAB.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" in line.split()[0]:
            continue
        command = line.split(None, 5)[5]
        part = command.split("&&")[-1].strip()
        assert part.startswith("oncall "), line
        found.append(shlex.split(part)[1:])
    return found


def test_the_workflow_has_every_chore_the_issue_asks_for() -> None:
    doc = _workflow()
    crons = [s["cron"] for s in doc[True]["schedule"]]  # YAML 1.1 reads the key `on` as True
    assert "5 15,16 * * 1,3" in crons and "30 6 * * *" in crons
    heads = [" ".join(c[:2]) for c in workflow_commands()]
    assert heads == ["handoff run", "schedule check", "calendar publish", "remind upcoming"]
    commands = {" ".join(c[:2]): c for c in workflow_commands()}
    assert commands["schedule check"][-2:] == ["--format", "github"]
    assert "--apply" in commands["remind upcoming"]
    secrets = {k for k, v in doc["env"].items() if "secrets." in str(v)}
    assert {"ONCALL_OPSGENIE_API_KEY", "ONCALL_SLACK_TOKEN", "ONCALL_STATUSPAGE_API_KEY"} <= secrets
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in doc["env"]), "every variable the workflow sets is in the README"


def test_the_crontab_runs_the_same_chores() -> None:
    assert [" ".join(c[:2]) for c in crontab_commands()] == [
        "handoff run", "schedule check", "calendar publish", "remind upcoming"
    ]


def _messages(cli: SandboxCli) -> int:
    return int(cli.emulator.query("SELECT COUNT(*) AS n FROM slack_messages")[0]["n"])


def _files(root: Path) -> dict[str, tuple[float, bytes]]:
    return {str(p): (p.stat().st_mtime, p.read_bytes()) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("recipe", ["workflow", "crontab"])
def test_every_command_of_the_recipe_runs_on_the_sandbox_and_a_second_round_changes_nothing(
    sandbox_cli: SandboxCli, recipe: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = workflow_commands() if recipe == "workflow" else crontab_commands()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # relative paths (public/) land here, as in the job's checkout
    sandbox_cli.clock.advance(hours=1, minutes=5)  # Wednesday 11:05 in New York: a hand-off day

    def round_() -> list[str]:
        """Each command exactly as the recipe has it; their outputs."""
        outputs = []
        for argv in commands:
            result = sandbox_cli(*argv)
            assert result.exit_code == 0, f"oncall {shlex.join(argv)}\n{explain(result)}"
            outputs.append(result.stdout)
        return outputs

    before = _messages(sandbox_cli)
    round_()
    sent, files = _messages(sandbox_cli), _files(work)
    assert sent > before, "the hand-off report (and reminders) were posted"
    assert any(Path(f).name == "team.ics" for f in files), "the calendar was published"
    topic = sandbox_cli.json("whoisoncall", "--update-topic", "--dry-run")["topic"]
    assert topic["changed"] is False, "the hand-off set the #incidents topic"

    sandbox_cli.clock.advance(hours=1)  # the scheduler's next run (GitHub: 16:05 UTC)
    second = round_()
    assert "Nothing changed" in second[0]
    assert _messages(sandbox_cli) == sent
    assert _files(work) == files
    again = sandbox_cli.json(*commands[0])
    assert again["handoff_day"] is True and again["changed"] is False
