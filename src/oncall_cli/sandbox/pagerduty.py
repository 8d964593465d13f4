"""The PagerDuty emulator (prefix `pagerduty` = `https://api.pagerduty.com`, REST API v2).

Serves what `specs/pagerduty.json` (the vendored subset) holds: users (list with `query` and `team_ids[]`,
get, create, delete), teams (list, members, add a user), schedules with layers (list, get with the rendered
final schedule, update), overrides (list, create in the list form, delete), on-calls and escalation
policies.

- Auth is `Authorization: Token token=<key>` (any key is accepted); errors are PagerDuty's
  `{"error": {"message", "code", "errors"}}`: 400 (code 2001) for a value it refuses, 404 (2100) for an
  unknown id. `POST /users` needs a `From` header naming a user of the account.
- Lists page with `offset` + `limit` (default 25, at most 100) and answer `offset`, `limit`, `more`, `total`
  (null unless `total=true`).
- A schedule is a stack of layers; one person is on call per schedule: a later layer wins where it has
  someone, an override wins over the layers, and where no layer has anyone nobody is on call (a gap). The
  final schedule and the on-calls are computed by the CLI's own scheduling core
  (`oncall_cli.scheduling.timeline`), as the Opsgenie emulator does, so the services agree.

Seed: the users of the seed world (ids `P` + 6 characters), the team "Engineering" with every one of them,
and the schedules of the seed's seats, each holding one layer that copies the Opsgenie seed rotation of its
seat (same name, start, hand-off and participants in order), both on the first rule of the escalation
policy "Engineering_schedule". Tables `pagerduty_*`.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from oncall_cli.sandbox import pagerduty_incidents as incidents
from oncall_cli.sandbox.base import (
    Ctx,
    Routes,
    SeedPerson,
    from_json_col,
    iso_z,
    json_col,
    json_response,
    new_id,
    next_seq,
    parse_body,
    parse_iso,
    vendor_error,
)
from oncall_cli.sandbox.seed import SCHEDULE_NAME, SCHEDULE_TZ, TEAM_NAME, opsgenie_plan

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
WEEK = 604800
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pagerduty_users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_teams (id TEXT PRIMARY KEY, name TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_team_members (team_id TEXT NOT NULL, user_id TEXT NOT NULL,
    role TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (team_id, user_id));
CREATE TABLE IF NOT EXISTS pagerduty_schedules (id TEXT PRIMARY KEY, name TEXT NOT NULL, seq INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_overrides (id TEXT PRIMARY KEY, schedule_id TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_escalation_policies (id TEXT PRIMARY KEY, name TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
"""


class _Error(Exception):
    """A PagerDuty error answer."""

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def _invalid(field: str, message: str) -> _Error:
    return _Error(400, "Invalid Input Provided", {field: message})


@dataclass
class _Req:
    """One request, parsed once for the handlers."""

    ctx: Ctx
    request: httpx.Request
    match: dict[str, str]
    body: Any

    @property
    def db(self) -> sqlite3.Connection:
        return self.ctx.db

    def param(self, name: str) -> str | None:
        value = self.request.url.params.get(name)
        return None if value is None else str(value)

    def params(self, name: str) -> list[str]:
        return [str(v) for v in self.request.url.params.get_list(name)]

    def int_param(self, name: str, default: int) -> int:
        raw = self.param(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise _invalid(name, f"{name} must be an integer") from None

    def time_param(self, name: str) -> datetime | None:
        raw = self.param(name)
        if not raw:
            return None
        try:
            return parse_iso(raw)
        except ValueError:
            raise _invalid(name, f"{name} is not a valid date-time") from None


Handler = Callable[["PagerDutyEmulator", _Req], httpx.Response]

_ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/users", "list_users"),
    ("POST", "/users", "create_user"),
    ("GET", "/users/{id}", "get_user"),
    ("DELETE", "/users/{id}", "delete_user"),
    ("GET", "/teams", "list_teams"),
    ("GET", "/teams/{id}/members", "list_team_members"),
    ("PUT", "/teams/{id}/users/{user_id}", "add_team_user"),
]
_ROUTER = Routes(_ROUTES)
OPERATIONS: tuple[str, ...] = (*(f"{m} {t}" for m, t, _ in _ROUTES), *incidents.OPERATIONS)
"""Every operation the emulator answers (names as in specs/pagerduty.json); the incidents' are
pagerduty_incidents.py's."""


