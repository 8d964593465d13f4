"""Fixtures of the rotation-change tests: the real CLI against the in-process sandbox on a fixed clock, over
a hand-built schedule whose dates are easy to work out by hand.

`world` replaces the seeded rotations with:
- rot-a, weekly from Monday 2027-01-04 11:00 EST (shift k starts on the k-th Monday after),
- rot-b, weekly from Wednesday 2027-01-06 11:00 EST,
each with four of the seed's veterans (Opsgenie, Slack and the team know them) or `none` placeholders.
`NOW` is Wednesday 2027-02-03 12:00 EST: rot-a's shift 4 (Feb 1) and rot-b's shift 4 (Feb 3, one hour old)
are under way; DST starts on Sunday 2027-03-14.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner, Result

from conftest import backend_flag, config_file, explain
from oncall_cli.cli.main import app
from oncall_cli.config import load_settings
from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.scheduling.model import Engineer, Override, Rotation, Shift
from oncall_cli.scheduling.rules import group_of
from oncall_cli.services.context import Context, Deps
from oncall_cli.services.ports import Directory, ScheduleStore

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 2, 3, 17, 0, tzinfo=UTC)
"""Wednesday 2027-02-03 12:00 EST."""
ROT_A_START = datetime(2027, 1, 4, 11, 0, tzinfo=NY)
ROT_B_START = datetime(2027, 1, 6, 11, 0, tzinfo=NY)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)  # type: ignore[misc]


@dataclass
class World:
    emulator: Emulator
    tmp: Path
    veterans: list[Engineer]
    hires: list[Engineer]
    me: str
    backend_name: str = "opsgenie"

    @property
    def config(self) -> Path:
        return self.tmp / "config.toml"

    def deps(self) -> Deps:
        return Deps(
            emulator=self.emulator,
            now=lambda: NOW,
            sleep=lambda s: None,
            clock=lambda: 0.0,
            rng=random.Random(3),
            env={},
        )

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            app,
            ["--sandbox", "--config", config_file(self.config), *backend_flag(self.backend_name), *args],
            obj=self.deps(),
            input=input,
        )

    def json(self, *args: str, code: int = 0, input: str | None = None) -> Any:
        result = self(*args, "--json", input=input)
        assert result.exit_code == code, explain(result)
        return json.loads(result.stdout)

    # ---- reading the emulated schedule back through the real client ----------------------------------

    def context(self) -> Context:
        settings = load_settings(
            profile="sandbox", path=self.config, env={}, flags={"backend": self.backend_name}
        )
        return Context(settings, self.deps())

    def backend(self) -> ScheduleStore:
        return self.context().schedule_store()

    def directory(self) -> Directory:
        return self.context().directory

    @property
    def service(self) -> str:
        """The on-call service's name in messages."""
        return self.directory().service

    def invite(self, email: str, name: str = "", timezone: str = "America/New_York") -> None:
        """On JSM, give the person an Atlassian account, as a site admin's invitation would: `oncall` cannot
        create accounts there. On Opsgenie nothing: `add-engineer` creates the user itself."""
        if self.backend_name == "jsm":
            from oncall_cli.sandbox.base import SeedPerson
            from oncall_cli.sandbox.jira import add_account

            person = SeedPerson(email, name or email.split("@")[0], timezone, date(1970, 1, 1), None, "")
            with self.emulator.locked() as db:
                add_account(db, person)

    def rotations(self) -> dict[str, Rotation]:
        return {r.name: r for r in self.backend().rotations()}

    def overrides(self) -> list[Override]:
        return self.backend().overrides()

    def timeline(self, start: datetime, end: datetime) -> list[Shift]:
        """Opsgenie's own final timeline (the emulator's GET /v2/schedules/{id}/timeline)."""
        return self.backend().timeline(start, end)

    def writes(self) -> int:
        """On-call service and Slack calls that change something, so far (reading JSM team members is a
        POST that changes nothing)."""
        return sum(
            1
            for c in self.emulator.calls
            if (c.service in ("opsgenie", "atlassian", "jira", "pagerduty") and c.method != "GET"
                and not (c.operation or "").endswith("/members"))
            or (c.service == "slack" and c.operation in ("chat.postMessage", "chat.scheduleMessage"))
        )

    def slack_id(self, email: str) -> str:
        rows = self.emulator.query("SELECT id FROM slack_users WHERE email = ? COLLATE NOCASE", (email,))
        return str(rows[0]["id"])

    def dms(self, email: str) -> list[str]:
        """Texts of the bot's direct messages to one person."""
        user = self.slack_id(email)
        rows = self.emulator.query(
            "SELECT m.text FROM slack_messages m JOIN slack_channels c ON c.id = m.channel_id "
            "WHERE c.kind = 'im' AND c.im_user = ? ORDER BY m.ts_us",
            (user,),
        )
        return [str(r["text"]) for r in rows]

    def scheduled(self) -> list[dict[str, Any]]:
        return self.emulator.query("SELECT * FROM slack_scheduled ORDER BY post_at")

    # ---- building the schedule -------------------------------------------------------------------------

    def build(
        self,
        a: Sequence[str | None],
        b: Sequence[str | None],
        *,
        a_start: datetime = ROT_A_START,
        b_start: datetime = ROT_B_START,
    ) -> None:
        backend = self.backend()
        for rotation in backend.rotations():
            backend.delete_rotation(rotation.name)
        backend.create_rotation(Rotation("rot-a", a_start, tuple(a)))
        backend.create_rotation(Rotation("rot-b", b_start, tuple(b)))
        self.emulator.calls.clear()


@pytest.fixture
def world(tmp_path: Path, backend: str) -> Iterator[World]:
    em = Emulator(":memory:", now=lambda: NOW, clock=lambda: 0.0, sleep=lambda s: None)
    w = World(em, tmp_path, [], [], "", backend)
    people = sorted(w.context().directory.team(), key=lambda e: e.email)
    today = NOW.astimezone(NY).date()
    w.veterans = [e for e in people if (today - e.start_date).days > 365]
    w.hires = sorted(
        (e for e in people if 0 <= (today - e.start_date).days <= 90), key=lambda e: e.start_date
    )
    w.me = w.veterans[-1].email
    w.config.write_text(f'[profiles.sandbox]\nme = "{w.me}"\n', encoding="utf-8")
    yield w
    em.close()


def on_call_pairs(shifts: Sequence[Shift], start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """Every elementary interval where the number of people on call is not exactly two."""
    edges = sorted(
        {start, end, *(s.start for s in shifts), *(s.end for s in shifts)}, key=lambda t: t.astimezone(UTC)
    )
    bad = []
    for lo, hi in itertools.pairwise(edges):
        if not (start <= lo < end):
            continue
        users = {s.user for s in shifts if s.start <= lo and hi <= s.end and s.user is not None}
        seats = {group_of(s.rotation) for s in shifts if s.start <= lo and hi <= s.end and s.user is not None}
        if len(users) != 2 or len(seats) != 2:
            bad.append((lo, len(users)))
    return bad


WEEK = timedelta(weeks=1)
