"""Settings: where the file lives, profiles, precedence (default < file < env < flag), and `oncall config`."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import platformdirs
import pytest

from oncall_cli.config import (
    SETTINGS,
    default_config_path,
    key_line,
    load_settings,
    set_value,
    write_file,
)
from oncall_cli.errors import ConfigError

from .fakes import Cli, MemoryKeyring, explain


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _show(cli: Cli, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = cli(*args, "config", "show", "--json", env=env)
    assert result.exit_code == 0, explain(result)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _rows(data: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    return {row["key"]: (row["value"], row["source"]) for row in data["settings"]}


# ---- where the file lives ----------------------------------------------------------------------------------


def test_config_file_lives_in_the_platform_user_config_dir(isolated_dirs: SimpleNamespace) -> None:
    expected = Path(platformdirs.user_config_dir("oncall")) / "config.toml"
    assert default_config_path({}) == expected
    assert expected.is_relative_to(isolated_dirs.config)


def test_oncall_config_variable_overrides_the_config_path(tmp_path: Path) -> None:
    assert default_config_path({"ONCALL_CONFIG": str(tmp_path / "x.toml")}) == tmp_path / "x.toml"


def test_commands_without_config_flag_use_the_platform_config_file(
    cli: Cli, isolated_dirs: SimpleNamespace
) -> None:
    result = cli("config", "set", "opsgenie.team", "Platform", with_config=False)
    assert result.exit_code == 0, explain(result)
    written = isolated_dirs.config / "oncall" / "config.toml"
    assert tomllib.loads(written.read_text())["profiles"]["default"]["opsgenie"]["team"] == "Platform"


def test_oncall_config_in_the_environment_chooses_the_file(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.toml"
    result = cli(
        "config", "set", "me", "ada@example.com", env={"ONCALL_CONFIG": str(target)}, with_config=False
    )
    assert result.exit_code == 0, explain(result)
    assert tomllib.loads(target.read_text())["profiles"]["default"]["me"] == "ada@example.com"


def test_config_flag_beats_oncall_config_variable(cli: Cli, tmp_path: Path, config_path: Path) -> None:
    other = tmp_path / "other.toml"
    result = cli("config", "set", "me", "ada@example.com", env={"ONCALL_CONFIG": str(other)})
    assert result.exit_code == 0, explain(result)
    assert config_path.exists() and not other.exists()


# ---- defaults and precedence -------------------------------------------------------------------------------


def test_with_no_file_every_setting_is_its_default(tmp_path: Path) -> None:
    found = load_settings(path=tmp_path / "missing.toml", env={})
    assert found.profile == "default"
    assert {k: (v.value, v.source) for k, v in found.values.items()} == {
        s.key: (s.default, "default") for s in SETTINGS
    }


def test_a_file_value_beats_the_default_an_env_value_beats_the_file_and_a_flag_beats_both(
    config_path: Path,
) -> None:
    _write(config_path, '[profiles.default.opsgenie]\nurl = "https://file.example"\n')
    env = {"ONCALL_OPSGENIE_URL": "https://env.example"}

    def effective(**kw: Any) -> tuple[Any, str]:
        value = load_settings(path=config_path, **kw).values["opsgenie.url"]
        return value.value, value.source

    assert effective(env={}) == ("https://file.example", "file")
    assert effective(env=env) == ("https://env.example", "env")
    flags = {"opsgenie.url": "https://flag.example"}
    assert effective(env=env, flags=flags) == ("https://flag.example", "flag")


@pytest.mark.parametrize(
    ("variable", "key", "from_file", "from_env"),
    [
        ("ONCALL_OPSGENIE_URL", "opsgenie.url", "https://file.example", "https://env.example"),
        ("ONCALL_STATUSPAGE_URL", "statuspage.url", "https://file.example", "http://127.0.0.1:8765/sp"),
        ("ONCALL_STATUSPAGE_PAGE_ID", "statuspage.page_id", "from-file", "from-env"),
        ("ONCALL_SLACK_URL", "slack.url", "https://file.example/api", "https://env.example/api"),
    ],
)
def test_each_environment_variable_overrides_its_setting_from_the_file(
    config_path: Path, variable: str, key: str, from_file: str, from_env: str
) -> None:
    section, leaf = key.split(".")
    _write(config_path, f'[profiles.default.{section}]\n{leaf} = "{from_file}"\n')
    value = load_settings(path=config_path, env={variable: from_env}).values[key]
    assert (value.value, value.source) == (from_env, "env")


def test_an_empty_environment_variable_does_not_override_the_file(config_path: Path) -> None:
    _write(config_path, '[profiles.default.slack]\nurl = "https://file.example"\n')
    assert load_settings(path=config_path, env={"ONCALL_SLACK_URL": ""}).source("slack.url") == "file"


def test_opsgenie_region_eu_means_the_eu_api(config_path: Path) -> None:
    assert load_settings(path=config_path, env={}).opsgenie_url == "https://api.opsgenie.com"
    _write(config_path, '[profiles.default.opsgenie]\nregion = "eu"\n')
    assert load_settings(path=config_path, env={}).opsgenie_url == "https://api.eu.opsgenie.com"


def test_an_explicit_opsgenie_url_beats_the_region(config_path: Path) -> None:
    _write(config_path, '[profiles.default.opsgenie]\nregion = "eu"\nurl = "https://proxy.example"\n')
    assert load_settings(path=config_path, env={}).opsgenie_url == "https://proxy.example"


# ---- profiles ----------------------------------------------------------------------------------------------


PROFILES = """
[profiles.default.opsgenie]
team = "Default team"

