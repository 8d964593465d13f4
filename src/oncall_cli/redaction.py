"""Keep secrets out of every line we print or log.

Secrets are registered once, when they are read from the keyring or environment; every log record and
error message is passed through `redact` before it reaches a terminal.
"""

from __future__ import annotations

import logging
import re
import threading

_lock = threading.Lock()
_secrets: set[str] = set()
_MASK = "***"
_SHORT = 4
"""Secrets at least this long are masked wherever they appear; shorter ones only as whole words."""
# Authorization values in headers or URLs, whatever the secret: GenieKey x, OAuth x, Bearer x, token=x.
# After "Basic" only a token-shaped value (8+ characters), so prose such as "the basic plan" is kept.
_AUTH_RE = re.compile(r"(?i)\b(GenieKey|OAuth|Bearer)\s+[^\s'\",}]+|\b(Basic)\s+[A-Za-z0-9+/=]{8,}")
_QUERY_RE = re.compile(r"(?i)([?&](?:token|api_key|apikey|key)=)[^&\s'\"]+")
# Neither pattern can match a text without one of these words (case-insensitively): checking for them is a
# few substring searches, where the patterns scan every position (0.3 s over a 10,000-engineer plan).
_CUES = ("geniekey", "oauth", "bearer", "basic", "token=", "key=")
# The only non-ASCII characters that (?i) matches with ASCII letters (İ ı ſ K): with one of them in the text,
# the cues could miss a match, so the patterns run.
_FOLDS = ("\u0130", "\u0131", "\u017f", "\u212a")


def register_secret(value: str | None) -> None:
    """Remember a secret so that `redact` masks it wherever it appears (a short one: as a whole word)."""
    if value:
        with _lock:
            _secrets.add(value)


def forget_secrets() -> None:
    """Forget registered secrets (tests run many commands in one process)."""
    with _lock:
        _secrets.clear()


def redact(text: str) -> str:
    """Mask registered secrets and anything shaped like an auth header or token parameter."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret not in text:
            continue
        if len(secret) >= _SHORT:
            text = text.replace(secret, _MASK)
        else:
            # A secret of 1-3 characters would also match inside ordinary words: mask it where it stands
            # alone (between quotes, spaces, punctuation), which is how a server or a header echoes it.
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", _MASK, text)
    return _mask_auth(text) if _may_hold_auth(text) else text


def _may_hold_auth(text: str) -> bool:
    """False only when neither auth pattern can match `text` (see `_CUES`)."""
    if any(char in text for char in _FOLDS):
        return True
    lowered = text.lower()
    return any(cue in lowered for cue in _CUES)


def _mask_auth(text: str) -> str:
    """Mask anything shaped like an auth header or a token parameter, whatever the secret."""
    text = _AUTH_RE.sub(lambda m: f"{m.group(1) or m.group(2)} {_MASK}", text)
    return _QUERY_RE.sub(lambda m: f"{m.group(1)}{_MASK}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that renders the message and masks secrets in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True
