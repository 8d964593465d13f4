"""Network benchmark: the installed `oncall`, as a user runs it, against `oncall sandbox serve --latency-ms`.

For each backend (opsgenie, jsm, pagerduty) and each round, a fresh sandbox (its own temporary data, state
and config folders) is served in a subprocess with N ms (default 100) added to every request; a recording
proxy in this process sits between the CLI and the server and notes when each request started and when its
answer came back. A profile in a temporary config file points every service at the proxy. Then the workflows
run in order, each as its own `oncall` process:

    raise         incident raise "..." -p P2 --component API     (Statuspage, Slack, the tracker)
    resolve       incident resolve <that incident> --note ...
    schedule      schedule new --split 2 --seed 7 --apply         (rot-a-next / rot-b-next)
    add-engineer  rotation add-engineer <next month's hire> --apply
    whoisoncall   whoisoncall

and for each it prints medians over the rounds of:

- `beyond start-up`: the command's wall time minus the median wall time of the same subcommand's `--help`
  (measured in the same run, interleaved: the interpreter, imports and command tree), i.e. the time spent
  on requests and work;
- `span`: from the first request's start to the last answer (the network part alone, whatever start-up
  costs; on a loaded machine the subtraction above is noisier);
- `requests`: every request the proxy saw during the command;
- `sequential`: the sequential round trips ("waves"). Requests are sorted by start; a wave is a maximal
  run of requests each of which started before every earlier request of its wave had been answered (they
  overlap in time); a request that starts after every request of the current wave has been answered starts
  a new wave. Each wave costs at least one injected latency, so `wall >= sequential x N ms`;
- `sp 429`: Statuspage answers 429 (its 1 request per second is always enforced by the sandbox).

Run: .venv/bin/python benchmarks/network.py [rounds] [latency_ms] [backend ...]
(BENCH_TRACE=1 lists every request of every command on stderr: start and end in ms, status, path.)
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from oncall_cli.config import SANDBOX_CLOUD_ID, SANDBOX_ORG_ID
from oncall_cli.sandbox.seed import seed_people

ONCALL = str(Path(sys.executable).parent / "oncall")
WORKFLOWS = ("raise", "resolve", "schedule", "add-engineer", "whoisoncall")
HELP_OF = {
    "raise": ["incident", "raise", "--help"],
    "resolve": ["incident", "resolve", "--help"],
    "schedule": ["schedule", "new", "--help"],
    "add-engineer": ["rotation", "add-engineer", "--help"],
    "whoisoncall": ["whoisoncall", "--help"],
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    status: int
    start: float
    end: float


def waves(requests: list[Request]) -> int:
    """Sequential round trips: see the module docstring."""
    count, wave_end = 0, float("-inf")
    for r in sorted(requests, key=lambda r: r.start):
        if r.start >= wave_end:
            count += 1
            wave_end = r.end
        else:
            wave_end = max(wave_end, r.end)
    return count


class RecordingProxy(ThreadingHTTPServer):
    """Forwards every request to `upstream` and records it (start, end, status)."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        self.upstream = httpx.Client(
            base_url=upstream, trust_env=False, timeout=60, limits=httpx.Limits(max_connections=64)
        )
        self.log: list[Request] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(BaseHTTPRequestHandler):
    server: RecordingProxy
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        start = time.perf_counter()
        answer = self.server.upstream.request(self.command, self.path, headers=headers, content=body)
        end = time.perf_counter()
        with self.server.lock:
            self.server.log.append(Request(self.command, self.path, answer.status_code, start, end))
        content = answer.content
        self.send_response(answer.status_code)
        for key, value in answer.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    def log_message(self, format: str, *args: Any) -> None:
        return


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCALL_")}
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        NO_PROXY="127.0.0.1,localhost",
        COLUMNS="160",
        ONCALL_OPSGENIE_API_KEY="bench",
        ONCALL_STATUSPAGE_API_KEY="bench",
        ONCALL_SLACK_TOKEN="xoxb-bench",
        ONCALL_JSM_API_TOKEN="bench",
        ONCALL_PAGERDUTY_API_KEY="bench",
    )
    return env


def _write_profile(home: Path, url: str, backend: str) -> None:
    folder = home / "config" / "oncall"
    folder.mkdir(parents=True, mode=0o700)
    path = folder / "config.toml"
    path.write_text(
        "[profiles.bench]\n"
        f'backend = "{backend}"\n'
        f'opsgenie.url = "{url}/opsgenie"\n'
        f'statuspage.url = "{url}/statuspage"\n'
        'statuspage.page_id = "sandboxpage001"\n'
        f'slack.url = "{url}/slack"\n'
        'opsgenie.service = "Artsy"\n'
        f'atlassian.api_url = "{url}/atlassian"\n'
        f'jira.url = "{url}/jira"\n'
        f'jsm.cloud_id = "{SANDBOX_CLOUD_ID}"\n'
        f'jsm.org_id = "{SANDBOX_ORG_ID}"\n'
        'jsm.email = "sandbox@example.com"\n'
        f'pagerduty.url = "{url}/pagerduty"\n'
        'pagerduty.service = "Artsy"\n'
        f'pagerduty.from = "{_pagerduty_user(url)}"\n'
    )
    path.chmod(0o600)


