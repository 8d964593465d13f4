"""Issue 12, defect 7: holiday plan ends rot-a at the window's start and continues it as rot-a-2028, so an
override tied to rot-a after the window stopped applying (a swap repayment vanished) while `override list`
still showed it. The plan now re-creates such overrides on the continuation (in the dry run, applied with the
other steps, never twice), DMs their owners with --notify, and `override list` marks a dead override
inactive (both backends)."""

from __future__ import annotations

import json

import pytest

from conftest import PLACEHOLDER_BACKENDS, schedule_fault
from oncall_cli.scheduling.model import Override

from .conftest import World, explain, ny

pytestmark = pytest.mark.backends(*PLACEHOLDER_BACKENDS)

REPAYMENT = (ny(2028, 1, 10, 11), ny(2028, 1, 11, 11))
"""Monday Jan 10 2028, after the 2027 window: rot-a's turn, which the continuation rot-a-2028 now gives."""


def test_holiday_plan_recreates_an_override_tied_to_a_rotation_it_ends_on_the_continuation(
    world: World,
) -> None:
    a = [e.email for e in world.veterans[:4]]
    b = [e.email for e in world.veterans[4:8]]
    world.build(a, b)
    cover = world.veterans[9].email
    world.backend().create_override(Override(cover, *REPAYMENT, ("rot-a",)))
    world.emulator.calls.clear()

    dry = world.json("holiday", "plan", "--year", "2027", "--notify")
    assert world.writes() == 0
    (carried,) = dry["overrides"]
    assert carried["rotation"] == "rot-a" and carried["dropped"] == []
    assert [(r["user"], r["rotations"], r["start"], r["end"]) for r in carried["replacements"]] == [
        (cover, ["rot-a-2028"], "2028-01-10T11:00:00-05:00", "2028-01-11T11:00:00-05:00")
    ]
    kinds = [(x["kind"], x["rotation"]) for x in dry["actions"]]
    # The continuation is created before the override on it; rot-a ends only after the override exists.
    assert kinds.index(("create", "rot-a-2028")) < kinds.index(("override", "rot-a-2028"))
    assert kinds.index(("override", "rot-a-2028")) < kinds.index(("end", "rot-a"))
    assert kinds[-1] == ("notify", None)

    data = world.json("holiday", "plan", "--year", "2027", "--apply", "--notify")
    assert data["notifications"] == [{"user": cover, "sent": True, "why_not": None}]
    assert any("rot-a-2028" in text for text in world.dms(cover))
    recreated = [o for o in world.overrides() if o.rotations == ("rot-a-2028",)]
    assert [(o.user, o.start, o.end) for o in recreated] == [(cover, *REPAYMENT)]
    held = world.timeline(ny(2028, 1, 10, 12), ny(2028, 1, 10, 13))
    assert [(s.rotation, s.user) for s in held if s.rotation.startswith("rot-a")] == [("rot-a-2028", cover)]

    # `override list`: the original applies to nothing now (rot-a ended Dec 22) and is never shown as active.
    listed = {tuple(o["rotations"]): o for o in world.json("override", "list")["overrides"]}
    assert listed[("rot-a",)]["active"] is False
    assert "rot-a ended 2027-12-22" in listed[("rot-a",)]["inactive_reason"]
    assert listed[("rot-a-2028",)]["active"] is True and listed[("rot-a-2028",)]["inactive_reason"] is None
    table = world("override", "list")
    assert table.exit_code == 0 and "inactive" in table.stdout, explain(table)

    world.emulator.calls.clear()
    again = world.json("holiday", "plan", "--year", "2027", "--apply", "--notify")
    assert again["actions"] == [] and again["overrides"] == [] and world.writes() == 0


def test_holiday_plan_names_an_override_inside_the_window_that_it_cannot_carry(world: World) -> None:
    """Inside the window the holiday rotations carry the seat: an override on rot-a there has no regular
    rotation to move to, so the plan says so (warning, `dropped`) instead of dropping it silently."""
    world.build([e.email for e in world.veterans[:4]], [e.email for e in world.veterans[4:8]])
    cover = world.veterans[9].email
    world.backend().create_override(Override(cover, ny(2027, 12, 27, 11), ny(2027, 12, 28, 11), ("rot-a",)))
    dry = world.json("holiday", "plan", "--year", "2027")
    (carried,) = dry["overrides"]
    assert carried["replacements"] == []
    assert carried["dropped"] == [{"start": "2027-12-27T11:00:00-05:00", "end": "2027-12-28T11:00:00-05:00"}]
    assert any("holiday volunteer" in w for w in dry["warnings"])


def test_holiday_plan_stopped_while_recreating_an_override_finishes_on_a_second_run(world: World) -> None:
    """The override step fails: the rotations are created, rot-a is not ended yet (it still carries the
    override), exit 10; the second run creates the override once and ends the rotations."""
    world.build([e.email for e in world.veterans[:4]], [e.email for e in world.veterans[4:8]])
    cover = world.veterans[9].email
    world.backend().create_override(Override(cover, *REPAYMENT, ("rot-a",)))
    world.emulator.faults.add(schedule_fault(world.backend_name, "create_override", status=500))
    result = world("holiday", "plan", "--year", "2027", "--apply", "--json")
    assert result.exit_code == 10, explain(result)
    details = json.loads(result.stdout)["error"]["details"]
    assert details["not_done"][0].startswith("re-create override")
    assert any(step.startswith("end rot-a") for step in details["not_done"])
    assert world.rotations()["rot-a"].end is None and "rot-a-2028" in world.rotations()
    world.emulator.faults.clear()
    done = world.json("holiday", "plan", "--year", "2027", "--apply")
    assert [x["kind"] for x in done["actions"]] == ["override", "end", "end"]
    recreated = [o for o in world.overrides() if o.rotations == ("rot-a-2028",)]
    assert [(o.user, o.start, o.end) for o in recreated] == [(cover, *REPAYMENT)]
    held = world.timeline(ny(2028, 1, 10, 12), ny(2028, 1, 10, 13))
    assert [(s.rotation, s.user) for s in held if s.rotation.startswith("rot-a")] == [("rot-a-2028", cover)]
