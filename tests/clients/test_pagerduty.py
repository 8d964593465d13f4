"""The PagerDuty client against respx: the exact requests (auth, versioned Accept, From), paging to the end,
429 with PagerDuty's rate-limit headers, and PagerDuty's error bodies as clear errors."""

from __future__ import annotations

import json
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from oncall_cli.clients._http import Runtime
from oncall_cli.clients.pagerduty import ACCEPT, PagerDutyClient
from oncall_cli.errors import AuthError, NotFoundError, RejectedError, UsageError

from .conftest import FakeClock

BASE = "https://api.pagerduty.com"
KEY = "u+AbCdEfGhIjKlMnOpQr"
HEADERS = {"Authorization": f"Token token={KEY}", "Accept": ACCEPT}
NY = ZoneInfo("America/New_York")


def _client(router: respx.MockRouter, clock: FakeClock, *, from_email: str = "") -> PagerDutyClient:
    runtime = Runtime(sleep=clock.sleep, clock=clock, wall=lambda: 1_700_000_000.0, rng=random.Random(1))
    http = httpx.Client(transport=httpx.MockTransport(router.handler))
    return PagerDutyClient(http, api_key=KEY, base_url=BASE, from_email=from_email, runtime=runtime)


def _user(n: int) -> dict[str, object]:
    return {"id": f"PU{n:05d}", "type": "user", "name": f"User {n}", "email": f"u{n}@example.com"}


