"""Issue 12, defect 5: a new round never gives anyone consecutive shifts at the boundary and keeps
`min_gap_weeks` (default 4) between anyone's last shift of the old round and first of the new [R11]; best
effort, reported; `schedule check` reports it (both backends)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from conftest import ALL_BACKENDS
from oncall_cli.scheduling.model import Rotation

from .conftest import World, explain, ny

pytestmark = pytest.mark.backends(*ALL_BACKENDS)


def _gaps(world: World, old: list[str], new_rotations: dict[str, Rotation]) -> dict[str, float]:
    """Weeks between each engineer's last shift of the old round and their first of the new."""
    shifts = world.timeline(ny(2027, 1, 1, 0), ny(2027, 6, 1, 0))
    last: dict[str, datetime] = {}
    first: dict[str, datetime] = {}
    for s in shifts:
        if s.user is None:
            continue
        if s.rotation in ("rot-a", "rot-b"):
            last[s.user] = max(last.get(s.user, s.end), s.end)
        elif s.rotation in new_rotations and s.user not in first:
            first[s.user] = s.start
    return {u: (first[u] - last[u]).total_seconds() / 604800 for u in old if u in first and u in last}


@pytest.mark.parametrize("seed", [5, 6])
def test_R11_a_new_round_keeps_min_gap_weeks_after_the_old_round(world: World, seed: int) -> None:
    """Seeds 5 and 6 put rot-b's last engineer (Feb 24 - Mar 3) first in rot-b-next (Mar 3): two weeks in
    a row. Now nobody of the old round starts the new one within 4 weeks of their last shift."""
    a = [e.email for e in world.veterans[:4]]
    b = [e.email for e in world.veterans[4:8]]
    world.build(a, b)
    world.json("schedule", "new", "--seed", str(seed), "--apply", "--no-announce")
    rotations = {k: v for k, v in world.rotations().items() if k.endswith("-next")}
    gaps = _gaps(world, a + b, rotations)
    assert gaps and min(gaps.values()) >= 4, gaps
    result = world("schedule", "check", "--weeks", "20", "--json")
    assert not [v for v in json.loads(result.stdout)["violations"] if v["rule"] == "R11"], explain(result)


def test_R11_check_reports_consecutive_weeks_across_the_round_boundary(world: World) -> None:
    a = [e.email for e in world.veterans[:4]]
    b = [e.email for e in world.veterans[4:8]]
    world.build(a, b)
    store = world.backend()
    # rot-b's round ends Mar 3 with b[3] (Feb 24 - Mar 3); rot-b-next starts with b[3] again.
    store.update_rotation("rot-b", end=ny(2027, 3, 3, 11))
    store.create_rotation(Rotation("rot-b-next", ny(2027, 3, 3, 11), (b[3], b[0], b[1], b[2])))
    store.update_rotation("rot-a", end=ny(2027, 3, 1, 11))
    store.create_rotation(Rotation("rot-a-next", ny(2027, 3, 1, 11), tuple(a)))
    result = world("schedule", "check", "--weeks", "20", "--json")
    assert result.exit_code == 9, explain(result)
    found = [v for v in json.loads(result.stdout)["violations"] if v["rule"] == "R11"]
    assert b[3] in [s for v in found for s in v["subjects"]], found
    assert any("consecutive" in v["message"] for v in found if b[3] in v["subjects"]), found
