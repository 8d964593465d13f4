"""Rotations + overrides -> who is on call when, computed the way Opsgenie computes it.

Shift k of a rotation starts at `start + k * length` units. Weekly and daily rotations count in wall-clock
time of the schedule's zone, so an 11:00 handoff stays at 11:00 local across DST; hourly rotations count
absolute hours. Participant k mod n holds shift k; a `none` participant yields a shift whose user is None.
Shifts are clipped to [rotation.start, rotation.end) and to the window.

All arithmetic is done in UTC: Python compares and subtracts two datetimes sharing one ZoneInfo by their
wall-clock fields, which is wrong inside a DST fold. Results are converted to the schedule zone at the end.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo

from oncall_cli.errors import UsageError
from oncall_cli.scheduling.model import ROTATION_TYPES, Override, Rotation, Shift, require_aware, zone

_TICK = timedelta(microseconds=1)


def _unit(rotation: Rotation) -> timedelta:
    """One shift's nominal length; exact for hourly, wall-clock for daily and weekly."""
    if rotation.type not in ROTATION_TYPES:
        raise UsageError(f"rotation {rotation.name!r}: unknown type {rotation.type!r}, expected one of "
                         f"{', '.join(ROTATION_TYPES)}")
    if rotation.length < 1:
        raise UsageError(f"rotation {rotation.name!r}: length must be at least 1, got {rotation.length}")
    per = {"weekly": timedelta(weeks=1), "daily": timedelta(days=1), "hourly": timedelta(hours=1)}
    return per[rotation.type] * rotation.length


def shift_start(rotation: Rotation, k: int, tz: str) -> datetime:
    """Start of shift k (UTC) before clipping: wall-clock steps for daily/weekly, absolute for hourly."""
    unit = _unit(rotation)
    start = require_aware(rotation.start, f"rotation {rotation.name!r} start")
    if rotation.type == "hourly":
        return start.astimezone(UTC) + unit * k
    z = zone(tz)
    local = start.astimezone(z).replace(tzinfo=None) + unit * k
    # fold=0: an ambiguous wall time means its first occurrence; a time in a spring-forward gap resolves
    # with the pre-transition offset (lands an hour later on the wall), as zoneinfo does.
    return local.replace(tzinfo=z, fold=0).astimezone(UTC)


def _first_index(rotation: Rotation, at_utc: datetime) -> int:
    """A shift index at or before the one containing `at_utc` (jumped to by arithmetic, not iteration)."""
    start = rotation.start.astimezone(UTC)
    if at_utc <= start:
        return 0
    unit = _unit(rotation)
    k = math.floor((at_utc - start) / unit)
    # Wall-clock steps drift from absolute ones by at most a few hours of DST offset: one step of slack.
    return max(0, k - 1)


def _raw_shifts(rotation: Rotation, ws: datetime, we: datetime, tz: str) -> list[Shift]:
    """Unclipped-by-window shifts (UTC) of one rotation that intersect [ws, we)."""
    n = len(rotation.participants)
    if n == 0 or ws >= we:
        return []
    rot_start = require_aware(rotation.start, f"rotation {rotation.name!r} start").astimezone(UTC)
    rot_end = (require_aware(rotation.end, f"rotation {rotation.name!r} end").astimezone(UTC)
               if rotation.end is not None else None)
    out: list[Shift] = []
    k = _first_index(rotation, ws)
    begin = shift_start(rotation, k, tz)
    while begin < we and (rot_end is None or begin < rot_end):
        finish = shift_start(rotation, k + 1, tz)
        s, e = max(begin, rot_start), finish if rot_end is None else min(finish, rot_end)
        if e > ws and s < e:
            out.append(Shift(rotation.name, rotation.participants[k % n], s, e, index=k))
        k += 1
        begin = finish
    return out


def _applies(override: Override, rotation: str) -> bool:
    return not override.rotations or rotation in override.rotations


