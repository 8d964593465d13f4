"""Fixtures shared by every test directory. Keep it minimal: the others live next to their tests."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from oncall_cli.cli.main import app
from oncall_cli.clients.opsgenie import OpsgenieClient
from oncall_cli.config import load_settings
from oncall_cli.redaction import forget_secrets
from oncall_cli.sandbox.emulator import SANDBOX_URLS, Emulator
from oncall_cli.sandbox.faults import Fault
from oncall_cli.services.context import Context, Deps


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a test once per on-call backend it asks for: `backend` (the `backend` setting the sandbox CLI
    passes) takes the values of the closest `@pytest.mark.backends(...)`, else just "opsgenie"."""
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        names = marker.args if marker is not None else ("opsgenie",)
        metafunc.parametrize("backend", names)


ALL_BACKENDS = ("opsgenie", "jsm", "pagerduty")
"""`pytestmark = pytest.mark.backends(*ALL_BACKENDS)`: a module's end-to-end tests on every backend."""
INCIDENT_BACKENDS = ALL_BACKENDS
"""The backends with an incident tracker, where the incident suites run: every one."""
PLACEHOLDER_BACKENDS = ("opsgenie", "jsm", "pagerduty")
"""The backends whose rotations can hold the `none` placeholder (an empty turn; on PagerDuty a v3 event's
`empty_member`, docs/backends.md): every one."""
PAST_BACKENDS = ("opsgenie", "jsm")
"""The backends that can write a rotation's past (a rotation that started and ended before now). PagerDuty
cannot: a v3 event produces shifts from no earlier than when it is written (`effective_since` is clamped to
now), so tests that create history through the store run on these."""
ALERT_BACKENDS = ("opsgenie", "jsm")
"""The backends with an alert API of their own (`oncall alert`): PagerDuty's alerts belong to its incidents
and are not a list to acknowledge, so `oncall alert` exits 3 there, naming `backend`."""
FACTS_BACKENDS = ("opsgenie", "jsm")
"""The backends that keep start dates and managers (Opsgenie user details, a Jira user property). PagerDuty
has no place for them (they come from `--roster`), so tests that read them from the service run on these."""


_JSM_SCHEDULE = "/jsm/ops/api/{cloudId}/v1/schedules/{scheduleId}"
SCHEDULE_OPERATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "opsgenie": {
        "create_override": ("opsgenie", "POST /v2/schedules/{identifier}/overrides"),
        "update_rotation": ("opsgenie", "PATCH /v2/schedules/{identifier}/rotations/{id}"),
        "create_rotation": ("opsgenie", "POST /v2/schedules/{identifier}/rotations"),
    },
    "jsm": {
        "create_override": ("atlassian", f"POST {_JSM_SCHEDULE}/overrides"),
        "update_rotation": ("atlassian", f"PATCH {_JSM_SCHEDULE}/rotations/{{id}}"),
        "create_rotation": ("atlassian", f"POST {_JSM_SCHEDULE}/rotations"),
    },
    "pagerduty": {
        "create_override": ("pagerduty", "POST /v3/schedules/{id}/overrides"),
        "update_rotation": ("pagerduty", "PUT /v3/schedules/{id}/rotations/{rotation_id}/events/{event_id}"),
        "create_rotation": ("pagerduty", "POST /v3/schedules/{id}/rotations"),
    },
}
"""The emulator's (service, operation) of each schedule write, per backend, for injecting faults."""


def schedule_fault(backend: str, write: str, **fault: Any) -> Fault:
    """A fault on one schedule write of the backend (e.g. "create_override"), whatever its vendor path."""
    service, operation = SCHEDULE_OPERATIONS[backend][write]
    return Fault(service=service, operation=operation, **fault)


ON_CALL_SERVICES = {"opsgenie": ("opsgenie",), "jsm": ("atlassian", "jira"), "pagerduty": ("pagerduty",)}
"""The emulator services behind each backend."""


def backend_flag(backend: str) -> list[str]:
    """The global flag that picks the backend (none for the default, so Opsgenie runs stay as they were)."""
    return [] if backend == "opsgenie" else ["--set", f"backend={backend}"]


@pytest.fixture(autouse=True)
def _forget_registered_secrets() -> Iterator[None]:
    """Redaction keeps a process-wide set of secrets; each test starts and ends with it empty."""
    forget_secrets()
    yield
    forget_secrets()


