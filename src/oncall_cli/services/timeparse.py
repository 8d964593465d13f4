"""The one parser of times and dates people type on the command line (`--at`, `--since`, `--until`, ...).

Pure: the current instant and the time zone are arguments, so every command reads times the same way and
tests need no clock. A value without a UTC offset is wall-clock time in the given zone (the profile's
`timezone` setting). Errors are one-line `UsageError`s that name the flag.

Accepted by `parse_time`:

    2027-02-01T11:00:00+01:00, 2027-02-01T10:00Z   ISO-8601 with an offset: that instant
    2027-02-01 11:00, 2027-02-01T11:00:30          wall-clock time in `tz`
    2027-02-01                                     midnight starting that day in `tz`
    11:00                                          that time today in `tz` (see `clock`)
    now, today, yesterday, tomorrow [HH:MM]        relative to `now` (day words: midnight, or HH:MM)
    -2h, +30m, -3d, +1w, 2h ago                    an offset from `now` (m, h absolute; d, w wall-clock)

A wall-clock time that does not exist (the hour skipped when DST starts) is refused; one that occurs twice
(when DST ends) means its first occurrence.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oncall_cli.errors import UsageError

ClockPolicy = Literal["today", "past", "future"]
"""How a bare `HH:MM` is read: today; the latest such time at or before now; the next one at or after now."""

TIME_EXAMPLES = "e.g. 2027-02-01 11:00, 2027-02-01T16:00Z, 11:00, yesterday 09:30 or -2h"
DATE_EXAMPLES = "e.g. 2027-02-01, today, yesterday or -7d"

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_RELATIVE = re.compile(r"([+-])?\s*(\d+)\s*([mhdw])(?:\s+(ago))?")
_DAY_WORDS = {"today": 0, "yesterday": -1, "tomorrow": 1}


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"unknown time zone {tz!r}", hint="Use an IANA name such as Europe/London.") from exc


def _bad(flag: str, text: str, what: str, examples: str) -> UsageError:
    return UsageError(f"{flag}: {text!r} is not {what} ({examples})")


def localize(wall: datetime, tz: str, *, flag: str = "time") -> datetime:
    """A naive wall-clock datetime in `tz` as an aware one; refuses a time skipped by DST."""
    z = _zone(tz)
    aware = wall.replace(tzinfo=z, fold=0)
    # A skipped wall time does not survive the round trip through UTC.
    if aware.astimezone(UTC).astimezone(z).replace(tzinfo=None) != wall:
        raise UsageError(
            f"{flag}: {wall:%Y-%m-%d %H:%M} does not exist in {tz} (the clocks skip it when daylight "
            "saving time starts); give a time outside the gap or a UTC offset"
        )
    return aware


def day_start(day: date, tz: str) -> datetime:
    """The first instant of a local date in `tz` (midnight, or the first time after a midnight DST gap)."""
    z = _zone(tz)
    wall = datetime.combine(day, time(0))
    aware = wall.replace(tzinfo=z, fold=0)
    if aware.astimezone(UTC).astimezone(z).replace(tzinfo=None) == wall:
        return aware
    # Midnight skipped (some zones start DST at 00:00): the day starts at the transition.
    utc = aware.astimezone(UTC)
    while utc.astimezone(z).date() >= day:
        utc -= timedelta(minutes=15)
    while utc.astimezone(z).date() < day:
        utc += timedelta(minutes=15)
    return utc.astimezone(z)


def _clock(text: str) -> time | None:
    match = _CLOCK.fullmatch(text)
    if not match:
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _relative(text: str, now: datetime, tz: str) -> datetime | None:
    match = _RELATIVE.fullmatch(text)
    if not match:
        return None
    sign, amount, unit, ago = match[1], int(match[2]), match[3], match[4]
    if sign and ago:
        return None
    negative = sign == "-" or bool(ago)
    if not sign and not ago:
        return None
    amount = -amount if negative else amount
    if unit in ("m", "h"):
        return now + timedelta(minutes=amount) if unit == "m" else now + timedelta(hours=amount)
    # Days and weeks move the wall clock ("same time yesterday"), not 24-hour blocks.
    z = _zone(tz)
    wall = now.astimezone(z).replace(tzinfo=None) + timedelta(days=amount * (7 if unit == "w" else 1))
    return wall.replace(tzinfo=z, fold=0).astimezone(UTC).astimezone(z)


def parse_time(text: str, *, flag: str, tz: str, now: datetime, clock: ClockPolicy = "today") -> datetime:
    """An aware datetime from what someone typed for `flag`; see the module docstring for the forms.

    `tz` is the zone of times given without an offset; `now` (aware) anchors `now`, day words, bare clock
    times and offsets; `clock` says which day a bare `HH:MM` falls on. The result is in `tz` when the input
    had no offset, else it keeps the given offset.
    """
    value = " ".join(text.strip().split())
    lowered = value.lower()
    if not value:
        raise UsageError(f"{flag}: a time is required ({TIME_EXAMPLES})")
    z = _zone(tz)
    local_now = now.astimezone(z)
    if lowered == "now":
        return local_now
    relative = _relative(lowered, local_now, tz)
    if relative is not None:
        return relative
    word, _, rest = lowered.partition(" ")
    if word in _DAY_WORDS:
        day = local_now.date() + timedelta(days=_DAY_WORDS[word])
        if not rest:
            return day_start(day, tz)
        at = _clock(rest)
        if at is None:
            raise _bad(flag, text, "a time", TIME_EXAMPLES)
        return localize(datetime.combine(day, at), tz, flag=flag)
    at = _clock(lowered)
    if at is not None:
        when = localize(datetime.combine(local_now.date(), at), tz, flag=flag)
        if clock == "past" and when > local_now:
            when = localize(datetime.combine(local_now.date() - timedelta(days=1), at), tz, flag=flag)
        elif clock == "future" and when < local_now:
            when = localize(datetime.combine(local_now.date() + timedelta(days=1), at), tz, flag=flag)
        return when
    iso = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso):
            return day_start(date.fromisoformat(iso), tz)
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise _bad(flag, text, "a time", TIME_EXAMPLES) from None
    if parsed.tzinfo is None:
        return localize(parsed, tz, flag=flag)
    return parsed


def parse_date(text: str, *, flag: str, tz: str, now: datetime) -> date:
    """A local date in `tz`: `YYYY-MM-DD`, today/yesterday/tomorrow, or `-Nd` / `-Nw` / `Nd ago`."""
    value = " ".join(text.strip().split()).lower()
    local_today = now.astimezone(_zone(tz)).date()
    if value in _DAY_WORDS:
        return local_today + timedelta(days=_DAY_WORDS[value])
    match = _RELATIVE.fullmatch(value)
    if match and match[3] in ("d", "w") and not (match[1] and match[4]) and (match[1] or match[4]):
        days = int(match[2]) * (7 if match[3] == "w" else 1)
        return local_today + timedelta(days=-days if (match[1] == "-" or match[4]) else days)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(flag, text, "a date", DATE_EXAMPLES) from None
