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


def test_overrides_are_created_in_the_list_form(router: respx.MockRouter, clock: FakeClock) -> None:
    start = datetime(2025, 3, 10, 11, tzinfo=NY)
    end = datetime(2025, 3, 17, 11, tzinfo=NY)
    answer = [
        {
            "status": 201,
            "override": {
                "id": "PO1",
                "start": start.isoformat(),
                "end": end.isoformat(),
                "user": {"id": "PU1", "type": "user_reference"},
            },
        }
    ]
    route = router.post(f"{BASE}/schedules/PS1/overrides", headers=HEADERS).respond(201, json=answer)
    created = _client(router, clock).create_overrides(
        schedule_id="PS1", overrides=[("PU1", start, end)], time_zone="America/New_York"
    )
    assert [o.id for o in created] == ["PO1"]
    assert json.loads(route.calls[0].request.content) == {
        "overrides": [
            {
                "start": "2025-03-10T11:00:00-04:00",
                "end": "2025-03-17T11:00:00-04:00",
                "user": {"id": "PU1", "type": "user_reference"},
                "time_zone": "America/New_York",
            }
        ]
    }


def test_a_refused_override_in_a_201_answer_raises(router: respx.MockRouter, clock: FakeClock) -> None:
    start = datetime(2025, 3, 10, 11, tzinfo=NY)
    router.post(f"{BASE}/schedules/PS1/overrides").respond(
        201, json=[{"status": 400, "errors": ["Override must end after its start"]}]
    )
    with pytest.raises(RejectedError, match="must end after its start"):
        _client(router, clock).create_overrides(
            schedule_id="PS1", overrides=[("PU1", start, start)], time_zone="America/New_York"
        )


def test_oncalls_for_both_schedules_is_one_request(router: respx.MockRouter, clock: FakeClock) -> None:
    at = datetime(2025, 3, 10, 12, tzinfo=NY)
    route = router.get(f"{BASE}/oncalls").respond(
        200,
        json={
            "oncalls": [
                {
                    "user": {"id": "PU1", "type": "user_reference", "summary": "User 1"},
                    "schedule": {"id": "PSA", "type": "schedule_reference"},
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


def test_update_schedule_puts_every_layer_with_its_turn_and_users(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    from oncall_cli.clients.pagerduty_models import LayerUser, Reference, ScheduleLayer

    start = datetime(2027, 3, 1, 11, tzinfo=NY)
    answer = {"schedule": {"id": "PSA", "type": "schedule", "name": "rot-a", "time_zone": "America/New_York"}}
    route = router.put(f"{BASE}/schedules/PSA", headers=HEADERS).respond(200, json=answer)
    layer = ScheduleLayer(
        id="PL1",
        name="rot-a",
        start=start,
        end=datetime(2027, 3, 29, 11, tzinfo=NY),
        rotation_virtual_start=start,
        rotation_turn_length_seconds=604800,
        users=[LayerUser(user=Reference.user("PU1")), LayerUser(user=Reference.user("PU2"))],
    )
    _client(router, clock).update_schedule(
        schedule_id="PSA", name="rot-a", time_zone="America/New_York", layers=[layer]
    )
    assert json.loads(route.calls[0].request.content) == {
        "schedule": {
            "type": "schedule",
            "name": "rot-a",
            "time_zone": "America/New_York",
            "schedule_layers": [
                {
                    "id": "PL1",
                    "name": "rot-a",
                    "start": "2027-03-01T11:00:00-05:00",
                    "end": "2027-03-29T11:00:00-04:00",
                    "rotation_virtual_start": "2027-03-01T11:00:00-05:00",
                    "rotation_turn_length_seconds": 604800,
                    "users": [
                        {"user": {"id": "PU1", "type": "user_reference"}},
                        {"user": {"id": "PU2", "type": "user_reference"}},
                    ],
                }
            ],
        }
    }
    assert route.calls[0].request.headers["Content-Type"] == "application/json"
