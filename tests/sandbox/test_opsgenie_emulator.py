"""The Opsgenie emulator, through httpx and the real OpsgenieClient: envelopes, errors, paging, async
incidents, and who is on call computed from rotations and overrides (hand-worked examples)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from oncall_cli.clients.opsgenie import OpsgenieClient
from oncall_cli.clients.opsgenie_models import Recipient, RotationRef
from oncall_cli.errors import NotFoundError, RejectedError, UnavailableError
from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.sandbox.opsgenie import OpsgenieEmulator

from .conftest import NOW, OG, OG_AUTH

NY = ZoneInfo("America/New_York")
SCHEDULE = "Engineering_schedule"


def get(http: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return http.get(OG + path, params=params, headers=OG_AUTH)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# ---- envelopes, errors, paging ---------------------------------------------------------------------------


def test_success_envelope_has_data_took_and_request_id(http: httpx.Client) -> None:
    response = get(http, "/v2/account")
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"data", "took", "requestId"}
    assert body["data"]["name"] == "oncall-sandbox"
    assert response.headers["X-Request-ID"] == body["requestId"]


def test_unknown_user_is_404_with_opsgenie_error_shape(http: httpx.Client) -> None:
    response = get(http, "/v2/users/nobody@example.com")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "took", "requestId"}


def test_unknown_route_is_404_with_opsgenie_error_shape(http: httpx.Client) -> None:
    response = get(http, "/v2/heartbeats")
    assert response.status_code == 404
    assert "message" in response.json()


def test_users_are_paged_with_next_first_last_links(http: httpx.Client) -> None:
    first = get(http, "/v2/users", limit=10).json()
    assert len(first["data"]) == 10 and first["totalCount"] == 24
    assert set(first["paging"]) >= {"next", "first", "last"}
    seen = [u["username"] for u in first["data"]]
    next_url = first["paging"]["next"]
    while next_url:
        page = http.get(next_url, headers=OG_AUTH).json()
        seen += [u["username"] for u in page["data"]]
        next_url = page["paging"].get("next")
    assert len(seen) == len(set(seen)) == 24
    assert seen == sorted(seen)


def test_limit_above_100_is_refused_with_422(http: httpx.Client) -> None:
    response = get(http, "/v2/users", limit=101)
    assert response.status_code == 422
    assert "limit" in response.json()["errors"]


def test_user_details_hold_start_date_and_manager(og: OpsgenieClient) -> None:
    users = og.list_users()
    assert len(users) == 24
    for user in users:
        assert len(user.details["start_date"]) == 1
        datetime.fromisoformat(user.details["start_date"][0])
        assert user.details["manager"][0].endswith("@example.com")


def test_get_user_by_id_or_username_create_and_delete(og: OpsgenieClient) -> None:
    created = og.create_user(
        username="new.hire@example.com",
        full_name="New Hire",
        time_zone="Europe/London",
        details={"start_date": "2025-04-07", "manager": "boss@example.com"},
    )
    by_name = og.get_user(identifier="new.hire@example.com")
    assert by_name.id == created.id
    assert og.get_user(identifier=created.id or "").details["start_date"] == ["2025-04-07"]
    og.delete_user(identifier="new.hire@example.com")
    with pytest.raises(NotFoundError):
        og.get_user(identifier="new.hire@example.com")


def test_account_seat_limit_is_refused_like_opsgenie(og: OpsgenieClient) -> None:
    account = og.get_account()
    assert account.plan is not None and account.plan.max_user_count is not None
    for i in range(account.plan.max_user_count - 24):
        og.create_user(username=f"seat{i}@example.com", full_name=f"Seat {i}")
    with pytest.raises(RejectedError) as info:
        og.create_user(username="one.too.many@example.com", full_name="One Too Many")
    assert info.value.details["reason"] == "user_limit"


def test_team_members_and_add_member(og: OpsgenieClient) -> None:
    team = og.get_team(identifier="Engineering", identifier_type="name")
    assert len(team.members) == 24
    og.create_user(username="x@example.com", full_name="X")
    og.add_team_member(team="Engineering", team_identifier_type="name", username="x@example.com")
    assert len(og.get_team(identifier=team.id or "").members) == 25


def test_services_are_listed_and_artsy_is_found(og: OpsgenieClient) -> None:
    artsy = og.find_service(name="Artsy")
    assert artsy is not None and artsy.id


# ---- rotations and overrides: validation -----------------------------------------------------------------


def test_rotation_with_unknown_participant_is_422(http: httpx.Client) -> None:
    body = {
        "name": "r",
        "type": "weekly",
        "startDate": "2025-03-03T11:00:00-05:00",
        "participants": [{"type": "user", "username": "ghost@example.com"}],
    }
    response = http.post(
        OG + f"/v2/schedules/{SCHEDULE}/rotations",
        params={"scheduleIdentifierType": "name"},
        json=body,
        headers=OG_AUTH,
    )
    assert response.status_code == 422
    assert "participants" in response.json()["errors"]


def test_rotation_create_get_patch_delete(og: OpsgenieClient) -> None:
    user = og.list_users()[0].username
    ref = og.create_schedule_rotation(
        schedule=SCHEDULE,
        schedule_identifier_type="name",
        name="rot-c",
        type="weekly",
        start_date=datetime(2025, 3, 3, 11, tzinfo=NY),
        participants=[Recipient.user(user), Recipient.no_one()],
    )
    rotation = og.get_schedule_rotation(
        schedule=SCHEDULE, schedule_identifier_type="name", rotation_id=ref.id or ""
    )
    assert rotation.name == "rot-c" and [p.type for p in rotation.participants] == ["user", "none"]
    og.update_schedule_rotation(
        schedule=SCHEDULE,
        schedule_identifier_type="name",
        rotation_id=ref.id or "",
        participants=[Recipient.no_one()],
    )
    names = [r.name for r in og.list_schedule_rotations(schedule=SCHEDULE, schedule_identifier_type="name")]
    assert names == ["rot-a", "rot-b", "rot-c"]
    og.delete_schedule_rotation(schedule=SCHEDULE, schedule_identifier_type="name", rotation_id=ref.id or "")
    with pytest.raises(NotFoundError):
        og.get_schedule_rotation(schedule=SCHEDULE, schedule_identifier_type="name", rotation_id=ref.id or "")


def test_override_create_get_put_delete_by_alias(og: OpsgenieClient) -> None:
    user = og.list_users()[0].username
    start, end = datetime(2025, 3, 6, 9, tzinfo=NY), datetime(2025, 3, 6, 17, 30, tzinfo=NY)
    meta = og.create_schedule_override(
        schedule=SCHEDULE,
        schedule_identifier_type="name",
        alias="cover",
        user=Recipient.user(user),
        start_date=start,
        end_date=end,
        rotations=[RotationRef(name="rot-a")],
    )
    assert meta.alias == "cover"
    got = og.get_schedule_override(schedule=SCHEDULE, schedule_identifier_type="name", alias="cover")
    assert got.user.username == user and [r.name for r in got.rotations] == ["rot-a"]
    og.update_schedule_override(
        schedule=SCHEDULE,
        schedule_identifier_type="name",
        alias="cover",
        user=Recipient.no_one(),
        start_date=start,
        end_date=end,
    )
    assert (
        og.list_schedule_overrides(schedule=SCHEDULE, schedule_identifier_type="name")[0].user.type == "none"
    )
    og.delete_schedule_override(schedule=SCHEDULE, schedule_identifier_type="name", alias="cover")
    with pytest.raises(NotFoundError):
        og.get_schedule_override(schedule=SCHEDULE, schedule_identifier_type="name", alias="cover")


# ---- who is on call: hand-worked examples ----------------------------------------------------------------


@pytest.fixture
def two_person_schedule(og: OpsgenieClient) -> OpsgenieClient:
    """Replace the seed rotations by one weekly rotation: alice then bob, handoff Monday 11:00 New York,
    from Monday 3 March 2025 (EST). DST starts Sunday 9 March: the handoff of Monday 10 March is 11:00
    EDT = 15:00 UTC, not 16:00 UTC."""
    for rotation in og.list_schedule_rotations(schedule=SCHEDULE, schedule_identifier_type="name"):
        og.delete_schedule_rotation(
            schedule=SCHEDULE, schedule_identifier_type="name", rotation_id=rotation.id or ""
        )
    for name in ("alice", "bob", "carol"):
        og.create_user(username=f"{name}@example.com", full_name=name.title())
    og.create_schedule_rotation(
        schedule=SCHEDULE,
        schedule_identifier_type="name",
        name="r1",
        type="weekly",
        start_date=datetime(2025, 3, 3, 11, tzinfo=NY),
        participants=[Recipient.user("alice@example.com"), Recipient.user("bob@example.com")],
    )
    return og


def on_call(og: OpsgenieClient, at: str) -> list[str]:
    return og.get_on_calls(identifier=SCHEDULE, identifier_type="name", flat=True, date=utc(at)).usernames


def test_handoff_stays_at_11_local_across_the_dst_change(two_person_schedule: OpsgenieClient) -> None:
    og = two_person_schedule
    assert on_call(og, "2025-03-05T15:00:00Z") == ["alice@example.com"]
    assert on_call(og, "2025-03-10T14:59:00Z") == ["alice@example.com"]  # 10:59 EDT
    assert on_call(og, "2025-03-10T15:00:00Z") == ["bob@example.com"]  # 11:00 EDT
    assert on_call(og, "2025-03-17T15:00:00Z") == ["alice@example.com"]


def test_non_flat_on_calls_carry_participant_objects(two_person_schedule: OpsgenieClient) -> None:
    result = two_person_schedule.get_on_calls(identifier=SCHEDULE, identifier_type="name")
    assert [(p.name, p.type) for p in result.participants] == [("alice@example.com", "user")]
    assert result.usernames == []


def test_next_on_calls_use_the_inverted_field_names(
    two_person_schedule: OpsgenieClient, http: httpx.Client
) -> None:
    flat = get(
        http, f"/v2/schedules/{SCHEDULE}/next-on-calls", scheduleIdentifierType="name", flat="true"
    ).json()
    assert flat["data"]["nextOnCallParticipants"] == ["bob@example.com"]
    assert flat["data"]["exactNextOnCallParticipants"] == ["bob@example.com"]
    objects = two_person_schedule.get_next_on_calls(identifier=SCHEDULE, identifier_type="name")
    assert [p.name for p in objects.participants] == ["bob@example.com"]


def test_override_spanning_two_shifts(two_person_schedule: OpsgenieClient) -> None:
    """carol covers Sunday 9 March 12:00 to Tuesday 11 March 12:00 (New York): the end of alice's shift
    and the start of bob's. Hand-worked: alice until 9 Mar 16:00Z, carol until 11 Mar 16:00Z, then bob."""
    og = two_person_schedule
    og.create_schedule_override(
        schedule=SCHEDULE,
        schedule_identifier_type="name",
        alias="carol-cover",
        user=Recipient.user("carol@example.com"),
        start_date=datetime(2025, 3, 9, 12, tzinfo=NY),
        end_date=datetime(2025, 3, 11, 12, tzinfo=NY),
    )
    assert on_call(og, "2025-03-09T15:59:00Z") == ["alice@example.com"]
    assert on_call(og, "2025-03-09T16:00:00Z") == ["carol@example.com"]
    assert on_call(og, "2025-03-10T15:30:00Z") == ["carol@example.com"]  # bob's shift has started
    assert on_call(og, "2025-03-11T16:00:00Z") == ["bob@example.com"]
    timeline = og.get_schedule_timeline(
        identifier=SCHEDULE,
        identifier_type="name",
        interval=2,
        interval_unit="weeks",
        date=utc("2025-03-03T16:00:00Z"),
    )
    (rotation,) = timeline.final_timeline.rotations
    periods = [
        (p.start_date.astimezone(UTC).isoformat()[:16], p.recipient.name if p.recipient else None, p.type)
        for p in rotation.periods
    ]
    assert periods == [
        ("2025-03-03T16:00", "alice@example.com", "default"),
        ("2025-03-09T16:00", "carol@example.com", "override"),
        ("2025-03-10T15:00", "carol@example.com", "override"),
        ("2025-03-11T16:00", "bob@example.com", "default"),
        ("2025-03-17T15:00", "alice@example.com", "default"),
    ]


