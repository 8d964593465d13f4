"""`oncall sandbox ...` and `schedule generate` through the real Typer app; real HTTP vs in-process parity."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from conftest import SANDBOX_NOW, FakeClock, SandboxCli, config_file, explain
from oncall_cli.cli.main import app
from oncall_cli.cli.sandbox import serving_message
from oncall_cli.sandbox.emulator import Emulator, default_db_path
from oncall_cli.sandbox.server import serve_in_thread
from oncall_cli.services.context import Deps

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


# ---- sandbox reset / status --------------------------------------------------------------------------------


def test_sandbox_reset_with_a_seed_reseeds_the_world_and_status_reports_it(sandbox_cli: SandboxCli) -> None:
    first = sandbox_cli.json("sandbox", "status")
    assert first["seed"] == 1
    reset = sandbox_cli.json("sandbox", "reset", "--seed", "2")
    assert reset["seed"] == 2
    assert reset["seeded_at"] == SANDBOX_NOW.isoformat()
    status = sandbox_cli.json("sandbox", "status")
    assert status == reset


@pytest.mark.parametrize("command", [["status"], ["reset", "--seed", "2"]])
def test_sandbox_status_and_reset_print_a_short_summary_without_json(
    sandbox_cli: SandboxCli, command: list[str]
) -> None:
    result = sandbox_cli("sandbox", *command)
    assert result.exit_code == 0, explain(result)
    assert not result.stdout.lstrip().startswith("{")
    assert "24 users" in result.stdout and "5 components" in result.stdout
    assert len(result.stdout.splitlines()) <= 8


def test_sandbox_status_json_is_one_document_with_every_service(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("sandbox", "status", "--json")
    assert result.exit_code == 0, explain(result)
    data = json.loads(result.stdout)
    assert {"db", "seed", "seeded_at", "urls", "faults", "services"} <= set(data)
    assert set(data["services"]) == {"opsgenie", "slack", "statuspage", "atlassian", "jira", "pagerduty"}
    assert data["db"] == ":memory:" and data["faults"] == []
    assert "SANDBOX" in result.stderr  # the banner goes to stderr, never into the JSON


# ---- an unreadable sandbox.db: a config error, and `sandbox reset` repairs it ------------------------------


def _run_on_the_default_db(tmp_path: Path, *args: str) -> tuple[Result, Deps]:
    clock = FakeClock()
    deps = Deps(
        now=clock.now,
        sleep=clock.sleep,
        clock=clock.monotonic,
        rng=random.Random(3),
        env={},
        state_dir=str(tmp_path / "state"),
    )
    argv = ["--sandbox", "--config", config_file(tmp_path / "config.toml"), *args]
    return CliRunner().invoke(app, argv, obj=deps), deps


@pytest.fixture
def garbage_db(isolated_dirs: SimpleNamespace) -> Iterator[Path]:
    path = default_db_path()
    assert path.is_relative_to(isolated_dirs.data)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00garbage, not SQLite\xff" * 300)
    Path(f"{path}-wal").write_bytes(b"stale wal" * 10)
    yield path


def test_an_unreadable_sandbox_db_is_exit_3_naming_the_file_and_sandbox_reset(
    garbage_db: Path, tmp_path: Path
) -> None:
    result, _ = _run_on_the_default_db(tmp_path, "sandbox", "status", "--json")
    assert result.exit_code == 3, explain(result)
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "config" and str(garbage_db) in error["message"]
    assert "oncall sandbox reset" in error["hint"]
    assert "unexpected" not in result.output


def test_sandbox_reset_recreates_an_unreadable_sandbox_db(garbage_db: Path, tmp_path: Path) -> None:
    result, deps = _run_on_the_default_db(tmp_path, "sandbox", "reset", "--seed", "3", "--json")
    try:
        assert result.exit_code == 0, explain(result)
        assert json.loads(result.stdout)["seed"] == 3
    finally:
        if deps.emulator is not None:
            deps.emulator.close()
    again, deps = _run_on_the_default_db(tmp_path, "sandbox", "status", "--json")
    try:
        assert again.exit_code == 0, explain(again)
        assert json.loads(again.stdout)["seed"] == 3
        assert json.loads(again.stdout)["db"] == str(garbage_db)
    finally:
        if deps.emulator is not None:
            deps.emulator.close()


def _close(deps: Deps) -> None:
    if deps.emulator is not None:
        deps.emulator.close()


def test_a_sandbox_db_that_is_a_directory_is_exit_3_and_sandbox_reset_repairs_it(
    isolated_dirs: SimpleNamespace, tmp_path: Path
) -> None:
    path = default_db_path()
    path.mkdir(parents=True)
    result, deps = _run_on_the_default_db(tmp_path, "sandbox", "status", "--json")
    _close(deps)
    assert result.exit_code == 3, explain(result)
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "config" and str(path) in error["message"]
    assert "oncall sandbox reset" in error["hint"]
    result, deps = _run_on_the_default_db(tmp_path, "sandbox", "reset", "--json")
    _close(deps)
    assert result.exit_code == 0, explain(result)
    assert path.is_file()


def test_sandbox_reset_refuses_to_delete_a_sandbox_db_directory_with_files_in_it(
    isolated_dirs: SimpleNamespace, tmp_path: Path
) -> None:
    path = default_db_path()
    path.mkdir(parents=True)
    (path / "notes.txt").write_text("someone's", encoding="utf-8")
    result, deps = _run_on_the_default_db(tmp_path, "sandbox", "status", "--json")
    _close(deps)
    assert result.exit_code == 3, explain(result)
    assert "remove it" in json.loads(result.stdout)["error"]["message"]  # not just "run sandbox reset"
    result, deps = _run_on_the_default_db(tmp_path, "sandbox", "reset", "--json")
    _close(deps)
    assert result.exit_code == 3, explain(result)
    message = json.loads(result.stdout)["error"]["message"]
    assert str(path) in message and "remove it" in message
    assert (path / "notes.txt").read_text(encoding="utf-8") == "someone's"


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_sandbox_db_and_its_folder_are_private(isolated_dirs: SimpleNamespace, tmp_path: Path) -> None:
    result, deps = _run_on_the_default_db(tmp_path, "sandbox", "status", "--json")
    _close(deps)
    assert result.exit_code == 0, explain(result)
    path = default_db_path()
    assert (_mode(path), _mode(path.parent)) == (0o600, 0o700)


def test_an_old_world_readable_sandbox_db_is_made_private(
    isolated_dirs: SimpleNamespace, tmp_path: Path
) -> None:
    path = default_db_path()
    path.parent.mkdir(parents=True, mode=0o755)
    path.parent.chmod(0o755)
    Emulator(path).close()
    path.chmod(0o644)
    result, deps = _run_on_the_default_db(tmp_path, "sandbox", "status", "--json")
    _close(deps)
    assert result.exit_code == 0, explain(result)
    assert (_mode(path), _mode(path.parent)) == (0o600, 0o700)


def test_the_incident_journal_and_its_folder_are_private(tmp_path: Path) -> None:
    clock = FakeClock()
    emulator = Emulator(":memory:", now=clock.now, clock=clock.monotonic, sleep=clock.sleep)
    state = tmp_path / "state" / "oncall"
    deps = Deps(emulator=emulator, now=clock.now, sleep=clock.sleep, clock=clock.monotonic,
                rng=random.Random(3), env={}, state_dir=str(state))
    argv = ["--sandbox", "--config", config_file(tmp_path / "config.toml"),
            "incident", "raise", "Practice: search is slow", "--priority", "P5", "--json"]
    try:
        result = CliRunner().invoke(app, argv, obj=deps)
    finally:
        emulator.close()
    assert result.exit_code == 0, explain(result)
    journal = state / "journal.sqlite3"
    assert (_mode(journal), _mode(state)) == (0o600, 0o700)


def test_sandbox_serve_on_a_port_out_of_range_is_exit_2_naming_the_flag(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("sandbox", "serve", "--port", "70000")
    assert result.exit_code == 2, explain(result)
    assert "--port" in result.stderr and "Traceback" not in result.output


# ---- sandbox serve says "serving on" only once it is listening ---------------------------------------------


def test_sandbox_serve_refuses_a_remote_host_before_saying_it_serves(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("sandbox", "serve", "--host", "0.0.0.0", "--port", "0")
    assert result.exit_code == 2, explain(result)
    assert "--allow-remote" in result.stderr
    assert "serving on" not in result.output


def test_sandbox_serve_on_a_taken_port_fails_before_saying_it_serves(sandbox_cli: SandboxCli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = sandbox_cli("sandbox", "serve", "--port", str(port))
        as_json = sandbox_cli("sandbox", "serve", "--port", str(port), "--json")
    assert result.exit_code == 2, explain(result)
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "serving on" not in result.output
    assert as_json.exit_code == 2, explain(as_json)
    assert json.loads(as_json.stdout)["error"]["code"] == "usage"
    assert "Cannot listen" in json.loads(as_json.stdout)["error"]["message"]


def test_the_serving_message_names_the_bound_url() -> None:
    assert serving_message("http://127.0.0.1:40123") == (
        "sandbox serving on http://127.0.0.1:40123 "
        "(/opsgenie, /atlassian, /jira, /pagerduty, /statuspage, /slack); Ctrl-C to stop"
    )


# ---- schedule generate is schedule new ---------------------------------------------------------------------


def test_schedule_generate_is_an_alias_of_schedule_new(sandbox_cli: SandboxCli) -> None:
    args = ("--split", "2", "--seed", "1")
    generated = sandbox_cli("schedule", "generate", *args, "--json")
    assert generated.exit_code == 0, explain(generated)
    new = sandbox_cli("schedule", "new", *args, "--json")
    assert new.exit_code == 0, explain(new)
    assert generated.stdout == new.stdout
    assert json.loads(generated.stdout)["rotations"]


# ---- parity: the emulator over real HTTP answers the CLI exactly like the in-process --sandbox -------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, FakeClock, Emulator]]:
    """An emulator seeded at SANDBOX_NOW, served on a free loopback port, shut down afterwards."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)  # loopback must be reached directly
    clock = FakeClock()
    emulator = Emulator(":memory:", now=clock.now, clock=clock.monotonic, sleep=clock.sleep)
    server, thread = serve_in_thread(emulator, "127.0.0.1", port=0)
    try:
        yield server.url, clock, emulator
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        emulator.close()
    assert not thread.is_alive()


