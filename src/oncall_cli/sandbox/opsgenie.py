"""The Opsgenie emulator: same paths, methods, statuses, envelopes, errors, paging and async semantics.

- Success bodies are `{"data", "took", "requestId"}` (+ `paging` and `totalCount` on paged lists, offset/limit
  ≤ 100); errors `{"message", "took", "requestId"}`, and a 422 adds `errors: {field: message}`.
- Incident and alert writes answer 202 + `requestId` and are applied at once; `GET
  /v1/incidents/requests/{id}` (alerts: `/v2/alerts/requests/{id}`) answers 404 with
  `X-Opsgenie-Errortype: RequestNotProcessed` for the first polls of each request, then the outcome. Like
  the real service, a request is not always processed by the first poll: by default each request stays
  pending for a random 0-2 polls, drawn from the request's seeded rng (repeatable for one seed);
  `set_pending_polls(db, N)` fixes it at N for every request (`sandbox serve --pending-polls N`).
- Who is on call, next on-calls and the schedule timeline are computed from the stored rotations and
  overrides by the CLI's own scheduling core (`oncall_cli.scheduling.timeline`), in the schedule's zone.
- Users keep their start date and manager in the user `details` map, as lists of strings like every
  Opsgenie detail: `details = {"start_date": ["2024-05-06"], "manager": ["ada.lovelace@example.com"]}`.
- The account has a seat limit (`plan.maxUserCount`); creating a user beyond it answers 422 with
  Opsgenie's "maximum number of users" message.
"""

from __future__ import annotations

import calendar
import random
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

from oncall_cli.sandbox.base import (
    Ctx,
    Routes,
    SeedPerson,
    from_json_col,
    iso_z,
    json_col,
    json_response,
    new_uuid,
    next_seq,
    parse_body,
    parse_iso,
    query_params,
    vendor_error,
)
from oncall_cli.sandbox.seed import (
    OPSGENIE_SERVICES,
    SCHEDULE_NAME,
    SCHEDULE_TZ,
    SEED_ALERT_ACK_AFTER,
    SEED_ALERTS,
    TEAM_NAME,
    opsgenie_plan,
    team_members,
)
from oncall_cli.scheduling.model import Override, Rotation, Shift
from oncall_cli.scheduling.timeline import on_call_at, timeline

ACCOUNT_NAME = "oncall-sandbox"
MAX_USERS = 40
MAX_LIMIT = 100
PENDING_POLLS_MAX = 2
"""The most "not processed yet" answers a request gets by default (a random 0..2 each)."""
_PRIORITIES = ("P1", "P2", "P3", "P4", "P5")


