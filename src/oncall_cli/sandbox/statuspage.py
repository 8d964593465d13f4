"""The Statuspage manage API v1 emulator: one status page, its components and its realtime incidents.

Same semantics as `https://api.statuspage.io/v1` (`statuspage-openapi3.json`, developer.statuspage.io):
- `Authorization: OAuth <key>` (or `?api_key=<key>`); without it, 401 `{"error"}`;
- bodies wrap the resource (`{"incident": {...}}`, `{"component": {...}}`), answers are the bare resource;
  a missing wrapper is a 400, a value the API refuses a 422, an unknown page, component or incident a 404,
  all as `{"error": ..., "message": ...}` (real answers carry one or the other);
- 1 request per second per key, measured on `ctx.clock`: a faster request gets 429 with `Retry-After`
  (`StatuspageEmulator(rate_limit=False)` turns the limiter off);
- an incident's `body` is its first update; a PATCH with `status`, `body` or `components` appends an
  update (newest first in `incident_updates`) that records the component changes it made in
  `affected_components`; `components: {id: status}` sets those components' statuses; `resolved` sets
  `resolved_at` (components are restored only when the request says so, as on the real API);
- `impact` is `impact_override` when given, else the worst status the incident gave its components
  (degraded_performance -> minor, partial_outage -> major, major_outage -> critical);
- lists are newest first and paged: `page` + `per_page` (components, unresolved) or `page` + `limit`
  (incidents), at most 100 per page.

Seed: the page "Artsy Status" (`PAGE_ID`) with the components Website, API, Search, Auctions and CMS, all
operational, and no incidents.
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from oncall_cli.sandbox.base import (
    Ctx,
    SeedPerson,
    compile_template,
    iso_z,
    json_response,
    new_id,
    parse_body,
    parse_iso,
    query_params,
    vendor_error,
)

PAGE_ID = "sandboxpage001"
PAGE_NAME = "Artsy Status"
COMPONENTS = ("Website", "API", "Search", "Auctions", "CMS")
MAX_PER_PAGE = 100
RATE_INTERVAL = 1.0  # seconds between two requests of one key

REALTIME_STATUSES = ("investigating", "identified", "monitoring", "resolved")
COMPONENT_STATUSES = ("operational", "degraded_performance", "partial_outage", "major_outage",
                      "under_maintenance")
_IMPACT_OF = {"operational": 0, "under_maintenance": 0, "degraded_performance": 1, "partial_outage": 2,
              "major_outage": 3}
_IMPACTS = ("none", "minor", "major", "critical")
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_NOT_FOUND = "The requested resource could not be found."
_NULL_UNLESS_SCHEDULED = (
    "incident_impacts", "postmortem_body", "postmortem_body_last_updated_at", "postmortem_published_at",
    "scheduled_auto_completed", "scheduled_auto_in_progress", "scheduled_for",
    "auto_transition_deliver_notifications_at_end", "auto_transition_deliver_notifications_at_start",
    "auto_transition_to_maintenance_state", "auto_transition_to_operational_state", "scheduled_remind_prior",
    "scheduled_reminded_at", "scheduled_until", "reminder_intervals",
)
"""Incident fields the sandbox never sets (postmortems, scheduled maintenances): the API answers null."""

Handler = Callable[["_Call", dict[str, str]], httpx.Response]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS statuspage_pages (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, subdomain TEXT NOT NULL, time_zone TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS statuspage_components (
    id TEXT PRIMARY KEY, page_id TEXT NOT NULL, name TEXT NOT NULL, description TEXT, status TEXT NOT NULL,
    position INTEGER NOT NULL, showcase INTEGER NOT NULL DEFAULT 1,
    only_show_if_degraded INTEGER NOT NULL DEFAULT 0, group_id TEXT, start_date TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS statuspage_incidents (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, page_id TEXT NOT NULL, name TEXT NOT NULL,
    status TEXT NOT NULL,
    impact TEXT NOT NULL, impact_override TEXT, shortlink TEXT NOT NULL, component_ids TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    started_at TEXT NOT NULL, monitoring_at TEXT, resolved_at TEXT);
CREATE TABLE IF NOT EXISTS statuspage_incident_updates (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, incident_id TEXT NOT NULL, status TEXT NOT NULL,
    body TEXT NOT NULL, deliver_notifications INTEGER NOT NULL, affected_components TEXT NOT NULL,
    wants_twitter_update INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    display_at TEXT NOT NULL);
"""


