"""An incident's whole life through the CLI, on each backend: the same commands, the same documents, and
every request the tracker is sent is one its vendor's spec accepts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import INCIDENT_BACKENDS

from .conftest import Sandbox, explain

pytestmark = pytest.mark.backends(*INCIDENT_BACKENDS)

MESSAGE = "Checkout API returns 500s"


def _no_invalid_requests(sandbox: Sandbox) -> None:
    emulator = sandbox.emulator
    assert emulator.rejected == [] and emulator.invalid_responses == []
    used = {(c.service, c.operation) for c in emulator.calls}
    validated = {(s, o) for s, o, kind in emulator.validated if kind == "request"}
    assert used <= validated, sorted(used - validated)


def test_raise_assign_responders_note_priority_update_followup_resolve_postmortem(sandbox: Sandbox) -> None:
    url, _, _ = sandbox.thread_url()
    engineers = sandbox.on_call()
    commander, comms = engineers[0], engineers[-1]
    expert = next(e.email for e in sandbox.context().directory.team() if e.email not in engineers)
    raised = sandbox.json("incident", "raise", MESSAGE, "-p", "P2", "--component", "API", "--thread", url)
    number = raised["incident"]["number"]
    assert number == sandbox.number and raised["status"] == "done"
    ref = "1"  # the bare number works on both (JSM reads it as ITSM-1)

    assigned = sandbox.json("incident", "assign", ref, "--commander", commander, "--comms", comms)
    assert assigned["incident"]["number"] == number
    sandbox.json("incident", "responder", "add", ref, expert, "--note", "database expert")
    sandbox.json("incident", "stakeholder", "add", ref, comms)
    sandbox.json("incident", "note", ref, "Rolled back the 14:05 deploy", "--at", "09:50")
    sandbox.json("incident", "priority", ref, "P1")
    sandbox.json("status", "update", ref, "--status", "identified", "--message", "We found the cause.")
    ticket = sandbox.json("incident", "followup", ref, "Fix the retry storm", "--project", "SEARCH")
    assert ticket["created"] is True and ticket["ticket"]["key"] == "SEARCH-1"
    again = sandbox.json("incident", "followup", ref, "Fix the retry storm", "--project", "SEARCH")
    assert again["created"] is False and again["ticket"]["key"] == "SEARCH-1"

    shown = sandbox.json("incident", "show", ref)
    assert shown["incident"]["priority"] == "P1" and shown["incident"]["status"] == "open"
    assert shown["roles"] == {"commander": commander, "comms": comms}
    assert expert in shown["responders"] and shown["stakeholders"] == [comms]
    assert [f["key"] for f in shown["followups"]] == ["SEARCH-1"]
    notes = [t for t in shown["timeline"] if "Rolled back the 14:05 deploy" in t["text"]]
    assert len(notes) == 1 and notes[0]["at"] == "2025-03-05T09:50:00-05:00"  # in the profile's zone

    resolved = sandbox.json("incident", "resolve", ref, "--note", "Rolled back")
    assert resolved["status"] == "done"
    [incident] = sandbox.tracked()
    assert incident.status == "resolved"
    assert sandbox.entries(incident).count("Resolved: Rolled back") == 1
    [sp] = sandbox.sp_incidents()
    assert sp["status"] == "resolved" and sandbox.components()["API"] == "operational"
    draft = sandbox.json("incident", "postmortem", ref)["markdown"]
    assert f"(incident #{number})" in draft and "SEARCH-1" in draft
    _no_invalid_requests(sandbox)


def test_raise_then_close_as_not_an_incident(sandbox: Sandbox) -> None:
    url, _, _ = sandbox.thread_url()
    sandbox.json("incident", "raise", "Search looks slow", "-p", "P4", "--thread", url)
    closed = sandbox.json("incident", "close", "1", "--reason", "feature request")
    assert closed["incident"]["number"] == sandbox.number
    [incident] = sandbox.tracked()
    assert incident.status == "closed"
    listed = sandbox.json("incident", "list", "--status", "closed")
    assert [i["number"] for i in listed["incidents"]] == [sandbox.number]
    again = sandbox("incident", "close", "1", "--reason", "feature request", "--json")
    assert again.exit_code == 0, explain(again)
    sandbox.clock.advance(60)
    handoff = sandbox.json("handoff")
    # Opened during the shift and closed as not an incident: never under resolved.
    assert [(i["number"], i["status"]) for i in handoff["opened"]] == [(sandbox.number, "closed")]
    assert handoff["resolved"] == []
    _no_invalid_requests(sandbox)


# ---- a Jira site that lacks what the playbook needs ------------------------------------------------------


@pytest.mark.backends("jsm")
@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("jsm.incident_type", "Major incident", "request types: Incident"),
        ("jsm.priorities", "Highest,High,Medium,Low,Trivial", "'Trivial'"),
        ("jsm.service_desk", "NOPE", "ITSM"),
    ],
)
def test_a_site_without_the_request_type_priority_or_desk_is_named_and_nothing_is_created(
    sandbox: Sandbox, setting: str, value: str, named: str
) -> None:
    result = sandbox("--set", f"{setting}={value}", "incident", "raise", MESSAGE, "-p", "P2", "--json")
    assert result.exit_code == 3, explain(result)
    message: str = json.loads(result.stdout)["error"]["message"]
    assert message.startswith(setting) and named in message
    assert sandbox.tracked() == [] and sandbox.channels() == [] and sandbox.sp_incidents() == []


@pytest.mark.backends("jsm")
def test_a_workflow_without_a_done_transition_is_named_before_anything_says_resolved(
    sandbox: Sandbox,
) -> None:
    sandbox.json("incident", "raise", MESSAGE, "-p", "P2", "--component", "API")
    with sandbox.emulator.locked() as db:
        db.execute("DELETE FROM jira_transitions WHERE name IN ('Resolve', 'Cancel')")
    for command in (("resolve", "1", "--note", "Rolled back"), ("close", "1", "--reason", "no")):
        for dry in ((), ("--dry-run",)):
            result = sandbox("incident", *command, *dry, "--json")
            assert result.exit_code == 6, explain(result)
            error: dict[str, Any] = json.loads(result.stdout)["error"]
            assert "no transition to done" in error["message"] and "Start fixing" in error["message"]
    [sp] = sandbox.sp_incidents()
    assert sp["status"] == "investigating" and sandbox.components()["API"] != "operational"
    assert sandbox.tracked()[0].status == "open"


@pytest.mark.backends("jsm")
def test_a_priority_name_the_site_lacks_is_named_before_anything_changes(sandbox: Sandbox) -> None:
    raised = sandbox.json("incident", "raise", MESSAGE, "-p", "P3")
    channel = raised["slack"]["channel_id"]
    before = len(sandbox.messages(channel))
    names = "jsm.priorities=Highest,High,Urgent,Low,Lowest"
    result = sandbox("--set", names, "incident", "priority", "1", "P2", "--json")
    assert result.exit_code == 3, explain(result)
    assert json.loads(result.stdout)["error"]["message"].startswith("jsm.priorities")
    assert len(sandbox.messages(channel)) == before and sandbox.tracked()[0].priority == "P3"


@pytest.mark.backends("jsm")
def test_a_jira_key_that_is_not_an_incident_is_refused_and_left_alone(sandbox: Sandbox) -> None:
    sandbox.json("incident", "raise", MESSAGE, "-p", "P4")
    ticket = sandbox.json("incident", "followup", "1", "Fix it", "--project", "SEARCH")["ticket"]["key"]
    for command in (("close", ticket, "--reason", "x"), ("priority", ticket, "P1"), ("show", ticket)):
        result = sandbox("incident", *command, "--json")
        assert result.exit_code == 5, explain(result)
        assert "is not an incident" in json.loads(result.stdout)["error"]["message"]
    tickets = sandbox.context().tickets.get(ticket)
    assert not tickets.done


def test_adding_the_same_responder_twice_pages_and_notes_them_once(sandbox: Sandbox) -> None:
    sandbox.json("incident", "raise", MESSAGE, "-p", "P3")
    engineers = [e.email for e in sandbox.context().directory.team()]
    expert = engineers[-1]
    first = sandbox.json("incident", "responder", "add", "1", expert, "--note", "database expert")
    again = sandbox.json("incident", "responder", "add", "1", expert, "--note", "database expert")
    assert "tracker.add_responder" in first["done"] and "tracker.add_responder" in again["skipped"]
    [incident] = sandbox.tracked()
    notes = [t for t in sandbox.entries(incident) if "database expert" in t]
    assert len(notes) <= 1
    unknown = sandbox("incident", "stakeholder", "add", "1", "nobody@example.com", "--json")
    assert unknown.exit_code == 5, explain(unknown)
    assert not [t for t in sandbox.entries(incident) if "nobody@example.com" in t]
