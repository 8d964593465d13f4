"""`oncall holiday ...` end to end: plan (and apply) the 2027 holiday rotations in the sandbox, then read the
schedule back, lint it with `oncall schedule check`, and volunteer."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from conftest import ALL_BACKENDS, PLACEHOLDER_BACKENDS
from oncall_cli.scheduling.model import RoundSettings
from oncall_cli.scheduling.rules import group_of

from .conftest import World, explain, ny

pytestmark = pytest.mark.backends(*ALL_BACKENDS)

WINDOW = (ny(2027, 12, 22, 11), ny(2028, 1, 3, 11))


def seats_at_every_moment(world: World, lo: datetime, hi: datetime) -> list[str]:
    """Moments in [lo, hi) where a seat is not held by exactly one rotation, from Opsgenie's timeline."""
    shifts = world.timeline(lo, hi)
    edges = sorted(
        {lo, hi, *(s.start for s in shifts), *(s.end for s in shifts)}, key=lambda t: t.astimezone(UTC)
    )
    problems = []
    for t in edges[:-1]:
        for seat in ("A", "B"):
            holding = [
                s.rotation
                for s in shifts
                if group_of(s.rotation, RoundSettings()) == seat and s.start <= t < s.end
            ]
            if len(holding) != 1:
                problems.append(f"{t.isoformat()} {seat}: {holding}")
    return problems


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_holiday_plan_pauses_the_rotations_and_leaves_no_gap_or_double_cover(world: World) -> None:
    a = [e.email for e in world.veterans[:4]]
    b = [e.email for e in world.veterans[4:8]]
    world.build(a, b)
    before = world.timeline(ny(2027, 11, 1), WINDOW[0])
    dry = world.json("holiday", "plan")
    assert dry["dry_run"] is True and dry["year"] == 2027 and world.writes() == 0
    assert dry["window"] == {"start": "2027-12-22T11:00:00-05:00", "end": "2028-01-03T11:00:00-05:00"}
    assert dry["check"] == {"coverage": [], "open_holiday_shifts": 12}

    data = world.json("holiday", "plan", "--apply")
    assert [x["kind"] for x in data["actions"]] == ["create"] * 5 + ["end", "end"]
    rotations = world.rotations()
    holiday_a = rotations["Holiday-a"]
    assert (holiday_a.type, holiday_a.length, holiday_a.participants) == ("daily", 2, (None,) * 6)
    assert (holiday_a.start, holiday_a.end) == WINDOW
    assert rotations["rot-a"].end == WINDOW[0] and rotations["rot-b"].end == WINDOW[0]
    assert rotations["rot-a-2028"].start == ny(2028, 1, 3, 11)
    assert rotations["rot-a-2028"].participants == (a[3], a[0], a[1], a[2])  # a3 had Dec 20 (cut short)
    assert rotations["rot-b-2028-bridge"].end == ny(2028, 1, 5, 11)
    assert rotations["rot-b-2028"].start == ny(2028, 1, 5, 11)
    # Nobody's shifts before the window moved.
    assert [(s.rotation, s.user, s.start) for s in world.timeline(ny(2027, 11, 1), WINDOW[0])] == [
        (s.rotation, s.user, s.start) for s in before
    ]
    # Exactly the two holiday rotations carry the on-call in the window; each seat exactly once throughout.
    inside = world.timeline(*WINDOW)
    assert {s.rotation for s in inside} == {"Holiday-a", "Holiday-b"}
    assert seats_at_every_moment(world, ny(2027, 12, 8, 11), ny(2028, 1, 26, 11)) == []
    # `schedule check` over a year finds no gap and no double coverage (R1); the open holiday shifts are R10.
    check = world("schedule", "check", "--weeks", "52", "--json")
    assert check.exit_code == 9, explain(check)
    rules = {v["rule"] for v in json.loads(check.stdout)["violations"]}
    assert "R1" not in rules and "R10" in rules

    world.emulator.calls.clear()
    again = world.json("holiday", "plan", "--apply")
    assert again["actions"] == [] and set(again["existing"]) == {"Holiday-a", "Holiday-b"}
    assert world.writes() == 0


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_holiday_volunteer_takes_an_open_shift_and_show_lists_who(world: World) -> None:
    world.build([e.email for e in world.veterans[:4]], [e.email for e in world.veterans[4:8]])
    world.json("holiday", "plan", "--apply")
    taken = world.json("holiday", "volunteer", "2027-12-24", "--me")
    assert taken["created"] is True
    assert taken["override"]["rotations"] == ["Holiday-a"]
    assert taken["override"]["start"] == "2027-12-24T11:00:00-05:00"
    other = world.veterans[2].email
    second = world.json("holiday", "volunteer", "2027-12-24", "--user", other)
    assert second["override"]["rotations"] == ["Holiday-b"]  # Holiday-a's is taken: the open one
    shown = world.json("holiday", "show")
    assert shown["open"] == 10 and shown["volunteers"] == dict(sorted({world.me: 1, other: 1}.items()))
    assert shown["shifts"][2] == {
        "index": 3,
        "rotation": "Holiday-a",
        "user": world.me,
        "start": "2027-12-24T11:00:00-05:00",
        "end": "2027-12-26T11:00:00-05:00",
        "open": False,
    }
    world.emulator.calls.clear()
    again = world.json("holiday", "volunteer", "3", "--me")
    assert again["already_exists"] is True and world.writes() == 0
    clash = world("holiday", "volunteer", "3", "--user", other)
    assert clash.exit_code == 2 and "already taken" in clash.stderr
    both = world("holiday", "volunteer", "6", "--user", other)  # Holiday-b Dec 26: fine
    assert both.exit_code == 0, explain(both)
    seats = world("holiday", "volunteer", "5", "--user", other)  # Holiday-a Dec 26: both seats
    assert seats.exit_code == 2 and "both seats" in seats.stderr


def test_holiday_show_without_holiday_rotations_says_how_to_create_them(world: World) -> None:
    world.build([e.email for e in world.veterans[:4]], [e.email for e in world.veterans[4:8]])
    result = world("holiday", "show")
    assert result.exit_code == 5 and "holiday plan --apply" in result.stderr