def pd_id(rng: random.Random) -> str:
    """A PagerDuty-shaped id: `P` and six upper-case letters or digits."""
    return new_id(rng, "P", 6, _ID_ALPHABET)


def _ref(kind: str, item_id: str, summary: str | None) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"https://api.pagerduty.com/{kind}s/{item_id}",
        "html_url": None,
    }


class PagerDutyEmulator:
    """PagerDuty users, teams, schedules, overrides and on-calls over SQLite (tables `pagerduty_*`)."""

    prefix = "pagerduty"
    seed_stream = "opsgenie"
    """The seed replays the Opsgenie stream's schedule draws (seed.opsgenie_plan) to copy its rotations."""

    # ---- ServiceEmulator ----------------------------------------------------------------------------

    def create_schema(self, db: sqlite3.Connection) -> None:
        db.executescript(_SCHEMA)
        incidents.create_schema(db)

    def operation(self, method: str, path: str) -> str | None:
        return _ROUTER.operation(method, path) or incidents.ROUTER.operation(method, path)

    def handle(self, ctx: Ctx, request: httpx.Request, path: str) -> httpx.Response:
        route = _ROUTER.find(request.method, path)
        if route is None:
            return incidents.handle(ctx, request, path) or vendor_error("pagerduty", 404, "Not Found")
        found, name = route
        try:
            try:
                body = parse_body(request)
            except (ValueError, UnicodeDecodeError):
                raise _Error(400, "Invalid Input Provided", {"body": "not valid JSON"}) from None
            handler: Handler = getattr(type(self), "_h_" + name.handler)
            return handler(self, _Req(ctx, request, found.groupdict(), body))
        except _Error as exc:
            return vendor_error("pagerduty", exc.status, exc.message, errors=exc.errors)

    def status(self, db: sqlite3.Connection) -> dict[str, Any]:
        def count(table: str) -> int:
            return int(db.execute(f"SELECT COUNT(*) FROM pagerduty_{table}").fetchone()[0])

        counts = {name: count(name) for name in ("users", "teams", "schedules", "overrides")}
        return counts | incidents.counts(db)

    # ---- seed ---------------------------------------------------------------------------------------

    def seed(
        self, db: sqlite3.Connection, rng: random.Random, people: Sequence[SeedPerson], now: datetime
    ) -> None:
        # `rng` is the Opsgenie stream (seed_stream): the same draws give the Opsgenie schedule's rotations,
        # and the draws after them give this copy its own ids.
        plan = opsgenie_plan(rng, people, now)
        user_ids: dict[str, str] = {}
        for person in people:
            user_ids[person.email] = self._insert_user(db, rng, person.name, person.email, person.timezone)
        team_id = pd_id(rng)
        db.execute(
            "INSERT INTO pagerduty_teams (id, name, seq) VALUES (?, ?, ?)",
            (team_id, TEAM_NAME, next_seq(db, "pagerduty_team")),
        )
        for person in people:
            db.execute(
                "INSERT INTO pagerduty_team_members (team_id, user_id, role, seq) VALUES (?, ?, ?, ?)",
                (team_id, user_ids[person.email], "responder", next_seq(db, "pagerduty_member")),
            )
        schedule_ids: list[str] = []
        for rotation in plan.rotations:
            layer = {
                "id": pd_id(rng),
                "name": rotation.name,
                "start": iso_z(rotation.start),
                "rotation_virtual_start": iso_z(rotation.start),
                "rotation_turn_length_seconds": WEEK * rotation.length,
                "users": [user_ids[p.email] for p in rotation.participants if p is not None],
            }
            schedule_id = pd_id(rng)
            schedule_ids.append(schedule_id)
            db.execute(
                "INSERT INTO pagerduty_schedules (id, name, seq, data) VALUES (?, ?, ?, ?)",
                (
                    schedule_id,
                    rotation.name,
                    next_seq(db, "pagerduty_schedule"),
                    json_col({"time_zone": SCHEDULE_TZ, "layers": [layer], "teams": [team_id]}),
                ),
            )
        db.execute(
            "INSERT INTO pagerduty_escalation_policies (id, name, seq, data) VALUES (?, ?, ?, ?)",
            (
                pd_id(rng),
                SCHEDULE_NAME,
                next_seq(db, "pagerduty_policy"),
                json_col({"rules": [{"delay": 30, "schedules": schedule_ids}], "teams": [team_id]}),
            ),
        )

    @staticmethod
    def _insert_user(
        db: sqlite3.Connection,
        rng: random.Random,
        name: str,
        email: str,
        time_zone: str | None,
        role: str = "user",
    ) -> str:
        user_id = pd_id(rng)
        db.execute(
            "INSERT INTO pagerduty_users (id, email, seq, data) VALUES (?, ?, ?, ?)",
            (
                user_id,
                email,
                next_seq(db, "pagerduty_user"),
                json_col({"name": name, "time_zone": time_zone or "Etc/UTC", "role": role}),
            ),
        )
        return user_id

    # ---- shapes and lookups -------------------------------------------------------------------------

    @staticmethod
    def _page(req: _Req, key: str, items: list[Any]) -> httpx.Response:
        offset = req.int_param("offset", 0)
        limit = req.int_param("limit", DEFAULT_LIMIT)
        if offset < 0:
            raise _invalid("offset", "offset must be 0 or more")
        if limit < 1 or limit > MAX_LIMIT:
            raise _invalid("limit", f"limit must be between 1 and {MAX_LIMIT}")
        total = len(items) if (req.param("total") or "").lower() == "true" else None
        return json_response(
            200,
            {
                key: items[offset : offset + limit],
                "offset": offset,
                "limit": limit,
                "more": offset + limit < len(items),
                "total": total,
            },
        )

    @staticmethod
    def _user_json(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
        data = from_json_col(row["data"])
        teams = [
            _ref("team", r["id"], r["name"])
            for r in db.execute(
                "SELECT t.id, t.name FROM pagerduty_team_members m "
                "JOIN pagerduty_teams t ON t.id = m.team_id "
                "WHERE m.user_id = ? ORDER BY t.seq",
                (row["id"],),
            )
        ]
        return {
            "id": row["id"],
            "type": "user",
            "summary": data["name"],
            "name": data["name"],
            "email": row["email"],
            "time_zone": data["time_zone"],
            "role": data["role"],
            "self": f"https://api.pagerduty.com/users/{row['id']}",
            "html_url": None,
            "teams": teams,
        }

    @staticmethod
    def _user_row(db: sqlite3.Connection, user_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM pagerduty_users WHERE id = ?", (user_id,)
        ).fetchone()
        if row is None:
            raise _Error(404, "Not Found")
        return row

    @staticmethod
    def _team_row(db: sqlite3.Connection, team_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM pagerduty_teams WHERE id = ?", (team_id,)
        ).fetchone()
        if row is None:
            raise _Error(404, "Not Found")
        return row

    def _user_ref(self, db: sqlite3.Connection, raw: Any, field: str) -> str:
        """The id of an existing user named by a `UserReference`, else 400."""
        user_id = raw.get("id") if isinstance(raw, dict) else None
        if (
            not user_id
            or db.execute("SELECT 1 FROM pagerduty_users WHERE id = ?", (user_id,)).fetchone() is None
        ):
            raise _invalid(field, f"User {user_id} not found")
        return str(user_id)

    def _user_summary(self, db: sqlite3.Connection, user_id: str) -> dict[str, Any]:
        row = db.execute("SELECT data FROM pagerduty_users WHERE id = ?", (user_id,)).fetchone()
        return _ref("user", user_id, from_json_col(row["data"])["name"] if row else None)

    # ---- users and teams ----------------------------------------------------------------------------

    def _h_list_users(self, req: _Req) -> httpx.Response:
        rows = list(req.db.execute("SELECT * FROM pagerduty_users ORDER BY seq"))
        query = (req.param("query") or "").strip().lower()
        if query:
            rows = [
                r
                for r in rows
                if query in r["email"].lower() or query in from_json_col(r["data"])["name"].lower()
            ]
        teams = req.params("team_ids[]")
        if teams:
            members = {
                r["user_id"]
                for r in req.db.execute(
                    "SELECT user_id FROM pagerduty_team_members "
                    f"WHERE team_id IN ({','.join('?' * len(teams))})",
                    teams,
                )
            }
            rows = [r for r in rows if r["id"] in members]
        return self._page(req, "users", [self._user_json(req.db, r) for r in rows])

    def _h_get_user(self, req: _Req) -> httpx.Response:
        return json_response(200, {"user": self._user_json(req.db, self._user_row(req.db, req.match["id"]))})

    def _h_create_user(self, req: _Req) -> httpx.Response:
        author = req.request.headers.get("from", "")
        if (
            not author
            or req.db.execute("SELECT 1 FROM pagerduty_users WHERE email = ?", (author,)).fetchone() is None
        ):
            raise _invalid("From", "The From header must be the email of a user of this account")
        user = (req.body or {}).get("user") or {}
        email = str(user.get("email") or "")
        if req.db.execute("SELECT 1 FROM pagerduty_users WHERE email = ?", (email,)).fetchone() is not None:
            raise _invalid("email", "Email has already been taken")
        user_id = self._insert_user(
            req.db,
            req.ctx.rng,
            str(user.get("name") or email),
            email,
            user.get("time_zone"),
            str(user.get("role") or "user"),
        )
        return json_response(201, {"user": self._user_json(req.db, self._user_row(req.db, user_id))})

    def _h_delete_user(self, req: _Req) -> httpx.Response:
        row = self._user_row(req.db, req.match["id"])
        req.db.execute("DELETE FROM pagerduty_users WHERE id = ?", (row["id"],))
        req.db.execute("DELETE FROM pagerduty_team_members WHERE user_id = ?", (row["id"],))
        return httpx.Response(204)

    def _h_list_teams(self, req: _Req) -> httpx.Response:
        rows = list(req.db.execute("SELECT * FROM pagerduty_teams ORDER BY seq"))
        query = (req.param("query") or "").strip().lower()
        if query:
            rows = [r for r in rows if query in r["name"].lower()]
        teams = [
            {
                "id": r["id"],
                "type": "team",
                "summary": r["name"],
                "name": r["name"],
                "self": f"https://api.pagerduty.com/teams/{r['id']}",
                "html_url": None,
            }
            for r in rows
        ]
        return self._page(req, "teams", teams)

    def _h_list_team_members(self, req: _Req) -> httpx.Response:
        team = self._team_row(req.db, req.match["id"])
        members = [
            {"user": self._user_summary(req.db, r["user_id"]), "role": r["role"]}
            for r in req.db.execute(
                "SELECT * FROM pagerduty_team_members WHERE team_id = ? ORDER BY seq", (team["id"],)
            )
        ]
        return self._page(req, "members", members)

    def _h_add_team_user(self, req: _Req) -> httpx.Response:
        team = self._team_row(req.db, req.match["id"])
        user = self._user_row(req.db, req.match["user_id"])
        role = str((req.body or {}).get("role") or "responder") if isinstance(req.body, dict) else "responder"
        if (
            req.db.execute(
                "SELECT 1 FROM pagerduty_team_members WHERE team_id = ? AND user_id = ?",
                (team["id"], user["id"]),
            ).fetchone()
            is None
        ):
            req.db.execute(
                "INSERT INTO pagerduty_team_members (team_id, user_id, role, seq) VALUES (?, ?, ?, ?)",
                (team["id"], user["id"], role, next_seq(req.db, "pagerduty_member")),
            )
        return httpx.Response(204)
