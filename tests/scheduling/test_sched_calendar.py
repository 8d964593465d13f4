"""Calendar export: the .ics parses back with icalendar, UIDs are stable, the CSV is plain."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import icalendar

from oncall_cli.scheduling.calendar import shift_uid, shifts_to_csv, shifts_to_ics
from oncall_cli.scheduling.model import Engineer, Shift
from oncall_cli.scheduling.planner import plan_round

NY = "America/New_York"
Z = ZoneInfo(NY)
SHIFTS = [
    Shift("rot-a", "ada@x", datetime(2027, 3, 8, 11, tzinfo=Z), datetime(2027, 3, 15, 11, tzinfo=Z), 1),
    Shift("rot-b", None, datetime(2027, 3, 10, 11, tzinfo=Z), datetime(2027, 3, 17, 11, tzinfo=Z), 0),
]


def test_ics_parses_back_with_zone_aware_times_across_dst() -> None:
    data = shifts_to_ics(SHIFTS, calendar_name="On call", tz=NY)
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["X-WR-CALNAME"]) == "On call"
    events = list(cal.walk("VEVENT"))
    assert len(events) == 2
    first = events[0]
    start, end = first.decoded("DTSTART"), first.decoded("DTEND")
    assert start.astimezone(UTC) == datetime(2027, 3, 8, 16, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2027, 3, 15, 15, tzinfo=UTC)  # 11:00 EDT after the change
    assert b"DTSTART;TZID=America/New_York:20270308T110000" in data
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == [NY]
    assert "ada@x" in str(first["SUMMARY"]) and "nobody" in str(events[1]["SUMMARY"])


def test_ics_is_byte_for_byte_stable_and_uids_follow_rotation_start_and_user() -> None:
    once = shifts_to_ics(SHIFTS, calendar_name="x", tz=NY)
    assert once == shifts_to_ics(SHIFTS[::-1], calendar_name="x", tz=NY)
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(shifts_to_ics(SHIFTS, calendar_name="x",
                                                                              tz=NY)).walk("VEVENT")]
    assert uids == [shift_uid(s) for s in SHIFTS] and len(set(uids)) == 2
    moved = Shift("rot-a", "bob@x", SHIFTS[0].start, SHIFTS[0].end)
    assert shift_uid(moved) != shift_uid(SHIFTS[0])
    same_instant = Shift("rot-a", "ada@x", SHIFTS[0].start.astimezone(UTC), SHIFTS[0].end)
    assert shift_uid(same_instant) == shift_uid(SHIFTS[0])


def test_ics_of_a_whole_plan() -> None:
    people = [Engineer(f"e{i}@x", f"E{i}", NY, date(2024, 1, 1)) for i in range(6)]
    plan = plan_round(people, today=date(2027, 1, 28), rng=random.Random(4))
    cal = icalendar.Calendar.from_ical(shifts_to_ics(plan.shifts, calendar_name="rota", tz=NY))
    assert len(list(cal.walk("VEVENT"))) == 6


def test_empty_calendar_is_still_valid() -> None:
    cal = icalendar.Calendar.from_ical(shifts_to_ics([], calendar_name="x", tz=NY))
    assert list(cal.walk("VEVENT")) == []


def test_csv_columns_and_iso_times() -> None:
    text = shifts_to_csv(SHIFTS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == "rotation,user,start,end"
    assert rows[0] == {"rotation": "rot-a", "user": "ada@x", "start": "2027-03-08T11:00:00-05:00",
                       "end": "2027-03-15T11:00:00-04:00"}
    assert rows[1]["user"] == ""
