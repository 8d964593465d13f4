"""Incidents on PagerDuty, through the CLI on the sandbox: what the incident looks like there (service,
priority and urgency, `incident_key`, notes, status updates, subscribers, responder requests, statuses), and
the settings a raise checks before it writes anything (the service, the account's priorities, `From`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oncall_cli.services.backends.pagerduty_incidents import UPDATE_PREFIX
from oncall_cli.services.incident_text import update_entry

from .conftest import Sandbox, explain

pytestmark = pytest.mark.backends("pagerduty")

MESSAGE = "Checkout API returns 500s"


def _incident(sandbox: Sandbox) -> dict[str, Any]:
    [row] = sandbox.emulator.query("SELECT * FROM pagerduty_incidents")
    return {**row, **json.loads(row["data"])}


def _priority(sandbox: Sandbox, priority_id: str) -> str:
    rows = sandbox.emulator.query("SELECT name FROM pagerduty_priorities WHERE id = ?", (priority_id,))
    return str(rows[0]["name"])


def _nothing_created(sandbox: Sandbox) -> None:
    assert sandbox.emulator.query("SELECT * FROM pagerduty_incidents") == []
    assert sandbox.channels() == [] and sandbox.sp_incidents() == []


def test_an_incident_is_raised_on_the_service_with_its_priority_urgency_and_run_as_incident_key(
    sandbox: Sandbox,
) -> None:
    raised = sandbox.json("incident", "raise", MESSAGE, "-p", "P2", "--description", "Since 14:05")
    assert raised["incident"]["number"] == "1"
    row = _incident(sandbox)
    [artsy] = sandbox.emulator.query("SELECT id FROM pagerduty_services WHERE name = 'Artsy'")
    assert row["service_id"] == artsy["id"] and row["title"] == MESSAGE
    assert _priority(sandbox, row["priority_id"]) == "P2" and row["urgency"] == "high"
    assert row["incident_key"] == raised["run_id"] and row["status"] == "triggered"
    assert row["details"].startswith("Since 14:05")
    [incident] = sandbox.tracked()
    assert incident.links["oncall_run"] == raised["run_id"]
    assert incident.description is not None and incident.description.startswith("Since 14:05")

    sandbox.json("incident", "priority", "#1", "P4")
    row = _incident(sandbox)
    assert _priority(sandbox, row["priority_id"]) == "P4" and row["urgency"] == "low"


def test_the_workflow_speaks_pagerduty_acknowledge_status_updates_subscribers_and_responder_requests(
    sandbox: Sandbox,
) -> None:
    url, _, _ = sandbox.thread_url()
    sandbox.json("incident", "raise", MESSAGE, "-p", "P3", "--thread", url)
    commander, expert, stakeholder = [e.email for e in sandbox.context().directory.team()][:3]
    sandbox.json("incident", "assign", "1", "--commander", commander)
    assert _incident(sandbox)["status"] == "acknowledged"
    sandbox.json("incident", "responder", "add", "1", expert, "--note", "database expert")
    [request] = _incident(sandbox)["responders"]
    [user] = sandbox.emulator.query("SELECT id FROM pagerduty_users WHERE email = ?", (expert,))
    assert request["user_id"] == user["id"] and request["state"] == "pending"
    sandbox.json("incident", "stakeholder", "add", "1", stakeholder)
    [subscriber] = sandbox.emulator.query("SELECT * FROM pagerduty_subscribers")
    assert subscriber["subscriber_type"] == "user"
    sandbox.json("incident", "update", "1", "The fix is rolling out")
    [update] = sandbox.emulator.query("SELECT data FROM pagerduty_status_updates")
    assert json.loads(update["data"])["message"] == "The fix is rolling out"
    again = sandbox.json("incident", "update", "1", "The fix is rolling out")
    assert "tracker.timeline_entry" in again["skipped"]
    assert len(sandbox.emulator.query("SELECT * FROM pagerduty_status_updates")) == 1

    sandbox.json("incident", "resolve", "1", "--note", "Rolled back")
    row = _incident(sandbox)
    assert row["status"] == "resolved" and row["resolution"] == "Rolled back"
    shown = sandbox.json("incident", "show", "1")
    assert shown["incident"]["status"] == "resolved"
    assert all(not t["text"].startswith("oncall links:") for t in shown["timeline"])


def test_the_adapter_knows_an_update_entry_by_the_prefix_the_workflow_writes() -> None:
    assert update_entry(" The fix is out ") == UPDATE_PREFIX + "The fix is out"


def test_a_note_with_a_past_time_writes_the_time_into_the_note(sandbox: Sandbox) -> None:
    sandbox.json("incident", "raise", MESSAGE, "-p", "P4")
    sandbox.json("incident", "note", "1", "Rolled back the deploy", "--at", "09:50")
    notes = [json.loads(r["data"])["content"] for r in sandbox.emulator.query(
        "SELECT data FROM pagerduty_incident_notes ORDER BY seq")]
    assert "[2025-03-05 09:50 -0500] Rolled back the deploy" in notes


def test_closing_as_not_an_incident_resolves_it_with_the_reason(sandbox: Sandbox) -> None:
    sandbox.json("incident", "raise", MESSAGE, "-p", "P4")
    sandbox.json("incident", "close", "1", "--reason", "feature request")
    row = _incident(sandbox)
    assert row["status"] == "resolved" and "feature request" in row["resolution"]
    [incident] = sandbox.tracked()
    assert incident.status == "closed"
    [note] = sandbox.context().incidents.notes(incident)
    assert note.text == row["resolution"]
    shown = sandbox.json("incident", "show", "1")
    assert [t["text"] for t in shown["timeline"]].count(row["resolution"]) == 1


def test_an_unknown_service_is_named_and_nothing_is_created(sandbox: Sandbox) -> None:
    result = sandbox("incident", "raise", MESSAGE, "-p", "P3", "--service", "Nope", "--json")
    assert result.exit_code == 3, explain(result)
    error = json.loads(result.stdout)["error"]
    assert error["message"].startswith("--service: no PagerDuty service named 'Nope'")
    assert "Artsy" in error["message"] and "pagerduty.service" in error["hint"]
    _nothing_created(sandbox)


def test_an_account_without_priorities_is_named_and_nothing_is_created(sandbox: Sandbox) -> None:
    with sandbox.emulator.locked() as db:
        db.execute("DELETE FROM pagerduty_priorities")
    result = sandbox("incident", "raise", MESSAGE, "-p", "P3", "--json")
    assert result.exit_code == 3, explain(result)
    message = json.loads(result.stdout)["error"]["message"]
    assert message == "PagerDuty priorities: the account has no priorities configured; incidents need P1-P5"
    _nothing_created(sandbox)


def test_a_from_email_that_is_not_a_user_is_named_and_nothing_is_changed(sandbox: Sandbox) -> None:
    stranger = "--set", "pagerduty.from=nobody@example.com"
    result = sandbox(*stranger, "incident", "raise", MESSAGE, "-p", "P3", "--json")
    assert result.exit_code == 3, explain(result)
    assert json.loads(result.stdout)["error"]["message"] == (
        "pagerduty.from: nobody@example.com is not a PagerDuty user of the account"
    )
    _nothing_created(sandbox)
    sandbox.json("incident", "raise", MESSAGE, "-p", "P3")
    result = sandbox(*stranger, "incident", "priority", "1", "P1", "--json")
    assert result.exit_code == 3, explain(result)
    assert json.loads(result.stdout)["error"]["message"].startswith("pagerduty.from")
    assert sandbox.tracked()[0].priority == "P3"


def test_a_create_repeated_after_its_answer_was_lost_finds_the_incident_by_its_key(sandbox: Sandbox) -> None:
    """PagerDuty refuses a second open incident with the same `incident_key` on a service: the adapter
    reads the one that exists instead of failing."""
    tracker = sandbox.context().incidents
    service, _ = tracker.check_service(None)
    args: dict[str, Any] = {
        "message": MESSAGE, "description": None, "priority": "P3", "service": service, "responders": (),
        "links": {"oncall_run": "run-1"},
    }
    first = tracker.open(**args)
    second = sandbox.context().incidents.open(**args)
    assert second.id == first.id and second.links["oncall_run"] == "run-1"
    assert len(sandbox.emulator.query("SELECT * FROM pagerduty_incidents")) == 1
    assert sandbox.emulator.rejected == []
