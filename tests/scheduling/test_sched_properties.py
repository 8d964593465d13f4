"""Properties of the planner, with brute force as the judge on small instances."""

from __future__ import annotations

import itertools
import json
import os
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_cli.scheduling import planner, rules
from oncall_cli.scheduling.model import Engineer, Plan, RoundSettings, Shift
from oncall_cli.scheduling.planner import (
    PlacementProblem,
    count_pairs,
    overlap_edges,
    pattern_feasible,
    plan_round,
    plan_to_json,
    solve_pattern,
)

NY = "America/New_York"
Z = ZoneInfo(NY)
S = RoundSettings()
TODAY = date(2027, 1, 28)
ROUND = date(2027, 2, 1)
ZONES = [NY, "America/Detroit", "America/Chicago", "Europe/London"]
# SCHED_EXAMPLES=5000 for a long hunt; the suite itself stays fast. No example database in the tree.
FAST = settings(max_examples=int(os.environ.get("SCHED_EXAMPLES", "80")), deadline=None, database=None)


@st.composite
def rosters(draw: st.DrawFn, max_size: int = 9) -> list[Engineer]:
    n = draw(st.integers(1, max_size))
    people = []
    for i in range(n):
        kind = draw(st.sampled_from(["old", "old", "old", "recent", "hire", "future"]))
        start = {"old": date(2024, 1, 1),
                 "recent": ROUND - timedelta(days=draw(st.integers(61, 95))),
                 "hire": ROUND - timedelta(days=draw(st.integers(1, 60))),
                 "future": ROUND + timedelta(days=draw(st.integers(0, 20)))}[kind]
        away: tuple[tuple[date, date], ...] = ()
        if draw(st.integers(0, 3)) == 0:
            lo = ROUND + timedelta(days=draw(st.integers(-5, 40)))
            away = ((lo, lo + timedelta(days=draw(st.integers(0, 14)))),)
        people.append(Engineer(f"u{i}@x", f"U{i}", draw(st.sampled_from(ZONES)), start,
                               new=draw(st.sampled_from([None, None, None, True, False])), unavailable=away))
    return people


@st.composite
def previous_shifts(draw: st.DrawFn, people: list[Engineer]) -> list[Shift]:
    if not people or draw(st.booleans()):
        return []
    user = draw(st.sampled_from([e.email for e in people] + ["gone@x"]))
    return [Shift("rot-b", user, datetime(2027, 1, 27, 11, tzinfo=Z), datetime(2027, 2, 3, 11, tzinfo=Z))]


def _scores(plan: Plan) -> tuple[int, int]:
    return (sum(v.rule == "R7" for v in plan.violations), sum(v.rule == "R9" for v in plan.violations))


def _brute_force(plan: Plan, people: list[Engineer], previous: list[Shift],
                 current: frozenset[str] | None) -> tuple[int, int] | None:
    """Best (new-new pairs, PTO clashes) over every order of every rotation, for the plan's split."""
    by = {e.email: e for e in people}
    round_day = min(r.start for r in plan.rotations).astimezone(Z).date()
    new = {e.email: rules.is_new(e, round_day, S, current) for e in people}
    slots = [[(s.start, s.end) for s in sorted(plan.shifts, key=lambda s: s.index) if s.rotation == r.name]
             for r in plan.rotations]
    prev_new = [s for s in previous if new.get(s.user)]
    edges = overlap_edges([[(a.astimezone(UTC), b.astimezone(UTC)) for a, b in g] for g in slots])
    per_group: list[dict[frozenset[int], tuple[int, int]]] = []  # new-position mask -> (fixed pairs, clashes)
    for g, rotation in enumerate(plan.rotations):
        best: dict[frozenset[int], tuple[int, int]] = {}
        for order in itertools.permutations([u for u in rotation.participants if u]):
            if any(not rules.may_take(by[u], slots[g][p][0], S) for p, u in enumerate(order)):
                continue
            mask = frozenset(p for p, u in enumerate(order) if new[u])
            fixed = sum(1 for p, u in enumerate(order) if new[u] for s in prev_new
                        if s.start < slots[g][p][1] and slots[g][p][0] < s.end
                        and rules.group_of(s.rotation) != rotation.group)
            clashes = sum(1 for p, u in enumerate(order) if rules.unavailable_during(by[u], *slots[g][p]))
            if mask not in best or (fixed, clashes) < best[mask]:
                best[mask] = (fixed, clashes)
        per_group.append(best)
    result: tuple[int, int] | None = None
    for masks in itertools.product(*(list(g.items()) for g in per_group)):
        chosen = [m for m, _ in masks]
        pairs = sum(1 for g, p, h, q in edges if p in chosen[g] and q in chosen[h])
        score = (pairs + sum(f for _, (f, _) in masks), sum(c for _, (_, c) in masks))
        result = score if result is None or score < result else result
    return result


