"""The PagerDuty emulator (prefix `pagerduty` = `https://api.pagerduty.com`, REST API v2 and v3 schedules).

Serves what `specs/pagerduty.json` (the vendored subset) holds: users (list with `query` and `team_ids[]`,
get, create, delete), teams (list, members, add a user), v3 (shift-based) schedules (list, get with the
final schedule), their rotations (create, delete) and events (create, update), their overrides (list,
create, delete), on-calls and escalation policies.

- Auth is `Authorization: Token token=<key>` (any key is accepted); errors are PagerDuty's
  `{"error": {"message", "code", "errors"}}`: 400 (code 2001) for a value it refuses, 404 (2100) for an
  unknown id (`errors` a list on v2 paths, `{field: [reasons]}` on `/v3/` ones). `POST /users` needs a
  `From` header naming a user of the account.
- Lists page with `offset` + `limit` (default 25, at most 100) and answer `offset`, `limit`, `more`, `total`
  (null unless `total=true`).
- A v3 schedule holds rotations; every rotation's shifts are on call at once, an `empty_member` turn is
  nobody, an override replaces one rotation's member. An event's `effective_since` in the past is clamped
  to now; an event already producing shifts may change only its `effective_until`; a rotation holds at
  most 5 events, none overlapping. The final schedule and the on-calls are computed by the CLI's own
  scheduling core (`oncall_cli.scheduling.timeline`), as the Opsgenie emulator does, so the services agree.

Seed: the users of the seed world (ids `P` + 6 characters), the team "Engineering" with every one of them,
and one v3 schedule "Engineering_schedule" holding a rotation per seat, each with one event that copies the
Opsgenie seed rotation of its seat (same name, first hand-off, weekly turn and participants in order), on
the first rule of the escalation policy "Engineering_schedule". Tables `pagerduty_*`.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from oncall_cli.sandbox import pagerduty_incidents as incidents
from oncall_cli.sandbox.base import (
    PAGERDUTY_CODES,
    Ctx,
    Routes,
    SeedPerson,
    from_json_col,
    iso_z,
    json_col,
    json_response,
    next_seq,
    parse_body,
    parse_iso,
    vendor_error,
)
from oncall_cli.sandbox.pagerduty_wire import (
    PagerDutyError,
    Request,
    invalid,
    page,
    pd_id,
    ref,
)
from oncall_cli.sandbox.seed import SCHEDULE_NAME, SCHEDULE_TZ, TEAM_NAME, opsgenie_plan
from oncall_cli.scheduling.model import Override, Rotation, Shift
from oncall_cli.scheduling.timeline import shift_start
from oncall_cli.scheduling.timeline import timeline as core_timeline

WEEK = 604800

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pagerduty_users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_teams (id TEXT PRIMARY KEY, name TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_team_members (team_id TEXT NOT NULL, user_id TEXT NOT NULL,
    role TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (team_id, user_id));
CREATE TABLE IF NOT EXISTS pagerduty_v3_schedules (id TEXT PRIMARY KEY, name TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_v3_overrides (id TEXT PRIMARY KEY, schedule_id TEXT NOT NULL,
    rotation_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_escalation_policies (id TEXT PRIMARY KEY, name TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
"""


Handler = Callable[["PagerDutyEmulator", Request], httpx.Response]

_ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/users", "list_users"),
    ("POST", "/users", "create_user"),
    ("GET", "/users/{id}", "get_user"),
    ("DELETE", "/users/{id}", "delete_user"),
    ("GET", "/teams", "list_teams"),
    ("GET", "/teams/{id}/members", "list_team_members"),
    ("PUT", "/teams/{id}/users/{user_id}", "add_team_user"),
    ("GET", "/oncalls", "list_oncalls"),
    ("GET", "/escalation_policies", "list_escalation_policies"),
    ("GET", "/v3/schedules", "list_schedules_v3"),
    ("GET", "/v3/schedules/{id}", "get_schedule_v3"),
    ("POST", "/v3/schedules/{id}/rotations", "create_rotation_v3"),
    ("DELETE", "/v3/schedules/{id}/rotations/{rotation_id}", "delete_rotation_v3"),
    ("POST", "/v3/schedules/{id}/rotations/{rotation_id}/events", "create_event"),
    ("PUT", "/v3/schedules/{id}/rotations/{rotation_id}/events/{event_id}", "update_event"),
    ("GET", "/v3/schedules/{id}/overrides", "list_overrides_v3"),
    ("POST", "/v3/schedules/{id}/overrides", "create_overrides_v3"),
    ("DELETE", "/v3/schedules/{id}/overrides/{override_id}", "delete_override_v3"),
]
_ROUTER = Routes(_ROUTES)
OPERATIONS: tuple[str, ...] = (*(f"{m} {t}" for m, t, _ in _ROUTES), *incidents.OPERATIONS)
"""Every operation the emulator answers (names as in specs/pagerduty.json); the incidents' are
pagerduty_incidents.py's."""


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
                raise PagerDutyError(400, "Invalid Input Provided", {"body": "not valid JSON"}) from None
            handler: Handler = getattr(type(self), "_h_" + name.handler)
            return handler(self, Request(ctx, request, found.groupdict(), body))
        except PagerDutyError as exc:
            if path.startswith("/v3/"):
                # v3's error body: `errors` maps each field to its reasons (V3ErrorResponse).
                error: dict[str, Any] = {
                    "message": exc.message,
                    "code": PAGERDUTY_CODES.get(exc.status, 2000),
                }
                if exc.errors:
                    error["errors"] = {k: [v] for k, v in exc.errors.items()}
                return json_response(exc.status, {"error": error})
            return vendor_error("pagerduty", exc.status, exc.message, errors=exc.errors)

    def status(self, db: sqlite3.Connection) -> dict[str, Any]:
        def count(table: str) -> int:
            return int(db.execute(f"SELECT COUNT(*) FROM pagerduty_{table}").fetchone()[0])

        counts = {name: count(name) for name in ("users", "teams")}
        counts |= {name: count(f"v3_{name}") for name in ("schedules", "overrides")}
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
        # One v3 (shift-based) schedule holds both seats: a rotation per seat, one event each, copying the
        # Opsgenie seed rotation (its name, first hand-off, weekly turn and participants in order).
        rotations = []
        for rotation in plan.rotations:
            start = iso_z(rotation.start)
            turn = Rotation(rotation.name, rotation.start, ("x",), rotation.type, rotation.length)
            end = iso_z(shift_start(turn, 1, SCHEDULE_TZ))
            interval = "" if rotation.length == 1 else f";INTERVAL={rotation.length}"
            freq = {"weekly": "WEEKLY", "daily": "DAILY", "hourly": "HOURLY"}[rotation.type]
            rotations.append(
                {
                    "id": pd_id(rng),
                    "events": [
                        {
                            "id": pd_id(rng),
                            "type": "schedule_event",
                            "name": rotation.name,
                            "start_time": {"date_time": start, "time_zone": SCHEDULE_TZ},
                            "end_time": {"date_time": end, "time_zone": SCHEDULE_TZ},
                            "effective_since": start,
                            "effective_until": None,
                            "recurrence": [f"RRULE:FREQ={freq}{interval}"],
                            "assignment_strategy": {
                                "type": "rotating_member_assignment_strategy",
                                "shifts_per_member": 1,
                                "members": [
                                    self._member(None if p is None else user_ids[p.email])
                                    for p in rotation.participants
                                ],
                            },
                        }
                    ],
                }
            )
        schedule_id = pd_id(rng)
        db.execute(
            "INSERT INTO pagerduty_v3_schedules (id, name, seq, data) VALUES (?, ?, ?, ?)",
            (
                schedule_id,
                SCHEDULE_NAME,
                next_seq(db, "pagerduty_schedule"),
                json_col({"time_zone": SCHEDULE_TZ, "rotations": rotations, "teams": [team_id]}),
            ),
        )
        db.execute(
            "INSERT INTO pagerduty_escalation_policies (id, name, seq, data) VALUES (?, ?, ?, ?)",
            (
                pd_id(rng),
                SCHEDULE_NAME,
                next_seq(db, "pagerduty_policy"),
                json_col({"rules": [{"delay": 30, "schedules": [schedule_id]}], "teams": [team_id]}),
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
    def _user_json(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
        data = from_json_col(row["data"])
        teams = [
            ref("team", r["id"], r["name"])
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
            raise PagerDutyError(404, "Not Found")
        return row

    @staticmethod
    def _team_row(db: sqlite3.Connection, team_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM pagerduty_teams WHERE id = ?", (team_id,)
        ).fetchone()
        if row is None:
            raise PagerDutyError(404, "Not Found")
        return row

    def _user_ref(self, db: sqlite3.Connection, raw: Any, field: str) -> str:
        """The id of an existing user named by a `UserReference`, else 400."""
        user_id = raw.get("id") if isinstance(raw, dict) else None
        if (
            not user_id
            or db.execute("SELECT 1 FROM pagerduty_users WHERE id = ?", (user_id,)).fetchone() is None
        ):
            raise invalid(field, f"User {user_id} not found")
        return str(user_id)

    def _user_summary(self, db: sqlite3.Connection, user_id: str) -> dict[str, Any]:
        row = db.execute("SELECT data FROM pagerduty_users WHERE id = ?", (user_id,)).fetchone()
        return ref("user", user_id, from_json_col(row["data"])["name"] if row else None)

    # ---- users and teams ----------------------------------------------------------------------------

    def _h_list_users(self, req: Request) -> httpx.Response:
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
        return page(req, "users", [self._user_json(req.db, r) for r in rows])

    def _h_get_user(self, req: Request) -> httpx.Response:
        return json_response(200, {"user": self._user_json(req.db, self._user_row(req.db, req.match["id"]))})

    def _h_create_user(self, req: Request) -> httpx.Response:
        author = req.request.headers.get("from", "")
        if (
            not author
            or req.db.execute("SELECT 1 FROM pagerduty_users WHERE email = ?", (author,)).fetchone() is None
        ):
            raise invalid("From", "The From header must be the email of a user of this account")
        user = (req.body or {}).get("user") or {}
        email = str(user.get("email") or "")
        if req.db.execute("SELECT 1 FROM pagerduty_users WHERE email = ?", (email,)).fetchone() is not None:
            raise invalid("email", "Email has already been taken")
        user_id = self._insert_user(
            req.db,
            req.ctx.rng,
            str(user.get("name") or email),
            email,
            user.get("time_zone"),
            str(user.get("role") or "user"),
        )
        return json_response(201, {"user": self._user_json(req.db, self._user_row(req.db, user_id))})

    def _h_delete_user(self, req: Request) -> httpx.Response:
        row = self._user_row(req.db, req.match["id"])
        req.db.execute("DELETE FROM pagerduty_users WHERE id = ?", (row["id"],))
        req.db.execute("DELETE FROM pagerduty_team_members WHERE user_id = ?", (row["id"],))
        return httpx.Response(204)

    def _h_list_teams(self, req: Request) -> httpx.Response:
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
        return page(req, "teams", teams)

    def _h_list_team_members(self, req: Request) -> httpx.Response:
        team = self._team_row(req.db, req.match["id"])
        members = [
            {"user": self._user_summary(req.db, r["user_id"]), "role": r["role"]}
            for r in req.db.execute(
                "SELECT * FROM pagerduty_team_members WHERE team_id = ? ORDER BY seq", (team["id"],)
            )
        ]
        return page(req, "members", members)

    def _h_add_team_user(self, req: Request) -> httpx.Response:
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

    # ---- escalation policies and on-calls ---------------------------------------------------------

    @staticmethod
    def _policies(db: sqlite3.Connection) -> list[tuple[str, str, list[dict[str, Any]], list[str]]]:
        """(id, name, rules, team ids) of every escalation policy."""
        out = []
        for row in db.execute("SELECT * FROM pagerduty_escalation_policies ORDER BY seq"):
            data = from_json_col(row["data"])
            out.append((row["id"], row["name"], data["rules"], data.get("teams", [])))
        return out

    def _h_list_oncalls(self, req: Request) -> httpx.Response:
        since = req.time_param("since") or req.ctx.now
        until = req.time_param("until") or since
        if until < since:
            raise invalid("until", "until must not be before since")
        wanted_schedules = set(req.params("schedule_ids[]"))
        wanted_policies = set(req.params("escalation_policy_ids[]"))
        earliest = (req.param("earliest") or "").lower() == "true"
        oncalls: list[dict[str, Any]] = []
        for pid, name, rules, _ in self._policies(req.db):
            if wanted_policies and pid not in wanted_policies:
                continue
            for level, rule in enumerate(rules, start=1):
                for schedule_id in rule["schedules"]:
                    if wanted_schedules and schedule_id not in wanted_schedules:
                        continue
                    if self._is_v3(req.db, schedule_id):
                        oncalls += self._v3_oncalls(
                            req, schedule_id, (pid, name, level), since, until, earliest
                        )
        return page(req, "oncalls", oncalls)

    def _h_list_escalation_policies(self, req: Request) -> httpx.Response:
        query = (req.param("query") or "").strip().lower()
        items = []
        for pid, name, rules, teams in self._policies(req.db):
            if query and query not in name.lower():
                continue
            items.append(
                {
                    "id": pid,
                    "type": "escalation_policy",
                    "summary": name,
                    "name": name,
                    "num_loops": 0,
                    "escalation_rules": [
                        {
                            "id": f"{pid}R{n}",
                            "escalation_delay_in_minutes": rule["delay"],
                            "targets": [self._target(req.db, s) for s in rule["schedules"]],
                        }
                        for n, rule in enumerate(rules, start=1)
                    ],
                    "teams": [ref("team", t, None) for t in teams],
                    "self": f"https://api.pagerduty.com/escalation_policies/{pid}",
                    "html_url": None,
                }
            )
        return page(req, "escalation_policies", items)

    # ---- v3 (shift-based) schedules -----------------------------------------------------------------

    @staticmethod
    def _is_v3(db: sqlite3.Connection, schedule_id: str) -> bool:
        found = db.execute("SELECT 1 FROM pagerduty_v3_schedules WHERE id = ?", (schedule_id,)).fetchone()
        return found is not None

    def _target(self, db: sqlite3.Connection, schedule_id: str) -> dict[str, Any]:
        """An escalation rule's schedule target: a `schedule_v3_reference`."""
        return self._v3_ref(self._v3_row(db, schedule_id))

    def _v3_oncalls(
        self,
        req: Request,
        schedule_id: str,
        policy: tuple[str, str, int],
        since: datetime,
        until: datetime,
        earliest: bool,
    ) -> list[dict[str, Any]]:
        """The on-calls of a v3 schedule: each user's stretches (every rotation at once, an empty turn is
        nobody), adjacent ones joined, whole stretches that meet [since, until] (an instant when equal)."""
        row = self._v3_row(req.db, schedule_id)
        reach = timedelta(weeks=8)
        per_user: dict[str, list[tuple[datetime, datetime]]] = {}
        for shift, _, _ in self._v3_final(req.db, row, since - reach, until + reach):
            if shift.user is None:
                continue
            spans = per_user.setdefault(shift.user, [])
            a, b = shift.start.astimezone(UTC), shift.end.astimezone(UTC)
            spans.append((a, b))
        out: list[tuple[datetime, datetime, str]] = []
        for user, spans in per_user.items():
            merged: list[tuple[datetime, datetime]] = []
            for a, b in sorted(spans):
                if merged and a <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
                else:
                    merged.append((a, b))
            hits = [
                (a, b, user) for a, b in merged if a <= until and b > since and (a < until or since == until)
            ]
            out += hits[:1] if earliest else hits
        pid, name, level = policy
        return [
            {
                "escalation_policy": ref("escalation_policy", pid, name),
                "escalation_level": level,
                "schedule": self._v3_ref(row),
                "user": self._user_summary(req.db, u),
                "start": iso_z(a),
                "end": iso_z(b),
            }
            for a, b, u in sorted(out)
        ]

    # A v3 schedule holds rotations; a rotation is only an id and its events; an event is a recurring window
    # (`start_time`..`end_time` repeated by one RRULE in `start_time`'s zone) whose members take turns
    # (`shifts_per_member` occurrences each, counted from `start_time`, the RRULE's DTSTART), producing shifts
    # from `effective_since` to `effective_until`. Every rotation's shifts are on call at once (two seats in
    # one schedule); an `empty_member` turn is nobody. The final schedule is computed by the CLI's own core.

    @staticmethod
    def _v3_row(db: sqlite3.Connection, schedule_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM pagerduty_v3_schedules WHERE id = ?", (schedule_id,)
        ).fetchone()
        if row is None:
            raise PagerDutyError(404, "Not Found")
        return row

    @staticmethod
    def _v3_save(db: sqlite3.Connection, schedule_id: str, data: dict[str, Any]) -> None:
        db.execute("UPDATE pagerduty_v3_schedules SET data = ? WHERE id = ?", (json_col(data), schedule_id))

    @staticmethod
    def _v3_rotation(data: dict[str, Any], rotation_id: str) -> dict[str, Any]:
        found: dict[str, Any] | None = next((r for r in data["rotations"] if r["id"] == rotation_id), None)
        if found is None:
            raise PagerDutyError(404, "Not Found")
        return found

    @staticmethod
    def _v3_ref(row: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": row["id"],
            "type": "schedule_v3_reference",
            "summary": row["name"],
            "self": f"https://api.pagerduty.com/v3/schedules/{row['id']}",
        }

    @staticmethod
    def _rrule(recurrence: Any) -> tuple[str, int]:
        """The core's (rotation type, length) of an event's recurrence; 400 for what the sandbox cannot
        render (PagerDuty takes any RFC 5545 rule; oncall writes only
        `FREQ=WEEKLY|DAILY|HOURLY;INTERVAL=n`)."""
        rules = (
            [r for r in recurrence if isinstance(r, str) and r.startswith("RRULE:")]
            if isinstance(recurrence, list)
            else []
        )
        if len(rules) != 1 or len(recurrence) != 1:
            raise invalid("recurrence", "must hold exactly one RRULE (the sandbox renders no EXDATE/RDATE)")
        parts = dict(p.split("=", 1) for p in rules[0][len("RRULE:") :].split(";") if "=" in p)
        kind = {"WEEKLY": "weekly", "DAILY": "daily", "HOURLY": "hourly"}.get(parts.pop("FREQ", ""))
        try:
            interval = int(parts.pop("INTERVAL", "1"))
        except ValueError:
            raise invalid("recurrence", "INTERVAL must be a number") from None
        if kind is None or parts or interval < 1:
            raise invalid("recurrence", "the sandbox renders FREQ=WEEKLY|DAILY|HOURLY with INTERVAL only")
        return kind, interval

    def _event_rotations(self, data: dict[str, Any]) -> list[tuple[Rotation, datetime, str, str]]:
        """Each event as a core rotation (named `rotation id/event id`, members repeated `shifts_per_member`
        times so that turn k is member k // spm), with its effective start, rotation id and event id."""
        out = []
        for rotation in data["rotations"]:
            for event in rotation["events"]:
                kind, length = self._rrule(event["recurrence"])
                strategy = event["assignment_strategy"]
                per = int(strategy.get("shifts_per_member") or 1)
                members = [
                    m.get("user_id") if m["type"] == "user_member" else None for m in strategy["members"]
                ]
                core = Rotation(
                    name=f"{rotation['id']}/{event['id']}",
                    start=parse_iso(event["start_time"]["date_time"]),
                    participants=tuple(m for m in members for _ in range(per)),
                    type=kind,
                    length=length,
                    end=parse_iso(event["effective_until"]) if event.get("effective_until") else None,
                )
                out.append((core, parse_iso(event["effective_since"]), rotation["id"], event["id"]))
        return out

    def _v3_overrides(self, db: sqlite3.Connection, schedule_id: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (r["id"], from_json_col(r["data"]))
            for r in db.execute(
                "SELECT * FROM pagerduty_v3_overrides WHERE schedule_id = ? ORDER BY seq", (schedule_id,)
            )
        ]

    def _v3_final(
        self,
        db: sqlite3.Connection,
        row: sqlite3.Row,
        since: datetime,
        until: datetime,
        *,
        with_overrides: bool = True,
    ) -> list[tuple[Shift, str, str | None]]:
        """The final schedule in [since, until): (shift, rotation id, override id) per stretch, every rotation
        at once, overrides applied (a later one wins); an empty turn is a shift whose user is None."""
        data = from_json_col(row["data"])
        events = self._event_rotations(data)
        names: dict[str, list[str]] = {}
        for core, _, rotation_id, _ in events:
            names.setdefault(rotation_id, []).append(core.name)
        overrides = [
            Override(
                user=o["overriding_member"].get("user_id")
                if o["overriding_member"]["type"] == "user_member"
                else None,
                start=parse_iso(o["start_time"]),
                end=parse_iso(o["end_time"]),
                rotations=tuple(names.get(o["rotation_id"], [])),
                alias=oid,
            )
            for oid, o in (self._v3_overrides(db, row["id"]) if with_overrides else [])
        ]
        out: list[tuple[Shift, str, str | None]] = []
        for core, effective, rotation_id, _ in events:
            for shift in core_timeline([core], overrides, max(since, effective), until, data["time_zone"]):
                if shift.start >= shift.end:
                    continue
                alias = None
                if shift.override:
                    alias = next(
                        (
                            o.alias
                            for o in reversed(overrides)
                            if core.name in o.rotations and o.start <= shift.start and shift.end <= o.end
                        ),
                        None,
                    )
                out.append((shift, rotation_id, alias))
        return sorted(out, key=lambda x: (x[0].start, x[1]))

    @staticmethod
    def _member(user_id: str | None) -> dict[str, Any]:
        return {"type": "empty_member"} if user_id is None else {"type": "user_member", "user_id": user_id}

    def _v3_json(
        self, db: sqlite3.Connection, row: sqlite3.Row, window: tuple[datetime, datetime] | None
    ) -> dict[str, Any]:
        data = from_json_col(row["data"])
        out: dict[str, Any] = {
            "id": row["id"],
            "type": "schedule_v3",
            "name": row["name"],
            "time_zone": data["time_zone"],
            "escalation_policies": [
                {k: v for k, v in ref("escalation_policy", pid, name).items() if v is not None}
                for pid, name, rules, _ in self._policies(db)
                if any(row["id"] in rule["schedules"] for rule in rules)
            ],
            "rotations": [
                {
                    "id": r["id"],
                    "type": "schedule_rotation",
                    "events": r["events"],
                    "self": f"https://api.pagerduty.com/v3/schedules/{row['id']}/rotations/{r['id']}",
                }
                for r in data["rotations"]
            ],
            "self": f"https://api.pagerduty.com/v3/schedules/{row['id']}",
        }
        if window is not None:
            shifts = self._v3_final(db, row, *window)
            span = (window[1] - window[0]).total_seconds()
            covered = sum((s.end - s.start).total_seconds() for s, _, _ in shifts if s.user is not None)
            out["final_schedule"] = {
                "type": "final_schedule",
                "rendered_coverage_percentage": min(100.0, 100.0 * covered / span) if span > 0 else 0.0,
                "computed_shift_assignments": [
                    {
                        "type": "computed_shift_assignment",
                        "start_time": iso_z(s.start),
                        "end_time": iso_z(s.end),
                        "member": self._member(s.user),
                        "source": {
                            "type": "schedule_rotation_override",
                            "rotation_id": rid,
                            "override_id": alias,
                        }
                        if alias is not None
                        else {"type": "schedule_rotation", "rotation_id": rid},
                    }
                    for s, rid, alias in shifts
                ],
            }
        return out

    def _h_list_schedules_v3(self, req: Request) -> httpx.Response:
        rows = list(req.db.execute("SELECT * FROM pagerduty_v3_schedules ORDER BY name COLLATE NOCASE, seq"))
        query = (req.param("query") or "").strip().lower()
        if query:
            rows = [r for r in rows if query in r["name"].lower()]
        return page(req, "schedules", [self._v3_ref(r) for r in rows])

    def _h_get_schedule_v3(self, req: Request) -> httpx.Response:
        row = self._v3_row(req.db, req.match["id"])
        window = None
        if "final_schedule" in req.params("include[]"):
            since, until = req.time_param("since"), req.time_param("until")
            if since is None or until is None:
                raise invalid("since", "include[]=final_schedule needs since and until")
            if until < since:
                raise invalid("until", "until must not be before since")
            window = (since, until)
        return json_response(200, {"schedule": self._v3_json(req.db, row, window)})

    def _h_create_rotation_v3(self, req: Request) -> httpx.Response:
        row = self._v3_row(req.db, req.match["id"])
        if req.body not in (None, {}):
            raise invalid("rotation", "A rotation is created empty: its events carry its configuration")
        data = from_json_col(row["data"])
        rotation = {"id": pd_id(req.ctx.rng), "events": []}
        data["rotations"].append(rotation)
        self._v3_save(req.db, row["id"], data)
        return json_response(
            201, {"rotation": {"id": rotation["id"], "type": "schedule_rotation", "events": []}}
        )

    def _h_delete_rotation_v3(self, req: Request) -> httpx.Response:
        row = self._v3_row(req.db, req.match["id"])
        data = from_json_col(row["data"])
        self._v3_rotation(data, req.match["rotation_id"])
        data["rotations"] = [r for r in data["rotations"] if r["id"] != req.match["rotation_id"]]
        self._v3_save(req.db, row["id"], data)
        req.db.execute(
            "DELETE FROM pagerduty_v3_overrides WHERE rotation_id = ?", (req.match["rotation_id"],)
        )
        return httpx.Response(204)

    def _zoned(self, raw: Any, field: str) -> dict[str, str]:
        if not isinstance(raw, dict):
            raise invalid(field, "must be a date_time and a time_zone")
        try:
            when = parse_iso(str(raw["date_time"]))
            ZoneInfo(str(raw["time_zone"]))
        except (KeyError, ValueError, ZoneInfoNotFoundError):
            raise invalid(field, "must be a date_time and an IANA time_zone") from None
        return {"date_time": iso_z(when), "time_zone": str(raw["time_zone"])}

    def _event(
        self, req: Request, raw: dict[str, Any], event_id: str, rotation: dict[str, Any]
    ) -> dict[str, Any]:
        """A whole event checked as PagerDuty does (members exist, one RRULE, at most 5 events per rotation,
        none overlapping); an `effective_since` in the past is clamped to now."""
        start = self._zoned(raw.get("start_time"), "start_time")
        end = self._zoned(raw.get("end_time"), "end_time")
        if parse_iso(end["date_time"]) <= parse_iso(start["date_time"]):
            raise invalid("end_time", "end_time must be after start_time")
        kind, length = self._rrule(raw.get("recurrence"))
        strategy = raw.get("assignment_strategy") or {}
        members = strategy.get("members") or []
        if strategy.get("type") != "rotating_member_assignment_strategy":
            raise invalid("assignment_strategy.type", "the sandbox renders rotating members only")
        if not 1 <= len(members) <= 20:
            raise invalid("assignment_strategy.members", "between 1 and 20 members")
        for m in members:
            if m.get("type") == "user_member":
                self._user_ref(req.db, {"id": m.get("user_id")}, "assignment_strategy.members")
        try:
            since = max(parse_iso(str(raw["effective_since"])), req.ctx.now)
            until = parse_iso(str(raw["effective_until"])) if raw.get("effective_until") else None
        except (KeyError, ValueError):
            raise invalid("effective_since", "must be a date-time") from None
        if until is not None and until <= since:
            raise invalid("effective_until", "must be after effective_since")
        # One shift (start_time..end_time) per occurrence, continuous: the sandbox renders turns that hand
        # over at each occurrence (the window is one interval long).
        probe = Rotation(
            name="probe", start=parse_iso(start["date_time"]), participants=("x",), type=kind, length=length
        )
        if shift_start(probe, 1, start["time_zone"]) != parse_iso(end["date_time"]):
            raise invalid("end_time", "the sandbox renders windows exactly one recurrence interval long")
        others = [e for e in rotation["events"] if e["id"] != event_id]
        if len(others) >= 5:
            raise invalid("event", "A rotation holds at most 5 events")
        for other in others:
            o_since = parse_iso(other["effective_since"])
            o_until = parse_iso(other["effective_until"]) if other.get("effective_until") else None
            if (until is None or o_since < until) and (o_until is None or since < o_until):
                raise invalid("effective_since", "Events within a rotation cannot overlap")
        event: dict[str, Any] = {
            "id": event_id,
            "type": "schedule_event",
            "name": str(raw.get("name") or ""),
            "start_time": start,
            "end_time": end,
            "effective_since": iso_z(since),
            "effective_until": iso_z(until) if until is not None else None,
            "recurrence": list(raw["recurrence"]),
            "assignment_strategy": {
                "type": "rotating_member_assignment_strategy",
                "shifts_per_member": int(strategy.get("shifts_per_member") or 1),
                "members": [
                    self._member(m.get("user_id") if m.get("type") == "user_member" else None)
                    for m in members
                ],
            },
        }
        if not event["name"]:
            raise invalid("name", "An event needs a name")
        return event

    def _h_create_event(self, req: Request) -> httpx.Response:
        row = self._v3_row(req.db, req.match["id"])
        data = from_json_col(row["data"])
        rotation = self._v3_rotation(data, req.match["rotation_id"])
        raw = (req.body or {}).get("event") or {}
        event = self._event(req, raw, pd_id(req.ctx.rng), rotation)
        rotation["events"].append(event)
        rotation["events"].sort(key=lambda e: e["effective_since"])
        self._v3_save(req.db, row["id"], data)
        return json_response(201, {"event": event})

    def _h_update_event(self, req: Request) -> httpx.Response:
        row = self._v3_row(req.db, req.match["id"])
        data = from_json_col(row["data"])
        rotation = self._v3_rotation(data, req.match["rotation_id"])
        index = next((n for n, e in enumerate(rotation["events"]) if e["id"] == req.match["event_id"]), None)
        if index is None:
            raise PagerDutyError(404, "Not Found")
        current = rotation["events"][index]
        raw = (req.body or {}).get("event") or {}
        now = req.ctx.now
        since = parse_iso(current["effective_since"])
        until = parse_iso(current["effective_until"]) if current.get("effective_until") else None
        if until is not None and until <= now:
            raise invalid("event", "A past event cannot be modified")
        if since < now:
            # Active (producing shifts already): only effective_until may change.
            if set(raw) - {"effective_until"}:
                raise invalid("event", "An active event can only change effective_until")
            new_until = parse_iso(str(raw["effective_until"])) if raw.get("effective_until") else None
            if new_until is not None and new_until <= since:
                raise invalid("effective_until", "must be after effective_since")
            updated = {**current, "effective_until": iso_z(new_until) if new_until is not None else None}
            others = [e for e in rotation["events"] if e["id"] != current["id"]]
            for other in others:
                o_since = parse_iso(other["effective_since"])
                if o_since >= since and (new_until is None or o_since < new_until):
                    raise invalid("effective_until", "Events within a rotation cannot overlap")
        else:
            merged = {**current, **raw}
            updated = self._event(req, merged, current["id"], rotation)
        rotation["events"][index] = updated
        rotation["events"].sort(key=lambda e: e["effective_since"])
        self._v3_save(req.db, row["id"], data)
        return json_response(200, {"event": updated})

    def _override_shift_json(self, row_id: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"id": row_id, "type": "override_shift", **data}

    def _h_list_overrides_v3(self, req: Request) -> httpx.Response:
        row = self._v3_row(req.db, req.match["id"])
        since, until = req.time_param("since"), req.time_param("until")
        if since is None or until is None:
            raise invalid("since", "since and until are required")
        items = [
            self._override_shift_json(oid, o)
            for oid, o in self._v3_overrides(req.db, row["id"])
            if parse_iso(o["start_time"]) < until and parse_iso(o["end_time"]) > since
        ]
        return page(req, "overrides", items)

    def _h_create_overrides_v3(self, req: Request) -> httpx.Response:
        row = self._v3_row(req.db, req.match["id"])
        data = from_json_col(row["data"])
        wanted = (req.body or {}).get("overrides") or []
        if not wanted:
            raise invalid("overrides", "At least one override is required")
        created: list[tuple[str, dict[str, Any]]] = []
        for n, raw in enumerate(wanted):
            field = f"overrides[{n}]"
            if raw.get("custom_shift_id") or not raw.get("rotation_id"):
                raise invalid(
                    f"{field}.rotation_id", "An override names a rotation (custom shifts: not here)"
                )
            self._v3_rotation(data, str(raw["rotation_id"]))
            try:
                start, end = parse_iso(str(raw["start_time"])), parse_iso(str(raw["end_time"]))
            except (KeyError, ValueError):
                raise invalid(field, "start_time and end_time must be date-times") from None
            if end <= start:
                raise invalid(f"{field}.end_time", "An override must end after its start")
            members = []
            for key in ("overridden_member", "overriding_member"):
                m = raw.get(key) or {}
                if m.get("type") == "user_member":
                    self._user_ref(req.db, {"id": m.get("user_id")}, f"{field}.{key}")
                elif m.get("type") != "empty_member":
                    raise invalid(f"{field}.{key}", "user_member or empty_member")
                members.append(self._member(m.get("user_id") if m.get("type") == "user_member" else None))
            # The overridden member must be whom the rotation itself has when the override starts.
            held = [
                s.user
                for s, rid, _ in self._v3_final(
                    req.db, row, start, start + timedelta(seconds=1), with_overrides=False
                )
                if rid == raw["rotation_id"]
            ]
            if not held:
                raise invalid(f"{field}.start_time", "The rotation has no shift when the override starts")
            if self._member(held[0]) != members[0]:
                raise invalid(f"{field}.overridden_member", "is not the member on shift at start_time")
            override = {
                "rotation_id": str(raw["rotation_id"]),
                "start_time": iso_z(start),
                "end_time": iso_z(end),
                "overridden_member": members[0],
                "overriding_member": members[1],
            }
            oid = pd_id(req.ctx.rng)
            req.db.execute(
                "INSERT INTO pagerduty_v3_overrides (id, schedule_id, rotation_id, seq, data) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    oid,
                    row["id"],
                    override["rotation_id"],
                    next_seq(req.db, "pagerduty_override"),
                    json_col(override),
                ),
            )
            created.append((oid, override))
        return json_response(201, {"overrides": [self._override_shift_json(i, o) for i, o in created]})

    def _h_delete_override_v3(self, req: Request) -> httpx.Response:
        row = self._v3_row(req.db, req.match["id"])
        found = req.db.execute(
            "SELECT * FROM pagerduty_v3_overrides WHERE schedule_id = ? AND id = ?",
            (row["id"], req.match["override_id"]),
        ).fetchone()
        if found is None:
            raise PagerDutyError(404, "Not Found")
        data = from_json_col(found["data"])
        now = req.ctx.now
        if parse_iso(data["start_time"]) < now < parse_iso(data["end_time"]):
            # In progress: ended now, as PagerDuty ends a running override rather than rewriting the past.
            req.db.execute(
                "UPDATE pagerduty_v3_overrides SET data = ? WHERE id = ?",
                (json_col({**data, "end_time": iso_z(now)}), found["id"]),
            )
        else:
            req.db.execute("DELETE FROM pagerduty_v3_overrides WHERE id = ?", (found["id"],))
        return httpx.Response(204)
