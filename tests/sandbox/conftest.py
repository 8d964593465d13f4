"""Fixtures of the sandbox tests: an emulator on a fixed `now`, a fake clock/sleep, and clients over it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest

from oncall_cli.clients._http import Runtime
from oncall_cli.clients.opsgenie import OpsgenieClient
from oncall_cli.sandbox.emulator import SANDBOX_URLS, Emulator

NOW = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)
"""Wednesday 10:00 in New York (EST), four days before the spring DST change (Sunday 9 March 2025)."""

OG = SANDBOX_URLS["opsgenie"]
SLACK = SANDBOX_URLS["slack"]
SP = SANDBOX_URLS["statuspage"]
OG_AUTH = {"Authorization": "GenieKey sandbox-key"}
SLACK_AUTH = {"Authorization": "Bearer xoxb-sandbox"}
SP_AUTH = {"Authorization": "OAuth sandbox-key"}
ATL = SANDBOX_URLS["atlassian"]
JIRA = SANDBOX_URLS["jira"]
BASIC_AUTH = {"Authorization": "Basic " + base64.b64encode(b"api@example.com:sandbox-token").decode()}
"""Atlassian's Basic email:API token (any is accepted; this email is no account of the site)."""


@dataclass
class FakeClock:
    """Monotonic time that only moves when something sleeps; records every sleep."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[Emulator]:
    em = Emulator(now=lambda: NOW, clock=clock.monotonic, sleep=clock.sleep)
    yield em
    em.close()


@pytest.fixture
def http(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=emulator.transport()) as client:
        yield client


@pytest.fixture
def og(emulator: Emulator, clock: FakeClock) -> Iterator[OpsgenieClient]:
    with emulator.client() as client:
        yield OpsgenieClient(
            client,
            api_key="sandbox-key",
            base_url=OG,
            runtime=Runtime(sleep=clock.sleep, clock=clock.monotonic, wall=clock.monotonic),
        )
