"""The conformance suite: the vendors' own client libraries against the sandbox served over HTTP.

One `SandboxServer` (what `oncall sandbox serve` runs) per test session (per xdist worker), bound to
127.0.0.1 on a free port, serving an emulator whose clock only moves by ticks (no real sleeping;
Statuspage's 1 request/s limit sees each request a tick later). Every answer is checked twice: the
emulator validates it (strict: an answer that breaks its spec becomes an error), and `Recorder.check`
validates every recorded answer again against the spec's response schema; tests also check which
operations the clients reached.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.sandbox.server import SandboxServer, serve_in_thread
from oncall_cli.sandbox.validation import default_validator

START = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)
TICK = 1.5
"""Seconds the fake clock moves per request: more than Statuspage's 1 request per second."""


@dataclass
class TickingClock:
    ticks: int = 0

    def monotonic(self) -> float:
        self.ticks += 1
        return self.ticks * TICK

    def now(self) -> datetime:
        return START + timedelta(seconds=self.ticks * TICK)

    def sleep(self, seconds: float) -> None:  # the emulator's latency faults only; none are set here
        raise AssertionError(f"the conformance suite never sleeps ({seconds}s asked)")


@dataclass
class Recorder:
    """Every (service, operation, status, body) the server answered, for the second validation."""

    emulator: Emulator
    answers: list[tuple[str, str | None, int, Any]] = field(default_factory=list)

    def install(self) -> None:
        handle = self.emulator.handle

        def recording(request: httpx.Request) -> httpx.Response:
            response = handle(request)
            prefix = request.url.path.split("/", 2)[1]
            service = self.emulator.services[prefix]
            operation = service.operation(request.method.upper(), "/" + request.url.path.split("/", 2)[2])
            body: Any = None
            if "json" in response.headers.get("content-type", ""):
                body = json.loads(response.content or b"null")
            self.answers.append((prefix, operation, response.status_code, body))
            return response

        self.emulator.handle = recording  # type: ignore[method-assign]

    def operations(self, service: str) -> set[str]:
        return {op for s, op, _, _ in self.answers if s == service and op is not None}

    def check(self) -> None:
        """Validate every JSON answer against the spec's response schema (again, outside the emulator)."""
        assert self.answers, "no request reached the sandbox"
        validator = default_validator()
        for service, operation, status, body in self.answers:
            if operation is None:  # a route the sandbox does not emulate: only the deliberate probes
                assert status == 404, f"{service}: an unknown route answered {status}"
                continue
            if body is not None:
                validator.validate_response(service, operation, status, body)
        assert not self.emulator.invalid_responses


@pytest.fixture(scope="session")
def served() -> Iterator[tuple[SandboxServer, Recorder]]:
    clock = TickingClock()
    emulator = Emulator(now=clock.now, clock=clock.monotonic, sleep=clock.sleep)
    recorder = Recorder(emulator)
    recorder.install()
    server, thread = serve_in_thread(emulator, "127.0.0.1", 0)
    try:
        yield server, recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        emulator.close()
    assert not thread.is_alive()
