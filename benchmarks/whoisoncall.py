"""whoisoncall latency benchmark: median wall time for 1 and 10 schedules against the in-process sandbox with
100 ms of injected latency on every Opsgenie request.

Schedules are read concurrently (one timeline call each), then the people on call (one user call each, also
concurrent), so the answer should take about two round trips (~200 ms) whatever the number of schedules;
read sequentially, 10 schedules would take 10 timeline calls plus the users (well over 1 s).

Run: .venv/bin/python benchmarks/whoisoncall.py [runs] [latency_ms]
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from oncall_cli.cli.main import app
from oncall_cli.config import load_settings
from oncall_cli.sandbox.base import json_col, new_uuid, next_seq
from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.sandbox.faults import Fault
from oncall_cli.services.context import Context, Deps
from oncall_cli.services.oncall import who_is_on_call

SCHEDULE = "Engineering_schedule"
ENV = {"ONCALL_OPSGENIE_API_KEY": "bench", "ONCALL_SLACK_TOKEN": "bench",
       "ONCALL_STATUSPAGE_API_KEY": "bench"}


def add_schedules(emulator: Emulator, count: int) -> list[str]:
    """`count` more schedules, each a copy of the seeded one's rotations (the emulator has no create-schedule
    operation, so they are written into its state directly)."""
    rng = random.Random(7)
    names = []
    with emulator.locked() as db:
        source = db.execute("SELECT id, data FROM opsgenie_schedules WHERE name = ?", (SCHEDULE,)).fetchone()
        rotations = db.execute("SELECT data FROM opsgenie_rotations WHERE schedule_id = ? ORDER BY seq",
                               (source["id"],)).fetchall()
        for i in range(count):
            name = f"Team{i + 1}_schedule"
            schedule_id = new_uuid(rng)
            db.execute("INSERT INTO opsgenie_schedules (id, name, data) VALUES (?, ?, ?)",
                       (schedule_id, name, source["data"]))
            for rotation in rotations:
                db.execute("INSERT INTO opsgenie_rotations (id, schedule_id, seq, data) VALUES (?, ?, ?, ?)",
                           (new_uuid(rng), schedule_id, next_seq(db, "opsgenie_rotation"),
                            json_col(json.loads(rotation["data"]))))
            names.append(name)
    return names


def median_cli_ms(emulator: Emulator, config: Path, schedules: list[str], runs: int) -> tuple[float, int]:
    """`oncall --sandbox whoisoncall --json --schedule ...` in-process: includes Typer building the command
    tree and loading the settings (what a user waits for, minus interpreter start-up)."""
    args = ["--sandbox", "--config", str(config), "whoisoncall", "--json"]
    for name in schedules:
        args += ["--schedule", name]
    times, calls = [], 0
    for _ in range(runs):
        before = len(emulator.calls)
        deps = Deps(emulator=emulator, env=ENV)
        start = time.perf_counter()
        result = CliRunner().invoke(app, args, obj=deps)
        times.append(time.perf_counter() - start)
        if result.exit_code != 0:
            raise SystemExit(f"whoisoncall failed: {result.stdout}{result.stderr}")
        calls = len(emulator.calls) - before
    return statistics.median(times) * 1000, calls


def median_service_ms(emulator: Emulator, config: Path, schedules: list[str], runs: int) -> float:
    """The use case alone (`services.oncall.who_is_on_call`): the requests and their concurrency."""
    settings = load_settings(profile="sandbox", path=config, env=ENV)
    times = []
    for _ in range(runs):
        context = Context(settings, Deps(emulator=emulator, env=ENV))
        start = time.perf_counter()
        who_is_on_call(context, schedules=schedules)
        times.append(time.perf_counter() - start)
        context.close()
    return statistics.median(times) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    latency = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    emulator = Emulator(":memory:", now=lambda: datetime.now(UTC))
    extra = add_schedules(emulator, 9)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text("")  # a file named by --config must exist
        median_cli_ms(emulator, config, [SCHEDULE], 1)  # warm-up: imports, spec validators
        emulator.faults.add(Fault(service="opsgenie", kind="latency", latency_ms=latency))
        rows = []
        for label, names in (("1 schedule", [SCHEDULE]), ("10 schedules", [SCHEDULE, *extra])):
            cli, calls = median_cli_ms(emulator, config, names, runs)
            service = median_service_ms(emulator, config, names, runs)
            rows.append((label, cli, service, calls))
    print(f"median of {runs} runs, {latency} ms injected before every Opsgenie answer")
    print(f"{'':14}{'command (in-process)':>22}{'use case alone':>18}{'requests':>10}{'if sequential':>15}")
    for label, cli, service, calls in rows:
        print(f"{label:14}{cli:19.1f} ms{service:15.1f} ms{calls:10d}{calls * latency:12d} ms")


if __name__ == "__main__":
    main()
