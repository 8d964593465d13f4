"""The Jira site emulator (prefix `jira` = `https://<site>.atlassian.net`): the user directory a JSM backend
needs, per `jira-platform.v3.json`, plus the site's tenant info and the Atlassian Teams API members; and the
routes of its issues (jira_issues.py: the platform issue API, jira_search.py: the issue search) and of its
service desk API (jira_servicedesk.py), which share this emulator's tables, seed and error rendering.

- `GET /_edge/tenant_info` -> `{"cloudId": SANDBOX_CLOUD_ID}` (the id JSM Operations paths carry).
- `GET /rest/api/3/myself`: the account whose email is the Basic credential's user name; any other
  credential is accepted too and logged in as the site admin (the first seed person, a manager).
- `GET /rest/api/3/user/search?query=`: users whose email address or display name (or one of its words)
  starts with `query`, case-insensitively, as the spec describes ("can match the prefix of the attribute's
  value"); `accountId=` matches one account exactly, `property=key.path=value` a user property's value; one
  of the three is required (else 400); `startAt` / `maxResults` (default 50) page a JSON list.
- `GET /rest/api/3/user?accountId=` (404 when unknown); `GET /rest/api/3/user/bulk?accountId=..&accountId=..`
  -> PageBeanUser (`values`, `startAt`, `maxResults` default 10, `total`, `isLast`; unknown ids are left out).
- `GET|PUT|DELETE /rest/api/3/user/properties/{propertyKey}?accountId=`: EntityProperty `{key, value}`;
  PUT answers 201 when it creates and 200 when it replaces (empty bodies), DELETE 204; an unknown user or
  property is a 404. Each seed person has the property `oncall` = `{"start_date", "manager"}` (the facts
  Opsgenie keeps in user details; `manager` is an email, or null).
- Teams public API, `POST /gateway/api/public/teams/v1/org/{orgId}/teams/{teamId}/members` (`{first, after}`
  -> `{results: [{accountId}], pageInfo: {endCursor, hasNextPage}}`, 50 per page by default; the cursor is
  opaque), `.../members/add` and `.../members/remove` (`{members: [{accountId}]}` -> 200 with `members` /
  `errors: [{accountId, code, message}]` per account: USER_NOT_FOUND for an unknown account, NOT_A_MEMBER for
  removing a non-member; adding a member twice is not an error). An unknown org or team answers 404
  `{"code", "message"}`. The seed team "Engineering" (`SANDBOX_TEAM_ID`, org `SANDBOX_ORG_ID`) has the
  Opsgenie team's members.
- Errors are Jira's ErrorCollection `{"errorMessages": [...], "errors": {...}}`; a request Jira cannot use
  is a 400 (the spec documents no 422). On `/rest/servicedeskapi/...` they are the service desk API's
  `{"errorMessage", "i18nErrorMessage"}`; on the Teams API, `{"code", "message"}`.

Accounts are `atlassian_account_id(person)` (seed.py): `712020:<uuid>`, derived from the email, so JSM
Operations (sandbox/jsm.py) knows the same ids; it reads `jira_users` to check participants.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from oncall_cli.sandbox.base import (
    Ctx,
    Routes,
    SeedPerson,
    from_json_col,
    is_servicedesk,
    json_col,
    json_response,
    next_seq,
    parse_body,
    servicedesk_error,
    vendor_error,
)
from oncall_cli.sandbox.emulator import SANDBOX_CLOUD_ID, SANDBOX_ORG_ID, SANDBOX_TEAM_ID
from oncall_cli.sandbox.jira_http import Handler, JiraError, JiraRequest, basic_user, user_json
from oncall_cli.sandbox.jira_issues import ROUTES as ISSUE_ROUTES
from oncall_cli.sandbox.jira_issues import counts as issue_counts
from oncall_cli.sandbox.jira_issues import create_issue_schema, seed_site
from oncall_cli.sandbox.jira_search import ROUTES as SEARCH_ROUTES
from oncall_cli.sandbox.jira_servicedesk import ROUTES as SERVICEDESK_ROUTES
from oncall_cli.sandbox.seed import TEAM_NAME, atlassian_account_id, team_members

PROPERTY_KEY = "oncall"
"""The user property holding a seed person's start date and manager."""
MAX_PROPERTY_BYTES = 32768
MAX_PROPERTY_KEY = 255
TEAMS_PAGE = 50
_TEAMS = "/gateway/api/public/teams/v1/org/{orgId}/teams/{teamId}/members"

DIRECTORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS jira_users (account_id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jira_user_properties (account_id TEXT NOT NULL, key TEXT NOT NULL,
    value TEXT NOT NULL, PRIMARY KEY (account_id, key));
CREATE TABLE IF NOT EXISTS jira_teams (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jira_team_members (team_id TEXT NOT NULL, account_id TEXT NOT NULL,
    seq INTEGER NOT NULL, PRIMARY KEY (team_id, account_id));
"""
"""The Atlassian directory (accounts, their properties, platform teams): the Jira site's tables, which the
JSM emulator reads too (it creates them when it runs alone)."""


def create_directory_schema(db: sqlite3.Connection) -> None:
    db.executescript(DIRECTORY_SCHEMA)


def add_account(db: sqlite3.Connection, person: SeedPerson, *, facts: bool = False) -> str:
    """Add an Atlassian account to the site, as an admin's invitation does (`oncall` cannot: tests and
    practice arrange it here); `facts` also writes the `oncall` property (start date, manager)."""
    account_id = atlassian_account_id(person)
    data = {
        "displayName": person.name,
        "timeZone": person.timezone,
        "locale": "en_US",
        "active": True,
        "accountType": "atlassian",
    }
    db.execute(
        "INSERT INTO jira_users (account_id, email, seq, data) VALUES (?, ?, ?, ?)",
        (account_id, person.email, next_seq(db, "jira_user"), json_col(data)),
    )
    if facts:
        db.execute(
            "INSERT INTO jira_user_properties (account_id, key, value) VALUES (?, ?, ?)",
            (
                account_id,
                PROPERTY_KEY,
                json_col({"start_date": person.start_date.isoformat(), "manager": person.manager}),
            ),
        )
    return account_id


def account_exists(db: sqlite3.Connection, account_id: str) -> bool:
    """True when `account_id` is an account of the sandbox site."""
    return db.execute("SELECT 1 FROM jira_users WHERE account_id = ?", (account_id,)).fetchone() is not None


_Error = JiraError
_Req = JiraRequest

_ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/_edge/tenant_info", "tenant_info"),
    ("GET", "/rest/api/3/myself", "myself"),
    ("GET", "/rest/api/3/user/search", "user_search"),
    ("GET", "/rest/api/3/user/bulk", "user_bulk"),
    ("GET", "/rest/api/3/user", "get_user"),
    ("GET", "/rest/api/3/user/properties/{propertyKey}", "get_property"),
    ("PUT", "/rest/api/3/user/properties/{propertyKey}", "set_property"),
    ("DELETE", "/rest/api/3/user/properties/{propertyKey}", "delete_property"),
    ("POST", _TEAMS, "fetch_members"),
    ("POST", _TEAMS + "/add", "add_members"),
    ("POST", _TEAMS + "/remove", "remove_members"),
]
DIRECTORY_OPERATIONS: tuple[str, ...] = tuple(f"{m} {t}" for m, t, _ in _ROUTES)
"""The directory's own operations (tenant info, users, user properties, Teams API)."""
_ALL: list[tuple[str, str, str | Handler]] = [
    *_ROUTES, *ISSUE_ROUTES, *SEARCH_ROUTES, *SERVICEDESK_ROUTES,
]
_ROUTER = Routes(_ALL)
OPERATIONS: tuple[str, ...] = tuple(f"{m} {t}" for m, t, _ in _ALL)
"""Every operation the emulator answers (names as in specs/jira.json, specs/atlassian-teams.json and
specs/jsm-servicedesk.json)."""


class JiraEmulator:
    """A Jira site's user directory, tenant info and Teams API over SQLite (tables `jira_*`)."""

    prefix = "jira"

    # ---- ServiceEmulator ----------------------------------------------------------------------------

    def create_schema(self, db: sqlite3.Connection) -> None:
        create_directory_schema(db)
        create_issue_schema(db)

    def operation(self, method: str, path: str) -> str | None:
        return _ROUTER.operation(method, path)

    def handle(self, ctx: Ctx, request: httpx.Request, path: str) -> httpx.Response:
        route = _ROUTER.find(request.method, path)
        if route is None:
            return vendor_error("jira", 404, f"No resource at {request.method} {path}")
        found, template, name = route[0], route[1].template, route[1].handler
        teams = template.startswith(_TEAMS)
        # An error answer changes nothing, even when the handler found the problem after a first write.
        ctx.db.execute("SAVEPOINT jira_request")
        try:
            try:
                body = parse_body(request)
            except (ValueError, UnicodeDecodeError):
                raise _Error(400, "The request body is not valid JSON.", code="BAD_REQUEST") from None
            req = _Req(ctx, request, found.groupdict(), body)
            if isinstance(name, str):
                answer: httpx.Response = getattr(self, "_h_" + name)(req)
            else:
                answer = name(req)
            ctx.db.execute("RELEASE jira_request")
            return answer
        except _Error as exc:
            ctx.db.execute("ROLLBACK TO jira_request")
            ctx.db.execute("RELEASE jira_request")
            if teams:
                return json_response(exc.status, {"code": exc.code or "ERROR", "message": exc.message})
            if is_servicedesk(f"{request.method.upper()} {template}"):
                return servicedesk_error(exc.status, exc.message)
            # Jira's field errors come in `errors` with no message of their own.
            return json_response(exc.status, {"errorMessages": [] if exc.errors else [exc.message],
                                              "errors": exc.errors})

    def status(self, db: sqlite3.Connection) -> dict[str, Any]:
        def count(sql: str) -> int:
            return int(db.execute(sql).fetchone()[0])

        return {
            "cloud_id": SANDBOX_CLOUD_ID,
            "users": count("SELECT COUNT(*) FROM jira_users"),
            "user_properties": count("SELECT COUNT(*) FROM jira_user_properties"),
            "teams": count("SELECT COUNT(*) FROM jira_teams"),
            "team_members": count("SELECT COUNT(*) FROM jira_team_members"),
            **issue_counts(db),
        }

    # ---- seed ---------------------------------------------------------------------------------------

    def seed(
        self, db: sqlite3.Connection, rng: random.Random, people: Sequence[SeedPerson], now: datetime
    ) -> None:
        for person in people:
            add_account(db, person, facts=True)
        db.execute(
            "INSERT INTO jira_teams (id, org_id, name) VALUES (?, ?, ?)",
            (SANDBOX_TEAM_ID, SANDBOX_ORG_ID, TEAM_NAME),
        )
        for person in team_members(people):
            self._add_member(db, SANDBOX_TEAM_ID, atlassian_account_id(person))
        seed_site(db)

    # ---- helpers ------------------------------------------------------------------------------------

    @staticmethod
    def _user_json(req: _Req, row: sqlite3.Row) -> dict[str, Any]:
        return user_json(req.site, row)

    @staticmethod
    def _users(db: sqlite3.Connection) -> list[sqlite3.Row]:
        return list(db.execute("SELECT * FROM jira_users ORDER BY seq"))

    @staticmethod
    def _user_row(db: sqlite3.Connection, account_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM jira_users WHERE account_id = ?", (account_id,)
        ).fetchone()
        return row

    def _required_user(self, req: _Req) -> sqlite3.Row:
        account_id = req.param("accountId")
        if not account_id:
            raise _Error(400, "The accountId query parameter needs to be provided.")
        row = self._user_row(req.db, account_id)
        if row is None:
            raise _Error(404, f"Specified user does not exist or you do not have required permissions: "
                              f"{account_id}")
        return row

    @staticmethod
    def _has_property(db: sqlite3.Connection, account_id: str, search: str) -> bool:
        """The spec's property search: `key.path.to.value=value` (no dots or `=` in keys)."""
        where, equals, wanted = search.partition("=")
        if not equals:
            raise _Error(400, f"The property query '{search}' must be of the form key.path=value.")
        key, *path = where.split(".")
        row = db.execute("SELECT value FROM jira_user_properties WHERE account_id = ? AND key = ?",
                         (account_id, key)).fetchone()
        if row is None:
            return False
        value: Any = json.loads(row["value"])
        for part in path:
            if not isinstance(value, dict) or part not in value:
                return False
            value = value[part]
        return wanted in (value if isinstance(value, str) else None, json.dumps(value))

    @staticmethod
    def _add_member(db: sqlite3.Connection, team_id: str, account_id: str) -> None:
        db.execute(
            "INSERT OR IGNORE INTO jira_team_members (team_id, account_id, seq) VALUES (?, ?, ?)",
            (team_id, account_id, next_seq(db, "jira_team_member")),
        )

    # ---- tenant, users ------------------------------------------------------------------------------

    def _h_tenant_info(self, req: _Req) -> httpx.Response:
        return json_response(200, {"cloudId": SANDBOX_CLOUD_ID})

    def _h_myself(self, req: _Req) -> httpx.Response:
        email = basic_user(req.request)
        row: sqlite3.Row | None = None
        if email:
            row = req.db.execute("SELECT * FROM jira_users WHERE email = ?", (email,)).fetchone()
        if row is None:
            row = req.db.execute("SELECT * FROM jira_users ORDER BY seq LIMIT 1").fetchone()
        if row is None:
            raise _Error(401, "You are not authenticated. Authentication required to perform this operation.")
        return json_response(200, self._user_json(req, row))

    def _h_user_search(self, req: _Req) -> httpx.Response:
        query = (req.param("query") or "").strip().lower()
        account_id = req.param("accountId")
        prop = req.param("property")
        if not query and not account_id and not prop:
            raise _Error(400, "One of the query parameters 'query', 'accountId' or 'property' is required.")
        rows = self._users(req.db)
        if account_id:
            rows = [r for r in rows if r["account_id"] == account_id]
        if query:
            rows = [r for r in rows if _matches(query, r)]
        if prop:
            rows = [r for r in rows if self._has_property(req.db, r["account_id"], prop)]
        start = max(0, req.int_param("startAt", 0))
        size = req.int_param("maxResults", 50)
        if size < 0:
            raise _Error(400, "The value of 'maxResults' must not be negative.")
        return json_response(200, [self._user_json(req, r) for r in rows[start : start + size]])

    def _h_get_user(self, req: _Req) -> httpx.Response:
        return json_response(200, self._user_json(req, self._required_user(req)))

    def _h_user_bulk(self, req: _Req) -> httpx.Response:
        wanted: list[str] = []
        for value in req.request.url.params.get_list("accountId"):
            for account_id in str(value).split(","):
                if account_id and account_id not in wanted:
                    wanted.append(account_id)
        if not wanted:
            raise _Error(400, "The accountId query parameter needs to be provided.")
        rows = [row for a in wanted if (row := self._user_row(req.db, a)) is not None]
        start = max(0, req.int_param("startAt", 0))
        size = req.int_param("maxResults", 10)
        if size < 0:
            raise _Error(400, "The value of 'maxResults' must not be negative.")
        page = rows[start : start + size]
        return json_response(
            200,
            {
                "startAt": start,
                "maxResults": size,
                "total": len(rows),
                "isLast": start + size >= len(rows),
                "values": [self._user_json(req, r) for r in page],
            },
        )

    # ---- user properties ----------------------------------------------------------------------------

    def _property_key(self, req: _Req) -> str:
        key = req.match["propertyKey"]
        if len(key) > MAX_PROPERTY_KEY:
            raise _Error(400, f"The property key cannot be longer than {MAX_PROPERTY_KEY} characters.")
        return key

    def _h_get_property(self, req: _Req) -> httpx.Response:
        user = self._required_user(req)
        key = self._property_key(req)
        row = req.db.execute(
            "SELECT value FROM jira_user_properties WHERE account_id = ? AND key = ?",
            (user["account_id"], key),
        ).fetchone()
        if row is None:
            raise _Error(404, f"The property with key '{key}' does not exist.")
        return json_response(200, {"key": key, "value": json.loads(row["value"])})

    def _h_set_property(self, req: _Req) -> httpx.Response:
        user = self._required_user(req)
        key = self._property_key(req)
        if req.body is None:
            raise _Error(400, "The property value must be a valid, non-empty JSON value.")
        value = json_col(req.body)
        if len(value.encode()) > MAX_PROPERTY_BYTES:
            raise _Error(400, f"The property value is too long: at most {MAX_PROPERTY_BYTES} bytes.")
        existed = req.db.execute(
            "SELECT 1 FROM jira_user_properties WHERE account_id = ? AND key = ?", (user["account_id"], key)
        ).fetchone()
        req.db.execute(
            "INSERT OR REPLACE INTO jira_user_properties (account_id, key, value) VALUES (?, ?, ?)",
            (user["account_id"], key, value),
        )
        return httpx.Response(200 if existed else 201)

    def _h_delete_property(self, req: _Req) -> httpx.Response:
        user = self._required_user(req)
        key = self._property_key(req)
        gone = req.db.execute(
            "DELETE FROM jira_user_properties WHERE account_id = ? AND key = ?", (user["account_id"], key)
        ).rowcount
        if not gone:
            raise _Error(404, f"The property with key '{key}' does not exist.")
        return httpx.Response(204)

    # ---- Teams API ----------------------------------------------------------------------------------

    def _team(self, req: _Req) -> str:
        org_id, team_id = req.match["orgId"], req.match["teamId"]
        row = req.db.execute(
            "SELECT id FROM jira_teams WHERE id = ? AND org_id = ?", (team_id, org_id)
        ).fetchone()
        if row is None:
            raise _Error(404, f"Team {team_id} was not found in organization {org_id}.", code="NOT_FOUND")
        return str(row["id"])

    def _h_fetch_members(self, req: _Req) -> httpx.Response:
        team_id = self._team(req)
        body = req.body if isinstance(req.body, dict) else {}
        first = body.get("first", TEAMS_PAGE)
        if not isinstance(first, int) or isinstance(first, bool) or first < 1:
            raise _Error(400, "first must be a positive integer.", code="BAD_REQUEST")
        after = body.get("after")
        seq_after = 0
        if after:
            try:
                seq_after = int(base64.urlsafe_b64decode(str(after).encode()).decode().removeprefix("m:"))
            except (ValueError, binascii.Error, UnicodeDecodeError):
                raise _Error(400, f"Invalid cursor [{after}].", code="BAD_REQUEST") from None
        rows = list(
            req.db.execute(
                "SELECT account_id, seq FROM jira_team_members WHERE team_id = ? AND seq > ? ORDER BY seq",
                (team_id, seq_after),
            )
        )
        page = rows[:first]
        cursor = (
            base64.urlsafe_b64encode(f"m:{page[-1]['seq']}".encode()).decode() if page else None
        )
        return json_response(
            200,
            {
                "results": [{"accountId": r["account_id"]} for r in page],
                "pageInfo": {"endCursor": cursor, "hasNextPage": len(rows) > first},
            },
        )

    def _h_add_members(self, req: _Req) -> httpx.Response:
        team_id = self._team(req)
        added: list[dict[str, str]] = []
        errors: list[dict[str, str]] = []
        for member in req.body["members"]:
            account_id = member["accountId"]
            if not account_exists(req.db, account_id):
                errors.append({"accountId": account_id, "code": "USER_NOT_FOUND",
                               "message": f"No account exists with id {account_id}."})
                continue
            self._add_member(req.db, team_id, account_id)
            added.append({"accountId": account_id})
        return json_response(200, {"members": added, "errors": errors})

    def _h_remove_members(self, req: _Req) -> httpx.Response:
        team_id = self._team(req)
        errors: list[dict[str, str]] = []
        for member in req.body["members"]:
            account_id = member["accountId"]
            gone = req.db.execute(
                "DELETE FROM jira_team_members WHERE team_id = ? AND account_id = ?", (team_id, account_id)
            ).rowcount
            if not gone:
                errors.append({"accountId": account_id, "code": "NOT_A_MEMBER",
                               "message": f"{account_id} is not a member of team {team_id}."})
        return json_response(200, {"errors": errors})


def _matches(query: str, row: sqlite3.Row) -> bool:
    """Jira's user search: the query is a prefix of the email, of the display name or of one of its words."""
    name = str(from_json_col(row["data"])["displayName"]).lower()
    return (
        str(row["email"]).lower().startswith(query)
        or name.startswith(query)
        or any(word.startswith(query) for word in name.split())
    )
