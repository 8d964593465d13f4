"""Fault injection: fail each step of `raise` and `resolve` in turn (5xx, 429, a dropped connection after the
request was applied, a crash between two steps) and check that `resume` finishes with exactly one of
everything: one incident (Opsgenie's, or JSM's Jira work item), one channel, one Statuspage incident, one of
each message. Every test runs on every backend; `TRACKER_STEPS` names the tracker's requests on JSM and
PagerDuty."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import INCIDENT_BACKENDS
from oncall_cli.sandbox.faults import Fault
from oncall_cli.services.journal import SimulatedCrash

from .conftest import Sandbox, explain

pytestmark = pytest.mark.backends(*INCIDENT_BACKENDS)

MESSAGE = "Checkout API returns 500s"
BOT = "U0ONCALLBOT"

# step -> (service, operation, the call of that operation the step makes first), on Opsgenie
RAISE_STEPS: dict[str, tuple[str, str, int]] = {
    "tracker.create_incident": ("opsgenie", "POST /v1/incidents/create", 1),
    "statuspage.create_incident": ("statuspage", "POST /v1/pages/{page_id}/incidents", 1),
    "slack.create_channel": ("slack", "conversations.create", 1),
    "slack.set_purpose": ("slack", "conversations.setPurpose", 1),
    "slack.invite": ("slack", "conversations.invite", 1),
    "slack.post_opening": ("slack", "chat.postMessage", 1),
    "slack.reply_thread": ("slack", "chat.postMessage", 2),
    "tracker.record_links": ("opsgenie", "POST /v1/incidents/{identifier}/details", 1),
}
RESOLVE_STEPS: dict[str, tuple[str, str, int]] = {
    "tracker.timeline_entry": ("opsgenie", "POST /v2/incident-timelines/{incidentId}/entries", 1),
    "tracker.resolve": ("opsgenie", "POST /v1/incidents/{identifier}/resolve", 1),
    "tracker.close_alerts": ("opsgenie", "POST /v2/alerts/{identifier}/close", 1),
    "statuspage.resolve": ("statuspage", "PATCH /v1/pages/{page_id}/incidents/{incident_id}", 1),
    "slack.post_resolved": ("slack", "chat.postMessage", 1),
    "slack.reply_thread": ("slack", "chat.postMessage", 2),
}
PROPERTY = "PUT /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}"
JSM_INCIDENT = "/jsm/incidents/cloudId/{cloudId}/v1/incident/{issueID}"
JSM_STEPS: dict[str, tuple[str, str, int] | None] = {
    "tracker.create_incident": ("jira", "POST /rest/servicedeskapi/request", 1),
    "tracker.record_links": ("jira", PROPERTY, 2),  # the first wrote the run's links at create
    "tracker.timeline_entry": ("jira", "POST /rest/servicedeskapi/request/{issueIdOrKey}/comment", 1),
    "tracker.resolve": ("jira", "POST /rest/api/3/issue/{issueIdOrKey}/transitions", 1),
    "tracker.close_alerts": None,  # no alert is linked to this incident: nothing to close on JSM
}
"""The tracker's steps on JSM (the Slack and Statuspage ones are the same on both backends)."""
JSM_CREATE_PARTS: dict[str, tuple[str, str, int]] = {
    "priority": ("jira", "PUT /rest/api/3/issue/{issueIdOrKey}", 1),
    "links": ("jira", PROPERTY, 1),
    "responders": ("atlassian", f"POST {JSM_INCIDENT}/responder/add", 1),
}
"""JSM's create is several requests after the service desk's: a failure in any leaves a half-made incident
that `resume` must finish (`IncidentTracker.complete`)."""
PD_NOTES = "POST /incidents/{id}/notes"
PD_STEPS: dict[str, tuple[str, str, int] | None] = {
    "tracker.create_incident": ("pagerduty", "POST /incidents", 1),
    "tracker.record_links": ("pagerduty", PD_NOTES, 2),  # the first is the links note of the create
    "tracker.timeline_entry": ("pagerduty", PD_NOTES, 1),
    "tracker.resolve": ("pagerduty", "PUT /incidents/{id}", 1),
    "tracker.close_alerts": None,  # resolving a PagerDuty incident resolves its alerts
}
"""The tracker's steps on PagerDuty."""
PD_CREATE_PARTS: dict[str, tuple[str, str, int]] = {
    "links": ("pagerduty", PD_NOTES, 1),
    "responders": ("pagerduty", "POST /incidents/{id}/responder_requests", 1),
}
"""PagerDuty's create is the incident (its `incident_key` the run id), then the links note and the responder
requests: a failure after the first leaves a half-made incident that `resume` finishes."""
TRACKER_STEPS = {"jsm": JSM_STEPS, "pagerduty": PD_STEPS}
CREATE_PARTS = {"jsm": JSM_CREATE_PARTS, "pagerduty": PD_CREATE_PARTS}
KINDS = ("5xx", "429", "drop")


