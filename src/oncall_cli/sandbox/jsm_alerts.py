"""JSM Operations alerts on the sandbox's API gateway (prefix `atlassian` = https://api.atlassian.com), as the
vendored excerpt (specs/jsm-ops.json) describes them; jsm.py routes them and checks the cloud id.

    GET  /jsm/ops/api/{cloudId}/v1/alerts                   list: offset + size (≤ 100, default 20), sort,
                                                             order, query -> {values, count, links.next}
    GET  /jsm/ops/api/{cloudId}/v1/alerts/{id}              one alert (AlertResponse), 404 when unknown
    POST /jsm/ops/api/{cloudId}/v1/alerts/{id}/acknowledge  -> 202 {result, requestId, took}
    POST /jsm/ops/api/{cloudId}/v1/alerts/{id}/close        -> 202
    POST /jsm/ops/api/{cloudId}/v1/alerts/{id}/tags         {tags} -> 202
    GET  /jsm/ops/api/{cloudId}/v1/alerts/requests/{id}     the outcome of a 202 (GetRequestStatusResponse)

- Actions are asynchronous as upstream: 202 with a `requestId` at once; an unknown alert is not a 404 there
  but a request whose status says `isSuccess: false`, "Alert does not exist" (the spec lists only 202 and
  401 for them). Requests are processed at once (no pending polls).
- Acknowledging sets `acknowledged`, `ackTime` and status `acked` (an acknowledged alert again: no change);
  the owner becomes the credential's account (its display name, as the spec's `owner` says) when the Basic
  email is an account of the site. Closing sets status `closed` and `closeTime`.
- The search `query` understands `status:<s>`, `tinyId:<n>`, `tag:<t>` and `priority:<p>` terms, joined by
  `AND` (or spaces), each term possibly `a OR b` alternatives in parentheses: `status:(open OR acked)`.
  Anything else is a 422, so a query the sandbox cannot answer is never silently ignored.
- Seed: `seed.SEED_ALERTS`, the same alerts as the Opsgenie seed's (responders by account id). Tables
  `jsm_alerts`, `jsm_alert_requests`.
"""

from __future__ import annotations

import base64
import random
import re
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from oncall_cli.sandbox.base import (
    Ctx,
    SeedPerson,
    from_json_col,
    iso_z,
    json_col,
    json_response,
    new_uuid,
    next_seq,
    vendor_error,
)
from oncall_cli.sandbox.seed import SEED_ALERT_ACK_AFTER, SEED_ALERTS, atlassian_account_id

API = "/jsm/ops/api/{cloudId}/v1/alerts"
DEFAULT_SIZE = 20
MAX_SIZE = 100

SCHEMA = """
CREATE TABLE IF NOT EXISTS jsm_alerts (id TEXT PRIMARY KEY, tiny_id INTEGER NOT NULL UNIQUE,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jsm_alert_requests (id TEXT PRIMARY KEY, data TEXT NOT NULL);
"""


