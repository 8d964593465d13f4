"""Credentials live in the environment or the OS keyring (service `oncall-cli`, `<profile>:<provider>`)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from oncall_cli import credentials
from oncall_cli.errors import AuthError, ConfigError, UsageError
from oncall_cli.redaction import redact

from .fakes import (
    OPSGENIE_ACCOUNT,
    OPSGENIE_EU_ACCOUNT,
    SLACK_AUTH_TEST,
    Cli,
    MemoryKeyring,
    Vendors,
    explain,
    opsgenie_ok,
    reply,
    slack_ok,
)

OG_KEY = "og-key-0123456789"
SLACK_TOKEN = "xoxb-token-0123456789"


# ---- the credentials module --------------------------------------------------------------------------------


def test_a_stored_secret_goes_to_the_oncall_cli_service_under_profile_colon_provider(
    memory_keyring: MemoryKeyring,
) -> None:
    credentials.store("staging", "opsgenie", f"  {OG_KEY}\n")
    assert memory_keyring.entries == {("oncall-cli", "staging:opsgenie"): OG_KEY}


def test_the_environment_beats_the_keyring(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password("oncall-cli", "default:opsgenie", "from-keyring-1")
    found = credentials.read("default", "opsgenie", {"ONCALL_OPSGENIE_API_KEY": "from-env-1"})
    assert (found.secret and found.secret.get_secret_value(), found.source) == ("from-env-1", "env")
    found = credentials.read("default", "opsgenie", {})
    assert (found.secret and found.secret.get_secret_value(), found.source) == ("from-keyring-1", "keyring")


@pytest.mark.parametrize(
    ("provider", "variable"),
    [
        ("opsgenie", "ONCALL_OPSGENIE_API_KEY"),
        ("statuspage", "ONCALL_STATUSPAGE_API_KEY"),
        ("slack", "ONCALL_SLACK_TOKEN"),
    ],
)
def test_each_provider_reads_its_own_environment_variable(provider: str, variable: str) -> None:
    found = credentials.read("default", provider, {variable: "secret-value-1"})
    assert found.source == "env"
    assert found.secret is not None and found.secret.get_secret_value() == "secret-value-1"


def test_keyring_entries_are_per_profile(memory_keyring: MemoryKeyring) -> None:
    credentials.store("prod", "slack", SLACK_TOKEN)
    assert credentials.read("staging", "slack", {}).source == "missing"
    assert credentials.read("prod", "slack", {}).source == "keyring"


def test_a_secret_is_registered_for_redaction_as_soon_as_it_is_read(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password("oncall-cli", "default:slack", SLACK_TOKEN)
    assert redact(f"token is {SLACK_TOKEN}") == f"token is {SLACK_TOKEN}"
    credentials.read("default", "slack", {})
    assert redact(f"token is {SLACK_TOKEN}") == "token is ***"


def test_a_secret_repr_never_shows_the_value() -> None:
    found = credentials.read("default", "opsgenie", {"ONCALL_OPSGENIE_API_KEY": OG_KEY})
    assert OG_KEY not in repr(found) and OG_KEY not in str(found)


def test_require_without_a_credential_is_an_auth_error_saying_how_to_provide_it() -> None:
    with pytest.raises(AuthError) as caught:
        credentials.require("default", "statuspage", {})
    assert "oncall auth login --provider statuspage" in caught.value.hint
    assert "ONCALL_STATUSPAGE_API_KEY" in caught.value.hint


def test_an_empty_secret_is_refused(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(UsageError):
        credentials.store("default", "opsgenie", "   ")
    assert memory_keyring.entries == {}


def test_an_unknown_provider_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="victorops"):
        credentials.read("default", "victorops", {})


def test_delete_says_whether_there_was_a_secret(memory_keyring: MemoryKeyring) -> None:
    credentials.store("default", "slack", SLACK_TOKEN)
    assert credentials.delete("default", "slack") is True
    assert credentials.delete("default", "slack") is False


@pytest.mark.usefixtures("no_keyring")
def test_with_no_keyring_backend_storing_says_to_use_the_environment_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        credentials.store("default", "slack", SLACK_TOKEN)
    assert "ONCALL_SLACK_TOKEN" in caught.value.hint
    assert SLACK_TOKEN not in caught.value.message + caught.value.hint


@pytest.mark.usefixtures("no_keyring")
def test_with_no_keyring_backend_reading_finds_nothing_but_the_environment_still_works() -> None:
    assert credentials.read("default", "slack", {}).source == "missing"
    assert credentials.read("default", "slack", {"ONCALL_SLACK_TOKEN": SLACK_TOKEN}).source == "env"


# ---- oncall auth login / logout ----------------------------------------------------------------------------


def test_login_with_stdin_saves_each_provider_in_the_keyring_never_in_the_config_file(
    cli: Cli, memory_keyring: MemoryKeyring, config_path: Path
) -> None:
    result = cli(
        "auth",
        "login",
        "--provider",
        "opsgenie",
        "--provider",
        "slack",
        "--stdin",
        "--json",
        input=f"{OG_KEY}\n{SLACK_TOKEN}\n",
    )
    assert result.exit_code == 0, explain(result)
    assert json.loads(result.stdout) == {"profile": "default", "saved": ["opsgenie", "slack"]}
    assert memory_keyring.entries == {
        ("oncall-cli", "default:opsgenie"): OG_KEY,
        ("oncall-cli", "default:slack"): SLACK_TOKEN,
    }
    assert not config_path.exists() or OG_KEY not in config_path.read_text()
    assert OG_KEY not in result.output and SLACK_TOKEN not in result.output


def test_login_uses_the_chosen_profile(cli: Cli, memory_keyring: MemoryKeyring, config_path: Path) -> None:
    config_path.write_text('[profiles.staging]\nme = "ada@example.com"\n', encoding="utf-8")
    result = cli("--profile", "staging", "auth", "login", "--provider", "slack", "--stdin", input=SLACK_TOKEN)
    assert result.exit_code == 0, explain(result)
    assert memory_keyring.entries == {("oncall-cli", "staging:slack"): SLACK_TOKEN}


@pytest.mark.usefixtures("terminal")
def test_login_prompts_for_the_secret_without_echoing_it(cli: Cli, memory_keyring: MemoryKeyring) -> None:
    result = cli("auth", "login", "--provider", "opsgenie", input=f"{OG_KEY}\n")
    assert result.exit_code == 0, explain(result)
    assert memory_keyring.entries == {("oncall-cli", "default:opsgenie"): OG_KEY}
    assert OG_KEY not in result.output


@pytest.mark.usefixtures("terminal")
def test_login_prompt_goes_to_stderr_so_json_stdout_stays_one_document(cli: Cli) -> None:
    result = cli("auth", "login", "--provider", "opsgenie", "--json", input=f"{OG_KEY}\n")
    assert result.exit_code == 0, explain(result)
    assert json.loads(result.stdout) == {"profile": "default", "saved": ["opsgenie"]}


@pytest.mark.usefixtures("no_keyring")
def test_login_with_no_keyring_backend_exits_3_and_says_to_use_the_environment_variable(cli: Cli) -> None:
    result = cli("auth", "login", "--provider", "statuspage", "--stdin", input="sp-key-0123456789\n")
    assert result.exit_code == 3, explain(result)
    assert "keyring" in result.stderr
    assert "ONCALL_STATUSPAGE_API_KEY" in result.stderr
    assert "sp-key-0123456789" not in result.output


@pytest.mark.usefixtures("no_keyring")
def test_login_with_no_keyring_backend_and_json_is_a_config_error_document(cli: Cli) -> None:
    result = cli("auth", "login", "--provider", "slack", "--stdin", "--json", input=f"{SLACK_TOKEN}\n")
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "config" and "ONCALL_SLACK_TOKEN" in error["hint"]


def test_logout_removes_the_keyring_entries(cli: Cli, memory_keyring: MemoryKeyring) -> None:
    credentials.store("default", "opsgenie", OG_KEY)
    credentials.store("default", "slack", SLACK_TOKEN)
    result = cli("auth", "logout", "--provider", "slack", "--json")
    assert result.exit_code == 0, explain(result)
    assert json.loads(result.stdout) == {"profile": "default", "removed": ["slack"]}
    assert memory_keyring.entries == {("oncall-cli", "default:opsgenie"): OG_KEY}
    again = cli("auth", "logout", "--json")
    assert json.loads(again.stdout)["removed"] == ["opsgenie"]


@pytest.mark.usefixtures("no_keyring")
def test_logout_with_no_keyring_backend_exits_4(cli: Cli) -> None:
    result = cli("auth", "logout", "--provider", "opsgenie")
    assert result.exit_code == 4, explain(result)
    assert "ONCALL_OPSGENIE_API_KEY" in result.stderr


# ---- oncall auth status ------------------------------------------------------------------------------------

BOTH = ("--provider", "opsgenie", "--provider", "slack")
BOTH_KEYS = {"ONCALL_OPSGENIE_API_KEY": OG_KEY, "ONCALL_SLACK_TOKEN": SLACK_TOKEN}


def _status(cli: Cli, vendors: Vendors, env: dict[str, str]) -> tuple[int, dict[str, dict[str, str]]]:
    result = cli("auth", "status", *BOTH, "--json", env=env, handler=vendors)
    assert result.exit_code in (0, 4, 8), explain(result)
    return result.exit_code, {c["provider"]: c for c in json.loads(result.stdout)["credentials"]}


def test_status_is_ok_and_exit_0_when_every_credential_works(cli: Cli, memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password("oncall-cli", "default:slack", SLACK_TOKEN)
    vendors = Vendors().on("GET", OPSGENIE_ACCOUNT, opsgenie_ok()).on("GET", SLACK_AUTH_TEST, slack_ok())
    code, found = _status(cli, vendors, {"ONCALL_OPSGENIE_API_KEY": OG_KEY})
    assert code == 0
    assert {p: (c["status"], c["source"]) for p, c in found.items()} == {
        "opsgenie": ("ok", "env"),
        "slack": ("ok", "keyring"),
    }
    sent = {r.url.host: r.headers["Authorization"] for r in vendors.requests}
    assert sent == {"api.opsgenie.com": f"GenieKey {OG_KEY}", "slack.com": f"Bearer {SLACK_TOKEN}"}


def test_status_missing_names_the_variable_and_exits_4(cli: Cli) -> None:
    code, found = _status(cli, Vendors(), {})
    assert code == 4
    assert found["opsgenie"]["status"] == "missing" and found["opsgenie"]["source"] == "missing"
    assert "ONCALL_OPSGENIE_API_KEY" in found["opsgenie"]["detail"]
    assert found["slack"]["status"] == "missing"


@pytest.mark.usefixtures("no_keyring")
def test_status_without_any_keyring_says_to_set_the_variable_not_to_log_in(cli: Cli) -> None:
    code, found = _status(cli, Vendors(), {})
    assert code == 4
    assert found["opsgenie"]["detail"] == "no OS keyring: set ONCALL_OPSGENIE_API_KEY"
    assert found["slack"]["detail"] == "no OS keyring: set ONCALL_SLACK_TOKEN"
    assert "auth login" not in found["opsgenie"]["detail"]


def test_status_with_a_keyring_offers_auth_login(cli: Cli) -> None:
    _, found = _status(cli, Vendors(), {})
    assert found["slack"]["detail"] == "set ONCALL_SLACK_TOKEN or run `oncall auth login`"


@pytest.mark.usefixtures("no_keyring")
def test_require_without_any_keyring_hints_at_the_variable_only() -> None:
    with pytest.raises(AuthError) as caught:
        credentials.require("default", "opsgenie", {})
    assert "ONCALL_OPSGENIE_API_KEY" in caught.value.hint and "auth login" not in caught.value.hint


def test_keyring_usable_is_false_for_keyrings_fail_and_null_backends() -> None:
    import keyring
    from keyring.backends import fail, null

    assert credentials.keyring_usable()
    for backend in (fail.Keyring(), null.Keyring()):
        keyring.set_keyring(backend)
        assert not credentials.keyring_usable()


def test_status_rejected_when_the_service_answers_401_or_403(cli: Cli) -> None:
    vendors = Vendors().on("GET", OPSGENIE_ACCOUNT, reply(401, {"message": "Key format is not valid!"}))
    vendors.on("GET", SLACK_AUTH_TEST, reply(403, {"ok": False, "error": "invalid_auth"}))
    code, found = _status(cli, vendors, BOTH_KEYS)
    assert code == 4
    assert (found["opsgenie"]["status"], found["slack"]["status"]) == ("rejected", "rejected")
    assert "Key format is not valid!" in found["opsgenie"]["detail"]
    assert len(vendors.requests) == 2  # an auth failure is never retried


def test_status_rejected_when_slack_says_invalid_auth_with_http_200(cli: Cli) -> None:
    vendors = Vendors().on("GET", SLACK_AUTH_TEST, reply(200, {"ok": False, "error": "invalid_auth"}))
    result = cli(
        "auth",
        "status",
        "--provider",
        "slack",
        "--json",
        env={"ONCALL_SLACK_TOKEN": SLACK_TOKEN},
        handler=vendors,
    )
    assert result.exit_code == 4, explain(result)
    assert json.loads(result.stdout)["credentials"][0]["status"] == "rejected"


def test_status_unreachable_when_the_network_fails_after_retries(cli: Cli) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    vendors = Vendors().on("GET", OPSGENIE_ACCOUNT, down).on("GET", SLACK_AUTH_TEST, reply(503, {}))
    code, found = _status(cli, vendors, BOTH_KEYS)
    assert code == 8  # unavailable after retries, not an auth problem
    assert (found["opsgenie"]["status"], found["slack"]["status"]) == ("unreachable", "unreachable")
    assert len(vendors.requests) == 8  # four attempts each
    assert len(cli.clock.sleeps) == 6  # slept between attempts through the injected sleep


def test_status_uses_the_eu_api_when_the_region_is_eu(cli: Cli, config_path: Path) -> None:
    config_path.write_text('[profiles.default.opsgenie]\nregion = "eu"\n', encoding="utf-8")
    vendors = Vendors().on("GET", OPSGENIE_EU_ACCOUNT, opsgenie_ok())
    result = cli(
        "auth", "status", "--provider", "opsgenie", env={"ONCALL_OPSGENIE_API_KEY": OG_KEY}, handler=vendors
    )
    assert result.exit_code == 0, explain(result)
    assert [str(r.url) for r in vendors.requests] == [OPSGENIE_EU_ACCOUNT]


def test_status_uses_the_url_from_the_environment(cli: Cli) -> None:
    vendors = Vendors().on("GET", "https://og.proxy.example/v2/account", opsgenie_ok())
    env = {"ONCALL_OPSGENIE_API_KEY": OG_KEY, "ONCALL_OPSGENIE_URL": "https://og.proxy.example"}
    result = cli("auth", "status", "--provider", "opsgenie", env=env, handler=vendors)
    assert result.exit_code == 0, explain(result)


def test_status_human_output_has_one_line_per_provider(cli: Cli) -> None:
    vendors = Vendors().on("GET", OPSGENIE_ACCOUNT, opsgenie_ok())
    result = cli("auth", "status", *BOTH, env={"ONCALL_OPSGENIE_API_KEY": OG_KEY}, handler=vendors)
    assert result.exit_code == 4
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["opsgenie", "ok", "(env)"]
    assert lines[1].split()[:3] == ["slack", "missing", "(missing)"]


def test_status_of_a_statuspage_key_is_rejected_on_401(cli: Cli) -> None:
    pytest.importorskip("oncall_cli.clients.statuspage")

    def deny(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "api.statuspage.io", request.url
        return httpx.Response(401, json={"error": "Could not authenticate"})

    result = cli(
        "auth",
        "status",
        "--provider",
        "statuspage",
        "--json",
        env={"ONCALL_STATUSPAGE_API_KEY": "sp-key-0123456789", "ONCALL_STATUSPAGE_PAGE_ID": "pg1"},
        handler=deny,
    )
    assert result.exit_code == 4, explain(result)
    assert json.loads(result.stdout)["credentials"][0]["status"] == "rejected"
