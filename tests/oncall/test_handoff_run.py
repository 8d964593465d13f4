"""`oncall handoff` role proposals, `handoff --apply` and `oncall handoff run` end to end on the sandbox, on
every backend: an open incident whose commander leaves at the hand-off gets an assign that passes the role
to the engineer coming on in the same seat; the run sets the topic, posts the report once and passes the
roles on; a second run changes and sends nothing; a day without a hand-off is a no-op."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import ALL_BACKENDS, SandboxCli, explain

pytestmark = pytest.mark.backends(*ALL_BACKENDS)


def _messages(cli: SandboxCli) -> int:
    return int(cli.emulator.query("SELECT COUNT(*) AS n FROM slack_messages")[0]["n"])


def _departing(cli: SandboxCli) -> tuple[str, str, dict[str, Any]]:
    """Raise an incident now (Wednesday 10:00 EST) with a departing engineer as commander; return the
    incident's ref, the commander and the report's handover of their seat."""
    doc = cli.json("handoff")
    moving = [h for h in doc["handovers"] if h["changes"] and h["outgoing"] and h["incoming"]]
    assert moving, "the seeded schedule hands over on Wednesday 11:00"
    staying = {h["incoming"]["user"] for h in doc["handovers"] if h["incoming"]}
    seat = next(h for h in moving if h["outgoing"]["user"] not in staying)
    commander = seat["outgoing"]["user"]
    raised = cli.json("incident", "raise", "Checkout API returns 500s", "-p", "P2")
    ref = "1"  # the bare number works on both (JSM reads it as ITSM-1)
    cli.json("incident", "assign", ref, "--commander", commander)
    cli.clock.advance(minutes=5)
    return raised["incident"]["number"], commander, seat


def test_handoff_lists_the_roles_of_departing_engineers_and_the_assigns(sandbox_cli: SandboxCli) -> None:
    number, commander, seat = _departing(sandbox_cli)
    doc = sandbox_cli.json("handoff")
    [proposal] = doc["roles"]
    assert proposal["number"] == number
    assert proposal["roles"] == [
        {"role": "commander", "from": commander, "to": seat["incoming"]["user"], "rotation": seat["rotation"]}
    ]
    assert proposal["command"] == f"oncall incident assign {number} --commander {seat['incoming']['user']}"
    assert proposal["applied"] is None
    text = sandbox_cli("handoff")
    assert text.exit_code == 0, explain(text)
    assert proposal["command"] in text.stdout


def test_handoff_apply_runs_the_assigns_once(sandbox_cli: SandboxCli) -> None:
    number, _, seat = _departing(sandbox_cli)
    planned = sandbox_cli.json("handoff", "--apply", "--dry-run")
    [p] = planned["roles"]
    assert p["applied"]["dry_run"] is True and p["applied"]["planned"] and p["applied"]["done"] == []
    assert sandbox_cli.json("incident", "show", "1")["roles"]["commander"] != seat["incoming"]["user"]

    applied = sandbox_cli.json("handoff", "--apply")
    [a] = applied["roles"]
    assert a["applied"]["dry_run"] is False and a["applied"]["done"]
    assert sandbox_cli.json("incident", "show", "1")["roles"]["commander"] == seat["incoming"]["user"]
    # The new commander is not departing: nothing left to pass on, nothing sent.
    before = _messages(sandbox_cli)
    again = sandbox_cli.json("handoff", "--apply")
    assert again["roles"] == [] and _messages(sandbox_cli) == before
    assert number


def test_handoff_run_does_the_hand_off_once(sandbox_cli: SandboxCli) -> None:
    number, _, seat = _departing(sandbox_cli)
    sandbox_cli.clock.advance(hours=1)  # Wednesday 11:05 EST, just after the hand-off

    dry = sandbox_cli.json("handoff", "run", "--dry-run")
    assert dry["dry_run"] is True and dry["changed"] is True
    assert dry["report"]["post"]["dry_run"] is True and dry["report"]["post"]["posted"] is False
    before = _messages(sandbox_cli)

    first = sandbox_cli.json("handoff", "run")
    assert first["handoff_day"] is True and first["changed"] is True
    assert first["handoff_at"] == "2027-02-03T11:00:00-05:00"
    assert first["topic"]["changed"] is True and first["topic"]["channel"] == "incidents"
    post = first["report"]["post"]
    assert post["posted"] is True and post["channel"] == "dev"
    [r] = first["report"]["roles"]
    assert r["number"] == number and r["applied"]["done"]
    assert sandbox_cli.json("incident", "show", "1")["roles"]["commander"] == seat["incoming"]["user"]
    sent = _messages(sandbox_cli)
    assert sent > before

    sandbox_cli.clock.advance(minutes=10)
    second = sandbox_cli.json("handoff", "run")
    assert second["changed"] is False
    assert second["topic"]["changed"] is False
    assert second["report"]["post"]["already_posted"] is True and second["report"]["post"]["posted"] is False
    assert second["report"]["roles"] == []
    assert _messages(sandbox_cli) == sent
    text = sandbox_cli("handoff", "run")
    assert text.exit_code == 0, explain(text)
    assert "Nothing changed" in text.stdout
    assert _messages(sandbox_cli) == sent


def test_handoff_run_is_a_no_op_on_a_day_without_a_hand_off(sandbox_cli: SandboxCli) -> None:
    sandbox_cli.clock.advance(days=1, hours=1, minutes=5)  # Thursday 11:05 EST
    before = _messages(sandbox_cli)
    doc = sandbox_cli.json("handoff", "run")
    assert doc["handoff_day"] is False and doc["changed"] is False
    assert doc["topic"] is None and doc["report"] is None
    assert doc["next_handoff"] == "2027-02-08T11:00:00-05:00"
    text = sandbox_cli("handoff", "run")
    assert text.exit_code == 0, explain(text)
    assert "No hand-off today" in text.stdout
    assert _messages(sandbox_cli) == before


def test_handoff_run_before_the_hand_off_waits_for_it(sandbox_cli: SandboxCli) -> None:
    # Wednesday 10:00 EST: today's hand-off is at 11:00, not yet done.
    doc = sandbox_cli.json("handoff", "run")
    assert doc["handoff_day"] is False and doc["next_handoff"] == "2027-02-03T11:00:00-05:00"


def test_existing_handoff_invocations_still_work(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("handoff", "--post", "dev", "--dry-run")
    assert result.exit_code == 0, explain(result)
    assert sandbox_cli("handoff", "--dry-run").exit_code == 2
    assert sandbox_cli("handoff", "run", "--help").exit_code == 0
