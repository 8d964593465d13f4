"""The interface every service emulator of the sandbox implements, and the helpers they share.

The `Emulator` (emulator.py) owns one SQLite connection, a lock, the fault injector and the validator; it
routes each request by its first path segment (`/opsgenie`, `/slack`, `/statuspage`, `/atlassian`, `/jira`)
to a `ServiceEmulator`, which keeps its state in its own tables (prefixed with its name, or with its
`table_prefix` when it has one: the `atlassian` gateway's JSM tables are `jsm_*`) so the sandbox persists
between CLI invocations.

A service emulator is called with the lock held and a `Ctx`; it never sleeps, never reads the clock
(use `ctx.now` / `ctx.clock`) and never uses the global random module (use `ctx.rng`).
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable
from urllib.parse import parse_qsl

import httpx


@dataclass(frozen=True, slots=True)
class SeedPerson:
    """One engineer of the seed, shared by all the service emulators (same email everywhere)."""

    email: str
    name: str
    timezone: str
    start_date: date
    manager: str | None
    slack_id: str


@dataclass
class Ctx:
    """What a service emulator gets with each request."""

    db: sqlite3.Connection
    now: datetime
    """Wall-clock time of the request (aware, UTC)."""
    clock: float
    """Monotonic-ish seconds, for rate limits."""
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    """Deterministic randomness (ids and the like) for this request."""
    service: str = ""
    operation: str | None = None
    """The operation name the router resolved (`ServiceEmulator.operation`), None when unknown."""
    request_id: str = ""
    """A fresh request id (Opsgenie's `requestId`, Slack's `x-slack-req-id`...)."""


@runtime_checkable
class ServiceEmulator(Protocol):
    """One vendor's API, emulated over the shared SQLite database."""

    prefix: str
    """First path segment and table prefix: "opsgenie" | "slack" | "statuspage" | "atlassian" | "jira".

    Optional attributes, read with getattr: `table_prefix` (the tables' prefix when it is not `prefix`) and
    `seed_stream` (the name of the seed rng stream when it is not `prefix`; see seed.seed_world)."""

    def create_schema(self, db: sqlite3.Connection) -> None:
        """Create this service's tables (idempotent: `CREATE TABLE IF NOT EXISTS`)."""
        ...

    def seed(self, db: sqlite3.Connection, rng: random.Random, people: Sequence[SeedPerson],
             now: datetime) -> None:
        """Fill the (empty) tables with the seed world: deterministic for one rng seed and `now`."""
        ...

    def operation(self, method: str, path: str) -> str | None:
        """The operation a request addresses, named like the spec's path template.

        e.g. "POST /v1/incidents/create", "conversations.invite",
        "PATCH /v1/pages/{page_id}/incidents/{incident_id}"; None for an unknown route.
        `path` is after the prefix (e.g. "/v2/users"), without the query string.
        """
        ...

    def handle(self, ctx: Ctx, request: httpx.Request, path: str) -> httpx.Response:
        """Answer one (authenticated, validated) request. `path` is after the prefix."""
        ...

    def status(self, db: sqlite3.Connection) -> dict[str, Any]:
        """A short summary of the state, for `oncall sandbox status`."""
        ...


# ---- helpers shared by the service emulators ------------------------------------------------------


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> httpx.Response:
    """A JSON response (compact, UTF-8) with the given status and extra headers."""
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    hdrs = {"Content-Type": "application/json; charset=utf-8"}
    if headers:
        hdrs.update(headers)
    return httpx.Response(status, content=content, headers=hdrs)


def parse_body(request: httpx.Request) -> Any:
    """The request body as data: JSON when it parses as JSON, else form fields as a dict, else None.

    Form fields repeated (`a=1&a=2`) keep the last value; an empty body gives None.
    Raises ValueError for a non-empty body that is neither (the caller answers 400 / invalid_arguments).
    """
    raw = request.content
    if not raw:
        return None
    ctype = request.headers.get("content-type", "").lower()
    text = raw.decode("utf-8")
    if "application/x-www-form-urlencoded" in ctype:
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        if "=" in text and "json" not in ctype:
            return dict(parse_qsl(text, keep_blank_values=True))
        raise ValueError("body is not valid JSON") from None


def query_params(request: httpx.Request) -> dict[str, str]:
    """Query parameters as a dict (last value wins)."""
    return dict(request.url.params.items())


