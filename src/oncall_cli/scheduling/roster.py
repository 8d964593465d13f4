"""Roster file (TOML, already loaded into a dict) -> Engineers, with errors a human can act on.

Strict on purpose: an unknown key is usually a typo (`start = ...`, `[[engineer]]`) that would otherwise
silently drop a rule such as the new-hire deferral.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from oncall_cli.errors import UsageError
from oncall_cli.scheduling.model import Engineer, zone

REQUIRED = ("email", "name", "timezone", "start_date")
OPTIONAL = ("new", "team", "manager", "unavailable")
_ALLOWED = frozenset(REQUIRED + OPTIONAL)
TOP_LEVEL = ("engineers",)


class _Problem(Exception):
    """One bad field; collected, then reported as a single UsageError."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def parse_roster(data: Mapping[str, Any], source: str) -> list[Engineer]:
    """Parse `[[engineers]]` tables. Raises one UsageError naming the file, the entry (index and email when
    known) and the field; further problems are counted in the message and listed in `details`."""
    problems: list[str] = []
    for key in data:
        if key not in TOP_LEVEL:
            problems.append(f"{source}: unknown top-level key {key!r} (expected [[engineers]] tables)")
    entries = data.get("engineers")
    if not isinstance(entries, list):
        problems.append(f"{source}: no [[engineers]] tables")
        entries = []
    engineers: list[Engineer] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        email = entry.get("email") if isinstance(entry, Mapping) else None
        where = f"{source}: engineers[{index}]" + (f" ({email})" if isinstance(email, str) and email else "")
        try:
            engineer = _entry(entry)
        except _Problem as problem:
            problems.append(f"{where}: field {problem.field!r}: {problem.message}")
            continue
        if engineer.email in seen:
            problems.append(f"{where}: field 'email': duplicate of engineers[{seen[engineer.email]}]")
            continue
        seen[engineer.email] = index
        engineers.append(engineer)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise UsageError(problems[0] + more, hint=f"Fix the roster file {source}.",
                         details={"source": source, "problems": problems})
    return engineers


def _entry(entry: object) -> Engineer:
    if not isinstance(entry, Mapping):
        raise _Problem("engineers", "each entry must be a table")
    for key in entry:
        if key not in _ALLOWED:
            raise _Problem(str(key), f"unknown key (allowed: {', '.join(REQUIRED + OPTIONAL)})")
    for key in REQUIRED:
        if key not in entry:
            raise _Problem(key, "missing")
    email = _text(entry, "email")
    if "@" not in email:
        raise _Problem("email", f"{email!r} is not an email address (the Opsgenie username)")
    tz = _text(entry, "timezone")
    try:
        zone(tz)
    except UsageError as exc:
        message = f"unknown time zone {tz!r} (use an IANA name such as Europe/London)"
        raise _Problem("timezone", message) from exc
    new = entry.get("new")
    if new is not None and not isinstance(new, bool):
        raise _Problem("new", f"must be true or false, got {new!r}")
    return Engineer(
        email=email,
        name=_text(entry, "name"),
        timezone=tz,
        start_date=_date(entry["start_date"], "start_date"),
        new=new,
        team=_text(entry, "team") if "team" in entry else None,
        manager=_text(entry, "manager") if "manager" in entry else None,
        unavailable=_ranges(entry.get("unavailable", [])),
    )


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise _Problem(key, f"must be a non-empty string, got {value!r}")
    return value.strip()


def _date(value: object, field: str) -> date:
    """A TOML date (or an ISO string, for rosters converted from JSON); a datetime is refused."""
    if isinstance(value, datetime):
        raise _Problem(field, f"must be a date without a time, got {value.isoformat()}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _Problem(field, f"bad date {value!r} (expected YYYY-MM-DD)")


def _ranges(value: object) -> tuple[tuple[date, date], ...]:
    if not isinstance(value, list):
        raise _Problem("unavailable", "must be a list of [start, end] date pairs")
    out = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2:
            raise _Problem("unavailable", f"each entry must be a [start, end] pair, got {item!r}")
        lo, hi = _date(item[0], "unavailable"), _date(item[1], "unavailable")
        if hi < lo:
            raise _Problem("unavailable", f"range ends before it starts: {lo} to {hi}")
        out.append((lo, hi))
    return tuple(out)
