"""The JSM Operations emulator (prefix `atlassian` = the API gateway `https://api.atlassian.com`), which also
routes the gateway's JSM Incident API (`/jsm/incidents/cloudId/{cloudId}/v1/...`, jsm_incidents.py).

Serves `/jsm/ops/api/{cloudId}/v1/...` as `jsm-ops-excerpt.openapi.yaml` describes it (specs/jsm-ops.json):
schedules (list, get), rotations (list, create, get, update, delete), overrides (list, create, get, update,
delete), the schedule timeline, on-calls and next on-calls, and the operations teams.

- Auth is the gateway's: `Authorization: Basic <email:API token>` (any is accepted); without it, or with a
  cloud id other than `SANDBOX_CLOUD_ID`, the gateway answers `{"code": 401|404, "message"}` itself.
- JSM's own errors are `{"errors": [{"title", "code"}]}`: 404 for an unknown schedule, rotation or override,
  409 for a second rotation of one name, 422 for a value it refuses (a participant or override responder
  whose account id is not an account of the site (`jira_users`), a participant type other than `user` and
  `noone`, an end before its start, a rotation id not in the schedule).
- Lists page with `offset` + `size` (default 25, at most 50) and give the next page as `links.next`, a URL
  relative to the API root without the cloud id, like the spec's example `/v1/schedules?offset=50&size=25`.
  Schedules filter with `query`: the name, case-insensitively, exactly, or as a prefix when it ends in `*`.
- Participants are `{"type": "user", "id": <accountId>}` or `{"type": "noone"}`; overrides carry a
  `responder` and `rotationIds` (none: every rotation); the override alias is always generated. JSM has no
  :00/:30 rule for rotation and override times (that is Opsgenie's; the JSM spec says nothing of it).
- The timeline (`interval`, `intervalUnit` days | weeks | months, `date`) starts at the beginning of the
  `intervalUnit` containing `date` (default: now) in the schedule's time zone (weeks begin on Monday) and ends
  `interval` units later on the wall clock; at most a year back and two years ahead, else 422. Periods are
  `base` or `override` with `responder: {id, type}` (`{"type": "noone"}` for the placeholder). Timelines,
  on-calls and next on-calls are computed by the CLI's own scheduling core (`oncall_cli.scheduling.timeline`),
  as the Opsgenie emulator does, so the two agree.
- On-calls: `flat=true` -> `onCallUsers` (account ids), else `onCallParticipants` `[{id, type: user}]`; next
  on-calls: the holder of each rotation's next shift after `date` (`nextOnCallUsers` /
  `nextOnCallParticipants`).

Seed: the operations team "Engineering" (`SANDBOX_TEAM_ID`) and the schedule "Engineering_schedule"
(America/New_York, that team's), whose rotations copy the Opsgenie seed's (same names, starts, types, lengths
and participants in order, `noone` for Opsgenie's `none`), as Atlassian's migration copies them. Tables
`jsm_*`.
"""

from __future__ import annotations

import calendar
import random
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

from oncall_cli.sandbox import jsm_alerts
from oncall_cli.sandbox.base import (
    Ctx,
    Routes,
    SeedPerson,
    from_json_col,
    gateway_error,
    iso_z,
    json_col,
    json_response,
    new_uuid,
    next_seq,
    parse_body,
    parse_iso,
    vendor_error,
)
from oncall_cli.sandbox.emulator import SANDBOX_CLOUD_ID, SANDBOX_TEAM_ID
from oncall_cli.sandbox.jira import account_exists, create_directory_schema
from oncall_cli.sandbox.jira_issues import create_issue_schema
from oncall_cli.sandbox.jsm_incidents import ROUTES as INCIDENT_ROUTES
from oncall_cli.sandbox.jsm_incidents import Handler as IncidentHandler
from oncall_cli.sandbox.jsm_incidents import counts as incident_counts
from oncall_cli.sandbox.jsm_incidents import create_schema as create_incident_schema
from oncall_cli.sandbox.jsm_incidents import handle as handle_incident
from oncall_cli.sandbox.seed import (
    SCHEDULE_NAME,
    SCHEDULE_TZ,
    TEAM_NAME,
    atlassian_account_id,
    opsgenie_plan,
)
from oncall_cli.scheduling.model import Override, Rotation, Shift
from oncall_cli.scheduling.timeline import on_call_at, timeline

