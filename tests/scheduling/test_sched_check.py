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
    assert v.rule == "R1" and "2 A shifts run at once" in v.message and set(v.subjects) == {"a3", "h1"}


def test_R1_a_placeholder_shift_next_to_a_running_rotation_is_an_overlap() -> None:
    # rot-a was not ended for the holidays: Holiday-a's open (`none`) shifts run alongside it.
    holiday = Rotation("Holiday-a", ny(2027, 2, 8, 11), (None, None), "daily", 2, ny(2027, 2, 12, 11))
    violations = check_schedule([A, B, holiday], [], None, S, NOW, WEEKS)
    assert rules_of(violations) == ["R1", "R10", "R10"]
    overlap = violations[0]
    assert (overlap.start, overlap.end) == (ny(2027, 2, 8, 11), ny(2027, 2, 12, 11))
    assert overlap.subjects == ("a3",)
    assert "2 A shifts run at once (Holiday-a: no-one, rot-a: a3)" in overlap.message


def test_R1_one_engineer_holding_a_seat_twice_is_an_overlap() -> None:
    # b2 holds rot-b from Feb 3 to Feb 10, and Holiday-b from Feb 4 to Feb 6 as well.
    holiday = Rotation("Holiday-b", ny(2027, 2, 4, 11), ("b2",), "daily", 2, ny(2027, 2, 6, 11))
    (v,) = check_schedule([A, B, holiday], [], None, S, NOW, WEEKS)
    assert v.rule == "R1" and v.subjects == ("b2",)
    assert (v.start, v.end) == (ny(2027, 2, 4, 11), ny(2027, 2, 6, 11))
    assert "2 B shifts run at once (Holiday-b: b2, rot-b: b2)" in v.message


def test_R1_a_holiday_planned_correctly_has_no_gap_and_no_overlap() -> None:
    # The regular rotations end at the window's start and continue at its end; Holiday-a/b are open.
    begin, end = ny(2027, 2, 8, 11), ny(2027, 2, 12, 11)
    rotations = [
        Rotation("rot-a", A.start, A.participants, end=begin),
        Rotation("rot-b", B.start, B.participants, end=begin),
        Rotation("Holiday-a", begin, (None, None), "daily", 2, end),
        Rotation("Holiday-b", begin, (None, None), "daily", 2, end),
        Rotation("rot-a-2027", end, ("a3", "a1", "a2")),
        Rotation("rot-b-2027", end, ("b3", "b1", "b2")),
    ]
    violations = check_schedule(rotations, [], None, S, NOW, WEEKS)
    assert rules_of(violations) == ["R10"] * 4


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


def round_changeover(a_old: int, b_old: int, a_new: int, b_new: int) -> list[Rotation]:
    """`schedule new --apply`: rot-a-next takes over on Monday Mar 1, rot-b-next on Wednesday Mar 3, and the
    old rotations end there."""
    a_next, b_next = ny(2027, 3, 1, 11), ny(2027, 3, 3, 11)
    return [
        Rotation("rot-a", A.start, tuple(f"a{i}" for i in range(a_old)), end=a_next),
        Rotation("rot-b", B.start, tuple(f"b{i}" for i in range(b_old)), end=b_next),
        Rotation("rot-a-next", a_next, tuple(f"a{i}" for i in range(a_new))),
        Rotation("rot-b-next", b_next, tuple(f"b{i}" for i in range(b_new))),
    ]


def test_R3_rotations_of_different_rounds_are_not_compared_during_the_changeover() -> None:
    # From Mar 1 to Mar 3 the new rot-a-next (12) runs next to the old rot-b (9): not one round.
    rotations = round_changeover(9, 9, 12, 11)
    assert check_schedule(rotations, [], None, S, ny(2027, 2, 22, 11), WEEKS) == []


def test_R3_each_round_is_still_checked_on_both_sides_of_the_changeover() -> None:
    violations = check_schedule(round_changeover(9, 12, 12, 9), [], None, S, ny(2027, 2, 22, 11), WEEKS)
    assert [(v.rule, v.message) for v in violations] == [
        ("R3", "rotations differ in size by more than one: rot-a has 9, rot-b has 12"),
        ("R3", "rotations differ in size by more than one: rot-a-next has 12, rot-b-next has 9"),
    ]


def test_R3_a_rotation_outside_the_changeover_is_compared_with_both_rounds() -> None:
    # Only seat A got a next round: rot-b runs on next to rot-a, then next to rot-a-next.
    a_old, _, a_new, _ = round_changeover(3, 3, 6, 3)
    violations = check_schedule([a_old, B, a_new], [], None, S, ny(2027, 2, 22, 11), WEEKS)
    assert [v.message for v in violations if v.rule == "R3"] == [
        "rotations differ in size by more than one: rot-a-next has 6, rot-b has 3",
    ]


def test_R3_eastern_engineers_outside_A_while_A_holds_others() -> None:
    people = [
        eng("a1"),
        eng("a2", "America/Chicago"),
        eng("a3"),
        eng("b1", "America/Detroit"),
        eng("b2", "Europe/London"),
        eng("b3", "Europe/London"),
    ]
    (v,) = check_schedule([A, B], [], people, S, NOW, WEEKS)
    assert v.rule == "R3" and set(v.subjects) == {"a2", "b1"}


def test_R6_shift_within_60_days_of_start_date() -> None:
    people = [*PEOPLE[:1], eng("a2", start=date(2027, 1, 1)), *PEOPLE[2:]]
    violations = [v for v in check_schedule([A, B], [], people, S, NOW, WEEKS) if v.rule == "R6"]
    # a2 holds Feb 1-8 (31 days in) and Feb 22-Mar 1 (52 days in): both too early.
    assert [v.subjects for v in violations] == [("a2",), ("a2",)]
    assert "a2 is on call in rot-a from 2027-02-01T11:00-05:00, 31 days after" in violations[0].message


def test_R7_two_new_engineers_overlapping_across_seats() -> None:
    people = [
        eng("a1"),
        eng("a2", start=date(2026, 12, 1)),
        eng("a3"),
        eng("b1", "Europe/London"),
        eng("b2", "Europe/London", new=True),
        eng("b3", "Europe/London"),
    ]
    violations = [v for v in check_schedule([A, B], [], people, S, NOW, WEEKS) if v.rule == "R7"]
    # a2 holds Feb 1-8 and Feb 22-Mar 1 (rot-a), b2 holds Feb 3-10 and Feb 24-Mar 3 (rot-b).
    assert [(v.subjects, v.start, v.end) for v in violations] == [
        (("a2", "b2"), ny(2027, 2, 3, 11), ny(2027, 2, 8, 11)),
        (("a2", "b2"), ny(2027, 2, 24, 11), ny(2027, 3, 1, 11)),
    ]


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


def test_R1_one_engineer_in_both_seats_through_an_override_is_reported() -> None:
    # rot-a: a3 holds Feb 8-15; an override puts a3 on rot-b Feb 10-11 too.
    cover = Override("a3", ny(2027, 2, 10, 11), ny(2027, 2, 11, 11), ("rot-b",))
    (v,) = check_schedule([A, B], [cover], None, S, NOW, WEEKS)
    assert v.rule == "R1" and v.subjects == ("a3",) and "two seats" in v.message
    assert (v.start, v.end) == (ny(2027, 2, 10, 11), ny(2027, 2, 11, 11))
