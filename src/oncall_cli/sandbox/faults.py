"""Fault injection for the sandbox: latency, error statuses (429 + Retry-After, 5xx), dropped connections.

A `Fault` picks requests by service, operation (the name the service emulator gives, e.g.
"conversations.invite" or "POST /v1/incidents/create"; "*" for all) and call number, counted per
(service, operation) from 1. Tests add faults directly:

    emulator.faults.add(Fault(service="slack", operation="conversations.invite", calls={2}, status=500))
    emulator.faults.add(Fault(kind="latency", latency_ms=100))

and `oncall sandbox serve --fail SPEC` (repeatable) parses the same with `parse_fault_spec`:

    slack:conversations.invite#2=500         the 2nd conversations.invite answers HTTP 500
    *:*=latency:100                          every call waits 100 ms first
    statuspage:*#1-2=429                     calls 1 and 2 of each Statuspage operation: 429, Retry-After 1
    opsgenie:*=429:30                        always 429 with Retry-After / X-RateLimit-Period-In-Sec 30
    opsgenie:POST /v1/incidents/create#1=drop     the 1st create is applied, then the connection drops
    slack:chat.postMessage#1,3=drop:unsent   calls 1 and 3 fail to connect (never reach the emulator)
    atlassian:*#1=503                        the 1st call of each JSM Operations operation: 503
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from oncall_cli.errors import UsageError

FaultKind = Literal["status", "latency", "drop"]
SERVICES = ("opsgenie", "slack", "statuspage", "atlassian", "jira", "pagerduty")


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour. `calls=None` means every call."""

    service: str = "*"
    operation: str = "*"
    kind: FaultKind = "status"
    status: int = 500
    calls: frozenset[int] | None = None
    latency_ms: int = 0
    retry_after: int = 1
    """Seconds announced with a 429/420 (`Retry-After`, and Opsgenie's `X-RateLimit-Period-In-Sec`)."""
    sent: bool = True
    """For "drop": True = the request reached the emulator (and was applied) and the answer was lost
    (httpx.RemoteProtocolError); False = the connection failed first (httpx.ConnectError)."""

    def __init__(self, service: str = "*", operation: str = "*", kind: FaultKind = "status",
                 status: int = 500, calls: Iterable[int] | None = None, latency_ms: int = 0,
                 retry_after: int = 1, sent: bool = True) -> None:
        if kind not in ("status", "latency", "drop"):
            raise ValueError(f"unknown fault kind {kind!r}")
        if service != "*" and service not in SERVICES:
            raise ValueError(f"unknown service {service!r}")
        object.__setattr__(self, "service", service)
        object.__setattr__(self, "operation", operation)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "calls", None if calls is None else frozenset(calls))
        object.__setattr__(self, "latency_ms", latency_ms)
        object.__setattr__(self, "retry_after", retry_after)
        object.__setattr__(self, "sent", sent)

    def matches(self, service: str, operation: str, number: int) -> bool:
        return (self.service in ("*", service) and self.operation in ("*", operation)
                and (self.calls is None or number in self.calls))

    def describe(self) -> str:
        """The fault as a spec string (`parse_fault_spec` reads it back)."""
        calls = "" if self.calls is None else "#" + ",".join(str(c) for c in sorted(self.calls))
        if self.kind == "latency":
            action = f"latency:{self.latency_ms}"
        elif self.kind == "drop":
            action = "drop" if self.sent else "drop:unsent"
        elif self.status in (420, 429):
            action = f"{self.status}:{self.retry_after}"
        else:
            action = str(self.status)
        return f"{self.service}:{self.operation}{calls}={action}"


@dataclass(frozen=True)
class Decision:
    """What the faults say about one call: wait first, then answer an error, drop, or go on."""

    number: int
    latency: float = 0.0
    status: Fault | None = None
    drop: Fault | None = None


