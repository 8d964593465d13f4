"""Back-dated notes on trackers that cannot back-date (Jira comments, PagerDuty notes): the past time is
written at the start of the text, `[2026-12-06 14:20 -0500] Rolled back the deploy`, and read back from it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_AT = re.compile(r"^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2} [+-]\d{4})\] ")


def backdated(text: str, at: datetime | None, timezone: str) -> str:
    """The note's text: as given when `at` is None, else with `at` (in `timezone`) written first."""
    return text if at is None else f"[{at.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M %z}] {text}"


def stated_time(body: str) -> datetime | None:
    """The time a back-dated note states (UTC), None when it states none."""
    found = _AT.match(body)
    if not found:
        return None
    try:
        return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M %z").astimezone(UTC)
    except ValueError:
        return None


def strip_time(body: str) -> str:
    """The note's text without the stated time."""
    return _AT.sub("", body, count=1)
