"""A secret never appears in output, logs, exception messages or `--verbose --debug` traces."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncall_cli import credentials
from oncall_cli.redaction import RedactingFilter, forget_secrets, redact, register_secret

from .fakes import OPSGENIE_ACCOUNT, SLACK_AUTH_TEST, Cli, Vendors, explain

OG_KEY = "og-SECRET-7f3a9c2e"
SLACK_TOKEN = "xoxb-SECRET-51d0e2aa"
SP_KEY = "sp-SECRET-c0ffee99"
ENV = {"ONCALL_OPSGENIE_API_KEY": OG_KEY, "ONCALL_STATUSPAGE_API_KEY": SP_KEY}
SECRETS = (OG_KEY, SLACK_TOKEN, SP_KEY)
Respond = Callable[[httpx.Request], httpx.Response]


# ---- redaction ---------------------------------------------------------------------------------------------


def test_a_registered_secret_is_masked_wherever_it_appears() -> None:
    register_secret(OG_KEY)
    assert redact(f"a{OG_KEY}b {OG_KEY}") == "a***b ***"


def test_the_longest_secret_is_masked_first_so_no_tail_survives() -> None:
    register_secret("abcd")
    register_secret("abcdefgh")
    assert redact("key=abcdefgh") == "key=***"


def test_authorization_values_are_masked_even_when_never_registered() -> None:
    text = 'Authorization: GenieKey 1234-abcd, "Bearer xoxb-1-2", OAuth sp-key, Basic dXNlcjpw'
    assert redact(text) == 'Authorization: GenieKey ***, "Bearer ***", OAuth ***, Basic ***'


def test_token_query_parameters_are_masked() -> None:
    assert redact("GET https://x.example/a?token=t0k3n&channel=C1&api_key=k3y") == (
        "GET https://x.example/a?token=***&channel=C1&api_key=***"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: BEARER abc",
        "authorization: bearer abc",
        "OAUTH abc",
        "BASIC dXNlcjpwYXNz",
        "GET /a?TOKEN=t&x=1",
        "GET /a?Api_Key=k",
        "Bearer\u212a abc ?to\u212aen=t",  # the Kelvin sign matches k under (?i)
        "?to\u212aen=t0k3n",
        "?api_\u212aey=t0k3n",
        "Ba\u017fic dXNlcjpwYXNz",  # the long s matches s under (?i)
        "GEN\u0130EKEY abc",  # the dotted capital I matches i under (?i)
        "Gen\u0131eKey abc",  # the dotless small i too
        "the basic plan has a keynote; token = none",
    ],
)
def test_the_quick_check_never_skips_text_the_auth_patterns_would_mask(text: str) -> None:
    from oncall_cli.redaction import _mask_auth

    assert redact(text) == _mask_auth(text)


AUTH_LETTERS = list("GeniKyOAuthBrsc?&=_p tk\u0130\u0131\u017f\u212a")


@given(st.text(alphabet=st.sampled_from(AUTH_LETTERS), max_size=30))
def test_redaction_masks_exactly_what_the_auth_patterns_match(text: str) -> None:
    from oncall_cli.redaction import _mask_auth

    assert redact(text) == _mask_auth(text)


def test_forget_secrets_forgets_them() -> None:
    register_secret(OG_KEY)
    forget_secrets()
    assert redact(OG_KEY) == OG_KEY


def test_the_logging_filter_masks_the_rendered_message_and_its_arguments() -> None:
    register_secret(OG_KEY)
    record = logging.LogRecord("oncall.http", logging.INFO, __file__, 1, "key %s in %s", (OG_KEY, "x"), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "key *** in x"


# ---- whole commands with --verbose --debug: grep everything they print -------------------------------------


def _echo_the_auth_header(status: int) -> Respond:
    """A hostile server: it echoes the credential back in its error body."""

    def respond(request: httpx.Request) -> httpx.Response:
        header = request.headers.get("Authorization", "")
        return httpx.Response(
            status,
            json={
                "ok": False,
                "error": "invalid_auth",
                "message": f"bad credential {header} / {header.split()[-1]}",
            },
        )

    return respond


def _raise_with_the_auth_header(error: type[Exception]) -> Respond:
    def respond(request: httpx.Request) -> httpx.Response:
        header = request.headers.get("Authorization", "")
        if issubclass(error, httpx.RequestError):
            raise error(f"failed with {header} ({header.split()[-1]})", request=request)
        raise error(f"failed with {header} ({header.split()[-1]})")

    return respond


def _vendors(respond: Respond) -> Vendors:
    return Vendors().on("GET", OPSGENIE_ACCOUNT, respond).on("GET", SLACK_AUTH_TEST, respond)


SCENARIOS: dict[str, tuple[list[str], Respond | None, str | None]] = {
    "auth status against 401 echoing the key": (
        ["auth", "status", "--provider", "opsgenie", "--provider", "slack"],
        (_echo_the_auth_header(401)),
        "oncall.http:",
    ),
    "auth status --json against 403": (
        ["auth", "status", "--provider", "opsgenie", "--provider", "slack", "--json"],
        (_echo_the_auth_header(403)),
        "oncall.http:",
    ),
    "auth status against 422 echoing the key": (
        ["auth", "status", "--provider", "opsgenie"],
        (_echo_the_auth_header(422)),
        "oncall.http:",
    ),
    "auth status against 500s echoing the key": (
        ["auth", "status", "--provider", "opsgenie"],
        (_echo_the_auth_header(500)),
        "oncall.http:",
    ),
    "auth status against a transport that crashes": (
        ["auth", "status", "--provider", "opsgenie"],
        (_raise_with_the_auth_header(RuntimeError)),
        "Traceback",
    ),
    "auth status against a transport that cannot connect": (
        ["auth", "status", "--provider", "slack"],
        (_raise_with_the_auth_header(httpx.ConnectError)),
        "oncall.http:",
    ),
    "auth status against a read timeout": (
        ["auth", "status", "--provider", "opsgenie"],
        (_raise_with_the_auth_header(httpx.ReadTimeout)),
        "oncall.http:",
    ),
    "config show": (["config", "show"], None, None),
    "config show --json": (["config", "show", "--json"], None, None),
    "auth login --stdin": (["auth", "login", "--provider", "slack", "--stdin"], None, None),
    "auth login with a prompt": (["auth", "login", "--provider", "slack"], None, None),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_no_secret_in_any_output_with_verbose_and_debug(cli: Cli, scenario: str) -> None:
    args, respond, proof = SCENARIOS[scenario]
    credentials.store("default", "slack", SLACK_TOKEN)
    forget_secrets()  # the command itself must register what it reads
    result = cli(
        "--verbose",
        "--debug",
        *args,
        env=ENV,
        handler=_vendors(respond) if respond else Vendors(),
        input=f"{SLACK_TOKEN}\n",
    )
    everything = result.stdout + result.stderr + str(result.exception or "")
    if proof is not None:  # the run really produced the logs/traces we are grepping
        assert proof in everything, explain(result)
    for secret in SECRETS:
        assert secret not in everything, f"{secret} leaked in {scenario}\n{explain(result)}"


def test_auth_status_log_lines_show_the_call_but_not_the_credential(cli: Cli) -> None:
    result = cli(
        "--verbose",
        "auth",
        "status",
        "--provider",
        "opsgenie",
        env=ENV,
        handler=_vendors(_echo_the_auth_header(401)),
    )
    assert result.exit_code == 4
    assert "oncall.http: Opsgenie GET https://api.opsgenie.com/v2/account -> 401" in result.stderr
    assert OG_KEY not in result.output


def test_no_secret_in_the_config_file_after_login_and_config_commands(cli: Cli, config_path: Path) -> None:
    cli("auth", "login", "--provider", "slack", "--stdin", input=SLACK_TOKEN)
    cli("config", "set", "opsgenie.team", "Platform", env=ENV)
    cli("config", "init", "--me", "ada@example.com", "--yes", env=ENV)
    text = config_path.read_text(encoding="utf-8")
    assert "Platform" in text
    assert not any(secret in text for secret in SECRETS)