def _over_http(url: str, clock: FakeClock, tmp_path: Path, *args: str) -> Result:
    env: dict[str, Any] = {
        "ONCALL_OPSGENIE_URL": f"{url}/opsgenie",
        "ONCALL_STATUSPAGE_URL": f"{url}/statuspage",
        "ONCALL_SLACK_URL": f"{url}/slack",
        "ONCALL_OPSGENIE_API_KEY": "og-parity-key",
        "ONCALL_STATUSPAGE_API_KEY": "sp-parity-key",
        "ONCALL_SLACK_TOKEN": "xoxb-parity-token",
    }
    deps = Deps(
        now=clock.now,
        sleep=clock.sleep,
        clock=clock.monotonic,
        rng=random.Random(3),
        env=env,
        state_dir=str(tmp_path / "http-state"),
    )
    argv = ["--config", config_file(tmp_path / "http-config.toml"), *args]
    return CliRunner().invoke(app, argv, obj=deps)


def test_schedule_new_over_real_http_matches_the_in_process_sandbox_byte_for_byte(
    served: tuple[str, FakeClock, Emulator], sandbox_cli: SandboxCli, tmp_path: Path
) -> None:
    url, clock, emulator = served
    args = ("schedule", "new", "--split", "2", "--seed", "1", "--json")
    over_http = _over_http(url, clock, tmp_path, *args)
    assert over_http.exit_code == 0, explain(over_http)
    assert emulator.calls, "the run over HTTP never reached the served emulator"
    in_process = sandbox_cli(*args)
    assert in_process.exit_code == 0, explain(in_process)
    assert json.loads(over_http.stdout)["rotations"]
    assert over_http.stdout == in_process.stdout
