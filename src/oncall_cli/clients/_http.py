"""The one HTTP seam of the three clients: auth, timeouts, retries, rate limiting, error mapping, paging.

Clients call `HttpService.request`; it is the only place where httpx exceptions and error statuses become
`OncallError`s. The retry decision is a pure function (`retry_delay`); sleeping, the clock and jitter are
injected so tests run instantly and deterministically.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from oncall_cli.errors import (
    AuthError,
    NotFoundError,
    OncallError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from oncall_cli.private_files import tighten_file
from oncall_cli.redaction import redact

log = logging.getLogger("oncall.http")

T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds on retrying: attempts, backoff, and total time spent waiting."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total: float = 60.0


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt produced: a status and headers, or a transport failure."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # Transport failures: `sent` is False when the request certainly never reached the server
    # (connect error or connect timeout), True when it may have (read timeout, dropped connection).
    transport_error: bool = False
    sent: bool = True


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or HTTP date), Opsgenie's `X-RateLimit-Period-In-Sec`, or
    PagerDuty's `ratelimit-reset` (seconds until the window resets, sent with `ratelimit-remaining: 0`)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get("retry-after")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            return max(0.0, parsed.timestamp() - now)
    # Opsgenie answers 429 with X-RateLimit-State: THROTTLED and the window length, no Retry-After.
    period = lowered.get("x-ratelimit-period-in-sec")
    if period and period.strip().isdigit() and lowered.get("x-ratelimit-state", "").upper() == "THROTTLED":
        return float(period)
    reset = lowered.get("ratelimit-reset", "").strip()
    if reset.isdigit() and lowered.get("ratelimit-remaining", "").strip() == "0":
        return float(reset)
    return None


def retry_delay(
    attempt: Attempt, number: int, *, idempotent: bool, policy: RetryPolicy, elapsed: float, now: float
) -> float | None:
    """Decide whether attempt `number` (1-based) is retried, and after how many seconds (before jitter).

    Retries connection failures, 429 and 5xx, waiting what `Retry-After` says when the answer has one.
    A non-idempotent request is retried only when it never reached the server (a connect failure) or the
    server said it was not processed (429 and 420, Statuspage's old rate-limit status). Returns None to
    give up, including when the wait would take the total past `policy.max_total`.
    """
    if number >= policy.max_attempts:
        return None
    if attempt.transport_error:
        if not idempotent and attempt.sent:
            return None
    elif attempt.status in (420, 429):
        pass
    elif attempt.status is not None and attempt.status >= 500:
        if not idempotent:
            return None
    else:
        return None
    delay: float = min(policy.max_delay, policy.base_delay * 2.0 ** (number - 1))
    if attempt.status is not None:
        # A server's own wait wins over our backoff: 429/420, and 503 "come back in N seconds" (RFC 9110
        # section 10.2.3) or any other 5xx that sends one; the total stays bounded by max_total below.
        hinted = parse_retry_after(attempt.headers, now)
        if hinted is not None:
            delay = hinted
    if elapsed + delay > policy.max_total:
        return None
    return delay


def with_jitter(delay: float, rng: random.Random) -> float:
    """Full jitter on the backoff, but never earlier than a server-given wait."""
    return delay + rng.uniform(0, min(1.0, delay * 0.25))


class RateLimiter:
    """Paces requests to a service that allows one per `interval` seconds (Statuspage: 1 per second per key).

    The next request starts `interval` + `margin` after the previous answer arrived, not after it was sent:
    spaced from the sends, the server (which counts arrivals) sees the next one slightly under a second
    later whenever the previous one travelled slower, and answers 429. Requests through one limiter never
    overlap (`slot()` holds it until the answer is back).

    With `shared`, a small file holding the time the next request may start (0600, under `fcntl.flock`) paces
    every process on the machine that uses the same file, so two engineers' commands at once do not trip the
    limit: it then needs a wall clock (`clock` comparable between processes). While a request is in flight
    the file reserves `interval` + `margin` from its start, and its answer pushes that to the answer's time.
    Where the file cannot be used (no `fcntl`, a read-only folder) the pacing is this process's only.
    A wait never exceeds `max_wait` (`interval` + `margin` + `slack`): a time in the file further ahead than
    that (a clock stepped back by NTP, a bad file) is treated as absent and overwritten, and a clock that
    jumps back cannot make this process wait longer either.
    A 429 is not the limiter's business: HttpService still waits its `Retry-After` before the retry.
    """

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        margin: float = 0.05,
        slack: float = 0.95,
        shared: Path | None = None,
    ):
        self.interval = interval
        self.margin = margin
        self.max_wait = interval + margin + slack
        self.shared = shared
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_at = 0.0
        self._sent_at = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for our turn, hold it while the request is in flight, and pace the next from its answer."""
        with self._lock:
            self._acquire()
            try:
                yield
            finally:
                self._release()

    def _acquire(self) -> None:
        waited_until = float("-inf")
        deadline: float | None = None
        while True:
            with _locked_file(self.shared) as file:
                # After a sleep it is at least the time we slept until (whatever a frozen test clock says).
                now = max(self._clock(), waited_until)
                if deadline is None:
                    # Whatever the clock (stepped back) or the file say, the wait ends by then.
                    deadline = now + self.max_wait
                target = min(max(self._next_at, self._shared_time(file, now)), deadline)
                if target <= now:
                    self._sent_at = now
                    self._next_at = now + self.interval + self.margin
                    _write_time(file, self._next_at)
                    return
            # Sleep, then look again: another process may have taken the turn meanwhile.
            self._sleep(target - now)
            waited_until = target

    def _release(self) -> None:
        with _locked_file(self.shared) as file:
            now = self._clock()
            self._next_at = max(now, self._sent_at) + self.interval + self.margin
            _write_time(file, max(self._next_at, self._shared_time(file, now)))

    def _shared_time(self, file: int | None, now: float) -> float:
        """The time in the file, or 0 (absent) when it is further ahead than a turn can be: implausible."""
        shared = _read_time(file)
        if shared - now > self.max_wait:
            log.debug("ignoring a pacing time %.1f s ahead in %s", shared - now, self.shared)
            return 0.0
        return shared


@contextmanager
def _locked_file(path: Path | None) -> Iterator[int | None]:
    """The pacing file, opened (0600) and exclusively locked; None when there is none or it cannot be used."""
    fd = None
    if path is not None:
        try:
            import fcntl

            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            tighten_file(path)  # one an older version made 0644
            fcntl.flock(fd, fcntl.LOCK_EX)
        except (ImportError, OSError) as exc:
            log.debug("pacing in this process only: %s", exc)
            if fd is not None:
                os.close(fd)
            fd = None
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)  # closing releases the lock


