"""PagerDuty's incidents on the sandbox (prefix `pagerduty`, routed by pagerduty.py), as the vendored
specs/pagerduty.json describes them: services, priorities, incidents (create, list, get, update), their
notes, log entries, status updates and subscribers, and responder requests.

- Writes that act for a person (`POST /incidents`, `PUT /incidents/{id}`, notes, status updates) need a
  `From` header naming a user of the account, else 400 (PagerDuty: "You must specify a From header...").
- `incident_key` dedups: a create with the key of an open (not resolved) incident of the same service is a
  400 ("Open incident with matching dedup key already exists on this service"), and nothing is created.
- `incident_number` counts from 1 per account; `GET /incidents/{id}` takes the id or the number.
- `GET /incidents` searches `since`..`until` (default: the last month; `date_range=all` ignores both) by
  `incident_key`, `service_ids[]`, `statuses[]`, sorted by `sort_by` (`created_at:asc|desc`, default
  ascending), paged like every list. The body is not returned (the API returns it only with
  `include[]=body`, which the spec's `include[]` does not offer).
- A responder request adds each target user to `incidents_responders` (state `pending`) once.
- Log entries: `trigger_log_entry` (the create), `annotate_log_entry` (each note), `resolve_log_entry` (its
  `note` the `resolution`), oldest first, without their `channel` (the spec's `Channel` is a `oneOf` whose
  alternatives every channel matches). Acknowledgements are not listed: the spec's `LogEntry` and
  `AcknowledgeLogEntry` disagree on their type (`acknowledge_log_entry` / `acknowledgement_log_entry`), so
  no acknowledge entry can be valid.

Seed (`seed_incidents`, called by seed.py's `seed_world`): the services of the seed (Artsy, Gravity,
Metaphysics) and the priorities P1-P5. Tables `pagerduty_services`, `pagerduty_priorities`,
`pagerduty_incidents`, `pagerduty_incident_notes`, `pagerduty_status_updates`, `pagerduty_subscribers`.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from oncall_cli.sandbox.base import (
    Ctx,
    Routes,
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
    API,
    PagerDutyError,
    Request,
    invalid,
    page,
    pd_id,
    ref,
)
from oncall_cli.sandbox.seed import OPSGENIE_SERVICES

PRIORITIES = (
    ("P1", "Critical: customers cannot use the product"),
    ("P2", "High: a major feature is down"),
    ("P3", "Moderate: degraded, with a workaround"),
    ("P4", "Low: internal impact only"),
    ("P5", "Informational: practice"),
)
DEDUP_MESSAGE = "Open incident with matching dedup key already exists on this service"

SCHEMA = """
CREATE TABLE IF NOT EXISTS pagerduty_services (id TEXT PRIMARY KEY, name TEXT NOT NULL, seq INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_priorities (id TEXT PRIMARY KEY, name TEXT NOT NULL,
    seq INTEGER NOT NULL, description TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_incidents (id TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE,
    service_id TEXT NOT NULL, status TEXT NOT NULL, incident_key TEXT, created_at TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_incident_notes (id TEXT PRIMARY KEY, incident_id TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_status_updates (id TEXT PRIMARY KEY, incident_id TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pagerduty_subscribers (incident_id TEXT NOT NULL, subscriber_id TEXT NOT NULL,
    subscriber_type TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (incident_id, subscriber_id));
"""


def create_schema(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


def seed_incidents(db: sqlite3.Connection, rng: random.Random) -> None:
    """The seed's services (as Opsgenie's: Artsy, Gravity, Metaphysics) and the priorities P1-P5."""
    for name, description in OPSGENIE_SERVICES:
        db.execute(
            "INSERT INTO pagerduty_services (id, name, seq, data) VALUES (?, ?, ?, ?)",
            (pd_id(rng), name, next_seq(db, "pagerduty_service"), json_col({"description": description})),
        )
    for name, description in PRIORITIES:
        db.execute(
            "INSERT INTO pagerduty_priorities (id, name, seq, description) VALUES (?, ?, ?, ?)",
            (pd_id(rng), name, next_seq(db, "pagerduty_priority"), description),
        )


def counts(db: sqlite3.Connection) -> dict[str, int]:
    def count(table: str) -> int:
        return int(db.execute(f"SELECT COUNT(*) FROM pagerduty_{table}").fetchone()[0])

    return {name: count(name) for name in ("services", "priorities", "incidents", "incident_notes")}


# ---- requests ---------------------------------------------------------------------------------------------


class _Req(Request):
    """A request that may act for a person (the `From` header)."""

    def author(self) -> str:
        """The user id of the `From` header's email; 400 when it names no user of the account."""
        email = self.request.headers.get("from", "")
        row = self.db.execute("SELECT id FROM pagerduty_users WHERE email = ?", (email,)).fetchone()
        if not email or row is None:
            raise invalid("From", "You must specify a From header with the email of a user of this account")
        return str(row["id"])

    def object(self, key: str) -> dict[str, Any]:
        found = self.body.get(key) if isinstance(self.body, dict) else None
        if not isinstance(found, dict):
            raise invalid(key, f"{key} is required")
        return found


def _user_ref(db: sqlite3.Connection, user_id: str) -> dict[str, Any]:
    row = db.execute("SELECT data FROM pagerduty_users WHERE id = ?", (user_id,)).fetchone()
    return ref("user", user_id, from_json_col(row["data"])["name"] if row else None)


def _service_json(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    data = from_json_col(row["data"])
    # Every service has an escalation policy: the seed's one (the schedules' side seeds it).
    policy = db.execute("SELECT id, name FROM pagerduty_escalation_policies ORDER BY seq LIMIT 1").fetchone()
    return {
        "id": row["id"],
        "type": "service",
        "summary": row["name"],
        "self": f"{API}/services/{row['id']}",
        "html_url": None,
        "name": row["name"],
        "description": data["description"],
        "status": "active",
        "escalation_policy": ref(
            "escalation_policy", policy["id"] if policy else "PNOPOLI", policy["name"] if policy else None,
            "escalation_policies",
        ),
    }


def _priority_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "type": "priority",
        "summary": row["name"],
        "self": f"{API}/priorities/{row['id']}",
        "html_url": None,
        "name": row["name"],
        "description": row["description"],
    }


def _incident_row(db: sqlite3.Connection, ref: str) -> sqlite3.Row:
    row: sqlite3.Row | None = db.execute("SELECT * FROM pagerduty_incidents WHERE id = ?", (ref,)).fetchone()
    if row is None and ref.isdigit():
        row = db.execute("SELECT * FROM pagerduty_incidents WHERE number = ?", (int(ref),)).fetchone()
    if row is None:
        raise PagerDutyError(404, "Not Found")
    return row


def _incident_json(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    data = from_json_col(row["data"])
    service = db.execute("SELECT name FROM pagerduty_services WHERE id = ?", (row["service_id"],)).fetchone()
    out: dict[str, Any] = {
        "id": row["id"],
        "type": "incident",
        "summary": f"[#{row['number']}] {data['title']}",
        "self": f"{API}/incidents/{row['id']}",
        "html_url": f"https://sandbox.pagerduty.com/incidents/{row['id']}",
        "incident_number": row["number"],
        "title": data["title"],
        "created_at": row["created_at"],
        "updated_at": data["updated_at"],
        "status": row["status"],
        "urgency": data["urgency"],
        "service": ref("service", row["service_id"], service["name"] if service else None),
        "incidents_responders": [
            {"state": r["state"], "user": _user_ref(db, r["user_id"]), "requested_at": r["requested_at"]}
            for r in data["responders"]
        ],
        "last_status_change_at": data["last_status_change_at"],
    }
    if row["incident_key"]:
        out["incident_key"] = row["incident_key"]
    if data.get("resolved_at"):
        out["resolved_at"] = data["resolved_at"]
    prio = db.execute(
        "SELECT * FROM pagerduty_priorities WHERE id = ?", (data.get("priority_id"),)
    ).fetchone()
    if prio is not None:
        out["priority"] = _priority_json(prio)
    return out


def _save(db: sqlite3.Connection, row: sqlite3.Row, status: str, data: dict[str, Any]) -> None:
    db.execute(
        "UPDATE pagerduty_incidents SET status = ?, data = ? WHERE id = ?",
        (status, json_col(data), row["id"]),
    )


def _priority_id(db: sqlite3.Connection, raw: Any) -> str | None:
    if raw is None:
        return None
    wanted = raw.get("id") if isinstance(raw, dict) else None
    row = db.execute("SELECT id FROM pagerduty_priorities WHERE id = ?", (wanted,)).fetchone()
    if row is None:
        raise invalid("priority", f"Priority {wanted} not found")
    return str(row["id"])


def _urgency(raw: Any, default: str) -> str:
    if raw is None:
        return default
    if raw not in ("high", "low"):
        raise invalid("urgency", "urgency must be high or low")
    return str(raw)


# ---- handlers ---------------------------------------------------------------------------------------------


def _h_list_services(req: _Req) -> httpx.Response:
    rows = list(req.db.execute("SELECT * FROM pagerduty_services ORDER BY seq"))
    query = (req.param("query") or "").strip().lower()
    if query:
        rows = [r for r in rows if query in r["name"].lower()]
    return page(req, "services", [_service_json(req.db, r) for r in rows])


def _h_list_priorities(req: _Req) -> httpx.Response:
    rows = req.db.execute("SELECT * FROM pagerduty_priorities ORDER BY seq")
    return page(req, "priorities", [_priority_json(r) for r in rows])


def _h_create_incident(req: _Req) -> httpx.Response:
    author = req.author()
    incident = req.object("incident")
    title = str(incident.get("title") or "").strip()
    if not title:
        raise invalid("title", "title is required")
    service_id = (incident.get("service") or {}).get("id")
    if req.db.execute("SELECT 1 FROM pagerduty_services WHERE id = ?", (service_id,)).fetchone() is None:
        raise invalid("service", f"Service {service_id} not found")
    key = incident.get("incident_key")
    if key and req.db.execute(
        "SELECT 1 FROM pagerduty_incidents "
        "WHERE service_id = ? AND incident_key = ? AND status != 'resolved'",
        (service_id, key),
    ).fetchone():
        raise PagerDutyError(400, "Invalid Input Provided", {"incident_key": DEDUP_MESSAGE})
    now = iso_z(req.ctx.now)
    incident_id = pd_id(req.ctx.rng)
    number = next_seq(req.db, "pagerduty_incident_number")
    data: dict[str, Any] = {
        "title": title,
        "urgency": _urgency(incident.get("urgency"), "high"),
        "priority_id": _priority_id(req.db, incident.get("priority")),
        "details": (incident.get("body") or {}).get("details"),
        "updated_at": now,
        "last_status_change_at": now,
        "created_by": author,
        "responders": [],
        "log": [{"type": "trigger_log_entry", "at": now, "agent": author, "note": None}],
    }
    req.db.execute(
        "INSERT INTO pagerduty_incidents (id, number, service_id, status, incident_key, created_at, data) "
        "VALUES (?, ?, ?, 'triggered', ?, ?, ?)",
        (incident_id, number, service_id, key, now, json_col(data)),
    )
    return json_response(201, {"incident": _incident_json(req.db, _incident_row(req.db, incident_id))})


def _h_list_incidents(req: _Req) -> httpx.Response:
    rows = list(req.db.execute("SELECT * FROM pagerduty_incidents"))
    if req.param("date_range") != "all":
        until = req.time_param("until") or req.ctx.now
        since = req.time_param("since") or until - timedelta(days=30)
        rows = [r for r in rows if since <= parse_iso(r["created_at"]) <= until]
    key = req.param("incident_key")
    if key:
        rows = [r for r in rows if r["incident_key"] == key]
    services = req.params("service_ids[]")
    if services:
        rows = [r for r in rows if r["service_id"] in services]
    statuses = req.params("statuses[]")
    if statuses:
        rows = [r for r in rows if r["status"] in statuses]
    field, _, order = (req.param("sort_by") or "created_at:asc").partition(":")
    if field not in ("created_at", "incident_number"):
        raise invalid("sort_by", f"sorting by {field} is not supported by the sandbox")
    rows.sort(key=lambda r: (parse_iso(r["created_at"]), r["number"]), reverse=order == "desc")
    return page(req, "incidents", [_incident_json(req.db, r) for r in rows])


def _h_get_incident(req: _Req) -> httpx.Response:
    row = _incident_row(req.db, req.match["id"])
    return json_response(200, {"incident": _incident_json(req.db, row)})


def _h_update_incident(req: _Req) -> httpx.Response:
    author = req.author()
    row = _incident_row(req.db, req.match["id"])
    change = req.object("incident")
    data = from_json_col(row["data"])
    status = str(row["status"])
    now = iso_z(req.ctx.now)
    wanted = change.get("status")
    if wanted is not None and wanted != status:
        if wanted not in ("triggered", "acknowledged", "resolved"):
            raise invalid("status", "status must be triggered, acknowledged or resolved")
        status = str(wanted)
        data["last_status_change_at"] = now
        data["last_status_change_by"] = author
        if status == "resolved":
            data["resolved_at"] = now
            data["resolution"] = change.get("resolution")
            data["log"].append({"type": "resolve_log_entry", "at": now, "agent": author,
                                "note": change.get("resolution")})
        else:
            data.pop("resolved_at", None)
    if "priority" in change:
        data["priority_id"] = _priority_id(req.db, change["priority"])
    data["urgency"] = _urgency(change.get("urgency"), data["urgency"])
    if change.get("title"):
        data["title"] = str(change["title"])
    data["updated_at"] = now
    _save(req.db, row, status, data)
    return json_response(200, {"incident": _incident_json(req.db, _incident_row(req.db, row["id"]))})


def _note_json(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    data = from_json_col(row["data"])
    return {
        "id": row["id"],
        "user": _user_ref(db, data["user_id"]),
        "channel": {"summary": "The PagerDuty REST API"},
        "content": data["content"],
        "created_at": data["created_at"],
    }


def _h_list_notes(req: _Req) -> httpx.Response:
    incident = _incident_row(req.db, req.match["id"])
    rows = req.db.execute(
        "SELECT * FROM pagerduty_incident_notes WHERE incident_id = ? ORDER BY seq", (incident["id"],)
    )
    return json_response(200, {"notes": [_note_json(req.db, r) for r in rows]})


def _h_create_note(req: _Req) -> httpx.Response:
    author = req.author()
    incident = _incident_row(req.db, req.match["id"])
    content = str(req.object("note").get("content") or "")
    if not content.strip():
        raise invalid("content", "content is required")
    note_id = pd_id(req.ctx.rng)
    data = from_json_col(incident["data"])
    data["log"].append({"type": "annotate_log_entry", "at": iso_z(req.ctx.now), "agent": author,
                        "note": content})
    _save(req.db, incident, str(incident["status"]), data)
    req.db.execute(
        "INSERT INTO pagerduty_incident_notes (id, incident_id, seq, data) VALUES (?, ?, ?, ?)",
        (
            note_id,
            incident["id"],
            next_seq(req.db, "pagerduty_incident_note"),
            json_col({"user_id": author, "content": content, "created_at": iso_z(req.ctx.now)}),
        ),
    )
    row = req.db.execute("SELECT * FROM pagerduty_incident_notes WHERE id = ?", (note_id,)).fetchone()
    return json_response(200, {"note": _note_json(req.db, row)})


def _h_list_log_entries(req: _Req) -> httpx.Response:
    incident = _incident_row(req.db, req.match["id"])
    data = from_json_col(incident["data"])
    events = data["log"]
    summaries = {"trigger_log_entry": "Triggered through the API", "annotate_log_entry": "Note added",
                 "resolve_log_entry": "Resolved through the API"}
    entries = []
    for n, event in enumerate(events):
        entry_id = f"R{incident['id']}{n:04d}"
        entry: dict[str, Any] = {
            "id": entry_id,
            "type": event["type"],
            "summary": summaries[event["type"]],
            "self": f"{API}/log_entries/{entry_id}",
            "html_url": None,
            "created_at": event["at"],
            "agent": _user_ref(req.db, event["agent"]),
            "incident": ref("incident", incident["id"], None),
        }
        if event["note"]:
            entry["note"] = event["note"]
        entries.append(entry)
    return page(req, "log_entries", entries)


def _h_create_status_update(req: _Req) -> httpx.Response:
    author = req.author()
    incident = _incident_row(req.db, req.match["id"])
    message = req.body.get("message") if isinstance(req.body, dict) else None
    if not isinstance(message, str) or not message.strip():
        raise invalid("message", "message is required")
    update = {"id": pd_id(req.ctx.rng), "message": message, "created_at": iso_z(req.ctx.now),
              "sender": _user_ref(req.db, author)}
    req.db.execute(
        "INSERT INTO pagerduty_status_updates (id, incident_id, seq, data) VALUES (?, ?, ?, ?)",
        (update["id"], incident["id"], next_seq(req.db, "pagerduty_status_update"), json_col(update)),
    )
    return json_response(200, {"status_update": update})


def _h_add_subscribers(req: _Req) -> httpx.Response:
    incident = _incident_row(req.db, req.match["id"])
    subscribers = req.body.get("subscribers") if isinstance(req.body, dict) else None
    if not isinstance(subscribers, list) or not subscribers:
        raise invalid("subscribers", "subscribers is required")
    results = []
    for item in subscribers:
        sid, kind = str(item.get("subscriber_id")), str(item.get("subscriber_type"))
        table = "pagerduty_users" if kind == "user" else "pagerduty_teams"
        if req.db.execute(f"SELECT 1 FROM {table} WHERE id = ?", (sid,)).fetchone() is None:
            raise invalid("subscribers", f"{kind} {sid} not found")
        fresh = req.db.execute(
            "INSERT OR IGNORE INTO pagerduty_subscribers (incident_id, subscriber_id, subscriber_type, seq) "
            "VALUES (?, ?, ?, ?)",
            (incident["id"], sid, kind, next_seq(req.db, "pagerduty_subscriber")),
        ).rowcount
        results.append({"subscriber_id": sid, "subscriber_type": kind, "subscribable_id": incident["id"],
                        "subscribable_type": "incident", "account_id": "PSANDBOX",
                        "result": "success" if fresh else "duplicate"})
    return json_response(200, {"subscriptions": results})


def _h_create_responder_request(req: _Req) -> httpx.Response:
    incident = _incident_row(req.db, req.match["id"])
    body = req.body if isinstance(req.body, dict) else {}
    requester = str(body.get("requester_id") or "")
    if req.db.execute("SELECT 1 FROM pagerduty_users WHERE id = ?", (requester,)).fetchone() is None:
        raise invalid("requester_id", f"User {requester} not found")
    targets = []
    for item in body.get("responder_request_targets") or []:
        target = item.get("responder_request_target", item) if isinstance(item, dict) else {}
        user_id = str(target.get("id") or "")
        if target.get("type") != "user_reference" or req.db.execute(
            "SELECT 1 FROM pagerduty_users WHERE id = ?", (user_id,)
        ).fetchone() is None:
            raise invalid("responder_request_targets", f"User {user_id} not found")
        targets.append(user_id)
    if not targets:
        raise invalid("responder_request_targets", "at least one target is required")
    data = from_json_col(incident["data"])
    now = iso_z(req.ctx.now)
    known = {r["user_id"] for r in data["responders"]}
    data["responders"] += [
        {"user_id": u, "state": "pending", "requested_at": now}
        for u in dict.fromkeys(targets)
        if u not in known
    ]
    _save(req.db, incident, str(incident["status"]), data)
    request = {
        "id": pd_id(req.ctx.rng),
        "incident": ref("incident", incident["id"], None),
        "requester": _user_ref(req.db, requester),
        "requested_at": now,
        "message": str(body.get("message") or ""),
        "responder_request_targets": [
            {"type": "user_reference", "id": u, "summary": _user_ref(req.db, u)["summary"]} for u in targets
        ],
    }
    return json_response(200, {"responder_request": request})


Handler = Callable[[_Req], httpx.Response]
_INCIDENT = "/incidents/{id}"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/services", _h_list_services),
    ("GET", "/priorities", _h_list_priorities),
    ("GET", "/incidents", _h_list_incidents),
    ("POST", "/incidents", _h_create_incident),
    ("GET", _INCIDENT, _h_get_incident),
    ("PUT", _INCIDENT, _h_update_incident),
    ("GET", _INCIDENT + "/notes", _h_list_notes),
    ("POST", _INCIDENT + "/notes", _h_create_note),
    ("GET", _INCIDENT + "/log_entries", _h_list_log_entries),
    ("POST", _INCIDENT + "/status_updates", _h_create_status_update),
    ("POST", _INCIDENT + "/status_updates/subscribers", _h_add_subscribers),
    ("POST", _INCIDENT + "/responder_requests", _h_create_responder_request),
]
"""(method, template, handler): names as in specs/pagerduty.json."""
ROUTER = Routes(ROUTES)
OPERATIONS: tuple[str, ...] = tuple(f"{m} {t}" for m, t, _ in ROUTES)


def handle(ctx: Ctx, request: httpx.Request, path: str) -> httpx.Response | None:
    """Answer one incident request (None: not an incident route, for pagerduty.py's own routes)."""
    found = ROUTER.find(request.method, path)
    if found is None:
        return None
    match, route = found
    try:
        try:
            body = parse_body(request)
        except (ValueError, UnicodeDecodeError):
            raise invalid("body", "not valid JSON") from None
        return route.handler(_Req(ctx, request, match.groupdict(), body))
    except PagerDutyError as exc:
        return vendor_error("pagerduty", exc.status, exc.message, errors=exc.errors)
