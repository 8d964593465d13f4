"""Lint a live schedule against the playbook (`oncall schedule check`): rotations + overrides -> Violations.

Everything is judged on the timeline Opsgenie would show (overrides applied) between `now` and
`now + horizon`; rotations are grouped into seats by name (`rules.group_of`: rot-a*, Holiday-a -> A).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from oncall_cli.scheduling import rules
from oncall_cli.scheduling.model import Engineer, Override, Rotation, RoundSettings, Shift, Violation, zone
from oncall_cli.scheduling.timeline import timeline

DEFAULT_HORIZON = timedelta(weeks=12)

CHECKED_RULES: tuple[tuple[str, str], ...] = (
    ("R1", "two seats, weekly shifts, 11:00 Eastern"),
    ("R3", "the A/B split"),
    ("R6", "new hires wait 60 days"),
    ("R7", "new engineers"),
    ("R9", "PTO"),
    ("R10", "uncovered placeholder"),
    ("R11", "a gap between rounds"),
    ("R12", "time since the last shift"),
    ("R13", "one team in two seats"),
)
"""The rules `check_schedule` judges, with their titles in docs/scheduling.md (one CI test case each)."""


def check_schedule(
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    engineers: Sequence[Engineer] | None,
    settings: RoundSettings,
    now: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
    groups: Sequence[str] | None = None,
) -> list[Violation]:
    """Every rule the schedule breaks in the window, sorted by time then rule id.

    Without `engineers`, the rules that need people's records (R3 Eastern coverage, R6, R7, R9, R13) are
    skipped. `groups` are the seats that must always be held; default: A, B and any other group present.
    """
    end = now + horizon
    tz = settings.timezone
    shifts = timeline(rotations, overrides, now, end, tz)
    grouped = [(rules.group_of(s.rotation, settings), s) for s in shifts]
    present = {g for g in (rules.group_of(r.name, settings) for r in rotations) if g is not None}
    seats = sorted(set(groups) if groups is not None else present | {"A", "B"})
    people = {e.email: e for e in engineers} if engineers is not None else None

    out: list[Violation] = []
    for seat in seats:
        out.extend(_coverage(seat, [s for g, s in grouped if g == seat], now, end))
    out.extend(_two_seats(grouped))
    out.extend(_placeholders(shifts))
    out.extend(_balance(rotations, settings, now, end, people))
    out.extend(_round_gaps(rotations, overrides, settings, now, end))
    if people is not None:
        out.extend(_new_hires(shifts, people, settings))
        out.extend(_new_pairs(grouped, people, settings, rotations))
        out.extend(_pto(shifts, people))
        if settings.avoid_same_team:
            out.extend(_team_pairs(grouped, people))
    out.sort(key=lambda v: (v.start or now, v.rule, v.message))
    return out


def _fmt(at: datetime) -> str:
    return at.isoformat(timespec="minutes")


def _utc(at: datetime) -> datetime:
    # Datetimes sharing one ZoneInfo compare by wall clock; compare instants.
    return at.astimezone(UTC)


def _coverage(seat: str, shifts: Sequence[Shift], start: datetime, end: datetime) -> list[Violation]:
    """[R1] Each seat held by exactly one shift at every moment: report gaps and double cover.

    Double cover counts shifts, not people: a `none` placeholder running next to a real shift (a regular
    rotation not ended for the holidays), or one person holding the seat twice (Holiday-b and rot-b), is
    an overlap too. The placeholder itself is also reported as R10.
    """
    edges = sorted({start, end, *(s.start for s in shifts), *(s.end for s in shifts)}, key=_utc)
    runs: list[tuple[str, tuple[tuple[str, str | None], ...], datetime, datetime]] = []
    for lo, hi in itertools.pairwise(edges):
        active = [s for s in shifts if _utc(s.start) <= _utc(lo) and _utc(hi) <= _utc(s.end)]
        # One rotation has one shift at a time (an override only splits it), so a shift is a rotation here.
        holders = tuple(sorted({(s.rotation, s.user) for s in active}, key=lambda h: (h[0], h[1] or "")))
        kind = "gap" if not active else ("overlap" if len({r for r, _ in holders}) > 1 else "")
        if not kind:
            continue
        if runs and runs[-1][0] == kind and runs[-1][1] == holders and runs[-1][3] == lo:
            runs[-1] = (kind, holders, runs[-1][2], hi)
        else:
            runs.append((kind, holders, lo, hi))
    out = []
    for kind, holders, lo, hi in runs:
        users = tuple(sorted({u for _, u in holders if u is not None}))
        if kind == "gap":
            message = f"no {seat} rotation covers {_fmt(lo)} to {_fmt(hi)}"
        else:
            held = ", ".join(f"{rotation}: {user or 'no-one'}" for rotation, user in holders)
            message = f"{len(holders)} {seat} shifts run at once ({held}) from {_fmt(lo)} to {_fmt(hi)}"
        out.append(Violation("R1", message, users, lo, hi))
    return out


def _two_seats(grouped: Sequence[tuple[str | None, Shift]]) -> list[Violation]:
    """[R1] "Two engineers are on call at a time: one from rotation A, one from rotation B": one person
    holding two seats at once (an override putting rot-a's engineer on rot-b too) leaves one engineer
    where the playbook wants two. Each seat may look covered, so `_coverage` cannot see it."""
    by_user: dict[str, list[tuple[str, Shift]]] = {}
    for g, s in grouped:
        if g is not None and s.user is not None:
            by_user.setdefault(s.user, []).append((g, s))
    out = []
    for user in sorted(by_user):
        held = sorted(by_user[user], key=lambda x: _utc(x[1].start))
        runs: list[tuple[datetime, datetime, tuple[str, ...]]] = []
        for i, (g, s) in enumerate(held):
            for h, t in held[i + 1 :]:
                if _utc(t.start) >= _utc(s.end):
                    break
                if g == h:
                    continue
                lo, hi = max(s.start, t.start, key=_utc), min(s.end, t.end, key=_utc)
                names = tuple(sorted({s.rotation, t.rotation}))
                if runs and runs[-1][2] == names and _utc(runs[-1][1]) >= _utc(lo):
                    runs[-1] = (runs[-1][0], max(runs[-1][1], hi, key=_utc), names)
                else:
                    runs.append((lo, hi, names))
        for lo, hi, names in runs:
            out.append(
                Violation(
                    "R1",
                    f"{user} holds two seats at once ({' and '.join(names)}) from {_fmt(lo)} to "
                    f"{_fmt(hi)}: one engineer on call where the playbook wants two",
                    (user,),
                    lo,
                    hi,
                )
            )
    return out


def _round_gaps(
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    settings: RoundSettings,
    start: datetime,
    end: datetime,
) -> list[Violation]:
    """[R11] Nobody starts a new round (a rotation taking over its seat when another ends, as
    `schedule new --apply` leaves `rot-a` and `rot-a-next`) within `min_gap_weeks` of their last shift of the
    old round, and never right after it. Holiday rotations and holiday bridges are not rounds.

    [R12] Nor less than half the new rotation's round after their last shift (reported only when R11 is
    not, for the same person)."""
    main = [
        (g, r)
        for r in rotations
        if (g := rules.group_of(r.name, settings)) is not None
        and not rules.is_holiday(r.name, settings)
        and not r.name.lower().endswith("-bridge")
        and r.participants
    ]

    def follows(old: tuple[str, Rotation], new: tuple[str, Rotation]) -> bool:
        return old[0] == new[0] and old[1].end is not None and _utc(old[1].end) == _utc(new[1].start)

    new_round = [n for n in main if any(follows(o, n) for o in main if o is not n)]
    old_round = [o for o in main if any(follows(o, n) for n in new_round if o is not n)]
    if not new_round:
        return []
    tz = settings.timezone
    first_day = min((r.start for _, r in new_round), key=_utc)
    longest = max((len(r.participants) for _, r in old_round), default=0)
    back = timedelta(weeks=max(settings.min_gap_weeks, longest) + 2)
    last: dict[str, datetime] = {}
    for s in timeline(
        [r for _, r in old_round], overrides, first_day - back, first_day + timedelta(weeks=1), tz
    ):
        if s.user is not None and (s.user not in last or _utc(s.end) > _utc(last[s.user])):
            last[s.user] = s.end
    firsts: dict[str, Shift] = {}
    round_of: dict[str, int] = {r.name: len(r.participants) for _, r in new_round}
    for _, r in new_round:
        round_end = r.start + timedelta(weeks=len(r.participants) + 1)
        for s in timeline([r], overrides, r.start, round_end, tz):
            if s.user is not None and (s.user not in firsts or _utc(s.start) < _utc(firsts[s.user].start)):
                firsts[s.user] = s
    out = []
    for user in sorted(firsts):
        s = firsts[user]
        ended = last.get(user)
        if ended is None or not (_utc(start) <= _utc(s.start) < _utc(end)):
            continue
        if not rules.keeps_round_gap(ended, s.start, settings):
            text = rules.describe_round_gap(user, s.rotation, ended, s.start, settings)
            out.append(Violation("R11", text, (user,), s.start, s.end))
        elif not rules.keeps_recency(ended, s.start, round_of[s.rotation]):
            text = rules.describe_recency(user, s.rotation, ended, s.start, round_of[s.rotation])
            out.append(Violation("R12", text, (user,), s.start, s.end))
    return out


def _placeholders(shifts: Sequence[Shift]) -> list[Violation]:
    """[R10] A `none` participant (or an override to nobody) leaves its rotation uncovered."""
    return [
        Violation(
            "R10",
            f"{s.rotation}: nobody is on call (a `none` placeholder) from {_fmt(s.start)} to {_fmt(s.end)}",
            (),
            s.start,
            s.end,
        )
        for s in shifts
        if s.user is None
    ]


def _rounds(main: Sequence[tuple[str, Rotation]]) -> list[int | None]:
    """Which round each rotation belongs to, counted back from the last: the number of successors that
    follow it in its seat (a successor starts in the same seat at the moment the rotation ends, as
    `schedule new --apply` leaves `rot-a` and `rot-a-next`). None for a rotation in no such chain (no
    predecessor, no successor): it is compared with every round it runs alongside."""
    starts: dict[tuple[str, datetime], int] = {}
    for i, (g, r) in enumerate(main):
        starts.setdefault((g, _utc(r.start)), i)
    successor = [starts.get((g, _utc(r.end))) if r.end is not None else None for g, r in main]
    has_predecessor = {j for j in successor if j is not None}
    out: list[int | None] = []
    for i in range(len(main)):
        count, j, seen = 0, successor[i], {i}
        while j is not None and j not in seen:  # a cycle needs zero-length rotations; stop anyway
            seen.add(j)
            count, j = count + 1, successor[j]
        out.append(None if count == 0 and i not in has_predecessor else count)
    return out


def _balance(
    rotations: Sequence[Rotation],
    settings: RoundSettings,
    start: datetime,
    end: datetime,
    people: dict[str, Engineer] | None,
) -> list[Violation]:
    """[R3] Rotations of one round on call together differ in size by at most one; A keeps the Eastern
    engineers.

    Only rotations of the same round are compared: during a changeover the seat that hands over first
    already runs the new round (`rot-a-next`) while the other still runs the old one (`rot-b`, ended at
    `rot-b-next`'s start), and their sizes need not match (see `_rounds`).
    """
    main = [
        (g, r)
        for r in rotations
        if (g := rules.group_of(r.name, settings)) is not None and not rules.is_holiday(r.name, settings)
    ]
    round_of = _rounds(main)
    moments = sorted(
        {
            start,
            *(r.start for _, r in main if start <= r.start < end),
            *(r.end for _, r in main if r.end is not None and start <= r.end < end),
        },
        key=_utc,
    )
    out: list[Violation] = []
    seen: set[tuple[str, ...]] = set()
    for at in moments:
        rounds: dict[int, list[tuple[str, Rotation]]] = {}
        unchained: list[tuple[str, Rotation]] = []
        for i, (g, r) in enumerate(main):
            if _utc(r.start) <= _utc(at) and (r.end is None or _utc(at) < _utc(r.end)):
                k = round_of[i]
                (unchained if k is None else rounds.setdefault(k, [])).append((g, r))
        for active in [[*chained, *unchained] for chained in rounds.values()] or [unchained]:
            key = tuple(sorted(r.name for _, r in active))
            if len(active) < 2 or key in seen:
                continue
            seen.add(key)
            sizes = {r.name: len({p for p in r.participants if p is not None}) for _, r in active}
            if max(sizes.values()) - min(sizes.values()) > 1:
                listing = ", ".join(f"{name} has {n}" for name, n in sorted(sizes.items()))
                out.append(
                    Violation(
                        "R3",
                        f"rotations differ in size by more than one: {listing}",
                        tuple(sorted(sizes)),
                        at,
                        None,
                    )
                )
            if people is not None:
                out.extend(_eastern(active, people, at))
    return out


def _eastern(
    active: Sequence[tuple[str, Rotation]], people: dict[str, Engineer], at: datetime
) -> list[Violation]:
    """[R3] Eastern coverage of A, judged by `rules.eastern_misplaced` (the one test)."""
    def held(a_seat: bool) -> list[Engineer]:
        return [people[p] for g, r in active if (g == "A") == a_seat for p in r.participants if p in people]

    outside, elsewhere = rules.eastern_misplaced(held(True), held(False))
    if not outside:
        return []
    subjects = tuple(sorted(outside + elsewhere))
    return [Violation("R3", rules.describe_eastern(outside, elsewhere), subjects, at, None)]


def _new_hires(
    shifts: Sequence[Shift], people: dict[str, Engineer], settings: RoundSettings
) -> list[Violation]:
    """[R6] No shift may start within the first 60 days after the engineer's start date."""
    out = []
    for s in shifts:
        e = people.get(s.user or "")
        if e is not None and not rules.may_take(e, s.start, settings):
            days = (s.start.astimezone(zone(settings.timezone)).date() - e.start_date).days
            out.append(
                Violation(
                    "R6",
                    f"{e.email} is on call in {s.rotation} from {_fmt(s.start)}, "
                    f"{days} days after starting on {e.start_date.isoformat()} "
                    f"(must be more than {settings.new_hire_days})",
                    (e.email,),
                    s.start,
                    s.end,
                )
            )
    return out


def _new_pairs(
    grouped: Sequence[tuple[str | None, Shift]],
    people: dict[str, Engineer],
    settings: RoundSettings,
    rotations: Sequence[Rotation] = (),
) -> list[Violation]:
    """[R7] Two engineers who are both new (at the time they overlap) on call together in different seats.

    New is `rules.is_new`, as `schedule new` and `add-engineer` judge it, at the moment the two overlap:
    the date clause at that date, and "not in the current round" from `rules.current_participants` at that
    moment (the round before the one then running), so someone who has served a whole round of a
    rotation that repeats is not new in its next cycle, and nobody disagrees about a pair.
    """
    newness = rules.Newness(rotations, settings)

    def new_at(email: str, at: datetime) -> bool:
        return newness(people[email], at)

    candidates = [(g, s) for g, s in grouped if g is not None and s.user in people]
    candidates.sort(key=lambda x: _utc(x[1].start))
    out = []
    for i, (g, s) in enumerate(candidates):
        for h, t in candidates[i + 1 :]:
            if _utc(t.start) >= _utc(s.end):
                break
            if g == h or s.user == t.user:
                continue
            lo, hi = max(s.start, t.start, key=_utc), min(s.end, t.end, key=_utc)
            first, second = sorted([(g, s), (h, t)], key=lambda x: x[0])
            if not (new_at(first[1].user or "", lo) and new_at(second[1].user or "", lo)):
                continue
            out.append(
                Violation(
                    "R7",
                    f"new engineers {first[1].user} ({first[1].rotation}) and "
                    f"{second[1].user} ({second[1].rotation}) are on call together from "
                    f"{_fmt(lo)} to {_fmt(hi)}",
                    (first[1].user or "", second[1].user or ""),
                    lo,
                    hi,
                )
            )
    return out


def _team_pairs(grouped: Sequence[tuple[str | None, Shift]], people: dict[str, Engineer]) -> list[Violation]:
    """[R13] Two engineers of one product team on call together in different seats (setting
    `pair_same_team = avoid`; the checker cannot tell whether another order would have avoided it)."""
    held = sorted(((g, s) for g, s in grouped if g is not None and rules.team_key(people.get(s.user or ""))),
                  key=lambda x: _utc(x[1].start))
    out = []
    for i, (g, s) in enumerate(held):
        for h, t in held[i + 1 :]:
            if _utc(t.start) >= _utc(s.end):
                break
            if g == h or not rules.same_team(people[s.user or ""], people[t.user or ""]):
                continue
            lo, hi = max(s.start, t.start, key=_utc), min(s.end, t.end, key=_utc)
            first, second = sorted([(g, s), (h, t)], key=lambda x: x[0])
            out.append(
                Violation(
                    "R13",
                    f"{first[1].user} ({first[1].rotation}) and {second[1].user} ({second[1].rotation}) of "
                    f"team {people[s.user or ''].team} are on call together from {_fmt(lo)} to {_fmt(hi)}",
                    (first[1].user or "", second[1].user or ""),
                    lo,
                    hi,
                )
            )
    return out


def _pto(shifts: Sequence[Shift], people: dict[str, Engineer]) -> list[Violation]:
    """[R9] Nobody on call during their own listed unavailability."""
    out = []
    for s in shifts:
        e = people.get(s.user or "")
        if e is not None and (away := rules.unavailable_during(e, s.start, s.end)):
            out.append(
                Violation(
                    "R9",
                    f"{e.email} is on call in {s.rotation} from {_fmt(s.start)} to "
                    f"{_fmt(s.end)} during their unavailability {away[0].isoformat()} to "
                    f"{away[1].isoformat()}",
                    (e.email,),
                    s.start,
                    s.end,
                )
            )
    return out


HARD_RULES: frozenset[str] = frozenset({"R1", "R3", "R6"})
"""The rules a reshaping command never breaks (the gate refuses a plan that introduces one: exit 9): two
seats held by one engineer each [R1], the split's balance and Eastern coverage [R3], the 60 days [R6]. The
others are best effort in the playbook ("whenever some order avoids it", "best effort ... reported"): a
plan that introduces one is applied with a warning naming the finding `schedule check` will report."""


def introduced_violations(
    before: tuple[Sequence[Rotation], Sequence[Override]],
    after: tuple[Sequence[Rotation], Sequence[Override]],
    engineers: Sequence[Engineer] | None,
    settings: RoundSettings,
    now: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
    groups: Sequence[str] | None = None,
) -> list[Violation]:
    """Every finding `check_schedule` makes on the schedule after a change that it does not make before:
    what the change introduces. A finding whose words change (a longer list of names, another size) is a
    new one."""

    def found(state: tuple[Sequence[Rotation], Sequence[Override]]) -> list[Violation]:
        return check_schedule(state[0], state[1], engineers, settings, now, horizon, groups)

    known = {(v.rule, v.message, v.subjects) for v in found(before)}
    return [v for v in found(after) if (v.rule, v.message, v.subjects) not in known]


def hard(found: Sequence[Violation]) -> list[Violation]:
    """The findings the gate refuses a plan for (`HARD_RULES`)."""
    return [v for v in found if v.rule in HARD_RULES]


def soft(found: Sequence[Violation]) -> list[Violation]:
    """The findings a plan is applied with, each warned (best-effort rules)."""
    return [v for v in found if v.rule not in HARD_RULES]


def introduced_coverage(
    before: tuple[Sequence[Rotation], Sequence[Override]],
    after: tuple[Sequence[Rotation], Sequence[Override]],
    settings: RoundSettings,
    now: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
    groups: Sequence[str] | None = None,
) -> list[Violation]:
    """[R1] The gaps and double bookings (a seat held twice, or one engineer in two seats) a change would
    leave that the schedule does not have already."""
    found = introduced_violations(before, after, None, settings, now, horizon, groups)
    return [v for v in found if v.rule == "R1"]
