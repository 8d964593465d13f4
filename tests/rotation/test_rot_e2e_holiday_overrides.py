"""Issue 12, defect 7 (not fixed yet; strict xfail so it turns red once fixed without removing the mark):
holiday plan ends rot-a at the window's start and continues it as rot-a-2028, so an override tied to rot-a
after the window stops applying; it must be re-created on the continuation (or the plan refused, listing it),
and `override list` must never show a dead override as active (both backends)."""

from __future__ import annotations

import pytest

from conftest import ALL_BACKENDS
from oncall_cli.scheduling.model import Override

from .conftest import World, ny

pytestmark = pytest.mark.backends(*ALL_BACKENDS)


@pytest.mark.xfail(strict=True, reason="issue 12 defect 7: holiday plan silently cancels overrides")
def test_holiday_plan_keeps_an_override_tied_to_a_rotation_it_ends(world: World) -> None:
    a = [e.email for e in world.veterans[:4]]
    b = [e.email for e in world.veterans[4:8]]
    world.build(a, b)
    cover = world.veterans[9].email
    world.backend().create_override(Override(cover, ny(2028, 1, 10, 11), ny(2028, 1, 11, 11), ("rot-a",)))
    result = world("holiday", "plan", "--year", "2027", "--apply", "--json")
    if result.exit_code == 0:
        held = [s.user for s in world.timeline(ny(2028, 1, 10, 12), ny(2028, 1, 10, 13)) if s.user == cover]
        assert held == [cover]
    else:
        assert result.exit_code == 9 and cover in result.stdout
