"""The exact requests `whoisoncall`, `--update-topic` and the reports send, against respx routers that answer
with vendor-shaped bodies (no sandbox): one timeline call per schedule addressed by name, user records for
the time zones, the topic write only when needed, and the incident search queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from typer.testing import CliRunner, Result

from conftest import config_file
from oncall_cli.cli.main import app
from oncall_cli.services.context import Deps

from .conftest import ENV

NOW = datetime(2027, 2, 1, 15, 0, tzinfo=UTC)  # Monday 10:00 EST
OG = "https://api.opsgenie.com"
SLACK = "https://slack.com/api"
ADA, GRACE, ALAN = "ada@example.com", "grace@example.com", "alan@example.com"


def ok(data: Any, **extra: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "took": 0.01, "requestId": "3f7a1c9e-0001", **extra})


def user(username: str, name: str, tz: str) -> dict[str, Any]:
    return {
        "id": f"id-{username}",
        "username": username,
        "fullName": name,
        "timeZone": tz,
        "role": {"id": "User", "name": "User"},
        "blocked": False,
        "verified": True,
    }


def period(start: str, end: str, who: str | None, kind: str = "default") -> dict[str, Any]:
    recipient = {"id": f"id-{who}", "type": "user", "name": who} if who else {"type": "none", "name": "none"}
    return {"startDate": start, "endDate": end, "type": kind, "recipient": recipient}


TIMELINE = {
    "_parent": {"id": "d875alp4-9b4e", "name": "Engineering_schedule", "enabled": True},
    "startDate": "2027-01-25T15:00:00Z",
    "endDate": "2027-03-08T15:00:00Z",
    "finalTimeline": {
        "rotations": [
            {
                "id": "r-a",
                "name": "rot-a",
                "order": 1.0,
                "periods": [
                    period("2027-01-25T16:00:00Z", "2027-02-01T16:00:00Z", ADA),
                    period("2027-02-01T16:00:00Z", "2027-02-03T17:00:00Z", GRACE, "override"),
                    period("2027-02-03T17:00:00Z", "2027-02-08T16:00:00Z", GRACE),
                    period("2027-02-08T16:00:00Z", "2027-02-15T16:00:00Z", ALAN),
                ],
            },
            {
                "id": "r-b",
                "name": "rot-b",
                "order": 2.0,
                "periods": [
                    period("2027-01-27T16:00:00Z", "2027-02-03T16:00:00Z", None),
                    period("2027-02-03T16:00:00Z", "2027-02-10T16:00:00Z", ALAN),
                ],
            },
            {"id": "r-h", "name": "Holiday-a", "order": 3.0, "periods": []},
        ]
    },
}
USERS = {
    ADA: user(ADA, "Ada Lovelace", "Europe/London"),
    GRACE: user(GRACE, "Grace Hopper", "America/Chicago"),
    ALAN: user(ALAN, "Alan Turing", "Asia/Tokyo"),
}


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    # assert_all_mocked (the default): any request without a route fails the test.
    mock = respx.MockRouter(assert_all_called=False)
    yield mock


def run(router: respx.MockRouter, tmp_path: Path, *args: str) -> Result:
    deps = Deps(transport=httpx.MockTransport(router.handler), now=lambda: NOW, sleep=lambda s: None, env=ENV)
    return CliRunner().invoke(app, ["--config", config_file(tmp_path / "none.toml"), *args], obj=deps)


def opsgenie_routes(router: respx.MockRouter) -> tuple[respx.Route, respx.Route]:
    timeline = router.get(url__regex=rf"{OG}/v2/schedules/[^/]+/timeline").mock(return_value=ok(TIMELINE))

    def answer_user(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[1]
        return ok(USERS[name]) if name in USERS else httpx.Response(404, json={"message": "No user exists"})

    users = router.get(url__regex=rf"{OG}/v2/users/.+").mock(side_effect=answer_user)
    return timeline, users


def test_whoisoncall_reads_one_timeline_by_name_and_the_users(
    router: respx.MockRouter, tmp_path: Path
) -> None:
    timeline, users = opsgenie_routes(router)
    result = run(router, tmp_path, "whoisoncall", "--next", "--json")
    assert result.exit_code == 0, result.stderr
    (call,) = timeline.calls
    request = call.request
    assert request.url.path == "/v2/schedules/Engineering_schedule/timeline"
    assert dict(request.url.params) == {
        "identifierType": "name",
        "interval": "42",
        "intervalUnit": "days",
        "date": "2027-01-25T10:00:00-05:00",
    }
    assert request.headers["Authorization"] == "GenieKey " + ENV["ONCALL_OPSGENIE_API_KEY"]
    assert sorted(c.request.url.path for c in users.calls) == [f"/v2/users/{u}" for u in (ADA, ALAN, GRACE)]
    doc = json.loads(result.stdout)
    rot_a, rot_b = doc["schedules"][0]["rotations"]
    assert (rot_a["on_call"]["user"], rot_a["on_call"]["local_time"]) == (ADA, "2027-02-01T15:00:00+00:00")
    # Grace's override and her own shift are back to back: shown as one duty, ending 8 February.
    assert (rot_a["next"]["user"], rot_a["next"]["end"], rot_a["next"]["override"]) == (
        GRACE,
        "2027-02-08T11:00:00-05:00",
        True,
    )
    assert rot_a["next"]["local_time"] == "2027-02-01T09:00:00-06:00"
    assert rot_b["on_call"] | {"start": None} == {
        "user": None,
        "name": None,
        "timezone": None,
        "local_time": None,
        "start": None,
        "end": "2027-02-03T11:00:00-05:00",
        "override": False,
    }
    assert rot_b["next"]["user"] == ALAN and rot_b["next"]["local_time"] == "2027-02-02T00:00:00+09:00"
    assert [r["rotation"] for r in doc["schedules"][0]["rotations"]] == ["rot-a", "rot-b"], "empty Holiday-a"


def test_several_schedules_one_timeline_request_each(router: respx.MockRouter, tmp_path: Path) -> None:
    timeline, _ = opsgenie_routes(router)
    names = ["Engineering_schedule", "Data team/on-call", "SRE"]
    result = run(router, tmp_path, "whoisoncall", *[a for n in names for a in ("--schedule", n)], "--json")
    assert result.exit_code == 0, result.stderr
    paths = sorted(c.request.url.raw_path.decode().split("?")[0] for c in timeline.calls)
    assert paths == [
        "/v2/schedules/Data%20team%2Fon-call/timeline",
        "/v2/schedules/Engineering_schedule/timeline",
        "/v2/schedules/SRE/timeline",
    ]


def slack_routes(router: respx.MockRouter, topic: str) -> dict[str, respx.Route]:
    ids = {ADA: "U0ADA0001", GRACE: "U0GRACE01"}

    def lookup(request: httpx.Request) -> httpx.Response:
        email = request.url.params["email"]
        if email in ids:
            return httpx.Response(200, json={"ok": True, "user": {"id": ids[email], "name": email}})
        return httpx.Response(200, json={"ok": False, "error": "users_not_found"})

    channel = {"id": "C0INCIDENT", "name": "incidents", "is_channel": True, "topic": {"value": topic}}
    return {
        "list": router.get(f"{SLACK}/conversations.list").mock(
            return_value=httpx.Response(
                200,
                json={
                    "ok": True,
                    "channels": [{"id": "C0GENERAL1", "name": "general"}, channel],
                    "response_metadata": {"next_cursor": ""},
                },
            )
        ),
        "lookup": router.get(f"{SLACK}/users.lookupByEmail").mock(side_effect=lookup),
        "info": router.get(f"{SLACK}/conversations.info").mock(
            return_value=httpx.Response(200, json={"ok": True, "channel": channel})
        ),
        "set": router.post(f"{SLACK}/conversations.setTopic").mock(
            return_value=httpx.Response(200, json={"ok": True, "channel": channel})
        ),
    }


def test_update_topic_requests(router: respx.MockRouter, tmp_path: Path) -> None:
    opsgenie_routes(router)
    slack = slack_routes(router, "Deploys frozen | on call: someone")
    result = run(router, tmp_path, "whoisoncall", "--update-topic", "--json")
    assert result.exit_code == 0, result.stderr
    listing = slack["list"].calls.last.request
    assert dict(listing.url.params) == {
        "types": "public_channel,private_channel",
        "exclude_archived": "true",
        "limit": "200",
    }
    assert dict(slack["info"].calls.last.request.url.params) == {"channel": "C0INCIDENT"}
    assert [c.request.url.params["email"] for c in slack["lookup"].calls] == [ADA]
    write = slack["set"].calls.last.request
    assert write.headers["Authorization"] == "Bearer " + ENV["ONCALL_SLACK_TOKEN"]
    assert json.loads(write.content) == {
        "channel": "C0INCIDENT",
        "topic": "Deploys frozen | on call: <@U0ADA0001>",
    }


def test_update_topic_writes_nothing_when_the_topic_is_right(
    router: respx.MockRouter, tmp_path: Path
) -> None:
    opsgenie_routes(router)
    slack = slack_routes(router, "on call: <@U0ADA0001> | Deploys frozen")
    result = run(router, tmp_path, "whoisoncall", "--update-topic", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["topic"]["changed"] is False
    assert not slack["set"].called


def test_slo_report_searches_incidents_by_creation_time(router: respx.MockRouter, tmp_path: Path) -> None:
    timeline, _ = opsgenie_routes(router)
    incident = {
        "id": "inc-1",
        "tinyId": "7",
        "message": "Checkout 500s",
        "status": "resolved",
        "priority": "P2",
        "createdAt": "2027-01-26T15:00:00.000Z",
        "updatedAt": "2027-01-26T16:00:00.000Z",
        "extraProperties": {},
    }
    listing = router.get(f"{OG}/v1/incidents/").mock(return_value=ok([incident], totalCount=1, paging={}))
    notes = router.get(f"{OG}/v1/incidents/inc-1/notes").mock(
        return_value=ok(
            [{"note": "on it", "owner": GRACE, "createdAt": "2027-01-26T15:06:00.000Z", "offset": "1"}],
            paging={},
        )
    )
    entries = router.get(f"{OG}/v2/incident-timelines/inc-1/entries").mock(
        return_value=ok(
            {
                "entries": [
                    {
                        "id": "e1",
                        "group": "custom",
                        "type": "CustomUserEntry",
                        "eventTime": "2027-01-26T15:04:00.000Z",
                        "description": {"type": "plain_text", "content": "paged the team"},
                    }
                ]
            }
        )
    )
    result = run(
        router, tmp_path, "slo", "report", "--since", "2027-01-20", "--until", "2027-01-31", "--json"
    )
    assert result.exit_code == 0, result.stdout
    params = dict(listing.calls.last.request.url.params)
    # Up to a day past the period: an incident reported in it may be tracked later (the SLO clock starts at
    # the report).
    start, end = datetime(2027, 1, 20, 5, tzinfo=UTC), datetime(2027, 2, 2, 5, tzinfo=UTC)
    assert params == {
        "query": f"createdAt>={int(start.timestamp() * 1000)} AND createdAt<{int(end.timestamp() * 1000)}",
        "sort": "createdAt",
        "order": "asc",
        "offset": "0",
        "limit": "100",
    }
    assert dict(timeline.calls.last.request.url.params)["date"] == "2027-01-20T00:00:00-05:00"
    assert notes.called and entries.called
    (row,) = json.loads(result.stdout)["incidents"]
    # Ada (London) was on call in rot-a: Tue 15:00 GMT is business hours; the entry at +4 min acknowledged it.
    assert (row["tier"], row["response_minutes"], row["outcome"], row["on_call"]) == (
        "business",
        4.0,
        "met",
        [ADA],
    )


def test_handoff_searches_recent_and_open_incidents(router: respx.MockRouter, tmp_path: Path) -> None:
    opsgenie_routes(router)
    listing = router.get(f"{OG}/v1/incidents/").mock(return_value=ok([], totalCount=0, paging={}))
    result = run(router, tmp_path, "handoff", "--json")
    assert result.exit_code == 0, result.stderr
    queries = sorted(c.request.url.params["query"] for c in listing.calls)
    thirty_days = int(datetime(2027, 1, 2, 15, tzinfo=UTC).timestamp() * 1000)
    assert queries == [f"createdAt>={thirty_days}", "status:open"]
    doc = json.loads(result.stdout)
    assert doc["since"] == "2027-01-27T11:00:00-05:00" and doc["handoff_at"] == "2027-02-01T11:00:00-05:00"
    assert doc["handovers"][0] == {
        "rotation": "rot-a",
        "changes": True,
        "outgoing": {"user": ADA, "name": "Ada Lovelace", "timezone": "Europe/London"},
        "incoming": {"user": GRACE, "name": "Grace Hopper", "timezone": "America/Chicago"},
    }
