"""`schedule new` at scale: the whole command against `python -c pass`, where its time goes, and the planner.

    .venv/bin/python benchmarks/schedule.py [--rounds 15] [--runs 5] [--sizes 100,1000,10000] [--baseline DIR]

1. `oncall schedule new --roster FILE --start 2027-02-01 --seed 1 --json` on rosters of 1,000 and 10,000
   engineers, run in a subprocess interleaved with `python -c pass` (medians; 1,000 as a multiple of the
   bare interpreter, 10,000 in seconds). `--baseline DIR` also runs the command on the sources in DIR/src,
   interleaved in the same rounds (before and after under the same load).
2. Where the 10,000-engineer run spends its time, measured in-process: reading the roster (TOML parse and
   checks), the planner, building the JSON document, rendering it, and redaction.
3. `plan_round` alone on synthetic rosters. Rosters have ~10% new hires (started within 90 days of the
   round, so R6/R7 apply) and ~3% engineers with a PTO range inside the round (R9). The "exactness" row is
   the documented promise: 200 engineers, 20 new, searched exhaustively; the "stress" row has half the team
   new. The last column says which search ran.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import tomli
import tomli_w

from oncall_cli.cli.output import to_json
from oncall_cli.config import load_settings
from oncall_cli.redaction import redact, register_secret
from oncall_cli.scheduling import planner
from oncall_cli.scheduling.model import Engineer, Plan
from oncall_cli.scheduling.planner import Pattern, PlacementProblem, plan_to_json
from oncall_cli.scheduling.roster import parse_roster
from oncall_cli.services.context import Context, Deps
from oncall_cli.services.schedule import plan_new_round

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


def roster_toml(people: list[Engineer]) -> str:
    """A roster file as a team would write it (examples/roster.toml), for `people`."""
    entries: list[dict[str, Any]] = []
    for e in people:
        entry: dict[str, Any] = {"email": e.email, "name": e.name, "timezone": e.timezone,
                                 "start_date": e.start_date, "team": "platform",
                                 "manager": "lead@example.com"}
        if e.unavailable:
            entry["unavailable"] = [list(r) for r in e.unavailable]
        entries.append(entry)
    return tomli_w.dumps({"engineers": entries})


def _environment(home: Path) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE would compile every module from source on every run: a user's install has
    # its .pyc files, so the warm-up run writes them here too.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCALL_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    env["HOME"] = str(home)
    return env


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} ... exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return elapsed


def command_figures(rounds: int, home: Path, rosters: dict[int, Path], baseline: Path | None) -> None:
    """`oncall schedule new --roster` in a subprocess, interleaved with `python -c pass`."""
    oncall = shutil.which("oncall", path=str(Path(sys.executable).parent)) or "oncall"
    env = _environment(home)
    bare = [sys.executable, "-c", "pass"]
    variants = [("", env)]
    if baseline is not None:
        variants.append((" [baseline]", {**env, "PYTHONPATH": str(baseline.resolve() / "src")}))

    def command(path: Path) -> list[str]:
        return [oncall, "schedule", "new", "--roster", str(path), "--start", ROUND.isoformat(), "--seed", "1",
                "--json"]

    runs = [(size, f"{size:,} engineers{tag}", command(path), variant_env)
            for size, path in rosters.items() for tag, variant_env in variants]
    times: dict[str, list[float]] = {"bare": [], **{label: [] for _, label, _, _ in runs}}
    for _, _, cmd, variant_env in runs:
        _time(cmd, variant_env)  # warm-up: the .pyc files, the file cache
    for i in range(rounds):
        times["bare"].append(_time(bare, env))
        for size, label, cmd, variant_env in runs:
            if size <= 1000 or i < max(5, rounds // 3):  # 10,000 is slow: fewer rounds (at least 5)
                times[label].append(_time(cmd, variant_env))
    base = statistics.median(times["bare"])
    print(f"schedule new --roster --json: medians of interleaved rounds ({rounds} for python -c pass)")
    print(f"{'command':<40}{'rounds':>7}{'median s':>10}{'x bare':>8}  goal")
    print(f"{'python -c pass':<40}{len(times['bare']):>7}{base:>10.3f}{1:>8.2f}")
    goals = {1000: "<= 6x bare", 10000: "<= 0.8 s"}
    for size, label, _, _ in runs:
        median = statistics.median(times[label])
        print(f"{label:<40}{len(times[label]):>7}{median:>10.3f}{median / base:>8.2f}  {goals.get(size, '')}")


def breakdown(path: Path, home: Path, runs: int) -> None:
    """Where one `schedule new --roster ... --json` spends its time, in-process (medians of `runs`)."""
    text = path.read_text(encoding="utf-8")
    settings = load_settings(profile="default", path=home / "config.toml", env={})
    register_secret("s3cr3t-opsgenie-api-key")  # as a configured profile would
    steps: dict[str, list[float]] = {}

    def timed(label: str, call: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = call()
        steps.setdefault(label, []).append(time.perf_counter() - start)
        return value

    start = datetime(2027, 1, 28, 12, tzinfo=UTC)
    for _ in range(runs):
        data = timed("TOML parse (tomli, as load_roster)", lambda: tomli.loads(text))
        timed("roster checks (parse_roster)", lambda data=data: parse_roster(data, str(path)))
        context = Context(settings, Deps(now=lambda: start, env={}))
        inputs = timed("plan_new_round (reads the roster too)", lambda context=context: plan_new_round(
            context, roster=path, start=ROUND, seed=1))
        document = timed("plan_to_json", lambda inputs=inputs: plan_to_json(inputs.plan))
        rendered = timed("JSON render (to_json)", lambda document=document: to_json(document))
        timed("redaction (redact)", lambda rendered=rendered: redact(rendered))
    print(f"where {path.stem} spends its time, in-process (medians of {runs} runs):")
    for label, values in steps.items():
        print(f"  {label:<42}{statistics.median(values):>8.3f} s")


def search_figures(sizes: str, runs: int) -> None:
    cases = [(f"{n:,} engineers", n, n // 10, max(1, n * 3 // 100)) for n in map(int, sizes.split(","))]
    cases.append(("exactness: 200 / 20 new", 200, 20, 6))
    cases.append(("stress: 1,000 / 50% new", 1000, 500, 30))
    header = f"{'case':<26}{'new':>6}{'pto':>6}{'median s':>10}{'placed':>8}{'deferred':>9}" \
             f"{'R7 pairs':>9}{'R9 warn':>8}  search"
    print(header)
    print("-" * len(header))
    for label, size, new, pto in cases:
        runs_here = runs if size <= 1000 else max(1, min(runs, 3))
        seconds, plan, patterns = run(roster(size, new, pto), runs_here)
        placed = sum(len(r.participants) for r in plan.rotations)
        pairs = sum(1 for v in plan.violations if v.rule == "R7")
        clashes = sum(1 for v in plan.violations if v.rule == "R9")
        last = patterns[-1]
        search = "exact DP" if last.exhaustive else "greedy (not exhaustive)"
        if last.exhaustive and not last.special_slots:
            search += ", PTO by assignment"
        print(f"{label:<26}{new:>6}{pto:>6}{seconds:>10.3f}{placed:>8}{len(plan.deferred):>9}{pairs:>9}"
              f"{clashes:>8}  {search}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds of the command figures")
    parser.add_argument("--runs", type=int, default=5, help="runs of the in-process figures")
    parser.add_argument("--sizes", default="100,1000,10000", help="team sizes of the planner figures")
    parser.add_argument("--baseline", type=Path, help="a checkout whose src/ to time as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        rosters = {}
        for size in (1000, 10000):
            rosters[size] = home / f"roster-{size}.toml"
            rosters[size].write_text(roster_toml(roster(size, size // 10, size * 3 // 100)), encoding="utf-8")
        command_figures(args.rounds, home, rosters, args.baseline)
        print()
        breakdown(rosters[10000], home, max(1, min(args.runs, 3)))
    print()
    search_figures(args.sizes, args.runs)


if __name__ == "__main__":
    main()
