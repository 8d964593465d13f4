"""One small pure function per playbook rule; ids R1..R13 are explained in docs/scheduling.md.

The planner and the checker both call these, so a rule is decided in exactly one place.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from oncall_cli.errors import UsageError
from oncall_cli.scheduling.model import GROUP_LETTERS, Engineer, Rotation, RoundSettings, zone
from oncall_cli.scheduling.timeline import shift_start

EASTERN_REFERENCE = "America/New_York"
SPLIT_RANGE = range(1, 5)


# [R1] ---------------------------------------------------------------------------------------------------


def weekly_shifts(start: datetime, count: int, tz: str) -> list[tuple[datetime, datetime]]:
    """[R1] The `count` one-week shifts of a round from `start`, handoffs at wall-clock time in `tz`."""
    rotation = Rotation("_", start, ("_",))
    z = zone(tz)
    edges = [shift_start(rotation, k, tz).astimezone(z) for k in range(count + 1)]
    return list(itertools.pairwise(edges))


def group_of(rotation_name: str, settings: RoundSettings = RoundSettings()) -> str | None:
    """[R1] Which on-call seat a rotation fills: "A" for rot-a, rot-a-next, Holiday-a; None if unknown.

    Names are matched against the configured base names (with any suffix) and the holiday names, case
    insensitively, so `rot-a-next-2` is still A but `rot-ab` is not.
    """
    lowered = rotation_name.lower()
    for i, base in enumerate(settings.rotation_names):
        if i < len(GROUP_LETTERS) and re.fullmatch(re.escape(base.lower()) + r"(-.*)?", lowered):
            return GROUP_LETTERS[i]
    for i, holiday in enumerate(settings.holiday_rotation_names):
        if re.fullmatch(_holiday_pattern(holiday), lowered):
            return GROUP_LETTERS[i]
    # The playbook's fixed names, in case the configured ones differ.
    match = re.fullmatch(r"(?:rot|holiday)-([a-d])(?:-.*)?", lowered)
    return match.group(1).upper() if match else None


def _holiday_pattern(base: str) -> str:
    return re.escape(base.lower()) + r"(-[0-9]{4})?"


def is_holiday(rotation_name: str, settings: RoundSettings) -> bool:
    """A holiday rotation: a configured holiday name (`Holiday-a`), alone or with the year of its season
    (`Holiday-a-2028`, created while another season's `Holiday-a` still runs). Case insensitive."""
    lowered = rotation_name.lower()
    return any(re.fullmatch(_holiday_pattern(h), lowered) for h in settings.holiday_rotation_names)


def holiday_season_name(base: str, year: int) -> str:
    """The name of a season's holiday rotation when `base` is taken by another season's."""
    return f"{base}-{year}"


# [R2] ---------------------------------------------------------------------------------------------------


def has_started(engineer: Engineer, round_start: date) -> bool:
    """[R2] Only engineers who started before the round begins are candidates."""
    return engineer.start_date < round_start


# [R3] ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def is_eastern(tz: str) -> bool:
    """[R3] True when `tz` keeps New York's UTC offset at every hour of 2024-2027.

    Comparing offsets, never names, is what makes America/Detroit Eastern and America/Panama (EST, no DST)
    or America/Havana (DST switches at other hours) not. Offsets are compared daily, and hour by hour
    across every day on which either zone changes offset, so transitions that differ by hours are caught
    at a fraction of the cost of hourly sampling; the result is cached per zone name.
    """
    here, ny = zone(tz), zone(EASTERN_REFERENCE)

    def offsets(at: datetime) -> tuple[timedelta | None, timedelta | None]:
        return at.astimezone(here).utcoffset(), at.astimezone(ny).utcoffset()

    day, hour = timedelta(days=1), timedelta(hours=1)
    at = datetime(2024, 1, 1, tzinfo=UTC)
    stop = datetime(2028, 1, 1, tzinfo=UTC)
    previous = offsets(at)
    while at < stop:
        current = offsets(at)
        if current[0] != current[1]:
            return False
        if current != previous:
            step = at - day
            while step < at:
                mine, theirs = offsets(step)
                if mine != theirs:
                    return False
                step += hour
        previous = current
        at += day
    return True


def group_sizes(count: int, groups: int) -> list[int]:
    """[R3][R4] Sizes differing by at most one; the earlier groups (A first) take the remainder."""
    base, extra = divmod(count, groups)
    return [base + (1 if i < extra else 0) for i in range(groups)]


def split_engineers(ordered: Sequence[Engineer], groups: int) -> list[list[Engineer]]:
    """[R3][R4] Balanced groups, A filled with Eastern engineers first; each group keeps `ordered` order.

    Eastern engineers come first in the fill order, so A gets as many as its size allows, the surplus
    spills into B, and when they are fewer A is topped up with the others.
    """
    eastern = [e for e in ordered if is_eastern(e.timezone)]
    others = [e for e in ordered if not is_eastern(e.timezone)]
    fill = eastern + others
    group_index: dict[str, int] = {}
    at = 0
    for g, size in enumerate(group_sizes(len(fill), groups)):
        for engineer in fill[at : at + size]:
            group_index[engineer.email] = g
        at += size
    result: list[list[Engineer]] = [[] for _ in range(groups)]
    for engineer in ordered:
        result[group_index[engineer.email]].append(engineer)
    return result


def eastern_misplaced(a_side: Sequence[Engineer], others: Sequence[Engineer]) -> tuple[list[str], list[str]]:
    """[R3] "A always keeps as many Eastern engineers as its size allows": the engineers outside Eastern time
    in A and the Eastern engineers in other seats, when there are both (each pair could trade seats without
    changing any size); two empty lists otherwise. The one test of Eastern coverage: `schedule check`
    reports it, and `add-engineer` warns with the same words when balance made it place someone so."""
    outside = sorted(e.email for e in a_side if not is_eastern(e.timezone))
    elsewhere = sorted(e.email for e in others if is_eastern(e.timezone))
    return (outside, elsewhere) if outside and elsewhere else ([], [])


def describe_eastern(outside: Sequence[str], elsewhere: Sequence[str]) -> str:
    """[R3] The Eastern-coverage finding, the same words in `schedule check` and `add-engineer`."""
    return (f"A holds engineers outside Eastern time ({', '.join(outside)}) while Eastern engineers sit in "
            f"other rotations ({', '.join(elsewhere)})")


# [R4] ---------------------------------------------------------------------------------------------------


def check_split(split: int) -> int:
    """[R4] Between one and four rotations; anything else is a usage error naming the flag."""
    if isinstance(split, bool) or not isinstance(split, int) or split not in SPLIT_RANGE:
        raise UsageError(f"--split must be between 1 and 4, got {split!r}",
                         hint="Use --split 2 (the playbook's A/B) or 1, 3, 4.")
    return split


def rotation_name(index: int, settings: RoundSettings) -> str:
    """[R4] rot-a-next, rot-b-next, ...: configured base names, then the playbook's letters."""
    base = settings.rotation_names[index] if index < len(settings.rotation_names) else (
        f"rot-{GROUP_LETTERS[index].lower()}")
    return base + settings.next_suffix


# [R6] ---------------------------------------------------------------------------------------------------


def eligible_from(engineer: Engineer, settings: RoundSettings) -> date:
    """[R6] First date on which the engineer's first shift may start (more than 60 days after start)."""
    return engineer.start_date + timedelta(days=settings.new_hire_days + 1)


def may_take(engineer: Engineer, shift_begin: datetime, settings: RoundSettings) -> bool:
    """[R6] A shift may start only on or after `eligible_from`, judged by its date in the schedule zone."""
    return shift_begin.astimezone(zone(settings.timezone)).date() >= eligible_from(engineer, settings)


# [R7] ---------------------------------------------------------------------------------------------------


def is_new(engineer: Engineer, reference: date, settings: RoundSettings,
           current_participants: frozenset[str] | None = None) -> bool:
    """[R7] The one definition of a new engineer, used by `schedule new` (the planner), `add-engineer`
    (`changes`) and `schedule check`: the roster's explicit flag if given; else absent from the current
    round's rotations (`current_participants`, when known) or started within `new_engineer_days` before
    `reference` (the round's start, or the moment a pair overlaps)."""
    if engineer.new is not None:
        return engineer.new
    if current_participants is not None and engineer.email not in current_participants:
        return True
    return (reference - engineer.start_date).days <= settings.new_engineer_days


def carrying_rotations(rotations: Sequence[Rotation], now: datetime,
                       settings: RoundSettings) -> dict[str, Rotation]:
    """[R7][R8] Per seat, the regular rotation that carries it now (the current round); else the next one
    to (a seat paused for the holidays). Holiday rotations and empty rotations never carry a seat."""
    at = now.astimezone(UTC)
    found: dict[str, Rotation] = {}
    for group in GROUP_LETTERS:
        mine = [r for r in rotations if group_of(r.name, settings) == group
                and not is_holiday(r.name, settings) and r.participants]
        running = [r for r in mine if r.start.astimezone(UTC) <= at
                   and (r.end is None or r.end.astimezone(UTC) > at)]
        upcoming = [r for r in mine if r.start.astimezone(UTC) > at]
        if running:
            found[group] = max(running, key=lambda r: r.start.astimezone(UTC))
        elif upcoming:
            found[group] = min(upcoming, key=lambda r: r.start.astimezone(UTC))
    return found


def current_participants(rotations: Sequence[Rotation], now: datetime,
                         settings: RoundSettings) -> frozenset[str] | None:
    """[R7] "Not a participant of the current round's rotations", as seen from `now` (the moment a round is
    planned, or the moment a pair is on call): per seat, the participants of the round *before* the one
    running then. For a rotation carrying its seat (`carrying_rotations`) that has completed a whole round
    by `now`, that is its own participants (everyone has served a turn); in its first round, those of the
    seat's previous regular rotation (`rot-a` for `rot-a-next`), or its own when it has none. So
    `schedule new` (judging at now, the current round still running) and `schedule check` (judging each
    overlap when it happens, so that a rotation repeating past its first round has no new engineers by
    membership) agree at any date. None when no rotation carries a seat (nothing to judge by)."""
    carrying = carrying_rotations(rotations, now, settings)
    if not carrying:
        return None
    at = now.astimezone(UTC)
    found: set[str] = set()
    for group, rotation in carrying.items():
        chosen = rotation
        if shift_start(rotation, len(rotation.participants), settings.timezone).astimezone(UTC) > at:
            earlier = [r for r in rotations if group_of(r.name, settings) == group
                       and not is_holiday(r.name, settings) and r.participants
                       and r.start.astimezone(UTC) < rotation.start.astimezone(UTC)]
            if earlier:
                chosen = max(earlier, key=lambda r: r.start.astimezone(UTC))
        found.update(p for p in chosen.participants if p)
    return frozenset(found)


class Newness:
    """[R7] `is_new` judged at a moment, with "the current round" seen from that moment
    (`current_participants(rotations, at)`, memoised per moment): what `schedule check` and `add-engineer`
    ask of each overlap, so they agree at any date (the planner asks the same at the round's planning)."""

    def __init__(self, rotations: Sequence[Rotation], settings: RoundSettings) -> None:
        self._rotations = tuple(rotations)
        self._settings = settings
        self._memo: dict[datetime, frozenset[str] | None] = {}

    def current(self, at: datetime) -> frozenset[str] | None:
        key = at.astimezone(UTC)
        if key not in self._memo:
            self._memo[key] = current_participants(self._rotations, at, self._settings)
        return self._memo[key]

    def __call__(self, engineer: Engineer, at: datetime) -> bool:
        day = at.astimezone(zone(self._settings.timezone)).date()
        return is_new(engineer, day, self._settings, self.current(at))


# [R11] --------------------------------------------------------------------------------------------------


def round_gap(last_end: datetime, first_start: datetime) -> timedelta:
    """[R11] Time between an engineer's last shift of the old round and their first of the new (negative
    when they overlap, zero for two weeks in a row)."""
    return first_start.astimezone(UTC) - last_end.astimezone(UTC)


def keeps_round_gap(last_end: datetime | None, first_start: datetime, settings: RoundSettings) -> bool:
    """[R11] A new round never gives anyone consecutive shifts at the boundary and keeps `min_gap_weeks`
    between their last shift of the old round and their first of the new (at least a day, whatever the
    setting says: back to back is never fine)."""
    if last_end is None:
        return True
    need = max(timedelta(weeks=settings.min_gap_weeks), timedelta(days=1))
    return round_gap(last_end, first_start) >= need


def describe_round_gap(user: str, rotation: str, last_end: datetime, first_start: datetime,
                       settings: RoundSettings) -> str:
    """[R11] The finding, the same words in the planner's warning and `schedule check`."""
    gap = round_gap(last_end, first_start)
    if gap < timedelta(0):
        how = "overlaps their last shift of the previous round"
    elif gap < timedelta(days=1):
        how = "right after their last shift of the previous round: consecutive shifts"
    else:
        how = f"{gap.days} days after their last shift of the previous round"
    return (f"{user} starts {rotation} on {first_start.isoformat(timespec='minutes')}, {how} (ended "
            f"{last_end.isoformat(timespec='minutes')}; min_gap_weeks is {settings.min_gap_weeks})")


# [R12] --------------------------------------------------------------------------------------------------


def recency_need(round_shifts: int) -> timedelta:
    """[R12] "Nobody's gap since their last shift is much shorter than the round length": at least half the
    round (`round_shifts` one-week shifts) between the end of someone's last shift and their next start."""
    return timedelta(weeks=max(round_shifts, 1)) / 2


def keeps_recency(last_end: datetime | None, first_start: datetime, round_shifts: int) -> bool:
    """[R12] True when the engineer was never on call, or waits at least `recency_need` for their turn."""
    return last_end is None or round_gap(last_end, first_start) >= recency_need(round_shifts)


def describe_recency(user: str, rotation: str, last_end: datetime, first_start: datetime,
                     round_shifts: int) -> str:
    """[R12] The finding, the same words in the planner's warning and `schedule check`."""
    gap = round_gap(last_end, first_start)
    need = recency_need(round_shifts)
    return (f"{user} starts {rotation} on {first_start.isoformat(timespec='minutes')}, {gap.days} days after "
            f"their last shift ended ({last_end.isoformat(timespec='minutes')}): less than half the "
            f"{round_shifts}-week round ({need.days} days); those on call most recently go last")


# [R13] --------------------------------------------------------------------------------------------------


def team_key(engineer: Engineer | None) -> str | None:
    """[R13] The product team an engineer belongs to, compared case-insensitively; None when unknown."""
    if engineer is None or not engineer.team or not engineer.team.strip():
        return None
    return engineer.team.strip().casefold()


def same_team(a: Engineer | None, b: Engineer | None) -> bool:
    """[R13] Two different engineers of one known product team (on call together, they spread no
    knowledge across teams)."""
    key = team_key(a)
    return key is not None and a is not None and b is not None and a.email != b.email and key == team_key(b)


# [R8] ---------------------------------------------------------------------------------------------------


def round_end_after(rotation: Rotation, now: datetime, tz: str) -> datetime:
    """[R8] The first end of a whole round (start + m * participants shifts, m >= 1) after `now`.

    A round is every participant once; counting in shifts keeps the wall-clock handoff across DST.
    """
    n = len(rotation.participants)
    if n == 0:
        raise UsageError(f"rotation {rotation.name!r} has no participants, so it has no round to end")
    at = now.astimezone(UTC)
    # Jump close by arithmetic (a round is n shifts of nominal length), then step: DST drift is hours.
    first = shift_start(rotation, n, tz)
    m = 1
    if at >= first:
        nominal = shift_start(rotation, 2 * n, tz) - first
        m = max(1, int((at - first) / nominal))
    while shift_start(rotation, m * n, tz) <= at:
        m += 1
    while m > 1 and shift_start(rotation, (m - 1) * n, tz) > at:
        m -= 1
    return shift_start(rotation, m * n, tz).astimezone(zone(tz))


def starts_from_date(monday: date, settings: RoundSettings, split: int = 2) -> tuple[datetime, ...]:
    """[R8] Explicit `--start`: A starts that Monday at the handoff, B on the Wednesday of that week, ..."""
    check_split(split)
    if monday.weekday() != 0:
        raise UsageError(f"--start must be a Monday, got {monday.isoformat()} ({monday.strftime('%A')})",
                         hint="Pick the Monday of the week the round should begin.")
    z = zone(settings.timezone)
    starts = []
    for i in range(split):
        day = monday + timedelta(days=settings.weekdays[i % len(settings.weekdays)])
        starts.append(datetime.combine(day, settings.handoff).replace(tzinfo=z))
    return tuple(starts)


def default_monday(today: date) -> date:
    """[R8] Without current rotations or --start: the first Monday strictly after today."""
    return today + timedelta(days=7 - today.weekday())


def next_round_starts(current: Sequence[Rotation], now: datetime, settings: RoundSettings,
                      split: int = 2) -> tuple[datetime, ...]:
    """[R8] Each new rotation starts when the current rotation of its group ends its round.

    Current rotations are matched to groups by name (`group_of`); the latest-starting one per group wins.
    """
    check_split(split)
    latest: dict[str, Rotation] = {}
    for rotation in current:
        group = group_of(rotation.name, settings)
        if group is None or is_holiday(rotation.name, settings) or rotation.name.lower().startswith(
            "holiday"
        ):
            continue
        if group not in latest or rotation.start > latest[group].start:
            latest[group] = rotation
    starts = []
    for letter in GROUP_LETTERS[:split]:
        if letter not in latest:
            raise UsageError(f"no current rotation for group {letter} to continue from",
                             hint="Pass --start with the Monday the round should begin.")
        starts.append(round_end_after(latest[letter], now, settings.timezone))
    return tuple(starts)


# [R9] ---------------------------------------------------------------------------------------------------


def unavailable_windows(engineer: Engineer) -> list[tuple[datetime, datetime, tuple[date, date]]]:
    """[R9] Each inclusive PTO date range as a UTC [begin, end) window, midnight to midnight in the
    engineer's own zone: their calendar, not the schedule's, says which days they are away."""
    z = zone(engineer.timezone)
    out = []
    for lo, hi in engineer.unavailable:
        begin = datetime.combine(lo, time(0)).replace(tzinfo=z).astimezone(UTC)
        end = datetime.combine(hi + timedelta(days=1), time(0)).replace(tzinfo=z).astimezone(UTC)
        out.append((begin, end, (lo, hi)))
    return out


def unavailable_during(engineer: Engineer, begin: datetime, end: datetime) -> tuple[date, date] | None:
    """[R9] The first PTO range touching the shift [begin, end), or None."""
    for lo, hi, dates in unavailable_windows(engineer):
        if lo < end and hi > begin:
            return dates
    return None
