"""Exit codes are a contract for scripts; a failure is one message (or one JSON document), no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import httpx
import pytest
import typer
from typer.testing import CliRunner, Result

from conftest import config_file
from oncall_cli.cli import main as cli_main
from oncall_cli.cli.common import JsonOpt, output
from oncall_cli.errors import (
    AuthError,
    ConfigError,
    ExitCode,
    NotFoundError,
    OncallError,
    PartialError,
    RateLimitedError,
    RejectedError,
    RulesViolatedError,
    UnavailableError,
    UnexpectedError,
    UsageError,
)

from .fakes import Cli, explain

ERRORS_AND_CODES = [
    (UnexpectedError, 1, "unexpected"),
    (UsageError, 2, "usage"),
    (ConfigError, 3, "config"),
    (AuthError, 4, "auth"),
    (NotFoundError, 5, "not_found"),
    (RejectedError, 6, "rejected"),
    (RateLimitedError, 7, "rate_limited"),
    (UnavailableError, 8, "unavailable"),
    (RulesViolatedError, 9, "rules_violated"),
    (PartialError, 10, "partial"),
]


def test_exit_codes_are_the_documented_numbers() -> None:
    assert {c.name: int(c) for c in ExitCode} == {
        "OK": 0,
        "UNEXPECTED": 1,
        "USAGE": 2,
        "CONFIG": 3,
        "AUTH": 4,
        "NOT_FOUND": 5,
        "REJECTED": 6,
        "RATE_LIMITED": 7,
        "UNAVAILABLE": 8,
        "RULES_VIOLATED": 9,
        "PARTIAL": 10,
    }


@pytest.mark.parametrize(("error", "exit_code", "code"), ERRORS_AND_CODES)
def test_each_error_class_has_a_stable_code_exit_code_and_hint(
    error: type[OncallError], exit_code: int, code: str
) -> None:
    exc = error("it broke")
    assert (exc.code, int(exc.exit_code)) == (code, exit_code)
    assert exc.hint, f"{error.__name__} has no default hint"
    assert exc.to_dict() == {"code": code, "message": "it broke", "hint": exc.hint}
    assert error("x", hint="do this").to_dict()["hint"] == "do this"


# A throw-away app built from the real shell (OncallGroup + the real global options), so each error class
# can be raised from a command without touching the real command groups.
_probe_app = typer.Typer(cls=cli_main.OncallGroup, pretty_exceptions_enable=False)
_probe_app.callback()(cli_main.main)
_RAISE: dict[str, BaseException] = {}


@_probe_app.command("explode")
def _explode(ctx: typer.Context, name: Annotated[str, typer.Argument()], json_mode: JsonOpt = False) -> None:
    output(ctx, json_mode)
    raise _RAISE[name]


def _explode_with(exc: BaseException, *args: str) -> Result:
    _RAISE["it"] = exc
    return CliRunner().invoke(_probe_app, ["explode", "it", *args])


@pytest.mark.parametrize(("error", "exit_code", "code"), ERRORS_AND_CODES)
def test_an_oncall_error_becomes_its_exit_code_and_a_message_plus_hint_on_stderr(
    error: type[OncallError], exit_code: int, code: str
) -> None:
    result = _explode_with(error("the thing failed", hint="try the other thing"))
    assert result.exit_code == exit_code, explain(result)
    assert result.stdout == ""
    assert result.stderr == "error: the thing failed\nhint: try the other thing\n"


@pytest.mark.parametrize(("error", "exit_code", "code"), ERRORS_AND_CODES)
def test_with_json_an_error_is_exactly_one_json_document_on_stdout(
    error: type[OncallError], exit_code: int, code: str
) -> None:
    result = _explode_with(error("the thing failed", hint="try the other thing"), "--json")
    assert result.exit_code == exit_code
    assert json.loads(result.stdout) == {
        "error": {"code": code, "message": "the thing failed", "hint": "try the other thing"}
    }
    assert result.stderr == ""


def test_an_unexpected_exception_is_exit_1_with_no_traceback_without_debug() -> None:
    result = _explode_with(ZeroDivisionError("division by zero"))
    assert result.exit_code == 1
    assert "unexpected ZeroDivisionError: division by zero" in result.stderr
    assert "--debug" in result.stderr  # the hint says how to get the traceback
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback_of_an_unexpected_exception() -> None:
    _RAISE["it"] = ZeroDivisionError("division by zero")
    result = CliRunner().invoke(_probe_app, ["--debug", "explode", "it"])
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "ZeroDivisionError: division by zero" in result.stderr


def test_debug_traceback_is_printed_verbatim_even_when_it_contains_brackets() -> None:
    _RAISE["it"] = RuntimeError("no route for [/v2/account] in values[key]")
    result = CliRunner().invoke(_probe_app, ["--debug", "explode", "it"])
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    assert "RuntimeError: no route for [/v2/account] in values[key]" in result.stderr


def test_ctrl_c_is_exit_130_with_a_short_message() -> None:
    result = _explode_with(KeyboardInterrupt())
    assert result.exit_code == 130
    assert "interrupted" in result.stderr
    assert "Traceback" not in result.output


# ---- the real commands -------------------------------------------------------------------------------------


def test_unknown_provider_is_a_usage_error_exit_2(cli: Cli) -> None:
    result = cli("auth", "logout", "--provider", "victorops", "--json")
    assert result.exit_code == 2, explain(result)
    assert json.loads(result.stdout)["error"]["code"] == "usage"
    assert "victorops" in json.loads(result.stdout)["error"]["message"]


def test_unknown_option_is_exit_2(cli: Cli) -> None:
    result = cli("config", "show", "--colour")
    assert result.exit_code == 2
    assert "--colour" in result.stderr


def test_transport_crash_in_a_command_is_exit_1_without_traceback(cli: Cli) -> None:
    def crash(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("the transport fell over")

    result = cli(
        "auth", "status", "--provider", "opsgenie", env={"ONCALL_OPSGENIE_API_KEY": "k-123456"}, handler=crash
    )
    assert result.exit_code == 1, explain(result)
    assert "unexpected RuntimeError: the transport fell over" in result.stderr
    assert "Traceback" not in result.output


def _run_oncall(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCALL_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    return subprocess.run(
        [sys.executable, "-c", "from oncall_cli.cli.fast import run; run()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_usage_error_with_json_is_one_json_document_in_a_real_process(tmp_path: Path) -> None:
    done = _run_oncall(
        ["--config", config_file(tmp_path / "c.toml"), "config", "set", "--json", "opsgenie.team"], tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert json.loads(done.stdout)["error"]["code"] == "usage"
    assert "Missing argument" in json.loads(done.stdout)["error"]["message"]


def test_usage_error_with_json_is_one_json_document_when_invoked_in_process(cli: Cli) -> None:
    result = cli("config", "set", "--json", "opsgenie.team")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "usage"
