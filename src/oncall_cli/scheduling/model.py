"""Plain frozen data for the scheduling core: what Opsgenie stores, what the playbook wants, what we plan.

Nothing here does I/O or reads the clock; every type is hashable so tests and the planner can put them in
sets and compare plans byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oncall_cli.errors import UsageError

Placeholder = None
"""A `none` participant (Opsgenie's placeholder) is None in participant tuples."""

ROTATION_TYPES: tuple[str, ...] = ("weekly", "daily", "hourly")
GROUP_LETTERS: tuple[str, ...] = ("A", "B", "C", "D")


@dataclass(frozen=True, slots=True)
class Engineer:
    """One person who can be on call; `email` is their Opsgenie username."""

    email: str
    name: str
    timezone: str
    start_date: date
    new: bool | None = None
    """Explicit flag (roster `new = true`); None means derive it (R7)."""
    team: str | None = None
    """Product team (roster `team`, or the directory's `team` fact): [R13] pairs avoid one team twice."""
    manager: str | None = None
    unavailable: tuple[tuple[date, date], ...] = ()
    """Inclusive date ranges (PTO) during which no shift should be placed (R9)."""


@dataclass(frozen=True, slots=True)
class Rotation:
    """A rotation as Opsgenie stores it: participant k mod n holds shift k."""

    name: str
    start: datetime
    participants: tuple[str | None, ...]
    type: str = "weekly"
    length: int = 1
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Override:
    """Someone (or nobody) replacing the on-call of some rotations for a while."""

    user: str | None
    start: datetime
    end: datetime
    rotations: tuple[str, ...] = ()
    """Rotation names it applies to; () means every rotation of the schedule."""
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class Shift:
    """One stretch of time one rotation hands to one user (None: the `none` placeholder)."""

    rotation: str
    user: str | None
    start: datetime
    end: datetime
    index: int = 0
    """Shift number k since the rotation's start (participant k mod n)."""
    override: bool = False
    """True when an override put `user` here."""


@dataclass(frozen=True, slots=True)
class RoundSettings:
    """The playbook's defaults; the configuration file maps onto this."""

    timezone: str = "America/New_York"
    handoff: time = time(11, 0)
    rotation_names: tuple[str, ...] = ("rot-a", "rot-b")
    next_suffix: str = "-next"
    weekdays: tuple[int, ...] = (0, 2)
    """Handoff weekday per rotation (datetime.weekday()): Monday for A, Wednesday for B."""
    new_hire_days: int = 60
    new_engineer_days: int = 90
    holiday_rotation_names: tuple[str, str] = ("Holiday-a", "Holiday-b")
    min_gap_weeks: int = 4
    """[R11] Weeks between anyone's last shift of a round and their first of the next."""
    avoid_same_team: bool = True
    """[R13] Setting `pair_same_team`: avoid (True) or ignore (False) pairing two engineers of one team."""


@dataclass(frozen=True, slots=True)
class PlannedRotation:
    """A rotation the planner wants created: Opsgenie's fields plus our group letter."""

    name: str
    group: str
    start: datetime
    participants: tuple[str | None, ...]
    type: str = "weekly"
    length: int = 1

    def to_rotation(self) -> Rotation:
        """The rotation as Opsgenie will store it, for timeline and check."""
        return Rotation(self.name, self.start, self.participants, self.type, self.length)


@dataclass(frozen=True, slots=True)
class Pair:
    """Two engineers of different rotations on call together, from `start` to `end`."""

    a: str | None
    b: str | None
    start: datetime
    end: datetime
    rotation_a: str = ""
    rotation_b: str = ""


@dataclass(frozen=True, slots=True)
class Deferral:
    """An engineer left out of the round, why, and from when they could join."""

    user: str
    reason: str
    eligible_from: date | None
    rule: str


@dataclass(frozen=True, slots=True)
class Violation:
    """A broken (or unavoidable) playbook rule, with the rule id from docs/scheduling.md."""

    rule: str
    message: str
    subjects: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


@dataclass(frozen=True, slots=True)
class Plan:
    """A whole round: the rotations to create, the shifts they give, and what could not be helped."""

    timezone: str
    rotations: tuple[PlannedRotation, ...]
    shifts: tuple[Shift, ...]
    pairs: tuple[Pair, ...]
    deferred: tuple[Deferral, ...]
    warnings: tuple[str, ...]
    """One line per problem, each starting with its rule id, e.g. "[R7] ..."."""
    violations: tuple[Violation, ...] = field(default=())
    """The same problems as `warnings`, structured."""


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The IANA zone, or a UsageError naming it: a typo must not become UTC silently."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        hint = "Use an IANA name such as Europe/London."
        raise UsageError(f"unknown time zone {name!r}", hint=hint) from exc


def require_aware(value: datetime, what: str) -> datetime:
    """Naive datetimes are ambiguous across zones; refuse them loudly rather than guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise UsageError(f"{what} must carry a time zone, got {value.isoformat()}")
    return value