@dataclass
class Faults:
    """The active faults and the call counters; thread-safe."""

    _faults: list[Fault] = field(default_factory=list)
    _counts: dict[tuple[str, str], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def add_spec(self, spec: str) -> Fault:
        return self.add(parse_fault_spec(spec))

    def remove(self, fault: Fault) -> None:
        with self._lock:
            self._faults.remove(fault)

    def clear(self, *, counts: bool = True) -> None:
        """Remove every fault (and, by default, forget the call counts)."""
        with self._lock:
            self._faults.clear()
            if counts:
                self._counts.clear()

    @property
    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def count(self, service: str, operation: str) -> int:
        """How many calls of this operation the emulator has seen so far."""
        with self._lock:
            return self._counts.get((service, operation), 0)

    def next_call(self, service: str, operation: str) -> Decision:
        """Count one call and decide its faults: latencies add up; the first status or drop fault wins."""
        with self._lock:
            key = (service, operation)
            number = self._counts.get(key, 0) + 1
            self._counts[key] = number
            latency = 0.0
            status: Fault | None = None
            drop: Fault | None = None
            for fault in self._faults:
                if not fault.matches(service, operation, number):
                    continue
                if fault.kind == "latency":
                    latency += fault.latency_ms / 1000.0
                elif fault.kind == "drop":
                    if drop is None and status is None:
                        drop = fault
                elif status is None and drop is None:
                    status = fault
            return Decision(number, latency, status, drop)


def _parse_calls(text: str) -> frozenset[int] | None:
    text = text.strip()
    if text in ("", "*", "always"):
        return None
    calls: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo, _, hi = part.partition("-")
            first, last = int(lo), int(hi)
            if first < 1 or last < first:
                raise ValueError(part)
            calls.update(range(first, last + 1))
        else:
            number = int(part)
            if number < 1:
                raise ValueError(part)
            calls.add(number)
    return frozenset(calls)


def parse_fault_spec(spec: str) -> Fault:
    """Read `SERVICE:OPERATION[#CALLS]=ACTION` (see the module docstring); raise UsageError if malformed.

    ACTION: an HTTP status (`500`, `503`, `429`, `429:SECONDS`, `420`), `latency:MS`, `drop` or
    `drop:unsent`. CALLS: `2`, `1-3`, `1,4`, `always` (the default).
    """
    hint = ("Write SERVICE:OPERATION[#CALLS]=ACTION, e.g. slack:conversations.invite#2=500, "
            "*:*=latency:100, statuspage:*#1-2=429, opsgenie:POST /v1/incidents/create#1=drop.")
    service, colon, rest = spec.partition(":")
    left, eq, action = rest.rpartition("=")
    if not colon or not eq or not left or not action:
        raise UsageError(f"Bad fault spec {spec!r}.", hint=hint)
    service = service.strip()
    if service != "*" and service not in SERVICES:
        raise UsageError(f"Bad fault spec {spec!r}: unknown service {service!r}.", hint=hint)
    operation, hash_, calls_text = left.partition("#")
    operation = operation.strip() or "*"
    try:
        calls = _parse_calls(calls_text) if hash_ else None
    except ValueError:
        raise UsageError(f"Bad fault spec {spec!r}: bad call numbers {calls_text!r}.", hint=hint) from None
    kind_text, _, arg = action.strip().partition(":")
    kind_text = kind_text.strip().lower()
    try:
        if kind_text == "latency":
            return Fault(service, operation, "latency", calls=calls, latency_ms=int(arg))
        if kind_text == "drop":
            if arg not in ("", "sent", "unsent"):
                raise ValueError(arg)
            return Fault(service, operation, "drop", calls=calls, sent=arg != "unsent")
        status = int(kind_text)
        if not 400 <= status <= 599:
            raise ValueError(kind_text)
        return Fault(service, operation, "status", status=status, calls=calls,
                     retry_after=int(arg) if arg else 1)
    except ValueError:
        raise UsageError(f"Bad fault spec {spec!r}: bad action {action!r}.", hint=hint) from None
