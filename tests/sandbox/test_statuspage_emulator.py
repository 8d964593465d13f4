"""The Statuspage emulator, through raw httpx and the real StatuspageClient: the page and its components,
the incident lifecycle with component statuses, lists, 404 and 4xx shapes, and the 1 request per second
limit (429 + Retry-After) measured on the injected clock.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from oncall_cli.clients._http import Runtime
from oncall_cli.clients.statuspage import StatuspageClient
from oncall_cli.errors import NotFoundError, RejectedError
from oncall_cli.sandbox.base import Ctx, SeedPerson
from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.sandbox.statuspage import COMPONENTS, PAGE_ID, PAGE_NAME, StatuspageEmulator
from oncall_cli.sandbox.validation import Validator

from .conftest import NOW, SP, SP_AUTH, FakeClock

PAGE = f"{SP}/v1/pages/{PAGE_ID}"


@pytest.fixture
def em(clock: FakeClock) -> Iterator[Emulator]:
    emulator = Emulator(now=lambda: NOW, clock=clock.monotonic, sleep=clock.sleep,
                        services=[StatuspageEmulator()])
    yield emulator
    emulator.close()


@pytest.fixture
def web(em: Emulator) -> Iterator[httpx.Client]:
    with em.client() as client:
        yield client


@pytest.fixture
def sp(web: httpx.Client, clock: FakeClock) -> StatuspageClient:
    runtime = Runtime(sleep=clock.sleep, clock=clock.monotonic, wall=lambda: NOW.timestamp(),
                      rng=random.Random(5))
    return StatuspageClient(web, api_key="sandbox-key", page_id=PAGE_ID, base_url=SP, runtime=runtime)


class Api:
    """Raw requests one second apart on the fake clock (the emulator allows 1 request per second)."""

    def __init__(self, web: httpx.Client, clock: FakeClock):
        self.web = web
        self.clock = clock

    def __call__(self, method: str, path: str, *, json: Any = None, params: Any = None,
                 headers: dict[str, str] | None = None) -> httpx.Response:
        self.clock.now += 1.0
        return self.web.request(method, PAGE + path, json=json, params=params,
                                headers=SP_AUTH if headers is None else headers)


@pytest.fixture
def api(web: httpx.Client, clock: FakeClock) -> Api:
    return Api(web, clock)


def component_ids(api: Api) -> dict[str, str]:
    return {c["name"]: c["id"] for c in api("GET", "/components").json()}


# ---- page and components ---------------------------------------------------------------------------------


def test_the_seeded_page_and_its_operational_components(api: Api, sp: StatuspageClient) -> None:
    page = api("GET", "").json()
    assert (page["id"], page["name"]) == (PAGE_ID, PAGE_NAME)
    components = api("GET", "/components").json()
    assert [c["name"] for c in components] == list(COMPONENTS)
    assert {c["status"] for c in components} == {"operational"}
    assert all(c["page_id"] == PAGE_ID and not c["group"] for c in components)
    assert sp.get_page().name == PAGE_NAME
    assert [c.name for c in sp.iter_components(per_page=2)] == list(COMPONENTS)
    assert api("GET", "/incidents").json() == []


def test_components_are_paged_at_most_100_per_page(api: Api) -> None:
    assert [c["name"] for c in api("GET", "/components", params={"page": 2, "per_page": 2}).json()] == \
        ["Search", "Auctions"]
    assert api("GET", "/components", params={"page": 4, "per_page": 2}).json() == []
    assert len(api("GET", "/components", params={"per_page": 500}).json()) == 5


def test_component_status_can_be_set(api: Api, sp: StatuspageClient) -> None:
    search = component_ids(api)["Search"]
    updated = sp.update_component(component_id=search, status="degraded_performance")
    assert updated.status == "degraded_performance"
    assert api("GET", f"/components/{search}").json()["status"] == "degraded_performance"
    refused = api("PATCH", f"/components/{search}", json={"component": {"status": "on_fire"}})
    assert refused.status_code == 422
    missing = api("PATCH", f"/components/{search}", json={"status": "operational"})
    assert missing.status_code == 400 and "component" in missing.json()["error"]


@pytest.mark.parametrize("path", ["/components/nosuchthing", "/incidents/nosuchthing"])
def test_unknown_resources_are_404_with_an_error_message(api: Api, path: str) -> None:
    response = api("GET", path)
    assert response.status_code == 404
    assert response.json()["error"] == response.json()["message"] != ""


def test_unknown_page_is_404(api: Api, web: httpx.Client, clock: FakeClock) -> None:
    clock.now += 1
    response = web.get(f"{SP}/v1/pages/otherpage/incidents", headers=SP_AUTH)
    assert response.status_code == 404 and "error" in response.json()


def test_the_client_maps_404_to_not_found(sp: StatuspageClient) -> None:
    with pytest.raises(NotFoundError):
        sp.get_incident(incident_id="nosuchthing")


# ---- the incident lifecycle ------------------------------------------------------------------------------


def test_incident_lifecycle_with_component_statuses(api: Api, sp: StatuspageClient) -> None:
    ids = component_ids(api)
    created = sp.create_incident(name="Checkout errors", body="We are looking into errors at checkout.",
                                 components={ids["API"]: "major_outage"}, component_ids=[ids["Website"]])
    assert created.status == "investigating" and created.impact == "critical"
    assert created.resolved_at is None and created.shortlink and created.created_at is not None
    assert {c.name for c in created.components} == {"API", "Website"}
    assert [u.body for u in created.incident_updates] == ["We are looking into errors at checkout."]
    change = created.incident_updates[0].affected_components
    assert [(a.name, a.old_status, a.new_status) for a in change] == [("API", "operational", "major_outage")]
    assert api("GET", f"/components/{ids['API']}").json()["status"] == "major_outage"

    identified = sp.update_incident(incident_id=created.id, status="identified", body="A bad deploy.",
                                    components={ids["API"]: "partial_outage"})
    assert identified.status == "identified" and identified.impact == "critical"  # impact never drops
    assert [u.status for u in identified.incident_updates] == ["identified", "investigating"]

    monitoring = sp.update_incident(incident_id=created.id, status="monitoring", body="Rolled back.")
    assert monitoring.monitoring_at is not None and monitoring.resolved_at is None
    assert [i.id for i in sp.list_unresolved_incidents()] == [created.id]

    resolved = sp.update_incident(incident_id=created.id, status="resolved", body="All good.",
                                  components={ids["API"]: "operational"})
    assert resolved.status == "resolved" and resolved.resolved_at is not None
    assert len(resolved.incident_updates) == 4 and resolved.incident_updates[0].body == "All good."
    assert api("GET", f"/components/{ids['API']}").json()["status"] == "operational"
    assert sp.list_unresolved_incidents() == []
    assert sp.get_incident(incident_id=created.id).status == "resolved"


def test_resolving_without_components_leaves_them_as_they_are(api: Api, sp: StatuspageClient) -> None:
    cms = component_ids(api)["CMS"]
    incident = sp.create_incident(name="CMS slow", components={cms: "degraded_performance"})
    assert incident.impact == "minor"
    sp.update_incident(incident_id=incident.id, status="resolved", body="Fixed.")
    assert api("GET", f"/components/{cms}").json()["status"] == "degraded_performance"


def test_impact_override_wins(sp: StatuspageClient) -> None:
    incident = sp.create_incident(name="Search flaky", impact_override="major")
    assert (incident.impact, incident.impact_override) == ("major", "major")
    quiet = sp.create_incident(name="Nothing to see")
    assert quiet.impact == "none" and quiet.impact_override is None


def test_a_patch_with_only_a_name_adds_no_update(sp: StatuspageClient) -> None:
    incident = sp.create_incident(name="Typo", body="first")
    renamed = sp.update_incident(incident_id=incident.id, name="Auctions down")
    assert renamed.name == "Auctions down" and len(renamed.incident_updates) == 1


def test_reopening_a_resolved_incident_clears_resolved_at(sp: StatuspageClient) -> None:
    incident = sp.create_incident(name="Flapping", status="resolved", body="It was brief.")
    assert incident.resolved_at is not None
    reopened = sp.update_incident(incident_id=incident.id, status="investigating", body="It is back.")
    assert reopened.resolved_at is None and reopened.status == "investigating"


def test_incident_requests_the_api_refuses(api: Api) -> None:
    assert api("POST", "/incidents", json={"name": "no wrapper"}).status_code == 400
    assert api("POST", "/incidents", json={"incident": {"status": "investigating"}}).status_code == 422
    assert api("POST", "/incidents", json={"incident": {"name": ""}}).status_code == 422
    unknown = api("POST", "/incidents", json={"incident": {"name": "x", "component_ids": ["nosuchthing"]}})
    assert unknown.status_code == 422 and "nosuchthing" in unknown.json()["error"]
    scheduled = api("POST", "/incidents", json={"incident": {"name": "x", "status": "scheduled"}})
    assert scheduled.status_code == 422
    bad_status = api("POST", "/incidents", json={"incident": {"name": "x", "status": "exploded"}})
    assert bad_status.status_code == 422
    gone = api("PATCH", "/incidents/nosuchthing", json={"incident": {"status": "resolved"}})
    assert gone.status_code == 404


def test_the_client_maps_422_to_rejected(sp: StatuspageClient) -> None:
    with pytest.raises(RejectedError):
        sp.create_incident(name="x", component_ids=["nosuchthing"])


def test_incident_list_is_newest_first_paged_and_searchable(api: Api, sp: StatuspageClient) -> None:
    made = [sp.create_incident(name=f"Incident {i}", body="database" if i == 1 else "network").id
            for i in range(3)]
    assert [i.id for i in sp.list_incidents()] == made[::-1]
    assert [i.id for i in sp.list_incidents(page=2, limit=2)] == [made[0]]
    assert [i.id for i in sp.list_incidents(q="DATABASE")] == [made[1]]
    assert [i.id for i in sp.list_incidents(q="incident 2")] == [made[2]]
    assert len(list(sp.iter_incidents(limit=1))) == 3


def test_delete_incident_and_edit_an_update(api: Api, sp: StatuspageClient) -> None:
    incident = sp.create_incident(name="Oops", body="tpyo")
    update_id = incident.incident_updates[0].id
    edited = api("PATCH", f"/incidents/{incident.id}/incident_updates/{update_id}",
                 json={"incident_update": {"body": "typo"}})
    assert edited.status_code == 200 and edited.json()["body"] == "typo"
    deleted = api("DELETE", f"/incidents/{incident.id}")
    assert deleted.status_code == 200 and deleted.json()["id"] == incident.id
    assert api("GET", f"/incidents/{incident.id}").status_code == 404


# ---- the rate limit --------------------------------------------------------------------------------------


def test_a_second_request_within_a_second_is_429_with_retry_after(web: httpx.Client,
                                                                   clock: FakeClock) -> None:
    first = web.get(PAGE, headers=SP_AUTH)
    second = web.get(PAGE, headers=SP_AUTH)
    assert first.status_code == 200
    assert second.status_code == 429 and second.headers["Retry-After"] == "1"
    assert "error" in second.json()
    other_key = web.get(PAGE, headers={"Authorization": "OAuth another-key"})
    assert other_key.status_code == 200  # the limit is per key
    clock.now += 0.5
    assert web.get(PAGE, headers=SP_AUTH).status_code == 429  # refused requests do not count
    clock.now += 0.5
    assert web.get(PAGE, headers=SP_AUTH).status_code == 200


def test_the_client_spaces_its_requests_and_never_hits_the_limit(em: Emulator, sp: StatuspageClient,
                                                                 clock: FakeClock) -> None:
    sp.get_page()
    incident = sp.create_incident(name="Busy")
    for body in ("one", "two", "three"):
        sp.update_incident(incident_id=incident.id, status="identified", body=body)
    assert {c.status for c in em.calls} <= {200, 201}
    assert len(clock.sleeps) == 4 and all(s == pytest.approx(1.05) for s in clock.sleeps)


def test_the_client_waits_out_a_429(em: Emulator, web: httpx.Client, sp: StatuspageClient,
                                    clock: FakeClock) -> None:
    assert web.get(PAGE, headers={"Authorization": "OAuth sandbox-key"}).status_code == 200
    assert sp.get_page().id == PAGE_ID  # same key: refused once, then retried after Retry-After
    assert [c.status for c in em.calls] == [200, 429, 200]


def test_the_limiter_can_be_turned_off(clock: FakeClock) -> None:
    services = [StatuspageEmulator(rate_limit=False)]
    with Emulator(now=lambda: NOW, clock=clock.monotonic, services=services) as em, em.client() as web:
        assert [web.get(PAGE, headers=SP_AUTH).status_code for _ in range(5)] == [200] * 5


# ---- auth, direct use, status ----------------------------------------------------------------------------


def test_missing_oauth_header_is_401(api: Api) -> None:
    response = api("GET", "", headers={})
    assert response.status_code == 401 and "error" in response.json()


def test_handle_works_on_a_bare_connection_and_takes_api_key_in_the_query() -> None:
    db = sqlite3.connect(":memory:")
    emulator = StatuspageEmulator(rate_limit=False)
    emulator.create_schema(db)
    person = SeedPerson(email="ada@example.com", name="Ada Lovelace", timezone="Europe/London",
                        start_date=date(2020, 1, 1), manager=None, slack_id="U0ADA00001")
    emulator.seed(db, random.Random(1), [person], NOW)
    ctx = Ctx(db=db, now=NOW + timedelta(minutes=1), clock=0.0)
    request = httpx.Request("GET", f"{PAGE}/components?api_key=k")
    assert [c["name"] for c in emulator.handle(ctx, request, f"/v1/pages/{PAGE_ID}/components").json()] \
        == list(COMPONENTS)
    anonymous = httpx.Request("GET", PAGE)
    assert emulator.handle(ctx, anonymous, f"/v1/pages/{PAGE_ID}").status_code == 401
    assert emulator.operation("PATCH", f"/v1/pages/{PAGE_ID}/incidents/abc") == \
        "PATCH /v1/pages/{page_id}/incidents/{incident_id}"
    assert emulator.operation("GET", f"/v1/pages/{PAGE_ID}/incidents/unresolved") == \
        "GET /v1/pages/{page_id}/incidents/unresolved"
    assert emulator.operation("POST", f"/v1/pages/{PAGE_ID}/metrics") is None


def test_status_shows_the_page_components_and_open_incidents(em: Emulator, api: Api,
                                                             sp: StatuspageClient) -> None:
    api_id = component_ids(api)["API"]
    incident = sp.create_incident(name="API down", components={api_id: "major_outage"})
    status = em.status()["services"]["statuspage"]
    assert status["page"] == {"id": PAGE_ID, "name": PAGE_NAME}
    assert status["components"]["API"] == "major_outage" and status["components"]["CMS"] == "operational"
    assert [(i["id"], i["status"], i["impact"]) for i in status["open_incidents"]] == \
        [(incident.id, "investigating", "critical")]


def test_every_operation_served_is_in_the_vendored_spec() -> None:
    assert set(StatuspageEmulator().operations) == set(Validator().operations("statuspage"))


def test_same_seed_same_components() -> None:
    with (Emulator(now=lambda: NOW, services=[StatuspageEmulator()], seed=4) as a,
          Emulator(now=lambda: NOW, services=[StatuspageEmulator()], seed=4) as b):
        assert a.snapshot("statuspage") == b.snapshot("statuspage")
