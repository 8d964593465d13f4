"""Fixtures of the incident workflow tests: the real CLI against the in-process sandbox, on a fake clock.

`sandbox` runs `oncall --sandbox ...` with `Deps(emulator=..., clock=..., sleep=..., now=..., state_dir=...)`;
time only moves when something sleeps (retries, Opsgenie polls, the Statuspage limiter), so nothing really
waits. The emulator's state is inspected with its own helpers (`query`, `snapshot`).
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from conftest import acting_flags, backend_flag, config_file, explain, pagerduty_from
from oncall_cli.cli.main import app
from oncall_cli.config import load_settings
from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.services.context import Context, Deps
from oncall_cli.services.ports import TrackedIncident

NOW = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)
"""Wednesday 10:00 in New York."""


class FakeClock:
    """Monotonic seconds that move only when something sleeps (thread-safe: raise runs steps in threads)."""

    def __init__(self, start: float = 1_000.0) -> None:
        self._start = start
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)

    def wall(self) -> datetime:
        """Wall-clock time that moves with the monotonic clock."""
        with self._lock:
            return NOW + timedelta(seconds=self.now - self._start)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class Sandbox:
    """`oncall --sandbox` in-process over one emulator, one fake clock and one journal directory."""

    emulator: Emulator
    clock: FakeClock
    tmp: Path
    extra: dict[str, Any] = field(default_factory=dict)
    backend: str = "opsgenie"

    @property
    def number(self) -> str:
        """The first incident's number as the tracker gives it: `1` on Opsgenie and PagerDuty (its
        `incident_number`), the key `ITSM-1` on JSM."""
        return "ITSM-1" if self.backend == "jsm" else "1"

    @property
    def state_dir(self) -> Path:
        return self.tmp / "state"

    def deps(self) -> Deps:
        return Deps(
            emulator=self.emulator,
            sleep=self.clock.sleep,
            clock=self.clock.monotonic,
            now=self.clock.wall,
            rng=random.Random(3),
            env={},
            state_dir=str(self.state_dir),
            extra=dict(self.extra),
        )

    def __call__(self, *args: str, input: str | None = None) -> Result:
        # The fake clock only moves when something sleeps, so public updates come "at once": the pause
        # between them (`statuspage.min_update_minutes`) is tested on its own, with `--set` after this one.
        pace = ["--set", "statuspage.min_update_minutes=0"]
        config = config_file(self.tmp / "config.toml")
        argv = ["--sandbox", "--config", config, *backend_flag(self.backend), *self._acting(), *pace, *args]
        return CliRunner().invoke(app, argv, obj=self.deps(), input=input)

    @property
    def pagerduty_from(self) -> str:
        return pagerduty_from(self.emulator)

    def _acting(self) -> list[str]:
        return acting_flags(self.emulator, self.backend)

    def json(self, *args: str, code: int = 0) -> Any:
        """Run with --json; assert the exit code and that stdout is exactly one JSON document."""
        result = self(*args, "--json")
        assert result.exit_code == code, explain(result)
        return json.loads(result.stdout)

    # ---- state of the three emulated services ----------------------------------------------------------

    def incidents(self) -> list[dict[str, Any]]:
        rows = self.emulator.query("SELECT id, tiny_id, data FROM opsgenie_incidents ORDER BY tiny_id")
        return [{"id": r["id"], "tinyId": str(r["tiny_id"]), **json.loads(r["data"])} for r in rows]

    def incident(self, number: str) -> dict[str, Any]:
        return next(i for i in self.incidents() if i["tinyId"] == str(number))

    def channels(self, prefix: str = "inc-") -> list[dict[str, Any]]:
        return self.emulator.query(
            "SELECT * FROM slack_channels WHERE name LIKE ? ORDER BY seq", (f"{prefix}%",)
        )

    def channel_members(self, channel_id: str) -> set[str]:
        rows = self.emulator.query("SELECT user_id FROM slack_members WHERE channel_id = ?", (channel_id,))
        return {r["user_id"] for r in rows}

    def messages(self, channel_id: str, *, thread_ts: str | None = None) -> list[dict[str, Any]]:
        if thread_ts:
            return self.emulator.query(
                "SELECT * FROM slack_messages WHERE channel_id = ? AND thread_ts = ? ORDER BY ts_us",
                (channel_id, thread_ts),
            )
        return self.emulator.query(
            "SELECT * FROM slack_messages WHERE channel_id = ? AND subtype IS NULL "
            "AND thread_ts IS NULL ORDER BY ts_us",
            (channel_id,),
        )

    def sp_incidents(self) -> list[dict[str, Any]]:
        return self.emulator.query("SELECT * FROM statuspage_incidents ORDER BY seq")

    def sp_updates(self, incident_id: str) -> list[dict[str, Any]]:
        return self.emulator.query(
            "SELECT * FROM statuspage_incident_updates WHERE incident_id = ? ORDER BY seq", (incident_id,)
        )

    def components(self) -> dict[str, str]:
        rows = self.emulator.query("SELECT name, status FROM statuspage_components")
        return {r["name"]: r["status"] for r in rows}

    def timeline(self, incident_id: str) -> list[dict[str, Any]]:
        rows = self.emulator.query(
            "SELECT data FROM opsgenie_timeline_entries WHERE incident_id = ? ORDER BY seq", (incident_id,)
        )
        return [json.loads(r["data"]) for r in rows]

    def slack_id(self, email: str) -> str:
        return str(self.emulator.query("SELECT id FROM slack_users WHERE email = ?", (email,))[0]["id"])

    def thread_url(self) -> tuple[str, str, str]:
        """A real thread of the seeded #incidents: (url, channel id, parent ts)."""
        channel = self.emulator.query("SELECT id FROM slack_channels WHERE name = 'incidents'")[0]["id"]
        parent = self.emulator.query(
            "SELECT ts FROM slack_messages WHERE channel_id = ? AND thread_ts IS NULL AND subtype IS NULL "
            "ORDER BY ts_us DESC LIMIT 1",
            (channel,),
        )[0]["ts"]
        return f"https://sandbox.slack.com/archives/{channel}/p{parent.replace('.', '')}", channel, parent

    def context(self) -> Context:
        """The services' context of this sandbox (same backend), to read back through the ports."""
        flags = {"backend": self.backend}
        if self.backend == "pagerduty":
            flags["pagerduty.from"] = self.pagerduty_from
        settings = load_settings(profile="sandbox", path=self.tmp / "config.toml", env={}, flags=flags)
        return Context(settings, self.deps())

    def tracked(self) -> list[TrackedIncident]:
        """Every incident, oldest first, as the tracker itself answers (Opsgenie, or JSM's Jira)."""
        return self.context().incidents.between(None)

    def entries(self, incident: TrackedIncident) -> list[str]:
        """The texts of the incident's timeline on the tracker."""
        return [item.text for item in self.context().incidents.timeline(incident) if not item.hidden]

    def on_call(self) -> list[str]:
        """Who the on-call service says is on call now (the engineers `raise` must invite)."""
        return self.context().schedule_store().on_call()


