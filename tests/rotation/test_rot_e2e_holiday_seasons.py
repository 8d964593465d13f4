"""Issue 12, defect 6 (second half): `holiday plan --year Y+1 --apply`, run while season Y's Holiday-a/b still
exist, plans season Y+1 on its own: its holiday rotations (`Holiday-a-<Y+1>`, since the names are taken),
the continuations paused and continued again; `schedule check` finds no gap or double cover; a second run
plans nothing (both backends)."""

from __future__ import annotations

import json

import pytest

from conftest import PLACEHOLDER_BACKENDS
from oncall_cli.scheduling.rules import is_eastern

from .conftest import World, explain, ny
from .test_rot_e2e_holiday import seats_at_every_moment

pytestmark = pytest.mark.backends(*PLACEHOLDER_BACKENDS)

WINDOW_2028 = (ny(2028, 12, 22, 11), ny(2029, 1, 3, 11))


def test_holiday_plan_for_the_next_season_plans_it_on_its_own(world: World) -> None:
    # A of Eastern engineers, B of the others, as `schedule new` splits them [R3].
    a = [e.email for e in world.veterans if is_eastern(e.timezone)][:4]
    b = [e.email for e in world.veterans if not is_eastern(e.timezone)][:4]
    world.build(a, b)
    world.json("holiday", "plan", "--year", "2027", "--apply")
    world.emulator.calls.clear()

    data = world.json("holiday", "plan", "--year", "2028", "--apply")
    assert data["existing"] == [] and data["check"]["coverage"] == [], data
    rotations = world.rotations()
    for name in ("Holiday-a-2028", "Holiday-b-2028"):
        assert (rotations[name].start, rotations[name].end) == WINDOW_2028
        assert rotations[name].participants == (None,) * 6
    # Season 2027's holiday rotations are untouched; the 2028 continuations pause and continue again.
    assert (rotations["Holiday-a"].start, rotations["Holiday-a"].end) == (
        ny(2027, 12, 22, 11),
        ny(2028, 1, 3, 11),
    )
    assert rotations["rot-a-2028"].end == WINDOW_2028[0] and rotations["rot-b-2028"].end == WINDOW_2028[0]
    assert rotations["rot-a-2029"].start == ny(2029, 1, 8, 11)  # the first Monday handoff after Jan 3
    inside = world.timeline(ny(2028, 12, 23), ny(2029, 1, 2))
    assert {s.rotation for s in inside} == {"Holiday-a-2028", "Holiday-b-2028"}
    # No moment of either season with a seat empty or held twice.
    assert seats_at_every_moment(world, ny(2027, 12, 1, 11), ny(2028, 2, 1, 11)) == []
    assert seats_at_every_moment(world, ny(2028, 12, 1, 11), ny(2029, 2, 1, 11)) == []
    check = world("schedule", "check", "--weeks", "104", "--json")
    assert check.exit_code == 9, explain(check)
    # No finding but the holiday shifts still open for volunteers (R10): no gap, no double cover (R1).
    assert {v["rule"] for v in json.loads(check.stdout)["violations"]} == {"R10"}, check.stdout

    world.emulator.calls.clear()
    again = world.json("holiday", "plan", "--year", "2028", "--apply")
    assert again["actions"] == [] and sorted(again["existing"]) == ["Holiday-a-2028", "Holiday-b-2028"]
    assert again["differences"] == [] and world.writes() == 0
    # `holiday show` shows the season under way or next: 2027's.
    shown = world.json("holiday", "show")
    assert shown["rotations"] == ["Holiday-a", "Holiday-b"]