def test_every_request_sends_the_token_and_the_versioned_accept_header(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(f"{BASE}/users", headers=HEADERS).respond(
        200, json={"users": [_user(1)], "more": False, "offset": 0, "limit": 100}
    )
    users = _client(router, clock).list_users(query="u1@example.com")
    assert [u.email for u in users] == ["u1@example.com"]
    assert dict(route.calls[0].request.url.params) == {
        "query": "u1@example.com",
        "offset": "0",
        "limit": "100",
    }


def test_lists_follow_more_to_the_last_page(router: respx.MockRouter, clock: FakeClock) -> None:
    pages = [
        {"users": [_user(n) for n in range(100)], "more": True, "offset": 0, "limit": 100},
        {"users": [_user(n) for n in range(100, 130)], "more": False, "offset": 100, "limit": 100},
    ]
    route = router.get(f"{BASE}/users").mock(side_effect=[httpx.Response(200, json=p) for p in pages])
    users = _client(router, clock).list_users(team_ids=["PT1"])
    assert len(users) == 130
    offsets = [c.request.url.params["offset"] for c in route.calls]
    assert offsets == ["0", "100"]
    assert route.calls[1].request.url.params.get_list("team_ids[]") == ["PT1"]


def test_429_waits_for_ratelimit_reset_then_retries(router: respx.MockRouter, clock: FakeClock) -> None:
    limited = httpx.Response(
        429,
        json={"error": {"message": "Rate Limit Exceeded", "code": 2020}},
        headers={"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": "7"},
    )
    ok = httpx.Response(
        200, json={"teams": [{"id": "PT1", "type": "team", "name": "Engineering"}], "more": False}
    )
    router.get(f"{BASE}/teams").mock(side_effect=[limited, ok])
    teams = _client(router, clock).list_teams(query="Engineering")
    assert [t.name for t in teams] == ["Engineering"]
    assert 7 <= clock.sleeps[0] < 8


def test_error_bodies_become_clear_errors_without_the_key(router: respx.MockRouter, clock: FakeClock) -> None:
    router.get(f"{BASE}/users/PNOPE").respond(404, json={"error": {"message": "Not Found", "code": 2100}})
    router.get(f"{BASE}/users").respond(401, json={"error": {"message": "Invalid Credentials", "code": 2006}})
    client = _client(router, clock)
    with pytest.raises(NotFoundError, match=r"Not Found \(code 2100\)"):
        client.get_user(user_id="PNOPE")
    with pytest.raises(AuthError) as caught:
        client.check_key()
    assert "Invalid Credentials" in caught.value.message and KEY not in str(caught.value)


def test_create_user_acts_as_the_from_email(router: respx.MockRouter, clock: FakeClock) -> None:
    route = router.post(f"{BASE}/users", headers={**HEADERS, "From": "lead@example.com"}).respond(
        201, json={"user": _user(9)}
    )
    _client(router, clock, from_email="lead@example.com").create_user(
        name="User 9", email="u9@example.com", time_zone="America/New_York"
    )
    assert json.loads(route.calls[0].request.content) == {
        "user": {
            "type": "user",
            "name": "User 9",
            "email": "u9@example.com",
            "role": "user",
            "time_zone": "America/New_York",
        }
    }


def test_create_user_without_a_from_email_names_the_setting(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    with pytest.raises(UsageError) as caught:
        _client(router, clock).create_user(name="X", email="x@example.com", time_zone=None)
    assert "pagerduty.from" in caught.value.hint


def _event(members: list[str | None], **extra: object) -> object:
    from oncall_cli.clients.pagerduty_models import AssignmentStrategy, Event, ShiftMember, ZonedDateTime

    start = datetime(2027, 3, 1, 11, tzinfo=NY)
    return Event(
        name="rot-a-next",
        start_time=ZonedDateTime(date_time=start, time_zone="America/New_York"),
        end_time=ZonedDateTime(date_time=datetime(2027, 3, 8, 11, tzinfo=NY), time_zone="America/New_York"),
        effective_since=start,
        recurrence=["RRULE:FREQ=WEEKLY"],
        assignment_strategy=AssignmentStrategy(
            shifts_per_member=1, members=[ShiftMember.of(m) for m in members]
        ),
        **extra,
    )


EVENT_WIRE = {
    "name": "rot-a-next",
    "start_time": {"date_time": "2027-03-01T11:00:00-05:00", "time_zone": "America/New_York"},
    "end_time": {"date_time": "2027-03-08T11:00:00-05:00", "time_zone": "America/New_York"},
    "effective_since": "2027-03-01T11:00:00-05:00",
    "recurrence": ["RRULE:FREQ=WEEKLY"],
    "assignment_strategy": {
        "type": "rotating_member_assignment_strategy",
        "shifts_per_member": 1,
        "members": [
            {"type": "user_member", "user_id": "PU1"},
            {"type": "empty_member"},
            {"type": "user_member", "user_id": "PU2"},
        ],
    },
}


def test_a_rotation_is_created_empty_then_its_event_holds_an_empty_member(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    rotation = router.post(f"{BASE}/v3/schedules/PS1/rotations", headers=HEADERS).respond(
        201, json={"rotation": {"id": "PR1", "type": "schedule_rotation", "events": []}}
    )
    event = router.post(f"{BASE}/v3/schedules/PS1/rotations/PR1/events", headers=HEADERS).respond(
        201, json={"event": {**EVENT_WIRE, "id": "PE1", "type": "schedule_event"}}
    )
    client = _client(router, clock)
    created = client.create_rotation_v3(schedule_id="PS1")
    made = client.create_event(schedule_id="PS1", rotation_id=created.id, event=_event(["PU1", None, "PU2"]))
    assert json.loads(rotation.calls[0].request.content) == {}
    assert json.loads(event.calls[0].request.content) == {"event": EVENT_WIRE}
    assert [m.user for m in made.assignment_strategy.members] == ["PU1", None, "PU2"]


def test_a_running_event_is_ended_with_effective_until_only(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    until = datetime(2027, 2, 3, 10, tzinfo=NY)
    route = router.put(f"{BASE}/v3/schedules/PS1/rotations/PR1/events/PE1", headers=HEADERS).respond(
        200,
        json={
            "event": {
                **EVENT_WIRE,
                "id": "PE1",
                "type": "schedule_event",
                "effective_until": "2027-02-03T15:00:00Z",
            }
        },
    )
    ended = _client(router, clock).update_event(
        schedule_id="PS1", rotation_id="PR1", event_id="PE1", effective_until=until
    )
    assert json.loads(route.calls[0].request.content) == {
        "event": {"effective_until": "2027-02-03T10:00:00-05:00"}
    }
    assert ended.effective_until == until


def test_the_schedule_is_found_by_name_and_read_with_its_final_schedule(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    listed = router.get(f"{BASE}/v3/schedules", headers=HEADERS).respond(
        200,
        json={
            "schedules": [{"id": "PS1", "type": "schedule_v3_reference", "summary": "Engineering_schedule"}],
            "more": False,
        },
    )
    since, until = datetime(2027, 3, 1, 11, tzinfo=NY), datetime(2027, 3, 8, 11, tzinfo=NY)
    shift = {
        "type": "computed_shift_assignment",
        "start_time": "2027-03-01T16:00:00Z",
        "end_time": "2027-03-08T16:00:00Z",
        "member": {"type": "empty_member"},
        "source": {"type": "schedule_rotation", "rotation_id": "PR1"},
    }
    read = router.get(f"{BASE}/v3/schedules/PS1", headers=HEADERS).respond(
        200,
        json={
            "schedule": {
                "id": "PS1",
                "type": "schedule_v3",
                "name": "Engineering_schedule",
                "time_zone": "America/New_York",
                "rotations": [
                    {
                        "id": "PR1",
                        "type": "schedule_rotation",
                        "events": [{**EVENT_WIRE, "id": "PE1", "type": "schedule_event"}],
                    }
                ],
                "final_schedule": {
                    "type": "final_schedule",
                    "rendered_coverage_percentage": 0,
                    "computed_shift_assignments": [shift],
                },
            }
        },
    )
    client = _client(router, clock)
    (ref,) = client.list_schedules_v3(query="Engineering_schedule")
    schedule = client.get_schedule_v3(schedule_id=ref.id, since=since, until=until)
    assert listed.calls[0].request.url.params["query"] == "Engineering_schedule"
    params = read.calls[0].request.url.params
    assert (params["include[]"], params["since"], params["until"]) == (
        "final_schedule",
        "2027-03-01T11:00:00-05:00",
        "2027-03-08T11:00:00-05:00",
    )
    assert schedule.final_schedule is not None
    (computed,) = schedule.final_schedule.computed_shift_assignments
    assert computed.member.user is None and computed.source.rotation_id == "PR1"
    assert schedule.rotations[0].events[0].assignment_strategy.members[1].type == "empty_member"


def test_an_override_names_its_rotation_and_the_member_it_replaces(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    from oncall_cli.clients.pagerduty_models import OverrideShift, ShiftMember

    start = datetime(2027, 3, 10, 11, tzinfo=NY)
    end = datetime(2027, 3, 12, 11, tzinfo=NY)
    wire = {
        "type": "override_shift",
        "rotation_id": "PR1",
        "start_time": "2027-03-10T11:00:00-05:00",
        "end_time": "2027-03-12T11:00:00-05:00",
        "overridden_member": {"type": "empty_member"},
        "overriding_member": {"type": "user_member", "user_id": "PU9"},
    }
    route = router.post(f"{BASE}/v3/schedules/PS1/overrides", headers=HEADERS).respond(
        201, json={"overrides": [{**wire, "id": "PO1"}]}
    )
    deleted = router.delete(f"{BASE}/v3/schedules/PS1/overrides/PO1", headers=HEADERS).respond(204)
    client = _client(router, clock)
    (created,) = client.create_overrides_v3(
        schedule_id="PS1",
        overrides=[
            OverrideShift(
                rotation_id="PR1",
                start_time=start,
                end_time=end,
                overridden_member=ShiftMember.of(None),
                overriding_member=ShiftMember.of("PU9"),
            )
        ],
    )
    assert json.loads(route.calls[0].request.content) == {"overrides": [wire]}
    assert created.id == "PO1" and created.overriding_member.user == "PU9"
    client.delete_override_v3(schedule_id="PS1", override_id="PO1")
    assert deleted.call_count == 1


def test_a_v3_error_names_each_field_and_its_reasons(router: respx.MockRouter, clock: FakeClock) -> None:
    router.post(f"{BASE}/v3/schedules/PS1/rotations/PR1/events").respond(
        400,
        json={
            "error": {
                "message": "Invalid Input Provided",
                "code": 2001,
                "errors": {"effective_since": ["Events within a rotation cannot overlap"]},
            }
        },
    )
    with pytest.raises(RejectedError, match="effective_since: Events within a rotation cannot overlap"):
        _client(router, clock).create_event(schedule_id="PS1", rotation_id="PR1", event=_event(["PU1"]))


def test_oncalls_for_the_schedules_is_one_request(router: respx.MockRouter, clock: FakeClock) -> None:
    at = datetime(2025, 3, 10, 12, tzinfo=NY)
    route = router.get(f"{BASE}/oncalls").respond(
        200,
        json={
            "oncalls": [
                {
                    "user": {"id": "PU1", "type": "user_reference", "summary": "User 1"},
                    "schedule": {
                        "id": "PSA",
                        "type": "schedule_v3_reference",
                        "summary": "Engineering_schedule",
                    },
                    "escalation_level": 1,
                },
            ],
            "more": False,
        },
    )
    oncalls = _client(router, clock).list_oncalls(schedule_ids=["PSA", "PSB"], since=at)
    assert [o.user.id for o in oncalls] == ["PU1"]
    assert route.call_count == 1
    params = route.calls[0].request.url.params
    assert params.get_list("schedule_ids[]") == ["PSA", "PSB"]
    assert params["since"] == params["until"] == "2025-03-10T12:00:00-04:00"
