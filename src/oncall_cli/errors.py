"""The error tree: every failure the user can see, with a stable code, an exit code and a hint.

Lower layers raise these (never vendor or httpx exceptions); the CLI turns them into one line on
stderr, or `{"error": {"code", "message", "hint", "details"}}` with `--json` (`details` only when the
error has some, e.g. the service, method, path and status of a failed HTTP call), and the exit code below.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Stable exit codes, documented in the README; scripts depend on them."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    CONFIG = 3
    AUTH = 4
    NOT_FOUND = 5
    REJECTED = 6
    RATE_LIMITED = 7
    UNAVAILABLE = 8
    RULES_VIOLATED = 9
    PARTIAL = 10


class OncallError(Exception):
    """Base of every error we show. `code` is a stable machine-readable slug."""

    code: str = "error"
    exit_code: ExitCode = ExitCode.UNEXPECTED
    default_hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        self.details: dict[str, Any] = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "hint": self.hint}
        if self.details:
            body["details"] = self.details
        return body


class UsageError(OncallError):
    """Bad flags or bad input data (a roster entry, a date, a priority)."""

    code = "usage"
    exit_code = ExitCode.USAGE
    default_hint = "Run the command with --help to see its options."


class ConfigError(OncallError):
    """The configuration file or a setting is missing or broken."""

    code = "config"
    exit_code = ExitCode.CONFIG
    default_hint = "Check the file with `oncall config show`, or recreate it with `oncall config init`."


class AuthError(OncallError):
    """A credential is missing, rejected, or lacks permission."""

    code = "auth"
    exit_code = ExitCode.AUTH
    default_hint = "Run `oncall auth login` or set the credential's environment variable."


class NotFoundError(OncallError):
    code = "not_found"
    exit_code = ExitCode.NOT_FOUND
    default_hint = "Check the name or identifier."


class RejectedError(OncallError):
    """The remote service refused the request as invalid (422, Slack `ok: false`, ...)."""

    code = "rejected"
    exit_code = ExitCode.REJECTED
    default_hint = "The service refused the request; fix the field it names and try again."


class RateLimitedError(OncallError):
    code = "rate_limited"
    exit_code = ExitCode.RATE_LIMITED
    default_hint = "The service is rate limiting us; wait a minute and run the command again."


class UnavailableError(OncallError):
    """Network down, timeout or 5xx after every retry."""

    code = "unavailable"
    exit_code = ExitCode.UNAVAILABLE
    default_hint = "Check the network and the service's status page, then run the command again."


class RulesViolatedError(OncallError):
    """The playbook's rules are broken (`schedule check`) or cannot be met (an infeasible plan)."""

    code = "rules_violated"
    exit_code = ExitCode.RULES_VIOLATED
    default_hint = "See the listed problems; `docs/scheduling.md` explains each rule id."


class PartialError(OncallError):
    """A multi-step workflow stopped part-way; it is journaled and can be resumed."""

    code = "partial"
    exit_code = ExitCode.PARTIAL
    default_hint = "Fix the cause, then run `oncall incident resume`."


class UnexpectedError(OncallError):
    code = "unexpected"
    exit_code = ExitCode.UNEXPECTED
    default_hint = "Run again with --debug for the traceback and report it."