_COMMANDS: dict[int, Any] = {}


@pytest.fixture(autouse=True)
def _build_the_cli_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`CliRunner.invoke` rebuilds the Click command from the Typer app on every call (~0.3 s); the
    production CLI builds it once per process. Build it once per test session, as production does."""
    import typer.main
    import typer.testing

    def cached(typer_app: Any) -> Any:
        key = id(typer_app)
        if key not in _COMMANDS:
            _COMMANDS[key] = typer.main.get_command(typer_app)
        return _COMMANDS[key]

    monkeypatch.setattr(typer.testing, "_get_command", cached)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[Emulator]:
    em = Emulator(":memory:", now=clock.wall, clock=clock.monotonic, sleep=clock.sleep)
    yield em
    em.close()


@pytest.fixture
def sandbox(emulator: Emulator, clock: FakeClock, tmp_path: Path, backend: str) -> Sandbox:
    return Sandbox(emulator, clock, tmp_path, backend=backend)


@pytest.fixture
def raised(sandbox: Sandbox) -> dict[str, Any]:
    """A P1 incident raised with a thread and the API component; the `raise --json` output."""
    url, _, _ = sandbox.thread_url()
    data: dict[str, Any] = sandbox.json(
        "incident",
        "raise",
        "Checkout API returns 500s",
        "--priority",
        "P1",
        "--component",
        "API",
        "--thread",
        url,
    )
    return data
