"""Issue 15 item 8 through the CLI: `--quiet` on commands that create things, the global `--yes` /
`--no-input`, "did you mean" and `oncall help CMD`, `config profiles` / `config use`, `whoisoncall --web`,
and the pager for long results on a terminal (`--no-pager`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conftest import SandboxCli, config_file, explain
from oncall_cli.cli.main import app


def _invoke(sandbox_cli: SandboxCli, *args: str, **deps: object) -> Result:
    injected = sandbox_cli.deps()
    for name, value in deps.items():
        setattr(injected, name, value)
    argv = ["--sandbox", "--config", config_file(sandbox_cli.tmp / "config.toml"), *args]
    return CliRunner().invoke(app, argv, obj=injected)


def test_schedule_new_apply_quiet_prints_only_the_rotation_names(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("schedule", "new", "--seed", "7", "--apply", "--no-announce", "--quiet")
    assert result.exit_code == 0, explain(result)
    names = result.stdout.splitlines()
    listed = {r["name"] for r in sandbox_cli.json("rotation", "list")["rotations"]}
    assert len(names) == 2 and set(names) <= listed


def test_schedule_new_quiet_without_apply_prints_nothing(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("schedule", "new", "--seed", "7", "--quiet")
    assert result.exit_code == 0, explain(result)
    assert result.stdout == ""


def test_override_add_quiet_prints_only_the_override_key(sandbox_cli: SandboxCli) -> None:
    who = sandbox_cli.json("whoisoncall")
    rotation = who["schedules"][0]["rotations"][0]
    user = rotation["on_call"]["user"]
    result = sandbox_cli("override", "add", "--user", user, "--rotation", rotation["rotation"],
                         "--start", "2027-02-10 11:00", "--end", "2027-02-11 11:00", "--quiet")
    assert result.exit_code == 0, explain(result)
    [key] = result.stdout.splitlines()
    assert key in {o["alias"] for o in sandbox_cli.json("override", "list")["overrides"]}


def test_a_top_level_typo_exits_2_with_did_you_mean(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("incidnet", "list")
    assert result.exit_code == 2, explain(result)
    assert "Did you mean 'incident'?" in result.stderr


def test_help_cmd_prints_the_commands_help(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("help", "incident", "raise")
    assert result.exit_code == 0, explain(result)
    assert "Usage: oncall incident raise" in result.stdout and "--priority" in result.stdout
    wrong = sandbox_cli("help", "incident", "riase")
    assert wrong.exit_code == 2, explain(wrong)
    assert "Did you mean 'raise'?" in wrong.stderr


def test_config_profiles_lists_and_config_use_switches_the_default(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.default]\nme = "a@example.com"\n[profiles.jsm]\nme = "b@example.com"\n',
                      encoding="utf-8")

    def run(*args: str) -> Result:
        return CliRunner().invoke(app, ["--config", str(config), *args], env={"ONCALL_PROFILE": ""})

    listed = json.loads(run("config", "profiles", "--json").stdout)
    assert [(p["name"], p["current"]) for p in listed["profiles"]] == [("default", True), ("jsm", False)]
    assert run("config", "use", "jsm").exit_code == 0
    assert json.loads(run("config", "show", "--json").stdout)["profile"] == "jsm"
    assert json.loads(run("--profile", "default", "config", "show", "--json").stdout)["profile"] == "default"
    missing = run("config", "use", "prod")
    assert missing.exit_code == 3, explain(missing)
    assert "'prod'" in missing.stderr and "NAME" in missing.stderr
    assert run("config", "use", "default").exit_code == 0
    assert json.loads(run("config", "show", "--json").stdout)["profile"] == "default"


def test_whoisoncall_web_opens_the_schedule_page(sandbox_cli: SandboxCli) -> None:
    opened: list[str] = []
    result = _invoke(sandbox_cli, "whoisoncall", "--web", "--json", open_url=opened.append)
    assert result.exit_code == 0, explain(result)
    json.loads(result.stdout)
    assert len(opened) == 1 and "/schedule/whoIsOnCall?name=" in opened[0]


def test_no_input_refuses_the_delete_question_naming_yes(sandbox_cli: SandboxCli) -> None:
    who = sandbox_cli.json("whoisoncall")
    user = who["schedules"][0]["rotations"][0]["on_call"]["user"]
    result = sandbox_cli("--no-input", "rotation", "remove-engineer", user, "--apply", "--delete-user")
    assert result.exit_code == 2, explain(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--yes" in errors[0]


@pytest.fixture
def terminal_out(monkeypatch: pytest.MonkeyPatch) -> None:
    from oncall_cli.cli import common

    monkeypatch.setattr(common, "stdout_is_terminal", lambda: True)


@pytest.mark.usefixtures("terminal_out")
def test_a_long_list_goes_through_the_pager_on_a_terminal_and_no_pager_turns_it_off(
    sandbox_cli: SandboxCli,
) -> None:
    paged: list[str] = []
    result = _invoke(sandbox_cli, "schedule", "show", "--weeks", "12", page=paged.append)
    assert result.exit_code == 0, explain(result)
    assert len(paged) == 1 and "on-call timeline" in paged[0] and "on-call timeline" not in result.stdout
    plain = _invoke(sandbox_cli, "--no-pager", "schedule", "show", "--weeks", "12", page=paged.append)
    assert plain.exit_code == 0 and len(paged) == 1 and "on-call timeline" in plain.stdout
    as_json = _invoke(sandbox_cli, "schedule", "show", "--weeks", "12", "--json", page=paged.append)
    assert len(paged) == 1 and json.loads(as_json.stdout)["shifts"]
