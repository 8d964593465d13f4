"""Start-up is a feature: `oncall --help`, `--version` and every command's `--help` are served without Typer,
httpx or rich; commands import pydantic, httpx, icalendar and the vendor clients only when they use them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import oncall_cli
from oncall_cli.cli.main import COMMANDS, app
from oncall_cli.cli.reference import HELP_PAGES, pages_json, render_help, render_pages

HELP_TXT = Path(oncall_cli.__file__).parent / "cli" / "help.txt"
HEAVY = ("httpx", "pydantic", "rich", "typer", "click", "keyring")
# What a command that talks to no service must not import (a module or package, and what is under it).
SERVICE_ONLY = (
    "httpx",
    "httpcore",
    "pydantic",
    "pydantic_core",
    "icalendar",
    "jsonschema",
    "keyring",
    "typer._adapters",
    "oncall_cli.clients",
    "oncall_cli.sandbox",
    "oncall_cli.credentials",
)
EXAMPLE_ROSTER = Path(__file__).parents[2] / "examples" / "roster.toml"

# Runs the console-script entry point exactly as `oncall ARGS` would, then reports what got imported.
_PROBE = """
import json, sys
args, heavy_names = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["oncall", *args]
from oncall_cli.cli import fast
code = None
try:
    fast.run()
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy_names))
sys.stderr.write(json.dumps({"code": code, "heavy": heavy}))
"""


def _run_entry_point(
    *args: str, heavy: tuple[str, ...] = HEAVY, env: dict[str, str] | None = None
) -> tuple[int | None, list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(args)), json.dumps(heavy)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    report = json.loads(done.stderr.splitlines()[-1])  # after what the command said on stderr
    return report["code"], report["heavy"], done.stdout


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_is_served_without_importing_typer_httpx_pydantic_or_rich(flag: str) -> None:
    code, heavy, stdout = _run_entry_point(flag)
    assert code == 0
    assert heavy == [], f"`oncall {flag}` imported {heavy}"
    assert stdout == HELP_TXT.read_text(encoding="utf-8")


def test_version_is_served_without_importing_typer_httpx_pydantic_or_rich() -> None:
    code, heavy, stdout = _run_entry_point("--version")
    assert (code, heavy, stdout) == (0, [], f"oncall {oncall_cli.__version__}\n")


def test_help_txt_matches_what_typer_renders() -> None:
    assert HELP_TXT.read_text(encoding="utf-8") == render_help(), "help.txt is stale: run `make help-text`"


def test_version_flag_of_the_full_app_matches_the_fast_path_and_the_package_metadata() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"oncall {oncall_cli.__version__}\n"
    assert oncall_cli.__version__ == version("oncall-cli")


def test_importing_the_cli_app_defers_httpx_and_pydantic_to_the_commands_that_use_them() -> None:
    code = "import sys, oncall_cli.cli.main; print(sorted({'httpx', 'pydantic'} & set(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.strip() == "[]"


def test_help_pages_match_what_typer_renders() -> None:
    assert HELP_PAGES.read_text(encoding="utf-8") == pages_json(render_pages()), (
        "help_pages.json is stale: run `make help-text`"
    )


@pytest.mark.parametrize("group", list(COMMANDS))
def test_every_command_help_is_served_pre_rendered_without_typer_httpx_pydantic_or_rich(group: str) -> None:
    pages = json.loads(HELP_PAGES.read_text(encoding="utf-8"))
    words = [key for key in pages if key.startswith(f"{group} ")][:1] or [group]
    for flag in ("--help", "-h"):
        code, heavy, stdout = _run_entry_point(*words[0].split(), flag)
        assert (code, heavy) == (0, []), f"`oncall {words[0]} {flag}` imported {heavy}"
        assert stdout == pages[words[0]]


def test_a_help_page_is_what_the_full_app_prints_for_the_same_words() -> None:
    code, _, stdout = _run_entry_point("schedule", "new", "--help")
    assert (code, stdout) == (0, CliRunner().invoke(app, ["schedule", "new", "--help"]).output)


@pytest.mark.parametrize("group", list(COMMANDS))
def test_each_group_built_by_typer_imports_no_service_client_pydantic_or_httpx(group: str) -> None:
    # A global option first: Typer parses the line (no pre-rendered page), builds the group, prints its help.
    code, heavy, stdout = _run_entry_point("--no-pager", group, "--help", heavy=SERVICE_ONLY)
    assert code == 0 and stdout
    assert heavy == [], f"`oncall --no-pager {group} --help` imported {heavy}"


def test_planning_from_a_roster_file_imports_no_service_client_pydantic_httpx_or_icalendar(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    code, heavy, stdout = _run_entry_point(
        "--config", str(config), "schedule", "new", "--roster", str(EXAMPLE_ROSTER),
        "--start", "2027-02-01", "--seed", "7", "--split", "2", "--json",
        heavy=SERVICE_ONLY,
    )
    assert code == 0, stdout
    assert json.loads(stdout)["rotations"]
    assert heavy == [], f"`oncall schedule new --roster ...` imported {heavy}"


@pytest.mark.parametrize("sandbox", [(), ("--sandbox",)])
def test_config_show_imports_no_pydantic_httpx_client_or_emulator(
    tmp_path: Path, sandbox: tuple[str, ...]
) -> None:
    # It reads the credentials' sources (the keyring too), so those may load; pydantic and the rest may not.
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCALL_")}
    env |= {"ONCALL_SLACK_TOKEN": "xoxb-test-123456"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"  # never the real keyring
    heavy_names = tuple(m for m in SERVICE_ONLY if m not in ("keyring", "oncall_cli.credentials"))
    code, heavy, stdout = _run_entry_point(
        *sandbox, "--config", str(config), "config", "show", "--json", heavy=heavy_names, env=env
    )
    assert code == 0, stdout
    assert {c["provider"]: c["value"] for c in json.loads(stdout)["credentials"]}["slack"] == "***"
    assert heavy == [], f"`oncall config show` imported {heavy}"


def test_an_option_value_typer_cannot_take_still_fails_with_typer_message() -> None:
    # Values past the quick coercion (here an int that is not a plain decimal) go to Typer's own rules.
    result = CliRunner().invoke(app, ["schedule", "new", "--split", "two", "--json"])
    assert result.exit_code == 2
    assert "--split" in result.output


def test_a_sandbox_command_imports_only_the_emulator_of_the_service_it_talks_to(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCALL_")}
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / name)
    others = ("oncall_cli.sandbox.slack", "oncall_cli.sandbox.statuspage", "oncall_cli.sandbox.jsm",
              "oncall_cli.sandbox.jira", "icalendar", "typer._adapters")
    code, _, stdout = _run_entry_point("--sandbox", "whoisoncall", "--json", heavy=others, env=env)
    assert code == 0, stdout  # the first run seeds the sandbox: every service
    code, heavy, stdout = _run_entry_point("--sandbox", "whoisoncall", "--json", heavy=others, env=env)
    assert code == 0, stdout
    assert json.loads(stdout)
    assert heavy == [], f"`oncall --sandbox whoisoncall` imported {heavy}"


@pytest.mark.parametrize(
    ("group", "command", "option", "values"),
    [
        ("schedule", "new", "split", [2, "3", "0", "-1", "007", "+4", " 5", "1_0", "two", "", "9" * 20]),
        ("schedule", "new", "roster", ["roster.toml", "", "-", "a/../b.toml", Path("p.toml")]),
        ("schedule", "new", "start", ["2027-02-01", "", "é"]),
        ("schedule", "show", "weeks", [4, "1", "104", "105", "0", "-3"]),
    ],
)
def test_options_typer_coerces_without_pydantic_get_exactly_what_typer_would_give(
    group: str, command: str, option: str, values: list[object]
) -> None:
    import typer
    from typer._coercion import build_runtime_param

    from oncall_cli.cli.main import load_command

    sub = load_command(group).commands[command]
    param = next(p for p in sub.params if p.name == option)
    ctx = typer.Context(sub)

    def outcome(coerce: Any, value: object) -> tuple[str, object]:
        try:
            return "value", coerce(value, param=param, ctx=ctx)
        except typer.BadParameter as exc:
            return "error", exc.format_message()

    for value in values:
        param._runtime_param = None
        ours = outcome(param.get_runtime_param()._coerce_value, value)
        typers = outcome(build_runtime_param(param.type_descriptor)._coerce_value, value)
        assert ours == typers, f"--{option} {value!r}"
        assert type(ours[1]) is type(typers[1])


@pytest.mark.parametrize("words", [["incident", "raise"], ["sandbox"], []])
def test_help_cmd_serves_the_same_page_as_cmd_help_without_typer_httpx_pydantic_or_rich(
    words: list[str],
) -> None:
    env = {**os.environ, "COLUMNS": "100"}
    code, heavy, stdout = _run_entry_point("help", *words, env=env)
    assert (code, heavy) == (0, []), f"`oncall help {' '.join(words)}` imported {heavy}"
    code, _, page = _run_entry_point(*words, "--help", env=env)
    assert code == 0 and stdout == page


def test_help_cmd_json_wraps_the_page() -> None:
    code, heavy, stdout = _run_entry_point("help", "incident", "raise", "--json")
    pages = json.loads(HELP_PAGES.read_text(encoding="utf-8"))
    assert (code, heavy) == (0, [])
    assert json.loads(stdout) == {"command": "oncall incident raise", "help": pages["incident raise"]}
    full = CliRunner().invoke(app, ["--no-pager", "help", "incident", "raise", "--json"])
    assert full.exit_code == 0 and json.loads(full.stdout)["help"] == pages["incident raise"]


def test_the_full_app_help_cmd_prints_the_pre_rendered_page_and_suggests_on_a_typo() -> None:
    pages = json.loads(HELP_PAGES.read_text(encoding="utf-8"))
    result = CliRunner().invoke(app, ["--no-pager", "help", "incident", "raise"], env={"COLUMNS": "100"})
    assert (result.exit_code, result.stdout) == (0, pages["incident raise"])
    wrong = CliRunner().invoke(app, ["help", "incident", "riase"])
    assert wrong.exit_code == 2 and "Did you mean 'raise'?" in wrong.stderr


def test_no_option_name_is_cut_in_a_help_page() -> None:
    pages = json.loads(HELP_PAGES.read_text(encoding="utf-8"))
    cut = {words: line for words, text in pages.items() for line in text.splitlines() if "…" in line}
    assert cut == {}
    assert "--no-notify-subscribers " in pages["incident raise"]
