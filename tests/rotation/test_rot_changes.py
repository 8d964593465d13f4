"""The pure core of rotation changes (scheduling/changes.py), with dates worked out by hand.

The schedule: rot-a weekly from Monday 2027-01-04 11:00 EST, rot-b weekly from Wednesday 2027-01-06 11:00
EST, four slots each; `NOW` is Wednesday 2027-02-03 12:00 EST. rot-a's shifts start Jan 4 (k=0), 11, 18,
25, Feb 1 (k=4, under way: round 1 started), 8, 15, 22, Mar 1 (k=8, round 2), 8, 15 (after DST), ...
rot-b's: Jan 6, 13, 20, 27, Feb 3 (k=4, under way), 10, 17, 24, Mar 3, ... New York's clocks go forward on
Sunday 2027-03-14, so the Mar 8 rot-a shift lasts 167 hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_cli.errors import UsageError
from oncall_cli.scheduling import changes
from oncall_cli.scheduling.check import check_schedule
from oncall_cli.scheduling.model import Engineer, Override, Rotation, RoundSettings, Shift
from oncall_cli.scheduling.timeline import rotation_shifts, timeline

from .conftest import NY, ny

S = RoundSettings()
TZ = "America/New_York"
NOW = ny(2027, 2, 3, 12)
OLD = date(2020, 1, 1)


def eng(email: str, start: date = OLD, tz: str = TZ) -> Engineer:
    return Engineer(email, email.split("@")[0], tz, start)


def people(*emails: str, new: tuple[str, ...] = ()) -> dict[str, Engineer]:
    return {e: Engineer(e, e, TZ, OLD, new=(e in new) or None) for e in emails}


def rot_a(*participants: str | None) -> Rotation:
    return Rotation("rot-a", ny(2027, 1, 4, 11), tuple(participants))


def rot_b(*participants: str | None) -> Rotation:
    return Rotation("rot-b", ny(2027, 1, 6, 11), tuple(participants))


def utc(shift: Shift | None) -> tuple[datetime, datetime] | None:
    return None if shift is None else (shift.start.astimezone(UTC), shift.end.astimezone(UTC))


A = ("a1", "a2", "a3", "a4")
B = ("b1", "b2", "b3", "b4")
EVERYONE = people(*A, *B)


# --- placement: (a) placeholder -------------------------------------------------------------------------


def test_placeholder_is_taken_when_its_next_shift_is_more_than_60_days_after_the_start_date() -> None:
    a = rot_a("a1", None, "a3", "a4")
    new = eng("n", date(2026, 12, 1))  # eligible from 2027-01-31
    p = changes.place_engineer(new, a, [a, rot_b(*B)], [], EVERYONE, NOW, S)
    assert p.outcome == "placeholder"
    assert p.after == rot_a("a1", "n", "a3", "a4")
    assert p.slot is not None and p.slot.position == 1
    assert utc(p.first_shift) == (
        datetime(2027, 2, 8, 16, tzinfo=UTC),
        datetime(2027, 2, 15, 16, tzinfo=UTC),
    )
    assert p.moves == ()  # a placeholder swap moves nobody
    assert not p.reanchored


def test_placeholder_whose_next_shift_is_too_soon_is_passed_over_and_the_engineer_is_appended() -> None:
    a = rot_a("a1", None, "a3", "a4")
    new = eng("n", date(2026, 12, 20))  # eligible from 2027-02-19: Feb 8 is too soon, Mar 1 is fine
    p = changes.place_engineer(new, a, [a, rot_b(*B)], [], EVERYONE, NOW, S)
    assert p.outcome == "append"
    assert [t.rejected[:4] for t in p.tried] == ["[R6]"]
    assert p.after is not None and p.after.participants == ("a1", None, "a3", "a4", "n")


def test_placeholder_under_way_now_is_not_filled() -> None:
    # Shift k=4 (Feb 1 - 8, under way) belongs to slot 4 mod 4 = 0: the placeholder.
    a = rot_a(None, "a2", "a3", "a4")
    p = changes.place_engineer(eng("n", date(2026, 1, 1)), a, [a, rot_b(*B)], [], EVERYONE, NOW, S)
    assert p.outcome == "append"
    assert "under way" in p.tried[0].rejected


def test_first_placeholder_is_the_one_whose_shift_comes_first_in_time() -> None:
    a = rot_a("a1", "a2", None, None)  # slot 2 -> Feb 15, slot 3 -> Feb 22
    p = changes.place_engineer(eng("n", date(2026, 1, 1)), a, [a, rot_b(*B)], [], EVERYONE, NOW, S)
    assert p.slot is not None and p.slot.position == 2


# --- placement: (b) append, re-anchored -----------------------------------------------------------------


def test_append_reanchors_at_the_current_round_so_nobody_in_it_moves_across_dst() -> None:
    a, b = rot_a(*A), rot_b(*B)
    new = eng("n", date(2026, 12, 1))  # eligible from 2027-01-31
    p = changes.place_engineer(new, a, [a, b], [], EVERYONE, NOW, S)
    assert p.outcome == "append"
    assert p.reanchored
    assert p.after == Rotation("rot-a", ny(2027, 2, 1, 11), (*A, "n"))
    # The new engineer takes the week after the current round (Mar 1 - Mar 8, EST).
    assert utc(p.first_shift) == (datetime(2027, 3, 1, 16, tzinfo=UTC), datetime(2027, 3, 8, 16, tzinfo=UTC))
    # Only a1, whose round-1 shift is already under way, has a next shift in the next round: one week later,
    # and that week crosses the DST change (11:00 EST -> 11:00 EDT, 167 hours).
    assert [m.user for m in p.moves] == ["a1"]
    move = p.moves[0]
    assert utc(move.old) == (datetime(2027, 3, 1, 16, tzinfo=UTC), datetime(2027, 3, 8, 16, tzinfo=UTC))
    assert utc(move.new) == (datetime(2027, 3, 8, 16, tzinfo=UTC), datetime(2027, 3, 15, 15, tzinfo=UTC))
    assert move.new is not None
    assert move.new.end.astimezone(UTC) - move.new.start.astimezone(UTC) == timedelta(hours=167)
    assert any("one week longer (5 shifts instead of 4)" in n for n in p.notes)
    # The current round's remaining shifts are exactly what they were.
    before = rotation_shifts(a, NOW, ny(2027, 3, 1, 11), TZ)
    after = rotation_shifts(p.after, NOW, ny(2027, 3, 1, 11), TZ)
    assert [(s.user, s.start, s.end) for s in before] == [(s.user, s.start, s.end) for s in after]


def test_append_warns_when_an_override_covers_the_new_engineers_first_shift() -> None:
    a, b = rot_a(*A), rot_b(*B)
    new = eng("n", date(2026, 12, 1))  # appended: first shift Mar 1 - Mar 8
    cover = Override("a3", ny(2027, 3, 1, 11), ny(2027, 3, 8, 11), ("rot-a",), alias="cover-1")
    elsewhere = Override("a2", ny(2027, 3, 1, 11), ny(2027, 3, 8, 11), ("rot-b",), alias="other-seat")
    later = Override("a4", ny(2027, 3, 8, 11), ny(2027, 3, 9, 11), ("rot-a",), alias="next-week")
    p = changes.place_engineer(new, a, [a, b], [cover, elsewhere, later], EVERYONE, NOW, S)
    assert p.outcome == "append"
    (warning,) = [w for w in p.warnings if "override" in w]
    assert warning.startswith(
        "override cover-1 puts a3 on rot-a from 2027-03-01T11:00-05:00 to 2027-03-08T11:00-05:00, over n's "
        "first shift (2027-03-01T11:00-05:00 to 2027-03-08T11:00-05:00): the override now replaces n for "
        "the whole shift"
    )


def test_override_over_part_of_the_first_shift_is_named_too() -> None:
    a, b, new = rot_a(*A), rot_b(*B), eng("n", date(2026, 12, 1))
    part = Override("a3", datetime(2027, 3, 3, 16, tzinfo=UTC), ny(2027, 3, 4, 11), ("rot-a",), alias="x")
    p = changes.place_engineer(new, a, [a, b], [part], EVERYONE, NOW, S)
    (warning,) = p.warnings
    assert warning.startswith("override x puts a3 on rot-a from 2027-03-03T11:00-05:00 to 2027-03-04T11:00")
    assert "the override now replaces n for that part of it" in warning
    assert changes.place_engineer(new, a, [a, b], [], EVERYONE, NOW, S).warnings == ()


def test_naive_append_without_reanchoring_moves_everyone() -> None:
    # Opsgenie recomputes every shift from the original start: shift k -> participant k mod 5.
    a = rot_a(*A)
    naive = rot_a(*A, "n")
    moves = changes.who_moves([a], [naive], [], NOW, TZ, exclude=("n",))
    got = {
        m.user: (m.old.start.date() if m.old else None, m.new.start.date() if m.new else None) for m in moves
    }
    assert got == {
        "a1": (date(2027, 3, 1), date(2027, 2, 8)),
        "a2": (date(2027, 2, 8), date(2027, 2, 15)),
        "a3": (date(2027, 2, 15), date(2027, 2, 22)),
        "a4": (date(2027, 2, 22), date(2027, 3, 1)),
    }


def test_append_needs_no_reanchoring_in_the_first_round() -> None:
    a = Rotation("rot-a", ny(2027, 2, 1, 11), A)  # round 0 is the current one
    p = changes.place_engineer(eng("n", date(2026, 1, 1)), a, [a, rot_b(*B)], [], EVERYONE, NOW, S)
    assert p.outcome == "append" and not p.reanchored
    assert p.after is not None and p.after.start == a.start


def test_who_moves_compares_next_shifts_with_overrides_applied() -> None:
    a = rot_a(*A)
    cover = Override("b1", ny(2027, 2, 8, 11), ny(2027, 2, 15, 11), ("rot-a",))
    moves = changes.who_moves([a], [rot_a("a1", "a3", "a2", "a4")], [cover], NOW, TZ)
    # b1 covers the Feb 8 shift either way. Before: a2 (Feb 8, covered) is next on Mar 8, a3 on Feb 15.
    # After swapping slots 1 and 2: a3 holds Feb 8 (covered) and is next on Mar 8, a2 on Feb 15.
    got = {m.user: (m.old.start if m.old else None, m.new.start if m.new else None) for m in moves}
    assert got == {
        "a2": (ny(2027, 3, 8, 11), ny(2027, 2, 15, 11)),
        "a3": (ny(2027, 2, 15, 11), ny(2027, 3, 8, 11)),
    }


# --- placement: (c) defer -------------------------------------------------------------------------------


def test_new_engineer_is_deferred_when_no_slot_is_60_days_out() -> None:
    a = rot_a(*A)
    new = eng("n", date(2027, 1, 15))  # eligible from 2027-03-17; the append slot is Mar 1
    p = changes.place_engineer(new, a, [a, rot_b(*B)], [], EVERYONE, NOW, S)
    assert p.outcome == "deferred"
    assert p.after is None and p.moves == ()
    # Appending during the round that starts Mar 1 gives the shift right after it: Mar 29 >= Mar 17.
    assert p.add_from == ny(2027, 3, 1, 11)
    assert "[R6]" in p.tried[0].rejected


def test_deferral_date_skips_rounds_until_the_append_slot_keeps_the_rule() -> None:
    a = rot_a(*A)
    new = eng("n", date(2027, 3, 10))  # eligible 2027-05-10: round from Apr 26 gives May 24 (Apr 26 + 4w)
    p = changes.place_engineer(new, a, [a, rot_b(*B)], [], EVERYONE, NOW, S)
    assert p.add_from == ny(2027, 4, 26, 11)


# --- pairing [R7] --------------------------------------------------------------------------------------


def test_pairing_fallback_takes_the_next_placeholder_when_the_first_overlaps_a_new_engineer() -> None:
    a = rot_a("a1", None, "a3", None)  # slot 1 -> Feb 8-15, slot 3 -> Feb 22-Mar 1
    b = rot_b("b1", "bn", "b3", "b4")  # bn (new) holds Feb 10-17
    who = people(*A, "b1", "bn", "b3", "b4", new=("bn",))
    p = changes.place_engineer(eng("n", date(2026, 11, 1)), a, [a, b], [], who, NOW, S)
    assert p.outcome == "placeholder"
    assert p.slot is not None and p.slot.position == 3
    assert [(t.position, t.conflicts) for t in p.tried] == [(1, ("bn",))]
    assert p.trade is None and p.warnings == ()


def test_trade_is_proposed_when_every_slot_pairs_the_new_engineer_with_a_new_engineer() -> None:
    a = rot_a("a1", None, "a3", "a4")  # the only slot: Feb 8-15, next to bn's Feb 10-17
    b = rot_b("b1", "bn", "b3", "b4")
    who = people(*A, "b1", "bn", "b3", "b4", new=("bn",))
    p = changes.place_engineer(eng("n@example.com", date(2026, 11, 1)), a, [a, b], [], who, NOW, S)
    assert p.outcome == "placeholder"  # placed by the playbook, trade only proposed
    assert p.slot is not None and p.slot.conflicts == ("bn",)
    trade = p.trade
    assert trade is not None
    # a3's next shift (Feb 15-22) also meets bn (Feb 10-17); a4's (Feb 22 - Mar 1) does not and is closest.
    assert trade.partner == "a4"
    assert utc(trade.partner_new_shift) == (
        datetime(2027, 2, 8, 16, tzinfo=UTC),
        datetime(2027, 2, 15, 16, tzinfo=UTC),
    )
    assert utc(trade.new_engineer_new_shift) == (
        datetime(2027, 2, 22, 16, tzinfo=UTC),
        datetime(2027, 3, 1, 16, tzinfo=UTC),
    )
    assert trade.message == (
        "Hi @a4! We've added @n to the schedule and would like to support them by not pairing them with "
        "another new engineer for their first on-call shift. Would you be able to switch shifts with them? "
        "The new dates of your on-call shift would be Mon Feb 8 11:00 EST to Mon Feb 15 11:00 EST."
    )
    assert any("trade with a4 is proposed" in w for w in p.warnings)


def test_trade_is_not_proposed_with_a_partner_who_is_new_or_too_soon() -> None:
    a = rot_a("a1", None, "a3", "a4")
    b = rot_b("b1", "bn", "b3", "b4")
    who = people(*A, "b1", "bn", "b3", "b4", new=("bn", "a4", "a1"))
    p = changes.place_engineer(eng("n", date(2026, 11, 1)), a, [a, b], [], who, NOW, S)
    assert p.trade is None
    assert any("nobody in rot-a can trade" in w for w in p.warnings)


def test_R7_the_earliest_insertion_avoids_a_new_pair_that_the_append_slot_makes() -> None:
    a = rot_a(*A)  # round 2 began Feb 1 (a1 under way); the append slot is Mar 1-8
    b = rot_b("b1", "b2", "b3", "bn")  # bn (new) holds Feb 24 - Mar 3: next to the append slot
    who = people(*A, "b1", "b2", "b3", "bn", new=("bn",))
    p, _ = changes.place_in_schedule(eng("n", date(2026, 11, 1)), [a, b], [], who, NOW, S, move=True)
    assert (p.outcome, p.rotation) == ("insert", "rot-a")
    assert p.slot is not None and p.slot.position == 1 and p.slot.conflicts == ()
    assert utc(p.first_shift) == (
        datetime(2027, 2, 8, 16, tzinfo=UTC),
        datetime(2027, 2, 15, 16, tzinfo=UTC),
    )
    assert p.after is not None and p.after.participants == ("a1", "n", "a2", "a3", "a4")
    assert p.after.start == ny(2027, 2, 1, 11)  # re-anchored: a1's shift under way keeps its engineer
    # Everyone after the insertion point takes their turn a week later; a1 (before it) too, next round.
    assert {m.user: m.new.start.date().isoformat() for m in p.moves if m.new} == {
        "a1": "2027-03-08", "a2": "2027-02-15", "a3": "2027-02-22", "a4": "2027-03-01"
    }
    assert [(t.kind, t.position, t.conflicts) for t in p.tried] == [("append", 4, ("bn",))]
    assert p.trade is None and not [w for w in p.warnings if "[R7]" in w]


def test_R7_no_move_keeps_the_append_with_a_warning_and_a_proposed_trade() -> None:
    a, b = rot_a(*A), rot_b("b1", "b2", "b3", "bn")
    who = people(*A, "b1", "b2", "b3", "bn", new=("bn",))
    p, _ = changes.place_in_schedule(eng("n", date(2026, 11, 1)), [a, b], [], who, NOW, S)
    assert p.outcome == "append" and p.slot is not None and p.slot.conflicts == ("bn",)
    assert p.trade is not None and any("[R7]" in w for w in p.warnings)


def test_R6_an_insertion_too_soon_for_the_60_day_rule_is_passed_over() -> None:
    a, b = rot_a(*A), rot_b("b1", "b2", "b3", "bn")
    who = people(*A, "b1", "b2", "b3", "bn", new=("bn",))
    # Started Dec 10: the first shift must start after Feb 8 (60 days): Feb 8 is too soon, Feb 15 is fine.
    p, _ = changes.place_in_schedule(eng("n", date(2026, 12, 10)), [a, b], [], who, NOW, S, move=True)
    assert p.outcome == "insert" and p.slot is not None and p.slot.position == 2
    assert [(t.kind, t.position) for t in p.tried] == [("append", 4), ("insert", 1)]
    assert "[R6]" in p.tried[1].rejected


def test_R7_an_insertion_replaces_the_only_placeholder_when_it_meets_a_new_engineer() -> None:
    a = rot_a("a1", None, "a3", "a4")  # the placeholder: Feb 8-15; bn holds Feb 10-17 in B
    b = rot_b("b1", "bn", "b3", "b4")
    who = people(*A, "b1", "bn", "b3", "b4", new=("bn",))
    p = changes.place_engineer(eng("n", date(2026, 11, 1)), a, [a, b], [], who, NOW, S, move=True)
    # Inserting at 2 (Feb 15-22) still meets bn; at 3 (Feb 22 - Mar 1) it does not: a4 moves a week.
    assert p.outcome == "insert" and p.slot is not None and p.slot.position == 3
    assert "a4" in [m.user for m in p.moves] and "a3" not in [m.user for m in p.moves]


def test_R7_warns_only_when_no_insertion_avoids_the_pair() -> None:
    a = rot_a("a1", None, "a3", "a4")
    b = rot_b("b1", "bn", "bm", "bk")  # new engineers in B from Feb 10 on: every slot meets one
    who = people(*A, "b1", "bn", "bm", "bk", new=("bn", "bm", "bk"))
    p = changes.place_engineer(eng("n", date(2026, 11, 1)), a, [a, b], [], who, NOW, S, move=True)
    assert p.outcome == "placeholder" and p.slot is not None and p.slot.conflicts == ("bn",)
    assert {t.kind for t in p.tried} == {"insert"} and any("[R7]" in w for w in p.warnings)


def test_new_is_judged_by_start_date_when_there_is_no_flag() -> None:
    a = rot_a("a1", None, "a3", None)
    b = rot_b("b1", "bn", "b3", "b4")
    who = people(*A, "b1", "b3", "b4")
    who["bn"] = eng("bn", date(2026, 12, 1))  # 70 days before Feb 10: new [R7]
    p = changes.place_engineer(eng("n", date(2026, 11, 1)), a, [a, b], [], who, NOW, S)
    assert p.slot is not None and p.slot.position == 3


# --- choosing the rotation, already placed, balance ------------------------------------------------------


def test_engineer_outside_eastern_time_goes_to_b() -> None:
    choice = changes.choose_rotation(eng("n", tz="Europe/London"), [rot_a(*A), rot_b("b1", "b2")], NOW, S)
    assert choice.rotation.name == "rot-b"
    detroit = changes.choose_rotation(eng("n", tz="America/Detroit"), [rot_a(*A), rot_b(*B)], NOW, S)
    assert detroit.rotation.name == "rot-a"  # Detroit keeps New York's offsets: Eastern [R3]


def test_eastern_engineer_goes_to_the_smaller_rotation_and_to_a_on_a_tie() -> None:
    assert changes.choose_rotation(eng("n"), [rot_a(*A), rot_b("b1", None)], NOW, S).rotation.name == "rot-b"
    assert changes.choose_rotation(eng("n"), [rot_a(*A), rot_b(*B)], NOW, S).rotation.name == "rot-a"


def test_named_rotation_must_exist() -> None:
    with pytest.raises(UsageError, match="--rotation"):
        changes.choose_rotation(eng("n"), [rot_a(*A)], NOW, S, name="rot-z")


def test_ended_rotation_is_not_a_default_choice() -> None:
    ended = Rotation("rot-b", ny(2026, 1, 7, 11), B, end=ny(2027, 1, 6, 11))
    nxt = Rotation("rot-b-next", ny(2027, 1, 6, 11), ("b1", "b2"))
    choice = changes.choose_rotation(eng("n", tz="Asia/Tokyo"), [rot_a(*A), ended, nxt], NOW, S)
    assert choice.rotation.name == "rot-b-next"


def test_engineer_already_in_a_rotation_is_not_placed_again() -> None:
    a = rot_a(*A)
    p = changes.place_engineer(eng("a2"), a, [a, rot_b(*B)], [], EVERYONE, NOW, S)
    assert p.outcome == "already_placed" and p.after == a and p.moves == ()


def test_warns_when_rotations_differ_in_size_by_more_than_one_afterwards() -> None:
    a, b = rot_a(*A), rot_b("b1", "b2", "b3")
    p = changes.place_engineer(eng("n", date(2026, 1, 1)), a, [a, b], [], EVERYONE, NOW, S)
    assert any(w.startswith("[R3]") for w in p.warnings)


# --- remove-engineer -----------------------------------------------------------------------------------


def test_leaver_becomes_a_placeholder_and_the_manager_covers_their_whole_shifts() -> None:
    a, b = rot_a(*A), rot_b(*B)
    removal = changes.plan_removal("a1", "boss", [a, b], [], NOW, S)
    assert [c.after.participants for c in removal.changes] == [(None, "a2", "a3", "a4")]
    assert removal.moves == ()
    # a1 holds Feb 1-8 (under way: covered whole) and Mar 1-8; the 12-week horizon ends Apr 28.
    assert [(o.user, o.start, o.end, o.rotations) for o in removal.cover] == [
        ("boss", ny(2027, 2, 1, 11), ny(2027, 2, 8, 11), ("rot-a",)),
        ("boss", ny(2027, 3, 1, 11), ny(2027, 3, 8, 11), ("rot-a",)),
        ("boss", ny(2027, 3, 29, 11), ny(2027, 4, 5, 11), ("rot-a",)),
        ("boss", ny(2027, 4, 26, 11), ny(2027, 5, 3, 11), ("rot-a",)),
    ]


def test_leaver_shift_already_traded_away_is_not_covered_but_one_taken_over_is() -> None:
    a, b = rot_a(*A), rot_b(*B)
    overrides = [
        Override("a2", ny(2027, 3, 1, 11), ny(2027, 3, 8, 11), ("rot-a",)),
        Override("a1", ny(2027, 2, 10, 11), ny(2027, 2, 17, 11), ("rot-b",)),
    ]
    removal = changes.plan_removal("a1", "boss", [a, b], overrides, NOW, S, horizon=timedelta(weeks=5))
    assert [(o.start, o.rotations) for o in removal.cover] == [
        (ny(2027, 2, 1, 11), ("rot-a",)),
        (ny(2027, 2, 10, 11), ("rot-b",)),
    ]


def test_leaver_cannot_be_their_own_cover() -> None:
    with pytest.raises(UsageError, match="--manager"):
        changes.plan_removal("a1", "a1", [rot_a(*A)], [], NOW, S)


# --- overrides -----------------------------------------------------------------------------------------


def test_times_off_the_half_hour_are_refused_naming_the_flag() -> None:
    with pytest.raises(UsageError, match=r"--start.*:00 or :30"):
        changes.check_half_hour(ny(2027, 2, 1, 11, 15), "--start")
    assert changes.check_half_hour(ny(2027, 2, 1, 11, 30), "--end") == ny(2027, 2, 1, 11, 30)


def test_identical_override_is_found_whatever_its_alias_and_zone() -> None:
    mine = Override("me", ny(2027, 2, 1, 11), ny(2027, 2, 2, 11), ("rot-a",))
    theirs = Override(
        "me",
        datetime(2027, 2, 1, 16, tzinfo=UTC),
        datetime(2027, 2, 2, 16, tzinfo=UTC),
        ("rot-a",),
        alias="x",
    )
    assert changes.find_same(mine, [theirs]) is theirs
    assert changes.find_same(mine, [Override("me", mine.start, mine.end, ("rot-b",))]) is None


# --- holiday plan --------------------------------------------------------------------------------------


def holiday(rotations: list[Rotation], year: int = 2027, now: datetime = NOW) -> changes.HolidayPlan:
    begin, end = changes.holiday_window(year, S, "12-22", "01-03")
    return changes.plan_holiday(rotations, year, begin, end, S, now)


def seat_users(rotations: tuple[Rotation, ...], seat: str, start: datetime, end: datetime) -> list[str]:
    from oncall_cli.scheduling.rules import group_of

    shifts = [s for s in timeline(rotations, [], start, end, TZ) if group_of(s.rotation, S) == seat]
    return [s.user or "-" for s in shifts]


def test_holiday_window_runs_from_december_22_to_january_3_at_the_handoff() -> None:
    assert changes.holiday_window(2027, S, "12-22", "01-03") == (ny(2027, 12, 22, 11), ny(2028, 1, 3, 11))
    assert changes.holiday_year(ny(2027, 2, 3), S, "12-22", "01-03") == 2027
    assert changes.holiday_year(ny(2028, 1, 2), S, "12-22", "01-03") == 2027
    with pytest.raises(UsageError, match="holiday_start"):
        changes.holiday_window(2027, S, "22-12", "01-03")


def test_holiday_rotations_are_two_day_placeholders_and_regular_rotations_pause() -> None:
    a, b = rot_a(*A), rot_b(*B)
    plan = holiday([a, b])
    created = {act.rotation.name: act.rotation for act in plan.actions if act.kind == "create"}
    assert created["Holiday-a"] == Rotation(
        "Holiday-a", ny(2027, 12, 22, 11), (None,) * 6, "daily", 2, ny(2028, 1, 3, 11)
    )
    assert "Holiday-b" in created
    ends = {act.rotation.name: act.rotation.end for act in plan.actions if act.kind == "end"}
    assert ends == {"rot-a": ny(2027, 12, 22, 11), "rot-b": ny(2027, 12, 22, 11)}
    # The window ends on a Monday: rot-a continues at once; rot-b needs a bridge to its Wednesday handoff.
    assert created["rot-a-2028"].start == ny(2028, 1, 3, 11)
    assert created["rot-b-2028-bridge"].start == ny(2028, 1, 3, 11)
    assert created["rot-b-2028-bridge"].end == ny(2028, 1, 5, 11)
    assert created["rot-b-2028"].start == ny(2028, 1, 5, 11)
    # Creations come before the ends, so a half-applied plan never leaves a seat uncovered.
    kinds = [act.kind for act in plan.actions]
    assert kinds == sorted(kinds, key=lambda k: k != "create")


def test_holiday_plan_leaves_no_gap_and_no_double_cover_and_the_turns_continue() -> None:
    a, b = rot_a(*A), rot_b(*B)
    plan = holiday([a, b])
    lo, hi = ny(2027, 12, 1), ny(2028, 2, 1)
    assert [v for v in check_schedule(plan.after, [], None, S, lo, hi - lo) if v.rule == "R1"] == []
    # rot-a (k=48 on Dec 6 -> a1): a3's Dec 20 turn is cut short after two days and counts; a4 goes
    # first after the window, on Monday Jan 3.
    seq_a = [u for u in seat_users(plan.after, "A", ny(2027, 12, 6, 11), ny(2028, 1, 31, 11)) if u != "-"]
    assert seq_a == ["a1", "a2", "a3", "a4", "a1", "a2", "a3"]
    # rot-b (k=48 on Dec 8 -> b1): b2 finishes on Dec 22; b3 takes the bridge Jan 3-5 (their turn) and b4
    # goes first from Wednesday Jan 5.
    seq_b = [u for u in seat_users(plan.after, "B", ny(2027, 12, 8, 11), ny(2028, 1, 26, 11)) if u != "-"]
    assert seq_b == ["b1", "b2", "b3", "b4", "b1", "b2"]


def test_holiday_plan_run_again_after_applying_changes_nothing() -> None:
    plan = holiday([rot_a(*A), rot_b(*B)])
    again = holiday(list(plan.after))
    assert again.actions == ()
    assert set(again.existing) == {"Holiday-a", "Holiday-b"}
    assert again.differences == ()


def test_last_years_holiday_rotations_are_replaced() -> None:
    old = Rotation("Holiday-a", ny(2026, 12, 22, 11), (None,) * 6, "daily", 2, ny(2027, 1, 3, 11))
    plan = holiday([rot_a(*A), rot_b(*B), old])
    assert [(act.kind, act.rotation.name) for act in plan.actions][:2] == [
        ("delete", "Holiday-a"),
        ("create", "Holiday-a"),
    ]


def test_rotation_starting_inside_the_window_moves_to_its_first_handoff_after_it() -> None:
    a = Rotation("rot-a", ny(2027, 11, 1, 11), A, end=ny(2027, 12, 27, 11))
    nxt = Rotation("rot-a-next", ny(2027, 12, 27, 11), ("a3", "a1"))
    plan = holiday([a, nxt, rot_b(*B)], now=ny(2027, 11, 10))
    moved = [act.rotation for act in plan.actions if act.kind == "move_start"]
    assert moved == [Rotation("rot-a-next", ny(2028, 1, 3, 11), ("a3", "a1"))]
    lo, hi = ny(2027, 12, 1), ny(2028, 2, 1)
    assert [v for v in check_schedule(plan.after, [], None, S, lo, hi - lo) if v.rule == "R1"] == []


def test_shift_by_date_prefers_shifts_starting_that_day() -> None:
    shifts = timeline([rot_a(*A), rot_b(*B)], [], ny(2027, 2, 1), ny(2027, 2, 20), TZ)
    found = changes.shifts_on(date(2027, 2, 10), shifts, TZ, S.handoff)
    assert [(s.rotation, s.user) for s in found] == [("rot-b", "b2")]
    holding = changes.shifts_on(date(2027, 2, 12), shifts, TZ, S.handoff)
    assert sorted(s.rotation for s in holding) == ["rot-a", "rot-b"]


def test_override_times_floor_to_the_half_hour() -> None:
    assert changes.floor_half_hour(datetime(2027, 2, 3, 12, 47, 10, tzinfo=NY)) == ny(2027, 2, 3, 12, 30)


def test_default_rotation_is_the_one_carrying_the_seat_when_the_engineer_becomes_eligible() -> None:
    # The next round (created by `schedule new`) takes over on Mar 1, before an April eligibility date.
    a = Rotation("rot-a", ny(2027, 1, 4, 11), A, end=ny(2027, 3, 1, 11))
    nxt = Rotation("rot-a-next", ny(2027, 3, 1, 11), ("a2", "a1", "a4", "a3"))
    new = eng("n", date(2027, 2, 1))  # eligible 2027-04-03
    assert changes.choose_rotation(new, [a, nxt, rot_b(*B)], NOW, S).rotation.name == "rot-a-next"
    # A holiday continuation starting next January does not take over before then.
    paused = Rotation("rot-a", ny(2027, 1, 4, 11), A, end=ny(2027, 12, 22, 11))
    cont = Rotation("rot-a-2028", ny(2028, 1, 3, 11), A)
    assert changes.choose_rotation(new, [paused, cont, rot_b(*B)], NOW, S).rotation.name == "rot-a"


def test_a_turn_cut_by_the_window_resumes_in_the_bridge() -> None:
    # 2026: the window runs Tuesday Dec 22 to Sunday Jan 3, so both rotations need a bridge.
    a = Rotation("rot-a", ny(2026, 10, 5, 11), A)  # k=11 on Monday Dec 21 -> a4, cut after a day
    b = Rotation("rot-b", ny(2026, 10, 7, 11), B)  # k=10 on Wednesday Dec 16 -> b3, cut after six days
    plan = holiday([a, b], year=2026, now=ny(2026, 11, 23))
    created = {act.rotation.name: act.rotation for act in plan.actions if act.kind == "create"}
    assert created["rot-a-2027-bridge"].start == ny(2027, 1, 3, 11)
    assert created["rot-a-2027-bridge"].end == ny(2027, 1, 4, 11)
    assert created["rot-a-2027-bridge"].participants[0] == "a4"  # a4 finishes the turn
    assert created["rot-a-2027"].participants == ("a1", "a2", "a3", "a4")
    assert created["rot-b-2027-bridge"].end == ny(2027, 1, 6, 11)
    assert created["rot-b-2027-bridge"].participants[0] == "b3"
    assert created["rot-b-2027"].participants == ("b4", "b1", "b2", "b3")
    users = [u for u in seat_users(plan.after, "A", ny(2026, 12, 7, 11), ny(2027, 1, 25, 11)) if u != "-"]
    assert users == ["a2", "a3", "a4", "a4", "a1", "a2", "a3"]  # a4's turn, split by the holidays
    lo, hi = ny(2026, 12, 1), ny(2027, 2, 1)
    assert [v for v in check_schedule(plan.after, [], None, S, lo, hi - lo) if v.rule == "R1"] == []


def test_a_season_year_suffix_still_names_a_holiday_rotation_of_its_seat() -> None:
    from oncall_cli.scheduling.rules import group_of, is_holiday

    assert is_holiday("Holiday-a", S) and is_holiday("holiday-b-2028", S)
    assert not is_holiday("Holiday-a-next", S) and not is_holiday("rot-a-2028", S)
    assert group_of("Holiday-b-2028", S) == "B"
    assert not changes.regular(Rotation("Holiday-a-2028", NOW, (None,)), S)


def test_next_seasons_holiday_rotations_take_the_years_name_while_this_seasons_still_run() -> None:
    this = holiday([rot_a(*A), rot_b(*B)])
    nxt = holiday(list(this.after), year=2028)
    created = {act.rotation.name: act.rotation for act in nxt.actions if act.kind == "create"}
    assert created["Holiday-a-2028"].start == ny(2028, 12, 22, 11)
    assert created["Holiday-b-2028"].end == ny(2029, 1, 3, 11)
    assert "Holiday-a" not in created and nxt.existing == ()
    ends = {act.rotation.name: act.rotation.end for act in nxt.actions if act.kind == "end"}
    assert ends == {"rot-a-2028": ny(2028, 12, 22, 11), "rot-b-2028": ny(2028, 12, 22, 11)}
    lo, hi = ny(2027, 12, 1), ny(2029, 2, 1)
    assert [v for v in check_schedule(nxt.after, [], None, S, lo, hi - lo) if v.rule == "R1"] == []
    # Run again on the result: each season's rotations are found under their own names.
    assert holiday(list(nxt.after), year=2028).actions == ()
    assert holiday(list(nxt.after), year=2027).actions == ()


def test_a_holiday_rotation_of_an_ended_season_is_replaced_under_the_plain_name() -> None:
    ended = Rotation("Holiday-a", ny(2025, 12, 22, 11), (None,) * 6, "daily", 2, ny(2026, 1, 3, 11))
    plan = holiday([rot_a(*A), rot_b(*B), ended])
    assert ("delete", "Holiday-a") in [(act.kind, act.rotation.name) for act in plan.actions]
    assert "Holiday-a-2027" not in {r.name for r in plan.after}


def test_R1_an_override_on_a_paused_rotation_is_recreated_on_its_continuation() -> None:
    a, b = rot_a(*A), rot_b(*B)
    plan = holiday([a, b])
    after_window = Override("x", ny(2028, 1, 10, 11), ny(2028, 1, 11, 11), ("rot-a",), "o1")
    across = Override("y", ny(2027, 12, 21, 11), ny(2028, 1, 4, 11), ("rot-b",), "o2")
    untouched = Override("z", ny(2027, 3, 1, 11), ny(2027, 3, 2, 11), ("rot-a",), "o3")
    carried = changes.carry_overrides([a, b], plan.after, [after_window, across, untouched], S, NOW)
    assert [(c.original.alias, c.rotation) for c in carried] == [("o1", "rot-a"), ("o2", "rot-b")]
    assert carried[0].replacements == (
        Override("x", ny(2028, 1, 10, 11), ny(2028, 1, 11, 11), ("rot-a-2028",)),
    )
    assert carried[0].dropped == ()
    # rot-b ends Dec 22; Holiday-b carries the seat to Jan 3 (dropped, said so); the bridge Jan 3-5 goes on.
    assert carried[1].replacements == (
        Override("y", ny(2028, 1, 3, 11), ny(2028, 1, 4, 11), ("rot-b-2028-bridge",)),
    )
    assert carried[1].dropped == ((ny(2027, 12, 22, 11), ny(2028, 1, 3, 11)),)
    # Once applied, nothing is lost any more: a re-run carries nothing.
    assert changes.carry_overrides(plan.after, plan.after, [after_window, across], S, NOW) == ()


def test_an_override_is_dead_only_when_no_rotation_it_names_runs_while_it_lasts() -> None:
    ended = Rotation("rot-a", ny(2027, 1, 4, 11), A, end=ny(2027, 12, 22, 11))
    later = Override("x", ny(2028, 1, 10, 11), ny(2028, 1, 11, 11), ("rot-a",), "o1")
    reason = changes.dead_reason(later, [ended])
    assert reason is not None and reason.startswith("rot-a ended 2027-12-22T11:00")
    across = Override("x", ny(2027, 12, 21, 11), ny(2027, 12, 23, 11), ("rot-a",), "o2")
    assert changes.dead_reason(across, [ended]) is None
    assert changes.dead_reason(Override("x", NOW, NOW + timedelta(days=1), ("gone",)), [ended]) == (
        "gone no longer exists"
    )


def test_R3_seat_preference_balance_beats_eastern_coverage() -> None:
    a, b = rot_a("a1", "a2", "a3"), rot_b("b1", "b2", "b3", "b4")
    assert [g for g, _ in changes.seat_preference(eng("n", tz="Europe/London"), [a, b], NOW, S)] == ["A"]
    assert [g for g, _ in changes.seat_preference(eng("n"), [a, b], NOW, S)] == ["A"]
    even = rot_b("b1", "b2", "b3")
    assert [g for g, _ in changes.seat_preference(eng("n"), [a, even], NOW, S)] == ["A", "B"]
    assert [g for g, _ in changes.seat_preference(eng("n", tz="Europe/London"), [a, even], NOW, S)] == ["B"]


# --- [R7] insertion: properties over small random schedules ---------------------------------------------


@settings(max_examples=60, deadline=None, database=None)
@given(
    a_slots=st.lists(st.sampled_from(["a", None]), min_size=2, max_size=6),
    b_new=st.lists(st.booleans(), min_size=2, max_size=6),
    start_days=st.integers(40, 200),
)
def test_R7_moving_others_never_pairs_more_and_never_touches_a_started_shift_or_the_60_days(
    a_slots: list[str | None], b_new: list[bool], start_days: int
) -> None:
    a = rot_a(*[f"a{i}" if s else None for i, s in enumerate(a_slots)])
    b_people = [f"b{i}" for i in range(len(b_new))]
    b = rot_b(*b_people)
    fresh = tuple(p for p, n in zip(b_people, b_new, strict=True) if n)
    who = people(*[p for p in a.participants if p], *b_people, new=fresh)
    engineer = eng("n", NOW.date() - timedelta(days=start_days))
    kept, _ = changes.place_in_schedule(engineer, [a, b], [], who, NOW, S)
    moved, _ = changes.place_in_schedule(engineer, [a, b], [], who, NOW, S, move=True)
    if moved.slot is not None and moved.slot.conflicts:
        assert kept.slot is not None and kept.slot.conflicts  # pairs only when today's choice pairs too
    if moved.first_shift is not None:
        assert changes.rules.may_take(engineer, moved.first_shift.start, S)  # [R6]
    if moved.outcome == "insert":
        assert moved.after is not None and kept.slot is not None and kept.slot.conflicts
        changed = [moved.after if r.name == moved.rotation else r for r in (a, b)]
        # Up to now (the shift under way included) everyone keeps their shifts.
        lo = moved.after.start
        assert [(s.rotation, s.user, s.start) for s in timeline(changed, [], lo, NOW, TZ)] == [
            (s.rotation, s.user, s.start) for s in timeline([a, b], [], lo, NOW, TZ)
        ]