class _Error(Exception):
    """An Opsgenie error answer, raised from deep inside a handler."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers


def _unprocessable(field: str, message: str) -> _Error:
    return _Error(422, "Request body is not valid", {field: message})


@dataclass
class _Req:
    """One request, parsed once for the handlers."""

    ctx: Ctx
    request: httpx.Request
    match: dict[str, str]
    query: dict[str, str]
    body: Any

    @property
    def db(self) -> sqlite3.Connection:
        return self.ctx.db


Handler = Callable[["OpsgenieEmulator", _Req], httpx.Response]

_ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/v2/account", "get_account"),
    ("GET", "/v2/users", "list_users"),
    ("POST", "/v2/users", "create_user"),
    ("GET", "/v2/users/{identifier}", "get_user"),
    ("PATCH", "/v2/users/{identifier}", "update_user"),
    ("DELETE", "/v2/users/{identifier}", "delete_user"),
    ("GET", "/v2/teams", "list_teams"),
    ("GET", "/v2/teams/{identifier}", "get_team"),
    ("POST", "/v2/teams/{identifier}/members", "add_team_member"),
    ("DELETE", "/v2/teams/{identifier}/members/{memberIdentifier}", "remove_team_member"),
    ("GET", "/v1/services", "list_services"),
    ("GET", "/v1/services/{identifier}", "get_service"),
    ("GET", "/v2/schedules", "list_schedules"),
    ("GET", "/v2/schedules/on-calls", "list_on_calls"),
    ("GET", "/v2/schedules/{identifier}.ics", "export_schedule"),
    ("GET", "/v2/schedules/{identifier}", "get_schedule"),
    ("GET", "/v2/schedules/{identifier}/timeline", "get_timeline"),
    ("GET", "/v2/schedules/{identifier}/on-calls", "get_on_calls"),
    ("GET", "/v2/schedules/{identifier}/next-on-calls", "get_next_on_calls"),
    ("GET", "/v2/schedules/{identifier}/rotations", "list_rotations"),
    ("POST", "/v2/schedules/{identifier}/rotations", "create_rotation"),
    ("GET", "/v2/schedules/{identifier}/rotations/{id}", "get_rotation"),
    ("PATCH", "/v2/schedules/{identifier}/rotations/{id}", "update_rotation"),
    ("DELETE", "/v2/schedules/{identifier}/rotations/{id}", "delete_rotation"),
    ("GET", "/v2/schedules/{identifier}/overrides", "list_overrides"),
    ("POST", "/v2/schedules/{identifier}/overrides", "create_override"),
    ("GET", "/v2/schedules/{identifier}/overrides/{alias}", "get_override"),
    ("PUT", "/v2/schedules/{identifier}/overrides/{alias}", "update_override"),
    ("DELETE", "/v2/schedules/{identifier}/overrides/{alias}", "delete_override"),
    ("GET", "/v1/incidents/requests/{requestId}", "get_request_status"),
    ("POST", "/v1/incidents/create", "create_incident"),
    ("GET", "/v1/incidents/", "list_incidents"),
    ("GET", "/v1/incidents/{identifier}", "get_incident"),
    ("DELETE", "/v1/incidents/{identifier}", "delete_incident"),
    ("POST", "/v1/incidents/{identifier}/close", "incident_close"),
    ("POST", "/v1/incidents/{identifier}/resolve", "incident_resolve"),
    ("POST", "/v1/incidents/{identifier}/reopen", "incident_reopen"),
    ("POST", "/v1/incidents/{identifier}/notes", "incident_add_note"),
    ("GET", "/v1/incidents/{identifier}/notes", "incident_list_notes"),
    ("POST", "/v1/incidents/{identifier}/responders", "incident_add_responders"),
    ("POST", "/v1/incidents/{identifier}/tags", "incident_add_tags"),
    ("DELETE", "/v1/incidents/{identifier}/tags", "incident_remove_tags"),
    ("POST", "/v1/incidents/{identifier}/details", "incident_add_details"),
    ("DELETE", "/v1/incidents/{identifier}/details", "incident_remove_details"),
    ("PUT", "/v1/incidents/{identifier}/priority", "incident_priority"),
    ("POST", "/v2/incident-timelines/{incidentId}/entries", "add_timeline_entry"),
    ("GET", "/v2/incident-timelines/{incidentId}/entries", "list_timeline_entries"),
    ("GET", "/v2/alerts/requests/{requestId}", "get_alert_request_status"),
    ("POST", "/v2/alerts", "create_alert"),
    ("GET", "/v2/alerts", "list_alerts"),
    ("GET", "/v2/alerts/count", "count_alerts"),
    ("GET", "/v2/alerts/{identifier}", "get_alert"),
    ("POST", "/v2/alerts/{identifier}/acknowledge", "acknowledge_alert"),
    ("POST", "/v2/alerts/{identifier}/close", "close_alert"),
    ("POST", "/v2/alerts/{identifier}/notes", "add_alert_note"),
    ("GET", "/v2/alerts/{identifier}/notes", "list_alert_notes"),
    ("POST", "/v2/alerts/{identifier}/tags", "add_alert_tags"),
]
_ROUTER = Routes(_ROUTES)
OPERATIONS: tuple[str, ...] = tuple(f"{m} {t}" for m, t, _ in _ROUTES)
"""Every operation the emulator answers (names as in the vendored spec)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS opsgenie_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opsgenie_users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opsgenie_teams (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opsgenie_services (id TEXT PRIMARY KEY, name TEXT NOT NULL, seq INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opsgenie_schedules (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opsgenie_rotations (id TEXT PRIMARY KEY, schedule_id TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opsgenie_overrides (schedule_id TEXT NOT NULL, alias TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (schedule_id, alias));
CREATE TABLE IF NOT EXISTS opsgenie_incidents (id TEXT PRIMARY KEY, tiny_id INTEGER NOT NULL UNIQUE,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opsgenie_incident_notes (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opsgenie_timeline_entries (id TEXT PRIMARY KEY, incident_id TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opsgenie_alerts (id TEXT PRIMARY KEY, tiny_id INTEGER NOT NULL, alias TEXT,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opsgenie_alert_notes (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opsgenie_requests (id TEXT PRIMARY KEY, kind TEXT NOT NULL,
    polls_left INTEGER NOT NULL, data TEXT NOT NULL);
"""


def _took(rng: random.Random) -> float:
    return round(rng.uniform(0.002, 0.09), 3)


def _bool_param(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")


def _half_hour(value: str, field: str) -> datetime:
    """A rotation/override boundary, rounded to the nearest :00 or :30 as Opsgenie's spec says ("Minutes
    may take 0 or 30 as value. Otherwise they will be converted to nearest 0 or 30 automatically",
    definitions/scheduleRotation.yaml and scheduleOverride.yaml; docs.opsgenie.com says the same).
    A quarter past goes up (:15 -> :30, :45 -> the next hour); seconds count. Not a date: 422."""
    try:
        dt = parse_iso(value)
    except ValueError:
        raise _unprocessable(field, f"{field} [{value}] is not a valid date") from None
    into = timedelta(minutes=dt.minute % 30, seconds=dt.second, microseconds=dt.microsecond)
    floor = dt - into
    return floor + timedelta(minutes=30) if into >= timedelta(minutes=15) else floor


class OpsgenieEmulator:
    """Opsgenie over SQLite (tables `opsgenie_*`)."""

    prefix = "opsgenie"

    # ---- ServiceEmulator ----------------------------------------------------------------------------

    def create_schema(self, db: sqlite3.Connection) -> None:
        db.executescript(_SCHEMA)

    def operation(self, method: str, path: str) -> str | None:
        return _ROUTER.operation(method, path)

    def handle(self, ctx: Ctx, request: httpx.Request, path: str) -> httpx.Response:
        route = _ROUTER.find(request.method, path)
        if route is None:
            return self._error(ctx, _Error(404, f"No API found for {request.method} {path}"))
        found, name = route[0], route[1].handler
        try:
            body = parse_body(request)
        except (ValueError, UnicodeDecodeError):
            return self._error(ctx, _Error(400, "Could not parse the request body as JSON"))
        req = _Req(ctx, request, found.groupdict(), query_params(request), body)
        handler: Handler = getattr(type(self), "_h_" + name)
        try:
            return handler(self, req)
        except _Error as exc:
            return self._error(ctx, exc)

    def status(self, db: sqlite3.Connection) -> dict[str, Any]:
        def count(sql: str) -> int:
            return int(db.execute(sql).fetchone()[0])

        return {
            "users": count("SELECT COUNT(*) FROM opsgenie_users"),
            "teams": count("SELECT COUNT(*) FROM opsgenie_teams"),
            "schedules": count("SELECT COUNT(*) FROM opsgenie_schedules"),
            "rotations": count("SELECT COUNT(*) FROM opsgenie_rotations"),
            "overrides": count("SELECT COUNT(*) FROM opsgenie_overrides"),
            "services": count("SELECT COUNT(*) FROM opsgenie_services"),
            "incidents": count("SELECT COUNT(*) FROM opsgenie_incidents"),
            "open_incidents": count(
                "SELECT COUNT(*) FROM opsgenie_incidents WHERE json_extract(data, '$.status') = 'open'"
            ),
            "pending_polls": "random 0-2" if (polls := self.pending_polls(db)) is None else polls,
        }

    # ---- settings -----------------------------------------------------------------------------------

    @staticmethod
    def pending_polls(db: sqlite3.Connection) -> int | None:
        """Polls each new async request stays "not processed yet": a fixed number, or None for a random
        0-`PENDING_POLLS_MAX` per request (the default)."""
        row = db.execute("SELECT value FROM opsgenie_settings WHERE key = 'pending_polls'").fetchone()
        if row is None or row[0] == "random":
            return None
        return int(row[0])

    @staticmethod
    def set_pending_polls(db: sqlite3.Connection, polls: int | None) -> None:
        """How many polls of each new async request answer "RequestNotProcessed" before the outcome (None:
        a seeded random 0-2 per request, the default)."""
        db.execute(
            "INSERT OR REPLACE INTO opsgenie_settings (key, value) VALUES ('pending_polls', ?)",
            ("random" if polls is None else str(max(0, polls)),),
        )

    # ---- seed ---------------------------------------------------------------------------------------

    def seed(
        self, db: sqlite3.Connection, rng: random.Random, people: Sequence[SeedPerson], now: datetime
    ) -> None:
        self.set_pending_polls(db, None)
        plan = opsgenie_plan(rng, people, now)
        managers = {p.manager for p in people}
        for person in people:
            created = min(
                datetime.combine(person.start_date - timedelta(days=14), time(14, 0), UTC),
                now - timedelta(days=1),
            )
            self._insert_user(
                db,
                {
                    "id": plan.user_ids[person.email],
                    "username": person.email,
                    "fullName": person.name,
                    "role": {"id": "", "name": "Admin" if person.email in managers else "User"},
                    "timeZone": person.timezone,
                    "locale": "en_US",
                    "tags": [],
                    "details": {
                        "start_date": [person.start_date.isoformat()],
                        "manager": [person.manager] if person.manager else [],
                    },
                    "blocked": False,
                    "verified": True,
                    "createdAt": iso_z(created, millis=True),
                },
            )
        members = [
            {
                "user": {"id": plan.user_ids[p.email], "username": p.email},
                "role": "admin" if p.email in managers else "user",
            }
            for p in team_members(people)
        ]
        db.execute(
            "INSERT INTO opsgenie_teams (id, name, data) VALUES (?, ?, ?)",
            (plan.team_id, TEAM_NAME, json_col({"description": "The engineering team", "members": members})),
        )
        for (name, description), service_id in zip(OPSGENIE_SERVICES, plan.service_ids, strict=True):
            db.execute(
                "INSERT INTO opsgenie_services (id, name, seq, data) VALUES (?, ?, ?, ?)",
                (
                    service_id,
                    name,
                    next_seq(db, "opsgenie_service"),
                    json_col(
                        {
                            "teamId": plan.team_id,
                            "description": description,
                            "visibility": "TEAM_MEMBERS",
                            "tags": [],
                        }
                    ),
                ),
            )
        db.execute(
            "INSERT INTO opsgenie_schedules (id, name, data) VALUES (?, ?, ?)",
            (
                plan.schedule_id,
                SCHEDULE_NAME,
                json_col(
                    {
                        "description": "Two weekly rotations; handoffs Monday and Wednesday 11:00",
                        "timezone": SCHEDULE_TZ,
                        "enabled": True,
                        "ownerTeam": {"id": plan.team_id, "name": TEAM_NAME},
                    }
                ),
            ),
        )
        for rotation in plan.rotations:
            participants = [
                {"type": "none"}
                if p is None
                else {"type": "user", "id": plan.user_ids[p.email], "username": p.email}
                for p in rotation.participants
            ]
            db.execute(
                "INSERT INTO opsgenie_rotations (id, schedule_id, seq, data) VALUES (?, ?, ?, ?)",
                (
                    rotation.id,
                    plan.schedule_id,
                    next_seq(db, "opsgenie_rotation"),
                    json_col(
                        {
                            "name": rotation.name,
                            "startDate": iso_z(rotation.start),
                            "type": rotation.type,
                            "length": rotation.length,
                            "participants": participants,
                        }
                    ),
                ),
            )
        for alert in SEED_ALERTS:
            person = people[alert.responder]
            created = now - alert.age
            data: dict[str, Any] = {
                "message": alert.message, "status": "open", "acknowledged": alert.acknowledged,
                "tags": list(alert.tags), "count": 1, "createdAt": iso_z(created, millis=True),
                "updatedAt": iso_z(created, millis=True), "source": "Datadog", "owner": "",
                "priority": alert.priority, "report": {},
                "responders": [{"type": "user", "id": plan.user_ids[person.email]}],
            }
            if alert.acknowledged:
                data["owner"] = person.email
                data["report"] = {"ackTime": int(SEED_ALERT_ACK_AFTER.total_seconds() * 1000),
                                  "acknowledgedBy": person.email}
            db.execute(
                "INSERT INTO opsgenie_alerts (id, tiny_id, alias, data) VALUES (?, ?, ?, ?)",
                (new_uuid(rng), next_seq(db, "opsgenie_alert_tiny"), None, json_col(data)),
            )

    @staticmethod
    def _insert_user(db: sqlite3.Connection, user: dict[str, Any]) -> None:
        data = {k: v for k, v in user.items() if k not in ("id", "username")}
        db.execute(
            "INSERT INTO opsgenie_users (id, username, seq, data) VALUES (?, ?, ?, ?)",
            (user["id"], user["username"], next_seq(db, "opsgenie_user"), json_col(data)),
        )

    # ---- envelopes ----------------------------------------------------------------------------------

    @staticmethod
    def _ok(
        req: _Req,
        data: Any = None,
        *,
        status: int = 200,
        extra: dict[str, Any] | None = None,
        result: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {}
        if result is not None:
            body["result"] = result
        if data is not None:
            body["data"] = data
        if extra:
            body.update(extra)
        body["took"] = _took(req.ctx.rng)
        body["requestId"] = req.ctx.request_id
        return json_response(status, body, {"X-Request-ID": req.ctx.request_id, **(headers or {})})

    @staticmethod
    def _error(ctx: Ctx, exc: _Error) -> httpx.Response:
        return vendor_error(
            "opsgenie",
            exc.status,
            exc.message,
            errors=exc.errors,
            request_id=ctx.request_id,
            headers={"X-Request-ID": ctx.request_id, **(exc.headers or {})},
        )

    def _accepted(
        self,
        req: _Req,
        kind: str,
        action: str,
        *,
        incident_id: str | None = None,
        alert_id: str | None = None,
        ok: bool = True,
        status: str | None = None,
    ) -> httpx.Response:
        """202 + requestId; the outcome is stored for `GET .../requests/{requestId}`."""
        data: dict[str, Any] = {
            "success": ok,
            "action": action,
            "processedAt": iso_z(req.ctx.now, millis=True),
            "integrationId": "00000000-0000-4000-8000-000000000000",
            "isSuccess": ok,
            "status": status or ("Request processed" if ok else "Failed"),
        }
        if incident_id is not None:
            data["incidentId"] = incident_id
        if alert_id is not None:
            data["alertId"] = alert_id
        req.db.execute(
            "INSERT INTO opsgenie_requests (id, kind, polls_left, data) VALUES (?, ?, ?, ?)",
            (req.ctx.request_id, kind, self._polls_for(req), json_col(data)),
        )
        return self._ok(req, status=202, result="Request will be processed")

    def _polls_for(self, req: _Req) -> int:
        fixed = self.pending_polls(req.db)
        if fixed is not None:
            return fixed
        # Its own stream, so the draw does not move the ids the handler takes from `ctx.rng`.
        return random.Random(f"{req.ctx.request_id}:pending").randint(0, PENDING_POLLS_MAX)

    @staticmethod
    def _page(req: _Req, items: list[Any], *, default_limit: int) -> tuple[list[Any], dict[str, str], int]:
        """Offset/limit paging like Opsgenie: the slice, the `paging` links, and the total."""
        try:
            offset = max(0, int(req.query.get("offset", "0")))
            limit = int(req.query.get("limit", str(default_limit)))
        except ValueError:
            raise _Error(422, "Invalid paging parameters", {"limit": "must be an integer"}) from None
        if limit < 1 or limit > MAX_LIMIT:
            raise _Error(422, "Invalid paging parameters", {"limit": f"must be between 1 and {MAX_LIMIT}"})
        total = len(items)
        url = req.request.url

        def link(off: int) -> str:
            params = dict(req.query)
            params.update({"offset": str(off), "limit": str(limit)})
            return str(url.copy_with(query=urlencode(params).encode()))

        paging = {"first": link(0), "last": link(max(0, ((total - 1) // limit) * limit))}
        if offset + limit < total:
            paging["next"] = link(offset + limit)
        if offset > 0:
            paging["prev"] = link(max(0, offset - limit))
        return items[offset : offset + limit], paging, total

    # ---- lookups ------------------------------------------------------------------------------------

    @staticmethod
    def _user_row(db: sqlite3.Connection, identifier: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM opsgenie_users WHERE id = ? OR username = ?", (identifier, identifier)
        ).fetchone()
        return row

    def _user(self, db: sqlite3.Connection, identifier: str) -> dict[str, Any]:
        row = self._user_row(db, identifier)
        if row is None:
            raise _Error(404, f"No user exists with identifier [{identifier}]")
        return self._user_json(row)

    @staticmethod
    def _user_json(row: sqlite3.Row) -> dict[str, Any]:
        return {"id": row["id"], "username": row["username"], **from_json_col(row["data"])}

    def _recipient(self, db: sqlite3.Connection, raw: dict[str, Any], field: str) -> dict[str, Any]:
        """A rotation participant / override user: `{"type": "none"}` or an existing user, else 422."""
        kind = raw.get("type")
        if kind == "none":
            return {"type": "none"}
        if kind != "user":
            raise _unprocessable(
                field, f"The sandbox supports participants of type user and none, not [{kind}]"
            )
        ident = raw.get("id") or raw.get("username")
        row = self._user_row(db, str(ident)) if ident else None
        if row is None:
            raise _unprocessable(field, f"User [{ident}] does not exist")
        return {"type": "user", "id": row["id"], "username": row["username"]}

    @staticmethod
    def _team_row(db: sqlite3.Connection, identifier: str, by: str) -> sqlite3.Row:
        column = "name" if by == "name" else "id"
        row: sqlite3.Row | None = db.execute(
            f"SELECT * FROM opsgenie_teams WHERE {column} = ?", (identifier,)
        ).fetchone()
        if row is None:
            raise _Error(404, f"No team exists with {column} [{identifier}]")
        return row

    @staticmethod
    def _schedule_row(db: sqlite3.Connection, identifier: str, by: str) -> sqlite3.Row:
        column = "name" if by == "name" else "id"
        row: sqlite3.Row | None = db.execute(
            f"SELECT * FROM opsgenie_schedules WHERE {column} = ?", (identifier,)
        ).fetchone()
        if row is None:
            raise _Error(404, f"No schedule exists with {column} [{identifier}]")
        return row

    def _schedule_for(self, req: _Req, param: str) -> sqlite3.Row:
        return self._schedule_row(req.db, req.match["identifier"], req.query.get(param, "id"))

    @staticmethod
    def _meta(schedule: sqlite3.Row) -> dict[str, Any]:
        data = from_json_col(schedule["data"])
        return {"id": schedule["id"], "name": schedule["name"], "enabled": bool(data.get("enabled", True))}

    @staticmethod
    def _rotation_rows(db: sqlite3.Connection, schedule_id: str) -> list[sqlite3.Row]:
        return list(
            db.execute("SELECT * FROM opsgenie_rotations WHERE schedule_id = ? ORDER BY seq", (schedule_id,))
        )

    @staticmethod
    def _rotation_json(row: sqlite3.Row) -> dict[str, Any]:
        data = from_json_col(row["data"])
        return {"id": row["id"], **data}

    def _schedule_json(self, db: sqlite3.Connection, row: sqlite3.Row, *, rotations: bool) -> dict[str, Any]:
        data = from_json_col(row["data"])
        out = {
            "id": row["id"],
            "name": row["name"],
            "description": data.get("description", ""),
            "timezone": data["timezone"],
            "enabled": bool(data.get("enabled", True)),
            "ownerTeam": data.get("ownerTeam") or {},
        }
        if rotations:
            out["rotations"] = [self._rotation_json(r) for r in self._rotation_rows(db, row["id"])]
        return out

    def _rotation_row(self, db: sqlite3.Connection, schedule_id: str, identifier: str) -> sqlite3.Row:
        for row in self._rotation_rows(db, schedule_id):
            if row["id"] == identifier:
                return row
        raise _Error(404, f"No rotation exists with id [{identifier}]")

    @staticmethod
    def _override_rows(db: sqlite3.Connection, schedule_id: str) -> list[sqlite3.Row]:
        return list(
            db.execute("SELECT * FROM opsgenie_overrides WHERE schedule_id = ? ORDER BY seq", (schedule_id,))
        )

    def _override_json(self, schedule: sqlite3.Row, row: sqlite3.Row) -> dict[str, Any]:
        return {"_parent": self._meta(schedule), "alias": row["alias"], **from_json_col(row["data"])}

    def _incident_row(self, db: sqlite3.Connection, identifier: str, by: str) -> sqlite3.Row:
        if by == "tiny":
            if not identifier.isdigit():
                raise _Error(404, f"No incident exists with tinyId [{identifier}]")
            row: sqlite3.Row | None = db.execute(
                "SELECT * FROM opsgenie_incidents WHERE tiny_id = ?", (int(identifier),)
            ).fetchone()
        else:
            row = db.execute("SELECT * FROM opsgenie_incidents WHERE id = ?", (identifier,)).fetchone()
        if row is None:
            raise _Error(404, f"No incident exists with {'tinyId' if by == 'tiny' else 'id'} [{identifier}]")
        return row

    @staticmethod
    def _incident_json(row: sqlite3.Row) -> dict[str, Any]:
        data = from_json_col(row["data"])
        return {"id": row["id"], "tinyId": str(row["tiny_id"]), **data}

    # ---- scheduling core ----------------------------------------------------------------------------

    @staticmethod
    def _domain(
        db: sqlite3.Connection, schedule_id: str
    ) -> tuple[list[Rotation], list[Override], dict[str, str]]:
        """Stored rotations and overrides as the scheduling core's types (+ rotation name -> id)."""
        rotations: list[Rotation] = []
        ids: dict[str, str] = {}
        for row in db.execute(
            "SELECT * FROM opsgenie_rotations WHERE schedule_id = ? ORDER BY seq", (schedule_id,)
        ):
            data = from_json_col(row["data"])
            ids[data["name"]] = row["id"]
            rotations.append(
                Rotation(
                    name=data["name"],
                    start=parse_iso(data["startDate"]),
                    participants=tuple(
                        p.get("username") if p.get("type") == "user" else None for p in data["participants"]
                    ),
                    type=data.get("type", "weekly"),
                    length=int(data.get("length", 1)),
                    end=parse_iso(data["endDate"]) if data.get("endDate") else None,
                )
            )
        overrides: list[Override] = []
        for row in db.execute(
            "SELECT * FROM opsgenie_overrides WHERE schedule_id = ? ORDER BY seq", (schedule_id,)
        ):
            data = from_json_col(row["data"])
            user = data["user"].get("username") if data["user"].get("type") == "user" else None
            overrides.append(
                Override(
                    user=user,
                    start=parse_iso(data["startDate"]),
                    end=parse_iso(data["endDate"]),
                    rotations=tuple(r["name"] for r in data.get("rotations", [])),
                    alias=row["alias"],
                )
            )
        return rotations, overrides, ids

    def _participant(self, db: sqlite3.Connection, username: str) -> dict[str, Any]:
        row = self._user_row(db, username)
        return {"id": row["id"] if row else "", "name": username, "type": "user"}

    # ---- account, users, teams, services ------------------------------------------------------------

    def _h_get_account(self, req: _Req) -> httpx.Response:
        users = int(req.db.execute("SELECT COUNT(*) FROM opsgenie_users").fetchone()[0])
        return self._ok(
            req,
            {
                "name": ACCOUNT_NAME,
                "userCount": users,
                "plan": {"maxUserCount": MAX_USERS, "name": "Standard", "isYearly": True},
            },
        )

    def _h_list_users(self, req: _Req) -> httpx.Response:
        sort = req.query.get("sortField", "username")
        if sort not in ("username", "fullName", "insertedAt"):
            raise _Error(422, "Invalid sort field", {"sortField": "must be username, fullName or insertedAt"})
        users = [self._user_json(r) for r in req.db.execute("SELECT * FROM opsgenie_users ORDER BY seq")]
        query = req.query.get("query", "").strip()
        if query:
            field, _, value = query.partition(":")
            users = (
                [u for u in users if value.lower() in str(u.get(field, "")).lower()]
                if value
                else [u for u in users if query.lower() in (u["username"] + " " + u["fullName"]).lower()]
            )
        if sort != "insertedAt":
            users.sort(key=lambda u: str(u.get(sort, "")).lower())
        if req.query.get("order", "asc") == "desc":
            users.reverse()
        page, paging, total = self._page(req, users, default_limit=100)
        return self._ok(req, page, extra={"totalCount": total, "paging": paging})

    def _h_get_user(self, req: _Req) -> httpx.Response:
        user = self._user(req.db, req.match["identifier"])
        user.setdefault("userAddress", {"country": "", "state": "", "city": "", "line": "", "zipCode": ""})
        return self._ok(req, user, extra={"expandable": ["contact"]})

    def _h_create_user(self, req: _Req) -> httpx.Response:
        body = req.body
        username = body["username"]
        if self._user_row(req.db, username) is not None:
            raise _unprocessable("username", f"User with username [{username}] already exists")
        count = int(req.db.execute("SELECT COUNT(*) FROM opsgenie_users").fetchone()[0])
        if count >= MAX_USERS:
            raise _Error(422, f"You have reached the maximum number of users ({MAX_USERS}) of your plan")
        role = body["role"].get("name") or body["role"].get("id") or "User"
        user = {
            "id": new_uuid(req.ctx.rng),
            "username": username,
            "fullName": body["fullName"],
            "role": {"id": "", "name": str(role).capitalize()},
            "timeZone": body.get("timeZone", "America/New_York"),
            "locale": body.get("locale", "en_US"),
            "tags": body.get("tags", []),
            "details": body.get("details", {}),
            "blocked": False,
            "verified": False,
            "createdAt": iso_z(req.ctx.now, millis=True),
        }
        self._insert_user(req.db, user)
        return self._ok(
            req,
            {"id": user["id"], "username": username, "name": body["fullName"]},
            status=201,
            result="Created",
        )

    def _h_update_user(self, req: _Req) -> httpx.Response:
        row = self._user_row(req.db, req.match["identifier"])
        if row is None:
            raise _Error(404, f"No user exists with identifier [{req.match['identifier']}]")
        data = from_json_col(row["data"])
        for key, value in (req.body or {}).items():
            if key == "username":
                continue
            data[key] = value
        req.db.execute("UPDATE opsgenie_users SET data = ? WHERE id = ?", (json_col(data), row["id"]))
        return self._ok(req, result="Updated")

    def _h_delete_user(self, req: _Req) -> httpx.Response:
        row = self._user_row(req.db, req.match["identifier"])
        if row is None:
            raise _Error(404, f"No user exists with identifier [{req.match['identifier']}]")
        req.db.execute("DELETE FROM opsgenie_users WHERE id = ?", (row["id"],))
        for team in list(req.db.execute("SELECT * FROM opsgenie_teams")):
            data = from_json_col(team["data"])
            data["members"] = [m for m in data.get("members", []) if m["user"]["id"] != row["id"]]
            req.db.execute("UPDATE opsgenie_teams SET data = ? WHERE id = ?", (json_col(data), team["id"]))
        return self._ok(req, result="Deleted")

    def _h_list_teams(self, req: _Req) -> httpx.Response:
        teams = [
            {"id": r["id"], "name": r["name"], "description": from_json_col(r["data"]).get("description", "")}
            for r in req.db.execute("SELECT * FROM opsgenie_teams ORDER BY name")
        ]
        return self._ok(req, teams, extra={"expandable": ["member"]})

    def _h_get_team(self, req: _Req) -> httpx.Response:
        row = self._team_row(req.db, req.match["identifier"], req.query.get("identifierType", "id"))
        data = from_json_col(row["data"])
        return self._ok(
            req,
            {
                "id": row["id"],
                "name": row["name"],
                "description": data.get("description", ""),
                "members": data.get("members", []),
            },
        )

    def _h_add_team_member(self, req: _Req) -> httpx.Response:
        row = self._team_row(req.db, req.match["identifier"], req.query.get("teamIdentifierType", "id"))
        user_ref = req.body["user"]
        ident = user_ref.get("id") or user_ref.get("username")
        user = self._user_row(req.db, str(ident)) if ident else None
        if user is None:
            raise _unprocessable("user", f"User [{ident}] does not exist")
        data = from_json_col(row["data"])
        members = data.setdefault("members", [])
        if all(m["user"]["id"] != user["id"] for m in members):
            members.append(
                {
                    "user": {"id": user["id"], "username": user["username"]},
                    "role": req.body.get("role", "user"),
                }
            )
            req.db.execute("UPDATE opsgenie_teams SET data = ? WHERE id = ?", (json_col(data), row["id"]))
        return self._ok(req, {"id": user["id"]}, result="Added")

    def _h_remove_team_member(self, req: _Req) -> httpx.Response:
        row = self._team_row(req.db, req.match["identifier"], req.query.get("teamIdentifierType", "id"))
        user = self._user_row(req.db, req.match["memberIdentifier"])
        data = from_json_col(row["data"])
        members = data.get("members", [])
        kept = [m for m in members if user is None or m["user"]["id"] != user["id"]]
        if user is None or len(kept) == len(members):
            raise _Error(
                404, f"User [{req.match['memberIdentifier']}] is not a member of team [{row['name']}]"
            )
        data["members"] = kept
        req.db.execute("UPDATE opsgenie_teams SET data = ? WHERE id = ?", (json_col(data), row["id"]))
        return self._ok(req, result="Removed")

    @staticmethod
    def _service_json(row: sqlite3.Row) -> dict[str, Any]:
        return {"id": row["id"], "name": row["name"], **from_json_col(row["data"])}

    def _h_list_services(self, req: _Req) -> httpx.Response:
        services = [
            self._service_json(r) for r in req.db.execute("SELECT * FROM opsgenie_services ORDER BY seq")
        ]
        query = req.query.get("query", "").strip().lower()
        if query:
            value = query.partition(":")[2] or query
            services = [s for s in services if value in s["name"].lower()]
        page, paging, total = self._page(req, services, default_limit=20)
        return self._ok(req, page, extra={"paging": paging, "totalCount": total})

    def _h_get_service(self, req: _Req) -> httpx.Response:
        row = req.db.execute(
            "SELECT * FROM opsgenie_services WHERE id = ?", (req.match["identifier"],)
        ).fetchone()
        if row is None:
            raise _Error(404, f"No service exists with id [{req.match['identifier']}]")
        return self._ok(req, self._service_json(row))

    # ---- schedules ----------------------------------------------------------------------------------

    def _h_list_schedules(self, req: _Req) -> httpx.Response:
        expand = "rotation" in req.query.get("expand", "").split(",")
        rows = list(req.db.execute("SELECT * FROM opsgenie_schedules ORDER BY name"))
        return self._ok(
            req,
            [self._schedule_json(req.db, r, rotations=expand) for r in rows],
            extra={"expandable": ["rotation"]},
        )

    def _h_get_schedule(self, req: _Req) -> httpx.Response:
        row = self._schedule_for(req, "identifierType")
        return self._ok(req, self._schedule_json(req.db, row, rotations=True))

    def _at(self, req: _Req) -> datetime:
        value = req.query.get("date")
        if not value:
            return req.ctx.now
        try:
            return parse_iso(value)
        except ValueError:
            raise _Error(422, "Invalid date", {"date": f"[{value}] is not a valid date"}) from None

    def _h_get_timeline(self, req: _Req) -> httpx.Response:
        schedule = self._schedule_for(req, "identifierType")
        tz = from_json_col(schedule["data"])["timezone"]
        start = self._at(req)
        interval = int(req.query.get("interval", "1") or 1)
        unit = req.query.get("intervalUnit", "weeks")
        if interval < 1:
            raise _Error(422, "Invalid interval", {"interval": "must be positive"})
        if unit == "days":
            end = start + timedelta(days=interval)
        elif unit == "months":
            local = start.astimezone(ZoneInfo(tz))
            month = local.month - 1 + interval
            year = local.year + month // 12
            last_day = calendar.monthrange(year, month % 12 + 1)[1]
            end = local.replace(year=year, month=month % 12 + 1, day=min(local.day, last_day))
        else:
            end = start + timedelta(weeks=interval)
        rotations, overrides, ids = self._domain(req.db, schedule["id"])
        expand = set(req.query.get("expand", "").split(","))

        def layer(shifts: list[Shift], only_overrides: bool = False) -> dict[str, Any]:
            out = []
            for order, rotation in enumerate(rotations):
                periods = [
                    self._period(req.db, s)
                    for s in shifts
                    if s.rotation == rotation.name and (s.override or not only_overrides)
                ]
                out.append(
                    {
                        "id": ids[rotation.name],
                        "name": rotation.name,
                        "order": float(order + 1),
                        "periods": periods,
                    }
                )
            return {"rotations": out}

        final = timeline(rotations, overrides, start, end, tz)
        data: dict[str, Any] = {
            "_parent": self._meta(schedule),
            "startDate": iso_z(start),
            "endDate": iso_z(end),
            "finalTimeline": layer(final),
        }
        if "base" in expand:
            data["baseTimeline"] = layer(timeline(rotations, [], start, end, tz))
        if "override" in expand:
            data["overrideTimeline"] = layer(final, only_overrides=True)
        if "forwarding" in expand:
            data["forwardingTimeline"] = {"rotations": []}
        return self._ok(req, data, extra={"expandable": ["base", "forwarding", "override"]})

    def _period(self, db: sqlite3.Connection, shift: Shift) -> dict[str, Any]:
        recipient: dict[str, Any] = (
            {"type": "none", "name": "none"} if shift.user is None else self._participant(db, shift.user)
        )
        return {
            "startDate": iso_z(shift.start),
            "endDate": iso_z(shift.end),
            "type": "override" if shift.override else "default",
            "recipient": recipient,
        }

    def _on_call_users(self, db: sqlite3.Connection, schedule_id: str, tz: str, at: datetime) -> list[str]:
        rotations, overrides, _ = self._domain(db, schedule_id)
        users: list[str] = []
        for shift in on_call_at(rotations, overrides, at, tz):
            if shift.user is not None and shift.user not in users:
                users.append(shift.user)
        return users

    def _on_calls(self, req: _Req, schedule: sqlite3.Row) -> dict[str, Any]:
        tz = from_json_col(schedule["data"])["timezone"]
        users = self._on_call_users(req.db, schedule["id"], tz, self._at(req))
        data: dict[str, Any] = {"_parent": self._meta(schedule)}
        if _bool_param(req.query.get("flat")):
            data["onCallRecipients"] = users  # flat: usernames (the inverted naming is Opsgenie's)
        else:
            data["onCallParticipants"] = [self._participant(req.db, u) for u in users]
        return data

    def _h_get_on_calls(self, req: _Req) -> httpx.Response:
        return self._ok(req, self._on_calls(req, self._schedule_for(req, "scheduleIdentifierType")))

    def _h_list_on_calls(self, req: _Req) -> httpx.Response:
        rows = list(req.db.execute("SELECT * FROM opsgenie_schedules ORDER BY name"))
        return self._ok(req, [self._on_calls(req, r) for r in rows])

    def _h_get_next_on_calls(self, req: _Req) -> httpx.Response:
        schedule = self._schedule_for(req, "scheduleIdentifierType")
        tz = from_json_col(schedule["data"])["timezone"]
        at = self._at(req)
        rotations, overrides, _ = self._domain(req.db, schedule["id"])
        horizon = at + timedelta(weeks=2 + 2 * max((r.length for r in rotations), default=1))
        shifts = [s for s in timeline(rotations, overrides, at, horizon, tz) if s.start > at]
        nxt: list[str] = []
        for rotation in rotations:
            first = next((s for s in shifts if s.rotation == rotation.name), None)
            if first is not None and first.user is not None and first.user not in nxt:
                nxt.append(first.user)
        exact: list[str] = []
        if shifts:
            change = min(s.start for s in shifts)
            exact = self._on_call_users(req.db, schedule["id"], tz, change)
        data: dict[str, Any] = {"_parent": self._meta(schedule)}
        if _bool_param(req.query.get("flat")):
            data["nextOnCallParticipants"] = nxt  # flat: usernames (inverted naming, as Opsgenie)
            data["exactNextOnCallParticipants"] = exact
        else:
            data["nextOnCallRecipients"] = [self._participant(req.db, u) for u in nxt]
            data["exactNextOnCallRecipients"] = [self._participant(req.db, u) for u in exact]
        return self._ok(req, data)

    # ---- rotations ----------------------------------------------------------------------------------

    def _rotation_fields(
        self,
        req: _Req,
        body: dict[str, Any],
        current: dict[str, Any] | None,
        schedule_id: str,
        rotation_id: str | None,
    ) -> dict[str, Any]:
        data = dict(current or {})
        if "name" in body:
            data["name"] = body["name"]
        elif current is None:
            count = len(self._rotation_rows(req.db, schedule_id))
            data["name"] = f"Rota{count + 1}"
        for row in self._rotation_rows(req.db, schedule_id):
            if row["id"] != rotation_id and from_json_col(row["data"])["name"] == data["name"]:
                raise _unprocessable("name", f"Rotation with name [{data['name']}] already exists")
        if "startDate" in body:
            data["startDate"] = iso_z(_half_hour(body["startDate"], "startDate"))
        if "endDate" in body:
            data["endDate"] = iso_z(_half_hour(body["endDate"], "endDate"))
        for key in ("type", "length", "timeRestriction"):
            if key in body:
                data[key] = body[key]
        data.setdefault("length", 1)
        if int(data["length"]) < 1:
            raise _unprocessable("length", "length must be a positive integer")
        if "participants" in body:
            if not body["participants"]:
                raise _unprocessable("participants", "participants can not be empty")
            data["participants"] = [self._recipient(req.db, p, "participants") for p in body["participants"]]
        if data.get("endDate") and parse_iso(data["endDate"]) <= parse_iso(data["startDate"]):
            raise _unprocessable("endDate", "endDate must be after startDate")
        return data

    def _h_list_rotations(self, req: _Req) -> httpx.Response:
        schedule = self._schedule_for(req, "scheduleIdentifierType")
        return self._ok(req, [self._rotation_json(r) for r in self._rotation_rows(req.db, schedule["id"])])

    def _h_get_rotation(self, req: _Req) -> httpx.Response:
        schedule = self._schedule_for(req, "scheduleIdentifierType")
        row = self._rotation_row(req.db, schedule["id"], req.match["id"])
        return self._ok(req, {**self._rotation_json(row), "_parent": self._meta(schedule)})

    def _h_create_rotation(self, req: _Req) -> httpx.Response:
        schedule = self._schedule_for(req, "scheduleIdentifierType")
        data = self._rotation_fields(req, req.body, None, schedule["id"], None)
        rotation_id = new_uuid(req.ctx.rng)
        req.db.execute(
            "INSERT INTO opsgenie_rotations (id, schedule_id, seq, data) VALUES (?, ?, ?, ?)",
            (rotation_id, schedule["id"], next_seq(req.db, "opsgenie_rotation"), json_col(data)),
        )
        return self._ok(req, {"id": rotation_id, "name": data["name"]}, status=201, result="Created")

    def _h_update_rotation(self, req: _Req) -> httpx.Response:
        schedule = self._schedule_for(req, "scheduleIdentifierType")
        row = self._rotation_row(req.db, schedule["id"], req.match["id"])
        # Like Opsgenie, shifts are always re-computed from startDate: new participants move everyone.
        data = self._rotation_fields(
            req, req.body or {}, from_json_col(row["data"]), schedule["id"], row["id"]
        )
        req.db.execute("UPDATE opsgenie_rotations SET data = ? WHERE id = ?", (json_col(data), row["id"]))
        return self._ok(req, {"id": row["id"], "name": data["name"]}, result="Updated")

    def _h_delete_rotation(self, req: _Req) -> httpx.Response:
        schedule = self._schedule_for(req, "scheduleIdentifierType")
        row = self._rotation_row(req.db, schedule["id"], req.match["id"])
        req.db.execute("DELETE FROM opsgenie_rotations WHERE id = ?", (row["id"],))
        return self._ok(req, result="Deleted")

    # ---- overrides ----------------------------------------------------------------------------------

    def _override_fields(self, req: _Req, schedule_id: str) -> dict[str, Any]:
        body = req.body
        start = _half_hour(body["startDate"], "startDate")
        end = _half_hour(body["endDate"], "endDate")
        if end <= start:
            raise _unprocessable("endDate", "endDate must be after startDate")
        rotations = []
        known = {r["id"]: from_json_col(r["data"])["name"] for r in self._rotation_rows(req.db, schedule_id)}
        for ref in body.get("rotations") or []:
            rid = ref.get("id")
            name = ref.get("name")
            if rid in known:
                rotations.append({"id": rid, "name": known[rid]})
            elif name in known.values():
                rotations.append({"id": next(k for k, v in known.items() if v == name), "name": name})
            else:
                raise _unprocessable("rotations", f"Rotation [{rid or name}] does not exist in the schedule")
        return {
            "user": self._recipient(req.db, body["user"], "user"),
            "startDate": iso_z(start),
            "endDate": iso_z(end),
            "rotations": rotations,
        }

    def _h_list_overrides(self, req: _Req) -> httpx.Response:
        schedule = self._schedule_for(req, "scheduleIdentifierType")
        return self._ok(
            req, [self._override_json(schedule, r) for r in self._override_rows(req.db, schedule["id"])]
        )

    def _override_row(self, req: _Req, schedule: sqlite3.Row) -> sqlite3.Row:
        row: sqlite3.Row | None = req.db.execute(
            "SELECT * FROM opsgenie_overrides WHERE schedule_id = ? AND alias = ?",
            (schedule["id"], req.match["alias"]),
        ).fetchone()
        if row is None:
            raise _Error(404, f"No override exists with alias [{req.match['alias']}]")
        return row

    def _h_get_override(self, req: _Req) -> httpx.Response:
        schedule = self._schedule_for(req, "scheduleIdentifierType")
        return self._ok(req, self._override_json(schedule, self._override_row(req, schedule)))

    def _h_create_override(self, req: _Req) -> httpx.Response:
        schedule = self._schedule_for(req, "scheduleIdentifierType")
        data = self._override_fields(req, schedule["id"])
        alias = req.body.get("alias") or new_uuid(req.ctx.rng)
        exists = req.db.execute(
            "SELECT 1 FROM opsgenie_overrides WHERE schedule_id = ? AND alias = ?", (schedule["id"], alias)
        ).fetchone()
        if exists:
            raise _unprocessable("alias", f"Override with alias [{alias}] already exists")
        req.db.execute(
            "INSERT INTO opsgenie_overrides (schedule_id, alias, seq, data) VALUES (?, ?, ?, ?)",
            (schedule["id"], alias, next_seq(req.db, "opsgenie_override"), json_col(data)),
        )
        return self._ok(req, {"alias": alias}, status=201, result="Created")

    def _h_update_override(self, req: _Req) -> httpx.Response:
        schedule = self._schedule_for(req, "scheduleIdentifierType")
        row = self._override_row(req, schedule)
        data = self._override_fields(req, schedule["id"])
        req.db.execute(
            "UPDATE opsgenie_overrides SET data = ? WHERE schedule_id = ? AND alias = ?",
            (json_col(data), schedule["id"], row["alias"]),
        )
        return self._ok(req, {"alias": row["alias"]}, result="Updated")

    def _h_delete_override(self, req: _Req) -> httpx.Response:
        schedule = self._schedule_for(req, "scheduleIdentifierType")
        row = self._override_row(req, schedule)
        req.db.execute(
            "DELETE FROM opsgenie_overrides WHERE schedule_id = ? AND alias = ?",
            (schedule["id"], row["alias"]),
        )
        return self._ok(req, result="Deleted")

    # ---- incidents ----------------------------------------------------------------------------------

    def _request_status(self, req: _Req, kind: str) -> httpx.Response:
        row = req.db.execute(
            "SELECT * FROM opsgenie_requests WHERE id = ? AND kind = ?", (req.match["requestId"], kind)
        ).fetchone()
        if row is None or row["polls_left"] > 0:
            if row is not None:
                req.db.execute(
                    "UPDATE opsgenie_requests SET polls_left = polls_left - 1 WHERE id = ?", (row["id"],)
                )
            raise _Error(
                404, "Request not processed yet", headers={"X-Opsgenie-Errortype": "RequestNotProcessed"}
            )
        return self._ok(req, from_json_col(row["data"]))

    def _h_get_request_status(self, req: _Req) -> httpx.Response:
        return self._request_status(req, "incident")

    def _h_get_alert_request_status(self, req: _Req) -> httpx.Response:
        return self._request_status(req, "alert")

    def _responders(self, db: sqlite3.Connection, refs: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """Responders as Opsgenie stores them (`{type, id}`); None if one does not exist."""
        out: list[dict[str, Any]] = []
        for ref in refs:
            kind = ref.get("type")
            if kind == "user":
                row = self._user_row(db, str(ref.get("id") or ref.get("username") or ""))
            elif kind == "team":
                by_id = db.execute("SELECT * FROM opsgenie_teams WHERE id = ?", (ref.get("id"),)).fetchone()
                row = (
                    by_id
                    or db.execute(
                        "SELECT * FROM opsgenie_teams WHERE name = ?", (ref.get("name"),)
                    ).fetchone()
                )
            else:
                row = None
            if row is None:
                return None
            responder = {"type": kind, "id": row["id"]}
            if responder not in out:
                out.append(responder)
        return out

    def _h_create_incident(self, req: _Req) -> httpx.Response:
        body = req.body
        now = iso_z(req.ctx.now, millis=True)
        service_ids = [
            body["serviceId"],
            *[s for s in body.get("impactedServices", []) if s != body["serviceId"]],
        ]
        for sid in service_ids:
            if req.db.execute("SELECT 1 FROM opsgenie_services WHERE id = ?", (sid,)).fetchone() is None:
                return self._accepted(
                    req, "incident", "Create", ok=False, status=f"Service with id [{sid}] does not exist"
                )
        responders = self._responders(req.db, body.get("responders", []))
        if responders is None:
            return self._accepted(req, "incident", "Create", ok=False, status="Responder does not exist")
        incident_id = new_uuid(req.ctx.rng)
        tiny = next_seq(req.db, "opsgenie_incident_tiny")
        data = {
            "message": body["message"],
            "description": body.get("description", ""),
            "status": "open",
            "isSeen": False,
            "tags": sorted(set(body.get("tags", []))),
            "createdAt": now,
            "updatedAt": now,
            "source": "API",
            "owner": "",
            "priority": body.get("priority", "P3"),
            "responders": responders,
            "ownerTeam": "",
            "extraProperties": body.get("details", {}),
            "serviceId": body["serviceId"],
            "impactedServices": service_ids,
            "notifyStakeholders": bool(body.get("notifyStakeholders", False)),
        }
        req.db.execute(
            "INSERT INTO opsgenie_incidents (id, tiny_id, data) VALUES (?, ?, ?)",
            (incident_id, tiny, json_col(data)),
        )
        # Opsgenie raises an associated alert for every incident.
        req.db.execute(
            "INSERT INTO opsgenie_alerts (id, tiny_id, alias, data) VALUES (?, ?, ?, ?)",
            (
                new_uuid(req.ctx.rng),
                next_seq(req.db, "opsgenie_alert_tiny"),
                incident_id,
                json_col(
                    {
                        "message": body["message"],
                        "status": "open",
                        "createdAt": now,
                        "incidentId": incident_id,
                    }
                ),
            ),
        )
        if body.get("note"):
            self._add_note(req, incident_id, body["note"])
        return self._accepted(req, "incident", "Create", incident_id=incident_id, status="Created")

    def _h_get_incident(self, req: _Req) -> httpx.Response:
        row = self._incident_row(req.db, req.match["identifier"], req.query.get("identifierType", "id"))
        return self._ok(req, self._incident_json(row))

    def _h_delete_incident(self, req: _Req) -> httpx.Response:
        row = self._incident_row(req.db, req.match["identifier"], req.query.get("identifierType", "id"))
        req.db.execute("DELETE FROM opsgenie_incidents WHERE id = ?", (row["id"],))
        return self._accepted(req, "incident", "Delete", incident_id=row["id"])

    def _h_list_incidents(self, req: _Req) -> httpx.Response:
        incidents = [self._incident_json(r) for r in req.db.execute("SELECT * FROM opsgenie_incidents")]
        incidents = [i for i in incidents if _matches(i, req.query.get("query", ""))]
        sort = req.query.get("sort", "createdAt")

        def key(i: dict[str, Any]) -> Any:
            return int(i["tinyId"]) if sort == "tinyId" else str(i.get(sort, ""))

        incidents.sort(key=key, reverse=req.query.get("order", "desc") == "desc")
        page, paging, total = self._page(req, incidents, default_limit=20)
        return self._ok(req, page, extra={"paging": paging, "totalCount": total})

    def _update_incident(
        self, req: _Req, action: str, change: Callable[[dict[str, Any]], None]
    ) -> httpx.Response:
        row = self._incident_row(req.db, req.match["identifier"], req.query.get("identifierType", "id"))
        data = from_json_col(row["data"])
        change(data)
        data["updatedAt"] = iso_z(req.ctx.now, millis=True)
        req.db.execute("UPDATE opsgenie_incidents SET data = ? WHERE id = ?", (json_col(data), row["id"]))
        note = (req.body or {}).get("note") if isinstance(req.body, dict) else req.query.get("note")
        if note and action != "AddNote":
            self._add_note(req, row["id"], note)
        return self._accepted(req, "incident", action, incident_id=row["id"])

    @staticmethod
    def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
        def change(data: dict[str, Any]) -> None:
            data[key] = value

        return change

    def _h_incident_close(self, req: _Req) -> httpx.Response:
        return self._update_incident(req, "Close", self._set("status", "closed"))

    def _h_incident_resolve(self, req: _Req) -> httpx.Response:
        return self._update_incident(req, "Resolve", self._set("status", "resolved"))

    def _h_incident_reopen(self, req: _Req) -> httpx.Response:
        return self._update_incident(req, "Reopen", self._set("status", "open"))

    def _h_incident_priority(self, req: _Req) -> httpx.Response:
        return self._update_incident(req, "UpdatePriority", self._set("priority", req.body["priority"]))

    def _add_note(self, req: _Req, incident_id: str, note: str) -> None:
        req.db.execute(
            "INSERT INTO opsgenie_incident_notes (incident_id, data) VALUES (?, ?)",
            (
                incident_id,
                json_col({"note": note, "owner": "API", "createdAt": iso_z(req.ctx.now, millis=True)}),
            ),
        )

    def _h_incident_add_note(self, req: _Req) -> httpx.Response:
        row = self._incident_row(req.db, req.match["identifier"], req.query.get("identifierType", "id"))
        self._add_note(req, row["id"], req.body["note"])
        return self._update_incident(req, "AddNote", lambda data: None)

    def _h_incident_list_notes(self, req: _Req) -> httpx.Response:
        row = self._incident_row(req.db, req.match["identifier"], req.query.get("identifierType", "id"))
        return self._notes_page(req, "opsgenie_incident_notes", "incident_id", row["id"])

    def _notes_page(self, req: _Req, table: str, owner: str, owner_id: str) -> httpx.Response:
        """One page of an incident's or alert's notes: newest first unless `order=asc`, paged by the
        `offset` cursor (a note's sequence number) with `paging.next`."""
        desc = req.query.get("order", "desc") == "desc"
        limit = int(req.query.get("limit", "20"))
        rows = list(
            req.db.execute(
                f"SELECT * FROM {table} WHERE {owner} = ? ORDER BY seq " + ("DESC" if desc else "ASC"),
                (owner_id,),
            )
        )
        cursor = req.query.get("offset")
        if cursor and cursor.isdigit():
            c = int(cursor)
            rows = [r for r in rows if (r["seq"] < c if desc else r["seq"] > c)]
        page = rows[:limit]
        notes = [{**from_json_col(r["data"]), "offset": str(r["seq"])} for r in page]
        paging: dict[str, str] = {}
        if len(rows) > limit:
            params = dict(req.query)
            params.update({"offset": str(page[-1]["seq"]), "direction": "next"})
            paging["next"] = str(req.request.url.copy_with(query=urlencode(params).encode()))
        return self._ok(req, notes, extra={"paging": paging})

    def _h_incident_add_responders(self, req: _Req) -> httpx.Response:
        self._incident_row(req.db, req.match["identifier"], req.query.get("identifierType", "id"))
        responders = self._responders(req.db, req.body["responder"])
        if responders is None:
            return self._accepted(
                req, "incident", "AddResponder", ok=False, status="Responder does not exist"
            )
        new = responders

        def change(data: dict[str, Any]) -> None:
            data["responders"] = data.get("responders", []) + [
                r for r in new if r not in data.get("responders", [])
            ]

        return self._update_incident(req, "AddResponder", change)

    def _h_incident_add_tags(self, req: _Req) -> httpx.Response:
        tags = req.body["tags"]
        return self._update_incident(
            req, "AddTags", lambda d: d.update(tags=sorted(set(d.get("tags", [])) | set(tags)))
        )

    def _h_incident_remove_tags(self, req: _Req) -> httpx.Response:
        tags = set(req.query["tags"].split(","))
        return self._update_incident(
            req, "RemoveTags", lambda d: d.update(tags=[t for t in d.get("tags", []) if t not in tags])
        )

    def _h_incident_add_details(self, req: _Req) -> httpx.Response:
        details = req.body["details"]
        return self._update_incident(
            req, "AddDetails", lambda d: d.update(extraProperties={**d.get("extraProperties", {}), **details})
        )

    def _h_incident_remove_details(self, req: _Req) -> httpx.Response:
        keys = set(req.query["keys"].split(","))
        return self._update_incident(
            req,
            "RemoveDetails",
            lambda d: d.update(
                extraProperties={k: v for k, v in d.get("extraProperties", {}).items() if k not in keys}
            ),
        )

    # ---- incident timeline --------------------------------------------------------------------------

    def _h_add_timeline_entry(self, req: _Req) -> httpx.Response:
        incident = self._incident_row(req.db, req.match["incidentId"], "id")
        body = req.body
        event_time = (
            iso_z(parse_iso(body["time"]), millis=True)
            if body.get("time")
            else iso_z(req.ctx.now, millis=True)
        )
        entry_id = new_uuid(req.ctx.rng)
        entry = {
            "id": entry_id,
            "group": "custom",
            "type": "CustomUserEntry",
            "eventTime": event_time,
            "hidden": False,
            "title": {"type": "plain_text", "content": (body.get("title") or {}).get("content", "")},
            "description": {"type": "plain_text", "content": body["description"]["content"]},
            "actor": {"name": "API", "type": "system"},
        }
        req.db.execute(
            "INSERT INTO opsgenie_timeline_entries (id, incident_id, seq, data) VALUES (?, ?, ?, ?)",
            (entry_id, incident["id"], next_seq(req.db, "opsgenie_timeline"), json_col(entry)),
        )
        return self._ok(req, entry, status=201)

    def _h_list_timeline_entries(self, req: _Req) -> httpx.Response:
        incident = self._incident_row(req.db, req.match["incidentId"], "id")
        limit = int(req.query.get("limit", "20"))
        rows = list(
            req.db.execute(
                "SELECT * FROM opsgenie_timeline_entries WHERE incident_id = ? ORDER BY seq",
                (incident["id"],),
            )
        )
        cursor = req.query.get("offset")
        if cursor and cursor.isdigit():
            rows = [r for r in rows if r["seq"] > int(cursor)]
        if req.query.get("order") == "desc":
            rows.reverse()
        page = rows[:limit]
        data: dict[str, Any] = {"entries": [from_json_col(r["data"]) for r in page]}
        if len(rows) > limit and req.query.get("order") != "desc":
            data["nextOffset"] = str(page[-1]["seq"])
        return self._ok(req, data)

    # ---- alerts -------------------------------------------------------------------------------------

    @staticmethod
    def _alert_lookup(db: sqlite3.Connection, identifier: str, by: str) -> sqlite3.Row | None:
        if by == "tiny":
            found: sqlite3.Row | None = db.execute(
                "SELECT * FROM opsgenie_alerts WHERE tiny_id = ?",
                (int(identifier) if identifier.isdigit() else -1,),
            ).fetchone()
            return found
        column = "alias" if by == "alias" else "id"
        # Several alerts may share an alias once closed: the open one (else the latest) is meant.
        found = db.execute(
            f"SELECT * FROM opsgenie_alerts WHERE {column} = ? "
            "ORDER BY json_extract(data, '$.status') = 'open' DESC, tiny_id DESC",
            (identifier,),
        ).fetchone()
        return found

    def _alert_row(self, req: _Req) -> sqlite3.Row:
        by = req.query.get("identifierType", "id")
        row = self._alert_lookup(req.db, req.match["identifier"], by)
        if row is None:
            name = {"tiny": "tinyId", "alias": "alias"}.get(by, "id")
            raise _Error(404, f"Alert with {name} [{req.match['identifier']}] does not exist")
        return row

    @staticmethod
    def _alert_json(row: sqlite3.Row) -> dict[str, Any]:
        """An alert as GET /v2/alerts/{id} shows it (`Alert`); incidents' own alerts keep few fields."""
        data = from_json_col(row["data"])
        created = data.get("createdAt")
        return {
            "id": row["id"],
            "tinyId": str(row["tiny_id"]),
            "alias": row["alias"] or row["id"],
            "message": data.get("message", ""),
            "status": data.get("status", "open"),
            "acknowledged": bool(data.get("acknowledged", False)),
            "isSeen": bool(data.get("isSeen", False)),
            "tags": data.get("tags", []),
            "snoozed": False,
            "count": int(data.get("count", 1)),
            "lastOccurredAt": data.get("lastOccurredAt", created),
            "createdAt": created,
            "updatedAt": data.get("updatedAt", created),
            "source": data.get("source", "API"),
            "owner": data.get("owner", ""),
            "priority": data.get("priority", "P3"),
            "responders": data.get("responders", []),
            "integration": {"id": "00000000-0000-4000-8000-000000000000", "name": "Default API",
                            "type": "API"},
            "report": data.get("report", {}),
            "description": data.get("description", ""),
            "details": data.get("details", {}),
            "entity": data.get("entity", ""),
            "actions": data.get("actions", []),
        }

    def _h_create_alert(self, req: _Req) -> httpx.Response:
        body = req.body
        now = iso_z(req.ctx.now, millis=True)
        responders = self._responders(req.db, body.get("responders", []))
        if responders is None:
            return self._accepted(req, "alert", "Create", ok=False, status="Responder does not exist")
        alias = body.get("alias")
        if alias:
            # De-duplication: an open alert with the same alias counts one more occurrence.
            existing = req.db.execute(
                "SELECT * FROM opsgenie_alerts WHERE alias = ? AND json_extract(data, '$.status') = 'open'",
                (alias,),
            ).fetchone()
            if existing is not None:
                data = from_json_col(existing["data"])
                data.update(count=int(data.get("count", 1)) + 1, lastOccurredAt=now, updatedAt=now)
                req.db.execute(
                    "UPDATE opsgenie_alerts SET data = ? WHERE id = ?", (json_col(data), existing["id"])
                )
                return self._accepted(req, "alert", "Create", alert_id=existing["id"], status="Alert created")
        alert_id = new_uuid(req.ctx.rng)
        data = {
            "message": body["message"],
            "status": "open",
            "acknowledged": False,
            "tags": sorted(set(body.get("tags", []))),
            "count": 1,
            "createdAt": now,
            "updatedAt": now,
            "lastOccurredAt": now,
            "source": body.get("source") or "API",
            "owner": "",
            "priority": body.get("priority", "P3"),
            "responders": responders,
            "description": body.get("description", ""),
            "details": body.get("details", {}),
            "entity": body.get("entity", ""),
            "actions": body.get("actions", []),
            "report": {},
        }
        req.db.execute(
            "INSERT INTO opsgenie_alerts (id, tiny_id, alias, data) VALUES (?, ?, ?, ?)",
            (alert_id, next_seq(req.db, "opsgenie_alert_tiny"), alias or alert_id, json_col(data)),
        )
        if body.get("note"):
            self._add_alert_note(req, alert_id, body["note"], body.get("user"))
        return self._accepted(req, "alert", "Create", alert_id=alert_id, status="Alert created")

    def _alerts_matching(self, req: _Req) -> list[dict[str, Any]]:
        alerts = [self._alert_json(r) for r in req.db.execute("SELECT * FROM opsgenie_alerts")]
        return [a for a in alerts if _matches(a, req.query.get("query", ""))]

    def _h_list_alerts(self, req: _Req) -> httpx.Response:
        alerts = self._alerts_matching(req)
        sort = req.query.get("sort", "createdAt")

        def key(a: dict[str, Any]) -> Any:
            return int(a["tinyId"]) if sort == "tinyId" else str(a.get(sort, ""))

        alerts.sort(key=key, reverse=req.query.get("order", "desc") == "desc")
        page, paging, _ = self._page(req, alerts, default_limit=20)
        # The list shows `BaseAlert`: no description, details, entity or actions.
        page = [{k: v for k, v in a.items() if k not in ("description", "details", "entity", "actions")}
                for a in page]
        return self._ok(req, page, extra={"paging": paging})

    def _h_count_alerts(self, req: _Req) -> httpx.Response:
        return self._ok(req, {"count": len(self._alerts_matching(req))})

    def _h_get_alert(self, req: _Req) -> httpx.Response:
        return self._ok(req, self._alert_json(self._alert_row(req)))

    def _alert_action(
        self, req: _Req, action: str, change: Callable[[dict[str, Any], str], None]
    ) -> httpx.Response:
        """An asynchronous alert action: 202 at once; an unknown alert fails in the request status."""
        row = self._alert_lookup(req.db, req.match["identifier"], req.query.get("identifierType", "id"))
        if row is None:
            return self._accepted(req, "alert", action, ok=False, status="Alert does not exist")
        body = req.body if isinstance(req.body, dict) else {}
        user = str(body.get("user") or "API")
        data = from_json_col(row["data"])
        change(data, user)
        data["updatedAt"] = iso_z(req.ctx.now, millis=True)
        req.db.execute("UPDATE opsgenie_alerts SET data = ? WHERE id = ?", (json_col(data), row["id"]))
        if body.get("note"):
            self._add_alert_note(req, row["id"], body["note"], body.get("user"))
        return self._accepted(req, "alert", action, alert_id=row["id"])

    def _since_created_ms(self, req: _Req, data: dict[str, Any]) -> int:
        created = parse_iso(data.get("createdAt") or iso_z(req.ctx.now))
        return max(0, int((req.ctx.now - created).total_seconds() * 1000))

    def _h_acknowledge_alert(self, req: _Req) -> httpx.Response:
        def change(data: dict[str, Any], user: str) -> None:
            if data.get("acknowledged"):
                return  # acknowledging an acknowledged alert changes nothing
            data["acknowledged"] = True
            if not data.get("owner") and self._user_row(req.db, user) is not None:
                data["owner"] = user  # the user who acknowledges an alert owns it
            data["report"] = {**data.get("report", {}), "ackTime": self._since_created_ms(req, data),
                              "acknowledgedBy": user}

        return self._alert_action(req, "Acknowledge", change)

    def _h_close_alert(self, req: _Req) -> httpx.Response:
        def change(data: dict[str, Any], user: str) -> None:
            data["status"] = "closed"
            data["report"] = {**data.get("report", {}), "closeTime": self._since_created_ms(req, data),
                              "closedBy": user}

        return self._alert_action(req, "Close", change)

    def _add_alert_note(self, req: _Req, alert_id: str, note: str, user: str | None) -> None:
        req.db.execute(
            "INSERT INTO opsgenie_alert_notes (alert_id, data) VALUES (?, ?)",
            (alert_id, json_col({"note": note, "owner": user or "API",
                                 "createdAt": iso_z(req.ctx.now, millis=True)})),
        )

    def _h_add_alert_note(self, req: _Req) -> httpx.Response:
        # The note itself is added by `_alert_action` (it adds the body's `note` to any action).
        return self._alert_action(req, "AddNote", lambda data, user: None)

    def _h_list_alert_notes(self, req: _Req) -> httpx.Response:
        return self._notes_page(req, "opsgenie_alert_notes", "alert_id", self._alert_row(req)["id"])

    def _h_add_alert_tags(self, req: _Req) -> httpx.Response:
        def change(data: dict[str, Any], user: str) -> None:
            data["tags"] = sorted(set(data.get("tags", [])) | {str(t) for t in req.body["tags"]})

        return self._alert_action(req, "AddTags", change)

    # ---- schedule export ----------------------------------------------------------------------------

    def _h_export_schedule(self, req: _Req) -> httpx.Response:
        """The schedule as an iCalendar file: one event per final-timeline shift, a week back to 12 ahead."""
        schedule = self._schedule_for(req, "identifierType")
        tz = from_json_col(schedule["data"])["timezone"]
        rotations, overrides, _ = self._domain(req.db, schedule["id"])
        start, end = req.ctx.now - timedelta(weeks=1), req.ctx.now + timedelta(weeks=12)

        def stamp(dt: datetime) -> str:
            return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

        def text(value: str) -> str:  # RFC 5545 3.3.11 escaping
            return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")

        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Opsgenie//oncall sandbox//EN",
                 "CALSCALE:GREGORIAN", f"X-WR-CALNAME:{text(schedule['name'])}", f"X-WR-TIMEZONE:{tz}"]
        for shift in timeline(rotations, overrides, start, end, tz):
            who = shift.user or "none"
            kind = ", override" if shift.override else ""
            lines += ["BEGIN:VEVENT", f"UID:{schedule['id']}-{stamp(shift.start)}-{len(lines)}@opsgenie",
                      f"DTSTAMP:{stamp(req.ctx.now)}", f"DTSTART:{stamp(shift.start)}",
                      f"DTEND:{stamp(shift.end)}", f"SUMMARY:{text(f'{who} ({shift.rotation}{kind})')}",
                      "END:VEVENT"]
        lines.append("END:VCALENDAR")
        content = ("\r\n".join(lines) + "\r\n").encode()
        filename = f"{schedule['name']}.ics"
        return httpx.Response(200, content=content, headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Request-ID": req.ctx.request_id,
        })


def _matches(incident: dict[str, Any], query: str) -> bool:
    """A subset of Opsgenie's search syntax: `field:value` terms joined by AND (or spaces), `NOT`-less.

    Fields: status, message (substring), priority, tag/tags, tinyId, serviceId, alias, acknowledged (alerts),
    and createdAt with `>`,
    `>=`, `<`, `<=` against epoch milliseconds or an ISO date. An unknown field raises 422.
    """
    text = query.strip()
    if not text or text == "*":
        return True
    terms: list[str] = []
    for chunk in _split_query(text):
        if chunk.upper() == "AND":
            continue
        terms.append(chunk)
    for term in terms:
        for op in (">=", "<=", ">", "<"):
            if term.startswith("createdAt" + op):
                bound = _as_datetime(term[len("createdAt" + op) :])
                created = parse_iso(incident["createdAt"])
                ok = {
                    ">=": created >= bound,
                    "<=": created <= bound,
                    ">": created > bound,
                    "<": created < bound,
                }[op]
                if not ok:
                    return False
                break
        else:
            field, colon, value = term.partition(":")
            if not colon:
                if term.lower() not in incident.get("message", "").lower():
                    return False
                continue
            value = value.strip('"').lower()
            if field == "status":
                if incident.get("status", "").lower() != value:
                    return False
            elif field == "message":
                if value not in incident.get("message", "").lower():
                    return False
            elif field == "priority":
                if incident.get("priority", "").lower() != value:
                    return False
            elif field in ("tag", "tags"):
                if value not in [t.lower() for t in incident.get("tags", [])]:
                    return False
            elif field == "tinyId":
                if incident["tinyId"] != value:
                    return False
            elif field == "alias":
                if str(incident.get("alias", "")).lower() != value:
                    return False
            elif field == "acknowledged":
                if str(bool(incident.get("acknowledged", False))).lower() != value:
                    return False
            elif field == "serviceId":
                if value not in [s.lower() for s in incident.get("impactedServices", [])]:
                    return False
            else:
                raise _Error(422, f"Invalid query: unsupported field [{field}]", {"query": query})
    return True


def _split_query(text: str) -> list[str]:
    out: list[str] = []
    current = ""
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            current += ch
        elif ch.isspace() and not quoted:
            if current:
                out.append(current)
            current = ""
        else:
            current += ch
    if current:
        out.append(current)
    return out


def _as_datetime(value: str) -> datetime:
    value = value.strip().strip('"')
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    try:
        return parse_iso(value)
    except ValueError:
        raise _Error(422, f"Invalid query: bad date [{value}]", {"query": value}) from None
