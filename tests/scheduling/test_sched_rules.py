"""One small function per rule (rules.py), tested with plain data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from oncall_cli.errors import UsageError
from oncall_cli.scheduling import rules
from oncall_cli.scheduling.model import Engineer, Rotation, RoundSettings

NY = "America/New_York"
Z = ZoneInfo(NY)
S = RoundSettings()


def eng(email: str, tz: str = NY, start: date = date(2024, 1, 1), **kw: object) -> Engineer:
    return Engineer(email, email.split("@")[0], tz, start, **kw)  # type: ignore[arg-type]


def test_R1_weekly_shifts_are_one_week_with_handoff_at_local_time() -> None:
    shifts = rules.weekly_shifts(datetime(2027, 3, 8, 11, tzinfo=Z), 2, NY)
    assert [(a.isoformat(), b.isoformat()) for a, b in shifts] == [
        ("2027-03-08T11:00:00-05:00", "2027-03-15T11:00:00-04:00"),
        ("2027-03-15T11:00:00-04:00", "2027-03-22T11:00:00-04:00"),
    ]


@pytest.mark.parametrize(("name", "group"), [
    ("rot-a", "A"), ("rot-a-next", "A"), ("ROT-B", "B"), ("Holiday-a", "A"), ("Holiday-b", "B"),
    ("rot-c-next", "C"), ("rot-ab", None), ("primary", None),
])
def test_R1_rotations_are_grouped_into_seats_by_name(name: str, group: str | None) -> None:
    assert rules.group_of(name, S) == group


@pytest.mark.parametrize("tz", ["America/New_York", "America/Detroit", "America/Toronto", "US/Eastern",
                                "America/Indiana/Indianapolis", "America/Nassau"])
def test_R3_zones_keeping_new_york_offsets_are_eastern(tz: str) -> None:
    assert rules.is_eastern(tz)


@pytest.mark.parametrize("tz", ["America/Panama", "America/Chicago", "America/Havana", "Europe/London",
                                "America/Bogota", "UTC", "America/Indiana/Knox"])
def test_R3_zones_with_other_offsets_are_not_eastern_whatever_their_name(tz: str) -> None:
    assert not rules.is_eastern(tz)


def test_R3_unknown_zone_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Nowhere/Land"):
        rules.is_eastern("Nowhere/Land")


def _split(eastern: int, others: int, groups: int = 2) -> list[tuple[int, int]]:
    people = [eng(f"e{i}@x") for i in range(eastern)]
    people += [eng(f"o{i}@x", "Europe/Berlin") for i in range(others)]
    out = rules.split_engineers(people, groups)
    return [(sum(rules.is_eastern(e.timezone) for e in g), sum(not rules.is_eastern(e.timezone) for e in g))
            for g in out]


def test_R3_surplus_eastern_engineers_go_to_B() -> None:
    assert _split(7, 3) == [(5, 0), (2, 3)]


def test_R3_fewer_eastern_engineers_all_go_to_A_which_is_topped_up() -> None:
    assert _split(2, 7) == [(2, 3), (0, 4)]


def test_R3_groups_differ_by_at_most_one_and_A_takes_the_odd_one() -> None:
    assert rules.group_sizes(9, 2) == [5, 4]
    assert rules.group_sizes(10, 4) == [3, 3, 2, 2]


def test_R3_split_keeps_the_given_order_inside_each_group() -> None:
    people = [eng("o1@x", "Europe/Berlin"), eng("e1@x"), eng("o2@x", "Europe/Berlin"), eng("e2@x")]
    a, b = rules.split_engineers(people, 2)
    assert [e.email for e in a] == ["e1@x", "e2@x"]
    assert [e.email for e in b] == ["o1@x", "o2@x"]


def test_R4_first_group_is_filled_with_eastern_engineers_first() -> None:
    assert _split(4, 5, groups=3) == [(3, 0), (1, 2), (0, 3)]


@pytest.mark.parametrize("bad", [0, 5, -1, True])
def test_R4_split_outside_one_to_four_names_the_flag(bad: int) -> None:
    with pytest.raises(UsageError, match="--split"):
        rules.check_split(bad)


def test_R4_rotation_names() -> None:
    assert [rules.rotation_name(i, S) for i in range(4)] == ["rot-a-next", "rot-b-next", "rot-c-next",
                                                            "rot-d-next"]


def test_R6_first_shift_must_start_more_than_60_days_after_start_date() -> None:
    e = eng("n@x", start=date(2027, 1, 1))
    assert rules.eligible_from(e, S) == date(2027, 3, 3)
    assert not rules.may_take(e, datetime(2027, 3, 2, 11, tzinfo=Z), S)  # day 60
    assert rules.may_take(e, datetime(2027, 3, 3, 11, tzinfo=Z), S)  # day 61


def test_R7_newness_flag_participation_and_90_days() -> None:
    round_day = date(2027, 2, 1)
    assert rules.is_new(eng("a@x", start=date(2026, 11, 3)), round_day, S)  # 90 days before
    assert not rules.is_new(eng("a@x", start=date(2026, 11, 2)), round_day, S)  # 91 days
    assert rules.is_new(eng("a@x", new=True), round_day, S)
    assert not rules.is_new(eng("a@x", start=date(2027, 1, 1), new=False), round_day, S)
    assert rules.is_new(eng("a@x"), round_day, S, frozenset({"b@x"}))
    assert not rules.is_new(eng("a@x"), round_day, S, frozenset({"a@x"}))


def test_R8_round_end_is_start_plus_whole_rounds_after_now() -> None:
    rot = Rotation("rot-a", datetime(2027, 1, 4, 11, tzinfo=Z), ("a", "b", "c"))
    first_end = datetime(2027, 1, 25, 11, tzinfo=Z)
    assert rules.round_end_after(rot, datetime(2027, 1, 5, tzinfo=Z), NY) == first_end
    assert rules.round_end_after(rot, first_end, NY) == datetime(2027, 2, 15, 11, tzinfo=Z)
    # Before the rotation even starts, its first round still has to run.
    assert rules.round_end_after(rot, datetime(2026, 6, 1, tzinfo=Z), NY) == first_end
    # Across DST the handoff stays at 11:00 local; years later it is still computed by arithmetic.
    far = rules.round_end_after(rot, datetime(2031, 7, 1, tzinfo=UTC), NY)
    assert far.hour == 11 and far.weekday() == 0 and far > datetime(2031, 7, 1, tzinfo=UTC)
    assert (far.date() - date(2027, 1, 4)).days % 21 == 0
    assert (far.date() - date(2031, 7, 1)).days <= 21


def test_R8_explicit_start_must_be_a_monday_and_B_starts_that_wednesday() -> None:
    a, b = rules.starts_from_date(date(2027, 3, 8), S)
    assert (a.isoformat(), b.isoformat()) == ("2027-03-08T11:00:00-05:00", "2027-03-10T11:00:00-05:00")
    with pytest.raises(UsageError, match="--start"):
        rules.starts_from_date(date(2027, 3, 9), S)


def test_R8_next_round_starts_continue_each_group() -> None:
    current = [Rotation("rot-a", datetime(2027, 1, 4, 11, tzinfo=Z), ("a", "b")),
               Rotation("rot-b", datetime(2027, 1, 6, 11, tzinfo=Z), ("c", "d", "e")),
               Rotation("Holiday-a", datetime(2027, 1, 1, 11, tzinfo=Z), ("z",))]
    starts = rules.next_round_starts(current, datetime(2027, 1, 10, tzinfo=Z), S)
    assert starts == (datetime(2027, 1, 18, 11, tzinfo=Z), datetime(2027, 1, 27, 11, tzinfo=Z))
    with pytest.raises(UsageError):
        rules.next_round_starts(current[:1], datetime(2027, 1, 10, tzinfo=Z), S)


def test_R9_unavailability_is_judged_in_the_engineers_own_dates() -> None:
    e = eng("p@x", "Europe/Berlin", unavailable=((date(2027, 1, 11), date(2027, 1, 11)),))
    # A shift ending Monday 11:00 New York time (17:00 Berlin) touches Berlin's Monday.
    assert rules.unavailable_during(e, datetime(2027, 1, 4, 11, tzinfo=Z),
                                    datetime(2027, 1, 11, 11, tzinfo=Z))
    # Ending at 17:00 Sunday Berlin time does not.
    assert rules.unavailable_during(e, datetime(2027, 1, 4, 11, tzinfo=Z),
                                    datetime(2027, 1, 10, 11, tzinfo=Z)) is None


def test_R7_current_round_is_the_round_before_the_one_running_at_a_moment() -> None:
    """`rot-a` (2 people) hands over to `rot-a-next` (3) on 2027-03-01: during rot-a-next's first round the
    current round is rot-a's, from its second round on it is rot-a-next's own (everyone served a turn)."""
    ny = ZoneInfo("America/New_York")
    handover = datetime(2027, 3, 1, 11, tzinfo=ny)
    old = Rotation("rot-a", datetime(2027, 1, 4, 11, tzinfo=ny), ("a@x.io", "b@x.io"), end=handover)
    new = Rotation("rot-a-next", handover, ("a@x.io", "b@x.io", "c@x.io"))
    settings = RoundSettings()
    first_round = datetime(2027, 3, 10, 12, tzinfo=ny)
    second_round = datetime(2027, 3, 24, 12, tzinfo=ny)
    assert rules.current_participants([old, new], first_round, settings) == {"a@x.io", "b@x.io"}
    assert rules.current_participants([old, new], second_round, settings) == {"a@x.io", "b@x.io", "c@x.io"}
    veteran_joiner = Engineer("c@x.io", "C", "America/New_York", date(2020, 1, 1))
    newness = rules.Newness([old, new], settings)
    assert newness(veteran_joiner, first_round) and not newness(veteran_joiner, second_round)
