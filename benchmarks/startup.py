"""Start-up benchmark: `oncall` commands as a user runs them, timed against a bare `python -c pass`.

Every round runs each command once, in turn, so that a noisy neighbour slows the baseline as much as the
commands; the figure printed is the median of the rounds divided by the median of `python -c pass` in the
same run. The sandbox commands use a temporary data folder seeded before timing starts (seeding is not
what a user waits for after the first run).

Run: .venv/bin/python benchmarks/startup.py [--rounds 15] [--baseline DIR]

`--baseline DIR` also runs every command on the sources in DIR/src (e.g. `git archive <commit> src | tar -x
-C DIR`), interleaved in the same rounds, to print before and after figures measured under the same load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# (label, arguments after `oncall`, goal as a multiple of `python -c pass`)
COMMANDS: list[tuple[str, list[str], float]] = [
    ("oncall --help", ["--help"], 3),
    ("oncall incident raise --help", ["incident", "raise", "--help"], 4),
    ("oncall schedule new --help", ["schedule", "new", "--help"], 4),
    ("oncall --sandbox whoisoncall --json", ["--sandbox", "whoisoncall", "--json"], 10),
    ("oncall --sandbox schedule show", ["--sandbox", "schedule", "show"], 10),
]


def _environment(home: Path) -> dict[str, str]:
    """The user's environment with every folder `oncall` reads or writes moved under `home`."""
    # PYTHONDONTWRITEBYTECODE would compile every module from source on every run: a user's install has
    # its .pyc files, so the warm-up run writes them here too.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCALL_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    env["HOME"] = str(home)
    env["COLUMNS"] = "100"
    return env


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--baseline", type=Path, help="a checkout whose src/ to time as well")
    args = parser.parse_args()
    oncall = shutil.which("oncall", path=str(Path(sys.executable).parent)) or "oncall"
    bare = [sys.executable, "-c", "pass"]
    with tempfile.TemporaryDirectory() as tmp:
        env = _environment(Path(tmp))
        variants = [("", env)]
        if args.baseline is not None:
            variants.append((" [baseline]", {**env, "PYTHONPATH": str(args.baseline.resolve() / "src")}))
        runs = [(f"{label}{tag}", [oncall, *words], goal, variant_env)
                for label, words, goal in COMMANDS for tag, variant_env in variants]
        for _, cmd, _, variant_env in runs:  # seeds the sandbox, warms the file cache, writes the .pyc files
            _time(cmd, variant_env)
        times: dict[str, list[float]] = {"python -c pass": [], **{label: [] for label, *_ in runs}}
        for _ in range(args.rounds):
            times["python -c pass"].append(_time(bare, env))
            for label, cmd, _, variant_env in runs:
                times[label].append(_time(cmd, variant_env))
    base = statistics.median(times["python -c pass"])
    print(f"start-up: medians of {args.rounds} interleaved rounds, as multiples of `python -c pass`")
    print(f"{'command':<52}{'median ms':>10}{'x bare':>8}{'goal':>7}")
    print(f"{'python -c pass':<52}{base * 1000:>10.1f}{1:>8.2f}")
    for label, _, goal, _ in runs:
        median = statistics.median(times[label])
        print(f"{label:<52}{median * 1000:>10.1f}{median / base:>8.2f}{f'<= {goal:g}':>7}")


if __name__ == "__main__":
    main()
