"""The PagerDuty incident client against respx: the exact requests (From on the writes that act for a
person, the incident and note bodies, the list filters), paging to the end, and refusals as clear errors."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import httpx
import pytest
import respx

from oncall_cli.clients._http import Runtime
from oncall_cli.clients.pagerduty import ACCEPT
from oncall_cli.clients.pagerduty_incidents import PagerDutyIncidentsClient
from oncall_cli.errors import RejectedError, UsageError

from .conftest import FakeClock

BASE = "https://api.pagerduty.com"
KEY = "u+AbCdEfGhIjKlMnOpQr"
ME = "ada@example.com"


def _client(router: respx.MockRouter, clock: FakeClock, *, from_email: str = ME) -> PagerDutyIncidentsClient:
    runtime = Runtime(sleep=clock.sleep, clock=clock, wall=lambda: 1_700_000_000.0, rng=random.Random(1))
    http = httpx.Client(transport=httpx.MockTransport(router.handler))
    return PagerDutyIncidentsClient(http, api_key=KEY, base_url=BASE, from_email=from_email, runtime=runtime)


def _incident(**extra: object) -> dict[str, object]:
    return {"id": "PINC001", "type": "incident", "incident_number": 42, "title": "Checkout down",
            "status": "triggered", **extra}


def test_create_incident_acts_for_the_from_user_with_service_priority_urgency_body_and_key(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.post(f"{BASE}/incidents", headers={"From": ME, "Accept": ACCEPT}).respond(
        201, json={"incident": _incident(incident_key="run-1", priority={"id": "PP1", "name": "P1"})}
    )
    created = _client(router, clock).create_incident(
        title="Checkout down", service_id="PSVC001", priority_id="PP1", urgency="high",
        details="Since 14:05", incident_key="run-1",
    )
    assert created.incident_number == 42 and created.priority is not None and created.priority.name == "P1"
    assert json.loads(route.calls[0].request.content) == {
        "incident": {
            "type": "incident",
            "title": "Checkout down",
            "service": {"id": "PSVC001", "type": "service_reference"},
            "priority": {"id": "PP1", "type": "priority_reference"},
            "urgency": "high",
            "body": {"type": "incident_body", "details": "Since 14:05"},
            "incident_key": "run-1",
        }
    }


def test_a_write_without_a_from_email_is_refused_before_any_request(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    with pytest.raises(UsageError, match="From"):
        _client(router, clock, from_email="").create_note(incident_id="PINC001", content="x")
    assert not router.calls


def test_a_duplicate_incident_key_is_a_rejected_error_naming_pagerdutys_reason(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    reason = "Open incident with matching dedup key already exists on this service"
    router.post(f"{BASE}/incidents").respond(
        400, json={"error": {"message": "Invalid Input Provided", "code": 2001, "errors": [reason]}}
    )
    with pytest.raises(RejectedError, match=reason):
        _client(router, clock).create_incident(
            title="x", service_id="PSVC001", priority_id=None, urgency="low", details=None, incident_key="k"
        )


def test_incidents_are_listed_with_every_filter_and_every_page(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    pages = [
        {"incidents": [_incident(id=f"P{n}", incident_number=n) for n in range(100)], "more": True},
        {"incidents": [_incident(id="P100", incident_number=100)], "more": False},
    ]
    route = router.get(f"{BASE}/incidents").mock(side_effect=[httpx.Response(200, json=p) for p in pages])
    since = datetime(2025, 3, 1, tzinfo=UTC)
    found = list(_client(router, clock).iter_incidents(
        since=since, until=datetime(2025, 3, 5, tzinfo=UTC), service_ids=["PSVC001"],
        statuses=["triggered", "acknowledged"], sort_by="created_at:desc",
    ))
    assert len(found) == 101
    params = route.calls[1].request.url.params
    assert params["since"] == "2025-03-01T00:00:00+00:00" and params["until"] == "2025-03-05T00:00:00+00:00"
    assert params.get_list("service_ids[]") == ["PSVC001"]
    assert params.get_list("statuses[]") == ["triggered", "acknowledged"]
    assert params["sort_by"] == "created_at:desc" and params["offset"] == "100"


def test_without_a_start_every_incident_is_searched_and_by_key(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(f"{BASE}/incidents").respond(200, json={"incidents": [], "more": False})
    assert list(_client(router, clock).iter_incidents(incident_key="run-1")) == []
    params = route.calls[0].request.url.params
    assert params["date_range"] == "all" and params["incident_key"] == "run-1" and "since" not in params


def test_update_incident_resolves_with_a_resolution_or_changes_priority_and_urgency(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.put(f"{BASE}/incidents/PINC001", headers={"From": ME}).respond(
        200, json={"incident": _incident(status="resolved")}
    )
    client = _client(router, clock)
    client.update_incident(incident_id="PINC001", status="resolved", resolution="Rolled back")
    client.update_incident(incident_id="PINC001", priority_id="PP2", urgency="high")
    bodies = [json.loads(c.request.content)["incident"] for c in route.calls]
    assert bodies == [
        {"type": "incident_reference", "status": "resolved", "resolution": "Rolled back"},
        {
            "type": "incident_reference",
            "priority": {"id": "PP2", "type": "priority_reference"},
            "urgency": "high",
        },
    ]


def test_notes_status_updates_subscribers_and_responder_requests(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    note = router.post(f"{BASE}/incidents/PINC001/notes", headers={"From": ME}).respond(
        200, json={"note": {"id": "PN1", "content": "Rolled back"}}
    )
    update = router.post(f"{BASE}/incidents/PINC001/status_updates", headers={"From": ME}).respond(
        200, json={"status_update": {"id": "PS1", "message": "Fixing"}}
    )
    subscribe = router.post(f"{BASE}/incidents/PINC001/status_updates/subscribers").respond(
        200, json={"subscriptions": []}
    )
    ask = router.post(f"{BASE}/incidents/PINC001/responder_requests").respond(
        200, json={"responder_request": {"id": "PR1"}}
    )
    client = _client(router, clock)
    assert client.create_note(incident_id="PINC001", content="Rolled back").content == "Rolled back"
    client.create_status_update(incident_id="PINC001", message="Fixing")
    client.add_status_update_subscribers(incident_id="PINC001", user_ids=["PU1"])
    client.create_responder_request(
        incident_id="PINC001", requester_id="PU0", user_ids=["PU2"], message="Help"
    )
    assert json.loads(note.calls[0].request.content) == {"note": {"content": "Rolled back"}}
    assert json.loads(update.calls[0].request.content) == {"message": "Fixing"}
    assert json.loads(subscribe.calls[0].request.content) == {
        "subscribers": [{"subscriber_id": "PU1", "subscriber_type": "user"}]
    }
    assert json.loads(ask.calls[0].request.content) == {
        "requester_id": "PU0",
        "message": "Help",
        "responder_request_targets": [{"responder_request_target": {"id": "PU2", "type": "user_reference"}}],
    }


def test_services_and_priorities_are_read_to_the_end(router: respx.MockRouter, clock: FakeClock) -> None:
    services = router.get(f"{BASE}/services").respond(
        200, json={"services": [{"id": "PSVC001", "name": "Artsy"}], "more": False}
    )
    router.get(f"{BASE}/priorities").respond(
        200, json={"priorities": [{"id": f"PP{n}", "name": f"P{n}"} for n in range(1, 6)], "more": False}
    )
    client = _client(router, clock)
    assert [s.name for s in client.list_services(query="Artsy")] == ["Artsy"]
    assert services.calls[0].request.url.params["query"] == "Artsy"
    assert [p.name for p in client.list_priorities()] == ["P1", "P2", "P3", "P4", "P5"]


def test_log_entries_are_read_to_the_end(router: respx.MockRouter, clock: FakeClock) -> None:
    route = router.get(f"{BASE}/incidents/PINC001/log_entries").respond(
        200,
        json={
            "log_entries": [{"id": "R1", "type": "resolve_log_entry", "note": "Rolled back"}],
            "more": False,
        },
    )
    [entry] = _client(router, clock).list_log_entries(incident_id="PINC001")
    assert (entry.type, entry.note) == ("resolve_log_entry", "Rolled back")
    assert route.calls[0].request.url.params["limit"] == "100"
