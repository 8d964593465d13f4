"""Every incident command end to end: the real CLI against the sandbox, checking the output and the state of
all three emulated services."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import INCIDENT_BACKENDS
from oncall_cli.clients.opsgenie import OpsgenieClient

from .conftest import Sandbox, explain

MESSAGE = "Checkout API returns 500s"
SANDBOX_OG = "http://sandbox.oncall.invalid/opsgenie"


def _bot_texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if m["user"] == "U0ONCALLBOT"]


# ---- raise --------------------------------------------------------------------------------------------


def test_raise_p1_opens_the_incident_channel_thread_reply_and_statuspage_and_links_them(
    sandbox: Sandbox, raised: dict[str, Any]
) -> None:
    url, incidents_channel, parent_ts = sandbox.thread_url()
    assert set(raised) == {
        "run_id",
        "workflow",
        "status",
        "incident",
        "slack",
        "statuspage",
        "steps",
        "warnings",
        "checklist",
        "dry_run",
    }
    assert raised["status"] == "done" and raised["workflow"] == "raise" and raised["dry_run"] is False
    number = raised["incident"]["number"]
    assert raised["incident"]["priority"] == "P1"
    assert raised["incident"]["url"] == f"{SANDBOX_OG}/incident/detail/{raised['incident']['id']}"

    # Opsgenie: the incident, its description with the thread link, and the links in its details.
    [incident] = sandbox.incidents()
    assert incident["message"] == MESSAGE and incident["priority"] == "P1" and incident["status"] == "open"
    assert url in incident["description"]
    details = incident["extraProperties"]
    channel_id = raised["slack"]["channel_id"]
    sp_id = raised["statuspage"]["incident_id"]
    assert details["slack_channel_id"] == channel_id
    assert details["slack_channel"] == f"inc-{number}-checkout-api-returns-500s"
    assert details["slack_thread"] == url
    assert details["statuspage_incident_id"] == sp_id
    assert details["oncall_run"] == raised["run_id"]

    # Slack: the channel, its purpose, who is in it, the opening message and the reply in the thread.
    [channel] = sandbox.channels()
    assert channel["id"] == channel_id and channel["name"] == details["slack_channel"]
    assert raised["incident"]["url"] in channel["purpose"]
    on_call = sandbox.on_call()
    assert on_call and set(raised["slack"]["invited"]) == set(on_call)
    assert {sandbox.slack_id(e) for e in on_call} <= sandbox.channel_members(channel_id)
    [opening] = _bot_texts(sandbox.messages(channel_id))
    assert opening.startswith(f":rotating_light: Incident #{number}: *{MESSAGE}*")
    assert "P1 (Critical)" in opening and raised["statuspage"]["url"] in opening and url in opening
    assert all(f"<@{sandbox.slack_id(e)}>" in opening for e in on_call)
    [reply] = _bot_texts(sandbox.messages(incidents_channel, thread_ts=parent_ts))
    assert f"<#{channel_id}>" in reply and "continue the discussion there" in reply

    # Statuspage: investigating, critical, the API component in major outage, generic public text.
    [sp] = sandbox.sp_incidents()
    assert sp["id"] == sp_id and sp["status"] == "investigating" and sp["impact"] == "critical"
    assert MESSAGE not in sp["name"] and sp["name"] == "Outage affecting API"
    assert json.loads(sp["metadata"]) == {
        "oncall": {"opsgenie_incident_id": incident["id"], "run": raised["run_id"]}
    }
    [update] = sandbox.sp_updates(sp_id)
    assert MESSAGE not in update["body"] and "API" in update["body"] and update["deliver_notifications"] == 1
    assert sandbox.components()["API"] == "major_outage"
    assert raised["statuspage"]["components"] == {"API": "major_outage"}


def test_raise_p4_by_name_gets_no_statuspage_incident(sandbox: Sandbox) -> None:
    data = sandbox.json("incident", "raise", "Nightly export late", "--priority", "Low")
    assert data["incident"]["priority"] == "P4" and data["statuspage"] is None
    assert sandbox.sp_incidents() == []
    steps = {s["name"]: s["status"] for s in data["steps"]}
    assert steps["statuspage.create_incident"] == "skipped"
    assert "statuspage_incident_id" not in sandbox.incident(data["incident"]["number"])["extraProperties"]


def test_raise_with_public_message_and_without_notifying_subscribers(sandbox: Sandbox) -> None:
    data = sandbox.json(
        "incident",
        "raise",
        "search index corrupt",
        "-p",
        "Moderate",
        "--component",
        "Search",
        "--public-message",
        "Search results may be incomplete.",
        "--no-notify-subscribers",
    )
    [sp] = sandbox.sp_incidents()
    assert sp["impact"] == "minor" and sp["name"] == "Degraded performance of Search"
    [update] = sandbox.sp_updates(sp["id"])
    assert update["body"] == "Search results may be incomplete." and update["deliver_notifications"] == 0
    assert sandbox.components()["Search"] == "degraded_performance"
    assert data["statuspage"]["impact"] == "minor"


def test_no_statuspage_flag_keeps_a_p2_internal(sandbox: Sandbox) -> None:
    data = sandbox.json("incident", "raise", "Queue backlog", "-p", "P2", "--no-statuspage")
    assert data["statuspage"] is None and sandbox.sp_incidents() == []


def test_responders_are_paged_in_opsgenie_and_invited_and_anyone_not_in_slack_is_reported(
    sandbox: Sandbox,
) -> None:
    # An Opsgenie user who has no Slack account.
    with sandbox.emulator.client() as http:
        OpsgenieClient(http, api_key="k", base_url=SANDBOX_OG).create_user(
            username="contractor@example.com", full_name="Con Tractor"
        )
    expert = sandbox.emulator.query(
        "SELECT email FROM slack_users WHERE email IS NOT NULL ORDER BY seq LIMIT 1 OFFSET 20"
    )[0]["email"]
    data = sandbox.json(
        "incident",
        "raise",
        "Payments timeouts",
        "-p",
        "P3",
        "--no-statuspage",
        "--responder",
        expert,
        "--responder",
        "contractor@example.com",
    )
    assert data["slack"]["not_found"] == ["contractor@example.com"]
    assert any("contractor@example.com" in w for w in data["warnings"])
    assert expert in data["slack"]["invited"]
    incident = sandbox.incident(data["incident"]["number"])
    users = {r["id"] for r in incident["responders"]}
    ids = {
        r["id"]
        for r in sandbox.emulator.query(
            "SELECT id FROM opsgenie_users WHERE username IN (?, ?)", (expert, "contractor@example.com")
        )
    }
    assert users == ids
    assert sandbox.slack_id(expert) in sandbox.channel_members(data["slack"]["channel_id"])


def test_an_unknown_responder_is_refused_before_anything_is_created(sandbox: Sandbox) -> None:
    data = sandbox.json("incident", "raise", "x", "-p", "P3", "--responder", "nobody@example.com", code=5)
    assert data["error"]["message"] == "--responder: no Opsgenie user nobody@example.com"
    assert sandbox.incidents() == [] and sandbox.channels() == []


@pytest.mark.backends(*INCIDENT_BACKENDS)
def test_assign_refuses_an_unknown_commander_or_comms_and_changes_nothing(sandbox: Sandbox) -> None:
    raised = sandbox.json("incident", "raise", "x", "-p", "P3", "--no-statuspage")
    ref = raised["incident"]["number"]
    data = sandbox.json("incident", "assign", ref, "--commander", "nobody@example.com", code=5)
    assert data["error"]["message"].startswith("--commander: no ")
    assert "nobody@example.com" in data["error"]["message"]
    commander = sandbox.json("incident", "show", ref)["roles"]["commander"]
    assert commander is None
    data = sandbox.json(
        "incident", "assign", ref, "--commander", sandbox.on_call()[0], "--comms", "typo@example.com", code=5
    )
    message = data["error"]["message"]
    assert message.startswith("--comms: no ") and "typo@example.com" in message


def test_raising_the_same_message_within_10_minutes_needs_force(sandbox: Sandbox) -> None:
    first = sandbox.json("incident", "raise", MESSAGE, "-p", "P3", "--no-statuspage")
    sandbox.clock.advance(300)
    refused = sandbox.json("incident", "raise", MESSAGE.lower(), "-p", "P3", "--no-statuspage", code=2)
    assert "within the last 10 minutes" in refused["error"]["message"]
    assert f"incident #{first['incident']['number']}" in refused["error"]["message"]
    assert "--force" in refused["error"]["hint"]
    assert len(sandbox.incidents()) == 1
    second = sandbox.json("incident", "raise", MESSAGE, "-p", "P3", "--no-statuspage", "--force")
    assert second["incident"]["number"] != first["incident"]["number"]
    assert len(sandbox.incidents()) == 2 and len(sandbox.channels()) == 2


def test_the_duplicate_question_is_asked_on_a_terminal(sandbox: Sandbox, monkeypatch: Any) -> None:
    from oncall_cli.cli import common

    sandbox.json("incident", "raise", MESSAGE, "-p", "P3", "--no-statuspage")
    monkeypatch.setattr(common, "stdin_is_terminal", lambda: True)
    result = sandbox("incident", "raise", MESSAGE, "-p", "P3", "--no-statuspage", input="n\n")
    assert result.exit_code == 2, explain(result)
    assert "Raise another incident anyway?" in result.stderr
    assert len(sandbox.incidents()) == 1
    result = sandbox("incident", "raise", MESSAGE, "-p", "P3", "--no-statuspage", input="y\n")
    assert result.exit_code == 0, explain(result)
    assert len(sandbox.incidents()) == 2


def test_after_10_minutes_the_same_message_is_raised_without_asking(sandbox: Sandbox) -> None:
    sandbox.json("incident", "raise", MESSAGE, "-p", "P3", "--no-statuspage")
    sandbox.clock.advance(11 * 60)
    sandbox.json("incident", "raise", MESSAGE, "-p", "P3", "--no-statuspage")
    assert len(sandbox.incidents()) == 2


def test_a_taken_channel_name_gets_a_suffix(sandbox: Sandbox) -> None:
    from oncall_cli.clients.slack import SlackClient

    with sandbox.emulator.client() as http:
        SlackClient(http, token="t", base_url="http://sandbox.oncall.invalid/slack").conversations_create(
            name="inc-1-checkout-api-returns-500s"
        )
    sandbox.clock.advance(3600)
    data = sandbox.json("incident", "raise", MESSAGE, "-p", "P3", "--no-statuspage")
    assert data["slack"]["channel_name"] == "inc-1-checkout-api-returns-500s-2"
    assert [c["name"] for c in sandbox.channels()] == [
        "inc-1-checkout-api-returns-500s",
        "inc-1-checkout-api-returns-500s-2",
    ]


def test_raise_dry_run_prints_the_changes_and_makes_none(sandbox: Sandbox) -> None:
    url, _, _ = sandbox.thread_url()
    data = sandbox.json(
        "incident", "raise", MESSAGE, "-p", "P1", "--component", "API", "--thread", url, "--dry-run"
    )
    assert data["dry_run"] is True
    actions = [(c["service"], c["action"]) for c in data["changes"]]
    assert actions == [
        ("opsgenie", "create incident"),
        ("slack", "create channel"),
        ("slack", "set purpose"),
        ("slack", "invite"),
        ("slack", "post opening message"),
        ("slack", "reply in thread"),
        ("statuspage", "create incident"),
        ("opsgenie", "add details"),
    ]
    assert data["changes"][1]["target"] == "inc-<number>-checkout-api-returns-500s"
    assert data["changes"][6]["data"]["components"] == {"API": "major_outage"}
    assert sandbox.incidents() == [] and sandbox.channels() == [] and sandbox.sp_incidents() == []
    assert not (sandbox.state_dir / "journal.sqlite3").exists()


def test_raise_human_output_lists_every_link(sandbox: Sandbox) -> None:
    result = sandbox("incident", "raise", MESSAGE, "-p", "P1", "--component", "API")
    assert result.exit_code == 0, explain(result)
    for part in (
        "Incident #1",
        "Opsgenie:",
        "Slack:",
        "#inc-1-checkout-api-returns-500s",
        "Statuspage:",
        "https://stspg.io/",
    ):
        assert part in result.stdout
    assert "SANDBOX" in result.stderr


# ---- bad input ----------------------------------------------------------------------------------------


def test_bad_input_is_one_line_naming_the_flag_and_exit_2(sandbox: Sandbox) -> None:
    for args, flag in [
        (["incident", "raise", "x", "-p", "P9"], "--priority"),
        (["incident", "raise", "x", "-p", "P1", "--thread", "https://example.com/nope"], "--thread"),
        (["incident", "raise", "x", "-p", "P5", "--statuspage"], "--statuspage"),
        (["incident", "raise", "x", "-p", "P1", "--responder", "not-an-email"], "--responder"),
        (["incident", "list", "--status", "weird"], "--status"),
        (["status", "update", "1", "--status", "fixed", "--message", "m"], "--status"),
    ]:
        result = sandbox(*args)
        assert result.exit_code == 2, explain(result)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and errors[0].startswith(f"error: {flag}: "), explain(result)
        assert "Traceback" not in result.stderr
    assert sandbox.incidents() == []


def test_a_missing_required_flag_is_a_usage_error_naming_it(sandbox: Sandbox) -> None:
    result = sandbox("incident", "raise", "x")
    assert result.exit_code == 2 and "--priority" in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_component_stops_before_anything_is_created(sandbox: Sandbox) -> None:
    data = sandbox.json("incident", "raise", MESSAGE, "-p", "P1", "--component", "Nope", code=5)
    assert data["error"]["code"] == "not_found" and "--component" in data["error"]["message"]
    assert "Website" in data["error"]["message"]
    assert sandbox.incidents() == [] and sandbox.channels() == []


def test_an_unknown_incident_is_not_found(sandbox: Sandbox) -> None:
    data = sandbox.json("incident", "show", "999", code=5)
    assert data["error"]["code"] == "not_found" and "999" in data["error"]["message"]


# ---- roles, people, notes, priority -------------------------------------------------------------------


def _emails(sandbox: Sandbox, n: int) -> list[str]:
    rows = sandbox.emulator.query("SELECT email FROM slack_users WHERE email IS NOT NULL ORDER BY seq")
    return [r["email"] for r in rows][-n:]


def test_assign_records_roles_in_the_timeline_and_details_and_posts_them_once(
    sandbox: Sandbox, raised: dict[str, Any]
) -> None:
    commander, comms = _emails(sandbox, 2)
    number = raised["incident"]["number"]
    data = sandbox.json("incident", "assign", number, "--commander", commander, "--comms", comms)
    # The roles in the channel and in the #incidents thread that reported it.
    assert data["done"] == [
        "tracker.timeline_entry",
        "slack.post_roles",
        "slack.reply_thread",
        "tracker.details",
    ]
    incident = sandbox.incident(number)
    assert incident["extraProperties"]["commander"] == commander
    assert incident["extraProperties"]["comms"] == comms
    [entry] = sandbox.timeline(incident["id"])
    assert entry["description"]["content"] == (
        f"Roles assigned: incident commander {commander}, communications {comms}."
    )
    roles = [t for t in _bot_texts(sandbox.messages(raised["slack"]["channel_id"])) if "Roles" in t]
    assert roles == [
        f":busts_in_silhouette: Roles: *Incident commander:* <@{sandbox.slack_id(commander)}>  "
        f"*Communications:* <@{sandbox.slack_id(comms)}>"
    ]

    again = sandbox.json("incident", "assign", number, "--commander", commander, "--comms", comms)
    assert again["done"] == [] and again["skipped"] == ["roles already assigned"]
    assert len(sandbox.timeline(incident["id"])) == 1
    assert len([t for t in _bot_texts(sandbox.messages(raised["slack"]["channel_id"])) if "Roles" in t]) == 1


def test_responder_add_pages_them_in_opsgenie_and_invites_them_once(
    sandbox: Sandbox, raised: dict[str, Any]
) -> None:
    [expert] = _emails(sandbox, 1)
    number = raised["incident"]["number"]
    data = sandbox.json("incident", "responder", "add", number, expert, "--note", "database expert")
    assert data["done"] == ["tracker.add_responder", "slack.invite"]
    user_id = sandbox.emulator.query("SELECT id FROM opsgenie_users WHERE username = ?", (expert,))[0]["id"]
    assert {"type": "user", "id": user_id} in sandbox.incident(number)["responders"]
    assert sandbox.slack_id(expert) in sandbox.channel_members(raised["slack"]["channel_id"])
    again = sandbox.json("incident", "responder", "add", number, expert)
    assert again["done"] == [] and set(again["skipped"]) == {"tracker.add_responder", "slack.invite"}
    assert [r["id"] for r in sandbox.incident(number)["responders"]].count(user_id) == 1


def test_stakeholder_add_records_them_without_paging_and_invites_them(
    sandbox: Sandbox, raised: dict[str, Any]
) -> None:
    [person] = _emails(sandbox, 1)
    number = raised["incident"]["number"]
    data = sandbox.json("incident", "stakeholder", "add", number, person)
    assert data["done"] == ["tracker.timeline_entry", "slack.invite", "tracker.details"]
    incident = sandbox.incident(number)
    assert incident["extraProperties"]["stakeholders"] == person
    assert incident["responders"] == []
    assert sandbox.slack_id(person) in sandbox.channel_members(raised["slack"]["channel_id"])
    sandbox.json("incident", "stakeholder", "add", number, person)
    assert len(sandbox.timeline(incident["id"])) == 1


def test_note_at_a_past_time_goes_in_the_timeline_and_the_channel_once(
    sandbox: Sandbox, raised: dict[str, Any]
) -> None:
    number = raised["incident"]["number"]
    data = sandbox.json(
        "incident", "note", number, "Rolled back the 09:05 deploy", "--at", "09:20", "--slack"
    )
    assert data["done"] == ["tracker.timeline_entry", "slack.post_note"]
    [entry] = sandbox.timeline(raised["incident"]["id"])
    assert entry["eventTime"] == "2025-03-05T14:20:00.000Z"  # 09:20 in New York
    assert entry["description"]["content"] == "Rolled back the 09:05 deploy"
    notes = [t for t in _bot_texts(sandbox.messages(raised["slack"]["channel_id"])) if "Timeline note" in t]
    assert len(notes) == 1 and "Rolled back the 09:05 deploy" in notes[0]
    sandbox.json("incident", "note", number, "Rolled back the 09:05 deploy", "--at", "09:20", "--slack")
    assert len(sandbox.timeline(raised["incident"]["id"])) == 1


def test_a_note_in_the_future_is_refused(sandbox: Sandbox, raised: dict[str, Any]) -> None:
    data = sandbox.json(
        "incident", "note", raised["incident"]["number"], "later", "--at", "2025-03-06T10:00Z", code=2
    )
    assert data["error"]["message"].startswith("--at: ")


def test_priority_change_updates_opsgenie_statuspage_impact_and_tells_the_channel(
    sandbox: Sandbox, raised: dict[str, Any]
) -> None:
    number = raised["incident"]["number"]
    data = sandbox.json("incident", "priority", number, "P2")
    assert data["done"] == [
        "statuspage.impact",
        "statuspage.components",
        "slack.post_priority",
        "slack.reply_thread",
        "tracker.priority",
    ]
    assert sandbox.incident(number)["priority"] == "P2"
    [sp] = sandbox.sp_incidents()
    assert sp["impact"] == "major" and sp["impact_override"] == "major"
    assert sandbox.components()["API"] == "partial_outage"
    assert data["statuspage"]["components"] == {"API": "partial_outage"}
    assert len(sandbox.sp_updates(sp["id"])) == 1  # an impact change posts no public update
    assert any(
        "from P1 (Critical) to P2 (High)" in t
        for t in _bot_texts(sandbox.messages(raised["slack"]["channel_id"]))
    )
    again = sandbox.json("incident", "priority", number, "High")
    assert again["done"] == []


def test_lowering_to_p4_warns_that_the_statuspage_incident_stays_open(
    sandbox: Sandbox, raised: dict[str, Any]
) -> None:
    data = sandbox.json("incident", "priority", raised["incident"]["number"], "P4")
    assert any("not public" in w for w in data["warnings"])
    assert sandbox.sp_incidents()[0]["impact"] == "none"


# ---- public status updates ----------------------------------------------------------------------------


def test_status_update_posts_a_public_update_with_component_statuses_once(
    sandbox: Sandbox, raised: dict[str, Any]
) -> None:
    number = raised["incident"]["number"]
    args = (
        "status",
        "update",
        number,
        "--status",
        "identified",
        "--message",
        "We found the cause.",
        "--component",
        "API=partial_outage",
        "--no-notify",
    )
    data = sandbox.json(*args)
    assert data["done"] == ["statuspage.post_update"]
    assert data["statuspage"]["status"] == "identified"
    updates = sandbox.sp_updates(raised["statuspage"]["incident_id"])
    assert [(u["status"], u["body"], u["deliver_notifications"]) for u in updates][-1] == (
        "identified",
        "We found the cause.",
        0,
    )
    assert sandbox.components()["API"] == "partial_outage"
    again = sandbox.json(*args)
    assert again["done"] == [] and len(sandbox.sp_updates(raised["statuspage"]["incident_id"])) == 2


def test_status_update_opens_the_statuspage_incident_on_demand_and_links_it(sandbox: Sandbox) -> None:
    raised = sandbox.json("incident", "raise", "Login slow", "-p", "P2", "--no-statuspage")
    number = raised["incident"]["number"]
    data = sandbox.json(
        "status",
        "update",
        number,
        "--status",
        "investigating",
        "--message",
        "Some customers cannot log in.",
        "--component",
        "Website=partial_outage",
    )
    assert data["done"] == ["statuspage.create_incident", "tracker.details"]
    [sp] = sandbox.sp_incidents()
    assert sp["impact"] == "major" and sp["name"] == "Disruption affecting Website"
    assert sandbox.incident(number)["extraProperties"]["statuspage_incident_id"] == sp["id"]
    assert sandbox.components()["Website"] == "partial_outage"
    sandbox.json(
        "status",
        "update",
        number,
        "--status",
        "investigating",
        "--message",
        "Some customers cannot log in.",
        "--component",
        "Website=partial_outage",
    )
    assert len(sandbox.sp_incidents()) == 1


def test_status_update_of_an_internal_incident_is_refused(sandbox: Sandbox) -> None:
    raised = sandbox.json("incident", "raise", "Cron lag", "-p", "P4")
    data = sandbox.json(
        "status",
        "update",
        raised["incident"]["number"],
        "--status",
        "investigating",
        "--message",
        "m",
        code=2,
    )
    assert "not public" in data["error"]["message"] and sandbox.sp_incidents() == []


def test_status_update_dry_run_changes_nothing(sandbox: Sandbox, raised: dict[str, Any]) -> None:
    data = sandbox.json(
        "status",
        "update",
        raised["incident"]["number"],
        "--status",
        "monitoring",
        "--message",
        "A fix is deployed.",
        "--dry-run",
    )
    assert data["dry_run"] is True and data["changes"][0]["action"] == "post update"
    assert len(sandbox.sp_updates(raised["statuspage"]["incident_id"])) == 1


# ---- resolve and close --------------------------------------------------------------------------------


def test_resolve_finishes_everywhere_and_prints_the_checklist(
    sandbox: Sandbox, raised: dict[str, Any]
) -> None:
    _, incidents_channel, parent_ts = sandbox.thread_url()
    number = raised["incident"]["number"]
    incident_id = raised["incident"]["id"]
    data = sandbox.json(
        "incident",
        "resolve",
        number,
        "--note",
        "Rolled back; error rate normal",
        "--close-alerts",
        "--statuspage-message",
        "All systems are back to normal.",
    )
    assert data["workflow"] == "resolve" and data["status"] == "done"
    assert data["incident"]["status"] == "resolved"
    assert [c["id"] for c in data["checklist"]] == ["postmortem", "review", "playbooks", "reclaim"]
    assert data["checklist"][0]["due"] == "2025-03-07"

    assert sandbox.incident(number)["status"] == "resolved"
    assert [e["description"]["content"] for e in sandbox.timeline(incident_id)] == [
        "Resolved: Rolled back; error rate normal"
    ]
    [alert] = sandbox.emulator.query("SELECT data FROM opsgenie_alerts WHERE alias = ?", (incident_id,))
    assert json.loads(alert["data"])["status"] == "closed"
    [sp] = sandbox.sp_incidents()
    assert sp["status"] == "resolved"
    assert sandbox.sp_updates(sp["id"])[-1]["body"] == "All systems are back to normal."
    assert sandbox.components()["API"] == "operational"
    channel_texts = _bot_texts(sandbox.messages(raised["slack"]["channel_id"]))
    assert (
        channel_texts[-1]
        == f":white_check_mark: Incident #{number} is resolved: Rolled back; error rate normal"
    )
    thread = _bot_texts(sandbox.messages(incidents_channel, thread_ts=parent_ts))
    assert thread[-1].startswith(f":white_check_mark: Incident #{number} is resolved")

    # Safe to run twice: nothing is posted or resolved again.
    again = sandbox.json("incident", "resolve", number, "--note", "Rolled back; error rate normal")
    assert again["status"] == "done"
    assert len(sandbox.timeline(incident_id)) == 1
    assert len(sandbox.sp_updates(sp["id"])) == 2
    assert len(_bot_texts(sandbox.messages(raised["slack"]["channel_id"]))) == len(channel_texts)
    assert len(_bot_texts(sandbox.messages(incidents_channel, thread_ts=parent_ts))) == len(thread)


def test_resolve_dry_run_lists_the_changes(sandbox: Sandbox, raised: dict[str, Any]) -> None:
    data = sandbox.json("incident", "resolve", raised["incident"]["number"], "--note", "ok", "--dry-run")
    assert [(c["service"], c["action"]) for c in data["changes"]] == [
        ("opsgenie", "add timeline entry"),
        ("opsgenie", "resolve incident"),
        ("statuspage", "resolve incident"),
        ("slack", "post message"),
        ("slack", "reply in thread"),
    ]
    assert sandbox.incident(raised["incident"]["number"])["status"] == "open"


def test_resolve_human_output_prints_the_follow_up_checklist(
    sandbox: Sandbox, raised: dict[str, Any]
) -> None:
    result = sandbox("incident", "resolve", raised["incident"]["number"], "--note", "fixed")
    assert result.exit_code == 0, explain(result)
    assert (
        "Follow-ups" in result.stdout
        and "postmortem" in result.stdout
        and "(due 2025-03-07)" in result.stdout
    )


def test_close_a_report_that_is_not_an_incident_with_the_friendly_reply_once(sandbox: Sandbox) -> None:
    url, incidents_channel, parent_ts = sandbox.thread_url()
    raised = sandbox.json("incident", "raise", "Please add CSV export", "-p", "P5", "--thread", url)
    number = raised["incident"]["number"]
    args = (
        "incident",
        "close",
        number,
        "--reason",
        "feature request",
        "--ticket",
        "https://jira.example/X-1",
    )
    data = sandbox.json(*args)
    assert data["done"] == ["tracker.close", "slack.reply_thread"] and data["warnings"] == []
    assert sandbox.incident(number)["status"] == "closed"
    replies = [
        t
        for t in _bot_texts(sandbox.messages(incidents_channel, thread_ts=parent_ts))
        if "outside the scope" in t
    ]
    assert len(replies) == 1
    assert replies[0].startswith(
        "This falls outside the scope of immediate support, so I've opened a ticket "
        "for you. You can talk to the team PM about prioritization."
    )
    assert "https://jira.example/X-1" in replies[0]
    again = sandbox.json(*args)
    assert again["done"] == []
    assert (
        len(
            [
                t
                for t in _bot_texts(sandbox.messages(incidents_channel, thread_ts=parent_ts))
                if "outside the scope" in t
            ]
        )
        == 1
    )


@pytest.mark.backends("opsgenie", "pagerduty")  # JSM: a resolved work item stays resolved (not canceled)
def test_closing_a_resolved_incident_keeps_the_reason_once(sandbox: Sandbox) -> None:
    """`close` after `resolve` records why, as every tracker does (on PagerDuty, whose resolution is already
    written, a note); closing again writes nothing more."""
    number = sandbox.json("incident", "raise", "Please add CSV export", "-p", "P5")["incident"]["number"]
    sandbox.json("incident", "resolve", number, "--note", "ok")
    close = ("incident", "close", number, "--reason", "feature request")
    assert sandbox.json(*close)["done"] == ["tracker.close"]
    assert sandbox.json(*close)["done"] == []
    shown = sandbox.json("incident", "show", number)
    assert json.dumps(shown).count("Not an incident: feature request") == 1, shown
    assert shown["incident"]["status"] == "closed", shown


def _close_replies(sandbox: Sandbox) -> list[str]:
    _, incidents_channel, parent_ts = sandbox.thread_url()
    texts = _bot_texts(sandbox.messages(incidents_channel, thread_ts=parent_ts))
    return [t for t in texts if "outside the scope" in t]


def test_closing_two_reports_of_one_thread_replies_once_for_each(sandbox: Sandbox) -> None:
    url, _, _ = sandbox.thread_url()
    first = sandbox.json("incident", "raise", "Please add CSV export", "-p", "P5", "--thread", url)
    second = sandbox.json("incident", "raise", "Please add dark mode", "-p", "P5", "--thread", url)
    for raised, ticket in ((first, "https://jira.example/X-1"), (second, "https://jira.example/X-2")):
        data = sandbox.json(
            "incident",
            "close",
            raised["incident"]["number"],
            "--reason",
            "feature request",
            "--ticket",
            ticket,
        )
        assert data["done"] == ["tracker.close", "slack.reply_thread"]
    replies = _close_replies(sandbox)
    assert len(replies) == 2
    assert "https://jira.example/X-1" in replies[0] and replies[0].endswith("incident #1)")
    assert "https://jira.example/X-2" in replies[1] and replies[1].endswith("incident #2)")
    again = sandbox.json(
        "incident", "close", "2", "--reason", "feature request", "--ticket", "https://jira.example/X-2"
    )
    assert again["done"] == [] and len(_close_replies(sandbox)) == 2


def test_close_without_a_ticket_asks_the_reporter_to_open_one_and_warns(sandbox: Sandbox) -> None:
    url, _, _ = sandbox.thread_url()
    sandbox.json("incident", "raise", "Please add CSV export", "-p", "P5", "--thread", url)
    result = sandbox("incident", "close", "1", "--reason", "feature request")
    assert result.exit_code == 0, explain(result)
    assert "warning: no --ticket given" in result.stderr
    [reply] = _close_replies(sandbox)
    assert reply.startswith(
        "This falls outside the scope of immediate support. Please open a ticket for it, and you can talk "
        "to the team PM about prioritization."
    )
    assert "opened a ticket" not in reply and "feature request" in reply
    [note] = sandbox.emulator.query("SELECT data FROM opsgenie_incident_notes")
    assert json.loads(note["data"])["note"] == "Not an incident: feature request"


# ---- list, show, postmortem, journal ------------------------------------------------------------------


def test_list_filters_by_status_and_date(sandbox: Sandbox, raised: dict[str, Any]) -> None:
    other = sandbox.json("incident", "raise", "Old thing", "-p", "P4")
    sandbox.json("incident", "resolve", other["incident"]["number"], "--note", "done")
    every = sandbox.json("incident", "list")["incidents"]
    assert [i["number"] for i in every] == [other["incident"]["number"], raised["incident"]["number"]]
    assert set(every[0]) == {
        "id",
        "number",
        "message",
        "priority",
        "status",
        "created_at",
        "url",
        "slack_channel",
        "statuspage_incident_id",
    }
    open_ = sandbox.json("incident", "list", "--status", "open")["incidents"]
    assert [i["number"] for i in open_] == [raised["incident"]["number"]]
    assert open_[0]["statuspage_incident_id"] == raised["statuspage"]["incident_id"]
    assert sandbox.json("incident", "list", "--status", "resolved")["incidents"][0]["message"] == "Old thing"
    assert sandbox.json("incident", "list", "--since", "2025-03-06")["incidents"] == []
    assert len(sandbox.json("incident", "list", "--since", "2025-03-05")["incidents"]) == 2


def test_show_gathers_roles_responders_timeline_channel_and_statuspage(
    sandbox: Sandbox, raised: dict[str, Any]
) -> None:
    commander, expert = _emails(sandbox, 2)
    number = raised["incident"]["number"]
    sandbox.json("incident", "assign", number, "--commander", commander)
    sandbox.json("incident", "responder", "add", number, expert)
    sandbox.json("incident", "note", number, "Rolled back")
    data = sandbox.json("incident", "show", number)
    assert set(data) == {
        "incident",
        "description",
        "created_at",
        "updated_at",
        "roles",
        "responders",
        "stakeholders",
        "slack",
        "statuspage",
        "timeline",
        "details",
        "warnings",
        "followups",
        "timezone",
        "alerts",
    }
    assert data["alerts"] == []  # none linked
    assert data["roles"] == {"commander": commander, "comms": None}
    # Who the tracker pages, then the people raise invited (the on-call engineers).
    assert data["responders"][0] == expert and set(sandbox.on_call()) <= set(data["responders"])
    assert [t["text"] for t in data["timeline"]][-1] == "Rolled back"
    assert data["slack"]["channel_name"] == f"inc-{number}-checkout-api-returns-500s"
    assert data["statuspage"]["status"] == "investigating" and data["statuspage"]["components"] == {
        "API": "major_outage"
    }
    human = sandbox("incident", "show", number)
    assert human.exit_code == 0 and "Rolled back" in human.stdout and commander in human.stdout


def test_postmortem_draft_from_details_and_timeline(
    sandbox: Sandbox, raised: dict[str, Any], tmp_path: Path
) -> None:
    number = raised["incident"]["number"]
    sandbox.json("incident", "note", number, "Deploy rolled back", "--at", "09:50")
    sandbox.clock.advance(1800)
    sandbox.json("incident", "resolve", number, "--note", "Error rate normal")
    target = tmp_path / "pm.md"
    data = sandbox.json("incident", "postmortem", number, "--output", str(target))
    assert data["path"] == str(target)
    markdown = target.read_text()
    assert markdown == data["markdown"]
    assert f"# Postmortem: {MESSAGE} (incident #{number})" in markdown
    assert "| 2025-03-05 14:50 UTC | Deploy rolled back |" in markdown
    assert "Resolved: Error rate normal" in markdown and "- Duration: 30 min" in markdown
    assert "## Root cause" in markdown and "## Follow-ups" in markdown
    refused = sandbox.json("incident", "postmortem", number, "--output", str(target), code=2)
    assert "--force" in refused["error"]["hint"]
    stdout = sandbox("incident", "postmortem", number)
    assert stdout.exit_code == 0 and stdout.stdout.startswith("# Postmortem:")


def test_journal_shows_the_steps_of_each_run(sandbox: Sandbox, raised: dict[str, Any]) -> None:
    number = raised["incident"]["number"]
    sandbox.json("incident", "resolve", number, "--note", "ok")
    data = sandbox.json("incident", "journal", number)
    assert data["path"] == str(sandbox.state_dir / "journal.sqlite3")
    assert [r["workflow"] for r in data["runs"]] == ["resolve", "raise"]
    raise_run = data["runs"][1]
    assert set(raise_run) == {
        "run_id",
        "workflow",
        "status",
        "incident_id",
        "incident_number",
        "message",
        "created_at",
        "updated_at",
        "error",
        "steps",
    }
    assert [s["name"] for s in raise_run["steps"]] == [s["name"] for s in raised["steps"]]
    assert all(s["status"] == "done" for s in raise_run["steps"])
    human = sandbox("incident", "journal")
    assert human.exit_code == 0 and "tracker.create_incident" in human.stdout


def test_resume_with_nothing_unfinished_says_so(sandbox: Sandbox, raised: dict[str, Any]) -> None:
    data = sandbox.json("incident", "resume", code=5)
    assert "Nothing to resume" in data["error"]["message"]
    again = sandbox.json("incident", "resume", raised["incident"]["number"])
    assert again["status"] == "done" and "already finished" in again["warnings"][0]
    assert len(sandbox.incidents()) == 1


def test_the_opsgenie_request_is_waited_for_before_reading_the_number(sandbox: Sandbox) -> None:
    from oncall_cli.sandbox.opsgenie import OpsgenieEmulator

    with sandbox.emulator.locked() as db:
        OpsgenieEmulator.set_pending_polls(db, 3)
    data = sandbox.json("incident", "raise", "Slow", "-p", "P4")
    assert data["incident"]["number"] == "1"
    polls = [c for c in sandbox.emulator.calls if c.operation == "GET /v1/incidents/requests/{requestId}"]
    assert [c.status for c in polls][:4] == [404, 404, 404, 200]
