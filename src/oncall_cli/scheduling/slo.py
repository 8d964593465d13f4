"""The playbook's response objective and the handoff report's arithmetic, as pure functions.

No I/O, no clock: instants, time zones and holidays are arguments. Three tiers decide how fast an incident
must be acknowledged (docs/oncall.md, "SLO"):

- business: 09:00-17:00 local on a work day (Monday-Friday, not a holiday) -> 10 minutes;
- waking: 07:00-19:00 local on a work day, 09:00-17:00 local on other days -> 30 minutes;
- none: any other time -> no objective.

Hours are half-open: 09:00 is business, 17:00 is not. With several engineers on call, each engineer's own
local time (their Opsgenie time zone) is judged, and the strictest tier that applies to any of them wins.
A holiday is a date of the configured list, applied to each engineer's local date.

The handoff helpers compute the playbook's handoff instants (weekday + wall-clock time in the schedule's
zone, so 11:00 stays 11:00 across DST) and sort incidents into opened / resolved / active for a shift.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal

from oncall_cli.scheduling.model import require_aware, zone

# ---- tiers ----------------------------------------------------------------------------------------------


class Tier(StrEnum):
    """How fast the on-call engineers must acknowledge an incident created at some instant."""

    BUSINESS = "business"
    WAKING = "waking"
    NONE = "none"


TIERS: tuple[Tier, ...] = (Tier.BUSINESS, Tier.WAKING, Tier.NONE)
"""Strictest first."""

OBJECTIVES: dict[Tier, timedelta | None] = {
    Tier.BUSINESS: timedelta(minutes=10),
    Tier.WAKING: timedelta(minutes=30),
    Tier.NONE: None,
}
BUSINESS_HOURS = (time(9, 0), time(17, 0))
WAKING_HOURS_WORK_DAY = (time(7, 0), time(19, 0))
WAKING_HOURS_OTHER_DAY = (time(9, 0), time(17, 0))
WORK_DAYS = frozenset(range(5))
"""Monday (0) to Friday (4)."""


def objective(tier: Tier) -> timedelta | None:
    """The time allowed from creation to first acknowledgement, or None when there is no objective."""
    return OBJECTIVES[tier]


def is_work_day(day: date, holidays: Iterable[date] = ()) -> bool:
    """Monday to Friday, unless the date is a holiday."""
    return day.weekday() in WORK_DAYS and day not in frozenset(holidays)


def _within(clock: time, hours: tuple[time, time]) -> bool:
    return hours[0] <= clock < hours[1]


def local_tier(local: datetime, holidays: Iterable[date] = ()) -> Tier:
    """The tier of one engineer's local wall-clock time (a datetime already in their zone)."""
    clock = local.time().replace(tzinfo=None)
    if is_work_day(local.date(), holidays):
        if _within(clock, BUSINESS_HOURS):
            return Tier.BUSINESS
        return Tier.WAKING if _within(clock, WAKING_HOURS_WORK_DAY) else Tier.NONE
    return Tier.WAKING if _within(clock, WAKING_HOURS_OTHER_DAY) else Tier.NONE


def strictest(tiers: Iterable[Tier]) -> Tier:
    """The strictest of some tiers (NONE when there are none)."""
    found = set(tiers)
    return next((t for t in TIERS if t in found), Tier.NONE)


def tier_at(at: datetime, zones: Sequence[str], holidays: Iterable[date] = ()) -> Tier:
    """The strictest tier that applies at the instant `at` to any engineer whose time zone is in `zones`."""
    require_aware(at, "instant")
    if not zones:
        raise ValueError("tier_at needs at least one time zone")
    days = frozenset(holidays)
    return strictest(local_tier(at.astimezone(zone(name)), days) for name in zones)


# ---- judging incidents ----------------------------------------------------------------------------------

Outcome = Literal["met", "missed", "pending", "no_objective"]


@dataclass(frozen=True, slots=True)
class Response:
    """One incident as the SLO sees it: when it was created, when it was first acknowledged (None: not yet),
    and the time zones of the engineers on call at its creation."""

    incident: str
    created: datetime
    acknowledged: datetime | None
    zones: tuple[str, ...]
    on_call: tuple[str, ...] = ()
    priority: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Judgement:
    """An incident judged against its tier's objective."""

    response: Response
    tier: Tier
    objective: timedelta | None
    response_time: timedelta | None
    """Creation to first acknowledgement; None when not acknowledged yet."""
    outcome: Outcome


def judge(response: Response, *, now: datetime, holidays: Iterable[date] = ()) -> Judgement:
    """Met when acknowledged within the objective (inclusive). Not acknowledged: missed once the objective
    has run out by `now`, else pending. The tier without objective is never met nor missed."""
    require_aware(now, "now")
    tier = tier_at(response.created, response.zones, holidays)
    allowed = objective(tier)
    took = (max(response.acknowledged - response.created, timedelta(0))
            if response.acknowledged is not None else None)
    outcome: Outcome
    if allowed is None:
        outcome = "no_objective"
    elif took is not None:
        outcome = "met" if took <= allowed else "missed"
    else:
        outcome = "missed" if now - response.created > allowed else "pending"
    return Judgement(response, tier, allowed, took, outcome)


