"""Desired round vs what the schedule holds -> the actions to take (what `--dry-run` prints).

Creating a round is: create each `<name>-next` rotation, and end each current rotation of the same group
at the new one's start, so exactly one engineer per group is on call at every moment [R1]. A rotation
that already exists is never created again; how it differs from the plan is reported instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from oncall_cli.scheduling.model import PlannedRotation, Rotation, RoundSettings
from oncall_cli.scheduling.rules import group_of, is_holiday


@dataclass(frozen=True, slots=True)
class Action:
    """One change to the schedule."""

    kind: str  # "create_rotation" | "end_rotation"
    rotation: str
    start: datetime | None = None
    end: datetime | None = None
    participants: tuple[str | None, ...] = ()
    type: str = "weekly"
    length: int = 1

    def describe(self) -> str:
        if self.kind == "create_rotation":
            people = ", ".join(p or "none" for p in self.participants)
            assert self.start is not None
            return (
                f"create rotation {self.rotation} ({self.type}, from {self.start.isoformat()}, "
                f"no end): {people}"
            )
        assert self.end is not None
        return f"end rotation {self.rotation} at {self.end.isoformat()}"


@dataclass(frozen=True, slots=True)
class RoundDiff:
    actions: tuple[Action, ...]
    existing: tuple[str, ...]
    """Planned rotations that already exist in the schedule (never created twice)."""
    differences: tuple[str, ...]
    """How each existing rotation differs from the plan, one line per difference."""


def _differences(current: Rotation, planned: PlannedRotation) -> list[str]:
    lines = []
    if current.start != planned.start:
        lines.append(
            f"{planned.name}: starts {current.start.isoformat()} in the schedule, "
            f"{planned.start.isoformat()} in the plan"
        )
    if current.participants != planned.participants:
        have = [p or "none" for p in current.participants]
        want = [p or "none" for p in planned.participants]
        lines.append(f"{planned.name}: participants in the schedule {have}; in the plan {want}")
    if (current.type, current.length) != (planned.type, planned.length):
        lines.append(
            f"{planned.name}: {current.type} x{current.length} in the schedule, "
            f"{planned.type} x{planned.length} in the plan"
        )
    return lines


def round_actions(
    current: Sequence[Rotation], planned: Sequence[PlannedRotation], settings: RoundSettings
) -> RoundDiff:
    """The actions that bring `current` to hold the planned round, and nothing else."""
    by_name = {r.name: r for r in current}
    planned_names = {p.name for p in planned}
    actions: list[Action] = []
    existing: list[str] = []
    differences: list[str] = []
    for plan in planned:
        if plan.name in by_name:
            existing.append(plan.name)
            differences.extend(_differences(by_name[plan.name], plan))
            continue
        actions.append(
            Action(
                "create_rotation",
                plan.name,
                start=plan.start,
                participants=plan.participants,
                type=plan.type,
                length=plan.length,
            )
        )
    for plan in planned:
        start = by_name[plan.name].start if plan.name in by_name else plan.start
        for rotation in current:
            if rotation.name in planned_names or group_of(rotation.name, settings) != plan.group:
                continue
            if is_holiday(rotation.name, settings):
                continue
            if rotation.start >= start:
                continue  # a later rotation is not ours to end
            if rotation.end is None or rotation.end > start:
                actions.append(Action("end_rotation", rotation.name, end=start))
    # [R4] A smaller --split than the schedule has: the seats the new round drops end when it begins.
    planned_groups = {p.group for p in planned}
    if planned:
        first = min(by_name[p.name].start if p.name in by_name else p.start for p in planned)
        for rotation in current:
            group = group_of(rotation.name, settings)
            if group is None or group in planned_groups or rotation.name in planned_names:
                continue
            if is_holiday(rotation.name, settings):
                continue
            if rotation.start < first and (rotation.end is None or rotation.end > first):
                actions.append(Action("end_rotation", rotation.name, end=first))
    return RoundDiff(tuple(actions), tuple(existing), tuple(differences))