def _apply_overrides(shifts: list[Shift], overrides: Sequence[Override]) -> list[Shift]:
    """Split shifts at override edges; where overrides overlap each other the later one in the list wins."""
    if not overrides:
        return shifts
    out: list[Shift] = []
    for shift in shifts:
        hits = [(o.start.astimezone(UTC), o.end.astimezone(UTC), o) for o in overrides
                if _applies(o, shift.rotation)]
        hits = [(max(s, shift.start), min(e, shift.end), o) for s, e, o in hits
                if s < shift.end and e > shift.start]
        if not hits:
            out.append(shift)
            continue
        edges = sorted({shift.start, shift.end, *(s for s, _, _ in hits), *(e for _, e, _ in hits)})
        pieces: list[Shift] = []
        for lo, hi in itertools.pairwise(edges):
            winner: Override | None = None
            for s, e, o in hits:
                if s <= lo and hi <= e:
                    winner = o
            user, is_override = (winner.user, True) if winner is not None else (shift.user, shift.override)
            if pieces and pieces[-1].user == user and pieces[-1].override == is_override:
                pieces[-1] = replace(pieces[-1], end=hi)
            else:
                pieces.append(replace(shift, user=user, start=lo, end=hi, override=is_override))
        out.extend(pieces)
    return out


def _localise(shift: Shift, z: tzinfo) -> Shift:
    return replace(shift, start=shift.start.astimezone(z), end=shift.end.astimezone(z))


def _window(ws: datetime, we: datetime) -> tuple[datetime, datetime]:
    start = require_aware(ws, "window start").astimezone(UTC)
    return start, require_aware(we, "window end").astimezone(UTC)


def rotation_shifts(rotation: Rotation, window_start: datetime, window_end: datetime, tz: str) -> list[Shift]:
    """The shifts of one rotation inside [window_start, window_end), placeholders included, no overrides."""
    ws, we = _window(window_start, window_end)
    z = zone(tz)
    return [_localise(replace(s, start=max(s.start, ws), end=min(s.end, we)), z)
            for s in _raw_shifts(rotation, ws, we, tz)]


def _layers(rotations: Sequence[Rotation], overrides: Sequence[Override], ws: datetime, we: datetime,
            tz: str) -> list[Shift]:
    """Every rotation's shifts with overrides applied, unclipped by the window, in UTC."""
    out: list[Shift] = []
    for rotation in rotations:
        out.extend(_apply_overrides(_raw_shifts(rotation, ws, we, tz), overrides))
    return out


def timeline(rotations: Sequence[Rotation], overrides: Sequence[Override], window_start: datetime,
             window_end: datetime, tz: str) -> list[Shift]:
    """Who holds each rotation in the window, overrides applied, sorted by (start, rotation).

    Rotations are independent layers. An override only replaces existing shifts: it does not create
    coverage where a rotation has none (before its start or after its end).
    """
    ws, we = _window(window_start, window_end)
    z = zone(tz)
    clipped = [replace(s, start=max(s.start, ws), end=min(s.end, we)) for s in _layers(rotations, overrides,
                                                                                          ws, we, tz)]
    clipped = [s for s in clipped if s.start < s.end]
    clipped.sort(key=lambda s: (s.start, s.rotation))
    return [_localise(s, z) for s in clipped]


def on_call_at(rotations: Sequence[Rotation], overrides: Sequence[Override], at: datetime,
               tz: str) -> list[Shift]:
    """The shift of each rotation covering `at` (whole shift, not clipped), in the order of `rotations`.

    Placeholder shifts (user None) are included so callers can report "nobody".
    """
    ws = require_aware(at, "time").astimezone(UTC)
    z = zone(tz)
    hits = [s for s in _layers(rotations, overrides, ws, ws + _TICK, tz) if s.start <= ws < s.end]
    order = {r.name: i for i, r in enumerate(rotations)}
    hits.sort(key=lambda s: order.get(s.rotation, len(order)))
    return [_localise(s, z) for s in hits]


def next_shift_of(user: str, rotations: Sequence[Rotation], overrides: Sequence[Override], after: datetime,
                  tz: str, horizon_weeks: int = 104) -> Shift | None:
    """The first shift (overrides applied) held by `user` that starts at or after `after`, within the horizon.

    A shift already under way at `after` does not count: this answers "when am I on next?".
    """
    ws = require_aware(after, "time").astimezone(UTC)
    we = ws + timedelta(weeks=horizon_weeks)
    mine = [s for s in _layers(rotations, overrides, ws, we, tz) if s.user == user and ws <= s.start < we]
    if not mine:
        return None
    return _localise(min(mine, key=lambda s: (s.start, s.rotation)), zone(tz))