def test_seed_rotations_are_running_without_a_placeholder(og: OpsgenieClient) -> None:
    schedule = og.get_schedule(identifier=SCHEDULE, identifier_type="name")
    assert schedule.timezone == "America/New_York"
    rot_a, rot_b = schedule.rotations
    assert (rot_a.name, rot_b.name) == ("rot-a", "rot-b")
    for rotation, weekday in ((rot_a, 0), (rot_b, 2)):
        local = rotation.start_date.astimezone(NY)
        assert (local.weekday(), local.hour, local.minute) == (weekday, 11, 0)
        assert NOW - timedelta(weeks=9) < rotation.start_date < NOW - timedelta(weeks=3)
    assert sum(p.type == "none" for p in rot_a.participants + rot_b.participants) == 0
    on_calls = og.get_on_calls(identifier=SCHEDULE, identifier_type="name", flat=True)
    assert 1 <= len(on_calls.usernames) <= 2


# ---- incidents -------------------------------------------------------------------------------------------


def test_incident_create_is_async_202_and_polls_until_processed(
    og: OpsgenieClient, emulator: Emulator, http: httpx.Client
) -> None:
    with emulator.locked() as db:
        OpsgenieEmulator.set_pending_polls(db, 2)
    artsy = og.find_service(name="Artsy")
    assert artsy is not None and artsy.id
    raw = http.post(
        OG + "/v1/incidents/create", json={"message": "raw", "serviceId": artsy.id}, headers=OG_AUTH
    )
    assert raw.status_code == 202 and raw.json()["result"] == "Request will be processed"
    pending = get(http, f"/v1/incidents/requests/{raw.json()['requestId']}")
    assert pending.status_code == 404 and pending.headers["X-Opsgenie-Errortype"] == "RequestNotProcessed"
    incident = og.create_incident_and_wait(
        message="Website down",
        service_id=artsy.id,
        priority="P1",
        tags=["sev1"],
        details={"source": "oncall"},
    )
    assert incident.tiny_id == "2"
    assert incident.status == "open" and incident.priority == "P1" and incident.tags == ["sev1"]
    assert og.get_incident(identifier="2", identifier_type="tiny").id == incident.id


