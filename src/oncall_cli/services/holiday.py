"""Holiday use cases: plan the holiday rotations (pausing the regular ones), volunteer for a holiday shift,
and show who has volunteered.

`plan` creates `Holiday-a`/`Holiday-b` (2-day shifts of `none` placeholders) over the window and pauses
the regular rotations across it (`scheduling.changes.plan_holiday`), then lints the result with the same
checker as `oncall schedule check`: no gap and no double coverage in either seat. Volunteering is an
override on a holiday rotation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from oncall_cli.errors import NotFoundError, OncallError, PartialError, UsageError
from oncall_cli.scheduling import changes, rules
from oncall_cli.scheduling.changes import CarriedOverride, HolidayPlan, RotationAction
from oncall_cli.scheduling.check import check_schedule
from oncall_cli.scheduling.model import Override, Rotation, Shift, Violation, zone
from oncall_cli.scheduling.timeline import timeline
from oncall_cli.services.context import Context
from oncall_cli.services.gate import refuse_rejected_plan, violation_json
from oncall_cli.services.overrides import OverrideResult, cover_shift, override_json, resolve_user
from oncall_cli.services.rotation import (
    Notification,
    Schedule,
    dm_each,
    notify_summary,
    read_schedule,
    shift_json,
)


def _window(context: Context, schedule: Schedule, year: int | None) -> tuple[int, datetime, datetime]:
    start_mmdd = context.settings.text("holiday_start")
    end_mmdd = context.settings.text("holiday_end")
    if year is None:
        year = changes.holiday_year(schedule.now, schedule.settings, start_mmdd, end_mmdd)
    elif not 2000 <= year <= 2100:
        raise UsageError(f"--year: expected a year such as 2027, got {year}")
    begin, end = changes.holiday_window(year, schedule.settings, start_mmdd, end_mmdd)
    return year, begin, end


@dataclass(frozen=True)
class PlanStep:
    """One change of the plan, in the order it is applied: a rotation action, an override re-created on
    the rotation continuing the one it was tied to, or the DMs to those overrides' owners."""

    kind: str
    rotation: str | None
    description: str


@dataclass
class HolidayPlanResult:
    plan: HolidayPlan
    timezone: str
    dry_run: bool
    timeline: list[Shift]
    coverage: list[Violation]
    """[R1] gaps and double coverage from a week before the window to a week after (expected: none)."""
    open_shifts: int
    steps: list[PlanStep] = field(default_factory=list)
    carried: tuple[CarriedOverride, ...] = ()
    existing_overrides: list[str] = field(default_factory=list)
    """Re-created overrides found already there (a re-run): not created twice."""
    applied: list[str] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        p, tz = self.plan, self.timezone
        z = zone(tz)
        return {
            "dry_run": self.dry_run,
            "year": p.year,
            "timezone": tz,
            "window": {"start": p.start.isoformat(), "end": p.end.isoformat()},
            "actions": [
                {"kind": step.kind, "rotation": step.rotation, "description": step.description}
                for step in self.steps
            ],
            "existing": list(p.existing),
            "differences": list(p.differences),
            "applied": self.applied,
            "notes": list(p.notes),
            "overrides": [
                {
                    "original": override_json(c.original, tz),
                    "rotation": c.rotation,
                    "replacements": [override_json(o, tz) for o in c.replacements],
                    "dropped": [
                        {"start": lo.astimezone(z).isoformat(), "end": hi.astimezone(z).isoformat()}
                        for lo, hi in c.dropped
                    ],
                }
                for c in self.carried
            ],
            "existing_overrides": self.existing_overrides,
            "notifications": [n.to_json() for n in self.notifications],
            "timeline": [shift_json(s, tz) for s in self.timeline],
            "check": {
                "coverage": [violation_json(v, tz) for v in self.coverage],
                "open_holiday_shifts": self.open_shifts,
            },
            "warnings": self.warnings,
        }


