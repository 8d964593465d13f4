"""The Opsgenie incident tracker behind the `IncidentTracker` port: the one incident search query, the 202 +
requestId wait inside every write, refs, links removed with "", and responders named by id only.

A handler over `httpx.MockTransport` plays Opsgenie and records what was asked; it fails loudly on a
request it does not know."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from oncall_cli.clients.opsgenie import OpsgenieClient
from oncall_cli.errors import NotFoundError, UsageError
from oncall_cli.services.backends.opsgenie_incidents import OpsgenieIncidents
from oncall_cli.services.ports import IncidentTracker

API = "https://api.opsgenie.com"
NOW = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)
T1 = datetime(2025, 3, 1, tzinfo=UTC)
T2 = datetime(2025, 3, 2, tzinfo=UTC)
INCIDENT = {
    "id": "inc-1",
    "tinyId": "42",
    "message": "DB down",
    "status": "open",
    "priority": "P1",
    "createdAt": "2025-03-05T15:00:00Z",
    "tags": ["postmortem"],
    "responders": [
        {"type": "user", "id": "u-ada"},
        {"type": "user", "id": "u-gone"},
        {"type": "team", "id": "t-1", "name": "Platform"},
    ],
    "extraProperties": {"slack_channel_id": "C1", "associated_alerts": "a-2"},
}


def ok(data: Any = None, **extra: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "took": 0.01, "requestId": "r", **extra})


def accepted(request_id: str) -> httpx.Response:
    return httpx.Response(
        202, json={"result": "Request will be processed", "took": 0.0, "requestId": request_id}
    )


class Opsgenie:
    """Routes by (method, path); every request is recorded."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = {}

    def on(
        self, method: str, path: str, answer: httpx.Response | Callable[[httpx.Request], httpx.Response]
    ) -> None:
        self.routes[(method, path)] = answer if callable(answer) else (lambda _request: answer)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get((request.method, request.url.path))
        assert route is not None, f"unexpected {request.method} {request.url}"
        return route(request)

    def asked(self, method: str | None = None) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests if method in (None, r.method)]


@pytest.fixture
def opsgenie() -> Opsgenie:
    return Opsgenie()


@pytest.fixture
def tracker(opsgenie: Opsgenie) -> OpsgenieIncidents:
    http = httpx.Client(transport=httpx.MockTransport(opsgenie))
    client = OpsgenieClient(http, api_key="k", base_url=API)
    return OpsgenieIncidents(client, api_url=API, default_service="Checkout", now=lambda: NOW)


def test_it_is_an_incident_tracker(tracker: OpsgenieIncidents) -> None:
    port: IncidentTracker = tracker
    assert port.service == "Opsgenie"


def test_every_search_is_built_by_one_query_builder(opsgenie: Opsgenie, tracker: OpsgenieIncidents) -> None:
    opsgenie.on("GET", "/v1/incidents/", ok([], paging={}))
    list(tracker.since(None))
    list(tracker.since(T1, "open"))
    tracker.between(T1)
    tracker.between(None, status="open")
    tracker.between(T1, T2)
    asked = [(r.url.params["query"], r.url.params["order"]) for r in opsgenie.requests]
    t1, t2 = int(T1.timestamp() * 1000), int(T2.timestamp() * 1000)
    assert asked == [
        ("createdAt>=0", "desc"),
        (f"createdAt>={t1} AND status:open", "desc"),
        (f"createdAt>={t1}", "asc"),
        ("status:open", "asc"),
        (f"createdAt>={t1} AND createdAt<{t2}", "asc"),
    ]
    assert {r.url.params["sort"] for r in opsgenie.requests} == {"createdAt"}


def test_an_incident_is_found_by_number_or_id_and_mapped_to_the_port(
    opsgenie: Opsgenie, tracker: OpsgenieIncidents
) -> None:
    opsgenie.on("GET", "/v1/incidents/42", ok(INCIDENT))
    opsgenie.on("GET", "/v1/incidents/inc-1", ok(INCIDENT))
    by_number = tracker.get("#42")
    assert opsgenie.requests[-1].url.params["identifierType"] == "tiny"
    assert tracker.get("inc-1") == by_number
    assert opsgenie.requests[-1].url.params["identifierType"] == "id"
    assert (by_number.id, by_number.number, by_number.priority, by_number.status) == (
        "inc-1",
        "42",
        "P1",
        "open",
    )
    assert by_number.url == "https://app.opsgenie.com/incident/detail/inc-1"
    assert by_number.links == {"slack_channel_id": "C1", "associated_alerts": "a-2"}
    assert by_number.responders == ("u-ada", "u-gone", "Platform")
    assert by_number.tags == frozenset({"postmortem"})
    with pytest.raises(UsageError, match="incident number"):
        tracker.get(" # ")


