"""Issue 12: the playbook's rules hold in every case, end to end on the sandbox (both backends).

Each test reproduces one defect of issue 12 through the real CLI (see conftest.py for the hand-built
schedule: rot-a from Monday 2027-01-04, rot-b from Wednesday 2027-01-06, now Wednesday 2027-02-03 12:00 EST).
"""

from __future__ import annotations

import json

import pytest

from conftest import ALL_BACKENDS, FACTS_BACKENDS, PLACEHOLDER_BACKENDS
from oncall_cli.scheduling.model import Override, Rotation

from .conftest import World, explain, ny

pytestmark = pytest.mark.backends(*ALL_BACKENDS)


def emails(world: World, n: int, offset: int = 0) -> list[str]:
    return [e.email for e in world.veterans[offset : offset + n]]


def test_R1_check_finds_one_engineer_holding_both_seats_through_an_override(world: World) -> None:
    """Defect 8: an override putting rot-a's engineer on rot-b at the same time is one person in two seats."""
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, b)
    # rot-a's shift of Mon Feb 8 belongs to a[1]; put a[1] on rot-b for Wed Feb 10 as well.
    world.backend().create_override(Override(a[1], ny(2027, 2, 10, 11), ny(2027, 2, 11, 11), ("rot-b",)))
    result = world("schedule", "check", "--json")
    assert result.exit_code == 9, explain(result)
    found = [v for v in json.loads(result.stdout)["violations"] if v["rule"] == "R1"]
    assert len(found) == 1 and found[0]["subjects"] == [a[1]], found
    assert "both" in found[0]["message"] or "two seats" in found[0]["message"]


def test_notify_reports_per_person_who_was_sent_a_dm_and_why_not(world: World) -> None:
    """Defect 9: the only engineer who moves has no Slack account: nothing is sent, and the output says so."""
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, b)
    with world.emulator.locked() as db:
        db.execute("DELETE FROM slack_users WHERE email = ? COLLATE NOCASE", (a[0],))
    world.invite("east.hire@example.com")
    data = world.json(
        "rotation", "add-engineer", "east.hire@example.com", "--start-date", "2026-12-01",
        "--timezone", "America/New_York", "--apply", "--notify",
    )
    assert [m["user"] for m in data["moves"]] == [a[0]]
    assert data["notified"] == [] and data["not_in_slack"] == [a[0]]
    assert data["notifications"] == [{"user": a[0], "sent": False, "why_not": "not in Slack"}]
    assert not [x for x in data["applied"] if x.startswith("DM ")], data["applied"]
    assert any("0 of 1" in x for x in data["applied"] + data["warnings"]), data
    text = world(
        "rotation", "add-engineer", "east.hire@example.com", "--start-date", "2026-12-01",
        "--timezone", "America/New_York",
    )
    assert text.exit_code == 0, explain(text)


@pytest.mark.backends(*FACTS_BACKENDS)  # a placeholder, and start dates from the service (world.hires)
def test_remove_engineer_covers_every_planned_shift_and_asks_the_manager_in_slack(world: World) -> None:
    """Defect 10: the leaver's shift in the next round (May 24, beyond 12 weeks) is covered too, and the
    manager gets a DM listing the shifts; an unknown email exits 5."""
    a, b = emails(world, 4), emails(world, 4, 4)
    following = [*a, *emails(world, 9, 8)]  # 13 engineers: the last one's first shift is May 24
    leaver, boss = following[-1], world.hires[0].email  # on call nowhere: no double booking
    world.build(a, b)
    store = world.backend()
    store.update_rotation("rot-a", end=ny(2027, 3, 1, 11))
    store.create_rotation(Rotation("rot-a-next", ny(2027, 3, 1, 11), tuple(following)))
    data = world.json("rotation", "remove-engineer", leaver, "--manager", boss, "--apply")
    assert [o["start"][:10] for o in data["overrides"]] == ["2027-05-24"], data["overrides"]
    (dm,) = world.dms(boss)
    assert "2027-05-24" in dm or "May 24" in dm, dm
    assert data["notifications"] == [{"user": boss, "sent": True, "why_not": None}]
    unknown = world("rotation", "remove-engineer", "nobody@example.com", "--manager", boss, "--json")
    assert unknown.exit_code == 5, explain(unknown)
    assert "no such engineer" in json.loads(unknown.stdout)["error"]["message"]


def _add(world: World, email: str, start: str, tz: str, *extra: str) -> dict[str, object]:
    world.invite(email, timezone=tz)
    data: dict[str, object] = world.json(
        "rotation", "add-engineer", email, "--start-date", start, "--timezone", tz, *extra
    )
    return data


