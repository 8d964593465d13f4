"""Who carried the on-call load (`oncall schedule stats`): effective shifts + people + incidents -> per
engineer weeks, hours, hours outside their business hours, holiday shifts and incidents; with the spread.

Plain data in and out: the shifts are the service's effective timeline (overrides and trades applied, so
each hour counts for whoever really held it), clipped here to the window; times are compared as instants.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from oncall_cli.scheduling.model import Shift, zone

BUSINESS_DAYS = range(5)
"""Monday to Friday (`date.weekday()`), in the engineer's own time zone."""
BUSINESS_START = time(9, 0)
BUSINESS_END = time(18, 0)
WEEK_HOURS = 168.0
DEFAULT_WEEKS = 26
"""The default window of `schedule stats`: the last 26 weeks up to now."""


@dataclass(frozen=True, slots=True)
class EngineerLoad:
    """One engineer's on-call load over the window."""

    user: str
    timezone: str
    hours: float
    """Hours on call (any seat), overrides and trades counted for whoever held them."""
    after_hours: float
    """Of those, hours outside Mon-Fri 09:00-18:00 in `timezone`."""
    shifts: int
    """Shifts held (in whole or in part): a shift split by an override counts once per holder."""
    holiday_shifts: int
    """Of those, shifts of the holiday rotations."""
    incidents: int
    """Incidents created while they were on call."""

    @property
    def weeks(self) -> float:
        """On-call weeks: hours / 168."""
        return self.hours / WEEK_HOURS


@dataclass(frozen=True, slots=True)
class Spread:
    """The most and least loaded, so imbalance shows at a glance (over every engineer listed)."""

    max_hours: float
    min_hours: float
    max_weeks: float
    min_weeks: float


@dataclass(frozen=True, slots=True)
class LoadStats:
    start: datetime
    end: datetime
    engineers: tuple[EngineerLoad, ...]
    """Sorted by hours, most first, then by email."""
    spread: Spread
    incidents: int
    """Incidents created in the window."""
    unattended: int
    """Of those, incidents created when nobody was on call."""


def load_stats(
    shifts: Sequence[Shift],
    start: datetime,
    end: datetime,
    *,
    zones: Mapping[str, str],
    default_zone: str,
    incidents: Sequence[datetime] = (),
    holiday_rotations: Collection[str] = (),
    people: Sequence[str] = (),
) -> LoadStats:
    """Per-engineer load over [start, end). `zones` maps emails to IANA zones (others: `default_zone`);
    `incidents` are creation times; `holiday_rotations` are rotation names (case-insensitive) whose shifts are
    holiday shifts; `people` are listed even with no shift (the team), so the spread shows who carried none.
    A `none` placeholder (user None) is nobody's load."""
    lo, hi = start.astimezone(UTC), end.astimezone(UTC)
    holidays = {name.casefold() for name in holiday_rotations}
    hours: dict[str, float] = dict.fromkeys(people, 0.0)
    after: dict[str, float] = dict.fromkeys(people, 0.0)
    held: dict[str, int] = dict.fromkeys(people, 0)
    holiday: dict[str, int] = dict.fromkeys(people, 0)
    spans: list[tuple[datetime, datetime, str]] = []
    for s, new_shift in _pieces(shifts):
        a, b = max(s.start.astimezone(UTC), lo), min(s.end.astimezone(UTC), hi)
        if s.user is None or a >= b:
            continue
        user = s.user
        tz = zones.get(user, default_zone)
        length = (b - a).total_seconds() / 3600
        hours[user] = hours.get(user, 0.0) + length
        after[user] = after.get(user, 0.0) + length - business_hours(a, b, tz)
        held[user] = held.get(user, 0) + new_shift
        holiday[user] = holiday.get(user, 0) + (new_shift and s.rotation.casefold() in holidays)
        spans.append((a, b, user))
    counts = dict.fromkeys(hours, 0)
    total = unattended = 0
    spans.sort(key=lambda x: x[0])
    begins = [a for a, _, _ in spans]
    longest = max((b - a for a, b, _ in spans), default=timedelta(0))
    for at in sorted(t.astimezone(UTC) for t in incidents):
        if not lo <= at < hi:
            continue
        total += 1
        # Shifts holding `at` start at most `longest` before it: a bounded scan back from bisection.
        on_call = set()
        i = bisect_right(begins, at) - 1
        while i >= 0 and at - spans[i][0] <= longest:
            a, b, user = spans[i]
            if a <= at < b:
                on_call.add(user)
            i -= 1
        for user in on_call:
            counts[user] += 1
        unattended += not on_call
    loads = tuple(
        sorted(
            (
                EngineerLoad(
                    user=u,
                    timezone=zones.get(u, default_zone),
                    hours=round(hours[u], 2),
                    after_hours=round(after[u], 2),
                    shifts=held.get(u, 0),
                    holiday_shifts=holiday.get(u, 0),
                    incidents=counts[u],
                )
                for u in hours
            ),
            key=lambda e: (-e.hours, e.user),
        )
    )
    all_hours = [e.hours for e in loads] or [0.0]
    spread = Spread(
        max_hours=max(all_hours),
        min_hours=min(all_hours),
        max_weeks=round(max(all_hours) / WEEK_HOURS, 2),
        min_weeks=round(min(all_hours) / WEEK_HOURS, 2),
    )
    return LoadStats(start, end, loads, spread, total, unattended)


def _pieces(shifts: Sequence[Shift]) -> list[tuple[Shift, bool]]:
    """Each piece of the timeline, and whether it starts a shift of its holder (False: it continues one).

    The timeline splits a shift at an override's edges: the regular holder's piece after an override
    continues their shift (same rotation, only overrides in between), and an override split at a handoff is
    one override. Anything else starts a new shift, so shifts count "held in whole or in part"."""
    out: list[tuple[Shift, bool]] = []
    by_rotation: dict[str, list[Shift]] = {}
    for s in shifts:
        by_rotation.setdefault(s.rotation, []).append(s)
    for pieces in by_rotation.values():
        pieces.sort(key=lambda s: s.start.astimezone(UTC))
        regular: str | None = None
        previous: Shift | None = None
        for s in pieces:
            if s.override:
                new = not (previous is not None and previous.override and previous.user == s.user
                           and previous.end.astimezone(UTC) == s.start.astimezone(UTC))
            else:
                new = not (previous is not None and previous.override and regular == s.user)
                regular = s.user
            out.append((s, new))
            previous = s
    return out


def business_hours(start: datetime, end: datetime, tz: str) -> float:
    """Hours of [start, end) that fall on Mon-Fri 09:00-18:00 in the zone `tz` (wall clock: a business day
    across a DST change still runs 09:00 to 18:00 local)."""
    z = zone(tz)
    a, b = start.astimezone(UTC), end.astimezone(UTC)
    if a >= b:
        return 0.0
    day: date = a.astimezone(z).date()
    last: date = b.astimezone(z).date()
    total = 0.0
    while day <= last:
        if day.weekday() in BUSINESS_DAYS:
            open_ = datetime.combine(day, BUSINESS_START, tzinfo=z).astimezone(UTC)
            close = datetime.combine(day, BUSINESS_END, tzinfo=z).astimezone(UTC)
            lo, hi = max(a, open_), min(b, close)
            if lo < hi:
                total += (hi - lo).total_seconds() / 3600
        day += timedelta(days=1)
    return total
