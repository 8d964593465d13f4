"""The workflow's requests against the real vendors' URLs (respx routes as the transport, no patching): which
request each step sends, with which body, in a production profile. The clients' own tests cover the HTTP
details; these cover what the incident workflow asks for."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from typer.testing import CliRunner, Result

from conftest import config_file
from oncall_cli.cli.main import app
from oncall_cli.services.context import Deps

from .conftest import NOW, FakeClock, explain

OG = "https://api.opsgenie.com"
SLACK = "https://slack.com/api"
SP = "https://api.statuspage.io/v1/pages/pg1"
THREAD = "https://acme.slack.com/archives/C0INCIDENTS/p1741186000000100"
ENV = {
    "ONCALL_OPSGENIE_API_KEY": "og-key",
    "ONCALL_STATUSPAGE_API_KEY": "sp-key",
    "ONCALL_SLACK_TOKEN": "xoxb-t",
}
CONFIG = """
[profiles.default]
me = "me@example.com"
[profiles.default.opsgenie]
team = "Engineering"
service = "Checkout"
[profiles.default.statuspage]
page_id = "pg1"
"""
INCIDENT = {
    "id": "inc-1",
    "tinyId": "42",
    "message": "DB down",
    "status": "open",
    "priority": "P1",
    "createdAt": "2025-03-05T15:00:00Z",
    "responders": [],
    "extraProperties": {},
}
SLACK_IDS = {"oncall@example.com": "U0ONCALL1", "ada@example.com": "U0ADA0001", "me@example.com": "U0ME00001"}


def og_ok(data: Any = None, **extra: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "took": 0.01, "requestId": "req", **extra})


def accepted(request_id: str) -> httpx.Response:
    return httpx.Response(
        202, json={"result": "Request will be processed", "took": 0.01, "requestId": request_id}
    )


def slack_ok(**body: Any) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, **body})


def channel(cid: str = "C0INC0042", name: str = "inc-42-db-down") -> dict[str, Any]:
    return {"id": cid, "name": name, "is_channel": True, "created": 1741186800}


def sp_incident(status: str = "investigating", **extra: Any) -> dict[str, Any]:
    return {
        "id": "spi1",
        "page_id": "pg1",
        "name": "Outage affecting API",
        "status": status,
        "impact": "critical",
        "shortlink": "https://stspg.io/abc",
        "components": [{"id": "c-api", "name": "API", "status": "major_outage"}],
        "incident_updates": [
            {"id": "u1", "status": "investigating", "body": "b", "deliver_notifications": True}
        ],
        **extra,
    }


def body(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.MockRouter(assert_all_mocked=True, assert_all_called=False, using=None) as mock:
        yield mock


@pytest.fixture
def cli(router: respx.MockRouter, tmp_path: Path) -> Any:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    clock = FakeClock()

    def run(*args: str) -> Result:
        deps = Deps(
            transport=httpx.MockTransport(router.handler),
            sleep=clock.sleep,
            clock=clock.monotonic,
            now=lambda: NOW,
            rng=random.Random(1),
            env=ENV,
            state_dir=str(tmp_path / "state"),
        )
        return CliRunner().invoke(app, ["--config", config_file(config), *args], obj=deps)

    return run


@pytest.fixture
def world(router: respx.MockRouter) -> dict[str, respx.Route]:
    """The three vendors as a raise of a P1 with one responder and the API component sees them."""
    r: dict[str, respx.Route] = {}
    r["services"] = router.get(f"{OG}/v1/services").mock(
        og_ok([{"id": "svc-1", "name": "Checkout"}], paging={})
    )
    r["user"] = router.get(f"{OG}/v2/users/ada@example.com").mock(
        og_ok({"id": "u-ada", "username": "ada@example.com"})
    )
    r["list"] = router.route(
        method="GET", url__regex=r"^https://api\.opsgenie\.com/v1/incidents/?(\?.*)?$"
    ).mock(og_ok([], paging={}))
    r["create"] = router.post(f"{OG}/v1/incidents/create").mock(accepted("r-create"))
    r["poll_create"] = router.get(f"{OG}/v1/incidents/requests/r-create").mock(
        og_ok({"success": True, "isSuccess": True, "action": "Create", "incidentId": "inc-1"})
    )
    r["get"] = router.get(f"{OG}/v1/incidents/inc-1").mock(og_ok(INCIDENT))
    r["on_call"] = router.get(f"{OG}/v2/schedules/Engineering_schedule/on-calls").mock(
        og_ok({"onCallRecipients": ["oncall@example.com"]})
    )
    r["details"] = router.post(f"{OG}/v1/incidents/inc-1/details").mock(accepted("r-details"))
    r["poll_details"] = router.get(f"{OG}/v1/incidents/requests/r-details").mock(
        og_ok({"success": True, "isSuccess": True, "action": "AddDetails", "incidentId": "inc-1"})
    )

    def lookup(request: httpx.Request) -> httpx.Response:
        email = request.url.params["email"]
        if email in SLACK_IDS:
            return slack_ok(user={"id": SLACK_IDS[email], "name": email.split("@")[0]})
        return slack_ok(ok=False, error="users_not_found")

    r["lookup"] = router.get(f"{SLACK}/users.lookupByEmail").mock(side_effect=lookup)
    r["create_channel"] = router.post(f"{SLACK}/conversations.create").mock(slack_ok(channel=channel()))
    r["purpose"] = router.post(f"{SLACK}/conversations.setPurpose").mock(slack_ok())
    r["invite"] = router.post(f"{SLACK}/conversations.invite").mock(slack_ok(channel=channel()))
    r["post"] = router.post(f"{SLACK}/chat.postMessage").mock(
        side_effect=lambda request: slack_ok(
            channel=json.loads(request.content)["channel"], ts=f"1741186801.00000{len(r['post'].calls)}"
        )
    )
    r["update"] = router.post(f"{SLACK}/chat.update").mock(
        side_effect=lambda request: slack_ok(
            **{k: json.loads(request.content)[k] for k in ("channel", "ts", "text")}
        )
    )
    r["components"] = router.get(f"{SP}/components").mock(
        httpx.Response(
            200,
            json=[
                {"id": "c-api", "name": "API", "status": "operational"},
                {"id": "c-web", "name": "Website"},
            ],
        )
    )
    r["sp_create"] = router.post(f"{SP}/incidents").mock(httpx.Response(201, json=sp_incident()))
    r["replies"] = router.get(f"{SLACK}/conversations.replies").mock(
        slack_ok(messages=[{"type": "message", "ts": "1741186000.000100", "text": "Checkout is down"}])
    )
    return r


def test_raise_sends_one_request_per_step_with_the_right_bodies(
    cli: Any, world: dict[str, respx.Route]
) -> None:
    result = cli(
        "incident",
        "raise",
        "DB down",
        "-p",
        "Critical",
        "--description",
        "Primary is gone",
        "--responder",
        "ada@example.com",
        "--component",
        "API",
        "--thread",
        THREAD,
        "--json",
    )
    assert result.exit_code == 0, explain(result)
    data = json.loads(result.stdout)

    # Opsgenie: the impacted service by name, then the incident with its run id and thread.
    create = body(world["create"])
    assert create["message"] == "DB down" and create["priority"] == "P1"
    assert create["serviceId"] == "svc-1" and create["impactedServices"] == ["svc-1"]
    assert create["description"] == f"Primary is gone\n\n#incidents thread: {THREAD}"
    assert create["responders"] == [{"type": "user", "username": "ada@example.com"}]
    # The report time is the thread's first message: 2025-03-05 14:46:40 UTC.
    assert create["details"] == {
        "oncall_run": data["run_id"],
        "slack_thread": THREAD,
        "reported_at": "2025-03-05T14:46:40.000100+00:00",
    }
    assert world["replies"].calls[0].request.url.params["channel"] == "C0INCIDENTS"
    assert world["create"].call_count == 1 and world["poll_create"].call_count == 1
    assert world["on_call"].calls.last.request.url.params["scheduleIdentifierType"] == "name"

    # Slack: channel, purpose (the web link on app.opsgenie.com), invites, opening message, thread reply;
    # the opening message does not wait for Statuspage: it is edited to carry the link once that exists.
    assert body(world["create_channel"]) == {"name": "inc-42-db-down", "is_private": False}
    link = "https://app.opsgenie.com/incident/detail/inc-1"
    assert body(world["purpose"]) == {"channel": "C0INC0042", "purpose": f"Opsgenie incident #42: {link}"}
    invite = body(world["invite"])
    assert invite["channel"] == "C0INC0042"
    assert set(invite["users"].split(",")) == {"U0ONCALL1", "U0ADA0001", "U0ME00001"}
    opening, reply = body(world["post"], 0), body(world["post"], 1)
    assert opening["channel"] == "C0INC0042" and "thread_ts" not in opening
    assert opening["text"].startswith(":rotating_light: Incident #42: *DB down*")
    assert link in opening["text"] and "https://stspg.io/abc" not in opening["text"]
    assert "<@U0ONCALL1>" in opening["text"] and "<@U0ADA0001>" in opening["text"]
    edit = body(world["update"])
    assert world["update"].call_count == 1
    assert edit["channel"] == "C0INC0042" and edit["ts"] == "1741186801.000000"  # the opening's
    assert edit["text"].startswith(":rotating_light: Incident #42: *DB down*")
    assert "https://stspg.io/abc" in edit["text"] and "<@U0ONCALL1>" in edit["text"]
    assert reply["channel"] == "C0INCIDENTS" and reply["thread_ts"] == "1741186000.000100"
    assert "<#C0INC0042>" in reply["text"]

    # Statuspage: critical, API in major outage, generic text, subscribers notified, linked back.
    sp = body(world["sp_create"])["incident"]
    assert sp == {
        "name": "Outage affecting API",
        "status": "investigating",
        "impact_override": "critical",
        "body": sp["body"],
        "component_ids": ["c-api"],
        "components": {"c-api": "major_outage"},
        "deliver_notifications": True,
        "metadata": {"oncall": {"opsgenie_incident_id": "inc-1", "run": data["run_id"]}},
    }
    assert "DB down" not in sp["body"] and "API" in sp["body"]

    # The links go on the Opsgenie incident.
    assert body(world["details"])["details"] == {
        "invited": body(world["details"])["details"]["invited"],
        "slack_thread": THREAD,
        "slack_channel_id": "C0INC0042",
        "slack_channel": "inc-42-db-down",
        "statuspage_incident_id": "spi1",
        "statuspage_components": "API",
    }
    assert data["incident"]["url"] == link


def test_raise_dry_run_only_reads(cli: Any, world: dict[str, respx.Route], router: respx.MockRouter) -> None:
    result = cli("incident", "raise", "DB down", "-p", "P1", "--component", "API", "--dry-run", "--json")
    assert result.exit_code == 0, explain(result)
    assert {call.request.method for call in router.calls} == {"GET"}
    changes = json.loads(result.stdout)["changes"]
    assert changes[3]["data"]["users"] == ["oncall@example.com", "me@example.com"]


def test_the_channel_name_taken_by_someone_else_gets_a_suffix(
    cli: Any, world: dict[str, respx.Route], router: respx.MockRouter
) -> None:
    names: list[str] = []

    def create(request: httpx.Request) -> httpx.Response:
        name = json.loads(request.content)["name"]
        names.append(name)
        if name == "inc-42-db-down":
            return slack_ok(ok=False, error="name_taken")
        return slack_ok(channel=channel("C0INC0043", name))

    world["create_channel"].mock(side_effect=create)
    router.get(f"{SLACK}/conversations.list").mock(
        slack_ok(
            channels=[
                {
                    "id": "C0OLD0001",
                    "name": "inc-42-db-down",
                    "is_archived": True,
                    "created": 1600000000,
                    "purpose": {"value": "an old incident"},
                }
            ],
            response_metadata={"next_cursor": ""},
        )
    )
    result = cli("incident", "raise", "DB down", "-p", "P4", "--json")
    assert result.exit_code == 0, explain(result)
    assert names == ["inc-42-db-down", "inc-42-db-down-2"]
    assert json.loads(result.stdout)["slack"]["channel_id"] == "C0INC0043"


def test_resolve_sends_the_resolution_everywhere(cli: Any, router: respx.MockRouter) -> None:
    details = {
        "slack_channel_id": "C0INC0042",
        "slack_channel": "inc-42-db-down",
        "slack_thread": THREAD,
        "statuspage_incident_id": "spi1",
    }
    router.get(f"{OG}/v1/incidents/42", params={"identifierType": "tiny"}).mock(
        og_ok({**INCIDENT, "extraProperties": details})
    )
    states = iter(["open", "open", "resolved"])
    router.get(f"{OG}/v1/incidents/inc-1").mock(
        side_effect=lambda request: og_ok(
            {**INCIDENT, "status": next(states, "resolved"), "extraProperties": details}
        )
    )
    timeline = router.route(method="GET", url__startswith=f"{OG}/v2/incident-timelines/inc-1/entries").mock(
        og_ok({"entries": []})
    )
    add_entry = router.post(f"{OG}/v2/incident-timelines/inc-1/entries").mock(
        httpx.Response(201, json={"data": {"id": "e1"}, "took": 0, "requestId": "x"})
    )
    resolve = router.post(f"{OG}/v1/incidents/inc-1/resolve").mock(accepted("r-res"))
    router.get(f"{OG}/v1/incidents/requests/r-res").mock(og_ok({"isSuccess": True, "incidentId": "inc-1"}))
    close_alert = router.post(f"{OG}/v2/alerts/inc-1/close").mock(accepted("r-alert"))
    router.get(f"{SP}/incidents/spi1").mock(httpx.Response(200, json=sp_incident()))
    # The other open incidents, to leave alone the components they list (here: only this one is open).
    router.get(f"{SP}/incidents/unresolved").mock(httpx.Response(200, json=[sp_incident()]))
    sp_patch = router.patch(f"{SP}/incidents/spi1").mock(httpx.Response(200, json=sp_incident("resolved")))
    router.get(f"{SLACK}/conversations.history").mock(slack_ok(messages=[]))
    router.get(f"{SLACK}/conversations.replies").mock(slack_ok(messages=[]))
    post = router.post(f"{SLACK}/chat.postMessage").mock(slack_ok(channel="C", ts="1741186900.000001"))
    result = cli("incident", "resolve", "42", "--note", "Failover done", "--close-alerts", "--json")
    assert result.exit_code == 0, explain(result)
    assert timeline.called
    entry = body(add_entry)
    assert entry["description"] == {"content": "Resolved: Failover done"}
    assert entry["time"] == "2025-03-05T15:00:00Z"
    assert body(resolve) == {"note": "Failover done"}
    assert close_alert.calls.last.request.url.params["identifierType"] == "alias"
    patch = body(sp_patch)["incident"]
    assert patch["status"] == "resolved" and patch["components"] == {"c-api": "operational"}
    assert patch["component_ids"] == ["c-api"]
    assert patch["deliver_notifications"] is True and patch["body"].startswith(
        "This incident has been resolved"
    )
    texts = {(b["channel"], b.get("thread_ts")) for b in (body(post, i) for i in range(post.call_count))}
    assert texts == {("C0INC0042", None), ("C0INCIDENTS", "1741186000.000100")}
