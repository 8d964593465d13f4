"""JiraClient against respx routes matching the exact request (no network, no patching, no real sleep).

User bodies follow the examples of `specs/jira/jira-platform.v3.json`; Teams bodies follow Atlassian's Teams
public REST API reference (`results` + `pageInfo`, `members` + `errors`).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from oncall_cli.clients.jira import JiraClient, jira_error_text
from oncall_cli.errors import (
    AuthError,
    NotFoundError,
    OncallError,
    RateLimitedError,
    RejectedError,
    UnexpectedError,
    UsageError,
)
from oncall_cli.redaction import forget_secrets

from .conftest import ECHO, TOKEN, FakeClock, assert_no_token, atlassian_args, jira_errors, sent, sent_json
from .conftest import basic_route as route

pytestmark = pytest.mark.usefixtures("no_leftover_secrets")

SITE = "https://acme.atlassian.net"
CLOUD = "a436116f-02ce-4520-8fbb-7301462a1674"
ORG = "0j2k4a1d-3b5c-4e6f-8a9b-1c2d3e4f5a6b"
TEAM = "77b933c9-92bb-46e7-a73c-764b8d7c3c25"
TEAMS = f"{SITE}/gateway/api/public/teams/v1/org/{ORG}/teams/{TEAM}/members"
JANE = "5b10a2844c20165700ede21g"
BOB = "5b10ac8d82e05b22cc7d4ef5"


def make_client(router: respx.MockRouter, clock: FakeClock) -> JiraClient:
    return JiraClient(**atlassian_args(router, clock), base_url=SITE + "/")


@pytest.fixture
def jira(router: respx.MockRouter, clock: FakeClock) -> JiraClient:
    return make_client(router, clock)


def user(account_id: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "self": f"{SITE}/rest/api/3/user?accountId={account_id}",
        "accountId": account_id,
        "accountType": "atlassian",
        "avatarUrls": {"48x48": "https://avatar-management--avatars.example/initials/MK-5.png?size=48&s=48"},
        "displayName": name,
        "active": True,
        "timeZone": "Australia/Sydney",
        "locale": "en_US",
        **extra,
    }


# --- site ----------------------------------------------------------------------------------------------


def test_tenant_info_gives_the_cloud_id(jira: JiraClient, router: respx.MockRouter) -> None:
    r = route(router, "GET", f"{SITE}/_edge/tenant_info").mock(
        return_value=httpx.Response(200, json={"cloudId": CLOUD})
    )

    assert jira.tenant_info() == CLOUD
    assert sent(r).url == httpx.URL(f"{SITE}/_edge/tenant_info")


def test_tenant_info_without_a_cloud_id_is_unexpected(jira: JiraClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{SITE}/_edge/tenant_info").mock(return_value=httpx.Response(200, json={}))

    with pytest.raises(UnexpectedError, match="cloudId") as caught:
        jira.tenant_info()

    assert "atlassian.net" in caught.value.hint


# --- users ---------------------------------------------------------------------------------------------


def test_myself_reads_the_user_even_when_privacy_hides_the_email(
    jira: JiraClient, router: respx.MockRouter
) -> None:
    r = route(router, "GET", f"{SITE}/rest/api/3/myself").mock(
        return_value=httpx.Response(
            200, json=user(JANE, "Mia Krystof", applicationRoles={"items": [], "size": 1})
        )
    )

    me = jira.myself()

    assert sent(r).url.params == httpx.QueryParams()
    assert me.account_id == JANE and me.display_name == "Mia Krystof"
    assert me.email_address is None and me.time_zone == "Australia/Sydney" and me.active is True
    assert me.account_type == "atlassian"


def test_search_users_sends_query_and_max_results(jira: JiraClient, router: respx.MockRouter) -> None:
    r = route(
        router,
        "GET",
        f"{SITE}/rest/api/3/user/search",
        params={"query": "mia@example.com", "maxResults": "50"},
    ).mock(return_value=httpx.Response(200, json=[user(JANE, "Mia Krystof", emailAddress="mia@example.com")]))

    users = jira.search_users(query="mia@example.com")

    assert b"query=mia%40example.com" in sent(r).url.query
    assert [(u.account_id, u.email_address) for u in users] == [(JANE, "mia@example.com")]


def test_search_users_refuses_an_empty_query(jira: JiraClient) -> None:
    with pytest.raises(UsageError):
        jira.search_users(query="")


def test_get_user_by_account_id(jira: JiraClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{SITE}/rest/api/3/user", params={"accountId": BOB}).mock(
        return_value=httpx.Response(200, json=user(BOB, "Emma Richards", timeZone="Europe/London"))
    )

    assert jira.get_user(account_id=BOB).time_zone == "Europe/London"


def test_get_user_unknown_is_not_found_with_jiras_message(jira: JiraClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{SITE}/rest/api/3/user", params={"accountId": "ghost"}).mock(
        return_value=jira_errors(404, "Specified user does not exist or you do not have required permissions")
    )

    with pytest.raises(NotFoundError, match="HTTP 404: Specified user does not exist"):
        jira.get_user(account_id="ghost")


def test_bulk_users_chunks_ids_and_reads_every_page_of_a_chunk(
    jira: JiraClient, router: respx.MockRouter
) -> None:
    ids = [f"acc-{i:03d}" for i in range(120)]
    chunks = [ids[:50], ids[50:100], ids[100:]]
    url = f"{SITE}/rest/api/3/user/bulk"
    first = route(
        router, "GET", url, params={"accountId": chunks[0], "startAt": "0", "maxResults": "50"}
    ).mock(
        return_value=httpx.Response(
            200,
            json={
                "isLast": False,
                "maxResults": 30,
                "startAt": 0,
                "total": 50,
                "values": [user(i, i) for i in chunks[0][:30]],
            },
        )
    )
    first_rest = route(
        router, "GET", url, params={"accountId": chunks[0], "startAt": "30", "maxResults": "50"}
    ).mock(
        return_value=httpx.Response(
            200,
            json={"isLast": True, "startAt": 30, "total": 50, "values": [user(i, i) for i in chunks[0][30:]]},
        )
    )
    second = route(
        router, "GET", url, params={"accountId": chunks[1], "startAt": "0", "maxResults": "50"}
    ).mock(return_value=httpx.Response(200, json={"isLast": True, "values": [user(i, i) for i in chunks[1]]}))
    third = route(
        router, "GET", url, params={"accountId": chunks[2], "startAt": "0", "maxResults": "20"}
    ).mock(
        return_value=httpx.Response(
            200, json={"isLast": True, "values": [user(i, i) for i in chunks[2][:19]]}
        )
    )

    # Duplicates are asked once; an unknown id is simply absent from the answer.
    users = jira.bulk_users(account_ids=[*ids, ids[0], ids[57]])

    assert [u.account_id for u in users] == ids[:119]
    assert all(r.call_count == 1 for r in (first, first_rest, second, third))
    assert sent(first).url.query.count(b"accountId=") == 50


def test_bulk_users_of_nothing_sends_nothing(jira: JiraClient) -> None:
    assert jira.bulk_users(account_ids=[]) == []


# --- user properties -----------------------------------------------------------------------------------


def test_get_user_property_returns_the_value(jira: JiraClient, router: respx.MockRouter) -> None:
    r = route(
        router, "GET", f"{SITE}/rest/api/3/user/properties/oncall.profile", params={"accountId": JANE}
    ).mock(
        return_value=httpx.Response(
            200, json={"key": "oncall.profile", "value": {"start_date": "2024-03-01", "manager": BOB}}
        )
    )

    value = jira.get_user_property(account_id=JANE, key="oncall.profile")

    assert value == {"start_date": "2024-03-01", "manager": BOB}
    assert sent(r).method == "GET"


def test_get_user_property_that_is_not_set_is_none(
    jira: JiraClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(
        router, "GET", f"{SITE}/rest/api/3/user/properties/oncall.profile", params={"accountId": JANE}
    ).mock(return_value=jira_errors(404, "The property with key 'oncall.profile' does not exist."))

    assert jira.get_user_property(account_id=JANE, key="oncall.profile") is None
    assert r.call_count == 1 and clock.sleeps == []


@pytest.mark.parametrize("status", [200, 201])
def test_set_user_property_puts_the_value_itself(
    jira: JiraClient, router: respx.MockRouter, status: int
) -> None:
    value = {"start_date": "2024-03-01", "manager": BOB}
    r = route(
        router,
        "PUT",
        f"{SITE}/rest/api/3/user/properties/oncall.profile",
        params={"accountId": JANE},
    ).mock(return_value=httpx.Response(status, json={}))

    jira.set_user_property(account_id=JANE, key="oncall.profile", value=value)
    assert sent_json(r) == value


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("oncall.profile", None, "needs a value"),
        ("oncall.profile", "x" * 40_000, "at most 32768"),
        ("", {"a": 1}, "property key"),
        ("k" * 256, {"a": 1}, "property key"),
    ],
)
def test_set_user_property_refuses_what_jira_would_reject(
    jira: JiraClient, key: str, value: Any, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        jira.set_user_property(account_id=JANE, key=key, value=value)


def test_a_false_property_value_is_still_sent(jira: JiraClient, router: respx.MockRouter) -> None:
    r = route(router, "PUT", f"{SITE}/rest/api/3/user/properties/paused", params={"accountId": JANE}).mock(
        return_value=httpx.Response(200)
    )

    jira.set_user_property(account_id=JANE, key="paused", value=False)

    assert sent(r).content == b"false"


# --- teams ---------------------------------------------------------------------------------------------


def test_team_members_follows_the_cursor_to_the_end(jira: JiraClient, router: respx.MockRouter) -> None:
    r = route(router, "POST", TEAMS, params={"siteId": CLOUD}).mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "results": [{"accountId": JANE}, {"accountId": BOB}],
                    "pageInfo": {"hasNextPage": True, "endCursor": "YXJyYXljb25uZWN0aW9uOjE="},
                },
            ),
            httpx.Response(
                200,
                json={
                    "results": [{"accountId": "carol"}],
                    "pageInfo": {"hasNextPage": False, "endCursor": None},
                },
            ),
        ]
    )

    members = jira.team_members(org_id=ORG, team_id=TEAM, site_id=CLOUD)

    assert members == [JANE, BOB, "carol"]
    assert sent_json(r, 0) == {"first": 50}
    assert sent_json(r, 1) == {"first": 50, "after": "YXJyYXljb25uZWN0aW9uOjE="}


def test_team_members_without_site_id_sends_no_query(jira: JiraClient, router: respx.MockRouter) -> None:
    route(router, "POST", TEAMS, body={"first": 50}).mock(
        return_value=httpx.Response(200, json={"results": [], "pageInfo": {"hasNextPage": False}})
    )

    assert jira.team_members(org_id=ORG, team_id=TEAM) == []


def test_team_members_is_a_read_so_a_5xx_is_retried(
    jira: JiraClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(router, "POST", TEAMS).mock(
        side_effect=[
            httpx.Response(503, json={"code": "SERVICE_UNAVAILABLE", "message": "try later"}),
            httpx.Response(200, json={"results": [{"accountId": JANE}], "pageInfo": {"hasNextPage": False}}),
        ]
    )

    assert jira.team_members(org_id=ORG, team_id=TEAM) == [JANE]
    assert r.call_count == 2 and len(clock.sleeps) == 1


def test_add_team_members_sends_at_most_50_per_request_and_merges_the_answers(
    jira: JiraClient, router: respx.MockRouter
) -> None:
    ids = [f"acc-{i:03d}" for i in range(60)]
    r = route(router, "POST", f"{TEAMS}/add").mock(
        side_effect=[
            httpx.Response(200, json={"members": [{"accountId": i} for i in ids[:50]], "errors": []}),
            httpx.Response(
                200,
                json={
                    "members": [{"accountId": i} for i in ids[50:59]],
                    "errors": [{"accountId": ids[59], "code": "USER_NOT_FOUND", "message": "User not found"}],
                },
            ),
        ]
    )

    result = jira.add_team_members(org_id=ORG, team_id=TEAM, account_ids=[*ids, ids[3]])

    assert sent_json(r, 0) == {"members": [{"accountId": i} for i in ids[:50]]}
    assert sent_json(r, 1) == {"members": [{"accountId": i} for i in ids[50:]]}
    assert [m.account_id for m in result.members] == ids[:59]
    assert result.failed_account_ids == [ids[59]]
    assert result.errors[0].code == "USER_NOT_FOUND"


def test_remove_team_members_reports_what_was_not_removed(jira: JiraClient, router: respx.MockRouter) -> None:
    r = route(
        router, "POST", f"{TEAMS}/remove", body={"members": [{"accountId": JANE}, {"accountId": BOB}]}
    ).mock(
        return_value=httpx.Response(
            200, json={"errors": [{"accountId": BOB, "code": "NOT_A_MEMBER", "message": "Not a member"}]}
        )
    )

    result = jira.remove_team_members(org_id=ORG, team_id=TEAM, account_ids=[JANE, BOB])

    assert r.call_count == 1
    assert result.members == [] and result.failed_account_ids == [BOB]


def test_changing_no_members_sends_nothing(jira: JiraClient) -> None:
    assert jira.add_team_members(org_id=ORG, team_id=TEAM, account_ids=[]).errors == []
    assert jira.remove_team_members(org_id=ORG, team_id=TEAM, account_ids=[]).members == []


# --- errors --------------------------------------------------------------------------------------------


def test_401_is_an_auth_error(jira: JiraClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{SITE}/rest/api/3/myself").mock(
        return_value=jira_errors(
            401, "You are not authenticated. Authentication required to perform this operation."
        )
    )

    with pytest.raises(AuthError, match="HTTP 401: You are not authenticated") as caught:
        jira.myself()

    assert "Jira" in caught.value.hint


def test_400_names_the_field_and_the_message(jira: JiraClient, router: respx.MockRouter) -> None:
    route(router, "PUT", f"{SITE}/rest/api/3/user/properties/k", params={"accountId": "x"}).mock(
        return_value=jira_errors(400, "Invalid request.", accountId="The accountId is not valid.")
    )

    with pytest.raises(RejectedError) as caught:
        jira.set_user_property(account_id="x", key="k", value=1)

    assert caught.value.message.endswith("HTTP 400: Invalid request.; accountId: The accountId is not valid.")


def test_429_on_user_search_is_retried_after_retry_after(
    jira: JiraClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(
        router, "GET", f"{SITE}/rest/api/3/user/search", params={"query": "mia", "maxResults": "10"}
    ).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}, text="Rate limit exceeded"),
            httpx.Response(200, json=[user(JANE, "Mia Krystof")]),
        ]
    )

    assert [u.account_id for u in jira.search_users(query="mia", max_results=10)] == [JANE]
    assert r.call_count == 2
    assert len(clock.sleeps) == 1 and 3.0 <= clock.sleeps[0] <= 4.0


def test_429_that_persists_is_rate_limited(jira: JiraClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{SITE}/rest/api/3/myself").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "1"})
    )

    with pytest.raises(RateLimitedError, match="after 4 attempts"):
        jira.myself()


def test_a_malformed_user_is_an_error_not_a_crash(jira: JiraClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{SITE}/rest/api/3/myself").mock(
        return_value=httpx.Response(200, json={"displayName": "no account id"})
    )

    with pytest.raises(UnexpectedError, match="unexpected current user"):
        jira.myself()


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500])
def test_the_token_never_appears_in_an_error(router: respx.MockRouter, clock: FakeClock, status: int) -> None:
    forget_secrets()  # the client registers its own token
    client = make_client(router, clock)
    route(router, "GET", f"{SITE}/rest/api/3/user", params={"accountId": JANE}).mock(
        return_value=jira_errors(status, ECHO, apiToken=TOKEN)
    )

    with pytest.raises(OncallError) as caught:
        client.get_user(account_id=JANE)

    assert_no_token(caught.value)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (jira_errors(400, "First.", "Second."), "First.; Second."),
        (jira_errors(400, field="is required"), "field: is required"),
        (httpx.Response(404, json={"code": "TEAM_NOT_FOUND", "message": "Team not found"}), "Team not found"),
        (httpx.Response(502, text="<html><title>Bad gateway</title></html>"), "Bad gateway"),
        (httpx.Response(500, text=""), ""),
    ],
)
def test_error_bodies_are_read_defensively(response: httpx.Response, expected: str) -> None:
    assert jira_error_text(response) == expected
