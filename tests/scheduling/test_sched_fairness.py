"""Fairness over time (issue 12, item 13): [R12] those on call most recently go last, [R13] engineers of one
product team are not paired when avoidable. Brute force over every order judges small rosters."""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_cli.scheduling import planner, rules
from oncall_cli.scheduling.check import check_schedule
from oncall_cli.scheduling.model import Engineer, Plan, Rotation, RoundSettings, Shift
from oncall_cli.scheduling.planner import overlap_edges, plan_round, plan_to_json

NY = "America/New_York"
Z = ZoneInfo(NY)
S = RoundSettings()
TODAY = date(2027, 1, 28)
START = datetime(2027, 2, 1, 11, tzinfo=Z)
ZONES = [NY, "America/Detroit", "America/Chicago", "Europe/London"]
VETERAN = date(2024, 1, 1)
FAST = settings(max_examples=int(os.environ.get("SCHED_EXAMPLES", "60")), deadline=None, database=None)


def _starts(split: int) -> tuple[datetime, ...]:
    return rules.starts_from_date(START.date(), S, split)


def _slots(plan: Plan) -> list[list[tuple[datetime, datetime]]]:
    return [[(s.start.astimezone(UTC), s.end.astimezone(UTC))
             for s in sorted(plan.shifts, key=lambda s: s.index) if s.rotation == r.name]
            for r in plan.rotations]


def _gaps(plan: Plan, last: dict[str, datetime]) -> dict[str, timedelta]:
    return {s.user: s.start.astimezone(UTC) - last[s.user].astimezone(UTC)
            for s in plan.shifts if s.user in last}


# [R12] -----------------------------------------------------------------------------------------------


def test_R12_those_on_call_most_recently_go_last() -> None:
    people = [Engineer(f"e{i}@x", f"E{i}", NY, VETERAN, new=False) for i in range(4)]
    # e0 ended a shift the Monday the round starts, e1 a week before, e2 three weeks before; e3 never.
    last = {"e0@x": START, "e1@x": START - timedelta(weeks=1), "e2@x": START - timedelta(weeks=3)}
    plan = plan_round(people, split=1, starts=_starts(1), today=TODAY, rng=random.Random(1),
                      last_on_call=last)
    assert plan.rotations[0].participants == ("e3@x", "e2@x", "e1@x", "e0@x")
    assert not [w for w in plan.warnings if w.startswith("[R12]")]


def test_R12_warns_when_no_order_gives_half_a_round() -> None:
    people = [Engineer(f"e{i}@x", f"E{i}", NY, VETERAN, new=False) for i in range(2)]
    last = {"e0@x": START, "e1@x": START}
    plan = plan_round(people, split=1, starts=_starts(1), today=TODAY, rng=None, last_on_call=last)
    found = [v for v in plan.violations if v.rule == "R12"]
    assert [v.subjects for v in found] == [("e0@x",)]
    assert "no order of the round avoids it" in found[0].message


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Engineer], dict[str, datetime]]:
    n = draw(st.integers(1, 8))
    people = [Engineer(f"u{i}@x", f"U{i}", draw(st.sampled_from(ZONES)), VETERAN, new=False)
              for i in range(n)]
    last = {e.email: START - timedelta(days=draw(st.integers(0, 70)), hours=draw(st.integers(0, 23)))
            for e in people if draw(st.integers(0, 3))}
    return people, last


@FAST
@given(history=histories(), seed=st.integers(0, 2**32 - 1), split=st.sampled_from([1, 2, 2, 3]))
def test_R12_recency_order_is_optimal_against_brute_force(history: tuple[list[Engineer], dict[str, datetime]],
                                                          seed: int, split: int) -> None:
    people, last = history
    if len(people) < split:
        return
    plan = plan_round(people, split=split, starts=_starts(split), today=TODAY, rng=random.Random(seed),
                      last_on_call=last)
    slots = _slots(plan)
    best_count, best_min = 0, None
    for g, rotation in enumerate(plan.rotations):
        need = rules.recency_need(len(rotation.participants))
        count, worst = len(rotation.participants) + 1, None
        order: tuple[str | None, ...]
        for order in itertools.permutations(rotation.participants):
            gaps = [slots[g][p][0] - last[u].astimezone(UTC) for p, u in enumerate(order) if u in last]
            count = min(count, sum(gap < need for gap in gaps))
            if gaps and (worst is None or min(gaps) > worst):
                worst = min(gaps)
        best_count += count
        if worst is not None:
            best_min = worst if best_min is None else min(best_min, worst)
    gaps = _gaps(plan, last)
    assert min(gaps.values(), default=None) == best_min
    warned = [v for v in plan.violations if v.rule == "R12"]
    assert len(warned) == best_count
    sizes = {r.name: len(r.participants) for r in plan.rotations}
    assert len(warned) == sum(1 for s in plan.shifts if s.user in last
                              and not rules.keeps_recency(last[s.user], s.start, sizes[s.rotation]))


