"""The Opsgenie client against a respx router: exact requests out, realistic vendor bodies in.

No network and no patching: the client gets an `httpx.Client` whose transport is the router's handler, and a
Runtime whose sleep and clock are fakes, so retries and polling run instantly.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from oncall_cli.clients._http import RetryPolicy, Runtime
from oncall_cli.clients.opsgenie import USER_LIMIT_HINT, OpsgenieClient
from oncall_cli.clients.opsgenie_models import (
    Recipient,
    RotationRef,
    StatusPageEntry,
    TimeOfDayRestriction,
    TimeRestriction,
)
from oncall_cli.errors import (
    AuthError,
    NotFoundError,
    OncallError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
    UsageError,
)
from oncall_cli.redaction import forget_secrets

BASE = "https://api.opsgenie.com"
KEY = "eb243592-faa2-4ba2-a551-1afdf565c889"
CET = timezone(timedelta(hours=1))
SCHEDULE_ID = "d875alp4-9b4e-4219-alp3-0c26936d18de"
INCIDENT_ID = "8743a1b2-11da-480e-8493-744660987bef"
REQUEST_ID = "ec7e1d8e-1c75-442e-a271-731070a7fa4d"


# --- harness ---------------------------------------------------------------------------------------------


class FakeTime:
    """A clock that only moves when the code under test sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now


@pytest.fixture(autouse=True)
def _no_leftover_secrets() -> Iterator[None]:
    yield
    forget_secrets()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    # assert_all_mocked (default) makes any unexpected request fail loudly inside the transport.
    mock = respx.MockRouter(assert_all_called=True, base_url=BASE)
    yield mock
    mock.assert_all_called()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def og(router: respx.MockRouter, fake_time: FakeTime) -> OpsgenieClient:
    runtime = Runtime(
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        wall=fake_time.wall,
        rng=random.Random(7),
        policy=RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=30.0, max_total=60.0),
    )
    return OpsgenieClient(
        httpx.Client(transport=httpx.MockTransport(router.handler)), api_key=KEY, runtime=runtime
    )


def ok(data: Any, status: int = 200, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"data": data, "took": 0.012, "requestId": "9ae63dd7-ed00", **extra})


def accepted(request_id: str = REQUEST_ID) -> httpx.Response:
    return httpx.Response(
        202, json={"result": "Request will be processed", "took": 0.107, "requestId": request_id}
    )


def error(status: int, message: str, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"message": message, "took": 0.003, "requestId": "e1b2c3d4", **extra})


def sent(route: respx.Route, index: int = -1) -> httpx.Request:
    """The request a route received, after checking the auth header every Opsgenie call must carry."""
    request: httpx.Request = route.calls[index].request
    assert request.headers["Authorization"] == f"GenieKey {KEY}"
    assert request.headers["Accept"] == "application/json"
    return request


def params(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params.multi_items())


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


# --- realistic bodies (docs.opsgenie.com samples, trimmed) ---------------------------------------------

USER = {
    "blocked": False,
    "verified": True,
    "id": "b5b92115-bfe7-43eb-8c2a-e467f2e5ddc4",
    "username": "jane@example.com",
    "fullName": "Jane Doe",
    "role": {"id": "User", "name": "User"},
    "timeZone": "Europe/Berlin",
    "locale": "en_US",
    "userAddress": {"country": "DE", "state": "", "city": "Berlin", "line": "", "zipCode": "10115"},
    "createdAt": "2017-05-24T08:51:02.181Z",
    "tags": ["sre"],
    "details": {"start_date": ["2024-03-01"], "manager": ["boss@example.com"]},
}

ROTATION = {
    "id": "a47alp93-0541-4aa3-bac6-4084cbd3b3d6",
    "name": "Primary",
    "startDate": "2024-03-04T09:00:00Z",
    "type": "weekly",
    "length": 1,
    "participants": [
        {"type": "user", "id": "b5b92115-bfe7-43eb-8c2a-e467f2e5ddc4", "username": "jane@example.com"},
        {"type": "none"},
    ],
}

SCHEDULE = {
    "id": SCHEDULE_ID,
    "name": "Platform On-Call",
    "description": "Platform team",
    "timezone": "Europe/Berlin",
    "enabled": True,
    "ownerTeam": {"id": "90098alp9-f0e3-41d3-a060-0ea895027630", "name": "platform"},
    "rotations": [ROTATION],
}

OVERRIDE = {
    "_parent": {"id": SCHEDULE_ID, "name": "Platform On-Call", "enabled": True},
    "alias": "swap-2024-03-05",
    "user": {"type": "user", "id": "c569c016-alp9-4e20-8a28-bd5dc33b798e", "username": "bob@example.com"},
    "startDate": "2024-03-05T09:00:00Z",
    "endDate": "2024-03-06T09:00:00Z",
    "rotations": [{"id": ROTATION["id"], "name": "Primary"}],
}

INCIDENT = {
    "id": INCIDENT_ID,
    "serviceId": "9d4fd3ff-9b4e-4d6a-a1f8-5c0a4e8e8b1a",
    "tinyId": "42",
    "message": "Checkout is down",
    "status": "open",
    "tags": ["sev1"],
    "createdAt": "2024-03-04T10:15:00.000Z",
    "updatedAt": "2024-03-04T10:15:30.000Z",
    "priority": "P1",
    "ownerTeam": "platform",
    "responders": [{"type": "team", "id": "90098alp9-f0e3-41d3-a060-0ea895027630"}],
    "extraProperties": {"runbook": "https://wiki/checkout"},
    "isSeen": False,
}

PROCESSED = {
    "success": True,
    "action": "Create",
    "processedAt": "2017-05-24T14:24:20.844Z",
    "integrationId": "c9cec2cb-e782-4ebb-bc1d-1b2fa703cf03",
    "isSuccess": True,
    "status": "Created incident",
    "incidentId": INCIDENT_ID,
}

NOT_PROCESSED = httpx.Response(
    404,
    headers={"X-Opsgenie-Errortype": "RequestNotProcessed"},
    json={"message": "Request not processed yet", "took": 0.002, "requestId": "f00"},
)


# --- account -------------------------------------------------------------------------------------------


