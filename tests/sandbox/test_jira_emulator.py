"""The Jira site emulator under the `jira` prefix: tenant info, the user directory and user properties as
jira-platform.v3.json describes them, and the Atlassian Teams API members, seeded with the same people."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from oncall_cli.sandbox.emulator import SANDBOX_CLOUD_ID, SANDBOX_ORG_ID, SANDBOX_TEAM_ID, Emulator
from oncall_cli.sandbox.jira import DIRECTORY_OPERATIONS, OPERATIONS
from oncall_cli.sandbox.server import serve_in_thread
from oncall_cli.sandbox.validation import Validator, load_vendored

from .conftest import BASIC_AUTH, JIRA, NOW, OG, OG_AUTH

API = f"{JIRA}/rest/api/3"
MEMBERS = f"{JIRA}/gateway/api/public/teams/v1/org/{SANDBOX_ORG_ID}/teams/{SANDBOX_TEAM_ID}/members"


def _opsgenie_users(http: httpx.Client) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = http.get(f"{OG}/v2/users", headers=OG_AUTH).json()["data"]
    return users


def _basic(email: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:token".encode()).decode()}


def _account(emulator: Emulator, email: str) -> str:
    return str(emulator.query("SELECT account_id FROM jira_users WHERE email = ?", (email,))[0]["account_id"])


# ---- auth, tenant --------------------------------------------------------------------------------------


def test_tenant_info_gives_the_sandbox_cloud_id(http: httpx.Client) -> None:
    response = http.get(f"{JIRA}/_edge/tenant_info", headers=BASIC_AUTH)
    assert response.status_code == 200 and response.json() == {"cloudId": SANDBOX_CLOUD_ID}


def test_without_basic_auth_jira_answers_401_in_its_error_shape(http: httpx.Client) -> None:
    response = http.get(f"{API}/myself", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"errorMessages", "errors"} and body["errorMessages"]


def test_an_unknown_path_is_404_in_jira_shape(http: httpx.Client) -> None:
    response = http.get(f"{API}/issue/ITSM-1", headers=BASIC_AUTH)
    assert response.status_code == 404 and "errorMessages" in response.json()


# ---- users ---------------------------------------------------------------------------------------------


def test_every_seed_person_is_an_atlassian_account_with_the_same_facts(emulator: Emulator,
                                                                       http: httpx.Client) -> None:
    og = {u["username"]: u for u in _opsgenie_users(http)}
    users = [u for email in og
             for u in http.get(f"{API}/user/search", params={"query": email}, headers=BASIC_AUTH).json()]
    assert len(users) == 24
    for user in users:
        theirs = og[user["emailAddress"]]
        assert user["displayName"] == theirs["fullName"] and user["timeZone"] == theirs["timeZone"]
        assert user["accountType"] == "atlassian" and user["active"] is True
        assert user["accountId"].startswith("712020:")
        assert user["self"] == f"{API}/user?accountId={user['accountId'].replace(':', '%3A')}"
    assert len({u["accountId"] for u in users}) == 24


def test_account_ids_are_derived_from_the_email_whatever_the_seed() -> None:
    with Emulator(now=lambda: NOW, seed=1) as one, Emulator(now=lambda: NOW, seed=1) as again:
        assert one.snapshot("jira") == again.snapshot("jira")
        a = {r["email"]: r["account_id"] for r in one.query("SELECT * FROM jira_users")}
    with Emulator(now=lambda: NOW, seed=5) as other:
        b = {r["email"]: r["account_id"] for r in other.query("SELECT * FROM jira_users")}
    assert all(b[e] == a[e] for e in set(a) & set(b))


def test_myself_is_the_account_of_the_credentials_email(emulator: Emulator, http: httpx.Client) -> None:
    email = emulator.query("SELECT email FROM jira_users ORDER BY seq DESC LIMIT 1")[0]["email"]
    me = http.get(f"{API}/myself", headers=_basic(email.upper())).json()
    assert me["emailAddress"] == email and me["accountId"] == _account(emulator, email)
    admin = http.get(f"{API}/myself", headers=BASIC_AUTH).json()  # not an account: the site admin
    first = emulator.query("SELECT email FROM jira_users ORDER BY seq LIMIT 1")[0]["email"]
    assert admin["emailAddress"] == first


def test_user_search_matches_the_prefix_of_email_or_name_ignoring_case(emulator: Emulator,
                                                                       http: httpx.Client) -> None:
    rows = emulator.query("SELECT email, data FROM jira_users ORDER BY seq")
    email = rows[0]["email"]
    first_name, last_name = email.split("@")[0].split(".")

    def search(query: str) -> list[str]:
        found = http.get(f"{API}/user/search", params={"query": query}, headers=BASIC_AUTH)
        assert found.status_code == 200
        return [u["emailAddress"] for u in found.json()]

    assert search(email) == [email]
    assert search(email.upper()) == [email]
    assert email in search(first_name[:3].upper())
    assert email in search(last_name.capitalize())  # a word of the display name
    assert search(email[1:]) == []  # not a substring search: the spec says prefix
    assert search("nobody-at-all") == []
    assert len(search("example.com")) == 0


def test_user_search_by_account_id_and_by_property(emulator: Emulator, http: httpx.Client) -> None:
    account = _account(emulator, emulator.query("SELECT email FROM jira_users LIMIT 1")[0]["email"])
    found = http.get(f"{API}/user/search", params={"accountId": account}, headers=BASIC_AUTH).json()
    assert [u["accountId"] for u in found] == [account]
    og = _opsgenie_users(http)
    manager = next(u for u in og if u["details"]["manager"][0].endswith("@example.com")
                   and not u["details"]["manager"][0].startswith("cto@"))["details"]["manager"][0]
    reports = http.get(f"{API}/user/search", params={"property": f"oncall.manager={manager}"},
                       headers=BASIC_AUTH).json()
    assert sorted(u["emailAddress"] for u in reports) == sorted(
        u["username"] for u in og if u["details"]["manager"] == [manager])
    malformed = http.get(f"{API}/user/search", params={"property": "oncall"}, headers=BASIC_AUTH)
    assert malformed.status_code == 400


def test_user_search_pages_to_the_end(http: httpx.Client) -> None:
    everyone = http.get(f"{API}/user/search", params={"property": "oncall.manager=cto@example.com"},
                        headers=BASIC_AUTH).json()
    assert len(everyone) == 3  # the managers
    seen: list[str] = []
    start = 0
    while True:
        page = http.get(f"{API}/user/search", headers=BASIC_AUTH,
                        params={"property": "oncall.manager=cto@example.com", "startAt": start,
                                "maxResults": 2}).json()
        seen += [u["accountId"] for u in page]
        if len(page) < 2:
            break
        start += 2
    assert seen == [u["accountId"] for u in everyone]


def test_user_search_needs_a_query_account_or_property(http: httpx.Client) -> None:
    response = http.get(f"{API}/user/search", headers=BASIC_AUTH)
    assert response.status_code == 400
    assert response.json()["errorMessages"] and response.json()["errors"] == {}


def test_get_user_by_account_id(emulator: Emulator, http: httpx.Client) -> None:
    email = emulator.query("SELECT email FROM jira_users LIMIT 1")[0]["email"]
    user = http.get(f"{API}/user", params={"accountId": _account(emulator, email)}, headers=BASIC_AUTH)
    assert user.status_code == 200 and user.json()["emailAddress"] == email
    unknown = http.get(f"{API}/user", params={"accountId": "712020:nope"}, headers=BASIC_AUTH)
    assert unknown.status_code == 404 and unknown.json()["errorMessages"]
    assert http.get(f"{API}/user", headers=BASIC_AUTH).status_code == 400


def test_bulk_get_is_a_page_bean_and_pages_to_the_end(emulator: Emulator, http: httpx.Client) -> None:
    accounts = [r["account_id"] for r in emulator.query("SELECT account_id FROM jira_users ORDER BY seq")][:7]
    params: list[tuple[str, str | int]] = [("accountId", a) for a in [*accounts, "712020:unknown"]]
    first = http.get(f"{API}/user/bulk", params=[*params, ("maxResults", 3)], headers=BASIC_AUTH).json()
    assert {k: first[k] for k in ("startAt", "maxResults", "total", "isLast")} == {
        "startAt": 0, "maxResults": 3, "total": 7, "isLast": False}
    seen: list[str] = []
    start = 0
    while True:
        page = http.get(f"{API}/user/bulk", params=[*params, ("maxResults", 3), ("startAt", start)],
                        headers=BASIC_AUTH).json()
        seen += [u["accountId"] for u in page["values"]]
        if page["isLast"]:
            break
        start += 3
    assert seen == accounts
    default = http.get(f"{API}/user/bulk", params=params, headers=BASIC_AUTH).json()
    assert default["maxResults"] == 10 and default["isLast"] is True and len(default["values"]) == 7


def test_bulk_get_without_account_id_is_400(http: httpx.Client) -> None:
    response = http.get(f"{API}/user/bulk", headers=BASIC_AUTH)
    assert response.status_code == 400 and "accountId" in response.json()["errors"]


# ---- user properties -----------------------------------------------------------------------------------


def test_each_person_has_the_oncall_property_with_the_opsgenie_details(emulator: Emulator,
                                                                       http: httpx.Client) -> None:
    for user in _opsgenie_users(http):
        details = http.get(f"{OG}/v2/users/{user['username']}", headers=OG_AUTH).json()["data"]["details"]
        prop = http.get(f"{API}/user/properties/oncall",
                        params={"accountId": _account(emulator, user["username"])}, headers=BASIC_AUTH)
        assert prop.status_code == 200
        assert prop.json() == {"key": "oncall", "value": {"start_date": details["start_date"][0],
                                                          "manager": (details["manager"] or [None])[0]}}


def test_user_property_set_replace_delete(emulator: Emulator, http: httpx.Client) -> None:
    account = emulator.query("SELECT account_id FROM jira_users LIMIT 1")[0]["account_id"]
    url = f"{API}/user/properties/oncall.extra"
    params = {"accountId": account}
    missing = http.get(url, params=params, headers=BASIC_AUTH)
    assert missing.status_code == 404 and missing.json()["errorMessages"]
    created = http.put(url, params=params, json={"pager": True}, headers=BASIC_AUTH)
    assert created.status_code == 201
    assert http.get(url, params=params, headers=BASIC_AUTH).json() == {"key": "oncall.extra",
                                                                       "value": {"pager": True}}
    assert http.put(url, params=params, json=["a", 1], headers=BASIC_AUTH).status_code == 200
    assert http.get(url, params=params, headers=BASIC_AUTH).json()["value"] == ["a", 1]
    assert http.delete(url, params=params, headers=BASIC_AUTH).status_code == 204
    assert http.get(url, params=params, headers=BASIC_AUTH).status_code == 404
    assert http.delete(url, params=params, headers=BASIC_AUTH).status_code == 404


def test_user_property_refusals(emulator: Emulator, http: httpx.Client) -> None:
    account = emulator.query("SELECT account_id FROM jira_users LIMIT 1")[0]["account_id"]
    url = f"{API}/user/properties/oncall"
    assert http.get(url, headers=BASIC_AUTH).status_code == 400  # no accountId
    assert http.get(url, params={"accountId": "712020:ghost"}, headers=BASIC_AUTH).status_code == 404
    empty = http.put(url, params={"accountId": account}, headers={**BASIC_AUTH,
                                                                  "Content-Type": "application/json"})
    assert empty.status_code == 400 and "errorMessages" in empty.json()
    huge = http.put(url, params={"accountId": account}, json={"x": "y" * 40_000}, headers=BASIC_AUTH)
    assert huge.status_code == 400


# ---- Teams API -----------------------------------------------------------------------------------------


def _fetch_all(http: httpx.Client, first: int) -> Iterator[dict[str, Any]]:
    body: dict[str, Any] = {"first": first}
    while True:
        response = http.post(MEMBERS, json=body, headers=BASIC_AUTH)
        assert response.status_code == 200, response.text
        page = response.json()
        yield page
        if not page["pageInfo"]["hasNextPage"]:
            return
        body = {"first": first, "after": page["pageInfo"]["endCursor"]}


def test_the_engineering_team_has_exactly_the_opsgenie_teams_members(emulator: Emulator,
                                                                      http: httpx.Client) -> None:
    og = http.get(f"{OG}/v2/teams/Engineering", params={"identifierType": "name"},
                  headers=OG_AUTH).json()["data"]["members"]
    pages = list(_fetch_all(http, 5))
    assert [len(p["results"]) for p in pages] == [5, 5, 5, 5, 4]
    emails = {r["account_id"]: r["email"] for r in emulator.query("SELECT * FROM jira_users")}
    members = [emails[m["accountId"]] for p in pages for m in p["results"]]
    assert members == [m["user"]["username"] for m in og]
    default = http.post(MEMBERS, headers=BASIC_AUTH).json()  # no body: the first page of 50
    assert len(default["results"]) == 24 and default["pageInfo"]["hasNextPage"] is False


def test_team_members_add_and_remove(emulator: Emulator, http: httpx.Client) -> None:
    member = next(_fetch_all(http, 1))["results"][0]["accountId"]
    removed = http.post(f"{MEMBERS}/remove", json={"members": [{"accountId": member},
                                                             {"accountId": "712020:stranger"}]},
                        headers=BASIC_AUTH)
    assert removed.status_code == 200
    (error,) = removed.json()["errors"]
    assert error["accountId"] == "712020:stranger" and error["code"] == "NOT_A_MEMBER"
    assert member not in [m["accountId"] for p in _fetch_all(http, 50) for m in p["results"]]
    added = http.post(f"{MEMBERS}/add", json={"members": [{"accountId": member},
                                                       {"accountId": "712020:ghost"}]}, headers=BASIC_AUTH)
    assert added.status_code == 200
    assert added.json()["members"] == [{"accountId": member}]
    errors = [(e["accountId"], e["code"]) for e in added.json()["errors"]]
    assert errors == [("712020:ghost", "USER_NOT_FOUND")]
    everyone = [m["accountId"] for p in _fetch_all(http, 50) for m in p["results"]]
    assert everyone[-1] == member and len(everyone) == 24  # back, at the end


def test_teams_api_errors_are_coded(http: httpx.Client) -> None:
    wrong_org = MEMBERS.replace(SANDBOX_ORG_ID, "another-org")
    response = http.post(wrong_org, json={"first": 5}, headers=BASIC_AUTH)
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    empty = http.post(f"{MEMBERS}/add", json={"members": []}, headers=BASIC_AUTH)  # 1 to 50 members
    assert empty.status_code == 400 and set(empty.json()) == {"code", "message"}
    bad_cursor = http.post(MEMBERS, json={"after": "%%%"}, headers=BASIC_AUTH)
    assert bad_cursor.status_code == 400 and bad_cursor.json()["code"] == "BAD_REQUEST"


# ---- faults --------------------------------------------------------------------------------------------


def test_injected_faults_answer_in_jira_shape(emulator: Emulator, http: httpx.Client) -> None:
    emulator.faults.add_spec("jira:GET /rest/api/3/myself#1=429:3")
    emulator.faults.add_spec("jira:GET /_edge/tenant_info#1=500")
    throttled = http.get(f"{API}/myself", headers=BASIC_AUTH)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
    assert throttled.json()["errorMessages"]
    broken = http.get(f"{JIRA}/_edge/tenant_info", headers=BASIC_AUTH)
    assert broken.status_code == 500 and broken.json()["errorMessages"] == ["Internal Server Error"]
    assert http.get(f"{JIRA}/_edge/tenant_info", headers=BASIC_AUTH).status_code == 200


# ---- spec coverage and serving -------------------------------------------------------------------------


def test_the_teams_spec_is_a_small_openapi_document_saying_where_it_comes_from() -> None:
    import json
    from importlib import resources

    doc = json.loads(resources.files("oncall_cli.sandbox").joinpath("specs", "atlassian-teams.json")
                     .read_text("utf-8"))
    assert doc["openapi"].startswith("3.")
    assert "transcribed" in doc["info"]["description"].lower()
    assert "not a vendor spec" in doc["info"]["description"].lower()
    assert len([op for item in doc["paths"].values() for op in item]) == 3
    merged = load_vendored("jira")
    assert merged["info"]["x-oncall-merged"] == ["specs/jira.json", "specs/atlassian-teams.json",
                                                 "specs/jsm-servicedesk.json"]


def test_every_operation_the_emulator_serves_is_in_the_vendored_specs() -> None:
    assert set(OPERATIONS) == set(Validator().operations("jira"))


def test_every_call_is_validated_both_ways(emulator: Emulator, http: httpx.Client) -> None:
    test_tenant_info_gives_the_sandbox_cloud_id(http)
    test_myself_is_the_account_of_the_credentials_email(emulator, http)
    test_user_search_by_account_id_and_by_property(emulator, http)
    test_get_user_by_account_id(emulator, http)
    test_bulk_get_is_a_page_bean_and_pages_to_the_end(emulator, http)
    test_user_property_set_replace_delete(emulator, http)
    test_team_members_add_and_remove(emulator, http)
    called = {c.operation for c in emulator.calls if c.service == "jira"}
    assert called == set(DIRECTORY_OPERATIONS)  # the issues': test_jira_issues_emulator.py
    for operation in called:
        assert ("jira", operation, "request") in emulator.validated, operation
        if operation.startswith(("PUT ", "DELETE ")):  # empty bodies: nothing to check
            continue
        assert ("jira", operation, "response") in emulator.validated, operation


@pytest.mark.parametrize("path", ["/_edge/tenant_info", "/rest/api/3/myself"])
def test_served_over_http_under_jira(path: str) -> None:
    with Emulator(now=lambda: NOW) as emulator:
        server, thread = serve_in_thread(emulator, "127.0.0.1", 0)
        try:
            with httpx.Client(timeout=5) as real:
                response = real.get(f"{server.url}/jira{path}", headers=BASIC_AUTH)
                assert response.status_code == 200
                if path == "/_edge/tenant_info":
                    assert response.json() == {"cloudId": SANDBOX_CLOUD_ID}
                else:
                    assert response.json()["self"].startswith(f"{server.url}/jira/rest/api/3/user?")
                members = real.post(
                    f"{server.url}/jira/gateway/api/public/teams/v1/org/{SANDBOX_ORG_ID}"
                    f"/teams/{SANDBOX_TEAM_ID}/members",
                    json={"first": 2},
                    headers=BASIC_AUTH,
                )
                assert len(members.json()["results"]) == 2
                assert real.get(f"{server.url}/jira{path}").status_code == 401
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
