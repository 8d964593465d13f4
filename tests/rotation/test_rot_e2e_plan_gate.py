"""Issue 12, "Done when: no command applies a plan that its own check rejects", on the seeded sandbox.

The R3 tests run on every backend; the others need placeholders or start-date facts (Opsgenie, JSM).

Each test reproduces a reviewer's finding: a reshaping command that exited 0 (or warned nothing) while
`schedule check` right after it exited 9. The commands now refuse what breaks a hard rule (R1, R3, R6; exit 9,
nothing changed) and warn about what the check will report for a best-effort rule (R7, R9-R13).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import ALL_BACKENDS, FACTS_BACKENDS, PLACEHOLDER_BACKENDS, FakeClock, SandboxCli, explain
from oncall_cli.sandbox.emulator import Emulator

pytestmark = pytest.mark.backends(*PLACEHOLDER_BACKENDS)


@pytest.fixture
def december_cli(tmp_path: Path, backend: str) -> Iterator[SandboxCli]:
    """The sandbox seeded on Sunday 2026-12-06, evening in New York (the reviewer's run): a round planned
    then runs into 2027, and its rotations repeat past their first round inside a 40-week check."""
    clock = FakeClock(datetime(2026, 12, 7, 1, 10, tzinfo=UTC))
    emulator = Emulator(":memory:", now=clock.now, clock=clock.monotonic, sleep=clock.sleep)
    yield SandboxCli(emulator, clock, tmp_path, backend=backend)
    emulator.close()


def check(cli: SandboxCli, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = cli("schedule", "check", *args, "--json")
    return result.exit_code, json.loads(result.stdout)["violations"]


def rotations(cli: SandboxCli) -> Any:
    return cli.json("rotation", "list")["rotations"]


@pytest.mark.backends(*ALL_BACKENDS)
def test_R3_add_engineer_warns_when_balance_puts_someone_outside_eastern_time_in_a(
    sandbox_cli: SandboxCli,
) -> None:
    """The third add goes to A for balance (edsger, non-Eastern) while Eastern radia sits in B: balance
    wins, so it is applied, but with the [R3] finding `schedule check` reports, not silently."""
    for name in ("fernando.thompson", "bjarne.liskov"):
        sandbox_cli.json("rotation", "add-engineer", f"{name}@example.com", "--start-date", "2025-01-01",
                         "--apply")
    third = sandbox_cli.json("rotation", "add-engineer", "edsger.hamilton@example.com", "--start-date",
                             "2025-01-01", "--apply")
    assert third["rotation"] == "rot-a", third
    code, found = check(sandbox_cli)
    r3 = [v for v in found if v["rule"] == "R3"]
    assert code == 9 and r3, found
    assert any(w.startswith("[R3]") and r3[0]["message"] in w for w in third["warnings"]), third["warnings"]


@pytest.mark.backends(*ALL_BACKENDS)
def test_R3_add_engineer_to_a_named_rotation_that_unbalances_the_seats_is_refused(
    sandbox_cli: SandboxCli,
) -> None:
    """Explicit adds to rot-b (these engineers are outside Eastern time, so B is their seat) grow it past
    rot-a: the one that makes them differ by two breaks balance (R3) and exits 9 before any write;
    --allow-imbalance is the explicit way to accept it."""
    names = ("fernando.thompson", "bjarne.liskov", "edsger.hamilton")
    sizes = {r["name"]: r["size"] for r in rotations(sandbox_cli)}
    assert sizes["rot-a"] - sizes["rot-b"] in (0, 1), sizes  # so the third add to rot-b unbalances
    codes = []
    for name in names:
        result = sandbox_cli("rotation", "add-engineer", f"{name}@example.com", "--start-date", "2025-01-01",
                             "--rotation", "rot-b", "--apply", "--json")
        codes.append(result.exit_code)
        if result.exit_code == 9:
            error = json.loads(result.stdout)["error"]
            assert "R3" in error["message"] and "--allow-imbalance" in error["hint"], error
            assert f"{name}@example.com" not in {p["user"] for r in rotations(sandbox_cli)
                                                 for p in r["participants"]}
            forced = sandbox_cli("rotation", "add-engineer", f"{name}@example.com", "--start-date",
                                 "2025-01-01", "--rotation", "rot-b", "--allow-imbalance", "--apply",
                                 "--json")
            assert forced.exit_code == 0, explain(forced)
            assert any(w.startswith("[R3]") for w in json.loads(forced.stdout)["warnings"])
            break
    assert 9 in codes, codes


@pytest.mark.backends(*ALL_BACKENDS)
def test_R3_add_engineer_outside_eastern_time_to_a_named_a_is_refused_when_b_has_room(
    sandbox_cli: SandboxCli,
) -> None:
    """fernando.thompson is outside Eastern time and B may take him without unbalancing: putting him in A
    gives up Eastern coverage for nothing (R3), so --rotation rot-a exits 9 and nothing changes."""
    before = rotations(sandbox_cli)
    args = ("rotation", "add-engineer", "fernando.thompson@example.com", "--start-date", "2025-01-01")
    assert sandbox_cli.json(*args)["rotation"] == "rot-b"
    result = sandbox_cli(*args, "--rotation", "rot-a", "--apply", "--json")
    assert result.exit_code == 9, explain(result)
    error = json.loads(result.stdout)["error"]
    assert "R3" in error["message"] and "outside Eastern time" in error["message"], error
    assert rotations(sandbox_cli) == before


@pytest.mark.backends(*FACTS_BACKENDS)
def test_R6_remove_engineer_refuses_a_manager_too_new_to_cover_the_shifts(sandbox_cli: SandboxCli) -> None:
    """guido.berners started 47 days ago: covering carla's shifts breaks R6, which `schedule check` would
    report. The dry run shows it as the gate's finding; --apply exits 9 naming --manager, nothing changed."""
    args = ("rotation", "remove-engineer", "carla.wirth@example.com",
            "--manager", "guido.berners@example.com")
    before = rotations(sandbox_cli)
    dry = sandbox_cli.json(*args)
    assert [v["rule"] for v in dry["gate"]][:1] == ["R6"], dry
    assert any(w.startswith("--apply would be refused (exit 9): R6") for w in dry["warnings"])
    result = sandbox_cli(*args, "--apply", "--json")
    assert result.exit_code == 9, explain(result)
    error = json.loads(result.stdout)["error"]
    assert "R6" in error["message"] and "--manager" in error["message"], error
    assert rotations(sandbox_cli) == before
    assert check(sandbox_cli)[0] == 0


def test_R11_remove_engineer_warns_about_what_the_check_reports_for_the_managers_cover(
    sandbox_cli: SandboxCli,
) -> None:
    """zaha.lamarr covers joan's last rot-a shift 21 days before her own first shift of rot-a-next: the
    check reports R11 (a best-effort rule), so remove-engineer applies it and says so."""
    sandbox_cli.json("schedule", "new", "--split", "2", "--seed", "7", "--apply", "--no-announce")
    removed = sandbox_cli.json("rotation", "remove-engineer", "joan.corbato@example.com", "--manager",
                               "zaha.lamarr@example.com", "--apply")
    code, found = check(sandbox_cli)
    r11 = [v for v in found if v["rule"] == "R11"]
    assert r11 and code == 9, found
    assert any(w.startswith("[R11]") and r11[0]["message"] in w for w in removed["warnings"]), removed


def test_R10_remove_engineer_warns_about_placeholder_turns_beyond_the_covered_rounds(
    sandbox_cli: SandboxCli,
) -> None:
    """rot-a-next is open-ended: joan's turn in its second cycle (May 2027) is a placeholder no override
    covers; `schedule check --weeks 30` reports it as R10, and remove-engineer warns with the dates."""
    sandbox_cli.json("schedule", "new", "--split", "2", "--seed", "7", "--apply", "--no-announce")
    args = ("rotation", "remove-engineer", "joan.corbato@example.com", "--manager", "zaha.lamarr@example.com")
    text = sandbox_cli(*args)
    removed = sandbox_cli.json(*args, "--apply")
    _, found = check(sandbox_cli, "--weeks", "30")
    r10 = [v for v in found if v["rule"] == "R10" and "rot-a-next" in v["message"]]
    assert r10, found
    day = r10[0]["start"][:10]
    assert any(w.startswith("[R10]") and day in w for w in removed["warnings"]), removed["warnings"]
    assert day in text.stderr, explain(text)


def test_R7_check_does_not_call_engineers_new_once_they_have_served_a_round(december_cli: SandboxCli) -> None:
    """`schedule new` warned of no pair; beyond the first round of rot-a-next everyone has served a whole
    round, so the check (newness judged when the pair is on call) agrees: no R7 over 40 weeks (it reported
    four pairs in June-September 2027)."""
    plan = december_cli.json("schedule", "new", "--split", "2", "--seed", "7", "--apply", "--no-announce")
    assert not [w for w in plan["warnings"] if w.startswith("[R7]")], plan["warnings"]
    _, found = check(december_cli, "--weeks", "40")
    assert [v for v in found if v["rule"] == "R7"] == []


@pytest.mark.backends("opsgenie")
def test_min_gap_weeks_must_not_be_negative(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("--set", "min_gap_weeks=-3", "schedule", "check")
    assert result.exit_code == 3, explain(result)
    assert "min_gap_weeks" in result.stderr and "0 or more" in result.stderr
