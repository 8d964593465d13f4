"""Typed client of one Jira Cloud site (`https://<site>.atlassian.net`): the site's cloud id, users, user
properties, and Atlassian team membership, one method per vendor operation over the shared HTTP seam.

Sources:
- Jira platform REST v3, `specs/jira/jira-platform.v3.json` (operation ids in each docstring) and
  `specs/jira/SOURCE.md` (`GET /_edge/tenant_info` gives `{"cloudId"}`, needed for api.atlassian.com URLs).
- Atlassian Teams public REST API, which is not in the vendored specs. Checked against Atlassian's reference,
  https://developer.atlassian.com/platform/teams/rest/v1/api-group-teams-members-public-api/ (site form
  `https://<site>.atlassian.net/gateway/api/public/teams/v1/org/{orgId}/teams/{teamId}/members[/add|/remove]`,
  Basic auth with an API token; Forge and OAuth 2.0 apps cannot call it):
  - `POST .../members`, body `{"first", "after"}` (optional Relay-style paging), query `siteId` (optional),
    answers `{"results": [{"accountId"}], "pageInfo": {"hasNextPage", "endCursor"}}`;
  - `POST .../members/add` and `.../members/remove`, body `{"members": [{"accountId"}]}` with 1 to 50 unique
    items, answer 200 "at least partially": `{"members": [...], "errors": [{"accountId", "code",
    "message"}]}` (remove: `errors` only).
  The response field names were cross-checked with the jira.js Teams models (`MembershipPageSchema`,
  `MembershipAddResponseSchema`, mrrefactoring.github.io/jira.js) and the `jira_teams_v1_async` crate.

Auth is HTTP Basic `email:api_token`. Errors are `{"errorMessages": [...], "errors": {field: message}}`;
`jira_error_text` reads them (and the gateway's `{"code", "message"}`, HTML or text).
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from oncall_cli.clients._atlassian import atlassian_service, error_text, json_of, parse, parse_list
from oncall_cli.clients._http import Runtime
from oncall_cli.clients.jira_models import (
    JiraUser,
    TeamMemberPage,
    TeamMembershipResult,
    UserPage,
)
from oncall_cli.errors import UnexpectedError, UsageError

T = TypeVar("T")

DOCS = "https://developer.atlassian.com/cloud/jira/platform/rest/v3/"
TEAMS_DOCS = "https://developer.atlassian.com/platform/teams/rest/v1/api-group-teams-members-public-api/"
BULK_CHUNK = 50
"""Account ids per `GET /user/bulk` request: keeps every URL short (each id is up to 128 characters)."""
TEAM_PAGE_SIZE = 50
TEAM_CHANGE_MAX = 50
"""The Teams API takes 1 to 50 unique members per add or remove."""
MAX_PROPERTY_KEY = 255
MAX_PROPERTY_BYTES = 32768

SERVICE = "Jira"


def jira_error_text(response: httpx.Response) -> str:
    """`{"errorMessages": [...], "errors": {field: message}}` as one line; also `{"code", "message"}`."""
    return error_text(response)


def _segment(value: str, what: str) -> str:
    if not value:
        raise UsageError(f"A Jira {what} cannot be empty.")
    return quote(value, safe="")


def _chunks(values: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


class JiraClient:
    """One Jira Cloud site, over an injected `httpx.Client`. `base_url` is `https://<site>.atlassian.net`."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        email: str,
        api_token: str,
        base_url: str,
        runtime: Runtime | None = None,
    ) -> None:
        self.http = atlassian_service(
            http,
            name=SERVICE,
            email=email,
            api_token=api_token,
            base_url=base_url,
            runtime=runtime,
            error_text=jira_error_text,
        )

    # --- plumbing ------------------------------------------------------------------------------------

    @staticmethod
    def _users(response: httpx.Response) -> list[JiraUser]:
        """A JSON array of users. `parse_list` alone would read a null body as no users; Jira answers an
        array, so anything else is an error."""
        data = json_of(response, SERVICE)
        if not isinstance(data, list):
            raise UnexpectedError(
                f"{SERVICE} returned an unexpected list of users: not a JSON array",
                details={"service": SERVICE, "model": JiraUser.__name__},
            )
        return parse_list(JiraUser, data, "users", SERVICE)

    @staticmethod
    def _teams_path(org_id: str, team_id: str, *segments: str) -> str:
        return "/".join(
            [
                "gateway/api/public/teams/v1/org",
                _segment(org_id, "organization id"),
                "teams",
                _segment(team_id, "team id"),
                "members",
                *segments,
            ]
        )

    # --- site ----------------------------------------------------------------------------------------

    def tenant_info(self) -> str:
        """GET /_edge/tenant_info — the site's cloud id (`{"cloudId"}`), which JSM Operations URLs need.

        Needs no authentication; sending the credential is harmless. See `specs/jira/SOURCE.md`.
        """
        body = json_of(self.http.request("GET", "/_edge/tenant_info"), SERVICE)
        cloud_id = body.get("cloudId") if isinstance(body, dict) else None
        if not cloud_id or not isinstance(cloud_id, str):
            raise UnexpectedError(
                "Jira /_edge/tenant_info answered without a cloudId",
                hint="Check that the Jira site URL is right (https://<site>.atlassian.net).",
                details={"service": "Jira"},
            )
        return cloud_id

    # --- users ---------------------------------------------------------------------------------------

    def myself(self) -> JiraUser:
        """GET /rest/api/3/myself — the credential's own user; a cheap check that it works
        (`getCurrentUser`)."""
        response = self.http.request("GET", "/rest/api/3/myself")
        return parse(JiraUser, json_of(response, SERVICE), "current user", SERVICE)

    def search_users(self, *, query: str, max_results: int = 50) -> list[JiraUser]:
        """GET /rest/api/3/user/search?query= — active users whose display name or e-mail starts with
        `query` (`findUsers`), one page of at most `max_results`.

        Privacy settings may hide e-mail addresses, and callers without *Browse users and groups* get an
        empty list rather than an error. App and customer accounts are included: check `account_type`.
        """
        if not query:
            raise UsageError("search_users needs a query (a name or e-mail address).")
        if not 1 <= max_results <= 1000:
            raise UsageError(f"max_results must be between 1 and 1000, not {max_results}.")
        response = self.http.request(
            "GET", "/rest/api/3/user/search", params={"query": query, "maxResults": max_results}
        )
        return self._users(response)

    def get_user(self, *, account_id: str) -> JiraUser:
        """GET /rest/api/3/user?accountId= — one user (`getUser`); an unknown id is a NotFoundError."""
        if not account_id:
            raise UsageError("get_user needs an account id.")
        response = self.http.request("GET", "/rest/api/3/user", params={"accountId": account_id})
        return parse(JiraUser, json_of(response, SERVICE), "user", SERVICE)

    def bulk_users(self, *, account_ids: Sequence[str]) -> list[JiraUser]:
        """GET /rest/api/3/user/bulk?accountId=...&accountId=... — many users by id (`bulkGetUsers`,
        marked experimental upstream).

        Ids are de-duplicated and sent `BULK_CHUNK` per request so no URL grows huge; each chunk is read
        page by page (`startAt`/`maxResults`, default page size 10 upstream) until `isLast`. Unknown ids
        are simply absent from the answer.
        """
        users: list[JiraUser] = []
        for chunk in _chunks(_unique(account_ids), BULK_CHUNK):
            start = 0
            while True:
                params = {"accountId": chunk, "startAt": start, "maxResults": len(chunk)}
                response = self.http.request("GET", "/rest/api/3/user/bulk", params=params)
                page = parse(UserPage, json_of(response, SERVICE), "page of users", SERVICE)
                users.extend(page.values)
                start += len(page.values)
                if page.is_last or not page.values or start >= len(chunk):
                    break
                if page.total is not None and start >= page.total:
                    break
        return users

    # --- user properties -----------------------------------------------------------------------------

    def get_user_property(self, *, account_id: str, key: str) -> Any | None:
        """GET /rest/api/3/user/properties/{propertyKey}?accountId= — the property's `value`, or None when
        Jira answers 404 (`getUserProperty`).

        A 404 means the property is not set, or the user does not exist: both read as "no value".
        Reading another user's property needs *Administer Jira*.
        """
        path = f"/rest/api/3/user/properties/{self._property_key(key)}"
        if not account_id:
            raise UsageError("get_user_property needs an account id.")
        response = self.http.request("GET", path, params={"accountId": account_id}, allow_status=(404,))
        if response.status_code == 404:
            return None
        body = json_of(response, SERVICE)
        if not isinstance(body, dict):
            raise UnexpectedError(
                f"Jira {path} answered an unexpected JSON shape", details={"service": "Jira"}
            )
        return body.get("value")

    def set_user_property(self, *, account_id: str, key: str, value: Any) -> None:
        """PUT /rest/api/3/user/properties/{propertyKey}?accountId= — store `value` (any non-null JSON, at
        most 32 KiB) as the body itself (`setUserProperty`; 200 updated, 201 created).

        Setting another user's property needs *Administer Jira*.
        """
        path = f"/rest/api/3/user/properties/{self._property_key(key)}"
        if not account_id:
            raise UsageError("set_user_property needs an account id.")
        if value is None:
            raise UsageError("A Jira user property needs a value (JSON null is not accepted).")
        size = len(jsonlib.dumps(value, separators=(",", ":")).encode())
        if size > MAX_PROPERTY_BYTES:
            raise UsageError(
                f"The value of user property {key!r} is {size} bytes; "
                f"Jira stores at most {MAX_PROPERTY_BYTES}."
            )
        self.http.request("PUT", path, params={"accountId": account_id}, json=value)

    @staticmethod
    def _property_key(key: str) -> str:
        if not key or len(key) > MAX_PROPERTY_KEY:
            raise UsageError(f"A Jira property key needs 1 to {MAX_PROPERTY_KEY} characters: {key!r}")
        return _segment(key, "property key")

    # --- Atlassian teams (Teams public API) ----------------------------------------------------------

    def team_members(self, *, org_id: str, team_id: str, site_id: str | None = None) -> list[str]:
        """POST /gateway/api/public/teams/v1/org/{orgId}/teams/{teamId}/members — every member's account id,
        page by page (`{"first": 50, "after": cursor}` until `pageInfo.hasNextPage` is false).

        `site_id` (the site's cloud id) is optional; Atlassian deprecates leaving it out.
        A read, though a POST: it is retried like a GET.
        """
        path = self._teams_path(org_id, team_id)
        params = {"siteId": site_id} if site_id else None
        members: list[str] = []
        cursor: str | None = None
        while True:
            body: dict[str, Any] = {"first": TEAM_PAGE_SIZE}
            if cursor:
                body["after"] = cursor
            response = self.http.request("POST", path, params=params, json=body, idempotent=True)
            page = parse(TeamMemberPage, json_of(response, SERVICE), "page of team members", SERVICE)
            members.extend(m.account_id for m in page.results)
            following = page.page_info.end_cursor
            if not page.page_info.has_next_page or not following or following == cursor:
                return members
            cursor = following

    def add_team_members(
        self, *, org_id: str, team_id: str, account_ids: Sequence[str]
    ) -> TeamMembershipResult:
        """POST /gateway/api/public/teams/v1/org/{orgId}/teams/{teamId}/members/add
        `{"members": [{"accountId"}]}` — add accounts to a team, at most 50 per request.

        Answers 200 even when some accounts were not added: read `errors` of the result (merged over
        every request). Nothing is sent for an empty list.
        """
        return self._change_members(org_id, team_id, account_ids, "add")

    def remove_team_members(
        self, *, org_id: str, team_id: str, account_ids: Sequence[str]
    ) -> TeamMembershipResult:
        """POST /gateway/api/public/teams/v1/org/{orgId}/teams/{teamId}/members/remove
        `{"members": [{"accountId"}]}` — remove accounts from a team, at most 50 per request.

        Answers 200 even when some accounts were not removed: read `errors` of the result.
        """
        return self._change_members(org_id, team_id, account_ids, "remove")

    def _change_members(
        self, org_id: str, team_id: str, account_ids: Sequence[str], action: str
    ) -> TeamMembershipResult:
        path = self._teams_path(org_id, team_id, action)
        result = TeamMembershipResult()
        for chunk in _chunks(_unique(account_ids), TEAM_CHANGE_MAX):
            body = {"members": [{"accountId": account_id} for account_id in chunk]}
            response = self.http.request("POST", path, json=body)
            if not response.content.strip():
                continue
            what = f"team members {action} result"
            answer = parse(TeamMembershipResult, json_of(response, SERVICE), what, SERVICE)
            result.members.extend(answer.members)
            result.errors.extend(answer.errors)
        return result


__all__ = [
    "BULK_CHUNK",
    "TEAM_CHANGE_MAX",
    "JiraClient",
    "jira_error_text",
]
