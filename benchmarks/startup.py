"""Start-up benchmark: median wall time of `oncall --help` against a bare `python -c pass` (target: <= 3x).

Run: .venv/bin/python benchmarks/startup.py [runs]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_ms(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    oncall = shutil.which("oncall", path=str(Path(sys.executable).parent)) or "oncall"
    bare = median_ms([sys.executable, "-c", "pass"], runs)
    help_ = median_ms([oncall, "--help"], runs)
    full = median_ms([oncall, "config", "--help"], runs)
    print(f"runs per command:           {runs}")
    print(f"python -c pass:             {bare:7.1f} ms")
    print(f"oncall --help:              {help_:7.1f} ms  ({help_ / bare:.2f}x bare; target <= 3x)")
    print(f"oncall config --help:       {full:7.1f} ms  ({full / bare:.2f}x bare; loads Typer)")


if __name__ == "__main__":
    main()
