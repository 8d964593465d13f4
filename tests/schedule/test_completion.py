"""Issue 15 item 7: completion of values, offline. Fixed choices come from the code; incident numbers,
rotation names and emails from a 0600 cache in the state folder that read commands refresh. Tested by
invoking the completion functions the options carry, and the shell protocol in-process."""

from __future__ import annotations

import json
import stat
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from conftest import SandboxCli, explain
from oncall_cli.cli.main import app, load_command


def _option(group: str, command: str, flag: str) -> Any:
    root = load_command(group)
    cmd: Any = root
    for word in command.split():
        cmd = cmd.get_command(typer.Context(cmd), word)
    return next(p for p in cmd.params if flag in p.opts or p.name == flag)


def _complete(param: Any, incomplete: str, ctx: Any = None) -> list[str]:
    items = param.shell_complete(ctx or typer.Context(typer.main.get_command(app)), incomplete)
    return [item.value for item in items]


@pytest.mark.parametrize(
    ("group", "command", "flag", "incomplete", "expected"),
    [
        ("incident", "raise", "--priority", "P", ["P1", "P2", "P3", "P4", "P5"]),
        ("incident", "list", "--status", "", ["open", "resolved", "closed"]),
        ("status", "update", "--status", "i", ["investigating", "identified"]),
        ("schedule", "check", "--format", "", ["text", "github", "junit"]),
        ("schedule", "export", "--format", "c", ["csv"]),
        ("auth", "login", "--provider", "s", ["statuspage", "slack"]),
        ("config", "init", "--backend", "", ["opsgenie", "jsm", "pagerduty"]),
        ("alert", "list", "--status", "", ["open", "closed", "all"]),
        ("incident", "priority", "value", "P", ["P1", "P2", "P3", "P4", "P5"]),
    ],
)
def test_fixed_choices_complete_without_any_network(
    group: str, command: str, flag: str, incomplete: str, expected: list[str]
) -> None:
    assert _complete(_option(group, command, flag), incomplete) == expected


def _ctx_with(sandbox_cli: SandboxCli, **params: Any) -> Any:
    """The context TAB sees for `oncall --sandbox ...` (or the global options given)."""
    root = typer.main.get_command(app)
    ctx = typer.Context(root, obj=sandbox_cli.deps())
    ctx.params.update(params or {"sandbox": True})
    return ctx


def test_read_commands_fill_a_private_cache_that_completes_rotations_emails_and_incidents(
    sandbox_cli: SandboxCli,
) -> None:
    ctx = _ctx_with(sandbox_cli)
    rotation_opt = _option("override", "add", "--rotation")
    user_opt = _option("override", "add", "--user")
    assert _complete(rotation_opt, "", ctx) == []  # nothing seen yet: nothing offered, nothing fetched
    who = sandbox_cli.json("whoisoncall")
    on_call = who["schedules"][0]["rotations"][0]["on_call"]["user"]
    assert _complete(rotation_opt, "rot-", ctx) == ["rot-a", "rot-b"]
    assert on_call in _complete(user_opt, on_call[:3], ctx)
    sandbox_cli.json("incident", "raise", "Checkout API returns 500s", "-p", "P3")
    sandbox_cli.json("incident", "list")
    root = load_command("incident")
    show = root.get_command(typer.Context(root), "show")
    id_arg = next(p for p in show.params if p.name == "ref")
    assert _complete(id_arg, "", ctx) == ["1"]
    cache = sandbox_cli.tmp / "state" / "completion.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert set(json.loads(cache.read_text())["profiles"]["sandbox"]) == {"incidents", "rotations", "emails"}


@pytest.mark.parametrize(
    ("group", "command", "param"),
    [
        ("override", "swap", "email_a"),
        ("override", "swap", "email_b"),
        ("incident", "responder add", "email"),
        ("incident", "stakeholder add", "email"),
        ("incident", "review", "--speaker"),
        ("incident", "assign", "--commander"),
        ("incident", "assign", "--comms"),
    ],
)
def test_email_parameters_complete_from_the_cache(
    sandbox_cli: SandboxCli, group: str, command: str, param: str
) -> None:
    ctx = _ctx_with(sandbox_cli)
    sandbox_cli.json("whoisoncall")
    offered = _complete(_option(group, command, param), "", ctx)
    assert offered and all("@" in e for e in offered)


def test_the_cache_is_kept_per_profile_so_sandbox_incidents_never_reach_a_real_profile(
    sandbox_cli: SandboxCli,
) -> None:
    sandbox_cli.json("incident", "raise", "Checkout API returns 500s", "-p", "P3")
    sandbox_cli.json("incident", "list")
    root = load_command("incident")
    show = root.get_command(typer.Context(root), "show")
    id_arg = next(p for p in show.params if p.name == "ref")
    assert _complete(id_arg, "", _ctx_with(sandbox_cli)) == ["1"]
    assert _complete(id_arg, "", _ctx_with(sandbox_cli, profile="sandbox")) == ["1"]
    assert _complete(id_arg, "", _ctx_with(sandbox_cli, sandbox=False)) == []
    assert _complete(id_arg, "", _ctx_with(sandbox_cli, profile="prod")) == []
    cache = sandbox_cli.tmp / "state" / "completion.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


def test_a_broken_cache_offers_nothing_and_the_next_read_repairs_it(sandbox_cli: SandboxCli) -> None:
    state = sandbox_cli.tmp / "state"
    state.mkdir(parents=True)
    (state / "completion.json").write_text("{not json", encoding="utf-8")
    ctx = _ctx_with(sandbox_cli)
    rotation_opt = _option("override", "add", "--rotation")
    assert _complete(rotation_opt, "", ctx) == []
    sandbox_cli.json("rotation", "list")
    assert "rot-a" in _complete(rotation_opt, "", ctx)


def test_the_shell_protocol_completes_a_fixed_choice() -> None:
    from typer._completion_classes import completion_init

    completion_init()
    env = {"_ONCALL_COMPLETE": "complete_bash", "COMP_WORDS": "oncall incident list --status ",
           "COMP_CWORD": "4"}
    result = CliRunner().invoke(app, [], env=env, prog_name="oncall")
    assert result.stdout.split() == ["open", "resolved", "closed"], explain(result)


def test_install_completion_takes_the_shell_name_and_refuses_an_unknown_one() -> None:
    result = CliRunner().invoke(app, ["--install-completion", "tcsh"])
    assert result.exit_code == 2, explain(result)
    assert "--install-completion" in result.stderr and "bash" in result.stderr
    shown = CliRunner().invoke(app, ["--show-completion", "zsh"])
    assert shown.exit_code == 0, explain(shown)
    assert "_ONCALL_COMPLETE=complete_zsh" in shown.stdout


def test_every_entry_of_the_completion_table_names_a_real_parameter() -> None:
    from oncall_cli.cli.completion import VALUES

    def params(command: Any, path: str) -> set[tuple[str, str]]:
        found = {(path, p.name) for p in command.params}
        for name, sub in (getattr(command, "commands", None) or {}).items():
            found |= params(sub, f"{path} {name}")
        return found

    every = set().union(*(params(load_command(name), name) for name in ("alert", "auth", "holiday",
                          "incident", "override", "rotation", "schedule", "shifts", "status")))
    for path, name in VALUES:
        assert any(p == path or p.startswith(path + " ") for p, n in every if n == name), (path, name)
