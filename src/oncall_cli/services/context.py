"""The use cases' view of the world: settings, the clock, and lazily built clients over one transport.

`Deps` is what the shell injects. Production uses the defaults; the sandbox swaps in the emulator's
in-process transport; tests pass their own transport, clock and sleep.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx

from oncall_cli import credentials
from oncall_cli.clients._http import RetryPolicy, Runtime
from oncall_cli.config import Settings

if TYPE_CHECKING:
    from oncall_cli.clients.opsgenie import OpsgenieClient
    from oncall_cli.clients.slack import SlackClient
    from oncall_cli.clients.statuspage import StatuspageClient
    from oncall_cli.sandbox.emulator import Emulator


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """Injected effects. Every field has a production default."""

    transport: httpx.BaseTransport | None = None
    emulator: Emulator | None = None
    now: Callable[[], datetime] = _utcnow
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    env: Mapping[str, str] | None = None
    state_dir: str | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    extra: dict[str, Any] = field(default_factory=dict)


class Context:
    """Settings and clients for one command run; clients share one httpx.Client and one runtime."""

    def __init__(self, settings: Settings, deps: Deps) -> None:
        self.settings = settings
        self.deps = deps

    def now(self) -> datetime:
        return self.deps.now()

    @cached_property
    def runtime(self) -> Runtime:
        d = self.deps
        return Runtime(
            sleep=d.sleep, clock=d.clock, wall=lambda: d.now().timestamp(), rng=d.rng, policy=d.policy
        )

    @cached_property
    def emulator(self) -> Emulator:
        """The sandbox emulator: injected by tests, else the persistent one in the user data dir."""
        d = self.deps
        if d.emulator is None:
            from oncall_cli.sandbox.emulator import Emulator, default_db_path

            d.emulator = Emulator(default_db_path(), now=d.now, clock=d.clock, sleep=d.sleep)
        return d.emulator

    @cached_property
    def http(self) -> httpx.Client:
        transport = self.deps.transport
        if transport is None and self.settings.sandbox:
            transport = self.emulator.transport()
        return httpx.Client(transport=transport, follow_redirects=False)

    def secret(self, provider: str) -> str:
        return credentials.require(self.settings.profile, provider, self.deps.env).get_secret_value()

    @cached_property
    def opsgenie(self) -> OpsgenieClient:
        from oncall_cli.clients.opsgenie import OpsgenieClient

        return OpsgenieClient(
            self.http,
            api_key=self.secret("opsgenie"),
            base_url=self.settings.opsgenie_url,
            runtime=self.runtime,
        )

    @cached_property
    def statuspage(self) -> StatuspageClient:
        from oncall_cli.clients.statuspage import StatuspageClient

        return StatuspageClient(
            self.http,
            api_key=self.secret("statuspage"),
            page_id=self.settings.text("statuspage.page_id") or None,
            base_url=self.settings.text("statuspage.url"),
            runtime=self.runtime,
        )

    @cached_property
    def slack(self) -> SlackClient:
        from oncall_cli.clients.slack import SlackClient

        return SlackClient(
            self.http,
            token=self.secret("slack"),
            base_url=self.settings.text("slack.url"),
            runtime=self.runtime,
        )

    def close(self) -> None:
        if "http" in self.__dict__:
            self.http.close()
