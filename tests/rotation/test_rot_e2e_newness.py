"""Issue 12, defect 11: one definition of a new engineer [R7] (`rules.is_new` with the participants of the
rotations carrying each seat now, `rules.current_participants`), so `schedule new`, `add-engineer` and
`schedule check` never disagree about a pair (both backends)."""

from __future__ import annotations

import json

import pytest

from conftest import ALL_BACKENDS

from .conftest import World, explain

pytestmark = pytest.mark.backends(*ALL_BACKENDS)


def test_R7_check_reports_the_same_new_new_pairs_schedule_new_warned_about(world: World) -> None:
    """Eight veterans carry rot-a and rot-b; the other fifteen team members are new to on-call (not in the
    current round's rotations), too many to keep apart: `schedule new` warns about each pair it cannot
    avoid, and `schedule check` must then report exactly those pairs, not none."""
    a = [e.email for e in world.veterans[:4]]
    b = [e.email for e in world.veterans[4:8]]
    world.build(a, b)
    plan = world.json("schedule", "new", "--seed", "2", "--apply", "--no-announce")
    warned = sorted(
        tuple(sorted((p["a"], p["b"])))
        for p in plan["pairs"]
        if any(f"{p['a']} (" in w and f"{p['b']} (" in w and w.startswith("[R7]") for w in plan["warnings"])
    )
    assert warned, plan["warnings"]
    result = world("schedule", "check", "--weeks", "20", "--json")
    assert result.exit_code == 9, explain(result)
    ends: dict[str, str] = {}
    for s in plan["shifts"]:
        ends[s["rotation"]] = max(ends.get(s["rotation"], s["end"]), s["end"])
    round_end = min(ends.values())  # the planned round, before any rotation's next round begins
    found = sorted(
        tuple(sorted(v["subjects"]))
        for v in json.loads(result.stdout)["violations"]
        if v["rule"] == "R7" and v["start"] < round_end
    )
    assert found == warned