@FAST
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), split=st.sampled_from([1, 2, 2, 2, 3]))
def test_plans_keep_every_rule_and_are_optimal_against_brute_force(data: st.DataObject, seed: int,
                                                                   split: int) -> None:
    people = data.draw(rosters())
    previous = data.draw(previous_shifts(people))
    current = data.draw(st.sampled_from([None, frozenset(e.email for e in people[::2])]))
    try:
        plan = plan_round(people, split=split, today=TODAY, rng=random.Random(seed), previous=previous,
                          current_participants=current)
    except Exception as exc:  # too few engineers for the split is the only accepted failure
        assert "cannot fill" in str(exc)
        return
    placed = [u for r in plan.rotations for u in r.participants]
    deferred = [d.user for d in plan.deferred]
    # [R1][R2] everyone exactly once: on call once, or deferred with a reason.
    assert sorted(placed + deferred) == sorted(e.email for e in people)
    assert all(d.reason.startswith(f"[{d.rule}]") for d in plan.deferred)
    # [R3][R4] balanced within one, A holds as many Eastern engineers as it can.
    sizes = [len(r.participants) for r in plan.rotations]
    assert max(sizes) - min(sizes) <= 1
    by = {e.email: e for e in people}
    eastern = [u for u in placed if rules.is_eastern(by[u].timezone)]
    a_eastern = [u for u in plan.rotations[0].participants if u in eastern]
    assert len(a_eastern) == min(len(eastern), sizes[0])
    # [R6] every shift more than 60 days after its engineer's start.
    assert all(rules.may_take(by[s.user], s.start, S) for s in plan.shifts if s.user)
    # [R7][R9] no avoidable new-new pair; then no avoidable PTO clash.
    best = _brute_force(plan, people, previous, current)
    assert best is not None
    assert _scores(plan)[0] == best[0]
    assert _scores(plan) == best
    assert _scores(plan) == _actual(plan, people, previous, current)  # warnings name what is really there
    # [R5] the same seed gives the same plan, byte for byte.
    again = plan_round(list(people), split=split, today=TODAY, rng=random.Random(seed), previous=previous,
                       current_participants=current)
    assert json.dumps(plan_to_json(plan)) == json.dumps(plan_to_json(again))


@st.composite
def problems(draw: st.DrawFn) -> PlacementProblem:
    """Arbitrary interleavings: 2-3 groups, different shift lengths and offsets, thresholds, fixed pairs."""
    groups = draw(st.integers(2, 3))
    t0 = datetime(2027, 2, 1, tzinfo=UTC)
    slots, new_t, old_t, fixed = [], [], [], []
    for _ in range(groups):
        n = draw(st.integers(1, 6))
        unit = timedelta(hours=draw(st.sampled_from([24, 48, 72, 168])))
        begin = t0 + timedelta(hours=draw(st.integers(0, 200)))
        slots.append(tuple((begin + unit * i, begin + unit * (i + 1)) for i in range(n)))
        k = draw(st.integers(0, n))
        news = sorted(draw(st.integers(0, n - 1)) for _ in range(k))
        news = [min(t, i) for i, t in enumerate(news)]  # keep Hall's condition satisfiable
        new_t.append(tuple(news))
        old_t.append(tuple([0] * (n - k)))
        fixed.append(tuple(draw(st.integers(0, 1)) if i < 2 else 0 for i in range(n)))
    return PlacementProblem(tuple(slots), tuple(new_t), tuple(old_t), tuple(fixed))


