"""Realistic rate limits for `oncall sandbox serve --rate-limits`: Slack's per-method tiers and Opsgenie's
per-domain quotas, answered with the vendors' own 429s. Off by default (`Emulator(rate_limits=False)`):
the in-process sandbox and the tests see no throttling unless they ask for it. Statuspage's 1 request per
second per key is not here: it is always on, in the Statuspage emulator itself.

Time is the emulator's injected monotonic clock, so tests move it with their fake clock.

Slack (docs.slack.dev/apis/web-api/rate-limits): limits apply per method, per workspace, per app (here: per
token), in one-minute windows. Each method's tier is the one its reference page states
(shared/specs/slack/docs-slack-dev-methods/<method>.json, `rate_limit.label`; the five methods that folder
lacks are Tier 3 in the same scrape of docs.slack.dev, smstoslack/slack_kit `priv/docs/methods/`).
A tier's figure is its documented floor ("Tier 2: 20+ per minute" -> 20 in any 60 s): Slack tolerates
bursts above it but promises nothing, so the sandbox allows none. `chat.postMessage` is "special": one
message per second per channel. `auth.test` and `chat.getPermalink` are "special" with no published figure
and are not limited. Over a limit: HTTP 429, `Retry-After: <seconds until the window has room>`,
`{"ok": false, "error": "ratelimited"}`.

Opsgenie (docs.opsgenie.com/docs/api-rate-limiting): token buckets per request domain (Alert, Incident,
Configuration, Search = listing alerts and users, Schedule-oncalls = current and next on-calls), each with a
per-minute and a per-second bucket; a domain's throttling does not touch the others. Over a limit: HTTP 429
with `X-RateLimit-State: THROTTLED`, `X-RateLimit-Reason: ACCOUNT` and `X-RateLimit-Period-In-Sec: 60`
(the minute bucket) or `1` (the second bucket), no `Retry-After` (none is documented); answers within the
limits carry `X-RateLimit-State: OK`. Opsgenie sizes the buckets by plan and account and the vendored
specs give no figures, so `OPSGENIE_QUOTAS` is the sandbox's own profile (a small account), not Opsgenie's
published numbers.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

import httpx

from oncall_cli.sandbox.base import json_response, request_args, vendor_error

SlackTier = Literal["tier1", "tier2", "tier3", "tier4", "special"]

SLACK_TIER_PER_MINUTE: dict[SlackTier, int] = {"tier1": 1, "tier2": 20, "tier3": 50, "tier4": 100}
"""Each tier's documented floor: "Tier 1: 1+ per minute" ... "Tier 4: 100+ per minute"."""

SLACK_TIERS: dict[str, SlackTier] = {
    "auth.test": "special",
    "bookmarks.add": "tier2",
    "chat.deleteScheduledMessage": "tier3",
    "chat.getPermalink": "special",
    "chat.postMessage": "special",
    "chat.scheduleMessage": "tier3",
    "chat.scheduledMessages.list": "tier3",
    "chat.update": "tier3",
    "conversations.archive": "tier2",
    "conversations.create": "tier2",
    "conversations.history": "tier3",
    "conversations.info": "tier3",
    "conversations.invite": "tier3",
    "conversations.join": "tier3",
    "conversations.list": "tier2",
    "conversations.members": "tier4",
    "conversations.open": "tier3",
    "conversations.rename": "tier2",
    "conversations.replies": "tier3",
    "conversations.setPurpose": "tier2",
    "conversations.setTopic": "tier2",
    "conversations.unarchive": "tier2",
    "pins.add": "tier2",
    "reminders.add": "tier2",
    "usergroups.users.list": "tier2",
    "users.info": "tier4",
    "users.list": "tier2",
    "users.lookupByEmail": "tier3",
}
"""The rate tier of every Slack method the sandbox answers, as docs.slack.dev gives it (see the module
docstring; tests/sandbox/test_rate_limits.py checks it against shared/specs)."""

SLACK_WINDOW = 60.0
POST_MESSAGE_INTERVAL = 1.0
"""chat.postMessage: "generally allows posting one message per second per channel"."""

OpsgenieDomain = Literal["alert", "incident", "configuration", "search", "schedule-oncalls"]


@dataclass(frozen=True)
class Quota:
    per_minute: int
    per_second: int


OPSGENIE_QUOTAS: dict[OpsgenieDomain, Quota] = {
    "alert": Quota(per_minute=100, per_second=10),
    "incident": Quota(per_minute=100, per_second=10),
    "configuration": Quota(per_minute=100, per_second=10),
    "search": Quota(per_minute=100, per_second=10),
    "schedule-oncalls": Quota(per_minute=100, per_second=10),
}
"""The sandbox's bucket sizes per Opsgenie domain (requests per minute and per second); Opsgenie's own
depend on the plan and the account."""

_ON_CALLS = ("GET /v2/schedules/on-calls", "GET /v2/schedules/{identifier}/on-calls",
             "GET /v2/schedules/{identifier}/next-on-calls")


