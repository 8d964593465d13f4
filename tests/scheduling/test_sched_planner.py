"""plan_round, rule by rule: plain data in, plan out."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from oncall_cli.errors import RulesViolatedError, UsageError
from oncall_cli.scheduling.model import Engineer, Plan, RoundSettings, Shift
from oncall_cli.scheduling.planner import PlacementProblem, plan_round, plan_to_json, solve_pattern
from oncall_cli.scheduling.rules import starts_from_date

NY = "America/New_York"
Z = ZoneInfo(NY)
S = RoundSettings()
TODAY = date(2027, 1, 28)  # a Thursday: the default round starts Monday 2027-02-01
ROUND = date(2027, 2, 1)
OLD = date(2024, 1, 1)


def eng(email: str, tz: str = NY, start: date = OLD, **kw: object) -> Engineer:
    return Engineer(email, email.split("@")[0], tz, start, **kw)  # type: ignore[arg-type]


def team(eastern: int, others: int, **kw: object) -> list[Engineer]:
    return ([eng(f"e{i}@x", **kw) for i in range(eastern)]  # type: ignore[arg-type]
            + [eng(f"o{i}@x", "Europe/London", **kw) for i in range(others)])  # type: ignore[arg-type]


def recent(days_before_round: int) -> date:
    return ROUND - timedelta(days=days_before_round)


def participants(plan: Plan) -> list[tuple[str | None, ...]]:
    return [r.participants for r in plan.rotations]


def rules_in(plan: Plan) -> list[str]:
    return [w.split("]")[0] + "]" for w in plan.warnings]


# [R1] --------------------------------------------------------------------------------------------------


def test_R1_two_rotations_one_week_shifts_monday_and_wednesday_at_11_eastern() -> None:
    plan = plan_round(team(3, 3), today=TODAY, rng=None)
    a, b = plan.rotations
    assert (a.name, a.group, a.type, a.start.isoformat()) == ("rot-a-next", "A", "weekly",
                                                             "2027-02-01T11:00:00-05:00")
    assert (b.name, b.group, b.start.isoformat()) == ("rot-b-next", "B", "2027-02-03T11:00:00-05:00")
    for shift in plan.shifts:
        assert shift.start.astimezone(Z).hour == 11
        assert shift.start.weekday() == (0 if shift.rotation == "rot-a-next" else 2)


def test_R1_every_engineer_is_on_call_exactly_once_per_round() -> None:
    people = team(4, 5)
    plan = plan_round(people, today=TODAY, rng=random.Random(3))
    users = [s.user for s in plan.shifts]
    assert sorted(u for u in users if u) == sorted(e.email for e in people)


def test_R1_handoffs_stay_at_11_eastern_across_dst() -> None:
    plan = plan_round(team(4, 4), starts=starts_from_date(date(2027, 3, 1), S), today=TODAY, rng=None)
    a_shifts = [s for s in plan.shifts if s.rotation == "rot-a-next"]
    expected = [f"2027-03-{d:02d}T11:00:00" for d in (1, 8, 15, 22)]
    assert [s.start.isoformat()[:19] for s in a_shifts] == expected
    assert [s.start.utcoffset() for s in a_shifts] == [timedelta(hours=-5)] * 2 + [timedelta(hours=-4)] * 2


def test_R1_pairs_list_every_overlap_of_A_and_B() -> None:
    plan = plan_round(team(2, 2), today=TODAY, rng=None)
    assert [(p.a, p.b, p.start.day, p.end.day) for p in plan.pairs] == [
        ("e0@x", "o0@x", 3, 8), ("e1@x", "o0@x", 8, 10), ("e1@x", "o1@x", 10, 15)]


# [R2] --------------------------------------------------------------------------------------------------


def test_R2_engineer_starting_on_or_after_the_round_start_is_deferred() -> None:
    people = [*team(2, 2), eng("late@x", start=ROUND), eng("later@x", start=date(2027, 3, 1))]
    plan = plan_round(people, today=TODAY, rng=None)
    assert [(d.user, d.rule, d.eligible_from) for d in plan.deferred] == [
        ("late@x", "R2", date(2027, 4, 3)), ("later@x", "R2", date(2027, 5, 1))]
    assert all("late" not in (u or "") for p in participants(plan) for u in p)
    assert plan.deferred[0].reason.startswith("[R2]")


# [R3] --------------------------------------------------------------------------------------------------


def test_R3_surplus_eastern_engineers_go_to_B_and_A_is_all_eastern() -> None:
    plan = plan_round(team(6, 2), today=TODAY, rng=random.Random(1))
    a, b = participants(plan)
    assert len(a) == len(b) == 4
    assert all(u and u.startswith("e") for u in a)
    assert sorted(u for u in b if u and u.startswith("o")) == ["o0@x", "o1@x"]


def test_R3_fewer_eastern_engineers_all_go_to_A() -> None:
    people = [eng("d@x", "America/Detroit"), eng("p@x", "America/Panama"), *team(0, 5)]
    plan = plan_round(people, today=TODAY, rng=random.Random(2))
    a, b = participants(plan)
    assert len(a) == 4 and len(b) == 3
    assert "d@x" in a  # the only Eastern engineer; Panama (EST, no DST) gets no priority


# [R4] --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_R4_split_into_n_balanced_rotations(n: int) -> None:
    plan = plan_round(team(5, 6), split=n, today=TODAY, rng=random.Random(5))
    sizes = [len(r.participants) for r in plan.rotations]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == 11
    assert [r.group for r in plan.rotations] == ["A", "B", "C", "D"][:n]
    assert [r.name for r in plan.rotations] == [f"rot-{c}-next" for c in "abcd"[:n]]
    assert [r.start.weekday() for r in plan.rotations] == [0, 2, 0, 2][:n]
    a = plan.rotations[0].participants
    assert sum(1 for u in a if u and u.startswith("e")) == min(5, len(a))


@pytest.mark.parametrize("n", [0, 5])
def test_R4_other_split_values_are_a_usage_error_naming_the_flag(n: int) -> None:
    with pytest.raises(UsageError, match="--split"):
        plan_round(team(2, 2), split=n, today=TODAY, rng=None)


def test_R4_too_few_engineers_for_the_split_is_reported() -> None:
    with pytest.raises(RulesViolatedError):
        plan_round(team(1, 1), split=3, today=TODAY, rng=None)


# [R5] --------------------------------------------------------------------------------------------------


def test_R5_same_seed_gives_the_same_plan_byte_for_byte() -> None:
    people = [*team(5, 5), eng("n@x", start=recent(20)), eng("m@x", "Europe/Berlin", start=recent(30))]
    one = json.dumps(plan_to_json(plan_round(people, today=TODAY, rng=random.Random(42))))
    two = json.dumps(plan_to_json(plan_round(list(people), today=TODAY, rng=random.Random(42))))
    assert one == two
    others = {json.dumps(plan_to_json(plan_round(people, today=TODAY, rng=random.Random(s))))
              for s in range(8)}
    assert len(others) > 1


def test_R5_without_randomness_roster_order_is_kept() -> None:
    plan = plan_round(team(3, 3), today=TODAY, rng=None)
    assert participants(plan) == [("e0@x", "e1@x", "e2@x"), ("o0@x", "o1@x", "o2@x")]


# [R6] --------------------------------------------------------------------------------------------------


def test_R6_new_engineer_is_deferred_when_no_slot_is_60_days_out() -> None:
    people = [*team(3, 3), eng("new@x", start=recent(10))]
    plan = plan_round(people, today=TODAY, rng=None)
    (deferral,) = plan.deferred
    assert (deferral.user, deferral.rule) == ("new@x", "R6")
    assert deferral.eligible_from == recent(10) + timedelta(61)
    assert deferral.reason.startswith("[R6]")


def test_R6_new_hire_gets_a_slot_more_than_60_days_after_their_start() -> None:
    # Start 2026-12-20: eligible from 2027-02-19; A's slots are Feb 1, 8, 15, 22.
    people = [*team(4, 4), eng("new@x", start=date(2026, 12, 20))]
    plan = plan_round(people, today=TODAY, rng=random.Random(9))
    (shift,) = [s for s in plan.shifts if s.user == "new@x"]
    assert shift.start.date() >= date(2027, 2, 19)
    assert not plan.deferred


def test_R6_two_hires_needing_the_same_last_slot_defer_the_later_one_first() -> None:
    # Slots Feb 1, 8, 15, 22: both hires are eligible only for Feb 22 (from Feb 18 and Feb 19).
    people = [*team(2, 0), eng("n1@x", start=date(2026, 12, 19)), eng("n2@x", start=date(2026, 12, 20))]
    plan = plan_round(people, split=1, today=TODAY, rng=None)
    # Deferring n2 shortens the round to Feb 15, which strands n1 as well.
    assert [d.user for d in plan.deferred] == ["n2@x", "n1@x"]
    assert plan.rotations[0].participants == ("e0@x", "e1@x")


def test_R6_hires_with_staggered_thresholds_all_fit() -> None:
    people = [*team(2, 0), eng("n1@x", start=date(2026, 12, 12)), eng("n2@x", start=date(2026, 12, 19))]
    plan = plan_round(people, split=1, today=TODAY, rng=None)
    assert not plan.deferred
    assert plan.rotations[0].participants[2:] == ("n1@x", "n2@x")


# [R7] --------------------------------------------------------------------------------------------------


def test_R7_new_engineers_go_towards_the_end_of_their_rotation() -> None:
    people = [eng("n@x", start=recent(80)), *team(4, 4)]
    plan = plan_round(people, today=TODAY, rng=None)
    assert plan.rotations[0].participants[-1] == "n@x"
    assert not plan.warnings


def test_R7_new_pair_is_avoided_by_placing_a_new_engineer_earlier() -> None:
    people = [*team(3, 3), eng("na@x", start=recent(80)), eng("nb@x", "Europe/London", start=recent(80))]
    plan = plan_round(people, today=TODAY, rng=None)
    a, b = participants(plan)
    assert b[-1] == "nb@x"      # B's last shift overlaps A's last...
    assert a[-2] == "na@x"      # ...so the new A engineer moves one week earlier
    assert a[-1] != "na@x"
    assert not any(p.a == "na@x" and p.b == "nb@x" for p in plan.pairs)
    assert not plan.warnings


def test_R7_unavoidable_pair_is_warned_and_named() -> None:
    people = [eng(f"n{i}@x", start=recent(70)) for i in range(2)] + \
             [eng(f"m{i}@x", "Europe/London", start=recent(70)) for i in range(2)]
    plan = plan_round(people, today=TODAY, rng=None)
    assert rules_in(plan) == ["[R7]"] * 3
    assert all("no order of the round avoids it" in w for w in plan.warnings)
    assert {v.subjects for v in plan.violations} == {(p.a, p.b) for p in plan.pairs}


def test_R7_explicit_new_flag_and_absence_from_current_rotations_make_an_engineer_new() -> None:
    people = [*team(3, 3), eng("flag@x", new=True), eng("fresh@x", "Europe/London")]
    current = frozenset(e.email for e in people if e.email != "fresh@x")
    plan = plan_round(people, today=TODAY, rng=None, current_participants=current)
    a, b = participants(plan)
    assert a[-2] == "flag@x" and b[-1] == "fresh@x"
    assert not plan.warnings


def test_R7_previous_rounds_last_shift_counts_against_the_first_shifts() -> None:
    # p (new) held the previous round's last B shift, which overlaps A's first new shift (Feb 1-3).
    prev = [Shift("rot-b", "p@x", datetime(2027, 1, 27, 11, tzinfo=Z), datetime(2027, 2, 3, 11, tzinfo=Z))]
    p = eng("p@x", "Europe/London", start=recent(85))
    people = [eng("n@x", start=recent(80)), eng("e0@x"), eng("e1@x"), p, eng("o0@x", "Europe/London")]
    plan = plan_round(people, today=TODAY, rng=None, previous=prev, split=1)
    assert plan.rotations[0].participants[0] not in ("n@x", "p@x")
    # [R11] five weekly slots cannot keep p four weeks from their Feb 3 shift: best effort, warned.
    assert [w[:5] for w in plan.warnings] == ["[R11]"]
    forced = plan_round([eng("n@x", start=recent(80)), p], today=TODAY, rng=None, previous=prev)
    assert [r for r in rules_in(forced) if r != "[R11]"] == ["[R7]", "[R7]"]
    assert any("previous round" in w and "n@x" in w for w in forced.warnings)
    assert plan_round(people, today=TODAY, rng=None).warnings == ()


# [R8] --------------------------------------------------------------------------------------------------


def test_R8_explicit_starts_are_used_and_their_count_must_match_the_split() -> None:
    starts = starts_from_date(date(2027, 5, 3), S)
    plan = plan_round(team(2, 2), starts=starts, today=TODAY, rng=None)
    assert [r.start for r in plan.rotations] == list(starts)
    with pytest.raises(UsageError):
        plan_round(team(2, 2), starts=starts[:1], today=TODAY, rng=None)


def test_R8_default_start_is_the_first_monday_after_today() -> None:
    plan = plan_round(team(2, 2), today=date(2027, 2, 1), rng=None)
    assert plan.rotations[0].start.date() == date(2027, 2, 8)


# [R9] --------------------------------------------------------------------------------------------------


def test_R9_shifts_avoid_unavailability_when_an_order_allows_it() -> None:
    away = ((date(2027, 2, 1), date(2027, 2, 14)),)
    people = [eng("pto@x", unavailable=away), *team(3, 4)]
    plan = plan_round(people, today=TODAY, rng=None)
    (shift,) = [s for s in plan.shifts if s.user == "pto@x"]
    assert shift.start.date() >= date(2027, 2, 15)
    assert not plan.warnings


def test_R9_unavoidable_clash_is_warned() -> None:
    away = ((date(2027, 1, 1), date(2027, 12, 31)),)
    plan = plan_round([eng("pto@x", unavailable=away), *team(1, 2)], today=TODAY, rng=None)
    assert rules_in(plan) == ["[R9]"] and "pto@x" in plan.warnings[0]


def test_R9_outranks_the_new_engineer_courtesy() -> None:
    away = ((date(2027, 2, 20), date(2027, 3, 10)),)
    people = [eng("n@x", start=recent(80), unavailable=away), *team(4, 4)]
    plan = plan_round(people, today=TODAY, rng=None)
    assert not plan.warnings
    # A's slots: Feb 1, 8, 15, 22, Mar 1; PTO touches Feb 15 onwards, so Feb 8 is the latest free one.
    assert plan.rotations[0].participants.index("n@x") == 1


# plan_to_json and input checks ----------------------------------------------------------------------------


def test_plan_to_json_matches_the_contract() -> None:
    people = [*team(2, 2), eng("late@x", start=ROUND)]
    body = plan_to_json(plan_round(people, today=TODAY, rng=None))
    assert list(body) == ["timezone", "rotations", "shifts", "pairs", "deferred", "warnings"]
    assert body["timezone"] == NY
    assert body["rotations"][0] == {"name": "rot-a-next", "group": "A", "type": "weekly",
                                    "start": "2027-02-01T11:00:00-05:00", "participants": ["e0@x", "e1@x"]}
    assert body["shifts"][0] == {"rotation": "rot-a-next", "user": "e0@x",
                                 "start": "2027-02-01T11:00:00-05:00", "end": "2027-02-08T11:00:00-05:00"}
    assert set(body["pairs"][0]) == {"a", "b", "start", "end"}
    assert body["deferred"] == [{"user": "late@x", "reason": body["deferred"][0]["reason"],
                                 "eligible_from": "2027-04-03"}]
    json.dumps(body)


def test_duplicate_engineers_are_a_usage_error() -> None:
    with pytest.raises(UsageError, match="twice"):
        plan_round([eng("a@x"), eng("a@x")], today=TODAY, rng=None)


def test_starts_must_be_timezone_aware() -> None:
    with pytest.raises(UsageError):
        plan_round(team(1, 1), starts=[datetime(2027, 2, 1, 11), datetime(2027, 2, 3, 11)], today=TODAY,
                   rng=None)


def test_solve_pattern_reports_greedy_as_not_exhaustive_beyond_budget() -> None:
    t0 = datetime(2027, 2, 1, 16, tzinfo=UTC)
    week = timedelta(weeks=1)
    a = tuple((t0 + i * week, t0 + (i + 1) * week) for i in range(4))
    b = tuple((t0 + timedelta(days=2) + i * week, t0 + timedelta(days=2) + (i + 1) * week) for i in range(4))
    problem = PlacementProblem((a, b), ((0, 0), (0,)), ((0, 0), (0, 0, 0)))
    exact, greedy = solve_pattern(problem), solve_pattern(problem, budget=0)
    assert exact.exhaustive and not greedy.exhaustive
    assert exact.pairs == greedy.pairs == 0
