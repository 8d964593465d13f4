"""`scheduling.stats.load_stats` (issue 12, item 14): plain shifts in, per-engineer load out, hand-worked."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from oncall_cli.scheduling.model import Override, Rotation
from oncall_cli.scheduling.stats import business_hours, load_stats
from oncall_cli.scheduling.timeline import timeline

NY = ZoneInfo("America/New_York")
NYC = "America/New_York"
LONDON = "Europe/London"
MON = datetime(2027, 2, 1, 11, tzinfo=NY)
"""Monday 2027-02-01 11:00 EST."""


def _ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)  # type: ignore[misc]


def test_a_week_from_monday_11_has_45_business_hours_in_new_york() -> None:
    # Mon 11-18 (7) + Tue..Fri 9-18 (4 x 9) + next Mon 9-11 (2) = 45.
    assert business_hours(MON, MON + timedelta(weeks=1), NYC) == pytest.approx(45)


def test_business_hours_are_the_engineers_own_local_hours() -> None:
    # Mon 11:00 EST is 16:00 in London: Mon 16-18 (2) + Tue..Fri (36) + next Mon 9-16 (7) = 45 as well,
    # but a Saturday is never business, and a Monday 06:00-08:00 EST (11-13 London) is.
    assert business_hours(_ny(2027, 2, 8, 6), _ny(2027, 2, 8, 8), LONDON) == pytest.approx(2)
    assert business_hours(_ny(2027, 2, 8, 6), _ny(2027, 2, 8, 8), NYC) == pytest.approx(0)
    assert business_hours(_ny(2027, 2, 6, 0), _ny(2027, 2, 7, 23), NYC) == 0


def test_a_week_across_the_dst_change_lasts_167_hours() -> None:
    rotation = Rotation("rot-a", _ny(2027, 3, 8, 11), ("ada@x",))
    shifts = timeline([rotation], [], _ny(2027, 3, 8, 11), _ny(2027, 3, 15, 11), NYC)
    result = load_stats(shifts, _ny(2027, 3, 1, 0), _ny(2027, 4, 1, 0), zones={"ada@x": NYC},
                        default_zone=NYC)
    ada = result.engineers[0]
    assert ada.hours == pytest.approx(167)
    assert ada.after_hours == pytest.approx(167 - 45)
    assert ada.shifts == 1


def test_an_override_counts_for_whoever_really_held_it() -> None:
    rotation = Rotation("rot-a", MON, ("ada@x",))
    override = Override("bob@x", _ny(2027, 2, 3, 11), _ny(2027, 2, 4, 11), ("rot-a",))
    shifts = timeline([rotation], [override], MON, MON + timedelta(weeks=1), NYC)
    result = load_stats(shifts, MON, MON + timedelta(weeks=1), zones={}, default_zone=NYC)
    by = {e.user: e for e in result.engineers}
    assert by["ada@x"].hours == pytest.approx(144)
    assert by["ada@x"].shifts == 1  # two pieces of one shift
    assert by["bob@x"].hours == pytest.approx(24)
    assert by["bob@x"].after_hours == pytest.approx(24 - 9)  # Wed 11-18 + Thu 9-11
    assert by["bob@x"].shifts == 1
    assert [e.user for e in result.engineers] == ["ada@x", "bob@x"]  # by hours, most first


def test_incidents_count_for_everyone_on_call_when_they_were_created() -> None:
    a = Rotation("rot-a", MON, ("ada@x",), end=MON + timedelta(weeks=1))
    b = Rotation("rot-b", MON + timedelta(days=2), ("bob@x",), end=MON + timedelta(weeks=1))
    shifts = timeline([a, b], [], MON, MON + timedelta(weeks=2), NYC)
    incidents = [
        _ny(2027, 2, 2, 3),  # Tue: only ada
        _ny(2027, 2, 4, 3),  # Thu: ada and bob
        _ny(2027, 2, 9, 3),  # after both rotations ended: nobody
        _ny(2026, 1, 1, 0),  # before the window: not counted
    ]
    result = load_stats(shifts, MON, MON + timedelta(weeks=2), zones={}, default_zone=NYC,
                        incidents=incidents)
    by = {e.user: e for e in result.engineers}
    assert (by["ada@x"].incidents, by["bob@x"].incidents) == (2, 1)
    assert (result.incidents, result.unattended) == (3, 1)


def test_holiday_shifts_window_clipping_placeholders_and_the_spread() -> None:
    regular = Rotation("rot-a", MON - timedelta(weeks=1), ("ada@x", None, "bob@x"))
    holiday = Rotation("Holiday-a", _ny(2027, 2, 22, 11), ("ada@x",), type="daily", length=2,
                       end=_ny(2027, 2, 26, 11))
    start, end = MON + timedelta(days=3), MON + timedelta(weeks=4)
    shifts = timeline([regular, holiday], [], start, end, NYC)
    result = load_stats(shifts, start, end, zones={}, default_zone=NYC, holiday_rotations=["holiday-A"],
                        people=["ada@x", "bob@x", "cy@x"])
    by = {e.user: e for e in result.engineers}
    # rot-a: Feb 1 no-one (clipped at Feb 4), Feb 8 bob, Feb 15 ada, Feb 22 no-one; Holiday-a: ada Feb 22-26.
    assert by["ada@x"].hours == pytest.approx(168 + 96)
    assert (by["ada@x"].shifts, by["ada@x"].holiday_shifts) == (3, 2)
    assert by["bob@x"].hours == pytest.approx(168)
    assert (by["bob@x"].shifts, by["bob@x"].holiday_shifts) == (1, 0)
    assert by["cy@x"].hours == 0 and by["cy@x"].shifts == 0  # listed: the team, on call or not
    assert [e.user for e in result.engineers] == ["ada@x", "bob@x", "cy@x"]
    assert (result.spread.max_hours, result.spread.min_hours) == (264, 0)
    assert (result.spread.max_weeks, result.spread.min_weeks) == (round(264 / 168, 2), 0)


def test_an_override_across_a_handoff_is_one_shift_for_its_holder_and_each_regular_holder_keeps_one() -> None:
    rotation = Rotation("rot-a", MON, ("ada@x", "bob@x"))
    override = Override("cy@x", _ny(2027, 2, 7, 11), _ny(2027, 2, 9, 11), ("rot-a",))
    shifts = timeline([rotation], [override], MON, MON + timedelta(weeks=2), NYC)
    result = load_stats(shifts, MON, MON + timedelta(weeks=2), zones={}, default_zone=NYC)
    by = {e.user: (e.hours, e.shifts) for e in result.engineers}
    assert by == {"ada@x": (144, 1), "bob@x": (144, 1), "cy@x": (48, 1)}
