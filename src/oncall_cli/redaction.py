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
    text = _AUTH_RE.sub(lambda m: f"{m.group(1) or m.group(2)} {_MASK}", text)
    return _QUERY_RE.sub(lambda m: f"{m.group(1)}{_MASK}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that renders the message and masks secrets in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True
