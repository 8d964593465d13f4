"""Start-up is a feature: `oncall --help` and `--version` are served without Typer, httpx or rich."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

import oncall_cli
from oncall_cli.cli.main import app
from oncall_cli.cli.reference import render_help

HELP_TXT = Path(oncall_cli.__file__).parent / "cli" / "help.txt"
HEAVY = ("httpx", "pydantic", "rich", "typer", "click", "keyring")

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
heavy = sorted(m for m in sys.modules if m.split(".")[0] in heavy_names)
sys.stderr.write(json.dumps({"code": code, "heavy": heavy}))
"""


def _run_entry_point(*args: str) -> tuple[int | None, list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(args)), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    report = json.loads(done.stderr)
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
