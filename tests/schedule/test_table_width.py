"""Issue 15 item 9: at 100 columns `schedule new`, `schedule show` and `whoisoncall` fit without wrapping
(names where emails do not fit); `--wide` shows every column in full. Rendered through the CLI on a
"terminal" (stdout_is_terminal replaced) of COLUMNS=100, with --no-pager."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner, Result

from conftest import SandboxCli, config_file, explain
from oncall_cli.cli.main import app

EMAIL = re.compile(r"[\w.]+@example\.com")


@pytest.fixture(autouse=True)
def _terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from oncall_cli.cli import common

    monkeypatch.setattr(common, "stdout_is_terminal", lambda: True)


def _at(sandbox_cli: SandboxCli, columns: int, *args: str) -> Result:
    argv = ["--sandbox", "--config", config_file(sandbox_cli.tmp / "config.toml"), "--no-pager", *args]
    result = CliRunner().invoke(app, argv, obj=sandbox_cli.deps(), env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, explain(result)
    return result


def _rows(stdout: str) -> list[str]:
    """The body rows of every table (a wrapped cell would add a row whose first cell is empty)."""
    return [line for line in stdout.splitlines() if line.startswith("│")]


def _fits(stdout: str, columns: int = 100) -> None:
    assert max(len(line) for line in stdout.splitlines()) <= columns, stdout
    assert "…" not in stdout, stdout
    continuation = [row for row in _rows(stdout) if row.split("│")[1].strip() == ""]
    assert continuation == [], stdout


def test_schedule_new_fits_100_columns_with_names_and_wide_shows_the_emails(sandbox_cli: SandboxCli) -> None:
    narrow = _at(sandbox_cli, 100, "schedule", "new", "--seed", "7").stdout
    _fits(narrow)
    assert EMAIL.search("\n".join(_rows(narrow))) is None and "Linus Dijkstra" in narrow
    wide = _at(sandbox_cli, 100, "schedule", "new", "--seed", "7", "--wide").stdout
    assert "linus.dijkstra@example.com" in wide and "America/New_York" in wide
    assert max(len(line) for line in wide.splitlines()) > 100


def test_schedule_show_fits_100_columns(sandbox_cli: SandboxCli) -> None:
    _fits(_at(sandbox_cli, 100, "schedule", "show", "--weeks", "8").stdout)


def test_schedule_show_uses_names_when_the_emails_do_not_fit(sandbox_cli: SandboxCli) -> None:
    narrow = _at(sandbox_cli, 80, "schedule", "show").stdout
    _fits(narrow, 80)
    assert EMAIL.search("\n".join(_rows(narrow))) is None and "linus.dijkstra" in narrow
    assert "linus.dijkstra@example.com" in _at(sandbox_cli, 80, "schedule", "show", "--wide").stdout


@pytest.mark.parametrize("extra", [(), ("--next",), ("--next", "--set", "me=linus.dijkstra@example.com")])
def test_whoisoncall_fits_100_columns(sandbox_cli: SandboxCli, extra: tuple[str, ...]) -> None:
    args = ("--set", *extra[2:], "whoisoncall", *extra[:1], "--me") if len(extra) == 3 else (
        "whoisoncall", *extra)
    _fits(_at(sandbox_cli, 100, *args).stdout)


def test_whoisoncall_wide_adds_the_email_column(sandbox_cli: SandboxCli) -> None:
    wide = _at(sandbox_cli, 100, "whoisoncall", "--next", "--wide").stdout
    assert "email" in wide and "linus.dijkstra@example.com" in wide


def test_schedule_stats_fits_100_columns_and_wide_shows_the_emails(sandbox_cli: SandboxCli) -> None:
    narrow = _at(sandbox_cli, 100, "schedule", "stats").stdout
    _fits(narrow)
    assert EMAIL.search("\n".join(_rows(narrow))) is None and "spread: hours" in narrow
    wide = _at(sandbox_cli, 100, "schedule", "stats", "--wide").stdout
    assert EMAIL.search(wide) is not None