def test_incident_with_unknown_service_fails_in_the_request_status(og: OpsgenieClient) -> None:
    with pytest.raises(RejectedError):
        og.create_incident_and_wait(message="x", service_id="no-such-service")


def test_incident_never_processed_times_out(og: OpsgenieClient, emulator: Emulator) -> None:
    with emulator.locked() as db:
        OpsgenieEmulator.set_pending_polls(db, 10_000)
    artsy = og.find_service(name="Artsy")
    assert artsy is not None and artsy.id
    with pytest.raises(UnavailableError):
        og.create_incident_and_wait(message="x", service_id=artsy.id, timeout=3)


def test_incident_bad_priority_is_422(http: httpx.Client) -> None:
    response = http.post(
        OG + "/v1/incidents/create",
        json={"message": "x", "serviceId": "s", "priority": "P9"},
        headers=OG_AUTH,
    )
    assert response.status_code == 422
    assert set(response.json()) == {"message", "took", "requestId", "errors"}
    assert "priority" in response.json()["errors"]


def test_incident_actions_apply_immediately(og: OpsgenieClient, emulator: Emulator) -> None:
    artsy = og.find_service(name="Artsy")
    assert artsy is not None and artsy.id
    incident = og.create_incident_and_wait(message="API errors", service_id=artsy.id)
    og.add_incident_note(identifier=incident.id, note="looking")
    og.add_incident_responders(identifier=incident.id, responders=[Recipient.team("Engineering")])
    og.add_incident_tags(identifier=incident.id, tags=["api", "db"])
    og.remove_incident_tags(identifier=incident.id, tags=["db"])
    og.add_incident_details(identifier=incident.id, details={"slack": "#inc-1", "page": "x"})
    og.remove_incident_details(identifier=incident.id, keys=["page"])
    og.update_incident_priority(identifier=incident.id, priority="P2")
    og.resolve_incident(identifier=incident.id, note="fixed")
    got = og.get_incident(identifier=incident.id)
    assert (got.status, got.priority, got.tags, got.extra_properties) == (
        "resolved",
        "P2",
        ["api"],
        {"slack": "#inc-1"},
    )
    assert [r.type for r in got.responders] == ["team"]
    assert [n.note for n in og.list_incident_notes(identifier=incident.id, order="asc")] == [
        "looking",
        "fixed",
    ]
    og.close_incident(identifier=incident.id)
    assert og.get_incident(identifier=incident.id).status == "closed"
    assert len(emulator.query("SELECT * FROM opsgenie_alerts WHERE alias = ?", (incident.id,))) == 1


