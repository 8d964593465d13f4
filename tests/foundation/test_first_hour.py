"""Issue 15, "first hour": what a new user hits, through the CLI. Every bad input exits with its documented
code and one line naming the file, field or flag; never a traceback, never a claim of work not done."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backends import null

from .fakes import OPSGENIE_ACCOUNT, Cli, MemoryKeyring, Vendors, explain

OG_KEY = "og-key-0123456789"


class ForgetfulKeyring(MemoryKeyring):
    """A keyring that accepts a secret and keeps nothing (a misconfigured chainer, a locked collection)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# ---- 1. auth login never claims a save it did not make -----------------------------------------------------


def test_login_with_a_keyring_that_forgets_exits_3_naming_the_variable_and_never_says_saved(cli: Cli) -> None:
    keyring.set_keyring(ForgetfulKeyring())
    result = cli("auth", "login", "--provider", "opsgenie", "--stdin", input=f"{OG_KEY}\n")
    assert result.exit_code == 3, explain(result)
    assert "ONCALL_OPSGENIE_API_KEY" in result.stderr
    assert "Saved" not in result.output and OG_KEY not in result.output


def test_login_with_the_null_keyring_exits_3_before_reading_any_secret(cli: Cli) -> None:
    keyring.set_keyring(null.Keyring())
    result = cli("auth", "login", "--provider", "slack", "--stdin", "--json", input="xoxb-0123456789\n")
    assert result.exit_code == 3, explain(result)
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "config" and "ONCALL_SLACK_TOKEN" in error["hint"] + error["message"]


@pytest.mark.usefixtures("no_keyring")
def test_login_with_no_keyring_backend_exits_3_naming_the_variable(cli: Cli) -> None:
    result = cli("auth", "login", "--provider", "statuspage", "--stdin", input="sp-key-0123456789\n")
    assert result.exit_code == 3, explain(result)
    assert "ONCALL_STATUSPAGE_API_KEY" in result.stderr
    assert "sp-key-0123456789" not in result.output


def test_login_without_a_terminal_and_without_stdin_exits_2_naming_stdin(
    cli: Cli, memory_keyring: MemoryKeyring
) -> None:
    result = cli("auth", "login", "--provider", "opsgenie", input=f"{OG_KEY}\n")
    assert result.exit_code == 2, explain(result)
    assert "--stdin" in _one_error_line(result.stderr)
    assert "GetPassWarning" not in result.output and memory_keyring.entries == {}


@pytest.mark.usefixtures("terminal")
def test_login_on_a_terminal_prompts_and_saves(cli: Cli, memory_keyring: MemoryKeyring) -> None:
    result = cli("auth", "login", "--provider", "opsgenie", input=f"{OG_KEY}\n")
    assert result.exit_code == 0, explain(result)
    assert memory_keyring.entries == {("oncall-cli", "default:opsgenie"): OG_KEY}


# ---- 3. typos that used to succeed silently ----------------------------------------------------------------


def test_config_flag_naming_a_missing_file_exits_3_naming_the_file_and_the_flag(
    cli: Cli, tmp_path: Path
) -> None:
    missing = tmp_path / "oncal.toml"
    result = cli("--config", str(missing), "config", "show", with_config=False)
    assert result.exit_code == 3, explain(result)
    line = _one_error_line(result.stderr)
    assert str(missing) in line and "--config" in line


@pytest.mark.parametrize("args", [("config", "profiles"), ("config", "use", "default")])
def test_config_profiles_and_use_refuse_a_missing_file_named_by_the_flag(
    cli: Cli, tmp_path: Path, args: tuple[str, ...]
) -> None:
    missing = tmp_path / "nope.toml"
    result = cli("--config", str(missing), *args, with_config=False)
    assert result.exit_code == 3, explain(result)
    line = _one_error_line(result.stderr)
    assert str(missing) in line and "--config" in line
    assert not missing.exists()


def test_config_profiles_lists_only_profiles_config_use_accepts(cli: Cli, config_path: Path) -> None:
    config_path.write_text('[profiles.sandbox]\nme = "ada@example.com"\n[profiles.jsm]\n', encoding="utf-8")
    listed = json.loads(cli("config", "profiles", "--json").stdout)
    names = [p["name"] for p in listed["profiles"]]
    assert names == ["default", "jsm"]
    for name in names:
        assert cli("config", "use", name).exit_code == 0