def _read_time(fd: int | None) -> float:
    if fd is None:
        return 0.0
    try:
        return float(os.pread(fd, 64, 0).decode("ascii").strip() or 0.0)
    except (OSError, ValueError, UnicodeDecodeError):
        return 0.0  # unreadable or garbled: the in-process pacing still holds


def _write_time(fd: int | None, value: float) -> None:
    if fd is None:
        return
    try:
        data = f"{value:.6f}".encode("ascii")
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
    except OSError as exc:
        log.debug("cannot write the pacing file: %s", exc)


@dataclass
class Runtime:
    """The injected effects of the HTTP layer: sleep, clock, randomness, and the retry policy."""

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)
    policy: RetryPolicy = field(default_factory=RetryPolicy)


ErrorReader = Callable[[httpx.Response], str]
SuccessCheck = Callable[[httpx.Response], None]


def _default_error_text(response: httpx.Response) -> str:
    """The vendor's message from an error body, parsed defensively (bodies may be HTML or empty)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    if isinstance(body, dict):
        parts = [str(body.get("message") or body.get("error") or "")]
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            parts.append("; ".join(f"{k}: {v}" for k, v in errors.items()))
        elif isinstance(errors, list) and errors:
            parts.append("; ".join(str(e) for e in errors))
        return " ".join(p for p in parts if p).strip()
    return str(body)[:200]


class HttpService:
    """One vendor's HTTP endpoint: base URL, auth header, retries, limiter and error translation."""

    def __init__(
        self,
        *,
        name: str,
        client: httpx.Client,
        base_url: str,
        auth: str | None,
        runtime: Runtime | None = None,
        limiter: RateLimiter | None = None,
        error_text: ErrorReader = _default_error_text,
        check: SuccessCheck | None = None,
    ):
        self.name = name
        self.client = client
        self.base_url = base_url.rstrip("/")
        self._auth = auth
        self.runtime = runtime or Runtime()
        self.limiter = limiter
        self._error_text = error_text
        self._check = check

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
        allow_status: tuple[int, ...] = (),
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one logical request, retrying per policy; raise an `OncallError` on failure.

        `allow_status` lists error statuses the caller handles itself (e.g. Opsgenie's 404 while an
        asynchronous request is still being processed). `headers` adds to the service's own (e.g. JSM's
        `X-ExperimentalApi: opt-in` on a beta operation).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        extra = headers
        headers = {"Accept": "application/json", **(extra or {})}
        if self._auth:
            headers["Authorization"] = self._auth
        rt = self.runtime
        started = rt.clock()
        number = 0
        url = self.url(path)
        while True:
            number += 1
            t0 = rt.clock()
            try:
                with self.limiter.slot() if self.limiter is not None else nullcontext():
                    response = self.client.request(
                        method, url, params=params, json=json, data=data, headers=headers,
                        timeout=DEFAULT_TIMEOUT,
                    )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                attempt = Attempt(transport_error=True, sent=False)
                failure: Exception = exc
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                attempt = Attempt(transport_error=True, sent=True)
                failure = exc
            except httpx.HTTPError as exc:
                # A bad URL scheme, a proxy or decoding failure: retrying cannot help.
                raise UnavailableError(
                    redact(f"{self.name} {method} {path}: {type(exc).__name__}: {exc}"),
                    details={"service": self.name, "method": method, "path": path},
                ) from exc
            else:
                ms = (rt.clock() - t0) * 1000
                log.info(
                    redact(
                        f"{self.name} {method} {response.request.url} -> {response.status_code} {ms:.0f} ms"
                    )
                )
                if response.is_success or response.status_code in allow_status:
                    if self._check is not None and response.is_success:
                        self._check(response)
                    return response
                attempt = Attempt(status=response.status_code, headers=dict(response.headers))
                failure = self._status_error(method, path, response)
            if attempt.transport_error:
                log.info(redact(f"{self.name} {method} {url} -> {type(failure).__name__}"))
            delay = retry_delay(
                attempt,
                number,
                idempotent=idempotent,
                policy=rt.policy,
                elapsed=rt.clock() - started,
                now=rt.wall(),
            )
            if delay is None:
                raise self._final_error(method, path, attempt, failure, number) from failure
            rt.sleep(with_jitter(delay, rt.rng))

    def _status_error(self, method: str, path: str, response: httpx.Response) -> OncallError:
        status = response.status_code
        text = redact(self._error_text(response))
        where = redact(f"{self.name} {method} {path}")
        message = f"{where} failed with HTTP {status}" + (f": {text}" if text else "")
        details = {"service": self.name, "method": method, "path": path, "status": status}
        if status in (401, 403):
            return AuthError(
                message, hint=f"Check the {self.name} credential (`oncall auth status`).", details=details
            )
        if status == 404:
            return NotFoundError(message, details=details)
        if status in (420, 429):
            return RateLimitedError(message, details=details)
        if status >= 500:
            return UnavailableError(message, details=details)
        return RejectedError(message, details=details)

    def _final_error(
        self, method: str, path: str, attempt: Attempt, failure: Exception, attempts: int
    ) -> OncallError:
        if isinstance(failure, OncallError):
            if attempts > 1:
                failure.message += f" (after {attempts} attempts)"
                failure.args = (failure.message,)
            return failure
        reached = "may have reached" if attempt.sent else "did not reach"
        return UnavailableError(
            redact(
                f"{self.name} {method} {path}: {type(failure).__name__} after {attempts} attempt(s); "
                f"the request {reached} the server"
            ),
            details={"service": self.name, "method": method, "path": path, "sent": attempt.sent},
        )


