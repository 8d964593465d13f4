"""What the PagerDuty emulator's two halves (schedules and people in pagerduty.py, incidents in
pagerduty_incidents.py) share: the error they answer with, one parsed request, offset/limit paging, ids and
references. One module, so both halves page, refuse and name things the same way."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from oncall_cli.sandbox.base import Ctx, json_response, new_id, parse_iso

API = "https://api.pagerduty.com"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class PagerDutyError(Exception):
    """A PagerDuty error answer: 400 Invalid Input Provided (with the field errors), 404 Not Found."""

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def invalid(field: str, message: str) -> PagerDutyError:
    return PagerDutyError(400, "Invalid Input Provided", {field: message})


def pd_id(rng: random.Random) -> str:
    """A PagerDuty-shaped id: `P` and six upper-case letters or digits."""
    return new_id(rng, "P", 6, _ID_ALPHABET)


def ref(kind: str, item_id: str, summary: str | None, path: str | None = None) -> dict[str, Any]:
    """A `<kind>_reference` object (its `self` under `path`, default the kind's plural)."""
    return {
        "id": item_id,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"{API}/{path or kind + 's'}/{item_id}",
        "html_url": None,
    }


@dataclass
class Request:
    """One request, parsed once for the handlers."""

    ctx: Ctx
    request: httpx.Request
    match: dict[str, str]
    body: Any

    @property
    def db(self) -> sqlite3.Connection:
        return self.ctx.db

    def param(self, name: str) -> str | None:
        value = self.request.url.params.get(name)
        return None if value is None else str(value)

    def params(self, name: str) -> list[str]:
        return [str(v) for v in self.request.url.params.get_list(name)]

    def int_param(self, name: str, default: int) -> int:
        raw = self.param(name)
        if raw is None or not raw.strip():
            return default
        try:
            return int(raw)
        except ValueError:
            raise invalid(name, f"{name} must be an integer") from None

    def time_param(self, name: str) -> datetime | None:
        raw = self.param(name)
        if not raw:
            return None
        try:
            return parse_iso(raw)
        except ValueError:
            raise invalid(name, f"{name} is not a valid date-time") from None


def page(req: Request, key: str, items: list[Any]) -> httpx.Response:
    """One page of `items` by `offset` + `limit` (default 25, at most 100), with `more` and `total` (null
    unless `total=true`)."""
    offset = req.int_param("offset", 0)
    limit = req.int_param("limit", DEFAULT_LIMIT)
    if offset < 0:
        raise invalid("offset", "offset must be 0 or more")
    if limit < 1 or limit > MAX_LIMIT:
        raise invalid("limit", f"limit must be between 1 and {MAX_LIMIT}")
    total = len(items) if (req.param("total") or "").lower() == "true" else None
    return json_response(
        200,
        {
            key: items[offset : offset + limit],
            "offset": offset,
            "limit": limit,
            "more": offset + limit < len(items),
            "total": total,
        },
    )