class _Refusal(Exception):
    """An error answer: HTTP status and message (`{"error", "message"}`)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _rows(db: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = db.execute(sql, tuple(params))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _row(db: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    found = _rows(db, sql, params)
    return found[0] if found else None


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise _Refusal(400, f"{name} must be an integer") from None


def _paged(items: list[dict[str, Any]], page: int, per_page: int) -> list[dict[str, Any]]:
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    return items[(page - 1) * per_page: page * per_page]


class StatuspageEmulator:
    """Statuspage's manage API v1 for one page (see the module docstring)."""

    prefix = "statuspage"

    def __init__(self, *, rate_limit: bool = True, interval: float = RATE_INTERVAL) -> None:
        self.rate_limit = rate_limit
        self.interval = interval
        self._next_allowed: dict[str, float] = {}
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/v1/pages", self._list_pages),
            ("GET", "/v1/pages/{page_id}", self._get_page),
            ("GET", "/v1/pages/{page_id}/components", self._list_components),
            ("GET", "/v1/pages/{page_id}/components/{component_id}", self._get_component),
            ("PATCH", "/v1/pages/{page_id}/components/{component_id}", self._patch_component),
            ("PUT", "/v1/pages/{page_id}/components/{component_id}", self._patch_component),
            ("GET", "/v1/pages/{page_id}/incidents/unresolved", self._list_unresolved),
            ("GET", "/v1/pages/{page_id}/incidents", self._list_incidents),
            ("POST", "/v1/pages/{page_id}/incidents", self._create_incident),
            ("GET", "/v1/pages/{page_id}/incidents/{incident_id}", self._get_incident),
            ("PATCH", "/v1/pages/{page_id}/incidents/{incident_id}", self._patch_incident),
            ("PUT", "/v1/pages/{page_id}/incidents/{incident_id}", self._patch_incident),
            ("DELETE", "/v1/pages/{page_id}/incidents/{incident_id}", self._delete_incident),
            ("PATCH", "/v1/pages/{page_id}/incidents/{incident_id}/incident_updates/{incident_update_id}",
             self._patch_incident_update),
            ("PUT", "/v1/pages/{page_id}/incidents/{incident_id}/incident_updates/{incident_update_id}",
             self._patch_incident_update),
        ]
        self._routes = [(method, template, compile_template(template), handler)
                        for method, template, handler in routes]

    @property
    def operations(self) -> list[str]:
        """The operations this emulator answers, named like the sandbox's vendored spec."""
        return sorted(f"{method} {template}" for method, template, _, _ in self._routes)

    # ---- ServiceEmulator ---------------------------------------------------------------------------

    def create_schema(self, db: sqlite3.Connection) -> None:
        db.executescript(_SCHEMA)

    def operation(self, method: str, path: str) -> str | None:
        found = self._route(method, path)
        return None if found is None else f"{method.upper()} {found[0]}"

    def _route(self, method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
        for verb, template, pattern, handler in self._routes:
            if verb != method.upper():
                continue
            match = pattern.match(path)
            if match is not None:
                return template, handler, match.groupdict()
        return None

    def handle(self, ctx: Ctx, request: httpx.Request, path: str) -> httpx.Response:
        key = _api_key(request)
        if key is None:
            return vendor_error("statuspage", 401, "Could not authenticate")
        limited = self._throttle(key, ctx.clock)
        if limited is not None:
            return limited
        found = self._route(request.method, path)
        if found is None:
            return vendor_error("statuspage", 404, _NOT_FOUND)
        _, handler, params = found
        try:
            body = parse_body(request)
        except (ValueError, UnicodeDecodeError):
            return vendor_error("statuspage", 400, "The request body is not valid JSON")
        call = _Call(ctx.db, ctx.now, ctx.rng, query_params(request), body)
        try:
            return handler(call, params)
        except _Refusal as exc:
            return vendor_error("statuspage", exc.status, exc.message)

    def seed(self, db: sqlite3.Connection, rng: random.Random, people: Sequence[SeedPerson],
             now: datetime) -> None:
        created = iso_z(now - timedelta(days=900), millis=True)
        db.execute("INSERT INTO statuspage_pages (id, name, subdomain, time_zone, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)", (PAGE_ID, PAGE_NAME, "artsy-sandbox", "America/New_York",
                                                 created, created))
        start = (now - timedelta(days=900)).date().isoformat()
        for position, name in enumerate(COMPONENTS, start=1):
            db.execute("INSERT INTO statuspage_components (id, page_id, name, description, status, position, "
                       "start_date, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (new_id(rng, "", 12, _ID_ALPHABET), PAGE_ID, name, f"The {name}", "operational",
                        position, start, created, created))

    def status(self, db: sqlite3.Connection) -> dict[str, Any]:
        page = _row(db, "SELECT id, name FROM statuspage_pages ORDER BY id LIMIT 1")
        components = _rows(db, "SELECT name, status FROM statuspage_components ORDER BY page_id, position")
        open_incidents = _rows(db, "SELECT id, name, status, impact FROM statuspage_incidents "
                                   "WHERE status != 'resolved' ORDER BY seq DESC")
        total = _row(db, "SELECT COUNT(*) AS n FROM statuspage_incidents")
        return {
            "page": page,
            "components": {c["name"]: c["status"] for c in components},
            "open_incidents": open_incidents,
            "incidents": int(total["n"]) if total else 0,
        }

    # ---- the rate limit ------------------------------------------------------------------------------

    def _throttle(self, key: str, clock: float) -> httpx.Response | None:
        """1 request per second per key: a request earlier than `interval` after the last one is refused."""
        if not self.rate_limit:
            return None
        allowed_at = self._next_allowed.get(key)
        if allowed_at is not None and clock < allowed_at - 1e-9:
            wait = max(1, math.ceil(allowed_at - clock))
            return vendor_error("statuspage", 429, "Rate limit exceeded: 1 request per second per API key",
                                headers={"Retry-After": str(wait)})
        self._next_allowed[key] = clock + self.interval
        return None

    # ---- pages ---------------------------------------------------------------------------------------

    def _list_pages(self, call: _Call, params: dict[str, str]) -> httpx.Response:
        return json_response(200, [call.page_json(p) for p in _rows(call.db, "SELECT * FROM statuspage_pages "
                                                                              "ORDER BY id")])

    def _get_page(self, call: _Call, params: dict[str, str]) -> httpx.Response:
        return json_response(200, call.page_json(call.page(params["page_id"])))

    # ---- components ----------------------------------------------------------------------------------

    def _list_components(self, call: _Call, params: dict[str, str]) -> httpx.Response:
        page = call.page(params["page_id"])
        rows = _rows(call.db, "SELECT * FROM statuspage_components WHERE page_id = ? ORDER BY position, id",
                     (page["id"],))
        chosen = _paged(rows, _int_param(call.query, "page", 1),
                        _int_param(call.query, "per_page", MAX_PER_PAGE))
        return json_response(200, [call.component_json(c) for c in chosen])

    def _get_component(self, call: _Call, params: dict[str, str]) -> httpx.Response:
        page = call.page(params["page_id"])
        return json_response(200, call.component_json(call.component(page["id"], params["component_id"])))

    def _patch_component(self, call: _Call, params: dict[str, str]) -> httpx.Response:
        page = call.page(params["page_id"])
        component = call.component(page["id"], params["component_id"])
        fields = call.wrapped("component")
        updates: dict[str, Any] = {}
        if "status" in fields:
            status = fields["status"]
            if status not in COMPONENT_STATUSES:
                raise _Refusal(422, f"Status {status!r} is not one of {', '.join(COMPONENT_STATUSES)}")
            updates["status"] = status
        if "name" in fields:
            name = str(fields["name"] or "").strip()
            if not name:
                raise _Refusal(422, "Name can't be blank")
            updates["name"] = name
        for flag in ("showcase", "only_show_if_degraded"):
            if flag in fields:
                updates[flag] = int(bool(fields[flag]))
        if "description" in fields:
            updates["description"] = fields["description"]
        if "start_date" in fields:
            updates["start_date"] = fields["start_date"]
        if updates:
            updates["updated_at"] = call.stamp()
            assignments = ", ".join(f"{k} = ?" for k in updates)
            call.db.execute(f"UPDATE statuspage_components SET {assignments} WHERE id = ?",
                            (*updates.values(), component["id"]))
        return json_response(200, call.component_json(call.component(page["id"], component["id"])))

    # ---- incidents -----------------------------------------------------------------------------------

    def _list_incidents(self, call: _Call, params: dict[str, str]) -> httpx.Response:
        page = call.page(params["page_id"])
        rows = _rows(call.db, "SELECT * FROM statuspage_incidents WHERE page_id = ? ORDER BY seq DESC",
                     (page["id"],))
        q = (call.query.get("q") or "").strip().casefold()
        if q:
            rows = [r for r in rows if call.matches(r, q)]
        limit = _int_param(call.query, "limit", MAX_PER_PAGE)
        chosen = _paged(rows, _int_param(call.query, "page", 1), limit)
        return json_response(200, [call.incident_json(r) for r in chosen])

    def _list_unresolved(self, call: _Call, params: dict[str, str]) -> httpx.Response:
        page = call.page(params["page_id"])
        rows = _rows(call.db, "SELECT * FROM statuspage_incidents WHERE page_id = ? AND status != 'resolved' "
                              "ORDER BY seq DESC", (page["id"],))
        chosen = _paged(rows, _int_param(call.query, "page", 1),
                        _int_param(call.query, "per_page", MAX_PER_PAGE))
        return json_response(200, [call.incident_json(r) for r in chosen])

    def _get_incident(self, call: _Call, params: dict[str, str]) -> httpx.Response:
        page = call.page(params["page_id"])
        return json_response(200, call.incident_json(call.incident(page["id"], params["incident_id"])))

    def _create_incident(self, call: _Call, params: dict[str, str]) -> httpx.Response:
        page = call.page(params["page_id"])
        fields = call.wrapped("incident")
        name = str(fields.get("name") or "").strip()
        if not name:
            raise _Refusal(422, "Name can't be blank")
        if len(name) > 255:
            raise _Refusal(422, "Name is too long (maximum is 255 characters)")
        status = str(fields.get("status") or "investigating")
        _check_realtime(status)
        override = _impact_override(fields)
        statuses = _component_statuses(fields)
        affected = list(dict.fromkeys([*_component_ids(fields), *statuses]))
        call.check_components(page["id"], affected)
        incident_id = call.unique_id("statuspage_incidents", 12)
        now = call.stamp()
        changes = call.set_component_statuses(page["id"], statuses)
        seq = int((call.db.execute("SELECT COALESCE(MAX(seq), 0) FROM statuspage_incidents").fetchone()
                   or (0,))[0]) + 1
        metadata = fields.get("metadata") if isinstance(fields.get("metadata"), dict) else {}
        call.db.execute(
            "INSERT INTO statuspage_incidents (id, seq, page_id, name, status, impact, impact_override, "
            "shortlink, component_ids, metadata, created_at, updated_at, started_at, monitoring_at, "
            "resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (incident_id, seq, page["id"], name, status, override or _impact(statuses.values(), "none"),
             override, f"https://stspg.io/{new_id(call.rng, '', 7, _ID_ALPHABET)}", json.dumps(affected),
             json.dumps(metadata), now, now, now, now if status == "monitoring" else None,
             now if status == "resolved" else None))
        call.add_update(incident_id, status, str(fields.get("body") or ""),
                        deliver=bool(fields.get("deliver_notifications", True)), changes=changes)
        return json_response(201, call.incident_json(call.incident(page["id"], incident_id)))

    def _patch_incident(self, call: _Call, params: dict[str, str]) -> httpx.Response:
        page = call.page(params["page_id"])
        incident = call.incident(page["id"], params["incident_id"])
        fields = call.wrapped("incident")
        updates: dict[str, Any] = {}
        if "name" in fields:
            name = str(fields["name"] or "").strip()
            if not name:
                raise _Refusal(422, "Name can't be blank")
            if len(name) > 255:
                raise _Refusal(422, "Name is too long (maximum is 255 characters)")
            updates["name"] = name
        status = str(fields.get("status") or incident["status"])
        _check_realtime(status)
        override = _impact_override(fields)
        statuses = _component_statuses(fields)
        ids = _component_ids(fields)
        call.check_components(page["id"], [*ids, *statuses])
        now = call.stamp()
        if "component_ids" in fields:
            affected = list(dict.fromkeys([*ids, *statuses]))
        else:
            affected = list(dict.fromkeys([*json.loads(incident["component_ids"]), *statuses]))
        updates["component_ids"] = json.dumps(affected)
        changes = call.set_component_statuses(page["id"], statuses)
        if status != incident["status"]:
            updates["status"] = status
            if status == "monitoring" and incident["monitoring_at"] is None:
                updates["monitoring_at"] = now
            updates["resolved_at"] = now if status == "resolved" else None
        if "impact_override" in fields:
            updates["impact_override"] = override
        effective_override = override if "impact_override" in fields else incident["impact_override"]
        updates["impact"] = effective_override or _impact(statuses.values(), incident["impact"])
        if isinstance(fields.get("metadata"), dict):
            updates["metadata"] = json.dumps(fields["metadata"])
        updates["updated_at"] = now
        assignments = ", ".join(f"{k} = ?" for k in updates)
        call.db.execute(f"UPDATE statuspage_incidents SET {assignments} WHERE id = ?",
                        (*updates.values(), incident["id"]))
        if "status" in fields or "body" in fields or statuses:
            call.add_update(incident["id"], status, str(fields.get("body") or ""),
                            deliver=bool(fields.get("deliver_notifications", True)), changes=changes)
        return json_response(200, call.incident_json(call.incident(page["id"], incident["id"])))

    def _delete_incident(self, call: _Call, params: dict[str, str]) -> httpx.Response:
        page = call.page(params["page_id"])
        incident = call.incident(page["id"], params["incident_id"])
        body = call.incident_json(incident)
        call.db.execute("DELETE FROM statuspage_incident_updates WHERE incident_id = ?", (incident["id"],))
        call.db.execute("DELETE FROM statuspage_incidents WHERE id = ?", (incident["id"],))
        return json_response(200, body)

    def _patch_incident_update(self, call: _Call, params: dict[str, str]) -> httpx.Response:
        page = call.page(params["page_id"])
        incident = call.incident(page["id"], params["incident_id"])
        update = _row(call.db, "SELECT * FROM statuspage_incident_updates WHERE id = ? AND incident_id = ?",
                      (params["incident_update_id"], incident["id"]))
        if update is None:
            raise _Refusal(404, _NOT_FOUND)
        fields = call.wrapped("incident_update")
        changes: dict[str, Any] = {}
        if "body" in fields:
            changes["body"] = str(fields["body"] or "")
        if "deliver_notifications" in fields:
            changes["deliver_notifications"] = int(bool(fields["deliver_notifications"]))
        if "wants_twitter_update" in fields:
            changes["wants_twitter_update"] = int(bool(fields["wants_twitter_update"]))
        if fields.get("display_at"):
            try:
                changes["display_at"] = iso_z(parse_iso(str(fields["display_at"])), millis=True)
            except ValueError:
                raise _Refusal(422, "display_at is not a valid date-time") from None
        if changes:
            changes["updated_at"] = call.stamp()
            assignments = ", ".join(f"{k} = ?" for k in changes)
            call.db.execute(f"UPDATE statuspage_incident_updates SET {assignments} WHERE id = ?",
                            (*changes.values(), update["id"]))
        fresh = _row(call.db, "SELECT * FROM statuspage_incident_updates WHERE id = ?", (update["id"],))
        assert fresh is not None
        return json_response(200, _update_json(fresh))