def _at(sandbox: Sandbox, table: dict[str, tuple[str, str, int]], step: str) -> tuple[str, str, int]:
    """Where a step fails on this sandbox's backend; skips a step that makes no request there."""
    steps = TRACKER_STEPS.get(sandbox.backend, {})
    if step in steps:
        where = steps[step]
        if where is None:
            pytest.skip(f"{step} makes no request on {sandbox.backend}")
        return where
    return table[step]


def _fault(kind: str, service: str, operation: str, first: int) -> Fault:
    """From the step's first call on, until cleared (so the clients' retries fail too)."""
    calls = range(first, first + 50)
    if kind == "5xx":
        return Fault(service, operation, "status", status=503, calls=calls)
    if kind == "429":
        return Fault(service, operation, "status", status=429, calls=calls, retry_after=2)
    return Fault(service, operation, "drop", calls=calls, sent=True)  # applied, then the answer is lost


def _bot_texts(sandbox: Sandbox, channel_id: str, thread_ts: str | None = None) -> list[str]:
    return [m["text"] for m in sandbox.messages(channel_id, thread_ts=thread_ts) if m["user"] == BOT]


def _raise(sandbox: Sandbox) -> Any:
    url, _, _ = sandbox.thread_url()
    return sandbox("incident", "raise", MESSAGE, "-p", "P1", "--component", "API", "--thread", url, "--json")


def _assert_raised_exactly_once(sandbox: Sandbox) -> None:
    _, incidents_channel, parent_ts = sandbox.thread_url()
    [incident] = sandbox.tracked()
    [channel] = sandbox.channels()
    [sp] = sandbox.sp_incidents()
    assert channel["name"] == f"inc-{sandbox.number.lower()}-checkout-api-returns-500s"
    assert incident.url in channel["purpose"]
    assert incident.links["slack_channel_id"] == channel["id"]
    assert incident.links["statuspage_incident_id"] == sp["id"]
    assert incident.priority == "P1" and incident.status == "open"
    paged = sandbox.context().incidents.responder_names(incident, [])
    assert sorted(paged) == sorted(set(paged))  # nobody paged twice
    assert len(sandbox.sp_updates(sp["id"])) == 1
    assert sandbox.components()["API"] == "major_outage"
    texts = _bot_texts(sandbox, channel["id"])
    assert len([t for t in texts if t.startswith(f":rotating_light: Incident #{sandbox.number}")]) == 1
    assert any(sp["shortlink"] in t for t in texts)  # in the opening message, or right after it
    replies = [t for t in _bot_texts(sandbox, incidents_channel, parent_ts) if f"<#{channel['id']}>" in t]
    assert len(replies) == 1
    on_call = {sandbox.slack_id(e) for e in sandbox.on_call()}
    assert on_call <= sandbox.channel_members(channel["id"])


def _resume(sandbox: Sandbox, *ref: str) -> Any:
    sandbox.extra.clear()
    sandbox.emulator.faults.clear()
    sandbox.clock.advance(60)
    return sandbox.json("incident", "resume", *ref)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("step", list(RAISE_STEPS))
