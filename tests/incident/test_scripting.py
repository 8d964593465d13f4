"""Issue 15 item 8, on incidents: `--quiet` prints only the number or key, the global `--yes` and
`--no-input` answer or refuse questions, and `--web` opens the incident's page (injected: nothing opens)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from conftest import config_file
from oncall_cli.cli.main import app

from .conftest import Sandbox, explain

MESSAGE = "Checkout API returns 500s"


def test_raise_and_followup_with_quiet_print_only_the_number_and_the_ticket_key(sandbox: Sandbox) -> None:
    raised = sandbox("incident", "raise", MESSAGE, "-p", "P3", "--quiet")
    assert raised.exit_code == 0, explain(raised)
    assert raised.stdout == f"{sandbox.number}\n"
    ticket = sandbox("incident", "followup", "1", "Fix the retry storm", "--project", "SEARCH", "-q")
    assert ticket.exit_code == 0, explain(ticket)
    assert ticket.stdout == "SEARCH-1\n"


def test_quiet_and_json_together_exit_2_naming_both_flags(sandbox: Sandbox) -> None:
    result = sandbox("incident", "raise", MESSAGE, "-p", "P3", "--quiet", "--json")
    assert result.exit_code == 2, explain(result)
    error = json.loads(result.stdout)["error"]
    assert "--quiet" in error["message"] and "--json" in error["message"]
    assert sandbox.incidents() == []


def test_no_input_turns_the_duplicate_question_into_exit_2_naming_force(sandbox: Sandbox) -> None:
    assert sandbox("incident", "raise", MESSAGE, "-p", "P3").exit_code == 0
    result = sandbox("--no-input", "incident", "raise", MESSAGE, "-p", "P3")
    assert result.exit_code == 2, explain(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--force" in errors[0]
    assert len(sandbox.incidents()) == 1


def test_global_yes_answers_the_duplicate_question(sandbox: Sandbox) -> None:
    assert sandbox("incident", "raise", MESSAGE, "-p", "P3").exit_code == 0
    result = sandbox("--yes", "incident", "raise", MESSAGE, "-p", "P3", "--quiet")
    assert result.exit_code == 0, explain(result)
    assert len(sandbox.incidents()) == 2


def test_show_with_web_opens_the_incident_page_and_keeps_json_one_document(sandbox: Sandbox) -> None:
    sandbox.json("incident", "raise", MESSAGE, "-p", "P3")
    opened: list[str] = []
    deps = sandbox.deps()
    deps.open_url = opened.append
    argv = ["--sandbox", "--config", config_file(sandbox.tmp / "config.toml"), "incident", "show", "1",
            "--web", "--json"]
    result = CliRunner().invoke(app, argv, obj=deps)
    assert result.exit_code == 0, explain(result)
    shown = json.loads(result.stdout)
    assert opened == [shown["incident"]["url"]]
