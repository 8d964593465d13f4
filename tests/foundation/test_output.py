"""Output: plain text in pipes and with NO_COLOR, one JSON document with --json, messages on stderr."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from conftest import config_file
from oncall_cli.cli.output import to_json

from .fakes import OPSGENIE_ACCOUNT, Cli, Vendors, explain, opsgenie_ok

ESC = "\x1b"
COLOUR_FORCING = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "COLUMNS")


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in COLOUR_FORCING:
        monkeypatch.delenv(name, raising=False)


def test_output_to_a_pipe_has_no_ansi_codes(cli: Cli, config_path: Path) -> None:
    vendors = Vendors().on("GET", OPSGENIE_ACCOUNT, opsgenie_ok())
    status = cli(
        "auth",
        "status",
        "--provider",
        "opsgenie",
        "--provider",
        "slack",
        env={"ONCALL_OPSGENIE_API_KEY": "og-key-123456"},
        handler=vendors,
    )
    assert status.exit_code == 4, explain(status)
    shown = cli("config", "show")
    config_path.write_text("[broken\n", encoding="utf-8")
    failed = cli("config", "show")
    assert failed.exit_code == 3
    for result in (status, shown, failed):
        assert ESC not in result.stdout + result.stderr, explain(result)


def test_json_is_one_document_on_stdout_with_nothing_on_stderr(cli: Cli) -> None:
    result = cli("config", "show", "--json")
    assert result.exit_code == 0
    assert isinstance(json.loads(result.stdout), dict)
    assert result.stderr == ""


def test_to_json_serialises_our_output_models() -> None:
    @dataclasses.dataclass
    class Row:
        day: date
        at: datetime
        where: Path
        tags: frozenset[str]

    row = Row(date(2026, 3, 2), datetime(2026, 3, 2, 11, tzinfo=UTC), Path("/tmp/x"), frozenset({"a"}))
    assert json.loads(to_json({"rows": [row]})) == {
        "rows": [{"day": "2026-03-02", "at": "2026-03-02T11:00:00+00:00", "where": "/tmp/x", "tags": ["a"]}]
    }


# ---- on a real terminal ------------------------------------------------------------------------------------


def _on_a_terminal(args: list[str], tmp_path: Path, **extra_env: str) -> tuple[int, str]:
    """Run `oncall ARGS` with stdin/stdout/stderr on a pseudo-terminal; return its exit code and output."""
    pty = pytest.importorskip("pty")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCALL_") and k not in COLOUR_FORCING}
    env.update(TERM="xterm-256color", XDG_CONFIG_HOME=str(tmp_path / "xdg"), **extra_env)
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-c", "from oncall_cli.cli.fast import run; run()", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = proc.wait(timeout=60)
    os.close(leader)
    return code, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def broken_config(tmp_path: Path) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text("[profiles.default\n", encoding="utf-8")
    return path


def test_a_terminal_gets_colour(tmp_path: Path, broken_config: Path) -> None:
    code, text = _on_a_terminal(["--config", str(broken_config), "config", "show"], tmp_path)
    assert code == 3
    assert ESC in text  # proves the terminal harness can see colour at all


def test_json_on_a_terminal_has_no_ansi_codes(tmp_path: Path) -> None:
    config = config_file(tmp_path / "c.toml")
    code, text = _on_a_terminal(["--config", config, "config", "show", "--json"], tmp_path)
    assert code == 0
    assert ESC not in text
    json.loads(text)


def test_no_color_on_a_terminal_gives_no_ansi_codes(tmp_path: Path, broken_config: Path) -> None:
    code, text = _on_a_terminal(["--config", str(broken_config), "config", "show"], tmp_path, NO_COLOR="1")
    assert code == 3
    assert "error:" in text and "hint:" in text
    assert ESC not in text, repr(text)


def test_the_sandbox_mark_off_a_terminal_is_what_rich_prints(capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from rich.console import Console

    from oncall_cli.cli.output import SANDBOX_MARK, SANDBOX_NOTE, Output

    Output(sandbox=True).mark_sandbox()
    printed = io.StringIO()
    Console(file=printed, no_color=True, highlight=False, soft_wrap=True).print(
        f"[bold magenta]{SANDBOX_MARK}[/] practice mode: {SANDBOX_NOTE}"
    )
    assert capsys.readouterr().err == printed.getvalue() == f"SANDBOX practice mode: {SANDBOX_NOTE}\n"
