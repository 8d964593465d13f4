"""JsmOpsClient against respx routes matching the exact request (no network, no patching, no real sleep).

Bodies use the field names of `specs/jsm-ops/jsm-ops-excerpt.openapi.yaml`: `{values, links.next}` lists with
relative links, `noone` participants, `responder` + `rotationIds` overrides, `{"errors": [{title, code}]}`.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import respx

from oncall_cli.clients.jsm import JsmOpsClient, jsm_error_text
from oncall_cli.clients.jsm_models import (
    OverrideResponderInfo,
    ResponderInfo,
    TimeOfDayRestriction,
    TimeRestriction,
)
from oncall_cli.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    OncallError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
    UnexpectedError,
    UsageError,
)
from oncall_cli.redaction import forget_secrets

from .conftest import AUTH, ECHO, EMAIL, TOKEN, FakeClock, assert_no_token, atlassian_args, basic_route, sent

pytestmark = pytest.mark.usefixtures("no_leftover_secrets")

CLOUD = "a436116f-02ce-4520-8fbb-7301462a1674"
ROOT = f"https://api.atlassian.com/jsm/ops/api/{CLOUD}"
API = f"{ROOT}/v1"
SCHEDULE_ID = "f8f2a4ec-54b2-4513-865b-8cb3b81c9544"
ROTATION_ID = "9c4d7b3e-3f7a-4c1e-9d2b-6a5e8f1c2b3a"
JANE = "5b10a2844c20165700ede21g"
BOB = "5b10ac8d82e05b22cc7d4ef5"
CET = timezone(timedelta(hours=1))


def make_client(router: respx.MockRouter, clock: FakeClock, *, cloud_id: str = CLOUD) -> JsmOpsClient:
    return JsmOpsClient(
        **atlassian_args(router, clock), base_url="https://api.atlassian.com/", cloud_id=cloud_id
    )


@pytest.fixture
def jsm(router: respx.MockRouter, clock: FakeClock) -> JsmOpsClient:
    return make_client(router, clock)


def route(
    router: respx.MockRouter,
    method: str,
    path: str,
    *,
    params: dict[str, Any] | None = None,
    body: Any = None,
) -> respx.Route:
    """`basic_route` of a path below `API`."""
    return basic_route(router, method, API + path, params=params, body=body)


def query(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params.multi_items())


def sent_json(r: respx.Route) -> Any:
    request = r.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.content)


def errors(status: int, *items: tuple[str, str]) -> httpx.Response:
    return httpx.Response(status, json={"errors": [{"title": t, "code": c} for t, c in items]})


ROTATION = {
    "id": ROTATION_ID,
    "name": "Primary",
    "startDate": "2024-03-04T09:00:00Z",
    "type": "weekly",
    "length": 1,
    "participants": [{"type": "user", "id": JANE}, {"type": "noone"}, {"type": "user", "id": BOB}],
}

SCHEDULE = {
    "id": SCHEDULE_ID,
    "name": "Platform On-Call",
    "description": "Platform team",
    "timezone": "Europe/Berlin",
    "enabled": True,
    "teamId": "77b933c9-92bb-46e7-a73c-764b8d7c3c25",
    "rotations": [ROTATION],
}

OVERRIDE = {
    "alias": "c3a5e5d2-6b1f-4c0e-9a8d-2f4b6e8a1c3d",
    "responder": {"type": "user", "id": BOB},
    "startDate": "2024-03-05T09:00:00Z",
    "endDate": "2024-03-06T09:00:00Z",
    "rotationIds": None,
}


# --- auth and plumbing ---------------------------------------------------------------------------------


def test_every_request_sends_basic_auth_of_email_and_token_under_the_cloud_id(
    jsm: JsmOpsClient, router: respx.MockRouter
) -> None:
    r = route(router, "GET", f"/schedules/{SCHEDULE_ID}").mock(
        return_value=httpx.Response(200, json=SCHEDULE)
    )

    jsm.get_schedule(schedule_id=SCHEDULE_ID)

    request = sent(r)
    assert request.url == httpx.URL(
        f"https://api.atlassian.com/jsm/ops/api/{CLOUD}/v1/schedules/{SCHEDULE_ID}"
    )
    assert base64.b64decode(request.headers["Authorization"].removeprefix("Basic ")).decode() == (
        f"{EMAIL}:{TOKEN}"
    )


def test_a_missing_cloud_id_is_a_config_error_before_any_request(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    client = make_client(router, clock, cloud_id="")

    with pytest.raises(ConfigError) as caught:
        client.list_schedules()

    assert "tenant_info" in caught.value.hint


def test_the_no_one_participant_has_no_id() -> None:
    assert ResponderInfo.no_one().to_wire() == {"type": "noone"}
    assert ResponderInfo.user(JANE).to_wire() == {"type": "user", "id": JANE}
    assert OverrideResponderInfo.no_one().to_wire() == {"type": "noone"}


# --- schedules -----------------------------------------------------------------------------------------


def test_list_schedules_follows_the_relative_next_link_until_it_is_absent(
    jsm: JsmOpsClient, router: respx.MockRouter
) -> None:
    second = {**SCHEDULE, "id": "s2", "name": "Platform Secondary", "rotations": []}
    third = {**SCHEDULE, "id": "s3", "name": "Platform Shadow", "rotations": []}
    first_page = route(
        router, "GET", "/schedules", params={"offset": "0", "size": "50", "query": "platform*"}
    )
    first_page.mock(
        return_value=httpx.Response(
            200,
            json={
                "values": [SCHEDULE, second],
                "links": {"next": "/v1/schedules?query=platform*&offset=2&size=50"},
                "_expands": ["rotation"],
            },
        )
    )
    last_page = route(router, "GET", "/schedules", params={"offset": "2", "size": "50", "query": "platform*"})
    last_page.mock(return_value=httpx.Response(200, json={"values": [third], "links": {}}))

    schedules = jsm.list_schedules(query="platform*")

    assert [s.id for s in schedules] == [SCHEDULE_ID, "s2", "s3"]
    assert schedules[0].team_id == "77b933c9-92bb-46e7-a73c-764b8d7c3c25"
    assert first_page.call_count == 1 and last_page.call_count == 1
    # The link is relative to the gateway's /jsm/ops/api/{cloudId}: only its query is used, on our own URL.
    assert sent(last_page).url.path == f"/jsm/ops/api/{CLOUD}/v1/schedules"


def test_list_schedules_without_query_sends_only_offset_and_size(
    jsm: JsmOpsClient, router: respx.MockRouter
) -> None:
    r = route(router, "GET", "/schedules", params={"offset": "0", "size": "50"}).mock(
        return_value=httpx.Response(200, json={"values": [SCHEDULE]})
    )

    assert [s.name for s in jsm.list_schedules()] == ["Platform On-Call"]
    assert r.call_count == 1


def test_a_next_link_back_to_the_same_page_does_not_loop(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    r = route(router, "GET", "/schedules", params={"offset": "0", "size": "50"}).mock(
        return_value=httpx.Response(
            200, json={"values": [SCHEDULE], "links": {"next": "/v1/schedules?offset=0&size=50"}}
        )
    )

    assert len(jsm.list_schedules()) == 1
    assert r.call_count == 1


def test_a_next_link_on_another_host_is_not_followed_there(
    jsm: JsmOpsClient, router: respx.MockRouter
) -> None:
    first = route(router, "GET", "/schedules", params={"offset": "0", "size": "50"}).mock(
        return_value=httpx.Response(
            200,
            json={
                "values": [SCHEDULE],
                "links": {"next": "https://evil.example/v1/schedules?offset=1&size=50"},
            },
        )
    )
    second = route(router, "GET", "/schedules", params={"offset": "1", "size": "50"}).mock(
        return_value=httpx.Response(200, json={"values": []})
    )

    jsm.list_schedules()

    assert first.call_count == 1 and second.call_count == 1
    assert sent(second).url.host == "api.atlassian.com"


def test_get_schedule_reads_rotations_with_no_one_slots(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"/schedules/{SCHEDULE_ID}").mock(return_value=httpx.Response(200, json=SCHEDULE))

    schedule = jsm.get_schedule(schedule_id=SCHEDULE_ID)

    assert schedule.timezone == "Europe/Berlin"
    rotation = schedule.rotations[0]
    assert rotation.start_date == datetime(2024, 3, 4, 9, tzinfo=UTC)
    assert [(p.type, p.id) for p in rotation.participants] == [("user", JANE), ("noone", None), ("user", BOB)]


def test_ids_are_escaped_in_the_path(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    r = router.route(method="DELETE", headers=AUTH).mock(return_value=httpx.Response(204))

    jsm.delete_override(schedule_id=SCHEDULE_ID, alias="swap/2024 03")

    assert sent(r).url.raw_path == (
        f"/jsm/ops/api/{CLOUD}/v1/schedules/{SCHEDULE_ID}/overrides/swap%2F2024%2003".encode()
    )


# --- rotations -----------------------------------------------------------------------------------------


def test_list_rotations_reads_every_page(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    path = f"/schedules/{SCHEDULE_ID}/rotations"
    route(router, "GET", path, params={"offset": "0", "size": "50"}).mock(
        return_value=httpx.Response(
            200, json={"values": [ROTATION], "links": {"next": f"/v1{path}?offset=1&size=50"}}
        )
    )
    route(router, "GET", path, params={"offset": "1", "size": "50"}).mock(
        return_value=httpx.Response(200, json={"values": [{**ROTATION, "id": "r2", "type": "daily"}]})
    )

    rotations = jsm.list_rotations(schedule_id=SCHEDULE_ID)

    assert [(r.id, r.type) for r in rotations] == [(ROTATION_ID, "weekly"), ("r2", "daily")]


def test_create_rotation_keeps_the_callers_offset_and_sends_noone_without_id(
    jsm: JsmOpsClient, router: respx.MockRouter
) -> None:
    expected = {
        "name": "Primary",
        "type": "weekly",
        "length": 1,
        "startDate": "2024-03-04T10:00:00+01:00",
        "endDate": "2024-06-03T10:00:00+02:00",
        "participants": [{"type": "user", "id": JANE}, {"type": "noone"}],
    }
    r = route(router, "POST", f"/schedules/{SCHEDULE_ID}/rotations", body=expected).mock(
        return_value=httpx.Response(201, json={**ROTATION, "startDate": "2024-03-04T09:00:00Z"})
    )

    created = jsm.create_rotation(
        schedule_id=SCHEDULE_ID,
        name="Primary",
        type="weekly",
        start_date=datetime(2024, 3, 4, 10, tzinfo=CET),
        end_date=datetime(2024, 6, 3, 10, tzinfo=timezone(timedelta(hours=2))),
        length=1,
        participants=[ResponderInfo.user(JANE), ResponderInfo.no_one()],
    )

    assert sent_json(r) == expected
    assert created.id == ROTATION_ID


def test_create_rotation_in_utc_says_z_and_can_restrict_the_time_of_day(
    jsm: JsmOpsClient, router: respx.MockRouter
) -> None:
    expected = {
        "name": "Nights",
        "type": "daily",
        "length": 2,
        "startDate": "2024-03-04T18:00:00Z",
        "participants": [{"type": "user", "id": BOB}],
        "timeRestriction": {
            "type": "time-of-day",
            "restriction": {"startHour": 18, "startMin": 0, "endHour": 8, "endMin": 0},
        },
    }
    r = route(router, "POST", f"/schedules/{SCHEDULE_ID}/rotations", body=expected).mock(
        return_value=httpx.Response(201, json={**ROTATION, "name": "Nights", "type": "daily", "length": 2})
    )

    jsm.create_rotation(
        schedule_id=SCHEDULE_ID,
        name="Nights",
        type="daily",
        start_date=datetime(2024, 3, 4, 18, tzinfo=UTC),
        end_date=None,
        length=2,
        participants=[ResponderInfo.user(BOB)],
        time_restriction=TimeRestriction(
            type="time-of-day",
            restriction=TimeOfDayRestriction(start_hour=18, start_min=0, end_hour=8, end_min=0),
        ),
    )

    assert "endDate" not in sent_json(r)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start_date": datetime(2024, 3, 4, 9)}, "no time zone"),
        ({"participants": []}, "at least one participant"),
        ({"length": 0}, "at least 1"),
        ({"end_date": datetime(2024, 3, 1, tzinfo=UTC)}, "must be after"),
    ],
)
def test_create_rotation_refuses_bad_input_before_sending(
    jsm: JsmOpsClient, changes: dict[str, Any], message: str
) -> None:
    values: dict[str, Any] = {
        "schedule_id": SCHEDULE_ID,
        "name": "Primary",
        "type": "weekly",
        "start_date": datetime(2024, 3, 4, 9, tzinfo=UTC),
        "end_date": None,
        "length": 1,
        "participants": [ResponderInfo.user(JANE)],
        **changes,
    }
    with pytest.raises(UsageError, match=message):
        jsm.create_rotation(**values)


def test_update_rotation_patches_only_the_given_fields(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    expected = {
        "participants": [{"type": "user", "id": BOB}, {"type": "user", "id": JANE}],
        "startDate": "2024-03-11T09:00:00+01:00",
    }
    r = route(router, "PATCH", f"/schedules/{SCHEDULE_ID}/rotations/{ROTATION_ID}", body=expected).mock(
        return_value=httpx.Response(200, json=ROTATION)
    )

    updated = jsm.update_rotation(
        schedule_id=SCHEDULE_ID,
        rotation_id=ROTATION_ID,
        start_date=datetime(2024, 3, 11, 9, tzinfo=CET),
        participants=[ResponderInfo.user(BOB), ResponderInfo.user(JANE)],
    )

    assert sent_json(r) == expected
    assert updated.name == "Primary"


def test_update_rotation_with_nothing_to_change_sends_nothing(jsm: JsmOpsClient) -> None:
    with pytest.raises(UsageError, match="at least one field"):
        jsm.update_rotation(schedule_id=SCHEDULE_ID, rotation_id=ROTATION_ID)


def test_update_rotation_is_retried_after_a_5xx(
    jsm: JsmOpsClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(router, "PATCH", f"/schedules/{SCHEDULE_ID}/rotations/{ROTATION_ID}", body={"name": "P"}).mock(
        side_effect=[
            errors(503, ("Service unavailable", "SERVICE_UNAVAILABLE")),
            httpx.Response(200, json=ROTATION),
        ]
    )

    jsm.update_rotation(schedule_id=SCHEDULE_ID, rotation_id=ROTATION_ID, name="P")

    assert r.call_count == 2 and len(clock.sleeps) == 1


def test_delete_rotation_answers_204(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    r = route(router, "DELETE", f"/schedules/{SCHEDULE_ID}/rotations/{ROTATION_ID}").mock(
        return_value=httpx.Response(204)
    )

    jsm.delete_rotation(schedule_id=SCHEDULE_ID, rotation_id=ROTATION_ID)
    assert sent(r).content == b""


# --- overrides -----------------------------------------------------------------------------------------


def test_list_overrides_reads_every_page(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    path = f"/schedules/{SCHEDULE_ID}/overrides"
    route(router, "GET", path, params={"offset": "0", "size": "50"}).mock(
        return_value=httpx.Response(
            200, json={"values": [OVERRIDE], "links": {"next": f"/v1{path}?offset=1&size=50"}}
        )
    )
    route(router, "GET", path, params={"offset": "1", "size": "50"}).mock(
        return_value=httpx.Response(
            200,
            json={
                "values": [
                    {**OVERRIDE, "alias": "o2", "responder": {"type": "noone"}, "rotationIds": [ROTATION_ID]}
                ]
            },
        )
    )

    overrides = jsm.list_overrides(schedule_id=SCHEDULE_ID)

    assert [o.alias for o in overrides] == [OVERRIDE["alias"], "o2"]
    assert overrides[0].rotation_ids is None and overrides[1].rotation_ids == [ROTATION_ID]
    assert overrides[1].responder.type == "noone" and overrides[1].responder.id is None


def test_create_override_of_every_rotation_leaves_rotation_ids_out(
    jsm: JsmOpsClient, router: respx.MockRouter
) -> None:
    expected = {
        "responder": {"type": "user", "id": BOB},
        "startDate": "2024-03-05T10:00:00+01:00",
        "endDate": "2024-03-06T10:00:00+01:00",
    }
    r = route(router, "POST", f"/schedules/{SCHEDULE_ID}/overrides", body=expected).mock(
        return_value=httpx.Response(201, json=OVERRIDE)
    )

    created = jsm.create_override(
        schedule_id=SCHEDULE_ID,
        responder=OverrideResponderInfo.user(BOB),
        start_date=datetime(2024, 3, 5, 10, tzinfo=CET),
        end_date=datetime(2024, 3, 6, 10, tzinfo=CET),
        rotation_ids=None,
    )

    assert "rotationIds" not in sent_json(r)
    assert created.alias == OVERRIDE["alias"]


def test_create_override_of_some_rotations_names_them(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    expected = {
        "responder": {"type": "noone"},
        "startDate": "2024-03-05T09:00:00Z",
        "endDate": "2024-03-06T09:00:00Z",
        "rotationIds": [ROTATION_ID],
    }
    route(router, "POST", f"/schedules/{SCHEDULE_ID}/overrides", body=expected).mock(
        return_value=httpx.Response(
            201, json={**OVERRIDE, "responder": {"type": "noone"}, "rotationIds": [ROTATION_ID]}
        )
    )

    created = jsm.create_override(
        schedule_id=SCHEDULE_ID,
        responder=OverrideResponderInfo.no_one(),
        start_date=datetime(2024, 3, 5, 9, tzinfo=UTC),
        end_date=datetime(2024, 3, 6, 9, tzinfo=UTC),
        rotation_ids=[ROTATION_ID],
    )

    assert created.rotation_ids == [ROTATION_ID]


def test_create_override_with_an_empty_rotation_list_is_refused(jsm: JsmOpsClient) -> None:
    with pytest.raises(UsageError, match="pass None"):
        jsm.create_override(
            schedule_id=SCHEDULE_ID,
            responder=OverrideResponderInfo.user(BOB),
            start_date=datetime(2024, 3, 5, 9, tzinfo=UTC),
            end_date=datetime(2024, 3, 6, 9, tzinfo=UTC),
            rotation_ids=[],
        )


def test_a_create_is_not_retried_after_a_5xx(
    jsm: JsmOpsClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(router, "POST", f"/schedules/{SCHEDULE_ID}/overrides").mock(
        return_value=errors(500, ("Internal error", "INTERNAL_SERVER_ERROR"))
    )

    with pytest.raises(UnavailableError, match=r"Internal error \(INTERNAL_SERVER_ERROR\)"):
        jsm.create_override(
            schedule_id=SCHEDULE_ID,
            responder=OverrideResponderInfo.user(BOB),
            start_date=datetime(2024, 3, 5, 9, tzinfo=UTC),
            end_date=datetime(2024, 3, 6, 9, tzinfo=UTC),
            rotation_ids=None,
        )

    assert r.call_count == 1 and clock.sleeps == []


def test_delete_override_by_alias(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    r = route(router, "DELETE", f"/schedules/{SCHEDULE_ID}/overrides/{OVERRIDE['alias']}").mock(
        return_value=httpx.Response(204)
    )

    jsm.delete_override(schedule_id=SCHEDULE_ID, alias=str(OVERRIDE["alias"]))

    assert r.call_count == 1


# --- timeline, on-calls, teams -------------------------------------------------------------------------


def test_get_timeline_sends_the_date_with_its_offset_and_reads_the_final_layer(
    jsm: JsmOpsClient, router: respx.MockRouter
) -> None:
    r = route(
        router,
        "GET",
        f"/schedules/{SCHEDULE_ID}/timeline",
        params={"interval": "2", "intervalUnit": "weeks", "date": "2024-03-04T09:00:00+01:00"},
    ).mock(
        return_value=httpx.Response(
            200,
            json={
                "startDate": "2024-03-03T23:00:00Z",
                "endDate": "2024-03-17T23:00:00Z",
                "finalTimeline": {
                    "rotations": [
                        {
                            "id": ROTATION_ID,
                            "name": "Primary",
                            "order": 1.0,
                            "periods": [
                                {
                                    "startDate": "2024-03-04T08:00:00Z",
                                    "endDate": "2024-03-11T08:00:00Z",
                                    "type": "base",
                                    "responder": {"id": JANE, "type": "user"},
                                },
                                {
                                    "startDate": "2024-03-05T08:00:00Z",
                                    "endDate": "2024-03-06T08:00:00Z",
                                    "type": "override",
                                    "responder": {"type": "noone"},
                                },
                                {
                                    "startDate": "2024-03-11T08:00:00Z",
                                    "endDate": "2024-03-18T08:00:00Z",
                                    "type": "forwarding",
                                    "from": {"id": BOB, "type": "user"},
                                    "responder": {"id": JANE, "type": "user"},
                                },
                            ],
                        }
                    ]
                },
                "_expands": ["base", "forwarding", "override"],
            },
        )
    )

    timeline = jsm.get_timeline(
        schedule_id=SCHEDULE_ID, interval=2, interval_unit="weeks", date=datetime(2024, 3, 4, 9, tzinfo=CET)
    )

    assert b"date=2024-03-04T09%3A00%3A00%2B01%3A00" in sent(r).url.query
    periods = timeline.final_timeline.rotations[0].periods
    assert [(p.type, p.responder.id if p.responder else None) for p in periods] == [
        ("base", JANE),
        ("override", None),
        ("forwarding", JANE),
    ]
    assert periods[2].from_responder is not None and periods[2].from_responder.id == BOB
    assert periods[0].start_date == datetime(2024, 3, 4, 8, tzinfo=UTC)
    assert timeline.base_timeline is None


def test_get_timeline_can_expand_layers(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    r = route(
        router,
        "GET",
        f"/schedules/{SCHEDULE_ID}/timeline",
        params={
            "interval": "1",
            "intervalUnit": "months",
            "date": "2024-03-01T00:00:00Z",
            "expand": ["base", "override"],
        },
    ).mock(return_value=httpx.Response(200, json={"finalTimeline": {}, "baseTimeline": {"rotations": []}}))

    timeline = jsm.get_timeline(
        schedule_id=SCHEDULE_ID,
        interval=1,
        interval_unit="months",
        date=datetime(2024, 3, 1, tzinfo=UTC),
        expand=["base", "override"],
    )

    assert r.call_count == 1
    assert timeline.final_timeline.rotations == [] and timeline.base_timeline is not None


def test_get_on_calls_asks_flat_and_returns_account_ids(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    r = route(
        router,
        "GET",
        f"/schedules/{SCHEDULE_ID}/on-calls",
        params={"flat": "true", "date": "2024-03-04T12:00:00+01:00"},
    ).mock(return_value=httpx.Response(200, json={"onCallUsers": [JANE, BOB]}))

    assert jsm.get_on_calls(schedule_id=SCHEDULE_ID, date=datetime(2024, 3, 4, 12, tzinfo=CET)) == [JANE, BOB]
    assert b"%2B01%3A00" in sent(r).url.query


def test_get_on_calls_now_and_nobody(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"/schedules/{SCHEDULE_ID}/on-calls", params={"flat": "true"}).mock(
        return_value=httpx.Response(200, json={"onCallUsers": []})
    )

    assert jsm.get_on_calls(schedule_id=SCHEDULE_ID) == []


def test_list_teams_reads_platform_teams(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    route(router, "GET", "/teams").mock(
        return_value=httpx.Response(
            200,
            json={
                "platformTeams": [
                    {"teamId": "77b933c9-92bb-46e7-a73c-764b8d7c3c25", "teamName": "Platform"},
                    {"teamId": "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e", "teamName": "Payments"},
                ]
            },
        )
    )

    assert [(t.team_id[:8], t.team_name) for t in jsm.list_teams()] == [
        ("77b933c9", "Platform"),
        ("0b1c2d3e", "Payments"),
    ]


# --- alerts --------------------------------------------------------------------------------------------

ALERT_ID = "4513b7ea-3b91-438f-b7e4-e3e54af9147c"
ALERT = {
    "id": ALERT_ID,
    "tinyId": "7",
    "createdAt": "2024-03-04T09:00:00Z",
    "updatedAt": "2024-03-04T09:06:00Z",
    "message": "Disk full",
    "status": "acked",
    "tags": ["db"],
    "acknowledged": True,
    "ackTime": "2024-03-04T09:05:00Z",
    "owner": "Jane Doe",
    "priority": "P2",
    "responders": [{"id": JANE, "type": "user"}],
}
ACCEPTED = {"result": "Request will be processed", "requestId": "req-1", "took": 0}
ACKED = datetime(2024, 3, 4, 9, 5, tzinfo=UTC)
NEXT = "/v1/alerts?query=status%3A%28open+OR+acked%29&sort=createdAt&order=desc&offset=50&size=50"


def test_list_alerts_sends_the_query_and_follows_links(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    first = route(
        router, "GET", "/alerts",
        params={"query": "status:(open OR acked)", "sort": "createdAt", "order": "desc", "offset": "0",
                "size": "50"},
    ).mock(return_value=httpx.Response(200, json={"values": [ALERT], "count": 2, "links": {"next": NEXT}}))
    second = route(
        router, "GET", "/alerts",
        params={"query": "status:(open OR acked)", "sort": "createdAt", "order": "desc", "offset": "50",
                "size": "50"},
    ).mock(return_value=httpx.Response(200, json={"values": [{**ALERT, "id": "a2", "tinyId": "8"}]}))

    alerts = jsm.list_alerts(query="status:(open OR acked)", sort="createdAt", order="desc")

    assert [(a.tiny_id, a.status, a.ack_time) for a in alerts] == [
        ("7", "acked", ACKED), ("8", "acked", ACKED)
    ]
    assert first.call_count == 1 and second.call_count == 1


def test_get_alert(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"/alerts/{ALERT_ID}").mock(return_value=httpx.Response(200, json=ALERT))

    alert = jsm.get_alert(alert_id=ALERT_ID)

    assert (alert.owner, [r.id for r in alert.responders]) == ("Jane Doe", [JANE])


@pytest.mark.parametrize("action", ["acknowledge", "close"])
def test_alert_actions_have_no_body_and_answer_a_request_id(
    jsm: JsmOpsClient, router: respx.MockRouter, action: str
) -> None:
    r = route(router, "POST", f"/alerts/{ALERT_ID}/{action}")
    r.mock(return_value=httpx.Response(202, json=ACCEPTED))

    call = jsm.acknowledge_alert if action == "acknowledge" else jsm.close_alert
    assert call(alert_id=ALERT_ID) == "req-1"
    assert sent(r).content == b""


def test_add_alert_tags(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    r = route(router, "POST", f"/alerts/{ALERT_ID}/tags", body={"tags": ["incident:ITSM-3"]}).mock(
        return_value=httpx.Response(202, json=ACCEPTED)
    )

    assert jsm.add_alert_tags(alert_id=ALERT_ID, tags=["incident:ITSM-3"]) == "req-1"
    assert r.call_count == 1


def test_wait_alert_request_polls_until_processed(
    jsm: JsmOpsClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(router, "GET", "/alerts/requests/req-1").mock(
        side_effect=[
            errors(404, ("Request not found", "NOT_FOUND")),
            httpx.Response(200, json={"action": "Close", "isSuccess": True, "alertId": ALERT_ID}),
        ]
    )

    assert jsm.wait_alert_request(request_id="req-1").alert_id == ALERT_ID
    assert r.call_count == 2


def test_wait_alert_request_that_failed_is_rejected(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    route(router, "GET", "/alerts/requests/req-1").mock(
        return_value=httpx.Response(200, json={"action": "Close", "isSuccess": False,
                                               "status": "Alert does not exist"})
    )

    with pytest.raises(RejectedError, match="Alert does not exist"):
        jsm.wait_alert_request(request_id="req-1")


# --- errors --------------------------------------------------------------------------------------------


def test_401_is_an_auth_error_with_the_vendor_message(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    route(router, "GET", "/teams").mock(
        return_value=httpx.Response(401, json={"code": 401, "message": "Client must be authenticated"})
    )

    with pytest.raises(AuthError, match="HTTP 401: Client must be authenticated") as caught:
        jsm.list_teams()

    assert "JSM" in caught.value.hint


def test_403_is_an_auth_error(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"/schedules/{SCHEDULE_ID}").mock(
        return_value=errors(403, ("You do not have permission to view this schedule", "FORBIDDEN"))
    )

    with pytest.raises(AuthError, match=r"permission to view this schedule \(FORBIDDEN\)"):
        jsm.get_schedule(schedule_id=SCHEDULE_ID)


def test_404_is_not_found_with_title_and_code(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    route(router, "GET", "/schedules/nope").mock(
        return_value=errors(404, ("Schedule not found", "NOT_FOUND"))
    )

    with pytest.raises(NotFoundError) as caught:
        jsm.get_schedule(schedule_id="nope")

    assert "HTTP 404: Schedule not found (NOT_FOUND)" in caught.value.message
    assert caught.value.details["status"] == 404


def test_422_names_every_problem(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    route(router, "POST", f"/schedules/{SCHEDULE_ID}/rotations").mock(
        return_value=errors(
            422,
            ("Participant id must be a valid account id", "INVALID_PARTICIPANT"),
            ("Start date must be before end date", "INVALID_DATE_RANGE"),
        )
    )

    with pytest.raises(RejectedError) as caught:
        jsm.create_rotation(
            schedule_id=SCHEDULE_ID,
            name="Primary",
            type="weekly",
            start_date=datetime(2024, 3, 4, 9, tzinfo=UTC),
            end_date=None,
            length=1,
            participants=[ResponderInfo.user("bogus")],
        )

    assert caught.value.message.endswith(
        "HTTP 422: Participant id must be a valid account id (INVALID_PARTICIPANT); "
        "Start date must be before end date (INVALID_DATE_RANGE)"
    )


def test_409_name_conflict_is_rejected(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    route(router, "POST", f"/schedules/{SCHEDULE_ID}/rotations").mock(
        return_value=errors(409, ("Another rotation with the same name exists.", "CONFLICT"))
    )

    with pytest.raises(RejectedError, match="same name exists"):
        jsm.create_rotation(
            schedule_id=SCHEDULE_ID,
            name="Primary",
            type="weekly",
            start_date=datetime(2024, 3, 4, 9, tzinfo=UTC),
            participants=[ResponderInfo.user(JANE)],
        )


def test_429_is_retried_after_retry_after_even_for_a_create(
    jsm: JsmOpsClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(router, "POST", f"/schedules/{SCHEDULE_ID}/overrides").mock(
        side_effect=[
            httpx.Response(
                429, headers={"Retry-After": "5"}, json={"errors": [{"title": "Too many requests"}]}
            ),
            httpx.Response(201, json=OVERRIDE),
        ]
    )

    jsm.create_override(
        schedule_id=SCHEDULE_ID,
        responder=OverrideResponderInfo.user(BOB),
        start_date=datetime(2024, 3, 5, 9, tzinfo=UTC),
        end_date=datetime(2024, 3, 6, 9, tzinfo=UTC),
        rotation_ids=None,
    )

    assert r.call_count == 2
    assert len(clock.sleeps) == 1 and 5.0 <= clock.sleeps[0] <= 6.0


def test_429_that_persists_is_rate_limited(jsm: JsmOpsClient, router: respx.MockRouter) -> None:
    route(router, "GET", "/teams").mock(return_value=httpx.Response(429, headers={"Retry-After": "1"}))

    with pytest.raises(RateLimitedError, match="after 4 attempts"):
        jsm.list_teams()


def test_an_answer_in_an_unexpected_shape_is_an_oncall_error(
    jsm: JsmOpsClient, router: respx.MockRouter
) -> None:
    route(router, "GET", f"/schedules/{SCHEDULE_ID}").mock(
        return_value=httpx.Response(200, json={"id": SCHEDULE_ID, "rotations": []})
    )

    with pytest.raises(UnexpectedError, match="unexpected schedule"):
        jsm.get_schedule(schedule_id=SCHEDULE_ID)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 500])
def test_the_token_never_appears_in_an_error(router: respx.MockRouter, clock: FakeClock, status: int) -> None:
    forget_secrets()  # the client registers its own token
    client = make_client(router, clock)
    route(router, "GET", "/teams").mock(
        return_value=httpx.Response(
            status, json={"message": ECHO, "errors": [{"title": ECHO, "code": TOKEN}]}
        )
    )

    with pytest.raises(OncallError) as caught:
        client.list_teams()

    assert_no_token(caught.value)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (errors(404, ("Schedule not found", "NOT_FOUND")), "Schedule not found (NOT_FOUND)"),
        (httpx.Response(401, json={"code": 401, "message": "Unauthorized"}), "Unauthorized"),
        (httpx.Response(422, json={"errors": [{"title": "Bad"}, {"code": "ONLY_CODE"}]}), "Bad; ONLY_CODE"),
        (httpx.Response(502, text="<html><body><h1>502 Bad Gateway</h1></body></html>"), "502 Bad Gateway"),
        (httpx.Response(500, text=""), ""),
        (httpx.Response(400, json=["odd"]), "['odd']"),
    ],
)
def test_error_bodies_are_read_defensively(response: httpx.Response, expected: str) -> None:
    assert jsm_error_text(response) == expected
