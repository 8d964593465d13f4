"""The sandbox: one in-process emulator of Opsgenie, Slack, Statuspage, JSM Operations and a Jira site over
one SQLite database.

`Emulator.handle(request)` routes by the first path segment (`/opsgenie`, `/slack`, `/statuspage`, and
`/atlassian` for the api.atlassian.com gateway (JSM Operations at `/atlassian/jsm/ops/api/{cloudId}/v1/...`,
the JSM Incident API at `/atlassian/jsm/incidents/cloudId/{cloudId}/v1/...`), `/jira` for a Jira site
`https://<site>.atlassian.net` (`/jira/rest/api/3/...`, the service desk API at
`/jira/rest/servicedeskapi/...`, `/jira/_edge/tenant_info`, the Teams API at
`/jira/gateway/api/public/teams/v1/...`), `/pagerduty` for PagerDuty's REST API v2), checks
the vendor's auth header scheme, applies injected faults (and, when `rate_limits` is on, Slack's and
Opsgenie's rate limits: ratelimits.py), validates the request against the vendor's spec,
lets the service emulator answer under the database lock, and validates the answer. `transport()` plugs it
into an `httpx.Client`; `server.serve` exposes the same over real HTTP.

    emulator = Emulator()                         # in memory, seeded
    client = httpx.Client(transport=emulator.transport())
    client.get(f"{SANDBOX_URLS['opsgenie']}/v2/account", headers={"Authorization": "GenieKey any"})
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from oncall_cli.errors import ConfigError
from oncall_cli.private_files import private_file
from oncall_cli.sandbox.base import (
    AUTH_SCHEMES,
    Ctx,
    ServiceEmulator,
    gateway_error,
    has_auth,
    json_response,
    new_uuid,
    next_seq,
    vendor_error,
)
from oncall_cli.sandbox.faults import Decision, Fault, Faults
from oncall_cli.sandbox.ratelimits import RateLimits, throttled_response
from oncall_cli.sandbox.validation import (
    RequestRejected,
    Validator,
    default_validator,
    rejection_response,
)

SANDBOX_BASE = "http://sandbox.oncall.invalid"
SANDBOX_URLS = {
    "opsgenie": f"{SANDBOX_BASE}/opsgenie",
    "statuspage": f"{SANDBOX_BASE}/statuspage",
    "slack": f"{SANDBOX_BASE}/slack",
    "atlassian": f"{SANDBOX_BASE}/atlassian",
    "jira": f"{SANDBOX_BASE}/jira",
    "pagerduty": f"{SANDBOX_BASE}/pagerduty",
}
"""Where each vendor lives in the sandbox. "atlassian" stands for https://api.atlassian.com (JSM Operations:
`{url}/jsm/ops/api/{SANDBOX_CLOUD_ID}/v1/...`), "jira" for the site https://<site>.atlassian.net."""
SANDBOX_CLOUD_ID = "a1b2c3d4-0000-4000-8000-00000000c10d"
"""The sandbox Jira site's cloud id (`GET /jira/_edge/tenant_info`); JSM paths with any other answer 404.
(config.py's sandbox profile holds the same value: the sandbox does not import config.)"""
SANDBOX_ORG_ID = "a1b2c3d4-0000-4000-8000-0000000000a9"
"""The sandbox's Atlassian organization id (the Teams API's `{orgId}`); config.py holds the same value."""
SANDBOX_TEAM_ID = "a1b2c3d4-0000-4000-8000-000000007ea1"
"""The Atlassian platform team "Engineering" (the Opsgenie team's members; the JSM schedule's `teamId`)."""
DEFAULT_SEED = 1
_META_TABLE = "CREATE TABLE IF NOT EXISTS sandbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"

__all__ = [
    "DEFAULT_SEED",
    "SANDBOX_BASE",
    "SANDBOX_CLOUD_ID",
    "SANDBOX_ORG_ID",
    "SANDBOX_TEAM_ID",
    "SANDBOX_URLS",
    "Call",
    "Dropped",
    "Emulator",
    "Fault",
    "default_db_path",
]


def default_db_path() -> Path:
    """Where `oncall --sandbox` keeps its state: the user data dir of `oncall`, `sandbox.db`."""
    import platformdirs  # only the sandbox commands need it

    return Path(platformdirs.user_data_dir("oncall")) / "sandbox.db"


class Dropped(Exception):
    """A "drop" fault: the connection closes without an answer (`sent`: the request reached us first)."""

    def __init__(self, sent: bool):
        super().__init__("connection dropped by an injected fault")
        self.sent = sent


