"""The JSM Operations emulator behind the `atlassian` gateway prefix: schedules, rotations, overrides, the
timeline and on-calls as jsm-ops-excerpt.openapi.yaml describes them, the seeded copy of the Opsgenie
schedule, and its agreement with the Opsgenie emulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from oncall_cli.sandbox.emulator import SANDBOX_CLOUD_ID, SANDBOX_TEAM_ID, Emulator
from oncall_cli.sandbox.jsm import OPERATIONS, SCHEDULE_OPERATIONS, timeline_window
from oncall_cli.sandbox.server import serve_in_thread
from oncall_cli.sandbox.validation import Validator

from .conftest import ATL, BASIC_AUTH, NOW, OG, OG_AUTH

API = f"{ATL}/jsm/ops/api/{SANDBOX_CLOUD_ID}"
V1 = f"{API}/v1"


@pytest.fixture
def sid(http: httpx.Client) -> str:
    values = http.get(f"{V1}/schedules", headers=BASIC_AUTH).json()["values"]
    return str(values[0]["id"])


def _emails(emulator: Emulator) -> dict[str, str]:
    """Account id -> email, from the site's directory."""
    return {r["account_id"]: r["email"] for r in emulator.query("SELECT account_id, email FROM jira_users")}


def _account(emulator: Emulator, email: str) -> str:
    return str(emulator.query("SELECT account_id FROM jira_users WHERE email = ?", (email,))[0]["account_id"])


