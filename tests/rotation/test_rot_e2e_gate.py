"""Issue 12, defect 6 (the rest): `schedule new --apply` and `add-engineer --apply` are never applied when
their own check finds a gap or a double booking [R1]: exit 9, nothing changed; their dry runs show what the
gate finds (both backends)."""

from __future__ import annotations

import json

import pytest

from conftest import ALL_BACKENDS, PLACEHOLDER_BACKENDS
from oncall_cli.scheduling.model import Override

from .conftest import World, explain, ny

pytestmark = pytest.mark.backends(*ALL_BACKENDS)


def emails(world: World, n: int, offset: int = 0) -> list[str]:
    return [e.email for e in world.veterans[offset : offset + n]]


def test_R1_schedule_new_is_never_applied_when_its_check_finds_a_gap(world: World) -> None:
    """rot-a already ends Mon Mar 1; a round starting Mon Mar 15 would leave seat A empty for two weeks."""
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, b)
    world.backend().update_rotation("rot-a", end=ny(2027, 3, 1, 11))
    world.emulator.calls.clear()
    before = world.rotations()
    # The dry run shows what the gate finds, as a warning and under `apply.gate`.
    dry = world(
        "schedule", "new", "--seed", "1", "--start", "2027-03-15", "--apply", "--dry-run", "--json"
    )
    assert dry.exit_code == 0, explain(dry)
    assert [v["rule"] for v in json.loads(dry.stdout)["apply"]["gate"]][:1] == ["R1"]
    assert "--apply would be refused (exit 9)" in dry.stderr and world.writes() == 0
    result = world(
        "schedule", "new", "--seed", "1", "--start", "2027-03-15", "--apply", "--no-announce", "--json"
    )
    assert result.exit_code == 9, explain(result)
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "rules_violated" and "nothing was changed" in error["message"].lower()
    assert error["details"]["violations"][0]["rule"] == "R1"
    assert world.writes() == 0 and world.rotations() == before


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_R1_add_engineer_is_never_applied_when_it_would_put_someone_in_both_seats(world: World) -> None:
    """The placeholder's next shift is rot-a Feb 8-15; an override already puts the engineer on rot-b on
    Feb 10: placing them there is one engineer in two seats, so exit 9 and nothing changes."""
    a, b = emails(world, 3), emails(world, 4, 4)
    joiner = world.veterans[10].email
    world.build([a[0], None, a[1], a[2]], b)
    world.backend().create_override(Override(joiner, ny(2027, 2, 10, 11), ny(2027, 2, 11, 11), ("rot-b",)))
    world.emulator.calls.clear()
    before = world.rotations()
    shown = world.json("rotation", "add-engineer", joiner, "--start-date", "2025-01-06")
    assert (shown["outcome"], shown["rotation"]) == ("placeholder", "rot-a"), shown
    assert [v["rule"] for v in shown["gate"]] == ["R1"] and joiner in shown["gate"][0]["subjects"]
    assert any(w.startswith("--apply would be refused (exit 9): R1") for w in shown["warnings"])
    result = world("rotation", "add-engineer", joiner, "--start-date", "2025-01-06", "--apply", "--json")
    assert result.exit_code == 9, explain(result)
    error = json.loads(result.stdout)["error"]
    assert error["details"]["violations"][0]["rule"] == "R1"
    assert world.writes() == 0 and world.rotations() == before