@dataclass(frozen=True)
class Call:
    """One request the emulator saw, for tests: what it was and how it was answered."""

    service: str
    operation: str | None
    method: str
    path: str
    status: int | None
    """None when the connection was dropped."""
    number: int
    """The call number of (service, operation), counted from 1 (fault injection counts the same)."""


# prefix -> (module, class) of every vendor's emulator, in the order they are seeded and listed.
_DEFAULT_SERVICES: dict[str, tuple[str, str]] = {
    "opsgenie": ("oncall_cli.sandbox.opsgenie", "OpsgenieEmulator"),
    "slack": ("oncall_cli.sandbox.slack", "SlackEmulator"),
    "statuspage": ("oncall_cli.sandbox.statuspage", "StatuspageEmulator"),
    "atlassian": ("oncall_cli.sandbox.jsm", "JsmEmulator"),
    "jira": ("oncall_cli.sandbox.jira", "JiraEmulator"),
    "pagerduty": ("oncall_cli.sandbox.pagerduty", "PagerDutyEmulator"),
}


class _LazyServices(Mapping[str, ServiceEmulator]):
    """The default service emulators, each imported and built when first used: a command talks to one or
    two of the five, and importing them all cost more than `whoisoncall` itself. `ready` runs once for each
    as it is built, under `lock` (the emulator makes sure the service's tables exist)."""

    def __init__(self, lock: threading.RLock, ready: Callable[[ServiceEmulator], None]) -> None:
        self._lock = lock
        self._ready = ready
        self._built: dict[str, ServiceEmulator] = {}

    def __getitem__(self, prefix: str) -> ServiceEmulator:
        found = self._built.get(prefix)
        if found is not None:
            return found
        module, name = _DEFAULT_SERVICES[prefix]  # KeyError for an unknown prefix, as a dict
        with self._lock:
            found = self._built.get(prefix)
            if found is None:
                import importlib

                found = getattr(importlib.import_module(module), name)()
                self._ready(found)
                self._built[prefix] = found
            return found

    def __contains__(self, prefix: object) -> bool:
        return prefix in _DEFAULT_SERVICES

    def __iter__(self) -> Iterator[str]:
        return iter(_DEFAULT_SERVICES)

    def __len__(self) -> int:
        return len(_DEFAULT_SERVICES)



def _a_directory(path: Path) -> ConfigError:
    """The sandbox database path is a directory: `sandbox reset` replaces an empty one, never a full one."""
    if any(path.iterdir()):
        return ConfigError(
            f"{path}: the sandbox database is a directory with files in it; remove it (or move it away) "
            "yourself, `oncall sandbox reset` will not delete it",
            hint=f"Check what is in {path}, remove it, then run `oncall sandbox reset`.",
            details={"path": str(path)},
        )
    return ConfigError(
        f"{path}: the sandbox database is a directory, not a file",
        hint="Run `oncall sandbox reset` (it recreates the file).",
        details={"path": str(path)},
    )