def request_args(request: httpx.Request) -> dict[str, Any]:
    """Query parameters merged with a form or JSON-object body (Slack reads both)."""
    args: dict[str, Any] = query_params(request)
    body = parse_body(request)
    if isinstance(body, dict):
        args.update(body)
    return args


def json_col(value: Any) -> str:
    """Serialise a value for a JSON column."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def from_json_col(text: str | None) -> Any:
    """Read a JSON column (None stays None)."""
    return None if text is None else json.loads(text)


def next_seq(db: sqlite3.Connection, name: str, start: int = 1) -> int:
    """The next value of a named counter kept in the database (survives restarts)."""
    db.execute("CREATE TABLE IF NOT EXISTS sandbox_seq (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    row = db.execute("SELECT value FROM sandbox_seq WHERE name = ?", (name,)).fetchone()
    value = start if row is None else int(row[0]) + 1
    db.execute("INSERT OR REPLACE INTO sandbox_seq (name, value) VALUES (?, ?)", (name, value))
    return value


def new_uuid(rng: random.Random) -> str:
    """A UUID4-shaped id drawn from `rng` (deterministic per seed)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def new_id(rng: random.Random, prefix: str = "", length: int = 10,
           alphabet: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") -> str:
    """A short random id like Slack's `C0123ABCD` or Statuspage's `abcd1234` (prefix + `length` chars)."""
    return prefix + "".join(rng.choice(alphabet) for _ in range(length))


def iso_z(dt: datetime, *, millis: bool = False) -> str:
    """An aware datetime as UTC ISO 8601 with `Z` (`2024-01-01T11:00:00Z`, or `.000Z` with millis)."""
    utc = dt.astimezone(UTC)
    if millis:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 timestamp (`Z` or offset; a naive one is taken as UTC). Raises ValueError."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def has_auth(request: httpx.Request, scheme: str) -> bool:
    """True when the request carries `Authorization: <scheme> <non-empty key>` (any key is accepted)."""
    value = request.headers.get("authorization", "")
    parts = value.split(None, 1)
    return len(parts) == 2 and parts[0].lower() == scheme.lower() and bool(parts[1].strip())


# ---- the vendors' error shapes (used by the core for auth, routing, faults and validation) -----------

AUTH_SCHEMES: dict[str, str] = {
    "opsgenie": "GenieKey",
    "statuspage": "OAuth",
    "slack": "Bearer",
    "atlassian": "Basic",
    "jira": "Basic",
    "pagerduty": "Token",
}
"""The `Authorization` scheme each vendor expects (Atlassian: Basic email:API token; any is accepted)."""

_JSM_CODES = {400: "BAD_REQUEST", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT",
              412: "PRECONDITION_FAILED", 422: "UNPROCESSABLE_ENTITY", 429: "TOO_MANY_REQUESTS"}
PAGERDUTY_CODES = {400: 2001, 401: 2006, 403: 2010, 404: 2100, 429: 2020}
"""PagerDuty's error codes by status (developer.pagerduty.com, "Errors": 2001 Invalid Input Provided, 2006
Invalid Credentials, 2010 Access Denied, 2100 Not Found, 2020 Rate limit)."""
SERVICEDESK_PATH = "/rest/servicedeskapi/"
"""The Jira site's service desk API: its errors are `{"errorMessage", "i18nErrorMessage"}`, not Jira's
ErrorCollection (jsm-servicedesk.v3.json's ErrorResponse)."""


def is_servicedesk(operation: str | None) -> bool:
    """True for an operation of the service desk API ("POST /rest/servicedeskapi/request")."""
    return operation is not None and operation.partition(" ")[2].startswith(SERVICEDESK_PATH)


def servicedesk_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
    """The service desk API's ErrorResponse: `{"errorMessage", "i18nErrorMessage": {"i18nKey", "parameters"}}`
    (the i18n keys are the sandbox's own)."""
    body = {"errorMessage": message,
            "i18nErrorMessage": {"i18nKey": f"sd.sandbox.error.{status}", "parameters": []}}
    return json_response(status, body, headers)


def gateway_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
    """An answer of Atlassian's API gateway (api.atlassian.com) itself, before JSM sees the request: bad
    credentials, an unknown cloud id or route, throttling: `{"code": <status>, "message"}` (the spec's
    UnauthorizedErrorResponse)."""
    return json_response(status, {"code": status, "message": message}, headers)


def vendor_error(service: str, status: int, message: str, *, errors: Mapping[str, str] | None = None,
                 request_id: str = "", headers: Mapping[str, str] | None = None,
                 slack_error: str | None = None, operation: str | None = None) -> httpx.Response:
    """An error response in the vendor's own shape.

    - Opsgenie: `{"message", "took", "requestId"}` (+ `errors: {field: message}` on a 422).
    - Statuspage: `{"error": message}` (+ `"message"` too, so clients reading either find it).
    - Slack: HTTP 200 `{"ok": false, "error": slack_error or message}` for application errors; a real
      HTTP status (429, 5xx) keeps its status with the same body.
    - JSM Operations ("atlassian"): `{"errors": [{"title", "code"}]}`, one entry per field of `errors` (else
      one with `message`); `code` is the status's name (NOT_FOUND, UNPROCESSABLE_ENTITY...). The gateway's
      own answers are `gateway_error`.
    - PagerDuty: `{"error": {"message", "code", "errors": ["field: message", ...]}}` (the code is PagerDuty's
      own: 2001 invalid input, 2100 not found, 2006 bad credentials, 2020 rate limited, 2000 other); a v3
      `operation` (`/v3/...`) has `errors: {field: [message]}`.
    - Jira ("jira"): `{"errorMessages": [message], "errors": {field: message}}` (ErrorCollection); on a
      service desk `operation` (`is_servicedesk`), the service desk API's `servicedesk_error` instead.
    """
    if service == "opsgenie":
        body: dict[str, Any] = {"message": message, "took": 0.0, "requestId": request_id}
        if errors:
            body["errors"] = dict(errors)
        return json_response(status, body, headers)
    if service == "slack":
        code = slack_error or message
        return json_response(status if status in (429,) or status >= 500 else 200,
                             {"ok": False, "error": code}, headers)
    if service == "atlassian":
        code = _JSM_CODES.get(status, "INTERNAL_SERVER_ERROR" if status >= 500 else "ERROR")
        titles = [f"{k}: {v}" if not v.startswith(k) else v for k, v in (errors or {}).items()] or [message]
        return json_response(status, {"errors": [{"title": t, "code": code} for t in titles]}, headers)
    if service == "pagerduty":
        error: dict[str, Any] = {"message": message, "code": PAGERDUTY_CODES.get(status, 2000)}
        if errors and operation is not None and " /v3/" in operation:
            error["errors"] = {k: [v] for k, v in errors.items()}  # v3: field -> reasons
        elif errors:
            error["errors"] = [f"{k}: {v}" if not v.startswith(k) else v for k, v in errors.items()]
        return json_response(status, {"error": error}, headers)
    if service == "jira":
        if is_servicedesk(operation):
            detail = "; ".join(f"{k}: {v}" for k, v in (errors or {}).items())
            return servicedesk_error(status, f"{message} ({detail})" if detail else message, headers)
        return json_response(status, {"errorMessages": [message], "errors": dict(errors or {})}, headers)
    body = {"error": message, "message": message}
    if errors:
        body["errors"] = dict(errors)
    return json_response(status, body, headers)


def compile_template(template: str) -> re.Pattern[str]:
    """A regex for a path template like `/v2/schedules/{identifier}/rotations/{id}` (named groups, one
    segment each; a trailing slash is optional)."""
    parts = re.split(r"(\{[^}]+\})", template.rstrip("/") or "/")
    rx = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{rx}/?$")


H = TypeVar("H")


@dataclass(frozen=True)
class Route(Generic[H]):
    """One emulated operation: its method, its spec path template (the operation's name) and its handler."""

    method: str
    template: str
    pattern: re.Pattern[str]
    handler: H


class Routes(Generic[H]):
    """A service emulator's route table: which operation a request addresses, and its handler."""

    def __init__(self, table: Iterable[tuple[str, str, H]]) -> None:
        self.routes = [Route(m, t, compile_template(t), h) for m, t, h in table]

    def operation(self, method: str, path: str) -> str | None:
        """The operation's name (`METHOD /template`), None for an unknown route."""
        found = self.find(method, path)
        return None if found is None else f"{found[1].method} {found[1].template}"

    def find(self, method: str, path: str) -> tuple[re.Match[str], Route[H]] | None:
        """The first route of this method whose template matches the path, with the match."""
        wanted = method.upper()
        for route in self.routes:
            if route.method == wanted and (match := route.pattern.match(path)) is not None:
                return match, route
        return None
