"""Migration use cases: compare who is on call on two backends (`check`), and copy one schedule onto the
other (`copy`), e.g. Opsgenie before it is switched off and the copy Atlassian's migration made in JSM.

Each side is a profile's own context and schedule store, so any pair of backends works; the core
(`scheduling/migration.py`) compares and plans, and only `copy(apply=True)` writes, to the target only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from oncall_cli.errors import UsageError
from oncall_cli.scheduling.migration import Action, Difference, compare, copy_plan
from oncall_cli.scheduling.model import Override, Rotation, Shift, zone
from oncall_cli.services.context import Context
from oncall_cli.services.oncall import pool_map
from oncall_cli.services.ports import ScheduleStore
from oncall_cli.services.steps import Steps

MAX_WEEKS = 52

__all__ = [
    "MAX_WEEKS",
    "Action",
    "CopyResult",
    "Difference",
    "MigrationReport",
    "Side",
    "action_json",
    "check",
    "copy",
    "difference_json",
]


# ---- output models (the --json contract; the same keys whatever the backends) ---------------------------


@dataclass(frozen=True)
class Side:
    """One end of a migration: the profile, its backend and the schedule it names."""

    profile: str
    backend: str
    service: str
    schedule: str

    def to_json(self) -> dict[str, Any]:
        return {"profile": self.profile, "backend": self.backend, "schedule": self.schedule}


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def difference_json(difference: Difference) -> dict[str, Any]:
    return {
        "kind": difference.kind,
        "rotation": difference.rotation,
        "detail": difference.detail,
        "at": _iso(difference.at),
        "source": difference.source,
        "target": difference.target,
    }


def action_json(action: Action) -> dict[str, Any]:
    if action.rotation is not None:
        r = action.rotation
        return {
            "kind": action.kind,
            "rotation": r.name,
            "detail": action.describe(),
            "start": r.start.isoformat(),
            "end": _iso(r.end),
            "type": r.type,
            "length": r.length,
            "participants": list(r.participants),
        }
    assert action.override is not None
    o = action.override
    return {
        "kind": action.kind,
        "rotation": ", ".join(o.rotations),
        "detail": action.describe(),
        "user": o.user,
        "start": o.start.isoformat(),
        "end": o.end.isoformat(),
        "rotations": list(o.rotations),
    }


@dataclass(frozen=True)
class MigrationReport:
    """What `migrate check` found: the differences of the target from the source over the window."""

    source: Side
    target: Side
    timezone: str
    """The source schedule's zone: the window's and the differences' times are given in it."""
    start: datetime
    end: datetime
    differences: tuple[Difference, ...]

    @property
    def equal(self) -> bool:
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source.to_json(),
            "to": self.target.to_json(),
            "window": {
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "timezone": self.timezone,
            },
            "equal": self.equal,
            "differences": [difference_json(d) for d in self.differences],
        }


@dataclass(frozen=True)
class CopyResult:
    """What `migrate copy` would create on the target (`dry_run`), or created (`applied`)."""

    source: Side
    target: Side
    dry_run: bool
    actions: tuple[Action, ...]
    applied: tuple[Action, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source.to_json(),
            "to": self.target.to_json(),
            "dry_run": self.dry_run,
            "actions": [action_json(a) for a in self.actions],
            "applied": [action_json(a) for a in self.applied],
        }


# ---- reading both sides ---------------------------------------------------------------------------------


def _stores(source: Context, target: Context) -> tuple[ScheduleStore, ScheduleStore]:
    """Both schedule stores, after checking they are two profiles. Built here, in one thread: building one
    builds its context's clients, which are not safe to build concurrently."""
    if source.settings.profile == target.settings.profile:
        raise UsageError(
            f"--from and --to are the same profile {source.settings.profile!r}: a schedule is always equal "
            "to itself",
            hint="Name two profiles, e.g. --from opsgenie --to jsm.",
        )
    return source.schedule_store(), target.schedule_store()


def _side(context: Context, store: ScheduleStore) -> Side:
    settings = context.settings
    return Side(settings.profile, settings.backend, store.service, store.schedule_name)


@dataclass(frozen=True)
class _Snapshot:
    rotations: list[Rotation]
    overrides: list[Override]
    shifts: list[Shift]


def _read(store: ScheduleStore, window: tuple[datetime, datetime] | None) -> _Snapshot:
    """One store's rotations, overrides and (with a window) its own timeline, one after the other: the two
    stores are read concurrently, but an adapter's caches are its own run's, not meant for threads."""
    rotations = store.rotations()
    overrides = store.overrides()
    shifts = store.timeline(*window) if window is not None else []
    return _Snapshot(rotations, overrides, shifts)


def _read_both(
    source: ScheduleStore, target: ScheduleStore, window: tuple[datetime, datetime] | None = None
) -> tuple[_Snapshot, _Snapshot]:
    first, second = pool_map(lambda store: _read(store, window), [source, target])
    return first, second


# ---- the use cases --------------------------------------------------------------------------------------


def check(source: Context, target: Context, *, weeks: int = 12) -> MigrationReport:
    """Compare, shift by shift over the next `weeks`, who is on call on the source's schedule and on the
    target's, each as its own service computes it; list every difference (none: the copy is faithful)."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise UsageError(f"--weeks must be between 1 and {MAX_WEEKS}")
    source_store, target_store = _stores(source, target)
    now = source.now()
    end = now + timedelta(weeks=weeks)
    src, tgt = _read_both(source_store, target_store, (now, end))
    tz_name = source_store.timezone  # known by now: reading the store looked it up
    tz = zone(tz_name)
    start, end = now.astimezone(tz), end.astimezone(tz)
    found = compare(
        src.rotations, src.overrides, src.shifts, tgt.rotations, tgt.overrides, tgt.shifts, start, end
    )
    return MigrationReport(
        _side(source, source_store), _side(target, target_store), tz_name, start, end, tuple(found)
    )


def copy(source: Context, target: Context, *, apply: bool = False) -> CopyResult:
    """Create on the target the source's rotations (same names, order, start) and its future overrides that
    it lacks; with `apply` False, only say what would be created. Running it again creates nothing more.

    A failure part-way stops with PartialError listing what was created and what was not (the cause itself
    when nothing was); running the same command again finishes the rest.
    """
    source_store, target_store = _stores(source, target)
    src, tgt = _read_both(source_store, target_store)
    plan = tuple(copy_plan(src.rotations, src.overrides, tgt.rotations, tgt.overrides, source.now()))
    sides = _side(source, source_store), _side(target, target_store)
    if not apply:
        return CopyResult(*sides, dry_run=True, actions=plan)
    steps = [a.describe() for a in plan]
    effects = Steps("migrate copy")
    for action, step in zip(plan, steps, strict=True):
        effects.run(step, partial(_create, target_store, action), steps)
    return CopyResult(*sides, dry_run=False, actions=plan, applied=plan)


def _create(store: ScheduleStore, action: Action) -> bool:
    if action.kind == "update_rotation" and action.rotation is not None:
        r = action.rotation
        store.update_rotation(r.name, participants=r.participants, start=r.start, end=r.end)
    elif action.rotation is not None:
        store.create_rotation(action.rotation)
    else:
        assert action.override is not None
        store.create_override(action.override)
    return True
