"""Issue 12, item 14: `oncall schedule stats` through the CLI on the sandbox, on both backends. Hours count
for whoever really held them (an override), incidents for whoever was on call when each was created."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from conftest import ALL_BACKENDS, FACTS_BACKENDS, PAST_BACKENDS
from oncall_cli.scheduling.model import Override
from oncall_cli.scheduling.stats import business_hours

from .conftest import NOW, World, explain, ny

pytestmark = pytest.mark.backends(*ALL_BACKENDS)


def _raise_at(world: World, at: datetime, message: str) -> None:
    """An incident created at `at` through the tracker port (the emulator's clock moved there and back)."""
    clock: Callable[[], datetime] = world.emulator._now  # the fixture's fixed clock
    world.emulator._now = lambda: at
    try:
        tracker = world.context().incidents
        service, _ = tracker.check_service(None)
        tracker.open(message=message, description=None, priority="P3", service=service, responders=[],
                     links={})
    finally:
        world.emulator._now = clock


@pytest.mark.backends(*FACTS_BACKENDS)
def test_stats_count_an_override_for_the_engineer_who_held_it_and_incidents_for_those_on_call(
    world: World,
) -> None:
    a = [e.email for e in world.veterans[:4]]
    b = [e.email for e in world.veterans[4:8]]
    cover = world.veterans[8]
    world.build(a, b)
    # cover takes a[0]'s first shift from Tue Jan 5 11:00 to Wed Jan 6 11:00 (before rot-b's first shift).
    world.backend().create_override(Override(cover.email, ny(2027, 1, 5, 11), ny(2027, 1, 6, 11), ("rot-a",)))
    _raise_at(world, ny(2027, 1, 5, 15), "while cover held rot-a")
    _raise_at(world, ny(2027, 1, 12, 3), "a[1] and b[0] on call")
    _raise_at(world, ny(2026, 12, 1, 3), "before the window")
    data = world.json("schedule", "stats", "--since", "2027-01-04")
    assert data["from"] == "2027-01-04T00:00:00-05:00"
    assert datetime.fromisoformat(data["to"]) == NOW
    by = {e["user"]: e for e in data["engineers"]}
    # rot-a: a[0] Jan 4-11 less the 24 h override, and Feb 1 11:00 to now (Feb 3 12:00: 49 h).
    assert by[a[0]]["hours"] == 144 + 49 and by[a[0]]["shifts"] == 2
    assert by[cover.email]["hours"] == 24 and by[cover.email]["shifts"] == 1
    assert by[cover.email]["after_hours"] == pytest.approx(
        24 - business_hours(ny(2027, 1, 5, 11), ny(2027, 1, 6, 11), cover.timezone), abs=0.01)
    assert by[a[1]]["hours"] == 168 and by[b[0]]["hours"] == 168 + 1  # and Feb 3 11:00-12:00
    assert by[a[0]]["weeks"] == round(193 / 168, 2)
    # Incidents: the one at Jan 5 15:00 is the cover's (rot-b had not started); Jan 12 is a[1]'s and b[0]'s.
    assert (by[cover.email]["incidents"], by[a[0]]["incidents"]) == (1, 0)
    assert (by[a[1]]["incidents"], by[b[0]]["incidents"]) == (1, 1)
    assert data["incidents"] == {"total": 2, "unattended": 0}
    # Sorted by hours, most first; the whole team listed, so the spread shows who carried nothing.
    hours = [e["hours"] for e in data["engineers"]]
    assert hours == sorted(hours, reverse=True) and data["engineers"][0]["user"] == a[0]
    weeks = round(193 / 168, 2)
    assert data["spread"] == {"hours": {"max": 193, "min": 0}, "weeks": {"max": weeks, "min": 0}}
    assert by[world.hires[0].email]["hours"] == 0
    assert all(e["holiday_shifts"] == 0 for e in data["engineers"])


@pytest.mark.backends(*PAST_BACKENDS)  # the holiday rotation is written in the past
def test_stats_count_holiday_shifts(world: World) -> None:
    a = [e.email for e in world.veterans[:4]]
    b = [e.email for e in world.veterans[4:8]]
    world.build(a, b)
    store = world.backend()
    from oncall_cli.scheduling.model import Rotation

    # A holiday rotation (2-day shifts) held in January by a[2] and b[3], as `holiday plan` leaves them.
    store.create_rotation(Rotation("Holiday-a", ny(2027, 1, 20, 11), (a[2], b[3]), type="daily", length=2,
                                   end=ny(2027, 1, 24, 11)))
    data = world.json("schedule", "stats", "--since", "2027-01-04")
    by = {e["user"]: e for e in data["engineers"]}
    assert (by[a[2]]["holiday_shifts"], by[b[3]]["holiday_shifts"]) == (1, 1)
    assert by[b[3]]["hours"] == 168 + 48


def test_stats_default_window_is_the_last_26_weeks_and_a_future_since_is_refused(world: World) -> None:
    data = world.json("schedule", "stats")
    start = datetime.fromisoformat(data["from"])
    assert (NOW - start).days == 26 * 7
    result = world("schedule", "stats", "--since", "2027-03-01")
    assert result.exit_code == 2, explain(result)
    assert "--since 2027-03-01 is not in the past" in result.stderr
    # The hint's example is 26 weeks before now, whatever the date (it said 2027-01-01 on every day).
    assert "e.g. --since 2026-08-05 (26 weeks ago)" in result.stderr, result.stderr
    bad = world("schedule", "stats", "--since", "March")
    assert bad.exit_code == 2 and "--since" in bad.stderr, explain(bad)


def test_stats_table_names_the_spread(world: World) -> None:
    result = world("schedule", "stats", "--since", "2027-01-04")
    assert result.exit_code == 0, explain(result)
    assert "spread: hours" in result.stdout and "after-hours" in result.stdout


@pytest.mark.backends(*PAST_BACKENDS)
def test_stats_since_more_than_a_year_ago_count_every_shift_once(world: World) -> None:
    # JSM serves its timeline at most a year back (before: exit 6, a raw HTTP 422); the older part is
    # computed from the schedule and joined, so a shift crossing the cut is still one shift.
    a = [e.email for e in world.veterans[:2]]
    world.build(a, [world.veterans[2].email], a_start=ny(2025, 11, 3, 11))
    data = world.json("schedule", "stats", "--since", "2025-11-03")
    assert data["from"] == "2025-11-03T00:00:00-05:00"
    by = {e["user"]: e for e in data["engineers"]}
    # Weekly shifts from Mon Nov 3 2025 11:00 New York to now (Wed Feb 3 2027 12:00): 65 weeks and a
    # part-week, 66 shifts; a[0] holds the odd ones (33), a[1] the even ones (33).
    assert (by[a[0]]["shifts"], by[a[1]]["shifts"]) == (33, 33)
    total = (NOW - ny(2025, 11, 3, 11)).total_seconds() / 3600
    assert by[a[0]]["hours"] + by[a[1]]["hours"] == pytest.approx(total, abs=0.02)