@pytest.fixture
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """Point platformdirs' config, data and state directories into tmp_path (never the real user's)."""
    dirs = SimpleNamespace(
        config=tmp_path / "xdg-config", data=tmp_path / "xdg-data", state=tmp_path / "xdg-state"
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs.config))
    monkeypatch.setenv("XDG_DATA_HOME", str(dirs.data))
    monkeypatch.setenv("XDG_STATE_HOME", str(dirs.state))
    return dirs


# ---- the real CLI against the in-process sandbox, on a fake clock --------------------------------------

SANDBOX_NOW = datetime(2027, 2, 3, 15, 0, tzinfo=UTC)
"""Wednesday 3 February 2027, 10:00 in New York: the sandbox world is seeded relative to it."""


class FakeClock:
    """Wall and monotonic time that move only when something sleeps or a test advances them.

    Thread-safe, because workflows run independent steps concurrently.
    """

    def __init__(self, start: datetime = SANDBOX_NOW) -> None:
        self._lock = threading.Lock()
        self._start = start
        self._elapsed = 0.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        with self._lock:
            return 1000.0 + self._elapsed

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._elapsed += max(0.0, seconds)

    def advance(self, **delta: float) -> None:
        with self._lock:
            self._elapsed += timedelta(**delta).total_seconds()


@dataclass
class SandboxCli:
    """`oncall --sandbox --config <tmp> ARGS` through the real Typer app, with injected effects."""

    emulator: Emulator
    clock: FakeClock
    tmp: Path
    extra: dict[str, Any] = field(default_factory=dict)
    backend: str = "opsgenie"

    def deps(self) -> Deps:
        return Deps(emulator=self.emulator, now=self.clock.now, sleep=self.clock.sleep,
                    clock=self.clock.monotonic, rng=random.Random(3), env={},
                    state_dir=str(self.tmp / "state"), extra=dict(self.extra))

    def __call__(self, *args: str, input: str | None = None) -> Result:
        config = config_file(self.tmp / "config.toml")
        argv = ["--sandbox", "--config", config, *backend_flag(self.backend),
                *acting_flags(self.emulator, self.backend), *args]
        return CliRunner().invoke(app, argv, obj=self.deps(), input=input)

    def json(self, *args: str, code: int = 0) -> Any:
        """Run with --json; assert the exit code and that stdout is exactly one JSON document."""
        result = self(*args, "--json")
        assert result.exit_code == code, explain(result)
        return json.loads(result.stdout)

    def context(self) -> Context:
        """The services' context of this sandbox CLI (same backend), to read back through the ports."""
        flags = {"backend": self.backend}
        if self.backend == "pagerduty":
            flags["pagerduty.from"] = pagerduty_from(self.emulator)
        settings = load_settings(profile="sandbox", path=self.tmp / "config.toml", env={}, flags=flags)
        return Context(settings, self.deps())

    def opsgenie(self) -> OpsgenieClient:
        """A real client over the emulator, to read back what a command did."""
        http = httpx.Client(transport=self.emulator.transport())
        return OpsgenieClient(http, api_key="sandbox", base_url=SANDBOX_URLS["opsgenie"])


def pagerduty_from(emulator: Emulator) -> str:
    """PagerDuty's incident writes act for a user (`From`): the sandbox account's first user."""
    return str(emulator.query("SELECT email FROM pagerduty_users ORDER BY seq LIMIT 1")[0]["email"])


def acting_flags(emulator: Emulator, backend: str) -> list[str]:
    """`--set pagerduty.from=...` on PagerDuty (the sandbox sets no `me`), nothing elsewhere."""
    return ["--set", f"pagerduty.from={pagerduty_from(emulator)}"] if backend == "pagerduty" else []


def config_file(path: Path) -> str:
    """The path of a configuration file for `--config`, created empty when missing (a `--config` that
    names no file is an error: issue 15)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(exist_ok=True)
    return str(path)


def explain(result: Result) -> str:
    return (f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}\n"
            f"--- exception\n{result.exception!r}")


@pytest.fixture
def sandbox_cli(tmp_path: Path, backend: str) -> Iterator[SandboxCli]:
    clock = FakeClock()
    emulator = Emulator(":memory:", now=clock.now, clock=clock.monotonic, sleep=clock.sleep)
    yield SandboxCli(emulator, clock, tmp_path, backend=backend)
    emulator.close()