# ---- request pieces -------------------------------------------------------------------------------------


def _api_key(request: httpx.Request) -> str | None:
    value = str(request.headers.get("authorization", ""))
    parts = value.split(None, 1)
    if len(parts) == 2 and parts[0].lower() == "oauth" and parts[1].strip():
        return parts[1].strip()
    key = str(request.url.params.get("api_key") or "").strip()
    return key or None


def _check_realtime(status: str) -> None:
    if status not in REALTIME_STATUSES:
        raise _Refusal(422, f"Status {status!r} is not valid for a realtime incident "
                            f"({', '.join(REALTIME_STATUSES)}); scheduled maintenances are not emulated")


def _impact_override(fields: dict[str, Any]) -> str | None:
    value = fields.get("impact_override")
    if value is None or value == "":
        return None
    if value not in _IMPACTS:
        raise _Refusal(422, f"Impact override {value!r} is not one of {', '.join(_IMPACTS)}")
    return str(value)


def _component_statuses(fields: dict[str, Any]) -> dict[str, str]:
    raw = fields.get("components")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _Refusal(422, "components must map component ids to statuses")
    out: dict[str, str] = {}
    for component_id, status in raw.items():
        if status == "":
            continue
        if status not in COMPONENT_STATUSES:
            raise _Refusal(422, f"Component status {status!r} is not one of {', '.join(COMPONENT_STATUSES)}")
        out[str(component_id)] = str(status)
    return out


