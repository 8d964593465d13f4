"""Where the emulator used to differ from the real services (issue 18, item 1): each test failed before.

Opsgenie's pending request-status polls, Statuspage's explicit nulls, the :00/:30 rounding of rotation and
override times, Slack's `edited` / `bot_id` / `bot_profile` in history and replies and its HTTP 404 for an
unknown method, the "unknown endpoint" answer, the schedule `.ics` export and the Opsgenie alert API.
"""

from __future__ import annotations

from typing import Any

import httpx
import icalendar
import pytest

from oncall_cli.sandbox.emulator import SANDBOX_URLS, Emulator
from oncall_cli.sandbox.opsgenie import OpsgenieEmulator
from oncall_cli.sandbox.statuspage import PAGE_ID

from .conftest import NOW, OG, OG_AUTH, SLACK, SLACK_AUTH, SP, SP_AUTH, FakeClock

SCHEDULE = "Engineering_schedule"


def og(http: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return http.request(method, OG + path, headers=OG_AUTH, **kwargs)


def artsy_id(http: httpx.Client) -> str:
    services = og(http, "GET", "/v1/services").json()["data"]
    return str(next(s["id"] for s in services if s["name"] == "Artsy"))


def polls_until_processed(http: httpx.Client, path: str) -> tuple[int, dict[str, Any]]:
    """How many "not processed yet" answers came before the outcome (bounded), and the outcome."""
    for pending in range(10):
        answer = og(http, "GET", path)
        if answer.status_code == 200:
            return pending, answer.json()["data"]
        assert answer.status_code == 404
        assert answer.headers["X-Opsgenie-Errortype"] == "RequestNotProcessed"
    raise AssertionError(f"{path} never processed")


# ---- Opsgenie: pending request-status polls by default -----------------------------------------------------


def test_async_requests_are_pending_for_a_seeded_random_0_to_2_polls_by_default(
    http: httpx.Client,
) -> None:
    service = artsy_id(http)
    counts = []
    for n in range(12):
        created = og(http, "POST", "/v1/incidents/create", json={"message": f"m{n}", "serviceId": service})
        assert created.status_code == 202
        path = f"/v1/incidents/requests/{created.json()['requestId']}"
        pending, outcome = polls_until_processed(http, path)
        assert outcome["success"] is True
        counts.append(pending)
    assert set(counts) <= {0, 1, 2} and len(set(counts)) > 1
    with Emulator(now=lambda: NOW) as again, again.client() as http2:
        service2 = artsy_id(http2)
        counts2 = []
        for n in range(12):
            created = og(http2, "POST", "/v1/incidents/create",
                         json={"message": f"m{n}", "serviceId": service2})
            path = f"/v1/incidents/requests/{created.json()['requestId']}"
            counts2.append(polls_until_processed(http2, path)[0])
    assert counts2 == counts  # seeded


def test_pending_polls_can_be_fixed(emulator: Emulator, http: httpx.Client) -> None:
    with emulator.locked() as db:
        OpsgenieEmulator.set_pending_polls(db, 0)
    created = og(http, "POST", "/v1/incidents/create", json={"message": "x", "serviceId": artsy_id(http)})
    assert polls_until_processed(http, f"/v1/incidents/requests/{created.json()['requestId']}")[0] == 0
    assert emulator.status()["services"]["opsgenie"]["pending_polls"] == 0


# ---- Statuspage: explicit nulls ---------------------------------------------------------------------------


def test_statuspage_incident_sends_unset_fields_as_null(
    http: httpx.Client, clock: FakeClock
) -> None:
    created = http.post(f"{SP}/v1/pages/{PAGE_ID}/incidents", headers=SP_AUTH,
                        json={"incident": {"name": "Down", "status": "investigating", "body": "Looking"}})
    assert created.status_code == 201
    incident = created.json()
    for field in ("impact_override", "resolved_at", "monitoring_at", "postmortem_body", "scheduled_for",
                  "scheduled_until", "postmortem_published_at", "reminder_intervals"):
        assert field in incident and incident[field] is None, field
    clock.now += 2
    got = http.get(f"{SP}/v1/pages/{PAGE_ID}/incidents/{incident['id']}", headers=SP_AUTH).json()
    assert got["resolved_at"] is None and "impact_override" in got


# ---- Opsgenie: rotation and override times are rounded to :00 / :30 ----------------------------------------


@pytest.mark.parametrize(("sent", "stored"), [
    ("2025-03-03T11:10:00-05:00", "2025-03-03T16:00:00Z"),
    ("2025-03-03T11:15:00-05:00", "2025-03-03T16:30:00Z"),
    ("2025-03-03T11:44:59-05:00", "2025-03-03T16:30:00Z"),
    ("2025-03-03T11:45:00-05:00", "2025-03-03T17:00:00Z"),
])
def test_rotation_start_is_rounded_to_the_nearest_half_hour_as_the_spec_says(
    http: httpx.Client, sent: str, stored: str
) -> None:
    body = {"name": "r", "type": "weekly", "startDate": sent, "participants": [{"type": "none"}]}
    created = og(http, "POST", f"/v2/schedules/{SCHEDULE}/rotations",
                 params={"scheduleIdentifierType": "name"}, json=body)
    assert created.status_code == 201, created.text
    rotation_id = created.json()["data"]["id"]
    got = og(http, "GET", f"/v2/schedules/{SCHEDULE}/rotations/{rotation_id}",
             params={"scheduleIdentifierType": "name"}).json()["data"]
    assert got["startDate"] == stored


def test_override_times_are_rounded_too(http: httpx.Client) -> None:
    user = og(http, "GET", "/v2/users").json()["data"][0]["username"]
    body = {"alias": "round-me", "user": {"type": "user", "username": user},
            "startDate": "2025-03-06T10:05:00Z", "endDate": "2025-03-06T12:20:00Z"}
    created = og(http, "POST", f"/v2/schedules/{SCHEDULE}/overrides",
                 params={"scheduleIdentifierType": "name"}, json=body)
    assert created.status_code == 201, created.text
    got = og(http, "GET", f"/v2/schedules/{SCHEDULE}/overrides/round-me",
             params={"scheduleIdentifierType": "name"}).json()["data"]
    assert (got["startDate"], got["endDate"]) == ("2025-03-06T10:00:00Z", "2025-03-06T12:30:00Z")


# ---- Slack: message fields and unknown methods ------------------------------------------------------------


def slack(http: httpx.Client, method: str, **args: Any) -> dict[str, Any]:
    answer = http.post(f"{SLACK}/{method}", headers=SLACK_AUTH, json=args)
    body: dict[str, Any] = answer.json()
    assert body["ok"], body
    return body


def incidents_channel(http: httpx.Client) -> str:
    channels = slack(http, "conversations.list", limit=100)["channels"]
    return str(next(c["id"] for c in channels if c["name"] == "incidents"))


def test_edited_marker_stays_in_history_and_replies(http: httpx.Client) -> None:
    channel = incidents_channel(http)
    parent = slack(http, "chat.postMessage", channel=channel, text="parent")["ts"]
    reply = slack(http, "chat.postMessage", channel=channel, text="reply", thread_ts=parent)["ts"]
    slack(http, "chat.update", channel=channel, ts=parent, text="parent, edited")
    slack(http, "chat.update", channel=channel, ts=reply, text="reply, edited")
    history = slack(http, "conversations.history", channel=channel, limit=5)["messages"]
    top = next(m for m in history if m["ts"] == parent)
    assert top["edited"]["user"] == "U0ONCALLBOT" and top["edited"]["ts"]
    replies = slack(http, "conversations.replies", channel=channel, ts=parent)["messages"]
    assert [m["ts"] for m in replies] == [parent, reply]
    assert all("edited" in m for m in replies)


def test_replies_carry_bot_id_and_bot_profile(http: httpx.Client) -> None:
    channel = incidents_channel(http)
    parent = slack(http, "chat.postMessage", channel=channel, text="parent")["ts"]
    slack(http, "chat.postMessage", channel=channel, text="reply", thread_ts=parent)
    replies = slack(http, "conversations.replies", channel=channel, ts=parent)["messages"]
    assert len(replies) == 2
    for message in replies:
        assert message["bot_id"] == "B0ONCALLBOT"
        assert message["bot_profile"]["id"] == "B0ONCALLBOT"


def test_unknown_slack_method_is_http_404(http: httpx.Client) -> None:
    answer = http.post(f"{SLACK}/chat.explode", headers=SLACK_AUTH)
    assert answer.status_code == 404
    assert answer.json() == {"ok": False, "error": "unknown_method"}


# ---- what is not emulated: a 404 "unknown endpoint" -------------------------------------------------------


@pytest.mark.parametrize(("url", "auth"), [
    (f"{OG}/v2/heartbeats", OG_AUTH),
    (f"{OG}/v2/schedules/{SCHEDULE}/unknown-thing", OG_AUTH),
    (f"{SP}/v1/pages/{PAGE_ID}/subscribers", SP_AUTH),
    (f"{SANDBOX_URLS['jira']}/rest/api/3/dashboard", {"Authorization": "Basic YTpi"}),
])
def test_an_endpoint_that_is_not_emulated_answers_404_unknown_endpoint(
    http: httpx.Client, url: str, auth: dict[str, str]
) -> None:
    answer = http.get(url, headers=auth)
    assert answer.status_code == 404
    assert answer.headers["X-Sandbox-Unknown-Endpoint"] == "true"
    assert "Unknown endpoint" in answer.text and "not emulated" in answer.text


# ---- Opsgenie: schedule .ics export -----------------------------------------------------------------------


def test_schedule_ics_export_lists_the_shifts(http: httpx.Client) -> None:
    answer = og(http, "GET", f"/v2/schedules/{SCHEDULE}.ics", params={"identifierType": "name"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(answer.content)
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) >= 4
    users = {u["username"] for u in og(http, "GET", "/v2/users", params={"limit": 100}).json()["data"]}
    assert all(str(e["SUMMARY"]).split(" ")[0] in users | {"none"} for e in events)
    assert all(e["DTEND"].dt > e["DTSTART"].dt for e in events)
    by_name = og(http, "GET", f"/v2/schedules/{SCHEDULE}", params={"identifierType": "name"})
    by_id = by_name.json()["data"]["id"]
    assert og(http, "GET", f"/v2/schedules/{by_id}.ics").status_code == 200
    assert og(http, "GET", "/v2/schedules/nope.ics").status_code == 404


# ---- Opsgenie: the alert API ------------------------------------------------------------------------------


def test_alert_create_get_list_count_acknowledge_note_close(emulator: Emulator, http: httpx.Client) -> None:
    with emulator.locked() as db:
        OpsgenieEmulator.set_pending_polls(db, 0)
    created = og(http, "POST", "/v2/alerts", json={"message": "Disk full", "alias": "disk-1",
                                                    "priority": "P2", "tags": ["disk"]})
    assert created.status_code == 202 and created.json()["result"] == "Request will be processed"
    status = og(http, "GET", f"/v2/alerts/requests/{created.json()['requestId']}").json()["data"]
    assert status["success"] and status["action"] == "Create"
    alert_id = status["alertId"]
    alert = og(http, "GET", f"/v2/alerts/{alert_id}").json()["data"]
    assert (alert["message"], alert["alias"], alert["priority"], alert["status"]) == \
        ("Disk full", "disk-1", "P2", "open")
    by_alias = og(http, "GET", "/v2/alerts/disk-1", params={"identifierType": "alias"})
    assert by_alias.json()["data"]["id"] == alert_id
    tiny = alert["tinyId"]
    assert og(http, "GET", f"/v2/alerts/{tiny}", params={"identifierType": "tiny"}).status_code == 200
    listed = og(http, "GET", "/v2/alerts", params={"query": "status:open"}).json()
    assert alert_id in [a["id"] for a in listed["data"]]
    before = og(http, "GET", "/v2/alerts/count", params={"query": "status:open"}).json()["data"]["count"]
    assert og(http, "POST", f"/v2/alerts/{alert_id}/acknowledge", json={"note": "mine"}).status_code == 202
    assert og(http, "GET", f"/v2/alerts/{alert_id}").json()["data"]["acknowledged"] is True
    assert og(http, "POST", f"/v2/alerts/{alert_id}/notes", json={"note": "looking"}).status_code == 202
    notes = og(http, "GET", f"/v2/alerts/{alert_id}/notes").json()["data"]
    assert {"mine", "looking"} <= {n["note"] for n in notes}
    assert og(http, "POST", f"/v2/alerts/{alert_id}/close", json={}).status_code == 202
    assert og(http, "GET", f"/v2/alerts/{alert_id}").json()["data"]["status"] == "closed"
    after = og(http, "GET", "/v2/alerts/count", params={"query": "status:open"}).json()["data"]["count"]
    assert after == before - 1
    assert og(http, "GET", "/v2/alerts/nope").status_code == 404
