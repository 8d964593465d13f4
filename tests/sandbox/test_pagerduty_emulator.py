"""The PagerDuty emulator: users and teams of the seed world through the real client, PagerDuty's error and
auth shapes, and every request and answer checked against the vendored spec."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from oncall_cli.clients.pagerduty import PagerDutyClient
from oncall_cli.errors import AuthError, NotFoundError, RejectedError
from oncall_cli.sandbox.emulator import SANDBOX_URLS, Emulator

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