def opsgenie_domain(operation: str) -> OpsgenieDomain:
    """The rate-limit domain of an Opsgenie operation ("GET /v2/alerts" -> "search", as the docs file the
    alert and user lists)."""
    path = operation.partition(" ")[2]
    if operation in ("GET /v2/alerts", "GET /v2/users"):
        return "search"
    if operation in _ON_CALLS:
        return "schedule-oncalls"
    if path.startswith("/v2/alerts"):
        return "alert"
    if path.startswith(("/v1/incidents", "/v2/incident-timelines")):
        return "incident"
    return "configuration"


@dataclass(frozen=True)
class Throttled:
    """Why a request was refused, and when to come back."""

    service: str
    retry_after: int
    """Seconds: Slack's `Retry-After`; Opsgenie's `X-RateLimit-Period-In-Sec` (60 or 1)."""
    limit: str
    """What was exceeded, for the message and for tests (`conversations.list: 20 per 60 s`)."""


@dataclass
class _Bucket:
    """A token bucket: `capacity` tokens, refilled at `capacity / period` per second."""

    capacity: int
    period: float
    tokens: float
    at: float

    def refill(self, now: float) -> None:
        if now > self.at:
            self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.capacity / self.period)
        self.at = max(self.at, now)


@dataclass
class RateLimits:
    """The counters of the Slack windows and the Opsgenie buckets. Not thread-safe: the emulator calls it
    under its lock. Refused requests are not counted."""

    quotas: dict[OpsgenieDomain, Quota] = field(default_factory=lambda: dict(OPSGENIE_QUOTAS))
    _windows: dict[tuple[str, ...], deque[float]] = field(default_factory=dict)
    _buckets: dict[tuple[str, float], _Bucket] = field(default_factory=dict)

    def clear(self) -> None:
        self._windows.clear()
        self._buckets.clear()

    def check(self, service: str, operation: str, request: httpx.Request, now: float) -> Throttled | None:
        """Count one request (of a service with limits) and say whether it is over a limit."""
        if service == "slack":
            return self._slack(operation, request, now)
        if service == "opsgenie":
            return self._opsgenie(operation, now)
        return None

    # ---- Slack: per method per token, one-minute windows; chat.postMessage per channel per second --------

    def _slack(self, method: str, request: httpx.Request, now: float) -> Throttled | None:
        token = request.headers.get("authorization", "")
        tier = SLACK_TIERS.get(method)
        if method == "chat.postMessage":
            channel = _slack_arg(request, "channel")
            return self._window(("slack", token, method, channel), 1, POST_MESSAGE_INTERVAL, now,
                                f"{method}: 1 per second in channel {channel}")
        if tier is None or tier == "special":
            return None
        limit = SLACK_TIER_PER_MINUTE[tier]
        return self._window(("slack", token, method), limit, SLACK_WINDOW, now,
                            f"{method}: {limit} per minute ({tier.replace('tier', 'Tier ')})")

    def _window(self, key: tuple[str, ...], limit: int, span: float, now: float,
                what: str) -> Throttled | None:
        seen = self._windows.setdefault(key, deque())
        while seen and seen[0] <= now - span:
            seen.popleft()
        if len(seen) >= limit:
            return Throttled("slack", max(1, math.ceil(seen[0] + span - now)), what)
        seen.append(now)
        return None

    # ---- Opsgenie: a minute and a second token bucket per domain ---------------------------------------

    def _opsgenie(self, operation: str, now: float) -> Throttled | None:
        domain = opsgenie_domain(operation)
        quota = self.quotas[domain]
        minute = self._bucket(domain, quota.per_minute, 60.0, now)
        second = self._bucket(domain, quota.per_second, 1.0, now)
        if minute.tokens < 1:
            return Throttled("opsgenie", 60, f"{domain}: {quota.per_minute} per minute")
        if second.tokens < 1:
            return Throttled("opsgenie", 1, f"{domain}: {quota.per_second} per second")
        minute.tokens -= 1
        second.tokens -= 1
        return None

    def _bucket(self, domain: str, capacity: int, period: float, now: float) -> _Bucket:
        bucket = self._buckets.get((domain, period))
        if bucket is None:
            bucket = self._buckets[(domain, period)] = _Bucket(capacity, period, float(capacity), now)
        bucket.refill(now)
        return bucket


def _slack_arg(request: httpx.Request, name: str) -> str:
    """An argument of a Slack call, from the query string or the (form or JSON) body; "" when absent."""
    try:
        value = request_args(request).get(name)
    except (ValueError, UnicodeDecodeError):  # the emulator answers invalid_json; no channel to count
        return ""
    return value if isinstance(value, str) else ""


def throttled_response(throttled: Throttled, request_id: str) -> httpx.Response:
    """The vendor's own 429 for a request over its limit."""
    if throttled.service == "slack":
        return json_response(429, {"ok": False, "error": "ratelimited"},
                             {"Retry-After": str(throttled.retry_after)})
    headers = {
        "X-RateLimit-State": "THROTTLED",
        "X-RateLimit-Reason": "ACCOUNT",
        "X-RateLimit-Period-In-Sec": str(throttled.retry_after),
    }
    return vendor_error("opsgenie", 429, f"You are making too many requests ({throttled.limit})",
                        request_id=request_id, headers=headers)


__all__ = [
    "OPSGENIE_QUOTAS",
    "SLACK_TIERS",
    "SLACK_TIER_PER_MINUTE",
    "Quota",
    "RateLimits",
    "Throttled",
    "opsgenie_domain",
    "throttled_response",
]