@dataclass(frozen=True, slots=True)
class Attainment:
    """One tier's totals: attainment = met / (met + missed); None when nothing was judged."""

    tier: Tier
    objective: timedelta | None
    incidents: int
    met: int
    missed: int
    pending: int

    @property
    def judged(self) -> int:
        return self.met + self.missed

    @property
    def attainment(self) -> float | None:
        return self.met / self.judged if self.judged else None


def attainment(judgements: Iterable[Judgement]) -> list[Attainment]:
    """Totals per tier, strictest first; every tier appears, even with no incidents."""
    items = list(judgements)
    out = []
    for tier in TIERS:
        mine = [j for j in items if j.tier is tier]
        out.append(Attainment(
            tier=tier,
            objective=objective(tier),
            incidents=len(mine),
            met=sum(j.outcome == "met" for j in mine),
            missed=sum(j.outcome == "missed" for j in mine),
            pending=sum(j.outcome == "pending" for j in mine),
        ))
    return out


def first_acknowledgement(created: datetime, actions: Iterable[datetime | None]) -> datetime | None:
    """The earliest responder action at or after creation (actions before it are clock skew noise)."""
    later = [a for a in actions if a is not None and a >= created]
    return min(later) if later else None


# ---- handoffs -------------------------------------------------------------------------------------------


def _handoffs_around(at: datetime, weekdays: Sequence[int], handoff: time, tz: str) -> list[datetime]:
    """Every handoff instant from a week before `at` to a week after, in UTC, sorted."""
    z = zone(tz)
    local_day = at.astimezone(z).date()
    out = []
    for offset in range(-8, 9):
        day = local_day + timedelta(days=offset)
        if day.weekday() in weekdays:
            # fold=0: an ambiguous wall time means its first occurrence (as the timeline does).
            out.append(datetime.combine(day, handoff).replace(tzinfo=z, fold=0).astimezone(UTC))
    return sorted(out)


def last_handoff(now: datetime, weekdays: Sequence[int], handoff: time, tz: str) -> datetime:
    """The latest handoff instant at or before `now` (any rotation's weekday), in the zone `tz`."""
    require_aware(now, "now")
    if not weekdays:
        raise ValueError("no handoff weekdays")
    now_utc = now.astimezone(UTC)
    return max(h for h in _handoffs_around(now, weekdays, handoff, tz) if h <= now_utc).astimezone(zone(tz))


def next_handoff(now: datetime, weekdays: Sequence[int], handoff: time, tz: str) -> datetime:
    """The first handoff instant strictly after `now`, in the zone `tz`."""
    require_aware(now, "now")
    if not weekdays:
        raise ValueError("no handoff weekdays")
    now_utc = now.astimezone(UTC)
    return min(h for h in _handoffs_around(now, weekdays, handoff, tz) if h > now_utc).astimezone(zone(tz))


RESOLVED_STATUSES = frozenset({"resolved", "closed"})


@dataclass(frozen=True, slots=True)
class ShiftIncident:
    """What the handoff report needs to place an incident in the ending shift."""

    id: str
    created: datetime
    status: str
    resolved: datetime | None = None
    """When it was resolved (None while open, or when unknown)."""
    priority: str | None = None
    postmortem: bool = False
    """True when a postmortem is recorded on the incident."""


@dataclass(frozen=True, slots=True)
class ShiftClasses:
    """The ids of the incidents opened, resolved and still active during a shift (one may be in several)."""

    opened: tuple[str, ...]
    resolved: tuple[str, ...]
    active: tuple[str, ...]


def is_open(status: str) -> bool:
    return status.lower() not in RESOLVED_STATUSES


def classify(incidents: Iterable[ShiftIncident], since: datetime, until: datetime) -> ShiftClasses:
    """Opened: created in [since, until). Resolved: resolved in [since, until). Active: still open at the end
    and created before `until`. Each list is ordered by creation time."""
    ordered = sorted(incidents, key=lambda i: (i.created, i.id))
    opened = tuple(i.id for i in ordered if since <= i.created < until)
    resolved = tuple(i.id for i in ordered if not is_open(i.status) and i.resolved is not None
                     and since <= i.resolved < until)
    active = tuple(i.id for i in ordered if is_open(i.status) and i.created < until)
    return ShiftClasses(opened, resolved, active)


POSTMORTEM_PRIORITIES: dict[str, bool] = {"P1": True, "P2": False}
"""Priorities whose resolution asks for a postmortem -> whether the playbook requires it (P1) or only
recommends it (P2)."""
POSTMORTEM_DUE = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """An open follow-up: a resolved incident whose postmortem is not recorded yet."""

    incident: str
    kind: Literal["postmortem"]
    required: bool
    due: datetime | None
    overdue: bool


def follow_ups(incidents: Iterable[ShiftIncident], *, now: datetime) -> list[FollowUp]:
    """Resolved P1/P2 incidents without a postmortem (P1: required, due two days after resolution)."""
    out = []
    for i in sorted(incidents, key=lambda i: (i.created, i.id)):
        required = POSTMORTEM_PRIORITIES.get((i.priority or "").upper())
        if required is None or is_open(i.status) or i.postmortem:
            continue
        due = i.resolved + POSTMORTEM_DUE if (required and i.resolved is not None) else None
        out.append(FollowUp(i.id, "postmortem", required, due, bool(due is not None and now > due)))
    return out