def test_config_profiles_under_sandbox_marks_the_sandbox_as_in_use(cli: Cli, config_path: Path) -> None:
    config_path.write_text("[profiles.jsm]\n", encoding="utf-8")
    listed = json.loads(cli("--sandbox", "config", "profiles", "--json").stdout)
    assert [(p["name"], p["current"]) for p in listed["profiles"]] == [
        ("default", False),
        ("jsm", False),
        ("sandbox", True),
    ]
    shown = cli("--sandbox", "config", "profiles")
    assert "* sandbox (--sandbox)" in shown.stdout, explain(shown)


def test_oncall_config_naming_a_missing_file_exits_3_naming_the_variable(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nope.toml"
    monkeypatch.setenv("ONCALL_CONFIG", str(missing))
    result = cli("whoisoncall", with_config=False)
    assert result.exit_code == 3, explain(result)
    line = _one_error_line(result.stderr)
    assert str(missing) in line and "ONCALL_CONFIG" in line


def test_config_init_may_create_the_file_the_config_flag_names(cli: Cli, config_path: Path) -> None:
    result = cli("config", "init", "--team", "Platform", "--yes")
    assert result.exit_code == 0, explain(result)
    assert config_path.exists()


def test_sandbox_with_another_profile_exits_2_naming_both_flags(cli: Cli, config_path: Path) -> None:
    config_path.write_text('[profiles.prod]\nme = "ada@example.com"\n', encoding="utf-8")
    result = cli("--sandbox", "--profile", "prod", "whoisoncall")
    assert result.exit_code == 2, explain(result)
    line = _one_error_line(result.stderr)
    assert "--sandbox" in line and "--profile" in line


def test_sandbox_with_the_sandbox_profile_is_fine(cli: Cli, config_path: Path) -> None:
    config_path.write_text("", encoding="utf-8")
    result = cli("--sandbox", "--profile", "sandbox", "config", "show", "--json")
    assert result.exit_code == 0, explain(result)
    assert json.loads(result.stdout)["profile"] == "sandbox"


@pytest.mark.parametrize(
    "args",
    [
        ("whoisoncall", "--me"),
        ("shifts", "--me"),
        ("override", "add", "--me", "--start", "2027-02-01 11:00", "--end", "2027-02-02 11:00"),
        ("rotation", "add-engineer", "new@example.com", "--start-date", "2027-03-01", "--remind"),
    ],
)
def test_the_sandbox_hint_for_a_missing_me_names_the_sandbox(cli: Cli, args: tuple[str, ...]) -> None:
    result = cli("--sandbox", *args, "--json")
    assert result.exit_code in (2, 3), explain(result)
    assert "oncall --sandbox config set me" in json.loads(result.stdout)["error"]["hint"]


def test_a_named_profile_hint_for_a_missing_me_names_the_profile(cli: Cli, config_path: Path) -> None:
    config_path.write_text('[profiles.prod]\ntimezone = "UTC"\n', encoding="utf-8")
    result = cli("--profile", "prod", "shifts", "--me", "--json")
    assert result.exit_code == 3, explain(result)
    assert "oncall --profile prod config set me" in json.loads(result.stdout)["error"]["hint"]


# ---- 4. inputs that ended in "unexpected error" ------------------------------------------------------------


def test_a_config_file_that_is_not_utf8_exits_3_naming_the_file(cli: Cli, config_path: Path) -> None:
    config_path.write_bytes(b'[profiles.default]\nme = "caf\xe9@example.com"\n')
    result = cli("config", "show")
    assert result.exit_code == 3, explain(result)
    line = _one_error_line(result.stderr)
    assert str(config_path) in line and "UTF-8" in line


def test_a_binary_roster_file_exits_2_naming_the_file_and_the_flag(cli: Cli, tmp_path: Path) -> None:
    roster = tmp_path / "roster.toml"
    roster.write_bytes(bytes(range(256)) * 4)
    result = cli("--sandbox", "schedule", "new", "--roster", str(roster))
    assert result.exit_code == 2, explain(result)
    line = _one_error_line(result.stderr)
    assert str(roster) in line and "--roster" in line


# ---- 6. private state, short secrets ----------------------------------------------------------------------


def test_a_secret_shorter_than_4_characters_is_masked_in_every_output(cli: Cli) -> None:
    short = "q7z"

    def echo(request: httpx.Request) -> httpx.Response:
        header = request.headers.get("Authorization", "")
        return httpx.Response(401, json={"message": f"bad key {header.split()[-1]!r} ({header})"})

    result = cli(
        "--verbose", "--debug", "auth", "status", "--provider", "opsgenie", "--json",
        env={"ONCALL_OPSGENIE_API_KEY": short},
        handler=Vendors().on("GET", OPSGENIE_ACCOUNT, echo),
    )
    everything = result.stdout + result.stderr
    assert "bad key" in everything, explain(result)
    assert short not in everything, explain(result)


# ---- 2. config init checks each answer when it is given ----------------------------------------------------

@pytest.mark.usefixtures("terminal")
def test_config_init_asks_again_after_a_bad_answer_and_keeps_the_others(cli: Cli, config_path: Path) -> None:
    # On Opsgenie: backend, region, team, schedule, service, page id, three channels, me, timezone.
    answers = ["jsn", "opsgenie", "", "Platform", *[""] * 6, "ada@example.com"]
    answers += ["Mars/Olympus", "Europe/London"]
    result = cli("config", "init", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, explain(result)
    assert "expected one of opsgenie, jsm" in result.stderr
    assert "unknown IANA time zone 'Mars/Olympus'" in result.stderr
    written = config_path.read_text()
    assert 'team = "Platform"' in written and 'timezone = "Europe/London"' in written
    assert 'me = "ada@example.com"' in written


@pytest.mark.usefixtures("terminal")
def test_config_init_on_pagerduty_asks_no_opsgenie_region_and_sets_its_own_service(
    cli: Cli, config_path: Path
) -> None:
    # On PagerDuty: backend, team, schedule, service, page id, three channels, me, timezone (no region).
    answers = ["pagerduty", "Engineering", "Engineering_schedule", "Artsy", *[""] * 4, "ada@example.com", ""]
    result = cli("config", "init", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, explain(result)
    assert "opsgenie.region" not in result.stderr
    written = config_path.read_text()
    assert "[profiles.default.pagerduty]" in written and 'service = "Artsy"' in written, written
    assert "region" not in written


@pytest.mark.parametrize(
    ("chosen", "setting"),
    [("opsgenie", "opsgenie.service"), ("pagerduty", "pagerduty.service"), ("jsm", "jsm.service_desk")],
)
def test_config_init_service_sets_the_backends_own_setting(
    cli: Cli, config_path: Path, chosen: str, setting: str
) -> None:
    result = cli("config", "init", "--backend", chosen, "--service", "Artsy", "--me", "ada@example.com",
                 "--yes", "--json")
    assert result.exit_code == 0, explain(result)
    written = json.loads(result.stdout)["written"]
    assert written == {"backend": chosen, setting: "Artsy", "me": "ada@example.com"}


def test_config_init_names_the_flag_of_a_bad_value(cli: Cli, config_path: Path) -> None:
    result = cli("config", "init", "--team", "Platform", "--timezone", "Mars/Olympus", "--yes")
    assert result.exit_code == 3, explain(result)
    line = _one_error_line(result.stderr)
    assert "--timezone" in line and "Mars/Olympus" in line and "flag for" not in line


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [("--me", "notanemail", "not an email address"), ("--team", "", "must not be empty"),
     ("--team", "  ", "must not be empty")],
)
def test_config_init_refuses_a_me_that_is_not_an_email_and_an_empty_team_naming_the_flag(
    cli: Cli, config_path: Path, flag: str, value: str, says: str
) -> None:
    result = cli("config", "init", flag, value, "--yes")
    assert result.exit_code == 3, explain(result)
    line = _one_error_line(result.stderr)
    assert line.startswith(f"error: {flag}:") and says in line
    assert config_path.read_text() == ""  # nothing written


@pytest.mark.usefixtures("terminal")
def test_config_init_asks_again_for_me_until_it_is_an_email(cli: Cli, config_path: Path) -> None:
    # On Opsgenie: backend, region, team, schedule, service, page id, three channels, me, timezone.
    answers = ["opsgenie", "", "Platform", *[""] * 6, "ada", "ada@example.com", ""]
    result = cli("config", "init", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, explain(result)
    assert "'ada' is not an email address" in result.stderr
    assert 'me = "ada@example.com"' in config_path.read_text()
