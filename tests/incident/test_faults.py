"""Fault injection: fail each step of `raise` and `resolve` in turn (5xx, 429, a dropped connection after the
request was applied, a crash between two steps) and check that `resume` finishes with exactly one of
everything: one Opsgenie incident, one channel, one Statuspage incident, one of each message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oncall_cli.sandbox.faults import Fault
from oncall_cli.services.journal import SimulatedCrash

from .conftest import Sandbox, explain

MESSAGE = "Checkout API returns 500s"
BOT = "U0ONCALLBOT"

# step -> (service, operation, the call of that operation the step makes first)
RAISE_STEPS: dict[str, tuple[str, str, int]] = {
    "opsgenie.create_incident": ("opsgenie", "POST /v1/incidents/create", 1),
    "statuspage.create_incident": ("statuspage", "POST /v1/pages/{page_id}/incidents", 1),
    "slack.create_channel": ("slack", "conversations.create", 1),
    "slack.set_purpose": ("slack", "conversations.setPurpose", 1),
    "slack.invite": ("slack", "conversations.invite", 1),
    "slack.post_opening": ("slack", "chat.postMessage", 1),
    "slack.reply_thread": ("slack", "chat.postMessage", 2),
    "opsgenie.record_links": ("opsgenie", "POST /v1/incidents/{identifier}/details", 1),
}
RESOLVE_STEPS: dict[str, tuple[str, str, int]] = {
    "opsgenie.timeline_entry": ("opsgenie", "POST /v2/incident-timelines/{incidentId}/entries", 1),
    "opsgenie.resolve": ("opsgenie", "POST /v1/incidents/{identifier}/resolve", 1),
    "opsgenie.close_alerts": ("opsgenie", "POST /v2/alerts/{identifier}/close", 1),
    "statuspage.resolve": ("statuspage", "PATCH /v1/pages/{page_id}/incidents/{incident_id}", 1),
    "slack.post_resolved": ("slack", "chat.postMessage", 1),
    "slack.reply_thread": ("slack", "chat.postMessage", 2),
}
KINDS = ("5xx", "429", "drop")


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
    [incident] = sandbox.incidents()
    [channel] = sandbox.channels()
    [sp] = sandbox.sp_incidents()
    assert channel["name"] == "inc-1-checkout-api-returns-500s"
    assert incident["id"] in channel["purpose"]
    details = incident["extraProperties"]
    assert details["slack_channel_id"] == channel["id"]
    assert details["statuspage_incident_id"] == sp["id"]
    assert len(sandbox.sp_updates(sp["id"])) == 1
    assert sandbox.components()["API"] == "major_outage"
    texts = _bot_texts(sandbox, channel["id"])
    assert len([t for t in texts if t.startswith(":rotating_light: Incident #1")]) == 1
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
    sandbox.emulator.faults.add(_fault(kind, *RAISE_STEPS[step]))
    result = _raise(sandbox)
    assert result.exit_code == 10, explain(result)
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "partial"
    details = error["details"]
    assert [f["step"] for f in details["failed"]] == [step]
    assert step in details["not_done"] and step not in details["done"]
    assert "oncall incident resume" in details["resume"] and "resume" in error["hint"]
    if step != "opsgenie.create_incident":
        assert "opsgenie.create_incident" in details["done"]
        assert details["incident"]["number"] == "1"

    data = _resume(sandbox)
    assert data["status"] == "done" and data["workflow"] == "raise" and data["run_id"] == details["run_id"]
    _assert_raised_exactly_once(sandbox)
    steps = {s["name"]: s for s in data["steps"]}
    assert steps[step]["attempts"] >= 2
    assert all(
        s["attempts"] == 1
        for name, s in steps.items()
        if name in details["done"] and name != "opsgenie.record_links"
    )


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
    assert "Done: opsgenie.create_incident" in result.stderr and "Not done: slack.invite" in result.stderr
    assert "oncall incident resume 1" in result.stderr
    data = _resume(sandbox, "1")
    assert data["incident"]["number"] == "1"
    _assert_raised_exactly_once(sandbox)


def test_a_partial_raise_hint_says_to_resume_and_not_to_run_the_command_again(sandbox: Sandbox) -> None:
    sandbox.emulator.faults.add(_fault("5xx", *RAISE_STEPS["statuspage.create_incident"]))
    result = sandbox("incident", "raise", MESSAGE, "-p", "P1", "--component", "API")
    assert result.exit_code == 10, explain(result)
    assert "run the command again" not in result.stderr
    assert "then run `oncall incident resume 1`" in result.stderr
    assert _resume(sandbox, "1")["status"] == "done"
    sandbox.emulator.faults.add(_fault("5xx", *RESOLVE_STEPS["statuspage.resolve"]))
    error = sandbox.json("incident", "resolve", "1", "--note", "Rolled back", code=10)["error"]
    assert error["hint"] == (
        "Check the network and the service's status page, then run `oncall incident resume 1`."
    )


@pytest.mark.parametrize("kind", KINDS)
def test_the_hint_of_a_partial_raise_names_the_resume_command_for_every_kind_of_failure(
    sandbox: Sandbox, kind: str
) -> None:
    sandbox.emulator.faults.add(_fault(kind, *RAISE_STEPS["slack.invite"]))
    result = _raise(sandbox)
    assert result.exit_code == 10, explain(result)
    hint = json.loads(result.stdout)["error"]["hint"]
    assert hint.endswith(", then run `oncall incident resume 1`.") and "again" not in hint


def test_a_failed_branch_does_not_stop_the_other_one(sandbox: Sandbox) -> None:
    sandbox.emulator.faults.add(_fault("5xx", "slack", "conversations.create", 1))
    result = _raise(sandbox)
    assert result.exit_code == 10
    # Statuspage did not wait for Slack, and its link is already on the Opsgenie incident.
    [sp] = sandbox.sp_incidents()
    assert sandbox.incidents()[0]["extraProperties"]["statuspage_incident_id"] == sp["id"]
    assert sandbox.channels() == []


# ---- resolve ------------------------------------------------------------------------------------------


def _resolve(sandbox: Sandbox) -> Any:
    return sandbox("incident", "resolve", "1", "--note", "Rolled back", "--close-alerts", "--json")


def _assert_resolved_exactly_once(sandbox: Sandbox, raised: dict[str, Any]) -> None:
    _, incidents_channel, parent_ts = sandbox.thread_url()
    [incident] = sandbox.incidents()
    assert incident["status"] == "resolved"
    entries = [e["description"]["content"] for e in sandbox.timeline(incident["id"])]
    assert entries == ["Resolved: Rolled back"]
    [alert] = sandbox.emulator.query("SELECT data FROM opsgenie_alerts WHERE alias = ?", (incident["id"],))
    assert json.loads(alert["data"])["status"] == "closed"
    [sp] = sandbox.sp_incidents()
    assert sp["status"] == "resolved"
    assert [u["status"] for u in sandbox.sp_updates(sp["id"])] == ["investigating", "resolved"]
    assert sandbox.components()["API"] == "operational"
    marker = ":white_check_mark: Incident #1 is resolved"
    channel_id = raised["slack"]["channel_id"]
    assert len([t for t in _bot_texts(sandbox, channel_id) if t.startswith(marker)]) == 1
    assert len([t for t in _bot_texts(sandbox, incidents_channel, parent_ts) if t.startswith(marker)]) == 1


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("step", list(RESOLVE_STEPS))
def test_resolve_fails_at_each_step_with_exit_10_and_resume_finishes_it_exactly_once(
    sandbox: Sandbox, raised: dict[str, Any], step: str, kind: str
) -> None:
    sandbox.emulator.faults.clear()  # call numbers count from the resolve
    sandbox.emulator.faults.add(_fault(kind, *RESOLVE_STEPS[step]))
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
    before = (len(sandbox.incidents()), len(sandbox.channels()), len(sandbox.sp_incidents()))
    preview = sandbox.json("incident", "resume", "1", "--dry-run")
    assert preview["dry_run"] is True
    steps = [f"{c['service']}.{c['action']}" for c in preview["changes"]]
    assert steps == ["statuspage.create_incident", "opsgenie.record_links"]
    assert (len(sandbox.incidents()), len(sandbox.channels()), len(sandbox.sp_incidents())) == before
    assert _resume(sandbox, "1")["status"] == "done"
    _assert_raised_exactly_once(sandbox)
