"""Fakes for the foundation tests: each implements a port and keeps a history (no mocks, no patching)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from typer.testing import CliRunner, Result

from conftest import config_file, explain  # noqa: F401  (explain: re-exported for the foundation tests)
from oncall_cli.cli.main import app
from oncall_cli.services.context import Deps

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
OPSGENIE_ACCOUNT = "https://api.opsgenie.com/v2/account"
OPSGENIE_EU_ACCOUNT = "https://api.eu.opsgenie.com/v2/account"
SLACK_AUTH_TEST = "https://slack.com/api/auth.test"
STATUSPAGE_API = "https://api.statuspage.io"

Handler = Callable[[httpx.Request], httpx.Response]


class MemoryKeyring(KeyringBackend):
    """An OS keyring that lives in a dict: `entries[(service, username)] = secret`."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise PasswordDeleteError(username) from None


class FakeClock:
    """A monotonic clock and its sleep in one: sleeping advances the clock, and every sleep is recorded."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"slept a negative time: {seconds}"
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Vendors:
    """A MockTransport handler for the real vendor URLs: answers planned requests, fails loudly on others."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, url: str, respond: Handler) -> Vendors:
        self.routes[(method, url)] = respond
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        respond = self.routes.get((request.method, str(request.url.copy_with(query=None))))
        if respond is None:
            raise AssertionError(f"unplanned request {request.method} {request.url}")
        return respond(request)


def reply(status: int, body: object = None, headers: Mapping[str, str] | None = None) -> Handler:
    """A handler answering every request with `status` and a JSON body."""
    return lambda request: httpx.Response(status, json=body, headers=headers)


def opsgenie_ok() -> Handler:
    return reply(200, {"data": {"name": "acme", "userCount": 3}, "took": 0.01, "requestId": "req-1"})


def slack_ok() -> Handler:
    return reply(
        200,
        {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "oncall-bot",
            "team_id": "T0001",
            "user_id": "U0001",
        },
    )


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unplanned request {request.method} {request.url}")


@dataclass
class Cli:
    """Runs `oncall` in-process with injected effects and a private config file.

    `env` replaces os.environ for settings and credentials; the transport never reaches the network.
    """

    config_path: Path
    clock: FakeClock
    last_deps: Deps | None = None

    def __call__(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        handler: Handler = no_network,
        input: str | None = None,
        with_config: bool = True,
    ) -> Result:
        self.last_deps = Deps(
            env=dict(env or {}),
            transport=httpx.MockTransport(handler),
            sleep=self.clock.sleep,
            clock=self.clock,
            now=lambda: NOW,
            rng=random.Random(7),
        )
        argv = ["--config", config_file(self.config_path), *args] if with_config else list(args)
        return CliRunner().invoke(app, argv, obj=self.last_deps, input=input)
