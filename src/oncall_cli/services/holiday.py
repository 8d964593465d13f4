"""Holiday use cases: plan the holiday rotations (pausing the regular ones), volunteer for a holiday shift,
and show who has volunteered.

`plan` creates `Holiday-a`/`Holiday-b` (2-day shifts of `none` placeholders) over the window and pauses
the regular rotations across it (`scheduling.changes.plan_holiday`), then lints the result with the same
checker as `oncall schedule check`: no gap and no double coverage in either seat. Volunteering is an
override on a holiday rotation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from oncall_cli.errors import NotFoundError, OncallError, PartialError, UsageError
from oncall_cli.scheduling import changes
from oncall_cli.scheduling.changes import HolidayPlan, RotationAction
from oncall_cli.scheduling.check import check_schedule
from oncall_cli.scheduling.model import Rotation, Shift, Violation, zone
from oncall_cli.scheduling.timeline import timeline
from oncall_cli.services.context import Context
from oncall_cli.services.gate import refuse_rejected_plan, violation_json
from oncall_cli.services.overrides import OverrideResult, cover_shift, resolve_user
from oncall_cli.services.rotation import Schedule, read_schedule, shift_json


def _window(context: Context, schedule: Schedule, year: int | None) -> tuple[int, datetime, datetime]:
    start_mmdd = context.settings.text("holiday_start")
    end_mmdd = context.settings.text("holiday_end")
    if year is None:
        year = changes.holiday_year(schedule.now, schedule.settings, start_mmdd, end_mmdd)
    elif not 2000 <= year <= 2100:
        raise UsageError(f"--year: expected a year such as 2027, got {year}")
    begin, end = changes.holiday_window(year, schedule.settings, start_mmdd, end_mmdd)
    return year, begin, end


@dataclass
class HolidayPlanResult:
    plan: HolidayPlan
    timezone: str
    dry_run: bool
    timeline: list[Shift]
    coverage: list[Violation]
    """[R1] gaps and double coverage from a week before the window to a week after (expected: none)."""
    open_shifts: int
    applied: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        p, tz = self.plan, self.timezone
        return {
            "dry_run": self.dry_run,
            "year": p.year,
            "timezone": tz,
            "window": {"start": p.start.isoformat(), "end": p.end.isoformat()},
            "actions": [
                {"kind": a.kind, "rotation": a.rotation.name, "description": a.describe()} for a in p.actions
            ],
            "existing": list(p.existing),
            "differences": list(p.differences),
            "applied": self.applied,
            "notes": list(p.notes),
            "timeline": [shift_json(s, tz) for s in self.timeline],
            "check": {
                "coverage": [violation_json(v, tz) for v in self.coverage],
                "open_holiday_shifts": self.open_shifts,
            },
        }


def plan(context: Context, *, year: int | None = None, apply: bool = False) -> HolidayPlanResult:
    """The holiday rotations and the pause of the regular ones; with `apply`, make the changes."""
    schedule = read_schedule(context, people=False)
    year, begin, end = _window(context, schedule, year)
    if end <= schedule.now:
        raise UsageError(f"--year: the {year} holiday window ended on {end.date().isoformat()}")
    settings, tz = schedule.settings, schedule.tz
    holiday = changes.plan_holiday(schedule.rotations, year, begin, end, settings, schedule.now)
    lo, hi = changes.window_around(begin, end)
    shifts = timeline(holiday.after, schedule.overrides, lo, hi, tz)
    coverage = [
        v
        for v in check_schedule(holiday.after, schedule.overrides, None, settings, lo, hi - lo)
        if v.rule == "R1"
    ]
    names = set(settings.holiday_rotation_names)
    open_shifts = sum(1 for s in shifts if s.rotation in names and s.user is None)
    result = HolidayPlanResult(holiday, tz, not apply, shifts, coverage, open_shifts)
    if apply and coverage:
        refuse_rejected_plan("the holiday plan", coverage, tz, _season_hint(holiday, schedule, settings))
    if apply:
        _apply(schedule, holiday.actions, result.applied)
    return result


def _season_hint(holiday: HolidayPlan, schedule: Schedule, settings: Any) -> str:
    """Why a season's plan leaves a gap: its holiday rotations exist already, for another season."""
    names = set(settings.holiday_rotation_names)
    other = [
        r for r in schedule.rotations
        if r.name in names and r.name in holiday.existing and r.end is not None and r.end != holiday.end
    ]
    if not other:
        return ""
    end = max(r.end for r in other if r.end is not None)
    return (
        f"{', '.join(r.name for r in other)} still hold the holiday season ending "
        f"{end.isoformat(timespec='minutes')}; plan the {holiday.year} season after that (last season's "
        "rotations are then deleted and created again), or delete them first."
    )


def _apply(schedule: Schedule, actions: tuple[RotationAction, ...], done: list[str]) -> None:
    backend = schedule.backend
    for action in actions:
        rotation = action.rotation
        try:
            if action.kind == "delete":
                backend.delete_rotation(rotation.name)
            elif action.kind == "create":
                backend.create_rotation(rotation)
            elif action.kind == "end":
                backend.update_rotation(rotation.name, end=rotation.end)
            else:
                backend.update_rotation(
                    rotation.name, start=rotation.start, participants=rotation.participants
                )
        except OncallError as exc:
            remaining = [a.describe() for a in actions[len(done) :]]
            raise PartialError(
                f"the holiday plan stopped at: {action.describe()}: {exc.message}",
                hint="Fix the cause and run `oncall holiday plan --apply` again: it finishes the remaining "
                "steps and never creates a rotation twice.",
                details={"done": list(done), "not_done": remaining},
            ) from exc
        done.append(action.describe())


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
    names = list(schedule.settings.holiday_rotation_names)
    rotations = sorted((r for r in schedule.rotations if r.name in names), key=lambda r: names.index(r.name))
    if not rotations:
        raise NotFoundError(
            f"the schedule has no holiday rotations ({', '.join(names)})",
            hint="Create them with `oncall holiday plan --apply`.",
        )
    begin = min(r.start for r in rotations)
    end = max((r.end for r in rotations if r.end is not None), default=begin + timedelta(weeks=3))
    order = {name: i for i, name in enumerate(names)}
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
