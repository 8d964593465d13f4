"""Validation against the vendors' specs: vendored subsets are fresh, requests the vendor would refuse are
refused the same way, every response validates, and every operation the emulators serve is covered."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from oncall_cli.clients.opsgenie import OpsgenieClient
from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.sandbox.opsgenie import OPERATIONS
from oncall_cli.sandbox.validation import (
    RequestRejected,
    ResponseInvalid,
    UnknownOperation,
    Validator,
    load_vendored,
    validate_request,
    validate_response,
)

from .conftest import OG, OG_AUTH, SLACK, SLACK_AUTH, SP, SP_AUTH, FakeClock

REPO = Path(__file__).resolve().parents[2]
SPECS_CANDIDATES = (REPO.parent / "shared" / "specs", Path("/work/shared/specs"))


def _vendor_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vendor_specs", REPO / "scripts" / "vendor_specs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["vendor_specs"] = module
    spec.loader.exec_module(module)
    return module


def test_vendored_specs_equal_a_fresh_extraction() -> None:
    specs = next((p for p in SPECS_CANDIDATES if p.is_dir()), None)
    if specs is None:
        pytest.skip("shared/specs is not here")
    pytest.importorskip("yaml")
    script = _vendor_script()
    fresh = script.extract(specs)
    for service, doc in fresh.items():
        vendored = (REPO / "src" / "oncall_cli" / "sandbox" / "specs" / f"{service}.json").read_text()
        assert vendored == script.dumps(doc), f"{service}.json is stale: run scripts/vendor_specs.py"


def test_vendored_specs_stay_small() -> None:
    for service in ("opsgenie", "slack", "statuspage", "jsm-ops", "jira", "atlassian-teams",
                    "jsm-servicedesk", "jsm-incidents"):
        path = REPO / "src" / "oncall_cli" / "sandbox" / "specs" / f"{service}.json"
        assert path.stat().st_size < 150_000


def test_every_opsgenie_operation_the_emulator_serves_is_in_the_vendored_spec() -> None:
    validator = Validator()
    assert set(OPERATIONS) == set(validator.operations("opsgenie"))


def test_an_unknown_operation_fails_loudly() -> None:
    with pytest.raises(UnknownOperation):
        validate_response("opsgenie", "GET /v2/heartbeats", 200, {})


# ---- requests the vendor would refuse --------------------------------------------------------------------


def test_opsgenie_missing_required_field_is_422_with_errors(http: httpx.Client) -> None:
    response = http.post(OG + "/v1/incidents/create", json={"description": "no message"}, headers=OG_AUTH)
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"message", "took", "requestId", "errors"}
    assert {"message", "serviceId"} <= set(body["errors"])


def test_opsgenie_bad_enum_in_query_is_422(http: httpx.Client) -> None:
    response = http.get(OG + "/v2/schedules/x", params={"identifierType": "tiny"}, headers=OG_AUTH)
    assert response.status_code == 422
    assert "identifierType" in response.json()["errors"]


def test_opsgenie_unencoded_plus_in_a_date_is_refused(http: httpx.Client) -> None:
    """`+` in a query string decodes to a space: the date no longer parses (send it as %2B)."""
    response = http.get(
        OG + "/v2/schedules/Engineering_schedule/on-calls?scheduleIdentifierType=name"
        "&date=2025-03-05T10:00:00+05:00",
        headers=OG_AUTH,
    )
    assert response.status_code == 422


def test_opsgenie_user_without_email_username_is_422(http: httpx.Client) -> None:
    response = http.post(
        OG + "/v2/users",
        json={"username": "not-an-email", "fullName": "X", "role": {"name": "user"}},
        headers=OG_AUTH,
    )
    assert response.status_code == 422 and "username" in response.json()["errors"]


def test_invalid_json_is_400(http: httpx.Client) -> None:
    response = http.post(
        OG + "/v1/incidents/create", content=b"{nope", headers={**OG_AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_slack_missing_argument_is_invalid_arguments(emulator: Emulator, http: httpx.Client) -> None:
    response = http.post(SLACK + "/conversations.invite", json={"channel": "C123"}, headers=SLACK_AUTH)
    assert response.status_code == 200
    assert response.json() == {"ok": False, "error": "invalid_arguments"}


def test_statuspage_bad_component_status_is_422(emulator: Emulator, http: httpx.Client) -> None:
    body = {"incident": {"name": "x", "status": "investigating", "components": {"abc": "on_fire"}}}
    response = http.post(SP + "/v1/pages/any/incidents", json=body, headers=SP_AUTH)
    assert response.status_code == 422
    assert "error" in response.json() or "message" in response.json()


def test_validator_api_for_each_service() -> None:
    bad = httpx.Request(
        "PATCH", SP + "/v1/pages/p/incidents/i", json={"incident": {"impact_override": "huge"}}
    )
    with pytest.raises(RequestRejected) as info:
        validate_request("statuspage", "PATCH /v1/pages/{page_id}/incidents/{incident_id}", bad)
    assert info.value.status == 422 and "incident.impact_override" in info.value.errors
    good = httpx.Request(
        "PATCH",
        SP + "/v1/pages/p/incidents/i",
        json={"incident": {"status": "identified", "body": "Found it", "components": {"c1": "major_outage"}}},
    )
    validate_request("statuspage", "PATCH /v1/pages/{page_id}/incidents/{incident_id}", good)
    slack = httpx.Request(
        "POST", SLACK + "/chat.postMessage", data={"channel": "C1", "unfurl_links": "maybe"}
    )
    with pytest.raises(RequestRejected) as slack_info:
        validate_request("slack", "chat.postMessage", slack)
    assert slack_info.value.message == "invalid_arguments" and "unfurl_links" in slack_info.value.errors


# ---- responses -------------------------------------------------------------------------------------------


def test_a_response_breaking_the_spec_raises() -> None:
    with pytest.raises(ResponseInvalid):
        validate_response(
            "opsgenie", "GET /v2/account", 200, {"data": {"name": 1}, "took": 0.1, "requestId": "r"}
        )
    with pytest.raises(ResponseInvalid):  # an undocumented success status
        validate_response("opsgenie", "GET /v2/account", 201, {"data": {}, "took": 0.1, "requestId": "r"})
    with pytest.raises(ResponseInvalid):
        validate_response("slack", "conversations.invite", 200, {"ok": False, "error": "no_such_error_code"})
    validate_response("slack", "conversations.invite", 200, {"ok": False, "error": "already_in_channel"})


def test_non_strict_emulator_records_instead_of_raising() -> None:
    from oncall_cli.sandbox.opsgenie import OpsgenieEmulator

    class Broken(OpsgenieEmulator):
        def handle(self, ctx, request, path):  # type: ignore[no-untyped-def]
            return httpx.Response(200, json={"data": "not an account"})

    with Emulator(services=[Broken()], strict=False) as em, em.client() as http:
        assert http.get(OG + "/v2/account", headers=OG_AUTH).status_code == 200
        assert em.invalid_responses and "GET /v2/account" in em.invalid_responses[0]
    with Emulator(services=[Broken()]) as em, em.client() as http, pytest.raises(ResponseInvalid):
        http.get(OG + "/v2/account", headers=OG_AUTH)


def test_every_opsgenie_call_the_client_makes_is_validated_both_ways(
    emulator: Emulator, og: OpsgenieClient
) -> None:
    """Drive the real client over most of its surface; every operation it reached was checked both ways."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from oncall_cli.clients.opsgenie_models import Recipient

    ny = ZoneInfo("America/New_York")
    og.get_account()
    users = og.list_users()
    og.get_user(identifier=users[0].username)
    team = og.get_team(identifier="Engineering", identifier_type="name")
    og.list_teams()
    og.create_user(username="v@example.com", full_name="V")
    og.add_team_member(team=team.id or "", username="v@example.com")
    artsy = og.find_service(name="Artsy")
    assert artsy is not None and artsy.id
    schedules = og.list_schedules(expand=["rotation"])
    sid = schedules[0].id or ""
    og.get_schedule(identifier=sid)
    og.get_schedule_timeline(identifier=sid, expand=["base", "override"])
    og.get_on_calls(identifier=sid)
    og.get_next_on_calls(identifier=sid, flat=True)
    rotations = og.list_schedule_rotations(schedule=sid)
    og.get_schedule_rotation(schedule=sid, rotation_id=rotations[0].id or "")
    ref = og.create_schedule_rotation(
        schedule=sid,
        name="v",
        type="weekly",
        start_date=datetime(2025, 3, 3, 11, tzinfo=ny),
        participants=[Recipient.user("v@example.com")],
    )
    og.update_schedule_rotation(schedule=sid, rotation_id=ref.id or "", length=2)
    og.create_schedule_override(
        schedule=sid,
        alias="a",
        user=Recipient.user("v@example.com"),
        start_date=datetime(2025, 3, 6, 9, tzinfo=ny),
        end_date=datetime(2025, 3, 6, 10, tzinfo=ny),
    )
    og.list_schedule_overrides(schedule=sid)
    og.get_schedule_override(schedule=sid, alias="a")
    og.update_schedule_override(
        schedule=sid,
        alias="a",
        user=Recipient.no_one(),
        start_date=datetime(2025, 3, 6, 9, tzinfo=ny),
        end_date=datetime(2025, 3, 6, 10, tzinfo=ny),
    )
    og.delete_schedule_override(schedule=sid, alias="a")
    og.delete_schedule_rotation(schedule=sid, rotation_id=ref.id or "")
    incident = og.create_incident_and_wait(message="v", service_id=artsy.id)
    og.list_incidents(query="status:open")
    og.add_incident_note(identifier=incident.id, note="n")
    og.list_incident_notes(identifier=incident.id)
    og.add_incident_responders(identifier=incident.id, responders=[Recipient.user("v@example.com")])
    og.add_incident_tags(identifier=incident.id, tags=["t"])
    og.remove_incident_tags(identifier=incident.id, tags=["t"])
    og.add_incident_details(identifier=incident.id, details={"k": "v"})
    og.remove_incident_details(identifier=incident.id, keys=["k"])
    og.update_incident_priority(identifier=incident.id, priority="P1")
    og.add_incident_timeline_entry(incident_id=incident.id, content="c")
    og.list_incident_timeline_entries(incident_id=incident.id)
    og.resolve_incident(identifier=incident.id)
    og.close_incident(identifier=incident.id)
    og.close_alert(identifier="missing")
    og.delete_user(identifier="v@example.com")
    called = {(c.service, c.operation) for c in emulator.calls}
    assert all(op is not None for _, op in called)
    for service, operation in called:
        assert (service, operation, "request") in emulator.validated, operation
        assert (service, operation, "response") in emulator.validated, operation
    assert len(called) >= 40