class Emulator:
    """The services over one SQLite database; thread-safe; state persists in `db_path`."""

    def __init__(
        self,
        db_path: str | Path = ":memory:",
        *,
        now: Callable[[], datetime] | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        validate: bool = True,
        strict: bool = True,
        seed: int | None = None,
        services: Sequence[ServiceEmulator] | None = None,
        validator: Validator | None = None,
        rate_limits: bool = False,
    ) -> None:
        """Open (or create) the database, create the schema, and seed it when it is new or empty.

        `validate`: check requests against the vendors' specs (refusing like the vendor) and responses
        too. `strict`: a response that breaks its spec raises `ResponseInvalid` (a bug in the emulator);
        otherwise it is only recorded in `invalid_responses`. `seed`: the seed for a new database
        (default 1); an existing database keeps its world. `rate_limits`: apply Slack's per-method tiers and
        Opsgenie's per-domain quotas (ratelimits.py), as `sandbox serve --rate-limits` does; settable later
        as the attribute of that name. Statuspage's 1 request per second is always on.
        """
        self.db_path = str(db_path)
        if self.db_path != ":memory:":
            private_file(Path(self.db_path))
        self._now = now or (lambda: datetime.now(UTC))
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self.validate = validate
        self.strict = strict
        self.validator = validator or default_validator()
        self.faults = Faults()
        self.rate_limits = rate_limits
        self.limits = RateLimits()
        """The counters behind `rate_limits` (on the injected `clock`)."""
        self.calls: list[Call] = []
        self.validated: set[tuple[str, str, str]] = set()
        """(service, operation, "request" | "response") pairs checked against the spec so far."""
        self.invalid_responses: list[str] = []
        self.rejected: list[str] = []
        """Requests refused because they break the vendor's spec (`service operation: why`), for tests."""
        self._lock = threading.RLock()
        self.services: Mapping[str, ServiceEmulator] = (
            {s.prefix: s for s in services} if services is not None
            else _LazyServices(self._lock, self._service_ready)
        )
        if Path(self.db_path).is_dir():
            raise _a_directory(Path(self.db_path))
        self.db = sqlite3.connect(self.db_path, check_same_thread=False, timeout=30.0)
        try:
            self.db.row_factory = sqlite3.Row
            if self.db_path != ":memory:":
                self.db.execute("PRAGMA journal_mode=WAL")
            with self._lock:
                self.db.execute(_META_TABLE)
                fresh = self._meta("seed") is None
                # A seeded database has its tables: each lazy service checks its own when first used.
                if fresh or not isinstance(self.services, _LazyServices):
                    self._create_schema()
                if fresh:
                    self._seed(DEFAULT_SEED if seed is None else seed)
        except sqlite3.DatabaseError as exc:
            # Garbage bytes, a truncated copy, a file from something else: say which file and how to fix it.
            self.db.close()
            raise ConfigError(
                f"{self.db_path}: the sandbox database cannot be read ({exc})",
                hint="Run `oncall sandbox reset` (it recreates the file).",
                details={"path": self.db_path},
            ) from exc

    @classmethod
    def recreate(cls, db_path: str | Path, **kwargs: Any) -> Emulator:
        """Delete the database file (with its -wal, -shm and -journal companions) and open a fresh one.

        For `oncall sandbox reset` when the file cannot even be opened; `kwargs` as for `Emulator(...)`.
        """
        path = str(db_path)
        if path != ":memory:":
            if Path(path).is_dir():
                # An empty one is a leftover; one with files in it may be someone's: never delete those.
                if any(Path(path).iterdir()):
                    raise _a_directory(Path(path))
                Path(path).rmdir()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(path + suffix).unlink(missing_ok=True)
        return cls(path, **kwargs)

    # ---- state --------------------------------------------------------------------------------------

    def _create_schema(self) -> None:
        self.db.execute(_META_TABLE)
        for service in self.services.values():
            service.create_schema(self.db)
        self.db.commit()

    def _service_ready(self, service: ServiceEmulator) -> None:
        """A lazily built service: its tables exist (idempotent), committed unless a transaction is open."""
        pending = self.db.in_transaction
        service.create_schema(self.db)
        if not pending:
            self.db.commit()

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM sandbox_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO sandbox_meta (key, value) VALUES (?, ?)", (key, value))

    def _seed(self, seed: int) -> None:
        from oncall_cli.sandbox.seed import seed_world

        now = self._now()
        try:
            seed_world(self.db, list(self.services.values()), seed, now)
            self._set_meta("seed", str(seed))
            self._set_meta("seeded_at", now.astimezone(UTC).isoformat())
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise

    @property
    def seed(self) -> int:
        with self._lock:
            return int(self._meta("seed") or DEFAULT_SEED)

    @property
    def seeded_at(self) -> datetime | None:
        with self._lock:
            value = self._meta("seeded_at")
        return datetime.fromisoformat(value) if value else None

    def reset(self, seed: int = DEFAULT_SEED) -> None:
        """Drop every table and seed a fresh world (faults and call counters are cleared too)."""
        with self._lock:
            tables = [
                r[0]
                for r in self.db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            for table in tables:
                self.db.execute(f'DROP TABLE IF EXISTS "{table}"')
            self.db.commit()
            self._create_schema()
            self._seed(seed)
            self.faults.clear()
            self.limits.clear()
            self.calls.clear()
            self.validated.clear()
            self.rejected.clear()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def service(self, prefix: str) -> ServiceEmulator:
        """The service emulator for "opsgenie" | "slack" | "statuspage" | "atlassian" | "jira"."""
        return self.services[prefix]

    def status(self) -> dict[str, Any]:
        """A summary for `oncall sandbox status`: where the state is, its seed, and each service's counts."""
        with self._lock:
            return {
                "db": self.db_path,
                "seed": self.seed,
                "seeded_at": self._meta("seeded_at"),
                "urls": dict(SANDBOX_URLS),
                "faults": [f.describe() for f in self.faults.active],
                "rate_limits": self.rate_limits,
                "services": {name: svc.status(self.db) for name, svc in self.services.items()},
            }

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a read query on the state (for tests), rows as dicts."""
        with self._lock:
            return [dict(r) for r in self.db.execute(sql, tuple(params)).fetchall()]

    def snapshot(self, prefix: str) -> dict[str, list[dict[str, Any]]]:
        """Every table of one service (`{prefix}_*`) as lists of row dicts; JSON columns parsed.

        A service prefix means that service's tables (`snapshot("atlassian")` gives the `jsm_*` tables).
        """
        service = self.services.get(prefix)
        if service is not None:
            prefix = str(getattr(service, "table_prefix", prefix))
        with self._lock:
            tables = [
                r[0]
                for r in self.db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '!' "
                    "ORDER BY name",
                    (f"{prefix}!_%",),
                )
            ]
            out: dict[str, list[dict[str, Any]]] = {}
            for table in tables:
                rows = [dict(r) for r in self.db.execute(f'SELECT * FROM "{table}" ORDER BY rowid')]
                out[table] = [{k: _maybe_json(v) for k, v in row.items()} for row in rows]
            return out

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and get the connection (tests that poke the state directly); commits on exit."""
        with self._lock:
            try:
                yield self.db
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise

    # ---- requests -----------------------------------------------------------------------------------

    def _split(self, request: httpx.Request) -> tuple[str, str]:
        path = request.url.path
        parts = path.split("/", 2)
        prefix = parts[1] if len(parts) > 1 else ""
        rest = "/" + parts[2] if len(parts) > 2 else "/"
        return prefix, rest

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request like the real service would; thread-safe. Raises `Dropped` for a drop fault."""
        prefix, path = self._split(request)
        service = self.services.get(prefix)
        if service is None:
            return httpx.Response(
                404,
                json={
                    "message": f"No sandbox service at /{prefix}; use one of "
                    + ", ".join(f"/{p}" for p in self.services)
                },
            )
        method = request.method.upper()
        operation = service.operation(method, path)
        decision = self.faults.next_call(prefix, operation or f"{method} {path}")
        if decision.latency > 0:
            self._sleep(decision.latency)  # outside the lock: concurrent calls overlap
        if decision.drop is not None and not decision.drop.sent:
            self._record(prefix, operation, method, path, None, decision)
            raise Dropped(sent=False)
        with self._lock:
            # Counted in the database: ids stay unique across processes sharing the file, and repeatable.
            number = next_seq(self.db, "sandbox_request")
            request_id = new_uuid(random.Random(f"{self.seed}:request:{number}"))
            response = self._answer(service, prefix, operation, method, path, request, decision, request_id)
        if decision.drop is not None:
            self._record(prefix, operation, method, path, None, decision)
            raise Dropped(sent=True)
        self._record(prefix, operation, method, path, response.status_code, decision)
        return response

    def _record(
        self,
        prefix: str,
        operation: str | None,
        method: str,
        path: str,
        status: int | None,
        decision: Decision,
    ) -> None:
        with self._lock:
            self.calls.append(Call(prefix, operation, method, path, status, decision.number))

    def _answer(
        self,
        service: ServiceEmulator,
        prefix: str,
        operation: str | None,
        method: str,
        path: str,
        request: httpx.Request,
        decision: Decision,
        request_id: str,
    ) -> httpx.Response:
        scheme = AUTH_SCHEMES.get(prefix, "Bearer")
        if not has_auth(request, scheme):
            return self._checked(prefix, operation, _unauthorized(prefix, scheme, request_id, operation))
        if operation is None:
            return _not_found(prefix, method, path, request_id)
        if decision.status is not None:
            return self._checked(prefix, operation,
                                 _fault_response(prefix, decision.status, request_id, operation))
        if self.rate_limits:
            # The vendor's gateway throttles before it looks at the request: invalid ones count too.
            throttled = self.limits.check(prefix, operation, request, self._clock())
            if throttled is not None:
                return self._checked(prefix, operation, throttled_response(throttled, request_id))
        if self.validate:
            try:
                self.validator.validate_request(prefix, operation, request)
            except RequestRejected as exc:
                self.validated.add((prefix, operation, "request"))
                self.rejected.append(f"{prefix} {operation}: {exc.message}")
                return self._checked(prefix, operation,
                                     rejection_response(prefix, exc, request_id, operation))
            self.validated.add((prefix, operation, "request"))
        ctx = Ctx(
            db=self.db,
            now=self._now(),
            clock=self._clock(),
            rng=random.Random(f"{self.seed}:{request_id}"),
            service=prefix,
            operation=operation,
            request_id=request_id,
        )
        try:
            response = service.handle(ctx, request, path)
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise
        if self.rate_limits and prefix == "opsgenie":
            response.headers["X-RateLimit-State"] = "OK"  # every answer within the limits says so
        return self._checked(prefix, operation, response)

    def _checked(self, prefix: str, operation: str | None, response: httpx.Response) -> httpx.Response:
        if not self.validate or operation is None:
            return response
        content_type = response.headers.get("content-type", "")
        if "json" not in content_type:
            return response
        try:
            body = json.loads(response.content or b"null")
        except json.JSONDecodeError as exc:
            raise AssertionError(f"{prefix} {operation}: the emulator answered invalid JSON") from exc
        try:
            self.validator.validate_response(prefix, operation, response.status_code, body)
        except AssertionError as exc:
            if self.strict:
                raise
            self.invalid_responses.append(str(exc))
        self.validated.add((prefix, operation, "response"))
        return response

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport answering from this emulator in-process (no sockets)."""
        return EmulatorTransport(self)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An `httpx.Client` wired to the in-process transport."""
        return httpx.Client(transport=self.transport(), **kwargs)


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _unauthorized(prefix: str, scheme: str, request_id: str, operation: str | None) -> httpx.Response:
    if prefix == "slack":
        return vendor_error("slack", 200, "not_authed", slack_error="not_authed")
    if prefix == "opsgenie":
        return vendor_error("opsgenie", 401, "Could not authenticate", request_id=request_id)
    if prefix == "atlassian":
        return gateway_error(401, "Unauthorized")
    if prefix == "jira":
        return vendor_error(
            "jira", 401, "You are not authenticated. Authentication required to perform this operation.",
            operation=operation,
        )
    return vendor_error(prefix, 401, f"Could not authenticate (expected `Authorization: {scheme} <key>`)")


UNKNOWN_ENDPOINT_HEADER = "X-Sandbox-Unknown-Endpoint"
"""Set to "true" on the 404 answer to a route the sandbox does not emulate (docs/sandbox.md lists what it
does), so a client or a test can tell "not emulated" from "no such resource"."""


def _not_found(prefix: str, method: str, path: str, request_id: str) -> httpx.Response:
    """A route no service emulator answers: HTTP 404 in the vendor's error shape, saying so plainly (never
    "no such id": the request may be right for the real service). Slack's own answer is already exact:
    HTTP 404 `{"ok": false, "error": "unknown_method"}`."""
    headers = {UNKNOWN_ENDPOINT_HEADER: "true"}
    text = f"Unknown endpoint {method} {path}: not emulated by the oncall sandbox (see docs/sandbox.md)"
    if prefix == "slack":
        return json_response(404, {"ok": False, "error": "unknown_method"}, headers)
    if prefix == "opsgenie":
        return vendor_error("opsgenie", 404, text, request_id=request_id, headers=headers)
    if prefix == "atlassian":
        return gateway_error(404, text, headers)
    return vendor_error(prefix, 404, text, headers=headers)


def _fault_response(prefix: str, fault: Fault, request_id: str, operation: str | None) -> httpx.Response:
    status = fault.status
    headers: dict[str, str] = {}
    if status in (420, 429):
        headers["Retry-After"] = str(fault.retry_after)
        if prefix == "opsgenie":
            headers.update(
                {
                    "X-RateLimit-State": "THROTTLED",
                    "X-RateLimit-Reason": "ACCOUNT",
                    "X-RateLimit-Period-In-Sec": str(fault.retry_after),
                }
            )
        if prefix == "pagerduty":
            headers.update({"ratelimit-limit": "960", "ratelimit-remaining": "0",
                            "ratelimit-reset": str(fault.retry_after)})
        if prefix == "slack":
            return vendor_error("slack", status, "ratelimited", slack_error="ratelimited", headers=headers)
        if prefix == "atlassian":
            return gateway_error(status, "Rate limit exceeded", headers)
        message = "You are making too many requests! To avoid errors, we recommend you limit requests."
        return vendor_error(prefix, status, message, request_id=request_id, headers=headers,
                            operation=operation)
    if prefix == "slack":
        code = "service_unavailable" if status == 503 else "internal_error"
        return vendor_error("slack", status, code, slack_error=code)
    message = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }.get(status, f"HTTP {status}")
    if prefix == "atlassian":
        return gateway_error(status, message)
    return vendor_error(prefix, status, message, request_id=request_id, operation=operation)


class EmulatorTransport(httpx.BaseTransport):
    """Like `httpx.MockTransport(emulator.handle)`, with drop faults as real httpx transport errors."""

    def __init__(self, emulator: Emulator):
        self.emulator = emulator

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        try:
            response = self.emulator.handle(request)
        except Dropped as exc:
            if exc.sent:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                ) from None
            raise httpx.ConnectError(
                "[sandbox] connection refused (injected fault)", request=request
            ) from None
        return httpx.Response(
            response.status_code, headers=response.headers, content=response.content, request=request
        )
