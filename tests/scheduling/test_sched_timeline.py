"""Timeline: hand-worked examples of how Opsgenie lays out shifts, plus a property check against a naive
week-by-week reference implementation."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_cli.errors import UsageError
from oncall_cli.scheduling.model import Override, Rotation, Shift
from oncall_cli.scheduling.timeline import next_shift_of, on_call_at, rotation_shifts, timeline

NY = "America/New_York"
Z = ZoneInfo(NY)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=Z)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def length(shift: Shift) -> timedelta:
    # Subtract in UTC: two datetimes sharing one ZoneInfo subtract by wall clock.
    return shift.end.astimezone(UTC) - shift.start.astimezone(UTC)


def summary(shifts: list[Shift]) -> list[tuple[str | None, str, str]]:
    return [(s.user, s.start.isoformat(), s.end.isoformat()) for s in shifts]


def test_R1_weekly_handoff_stays_at_11_local_across_spring_dst() -> None:
    # DST starts in New York on Sunday 2027-03-14: the 03-08 shift is one hour shorter (167 h).
    rot = Rotation("rot-a", ny(2027, 3, 1, 11), ("a", "b", "c"))
    shifts = rotation_shifts(rot, ny(2027, 3, 1), ny(2027, 3, 29), NY)
    assert summary(shifts) == [
        ("a", "2027-03-01T11:00:00-05:00", "2027-03-08T11:00:00-05:00"),
        ("b", "2027-03-08T11:00:00-05:00", "2027-03-15T11:00:00-04:00"),
        ("c", "2027-03-15T11:00:00-04:00", "2027-03-22T11:00:00-04:00"),
        ("a", "2027-03-22T11:00:00-04:00", "2027-03-29T00:00:00-04:00"),
    ]
    assert length(shifts[1]) == timedelta(hours=167)
    assert [s.index for s in shifts] == [0, 1, 2, 3]
    assert shifts[1].end.astimezone(UTC) == utc(2027, 3, 15, 15)


def test_R1_weekly_handoff_stays_at_11_local_across_autumn_dst() -> None:
    rot = Rotation("rot-b", ny(2027, 11, 3, 11), ("a", "b"))
    shifts = rotation_shifts(rot, ny(2027, 11, 3, 11), ny(2027, 11, 17, 11), NY)
    assert summary(shifts) == [
        ("a", "2027-11-03T11:00:00-04:00", "2027-11-10T11:00:00-05:00"),
        ("b", "2027-11-10T11:00:00-05:00", "2027-11-17T11:00:00-05:00"),
    ]
    assert length(shifts[0]) == timedelta(hours=169)


def test_daily_rotation_keeps_local_time_and_hourly_rotation_counts_absolute_hours() -> None:
    daily = Rotation("d", ny(2027, 3, 13, 9), ("a", "b"), type="daily")
    assert summary(rotation_shifts(daily, ny(2027, 3, 13), ny(2027, 3, 15), NY)) == [
        ("a", "2027-03-13T09:00:00-05:00", "2027-03-14T09:00:00-04:00"),
        ("b", "2027-03-14T09:00:00-04:00", "2027-03-15T00:00:00-04:00"),
    ]
    hourly = Rotation("h", ny(2027, 3, 14, 0), ("a", "b"), type="hourly", length=1)
    shifts = rotation_shifts(hourly, ny(2027, 3, 14, 0), utc(2027, 3, 14, 8), NY)
    # 02:00 local does not exist: the hour after 01:00 EST is 03:00 EDT.
    assert summary(shifts)[1:3] == [
        ("b", "2027-03-14T01:00:00-05:00", "2027-03-14T03:00:00-04:00"),
        ("a", "2027-03-14T03:00:00-04:00", "2027-03-14T04:00:00-04:00"),
    ]
    assert all(length(s) == timedelta(hours=1) for s in shifts[:-1])


def test_multi_week_shift_length() -> None:
    rot = Rotation("r", ny(2027, 1, 4, 11), ("a", "b"), length=2)
    assert summary(rotation_shifts(rot, ny(2027, 1, 4, 11), ny(2027, 2, 1, 11), NY)) == [
        ("a", "2027-01-04T11:00:00-05:00", "2027-01-18T11:00:00-05:00"),
        ("b", "2027-01-18T11:00:00-05:00", "2027-02-01T11:00:00-05:00"),
    ]


def test_R10_none_placeholder_is_kept_as_a_shift_without_user() -> None:
    rot = Rotation("rot-a", ny(2027, 1, 4, 11), ("a", None))
    shifts = rotation_shifts(rot, ny(2027, 1, 4, 11), ny(2027, 1, 25, 11), NY)
    assert [s.user for s in shifts] == ["a", None, "a"]


def test_rotation_end_and_start_clip_shifts() -> None:
    rot = Rotation("r", ny(2027, 1, 4, 11), ("a", "b", "c"), end=ny(2027, 1, 14, 0))
    shifts = rotation_shifts(rot, ny(2027, 1, 1), ny(2027, 2, 1), NY)
    assert summary(shifts) == [
        ("a", "2027-01-04T11:00:00-05:00", "2027-01-11T11:00:00-05:00"),
        ("b", "2027-01-11T11:00:00-05:00", "2027-01-14T00:00:00-05:00"),
    ]
    assert rotation_shifts(rot, ny(2027, 1, 20), ny(2027, 2, 1), NY) == []


def test_override_spanning_two_shifts_covers_both_partially() -> None:
    rot = Rotation("rot-a", ny(2027, 3, 1, 11), ("a", "b", "c"))
    ov = Override("x", ny(2027, 3, 12, 9), ny(2027, 3, 17, 9))
    shifts = timeline([rot], [ov], ny(2027, 3, 8, 11), ny(2027, 3, 22, 11), NY)
    assert [(s.user, s.start.isoformat(), s.end.isoformat(), s.index, s.override) for s in shifts] == [
        ("b", "2027-03-08T11:00:00-05:00", "2027-03-12T09:00:00-05:00", 1, False),
        ("x", "2027-03-12T09:00:00-05:00", "2027-03-15T11:00:00-04:00", 1, True),
        ("x", "2027-03-15T11:00:00-04:00", "2027-03-17T09:00:00-04:00", 2, True),
        ("c", "2027-03-17T09:00:00-04:00", "2027-03-22T11:00:00-04:00", 2, False),
    ]


def test_override_applies_only_to_the_rotations_it_names() -> None:
    a = Rotation("rot-a", ny(2027, 1, 4, 11), ("a1", "a2"))
    b = Rotation("rot-b", ny(2027, 1, 6, 11), ("b1", "b2"))
    ov = Override("x", ny(2027, 1, 7), ny(2027, 1, 8), rotations=("rot-b",))
    at = ny(2027, 1, 7, 12)
    on = on_call_at([a, b], [ov], at, NY)
    assert [(s.rotation, s.user) for s in on] == [("rot-a", "a1"), ("rot-b", "x")]
    everywhere = Override("y", ny(2027, 1, 7), ny(2027, 1, 8))
    assert [s.user for s in on_call_at([a, b], [everywhere], at, NY)] == ["y", "y"]


def test_later_override_wins_where_overrides_overlap() -> None:
    rot = Rotation("r", ny(2027, 1, 4, 11), ("a",))
    first = Override("x", ny(2027, 1, 5), ny(2027, 1, 7))
    second = Override("y", ny(2027, 1, 6), ny(2027, 1, 8))
    shifts = timeline([rot], [first, second], ny(2027, 1, 5), ny(2027, 1, 9), NY)
    assert [(s.user, s.start.day, s.end.day) for s in shifts] == [("x", 5, 6), ("y", 6, 8), ("a", 8, 9)]


def test_several_rotations_are_independent_layers_sorted_by_start_then_rotation() -> None:
    a = Rotation("rot-a", ny(2027, 1, 4, 11), ("a1", "a2"))
    b = Rotation("rot-b", ny(2027, 1, 6, 11), ("b1", "b2"))
    shifts = timeline([b, a], [], ny(2027, 1, 4, 11), ny(2027, 1, 18, 11), NY)
    assert [(s.rotation, s.user, s.start.day) for s in shifts] == [
        ("rot-a", "a1", 4), ("rot-b", "b1", 6), ("rot-a", "a2", 11), ("rot-b", "b2", 13)]
    assert all(s.start.tzinfo == Z for s in shifts)


def test_on_call_at_returns_whole_shifts_and_placeholders() -> None:
    a = Rotation("rot-a", ny(2027, 1, 4, 11), ("a1", None))
    on = on_call_at([a], [], ny(2027, 1, 12, 0), NY)
    assert summary(on) == [(None, "2027-01-11T11:00:00-05:00", "2027-01-18T11:00:00-05:00")]


def test_next_shift_of_skips_the_current_shift_and_sees_overrides() -> None:
    rot = Rotation("rot-a", ny(2027, 1, 4, 11), ("a", "b", "c"))
    nxt = next_shift_of("a", [rot], [], ny(2027, 1, 5), NY)
    assert nxt is not None and nxt.start == ny(2027, 1, 25, 11) and nxt.index == 3
    ov = Override("a", ny(2027, 1, 13), ny(2027, 1, 14))
    nxt = next_shift_of("a", [rot], [ov], ny(2027, 1, 5), NY)
    assert nxt is not None and nxt.override and nxt.start == ny(2027, 1, 13)
    assert next_shift_of("zed", [rot], [], ny(2027, 1, 5), NY) is None
    assert next_shift_of("c", [rot], [], ny(2027, 1, 5), NY, horizon_weeks=1) is None


def test_old_rotation_jumps_to_the_window_without_iterating_from_its_start() -> None:
    rot = Rotation("r", datetime(1990, 1, 1, 11, tzinfo=Z), ("a", "b", "c"))
    began = clock.perf_counter()
    shifts = rotation_shifts(rot, ny(2027, 6, 1), ny(2027, 6, 30), NY)
    assert clock.perf_counter() - began < 0.05
    weeks = (datetime(2027, 5, 31) - datetime(1990, 1, 1)).days // 7
    assert shifts[0].index == weeks
    assert shifts[1].start == ny(2027, 6, 7, 11)  # 1990-01-01 was a Monday; still Monday 11:00
    assert shifts[1].user == ("a", "b", "c")[shifts[1].index % 3]


def test_bad_input_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="time zone"):
        timeline([], [], ny(2027, 1, 1), ny(2027, 1, 2), "Mars/Olympus")
    with pytest.raises(UsageError, match="time zone"):
        rotation_shifts(Rotation("r", datetime(2027, 1, 4), ("a",)), ny(2027, 1, 1), ny(2027, 1, 9), NY)
    with pytest.raises(UsageError, match="type"):
        rotation_shifts(Rotation("r", ny(2027, 1, 4), ("a",), type="monthly"), ny(2027, 1, 1),
                        ny(2027, 1, 9), NY)


def _reference(rotation: Rotation, ws: datetime, we: datetime) -> list[tuple[str | None, datetime, datetime]]:
    """Naive: walk every shift from the rotation start, wall-clock arithmetic by hand."""
    out = []
    local = rotation.start.astimezone(Z).replace(tzinfo=None)
    step = {"weekly": timedelta(weeks=1), "daily": timedelta(days=1)}[rotation.type] * rotation.length
    k = 0
    while True:
        begin = (local + step * k).replace(tzinfo=Z).astimezone(UTC)
        end = (local + step * (k + 1)).replace(tzinfo=Z).astimezone(UTC)
        if begin >= we.astimezone(UTC):
            return out
        s, e = max(begin, ws.astimezone(UTC)), min(end, we.astimezone(UTC))
        if s < e:
            out.append((rotation.participants[k % len(rotation.participants)], s, e))
        k += 1


@settings(max_examples=60, deadline=None, database=None)
@given(
    start_days=st.integers(0, 2000),
    hour=st.integers(0, 23),
    kind=st.sampled_from(["weekly", "daily"]),
    length=st.integers(1, 3),
    n=st.integers(1, 5),
    offset_days=st.integers(0, 1500),
    span_days=st.integers(1, 60),
)
def test_rotation_shifts_match_a_naive_walk(start_days: int, hour: int, kind: str, length: int, n: int,
                                            offset_days: int, span_days: int) -> None:
    start = (datetime(2024, 1, 1, hour) + timedelta(days=start_days)).replace(tzinfo=Z)
    participants = tuple(f"u{i}" if i % 3 else None for i in range(n))
    rot = Rotation("r", start, participants, type=kind, length=length)
    ws = start + timedelta(days=offset_days - 300, hours=5)
    we = ws + timedelta(days=span_days)
    got = [(s.user, s.start.astimezone(UTC), s.end.astimezone(UTC))
           for s in rotation_shifts(rot, ws, we, NY)]
    assert got == _reference(rot, ws, we)
