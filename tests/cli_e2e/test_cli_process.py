"""The installed `oncall` as a real process: shell completion, broken pipes, `sandbox serve` on port 0.

Every process gets private XDG directories (never the user's config or sandbox) and no ONCALL_* variable
of the person running the tests; servers listen on loopback only and are killed at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

ONCALL = Path(sys.executable).parent / "oncall"
pytestmark = pytest.mark.skipif(not ONCALL.exists(), reason="the `oncall` console script is not installed")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("ONCALL_") and not k.endswith("_COMPLETE")
    }
    clean.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        NO_PROXY="127.0.0.1,localhost",
    )
    return clean


# ---- shell completion --------------------------------------------------------------------------------------


def test_bash_completion_of_the_installed_oncall_completes_commands(env: dict[str, str]) -> None:
    env.update(_ONCALL_COMPLETE="complete_bash", COMP_WORDS="oncall sch", COMP_CWORD="1")
    done = subprocess.run([str(ONCALL)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["schedule"]


def test_bash_completion_of_a_subcommand(env: dict[str, str]) -> None:
    env.update(_ONCALL_COMPLETE="complete_bash", COMP_WORDS="oncall sandbox re", COMP_CWORD="2")
    done = subprocess.run([str(ONCALL)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["reset"]


# ---- a reader that stops early is not an error -------------------------------------------------------------


def _into_a_closed_pipe(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run `oncall ARGS` with stdout a pipe nobody reads any more (`| head -0`, deterministically)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [str(ONCALL), *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),  # the pre-rendered fast path
        ("incident", "raise", "--help"),  # help rendered by Typer
        ("config", "show"),  # a rich table
        ("config", "show", "--json"),  # one JSON document
        ("--sandbox", "sandbox", "status"),
    ],
    ids=" ".join,
)
def test_a_broken_pipe_exits_0_quietly(env: dict[str, str], args: tuple[str, ...]) -> None:
    done = _into_a_closed_pipe(env, *args)
    assert done.returncode == 0, done.stderr
    for noise in ("error", "BrokenPipe", "Traceback", "Exception ignored"):
        assert noise not in done.stderr


# ---- sandbox serve: announce only once bound ---------------------------------------------------------------


class _Lines:
    """Lines of a child's stream, read by a thread, so the test can wait with a deadline."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        try:
            for line in stream:  # type: ignore[attr-defined]
                self.lines.append(line)
        except (OSError, ValueError):  # the test closed the stream after killing the process
            return

    def wait_for(self, done: Callable[[str], object], timeout: float = 30.0) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = done("".join(self.lines))
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"timed out; got {''.join(self.lines)!r}")


@pytest.fixture
def spawn(env: dict[str, str]) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [str(ONCALL), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _one_json_document(text: str) -> object:
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return None  # not complete yet


def test_sandbox_serve_json_prints_the_bound_url_and_faults_then_serves(
    spawn: Callable[..., subprocess.Popen[str]],
) -> None:
    process = spawn(
        "--sandbox", "sandbox", "serve", "--port", "0", "--json", "--fail", "slack:chat.postMessage#1=500"
    )
    data = _Lines(process.stdout).wait_for(_one_json_document)
    assert isinstance(data, dict) and set(data) == {"url", "faults", "rate_limits"}
    assert data["url"].startswith("http://127.0.0.1:") and not data["url"].endswith(":0")
    assert data["faults"] == ["slack:chat.postMessage#1=500"]
    assert data["rate_limits"] is False
    with httpx.Client(base_url=data["url"], timeout=10, trust_env=False) as http:
        answer = http.get("/opsgenie/v2/account", headers={"Authorization": "GenieKey any"})
    assert answer.status_code == 200
    assert process.poll() is None  # still serving


def test_sandbox_serve_says_serving_on_the_real_port(spawn: Callable[..., subprocess.Popen[str]]) -> None:
    process = spawn("--sandbox", "sandbox", "serve", "--port", "0")
    said = _Lines(process.stderr).wait_for(lambda text: "serving on" in text and text)
    assert isinstance(said, str)
    line = next(x for x in said.splitlines() if "serving on" in x)
    port = line.split("http://127.0.0.1:", 1)[1].split(" ", 1)[0]
    assert port.isdigit() and port != "0", line


def test_sandbox_serve_pending_polls_fixes_the_not_processed_answers(
    spawn: Callable[..., subprocess.Popen[str]],
) -> None:
    process = spawn("--sandbox", "sandbox", "serve", "--port", "0", "--json", "--pending-polls", "2")
    data = _Lines(process.stdout).wait_for(_one_json_document)
    assert isinstance(data, dict)
    auth = {"Authorization": "GenieKey any"}
    with httpx.Client(base_url=data["url"] + "/opsgenie", timeout=10, trust_env=False) as http:
        created = http.post("/v2/alerts", json={"message": "pending polls"}, headers=auth)
        assert created.status_code == 202
        path = f"/v2/alerts/requests/{created.json()['requestId']}"
        answers = [http.get(path, headers=auth) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 200]
    assert answers[0].headers["X-Opsgenie-Errortype"] == "RequestNotProcessed"


def test_sandbox_serve_rate_limits_throttles_like_slack(spawn: Callable[..., subprocess.Popen[str]]) -> None:
    process = spawn("--sandbox", "sandbox", "serve", "--port", "0", "--json", "--rate-limits")
    data = _Lines(process.stdout).wait_for(_one_json_document)
    assert isinstance(data, dict) and data["rate_limits"] is True
    auth = {"Authorization": "Bearer xoxb-any"}
    with httpx.Client(base_url=data["url"] + "/slack", timeout=10, trust_env=False) as http:
        answers = [http.post("/conversations.list", headers=auth) for _ in range(21)]  # Tier 2: 20 a minute
    assert [a.status_code for a in answers[:20]] == [200] * 20
    refused = answers[20]
    assert refused.status_code == 429 and refused.json() == {"ok": False, "error": "ratelimited"}
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
