"""What the Jira site emulator's route modules share (jira.py, jira_issues.py, jira_search.py,
jira_servicedesk.py): one parsed request, the error they raise, the site's URL, and the JSON of an account.

An error's shape depends on the API that raises it, not on the module: `JiraEmulator.handle` renders a
`JiraError` as Jira's ErrorCollection on the platform API, as `{"errorMessage", "i18nErrorMessage"}` on the
service desk API, and as `{"code", "message"}` on the Teams API.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from oncall_cli.sandbox.base import Ctx, from_json_col


class JiraError(Exception):
    """An error answer: `message` (+ `errors`, field -> message, on the platform API; `code` on the Teams
    API)."""

    def __init__(self, status: int, message: str, *, code: str | None = None,
                 errors: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.errors: dict[str, str] = dict(errors or {})


def field_error(status: int, field: str, message: str) -> JiraError:
    """A platform error about one field: `{"errorMessages": [], "errors": {field: message}}` in Jira's shape
    (the message also goes to the service desk API's `errorMessage`)."""
    return JiraError(status, message, errors={field: message})


@dataclass
class JiraRequest:
    """One request, parsed once for the handlers."""

    ctx: Ctx
    request: httpx.Request
    match: dict[str, str]
    body: Any

    @property
    def db(self) -> sqlite3.Connection:
        return self.ctx.db

    @property
    def now(self) -> datetime:
        return self.ctx.now

    def param(self, name: str) -> str | None:
        value = self.request.url.params.get(name)
        return None if value is None else str(value)

    def params(self, name: str) -> list[str]:
        """A multi-valued parameter, each value also split at commas (`fields=a,b&fields=c`)."""
        return [x.strip() for v in self.request.url.params.get_list(name) for x in str(v).split(",")
                if x.strip()]

    def int_param(self, name: str, default: int) -> int:
        raw = self.param(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise JiraError(400, f"The value '{raw}' is invalid for the parameter '{name}'.") from None

    def bool_param(self, name: str, default: bool) -> bool:
        raw = self.param(name)
        if raw is None or raw.strip() == "":
            return default
        return raw.strip().lower() in ("true", "1")

    @property
    def site(self) -> str:
        """The site's base URL as the caller addressed it (`http://127.0.0.1:8765/jira`)."""
        return site_url(self.request)

    def caller(self) -> sqlite3.Row:
        """The account of the credentials (`caller_row`)."""
        return caller_row(self.db, self.request)


Handler = Callable[[JiraRequest], httpx.Response]
Route = tuple[str, str, Handler]
"""(method, path template, handler) of one operation."""


def site_url(request: httpx.Request) -> str:
    url = request.url
    return f"{url.scheme}://{url.netloc.decode('ascii')}/jira"


def basic_user(request: httpx.Request) -> str | None:
    """The user name (an email) of a Basic `Authorization` header, when it decodes."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    user, _, _ = decoded.partition(":")
    return user or None


def caller_row(db: sqlite3.Connection, request: httpx.Request) -> sqlite3.Row:
    """The account whose email is the Basic credential's user name; any other credential is the site admin
    (the first account). Raises a 401 JiraError on a site without accounts."""
    email = basic_user(request)
    row: sqlite3.Row | None = None
    if email:
        row = db.execute("SELECT * FROM jira_users WHERE email = ?", (email,)).fetchone()
    if row is None:
        row = db.execute("SELECT * FROM jira_users ORDER BY seq LIMIT 1").fetchone()
    if row is None:
        raise JiraError(401, "You are not authenticated. Authentication required to perform this operation.")
    return row


def user_row(db: sqlite3.Connection, account_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = db.execute("SELECT * FROM jira_users WHERE account_id = ?",
                                         (account_id,)).fetchone()
    return row


def avatar_urls(display_name: str) -> dict[str, str]:
    initials = "".join(w[:1] for w in display_name.split()[:2]).upper() or "U"
    return {
        size: f"https://avatar-management.sandbox.invalid/initials/{initials}.png?size={size[:2]}"
        for size in ("16x16", "24x24", "32x32", "48x48")
    }


def user_json(site: str, row: sqlite3.Row, *, locale: bool = True) -> dict[str, Any]:
    """An account as the platform API shows it (User; `locale=False`: UserDetails, which has no locale)."""
    data = from_json_col(row["data"])
    account_id = row["account_id"]
    out: dict[str, Any] = {
        "self": f"{site}/rest/api/3/user?accountId={quote(account_id)}",
        "accountId": account_id,
        "accountType": data.get("accountType", "atlassian"),
        "emailAddress": row["email"],
        "avatarUrls": avatar_urls(str(data["displayName"])),
        "displayName": data["displayName"],
        "active": bool(data.get("active", True)),
        "timeZone": data["timeZone"],
    }
    if locale:
        out["locale"] = data.get("locale", "en_US")
    return out


def jira_time(dt: datetime) -> str:
    """Jira's timestamp: `2025-03-05T15:00:00.000+0000` (UTC)."""
    utc = dt.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def parse_jira_time(text: str) -> datetime:
    """Read back `jira_time` (or any ISO 8601 timestamp)."""
    return datetime.fromisoformat(text)