def test_raise_fails_at_each_step_with_exit_10_and_resume_finishes_it_exactly_once(
    sandbox: Sandbox, step: str, kind: str
) -> None:
    sandbox.emulator.faults.add(_fault(kind, *_at(sandbox, RAISE_STEPS, step)))
    result = _raise(sandbox)
    assert result.exit_code == 10, explain(result)
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "partial"
    details = error["details"]
    assert [f["step"] for f in details["failed"]] == [step]
    assert step in details["not_done"] and step not in details["done"]
    assert "oncall incident resume" in details["resume"] and "resume" in error["hint"]
    if step != "tracker.create_incident":
        assert "tracker.create_incident" in details["done"]
        assert details["incident"]["number"] == sandbox.number

    data = _resume(sandbox)
    assert data["status"] == "done" and data["workflow"] == "raise" and data["run_id"] == details["run_id"]
    _assert_raised_exactly_once(sandbox)
    steps = {s["name"]: s for s in data["steps"]}
    assert steps[step]["attempts"] >= 2
    assert all(
        s["attempts"] == 1
        for name, s in steps.items()
        if name in details["done"] and name != "tracker.record_links"
    )


@pytest.mark.backends("jsm", "pagerduty")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("part", ["priority", "links", "responders"])
def test_an_incident_left_half_made_by_its_create_is_finished_by_resume(
    sandbox: Sandbox, part: str, kind: str
) -> None:
    """JSM's service desk made the request (PagerDuty the incident), then its priority, links or responders
    failed: `resume` finds the incident by the run id the create wrote, and finishes it without a second
    incident."""
    parts = CREATE_PARTS[sandbox.backend]
    if part not in parts:
        pytest.skip(f"the {sandbox.backend} create sets the {part} in its first request")
    sandbox.emulator.faults.add(_fault(kind, *parts[part]))
    expert = sandbox.on_call()[0]
    url, _, _ = sandbox.thread_url()
    result = sandbox("incident", "raise", MESSAGE, "-p", "P1", "--component", "API", "--thread", url,
                     "--responder", expert, "--json")
    assert result.exit_code == 10, explain(result)
    assert [f["step"] for f in json.loads(result.stdout)["error"]["details"]["failed"]] == [
        "tracker.create_incident"
    ]
    data = _resume(sandbox)
    assert data["status"] == "done"
    _assert_raised_exactly_once(sandbox)
    [incident] = sandbox.tracked()
    assert incident.links["oncall_run"] == data["run_id"] and incident.priority == "P1"
    assert sandbox.context().incidents.responder_names(incident, []) == [expert]


@pytest.mark.parametrize("step", list(RAISE_STEPS))
def test_raise_crashing_between_two_steps_is_resumed_without_repeating_finished_steps(
    sandbox: Sandbox, step: str
) -> None:
    sandbox.extra["crash_after_step"] = step
    with pytest.raises(SimulatedCrash):
        _raise(sandbox)
    journal = sandbox.json("incident", "journal")
    [run] = journal["runs"]
    assert run["status"] == "running"
    assert {s["name"]: s["status"] for s in run["steps"]}[step] == "done"

    data = _resume(sandbox)
    assert data["status"] == "done"
    _assert_raised_exactly_once(sandbox)
    assert {s["name"]: s["attempts"] for s in data["steps"]}[step] == 1


def test_resume_by_incident_number_and_the_human_error_says_what_was_done(sandbox: Sandbox) -> None:
    url, _, _ = sandbox.thread_url()
    sandbox.emulator.faults.add(_fault("5xx", "slack", "conversations.invite", 1))
    result = sandbox("incident", "raise", MESSAGE, "-p", "P1", "--component", "API", "--thread", url)
    assert result.exit_code == 10, explain(result)
    assert "Done: tracker.create_incident" in result.stderr and "Not done: slack.invite" in result.stderr
    assert f"oncall incident resume {sandbox.number}" in result.stderr
    data = _resume(sandbox, "1")
    assert data["incident"]["number"] == sandbox.number
    _assert_raised_exactly_once(sandbox)