def test_add_engineer_tries_the_next_round_when_the_current_rotation_ends_soon(world: World) -> None:
    """Defect 1: rot-a ends Mar 1 and rot-a-next exists: the engineer goes into rot-a-next, not deferred
    with `add_from: null`; a real deferral has a date and --remind schedules it."""
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, b)
    store = world.backend()
    store.update_rotation("rot-a", end=ny(2027, 3, 1, 11))
    store.create_rotation(Rotation("rot-a-next", ny(2027, 3, 1, 11), tuple(a)))
    store.update_rotation("rot-b", end=ny(2027, 3, 3, 11))
    store.create_rotation(Rotation("rot-b-next", ny(2027, 3, 3, 11), tuple(b)))
    data = _add(world, "east.hire@example.com", "2026-12-01", "America/New_York", "--apply")
    assert (data["outcome"], data["rotation"]) == ("append", "rot-a-next"), data
    assert data["first_shift"]["start"] == "2027-03-29T11:00:00-04:00"  # type: ignore[index]
    assert world.rotations()["rot-a-next"].participants == (*a, "east.hire@example.com")
    late = _add(world, "late.hire@example.com", "2027-02-01", "America/New_York", "--apply", "--remind")
    assert late["outcome"] == "deferred" and late["add_from"] is not None, late
    assert late["reminder"]["scheduled"] is True  # type: ignore[index]
    assert len(world.scheduled()) == 1


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_add_engineer_fills_a_placeholder_in_the_other_seat_before_moving_anyone(world: World) -> None:
    """Defect 2: an Eastern engineer, A and B of equal size, a free placeholder in B: fill it, move nobody."""
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, [b[0], None, b[1], b[2], b[3]])
    data = _add(world, "east.hire@example.com", "2026-12-01", "America/New_York")
    assert (data["outcome"], data["rotation"], data["moves"]) == ("placeholder", "rot-b", []), data


def test_add_engineer_keeps_the_seats_balanced_before_eastern_coverage(world: World) -> None:
    """Defect 4: B already has one more: a non-Eastern engineer goes to A (5 and 5), not B (4 and 6).
    Applied, with no size warning; the Eastern-coverage finding `schedule check` reports (A now holds
    far.hire while Eastern engineers sit in B) is warned as what balance cost, not refused."""
    a, b = emails(world, 4), emails(world, 5, 4)
    world.build(a, b)
    data = _add(world, "far.hire@example.com", "2026-12-01", "Europe/London")
    assert data["rotation"] == "rot-a", data
    r3: list[str] = [w for w in data["warnings"] if "[R3]" in w]  # type: ignore[attr-defined]
    assert not [w for w in r3 if "differ in size" in w], r3
    assert all("far.hire@example.com" in w and "balance beats Eastern coverage" in w for w in r3), r3


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_holiday_plan_is_never_applied_when_its_check_finds_a_gap(world: World) -> None:
    """Defect 6: this season's Holiday-a was cut short by hand (ends Dec 30, not Jan 3): the plan keeps it
    (never created twice) but would still end rot-a on Dec 22 with rot-a-2028 from Jan 3, leaving seat A
    empty from Dec 30: its own check finds the gap, so exit 9 and nothing changes."""
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, b)
    short = Rotation("Holiday-a", ny(2027, 12, 22, 11), (None,) * 4, "daily", 2, ny(2027, 12, 30, 11))
    world.backend().create_rotation(short)
    world.emulator.calls.clear()
    before = world.rotations()
    result = world("holiday", "plan", "--year", "2027", "--apply", "--json")
    assert result.exit_code == 9, explain(result)
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "rules_violated" and "nothing was changed" in error["message"].lower()
    assert world.writes() == 0 and world.rotations() == before


def test_remove_engineer_is_never_applied_when_the_manager_would_hold_both_seats(world: World) -> None:
    """Defect 6 (add/remove alike): b[0] is on call in B Feb 3-10 and would cover the leaver's A shift of
    Feb 8-15: one engineer in both seats, a double booking its own check finds: exit 9, nothing changed."""
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, b)
    result = world("rotation", "remove-engineer", a[1], "--manager", b[0], "--apply", "--json")
    assert result.exit_code == 9, explain(result)
    assert world.writes() == 0 and world.overrides() == []
    assert json.loads(result.stdout)["error"]["details"]["violations"][0]["rule"] == "R1"
