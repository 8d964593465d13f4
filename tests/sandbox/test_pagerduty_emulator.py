"""The PagerDuty emulator: users and teams of the seed world through the real client, PagerDuty's error and
auth shapes, the v3 schedule (empty turns, overrides naming the member they replace, events that start no
earlier than now and never overlap), and every request and answer checked against the vendored spec."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest

from oncall_cli.clients.pagerduty import PagerDutyClient
from oncall_cli.clients.pagerduty_models import (
    AssignmentStrategy,
    Event,
    OverrideShift,
    ShiftMember,
    ZonedDateTime,
)
from oncall_cli.errors import AuthError, NotFoundError, RejectedError
from oncall_cli.sandbox.emulator import SANDBOX_URLS, Emulator

from .conftest import NOW

PD = SANDBOX_URLS["pagerduty"]


@pytest.fixture
def client(emulator: Emulator) -> Iterator[PagerDutyClient]:
    http = emulator.client()
    yield PagerDutyClient(http, api_key="sandbox-key", base_url=PD, from_email="")
    http.close()


def test_users_are_the_seed_people_found_by_email(client: PagerDutyClient, emulator: Emulator) -> None:
    people = client.list_users()
    assert len(people) == 24
    found = client.list_users(query=people[3].email)
    assert [u.id for u in found] == [people[3].id]
    assert client.get_user(user_id=people[3].id).email == people[3].email
    assert emulator.rejected == [] and emulator.invalid_responses == []


def test_the_team_lists_every_member_over_pages(client: PagerDutyClient, emulator: Emulator) -> None:
    (team,) = client.list_teams(query="Engineering")
    members = client.list_team_members(team_id=team.id)
    assert len(members) == 24
    assert len(client.list_users(team_ids=[team.id])) == 24
    pages = [c for c in emulator.calls if c.operation == "GET /teams/{id}/members"]
    assert len(pages) == 1  # limit=100 covers 24


def test_a_missing_or_wrong_scheme_is_401_in_pagerduty_shape(emulator: Emulator) -> None:
    with emulator.client() as http:
        answer = http.get(f"{PD}/users", headers={"Authorization": "Bearer x"})
    assert answer.status_code == 401
    assert set(answer.json()["error"]) >= {"message", "code"}
    with emulator.client() as http, pytest.raises(AuthError):
        PagerDutyClient(http, api_key="", base_url=PD).check_key()


def test_create_user_needs_from_naming_a_user(emulator: Emulator, client: PagerDutyClient) -> None:
    admin = client.list_users()[0].email
    with emulator.client() as http:
        stranger = PagerDutyClient(http, api_key="k", base_url=PD, from_email="nobody@example.org")
        with pytest.raises(RejectedError, match="From"):
            stranger.create_user(name="New Person", email="new.person@example.com", time_zone=None)
        acting = PagerDutyClient(http, api_key="k", base_url=PD, from_email=admin)
        user = acting.create_user(
            name="New Person", email="new.person@example.com", time_zone="Europe/Berlin"
        )
    assert client.get_user(user_id=user.id).time_zone == "Europe/Berlin"
    client.delete_user(user_id=user.id)
    with pytest.raises(NotFoundError):
        client.get_user(user_id=user.id)


def test_a_request_the_spec_forbids_is_400(emulator: Emulator) -> None:
    with emulator.client() as http:
        answer = http.get(f"{PD}/users", params={"limit": "many"}, headers={"Authorization": "Token token=k"})
    assert answer.status_code == 400 and "limit" in str(answer.json()["error"]["errors"])
    assert emulator.rejected and isinstance(answer, httpx.Response)


# ---- v3 schedules ---------------------------------------------------------------------------------------


def _event(start: datetime, members: list[str | None], since: datetime | None = None) -> Event:
    return Event(
        name="Holiday-a",
        start_time=ZonedDateTime(date_time=start, time_zone="America/New_York"),
        end_time=ZonedDateTime(date_time=start + timedelta(days=2), time_zone="America/New_York"),
        effective_since=since or start,
        recurrence=["RRULE:FREQ=DAILY;INTERVAL=2"],
        assignment_strategy=AssignmentStrategy(
            shifts_per_member=1, members=[ShiftMember.of(m) for m in members]
        ),
    )


def test_the_seed_is_one_v3_schedule_with_a_rotation_per_seat_on_the_policy(
    client: PagerDutyClient, emulator: Emulator
) -> None:
    (ref,) = client.list_schedules_v3(query="Engineering_schedule")
    schedule = client.get_schedule_v3(schedule_id=ref.id)
    assert [r.events[0].name for r in schedule.rotations] == ["rot-a", "rot-b"]
    (policy,) = client.list_escalation_policies(query="Engineering_schedule")
    assert [(t.id, t.type) for t in policy.escalation_rules[0].targets] == [(ref.id, "schedule_v3_reference")]
    now = NOW
    assert len(client.list_oncalls(schedule_ids=[ref.id], since=now)) == 2  # both seats at once
    assert emulator.rejected == [] and emulator.invalid_responses == []


def test_an_empty_turn_is_nobody_until_an_override_names_the_empty_member(
    client: PagerDutyClient, emulator: Emulator
) -> None:
    (ref,) = client.list_schedules_v3(query="Engineering_schedule")
    user = client.list_users()[0].id
    start = (NOW + timedelta(days=30)).replace(microsecond=0)
    rotation = client.create_rotation_v3(schedule_id=ref.id)
    client.create_event(schedule_id=ref.id, rotation_id=rotation.id, event=_event(start, [None, user]))
    window = (start, start + timedelta(days=4))
    final = client.get_schedule_v3(schedule_id=ref.id, since=window[0], until=window[1]).final_schedule
    assert final is not None
    mine = [c for c in final.computed_shift_assignments if c.source.rotation_id == rotation.id]
    assert [(c.member.user, c.start_time) for c in mine] == [(None, start), (user, start + timedelta(days=2))]
    assert user not in {o.user.id for o in client.list_oncalls(schedule_ids=[ref.id], since=start)}

    def cover(overridden: str | None) -> list[OverrideShift]:
        return client.create_overrides_v3(
            schedule_id=ref.id,
            overrides=[
                OverrideShift(
                    rotation_id=rotation.id,
                    start_time=start,
                    end_time=start + timedelta(days=2),
                    overridden_member=ShiftMember.of(overridden),
                    overriding_member=ShiftMember.of(user),
                )
            ],
        )

    with pytest.raises(RejectedError, match="overridden_member"):
        cover(user)  # the turn is the empty member's, not the user's
    (override,) = cover(None)
    assert user in {o.user.id for o in client.list_oncalls(schedule_ids=[ref.id], since=start)}
    assert [o.id for o in client.list_overrides_v3(schedule_id=ref.id, since=window[0], until=window[1])] == [
        override.id
    ]
    assert emulator.invalid_responses == []


def test_a_running_event_changes_only_its_end_and_events_never_overlap(
    client: PagerDutyClient, emulator: Emulator
) -> None:
    (ref,) = client.list_schedules_v3(query="Engineering_schedule")
    user = client.list_users()[0].id
    past = NOW - timedelta(days=10)
    rotation = client.create_rotation_v3(schedule_id=ref.id)
    event = client.create_event(schedule_id=ref.id, rotation_id=rotation.id, event=_event(past, [user]))
    assert event.effective_since == NOW  # a past effective_since is clamped to now
    assert event.start_time.date_time == past  # turns still count from start_time
    later = NOW + timedelta(days=1)
    assert event.id is not None
    with pytest.raises(RejectedError, match="overlap"):
        client.create_event(
            schedule_id=ref.id, rotation_id=rotation.id, event=_event(past, [None], since=later)
        )
    ended = client.update_event(
        schedule_id=ref.id, rotation_id=rotation.id, event_id=event.id, effective_until=later
    )
    assert ended.effective_until == later
    client.create_event(schedule_id=ref.id, rotation_id=rotation.id, event=_event(past, [None], since=later))
    assert emulator.invalid_responses == []
