"""The JSM Operations backend end to end: a month of commands whose every request the vendors' specs
accept, the cloud id looked up once and saved, and bad settings named in one line."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conftest import FakeClock, SandboxCli, config_file, explain
from oncall_cli.cli.main import app
from oncall_cli.sandbox.emulator import SANDBOX_BASE, SANDBOX_URLS, Emulator
from oncall_cli.sandbox.faults import Fault
from oncall_cli.scheduling.model import Shift
from oncall_cli.scheduling.timeline import timeline as core_timeline
from oncall_cli.services.context import Deps

pytestmark = pytest.mark.backends("jsm")

TOKEN = "jsm-token-for-tests-7f3a"


def _month_of_commands(cli: SandboxCli, me: str, other: str) -> None:
    """What a team does with its schedule in a month, day by day."""
    steps: list[tuple[str, ...]] = [
        ("schedule", "new", "--split", "2", "--seed", "7", "--apply"),
        ("whoisoncall", "--next", "--update-topic"),
        ("schedule", "show", "--weeks", "6"),
        ("schedule", "check"),
        ("schedule", "export", "--format", "ics"),
        ("rotation", "list"),
        ("rotation", "show", "rot-a"),
        ("override", "add", "--me", "--start", "2027-02-10 11:00", "--end", "2027-02-11 11:00", "--rotation",
         "rot-b"),
        ("override", "list"),
        ("override", "swap", me, other),
        ("shifts", "--me"),
        ("holiday", "plan", "--year", "2027", "--apply"),
        ("holiday", "show"),
        ("rotation", "remove-engineer", other, "--manager", me, "--apply"),
        ("handoff",),
    ]
    for step in steps:
        result = cli(*step, "--json")
        assert result.exit_code in (0, 9), explain(result)  # 9: `schedule check` finds rule breaks
        cli.clock.advance(days=2)


def test_a_month_of_schedule_commands_sends_only_requests_the_specs_accept(sandbox_cli: SandboxCli) -> None:
    team = sandbox_cli.context().directory.team()
    veterans = sorted((e for e in team if e.start_date.year < 2026), key=lambda e: e.email)
    me, other = veterans[0].email, veterans[1].email
    (sandbox_cli.tmp / "config.toml").write_text(f'[profiles.sandbox]\nme = "{me}"\n', encoding="utf-8")
    _month_of_commands(sandbox_cli, me, other)
    emulator = sandbox_cli.emulator
    assert emulator.rejected == [] and emulator.invalid_responses == []
    used = {(c.service, c.operation) for c in emulator.calls if c.service in ("atlassian", "jira")}
    checked = {(s, o) for s, o, kind in emulator.validated if kind == "request"}
    assert used <= checked, "every JSM and Jira operation used was validated"
    operations = {o for _, o in used}
    for expected in ("POST /jsm/ops/api/{cloudId}/v1/schedules/{scheduleId}/rotations",
                     "PATCH /jsm/ops/api/{cloudId}/v1/schedules/{scheduleId}/rotations/{id}",
                     "POST /jsm/ops/api/{cloudId}/v1/schedules/{scheduleId}/overrides",
                     "GET /jsm/ops/api/{cloudId}/v1/schedules/{scheduleId}/timeline",
                     "GET /rest/api/3/user/search",
                     "GET /rest/api/3/user/bulk"):
        assert expected in operations, sorted(operations)
    # Incidents stay on Opsgenie until their own port lands; the schedule and its people never touch it.
    opsgenie = [c.operation for c in emulator.calls if c.service == "opsgenie" and "incidents" not in c.path]
    assert opsgenie == []


# ---- a real (non-sandbox) profile pointed at the emulator ------------------------------------------------


def _profile(tmp: Path, **extra: str) -> Path:
    values = {
        "backend": "jsm",
        "jira.url": SANDBOX_URLS["jira"],
        "atlassian.api_url": SANDBOX_URLS["atlassian"],
        "jsm.email": "ada@example.com",
        "jsm.org_id": "a1b2c3d4-0000-4000-8000-0000000000a9",
        **extra,
    }
    lines = ["[profiles.work]", *(f'{k} = "{v}"' for k, v in values.items())]
    path = tmp / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(emulator: Emulator, config: Path, *args: str) -> Result:
    clock = FakeClock()
    deps = Deps(transport=emulator.transport(), now=clock.now, sleep=clock.sleep, clock=clock.monotonic,
                rng=random.Random(1), env={"ONCALL_JSM_API_TOKEN": TOKEN})
    return CliRunner().invoke(app, ["--profile", "work", "--config", config_file(config), *args], obj=deps)


@pytest.fixture
def emulator() -> Emulator:
    clock = FakeClock()
    return Emulator(":memory:", now=clock.now, clock=clock.monotonic, sleep=clock.sleep)


def test_the_cloud_id_is_looked_up_once_from_the_site_and_saved_to_the_profile(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = _profile(tmp_path)
    first = _run(emulator, config, "whoisoncall", "--json")
    assert first.exit_code == 0, explain(first)
    assert 'cloud_id = "a1b2c3d4-0000-4000-8000-00000000c10d"' in config.read_text(encoding="utf-8")
    assert config.stat().st_mode & 0o777 == 0o600
    emulator.calls.clear()
    again = _run(emulator, config, "whoisoncall", "--json")
    assert again.exit_code == 0, explain(again)
    assert json.loads(again.stdout) == json.loads(first.stdout)
    assert not any(c.operation == "GET /_edge/tenant_info" for c in emulator.calls)
    assert TOKEN not in first.stdout + first.stderr + config.read_text(encoding="utf-8")


def test_a_wrong_site_names_jira_url(emulator: Emulator, tmp_path: Path) -> None:
    config = _profile(tmp_path, **{"jira.url": f"{SANDBOX_BASE}/not-a-site"})
    result = _run(emulator, config, "whoisoncall")
    assert result.exit_code == 3, explain(result)
    assert "jira.url" in result.stderr and "Traceback" not in result.stderr


def test_a_wrong_cloud_id_names_jsm_cloud_id(emulator: Emulator, tmp_path: Path) -> None:
    config = _profile(tmp_path, **{"jsm.cloud_id": "00000000-wrong"})
    result = _run(emulator, config, "schedule", "show")
    assert result.exit_code == 3, explain(result)
    assert "jsm.cloud_id" in result.stderr and "00000000-wrong" in result.stderr


def test_a_rejected_token_is_an_auth_error_and_never_printed(emulator: Emulator, tmp_path: Path) -> None:
    config = _profile(tmp_path, **{"jsm.cloud_id": "a1b2c3d4-0000-4000-8000-00000000c10d"})
    emulator.faults.add(Fault(service="atlassian", status=401))
    result = _run(emulator, config, "rotation", "list", "--json")
    assert result.exit_code == 4, explain(result)
    assert TOKEN not in result.stdout + result.stderr
    status = _run(emulator, config, "auth", "status", "--provider", "jsm", "--json")
    assert json.loads(status.stdout)["credentials"][0]["status"] == "ok"  # the site itself accepts it


def test_missing_jsm_settings_are_named(emulator: Emulator, tmp_path: Path) -> None:
    config = _profile(tmp_path, **{"jsm.email": ""})
    result = _run(emulator, config, "whoisoncall")
    assert result.exit_code == 3 and "jsm.email" in result.stderr, explain(result)


def test_config_init_sets_up_a_jsm_profile_and_auth_status_checks_its_credential(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    init = _run(emulator, config, "config", "init", "--backend", "jsm", "--jira-url", SANDBOX_URLS["jira"],
                "--jsm-email", "ada@example.com", "--org-id", "a1b2c3d4-0000-4000-8000-0000000000a9",
                "--yes", "--json")
    assert init.exit_code == 0, explain(init)
    written = json.loads(init.stdout)["written"]
    assert written["backend"] == "jsm" and written["jira.url"] == SANDBOX_URLS["jira"]
    status = _run(emulator, config, "auth", "status", "--json")
    assert [c["provider"] for c in json.loads(status.stdout)["credentials"]] == ["jsm", "statuspage", "slack"]
    assert json.loads(status.stdout)["credentials"][0]["status"] == "ok"


def test_an_unreachable_site_names_jira_url(emulator: Emulator, tmp_path: Path) -> None:
    config = _profile(tmp_path)
    emulator.faults.add(Fault(service="jira", operation="GET /_edge/tenant_info", kind="drop", sent=False,
                              calls=range(1, 20)))
    result = _run(emulator, config, "whoisoncall")
    assert result.exit_code == 3, explain(result)
    assert "jira.url" in result.stderr and "Traceback" not in result.stderr


def test_a_wrong_organisation_names_jsm_org_id(emulator: Emulator, tmp_path: Path) -> None:
    config = _profile(tmp_path, **{"jsm.org_id": "wrong-org"})
    result = _run(emulator, config, "schedule", "new", "--seed", "1")
    assert result.exit_code == 3, explain(result)
    assert "jsm.org_id" in result.stderr


def test_remove_engineer_delete_user_twice_on_jsm_changes_nothing_the_second_time(
    sandbox_cli: SandboxCli,
) -> None:
    rotation = sandbox_cli.context().schedule_store().rotations()[0]
    leaver, manager = [p for p in rotation.participants if p][:2]
    args = ("rotation", "remove-engineer", leaver, "--manager", manager, "--apply", "--delete-user", "--yes")
    first = sandbox_cli.json(*args)
    assert first["delete_user"]["deleted"] is True
    assert leaver not in sandbox_cli.context().directory.team_members()
    again = sandbox_cli(*args, "--json")
    assert again.exit_code in (0, 5), explain(again)  # nothing left to do, or "no such engineer"
    assert again.exit_code != 10


TIMELINE = "GET /jsm/ops/api/{cloudId}/v1/schedules/{scheduleId}/timeline"


def _timeline_calls(cli: SandboxCli) -> list[int | None]:
    return [c.status for c in cli.emulator.calls if c.operation == TIMELINE]


def _plain(shifts: list[Shift]) -> list[tuple[object, ...]]:
    return [(s.rotation, s.user, s.start, s.end, s.override) for s in shifts]


def test_the_timeline_outside_what_jsm_serves_is_computed_and_joined(sandbox_cli: SandboxCli) -> None:
    # JSM's timeline goes back at most a year and ahead at most two (else 422, spec getTimeline): the
    # adapter asks JSM for the part it serves and computes the rest from the same rotations and overrides.
    store = sandbox_cli.context().schedule_store()
    now = sandbox_cli.clock.now()
    start, end = now - timedelta(days=500), now
    shifts = store.timeline(start, end)
    assert _timeline_calls(sandbox_cli) == [200], "one request, for the part JSM serves; no 422"
    expected = core_timeline(store.rotations(), store.overrides(), start, start + timedelta(days=500),
                             store.timezone)
    assert shifts and _plain(shifts) == _plain(expected)

    sandbox_cli.emulator.calls.clear()
    later = now + timedelta(days=800)
    ahead = store.timeline(later, later + timedelta(days=14))
    assert _timeline_calls(sandbox_cli) == [], "wholly beyond two years ahead: nothing asked of JSM"
    assert _plain(ahead) == _plain(core_timeline(store.rotations(), store.overrides(), later,
                                                 later + timedelta(days=14), store.timezone))