# [R13] -----------------------------------------------------------------------------------------------


@st.composite
def teams(draw: st.DrawFn, max_size: int = 8) -> list[Engineer]:
    n = draw(st.integers(2, max_size))
    return [Engineer(f"u{i}@x", f"U{i}", draw(st.sampled_from(ZONES)), VETERAN,
                     new=draw(st.sampled_from([False, False, True])),
                     team=draw(st.sampled_from(["core", "core", "web", "Data", None])))
            for i in range(n)]


def _pairs(order: Sequence[Sequence[str | None]], edges: Sequence[tuple[int, int, int, int]],
           by: dict[str, Engineer]) -> tuple[int, int]:
    """(new-new pairs, same-team pairs) of one order of every rotation."""
    new = team = 0
    for g, p, h, q in edges:
        a, b = by[order[g][p] or ""], by[order[h][q] or ""]
        new += bool(a.new and b.new)
        team += rules.same_team(a, b)
    return new, team


@FAST
@given(people=teams(), seed=st.integers(0, 2**32 - 1), split=st.sampled_from([2, 2, 2, 3]))
def test_R13_no_avoidable_same_team_pair_against_brute_force(people: list[Engineer], seed: int,
                                                             split: int) -> None:
    if len(people) < split:
        return
    plan = plan_round(people, split=split, starts=_starts(split), today=TODAY, rng=random.Random(seed))
    by = {e.email: e for e in people}
    edges = overlap_edges(_slots(plan))
    got = _pairs([r.participants for r in plan.rotations], edges, by)
    best = min(_pairs(order, edges, by) for order in
               itertools.product(*(itertools.permutations(r.participants) for r in plan.rotations)))
    assert got == best  # R7 first, then R13: no avoidable new-new pair, then no avoidable team pair
    assert sum(v.rule == "R13" for v in plan.violations) == got[1]
    assert sum(v.rule == "R7" for v in plan.violations) == got[0]


@FAST
@given(people=teams(max_size=12), seed=st.integers(0, 2**32 - 1))
def test_R13_local_repair_beyond_the_budget_never_adds_a_pair(people: list[Engineer], seed: int) -> None:
    plan = plan_round([Engineer(e.email, e.name, e.timezone, e.start_date, e.new) for e in people],
                      starts=_starts(2), today=TODAY, rng=random.Random(seed))
    by = {e.email: e for e in people}
    slots = _slots(plan)
    before = [r.participants for r in plan.rotations]
    newness = {e.email: bool(e.new) for e in people}
    previous_teams = [[() for _ in g] for g in slots]
    after, exact = planner.spread_teams([tuple(u or "" for u in r) for r in before], slots, newness, {},
                                        frozenset(), [[0] * len(g) for g in slots], previous_teams, by,
                                        budget=0)
    if len({rules.team_key(by.get(u or "")) for g in before for u in g}) < 2:
        # One team (or none) for everyone: no order changes a pair, so the order is kept, exactly.
        assert exact and after == [tuple(u or "" for u in g) for g in before]
        return
    assert not exact
    edges = overlap_edges(slots)
    old, new = _pairs(before, edges, by), _pairs(after, edges, by)
    assert new[0] == old[0] and new[1] <= old[1]
    assert [sorted(g) for g in after] == [sorted(u or "" for u in g) for g in before]
    assert all(newness[u] == newness[v] for g, h in zip(before, after, strict=True)
               for u, v in zip(g, h, strict=True) if u)


