"""Override use cases: cover a stretch of someone's shift, take a whole shift, trade two engineers' next
shifts atomically, list and delete overrides.

An override is always on one named rotation: Opsgenie's "no rotations = every rotation" would put one person
in both seats at once. Times are refused unless they fall on :00 or :30 (Opsgenie would round them and move
the shift). An override identical to an existing one is never created twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from oncall_cli.errors import NotFoundError, OncallError, PartialError, UsageError
from oncall_cli.scheduling import changes, rules
from oncall_cli.scheduling.check import DEFAULT_HORIZON, introduced_coverage
from oncall_cli.scheduling.model import Override, Rotation, Shift, Violation, zone
from oncall_cli.scheduling.timeline import next_shift_of, timeline
from oncall_cli.services.context import Context
from oncall_cli.services.gate import refuse_rejected_plan
from oncall_cli.services.rotation import Schedule, check_email, read_schedule, shift_json
from oncall_cli.services.timeparse import parse_date, parse_time


def resolve_user(context: Context, user: str | None, me: bool) -> str:
    """`--user EMAIL`, or `--me` (the default): the configured `me`."""
    if user is not None and me:
        raise UsageError("--user and --me cannot be used together")
    if user is not None:
        return check_email(user, "--user")
    mine = context.settings.text("me").strip()
    if not mine:
        raise UsageError(
            "--me: the `me` setting is not set",
            hint=f"Set it with `{context.settings.command('config set me you@example.com')}`, "
            "or pass --user EMAIL.",
        )
    return mine


def _stamp(at: datetime, tz: str) -> str:
    return at.astimezone(zone(tz)).isoformat()


def override_json(override: Override, tz: str, local_tz: str | None = None) -> dict[str, Any]:
    """An override with its times in the schedule's zone, Eastern time and the user's own zone."""
    eastern = rules.EASTERN_REFERENCE
    data: dict[str, Any] = {
        "alias": override.alias,
        "user": override.user,
        "rotations": list(override.rotations),
        "start": _stamp(override.start, tz),
        "end": _stamp(override.end, tz),
        "eastern": {"start": _stamp(override.start, eastern), "end": _stamp(override.end, eastern)},
    }
    if local_tz is not None:
        data["local"] = {
            "timezone": local_tz,
            "start": _stamp(override.start, local_tz),
            "end": _stamp(override.end, local_tz),
        }
    return data


@dataclass
class OverrideResult:
    """One override added (or found already there)."""

    override: Override
    timezone: str
    local_timezone: str
    dry_run: bool
    replaces: list[Shift] = field(default_factory=list)
    already_exists: bool = False
    created: bool = False
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "created": self.created,
            "already_exists": self.already_exists,
            "override": override_json(self.override, self.timezone, self.local_timezone),
            "replaces": [shift_json(s, self.timezone) for s in self.replaces],
            "warnings": self.warnings,
        }


def _rotation(schedule: Schedule, name: str) -> Rotation:
    for rotation in schedule.rotations:
        if rotation.name == name:
            return rotation
    known = ", ".join(r.name for r in schedule.rotations) or "none"
    raise UsageError(f"--rotation: no rotation named {name!r} in the schedule (rotations: {known})")


def _pick_rotation(schedule: Schedule, user: str, start: datetime, end: datetime) -> str:
    """Without --rotation: the one rotation running in the window that the user rotates in."""
    running = {s.rotation for s in timeline(schedule.rotations, [], start, end, schedule.tz)}
    mine = [r.name for r in schedule.rotations if r.name in running and user in r.participants]
    if len(mine) == 1:
        return mine[0]
    names = ", ".join(sorted(running)) or "none"
    why = "rotates in several of them" if mine else "rotates in none of them"
    raise UsageError(f"--rotation: name the rotation to override ({user} {why}; running then: {names})")


def _user_zone(schedule: Schedule, user: str | None) -> str:
    if user is None:
        return schedule.tz
    record = schedule.people.get(user) or schedule.directory.find(user)
    if record is None:
        raise NotFoundError(
            f"--user: {schedule.directory.service} has no user {user}", details={"email": user}
        )
    schedule.people[user] = record
    return record.timezone


def _gate(schedule: Schedule, added: list[Override]) -> list[Violation]:
    """[R1] The double bookings (one engineer in both seats, a seat held twice) the new overrides would
    bring that the schedule does not have already."""
    last = max(o.end for o in added)
    horizon = max(DEFAULT_HORIZON, last - schedule.now + timedelta(weeks=1))
    return introduced_coverage(
        (schedule.rotations, schedule.overrides),
        (schedule.rotations, [*schedule.overrides, *added]),
        schedule.settings,
        schedule.now,
        horizon,
    )


def _refuse_or_warn(
    schedule: Schedule, what: str, added: list[Override], *, dry_run: bool, warnings: list[str]
) -> None:
    """A dry run lists what the gate finds; a real run is refused with exit 9 before any write."""
    found = _gate(schedule, added)
    if dry_run:
        warnings.extend(
            f"without --dry-run this would be refused (exit 9): {v.rule} {v.message}" for v in found
        )
        return
    refuse_rejected_plan(
        what,
        found,
        schedule.tz,
        "Pick someone who is not on call in the other seat then, or hand that shift over first "
        "(`oncall override add --user ... --rotation ...`).",
    )


def _create(schedule: Schedule, override: Override, *, dry_run: bool, warnings: list[str]) -> OverrideResult:
    tz = schedule.tz
    rotations = [r for r in schedule.rotations if r.name in override.rotations]
    replaces = [s for s in timeline(rotations, schedule.overrides, override.start, override.end, tz)]
    if not replaces:
        warnings.append(
            f"{override.rotations[0]} has no shift then: the service ignores an override where the "
            "rotation does not run"
        )
    result = OverrideResult(
        override, tz, _user_zone(schedule, override.user), dry_run, replaces, warnings=warnings
    )
    found = changes.find_same(override, schedule.overrides)
    if found is not None:
        result.override = found
        result.already_exists = True
        return result
    _refuse_or_warn(schedule, "the override", [override], dry_run=dry_run, warnings=result.warnings)
    if not dry_run:
        alias = schedule.backend.create_override(override)
        result.override = Override(override.user, override.start, override.end, override.rotations, alias)
        result.created = True
        schedule.overrides.append(result.override)
    return result


def add(
    context: Context,
    *,
    start: str,
    end: str,
    user: str | None = None,
    me: bool = False,
    rotation: str | None = None,
    dry_run: bool = False,
) -> OverrideResult:
    """Override a whole or partial shift with `user` (default: me) from `start` to `end`."""
    who = resolve_user(context, user, me)
    tz = context.settings.text("timezone")
    now = context.now()
    begin = changes.check_half_hour(parse_time(start, flag="--start", tz=tz, now=now), "--start")
    finish = changes.check_half_hour(parse_time(end, flag="--end", tz=tz, now=now), "--end")
    if finish <= begin:
        raise UsageError(f"--end: {finish.isoformat()} must be after --start {begin.isoformat()}")
    schedule = read_schedule(context, people=False)
    if rotation is not None:
        name = _rotation(schedule, rotation).name
    else:
        name = _pick_rotation(schedule, who, begin, finish)
    warnings = []
    if finish <= now:
        warnings.append("the override is entirely in the past")
    return _create(schedule, Override(who, begin, finish, (name,)), dry_run=dry_run, warnings=warnings)


def pick_shift(
    context: Context,
    schedule: Schedule,
    ref: str,
    *,
    user: str | None,
    flag: str = "SHIFT",
    shifts: list[Shift] | None = None,
) -> Shift:
    """A shift by its index in `oncall schedule show` (1-based) or by date (the shift starting that day,
    else the one holding that day's handoff); among several, the one of a rotation `user` is in."""
    from oncall_cli.services.schedule import show

    text = ref.strip()
    if text.isdigit():
        # Numbers are positions in `schedule show`'s list, which only grows at its end with --weeks.
        listed = shifts if shifts is not None else list(show(context, weeks=52).shifts)
        index = int(text)
        if not 1 <= index <= len(listed):
            raise UsageError(
                f"{flag}: no shift number {index}; `oncall schedule show` lists 1 to {len(listed)}"
            )
        return listed[index - 1]
    tz = schedule.tz
    day = parse_date(text, flag=flag, tz=tz, now=schedule.now)
    if shifts is None:
        begin = datetime.combine(day, schedule.settings.handoff).replace(tzinfo=zone(tz))
        # Wide enough that weekly shifts starting or running that day are not cut by the window.
        shifts = schedule.backend.timeline(begin - timedelta(days=15), begin + timedelta(days=15))
    found = changes.shifts_on(day, shifts, tz, schedule.settings.handoff)
    if len(found) > 1 and user is not None:
        theirs = {r.name for r in schedule.rotations if user in r.participants}
        found = [s for s in found if s.rotation in theirs] or found
    if not found:
        raise UsageError(
            f"{flag}: no shift starts on {day.isoformat()}",
            hint="Pick one by its number in `oncall schedule show`.",
        )
    if len(found) > 1:
        listing = "; ".join(
            f"{s.rotation} {s.start.isoformat(timespec='minutes')} ({s.user or 'no-one'})" for s in found
        )
        raise UsageError(
            f"{flag}: several shifts match {day.isoformat()}: {listing}",
            hint="Pick one by its number in `oncall schedule show`.",
        )
    return found[0]


def cover_shift(schedule: Schedule, shift: Shift, who: str, *, dry_run: bool) -> OverrideResult:
    """An override of the whole shift for `who`; a shift under way is covered from the current half hour."""
    begin = shift.start
    warnings: list[str] = []
    if begin <= schedule.now < shift.end:
        begin = changes.floor_half_hour(schedule.now.astimezone(zone(schedule.tz)))
        warnings.append(f"the shift is under way: covered from {begin.isoformat(timespec='minutes')}")
    override = Override(who, begin, shift.end, (shift.rotation,))
    changes.check_half_hour(override.start, "SHIFT")
    changes.check_half_hour(override.end, "SHIFT")
    if shift.user == who:
        override = changes.find_same(override, schedule.overrides) or override
        result = OverrideResult(
            override,
            schedule.tz,
            _user_zone(schedule, who),
            dry_run,
            [shift],
            warnings=[*warnings, f"{who} already holds this shift: nothing to change"],
        )
        result.already_exists = True
        return result
    return _create(schedule, override, dry_run=dry_run, warnings=warnings)


def take(context: Context, shift: str, *, dry_run: bool = False) -> OverrideResult:
    """Take a whole shift (by date or `schedule show` number) for me."""
    who = resolve_user(context, None, True)
    schedule = read_schedule(context, people=False)
    chosen = pick_shift(context, schedule, shift, user=who)
    return cover_shift(schedule, chosen, who, dry_run=dry_run)


# --- swap ------------------------------------------------------------------------------------------------


@dataclass
class SwapResult:
    a: str
    b: str
    shift_a: Shift
    shift_b: Shift
    overrides: tuple[Override, Override]
    timezone: str
    dry_run: bool
    existing: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        tz = self.timezone
        return {
            "dry_run": self.dry_run,
            "a": {"user": self.a, "shift": shift_json(self.shift_a, tz), "covered_by": self.b},
            "b": {"user": self.b, "shift": shift_json(self.shift_b, tz), "covered_by": self.a},
            "overrides": [override_json(o, tz) for o in self.overrides],
            "already_swapped": len(self.existing) == 2,
            "existing": self.existing,
            "created": self.created,
            "warnings": self.warnings,
        }


def swap(context: Context, a: str, b: str, *, dry_run: bool = False) -> SwapResult:
    """Trade two engineers' next rotation shifts with two overrides: both or neither.

    "Next shift" is read on the rotations alone (no overrides), so running the swap twice finds the same
    two shifts and the overrides already in place instead of swapping back.
    """
    a = check_email(a, "EMAIL_A")
    b = check_email(b, "EMAIL_B")
    if a == b:
        raise UsageError("EMAIL_B: swap needs two different engineers")
    schedule = read_schedule(context, people=False)
    tz, now = schedule.tz, schedule.now
    mine = next_shift_of(a, schedule.rotations, [], now, tz)
    theirs = next_shift_of(b, schedule.rotations, [], now, tz)
    if mine is None:
        raise UsageError(f"EMAIL_A: {a} has no upcoming shift in any rotation")
    if theirs is None:
        raise UsageError(f"EMAIL_B: {b} has no upcoming shift in any rotation")
    first = Override(b, mine.start, mine.end, (mine.rotation,))
    second = Override(a, theirs.start, theirs.end, (theirs.rotation,))
    result = SwapResult(a, b, mine, theirs, (first, second), tz, dry_run)
    if mine.start < theirs.end and theirs.start < mine.end and mine.rotation != theirs.rotation:
        result.warnings.append(
            f"the two shifts overlap: during the overlap {a} and {b} each hold the other's seat"
        )
    todo = []
    for override in (first, second):
        if changes.find_same(override, schedule.overrides) is not None:
            result.existing.append(_describe(override))
        else:
            todo.append(override)
    if todo:
        _refuse_or_warn(schedule, "the swap", todo, dry_run=dry_run, warnings=result.warnings)
    if dry_run or not todo:
        return result
    made: list[tuple[Override, str]] = []
    for override in todo:
        try:
            alias = schedule.backend.create_override(override)
        except OncallError as exc:
            _roll_back(schedule, made, exc)
            raise
        made.append((override, alias))
        result.created.append(_describe(override))
    result.overrides = (_aliased(first, made), _aliased(second, made))
    return result


def _aliased(override: Override, made: list[tuple[Override, str]]) -> Override:
    for created, alias in made:
        if created is override:
            return Override(override.user, override.start, override.end, override.rotations, alias)
    return override


def _describe(override: Override) -> str:
    return (
        f"{override.user} covers {override.rotations[0]} from "
        f"{override.start.isoformat(timespec='minutes')} to {override.end.isoformat(timespec='minutes')}"
    )


def _roll_back(schedule: Schedule, made: list[tuple[Override, str]], cause: OncallError) -> None:
    """The second override failed: remove the first so the swap is all or nothing."""
    for override, alias in made:
        try:
            schedule.backend.delete_override(alias)
        except OncallError as exc:
            raise PartialError(
                f"the swap failed ({cause.message}) and removing the first override ({alias}: "
                f"{_describe(override)}) failed too: {exc.message}",
                hint=f"Delete it with `oncall override delete {alias}`, then run the swap again.",
                details={"done": [_describe(override)], "not_done": ["the second override"], "alias": alias},
            ) from exc
    if made:
        raise type(cause)(
            f"the swap failed: {cause.message} (the first override was removed again: nothing changed)",
            hint=cause.hint,
            details=cause.details,
        ) from cause


# --- list / delete ---------------------------------------------------------------------------------------


@dataclass
class OverridesView:
    timezone: str
    overrides: list[Override]
    dead: dict[str, str] = field(default_factory=dict)
    """Why an override applies to no shift (its rotations ended before it starts...), by alias."""

    def dead_reason(self, override: Override) -> str | None:
        return self.dead.get(override.alias or "")

    def to_json(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "overrides": [
                {
                    **override_json(o, self.timezone),
                    "active": self.dead_reason(o) is None,
                    "inactive_reason": self.dead_reason(o),
                }
                for o in self.overrides
            ],
        }


def list_overrides(context: Context) -> OverridesView:
    """The schedule's overrides that have not ended yet, by start time; a dead one (no rotation it names
    runs while it lasts, as when the holiday plan ended its rotation) is marked, never shown as active."""
    schedule = read_schedule(context, people=False)
    now = schedule.now
    current = sorted((o for o in schedule.overrides if o.end > now), key=lambda o: (o.start, o.alias or ""))
    dead = {
        o.alias or "": reason
        for o in current
        if (reason := changes.dead_reason(o, schedule.rotations)) is not None
    }
    return OverridesView(schedule.tz, current, dead)


@dataclass
class DeleteResult:
    alias: str
    timezone: str
    dry_run: bool
    override: Override | None
    deleted: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "alias": self.alias,
            "found": self.override is not None,
            "deleted": self.deleted,
            "override": override_json(self.override, self.timezone) if self.override else None,
        }


def delete(context: Context, alias: str, *, dry_run: bool = False) -> DeleteResult:
    """Delete an override by alias; one already gone is reported, not an error (safe to run twice)."""
    if not alias.strip():
        raise UsageError("ALIAS: an override alias is required (see `oncall override list`)")
    schedule = read_schedule(context, people=False)
    found = next((o for o in schedule.overrides if o.alias == alias), None)
    result = DeleteResult(alias, schedule.tz, dry_run, found)
    if found is None or dry_run:
        return result
    try:
        schedule.backend.delete_override(alias)
    except NotFoundError:
        return result  # deleted meanwhile
    result.deleted = True
    return result
