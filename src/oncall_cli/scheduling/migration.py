"""Two schedules that should hold the same on-call (a service and its migrated copy) -> their differences,
and the rotations and overrides to create on the copy so that it does.

`compare` first pairs the rotations by name, then a target rotation of another name with the same start and
participants as a renamed copy, and compares their definitions (participants, order, placeholders); then it
walks each pair's effective shifts, as each service itself computes them (its `timeline()`), and reports a
hand-off that moved or a stretch held by someone else. Overrides are paired by user, start, end and the
rotations they cover. One difference per rotation and kind: the first instance carries the example, the
detail counts the rest.

The shifts are compared as "who is on call": a placeholder's shift and no shift at all are the same
(services differ in whether their timelines list no-one's periods), and consecutive pieces held by one
person are one stretch (services differ in whether they split at overrides and edges). A difference in
who is on call that a rotation's definition, or an override missing on one side, already explains is not
reported a second time. Emails are compared case-insensitively.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from oncall_cli.scheduling.model import Override, Rotation, Shift

DIFFERENCE_KINDS: tuple[str, ...] = (
    "rotation_missing",
    "rotation_renamed",
    "participants_changed",
    "order_changed",
    "placeholder_lost",
    "override_missing",
    "override_extra",
    "handoff_moved",
    "shift_differs",
)
"""Every `Difference.kind`, in the order `compare` reports them for one rotation."""


@dataclass(frozen=True, slots=True)
class Difference:
    """One way the target's on-call differs from the source's.

    `rotation` is the source's rotation name ("" for an override of every rotation); `at` the first instant
    concerned, when there is one; `source` and `target` what each side has there, as text.
    """

    kind: str
    rotation: str
    detail: str
    at: datetime | None = None
    source: str | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """One thing to create on the target: a rotation or an override, exactly as the source has it."""

    kind: str  # "create_rotation" | "update_rotation" | "create_override"
    rotation: Rotation | None = None
    override: Override | None = None

    def describe(self) -> str:
        if self.kind == "update_rotation" and self.rotation is not None:
            r = self.rotation
            until = f"until {r.end.isoformat()}" if r.end is not None else "no end"
            return (
                f"update rotation {r.name} to the source's start {r.start.isoformat()}, {until}, and "
                f"participants: {_people(r.participants)}"
            )
        if self.rotation is not None:
            r = self.rotation
            until = f"until {r.end.isoformat()}" if r.end is not None else "no end"
            return (
                f"create rotation {r.name} ({r.type} x{r.length}, from {r.start.isoformat()}, {until}): "
                f"{_people(r.participants)}"
            )
        assert self.override is not None
        o = self.override
        return (
            f"create override {o.user or 'no-one'} from {o.start.isoformat()} to {o.end.isoformat()} "
            f"on {_covers(o.rotations)}"
        )


# ---- small helpers ------------------------------------------------------------------------------------


def _people(participants: Iterable[str | None]) -> str:
    return ", ".join(p or "none" for p in participants) or "(nobody)"


def _covers(rotations: Sequence[str]) -> str:
    return ", ".join(rotations) if rotations else "every rotation"


def _fold(user: str | None) -> str | None:
    return user.casefold() if user else None


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def _signed(delta: timedelta) -> str:
    """+5:00, -4:00, +7 days 0:00 (a timedelta's own str is unreadable when negative)."""
    sign = "-" if delta < timedelta(0) else "+"
    delta = abs(delta)
    hours, rest = divmod(int(delta.total_seconds()) % 86400, 3600)
    text = f"{hours}:{rest // 60:02d}"
    return f"{sign}{delta.days} days {text}" if delta.days else f"{sign}{text}"


def _instant(at: datetime | None) -> datetime | None:
    return None if at is None else _utc(at)


def _ended(rotation: Rotation, at: datetime) -> bool:
    return rotation.end is not None and _utc(rotation.end) <= _utc(at)


# ---- rotations ----------------------------------------------------------------------------------------


def _pair_rotations(
    source: Sequence[Rotation], target: Sequence[Rotation]
) -> tuple[list[tuple[Rotation, Rotation]], list[Rotation]]:
    """(source, target) pairs by name, then renamed copies (same start and participants); and the target's
    rotations that are no source rotation's copy."""
    by_name = {r.name: r for r in reversed(target)}
    source_names = {r.name for r in source}
    spare = [r for r in target if r.name not in source_names]
    pairs: list[tuple[Rotation, Rotation]] = []
    for rotation in source:
        match = by_name.get(rotation.name)
        if match is None:
            key = (_utc(rotation.start), tuple(_fold(p) for p in rotation.participants))
            match = next(
                (t for t in spare if (_utc(t.start), tuple(_fold(p) for p in t.participants)) == key), None
            )
            if match is not None:
                spare.remove(match)
        if match is not None:
            pairs.append((rotation, match))
    return pairs, spare


def _definition(source: Rotation, target: Rotation) -> list[Difference]:
    """How the target rotation's participants differ from the source's: placeholders, people, order."""
    src = tuple(_fold(p) for p in source.participants)
    tgt = tuple(_fold(p) for p in target.participants)
    if src == tgt:
        return []
    name, have, got = source.name, _people(source.participants), _people(target.participants)
    if Counter(src) == Counter(tgt):
        return [
            Difference(
                "order_changed",
                name,
                f"{name}: the same participants in another order: {have} on the source, {got} on the target",
                source=have,
                target=got,
            )
        ]
    found: list[Difference] = []
    holes_src, holes_tgt = src.count(None), tgt.count(None)
    if holes_src > holes_tgt:
        found.append(
            Difference(
                "placeholder_lost",
                name,
                f"{name}: {holes_src} no-one placeholder(s) on the source, {holes_tgt} on the target, so the "
                "others' turns come at other times",
                source=have,
                target=got,
            )
        )
    people_src = [p for p in src if p is not None]
    people_tgt = [p for p in tgt if p is not None]
    if Counter(people_src) != Counter(people_tgt) or holes_tgt > holes_src:
        gone = sorted((Counter(people_src) - Counter(people_tgt)).elements())
        added = sorted((Counter(people_tgt) - Counter(people_src)).elements())
        parts = [f"missing on the target: {', '.join(gone)}"] if gone else []
        parts += [f"only on the target: {', '.join(added)}"] if added else []
        if holes_tgt > holes_src:
            parts.append(f"{holes_tgt - holes_src} placeholder(s) only on the target")
        found.append(
            Difference(
                "participants_changed",
                name,
                f"{name}: participants differ ("
                f"{'; '.join(parts)}): {have} on the source, {got} on the target",
                source=have,
                target=got,
            )
        )
    elif people_src != people_tgt:
        found.append(
            Difference(
                "order_changed",
                name,
                f"{name}: the same people in another order: {have} on the source, {got} on the target",
                source=have,
                target=got,
            )
        )
    return found


# ---- overrides ----------------------------------------------------------------------------------------


def _same_cover(a: Sequence[str], a_all: frozenset[str], b: Sequence[str], b_all: frozenset[str]) -> bool:
    """Whether two overrides cover the same rotations; `()` means every rotation of its own schedule."""
    if not a and not b:
        return True
    return (frozenset(a) or a_all) == (frozenset(b) or b_all)


def _same_override(a: Override, a_all: frozenset[str], b: Override, b_all: frozenset[str]) -> bool:
    """Same user, start, end and rotations."""
    return (
        _fold(a.user) == _fold(b.user)
        and _utc(a.start) == _utc(b.start)
        and _utc(a.end) == _utc(b.end)
        and _same_cover(a.rotations, a_all, b.rotations, b_all)
    )


def _unmatched(
    mine: Sequence[Override], mine_all: frozenset[str], theirs: Sequence[Override], theirs_all: frozenset[str]
) -> list[Override]:
    """`mine` that have no equal among `theirs` (each of theirs pairs with one of mine at most)."""
    left = list(theirs)
    out: list[Override] = []
    for override in mine:
        match = next((o for o in left if _same_override(override, mine_all, o, theirs_all)), None)
        if match is None:
            out.append(override)
        else:
            left.remove(match)
    return out


def _override_difference(kind: str, override: Override) -> Difference:
    side, other = ("source", "target") if kind == "override_missing" else ("target", "source")
    text = (
        f"{override.user or 'no-one'} from {override.start.isoformat()} to {override.end.isoformat()} "
        f"on {_covers(override.rotations)}"
    )
    return Difference(
        kind,
        ", ".join(override.rotations),
        f"an override on the {side} only (not on the {other}): {text}",
        at=override.start,
        source=text if side == "source" else None,
        target=text if side == "target" else None,
    )


def _meets(override: Override, start: datetime, end: datetime) -> bool:
    return _utc(override.end) > _utc(start) and _utc(override.start) < _utc(end)


# ---- shifts -------------------------------------------------------------------------------------------

Segment = tuple[datetime, datetime, str]
"""(start, end, folded email) in UTC: one person on call without a break."""


def _segments(shifts: Iterable[Shift], rotation: str, start: datetime, end: datetime) -> list[Segment]:
    """Who holds `rotation` inside [start, end): people only, consecutive pieces of one person merged."""
    ws, we = _utc(start), _utc(end)
    pieces = sorted(
        (max(_utc(s.start), ws), min(_utc(s.end), we), user)
        for s in shifts
        if s.rotation == rotation and (user := _fold(s.user)) is not None
    )
    out: list[Segment] = []
    for lo, hi, user in pieces:
        if lo >= hi:
            continue
        if out and out[-1][2] == user and out[-1][1] >= lo:
            out[-1] = (out[-1][0], max(out[-1][1], hi), user)
        else:
            out.append((lo, hi, user))
    return out


def _holder(segments: Sequence[Segment], lo: datetime) -> str | None:
    return next((user for s, e, user in segments if s <= lo < e), None)


def _aligned(src: list[Segment], tgt: list[Segment]) -> tuple[list[Segment], list[Segment]] | None:
    """The two sequences with at most one stretch dropped at each end of either, so that the same people
    hold them in the same order (a hand-off moved past a window edge drops one); None when none does."""
    for a, b, c, d in itertools.product((0, 1), repeat=4):
        s, t = src[a : len(src) - c], tgt[b : len(tgt) - d]
        if s and [u for *_, u in s] == [u for *_, u in t]:
            return s, t
    return None


def _moved(
    src: list[Segment], tgt: list[Segment], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The hand-offs (source instant, target instant) of aligned stretches that differ, window edges aside."""
    ws, we = _utc(start), _utc(end)
    moved: list[tuple[datetime, datetime]] = []
    for (s_lo, s_hi, _), (t_lo, t_hi, _) in zip(src, tgt, strict=True):
        if s_lo != t_lo and ws not in (s_lo, t_lo):
            moved.append((s_lo, t_lo))
        if s_hi != t_hi and we not in (s_hi, t_hi):
            moved.append((s_hi, t_hi))
    return sorted(set(moved))


def _shift_differences(
    name: str,
    src: list[Segment],
    tgt: list[Segment],
    start: datetime,
    end: datetime,
    explained: Sequence[tuple[datetime, datetime]],
) -> list[Difference]:
    """handoff_moved when the same people hand over at other instants, else shift_differs at the first
    stretch held by someone else that no override difference explains (`explained`, UTC spans)."""
    if src == tgt:
        return []
    zone = start.tzinfo
    aligned = _aligned(src, tgt)
    moved = _moved(*aligned, start, end) if aligned is not None else []
    if moved:
        at, there = (x.astimezone(zone) for x in moved[0])
        return [
            Difference(
                "handoff_moved",
                name,
                f"{name}: hand-offs at other times: {at.isoformat()} on the source, "
                f"{there.isoformat()} on the target ({_signed(there - at)}); "
                f"{len(moved)} hand-off(s) moved in the window",
                at=at,
                source=at.isoformat(),
                target=there.isoformat(),
            )
        ]
    edges = sorted({_utc(start), _utc(end), *(x for s in (*src, *tgt) for x in s[:2])})
    spans = [
        (lo, hi, a, b)
        for lo, hi in itertools.pairwise(edges)
        if (a := _holder(src, lo)) != (b := _holder(tgt, lo))
        and not any(o_lo <= lo and hi <= o_hi for o_lo, o_hi in explained)
    ]
    if not spans:
        return []
    lo, hi, a, b = spans[0]
    first, last = lo.astimezone(zone), hi.astimezone(zone)
    return [
        Difference(
            "shift_differs",
            name,
            f"{name}: from {first.isoformat()} to {last.isoformat()} {a or 'no-one'} is on call on the "
            f"source, {b or 'no-one'} on the target; {len(spans)} stretch(es) differ in the window",
            at=first,
            source=a or "no-one",
            target=b or "no-one",
        )
    ]


# ---- the two entry points -----------------------------------------------------------------------------


def compare(
    source_rotations: Sequence[Rotation],
    source_overrides: Sequence[Override],
    source_shifts: Sequence[Shift],
    target_rotations: Sequence[Rotation],
    target_overrides: Sequence[Override],
    target_shifts: Sequence[Shift],
    start: datetime,
    end: datetime,
) -> list[Difference]:
    """Every way the target's on-call differs from the source's in [start, end): source rotation by source
    rotation (rotations that ended before `start` aside), then the target's own rotations, then overrides.
    Empty when they are the same. Times in the details are given in `start`'s zone."""
    live = [r for r in source_rotations if not _ended(r, start)]
    pairs, spare = _pair_rotations(live, target_rotations)
    copies = {s.name: t for s, t in pairs}
    canonical = {t.name: s.name for s, t in pairs}  # target name -> source name
    src_all = frozenset(r.name for r in source_rotations)
    tgt_all = frozenset(canonical.get(r.name, r.name) for r in target_rotations)
    src_over = [o for o in source_overrides if _meets(o, start, end)]
    tgt_over = [
        replace(o, rotations=tuple(canonical.get(n, n) for n in o.rotations))
        for o in target_overrides
        if _meets(o, start, end)
    ]
    lost = _unmatched(src_over, src_all, tgt_over, tgt_all)
    extra = _unmatched(tgt_over, tgt_all, src_over, src_all)
    found: list[Difference] = []
    for rotation in live:
        copy = copies.get(rotation.name)
        if copy is None:
            found.append(
                Difference(
                    "rotation_missing",
                    rotation.name,
                    f"{rotation.name}: no rotation of this name (nor a renamed copy: same start and "
                    f"participants) on the target",
                    source=_people(rotation.participants),
                )
            )
            continue
        if copy.name != rotation.name:
            found.append(
                Difference(
                    "rotation_renamed",
                    rotation.name,
                    f"{rotation.name} is called {copy.name} on the target",
                    source=rotation.name,
                    target=copy.name,
                )
            )
        definition = _definition(rotation, copy)
        found.extend(definition)
        if definition:
            continue  # its shifts differ because of it: one report, not two
        explained = [
            (_utc(o.start), _utc(o.end))
            for o in (*lost, *extra)
            if not o.rotations or rotation.name in o.rotations
        ]
        found.extend(
            _shift_differences(
                rotation.name,
                _segments(source_shifts, rotation.name, start, end),
                _segments(target_shifts, copy.name, start, end),
                start,
                end,
                explained,
            )
        )
    for rotation in spare:
        segments = _segments(target_shifts, rotation.name, start, end)
        if segments:
            lo, _, user = segments[0]
            at = lo.astimezone(start.tzinfo)
            found.append(
                Difference(
                    "shift_differs",
                    rotation.name,
                    f"{rotation.name}: a rotation only on the target, with {len(segments)} stretch(es) on "
                    f"call in the window (from {at.isoformat()}: {user})",
                    at=at,
                    source="no-one",
                    target=user,
                )
            )
    found += [_override_difference("override_missing", o) for o in lost]
    found += [_override_difference("override_extra", o) for o in extra]
    return found


def copy_plan(
    source_rotations: Sequence[Rotation],
    source_overrides: Sequence[Override],
    target_rotations: Sequence[Rotation],
    target_overrides: Sequence[Override],
    now: datetime,
) -> list[Action]:
    """What to change on the target so it holds the source's schedule from `now` on: each source rotation
    that has not ended and has no rotation of its name on the target is created (same start, type, length,
    participants and end); a rotation of the same name whose start, end or participants differ (the source
    was changed after the copy: a round ended, someone left) is updated to the source's, unless both ended
    before `now`; then each override that has not ended and is not on the target yet is created (same user,
    start, end and rotations). Nothing is deleted: a second run, after the first was applied, plans nothing.

    A renamed copy on the target is left alone (and `compare` keeps reporting it): delete it to replace it.
    Neither is a different type or length, which an update cannot change.
    """
    by_name = {r.name: r for r in target_rotations}
    actions = [
        Action("create_rotation", rotation=r)
        for r in source_rotations
        if r.name not in by_name and not _ended(r, now)
    ]
    for r in source_rotations:
        t = by_name.get(r.name)
        if t is None or (_ended(r, now) and _ended(t, now)) or (r.end is None and t.end is not None):
            continue  # new (above), history, or an end the port cannot clear
        moved = _utc(r.start) != _utc(t.start) or _instant(r.end) != _instant(t.end)
        people = [_fold(p) for p in r.participants] != [_fold(p) for p in t.participants]
        if moved or people:
            actions.append(Action("update_rotation", rotation=r))
    have = set(by_name)
    src_all = frozenset(r.name for r in source_rotations)
    tgt_all = frozenset(have) | {a.rotation.name for a in actions if a.rotation is not None}
    future = [o for o in source_overrides if _utc(o.end) > _utc(now)]
    for override in _unmatched(future, src_all, target_overrides, tgt_all):
        actions.append(
            Action(
                "create_override",
                override=Override(override.user, override.start, override.end, override.rotations),
            )
        )
    return actions