def plan(
    context: Context, *, year: int | None = None, apply: bool = False, notify: bool = False
) -> HolidayPlanResult:
    """The holiday rotations, the pause of the regular ones and the overrides tied to them re-created on
    their continuations; with `apply`, make the changes; with `notify`, DM those overrides' owners."""
    schedule = read_schedule(context, people=False)
    year, begin, end = _window(context, schedule, year)
    if end <= schedule.now:
        raise UsageError(f"--year: the {year} holiday window ended on {end.date().isoformat()}")
    settings, tz = schedule.settings, schedule.tz
    holiday = changes.plan_holiday(schedule.rotations, year, begin, end, settings, schedule.now)
    carried = changes.carry_overrides(
        schedule.rotations, holiday.after, schedule.overrides, settings, schedule.now
    )
    to_create: list[Override] = []
    existing_overrides: list[str] = []
    for c in carried:
        for o in c.replacements:
            if changes.find_same(o, [*schedule.overrides, *to_create]) is not None:
                existing_overrides.append(_describe_carried(c, o, tz))
            else:
                to_create.append(o)
    overrides_after = [*schedule.overrides, *to_create]
    lo, hi = changes.window_around(begin, end)
    shifts = timeline(holiday.after, overrides_after, lo, hi, tz)
    coverage = [
        v
        for v in check_schedule(holiday.after, overrides_after, None, settings, lo, hi - lo)
        if v.rule == "R1"
    ]
    open_shifts = sum(1 for s in shifts if rules.is_holiday(s.rotation, settings) and s.user is None)
    owners = sorted({c.original.user for c in carried if c.original.user is not None})
    steps, run = _steps(schedule, holiday.actions, carried, to_create)
    if notify and owners:
        steps.append(
            PlanStep(
                "notify", None, f"DM {len(owners)} owner(s) of overrides the plan moves: {', '.join(owners)}"
            )
        )
    result = HolidayPlanResult(
        holiday, tz, not apply, shifts, coverage, open_shifts, steps, carried, existing_overrides
    )
    for c in carried:
        for lo_, hi_ in c.dropped:
            result.warnings.append(
                f"override {c.original.alias or '(no alias)'} of {c.original.user or 'no-one'} on "
                f"{c.rotation} from {lo_.astimezone(zone(tz)).isoformat(timespec='minutes')} to "
                f"{hi_.astimezone(zone(tz)).isoformat(timespec='minutes')} falls where the holiday rotations "
                "carry the seat: not re-created (take a holiday shift with `oncall holiday volunteer`)"
            )
    if apply and coverage:
        refuse_rejected_plan("the holiday plan", coverage, tz)
    if apply:
        _apply(steps, run, result.applied)
        if notify and owners:
            result.notifications = _tell_owners(context, carried, owners, tz)
            told, warning = notify_summary(result.notifications, "owner(s) of overrides the plan moves")
            if told is not None:
                result.applied.append(told)
            if warning is not None:
                result.warnings.append(warning)
    return result


def _describe_carried(c: CarriedOverride, o: Override, tz: str) -> str:
    z = zone(tz)
    return (
        f"re-create override {c.original.alias or '(no alias)'} of {o.user or 'no-one'} on {o.rotations[0]} "
        f"from {o.start.astimezone(z).isoformat(timespec='minutes')} to "
        f"{o.end.astimezone(z).isoformat(timespec='minutes')} ({c.rotation} no longer runs then)"
    )


def _steps(
    schedule: Schedule,
    actions: tuple[RotationAction, ...],
    carried: tuple[CarriedOverride, ...],
    to_create: list[Override],
) -> tuple[list[PlanStep], list[Callable[[], object]]]:
    """The plan's changes in a safe order, each with what performs it: rotations deleted and created
    first, then the overrides re-created on them, then the ends and moves (a failure part-way never leaves
    a seat or an override without its rotation)."""
    backend = schedule.backend
    steps: list[PlanStep] = []
    run: list[Callable[[], object]] = []

    def rotation_step(action: RotationAction) -> Callable[[], object]:
        r = action.rotation
        if action.kind == "delete":
            return lambda: backend.delete_rotation(r.name)
        if action.kind == "create":
            return lambda: backend.create_rotation(r)
        if action.kind == "end":
            return lambda: backend.update_rotation(r.name, end=r.end)
        return lambda: backend.update_rotation(r.name, start=r.start, participants=r.participants)

    for action in actions:
        if action.kind in ("delete", "create"):
            steps.append(PlanStep(action.kind, action.rotation.name, action.describe()))
            run.append(rotation_step(action))
    for c in carried:
        for o in c.replacements:
            if o in to_create:
                steps.append(PlanStep("override", o.rotations[0], _describe_carried(c, o, schedule.tz)))
                run.append(partial(backend.create_override, o))
    for action in actions:
        if action.kind not in ("delete", "create"):
            steps.append(PlanStep(action.kind, action.rotation.name, action.describe()))
            run.append(rotation_step(action))
    return steps, run


def _apply(steps: list[PlanStep], run: list[Callable[[], object]], done: list[str]) -> None:
    for step, perform in zip(steps, run, strict=False):
        try:
            perform()
        except OncallError as exc:
            remaining = [s.description for s in steps[len(done) :]]
            raise PartialError(
                f"the holiday plan stopped at: {step.description}: {exc.message}",
                hint="Fix the cause and run `oncall holiday plan --apply` again: it finishes the remaining "
                "steps and never creates a rotation or an override twice.",
                details={"done": list(done), "not_done": remaining},
            ) from exc
        done.append(step.description)


def _tell_owners(
    context: Context, carried: tuple[CarriedOverride, ...], owners: list[str], tz: str
) -> list[Notification]:
    """Each owner of a moved override gets one DM listing where each of theirs went."""
    z = zone(tz)

    def text(email: str, mention: str) -> str:
        mine = [c for c in carried if c.original.user == email]
        lines = []
        for c in mine:
            for o in c.replacements:
                lines.append(
                    f"- {changes.message_time(o.start, tz)} to {changes.message_time(o.end, tz)} "
                    f"({o.start.astimezone(z).date().isoformat()}): now on {o.rotations[0]}"
                )
            for lo, hi in c.dropped:
                lines.append(
                    f"- {changes.message_time(lo, tz)} to {changes.message_time(hi, tz)} "
                    f"({lo.astimezone(z).date().isoformat()}): the holiday rotations carry the seat then; "
                    "volunteer for a holiday shift to keep it"
                )
        rotations = ", ".join(dict.fromkeys(c.rotation for c in mine))
        return changes.carried_message(mention, rotations, lines)

    return dm_each(context, owners, text)


