"""Secrets from the environment or the OS keyring, never from a file.

Each secret read is registered for redaction before it is returned, so no log line or error message can
show it. With no usable keyring backend (a headless CI box) we say so and point at the environment
variable; we never fall back to storing secrets in plain text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from oncall_cli.config import PROVIDERS, SANDBOX_PROFILE, SECRET_ENV
from oncall_cli.errors import AuthError, ConfigError, UsageError
from oncall_cli.redaction import register_secret

KEYRING_SERVICE = "oncall-cli"
CredentialSource = Literal["env", "keyring", "sandbox", "missing"]


class Secret:
    """A secret that never shows itself in a repr, a str or a traceback's locals (as pydantic's SecretStr),
    without importing pydantic: `config show` and other commands that only look at credentials stay light."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Credential:
    provider: str
    secret: Secret | None
    source: CredentialSource


def _entry(profile: str, provider: str) -> str:
    return f"{profile}:{provider}"


def _check_provider(provider: str) -> None:
    if provider not in PROVIDERS:
        raise UsageError(f"--provider: unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}")


def _no_keyring(provider: str, exc: Exception) -> AuthError:
    return AuthError(
        f"no usable OS keyring to hold the {provider} credential ({type(exc).__name__})",
        hint=f"Set the environment variable {SECRET_ENV[provider]} instead (e.g. in your CI secrets).",
    )


def keyring_usable() -> bool:
    """Whether an OS keyring backend can hold secrets here.

    Not when keyring falls back to its `fail` backend (no backend found, e.g. a headless CI box) or its
    `null` one (keyring disabled: it would accept a secret and forget it), nor when asking fails.
    """
    import keyring
    from keyring.backends import fail, null

    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration fails in many ways; all mean "not usable"
        return False
    return not isinstance(backend, fail.Keyring | null.Keyring)


def _cannot_keep(provider: str, why: str) -> ConfigError:
    variable = SECRET_ENV[provider]
    return ConfigError(
        f"{why}: the {provider} credential was not saved; set {variable} instead",
        hint=f"Set the environment variable {variable} (e.g. in your CI secrets, or your shell profile).",
    )


def require_keyring(providers: tuple[str, ...]) -> None:
    """A ConfigError naming the first provider's environment variable when no OS keyring can keep secrets."""
    if providers and not keyring_usable():
        raise _cannot_keep(providers[0], "no usable OS keyring here")


def read(
    profile: str, provider: str, env: Mapping[str, str] | None = None, *, sandbox: bool = False
) -> Credential:
    """The provider's secret for this profile: environment first, then the keyring. A sandbox profile (the
    built-in one, or `sandbox = true`) has fixed practice keys."""
    _check_provider(provider)
    env = os.environ if env is None else env
    if sandbox or profile == SANDBOX_PROFILE:
        return Credential(provider, Secret(f"sandbox-{provider}-key"), "sandbox")
    value = env.get(SECRET_ENV[provider])
    if value:
        register_secret(value)
        return Credential(provider, Secret(value), "env")
    import keyring
    from keyring.errors import KeyringError

    try:
        stored = keyring.get_password(KEYRING_SERVICE, _entry(profile, provider))
    except (KeyringError, RuntimeError):
        # No backend: reading finds nothing; `require` explains what to do instead.
        stored = None
    if stored:
        register_secret(stored)
        return Credential(provider, Secret(stored), "keyring")
    return Credential(provider, None, "missing")


def require(
    profile: str, provider: str, env: Mapping[str, str] | None = None, *, sandbox: bool = False
) -> Secret:
    """The secret, or an AuthError that says how to provide it."""
    credential = read(profile, provider, env, sandbox=sandbox)
    if credential.secret is None:
        raise AuthError(f"no {provider} credential for profile {profile!r}", hint=how_to_provide(provider))
    return credential.secret


def how_to_provide(provider: str) -> str:
    """What to do about a missing credential: `auth login` only helps where there is an OS keyring."""
    variable = SECRET_ENV[provider]
    if not keyring_usable():
        return f"No OS keyring here: set {variable} instead (e.g. in your CI secrets)."
    return f"Run `oncall auth login --provider {provider}` or set {variable}."


def store(profile: str, provider: str, secret: str) -> None:
    """Save the secret in the OS keyring (service `oncall-cli`, entry `<profile>:<provider>`)."""
    _check_provider(provider)
    if profile == SANDBOX_PROFILE:
        raise UsageError("the sandbox profile needs no credentials")
    if not secret.strip():
        raise UsageError(f"the {provider} credential is empty")
    register_secret(secret)
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, _entry(profile, provider), secret.strip())
        kept = keyring.get_password(KEYRING_SERVICE, _entry(profile, provider))
    except (KeyringError, RuntimeError) as exc:
        raise _cannot_keep(provider, f"the OS keyring refused it ({type(exc).__name__})") from exc
    if kept != secret.strip():
        # Some backends accept a secret and keep nothing: never report a save we did not make.
        raise _cannot_keep(provider, "the OS keyring did not keep it")


def delete(profile: str, provider: str) -> bool:
    """Remove the secret from the keyring; False when there was none."""
    _check_provider(provider)
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        keyring.delete_password(KEYRING_SERVICE, _entry(profile, provider))
    except PasswordDeleteError:
        return False
    except (KeyringError, RuntimeError) as exc:
        raise _no_keyring(provider, exc) from exc
    return True