def _best_pairs(problem: PlacementProblem) -> int | None:
    choices = [itertools.combinations(range(len(g)), len(problem.new_thresholds[i]))
               for i, g in enumerate(problem.slots)]
    best = None
    for combo in itertools.product(*(list(c) for c in choices)):
        if pattern_feasible(problem, combo):
            pairs = count_pairs(problem, combo)
            best = pairs if best is None else min(best, pairs)
    return best


@FAST
@given(problem=problems())
def test_R7_pattern_search_is_exact_against_brute_force(problem: PlacementProblem) -> None:
    best = _best_pairs(problem)
    exact = solve_pattern(problem)
    assert exact.exhaustive and pattern_feasible(problem, exact.new_slots)
    assert exact.pairs == count_pairs(problem, exact.new_slots) == best
    greedy = solve_pattern(problem, budget=0)
    assert not greedy.exhaustive and pattern_feasible(problem, greedy.new_slots)
    assert greedy.pairs == count_pairs(problem, greedy.new_slots) >= exact.pairs


def _actual(plan: Plan, people: list[Engineer], previous: list[Shift],
            current: frozenset[str] | None) -> tuple[int, int]:
    """New-new overlaps and PTO clashes really present in a plan, counted independently of the planner."""
    by = {e.email: e for e in people}
    round_day = min(r.start for r in plan.rotations).astimezone(Z).date()
    new = {e.email: rules.is_new(e, round_day, S, current) for e in people}
    group = {r.name: r.group for r in plan.rotations}
    shifts = [s for s in plan.shifts if s.user]
    pairs = sum(1 for i, s in enumerate(shifts) for t in shifts[i + 1:]
                if group[s.rotation] != group[t.rotation] and new[s.user or ""] and new[t.user or ""]
                and s.start < t.end and t.start < s.end)
    pairs += sum(1 for s in shifts for p in previous if p.user in new and new[p.user] and new[s.user or ""]
                 and rules.group_of(p.rotation) != group[s.rotation] and s.start < p.end and p.start < s.end)
    clashes = sum(1 for s in shifts if rules.unavailable_during(by[s.user or ""], s.start, s.end))
    return pairs, clashes


@pytest.mark.parametrize("tier", ["R7 exact, PTO by assignment", "greedy"])
@FAST
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), split=st.sampled_from([1, 2, 2, 3]))
def test_fallback_searches_stay_valid_and_never_hide_a_problem(tier: str, data: st.DataObject, seed: int,
                                                               split: int) -> None:
    people = data.draw(rosters())
    previous = data.draw(previous_shifts(people))
    saved = planner.DP_BUDGET, planner.SPECIALS_BUDGET
    planner.SPECIALS_BUDGET = 0
    planner.DP_BUDGET = 0 if tier == "greedy" else saved[0]
    try:
        plan = plan_round(people, split=split, today=TODAY, rng=random.Random(seed), previous=previous)
    except Exception as exc:
        assert "cannot fill" in str(exc)
        return
    finally:
        planner.DP_BUDGET, planner.SPECIALS_BUDGET = saved
    by = {e.email: e for e in people}
    placed = [u for r in plan.rotations for u in r.participants]
    assert sorted(placed + [d.user for d in plan.deferred]) == sorted(e.email for e in people)
    assert all(rules.may_take(by[s.user], s.start, S) for s in plan.shifts if s.user)
    # Every pair and clash actually in the plan is warned, and nothing else.
    assert _scores(plan) == _actual(plan, people, previous, None)
    best = _brute_force(plan, people, previous, None)
    assert best is not None
    if tier == "greedy":
        assert _scores(plan)[0] >= best[0]
        assert all("not exhaustive" in v.message for v in plan.violations if v.rule == "R7")
    else:
        assert _scores(plan)[0] == best[0]
        assert _scores(plan) >= best