def paginate_offset(fetch: Callable[[int, int], tuple[list[T], bool]], *, limit: int = 100) -> Iterator[T]:
    """Read every page of an offset/limit list (Opsgenie): `fetch(offset, limit) -> (items, has_next)`."""
    offset = 0
    while True:
        items, has_next = fetch(offset, limit)
        yield from items
        if not has_next or not items:
            return
        offset += len(items)


def paginate_pages(fetch: Callable[[int, int], list[T]], *, per_page: int = 100) -> Iterator[T]:
    """Read every page of a page/per_page list (Statuspage): stop at the first short page."""
    page = 1
    while True:
        items = fetch(page, per_page)
        yield from items
        if len(items) < per_page:
            return
        page += 1


def paginate_cursor(fetch: Callable[[str | None], tuple[list[T], str | None]]) -> Iterator[T]:
    """Read every page of a cursor list (Slack): stop only when the next cursor is empty."""
    cursor: str | None = None
    while True:
        items, cursor = fetch(cursor)
        yield from items
        if not cursor:
            return


def poll_until(
    probe: Callable[[], T | None], *, runtime: Runtime, timeout: float = 30.0, interval: float = 0.5
) -> T | None:
    """Call `probe` until it returns a value or `timeout` seconds pass (Opsgenie's async requests)."""
    deadline = runtime.clock() + timeout
    delay = interval
    while True:
        value = probe()
        if value is not None:
            return value
        if runtime.clock() + delay > deadline:
            return None
        runtime.sleep(delay)
        delay = min(delay * 1.5, 5.0)