def test_list_incidents_query_and_paging(og: OpsgenieClient) -> None:
    artsy = og.find_service(name="Artsy")
    assert artsy is not None and artsy.id
    ids = [og.create_incident_and_wait(message=f"Outage {i}", service_id=artsy.id).id for i in range(3)]
    og.resolve_incident(identifier=ids[0])
    assert {i.id for i in og.list_incidents(query="status:open")} == set(ids[1:])
    assert [i.message for i in og.list_incidents(query='message:"Outage 2"')] == ["Outage 2"]
    assert [i.tiny_id for i in og.iter_incidents(query="", sort="tinyId", order="asc", limit=1)] == [
        "1",
        "2",
        "3",
    ]


def test_incident_timeline_entries(og: OpsgenieClient) -> None:
    artsy = og.find_service(name="Artsy")
    assert artsy is not None and artsy.id
    incident = og.create_incident_and_wait(message="x", service_id=artsy.id)
    entry = og.add_incident_timeline_entry(
        incident_id=incident.id, content="Rolled back", time=datetime(2025, 3, 5, 10, 5, tzinfo=NY)
    )
    assert entry is not None and entry.description is not None and entry.description.content == "Rolled back"
    assert [e.id for e in og.list_incident_timeline_entries(incident_id=incident.id)] == [entry.id]
    with pytest.raises(NotFoundError):
        og.add_incident_timeline_entry(incident_id="nope", content="x")


def test_close_alert_is_async(og: OpsgenieClient, emulator: Emulator, http: httpx.Client) -> None:
    with emulator.locked() as db:
        OpsgenieEmulator.set_pending_polls(db, 0)
    (alert,) = emulator.query("SELECT id FROM opsgenie_alerts WHERE tiny_id = 1")
    request_id = og.close_alert(identifier=alert["id"], note="done")
    status = get(http, f"/v2/alerts/requests/{request_id}").json()["data"]
    assert status["isSuccess"] is True and status["alertId"] == alert["id"]
