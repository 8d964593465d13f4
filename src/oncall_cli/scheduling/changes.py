"""Rotation changes as pure functions: adding and removing engineers, pausing rotations for the holidays.

Opsgenie recomputes every shift of a rotation from its `startDate` when its participants change: shift k
goes to participant k mod n. Every function here takes the rotations as they are, returns the rotations as
they should be, and says who that moves, by comparing each engineer's next shift on the timeline before and
after (`who_moves`). Nothing here reads the clock or does I/O: `now` is an argument.

Playbook steps (docs/rotation.md):
- add-engineer placement: (a) a `none` placeholder whose next shift keeps the 60-day rule [R6], else (b)
  append as the last participant re-anchored at the current round's start, so nobody in the current round
  moves, else (c) defer to the round from which an append would keep the rule; the chosen slot must not
  overlap another new engineer's shift in another seat [R7]: try the next slot, else propose a trade.
- remove-engineer: the leaver becomes a placeholder (nobody moves) and their manager overrides their
  upcoming shifts.
- holiday plan: 2-day holiday rotations of placeholders carry both seats through the window; the regular
  rotations end at its start and continue at its end with the order rotated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from oncall_cli.errors import UsageError
from oncall_cli.scheduling import rules
from oncall_cli.scheduling.model import Engineer, Override, Rotation, RoundSettings, Shift, zone
from oncall_cli.scheduling.timeline import next_shift_of, rotation_shifts, shift_start, timeline

_TICK = timedelta(microseconds=1)
MAX_ROUNDS_AHEAD = 200
"""How many rounds ahead a deferral looks for the round from which an append keeps the 60-day rule."""
LEAVER_HORIZON = timedelta(weeks=12)
"""The least the manager covers of a leaver's shifts (the horizon `schedule check` lints); every shift of
the planned rounds beyond it is covered too (`planned_until`)."""

TRADE_MESSAGE = (
    "Hi {engineer}! We've added {new_engineer} to the schedule and would like to support them by not "
    "pairing them with another new engineer for their first on-call shift. Would you be able to switch "
    "shifts with them? The new dates of your on-call shift would be {start} to {end}."
)
IMPACTED_MESSAGE = (
    "Hi {engineer}! We've added a new engineer to the on-call schedule which has modified the dates of "
    "your on-call shift. Please take some time to review the schedule and trade shifts as needed."
)
REMINDER_MESSAGE = "add {new_engineer} to on-call rotations"
MANAGER_MESSAGE = (
    "Hi {manager}! {leaver} is leaving the on-call rotations. Would you cover their shifts? Overrides "
    "putting you on call are in place for:\n{shifts}\nPlease trade any you cannot take."
)

Outcome = Literal["placeholder", "append", "insert", "deferred", "already_placed"]


# --- small helpers ---------------------------------------------------------------------------------------


def handle(email: str) -> str:
    """`@ada.lovelace` for ada.lovelace@example.com: how a ready-to-send message names someone."""
    return "@" + email.split("@", 1)[0]


def message_time(at: datetime, tz: str) -> str:
    """A shift boundary as people read it in a message: `Mon Feb 1 11:00 EST`, in their own zone."""
    local = at.astimezone(zone(tz))
    return f"{local:%a %b} {local.day} {local:%H:%M %Z}"


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def regular(rotation: Rotation, settings: RoundSettings) -> bool:
    """An A/B (C/D) seat rotation that is not one of the holiday rotations."""
    return rules.group_of(rotation.name, settings) is not None and not rules.is_holiday(
        rotation.name, settings
    )


def active_after(rotation: Rotation, now: datetime) -> bool:
    """Still gives shifts after `now` (no end, or an end later than now)."""
    return rotation.end is None or _utc(rotation.end) > _utc(now)


def index_at(rotation: Rotation, at: datetime, tz: str) -> int:
    """The index of the shift whose start is at or before `at` (-1 before the rotation's start).

    The rotation's end is ignored: this is the grid Opsgenie counts on.
    """
    at_u = _utc(at)
    if not rotation.participants or at_u < _utc(rotation.start):
        return -1
    hits = rotation_shifts(replace(rotation, end=None), at_u, at_u + _TICK, tz)
    return hits[0].index if hits else -1


def shift_at(rotation: Rotation, k: int, tz: str) -> Shift | None:
    """Shift k of the rotation, whole (not clipped by a window), or None when the rotation ends first."""
    begin, finish = shift_start(rotation, k, tz), shift_start(rotation, k + 1, tz)
    if rotation.end is not None:
        if begin >= _utc(rotation.end):
            return None
        finish = min(finish, _utc(rotation.end))
    z = zone(tz)
    n = len(rotation.participants)
    return Shift(rotation.name, rotation.participants[k % n], begin.astimezone(z), finish.astimezone(z), k)


def _first_upcoming(rotation: Rotation, now: datetime, tz: str) -> int:
    """Index of the first shift starting at or after `now` (a shift under way does not count)."""
    c = index_at(rotation, now, tz)
    if c < 0:
        return 0
    return c if shift_start(rotation, c, tz) >= _utc(now) else c + 1


def next_slot_shift(rotation: Rotation, position: int, now: datetime, tz: str) -> Shift | None:
    """The next shift (starting at or after `now`) of the participant at `position`."""
    n = len(rotation.participants)
    first = _first_upcoming(rotation, now, tz)
    return shift_at(rotation, first + (position - first) % n, tz)


def under_way(rotation: Rotation, now: datetime, tz: str) -> Shift | None:
    """The rotation's shift in progress at `now`, if any."""
    c = index_at(rotation, now, tz)
    if c < 0:
        return None
    shift = shift_at(rotation, c, tz)
    if shift is None or not (_utc(shift.start) < _utc(now) < _utc(shift.end)):
        return None
    return shift


def current_round_start(rotation: Rotation, now: datetime, tz: str) -> tuple[int, datetime]:
    """(index, start) of the current round's first shift: rounds are n shifts counted from the start."""
    n = len(rotation.participants)
    c = index_at(rotation, now, tz)
    first = (max(c, 0) // n) * n
    return first, shift_start(rotation, first, tz).astimezone(zone(tz))


def size(rotation: Rotation) -> int:
    """Engineers in a rotation: placeholders do not count (as `schedule check` counts them) [R3]."""
    return len({p for p in rotation.participants if p is not None})


def rotate(participants: Sequence[str | None], by: int) -> tuple[str | None, ...]:
    n = len(participants)
    if n == 0:
        return ()
    k = by % n
    return tuple(participants[k:]) + tuple(participants[:k])


# --- picking the rotation ------------------------------------------------------------------------------


def current_by_group(
    rotations: Sequence[Rotation], at: datetime, settings: RoundSettings
) -> dict[str, Rotation]:
    """Per seat (A, B, ...), the regular rotation that carries it at `at`: the one running then (the
    latest-starting if several), else the first to start after it.

    Judged at the new engineer's eligibility date, this picks `rot-a-next` once the next round has been
    created and takes over before then, but keeps `rot-a` when a holiday continuation (`rot-a-2028`) only
    starts next January.
    """
    at_u = _utc(at)
    running: dict[str, Rotation] = {}
    later: dict[str, Rotation] = {}
    for rotation in rotations:
        group = rules.group_of(rotation.name, settings)
        if group is None or not regular(rotation, settings) or not active_after(rotation, at):
            continue
        start = _utc(rotation.start)
        if start <= at_u:
            if group not in running or start > _utc(running[group].start):
                running[group] = rotation
        elif group not in later or start < _utc(later[group].start):
            later[group] = rotation
    return {**later, **running}


def eligibility_instant(engineer: Engineer, now: datetime, settings: RoundSettings) -> datetime:
    """[R6] The first moment the engineer's first shift may start, or now if that has passed."""
    first = datetime.combine(rules.eligible_from(engineer, settings), time(0)).replace(
        tzinfo=zone(settings.timezone)
    )
    return max(first, now, key=_utc)


@dataclass(frozen=True, slots=True)
class RotationChoice:
    rotation: Rotation
    reason: str


def seat_preference(
    engineer: Engineer, rotations: Sequence[Rotation], now: datetime, settings: RoundSettings
) -> list[tuple[str, str]]:
    """[R3] The seats the engineer may join, preferred first, each with why: the same rule as `schedule
    new` (`rules.split_engineers`). Balance beats Eastern coverage: a seat is eligible only when the seats
    differ by at most one afterwards (if none is, the smallest seats). Among eligible seats an engineer
    outside US Eastern time goes to B (or another non-A seat), and to A only when balance leaves no other;
    an Eastern engineer prefers A and may go to another seat (the Eastern surplus), smaller first.

    Sizes are those of each seat's newest round (placeholders not counted): the seat's last regular
    rotation still giving shifts (`seat_rotations`), else the rotation carrying it on the engineer's
    eligibility date. Comparing one round with another would mislead during a changeover: with `rot-a`
    running until March while `rot-b-next` has taken over B, A looks small (9 against 11) though the
    engineer then lands in `rot-a-next` (12 against 11), which `schedule check` compares with `rot-b-next`."""
    current = current_by_group(rotations, eligibility_instant(engineer, now, settings), settings)
    if not current:
        raise UsageError(
            "the schedule has no running A or B rotation to add to",
            hint="Create the round with `oncall schedule new --apply`, or pass --rotation.",
        )
    for g in list(current):
        newest = seat_rotations(g, rotations, now, settings)
        if newest:
            current[g] = newest[-1]
    sizes = {g: size(r) for g, r in current.items()}

    def spread_after(seat: str) -> int:
        after = [n + (1 if g == seat else 0) for g, n in sizes.items()]
        return max(after) - min(after)

    best = min(spread_after(g) for g in sizes)
    eligible = [g for g in sorted(sizes) if spread_after(g) <= max(1, best)]
    listing = ", ".join(f"{current[g].name} has {sizes[g]}" for g in sorted(sizes))
    if rules.is_eastern(engineer.timezone):
        order = sorted(eligible, key=lambda g: (g != "A", sizes[g], g))
        why = {
            g: "A: Eastern time [R3]" if g == "A" else f"{g}: A is full for balance ({listing}) [R3]"
            for g in order
        }
    else:
        others = sorted((g for g in eligible if g != "A"), key=lambda g: (sizes[g], g))
        order = others or eligible
        why = {
            g: f"{g}: {engineer.timezone} is outside US Eastern time [R3]"
            if g != "A"
            else f"A: balance beats Eastern coverage ({listing}) [R3]"
            for g in order
        }
    return [(g, why[g]) for g in order]


def seat_rotations(
    seat: str, rotations: Sequence[Rotation], now: datetime, settings: RoundSettings
) -> list[Rotation]:
    """The seat's regular rotations that still give shifts after `now`, in time order (current, next, ...)."""
    mine = [
        r
        for r in rotations
        if rules.group_of(r.name, settings) == seat
        and regular(r, settings)
        and active_after(r, now)
        and r.participants
    ]
    return sorted(mine, key=lambda r: _utc(r.start))


def choose_rotation(
    engineer: Engineer,
    rotations: Sequence[Rotation],
    now: datetime,
    settings: RoundSettings,
    name: str | None = None,
) -> RotationChoice:
    """The rotation named; else the rotation carrying the preferred seat (`seat_preference`) on the
    engineer's eligibility date."""
    if name is not None:
        for rotation in rotations:
            if rotation.name == name:
                return RotationChoice(rotation, "named with --rotation")
        known = ", ".join(r.name for r in rotations) or "none"
        raise UsageError(f"--rotation: no rotation named {name!r} in the schedule (rotations: {known})")
    seat, why = seat_preference(engineer, rotations, now, settings)[0]
    current = current_by_group(rotations, eligibility_instant(engineer, now, settings), settings)
    return RotationChoice(current[seat], why)


def size_warning(rotations: Sequence[Rotation], at: datetime, settings: RoundSettings) -> str | None:
    """[R3] The seat rotations running at `at` should differ in size by at most one."""
    current = current_by_group(rotations, at, settings)
    if len(current) < 2:
        return None
    sizes = {r.name: size(r) for r in current.values()}
    if max(sizes.values()) - min(sizes.values()) <= 1:
        return None
    listing = ", ".join(f"{name} has {n}" for name, n in sorted(sizes.items()))
    return f"[R3] the rotations differ in size by more than one afterwards: {listing}"


# --- who moves -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Move:
    """An engineer whose next shift is different after a change (None: no shift in the horizon)."""

    user: str
    old: Shift | None
    new: Shift | None


def _same(a: Shift | None, b: Shift | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.rotation, _utc(a.start), _utc(a.end)) == (b.rotation, _utc(b.start), _utc(b.end))


def who_moves(
    before: Sequence[Rotation],
    after: Sequence[Rotation],
    overrides: Sequence[Override],
    now: datetime,
    tz: str,
    *,
    exclude: Sequence[str] = (),
) -> list[Move]:
    """Every engineer whose next shift (overrides applied) starts, ends or sits elsewhere after the change.

    Compared on the timeline the scheduling core computes the way Opsgenie does, so a re-anchored or
    re-ordered rotation shows exactly whose dates it changes.
    """
    users = sorted({p for r in [*before, *after] for p in r.participants if p is not None} - set(exclude))
    moves = []
    for user in users:
        old = next_shift_of(user, before, overrides, now, tz)
        new = next_shift_of(user, after, overrides, now, tz)
        if not _same(old, new):
            moves.append(Move(user, old, new))
    return moves


def _replace_rotation(rotations: Sequence[Rotation], changed: Rotation) -> list[Rotation]:
    return [changed if r.name == changed.name else r for r in rotations]


# --- add-engineer --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlotTry:
    """A slot considered for the new engineer and, when it was passed over, why."""

    kind: Literal["placeholder", "append", "insert"]
    position: int
    first_shift: Shift | None
    rejected: str = ""
    """Empty for a usable slot; else the reason ([R6] 60 days, [R7] pairing, under way, ...)."""
    conflicts: tuple[str, ...] = ()
    """New engineers of other seats the slot's first shift overlaps [R7]."""


@dataclass(frozen=True, slots=True)
class TradeProposal:
    """A swap of first shifts that would keep the new engineer away from another new engineer [R7]."""

    partner: str
    new_engineer: str
    partner_new_shift: Shift
    """The new engineer's first shift, which the partner would take."""
    new_engineer_new_shift: Shift
    """The partner's next shift, which the new engineer would take."""
    message: str


@dataclass(frozen=True, slots=True)
class Placement:
    """Where (and whether) the new engineer goes, the rotation before and after, and whom it moves."""

    outcome: Outcome
    engineer: str
    rotation: str
    before: Rotation
    after: Rotation | None = None
    slot: SlotTry | None = None
    reanchored: bool = False
    tried: tuple[SlotTry, ...] = ()
    add_from: datetime | None = None
    """When deferred: the start of the round from which the engineer can be added."""
    trade: TradeProposal | None = None
    moves: tuple[Move, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def first_shift(self) -> Shift | None:
        return self.slot.first_shift if self.slot is not None else None


def _new_engineers_during(
    shift: Shift,
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    people: Mapping[str, Engineer],
    settings: RoundSettings,
    exclude: Sequence[str],
    current: rules.Newness | None = None,
) -> tuple[str, ...]:
    """[R7] The new engineers on call in other seats while `shift` runs: new as `schedule check` judges it
    (`rules.Newness`: `rules.is_new` at the moment they overlap, with the round before the one running
    then as "the current round"), so add-engineer and check never disagree about a pair."""
    tz = settings.timezone
    found: list[str] = []
    for other in timeline(rotations, overrides, shift.start, shift.end, tz):
        engineer = people.get(other.user or "")
        if engineer is None or engineer.email in exclude or engineer.email in found:
            continue
        overlap = max(other.start, shift.start, key=_utc)
        if _is_new_at(engineer, overlap, settings, current):
            found.append(engineer.email)
    return tuple(found)


def _is_new_at(
    engineer: Engineer, at: datetime, settings: RoundSettings, newness: rules.Newness | None
) -> bool:
    """[R7] New at `at`: as `schedule check` judges it when `newness` is known, else by the date alone."""
    if newness is not None:
        return newness(engineer, at)
    return rules.is_new(engineer, at.astimezone(zone(settings.timezone)).date(), settings)


def _other_seats(
    rotation: Rotation, rotations: Sequence[Rotation], settings: RoundSettings
) -> list[Rotation]:
    group = rules.group_of(rotation.name, settings)
    return [
        r
        for r in rotations
        if r.name != rotation.name and (group is None or rules.group_of(r.name, settings) != group)
    ]


def _with_participant(rotation: Rotation, position: int, email: str) -> Rotation:
    people = list(rotation.participants)
    people[position] = email
    return replace(rotation, participants=tuple(people))


def already_in(
    email: str, rotations: Sequence[Rotation], now: datetime, settings: RoundSettings
) -> list[tuple[Rotation, int]]:
    """(rotation, position) of every running seat rotation that already has the engineer."""
    return [
        (r, r.participants.index(email))
        for r in rotations
        if email in r.participants and regular(r, settings) and active_after(r, now)
    ]


def place_engineer(
    engineer: Engineer,
    rotation: Rotation,
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    people: Mapping[str, Engineer],
    now: datetime,
    settings: RoundSettings,
    *,
    allow_append: bool = True,
    move: bool = False,
) -> Placement:
    """The playbook's placement of a new engineer in `rotation` (one of `rotations`); see the module doc.
    Without `allow_append`, only placeholders are tried (else "deferred", with no `add_from`). With `move`
    (and `allow_append`), when every placeholder or append slot pairs the engineer with another new
    engineer, the earliest insertion into the order that avoids it is taken (`_insertions`), moving the
    people after it; without, the playbook's slot is kept and a trade proposed.

    `people` are the engineers' records (time zone, start date) used to tell who is new [R7].
    """
    tz = settings.timezone
    email = engineer.email
    placed = already_in(email, rotations, now, settings)
    if placed or email in rotation.participants:
        where = next((r for r, _ in placed if r.name == rotation.name), placed[0][0] if placed else rotation)
        return Placement(
            "already_placed",
            email,
            where.name,
            where,
            where,
            notes=(
                f"{email} is already in {where.name} (position "
                f"{where.participants.index(email) + 1}); nothing to change",
            ),
        )
    n = len(rotation.participants)
    if n == 0:
        raise UsageError(f"rotation {rotation.name!r} has no participants to place {email} among")
    others = _other_seats(rotation, rotations, settings)
    everyone = {**people, email: engineer}
    current = rules.Newness(rotations, settings)  # [R7] the one definition, judged at each overlap
    tried: list[SlotTry] = []
    candidates: list[tuple[SlotTry, Rotation, bool]] = []

    # (a) placeholders, in the order their next shifts come.
    running = under_way(rotation, now, tz)
    for position, who in enumerate(rotation.participants):
        if who is not None:
            continue
        after = _with_participant(rotation, position, email)
        first = next_slot_shift(after, position, now, tz)
        if running is not None and running.index % n == position:
            tried.append(
                SlotTry(
                    "placeholder",
                    position,
                    first,
                    "its shift is under way now: filling it would put the engineer on call at once",
                )
            )
        elif first is None:
            tried.append(
                SlotTry("placeholder", position, None, f"{rotation.name} ends before its next shift")
            )
        elif not rules.may_take(engineer, first.start, settings):
            tried.append(SlotTry("placeholder", position, first, _r6_reason(engineer, first, settings)))
        else:
            candidates.append((SlotTry("placeholder", position, first), after, False))
    candidates.sort(key=lambda c: _utc(c[0].first_shift.start) if c[0].first_shift else _utc(now))

    # (b) append, re-anchored at the current round's start so the current round keeps its shifts.
    if not candidates and not allow_append:
        return Placement("deferred", email, rotation.name, rotation, tried=tuple(tried))
    if not candidates:
        round_index, round_begin = current_round_start(rotation, now, tz)
        after = replace(rotation, start=round_begin, participants=(*rotation.participants, email))
        reanchored = _utc(round_begin) != _utc(rotation.start)
        first = shift_at(after, n, tz)
        if first is None:
            tried.append(SlotTry("append", n, None, f"{rotation.name} ends before the next round"))
        elif not rules.may_take(engineer, first.start, settings):
            tried.append(SlotTry("append", n, first, _r6_reason(engineer, first, settings)))
        else:
            candidates.append((SlotTry("append", n, first), after, reanchored))
        if not candidates:  # (c) defer
            add_from = _add_from(engineer, rotation, round_index // n, settings)
            when = (
                f"from {add_from.isoformat(timespec='minutes')} (when that round starts)"
                if add_from is not None
                else "once a later rotation exists"
            )
            return Placement(
                "deferred",
                email,
                rotation.name,
                rotation,
                tried=tuple(tried),
                add_from=add_from,
                notes=(
                    f"not added: no slot's next shift starts on or after "
                    f"{rules.eligible_from(engineer, settings).isoformat()} [R6]; "
                    f"{email} can be added {when}",
                ),
            )

    # Pairing [R7]: the first candidate whose first shift overlaps no other new engineer.
    chosen: tuple[SlotTry, Rotation, bool] | None = None
    checked: list[tuple[SlotTry, Rotation, bool]] = []
    for slot, after, reanchored in candidates:
        assert slot.first_shift is not None
        clash = _new_engineers_during(
            slot.first_shift, others, overrides, everyone, settings, (email,), current
        )
        if clash:
            slot = replace(
                slot,
                rejected=f"[R7] its first shift overlaps new engineer(s) {', '.join(clash)}",
                conflicts=clash,
            )
            tried.append(slot)
            checked.append((slot, after, reanchored))
            continue
        chosen = (slot, after, reanchored)
        break
    trade = None
    if chosen is None and move and allow_append:
        # [R7] "place the new engineer earlier": the earliest legal insertion that avoids the pair.
        inserted, passed = _insertions(engineer, rotation, rotations, overrides, everyone, now, settings)
        tried.extend(passed)
        if inserted:
            chosen = inserted[0]
    if chosen is None:  # every slot pairs them with a new engineer: take the playbook's slot, propose a trade
        slot, after, reanchored = checked[0]
        tried.remove(slot)
        chosen = (replace(slot, rejected=""), after, reanchored)
        trade = propose_trade(email, chosen[0], after, rotations, overrides, everyone, now, settings)
    slot, after, reanchored = chosen
    assert slot.first_shift is not None
    after_all = _replace_rotation(rotations, after)
    moves = who_moves(rotations, after_all, overrides, now, tz, exclude=(email,))
    notes = [
        f"{email} takes {slot.kind} position {slot.position + 1} of {rotation.name}; first shift "
        f"{slot.first_shift.start.isoformat(timespec='minutes')} to "
        f"{slot.first_shift.end.isoformat(timespec='minutes')}"
    ]
    unit = "week" if (rotation.type, rotation.length) == ("weekly", 1) else "shift"
    if slot.kind == "insert":
        avoided = sorted({c for t in tried if t.kind != "insert" for c in t.conflicts})
        notes.append(
            f"[R7] every placeholder or append slot pairs {email} with new engineer(s) "
            f"{', '.join(avoided)}: {email} is inserted earlier in the order instead, and everyone after "
            f"position {slot.position + 1} takes their turn one {unit} later (listed below)"
        )
    if slot.kind == "append":
        notes.append(
            f"the next round of {rotation.name} is one {unit} longer ({n + 1} shifts instead of {n}): "
            f"{email} takes the {unit} after the current round, then everyone's next turn comes "
            f"one {unit} later"
        )
    if slot.kind in ("append", "insert") and reanchored:
        kept = "nobody in the current round moves" if slot.kind == "append" else "no started shift moves"
        notes.append(
            f"{rotation.name} is re-anchored at the current round's start "
            f"{after.start.isoformat(timespec='minutes')} (was "
            f"{rotation.start.isoformat(timespec='minutes')}) so {kept}"
        )
    warnings = []
    if slot.conflicts:
        who = ", ".join(slot.conflicts)
        if trade is not None:
            warnings.append(
                f"[R7] every usable slot pairs {email} with new engineer(s) {who}; a trade with "
                f"{trade.partner} is proposed (not performed)"
            )
        else:
            warnings.append(
                f"[R7] every usable slot pairs {email} with new engineer(s) {who}, and nobody in "
                f"{rotation.name} can trade shifts with them"
            )
    warnings.extend(cover_warnings(email, slot.first_shift, overrides, tz))
    if (warning := size_warning(after_all, slot.first_shift.start, settings)) is not None:
        warnings.append(warning)
    return Placement(
        slot.kind,
        email,
        rotation.name,
        rotation,
        after,
        slot,
        reanchored,
        tuple(tried),
        trade=trade,
        moves=tuple(moves),
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def _insertions(
    engineer: Engineer,
    rotation: Rotation,
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    people: Mapping[str, Engineer],
    now: datetime,
    settings: RoundSettings,
) -> tuple[list[tuple[SlotTry, Rotation, bool]], list[SlotTry]]:
    """[R7] The earliest legal insertion of the new engineer into the rotation's order (a list of one, or
    empty), and the earlier insertions passed over with why.

    The rotation is re-anchored at the current round's start, as for an append, and the engineer goes in
    at a position whose shift has not started yet, before the append slot: the shifts already under way or
    done keep their engineers, everyone after the insertion point takes their turn one shift later. Legal:
    the first shift keeps the 60-day rule [R6] and overlaps no new engineer of another seat [R7]; nobody
    moved lands next to a new engineer of another seat or on their own unavailability [R9] who was not
    before; the change leaves no gap and no double booking (the gate's check [R1])."""
    from oncall_cli.scheduling.check import introduced_coverage

    tz = settings.timezone
    email = engineer.email
    n = len(rotation.participants)
    others = _other_seats(rotation, rotations, settings)
    current = rules.Newness(rotations, settings)
    round_index, round_begin = current_round_start(rotation, now, tz)
    reanchored = _utc(round_begin) != _utc(rotation.start)
    first_open = max(_first_upcoming(rotation, now, tz) - round_index, 0)
    found: list[tuple[SlotTry, Rotation, bool]] = []
    passed: list[SlotTry] = []
    for position in range(first_open, n):
        order = (*rotation.participants[:position], email, *rotation.participants[position:])
        after = replace(rotation, start=round_begin, participants=order)
        first = shift_at(after, position, tz)
        if first is None:
            break  # the rotation ends first: so does every later slot
        if not rules.may_take(engineer, first.start, settings):
            passed.append(SlotTry("insert", position, first, _r6_reason(engineer, first, settings)))
            continue
        clash = _new_engineers_during(first, others, overrides, people, settings, (email,), current)
        if clash:
            why = f"[R7] its first shift overlaps new engineer(s) {', '.join(clash)}"
            passed.append(SlotTry("insert", position, first, why, clash))
            continue
        after_all = _replace_rotation(rotations, after)
        moves = who_moves(rotations, after_all, overrides, now, tz, exclude=(email,))
        problem = _moved_into_trouble(moves, others, overrides, people, settings, current)
        if problem is None:
            horizon = max(timedelta(weeks=12), first.end - now + timedelta(weeks=n + 1))
            gate = introduced_coverage((rotations, overrides), (after_all, overrides), settings, now, horizon)
            if gate:
                problem = f"[R1] {gate[0].message}"
        if problem is not None:
            passed.append(SlotTry("insert", position, first, problem))
            continue
        found.append((SlotTry("insert", position, first), after, reanchored))
        break  # the earliest legal one; later ones are not tried
    return found, passed


def _moved_into_trouble(
    moves: Sequence[Move],
    others: Sequence[Rotation],
    overrides: Sequence[Override],
    people: Mapping[str, Engineer],
    settings: RoundSettings,
    current: rules.Newness | None,
) -> str | None:
    """Why moving these people breaks a rule they kept before: a new engineer now next to a new engineer
    of another seat [R7], or anyone now on call during their unavailability [R9]; None when nobody does."""
    for m in moves:
        engineer = people.get(m.user)
        if engineer is None or m.new is None:
            continue
        if _is_new_at(engineer, m.new.start, settings, current):
            now_clash = _new_engineers_during(m.new, others, overrides, people, settings, (m.user,), current)
            was = (
                _new_engineers_during(m.old, others, overrides, people, settings, (m.user,), current)
                if m.old is not None
                else ()
            )
            if set(now_clash) - set(was):
                return f"[R7] it moves new engineer {m.user} next to new engineer(s) {', '.join(now_clash)}"
        away = rules.unavailable_during(engineer, m.new.start, m.new.end)
        if away and not (m.old is not None and rules.unavailable_during(engineer, m.old.start, m.old.end)):
            return (
                f"[R9] it moves {m.user} onto their unavailability {away[0].isoformat()} to "
                f"{away[1].isoformat()}"
            )
    return None


def place_in_schedule(
    engineer: Engineer,
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    people: Mapping[str, Engineer],
    now: datetime,
    settings: RoundSettings,
    *,
    move: bool = False,
) -> tuple[Placement, str]:
    """The playbook's placement over every eligible seat and every rotation of it, and why that rotation.

    (a) A qualifying placeholder in any eligible seat's rotations (preferred seat first, each seat's
    rotations in time order: current, next, ...) moves nobody, so it comes before (b) an append, tried in
    the same order: a current rotation that ends before its next round gives way to the next round's
    rotation. (c) When nothing qualifies, the deferral of the preferred seat's last rotation, which always
    has an `add_from` date when that rotation is open-ended [R6].

    [R7] When the slot so found pairs the engineer with another new engineer and `move` is on, the earliest
    slot of any of those rotations that avoids it wins: a placeholder, an append, or an insertion into the
    order (which moves the people after it). Without `move`, or when no slot avoids it, today's choice
    stands with a warning and a proposed trade."""
    seats = seat_preference(engineer, rotations, now, settings)
    ordered = [(r, why) for seat, why in seats for r in seat_rotations(seat, rotations, now, settings)]
    if not ordered:
        raise UsageError(
            "the schedule has no running A or B rotation to add to",
            hint="Create the round with `oncall schedule new --apply`, or pass --rotation.",
        )
    fallback: tuple[Placement, str] | None = None
    for rotation, why in ordered:
        p = place_engineer(
            engineer, rotation, rotations, overrides, people, now, settings, allow_append=False
        )
        if p.outcome == "already_placed":
            return p, why
        if p.outcome == "placeholder":
            if not (p.slot and p.slot.conflicts):
                return p, why
            fallback = fallback or (p, why)
    if fallback is not None and not move:
        return fallback
    results = [
        (place_engineer(engineer, rotation, rotations, overrides, people, now, settings, move=move), why)
        for rotation, why in ordered
    ]
    placed = [r for r in results if r[0].outcome != "deferred"]
    if move:
        clean = [r for r in placed if not _pairs(r[0])]
        first = placed[0][0] if placed else None
        avoided = first is not None and (first.outcome == "insert" or _pairs(first))
        if (fallback is not None or avoided) and clean:
            # The earliest first shift; on a tie a slot that moves nobody, then the preferred rotation.
            return min(
                clean,
                key=lambda r: (
                    _utc(r[0].first_shift.start) if r[0].first_shift else _utc(now),
                    r[0].outcome == "insert",
                ),
            )
        if fallback is not None:
            return fallback
    if placed:
        return placed[0]
    return _first_deferral(results)


def _pairs(placement: Placement) -> bool:
    """[R7] The placement leaves the engineer paired with another new engineer."""
    return placement.slot is not None and bool(placement.slot.conflicts)


def _first_deferral(deferrals: Sequence[tuple[Placement, str]]) -> tuple[Placement, str]:
    """The earliest `add_from` (the preferred seat first on a tie); a deferral without a date only when no
    rotation gives one."""
    dated = [(d[0].add_from, i) for i, d in enumerate(deferrals) if d[0].add_from is not None]
    if not dated:
        return deferrals[0]
    _, best = min(dated, key=lambda x: (_utc(x[0]), x[1]))
    return deferrals[best]


def covering_overrides(shift: Shift, overrides: Sequence[Override]) -> list[Override]:
    """The overrides on the shift's rotation (or on every rotation) that meet the shift: during them the
    override's user is on call instead of whoever the rotation gives the shift to."""
    return [
        o
        for o in overrides
        if (not o.rotations or shift.rotation in o.rotations)
        and _utc(o.start) < _utc(shift.end)
        and _utc(shift.start) < _utc(o.end)
    ]


def cover_warnings(email: str, first: Shift, overrides: Sequence[Override], tz: str) -> list[str]:
    """An existing override over the new engineer's first shift stays: whoever it names is on call there,
    not the new engineer. Say so, naming the override, so it can be deleted if it was meant for the slot's
    previous holder (the manager covering a leaver, or a trade)."""
    z = zone(tz)
    out = []
    for o in covering_overrides(first, overrides):
        whole = _utc(o.start) <= _utc(first.start) and _utc(first.end) <= _utc(o.end)
        alias = f"override {o.alias}" if o.alias else "an override (no alias)"
        out.append(
            f"{alias} puts {o.user or 'no-one'} on {first.rotation} from "
            f"{o.start.astimezone(z).isoformat(timespec='minutes')} to "
            f"{o.end.astimezone(z).isoformat(timespec='minutes')}, over {email}'s first shift "
            f"({first.start.astimezone(z).isoformat(timespec='minutes')} to "
            f"{first.end.astimezone(z).isoformat(timespec='minutes')}): the override now replaces {email} "
            f"{'for the whole shift' if whole else 'for that part of it'}; delete it "
            f"(`oncall override delete ALIAS`) if {email} should take the shift"
        )
    return out


def _r6_reason(engineer: Engineer, first: Shift, settings: RoundSettings) -> str:
    days = (first.start.astimezone(zone(settings.timezone)).date() - engineer.start_date).days
    return (
        f"[R6] its next shift starts {first.start.date().isoformat()}, {days} days after the start date "
        f"(must be more than {settings.new_hire_days})"
    )


def _add_from(
    engineer: Engineer, rotation: Rotation, current_round: int, settings: RoundSettings
) -> datetime | None:
    """[R6] Start of the first later round in which an append would put the first shift on or after the
    engineer's eligibility date (an append during round j gives the shift right after round j)."""
    tz = settings.timezone
    n = len(rotation.participants)
    for j in range(current_round + 1, current_round + 1 + MAX_ROUNDS_AHEAD):
        begin = shift_start(rotation, j * n, tz)
        if rotation.end is not None and begin >= _utc(rotation.end):
            return None
        first = shift_start(rotation, (j + 1) * n, tz)
        if rules.may_take(engineer, first, settings):
            return begin.astimezone(zone(tz))
    return None


def propose_trade(
    email: str,
    slot: SlotTry,
    after: Rotation,
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    people: Mapping[str, Engineer],
    now: datetime,
    settings: RoundSettings,
) -> TradeProposal | None:
    """[R7] The engineer of the same rotation whose next shift the new engineer could take instead.

    The partner must not be new (they take the shift next to the other new engineer); their shift must keep
    the 60-day rule for the new engineer and overlap no new engineer of another seat. The closest shift in
    time wins (the earlier on a tie).
    """
    tz = settings.timezone
    first = slot.first_shift
    assert first is not None
    engineer = people[email]
    others = _other_seats(after, rotations, settings)
    current = rules.Newness(rotations, settings)  # [R7] the one definition, judged at each overlap
    options: list[tuple[timedelta, datetime, str, Shift]] = []
    for user in dict.fromkeys(p for p in after.participants if p is not None and p != email):
        partner = people.get(user)
        if partner is None or _is_new_at(partner, first.start, settings, current):
            continue
        shifts = [
            s
            for p, who in enumerate(after.participants)
            if who == user
            if (s := next_slot_shift(after, p, now, tz)) is not None
        ]
        if not shifts:
            continue
        theirs = min(shifts, key=lambda s: _utc(s.start))
        if not rules.may_take(engineer, theirs.start, settings):
            continue
        if _new_engineers_during(theirs, others, overrides, people, settings, (email, user), current):
            continue
        options.append((abs(_utc(theirs.start) - _utc(first.start)), _utc(theirs.start), user, theirs))
    if not options:
        return None
    _, _, user, theirs = min(options)
    partner_tz = people[user].timezone
    message = TRADE_MESSAGE.format(
        engineer=handle(user),
        new_engineer=handle(email),
        start=message_time(first.start, partner_tz),
        end=message_time(first.end, partner_tz),
    )
    return TradeProposal(user, email, first, theirs, message)


def impacted_message(mention: str) -> str:
    return IMPACTED_MESSAGE.format(engineer=mention)


def manager_message(mention: str, leaver: str, shifts: Sequence[str]) -> str:
    """The DM asking a leaver's manager to cover their shifts, one line per shift."""
    return MANAGER_MESSAGE.format(manager=mention, leaver=leaver, shifts="\n".join(shifts))


def reminder_message(mention: str) -> str:
    return REMINDER_MESSAGE.format(new_engineer=mention)


# --- remove-engineer -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RotationChange:
    name: str
    before: Rotation
    after: Rotation


@dataclass(frozen=True, slots=True)
class Removal:
    """A leaver replaced by `none` placeholders, and the manager's overrides on their upcoming shifts."""

    engineer: str
    manager: str | None
    changes: tuple[RotationChange, ...]
    cover: tuple[Override, ...]
    moves: tuple[Move, ...]
    warnings: tuple[str, ...] = ()


def floor_half_hour(at: datetime) -> datetime:
    """Opsgenie takes :00 and :30 only: the half hour at or before `at`."""
    return at.replace(minute=0 if at.minute < 30 else 30, second=0, microsecond=0)


def _merged(shifts: Sequence[Shift]) -> list[Shift]:
    """Adjacent pieces of one rotation held by one user (split by unrelated overrides) as one stretch."""
    out: list[Shift] = []
    for shift in sorted(shifts, key=lambda s: (s.rotation, _utc(s.start))):
        last = out[-1] if out else None
        if last is not None and last.rotation == shift.rotation and _utc(last.end) == _utc(shift.start):
            out[-1] = replace(last, end=shift.end)
        else:
            out.append(shift)
    return sorted(out, key=lambda s: (_utc(s.start), s.rotation))


def still_scheduled(
    email: str,
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    now: datetime,
    settings: RoundSettings,
    horizon: timedelta = LEAVER_HORIZON,
) -> bool:
    """Whether the engineer is in a running rotation or on call (overrides applied) within the horizon."""
    if any(email in r.participants and active_after(r, now) for r in rotations):
        return True
    return any(s.user == email for s in timeline(rotations, overrides, now, now + horizon, settings.timezone))


def planned_until(
    email: str, rotations: Sequence[Rotation], now: datetime, settings: RoundSettings
) -> datetime:
    """The end of the planned rounds that hold the leaver: for a rotation with an end date, that end; for an
    open-ended one, the end of its round under way (or of its first round, when it starts later) [R8]. At
    least `now + LEAVER_HORIZON`."""
    limit = _utc(now + LEAVER_HORIZON)
    for rotation in rotations:
        if email not in rotation.participants or not active_after(rotation, now):
            continue
        if rotation.end is not None:
            limit = max(limit, _utc(rotation.end))
        else:
            limit = max(limit, _utc(rules.round_end_after(rotation, now, settings.timezone)))
    return limit


def plan_removal(
    email: str,
    manager: str | None,
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    now: datetime,
    settings: RoundSettings,
    horizon: timedelta | None = None,
) -> Removal:
    """The leaver becomes `none` in every running rotation (positions kept, so nobody's dates move), and
    `manager` overrides each stretch the leaver would be on call (overrides applied) from now to the end of
    the planned rounds (`planned_until`, or `horizon` when given), whole shifts, including one under way.
    `manager` may be None only when there is nothing to cover."""
    if manager == email:
        raise UsageError(f"--manager: {email} cannot cover their own shifts; name their manager")
    tz = settings.timezone
    if horizon is None:
        horizon = planned_until(email, rotations, now, settings) - _utc(now)
    changes = []
    for rotation in rotations:
        if email in rotation.participants and active_after(rotation, now):
            people = tuple(None if p == email else p for p in rotation.participants)
            changes.append(RotationChange(rotation.name, rotation, replace(rotation, participants=people)))
    # Look back far enough to see whole shifts under way now (weekly shifts, Opsgenie's longest unit here).
    back = max(
        [timedelta(weeks=r.length) if r.type == "weekly" else timedelta(days=r.length) for r in rotations]
        or [timedelta(weeks=1)]
    )
    # Whole shifts: read past the horizon so the last one is not cut, keep those starting before it.
    mine = [
        s
        for s in timeline(rotations, overrides, now - back, now + horizon + back, tz)
        if s.user == email and _utc(s.end) > _utc(now) and _utc(s.start) < _utc(now + horizon)
    ]
    stretches = _merged(mine)
    if stretches and manager is None:
        raise UsageError(f"--manager: {email} has shifts to cover; name who covers them")
    cover = tuple(Override(manager, s.start, s.end, (s.rotation,)) for s in stretches)
    after = list(rotations)
    for change in changes:
        after = _replace_rotation(after, change.after)
    moves = who_moves(rotations, after, overrides, now, tz, exclude=(email,))
    warnings = []
    for stretch in stretches:
        busy = [
            s
            for s in timeline(rotations, overrides, stretch.start, stretch.end, tz)
            if s.user == manager and s.rotation != stretch.rotation
        ]
        if busy:
            warnings.append(
                f"{manager} is already on call in {busy[0].rotation} during "
                f"{stretch.start.isoformat(timespec='minutes')} to "
                f"{stretch.end.isoformat(timespec='minutes')}: they would hold two seats"
            )
    return Removal(email, manager, tuple(changes), cover, tuple(moves), tuple(warnings))


def same_override(a: Override, b: Override) -> bool:
    """The same person over the same stretch of the same rotations (aliases aside)."""
    return (a.user, _utc(a.start), _utc(a.end), tuple(sorted(a.rotations))) == (
        b.user,
        _utc(b.start),
        _utc(b.end),
        tuple(sorted(b.rotations)),
    )


def find_same(override: Override, existing: Sequence[Override]) -> Override | None:
    return next((o for o in existing if same_override(o, override)), None)


def check_half_hour(at: datetime, flag: str) -> datetime:
    """Refuse times Opsgenie would round: rotation and override times fall on :00 or :30 only."""
    if at.minute not in (0, 30) or at.second or at.microsecond:
        raise UsageError(
            f"{flag}: {at.isoformat()} must fall on the hour or the half hour (:00 or :30); "
            "Opsgenie would round it and move the shift",
            hint=f"Use for example {floor_half_hour(at).isoformat(timespec='minutes')}.",
        )
    return at


# --- holiday plan --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RotationAction:
    """One change the holiday plan makes: create a rotation, or set an existing one's end or start."""

    kind: Literal["delete", "create", "end", "move_start"]
    rotation: Rotation
    """For create: the rotation to create; otherwise the rotation as it will be after the change."""
    why: str

    def describe(self) -> str:
        r = self.rotation
        if self.kind == "create":
            people = ", ".join(p or "no-one" for p in r.participants)
            end = f" to {r.end.isoformat(timespec='minutes')}" if r.end is not None else ""
            return (
                f"create {r.name} ({r.type} x{r.length}, from {r.start.isoformat(timespec='minutes')}"
                f"{end}): {people}"
            )
        if self.kind == "delete":
            end = r.end.isoformat(timespec="minutes") if r.end is not None else "no end"
            return f"delete {r.name} (last year's, ended {end}) to create it again"
        if self.kind == "end":
            assert r.end is not None
            return f"end {r.name} at {r.end.isoformat(timespec='minutes')}"
        people = ", ".join(p or "no-one" for p in r.participants)
        return f"move the start of {r.name} to {r.start.isoformat(timespec='minutes')}: {people}"


@dataclass(frozen=True, slots=True)
class HolidayPlan:
    year: int
    start: datetime
    end: datetime
    actions: tuple[RotationAction, ...]
    existing: tuple[str, ...]
    """Rotations the plan creates that already exist (never created twice)."""
    differences: tuple[str, ...]
    after: tuple[Rotation, ...]
    """The schedule's rotations once the plan is applied."""
    notes: tuple[str, ...] = ()


def holiday_window(
    year: int, settings: RoundSettings, start_mmdd: str, end_mmdd: str
) -> tuple[datetime, datetime]:
    """The window from `start_mmdd` of `year` to `end_mmdd` (of the next year when it comes earlier in
    the calendar), both at the handoff time in the schedule's zone."""
    z = zone(settings.timezone)
    first = _month_day(start_mmdd, year, "holiday_start")
    last = _month_day(end_mmdd, year, "holiday_end")
    if last <= first:
        last = _month_day(end_mmdd, year + 1, "holiday_end")
    begin = datetime.combine(first, settings.handoff).replace(tzinfo=z)
    end = datetime.combine(last, settings.handoff).replace(tzinfo=z)
    return begin, end


def _month_day(text: str, year: int, setting: str) -> date:
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", text.strip())
    try:
        if match is None:
            raise ValueError(text)
        return date(year, int(match.group(1)), int(match.group(2)))
    except ValueError:
        raise UsageError(
            f"{setting}: expected MM-DD such as 12-22, got {text!r}",
            hint=f"Fix it with `oncall config set {setting} 12-22`.",
        ) from None


def holiday_year(now: datetime, settings: RoundSettings, start_mmdd: str, end_mmdd: str) -> int:
    """The holiday whose window has not ended yet: last year's while it runs, else this year's."""
    local = now.astimezone(zone(settings.timezone))
    _, last_end = holiday_window(local.year - 1, settings, start_mmdd, end_mmdd)
    return local.year - 1 if _utc(now) < _utc(last_end) else local.year


HOLIDAY_SHIFT = ("daily", 2)
"""Holiday rotations hand over every two days."""


def holiday_rotations(begin: datetime, end: datetime, settings: RoundSettings) -> tuple[Rotation, ...]:
    """Holiday-a and Holiday-b: 2-day shifts over the window, one `none` placeholder per shift."""
    kind, length = HOLIDAY_SHIFT
    probe = Rotation("_", begin, (None,), kind, length)
    count = 0
    while shift_start(probe, count, settings.timezone) < _utc(end):
        count += 1
    return tuple(
        Rotation(name, begin, (None,) * count, kind, length, end) for name in settings.holiday_rotation_names
    )


def _turns_before(rotation: Rotation, at: datetime, tz: str) -> int:
    """Shifts that have started before `at`: every started shift is a turn taken, even if cut short."""
    c = index_at(rotation, at, tz)
    if c < 0:
        return 0
    return c if shift_start(rotation, c, tz) >= _utc(at) else c + 1


def _year_name(name: str, year: int) -> str:
    return f"{re.sub(r'-[0-9]{4}$', '', name)}-{year}"


def plan_holiday(
    rotations: Sequence[Rotation],
    year: int,
    begin: datetime,
    end: datetime,
    settings: RoundSettings,
    now: datetime,
) -> HolidayPlan:
    """Holiday rotations over [begin, end), and every regular rotation paused across it.

    A regular rotation running at `begin` ends there. After the window it continues on its own grid (same
    weekday and hour) with its order rotated so the turns go on where they stopped. When the window's end
    is not one of the rotation's handoffs, a bridge rotation (ending at the first handoff) covers the
    stretch from the window's end to that handoff: the engineer whose turn the window cut short finishes
    it there, or, when the window started at a handoff, the next engineer takes it as their turn. Without
    a bridge, a turn cut short counts as taken. A rotation starting inside the window moves its start to
    the window's end the same way. Nobody loses or repeats a turn.

    A rotation to create that exists already is left alone (and how it differs is reported), unless it has
    ended before `now` (last year's holiday rotations): that one is deleted and created again.
    """
    tz = settings.timezone
    z = zone(tz)
    b_u, e_u = _utc(begin), _utc(end)
    actions: list[RotationAction] = []
    creates = list(holiday_rotations(begin, end, settings))
    notes: list[str] = []
    after: list[Rotation] = list(rotations)
    for rotation in rotations:
        if not regular(rotation, settings):
            continue
        r_start, r_end = _utc(rotation.start), _utc(rotation.end) if rotation.end is not None else None
        if r_start >= e_u or (r_end is not None and r_end <= b_u) or not rotation.participants:
            continue  # does not run in the window
        turns = _turns_before(rotation, begin, tz)
        # A turn under way when the window starts is cut short; it resumes in the bridge, if there is one.
        cut = turns > 0 and shift_start(rotation, turns, tz) > b_u
        later = r_end is None or r_end > e_u
        k_h = max(_turns_before(rotation, end, tz), 0)
        handoff = shift_start(rotation, k_h, tz)
        bridge_end = handoff if r_end is None else min(handoff, r_end)
        bridge = later and handoff > e_u
        if r_start < b_u:
            ended = replace(rotation, end=begin.astimezone(z))
            actions.append(
                RotationAction("end", ended, "the holiday rotations carry the on-call in the window")
            )
            after = _replace_rotation(after, ended)
        bridge_turn = turns - 1 if cut else turns
        if bridge:
            name = _year_name(rotation.name, end.year) + "-bridge"
            bridge_order = rotate(rotation.participants, bridge_turn)
            creates.append(
                Rotation(
                    name,
                    end.astimezone(z),
                    bridge_order,
                    rotation.type,
                    rotation.length,
                    bridge_end.astimezone(z),
                )
            )
            whose = "the rest of the turn the window cut short" if cut else "their turn"
            notes.append(
                f"{name}: {bridge_order[0] or 'no-one'} covers {end.isoformat(timespec='minutes')} to "
                f"{bridge_end.astimezone(z).isoformat(timespec='minutes')} until {rotation.name}'s "
                f"next handoff ({whose})"
            )
        if later and (r_end is None or handoff < r_end):
            order = rotate(rotation.participants, bridge_turn + 1 if bridge else turns)
            if r_start < b_u:
                name = _year_name(rotation.name, end.year)
                creates.append(
                    Rotation(name, handoff.astimezone(z), order, rotation.type, rotation.length, rotation.end)
                )
                first = order[0] or "no-one"
                notes.append(
                    f"{name} continues {rotation.name} from "
                    f"{handoff.astimezone(z).isoformat(timespec='minutes')} with {first} first "
                    f"({turns} turn(s) taken before the window)"
                )
            else:
                moved = replace(rotation, start=handoff.astimezone(z), participants=order)
                actions.append(
                    RotationAction("move_start", moved, "it would start inside the holiday window")
                )
                after = _replace_rotation(after, moved)
    by_name = {r.name: r for r in rotations}
    existing: list[str] = []
    differences: list[str] = []
    create_actions: list[RotationAction] = []
    for rotation in creates:
        if rules.is_holiday(rotation.name, settings):
            rotation = replace(rotation, name=_season_name(rotation, by_name, year, now))
        old = by_name.get(rotation.name)
        if old is not None and (old.end is None or _utc(old.end) > _utc(now)):
            existing.append(rotation.name)
            differences.extend(rotation_differences(old, rotation))
            continue
        if old is not None:
            create_actions.append(RotationAction("delete", old, "it ended: last year's"))
            after = [r for r in after if r.name != old.name]
        create_actions.append(RotationAction("create", rotation, "holiday plan"))
        after.append(rotation)
    # Create first, then end or move: a failure part-way never leaves a seat uncovered.
    actions = create_actions + actions
    return HolidayPlan(
        year,
        begin.astimezone(z),
        end.astimezone(z),
        tuple(actions),
        tuple(existing),
        tuple(differences),
        tuple(after),
        tuple(notes),
    )


def _same_season(old: Rotation, wanted: Rotation) -> bool:
    """Two holiday rotations of one season: their windows meet."""
    return _utc(old.start) < _utc(wanted.end or wanted.start) and (
        old.end is None or _utc(old.end) > _utc(wanted.start)
    )


def _season_name(wanted: Rotation, by_name: Mapping[str, Rotation], year: int, now: datetime) -> str:
    """The name of this season's holiday rotation: the configured one (`Holiday-a`), unless another season's
    rotation still runs under it (planning next year's while this year's is on); then `Holiday-a-<year>`.

    A rotation of this season under either name is this season's (planned already, never created twice); a
    free name, or one held by a season that has ended (deleted and created again), is taken in that order.
    """
    names = (wanted.name, rules.holiday_season_name(wanted.name, year))
    for name in names:
        old = by_name.get(name)
        if old is not None and _same_season(old, wanted):
            return name
    for name in names:
        old = by_name.get(name)
        if old is None or not active_after(old, now):
            return name
    raise UsageError(
        f"the holiday rotations {' and '.join(names)} both hold other seasons that have not ended",
        hint=f"Delete one of them, or rename it, then plan the {year} season again.",
    )


def rotation_differences(current: Rotation, wanted: Rotation) -> list[str]:
    """How an existing rotation differs from the one a plan wants, one line per field."""
    lines = []
    if _utc(current.start) != _utc(wanted.start):
        lines.append(
            f"{wanted.name}: starts {current.start.isoformat()} in the schedule, "
            f"{wanted.start.isoformat()} in the plan"
        )
    if (current.end is None) != (wanted.end is None) or (
        current.end is not None and wanted.end is not None and _utc(current.end) != _utc(wanted.end)
    ):
        have = current.end.isoformat() if current.end else "no end"
        want = wanted.end.isoformat() if wanted.end else "no end"
        lines.append(f"{wanted.name}: ends {have} in the schedule, {want} in the plan")
    if current.participants != wanted.participants:
        lines.append(
            f"{wanted.name}: participants in the schedule "
            f"{[p or 'no-one' for p in current.participants]}; in the plan "
            f"{[p or 'no-one' for p in wanted.participants]}"
        )
    if (current.type, current.length) != (wanted.type, wanted.length):
        lines.append(
            f"{wanted.name}: {current.type} x{current.length} in the schedule, "
            f"{wanted.type} x{wanted.length} in the plan"
        )
    return lines


# --- overrides on a rotation that a plan ends ------------------------------------------------------------

Span = tuple[datetime, datetime]

CARRIED_MESSAGE = (
    "Hi {engineer}! The holiday plan pauses {rotation} for the holidays and continues it in a new "
    "rotation, so your override(s) on {rotation} move with it:\n{lines}\n"
    "Please check the schedule; nothing else about your shifts changed."
)


@dataclass(frozen=True, slots=True)
class CarriedOverride:
    """[R1] An override tied to a rotation that a plan ends (or starts later): where the rotation no longer
    runs the override applies to nothing, so it is re-created on the rotations that continue the seat then
    (`replacements`). The parts no regular rotation of the seat continues (inside the holiday window, where
    the holiday rotations carry the seat) are `dropped` and said so."""

    original: Override
    rotation: str
    replacements: tuple[Override, ...]
    dropped: tuple[Span, ...] = ()


def _active(rotation: Rotation) -> Span:
    """Where a rotation gives shifts: from its start to its end (open-ended: far ahead)."""
    far = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)
    return _utc(rotation.start), _utc(rotation.end) if rotation.end is not None else far


def _minus(spans: Sequence[Span], cut: Span) -> list[Span]:
    out = []
    for lo, hi in spans:
        if cut[1] <= lo or hi <= cut[0]:
            out.append((lo, hi))
            continue
        if lo < cut[0]:
            out.append((lo, cut[0]))
        if cut[1] < hi:
            out.append((cut[1], hi))
    return out


def carry_overrides(
    before: Sequence[Rotation],
    after: Sequence[Rotation],
    overrides: Sequence[Override],
    settings: RoundSettings,
    now: datetime,
) -> tuple[CarriedOverride, ...]:
    """The overrides (not ended by `now`) on a regular rotation that applied to it before a change and no
    longer do after it, each re-created on the regular rotations of the same seat that run then (a holiday
    plan's continuation `rot-a-2028` and bridge). Re-running on the changed schedule finds nothing: the
    re-created overrides are on rotations that did not change."""
    z = zone(settings.timezone)
    old = {r.name: r for r in before}
    new = {r.name: r for r in after}
    carried = []
    for override in overrides:
        if not override.rotations or _utc(override.end) <= _utc(now):
            continue
        for name in override.rotations:
            was = old.get(name)
            if was is None or not regular(was, settings) or not was.participants:
                continue
            lo, hi = _active(was)
            lost = [(max(lo, _utc(override.start)), min(hi, _utc(override.end)))]
            lost = [(a, b) for a, b in lost if a < b]
            if name in new:
                lost = _minus(lost, _active(new[name]))
            if not lost:
                continue
            seat = rules.group_of(name, settings)
            continuing = sorted(
                (
                    r
                    for r in after
                    if r.name != name
                    and regular(r, settings)
                    and r.participants
                    and rules.group_of(r.name, settings) == seat
                ),
                key=lambda r: _utc(r.start),
            )
            pieces: list[Override] = []
            dropped = list(lost)
            for rotation in continuing:
                r_lo, r_hi = _active(rotation)
                for a, b in lost:
                    start, end = max(a, r_lo), min(b, r_hi)
                    if start < end:
                        pieces.append(
                            Override(override.user, start.astimezone(z), end.astimezone(z), (rotation.name,))
                        )
                        dropped = _minus(dropped, (start, end))
            carried.append(
                CarriedOverride(
                    override,
                    name,
                    tuple(pieces),
                    tuple((a.astimezone(z), b.astimezone(z)) for a, b in dropped),
                )
            )
    return tuple(carried)


def carried_message(mention: str, rotation: str, lines: Sequence[str]) -> str:
    """The DM telling an override's owner where it went, one line per override."""
    return CARRIED_MESSAGE.format(engineer=mention, rotation=rotation, lines="\n".join(lines))


def dead_reason(override: Override, rotations: Sequence[Rotation]) -> str | None:
    """Why an override applies to no shift at all, or None when it applies somewhere: every rotation it
    names is gone, has ended before it starts, or starts after it ends (the service keeps such an override,
    but nobody is on call through it)."""
    named = override.rotations or tuple(r.name for r in rotations)
    by_name = {r.name: r for r in rotations}
    reasons = []
    o_lo, o_hi = _utc(override.start), _utc(override.end)
    for name in named:
        rotation = by_name.get(name)
        if rotation is None:
            reasons.append(f"{name} no longer exists")
            continue
        lo, hi = _active(rotation)
        if lo < o_hi and o_lo < hi and rotation.participants:
            return None
        if rotation.end is not None and hi <= o_lo:
            reasons.append(f"{name} ended {rotation.end.isoformat(timespec='minutes')}, before it starts")
        elif lo >= o_hi:
            reasons.append(f"{name} starts {rotation.start.isoformat(timespec='minutes')}, after it ends")
        else:
            reasons.append(f"{name} has no participants")
    return "; ".join(reasons) or "the schedule has no rotations"


def window_around(begin: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The stretch a holiday plan shows: a week either side of the window."""
    return begin - timedelta(weeks=1), end + timedelta(weeks=1)


# --- picking a shift by index or date -------------------------------------------------------------------


def shifts_on(day: date, shifts: Sequence[Shift], tz: str, handoff: time) -> list[Shift]:
    """The shifts starting on `day` (schedule zone); else those holding that day's handoff time."""
    z = zone(tz)
    starting = [s for s in shifts if s.start.astimezone(z).date() == day]
    if starting:
        return starting
    at = _utc(datetime.combine(day, handoff).replace(tzinfo=z))
    return [s for s in shifts if _utc(s.start) <= at < _utc(s.end)]