def test_an_unknown_incident_is_not_found_naming_the_ref(
    opsgenie: Opsgenie, tracker: OpsgenieIncidents
) -> None:
    opsgenie.on("GET", "/v1/incidents/7", httpx.Response(404, json={"message": "No incident", "took": 0}))
    with pytest.raises(NotFoundError, match="No Opsgenie incident '7'"):
        tracker.get("7")


def test_every_write_waits_for_its_request_and_an_empty_link_is_removed(
    opsgenie: Opsgenie, tracker: OpsgenieIncidents
) -> None:
    opsgenie.on("GET", "/v1/incidents/inc-1", ok(INCIDENT))
    opsgenie.on("POST", "/v1/incidents/inc-1/details", accepted("r-add"))
    opsgenie.on("DELETE", "/v1/incidents/inc-1/details", accepted("r-del"))
    for request_id in ("r-add", "r-del"):
        opsgenie.on(
            "GET", f"/v1/incidents/requests/{request_id}", ok({"isSuccess": True, "incidentId": "inc-1"})
        )
    incident = tracker.get("inc-1")
    tracker.set_links(incident, {"commander": "ada@example.com", "comms": ""})
    assert opsgenie.asked()[1:] == [
        "POST /v1/incidents/inc-1/details",
        "GET /v1/incidents/requests/r-add",
        "DELETE /v1/incidents/inc-1/details",
        "GET /v1/incidents/requests/r-del",
    ]
    assert opsgenie.requests[3].url.params["keys"] == "comms"


def test_a_timeline_entry_is_written_now_unless_back_dated(
    opsgenie: Opsgenie, tracker: OpsgenieIncidents
) -> None:
    import json

    opsgenie.on("GET", "/v1/incidents/inc-1", ok(INCIDENT))
    opsgenie.on(
        "POST", "/v2/incident-timelines/inc-1/entries", httpx.Response(201, json={"data": {}, "took": 0})
    )
    incident = tracker.get("inc-1")
    tracker.add_entry(incident, "Rolled back")
    tracker.add_entry(incident, "Deployed", T1)
    times = [json.loads(r.content)["time"] for r in opsgenie.requests if r.method == "POST"]
    assert times == ["2025-03-05T15:00:00Z", "2025-03-01T00:00:00Z"]


def test_responders_named_by_id_are_read_and_one_that_cannot_be_read_is_a_warning(
    opsgenie: Opsgenie, tracker: OpsgenieIncidents
) -> None:
    opsgenie.on("GET", "/v1/incidents/inc-1", ok(INCIDENT))
    opsgenie.on("GET", "/v2/users/u-ada", ok({"id": "u-ada", "username": "ada@example.com"}))
    opsgenie.on("GET", "/v2/users/u-gone", httpx.Response(404, json={"message": "No user", "took": 0}))
    warnings: list[str] = []
    names = tracker.responder_names(tracker.get("inc-1"), warnings)
    assert names == ["ada@example.com", "u-gone", "Platform"]
    assert len(warnings) == 1 and warnings[0].startswith("could not read responder u-gone")


def test_the_run_that_raised_an_incident_finds_it_by_its_link_or_by_its_message(
    opsgenie: Opsgenie, tracker: OpsgenieIncidents
) -> None:
    listed = [
        {**INCIDENT, "id": "inc-2", "tinyId": "43", "extraProperties": {"oncall_run": "other"}},
        {**INCIDENT, "id": "inc-3", "tinyId": "44", "message": "Search down", "extraProperties": {}},
    ]
    opsgenie.on("GET", "/v1/incidents/", ok(listed, paging={}))
    opsgenie.on("GET", "/v1/incidents/inc-3", ok({**listed[1], "extraProperties": {"oncall_run": "run-1"}}))
    assert tracker.find_by_run("run-1", T1) is None  # no message: only the link counts
    found = tracker.find_by_run("run-1", T1, "Search down")
    assert found is not None and found.number == "44"
    assert tracker.find_by_run("other", T1) is not None