def test_a_partial_raise_hint_says_to_resume_and_not_to_run_the_command_again(sandbox: Sandbox) -> None:
    sandbox.emulator.faults.add(_fault("5xx", *RAISE_STEPS["statuspage.create_incident"]))
    result = sandbox("incident", "raise", MESSAGE, "-p", "P1", "--component", "API")
    assert result.exit_code == 10, explain(result)
    assert "run the command again" not in result.stderr
    assert f"then run `oncall incident resume {sandbox.number}`" in " ".join(result.stderr.split())
    assert _resume(sandbox, "1")["status"] == "done"
    sandbox.emulator.faults.add(_fault("5xx", *RESOLVE_STEPS["statuspage.resolve"]))
    error = sandbox.json("incident", "resolve", "1", "--note", "Rolled back", code=10)["error"]
    assert error["hint"] == (
        "Check the network and the service's status page, then run "
        f"`oncall incident resume {sandbox.number}`."
    )


@pytest.mark.parametrize("kind", KINDS)
def test_the_hint_of_a_partial_raise_names_the_resume_command_for_every_kind_of_failure(
    sandbox: Sandbox, kind: str
) -> None:
    sandbox.emulator.faults.add(_fault(kind, *RAISE_STEPS["slack.invite"]))
    result = _raise(sandbox)
    assert result.exit_code == 10, explain(result)
    hint = json.loads(result.stdout)["error"]["hint"]
    assert hint.endswith(f", then run `oncall incident resume {sandbox.number}`.") and "again" not in hint


def test_a_failed_branch_does_not_stop_the_other_one(sandbox: Sandbox) -> None:
    sandbox.emulator.faults.add(_fault("5xx", "slack", "conversations.create", 1))
    result = _raise(sandbox)
    assert result.exit_code == 10
    # Statuspage did not wait for Slack, and its link is already on the incident.
    [sp] = sandbox.sp_incidents()
    assert sandbox.tracked()[0].links["statuspage_incident_id"] == sp["id"]
    assert sandbox.channels() == []


# ---- resolve ------------------------------------------------------------------------------------------


def _resolve(sandbox: Sandbox) -> Any:
    return sandbox("incident", "resolve", "1", "--note", "Rolled back", "--close-alerts", "--json")


def _assert_resolved_exactly_once(sandbox: Sandbox, raised: dict[str, Any]) -> None:
    _, incidents_channel, parent_ts = sandbox.thread_url()
    [incident] = sandbox.tracked()
    assert incident.status == "resolved"
    assert sandbox.entries(incident) == ["Resolved: Rolled back"]
    if sandbox.backend == "opsgenie":
        [alert] = sandbox.emulator.query("SELECT data FROM opsgenie_alerts WHERE alias = ?", (incident.id,))
        assert json.loads(alert["data"])["status"] == "closed"
    [sp] = sandbox.sp_incidents()
    assert sp["status"] == "resolved"
    assert [u["status"] for u in sandbox.sp_updates(sp["id"])] == ["investigating", "resolved"]
    assert sandbox.components()["API"] == "operational"
    marker = f":white_check_mark: Incident #{sandbox.number} is resolved"
    channel_id = raised["slack"]["channel_id"]
    assert len([t for t in _bot_texts(sandbox, channel_id) if t.startswith(marker)]) == 1
    assert len([t for t in _bot_texts(sandbox, incidents_channel, parent_ts) if t.startswith(marker)]) == 1


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("step", list(RESOLVE_STEPS))
def test_resolve_fails_at_each_step_with_exit_10_and_resume_finishes_it_exactly_once(
    sandbox: Sandbox, raised: dict[str, Any], step: str, kind: str
) -> None:
    sandbox.emulator.faults.clear()  # call numbers count from the resolve
    sandbox.emulator.faults.add(_fault(kind, *_at(sandbox, RESOLVE_STEPS, step)))
    result = _resolve(sandbox)
    assert result.exit_code == 10, explain(result)
    details = json.loads(result.stdout)["error"]["details"]
    assert details["workflow"] == "resolve" and [f["step"] for f in details["failed"]] == [step]
    assert step in details["not_done"]

    data = _resume(sandbox, "1")
    assert data["workflow"] == "resolve" and data["status"] == "done"
    assert [c["id"] for c in data["checklist"]] == ["postmortem", "review", "playbooks", "reclaim"]
    _assert_resolved_exactly_once(sandbox, raised)