def _pagerduty_user(url: str) -> str:
    """The sandbox account's first PagerDuty user: incident writes there act for a user (`From`)."""
    answer = httpx.get(
        f"{url}/pagerduty/users",
        params={"limit": 1},
        headers={"Authorization": "Token token=bench", "Accept": "application/vnd.pagerduty+json;version=2"},
        timeout=30,
    )
    answer.raise_for_status()
    return str(answer.json()["users"][0]["email"])


@contextmanager
def served(home: Path, latency_ms: int) -> Iterator[RecordingProxy]:
    """`oncall --sandbox sandbox serve --port 0 --latency-ms N --json` on fresh data, behind a proxy."""
    env = _env(home)
    process = subprocess.Popen(
        [ONCALL, "--sandbox", "sandbox", "serve", "--port", "0", "--json", "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert process.stdout is not None
        text = ""
        while True:
            line = process.stdout.readline()
            if not line:
                raise SystemExit("oncall sandbox serve exited before it was listening")
            text += line
            try:
                upstream = json.loads(text)["url"]
                break
            except json.JSONDecodeError:
                continue
        proxy = RecordingProxy(upstream)
        thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield proxy
        finally:
            proxy.shutdown()
            proxy.server_close()
            proxy.upstream.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def _run(env: dict[str, str], args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([ONCALL, *args], env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"oncall {' '.join(args)} exited {done.returncode}: {done.stderr.strip()[-800:]}")
    return took, done.stdout


@dataclass
class Figures:
    wall: float
    span: float
    requests: int
    sequential: int
    sp429: int


def one_round(backend: str, latency_ms: int, round_no: int) -> dict[str, Figures]:
    with tempfile.TemporaryDirectory(prefix="oncall-bench-") as tmp:
        home = Path(tmp)
        env = _env(home)
        with served(home, latency_ms) as proxy:
            _write_profile(home, proxy.url, backend)
            env["ONCALL_PROFILE"] = "bench"
            today = datetime.now(UTC).date()
            hire = seed_people(random.Random("people:1"), today)[-1]
            commands: dict[str, list[str]] = {
                "raise": ["incident", "raise", f"Bench {round_no}: API errors", "-p", "P2",
                          "--component", "API", "--json"],
                "resolve": [],  # filled in from raise's answer
                "schedule": ["--no-input", "schedule", "new", "--split", "2", "--seed", "7", "--apply",
                             "--json"],
                "add-engineer": ["--no-input", "rotation", "add-engineer", hire.email, "--start-date",
                                 hire.start_date.isoformat(), "--apply", "--json"],
                "whoisoncall": ["whoisoncall", "--json"],
            }
            out: dict[str, Figures] = {}
            raised = "{}"
            for name in WORKFLOWS:
                if name == "resolve":
                    number = json.loads(raised)["incident"]["number"]
                    commands[name] = ["incident", "resolve", str(number), "--note", "Rolled back", "--json"]
                before = len(proxy.log)
                wall, stdout = _run(env, commands[name])
                if name == "raise":
                    raised = stdout
                with proxy.lock:
                    seen = proxy.log[before:]
                sp429 = sum(1 for r in seen if r.path.startswith("/statuspage") and r.status == 429)
                span = max((r.end for r in seen), default=0.0) - min((r.start for r in seen), default=0.0)
                out[name] = Figures(wall, span, len(seen), waves(seen), sp429)
                if os.environ.get("BENCH_TRACE"):
                    t0 = seen[0].start if seen else 0.0
                    for r in sorted(seen, key=lambda r: r.start):
                        print(f"  {name:12} {1000 * (r.start - t0):7.0f} {1000 * (r.end - t0):7.0f}  "
                              f"{r.status} {r.method} {r.path[:110]}", file=sys.stderr)
                time.sleep(1.1)  # Statuspage's 1 request/s: one command's tail does not hit the next
            return out


def startup(env: dict[str, str], rounds: int) -> dict[str, float]:
    """Median wall time of each workflow's `--help` (same interpreter, imports and command tree)."""
    times: dict[str, list[float]] = {name: [] for name in WORKFLOWS}
    for _ in range(rounds):
        for name in WORKFLOWS:
            times[name].append(_run(env, HELP_OF[name])[0])
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    latency = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    backends = sys.argv[3:] or ["opsgenie", "jsm", "pagerduty"]
    print(f"network benchmark: {latency} ms per request, medians of {rounds} round(s); "
          "beyond start-up = wall - the subcommand's --help")
    with tempfile.TemporaryDirectory(prefix="oncall-bench-") as tmp:
        base = startup(_env(Path(tmp)), max(3, rounds))
    for backend in backends:
        results = [one_round(backend, latency, i) for i in range(rounds)]
        print(f"\n{backend}")
        print(f"{'workflow':14}{'wall':>9}{'start-up':>10}{'beyond':>9}{'span':>8}{'requests':>10}"
              f"{'sequential':>12}{'sp 429':>8}")
        for name in WORKFLOWS:
            rows = [r[name] for r in results]
            wall = statistics.median(r.wall for r in rows)
            beyond = statistics.median(r.wall - base[name] for r in rows)
            span = statistics.median(r.span for r in rows)
            print(
                f"{name:14}{wall:8.2f}s{base[name]:9.2f}s{beyond:8.2f}s{span:7.2f}s"
                f"{statistics.median(r.requests for r in rows):10.0f}"
                f"{statistics.median(r.sequential for r in rows):12.0f}"
                f"{sum(r.sp429 for r in rows):8d}"
            )


if __name__ == "__main__":
    main()
