"""Rotations stacked as layers of one seat: where several have a shift at once, the later one wins.

This is how a PagerDuty schedule puts one person on call: its layers are rotations, each in effect from its
own start to its end, and a later layer covers the ones before it wherever it has someone (a gap in every
layer is nobody on call). Each layer's shifts are the core's (`timeline.rotation_shifts`: hand-offs at
wall-clock time in the schedule's zone, across DST). Pure: no I/O, no clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from oncall_cli.scheduling.model import Rotation, Shift, zone
from oncall_cli.scheduling.timeline import rotation_shifts


def stacked_shifts(
    layers: Sequence[tuple[Rotation, datetime]], window_start: datetime, window_end: datetime, tz: str
) -> list[Shift]:
    """The shifts that hold the seat in [window_start, window_end): `layers` are (rotation, in effect from)
    in stacking order, the rotation's `start` fixing its hand-off phase and its `end` ending it. A piece of a
    shift that a later layer covers is left out; the rest keeps its rotation name and index."""
    z = zone(tz)
    per_layer: list[list[Shift]] = []
    for rotation, effective in layers:
        shifts = []
        for shift in rotation_shifts(rotation, window_start, window_end, tz):
            start = max(shift.start.astimezone(UTC), effective.astimezone(UTC))
            end = shift.end.astimezone(UTC)
            if start < end:
                shifts.append(replace(shift, start=start, end=end))
        per_layer.append(shifts)
    edges = sorted({t for shifts in per_layer for s in shifts for t in (s.start, s.end)})
    pieces: list[Shift] = []
    for a, b in itertools.pairwise(edges):
        winner = None
        for shifts in reversed(per_layer):
            winner = next((s for s in shifts if s.start <= a and b <= s.end), None)
            if winner is not None:
                break
        if winner is None:
            continue
        last = pieces[-1] if pieces else None
        if (
            last is not None
            and last.end == a
            and (last.rotation, last.index, last.user)
            == (
                winner.rotation,
                winner.index,
                winner.user,
            )
        ):
            pieces[-1] = replace(last, end=b)
        else:
            pieces.append(replace(winner, start=a, end=b))
    return [replace(p, start=p.start.astimezone(z), end=p.end.astimezone(z)) for p in pieces]