@pytest.mark.parametrize("step", list(RESOLVE_STEPS))
def test_resolve_crashing_between_two_steps_is_resumed_exactly_once(
    sandbox: Sandbox, raised: dict[str, Any], step: str
) -> None:
    sandbox.extra["crash_after_step"] = step
    with pytest.raises(SimulatedCrash):
        _resolve(sandbox)
    data = _resume(sandbox)
    assert data["workflow"] == "resolve" and data["status"] == "done"
    assert {s["name"]: s["attempts"] for s in data["steps"]}[step] == 1
    _assert_resolved_exactly_once(sandbox, raised)


def test_resolving_again_instead_of_resuming_supersedes_the_partial_run(
    sandbox: Sandbox, raised: dict[str, Any]
) -> None:
    sandbox.emulator.faults.clear()
    sandbox.emulator.faults.add(
        _fault("5xx", "statuspage", "PATCH /v1/pages/{page_id}/incidents/{incident_id}", 1)
    )
    assert _resolve(sandbox).exit_code == 10
    sandbox.emulator.faults.clear()
    result = _resolve(sandbox)
    assert result.exit_code == 0, explain(result)
    _assert_resolved_exactly_once(sandbox, raised)
    statuses = [r["status"] for r in sandbox.json("incident", "journal", "1")["runs"]]
    assert statuses == ["done", "superseded", "done"]
    assert sandbox.json("incident", "resume", code=5)["error"]["code"] == "not_found"


def test_resume_dry_run_lists_the_unfinished_steps_and_changes_nothing(sandbox: Sandbox) -> None:
    url, _, _ = sandbox.thread_url()
    sandbox.emulator.faults.add(_fault("5xx", *RAISE_STEPS["statuspage.create_incident"]))
    raised = sandbox("incident", "raise", MESSAGE, "-p", "P1", "--component", "API", "--thread", url)
    assert raised.exit_code == 10, explain(raised)
    before = (len(sandbox.tracked()), len(sandbox.channels()), len(sandbox.sp_incidents()))
    preview = sandbox.json("incident", "resume", "1", "--dry-run")
    assert preview["dry_run"] is True
    steps = [f"{c['service']}.{c['action']}" for c in preview["changes"]]
    assert steps == ["statuspage.create_incident", "tracker.record_links"]
    assert (len(sandbox.tracked()), len(sandbox.channels()), len(sandbox.sp_incidents())) == before
    assert _resume(sandbox, "1")["status"] == "done"
    _assert_raised_exactly_once(sandbox)


@pytest.mark.backends("opsgenie")  # journals older than the JSM backend
def test_a_raise_journaled_under_the_old_opsgenie_step_names_is_resumed_without_repeating_them(
    sandbox: Sandbox,
) -> None:
    import sqlite3

    sandbox.emulator.faults.add(_fault("5xx", *RAISE_STEPS["slack.invite"]))
    assert _raise(sandbox).exit_code == 10
    # As an earlier version journaled it: the tracker's steps were named `opsgenie.*`.
    with sqlite3.connect(sandbox.state_dir / "journal.sqlite3") as db:
        db.execute("UPDATE steps SET name = REPLACE(name, 'tracker.', 'opsgenie.')")
        db.execute("UPDATE events SET step = REPLACE(step, 'tracker.', 'opsgenie.')")
    preview = sandbox.json("incident", "resume", "1", "--dry-run")
    steps = [f"{c['service']}.{c['action']}" for c in preview["changes"]]
    assert "tracker.create_incident" not in steps and steps[-1] == "tracker.record_links"

    data = _resume(sandbox, "1")
    assert data["status"] == "done"
    _assert_raised_exactly_once(sandbox)
    attempts = {s["name"]: s["attempts"] for s in data["steps"]}
    assert attempts["tracker.create_incident"] == 1 and attempts["slack.invite"] == 2
    assert not [name for name in attempts if name.startswith("opsgenie.")]
