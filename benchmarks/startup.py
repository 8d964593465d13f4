"""Start-up benchmark: `oncall` commands as a user runs them, timed against a bare `python -c pass`.

Every round runs each command once, in turn, so that a noisy neighbour slows the baseline as much as the
commands; the figure printed is the median of the rounds divided by the median of `python -c pass` in the
same run. The sandbox commands use a temporary data folder seeded before timing starts (seeding is not
what a user waits for after the first run).

Run: .venv/bin/python benchmarks/startup.py [rounds]
"""

from __future__ import annotations

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
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCALL_")}
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
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    oncall = shutil.which("oncall", path=str(Path(sys.executable).parent)) or "oncall"
    bare = [sys.executable, "-c", "pass"]
    with tempfile.TemporaryDirectory() as tmp:
        env = _environment(Path(tmp))
        for _, args, _ in COMMANDS:  # seeds the sandbox, warms the file cache and the .pyc files
            _time([oncall, *args], env)
        times: dict[str, list[float]] = {"python -c pass": []}
        for label, _, _ in COMMANDS:
            times[label] = []
        for _ in range(rounds):
            times["python -c pass"].append(_time(bare, env))
            for label, args, _ in COMMANDS:
                times[label].append(_time([oncall, *args], env))
    base = statistics.median(times["python -c pass"])
    print(f"start-up: medians of {rounds} interleaved rounds, as multiples of `python -c pass`")
    print(f"{'command':<40}{'median ms':>10}{'x bare':>8}{'goal':>7}")
    print(f"{'python -c pass':<40}{base * 1000:>10.1f}{1:>8.2f}")
    for label, _, goal in COMMANDS:
        median = statistics.median(times[label])
        print(f"{label:<40}{median * 1000:>10.1f}{median / base:>8.2f}{f'<= {goal:g}':>7}")


if __name__ == "__main__":
    main()