DEFAULT_SIZE = 25
MAX_SIZE = 50
API = "/jsm/ops/api/{cloudId}"
_SCHEDULE = API + "/v1/schedules/{scheduleId}"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jsm_teams (team_id TEXT PRIMARY KEY, name TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jsm_schedules (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jsm_rotations (id TEXT PRIMARY KEY, schedule_id TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jsm_overrides (schedule_id TEXT NOT NULL, alias TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (schedule_id, alias));
"""


class _Error(Exception):
    """A JSM error answer (`{"errors": [...]}`); `gateway` for the API gateway's own `{"code", "message"}`."""

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None, *,
                 gateway: bool = False):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.gateway = gateway


def _unprocessable(field: str, message: str) -> _Error:
    return _Error(422, message, {field: message})


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

    def int_param(self, name: str, default: int) -> int:
        raw = self.param(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise _unprocessable(name, f"{name} must be an integer") from None

    def expands(self) -> set[str]:
        return {x.strip() for v in self.request.url.params.get_list("expand") for x in str(v).split(",")}


Handler = Callable[["JsmEmulator", _Req], httpx.Response]

_ROUTES: list[tuple[str, str, str]] = [
    ("GET", API + "/v1/schedules", "list_schedules"),
    ("GET", API + "/v1/schedules/{id}", "get_schedule"),
    ("GET", _SCHEDULE + "/rotations", "list_rotations"),
    ("POST", _SCHEDULE + "/rotations", "create_rotation"),
    ("GET", _SCHEDULE + "/rotations/{id}", "get_rotation"),
    ("PATCH", _SCHEDULE + "/rotations/{id}", "update_rotation"),
    ("DELETE", _SCHEDULE + "/rotations/{id}", "delete_rotation"),
    ("GET", _SCHEDULE + "/overrides", "list_overrides"),
    ("POST", _SCHEDULE + "/overrides", "create_override"),
    ("GET", _SCHEDULE + "/overrides/{alias}", "get_override"),
    ("PUT", _SCHEDULE + "/overrides/{alias}", "update_override"),
    ("DELETE", _SCHEDULE + "/overrides/{alias}", "delete_override"),
    ("GET", _SCHEDULE + "/timeline", "get_timeline"),
    ("GET", _SCHEDULE + "/on-calls", "get_on_calls"),
    ("GET", _SCHEDULE + "/next-on-calls", "get_next_on_calls"),
    ("GET", API + "/v1/teams", "list_teams"),
]
_IncidentRoute = tuple[IncidentHandler, bool]
_ALL: list[tuple[str, str, str | _IncidentRoute | jsm_alerts.Handler]] = [
    *_ROUTES,
    *jsm_alerts.ROUTES,
    *((m, t, (h, experimental)) for m, t, h, experimental in INCIDENT_ROUTES),
]
_ROUTER = Routes(_ALL)
OPERATIONS: tuple[str, ...] = tuple(f"{m} {t}" for m, t, _ in _ALL)
"""Every operation the gateway answers (names as in specs/jsm-ops.json after its `/jsm/ops` base, and in
specs/jsm-incidents.json after its `/jsm/incidents` base)."""
SCHEDULE_OPERATIONS: tuple[str, ...] = tuple(f"{m} {t}" for m, t, _ in _ROUTES)
"""JSM Operations' own schedule operations (schedules, rotations, overrides, on-calls, teams)."""
ALERT_OPERATIONS: tuple[str, ...] = tuple(f"{m} {t}" for m, t, _ in jsm_alerts.ROUTES)
"""JSM Operations' alert operations (jsm_alerts.py)."""


def _add_months(local: datetime, months: int) -> datetime:
    month = local.month - 1 + months
    year = local.year + month // 12
    last_day = calendar.monthrange(year, month % 12 + 1)[1]
    return local.replace(year=year, month=month % 12 + 1, day=min(local.day, last_day))


def _wall(naive: datetime, z: ZoneInfo) -> datetime:
    """A wall-clock time of zone `z`, in UTC (a time in a DST gap resolves like the scheduling core does;
    UTC because Python subtracts two times of one ZoneInfo by their wall clocks)."""
    return naive.replace(tzinfo=z, fold=0).astimezone(UTC)


def timeline_window(at: datetime, interval: int, unit: str, tz: str) -> tuple[datetime, datetime]:
    """JSM's timeline range (UTC): from the beginning of the `unit` containing `at` (in `tz`; weeks begin on
    Monday) to `interval` units later on the wall clock. (Spec: interval=2, intervalUnit=months,
    date=2023-12-15T15:20:25+00:00 gives 2023-12-01T00:00 to 2024-02-01T00:00.)"""
    z = ZoneInfo(tz)
    local = at.astimezone(z).replace(tzinfo=None)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "days":
        return _wall(day, z), _wall(day + timedelta(days=interval), z)
    if unit == "months":
        first = day.replace(day=1)
        return _wall(first, z), _wall(_add_months(first, interval), z)
    monday = day - timedelta(days=day.weekday())
    return _wall(monday, z), _wall(monday + timedelta(weeks=interval), z)


class JsmEmulator:
    """JSM Operations schedules over SQLite (tables `jsm_*`), behind the `atlassian` gateway prefix."""

    prefix = "atlassian"
    table_prefix = "jsm"
    seed_stream = "opsgenie"
    """The seed replays the Opsgenie stream's schedule draws (seed.opsgenie_plan) to copy its rotations."""

    # ---- ServiceEmulator ----------------------------------------------------------------------------

    def create_schema(self, db: sqlite3.Connection) -> None:
        db.executescript(_SCHEMA)
        create_directory_schema(db)  # participants are checked against the site's accounts
        create_issue_schema(db)  # the Incident API's incidents are the site's issues
        create_incident_schema(db)
        jsm_alerts.create_schema(db)

    def operation(self, method: str, path: str) -> str | None:
        return _ROUTER.operation(method, path)

    def handle(self, ctx: Ctx, request: httpx.Request, path: str) -> httpx.Response:
        route = _ROUTER.find(request.method, path)
        if route is None:
            return gateway_error(404, "Not Found")
        found, name = route[0], route[1].handler
        match = found.groupdict()
        if match["cloudId"] != SANDBOX_CLOUD_ID:
            # The gateway knows no site with this cloud id: JSM never sees the request.
            return gateway_error(404, "Not Found")
        try:
            try:
                body = parse_body(request)
            except (ValueError, UnicodeDecodeError):
                raise _Error(400, "The request body is not valid JSON") from None
            if callable(name):
                return jsm_alerts.handle(ctx, request, name, match, body)
            if not isinstance(name, str):
                incident_handler, experimental = name
                return handle_incident(ctx, request, incident_handler, experimental, match, body)
            handler: Handler = getattr(type(self), "_h_" + name)
            return handler(self, _Req(ctx, request, match, body))
        except _Error as exc:
            if exc.gateway:
                return gateway_error(exc.status, exc.message)
            return vendor_error("atlassian", exc.status, exc.message, errors=exc.errors)

    def status(self, db: sqlite3.Connection) -> dict[str, Any]:
        def count(sql: str) -> int:
            return int(db.execute(sql).fetchone()[0])

        return {
            "cloud_id": SANDBOX_CLOUD_ID,
            "teams": count("SELECT COUNT(*) FROM jsm_teams"),
            "schedules": count("SELECT COUNT(*) FROM jsm_schedules"),
            "rotations": count("SELECT COUNT(*) FROM jsm_rotations"),
            "overrides": count("SELECT COUNT(*) FROM jsm_overrides"),
            **incident_counts(db),
            **jsm_alerts.counts(db),
        }

    # ---- seed ---------------------------------------------------------------------------------------

    def seed(
        self, db: sqlite3.Connection, rng: random.Random, people: Sequence[SeedPerson], now: datetime
    ) -> None:
        # `rng` is the Opsgenie stream (seed_stream): the same draws give the Opsgenie schedule's rotations,
        # and the draws after them give this copy its own ids.
        plan = opsgenie_plan(rng, people, now)
        db.execute(
            "INSERT INTO jsm_teams (team_id, name, seq) VALUES (?, ?, ?)",
            (SANDBOX_TEAM_ID, TEAM_NAME, next_seq(db, "jsm_team")),
        )
        schedule_id = new_uuid(rng)
        db.execute(
            "INSERT INTO jsm_schedules (id, name, seq, data) VALUES (?, ?, ?, ?)",
            (
                schedule_id,
                SCHEDULE_NAME,
                next_seq(db, "jsm_schedule"),
                json_col(
                    {
                        "description": "Two weekly rotations; handoffs Monday and Wednesday 11:00",
                        "timezone": SCHEDULE_TZ,
                        "enabled": True,
                        "teamId": SANDBOX_TEAM_ID,
                    }
                ),
            ),
        )
        for rotation in plan.rotations:
            participants = [
                {"type": "noone"} if p is None else {"type": "user", "id": atlassian_account_id(p)}
                for p in rotation.participants
            ]
            db.execute(
                "INSERT INTO jsm_rotations (id, schedule_id, seq, data) VALUES (?, ?, ?, ?)",
                (
                    new_uuid(rng),
                    schedule_id,
                    next_seq(db, "jsm_rotation"),
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
        jsm_alerts.seed(db, rng, people, now)

    # ---- lookups and shapes -------------------------------------------------------------------------

    @staticmethod
    def _schedule_row(db: sqlite3.Connection, schedule_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute("SELECT * FROM jsm_schedules WHERE id = ?",
                                             (schedule_id,)).fetchone()
        if row is None:
            raise _Error(404, f"Schedule with id [{schedule_id}] not found")
        return row

    def _schedule(self, req: _Req) -> sqlite3.Row:
        return self._schedule_row(req.db, req.match["scheduleId"])

    @staticmethod
    def _rotation_rows(db: sqlite3.Connection, schedule_id: str) -> list[sqlite3.Row]:
        return list(db.execute("SELECT * FROM jsm_rotations WHERE schedule_id = ? ORDER BY seq",
                               (schedule_id,)))

    def _rotation_row(self, db: sqlite3.Connection, schedule_id: str, rotation_id: str) -> sqlite3.Row:
        for row in self._rotation_rows(db, schedule_id):
            if row["id"] == rotation_id:
                return row
        raise _Error(404, f"Rotation with id [{rotation_id}] not found")

    @staticmethod
    def _rotation_json(row: sqlite3.Row) -> dict[str, Any]:
        return {"id": row["id"], **from_json_col(row["data"])}

    def _schedule_json(self, db: sqlite3.Connection, row: sqlite3.Row, *, rotations: bool) -> dict[str, Any]:
        data = from_json_col(row["data"])
        out: dict[str, Any] = {
            "id": row["id"],
            "name": row["name"],
            "description": data.get("description", ""),
            "timezone": data["timezone"],
            "enabled": bool(data.get("enabled", True)),
        }
        if data.get("teamId"):
            out["teamId"] = data["teamId"]
        if rotations:
            out["rotations"] = [self._rotation_json(r) for r in self._rotation_rows(db, row["id"])]
        return out

    @staticmethod
    def _override_rows(db: sqlite3.Connection, schedule_id: str) -> list[sqlite3.Row]:
        return list(db.execute("SELECT * FROM jsm_overrides WHERE schedule_id = ? ORDER BY seq",
                               (schedule_id,)))

    @staticmethod
    def _override_json(row: sqlite3.Row) -> dict[str, Any]:
        return {"alias": row["alias"], **from_json_col(row["data"])}

    def _override_row(self, req: _Req, schedule: sqlite3.Row) -> sqlite3.Row:
        row: sqlite3.Row | None = req.db.execute(
            "SELECT * FROM jsm_overrides WHERE schedule_id = ? AND alias = ?",
            (schedule["id"], req.match["alias"]),
        ).fetchone()
        if row is None:
            raise _Error(404, f"Override with alias [{req.match['alias']}] not found")
        return row

    @staticmethod
    def _page(req: _Req, items: list[Any], link: str) -> tuple[list[Any], dict[str, str]]:
        """Offset/size paging: the slice and `links` (`next`: relative, like `/v1/schedules?offset=..`)."""
        offset = req.int_param("offset", 0)
        size = req.int_param("size", DEFAULT_SIZE)
        if offset < 0:
            raise _unprocessable("offset", "offset must be 0 or more")
        if size < 1 or size > MAX_SIZE:
            raise _unprocessable("size", f"size must be between 1 and {MAX_SIZE}")
        links: dict[str, str] = {}
        if offset + size < len(items):
            params = [(k, v) for k, v in req.request.url.params.multi_items() if k not in ("offset", "size")]
            params += [("offset", str(offset + size)), ("size", str(size))]
            links["next"] = f"{link}?{urlencode(params)}"
        return items[offset : offset + size], links

    # ---- participants -------------------------------------------------------------------------------

    @staticmethod
    def _responder(db: sqlite3.Connection, raw: dict[str, Any], field: str) -> dict[str, Any]:
        """`{"type": "noone"}` or an existing account `{"type": "user", "id"}`, else 422."""
        kind = raw.get("type")
        if kind == "noone":
            return {"type": "noone"}
        if kind != "user":
            raise _unprocessable(field, f"The sandbox supports {field} of type user and noone, not [{kind}]")
        account_id = raw.get("id")
        if not account_id or not account_exists(db, str(account_id)):
            raise _unprocessable(field, f"User with id [{account_id}] does not exist")
        return {"type": "user", "id": str(account_id)}

    # ---- scheduling core ----------------------------------------------------------------------------

    def _domain(self, db: sqlite3.Connection, schedule_id: str) -> tuple[list[Rotation], list[Override],
                                                                          dict[str, str]]:
        """Stored rotations and overrides as the scheduling core's types (rotation names are their ids;
        + rotation id -> name). Users are account ids."""
        rotations: list[Rotation] = []
        names: dict[str, str] = {}
        for row in self._rotation_rows(db, schedule_id):
            data = from_json_col(row["data"])
            names[row["id"]] = data["name"]
            rotations.append(
                Rotation(
                    name=row["id"],
                    start=parse_iso(data["startDate"]),
                    participants=tuple(p.get("id") if p.get("type") == "user" else None
                                       for p in data.get("participants", [])),
                    type=data.get("type", "weekly"),
                    length=int(data.get("length", 1)),
                    end=parse_iso(data["endDate"]) if data.get("endDate") else None,
                )
            )
        overrides: list[Override] = []
        for row in self._override_rows(db, schedule_id):
            data = from_json_col(row["data"])
            targets = tuple(r for r in data.get("rotationIds") or [] if r in names)
            if data.get("rotationIds") and not targets:
                continue  # every rotation it named is gone: it overrides nothing (not everything)
            responder = data["responder"]
            overrides.append(
                Override(
                    user=responder.get("id") if responder.get("type") == "user" else None,
                    start=parse_iso(data["startDate"]),
                    end=parse_iso(data["endDate"]),
                    rotations=targets,
                    alias=row["alias"],
                )
            )
        return rotations, overrides, names

    def _at(self, req: _Req) -> datetime:
        value = req.param("date")
        if not value:
            return req.ctx.now
        try:
            return parse_iso(value)
        except ValueError:
            raise _unprocessable("date", f"[{value}] is not a valid date") from None

    @staticmethod
    def _period(shift: Shift) -> dict[str, Any]:
        return {
            "startDate": iso_z(shift.start),
            "endDate": iso_z(shift.end),
            "type": "override" if shift.override else "base",
            "responder": {"type": "noone"} if shift.user is None else {"id": shift.user, "type": "user"},
        }

    # ---- schedules, teams ---------------------------------------------------------------------------

    def _h_list_schedules(self, req: _Req) -> httpx.Response:
        rows = list(req.db.execute("SELECT * FROM jsm_schedules ORDER BY name COLLATE NOCASE, seq"))
        query = (req.param("query") or "").strip().lower()
        if query:
            if query.endswith("*"):
                rows = [r for r in rows if str(r["name"]).lower().startswith(query[:-1])]
            else:
                rows = [r for r in rows if str(r["name"]).lower() == query]
        expand = "rotation" in req.expands()
        page, links = self._page(req, rows, "/v1/schedules")
        return json_response(200, {
            "values": [self._schedule_json(req.db, r, rotations=expand) for r in page],
            "links": links,
            "_expands": ["rotation"],
        })

    def _h_get_schedule(self, req: _Req) -> httpx.Response:
        row = self._schedule_row(req.db, req.match["id"])
        return json_response(200, self._schedule_json(req.db, row, rotations=True))

    def _h_list_teams(self, req: _Req) -> httpx.Response:
        rows = req.db.execute("SELECT * FROM jsm_teams ORDER BY seq")
        return json_response(200, {"platformTeams": [{"teamId": r["team_id"], "teamName": r["name"]}
                                                     for r in rows]})

    # ---- rotations ----------------------------------------------------------------------------------

    def _rotation_fields(self, req: _Req, current: dict[str, Any] | None, schedule_id: str,
                         rotation_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = req.body if isinstance(req.body, dict) else {}
        data = dict(current or {})
        if body.get("name"):
            data["name"] = body["name"]
        elif current is None:
            data["name"] = f"Rota{len(self._rotation_rows(req.db, schedule_id)) + 1}"
        for row in self._rotation_rows(req.db, schedule_id):
            if row["id"] != rotation_id and str(from_json_col(row["data"])["name"]).lower() == str(
                    data["name"]).lower():
                raise _Error(409, f"Rotation with name [{data['name']}] already exists")
        for key in ("startDate", "endDate"):
            if key in body:
                try:
                    data[key] = iso_z(parse_iso(body[key]))
                except ValueError:
                    raise _unprocessable(key, f"{key} [{body[key]}] is not a valid date") from None
        for key in ("type", "length", "timeRestriction"):
            if key in body:
                data[key] = body[key]
        data.setdefault("length", 1)
        if "participants" in body:
            data["participants"] = [self._responder(req.db, p, "participants") for p in body["participants"]]
        data.setdefault("participants", [])
        if data.get("endDate") and parse_iso(data["endDate"]) <= parse_iso(data["startDate"]):
            raise _unprocessable("endDate", "endDate must be after startDate")
        return data

    def _h_list_rotations(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        rows = [self._rotation_json(r) for r in self._rotation_rows(req.db, schedule["id"])]
        page, links = self._page(req, rows, f"/v1/schedules/{schedule['id']}/rotations")
        return json_response(200, {"values": page, "links": links})

    def _h_get_rotation(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        return json_response(200, self._rotation_json(self._rotation_row(req.db, schedule["id"],
                                                                         req.match["id"])))

    def _h_create_rotation(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        data = self._rotation_fields(req, None, schedule["id"], None)
        rotation_id = new_uuid(req.ctx.rng)
        req.db.execute(
            "INSERT INTO jsm_rotations (id, schedule_id, seq, data) VALUES (?, ?, ?, ?)",
            (rotation_id, schedule["id"], next_seq(req.db, "jsm_rotation"), json_col(data)),
        )
        return json_response(201, {"id": rotation_id, **data})

    def _h_update_rotation(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        row = self._rotation_row(req.db, schedule["id"], req.match["id"])
        data = self._rotation_fields(req, from_json_col(row["data"]), schedule["id"], row["id"])
        req.db.execute("UPDATE jsm_rotations SET data = ? WHERE id = ?", (json_col(data), row["id"]))
        return json_response(200, {"id": row["id"], **data})

    def _h_delete_rotation(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        row = self._rotation_row(req.db, schedule["id"], req.match["id"])
        req.db.execute("DELETE FROM jsm_rotations WHERE id = ?", (row["id"],))
        return httpx.Response(204)

    # ---- overrides ----------------------------------------------------------------------------------

    def _override_fields(self, req: _Req, schedule_id: str) -> dict[str, Any]:
        body = req.body
        if not isinstance(body, dict) or not isinstance(body.get("responder"), dict):
            raise _unprocessable("responder", "responder is required")
        times: dict[str, datetime] = {}
        for key in ("startDate", "endDate"):
            try:
                times[key] = parse_iso(str(body.get(key, "")))
            except ValueError:
                raise _unprocessable(key, f"{key} [{body.get(key)}] is not a valid date") from None
        if times["endDate"] <= times["startDate"]:
            raise _unprocessable("endDate", "endDate must be after startDate")
        data: dict[str, Any] = {
            "responder": self._responder(req.db, body["responder"], "responder"),
            "startDate": iso_z(times["startDate"]),
            "endDate": iso_z(times["endDate"]),
        }
        if body.get("rotationIds"):
            known = {r["id"] for r in self._rotation_rows(req.db, schedule_id)}
            for rotation_id in body["rotationIds"]:
                if rotation_id not in known:
                    raise _unprocessable("rotationIds",
                                         f"Rotation with id [{rotation_id}] does not exist in the schedule")
            data["rotationIds"] = list(dict.fromkeys(body["rotationIds"]))
        return data

    def _h_list_overrides(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        # "Lists all ongoing and future overrides of the schedule."
        rows = [self._override_json(r) for r in self._override_rows(req.db, schedule["id"])
                if parse_iso(from_json_col(r["data"])["endDate"]) > req.ctx.now]
        page, links = self._page(req, rows, f"/v1/schedules/{schedule['id']}/overrides")
        return json_response(200, {"values": page, "links": links})

    def _h_get_override(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        return json_response(200, self._override_json(self._override_row(req, schedule)))

    def _h_create_override(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        data = self._override_fields(req, schedule["id"])
        alias = new_uuid(req.ctx.rng)
        req.db.execute(
            "INSERT INTO jsm_overrides (schedule_id, alias, seq, data) VALUES (?, ?, ?, ?)",
            (schedule["id"], alias, next_seq(req.db, "jsm_override"), json_col(data)),
        )
        return json_response(201, {"alias": alias, **data})

    def _h_update_override(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        row = self._override_row(req, schedule)
        data = self._override_fields(req, schedule["id"])
        req.db.execute("UPDATE jsm_overrides SET data = ? WHERE schedule_id = ? AND alias = ?",
                       (json_col(data), schedule["id"], row["alias"]))
        return json_response(200, {"alias": row["alias"], **data})

    def _h_delete_override(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        row = self._override_row(req, schedule)
        req.db.execute("DELETE FROM jsm_overrides WHERE schedule_id = ? AND alias = ?",
                       (schedule["id"], row["alias"]))
        return httpx.Response(204)

    # ---- timeline and on-calls ----------------------------------------------------------------------

    def _h_get_timeline(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        tz = from_json_col(schedule["data"])["timezone"]
        interval = req.int_param("interval", 1)
        unit = req.param("intervalUnit") or "weeks"
        if interval < 1:
            raise _unprocessable("interval", "interval must be a positive integer")
        at = self._at(req)
        now = req.ctx.now.astimezone(UTC)
        if at < _add_months(now, -12) or at > _add_months(now, 24):
            raise _unprocessable("date", "The timeline can go back at most one year from today and as far "
                                         "as two years from today")
        start, end = timeline_window(at, interval, unit, tz)
        rotations, overrides, names = self._domain(req.db, schedule["id"])
        expand = req.expands()

        def layer(shifts: list[Shift], only_overrides: bool = False) -> dict[str, Any]:
            return {"rotations": [
                {
                    "id": rotation.name,
                    "name": names[rotation.name],
                    "order": float(order + 1),
                    "periods": [self._period(s) for s in shifts
                                if s.rotation == rotation.name and (s.override or not only_overrides)],
                }
                for order, rotation in enumerate(rotations)
            ]}

        final = timeline(rotations, overrides, start, end, tz)
        data: dict[str, Any] = {"startDate": iso_z(start), "endDate": iso_z(end),
                                "finalTimeline": layer(final)}
        if "base" in expand:
            data["baseTimeline"] = layer(timeline(rotations, [], start, end, tz))
        if "override" in expand:
            data["overrideTimeline"] = layer(final, only_overrides=True)
        if "forwarding" in expand:
            data["forwardingTimeline"] = {"rotations": []}
        data["_expands"] = ["base", "forwarding", "override"]
        return json_response(200, data)

    def _h_get_on_calls(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        tz = from_json_col(schedule["data"])["timezone"]
        rotations, overrides, _ = self._domain(req.db, schedule["id"])
        users: list[str] = []
        for shift in on_call_at(rotations, overrides, self._at(req), tz):
            if shift.user is not None and shift.user not in users:
                users.append(shift.user)
        if _flat(req):
            return json_response(200, {"onCallUsers": users})
        return json_response(200, {"onCallParticipants": [{"id": u, "type": "user"} for u in users]})

    def _h_get_next_on_calls(self, req: _Req) -> httpx.Response:
        schedule = self._schedule(req)
        tz = from_json_col(schedule["data"])["timezone"]
        at = self._at(req)
        rotations, overrides, _ = self._domain(req.db, schedule["id"])
        horizon = at + timedelta(weeks=2 + 2 * max((r.length for r in rotations), default=1))
        shifts = [s for s in timeline(rotations, overrides, at, horizon, tz) if s.start > at]
        users: list[str] = []
        for rotation in rotations:
            first = next((s for s in shifts if s.rotation == rotation.name), None)
            if first is not None and first.user is not None and first.user not in users:
                users.append(first.user)
        if _flat(req):
            return json_response(200, {"nextOnCallUsers": users})
        return json_response(200, {"nextOnCallParticipants": [{"id": u, "type": "user"} for u in users]})


def _flat(req: _Req) -> bool:
    return (req.param("flat") or "").strip().lower() in ("true", "1")