[profiles.staging.opsgenie]
team = "Staging team"

[profiles.prod.opsgenie]
team = "Prod team"
"""


def test_profile_is_chosen_by_argument_then_oncall_profile_then_default(config_path: Path) -> None:
    _write(config_path, PROFILES)
    assert load_settings(path=config_path, env={}).text("opsgenie.team") == "Default team"
    staging = {"ONCALL_PROFILE": "staging"}
    assert load_settings(path=config_path, env=staging).text("opsgenie.team") == "Staging team"
    assert load_settings(profile="prod", path=config_path, env=staging).profile == "prod"


def test_profile_flag_beats_oncall_profile_variable(cli: Cli, config_path: Path) -> None:
    _write(config_path, PROFILES)
    assert _rows(_show(cli, env={"ONCALL_PROFILE": "staging"}))["opsgenie.team"] == ("Staging team", "file")
    data = _show(cli, "--profile", "prod", env={"ONCALL_PROFILE": "staging"})
    assert data["profile"] == "prod"
    assert _rows(data)["opsgenie.team"] == ("Prod team", "file")


def test_unknown_profile_exits_3_naming_the_profile_and_the_file(cli: Cli, config_path: Path) -> None:
    _write(config_path, PROFILES)
    result = cli("--profile", "qa", "config", "show")
    assert result.exit_code == 3, explain(result)
    assert "'qa'" in result.stderr and str(config_path) in result.stderr


def test_the_default_profile_needs_no_table_in_the_file(config_path: Path) -> None:
    _write(config_path, '[profiles.staging]\nme = "x@example.com"\n')
    assert load_settings(path=config_path, env={}).source("me") == "default"


# ---- broken files ------------------------------------------------------------------------------------------


def test_broken_config_names_the_file_and_line_and_exits_3(cli: Cli, config_path: Path) -> None:
    _write(config_path, '[profiles.default]\nme = "ada@example.com"\nteam = \n')
    result = cli("config", "show")
    assert result.exit_code == 3, explain(result)
    assert str(config_path) in result.stderr
    assert "line 3" in result.stderr
    assert "Traceback" not in result.output


def test_broken_config_with_json_is_a_config_error_document(cli: Cli, config_path: Path) -> None:
    _write(config_path, "[profiles.default\n")
    result = cli("config", "show", "--json")
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "config"
    assert str(config_path) in error["message"] and "line 1" in error["message"]


def test_unknown_setting_in_the_file_names_the_key_and_the_file(config_path: Path) -> None:
    _write(config_path, '[profiles.default.opsgenie]\nteem = "typo"\n')
    with pytest.raises(ConfigError, match=r"opsgenie\.teem") as caught:
        load_settings(path=config_path, env={})
    assert str(config_path) in caught.value.message


def test_bad_value_in_the_file_names_the_key(config_path: Path) -> None:
    _write(config_path, '[profiles.default]\nweekday_a = "someday"\n')
    with pytest.raises(ConfigError, match="weekday_a"):
        load_settings(path=config_path, env={})


def test_profiles_must_be_a_table(config_path: Path) -> None:
    _write(config_path, 'profiles = "default"\n')
    with pytest.raises(ConfigError, match=r"\[profiles\] must be a table"):
        load_settings(path=config_path, env={})


def test_a_profile_must_be_a_table_and_the_hint_says_edit_the_file(config_path: Path) -> None:
    _write(config_path, '[profiles]\ndefault = "me"\n')
    with pytest.raises(ConfigError, match=r"\[profiles\.default\] must be a table") as caught:
        load_settings(path=config_path, env={})
    assert caught.value.hint == f"Edit {config_path}."


def test_a_secret_in_the_config_file_is_refused_without_echoing_it(cli: Cli, config_path: Path) -> None:
    _write(config_path, '[profiles.default.opsgenie]\napi_key = "og-file-secret-123"\n')
    result = cli("config", "show")
    assert result.exit_code == 3, explain(result)
    assert "opsgenie.api_key" in result.stderr
    assert "og-file-secret-123" not in result.output


# ---- writing the file --------------------------------------------------------------------------------------


def test_written_config_has_mode_0600_even_when_the_old_file_was_world_readable(config_path: Path) -> None:
    _write(config_path, '[profiles.default]\nme = "old@example.com"\n')
    os.chmod(config_path, 0o644)
    set_value(config_path, "default", "me", "new@example.com")
    assert _mode(config_path) == 0o600
    assert tomllib.loads(config_path.read_text())["profiles"]["default"]["me"] == "new@example.com"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(config_path: Path) -> None:
    original = '[profiles.default]\nme = "ada@example.com"\n'
    _write(config_path, original)
    with pytest.raises(TypeError):
        write_file(config_path, {"profiles": {"default": {"me": object()}}})
    assert config_path.read_text() == original
    assert sorted(p.name for p in config_path.parent.iterdir()) == ["config.toml"]


def test_a_write_creates_missing_directories_and_leaves_only_the_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "config.toml"
    write_file(target, {"profiles": {"default": {"me": "ada@example.com"}}})
    assert [p.name for p in target.parent.iterdir()] == ["config.toml"]
    assert _mode(target) == 0o600


def test_set_value_keeps_every_other_key_and_profile(config_path: Path) -> None:
    _write(config_path, PROFILES)
    assert set_value(config_path, "staging", "new_hire_days", "45") == 45
    data = tomllib.loads(config_path.read_text())
    assert data["profiles"]["staging"] == {"opsgenie": {"team": "Staging team"}, "new_hire_days": 45}
    assert data["profiles"]["prod"] == {"opsgenie": {"team": "Prod team"}}


# ---- oncall config set / show / init -----------------------------------------------------------------------


def test_config_set_writes_the_key_and_show_reports_it_from_the_file(cli: Cli, config_path: Path) -> None:
    result = cli("config", "set", "statuspage.page_id", "abc123", "--json")
    assert result.exit_code == 0, explain(result)
    assert json.loads(result.stdout) == {
        "profile": "default",
        "key": "statuspage.page_id",
        "value": "abc123",
        "path": str(config_path),
    }
    assert _mode(config_path) == 0o600
    assert _rows(_show(cli))["statuspage.page_id"] == ("abc123", "file")


@pytest.mark.parametrize(("key", "value"), [("opsgenie.teem", "x"), ("opsgenie.api_key", "og-secret-999")])
def test_config_set_unknown_key_exits_3_naming_the_key(
    cli: Cli, config_path: Path, key: str, value: str
) -> None:
    result = cli("config", "set", key, value)
    assert result.exit_code == 3, explain(result)
    assert repr(key) in result.stderr
    assert config_path.read_text() == ""


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("timezone", "Mars/Olympus"),
        ("handoff_time", "25:99"),
        ("opsgenie.region", "asia"),
        ("new_hire_days", "sixty"),
        ("public_priorities", "P1,P4"),
    ],
)
def test_config_set_bad_value_exits_3_naming_the_key_and_changes_nothing(
    cli: Cli, config_path: Path, key: str, value: str
) -> None:
    _write(config_path, '[profiles.default]\nme = "ada@example.com"\n')
    before = config_path.read_text()
    result = cli("config", "set", key, value, "--json")
    assert result.exit_code == 3, explain(result)
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "config" and key in error["message"]
    assert config_path.read_text() == before


def test_config_show_gives_value_and_source_of_every_setting(cli: Cli, config_path: Path) -> None:
    _write(config_path, '[profiles.default.opsgenie]\nteam = "Platform"\n')
    data = _show(cli, env={"ONCALL_SLACK_URL": "https://slack.example/api"})
    assert (data["profile"], data["path"]) == ("default", str(config_path))
    rows = _rows(data)
    assert list(rows) == [s.key for s in SETTINGS]
    assert rows["opsgenie.team"] == ("Platform", "file")
    assert rows["slack.url"] == ("https://slack.example/api", "env")
    assert rows["timezone"] == ("America/New_York", "default")


def test_config_show_reports_where_each_credential_comes_from_but_never_its_value(
    cli: Cli, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.set_password("oncall-cli", "default:slack", "xoxb-keyring-secret-42")
    data = _show(cli, env={"ONCALL_OPSGENIE_API_KEY": "og-env-secret-42"})
    assert data["credentials"] == [
        {"provider": "opsgenie", "value": "***", "source": "env"},
        {"provider": "statuspage", "value": None, "source": "missing"},
        {"provider": "slack", "value": "***", "source": "keyring"},
    ]
    human = cli("config", "show", env={"ONCALL_OPSGENIE_API_KEY": "og-env-secret-42"})
    assert human.exit_code == 0, explain(human)
    assert "opsgenie.team" in human.stdout and "slack credential" in human.stdout
    for secret in ("og-env-secret-42", "xoxb-keyring-secret-42"):
        assert secret not in human.output


def test_config_init_with_flags_and_yes_writes_the_profile_without_prompting(
    cli: Cli, config_path: Path
) -> None:
    result = cli(
        "config",
        "init",
        "--region",
        "EU",
        "--team",
        "Platform",
        "--page-id",
        "pg1",
        "--me",
        "ada@example.com",
        "--timezone",
        "Europe/London",
        "--yes",
        "--json",
    )
    assert result.exit_code == 0, explain(result)
    assert json.loads(result.stdout)["written"] == {
        "opsgenie.region": "eu",
        "opsgenie.team": "Platform",
        "statuspage.page_id": "pg1",
        "me": "ada@example.com",
        "timezone": "Europe/London",
    }
    assert tomllib.loads(config_path.read_text()) == {
        "profiles": {
            "default": {
                "opsgenie": {"region": "eu", "team": "Platform"},
                "statuspage": {"page_id": "pg1"},
                "me": "ada@example.com",
                "timezone": "Europe/London",
            }
        }
    }
    assert _mode(config_path) == 0o600
    assert load_settings(path=config_path, env={}).opsgenie_url == "https://api.eu.opsgenie.com"


def test_config_init_validates_every_flag_before_writing_anything(cli: Cli, config_path: Path) -> None:
    result = cli("config", "init", "--team", "Platform", "--timezone", "Mars/Olympus", "--yes")
    assert result.exit_code == 3, explain(result)
    assert "timezone" in result.stderr
    assert config_path.read_text() == ""


def test_config_init_keeps_other_profiles(cli: Cli, config_path: Path) -> None:
    _write(config_path, PROFILES)
    result = cli("--profile", "staging", "config", "init", "--me", "sam@example.com", "--yes")
    assert result.exit_code == 0, explain(result)
    data = tomllib.loads(config_path.read_text())["profiles"]
    assert data["staging"] == {"opsgenie": {"team": "Staging team"}, "me": "sam@example.com"}
    assert data["prod"] == {"opsgenie": {"team": "Prod team"}}


def test_config_init_creates_a_new_named_profile(cli: Cli, config_path: Path) -> None:
    result = cli("--profile", "staging", "config", "init", "--team", "Staging", "--yes")
    assert result.exit_code == 0, explain(result)
    assert tomllib.loads(config_path.read_text())["profiles"]["staging"]["opsgenie"]["team"] == "Staging"


# ---- the sandbox profile: its endpoints are fixed, its other settings are not ------------------------------

SANDBOX_ENDPOINTS = {
    "opsgenie.url": "http://sandbox.oncall.invalid/opsgenie",
    "statuspage.url": "http://sandbox.oncall.invalid/statuspage",
    "slack.url": "http://sandbox.oncall.invalid/slack",
    "statuspage.page_id": "sandboxpage001",
    "opsgenie.service": "Artsy",
}


def test_the_sandbox_profile_keeps_its_endpoints_whatever_profiles_sandbox_says(config_path: Path) -> None:
    _write(
        config_path,
        '[profiles.sandbox]\nme = "ada@example.com"\n'
        '[profiles.sandbox.opsgenie]\nurl = "https://api.opsgenie.com"\nservice = "Checkout"\n'
        '[profiles.sandbox.statuspage]\nurl = "https://api.statuspage.io"\npage_id = "prodpage"\n'
        '[profiles.sandbox.slack]\nurl = "https://slack.com/api"\n',
    )
    found = load_settings(profile="sandbox", path=config_path, env={})
    assert {k: (found.get(k), found.source(k)) for k in SANDBOX_ENDPOINTS} == {
        k: (v, "sandbox") for k, v in SANDBOX_ENDPOINTS.items()
    }
    assert found.opsgenie_url == SANDBOX_ENDPOINTS["opsgenie.url"]
    assert (found.get("me"), found.source("me")) == ("ada@example.com", "file")


def test_a_flag_cannot_point_the_sandbox_at_a_real_service(cli: Cli) -> None:
    result = cli("--sandbox", "--set", "slack.url=https://slack.com/api", "config", "show")
    assert result.exit_code == 2, explain(result)
    assert "slack.url" in result.stderr and "sandbox" in result.stderr


def test_config_set_for_the_sandbox_profile_stores_other_settings(cli: Cli, config_path: Path) -> None:
    result = cli("--sandbox", "config", "set", "me", "a@example.com")
    assert result.exit_code == 0, explain(result)
    assert tomllib.loads(config_path.read_text())["profiles"]["sandbox"] == {"me": "a@example.com"}
    assert _rows(_show(cli, "--sandbox"))["me"][:2] == ("a@example.com", "file")


@pytest.mark.parametrize("key", list(SANDBOX_ENDPOINTS))
def test_config_set_for_the_sandbox_profile_refuses_its_fixed_endpoints(
    cli: Cli, config_path: Path, key: str
) -> None:
    result = cli("--sandbox", "config", "set", key, "https://api.example.com", "--json")
    assert result.exit_code == 2, explain(result)
    error = json.loads(result.stdout)["error"]
    assert key in error["message"] and "sandbox" in error["message"]
    assert "--profile" in error["hint"]
    assert config_path.read_text() == ""


# ---- URL settings are checked ------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["ONCALL_OPSGENIE_URL", "ONCALL_STATUSPAGE_URL", "ONCALL_SLACK_URL"])
@pytest.mark.parametrize("bad", ["api.opsgenie.com", "ftp://api.example.com", "https://", "https:///v2"])
def test_a_bad_url_in_the_environment_exits_3_naming_the_variable_and_the_setting(
    cli: Cli, variable: str, bad: str
) -> None:
    result = cli("config", "show", "--json", env={variable: bad})
    assert result.exit_code == 3, explain(result)
    error = json.loads(result.stdout)["error"]
    key = {"ONCALL_OPSGENIE_URL": "opsgenie.url", "ONCALL_STATUSPAGE_URL": "statuspage.url"}.get(
        variable, "slack.url"
    )
    assert variable in error["message"] and key in error["message"]
    assert variable in error["hint"]


def test_a_bad_url_in_the_file_names_the_file_and_the_setting(config_path: Path) -> None:
    _write(config_path, '[profiles.default.slack]\nurl = "slack.com/api"\n')
    with pytest.raises(ConfigError, match=r"slack\.url") as caught:
        load_settings(path=config_path, env={})
    assert str(config_path) in caught.value.message


@pytest.mark.parametrize(
    ("key", "bad"),
    [("opsgenie.url", "api.eu.opsgenie.com"), ("statuspage.url", "mailto:x@y"), ("slack.url", "")],
)
def test_config_set_refuses_a_bad_url(cli: Cli, config_path: Path, key: str, bad: str) -> None:
    result = cli("config", "set", key, bad, "--json")
    assert result.exit_code == 3, explain(result)
    assert key in json.loads(result.stdout)["error"]["message"]
    assert config_path.read_text() == ""


@pytest.mark.parametrize(
    ("key", "url"),
    [
        ("opsgenie.url", "https://api.eu.opsgenie.com"),
        ("statuspage.url", "http://127.0.0.1:8765/statuspage"),
        ("slack.url", "http://localhost:8765/slack"),
    ],
)
def test_config_set_accepts_http_and_https_urls(cli: Cli, key: str, url: str) -> None:
    result = cli("config", "set", key, url)
    assert result.exit_code == 0, explain(result)
    assert _rows(_show(cli))[key][:2] == (url, "file")


def test_an_empty_opsgenie_url_means_from_the_region(cli: Cli) -> None:
    result = cli("config", "set", "opsgenie.url", "")
    assert result.exit_code == 0, explain(result)
    assert load_settings(path=cli.config_path, env={}).opsgenie_url == "https://api.opsgenie.com"


# ---- --set KEY=VALUE: flags for any setting, above the file and the environment ----------------------------


def test_set_flag_beats_the_file_and_the_environment_and_shows_as_flag(cli: Cli, config_path: Path) -> None:
    _write(
        config_path,
        '[profiles.default]\nme = "file@example.com"\n[profiles.default.slack]\nurl = "https://f.example"\n',
    )
    env = {"ONCALL_SLACK_URL": "https://env.example"}
    rows = _rows(
        _show(cli, "--set", "me=flag@example.com", "--set", "slack.url=https://flag.example", env=env)
    )
    assert rows["me"][:2] == ("flag@example.com", "flag")
    assert rows["slack.url"][:2] == ("https://flag.example", "flag")
    assert rows["opsgenie.team"][:2] == ("Engineering", "default")


def test_set_flag_values_are_checked_like_any_other(cli: Cli) -> None:
    result = cli("--set", "timezone=Mars/Olympus", "config", "show")
    assert result.exit_code == 3, explain(result)
    assert "timezone" in result.stderr


@pytest.mark.parametrize("bad", ["me", "=x", "teem=x"])
def test_set_flag_needs_a_known_key_equals_value(cli: Cli, bad: str) -> None:
    result = cli("--set", bad, "config", "show", "--json")
    assert result.exit_code == 2, explain(result)
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "usage" and "--set" in error["message"]


def test_set_flag_allows_an_equals_sign_in_the_value(cli: Cli) -> None:
    rows = _rows(_show(cli, "--set", "holiday_a=a=b"))
    assert rows["holiday_a"][:2] == ("a=b", "flag")


def test_a_command_flag_wins_over_set(cli: Cli, config_path: Path) -> None:
    result = cli("--set", "me=set@example.com", "config", "init", "--me", "own@example.com", "--yes")
    assert result.exit_code == 0, explain(result)
    assert tomllib.loads(config_path.read_text())["profiles"]["default"]["me"] == "own@example.com"


# ---- config show: the effective value of derived settings --------------------------------------------------


def test_config_show_gives_the_effective_opsgenie_url_and_schedule(cli: Cli, config_path: Path) -> None:
    _write(config_path, '[profiles.default.opsgenie]\nregion = "eu"\nteam = "Platform"\n')
    rows = {row["key"]: row for row in _show(cli)["settings"]}
    assert rows["opsgenie.url"] == {
        "key": "opsgenie.url",
        "value": "",
        "source": "default",
        "effective": "https://api.eu.opsgenie.com",
    }
    assert rows["opsgenie.schedule"]["effective"] == "Platform_schedule"
    assert rows["opsgenie.team"]["effective"] == "Platform"
    human = cli("config", "show")
    assert human.exit_code == 0, explain(human)
    assert "https://api.eu.opsgenie.com" in human.stdout and "default (from region eu)" in human.stdout
    assert "Platform_schedule" in human.stdout and "default (from team Platform)" in human.stdout


def test_config_show_effective_is_the_value_when_it_is_set(cli: Cli) -> None:
    rows = {
        row["key"]: row for row in _show(cli, env={"ONCALL_OPSGENIE_URL": "https://p.example"})["settings"]
    }
    assert (rows["opsgenie.url"]["value"], rows["opsgenie.url"]["effective"]) == ("https://p.example",) * 2
    assert all(row["effective"] == row["value"] for k, row in rows.items() if k != "opsgenie.schedule")


# ---- a bad value in the file: which line to edit -----------------------------------------------------------


def test_a_bad_value_in_the_file_names_its_line_and_says_edit_that_line(cli: Cli, config_path: Path) -> None:
    _write(
        config_path,
        '[profiles.staging]\nweekday_a = "someday"\n\n'
        '[profiles.default]\nme = "ada@example.com"\n# the team\nweekday_a = "someday"\n',
    )
    result = cli("config", "show", "--json")
    assert result.exit_code == 3, explain(result)
    error = json.loads(result.stdout)["error"]
    assert f"{config_path} line 7" in error["message"] and "weekday_a" in error["message"]
    assert error["hint"] == f"Edit {config_path} line 7."
    assert "config show" not in error["hint"]


def test_the_line_is_found_in_a_sub_table_and_for_a_dotted_key(config_path: Path) -> None:
    _write(config_path, '[profiles.default.slack]\n\nurl = "nope"\n')
    with pytest.raises(ConfigError, match="line 3") as caught:
        load_settings(path=config_path, env={})
    assert caught.value.hint == f"Edit {config_path} line 3."
    _write(config_path, '[profiles.default]\nme = "x@example.com"\nopsgenie.region = "mars"\n')
    with pytest.raises(ConfigError, match="line 3"):
        load_settings(path=config_path, env={})


def test_an_unknown_key_in_the_file_names_its_line_and_the_known_settings(config_path: Path) -> None:
    _write(config_path, '[profiles.default.opsgenie]\nteam = "x"\nteem = "typo"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path=config_path, env={})
    assert f"{config_path} line 3" in caught.value.message
    assert (
        caught.value.hint.startswith(f"Edit {config_path} line 3.") and "opsgenie.team" in caught.value.hint
    )


def test_key_line_is_best_effort_and_none_when_not_found() -> None:
    text = "[profiles.default]\nopsgenie = { team = 1 }\n[profiles.other]\nme = 2\n"
    assert key_line(text, "profiles.default", "opsgenie.team") == 2
    assert key_line(text, "profiles.other", "me") == 4
    assert key_line(text, "profiles.default", "me") is None