def _follow(http: httpx.Client, first: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every page of a JSM list, following `links.next` (relative to the API root, without the cloud id)."""
    response = http.get(first, params=params, headers=BASIC_AUTH)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        yield body
        following = body.get("links", {}).get("next")
        if not following:
            return
        assert following.startswith("/v1/")
        response = http.get(API + following, headers=BASIC_AUTH)


def _rotation_body(emulator: Emulator, name: str, **extra: Any) -> dict[str, Any]:
    email = emulator.query("SELECT email FROM jira_users ORDER BY seq LIMIT 1")[0]["email"]
    return {
        "name": name,
        "startDate": "2025-03-03T16:00:00Z",
        "type": "weekly",
        "length": 1,
        "participants": [{"type": "user", "id": _account(emulator, email)}, {"type": "noone"}],
        **extra,
    }


# ---- auth and the gateway ------------------------------------------------------------------------------


def test_basic_auth_is_required_and_refused_in_the_gateway_shape(http: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "Bearer x"}, {"Authorization": "Basic "}):
        response = http.get(f"{V1}/schedules", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"code": 401, "message": "Unauthorized"}
    assert http.get(f"{V1}/schedules", headers={"Authorization": "Basic anything"}).status_code == 200


def test_a_wrong_cloud_id_is_404_in_the_gateway_shape(http: httpx.Client, sid: str) -> None:
    for path in ("/v1/schedules", f"/v1/schedules/{sid}/timeline", "/v1/teams"):
        response = http.get(f"{ATL}/jsm/ops/api/not-our-cloud{path}", headers=BASIC_AUTH)
        assert response.status_code == 404
        assert response.json() == {"code": 404, "message": "Not Found"}


def test_an_unknown_route_is_404_in_the_gateway_shape(http: httpx.Client) -> None:
    response = http.get(f"{V1}/heartbeats", headers=BASIC_AUTH)
    assert response.status_code == 404 and response.json()["code"] == 404


def test_an_unknown_schedule_is_404_in_jsm_shape(http: httpx.Client) -> None:
    response = http.get(f"{V1}/schedules/nope", headers=BASIC_AUTH)
    assert response.status_code == 404
    (error,) = response.json()["errors"]
    assert error["code"] == "NOT_FOUND" and "nope" in error["title"]


# ---- schedules and teams -------------------------------------------------------------------------------


def test_the_seeded_schedule_belongs_to_the_engineering_team(http: httpx.Client, sid: str) -> None:
    schedule = http.get(f"{V1}/schedules/{sid}", headers=BASIC_AUTH).json()
    assert schedule["name"] == "Engineering_schedule"
    assert schedule["timezone"] == "America/New_York" and schedule["enabled"] is True
    assert schedule["teamId"] == SANDBOX_TEAM_ID
    assert [r["name"] for r in schedule["rotations"]] == ["rot-a", "rot-b"]
    teams = http.get(f"{V1}/teams", headers=BASIC_AUTH).json()
    assert teams == {"platformTeams": [{"teamId": SANDBOX_TEAM_ID, "teamName": "Engineering"}]}


@pytest.mark.parametrize(
    "query", ["Engineering_schedule", "engineering_SCHEDULE", "eng*", "ENGINEERING_*", "*"]
)
def test_schedule_query_is_an_exact_or_prefix_match_ignoring_case(http: httpx.Client, query: str) -> None:
    values = http.get(f"{V1}/schedules", params={"query": query}, headers=BASIC_AUTH).json()["values"]
    assert [v["name"] for v in values] == ["Engineering_schedule"]


@pytest.mark.parametrize("query", ["Engineering", "schedule", "eng", "*schedule"])
def test_schedule_query_without_a_trailing_star_is_not_a_substring_search(http: httpx.Client,
                                                                          query: str) -> None:
    values = http.get(f"{V1}/schedules", params={"query": query}, headers=BASIC_AUTH).json()["values"]
    assert values == []


def test_schedules_page_to_the_end_with_relative_next_links(emulator: Emulator, http: httpx.Client) -> None:
    with emulator.locked() as db:
        for i in range(2, 7):
            db.execute("INSERT INTO jsm_schedules (id, name, seq, data) VALUES (?, ?, ?, ?)",
                       (f"s{i}", f"Engineering_extra_{i}", 100 + i,
                        '{"timezone": "Europe/London", "enabled": true}'))
    first = http.get(f"{V1}/schedules", params={"size": 2}, headers=BASIC_AUTH).json()
    assert first["links"] == {"next": "/v1/schedules?offset=2&size=2"}  # the spec's example, to the letter
    assert first["_expands"] == ["rotation"] and "rotations" not in first["values"][0]
    pages = list(_follow(http, f"{V1}/schedules", {"size": 2, "query": "eng*", "expand": "rotation"}))
    assert [len(p["values"]) for p in pages] == [2, 2, 2]
    assert pages[0]["links"]["next"] == "/v1/schedules?query=eng%2A&expand=rotation&offset=2&size=2"
    assert pages[-1]["links"] == {}
    names = [v["name"] for p in pages for v in p["values"]]
    assert names == ["Engineering_extra_2", "Engineering_extra_3", "Engineering_extra_4",
                     "Engineering_extra_5", "Engineering_extra_6", "Engineering_schedule"]
    assert all("rotations" in v for p in pages for v in p["values"])


def test_a_page_size_over_50_is_refused_by_the_spec(http: httpx.Client) -> None:
    response = http.get(f"{V1}/schedules", params={"size": 51}, headers=BASIC_AUTH)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "UNPROCESSABLE_ENTITY"


# ---- the seeded copy of the Opsgenie schedule -----------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 7])
def test_rotations_are_an_exact_copy_of_the_opsgenie_seed(seed: int) -> None:
    with Emulator(now=lambda: NOW, seed=seed) as emulator, emulator.client() as http:
        og = http.get(f"{OG}/v2/schedules/Engineering_schedule", params={"identifierType": "name"},
                      headers=OG_AUTH).json()["data"]["rotations"]
        sid = http.get(f"{V1}/schedules", headers=BASIC_AUTH).json()["values"][0]["id"]
        jsm = http.get(f"{V1}/schedules/{sid}/rotations", headers=BASIC_AUTH).json()["values"]
        emails = _emails(emulator)
    assert len(jsm) == len(og) == 2
    for mine, theirs in zip(jsm, og, strict=True):
        assert (mine["name"], mine["startDate"], mine["type"], mine["length"]) == (
            theirs["name"], theirs["startDate"], theirs["type"], theirs["length"])
        assert [emails[p["id"]] if p["type"] == "user" else p["type"] for p in mine["participants"]] == [
            p["username"] if p["type"] == "user" else "noone" for p in theirs["participants"]]
        assert mine["id"] != theirs["id"]  # the migration gives the copy its own ids


# ---- rotations -----------------------------------------------------------------------------------------


def test_rotation_create_get_update_delete(emulator: Emulator, http: httpx.Client, sid: str) -> None:
    base = f"{V1}/schedules/{sid}/rotations"
    created = http.post(base, json=_rotation_body(emulator, "rot-c"), headers=BASIC_AUTH)
    assert created.status_code == 201
    rotation = created.json()
    assert rotation["name"] == "rot-c" and rotation["startDate"] == "2025-03-03T16:00:00Z"
    assert rotation["participants"][1] == {"type": "noone"}
    rid = rotation["id"]
    assert http.get(f"{base}/{rid}", headers=BASIC_AUTH).json() == rotation
    updated = http.patch(f"{base}/{rid}", json={"length": 2, "endDate": "2025-06-02T16:00:00+00:00"},
                         headers=BASIC_AUTH)
    assert updated.status_code == 200
    assert updated.json() == {**rotation, "length": 2, "endDate": "2025-06-02T16:00:00Z"}
    deleted = http.delete(f"{base}/{rid}", headers=BASIC_AUTH)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = http.get(f"{base}/{rid}", headers=BASIC_AUTH)
    assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == "NOT_FOUND"


def test_rotation_times_need_no_half_hour_minutes_in_jsm(emulator: Emulator, http: httpx.Client,
                                                         sid: str) -> None:
    """Opsgenie's :00/:30 rule is not in the JSM spec: 16:45 is accepted as it is."""
    body = _rotation_body(emulator, "odd", startDate="2025-03-03T16:45:00Z")
    response = http.post(f"{V1}/schedules/{sid}/rotations", json=body, headers=BASIC_AUTH)
    assert response.status_code == 201 and response.json()["startDate"] == "2025-03-03T16:45:00Z"


def test_a_second_rotation_of_one_name_is_409(emulator: Emulator, http: httpx.Client, sid: str) -> None:
    response = http.post(f"{V1}/schedules/{sid}/rotations", json=_rotation_body(emulator, "ROT-A"),
                         headers=BASIC_AUTH)
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "CONFLICT"


def test_an_unknown_participant_account_is_422_in_jsm_shape(emulator: Emulator, http: httpx.Client,
                                                            sid: str) -> None:
    body = _rotation_body(emulator, "ghosts", participants=[{"type": "user", "id": "712020:no-such-account"}])
    response = http.post(f"{V1}/schedules/{sid}/rotations", json=body, headers=BASIC_AUTH)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert set(error) == {"title", "code"} and error["code"] == "UNPROCESSABLE_ENTITY"
    assert "712020:no-such-account" in error["title"]
    rid = http.get(f"{V1}/schedules/{sid}/rotations", headers=BASIC_AUTH).json()["values"][0]["id"]
    patched = http.patch(f"{V1}/schedules/{sid}/rotations/{rid}",
                         json={"participants": [{"type": "user", "id": "nobody"}]}, headers=BASIC_AUTH)
    assert patched.status_code == 422


def test_a_participant_type_outside_the_spec_is_refused_by_validation(emulator: Emulator,
                                                                      http: httpx.Client, sid: str) -> None:
    body = _rotation_body(emulator, "nones", participants=[{"type": "none"}])  # Opsgenie's word, not JSM's
    response = http.post(f"{V1}/schedules/{sid}/rotations", json=body, headers=BASIC_AUTH)
    assert response.status_code == 422
    assert any("participants" in e["title"] for e in response.json()["errors"])


def test_rotations_page_to_the_end(emulator: Emulator, http: httpx.Client, sid: str) -> None:
    for i in range(12):
        assert http.post(f"{V1}/schedules/{sid}/rotations", json=_rotation_body(emulator, f"r{i:02d}"),
                         headers=BASIC_AUTH).status_code == 201
    pages = list(_follow(http, f"{V1}/schedules/{sid}/rotations", {"size": 5}))
    assert [len(p["values"]) for p in pages] == [5, 5, 4]
    assert pages[0]["links"]["next"] == f"/v1/schedules/{sid}/rotations?offset=5&size=5"
    names = [v["name"] for p in pages for v in p["values"]]
    assert names == ["rot-a", "rot-b", *[f"r{i:02d}" for i in range(12)]]


# ---- overrides -----------------------------------------------------------------------------------------


def test_override_create_list_get_update_delete(emulator: Emulator, http: httpx.Client, sid: str) -> None:
    base = f"{V1}/schedules/{sid}/overrides"
    rot_a = http.get(f"{V1}/schedules/{sid}/rotations", headers=BASIC_AUTH).json()["values"][0]["id"]
    someone = next(iter(_emails(emulator)))
    body = {"responder": {"type": "user", "id": someone}, "startDate": "2025-03-06T14:00:00Z",
            "endDate": "2025-03-06T18:15:00Z", "rotationIds": [rot_a]}
    created = http.post(base, json=body, headers=BASIC_AUTH)
    assert created.status_code == 201
    override = created.json()
    alias = override["alias"]
    assert alias and override == {**body, "alias": alias}
    assert http.get(base, headers=BASIC_AUTH).json() == {"values": [override], "links": {}}
    assert http.get(f"{base}/{alias}", headers=BASIC_AUTH).json() == override
    replaced = http.put(f"{base}/{alias}", json={**body, "responder": {"type": "noone"}}, headers=BASIC_AUTH)
    assert replaced.status_code == 200 and replaced.json()["responder"] == {"type": "noone"}
    assert http.delete(f"{base}/{alias}", headers=BASIC_AUTH).status_code == 204
    assert http.get(f"{base}/{alias}", headers=BASIC_AUTH).status_code == 404


def test_the_override_list_leaves_out_finished_overrides(emulator: Emulator, http: httpx.Client,
                                                         sid: str) -> None:
    someone = next(iter(_emails(emulator)))
    for start, end in (("2025-02-01T00:00:00Z", "2025-02-02T00:00:00Z"), ("2025-03-05T00:00:00Z",
                                                                          "2025-03-07T00:00:00Z")):
        http.post(f"{V1}/schedules/{sid}/overrides", headers=BASIC_AUTH,
                  json={"responder": {"type": "user", "id": someone}, "startDate": start, "endDate": end})
    values = http.get(f"{V1}/schedules/{sid}/overrides", headers=BASIC_AUTH).json()["values"]
    assert [v["startDate"] for v in values] == ["2025-03-05T00:00:00Z"]
    assert "rotationIds" not in values[0]  # none given: every rotation


def test_an_override_without_responder_is_refused_by_validation_in_jsm_shape(emulator: Emulator,
                                                                             http: httpx.Client,
                                                                             sid: str) -> None:
    response = http.post(f"{V1}/schedules/{sid}/overrides", headers=BASIC_AUTH,
                         json={"startDate": "2025-03-06T14:00:00Z", "endDate": "2025-03-06T18:00:00Z"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors and all(set(e) == {"title", "code"} for e in errors)
    assert any("responder" in e["title"] for e in errors)
    operation = "POST /jsm/ops/api/{cloudId}/v1/schedules/{scheduleId}/overrides"
    assert ("atlassian", operation, "request") in emulator.validated
    assert emulator.query("SELECT COUNT(*) AS n FROM jsm_overrides")[0]["n"] == 0


def test_override_refusals(emulator: Emulator, http: httpx.Client, sid: str) -> None:
    someone = next(iter(_emails(emulator)))
    good = {"responder": {"type": "user", "id": someone}, "startDate": "2025-03-06T14:00:00Z",
            "endDate": "2025-03-06T18:00:00Z"}
    for body in (
        {**good, "responder": {"type": "user", "id": "712020:nobody"}},  # unknown account
        {**good, "rotationIds": ["not-a-rotation"]},
        {**good, "endDate": "2025-03-06T13:00:00Z"},  # ends before it starts
    ):
        response = http.post(f"{V1}/schedules/{sid}/overrides", json=body, headers=BASIC_AUTH)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["code"] == "UNPROCESSABLE_ENTITY"


# ---- timeline ------------------------------------------------------------------------------------------


def test_timeline_window_is_the_interval_unit_containing_the_date() -> None:
    # The spec's own example.
    start, end = timeline_window(datetime(2023, 12, 15, 15, 20, 25, tzinfo=UTC), 2, "months", "UTC")
    assert (start.isoformat(), end.isoformat()) == ("2023-12-01T00:00:00+00:00", "2024-02-01T00:00:00+00:00")
    ny = "America/New_York"
    wednesday = datetime(2025, 3, 12, 15, tzinfo=UTC)
    start, end = timeline_window(wednesday, 1, "weeks", ny)  # weeks begin on Monday, in the schedule's zone
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (datetime(2025, 3, 10, 4, tzinfo=UTC),
                                                            datetime(2025, 3, 17, 4, tzinfo=UTC))
    start, end = timeline_window(datetime(2025, 3, 9, 12, tzinfo=UTC), 1, "days", ny)  # a 23-hour day
    assert end - start == timedelta(hours=23)
    start, end = timeline_window(datetime(2025, 3, 1, 3, tzinfo=UTC), 1, "months", ny)  # Feb 28 in New York
    assert start.astimezone(UTC) == datetime(2025, 2, 1, 5, tzinfo=UTC)


def test_timeline_defaults_to_the_week_of_now(http: httpx.Client, sid: str) -> None:
    body = http.get(f"{V1}/schedules/{sid}/timeline", headers=BASIC_AUTH).json()
    # NOW is Wednesday 5 March 2025, 10:00 in New York: its week starts Monday 3 March, 00:00 EST.
    assert (body["startDate"], body["endDate"]) == ("2025-03-03T05:00:00Z", "2025-03-10T04:00:00Z")
    assert body["_expands"] == ["base", "forwarding", "override"]
    assert [r["name"] for r in body["finalTimeline"]["rotations"]] == ["rot-a", "rot-b"]
    assert [r["order"] for r in body["finalTimeline"]["rotations"]] == [1.0, 2.0]
    assert "baseTimeline" not in body and "overrideTimeline" not in body


def _opsgenie_periods(http: httpx.Client, start: str, interval: int, unit: str) -> dict[str, list[Any]]:
    body = http.get(f"{OG}/v2/schedules/Engineering_schedule/timeline", headers=OG_AUTH,
                    params={"identifierType": "name", "date": start, "interval": interval,
                            "intervalUnit": unit}).json()["data"]
    return {
        r["name"]: [(p["startDate"], p["endDate"], "override" if p["type"] == "override" else "base",
                     p["recipient"].get("name") if p["recipient"]["type"] == "user" else None)
                    for p in r["periods"]]
        for r in body["finalTimeline"]["rotations"]
    }


def _jsm_periods(body: dict[str, Any], emails: dict[str, str], layer: str = "finalTimeline"
                 ) -> dict[str, list[Any]]:
    return {
        r["name"]: [(p["startDate"], p["endDate"], p["type"],
                     emails[p["responder"]["id"]] if p["responder"]["type"] == "user" else None)
                    for p in r["periods"]]
        for r in body[layer]["rotations"]
    }


@pytest.mark.parametrize(
    ("date", "interval", "unit"),
    [
        ("2025-03-12T15:00:00Z", 1, "weeks"),
        ("2025-03-12T15:00:00Z", 3, "weeks"),
        ("2025-03-15T12:00:00Z", 1, "months"),  # March 2025 holds the DST change
        ("2025-04-20T12:00:00Z", 2, "months"),
        ("2025-03-09T12:00:00Z", 1, "days"),
        ("2025-03-03T15:00:00Z", 6, "days"),
    ],
)
def test_the_timeline_equals_the_opsgenie_emulators_for_the_seeded_schedule(
    emulator: Emulator, http: httpx.Client, sid: str, date: str, interval: int, unit: str
) -> None:
    someone = next(iter(_emails(emulator)))
    override = {"responder": {"type": "user", "id": someone}, "startDate": "2025-03-13T14:00:00Z",
                "endDate": "2025-03-14T02:00:00Z"}
    assert http.post(f"{V1}/schedules/{sid}/overrides", json=override, headers=BASIC_AUTH).status_code == 201
    assert http.post(f"{OG}/v2/schedules/Engineering_schedule/overrides?scheduleIdentifierType=name",
                     headers=OG_AUTH, json={"user": {"type": "user", "username": _emails(emulator)[someone]},
                                            "startDate": "2025-03-13T14:00:00Z",
                                            "endDate": "2025-03-14T02:00:00Z"}).status_code == 201
    body = http.get(f"{V1}/schedules/{sid}/timeline", headers=BASIC_AUTH,
                    params={"date": date, "interval": interval, "intervalUnit": unit,
                            "expand": "base,override"}).json()
    mine = _jsm_periods(body, _emails(emulator))
    theirs = _opsgenie_periods(http, body["startDate"], interval, unit)
    if unit == "months":
        assert mine == theirs
    else:  # Opsgenie's emulator adds absolute days, JSM ends on the wall clock: compare the common span
        end = min(body["endDate"], max(p[1] for periods in theirs.values() for p in periods))
        clip = {k: [(s, min(e, end), t, u) for s, e, t, u in v if s < end] for k, v in theirs.items()}
        assert {k: [(s, min(e, end), t, u) for s, e, t, u in v] for k, v in mine.items()} == clip
    assert all(p[2] == "base" for periods in _jsm_periods(body, _emails(emulator), "baseTimeline").values()
               for p in periods)
    overridden = _jsm_periods(body, _emails(emulator), "overrideTimeline")
    assert all(p[2] == "override" for periods in overridden.values() for p in periods)


def test_a_noone_shift_has_a_noone_responder(emulator: Emulator, http: httpx.Client, sid: str) -> None:
    created = http.post(f"{V1}/schedules/{sid}/rotations", json=_rotation_body(emulator, "rot-c"),
                        headers=BASIC_AUTH)
    assert created.status_code == 201
    body = http.get(f"{V1}/schedules/{sid}/timeline", params={"interval": 6, "intervalUnit": "months"},
                    headers=BASIC_AUTH).json()
    responders = [p["responder"] for r in body["finalTimeline"]["rotations"] for p in r["periods"]]
    assert {"type": "noone"} in responders
    assert all(set(r) == {"type"} if r["type"] == "noone" else set(r) == {"id", "type"} for r in responders)


def test_the_timeline_refuses_a_date_over_two_years_ahead(http: httpx.Client, sid: str) -> None:
    response = http.get(f"{V1}/schedules/{sid}/timeline", params={"date": "2027-06-01T00:00:00Z"},
                        headers=BASIC_AUTH)
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "UNPROCESSABLE_ENTITY"
    bad_unit = http.get(f"{V1}/schedules/{sid}/timeline", params={"intervalUnit": "years"},
                        headers=BASIC_AUTH)
    assert bad_unit.status_code == 422


# ---- on-calls ------------------------------------------------------------------------------------------


def test_on_calls_flat_and_tree(emulator: Emulator, http: httpx.Client, sid: str) -> None:
    flat = http.get(f"{V1}/schedules/{sid}/on-calls", params={"flat": "true"}, headers=BASIC_AUTH).json()
    assert set(flat) == {"onCallUsers"} and len(flat["onCallUsers"]) == 2
    tree = http.get(f"{V1}/schedules/{sid}/on-calls", headers=BASIC_AUTH).json()
    assert tree == {"onCallParticipants": [{"id": u, "type": "user"} for u in flat["onCallUsers"]]}
    og = http.get(f"{OG}/v2/schedules/Engineering_schedule/on-calls",
                  params={"scheduleIdentifierType": "name", "flat": "true"}, headers=OG_AUTH).json()["data"]
    emails = _emails(emulator)
    assert [emails[u] for u in flat["onCallUsers"]] == og["onCallRecipients"]


def test_on_calls_agree_with_the_timeline(emulator: Emulator, http: httpx.Client, sid: str) -> None:
    someone = next(iter(_emails(emulator)))
    http.post(f"{V1}/schedules/{sid}/overrides", headers=BASIC_AUTH,
              json={"responder": {"type": "user", "id": someone}, "startDate": "2025-03-20T13:00:00Z",
                    "endDate": "2025-03-21T13:00:00Z"})
    body = http.get(f"{V1}/schedules/{sid}/timeline", params={"date": "2025-03-05T15:00:00Z", "interval": 4},
                    headers=BASIC_AUTH).json()
    periods = [p for r in body["finalTimeline"]["rotations"] for p in r["periods"]]
    instants = sorted({p["startDate"] for p in periods})
    assert len(instants) > 6
    for instant in instants:
        at = datetime.fromisoformat(instant.replace("Z", "+00:00")) + timedelta(minutes=1)
        expected = {p["responder"]["id"] for p in periods if p["responder"]["type"] == "user"
                    and p["startDate"] <= at.strftime("%Y-%m-%dT%H:%M:%SZ") < p["endDate"]}
        flat = http.get(f"{V1}/schedules/{sid}/on-calls", headers=BASIC_AUTH,
                        params={"flat": "true", "date": at.isoformat()}).json()["onCallUsers"]
        assert set(flat) == expected, instant
    assert someone in http.get(f"{V1}/schedules/{sid}/on-calls", headers=BASIC_AUTH,
                               params={"flat": "true", "date": "2025-03-20T15:00:00Z"}).json()["onCallUsers"]


def test_next_on_calls_are_the_holders_of_each_rotations_next_shift(http: httpx.Client, sid: str) -> None:
    timeline = http.get(f"{V1}/schedules/{sid}/timeline", params={"interval": 2}, headers=BASIC_AUTH).json()
    expected = []
    for rotation in timeline["finalTimeline"]["rotations"]:
        following = [p for p in rotation["periods"] if p["startDate"] > "2025-03-05T15:00:00Z"]
        if following and following[0]["responder"]["type"] == "user":
            expected.append(following[0]["responder"]["id"])
    flat = http.get(f"{V1}/schedules/{sid}/next-on-calls", params={"flat": "true"}, headers=BASIC_AUTH).json()
    assert flat == {"nextOnCallUsers": expected}
    tree = http.get(f"{V1}/schedules/{sid}/next-on-calls", headers=BASIC_AUTH).json()
    assert tree == {"nextOnCallParticipants": [{"id": u, "type": "user"} for u in expected]}


# ---- faults --------------------------------------------------------------------------------------------


def test_injected_faults_answer_in_the_gateway_shape(emulator: Emulator, http: httpx.Client) -> None:
    emulator.faults.add_spec("atlassian:GET /jsm/ops/api/{cloudId}/v1/teams#1=429:7")
    emulator.faults.add_spec("atlassian:*#2=503")
    throttled = http.get(f"{V1}/teams", headers=BASIC_AUTH)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert throttled.json() == {"code": 429, "message": "Rate limit exceeded"}
    unavailable = http.get(f"{V1}/teams", headers=BASIC_AUTH)
    assert unavailable.status_code == 503
    assert unavailable.json() == {"code": 503, "message": "Service Unavailable"}
    assert http.get(f"{V1}/teams", headers=BASIC_AUTH).status_code == 200


# ---- spec coverage and serving -------------------------------------------------------------------------


def test_every_operation_the_emulator_serves_is_in_the_vendored_spec() -> None:
    assert set(OPERATIONS) == set(Validator().operations("atlassian"))


def test_every_call_is_validated_both_ways(emulator: Emulator, http: httpx.Client, sid: str) -> None:
    test_rotation_create_get_update_delete(emulator, http, sid)
    test_override_create_list_get_update_delete(emulator, http, sid)
    for suffix in ("timeline", "on-calls", "next-on-calls"):
        http.get(f"{V1}/schedules/{sid}/{suffix}", headers=BASIC_AUTH)
    http.get(f"{V1}/schedules", headers=BASIC_AUTH)
    http.get(f"{V1}/schedules/{sid}", headers=BASIC_AUTH)
    http.get(f"{V1}/teams", headers=BASIC_AUTH)
    called = {c.operation for c in emulator.calls if c.service == "atlassian"}
    assert called == set(SCHEDULE_OPERATIONS)  # the Incident API's: test_jsm_incidents_emulator.py
    for operation in called:
        assert ("atlassian", operation, "request") in emulator.validated, operation
        if operation.startswith("DELETE "):  # 204, no body to check
            continue
        assert ("atlassian", operation, "response") in emulator.validated, operation


def test_served_over_http_under_atlassian() -> None:
    with Emulator(now=lambda: NOW) as emulator:
        server, thread = serve_in_thread(emulator, "127.0.0.1", 0)
        try:
            root = f"{server.url}/atlassian/jsm/ops/api/{SANDBOX_CLOUD_ID}/v1"
            with httpx.Client(timeout=5) as real:
                schedules = real.get(f"{root}/schedules", headers=BASIC_AUTH)
                assert schedules.status_code == 200
                sid = schedules.json()["values"][0]["id"]
                assert real.get(f"{root}/schedules/{sid}/on-calls?flat=true",
                                headers=BASIC_AUTH).json()["onCallUsers"]
                assert real.get(f"{root}/schedules").json() == {"code": 401, "message": "Unauthorized"}
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
