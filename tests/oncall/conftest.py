"""Fixtures of the on-call tests: the sandbox on a movable clock, the real CLI over it, and vendor clients
to arrange the world (incidents, notes, channels) the commands then read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from conftest import backend_flag, config_file
from oncall_cli.cli.main import app
from oncall_cli.clients.opsgenie import OpsgenieClient
from oncall_cli.clients.slack import SlackClient
from oncall_cli.clients.statuspage import StatuspageClient
from oncall_cli.sandbox.emulator import SANDBOX_URLS, Emulator
from oncall_cli.services.context import Deps

SEEDED = datetime(2027, 2, 1, 15, 0, tzinfo=UTC)
"""Monday 1 February 2027, 10:00 in New York (EST): the sandbox's world is seeded relative to it."""

ENV = {
    "ONCALL_OPSGENIE_API_KEY": "og-sandbox-key",
    "ONCALL_SLACK_TOKEN": "xoxb-sandbox-token",
    "ONCALL_STATUSPAGE_API_KEY": "sp-sandbox-key",
}


@dataclass
class Clock:
    """The wall clock every part of the test shares; it moves only when a test says so."""

    now: datetime = SEEDED
    monotonic: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def mono(self) -> float:
        return self.monotonic

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.monotonic += seconds


@dataclass
class Cli:
    """`oncall --sandbox --config <tmp> ARGS` through the real Typer app, with injected effects."""

    emulator: Emulator
    clock: Clock
    config: Path
    backend: str = "opsgenie"

    def __call__(self, *args: str) -> Result:
        deps = Deps(
            emulator=self.emulator,
            now=self.clock,
            sleep=self.clock.sleep,
            clock=self.clock.mono,
            env=dict(ENV),
        )
        argv = ["--sandbox", "--config", config_file(self.config), *backend_flag(self.backend), *args]
        return CliRunner().invoke(app, argv, obj=deps)

    def json(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 0, (
            f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        )
        return json.loads(result.stdout)

    def settings(self, **values: str) -> None:
        """Write `[profiles.sandbox]` settings (the sandbox profile reads the file like any other)."""
        lines = ["[profiles.sandbox]", *(f"{k} = {json.dumps(v)}" for k, v in values.items())]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emulator(clock: Clock) -> Iterator[Emulator]:
    em = Emulator(":memory:", now=clock, clock=clock.mono, sleep=clock.sleep)
    yield em
    em.close()


@pytest.fixture
def cli(emulator: Emulator, clock: Clock, tmp_path: Path, backend: str) -> Cli:
    return Cli(emulator, clock, tmp_path / "config.toml", backend)


@pytest.fixture
def http(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=emulator.transport()) as client:
        yield client


@pytest.fixture
def og(http: httpx.Client) -> OpsgenieClient:
    return OpsgenieClient(http, api_key="arrange", base_url=SANDBOX_URLS["opsgenie"])


@pytest.fixture
def slack(http: httpx.Client) -> SlackClient:
    return SlackClient(http, token="xoxb-arrange", base_url=SANDBOX_URLS["slack"])


@pytest.fixture
def statuspage(http: httpx.Client, clock: Clock) -> StatuspageClient:
    from oncall_cli.clients._http import Runtime

    return StatuspageClient(
        http,
        api_key="arrange",
        page_id="sandboxpage001",
        base_url=SANDBOX_URLS["statuspage"],
        runtime=Runtime(sleep=clock.sleep, clock=clock.mono),
    )


def clone_schedule(emulator: Emulator, name: str, source: str = "Engineering_schedule") -> None:
    """Add a schedule named `name` with copies of `source`'s rotations, on both backends' emulators (neither
    emulator, like the APIs as we use them, creates schedules, so the state is arranged directly)."""
    import random

    from oncall_cli.sandbox.base import new_uuid, next_seq

    rng = random.Random(name)
    with emulator.locked() as db:
        for table, schedules in (("opsgenie", "opsgenie_schedules"), ("jsm", "jsm_schedules")):
            row = db.execute(f"SELECT * FROM {schedules} WHERE name = ?", (source,)).fetchone()
            schedule_id = new_uuid(rng)
            columns = [k for k in row.keys() if k not in ("id", "name")]  # noqa: SIM118 (sqlite3.Row)
            values = [next_seq(db, f"{table}_schedule") if k == "seq" else row[k] for k in columns]
            db.execute(
                f"INSERT INTO {schedules} (id, name, {', '.join(columns)}) VALUES (?, ?, "
                + ", ".join("?" for _ in columns) + ")",
                (schedule_id, name, *values),
            )
            for rotation in db.execute(
                f"SELECT data FROM {table}_rotations WHERE schedule_id = ? ORDER BY seq", (row["id"],)
            ).fetchall():
                db.execute(
                    f"INSERT INTO {table}_rotations (id, schedule_id, seq, data) VALUES (?, ?, ?, ?)",
                    (new_uuid(rng), schedule_id, next_seq(db, f"{table}_rotation"), rotation["data"]),
                )
        # PagerDuty: the team's schedule is a v3 schedule (both seats' rotations), on an escalation policy
        # (so that /oncalls answers for it).
        row = db.execute("SELECT * FROM pagerduty_v3_schedules WHERE name = ?", (source,)).fetchone()
        schedule_id = new_uuid(rng)
        db.execute(
            "INSERT INTO pagerduty_v3_schedules (id, name, seq, data) VALUES (?, ?, ?, ?)",
            (schedule_id, name, next_seq(db, "pagerduty_schedule"), row["data"]),
        )
        db.execute(
            "INSERT INTO pagerduty_escalation_policies (id, name, seq, data) VALUES (?, ?, ?, ?)",
            (
                new_uuid(rng),
                name,
                next_seq(db, "pagerduty_policy"),
                json.dumps({"rules": [{"delay": 30, "schedules": [schedule_id]}], "teams": []}),
            ),
        )
