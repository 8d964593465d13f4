"""Check each credential with one cheap authenticated call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from oncall_cli import credentials
from oncall_cli.config import SECRET_ENV
from oncall_cli.errors import AuthError, ConfigError, OncallError, RateLimitedError, UnavailableError
from oncall_cli.services.context import Context

Status = Literal["ok", "missing", "rejected", "unreachable", "error"]


@dataclass(frozen=True, slots=True)
class CredentialStatus:
    provider: str
    status: Status
    source: str
    detail: str


def _probe(context: Context, provider: str) -> Callable[[], object]:
    if provider == "opsgenie":
        return context.opsgenie.get_account
    if provider == "statuspage":
        return context.statuspage.get_page
    if provider == "jsm":
        return context.jira.myself
    if provider == "pagerduty":
        return context.pagerduty.check_key
    return context.slack.auth_test


def check(context: Context, provider: str) -> CredentialStatus:
    cred = credentials.read(
        context.settings.profile, provider, context.deps.env, sandbox=context.settings.sandbox
    )
    if cred.secret is None:
        variable = SECRET_ENV[provider]
        if credentials.keyring_usable():
            detail = f"set {variable} or run `oncall auth login`"
        else:
            detail = f"no OS keyring: set {variable}"
        return CredentialStatus(provider, "missing", cred.source, detail)
    try:
        _probe(context, provider)()
    except AuthError as exc:
        return CredentialStatus(provider, "rejected", cred.source, exc.message)
    except (UnavailableError, RateLimitedError) as exc:
        return CredentialStatus(provider, "unreachable", cred.source, exc.message)
    except ConfigError as exc:
        return CredentialStatus(provider, "error", cred.source, exc.message)
    except OncallError as exc:
        return CredentialStatus(provider, "error", cred.source, exc.message)
    return CredentialStatus(provider, "ok", cred.source, "")


def check_all(context: Context, providers: tuple[str, ...] | None = None) -> list[CredentialStatus]:
    """Each credential the profile uses (`Settings.providers`), or the ones named."""
    return [check(context, p) for p in (providers or context.settings.providers)]