def test_get_account_is_a_cheap_auth_check(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get("/v2/account").mock(
        return_value=ok(
            {
                "name": "acme",
                "userCount": 12,
                "plan": {"maxUserCount": 25, "name": "Standard", "isYearly": True},
            }
        )
    )

    account = og.get_account()

    request = sent(route)
    assert request.method == "GET" and request.url.path == "/v2/account" and params(request) == {}
    assert account.name == "acme" and account.user_count == 12
    assert account.plan is not None and account.plan.max_user_count == 25


# --- users ---------------------------------------------------------------------------------------------


def test_get_user_reads_time_zone_role_and_details(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get("/v2/users/jane@example.com").mock(return_value=ok(USER, expandable=["contact"]))

    user = og.get_user(identifier="jane@example.com")

    request = sent(route)
    assert request.url.raw_path == b"/v2/users/jane@example.com"
    assert params(request) == {}
    assert user.time_zone == "Europe/Berlin"
    assert user.role is not None and user.role.name == "User"
    assert user.detail("start_date") == "2024-03-01" and user.detail("manager") == "boss@example.com"
    assert user.detail("missing") is None
    assert user.created_at == datetime(2017, 5, 24, 8, 51, 2, 181000, tzinfo=UTC)


def test_get_user_with_expand_sends_csv(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get("/v2/users/jane@example.com").mock(
        return_value=ok(
            {
                **USER,
                "userContacts": [
                    {"to": "+4915112345678", "id": "c1", "contactMethod": "sms", "enabled": True}
                ],
            }
        )
    )

    user = og.get_user(identifier="jane@example.com", expand=["contact"])

    assert params(sent(route)) == {"expand": "contact"}
    assert user.user_contacts[0].contact_method == "sms"


def test_list_users_reads_every_page(og: OpsgenieClient, router: respx.MockRouter) -> None:
    bob = {**USER, "id": "u2", "username": "bob@example.com", "fullName": "Bob", "details": {}}
    carol = {**USER, "id": "u3", "username": "carol@example.com", "fullName": "Carol", "details": {}}
    route = router.get("/v2/users").mock(
        side_effect=[
            ok(
                [USER, bob],
                totalCount=3,
                paging={
                    "next": f"{BASE}/v2/users?limit=2&offset=2&order=asc&sort=username",
                    "first": f"{BASE}/v2/users?limit=2&offset=0",
                    "last": f"{BASE}/v2/users?limit=2&offset=2",
                },
            ),
            ok([carol], totalCount=3, paging={"first": f"{BASE}/v2/users?limit=2&offset=0"}),
        ]
    )

    users = og.list_users(query="role:user", sort_field="username", order="asc")

    assert [u.username for u in users] == ["jane@example.com", "bob@example.com", "carol@example.com"]
    assert params(sent(route, 0)) == {
        "offset": "0",
        "limit": "100",
        "query": "role:user",
        "sortField": "username",
        "order": "asc",
    }
    assert params(sent(route, 1))["offset"] == "2"
    assert route.call_count == 2


def test_create_user_sends_role_name_time_zone_and_list_details(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.post("/v2/users").mock(
        return_value=ok(
            {"id": "b5b92115-bfe7-43eb-8c2a-e467f2e5ddc4", "name": "jane@example.com"}, status=201
        )
    )

    created = og.create_user(
        username="jane@example.com",
        full_name="Jane Doe",
        time_zone="Europe/Berlin",
        details={"start_date": "2024-03-01", "manager": ["boss@example.com"]},
    )

    request = sent(route)
    assert params(request) == {}
    assert body(request) == {
        "username": "jane@example.com",
        "fullName": "Jane Doe",
        "role": {"name": "user"},
        "timeZone": "Europe/Berlin",
        "details": {"start_date": ["2024-03-01"], "manager": ["boss@example.com"]},
    }
    assert created.id == "b5b92115-bfe7-43eb-8c2a-e467f2e5ddc4"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (422, "You have reached the maximum number of responders on your account"),
        (422, "User limit exceeded for your subscription plan"),
        (402, "The account cannot do this action because of subscription plan"),
        (400, "No available licenses to add a new user"),
    ],
)
def test_create_user_on_a_full_account_says_an_owner_must_add_a_license(
    og: OpsgenieClient, router: respx.MockRouter, status: int, message: str
) -> None:
    route = router.post("/v2/users").mock(return_value=error(status, message))

    with pytest.raises(RejectedError) as caught:
        og.create_user(username="new@example.com", full_name="New Person")

    assert caught.value.hint == USER_LIMIT_HINT
    assert "Owner" in caught.value.hint and "license" in caught.value.hint
    assert caught.value.details["reason"] == "user_limit"
    assert "user limit" in caught.value.message and message in caught.value.message
    assert route.call_count == 1  # a POST create is never retried once it reached the server


def test_create_user_other_rejections_keep_their_own_message(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    router.post("/v2/users").mock(
        return_value=error(
            422, "Request body is not processable", errors={"username": "must be a well-formed email address"}
        )
    )

    with pytest.raises(RejectedError) as caught:
        og.create_user(username="not-an-email", full_name="X")

    assert caught.value.hint != USER_LIMIT_HINT
    assert "username: must be a well-formed email address" in caught.value.message


def test_update_user_patches_only_the_given_fields_with_list_details(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.patch("/v2/users/jane@example.com").mock(
        return_value=httpx.Response(200, json={"result": "Updated", "took": 0.123, "requestId": "8f9a1c"})
    )

    og.update_user(
        identifier="jane@example.com",
        details={"start_date": "2024-04-02", "manager": ["boss@example.com"]},
    )

    request = sent(route)
    assert request.method == "PATCH" and request.url.raw_path == b"/v2/users/jane@example.com"
    assert params(request) == {}
    assert request.headers["Content-Type"] == "application/json"
    assert body(request) == {"details": {"start_date": ["2024-04-02"], "manager": ["boss@example.com"]}}


def test_update_user_sends_role_name_and_camel_case_fields(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.patch("/v2/users/u1").mock(
        return_value=httpx.Response(200, json={"result": "Updated", "took": 0.1, "requestId": "8f9a1c"})
    )

    og.update_user(identifier="u1", full_name="Jane Q. Doe", role="admin", time_zone="Europe/Paris")

    assert body(sent(route)) == {
        "fullName": "Jane Q. Doe",
        "role": {"name": "admin"},
        "timeZone": "Europe/Paris",
    }


def test_update_user_with_nothing_to_change_sends_nothing(og: OpsgenieClient) -> None:
    with pytest.raises(UsageError):
        og.update_user(identifier="jane@example.com")


def test_update_user_is_retried_after_a_5xx(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.patch("/v2/users/jane@example.com").mock(
        side_effect=[
            error(503, "Service Unavailable"),
            httpx.Response(200, json={"result": "Updated", "took": 0.1, "requestId": "8f9a1c"}),
        ]
    )

    og.update_user(identifier="jane@example.com", details={"start_date": ["2024-04-02"]})

    assert route.call_count == 2
    assert body(sent(route, 0)) == body(sent(route, 1)) == {"details": {"start_date": ["2024-04-02"]}}


def test_delete_user(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.delete("/v2/users/jane@example.com").mock(
        return_value=httpx.Response(200, json={"result": "Deleted", "took": 0.027, "requestId": "5c0d0b8c"})
    )

    og.delete_user(identifier="jane@example.com")

    assert sent(route).method == "DELETE"


# --- teams ---------------------------------------------------------------------------------------------


def test_get_team_by_name_lists_members(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get("/v2/teams/platform").mock(
        return_value=ok(
            {
                "id": "90098alp9-f0e3-41d3-a060-0ea895027630",
                "name": "platform",
                "description": "Platform engineering",
                "members": [
                    {"user": {"id": "b5b92115", "username": "jane@example.com"}, "role": "admin"},
                    {"user": {"id": "c569c016", "username": "bob@example.com"}, "role": "user"},
                ],
            }
        )
    )

    team = og.get_team(identifier="platform", identifier_type="name")

    assert params(sent(route)) == {"identifierType": "name"}
    assert [(m.user.username, m.role) for m in team.members] == [
        ("jane@example.com", "admin"),
        ("bob@example.com", "user"),
    ]


def test_list_teams(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get("/v2/teams").mock(
        return_value=ok(
            [{"id": "t1", "name": "platform", "description": ""}, {"id": "t2", "name": "payments"}],
            expandable=["member"],
        )
    )

    teams = og.list_teams()

    assert params(sent(route)) == {}
    assert [t.name for t in teams] == ["platform", "payments"]
    assert teams[0].members == []


def test_add_team_member_by_username(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.post("/v2/teams/platform/members").mock(return_value=ok({"id": "t1"}))

    og.add_team_member(team="platform", team_identifier_type="name", username="jane@example.com")

    request = sent(route)
    assert params(request) == {"teamIdentifierType": "name"}
    assert body(request) == {"user": {"username": "jane@example.com"}, "role": "user"}


def test_add_team_member_needs_a_user(og: OpsgenieClient) -> None:
    with pytest.raises(UsageError):
        og.add_team_member(team="platform")


# --- services ------------------------------------------------------------------------------------------

SERVICES_PAGE_1 = [
    {
        "id": "9d4fd3ff-9b4e-4d6a-a1f8-5c0a4e8e8b1a",
        "name": "Checkout",
        "teamId": "t1",
        "description": "Checkout API",
        "visibility": "OPSGENIE_USERS",
        "tags": ["tier1"],
    },
]
SERVICES_PAGE_2 = [{"id": "s2", "name": "Search", "teamId": "t2", "visibility": "TEAM_MEMBERS"}]


def _mock_services(router: respx.MockRouter) -> respx.Route:
    return router.get("/v1/services").mock(
        side_effect=[
            ok(SERVICES_PAGE_1, paging={"next": f"{BASE}/v1/services?offset=1&limit=100"}),
            ok(SERVICES_PAGE_2, paging={}),
        ]
    )


def test_list_services_reads_every_page(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = _mock_services(router)

    services = og.list_services()

    assert [s.name for s in services] == ["Checkout", "Search"]
    assert params(sent(route, 0)) == {"offset": "0", "limit": "100"}
    assert params(sent(route, 1)) == {"offset": "1", "limit": "100"}


@pytest.mark.parametrize(
    ("name", "found"),
    [("Checkout", "9d4fd3ff-9b4e-4d6a-a1f8-5c0a4e8e8b1a"), ("search", "s2"), ("Billing", None)],
)
def test_find_service_by_name(
    og: OpsgenieClient, router: respx.MockRouter, name: str, found: str | None
) -> None:
    _mock_services(router)

    service = og.find_service(name=name)

    assert (service.id if service else None) == found


# --- schedules, timelines, on-calls --------------------------------------------------------------------


def test_list_schedules_with_rotations(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get("/v2/schedules").mock(return_value=ok([SCHEDULE], expandable=["rotation"]))

    schedules = og.list_schedules(expand=["rotation"])

    assert params(sent(route)) == {"expand": "rotation"}
    assert schedules[0].rotations[0].participants[1].type == "none"
    assert schedules[0].owner_team is not None and schedules[0].owner_team.name == "platform"


def test_get_schedule_by_name_encodes_the_name(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get("/v2/schedules/Platform On-Call").mock(return_value=ok(SCHEDULE))

    schedule = og.get_schedule(identifier="Platform On-Call", identifier_type="name")

    request = sent(route)
    assert request.url.raw_path.startswith(b"/v2/schedules/Platform%20On-Call?")
    assert params(request) == {"identifierType": "name"}
    assert schedule.id == SCHEDULE_ID and schedule.rotations[0].type == "weekly"


TIMELINE = {
    "_parent": {"id": SCHEDULE_ID, "name": "Platform On-Call", "enabled": True},
    "startDate": "2024-03-04T08:00:00Z",
    "endDate": "2024-03-18T08:00:00Z",
    "finalTimeline": {
        "rotations": [
            {
                "id": ROTATION["id"],
                "name": "Primary",
                "order": 1.0,
                "periods": [
                    {
                        "startDate": "2024-03-04T09:00:00Z",
                        "endDate": "2024-03-05T09:00:00Z",
                        "type": "default",
                        "recipient": {"id": "b5b92115", "type": "user", "name": "jane@example.com"},
                    },
                    {
                        "startDate": "2024-03-05T09:00:00Z",
                        "endDate": "2024-03-06T09:00:00Z",
                        "type": "override",
                        "recipient": {"id": "c569c016", "type": "user", "name": "bob@example.com"},
                    },
                ],
            }
        ]
    },
    "baseTimeline": {
        "rotations": [
            {
                "id": ROTATION["id"],
                "name": "Primary",
                "order": 1.0,
                "periods": [
                    {
                        "startDate": "2024-03-04T09:00:00Z",
                        "endDate": "2024-03-11T09:00:00Z",
                        "type": "default",
                        "recipient": {"id": "b5b92115", "type": "user", "name": "jane@example.com"},
                    }
                ],
            }
        ]
    },
    "overrideTimeline": {
        "rotations": [
            {
                "id": "ovr",
                "name": "Overrides",
                "order": None,
                "periods": [
                    {
                        "startDate": "2024-03-05T09:00:00Z",
                        "endDate": "2024-03-06T09:00:00Z",
                        "type": "override",
                        "recipient": {"type": "user", "name": "bob@example.com"},
                    }
                ],
            }
        ]
    },
}


def test_get_schedule_timeline_parses_final_base_and_override(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.get(f"/v2/schedules/{SCHEDULE_ID}/timeline").mock(
        return_value=ok(TIMELINE, expandable=["base", "forwarding", "override"])
    )

    timeline = og.get_schedule_timeline(
        identifier=SCHEDULE_ID,
        interval=2,
        interval_unit="weeks",
        date=datetime(2024, 3, 4, 9, 0, tzinfo=CET),
        expand=["base", "override"],
    )

    request = sent(route)
    assert params(request) == {
        "identifierType": "id",
        "interval": "2",
        "intervalUnit": "weeks",
        "date": "2024-03-04T09:00:00+01:00",
        "expand": "base,override",
    }
    periods = timeline.final_timeline.rotations[0].periods
    assert [(p.type, p.recipient.name if p.recipient else None) for p in periods] == [
        ("default", "jane@example.com"),
        ("override", "bob@example.com"),
    ]
    assert periods[0].start_date == datetime(2024, 3, 4, 9, tzinfo=UTC)
    assert timeline.base_timeline is not None and len(timeline.base_timeline.rotations[0].periods) == 1
    assert timeline.override_timeline is not None and timeline.override_timeline.rotations[0].order is None
    assert timeline.forwarding_timeline is None
    assert timeline.parent is not None and timeline.parent.name == "Platform On-Call"


def test_plus_of_a_utc_offset_is_sent_as_percent_2b(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get(f"/v2/schedules/{SCHEDULE_ID}/on-calls").mock(
        return_value=ok(
            {
                "_parent": {"id": SCHEDULE_ID, "name": "Platform On-Call", "enabled": True},
                "onCallParticipants": [],
            }
        )
    )

    og.get_on_calls(identifier=SCHEDULE_ID, date=datetime(2024, 3, 4, 9, 0, tzinfo=CET))

    query = sent(route).url.query
    assert b"date=2024-03-04T09%3A00%3A00%2B01%3A00" in query
    assert b"+" not in query  # a raw '+' would be read as a space by Opsgenie


def test_utc_datetimes_are_sent_with_z(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get(f"/v2/schedules/{SCHEDULE_ID}/on-calls").mock(
        return_value=ok({"onCallParticipants": []})
    )

    og.get_on_calls(identifier=SCHEDULE_ID, date=datetime(2024, 3, 4, 8, 0, tzinfo=UTC))

    assert params(sent(route))["date"] == "2024-03-04T08:00:00Z"


def test_naive_datetimes_are_refused_before_any_request(og: OpsgenieClient) -> None:
    with pytest.raises(UsageError, match="no time zone"):
        og.get_on_calls(identifier=SCHEDULE_ID, date=datetime(2024, 3, 4, 9, 0))


def test_get_on_calls_reads_objects_from_on_call_participants(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.get("/v2/schedules/Platform On-Call/on-calls").mock(
        return_value=ok(
            {
                "_parent": {"id": SCHEDULE_ID, "name": "Platform On-Call", "enabled": True},
                "onCallParticipants": [{"id": "b5b92115", "name": "jane@example.com", "type": "user"}],
            }
        )
    )

    on_calls = og.get_on_calls(
        identifier="Platform On-Call",
        identifier_type="name",
        flat=False,
        date=datetime(2024, 3, 4, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")),
    )

    assert params(sent(route)) == {
        "scheduleIdentifierType": "name",
        "flat": "false",
        "date": "2024-03-04T09:00:00+01:00",
    }
    assert [p.name for p in on_calls.participants] == ["jane@example.com"]
    assert on_calls.usernames == []


def test_get_on_calls_flat_reads_usernames_from_on_call_recipients(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.get(f"/v2/schedules/{SCHEDULE_ID}/on-calls").mock(
        return_value=ok(
            {
                "_parent": {"id": SCHEDULE_ID, "name": "Platform On-Call", "enabled": True},
                "onCallRecipients": ["jane@example.com"],
            }
        )
    )

    on_calls = og.get_on_calls(identifier=SCHEDULE_ID, flat=True)

    assert params(sent(route)) == {"scheduleIdentifierType": "id", "flat": "true"}
    assert on_calls.usernames == ["jane@example.com"] and on_calls.participants == []


def test_get_next_on_calls_reads_the_inverted_names(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get(f"/v2/schedules/{SCHEDULE_ID}/next-on-calls").mock(
        side_effect=[
            ok(
                {
                    "_parent": {"id": SCHEDULE_ID, "name": "Platform On-Call", "enabled": True},
                    "nextOnCallRecipients": [{"id": "c569c016", "name": "bob@example.com", "type": "user"}],
                    "exactNextOnCallRecipients": [
                        {"id": "c569c016", "name": "bob@example.com", "type": "user"}
                    ],
                }
            ),
            ok(
                {
                    "_parent": {"id": SCHEDULE_ID, "name": "Platform On-Call", "enabled": True},
                    "nextOnCallParticipants": ["bob@example.com"],
                    "exactNextOnCallParticipants": ["bob@example.com"],
                }
            ),
        ]
    )

    objects = og.get_next_on_calls(identifier=SCHEDULE_ID)
    flat = og.get_next_on_calls(identifier=SCHEDULE_ID, flat=True)

    assert params(sent(route, 0)) == {"scheduleIdentifierType": "id"}
    assert params(sent(route, 1)) == {"scheduleIdentifierType": "id", "flat": "true"}
    assert [p.name for p in objects.participants] == ["bob@example.com"]
    assert [p.name for p in objects.exact_participants] == ["bob@example.com"]
    assert flat.usernames == ["bob@example.com"] and flat.exact_usernames == ["bob@example.com"]


# --- rotations -----------------------------------------------------------------------------------------


def test_list_schedule_rotations(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get(f"/v2/schedules/{SCHEDULE_ID}/rotations").mock(return_value=ok([ROTATION]))

    rotations = og.list_schedule_rotations(schedule=SCHEDULE_ID)

    assert params(sent(route)) == {"scheduleIdentifierType": "id"}
    assert rotations[0].participants == [
        Recipient(type="user", id="b5b92115-bfe7-43eb-8c2a-e467f2e5ddc4", username="jane@example.com"),
        Recipient.no_one(),
    ]


def test_get_schedule_rotation(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get(f"/v2/schedules/Platform On-Call/rotations/{ROTATION['id']}").mock(
        return_value=ok(
            {**ROTATION, "_parent": {"id": SCHEDULE_ID, "name": "Platform On-Call", "enabled": True}}
        )
    )

    rotation = og.get_schedule_rotation(
        schedule="Platform On-Call", rotation_id=str(ROTATION["id"]), schedule_identifier_type="name"
    )

    assert params(sent(route)) == {"scheduleIdentifierType": "name"}
    assert rotation.parent is not None and rotation.parent.id == SCHEDULE_ID
    assert rotation.start_date == datetime(2024, 3, 4, 9, tzinfo=UTC)


def test_create_schedule_rotation_sends_the_spec_body(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.post(f"/v2/schedules/{SCHEDULE_ID}/rotations").mock(
        return_value=ok({"id": "a47alp93-0541-4aa3-bac6-4084cbd3b3d6", "name": "Primary"}, status=201)
    )

    created = og.create_schedule_rotation(
        schedule=SCHEDULE_ID,
        name="Primary",
        type="weekly",
        length=1,
        start_date=datetime(2024, 3, 4, 9, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        end_date=datetime(2024, 6, 3, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")),
        participants=[
            Recipient.user("jane@example.com"),
            Recipient.no_one(),
            Recipient.user("bob@example.com"),
        ],
    )

    request = sent(route)
    assert params(request) == {"scheduleIdentifierType": "id"}
    assert body(request) == {
        "name": "Primary",
        "type": "weekly",
        "length": 1,
        "startDate": "2024-03-04T09:30:00+01:00",
        "endDate": "2024-06-03T09:00:00+02:00",  # the DST offset of the end date, not of the start
        "participants": [
            {"type": "user", "username": "jane@example.com"},
            {"type": "none"},
            {"type": "user", "username": "bob@example.com"},
        ],
    }
    assert created.id == "a47alp93-0541-4aa3-bac6-4084cbd3b3d6"


def test_create_schedule_rotation_sends_a_time_restriction_when_given(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.post(f"/v2/schedules/{SCHEDULE_ID}/rotations").mock(
        return_value=ok({"id": "r2", "name": "Nights"}, status=201)
    )

    og.create_schedule_rotation(
        schedule=SCHEDULE_ID,
        name="Nights",
        type="daily",
        start_date=datetime(2024, 3, 4, 18, tzinfo=UTC),
        participants=[Recipient.user("jane@example.com")],
        time_restriction=TimeRestriction(
            type="time-of-day",
            restriction=TimeOfDayRestriction(start_hour=18, start_min=0, end_hour=8, end_min=0),
        ),
    )

    assert body(sent(route))["timeRestriction"] == {
        "type": "time-of-day",
        "restriction": {"startHour": 18, "startMin": 0, "endHour": 8, "endMin": 0},
    }


@pytest.mark.parametrize(
    "start", [datetime(2024, 3, 4, 9, 15, tzinfo=CET), datetime(2024, 3, 4, 9, 0, 10, tzinfo=CET)]
)
def test_rotation_start_off_the_half_hour_is_refused_client_side(og: OpsgenieClient, start: datetime) -> None:
    with pytest.raises(UsageError, match=r"startDate .* :00 or :30"):
        og.create_schedule_rotation(
            schedule=SCHEDULE_ID,
            name="Primary",
            type="weekly",
            start_date=start,
            participants=[Recipient.user("jane@example.com")],
        )


def test_rotation_end_before_start_is_refused(og: OpsgenieClient) -> None:
    with pytest.raises(UsageError, match="after"):
        og.create_schedule_rotation(
            schedule=SCHEDULE_ID,
            name="P",
            type="weekly",
            start_date=datetime(2024, 3, 4, 9, tzinfo=UTC),
            end_date=datetime(2024, 3, 4, 8, tzinfo=UTC),
            participants=[Recipient.no_one()],
        )


def test_update_schedule_rotation_patches_only_given_fields(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.patch(f"/v2/schedules/{SCHEDULE_ID}/rotations/r1").mock(
        return_value=ok({"id": "r1", "name": "Primary"})
    )

    og.update_schedule_rotation(
        schedule=SCHEDULE_ID,
        rotation_id="r1",
        start_date=datetime(2024, 3, 11, 9, tzinfo=CET),
        participants=[Recipient.user("bob@example.com"), Recipient.user("jane@example.com")],
    )

    request = sent(route)
    assert request.method == "PATCH" and params(request) == {"scheduleIdentifierType": "id"}
    assert body(request) == {
        "startDate": "2024-03-11T09:00:00+01:00",
        "participants": [
            {"type": "user", "username": "bob@example.com"},
            {"type": "user", "username": "jane@example.com"},
        ],
    }


def test_update_schedule_rotation_is_retried_as_idempotent(
    og: OpsgenieClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.patch(f"/v2/schedules/{SCHEDULE_ID}/rotations/r1").mock(
        side_effect=[error(502, "Bad gateway"), ok({"id": "r1", "name": "Primary"})]
    )

    og.update_schedule_rotation(schedule=SCHEDULE_ID, rotation_id="r1", name="Primary")

    assert route.call_count == 2 and len(fake_time.sleeps) == 1


def test_update_schedule_rotation_needs_a_field(og: OpsgenieClient) -> None:
    with pytest.raises(UsageError):
        og.update_schedule_rotation(schedule=SCHEDULE_ID, rotation_id="r1")


def test_delete_schedule_rotation(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.delete(f"/v2/schedules/{SCHEDULE_ID}/rotations/r1").mock(
        return_value=httpx.Response(200, json={"result": "Deleted", "took": 0.1, "requestId": "x"})
    )

    og.delete_schedule_rotation(schedule=SCHEDULE_ID, rotation_id="r1")

    assert params(sent(route)) == {"scheduleIdentifierType": "id"}


# --- overrides -----------------------------------------------------------------------------------------


def test_list_schedule_overrides(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get(f"/v2/schedules/{SCHEDULE_ID}/overrides").mock(return_value=ok([OVERRIDE]))

    overrides = og.list_schedule_overrides(schedule=SCHEDULE_ID)

    assert params(sent(route)) == {"scheduleIdentifierType": "id"}
    assert overrides[0].user.username == "bob@example.com"
    assert overrides[0].rotations == [RotationRef(id=str(ROTATION["id"]), name="Primary")]


def test_get_schedule_override(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get(f"/v2/schedules/{SCHEDULE_ID}/overrides/swap-2024-03-05").mock(
        return_value=ok(OVERRIDE)
    )

    override = og.get_schedule_override(schedule=SCHEDULE_ID, alias="swap-2024-03-05")

    assert sent(route).method == "GET"
    assert override.end_date - override.start_date == timedelta(days=1)


def test_create_schedule_override_sends_alias_user_dates_and_rotations(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.post(f"/v2/schedules/{SCHEDULE_ID}/overrides").mock(
        return_value=ok({"alias": "swap-2024-03-05"}, status=201)
    )

    meta = og.create_schedule_override(
        schedule=SCHEDULE_ID,
        alias="swap-2024-03-05",
        user=Recipient.user("bob@example.com"),
        start_date=datetime(2024, 3, 5, 10, tzinfo=CET),
        end_date=datetime(2024, 3, 6, 10, tzinfo=CET),
        rotations=[RotationRef(name="Primary")],
    )

    request = sent(route)
    assert params(request) == {"scheduleIdentifierType": "id"}
    assert body(request) == {
        "alias": "swap-2024-03-05",
        "user": {"type": "user", "username": "bob@example.com"},
        "startDate": "2024-03-05T10:00:00+01:00",
        "endDate": "2024-03-06T10:00:00+01:00",
        "rotations": [{"name": "Primary"}],
    }
    assert meta.alias == "swap-2024-03-05"


def test_create_schedule_override_with_no_one(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.post(f"/v2/schedules/{SCHEDULE_ID}/overrides").mock(
        return_value=ok({"alias": "generated-alias"}, status=201)
    )

    og.create_schedule_override(
        schedule=SCHEDULE_ID,
        user=Recipient.no_one(),
        start_date=datetime(2024, 3, 5, 9, 30, tzinfo=UTC),
        end_date=datetime(2024, 3, 5, 17, 30, tzinfo=UTC),
    )

    assert body(sent(route)) == {
        "user": {"type": "none"},
        "startDate": "2024-03-05T09:30:00Z",
        "endDate": "2024-03-05T17:30:00Z",
    }


def test_override_end_off_the_half_hour_is_refused(og: OpsgenieClient) -> None:
    with pytest.raises(UsageError, match=r"endDate .* :00 or :30"):
        og.create_schedule_override(
            schedule=SCHEDULE_ID,
            user=Recipient.user("bob@example.com"),
            start_date=datetime(2024, 3, 5, 9, tzinfo=CET),
            end_date=datetime(2024, 3, 5, 17, 45, tzinfo=CET),
        )


def test_update_schedule_override_puts_the_whole_override(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.put(f"/v2/schedules/{SCHEDULE_ID}/overrides/swap-2024-03-05").mock(
        return_value=ok({"alias": "swap-2024-03-05"})
    )

    og.update_schedule_override(
        schedule=SCHEDULE_ID,
        alias="swap-2024-03-05",
        user=Recipient.user("carol@example.com"),
        start_date=datetime(2024, 3, 5, 9, tzinfo=CET),
        end_date=datetime(2024, 3, 6, 9, tzinfo=CET),
        rotations=[RotationRef(id="r1")],
    )

    request = sent(route)
    assert request.method == "PUT" and params(request) == {"scheduleIdentifierType": "id"}
    assert body(request) == {
        "user": {"type": "user", "username": "carol@example.com"},
        "startDate": "2024-03-05T09:00:00+01:00",
        "endDate": "2024-03-06T09:00:00+01:00",
        "rotations": [{"id": "r1"}],
    }


def test_delete_schedule_override_by_alias(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.delete(f"/v2/schedules/{SCHEDULE_ID}/overrides/swap-2024-03-05").mock(
        return_value=httpx.Response(200, json={"result": "Deleted", "took": 0.1, "requestId": "x"})
    )

    og.delete_schedule_override(schedule=SCHEDULE_ID, alias="swap-2024-03-05")

    assert params(sent(route)) == {"scheduleIdentifierType": "id"}


# --- incidents -----------------------------------------------------------------------------------------


def test_create_incident_returns_the_request_id(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.post("/v1/incidents/create").mock(return_value=accepted())

    request_id = og.create_incident(
        message="Checkout is down",
        service_id="svc-1",
        description="5xx on /pay",
        priority="P1",
        responders=[Recipient.team("platform"), Recipient.user("jane@example.com")],
        tags=["sev1"],
        details={"runbook": "https://wiki/checkout"},
        note="paged by oncall",
        notify_stakeholders=True,
        status_page_entry=StatusPageEntry(title="Checkout degraded"),
    )

    assert request_id == REQUEST_ID
    assert body(sent(route)) == {
        "message": "Checkout is down",
        "serviceId": "svc-1",
        "impactedServices": ["svc-1"],
        "description": "5xx on /pay",
        "priority": "P1",
        "responders": [
            {"type": "team", "name": "platform"},
            {"type": "user", "username": "jane@example.com"},
        ],
        "tags": ["sev1"],
        "details": {"runbook": "https://wiki/checkout"},
        "note": "paged by oncall",
        "notifyStakeholders": True,
        "statusPageEntry": {"title": "Checkout degraded"},
    }


def test_create_incident_is_not_retried_after_a_5xx(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.post("/v1/incidents/create").mock(return_value=error(503, "Service unavailable"))

    with pytest.raises(UnavailableError):
        og.create_incident(message="Checkout is down", service_id="svc-1")

    assert route.call_count == 1  # it may have been created: never create twice


def test_create_incident_and_wait_polls_until_processed_then_reads_the_tiny_id(
    og: OpsgenieClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    create = router.post("/v1/incidents/create").mock(return_value=accepted())
    status = router.get(f"/v1/incidents/requests/{REQUEST_ID}").mock(
        side_effect=[NOT_PROCESSED, NOT_PROCESSED, ok(PROCESSED)]
    )
    get = router.get(f"/v1/incidents/{INCIDENT_ID}").mock(return_value=ok(INCIDENT))

    incident = og.create_incident_and_wait(message="Checkout is down", service_id="svc-1", priority="P1")

    assert incident.tiny_id == "42" and incident.id == INCIDENT_ID
    assert incident.extra_properties == {"runbook": "https://wiki/checkout"}
    assert sent(create).method == "POST"
    assert status.call_count == 3 and fake_time.sleeps == pytest.approx([0.1, 0.15])
    assert params(sent(get)) == {"identifierType": "id"}


def test_get_request_status_is_none_while_not_processed(og: OpsgenieClient, router: respx.MockRouter) -> None:
    router.get(f"/v1/incidents/requests/{REQUEST_ID}").mock(return_value=NOT_PROCESSED)

    assert og.get_request_status(request_id=REQUEST_ID) is None


def test_get_request_status_unknown_request_is_not_found(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    router.get(f"/v1/incidents/requests/{REQUEST_ID}").mock(return_value=error(404, "Request not found"))

    with pytest.raises(NotFoundError, match="Request not found"):
        og.get_request_status(request_id=REQUEST_ID)


def test_wait_request_that_never_completes_names_the_request_id(
    og: OpsgenieClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.get(f"/v1/incidents/requests/{REQUEST_ID}").mock(return_value=NOT_PROCESSED)

    with pytest.raises(UnavailableError) as caught:
        og.wait_request(request_id=REQUEST_ID, timeout=5)

    assert REQUEST_ID in caught.value.message and REQUEST_ID in caught.value.hint
    assert route.call_count > 1 and fake_time.now <= 5


def test_wait_request_that_failed_is_rejected(og: OpsgenieClient, router: respx.MockRouter) -> None:
    router.get(f"/v1/incidents/requests/{REQUEST_ID}").mock(
        return_value=ok(
            {
                "success": False,
                "action": "Resolve",
                "processedAt": "2017-05-24T14:41:18.185Z",
                "integrationId": "c9cec2cb",
                "isSuccess": False,
                "status": "Incident does not exist",
                "incidentId": "",
            }
        )
    )

    with pytest.raises(RejectedError, match="Incident does not exist") as caught:
        og.wait_request(request_id=REQUEST_ID)

    assert caught.value.details["request_id"] == REQUEST_ID


def test_get_incident_by_tiny_id(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get("/v1/incidents/42").mock(return_value=ok(INCIDENT))

    incident = og.get_incident(identifier="42", identifier_type="tiny")

    assert params(sent(route)) == {"identifierType": "tiny"}
    assert incident.responders == [Recipient(type="team", id="90098alp9-f0e3-41d3-a060-0ea895027630")]
    assert incident.service_id == "9d4fd3ff-9b4e-4d6a-a1f8-5c0a4e8e8b1a"


def test_list_incidents_reads_every_page(og: OpsgenieClient, router: respx.MockRouter) -> None:
    second = {**INCIDENT, "id": "i2", "tinyId": "41"}
    route = router.get("/v1/incidents/").mock(
        side_effect=[
            ok(
                [INCIDENT],
                totalCount=2,
                paging={"next": f"{BASE}/v1/incidents?query=status%3Aopen&offset=1&limit=1"},
            ),
            ok([second], totalCount=2, paging={"first": f"{BASE}/v1/incidents?query=status%3Aopen&offset=0"}),
        ]
    )

    incidents = og.list_incidents(query="status:open", sort="createdAt", order="desc")

    assert [i.tiny_id for i in incidents] == ["42", "41"]
    assert params(sent(route, 0)) == {
        "offset": "0",
        "limit": "100",
        "query": "status:open",
        "sort": "createdAt",
        "order": "desc",
    }
    assert params(sent(route, 1))["offset"] == "1"


@pytest.mark.parametrize(
    ("method", "action", "call", "expected_body", "expected_params"),
    [
        (
            "POST",
            "resolve",
            lambda og: og.resolve_incident(identifier=INCIDENT_ID, note="fixed"),
            {"note": "fixed"},
            {"identifierType": "id"},
        ),
        (
            "POST",
            "reopen",
            lambda og: og.reopen_incident(identifier=INCIDENT_ID),
            {},
            {"identifierType": "id"},
        ),
        (
            "POST",
            "close",
            lambda og: og.close_incident(identifier="42", identifier_type="tiny", note="done"),
            {"note": "done"},
            {"identifierType": "tiny"},
        ),
        (
            "POST",
            "notes",
            lambda og: og.add_incident_note(identifier=INCIDENT_ID, note="rolled back"),
            {"note": "rolled back"},
            {"identifierType": "id"},
        ),
        (
            "POST",
            "responders",
            lambda og: og.add_incident_responders(
                identifier=INCIDENT_ID,
                responders=[Recipient.user("bob@example.com"), Recipient.team("payments")],
                note="escalating",
            ),
            {
                "responder": [
                    {"type": "user", "username": "bob@example.com"},
                    {"type": "team", "name": "payments"},
                ],
                "note": "escalating",
            },
            {"identifierType": "id"},
        ),
        (
            "POST",
            "tags",
            lambda og: og.add_incident_tags(identifier=INCIDENT_ID, tags=["sev1", "checkout"]),
            {"tags": ["sev1", "checkout"]},
            {"identifierType": "id"},
        ),
        (
            "DELETE",
            "tags",
            lambda og: og.remove_incident_tags(
                identifier=INCIDENT_ID, tags=["sev1", "checkout"], note="triaged"
            ),
            None,
            {"identifierType": "id", "tags": "sev1,checkout", "note": "triaged"},
        ),
        (
            "POST",
            "details",
            lambda og: og.add_incident_details(identifier=INCIDENT_ID, details={"slack": "#inc-42"}),
            {"details": {"slack": "#inc-42"}},
            {"identifierType": "id"},
        ),
        (
            "DELETE",
            "details",
            lambda og: og.remove_incident_details(identifier=INCIDENT_ID, keys=["slack", "statuspage"]),
            None,
            {"identifierType": "id", "keys": "slack,statuspage"},
        ),
        (
            "PUT",
            "priority",
            lambda og: og.update_incident_priority(identifier=INCIDENT_ID, priority="P2"),
            {"priority": "P2"},
            {"identifierType": "id"},
        ),
    ],
)
def test_incident_actions_are_async_and_return_the_request_id(
    og: OpsgenieClient,
    router: respx.MockRouter,
    method: str,
    action: str,
    call: Any,
    expected_body: Any,
    expected_params: dict[str, str],
) -> None:
    identifier = "42" if expected_params["identifierType"] == "tiny" else INCIDENT_ID
    route = router.route(method=method, path=f"/v1/incidents/{identifier}/{action}").mock(
        return_value=accepted("r-" + action)
    )

    assert call(og) == "r-" + action

    request = sent(route)
    assert params(request) == expected_params
    if expected_body is None:
        assert request.content == b""
    else:
        assert body(request) == expected_body


@pytest.mark.parametrize(
    ("action", "call", "retried"),
    [
        ("tags", lambda og: og.add_incident_tags(identifier=INCIDENT_ID, tags=["sev1"]), True),
        ("details", lambda og: og.add_incident_details(identifier=INCIDENT_ID, details={"a": "b"}), True),
        ("notes", lambda og: og.add_incident_note(identifier=INCIDENT_ID, note="x"), False),
    ],
)
def test_only_truly_idempotent_incident_posts_are_retried_after_a_5xx(
    og: OpsgenieClient, router: respx.MockRouter, action: str, call: Any, retried: bool
) -> None:
    route = router.post(f"/v1/incidents/{INCIDENT_ID}/{action}").mock(
        side_effect=[error(503, "Service unavailable"), accepted()]
    )

    if retried:
        assert call(og) == REQUEST_ID
        assert route.call_count == 2
    else:
        with pytest.raises(UnavailableError):
            call(og)
        assert route.call_count == 1
        route.calls.clear()
        route.mock(return_value=accepted())
        call(og)  # keep assert_all_called honest about the second response


def test_list_incident_notes_follows_the_offset_token(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get(f"/v1/incidents/{INCIDENT_ID}/notes").mock(
        side_effect=[
            ok(
                [
                    {
                        "note": "paged",
                        "owner": "jane@example.com",
                        "createdAt": "2024-03-04T10:16:00.000Z",
                        "offset": "1709547360000_1709547360000000000",
                    }
                ],
                paging={
                    "next": f"{BASE}/v1/incidents/{INCIDENT_ID}/notes?identifierType=id&limit=100"
                    "&offset=1709547360000_1709547360000000000&direction=next"
                },
            ),
            ok(
                [
                    {
                        "note": "rolled back",
                        "owner": "bob@example.com",
                        "createdAt": "2024-03-04T10:30:00.000Z",
                        "offset": "1709548200000_1709548200000000000",
                    }
                ],
                paging={},
            ),
        ]
    )

    notes = og.list_incident_notes(identifier=INCIDENT_ID, order="asc")

    assert [n.note for n in notes] == ["paged", "rolled back"]
    assert params(sent(route, 0)) == {"identifierType": "id", "limit": "100", "order": "asc"}
    assert params(sent(route, 1)) == {
        "identifierType": "id",
        "limit": "100",
        "order": "asc",
        "offset": "1709547360000_1709547360000000000",
        "direction": "next",
    }


def test_add_incident_timeline_entry(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.post(f"/v2/incident-timelines/{INCIDENT_ID}/entries").mock(
        return_value=ok(
            {
                "id": "e1",
                "group": "custom",
                "type": "CustomUserEntry",
                "eventTime": "2024-03-04T10:20:00Z",
                "hidden": False,
                "actor": {"name": "oncall", "type": "integration"},
                "description": {"type": "plain_text", "content": "Rolled back deploy 1234"},
            },
            status=201,
        )
    )

    entry = og.add_incident_timeline_entry(
        incident_id=INCIDENT_ID,
        content="Rolled back deploy 1234",
        time=datetime(2024, 3, 4, 11, 20, tzinfo=CET),
    )

    assert body(sent(route)) == {
        "description": {"content": "Rolled back deploy 1234"},
        "time": "2024-03-04T11:20:00+01:00",
    }
    assert entry is not None and entry.type == "CustomUserEntry"
    assert entry.description is not None and entry.description.content == "Rolled back deploy 1234"


def test_add_incident_timeline_entry_tolerates_a_bare_acknowledgement(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.post(f"/v2/incident-timelines/{INCIDENT_ID}/entries").mock(return_value=accepted())

    assert og.add_incident_timeline_entry(incident_id=INCIDENT_ID, content="note") is None
    assert body(sent(route)) == {"description": {"content": "note"}}


def test_list_incident_timeline_entries_follows_next_offset(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    entry = {
        "id": "e1",
        "group": "incident",
        "type": "IncidentCreated",
        "eventTime": "2024-03-04T10:15:00Z",
        "hidden": False,
        "actor": {"name": "jane@example.com", "type": "user"},
        "description": {"name": "Incident created"},
    }
    route = router.get(f"/v2/incident-timelines/{INCIDENT_ID}/entries").mock(
        side_effect=[
            ok({"entries": [entry], "nextOffset": "e1"}),
            ok({"entries": [{**entry, "id": "e2", "group": "custom", "type": "CustomUserEntry"}]}),
        ]
    )

    entries = og.list_incident_timeline_entries(incident_id=INCIDENT_ID)

    assert [e.id for e in entries] == ["e1", "e2"]
    assert params(sent(route, 0)) == {} and params(sent(route, 1)) == {"offset": "e1"}


# --- alerts --------------------------------------------------------------------------------------------


def test_close_alert_is_async(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.post("/v2/alerts/checkout-5xx/close").mock(return_value=accepted("alert-req"))

    assert (
        og.close_alert(identifier="checkout-5xx", identifier_type="alias", note="incident 42") == "alert-req"
    )

    request = sent(route)
    assert params(request) == {"identifierType": "alias"}
    assert body(request) == {"note": "incident 42"}


ALERT = {
    "id": "70413a06-38d6-4c85-92b8-5ebc900d42e2",
    "tinyId": "1791",
    "alias": "event_573",
    "message": "Our servers are in danger",
    "status": "open",
    "acknowledged": True,
    "isSeen": True,
    "tags": ["OverwriteQuietHours", "incident:42"],
    "snoozed": False,
    "count": 79,
    "createdAt": "2017-03-17T09:00:00.000Z",
    "updatedAt": "2017-03-21T20:32:52.353Z",
    "source": "Isengard",
    "owner": "morpheus@opsgenie.com",
    "priority": "P5",
    "responders": [{"type": "user", "id": "4513b7ea-3b91-438f-b7e4-e3e54af9147c"}],
    "report": {"ackTime": 15702, "closeTime": 60503, "acknowledgedBy": "agent_smith@opsgenie.com"},
}


def test_list_alerts_asks_with_the_query_and_follows_paging(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.get("/v2/alerts").mock(
        side_effect=[
            ok([ALERT], paging={"next": f"{BASE}/v2/alerts?query=status%3Aopen&offset=1&limit=1"}),
            ok([{**ALERT, "id": "a2", "tinyId": "1792"}], paging={}),
        ]
    )

    alerts = list(og.iter_alerts(query="status:open", sort="createdAt", order="desc", limit=1))

    assert [(a.tiny_id, a.owner, a.report.ack_time if a.report else None) for a in alerts] == [
        ("1791", "morpheus@opsgenie.com", 15702), ("1792", "morpheus@opsgenie.com", 15702)
    ]
    assert params(sent(route, 0)) == {
        "query": "status:open", "sort": "createdAt", "order": "desc", "offset": "0", "limit": "1"
    }
    assert params(sent(route, 1))["offset"] == "1"


def test_get_alert_by_tiny_id(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.get("/v2/alerts/1791").mock(return_value=ok(ALERT))

    alert = og.get_alert(identifier="1791", identifier_type="tiny")

    assert (alert.id, alert.acknowledged) == (ALERT["id"], True)
    assert alert.tags == ["OverwriteQuietHours", "incident:42"]
    assert params(sent(route)) == {"identifierType": "tiny"}


def test_acknowledge_alert_sends_user_and_note_and_is_async(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    route = router.post(f"/v2/alerts/{ALERT['id']}/acknowledge").mock(return_value=accepted("ack-req"))

    assert og.acknowledge_alert(identifier=ALERT["id"], user="ada@example.com", note="on it") == "ack-req"

    request = sent(route)
    assert params(request) == {"identifierType": "id"}
    assert body(request) == {"user": "ada@example.com", "note": "on it"}


def test_add_alert_tags(og: OpsgenieClient, router: respx.MockRouter) -> None:
    route = router.post(f"/v2/alerts/{ALERT['id']}/tags").mock(return_value=accepted("tag-req"))

    assert og.add_alert_tags(identifier=ALERT["id"], tags=["incident:42"]) == "tag-req"

    assert body(sent(route)) == {"tags": ["incident:42"]}
    with pytest.raises(UsageError):
        og.add_alert_tags(identifier=ALERT["id"], tags=[])


def test_wait_alert_request_polls_the_alert_requests(
    og: OpsgenieClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    done = {"action": "Acknowledge", "isSuccess": True, "status": "Acknowledged", "alertId": ALERT["id"]}
    route = router.get("/v2/alerts/requests/ack-req").mock(side_effect=[NOT_PROCESSED, ok(done)])

    status = og.wait_alert_request(request_id="ack-req")

    assert status.alert_id == ALERT["id"] and route.call_count == 2 and fake_time.sleeps == [0.1]


def test_wait_alert_request_that_failed_is_rejected(og: OpsgenieClient, router: respx.MockRouter) -> None:
    router.get("/v2/alerts/requests/ack-req").mock(
        return_value=ok({"action": "Acknowledge", "isSuccess": False, "status": "Alert does not exist"})
    )

    with pytest.raises(RejectedError, match="Alert does not exist"):
        og.wait_alert_request(request_id="ack-req")


# --- errors --------------------------------------------------------------------------------------------


def test_401_is_an_auth_error(og: OpsgenieClient, router: respx.MockRouter) -> None:
    router.get("/v2/account").mock(return_value=error(401, "Could not authenticate"))

    with pytest.raises(AuthError, match="HTTP 401: Could not authenticate"):
        og.get_account()


def test_404_is_not_found(og: OpsgenieClient, router: respx.MockRouter) -> None:
    router.get("/v2/users/ghost@example.com").mock(return_value=error(404, "No user exists with username"))

    with pytest.raises(NotFoundError, match="No user exists"):
        og.get_user(identifier="ghost@example.com")


def test_422_with_errors_names_the_field(og: OpsgenieClient, router: respx.MockRouter) -> None:
    router.post(f"/v2/schedules/{SCHEDULE_ID}/overrides").mock(
        return_value=error(
            422,
            "Request body is not processable. Please check the errors.",
            errors={"user": "User [ghost@example.com] not found"},
        )
    )

    with pytest.raises(RejectedError) as caught:
        og.create_schedule_override(
            schedule=SCHEDULE_ID,
            user=Recipient.user("ghost@example.com"),
            start_date=datetime(2024, 3, 5, 9, tzinfo=UTC),
            end_date=datetime(2024, 3, 6, 9, tzinfo=UTC),
        )

    assert "user: User [ghost@example.com] not found" in caught.value.message
    assert caught.value.details["status"] == 422


def test_429_is_retried_after_the_rate_limit_period(
    og: OpsgenieClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    throttled = httpx.Response(
        429,
        headers={
            "X-RateLimit-State": "THROTTLED",
            "X-RateLimit-Reason": "ACCOUNT",
            "X-RateLimit-Period-In-Sec": "2",
        },
        json={"message": "You are making too many requests!", "took": 0.0, "requestId": "r"},
    )
    route = router.get("/v2/account").mock(side_effect=[throttled, ok({"name": "acme"})])

    assert og.get_account().name == "acme"
    assert route.call_count == 2
    assert len(fake_time.sleeps) == 1 and 2.0 <= fake_time.sleeps[0] <= 2.5


def test_429_even_on_a_create_is_retried_because_it_was_not_processed(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    throttled = httpx.Response(
        429,
        headers={"X-RateLimit-State": "THROTTLED", "X-RateLimit-Period-In-Sec": "1"},
        json={"message": "Too many requests", "took": 0.0, "requestId": "r"},
    )
    route = router.post("/v1/incidents/create").mock(side_effect=[throttled, accepted()])

    assert og.create_incident(message="m", service_id="s") == REQUEST_ID
    assert route.call_count == 2


def test_429_that_persists_is_rate_limited(og: OpsgenieClient, router: respx.MockRouter) -> None:
    router.get("/v2/account").mock(
        return_value=httpx.Response(
            429,
            headers={"X-RateLimit-State": "THROTTLED", "X-RateLimit-Period-In-Sec": "1"},
            json={"message": "Too many requests", "took": 0.0, "requestId": "r"},
        )
    )

    with pytest.raises(RateLimitedError, match="after 4 attempts"):
        og.get_account()


def test_a_malformed_success_body_is_an_error_not_a_crash(
    og: OpsgenieClient, router: respx.MockRouter
) -> None:
    router.get("/v2/users/jane@example.com").mock(return_value=ok({"fullName": "no username"}))

    with pytest.raises(OncallError, match="unexpected user"):
        og.get_user(identifier="jane@example.com")


@pytest.mark.parametrize("status", [401, 403, 404, 422, 500])
def test_the_api_key_never_appears_in_an_error(
    og: OpsgenieClient, router: respx.MockRouter, status: int
) -> None:
    router.get("/v2/account").mock(
        return_value=error(
            status, f"Key {KEY} rejected (Authorization: GenieKey {KEY})", errors={"apiKey": KEY}
        )
    )

    with pytest.raises(OncallError) as caught:
        og.get_account()

    for text in (
        str(caught.value),
        caught.value.message,
        caught.value.hint,
        json.dumps(caught.value.to_dict(), default=str),
    ):
        assert KEY not in text