def test_R13_ignore_plans_as_if_nobody_had_a_team() -> None:
    people = [Engineer(f"e{i}@x", f"E{i}", NY if i < 3 else "Europe/London", VETERAN, new=False,
                       team="core" if i % 2 else "web") for i in range(6)]
    ignore = RoundSettings(avoid_same_team=False)
    blind = [Engineer(e.email, e.name, e.timezone, e.start_date, e.new) for e in people]
    for seed in range(20):
        plan = plan_round(people, ignore, starts=_starts(2), today=TODAY, rng=random.Random(seed))
        same = plan_round(blind, ignore, starts=_starts(2), today=TODAY, rng=random.Random(seed))
        assert plan_to_json(plan) == plan_to_json(same)
        assert not [v for v in plan.violations if v.rule == "R13"]


def test_R13_a_pairing_seeded_orders_would_make_is_avoided() -> None:
    """A: two of core, two of web; B: the same. Many shuffles pair core with core; the plan never does."""
    people = [Engineer(f"a{i}@x", f"A{i}", NY, VETERAN, new=False, team=["core", "web"][i // 2])
              for i in range(4)]
    people += [Engineer(f"b{i}@x", f"B{i}", "Europe/London", VETERAN, new=False,
                        team=["core", "data"][i // 2]) for i in range(4)]
    by = {e.email: e for e in people}
    paired_before = 0
    for seed in range(12):
        plan = plan_round(people, starts=_starts(2), today=TODAY, rng=random.Random(seed))
        edges = overlap_edges(_slots(plan))
        assert _pairs([r.participants for r in plan.rotations], edges, by) == (0, 0)
        shuffled = plan_round(people, RoundSettings(avoid_same_team=False), starts=_starts(2), today=TODAY,
                              rng=random.Random(seed))
        paired_before += _pairs([r.participants for r in shuffled.rotations], edges, by)[1] > 0
    assert paired_before  # the rule is what avoids it


def test_R13_check_reports_two_engineers_of_one_team_in_both_seats() -> None:
    people = [Engineer("a@x", "A", NY, VETERAN, team="Core"), Engineer("b@x", "B", NY, VETERAN, team="core"),
              Engineer("c@x", "C", NY, VETERAN, team="web"), Engineer("d@x", "D", NY, VETERAN)]
    rotations = [Rotation("rot-a", START, ("a@x", "c@x")),
                 Rotation("rot-b", START + timedelta(days=2), ("b@x", "d@x"))]
    now = START + timedelta(days=3)
    found = [v for v in check_schedule(rotations, [], people, S, now, timedelta(weeks=1)) if v.rule == "R13"]
    assert [v.subjects for v in found] == [("a@x", "b@x")]
    assert "team Core" in found[0].message
    off = check_schedule(rotations, [], people, RoundSettings(avoid_same_team=False), now, timedelta(weeks=2))
    assert not [v for v in off if v.rule == "R13"]


def test_R12_check_reports_a_new_round_starting_too_soon_after_the_last_shift() -> None:
    """rot-a (6 weeks) hands over to rot-a-next; e5 held rot-a's last week and is second in rot-a-next: 1
    week after their last shift, more than min_gap_weeks=1 but less than half the 6-week round."""
    emails = [f"e{i}@x" for i in range(6)]
    old = Rotation("rot-a", START - timedelta(weeks=6), tuple(emails), end=START)
    new = Rotation("rot-a-next", START, ("e0@x", "e5@x", "e1@x", "e2@x", "e3@x", "e4@x"))
    settings_ = RoundSettings(min_gap_weeks=1)
    found = check_schedule([old, new], [], None, settings_, START - timedelta(days=1), timedelta(weeks=8),
                           groups=["A"])
    r12 = [v for v in found if v.rule == "R12"]
    assert [v.subjects for v in r12] == [("e5@x",)]
    assert not [v for v in found if v.rule == "R11" and v.subjects == ("e5@x",)]
    assert "half the 6-week round" in r12[0].message


def test_R12_and_R13_are_judged_by_schedule_check() -> None:
    from oncall_cli.scheduling.check import CHECKED_RULES

    assert {"R12", "R13"} <= {rule for rule, _ in CHECKED_RULES}


def test_R12_previous_round_shifts_count_as_last_on_call() -> None:
    people = [Engineer(f"e{i}@x", f"E{i}", NY, VETERAN, new=False) for i in range(3)]
    previous = [Shift("rot-a", "e0@x", START - timedelta(weeks=1), START)]
    plan = plan_round(people, split=1, starts=_starts(1), today=TODAY, rng=None, previous=previous)
    assert plan.rotations[0].participants[-1] == "e0@x"