def _component_ids(fields: dict[str, Any]) -> list[str]:
    raw = fields.get("component_ids")
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise _Refusal(422, "component_ids must be a list of component ids")
    return list(dict.fromkeys(raw))


def _impact(statuses: Any, previous: str) -> str:
    """The worst impact of these component statuses, never below `previous` (impact only escalates)."""
    level = max([_IMPACTS.index(previous) if previous in _IMPACTS else 0,
                 *(_IMPACT_OF.get(s, 0) for s in statuses)])
    return _IMPACTS[level]


def _update_json(u: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": u["id"], "incident_id": u["incident_id"], "status": u["status"], "body": u["body"],
        "created_at": u["created_at"], "updated_at": u["updated_at"], "display_at": u["display_at"],
        "deliver_notifications": bool(u["deliver_notifications"]),
        "wants_twitter_update": bool(u["wants_twitter_update"]),
    }
    affected = json.loads(u["affected_components"])
    if affected:
        body["affected_components"] = affected
    return body


class _Call:
    """One request's view of the page: database, time, rng, query parameters and parsed body."""

    def __init__(self, db: sqlite3.Connection, now: datetime, rng: random.Random, query: dict[str, str],
                 body: Any):
        self.db = db
        self.now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        self.rng = rng
        self.query = query
        self.body = body

    def stamp(self) -> str:
        return iso_z(self.now, millis=True)

    def unique_id(self, table: str, length: int) -> str:
        while True:
            candidate = new_id(self.rng, "", length, _ID_ALPHABET)
            if self.db.execute(f"SELECT 1 FROM {table} WHERE id = ?", (candidate,)).fetchone() is None:
                return candidate

    def wrapped(self, key: str) -> dict[str, Any]:
        """The resource inside the body's wrapper (`{"incident": {...}}`); 400 like Rails when missing."""
        inner = self.body.get(key) if isinstance(self.body, dict) else None
        if not isinstance(inner, dict):
            raise _Refusal(400, f"param is missing or the value is empty: {key}")
        return inner

    # -- lookups

    def page(self, page_id: str) -> dict[str, Any]:
        found = _row(self.db, "SELECT * FROM statuspage_pages WHERE id = ?", (page_id,))
        if found is None:
            raise _Refusal(404, _NOT_FOUND)
        return found

    def component(self, page_id: str, component_id: str) -> dict[str, Any]:
        found = _row(self.db, "SELECT * FROM statuspage_components WHERE id = ? AND page_id = ?",
                     (component_id, page_id))
        if found is None:
            raise _Refusal(404, _NOT_FOUND)
        return found

    def incident(self, page_id: str, incident_id: str) -> dict[str, Any]:
        found = _row(self.db, "SELECT * FROM statuspage_incidents WHERE id = ? AND page_id = ?",
                     (incident_id, page_id))
        if found is None:
            raise _Refusal(404, _NOT_FOUND)
        return found

    def check_components(self, page_id: str, ids: Sequence[str]) -> None:
        sql = "SELECT 1 FROM statuspage_components WHERE id = ? AND page_id = ?"
        unknown = [i for i in dict.fromkeys(ids) if self.db.execute(sql, (i, page_id)).fetchone() is None]
        if unknown:
            raise _Refusal(422, f"Component(s) not found on this page: {', '.join(unknown)}")

    def matches(self, incident: dict[str, Any], q: str) -> bool:
        if q in str(incident["name"]).casefold() or q in str(incident["status"]).casefold():
            return True
        bodies = self.db.execute("SELECT body FROM statuspage_incident_updates WHERE incident_id = ?",
                                 (incident["id"],)).fetchall()
        return any(q in str(b[0]).casefold() for b in bodies)

    # -- changes

    def set_component_statuses(self, page_id: str, statuses: dict[str, str]) -> list[dict[str, Any]]:
        """Apply `{component_id: status}`; the changes as `affected_components` entries."""
        changes: list[dict[str, Any]] = []
        for component_id, status in statuses.items():
            component = self.component(page_id, component_id)
            changes.append({"code": component_id, "name": component["name"],
                            "old_status": component["status"], "new_status": status})
            if component["status"] != status:
                self.db.execute("UPDATE statuspage_components SET status = ?, updated_at = ? WHERE id = ?",
                                (status, self.stamp(), component_id))
        return changes

    def add_update(self, incident_id: str, status: str, body: str, *, deliver: bool,
                   changes: list[dict[str, Any]]) -> None:
        seq = int((self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM statuspage_incident_updates")
                   .fetchone() or (0,))[0]) + 1
        now = self.stamp()
        self.db.execute(
            "INSERT INTO statuspage_incident_updates (id, seq, incident_id, status, body, "
            "deliver_notifications, affected_components, created_at, updated_at, display_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.unique_id("statuspage_incident_updates", 12), seq, incident_id, status, body, int(deliver),
             json.dumps(changes), now, now, now))

    # -- answers

    def page_json(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": p["id"], "name": p["name"], "created_at": p["created_at"], "updated_at": p["updated_at"],
            "subdomain": p["subdomain"], "url": f"https://{p['subdomain']}.statuspage.io",
            "page_description": "", "headline": "", "branding": "basic", "time_zone": p["time_zone"],
            "hidden_from_search": False, "viewers_must_be_team_members": False,
            "allow_page_subscribers": True, "allow_incident_subscribers": True,
            "allow_email_subscribers": True,
            "allow_sms_subscribers": False, "allow_rss_atom_feeds": True, "allow_webhook_subscribers": True,
            "notifications_from_email": "noreply@statuspage.io", "activity_score": 0,
        }

    def component_json(self, c: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": c["id"], "page_id": c["page_id"], "name": c["name"], "status": c["status"],
            "position": c["position"], "showcase": bool(c["showcase"]),
            "only_show_if_degraded": bool(c["only_show_if_degraded"]), "group": False,
            "created_at": c["created_at"], "updated_at": c["updated_at"],
            "automation_email": f"component+{c['id']}@notifications.statuspage.io",
        }
        for optional in ("description", "group_id", "start_date"):
            if c[optional] is not None:
                body[optional] = c[optional]
        return body

    def incident_json(self, i: dict[str, Any]) -> dict[str, Any]:
        updates = _rows(self.db, "SELECT * FROM statuspage_incident_updates WHERE incident_id = ? "
                                 "ORDER BY seq DESC", (i["id"],))
        components = []
        for component_id in json.loads(i["component_ids"]):
            found = _row(self.db, "SELECT * FROM statuspage_components WHERE id = ?", (component_id,))
            if found is not None:
                components.append(self.component_json(found))
        body: dict[str, Any] = {
            "id": i["id"], "page_id": i["page_id"], "name": i["name"], "status": i["status"],
            "impact": i["impact"], "shortlink": i["shortlink"], "created_at": i["created_at"],
            "updated_at": i["updated_at"], "started_at": i["started_at"],
            "metadata": json.loads(i["metadata"]),
            "postmortem_ignored": False, "postmortem_notified_subscribers": False,
            "postmortem_notified_twitter": False,
            "incident_updates": [_update_json(u) for u in updates], "components": components,
        }
        # The API sends every field, null when unset (the vendored spec marks these `nullable`).
        for optional in ("impact_override", "monitoring_at", "resolved_at"):
            body[optional] = i[optional]
        for unset in _NULL_UNLESS_SCHEDULED:
            body[unset] = None
        return body
