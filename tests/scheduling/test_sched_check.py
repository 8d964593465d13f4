"""schedule check: a live schedule linted against the rules, one violation kind at a time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from oncall_cli.scheduling.check import check_schedule
from oncall_cli.scheduling.model import Engineer, Override, Rotation, RoundSettings, Violation

NY = "America/New_York"
Z = ZoneInfo(NY)
S = RoundSettings()
NOW = datetime(2027, 2, 1, 11, tzinfo=Z)
WEEKS = timedelta(weeks=4)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=Z)  # type: ignore[misc]


def eng(email: str, tz: str = NY, start: date = date(2024, 1, 1), **kw: object) -> Engineer:
    return Engineer(email, email, tz, start, **kw)  # type: ignore[arg-type]


A = Rotation("rot-a", ny(2027, 1, 4, 11), ("a1", "a2", "a3"))
B = Rotation("rot-b", ny(2027, 1, 6, 11), ("b1", "b2", "b3"))
PEOPLE = [eng("a1"), eng("a2"), eng("a3"), *(eng(f"b{i}", "Europe/London") for i in (1, 2, 3))]


def rules_of(violations: list[Violation]) -> list[str]:
    return [v.rule for v in violations]


def test_a_healthy_schedule_has_no_violations() -> None:
    assert check_schedule([A, B], [], PEOPLE, S, NOW, WEEKS) == []
    assert check_schedule([A, B], [], None, S, NOW, WEEKS) == []


def test_R1_a_gap_in_a_seat_is_reported() -> None:
    ended = Rotation("rot-b", B.start, B.participants, end=ny(2027, 2, 10, 11))
    (v,) = check_schedule([A, ended], [], None, S, NOW, WEEKS)
    assert v.rule == "R1" and "no B rotation covers" in v.message
    assert (v.start, v.end) == (ny(2027, 2, 10, 11), NOW + WEEKS)


def test_R1_a_missing_seat_is_one_long_gap() -> None:
    (v,) = check_schedule([A], [], None, S, NOW, WEEKS)
    assert v.rule == "R1" and "no B rotation" in v.message


def test_R1_two_engineers_in_one_seat_is_an_overlap() -> None:
    holiday = Rotation("Holiday-a", ny(2027, 2, 8, 11), ("h1",), end=ny(2027, 2, 9, 11))
    violations = check_schedule([A, B, holiday], [], None, S, NOW, WEEKS)
    (v,) = violations
    assert v.rule == "R1" and "2 A engineers" in v.message and set(v.subjects) == {"a3", "h1"}


def test_R1_an_override_keeps_the_seat_covered() -> None:
    ov = Override("x", ny(2027, 2, 2), ny(2027, 2, 4), rotations=("rot-a",))
    assert check_schedule([A, B], [ov], None, S, NOW, WEEKS) == []


def test_R10_none_placeholders_are_reported_as_uncovered() -> None:
    holey = Rotation("rot-a", A.start, ("a1", None, "a3"))
    violations = check_schedule([holey, B], [], None, S, NOW, WEEKS)
    assert rules_of(violations) == ["R10", "R10"]
    assert "nobody is on call" in violations[0].message
    assert violations[0].start == ny(2027, 2, 1, 11)


def test_R3_rotations_differing_by_more_than_one_are_unbalanced() -> None:
    big = Rotation("rot-b", B.start, ("b1", "b2", "b3", "b4", "b5"))
    violations = check_schedule([A, big], [], None, S, NOW, WEEKS)
    assert rules_of(violations) == ["R3"] and "rot-a has 3, rot-b has 5" in violations[0].message


def test_R3_eastern_engineers_outside_A_while_A_holds_others() -> None:
    people = [eng("a1"), eng("a2", "America/Chicago"), eng("a3"), eng("b1", "America/Detroit"),
              eng("b2", "Europe/London"), eng("b3", "Europe/London")]
    (v,) = check_schedule([A, B], [], people, S, NOW, WEEKS)
    assert v.rule == "R3" and set(v.subjects) == {"a2", "b1"}


def test_R6_shift_within_60_days_of_start_date() -> None:
    people = [*PEOPLE[:1], eng("a2", start=date(2027, 1, 1)), *PEOPLE[2:]]
    violations = [v for v in check_schedule([A, B], [], people, S, NOW, WEEKS) if v.rule == "R6"]
    # a2 holds Feb 1-8 (31 days in) and Feb 22-Mar 1 (52 days in): both too early.
    assert [v.subjects for v in violations] == [("a2",), ("a2",)]
    assert "a2 is on call in rot-a from 2027-02-01T11:00-05:00, 31 days after" in violations[0].message


def test_R7_two_new_engineers_overlapping_across_seats() -> None:
    people = [eng("a1"), eng("a2", start=date(2026, 12, 1)), eng("a3"), eng("b1", "Europe/London"),
              eng("b2", "Europe/London", new=True), eng("b3", "Europe/London")]
    violations = [v for v in check_schedule([A, B], [], people, S, NOW, WEEKS) if v.rule == "R7"]
    # a2 holds Feb 1-8 and Feb 22-Mar 1 (rot-a), b2 holds Feb 3-10 and Feb 24-Mar 3 (rot-b).
    assert [(v.subjects, v.start, v.end) for v in violations] == [
        (("a2", "b2"), ny(2027, 2, 3, 11), ny(2027, 2, 8, 11)),
        (("a2", "b2"), ny(2027, 2, 24, 11), ny(2027, 3, 1, 11))]


def test_R9_shift_during_unavailability() -> None:
    people = [eng("a1"), eng("a2", unavailable=((date(2027, 2, 5), date(2027, 2, 6)),)), *PEOPLE[2:]]
    violations = [v for v in check_schedule([A, B], [], people, S, NOW, WEEKS) if v.rule == "R9"]
    assert [v.subjects for v in violations] == [("a2",)]


def test_violations_are_sorted_by_time_then_rule() -> None:
    holey = Rotation("rot-a", A.start, ("a1", None, "a3"))
    big = Rotation("rot-b", B.start, ("b1", "b2", "b3", "b4", "b5"))
    violations = check_schedule([holey, big], [], None, S, NOW, WEEKS)
    keys = [(v.start, v.rule) for v in violations]
    assert keys == sorted(keys, key=lambda k: (k[0] or NOW, k[1]))
    assert rules_of(violations)[0] == "R10" and "R3" in rules_of(violations)