class AlertError(Exception):
    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def create_schema(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


def seed(db: sqlite3.Connection, rng: random.Random, people: Sequence[SeedPerson], now: datetime) -> None:
    """The seed's alerts (`SEED_ALERTS`), paging their engineer by account id."""
    for alert in SEED_ALERTS:
        person = people[alert.responder]
        created = now - alert.age
        data: dict[str, Any] = {
            "message": alert.message, "status": "open", "acknowledged": False, "tags": list(alert.tags),
            "createdAt": iso_z(created, millis=True), "updatedAt": iso_z(created, millis=True),
            "source": "Datadog", "owner": "", "priority": alert.priority, "count": 1,
            "responders": [{"type": "user", "id": atlassian_account_id(person)}],
        }
        if alert.acknowledged:
            data.update(status="acked", acknowledged=True, owner=person.name,
                        ackTime=iso_z(created + SEED_ALERT_ACK_AFTER, millis=True))
        db.execute("INSERT INTO jsm_alerts (id, tiny_id, data) VALUES (?, ?, ?)",
                   (new_uuid(rng), next_seq(db, "jsm_alert_tiny"), json_col(data)))


def _json(row: sqlite3.Row) -> dict[str, Any]:
    """An alert as `AlertResponse` shows it (no null fields: the spec marks none nullable)."""
    data = from_json_col(row["data"])
    out: dict[str, Any] = {
        "id": row["id"], "tinyId": str(row["tiny_id"]), "message": data["message"],
        "status": data["status"], "acknowledged": bool(data.get("acknowledged")),
        "tags": data.get("tags", []),
        "createdAt": data["createdAt"], "updatedAt": data["updatedAt"], "source": data.get("source", "API"),
        "owner": data.get("owner", ""), "priority": data.get("priority", "P3"), "count": data.get("count", 1),
        "responders": data.get("responders", []), "snoozed": False, "seen": False, "alias": row["id"],
        "lastOccuredAt": data["createdAt"], "integrationType": "API", "integrationName": "Default API",
        "extraProperties": {}, "actions": [], "description": data.get("description", ""), "entity": "",
    }
    for key in ("ackTime", "closeTime"):
        if data.get(key):
            out[key] = data[key]
    return out


def _row(db: sqlite3.Connection, alert_id: str) -> sqlite3.Row | None:
    found: sqlite3.Row | None = db.execute("SELECT * FROM jsm_alerts WHERE id = ?", (alert_id,)).fetchone()
    return found


_TERM = re.compile(r"^(status|tinyId|tag|priority):(.+)$")


def _matches(alert: dict[str, Any], query: str) -> bool:
    """The sandbox's subset of the alert search (see the module docstring); a 422 for anything else."""
    text = query.strip()
    if not text:
        return True
    terms = [t for t in re.split(r"\s+AND\s+|\s+(?![^()]*\))", text) if t and t.upper() != "AND"]
    for term in terms:
        found = _TERM.match(term)
        if found is None:
            message = f"Invalid query: [{term}] is not supported by the sandbox"
            raise AlertError(422, message, {"query": query})
        field, value = found.groups()
        options = {v.strip().strip('"').lower() for v in value.strip("()").split(" OR ")}
        if field == "status":
            have = {str(alert["status"]).lower()}
        elif field == "tinyId":
            have = {str(alert["tinyId"])}
        elif field == "priority":
            have = {str(alert["priority"]).lower()}
        else:
            have = {str(t).lower() for t in alert["tags"]}
        if not have & options:
            return False
    return True


def _int(request: httpx.Request, name: str, default: int) -> int:
    raw = request.url.params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise AlertError(422, f"{name} must be an integer", {name: "must be an integer"}) from None


def _h_list(ctx: Ctx, request: httpx.Request, match: dict[str, str], body: Any) -> httpx.Response:
    offset, size = _int(request, "offset", 0), _int(request, "size", DEFAULT_SIZE)
    if offset < 0 or not 1 <= size <= MAX_SIZE:
        raise AlertError(422, f"offset must be 0 or more and size between 1 and {MAX_SIZE}")
    alerts = [_json(r) for r in ctx.db.execute("SELECT * FROM jsm_alerts ORDER BY tiny_id")]
    alerts = [a for a in alerts if _matches(a, str(request.url.params.get("query") or ""))]
    sort = str(request.url.params.get("sort") or "insertedAt")
    key = "priority" if sort == "priority" else "createdAt"
    alerts.sort(key=lambda a: (str(a[key]), int(a["tinyId"])),
                reverse=str(request.url.params.get("order") or "desc") == "desc")
    out: dict[str, Any] = {"values": alerts[offset: offset + size], "count": len(alerts), "links": {}}
    if offset + size < len(alerts):
        params = [(k, v) for k, v in request.url.params.multi_items() if k not in ("offset", "size")]
        out["links"]["next"] = "/v1/alerts?" + urlencode([*params, ("offset", offset + size), ("size", size)])
    return json_response(200, out)


def _h_get(ctx: Ctx, request: httpx.Request, match: dict[str, str], body: Any) -> httpx.Response:
    row = _row(ctx.db, match["id"])
    if row is None:
        raise AlertError(404, f"Alert with id [{match['id']}] does not exist")
    return json_response(200, _json(row))


def _acknowledger(ctx: Ctx, request: httpx.Request) -> str:
    """The display name of the credential's account (Basic email), or "" when it is no account here."""
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Basic "):
        return ""
    try:
        email = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
    except (ValueError, UnicodeDecodeError):
        return ""
    found = ctx.db.execute("SELECT data FROM jira_users WHERE email = ?", (email,)).fetchone()
    return str(from_json_col(found["data"]).get("displayName", "")) if found is not None else ""


def _action(ctx: Ctx, match: dict[str, str], action: str,
            change: Callable[[dict[str, Any]], None]) -> httpx.Response:
    """202 at once; the outcome (an unknown alert: not successful) is kept for the request status."""
    request_id = new_uuid(ctx.rng)
    row = _row(ctx.db, match["id"])
    outcome: dict[str, Any] = {"action": action, "processedAt": iso_z(ctx.now, millis=True),
                               "isSuccess": row is not None, "alertId": match["id"],
                               "status": "Request processed successfully" if row else "Alert does not exist"}
    if row is not None:
        data = from_json_col(row["data"])
        change(data)
        data["updatedAt"] = iso_z(ctx.now, millis=True)
        ctx.db.execute("UPDATE jsm_alerts SET data = ? WHERE id = ?", (json_col(data), row["id"]))
    ctx.db.execute("INSERT INTO jsm_alert_requests (id, data) VALUES (?, ?)", (request_id, json_col(outcome)))
    return json_response(202, {"result": "Request will be processed", "requestId": request_id, "took": 0})


def _h_acknowledge(ctx: Ctx, request: httpx.Request, match: dict[str, str], body: Any) -> httpx.Response:
    owner = _acknowledger(ctx, request)

    def change(data: dict[str, Any]) -> None:
        if data.get("acknowledged"):
            return
        data.update(acknowledged=True, ackTime=iso_z(ctx.now, millis=True))
        if data["status"] == "open":
            data["status"] = "acked"
        if owner and not data.get("owner"):
            data["owner"] = owner

    return _action(ctx, match, "Acknowledge", change)


def _h_close(ctx: Ctx, request: httpx.Request, match: dict[str, str], body: Any) -> httpx.Response:
    def change(data: dict[str, Any]) -> None:
        if data["status"] != "closed":
            data.update(status="closed", closeTime=iso_z(ctx.now, millis=True))

    return _action(ctx, match, "Close", change)


def _h_add_tags(ctx: Ctx, request: httpx.Request, match: dict[str, str], body: Any) -> httpx.Response:
    def change(data: dict[str, Any]) -> None:
        data["tags"] = list(dict.fromkeys([*data.get("tags", []), *(str(t) for t in body["tags"])]))

    return _action(ctx, match, "AddTags", change)


def _h_request_status(ctx: Ctx, request: httpx.Request, match: dict[str, str], body: Any) -> httpx.Response:
    found = ctx.db.execute("SELECT data FROM jsm_alert_requests WHERE id = ?", (match["id"],)).fetchone()
    if found is None:
        raise AlertError(404, f"Request with id [{match['id']}] does not exist")
    return json_response(200, from_json_col(found["data"]))


Handler = Callable[[Ctx, httpx.Request, dict[str, str], Any], httpx.Response]
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", API + "/requests/{id}", _h_request_status),
    ("GET", API, _h_list),
    ("GET", API + "/{id}", _h_get),
    ("POST", API + "/{id}/acknowledge", _h_acknowledge),
    ("POST", API + "/{id}/close", _h_close),
    ("POST", API + "/{id}/tags", _h_add_tags),
]
"""(method, template, handler): names as in specs/jsm-ops.json after its `/jsm/ops` base."""


def handle(
    ctx: Ctx, request: httpx.Request, handler: Handler, match: dict[str, str], body: Any
) -> httpx.Response:
    """Answer one alert request (jsm.py has routed it and checked the cloud id)."""
    try:
        return handler(ctx, request, match, body)
    except AlertError as exc:
        return vendor_error("atlassian", exc.status, exc.message, errors=exc.errors)


def counts(db: sqlite3.Connection) -> dict[str, int]:
    return {"alerts": int(db.execute("SELECT COUNT(*) FROM jsm_alerts").fetchone()[0])}