def test_load_vendored_reads_package_data() -> None:
    assert load_vendored("statuspage")["openapi"].startswith("3.")
    assert load_vendored("opsgenie")["swagger"] == "2.0"


def test_every_operation_each_emulator_serves_is_in_the_vendored_spec(emulator: Emulator) -> None:
    validator = Validator()
    slack = emulator.service("slack")
    assert set(slack.methods) <= set(validator.operations("slack"))  # type: ignore[attr-defined]
    statuspage = emulator.service("statuspage")
    routed = {f"{method} {template}" for method, template, *_ in statuspage._routes}  # type: ignore[attr-defined]
    assert routed <= set(validator.operations("statuspage"))


def test_slack_and_statuspage_client_calls_are_validated_both_ways(
    emulator: Emulator, clock: FakeClock
) -> None:
    """The generic core validates the other two services too: drive their clients and check."""
    from oncall_cli.clients._http import Runtime
    from oncall_cli.clients.slack import SlackClient
    from oncall_cli.clients.statuspage import StatuspageClient

    runtime = Runtime(sleep=clock.sleep, clock=clock.monotonic, wall=clock.monotonic)
    (page,) = emulator.query("SELECT id FROM statuspage_pages")
    with emulator.client() as http:
        slack = SlackClient(http, token="xoxb-sandbox", base_url=SLACK, runtime=runtime)
        slack.auth_test()
        channel = slack.conversations_create(name="inc-validation")
        users = list(slack.iter_users())
        humans = [u.id for u in users if not u.is_bot and u.id != "USLACKBOT"]
        slack.conversations_invite(channel=channel.id, users=humans[:3])
        slack.conversations_set_topic(channel=channel.id, topic="Incident")
        slack.chat_post_message(channel=channel.id, text="hello")
        email = emulator.query("SELECT username FROM opsgenie_users ORDER BY seq LIMIT 1")[0]["username"]
        assert slack.users_lookup_by_email(email=email).id
        sp = StatuspageClient(http, api_key="sandbox-key", page_id=page["id"], base_url=SP, runtime=runtime)
        sp.get_page()
        components = sp.list_components()
        incident = sp.create_incident(
            name="Degraded search", body="Looking", components={components[0].id: "degraded_performance"}
        )
        sp.update_incident(incident_id=incident.id, status="resolved", body="Fixed")
        sp.list_unresolved_incidents()
    called = {(c.service, c.operation) for c in emulator.calls}
    assert {s for s, _ in called} == {"slack", "statuspage"}
    for service, operation in called:
        assert (service, operation, "request") in emulator.validated, operation
        assert (service, operation, "response") in emulator.validated, operation
