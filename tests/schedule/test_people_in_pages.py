"""People are read in pages, once per command: for the sandbox's 24-engineer team, `schedule new --apply` and
`rotation add-engineer --apply` read the users with one `GET /v2/users?limit=100` on Opsgenie, not one
`GET /v2/users/{email}` per engineer, and the schedule and the team once each."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from conftest import SANDBOX_NOW, SandboxCli
from oncall_cli.sandbox.seed import seed_people

pytestmark = pytest.mark.backends("opsgenie")


def _reads(cli: SandboxCli) -> Counter[str]:
    calls = cli.emulator.calls
    return Counter(str(c.operation) for c in calls if c.service == "opsgenie" and c.method == "GET")


def test_schedule_new_apply_reads_the_team_with_one_page_of_users(sandbox_cli: SandboxCli) -> None:
    sandbox_cli.emulator.calls.clear()
    data = sandbox_cli.json("--no-input", "schedule", "new", "--split", "2", "--seed", "7", "--apply")
    assert data["apply"]["dry_run"] is False and data["apply"]["announced"] == "posted", data["apply"]
    reads = _reads(sandbox_cli)
    assert reads["GET /v2/users"] == 1
    assert reads["GET /v2/users/{identifier}"] == 0
    assert reads["GET /v2/teams/{identifier}"] == 1
    assert reads["GET /v2/schedules/{identifier}"] == 1
    assert reads["GET /v2/schedules/{identifier}/rotations"] == 1


def test_add_engineer_apply_finds_the_engineer_in_the_page_it_read(sandbox_cli: SandboxCli) -> None:
    hire = seed_people(random.Random("people:1"), SANDBOX_NOW.date())[-1]
    sandbox_cli.emulator.calls.clear()
    data = sandbox_cli.json(
        "--no-input", "rotation", "add-engineer", hire.email, "--start-date", hire.start_date.isoformat(),
        "--apply",
    )
    assert data["engineer"]["email"] == hire.email
    reads = _reads(sandbox_cli)
    assert reads["GET /v2/users"] == 1
    assert reads["GET /v2/users/{identifier}"] == 0
    assert reads["GET /v2/teams/{identifier}"] == 1
