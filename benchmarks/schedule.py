"""Time `plan_round` on synthetic rosters and print a table of figures (a script, not a test).

    PYTHONPATH=src .venv/bin/python benchmarks/schedule.py [--runs 5] [--sizes 100,1000,10000]

Rosters have ~10% new hires (started within 90 days of the round, so R6/R7 apply) and ~3% engineers with a
PTO range inside the round (R9). The "exactness" row is the documented promise: 200 engineers, 20 new,
searched exhaustively; the "stress" row has half the team new. The last column says which search ran.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta

from oncall_cli.scheduling import planner
from oncall_cli.scheduling.model import Engineer, Plan
from oncall_cli.scheduling.planner import Pattern, PlacementProblem

ZONES = ["America/New_York", "America/Detroit", "America/Chicago", "Europe/London", "Europe/Berlin",
         "America/Los_Angeles", "America/Sao_Paulo"]
TODAY = date(2027, 1, 28)
ROUND = date(2027, 2, 1)


def roster(size: int, new: int, pto: int, seed: int = 1) -> list[Engineer]:
    rng = random.Random(seed)
    people = []
    for i in range(size):
        recent = i < new
        start = ROUND - timedelta(days=rng.randint(1, 90) if recent else rng.randint(120, 2500))
        away: tuple[tuple[date, date], ...] = ()
        if new <= i < new + pto:
            lo = ROUND + timedelta(days=rng.randint(0, 7 * min(size // 2, 52)))
            away = ((lo, lo + timedelta(days=rng.randint(3, 14))),)
        people.append(Engineer(f"eng{i:05d}@example.com", f"Engineer {i}", rng.choice(ZONES), start,
                               unavailable=away))
    rng.shuffle(people)
    return people


def run(people: list[Engineer], runs: int) -> tuple[float, Plan, list[Pattern]]:
    patterns: list[Pattern] = []
    original = planner.solve_pattern

    def spy(problem: PlacementProblem, budget: int = planner.DP_BUDGET) -> Pattern:
        pattern = original(problem, budget)
        patterns.append(pattern)
        return pattern

    planner.solve_pattern = spy
    try:
        times = []
        plan = None
        for seed in range(runs):
            began = time.perf_counter()
            plan = planner.plan_round(people, today=TODAY, rng=random.Random(seed))
            times.append(time.perf_counter() - began)
    finally:
        planner.solve_pattern = original
    assert plan is not None
    return statistics.median(times), plan, patterns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100,1000,10000")
    args = parser.parse_args()
    cases = [(f"{n:,} engineers", n, n // 10, max(1, n * 3 // 100)) for n in map(int, args.sizes.split(","))]
    cases.append(("exactness: 200 / 20 new", 200, 20, 6))
    cases.append(("stress: 1,000 / 50% new", 1000, 500, 30))
    header = f"{'case':<26}{'new':>6}{'pto':>6}{'median s':>10}{'placed':>8}{'deferred':>9}" \
             f"{'R7 pairs':>9}{'R9 warn':>8}  search"
    print(header)
    print("-" * len(header))
    for label, size, new, pto in cases:
        runs = args.runs if size <= 1000 else max(1, min(args.runs, 3))
        seconds, plan, patterns = run(roster(size, new, pto), runs)
        placed = sum(len(r.participants) for r in plan.rotations)
        pairs = sum(1 for v in plan.violations if v.rule == "R7")
        clashes = sum(1 for v in plan.violations if v.rule == "R9")
        last = patterns[-1]
        search = "exact DP" if last.exhaustive else "greedy (not exhaustive)"
        if last.exhaustive and not last.special_slots:
            search += ", PTO by assignment"
        print(f"{label:<26}{new:>6}{pto:>6}{seconds:>10.3f}{placed:>8}{len(plan.deferred):>9}{pairs:>9}"
              f"{clashes:>8}  {search}")


if __name__ == "__main__":
    main()