# --- show / volunteer ------------------------------------------------------------------------------------


@dataclass
class HolidayView:
    timezone: str
    rotations: list[Rotation]
    shifts: list[Shift]

    def to_json(self) -> dict[str, Any]:
        tz = self.timezone
        volunteers: dict[str, int] = {}
        for s in self.shifts:
            if s.user is not None:
                volunteers[s.user] = volunteers.get(s.user, 0) + 1
        start = min((r.start for r in self.rotations), default=None)
        ends = [r.end for r in self.rotations if r.end is not None]
        return {
            "timezone": tz,
            "rotations": [r.name for r in self.rotations],
            "window": {
                "start": start.astimezone(zone(tz)).isoformat() if start else None,
                "end": max(ends).astimezone(zone(tz)).isoformat() if ends else None,
            },
            "shifts": [
                {"index": i, **(shift_json(s, tz) or {}), "open": s.user is None}
                for i, s in enumerate(self.shifts, start=1)
            ],
            "open": sum(1 for s in self.shifts if s.user is None),
            "volunteers": dict(sorted(volunteers.items())),
        }


def _holiday_shifts(schedule: Schedule) -> tuple[list[Rotation], list[Shift]]:
    """The holiday rotations of one season, seat A first: the season under way or next (two seasons exist
    while next year's is planned before this year's ends); when every season has ended, the last one."""
    settings = schedule.settings
    found = [r for r in schedule.rotations if rules.is_holiday(r.name, settings)]
    if not found:
        raise NotFoundError(
            f"the schedule has no holiday rotations ({', '.join(settings.holiday_rotation_names)})",
            hint="Create them with `oncall holiday plan --apply`.",
        )
    live = [r for r in found if changes.active_after(r, schedule.now)]
    season = min(live, key=lambda r: r.start) if live else max(found, key=lambda r: r.start)
    rotations = sorted(
        (r for r in found if r.start == season.start), key=lambda r: rules.group_of(r.name, settings) or ""
    )
    begin = min(r.start for r in rotations)
    end = max((r.end for r in rotations if r.end is not None), default=begin + timedelta(weeks=3))
    order = {r.name: i for i, r in enumerate(rotations)}
    shifts = timeline(rotations, schedule.overrides, begin, end, schedule.tz)
    shifts.sort(key=lambda s: (s.start, order.get(s.rotation, 99)))
    return rotations, shifts


def show(context: Context) -> HolidayView:
    """The holiday shifts, who volunteered, and which are still open."""
    schedule = read_schedule(context, people=False)
    rotations, shifts = _holiday_shifts(schedule)
    return HolidayView(schedule.tz, rotations, shifts)


def volunteer(
    context: Context, shift: str, *, user: str | None = None, me: bool = False, dry_run: bool = False
) -> OverrideResult:
    """Take a holiday shift (by its number in `holiday show`, or its date) with an override."""
    who = resolve_user(context, user, me)
    schedule = read_schedule(context, people=False)
    _, shifts = _holiday_shifts(schedule)
    text = shift.strip()
    if text.isdigit():
        index = int(text)
        if not 1 <= index <= len(shifts):
            raise UsageError(
                f"SHIFT: no holiday shift number {index}; `oncall holiday show` lists 1 to {len(shifts)}"
            )
        chosen = shifts[index - 1]
    else:
        from oncall_cli.services.timeparse import parse_date

        day = parse_date(text, flag="SHIFT", tz=schedule.tz, now=schedule.now)
        found = changes.shifts_on(day, shifts, schedule.tz, schedule.settings.handoff)
        if not found:
            raise UsageError(
                f"SHIFT: no holiday shift starts on {day.isoformat()}",
                hint="See them with `oncall holiday show`.",
            )
        chosen = next((s for s in found if s.user == who), None) or next(
            (s for s in found if s.user is None), found[0]
        )
    if chosen.user is not None and chosen.user != who:
        raise UsageError(
            f"SHIFT: {chosen.rotation} {chosen.start.isoformat(timespec='minutes')} is already "
            f"taken by {chosen.user}",
            hint="Pick an open one from `oncall holiday show`.",
        )
    both = [
        s
        for s in shifts
        if s.user == who and s.rotation != chosen.rotation and s.start < chosen.end and chosen.start < s.end
    ]
    if both:
        raise UsageError(
            f"SHIFT: {who} already holds {both[0].rotation} then; one person cannot hold both seats"
        )
    return cover_shift(schedule, chosen, who, dry_run=dry_run)
