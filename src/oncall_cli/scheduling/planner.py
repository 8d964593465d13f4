"""Split, order, place: roster + settings + today + rng -> Plan.

The round is planned in three steps (docs/scheduling.md, "Placement"):

1. candidates, split and deferrals (R2, R3, R4, R6): who is in which rotation, who waits;
2. the *pattern*: which positions of each rotation hold a new engineer, and where each engineer with PTO
   in the round goes. This is the only place R7 can be broken; it is searched exactly by dynamic
   programming over the time-ordered shifts (`solve_pattern`), R7 first, then R9, then the courtesy;
3. the assignment: everyone else fills their class's remaining positions in shuffled order, honouring R6
   thresholds (hard). Beyond the exact search's budget, R9 is handled here instead (`assign_class`).

The rng only shuffles the roster before step 1, so a seed fixes the plan byte for byte.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from oncall_cli.errors import RulesViolatedError, UsageError
from oncall_cli.scheduling import rules
from oncall_cli.scheduling.model import (
    GROUP_LETTERS,
    Deferral,
    Engineer,
    Pair,
    Plan,
    PlannedRotation,
    RoundSettings,
    Shift,
    Violation,
    require_aware,
    zone,
)

DP_BUDGET = 1_500_000
"""State transitions the exact pattern search may spend before falling back to the greedy pattern."""
SPECIALS_BUDGET = 1_500_000
"""The same, for the search that also places engineers with PTO by name (R9 exact)."""
FLOW_BUDGET = 3_000_000
"""Edge relaxations the exact PTO assignment may spend before keeping the greedy assignment."""

Slot = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Special:
    """An engineer the exact search places by name: one whose PTO touches their rotation (R9)."""

    new: bool
    threshold: int
    holes: frozenset[int]


@dataclass(frozen=True, slots=True)
class PlacementProblem:
    """The order search reduced to positions; every tuple is indexed by group, then position.

    `new_thresholds[g]` (sorted) holds, per interchangeable new engineer of group g, the first position
    they may take (R6); `old_thresholds[g]` the same for the others. `specials[g]` are engineers placed by
    name because their PTO makes positions differ for them. `fixed_new` counts new engineers of the
    previous round overlapping a position from another group (R7). `pto_new`/`pto_old` are PTO hints for
    the fallback path, used only when specials do not fit the budget.
    """

    slots: tuple[tuple[Slot, ...], ...]
    new_thresholds: tuple[tuple[int, ...], ...]
    old_thresholds: tuple[tuple[int, ...], ...]
    fixed_new: tuple[tuple[int, ...], ...] = ()
    pto_new: tuple[tuple[int, ...], ...] = ()
    pto_old: tuple[tuple[int, ...], ...] = ()
    specials: tuple[tuple[Special, ...], ...] = ()

    def fixed(self, g: int, p: int) -> int:
        return self.fixed_new[g][p] if self.fixed_new else 0

    def pto(self, g: int, p: int, new: bool) -> int:
        table = self.pto_new if new else self.pto_old
        return table[g][p] if table else 0

    def special(self, g: int) -> tuple[Special, ...]:
        return self.specials[g] if self.specials else ()

    def generic(self) -> PlacementProblem:
        """The same problem with specials folded into the interchangeable classes (for the fallback)."""
        if not self.specials:
            return self
        news = tuple(tuple(sorted(t + tuple(x.threshold for x in sp if x.new)))
                     for t, sp in zip(self.new_thresholds, self.specials, strict=True))
        olds = tuple(tuple(sorted(t + tuple(x.threshold for x in sp if not x.new)))
                     for t, sp in zip(self.old_thresholds, self.specials, strict=True))
        return replace(self, new_thresholds=news, old_thresholds=olds, specials=())


@dataclass(frozen=True, slots=True)
class Pattern:
    """Which positions of each group hold new engineers (generic or special), where each special goes,
    how many new-new overlaps (R7) and PTO clashes of specials (R9) that leaves."""

    new_slots: tuple[tuple[int, ...], ...]
    pairs: int
    exhaustive: bool
    special_slots: tuple[tuple[int, ...], ...] = ()
    clashes: int = 0


# Step 2: the pattern -----------------------------------------------------------------------------------


def time_order(slots: Sequence[Sequence[Slot]]) -> list[tuple[int, int]]:
    """Every (group, position), by start time then group: the order the DP walks the round in."""
    order = [(s[0], g, p) for g, group in enumerate(slots) for p, s in enumerate(group)]
    order.sort(key=lambda x: (x[0], x[1]))
    return [(g, p) for _, g, p in order]


def overlap_edges(slots: Sequence[Sequence[Slot]]) -> list[tuple[int, int, int, int]]:
    """Every (g, p, h, q) with g < h whose shifts overlap; shifts of one group are disjoint and sorted,
    so a two-pointer merge per pair of groups finds them in linear time."""
    out: list[tuple[int, int, int, int]] = []
    for g in range(len(slots)):
        for h in range(g + 1, len(slots)):
            a, b = slots[g], slots[h]
            i = j = 0
            while i < len(a) and j < len(b):
                if a[i][0] < b[j][1] and b[j][0] < a[i][1]:
                    out.append((g, i, h, j))
                if a[i][1] <= b[j][1]:
                    i += 1
                else:
                    j += 1
    return out


def count_pairs(problem: PlacementProblem, new_slots: Sequence[Sequence[int]]) -> int:
    """[R7] New-new overlaps a pattern leaves: between rotations, and with the previous round."""
    chosen = [set(s) for s in new_slots]
    pairs = sum(1 for g, p, h, q in overlap_edges(problem.slots) if p in chosen[g] and q in chosen[h])
    return pairs + sum(problem.fixed(g, p) for g, group in enumerate(chosen) for p in group)


def pattern_feasible(problem: PlacementProblem, new_slots: Sequence[Sequence[int]],
                     special_slots: Sequence[Sequence[int]] = ()) -> bool:
    """[R6] Sizes match and every class meets its thresholds (Hall's condition for suffix choices)."""
    for g, group in enumerate(problem.slots):
        specials = problem.special(g)
        placed = tuple(special_slots[g]) if specials else ()
        if len(placed) != len(specials) or len(set(placed)) != len(placed):
            return False
        if any(p < x.threshold for p, x in zip(placed, specials, strict=True)):
            return False
        news = sorted(set(new_slots[g]) - {p for p, x in zip(placed, specials, strict=True) if x.new})
        olds = sorted(set(range(len(group))) - set(new_slots[g]) - set(placed))
        if any(not x.new and p in new_slots[g] for p, x in zip(placed, specials, strict=True)):
            return False
        if len(news) != len(problem.new_thresholds[g]) or len(olds) != len(problem.old_thresholds[g]):
            return False
        if any(p < t for p, t in zip(news, problem.new_thresholds[g], strict=True)):
            return False
        if any(p < t for p, t in zip(olds, problem.old_thresholds[g], strict=True)):
            return False
    return True


def dp_size(problem: PlacementProblem) -> int:
    """An upper bound on the DP's state transitions: what the budget is compared against."""
    states: int = 1 << len(problem.slots)
    for g, news in enumerate(problem.new_thresholds):
        states *= (len(news) + 1) << len(problem.special(g))
    return states * sum(len(g) for g in problem.slots)


def solve_pattern(problem: PlacementProblem, budget: int = DP_BUDGET) -> Pattern:
    """[R7][R9] The pattern with the fewest new-new overlaps, then the fewest PTO clashes of the specials,
    then new engineers as late as possible (courtesy).

    Exact within `budget`: a DP over the shifts in time order whose state is, per group, how many
    interchangeable new engineers were placed so far, which specials were placed, and whether the group's
    latest shift holds a new engineer. A shift overlaps, among earlier shifts of another group, only that
    group's latest one, so the state sees every overlap (see docs/scheduling.md). Beyond the budget the
    specials are folded into their classes and a greedy pattern is used; its count is still exact.
    """
    if dp_size(problem) <= budget and all(len(t) < 4096 for t in problem.new_thresholds):
        return _solve_dp(problem)
    return _solve_greedy(problem.generic())


def _solve_dp(problem: PlacementProblem) -> Pattern:
    groups = len(problem.slots)
    sizes = [len(s) for s in problem.slots]
    tn, to = problem.new_thresholds, problem.old_thresholds
    specials = [problem.special(g) for g in range(groups)]
    count_off = [groups + 12 * g for g in range(groups)]
    special_off, at = [], groups + 12 * groups
    for g in range(groups):
        special_off.append(at)
        at += len(specials[g])
    popcount = [bin(m).count("1") for m in range(1 << max((len(s) for s in specials), default=0))]
    courtesy_total = sum((len(tn[g]) + len(specials[g])) * sizes[g] for g in range(groups)) + 1
    pto_total = sum(max(problem.pto(g, p, True), problem.pto(g, p, False))
                    for g in range(groups) for p in range(sizes[g])) + sum(len(s) for s in specials) + 1
    w_pto, w_pair = courtesy_total, courtesy_total * pto_total

    # Which groups' latest shift overlaps each shift when the walk reaches it.
    order = time_order(problem.slots)
    latest: list[Slot | None] = [None] * groups
    conflicts: list[tuple[int, ...]] = []
    for g, p in order:
        begin = problem.slots[g][p][0]
        conflicts.append(tuple(h for h in range(groups)
                               if h != g and (last := latest[h]) is not None and last[1] > begin))
        latest[g] = problem.slots[g][p]

    frontier: dict[int, int] = {0: 0}
    back: list[dict[int, tuple[int, int]]] = []  # new state -> (old state, choice): -2 old, -1 new, j special
    for (g, p), conflict in zip(order, conflicts, strict=True):
        nxt: dict[int, int] = {}
        step: dict[int, tuple[int, int]] = {}
        bit, off, k, n_old = 1 << g, count_off[g], len(tn[g]), len(to[g])
        s_off, mine = special_off[g], specials[g]
        s_mask = (1 << len(mine)) - 1
        courtesy = sizes[g] - 1 - p
        cost_old = problem.pto(g, p, False) * w_pto
        cost_new = problem.pto(g, p, True) * w_pto + courtesy + problem.fixed(g, p) * w_pair
        for state, cost in frontier.items():
            c = (state >> off) & 0xFFF
            placed = (state >> s_off) & s_mask
            m = p - c - popcount[placed]
            pairs = sum((state >> h) & 1 for h in conflict)
            if m < n_old and p >= to[g][m]:
                ns, nc = state & ~bit, cost + cost_old
                if nc < nxt.get(ns, nc + 1):
                    nxt[ns], step[ns] = nc, (state, -2)
            if c < k and p >= tn[g][c]:
                ns, nc = (state | bit) + (1 << off), cost + cost_new + pairs * w_pair
                if nc < nxt.get(ns, nc + 1):
                    nxt[ns], step[ns] = nc, (state, -1)
            for j, sp in enumerate(mine):
                if placed >> j & 1 or p < sp.threshold:
                    continue
                nc = cost + (w_pto if p in sp.holes else 0)
                if sp.new:
                    ns = (state | bit) | (1 << (s_off + j))
                    nc += courtesy + (problem.fixed(g, p) + pairs) * w_pair
                else:
                    ns = (state & ~bit) | (1 << (s_off + j))
                if nc < nxt.get(ns, nc + 1):
                    nxt[ns], step[ns] = nc, (state, j)
        back.append(step)
        frontier = nxt
    if not frontier:
        raise RulesViolatedError("[R6] no order of the round meets every new hire's 60-day threshold")
    state = min(frontier, key=lambda s: (frontier[s], s))
    chosen: list[list[int]] = [[] for _ in range(groups)]
    where: list[list[int]] = [[0] * len(s) for s in specials]
    for (g, p), step in zip(reversed(order), reversed(back), strict=True):
        state, choice = step[state]
        if choice == -1 or (choice >= 0 and specials[g][choice].new):
            chosen[g].append(p)
        if choice >= 0:
            where[g][choice] = p
    new_slots = tuple(tuple(sorted(c)) for c in chosen)
    clashes = sum(1 for g in range(groups) for j, sp in enumerate(specials[g]) if where[g][j] in sp.holes)
    return Pattern(new_slots, count_pairs(problem, new_slots), exhaustive=True,
                   special_slots=tuple(tuple(w) for w in where) if problem.specials else (), clashes=clashes)


def _solve_greedy(problem: PlacementProblem) -> Pattern:
    """Latest-first greedy: walk the round backwards, give a new engineer every shift that overlaps no
    chosen one, take conflicting shifts only when a group runs out. Zero pairs is optimal whatever the
    method; otherwise the result is valid but may not be minimal (the plan says so)."""
    groups = len(problem.slots)
    neighbours: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for g, p, h, q in overlap_edges(problem.slots):
        neighbours.setdefault((g, p), []).append((h, q))
        neighbours.setdefault((h, q), []).append((g, p))
    need = [len(t) for t in problem.new_thresholds]
    chosen: list[list[int]] = [[] for _ in range(groups)]
    taken: set[tuple[int, int]] = set()
    for g, p in reversed(time_order(problem.slots)):
        if need[g] == 0 or p < problem.new_thresholds[g][need[g] - 1]:
            continue
        clash = problem.fixed(g, p) > 0 or any(n in taken for n in neighbours.get((g, p), ()))
        if not clash or need[g] == p + 1:
            chosen[g].append(p)
            taken.add((g, p))
            need[g] -= 1
    new_slots = tuple(tuple(sorted(c)) for c in chosen)
    if any(need) or not pattern_feasible(problem, new_slots):
        new_slots = _threshold_pattern(problem)
    return Pattern(new_slots, count_pairs(problem, new_slots), exhaustive=False)


def _threshold_pattern(problem: PlacementProblem) -> tuple[tuple[int, ...], ...]:
    """A pattern that surely meets R6: everyone in threshold order (exists once deferrals are done)."""
    out = []
    for g in range(len(problem.slots)):
        merged = sorted([(t, True) for t in problem.new_thresholds[g]] + [(t, False) for t in
                                                                        problem.old_thresholds[g]])
        if any(t > p for p, (t, _) in enumerate(merged)):
            raise RulesViolatedError("[R6] no order of the round meets every new hire's 60-day threshold")
        out.append(tuple(p for p, (_, new) in enumerate(merged) if new))
    return tuple(out)


# Step 3: who takes which position ------------------------------------------------------------------------


def assign_class(positions: Sequence[int], members: Sequence[Engineer], thresholds: Mapping[str, int],
                 holes: Mapping[str, frozenset[int]], budget: int = FLOW_BUDGET) -> dict[int, Engineer]:
    """[R6][R9] Put `members` on `positions`: thresholds are hard, PTO clashes are minimised exactly when
    the min-cost flow fits the budget; unconstrained members keep their (shuffled) order."""
    positions = sorted(positions)
    if not positions:
        return {}
    first, where = positions[0], frozenset(positions)
    mine = {e.email: holes[e.email] & where for e in members if e.email in holes}
    special = [i for i, e in enumerate(members) if thresholds.get(e.email, 0) > first or mine.get(e.email)]
    placed: dict[int, Engineer] = {}
    if special:
        spec = [(thresholds.get(members[i].email, 0), mine.get(members[i].email, frozenset()), positions[i])
                for i in special]
        picks = _greedy_positions(spec, positions)
        if sum(1 for (_, h, _), p in zip(spec, picks, strict=True) if p in h) and (
                len(spec) ** 2 * (len(spec) + len({p for _, h, _ in spec for p in h}) + 2) <= budget):
            picks = _flow_positions(spec, positions) or picks
        placed = {p: members[i] for i, p in zip(special, picks, strict=True)}
    rest = iter(p for p in positions if p not in placed)
    specials = set(special)
    for i, engineer in enumerate(members):
        if i not in specials:
            placed[next(rest)] = engineer
    return placed


def _greedy_positions(spec: Sequence[tuple[int, frozenset[int], int]], positions: Sequence[int]) -> list[int]:
    """Most constrained first (highest threshold), each to a free allowed position without PTO, nearest
    after its home; with suffix-shaped allowed sets this never strands a later engineer."""
    free = list(positions)
    picks = [0] * len(spec)
    for i in sorted(range(len(spec)), key=lambda i: (-spec[i][0], i)):
        t, hole, home = spec[i]
        lo = bisect.bisect_left(free, t)
        at = bisect.bisect_left(free, max(t, home))
        choice = next((j for j in range(at, len(free)) if free[j] not in hole), None)
        if choice is None:
            choice = next((j for j in range(lo, at) if free[j] not in hole), lo)
        picks[i] = free.pop(choice)
    return picks


def _flow_positions(spec: Sequence[tuple[int, frozenset[int], int]],
                    positions: Sequence[int]) -> list[int] | None:
    """Exact minimum of PTO clashes: min-cost flow from engineers to classes of interchangeable positions
    (intervals between thresholds, and each PTO position alone), by successive shortest paths."""
    thresholds = sorted({t for t, _, _ in spec})
    hole_positions = sorted({p for _, h, _ in spec for p in h})
    hole_set = set(hole_positions)
    classes: list[list[int]] = [[p] for p in hole_positions]
    by_key: dict[int, list[int]] = {}
    for p in positions:
        if p not in hole_set:
            by_key.setdefault(bisect.bisect_right(thresholds, p), []).append(p)
    classes.extend(by_key[k] for k in sorted(by_key))
    s_count, c_count = len(spec), len(classes)
    source, sink = s_count + c_count, s_count + c_count + 1
    to: list[int] = []
    cap: list[int] = []
    cost: list[int] = []
    adj: list[list[int]] = [[] for _ in range(sink + 1)]

    def add(u: int, v: int, capacity: int, weight: int) -> None:
        adj[u].append(len(to))
        to.append(v)
        cap.append(capacity)
        cost.append(weight)
        adj[v].append(len(to))
        to.append(u)
        cap.append(0)
        cost.append(-weight)

    for i, (t, hole, _) in enumerate(spec):
        add(source, i, 1, 0)
        for c, members in enumerate(classes):
            if members[0] >= t:
                add(i, s_count + c, 1, 1 if len(members) == 1 and members[0] in hole else 0)
    for c, members in enumerate(classes):
        add(s_count + c, sink, len(members), 0)
    for _ in range(s_count):
        dist = [1 << 30] * (sink + 1)
        via = [-1] * (sink + 1)
        dist[source] = 0
        queue, queued = [source], [False] * (sink + 1)
        head = 0
        while head < len(queue):
            u = queue[head]
            head += 1
            queued[u] = False
            for e in adj[u]:
                if cap[e] and dist[u] + cost[e] < dist[to[e]]:
                    dist[to[e]], via[to[e]] = dist[u] + cost[e], e
                    if not queued[to[e]]:
                        queued[to[e]] = True
                        queue.append(to[e])
        if via[sink] < 0:
            return None
        v = sink
        while v != source:
            e = via[v]
            cap[e] -= 1
            cap[e ^ 1] += 1
            v = to[e ^ 1]
    # Hand each class's positions to its engineers, nearest their home first.
    pools = [list(members) for members in classes]
    picks = [0] * s_count
    for i in sorted(range(s_count), key=lambda i: spec[i][2]):
        for e in adj[i]:
            if to[e] != source and cost[e] >= 0 and s_count <= to[e] < source and cap[e] == 0:
                pool = pools[to[e] - s_count]
                j = min(range(len(pool)), key=lambda j: (abs(pool[j] - spec[i][2]), pool[j]))
                picks[i] = pool.pop(j)
                break
    return picks


# Step 1 and the whole round --------------------------------------------------------------------------------


def plan_round(engineers: Sequence[Engineer], settings: RoundSettings = RoundSettings(), *, split: int = 2,
               starts: Sequence[datetime] | None = None, today: date, rng: random.Random | None = None,
               previous: Sequence[Shift] = (), current_participants: frozenset[str] | None = None,
               last_on_call: Mapping[str, datetime] | None = None) -> Plan:
    """Plan one round (R1-R13). `starts` are the rotations' starts (default: `--start`-style from the
    first Monday after `today`); `rng` None keeps roster order; `previous` are the previous round's last
    shifts and `current_participants` the emails in the current rotations (both only when reading
    Opsgenie, for R7); `last_on_call` is when each engineer's last shift ended, as far back as the previous
    round goes (R12; the ends found in `previous` count too)."""
    rules.check_split(split)
    _check_unique(engineers)
    tz = settings.timezone
    z = zone(tz)
    if starts is None:
        starts = rules.starts_from_date(rules.default_monday(today), settings, split)
    if len(starts) != split:
        raise UsageError(f"--split {split} needs {split} rotation starts, got {len(starts)}")
    starts = [require_aware(s, "rotation start").astimezone(z) for s in starts]
    round_day = min(starts).date()

    ordered = list(engineers)
    if rng is not None:
        rng.shuffle(ordered)
    by_email = {e.email: e for e in engineers}
    newness = {e.email: rules.is_new(e, round_day, settings, current_participants) for e in engineers}

    deferred: list[Deferral] = []
    candidates = []
    for e in ordered:
        if rules.has_started(e, round_day):  # [R2]
            candidates.append(e)
        else:
            deferred.append(Deferral(e.email, f"[R2] starts on {e.start_date.isoformat()}, not before the "
                                     f"round begins on {round_day.isoformat()}",
                                     rules.eligible_from(e, settings), "R2"))

    groups, slots, thresholds = _split_with_deferrals(candidates, starts, settings, deferred)
    holes = _pto_positions(candidates, groups, slots)
    fixed = _fixed_pairs(slots, previous, newness, by_email, settings, round_day, current_participants)
    recency = recency_of(previous, last_on_call)
    pattern, participants = _place(groups, slots, thresholds, holes, newness, fixed, recency,
                                   budget=DP_BUDGET, specials_budget=SPECIALS_BUDGET)
    teams_exact = True
    if settings.avoid_same_team and any(rules.team_key(e) for e in candidates):
        participants, teams_exact = spread_teams(
            participants, slots, newness, thresholds, frozenset(holes), fixed,
            _previous_teams(slots, previous, by_email, settings), by_email)
    participants = _keep_round_gaps(participants, slots, previous, newness, thresholds, by_email, settings,
                                    fixed, recency)
    plan = _build_plan(settings, starts, slots, participants, deferred, newness, by_email, previous, pattern,
                       len(candidates))
    plan = _with_gap_warnings(plan, previous, settings)
    return _with_fairness_warnings(plan, recency, previous, by_email, settings, teams_exact)


def _last_shift_ends(previous: Sequence[Shift]) -> dict[str, datetime]:
    """[R11] Each engineer's last shift end in the previous round (overrides applied: who really held it)."""
    last: dict[str, datetime] = {}
    for s in previous:
        if s.user is None:
            continue
        if s.user not in last or s.end.astimezone(UTC) > last[s.user].astimezone(UTC):
            last[s.user] = s.end
    return last


def _keep_round_gaps(participants: Sequence[tuple[str, ...]], slots: Sequence[Sequence[Slot]],
                     previous: Sequence[Shift], newness: Mapping[str, bool], thresholds: Mapping[str, int],
                     by_email: Mapping[str, Engineer], settings: RoundSettings,
                     fixed: Sequence[Sequence[int]],
                     recency: Mapping[str, datetime]) -> list[tuple[str, ...]]:
    """[R11] Best effort: whoever starts the new round too soon after their last shift of the old one swaps
    with the nearest later engineer of the same rotation who is fine there; the swap must keep R6 (the
    earlier one's threshold), add no new-new pair [R7] and no PTO clash [R9] (R11 ranks below those, above
    the courtesy). What no swap fixes (a roster too small) is warned by `_with_gap_warnings`.

    [R12] Then the same for whoever starts less than half a round after their last shift (`recency`, read
    from the whole previous round), keeping R11 too and adding no same-team pair [R13]: this is where a new
    engineer may move earlier than the courtesy would put them."""
    last = _last_shift_ends(previous)
    if not last and not recency:
        return list(participants)
    edges = overlap_edges(slots)
    groups = [list(group) for group in participants]
    neighbours: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for g, p, h, q in edges:
        neighbours.setdefault((g, p), []).append((h, q))
        neighbours.setdefault((h, q), []).append((g, p))

    def cost(g: int, p: int, q: int) -> tuple[int, int]:
        """[R7] new-new pairs and [R13] same-team pairs that positions p and q of group g take part in."""
        new = team = 0
        for at in (p, q):
            u = groups[g][at]
            for h, r in neighbours.get((g, at), ()):
                v = groups[h][r]
                new += bool(newness.get(u) and newness.get(v))
                team += settings.avoid_same_team and rules.same_team(by_email.get(u), by_email.get(v))
            new += fixed[g][at] if newness.get(u) else 0
        return new, team

    def fine(user: str, g: int, p: int) -> bool:
        return rules.keeps_round_gap(last.get(user), slots[g][p][0], settings)

    def fair(user: str, g: int, p: int) -> bool:
        return fine(user, g, p) and rules.keeps_recency(recency.get(user), slots[g][p][0], len(groups[g]))

    def free(user: str, g: int, p: int) -> bool:
        a, b = slots[g][p]
        return rules.unavailable_during(by_email[user], a, b) is None

    # [R13] ranks below R11 (a swap that pairs one team is taken only when no other swap helps) and above R12.
    # R12 swaps spend at most GAP_SWAP_BUDGET candidate looks in all (best effort: warned if left).
    budget = {fine: -1, fair: GAP_SWAP_BUDGET}
    for check, modes in ((fine, (True, False)), (fair, (True,))):
        left = [budget[check]]
        for g, order in enumerate(groups):
            for p in range(len(order)):
                u = order[p]
                # Both rules only get easier later in the round: if even the last position is too soon for
                # u, no swap helps (and none is looked for).
                if check(u, g, p) or not check(u, g, len(order) - 1):
                    continue
                for strict in modes:
                    if _gap_swap(order, p, u, g, check, free, cost, thresholds, strict=strict, left=left):
                        break
    return [tuple(order) for order in groups]


def _gap_swap(order: list[str], p: int, u: str, g: int, fine: Callable[[str, int, int], bool],
              free: Callable[[str, int, int], bool], cost: Callable[[int, int, int], tuple[int, int]],
              thresholds: Mapping[str, int], *, strict: bool, left: list[int]) -> bool:
    """[R11][R12] Swap `u` (at `p`) with the nearest later engineer fine there; True when one was found.
    `left[0]` counts down the candidates looked at (negative: no limit)."""
    for q in range(p + 1, len(order)):
        if left[0] == 0:
            return False
        left[0] -= 1
        v = order[q]
        if thresholds.get(v, 0) > p or not (fine(v, g, p) and fine(u, g, q)):
            continue
        if (free(u, g, p) and not free(u, g, q)) or (free(v, g, q) and not free(v, g, p)):
            continue
        before = cost(g, p, q)
        order[p], order[q] = v, u
        after = cost(g, p, q)
        if after[0] > before[0] or (strict and after[1] > before[1]):
            order[p], order[q] = u, v
            continue
        return True
    return False


def _with_gap_warnings(plan: Plan, previous: Sequence[Shift], settings: RoundSettings) -> Plan:
    """[R11] Warn about every engineer the round still starts too soon after their last shift."""
    last = _last_shift_ends(previous)
    issues: list[Violation] = []
    seen: set[str] = set()
    for s in plan.shifts:
        if s.user is None or s.user in seen:
            continue
        seen.add(s.user)
        ended = last.get(s.user)
        if ended is not None and not rules.keeps_round_gap(ended, s.start, settings):
            text = rules.describe_round_gap(s.user, s.rotation, ended, s.start, settings)
            issues.append(Violation("R11", f"{text}; no order of the round avoids it", (s.user,), s.start,
                                    s.end))
    if not issues:
        return plan
    return replace(plan, warnings=(*plan.warnings, *(str(v) for v in issues)),
                   violations=(*plan.violations, *issues))


def _place(groups: Sequence[Sequence[Engineer]], slots: Sequence[Sequence[Slot]],
           thresholds: Mapping[str, int], holes: Mapping[str, frozenset[int]], newness: Mapping[str, bool],
           fixed: Sequence[Sequence[int]], recency: Mapping[str, datetime], *, budget: int,
           specials_budget: int) -> tuple[Pattern, list[tuple[str, ...]]]:
    """[R7][R9] Pattern, then assignment.

    Exact path: engineers with PTO in their rotation are specials placed by name inside the DP, so pairs,
    then PTO clashes, then courtesy are optimised together. Fallback (too big for the budget): everyone is
    interchangeable in the DP; PTO is handled by the assignment, and if clashes remain the classes that
    clashed mark their PTO positions as hints and the pattern is searched again; the best pass wins.
    """
    exact = _problem(groups, slots, thresholds, holes, newness, fixed, with_specials=True)
    if dp_size(exact) <= specials_budget:
        pattern = solve_pattern(exact, specials_budget)
        return pattern, _assign(pattern, groups, newness, thresholds, holes, recency)
    problem = _problem(groups, slots, thresholds, holes, newness, fixed, with_specials=False)
    hinted: set[str] = set()
    best: tuple[tuple[int, int], Pattern, list[tuple[str, ...]]] | None = None
    for _ in range(3):
        pattern = solve_pattern(problem, budget)
        participants = _assign(pattern, groups, newness, thresholds, holes, recency)
        clashed = {participants[g][p] for g in range(len(groups)) for p in range(len(participants[g]))
                   if p in holes.get(participants[g][p], ())}
        score = (pattern.pairs, len(clashed))
        if best is None or score < best[0]:
            best = (score, pattern, participants)
        # Everyone with PTO in a class that clashed competes for the same free positions: hint them all.
        classes = {(g, newness[u]) for g, group in enumerate(participants) for u in group if u in clashed}
        more = {e.email for g, members in enumerate(groups) for e in members
                if e.email in holes and (g, newness[e.email]) in classes} - hinted
        if not clashed or not more or not pattern.exhaustive:
            break
        hinted |= more
        problem = _with_hints(problem, groups, newness, holes, frozenset(hinted))
    assert best is not None
    return best[1], best[2]


def _assign(pattern: Pattern, groups: Sequence[Sequence[Engineer]], newness: Mapping[str, bool],
            thresholds: Mapping[str, int], holes: Mapping[str, frozenset[int]],
            recency: Mapping[str, datetime]) -> list[tuple[str, ...]]:
    """Specials where the pattern put them; everyone else into their class's remaining positions, those on
    call longest ago first [R12]."""
    participants: list[tuple[str, ...]] = []
    for g, members in enumerate(groups):
        placed: dict[int, Engineer] = {}
        rest = by_recency(members, recency)
        if pattern.special_slots:
            specials = [e for e in members if e.email in holes]
            placed = dict(zip(pattern.special_slots[g], specials, strict=True))
            rest = [e for e in rest if e.email not in holes]
        new_set = set(pattern.new_slots[g])
        free_new = [p for p in pattern.new_slots[g] if p not in placed]
        free_old = [p for p in range(len(members)) if p not in new_set and p not in placed]
        placed.update(assign_class(free_new, [e for e in rest if newness[e.email]], thresholds, holes))
        placed.update(assign_class(free_old, [e for e in rest if not newness[e.email]], thresholds, holes))
        participants.append(tuple(placed[p].email for p in range(len(members))))
    return participants


def _check_unique(engineers: Sequence[Engineer]) -> None:
    seen: set[str] = set()
    for e in engineers:
        if e.email in seen:
            raise UsageError(f"engineer {e.email!r} is listed twice")
        seen.add(e.email)


def _split_with_deferrals(candidates: list[Engineer], starts: Sequence[datetime], settings: RoundSettings,
                          deferred: list[Deferral]) -> tuple[list[list[Engineer]], list[list[Slot]],
                                                            dict[str, int]]:
    """[R3][R4][R6] Split, then defer whoever no slot can take, and split again until everyone fits.

    A deferral shortens its rotation by a week, which can strand another new hire, hence the loop.
    """
    tz = settings.timezone
    while True:
        groups = rules.split_engineers(candidates, len(starts))
        if any(not g for g in groups):
            raise RulesViolatedError(f"[R4] {len(candidates)} engineer(s) cannot fill {len(starts)} "
                                     "rotations", hint="Use a smaller --split, or add engineers.")
        slots: list[list[Slot]] = []
        thresholds: dict[str, int] = {}
        stranded: list[Engineer] = []
        for g, members in enumerate(groups):
            shifts = [(a.astimezone(UTC), b.astimezone(UTC))
                      for a, b in rules.weekly_shifts(starts[g], len(members), tz)]
            slots.append(shifts)
            days = [s.astimezone(zone(tz)).date() for s, _ in shifts]
            for e in members:
                thresholds[e.email] = bisect.bisect_left(days, rules.eligible_from(e, settings))  # [R6]
            ranked = sorted(range(len(members)), key=lambda i: thresholds[members[i].email])
            if any(thresholds[members[i].email] > j for j, i in enumerate(ranked)):
                rank = {e.email: i for i, e in enumerate(candidates)}
                worst = max(members, key=lambda e: (thresholds[e.email], e.start_date, rank[e.email]))
                stranded.append(worst)
        if not stranded:
            return groups, slots, thresholds
        for e in stranded:
            candidates.remove(e)
            deferred.append(Deferral(e.email, f"[R6] no slot of this round starts more than "
                                     f"{settings.new_hire_days} days after their start date "
                                     f"{e.start_date.isoformat()}", rules.eligible_from(e, settings), "R6"))


def _pto_positions(candidates: Sequence[Engineer], groups: Sequence[Sequence[Engineer]],
                   slots: Sequence[Sequence[Slot]]) -> dict[str, frozenset[int]]:
    """[R9] Positions of their own rotation that each engineer's PTO touches (found by bisection)."""
    out: dict[str, frozenset[int]] = {}
    for g, members in enumerate(groups):
        begins = [s for s, _ in slots[g]]
        for e in members:
            if not e.unavailable:
                continue
            hit: set[int] = set()
            for lo, hi, _ in rules.unavailable_windows(e):
                p = max(0, bisect.bisect_right(begins, lo) - 1)
                while p < len(begins) and begins[p] < hi:
                    if slots[g][p][1] > lo:
                        hit.add(p)
                    p += 1
            if hit:
                out[e.email] = frozenset(hit)
    return out


def _fixed_pairs(slots: Sequence[Sequence[Slot]], previous: Sequence[Shift], newness: Mapping[str, bool],
                 by_email: Mapping[str, Engineer], settings: RoundSettings, round_day: date,
                 current_participants: frozenset[str] | None) -> list[list[int]]:
    """[R7] Per position: new engineers of the previous round overlapping it from another group."""
    fixed = [[0] * len(s) for s in slots]
    for shift in _previous_new(previous, newness, by_email, settings, round_day, current_participants):
        group = rules.group_of(shift.rotation, settings)
        for g, group_slots in enumerate(slots):
            if group == GROUP_LETTERS[g]:
                continue
            for p, (a, b) in enumerate(group_slots):
                if a < shift.end and shift.start < b:
                    fixed[g][p] += 1
    return fixed


def _problem(groups: Sequence[Sequence[Engineer]], slots: Sequence[Sequence[Slot]],
             thresholds: Mapping[str, int], holes: Mapping[str, frozenset[int]], newness: Mapping[str, bool],
             fixed: Sequence[Sequence[int]], *, with_specials: bool) -> PlacementProblem:
    def generic(e: Engineer) -> bool:
        return not with_specials or e.email not in holes

    return PlacementProblem(
        slots=tuple(tuple(s) for s in slots),
        new_thresholds=tuple(tuple(sorted(thresholds[e.email] for e in m if newness[e.email] and generic(e)))
                             for m in groups),
        old_thresholds=tuple(tuple(sorted(thresholds[e.email] for e in m
                                          if not newness[e.email] and generic(e))) for m in groups),
        fixed_new=tuple(tuple(f) for f in fixed),
        specials=tuple(tuple(Special(newness[e.email], thresholds[e.email], holes[e.email])
                             for e in m if not generic(e)) for m in groups) if with_specials else (),
    )


def _with_hints(problem: PlacementProblem, groups: Sequence[Sequence[Engineer]], newness: Mapping[str, bool],
                holes: Mapping[str, frozenset[int]], hinted: frozenset[str]) -> PlacementProblem:
    """[R9] Count, per position, the hinted new (resp. other) engineers of the group away then."""
    pto_new = [[0] * len(s) for s in problem.slots]
    pto_old = [[0] * len(s) for s in problem.slots]
    for g, members in enumerate(groups):
        for e in members:
            if e.email in hinted:
                table = pto_new if newness[e.email] else pto_old
                for p in holes.get(e.email, ()):
                    table[g][p] += 1
    return replace(problem, pto_new=tuple(tuple(t) for t in pto_new),
                   pto_old=tuple(tuple(t) for t in pto_old))


def _previous_new(previous: Sequence[Shift], newness: Mapping[str, bool], by_email: Mapping[str, Engineer],
                  settings: RoundSettings, round_day: date,
                  current_participants: frozenset[str] | None) -> list[Shift]:
    """[R7] Previous-round shifts held by a new engineer (unknown users are not new: we cannot tell)."""
    out = []
    for shift in previous:
        if shift.user is None:
            continue
        if shift.user in newness:
            new = newness[shift.user]
        elif shift.user in by_email:
            new = rules.is_new(by_email[shift.user], round_day, settings, current_participants)
        else:
            new = False
        if new:
            out.append(shift)
    return out


def _fmt(at: datetime) -> str:
    return at.isoformat(timespec="minutes")


def _build_plan(settings: RoundSettings, starts: Sequence[datetime], slots: Sequence[Sequence[Slot]],
                participants: Sequence[tuple[str, ...]], deferred: Sequence[Deferral],
                newness: Mapping[str, bool], by_email: Mapping[str, Engineer], previous: Sequence[Shift],
                pattern: Pattern, candidates: int) -> Plan:
    z = zone(settings.timezone)
    rotations = tuple(PlannedRotation(rules.rotation_name(g, settings), GROUP_LETTERS[g], starts[g],
                                      participants[g]) for g in range(len(starts)))
    per_group = [[Shift(rotations[g].name, user, a.astimezone(z), b.astimezone(z), index=p)
                  for p, ((a, b), user) in enumerate(zip(slots[g], participants[g], strict=True))]
                 for g in range(len(starts))]
    shifts = tuple(sorted((s for group in per_group for s in group), key=lambda s: (s.start, s.rotation)))
    pairs = tuple(sorted((Pair(per_group[g][p].user, per_group[h][q].user,
                               max(per_group[g][p].start, per_group[h][q].start),
                               min(per_group[g][p].end, per_group[h][q].end),
                               per_group[g][p].rotation, per_group[h][q].rotation)
                          for g, p, h, q in overlap_edges(slots)), key=lambda x: (x.start, x.rotation_a)))
    caveat = "" if pattern.exhaustive else (
        f"; the search was not exhaustive for {candidates} engineers, so a better order may exist")
    issues: list[Violation] = []
    for pair in pairs:  # [R7]
        if pair.a and pair.b and newness.get(pair.a) and newness.get(pair.b):
            issues.append(Violation("R7", f"new engineers {pair.a} ({pair.rotation_a}) and {pair.b} "
                                    f"({pair.rotation_b}) are on call together from {_fmt(pair.start)} to "
                                    f"{_fmt(pair.end)}; no order of the round avoids it{caveat}",
                                    (pair.a, pair.b), pair.start, pair.end))
    for old in _previous_new(previous, newness, by_email, settings, min(starts).date(), None):
        for s in shifts:
            if s.user and newness.get(s.user) and s.start < old.end and old.start < s.end and (
                    rules.group_of(old.rotation, settings) != rules.group_of(s.rotation, settings)):
                lo, hi = max(s.start, old.start), min(s.end, old.end)
                other = ("their own shift" if old.user == s.user else f"new engineer {old.user}'s shift") + \
                    f" in {old.rotation} (previous round)"
                issues.append(Violation("R7", f"new engineer {s.user} ({s.rotation}) overlaps {other} from "
                                        f"{_fmt(lo)} to {_fmt(hi)}; no order of the round avoids it{caveat}",
                                        (s.user, old.user or ""), lo, hi))
    for s in shifts:  # [R9]
        engineer = by_email.get(s.user or "")
        if engineer is not None and (away := rules.unavailable_during(engineer, s.start, s.end)):
            issues.append(Violation("R9", f"{s.user} is on call in {s.rotation} from {_fmt(s.start)} to "
                                    f"{_fmt(s.end)} during their unavailability {away[0].isoformat()} to "
                                    f"{away[1].isoformat()}; no order of the round avoids it",
                                    (s.user or "",), s.start, s.end))
    return Plan(settings.timezone, rotations, shifts, pairs, tuple(deferred), tuple(str(v) for v in issues),
                tuple(issues))


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The `--json` contract scripts rely on (keys documented in docs/scheduling.md)."""
    z = zone(plan.timezone)

    def iso(at: datetime) -> str:
        return at.astimezone(z).isoformat()

    return {
        "timezone": plan.timezone,
        "rotations": [{"name": r.name, "group": r.group, "type": r.type, "start": iso(r.start),
                       "participants": list(r.participants)} for r in plan.rotations],
        "shifts": [{"rotation": s.rotation, "user": s.user, "start": iso(s.start), "end": iso(s.end)}
                   for s in plan.shifts],
        "pairs": [{"a": p.a, "b": p.b, "start": iso(p.start), "end": iso(p.end)} for p in plan.pairs],
        "deferred": [{"user": d.user, "reason": d.reason,
                      "eligible_from": d.eligible_from.isoformat() if d.eligible_from else None}
                     for d in plan.deferred],
        "warnings": list(plan.warnings),
    }


# Fairness over time: R12 (when they were last on call) and R13 (one team in both seats) ------------------

TEAM_BUDGET = 100_000
"""State transitions the exact team search may spend before it gives up for the local repair (counted as
it runs: the reachable states are far fewer than any closed-form bound)."""
GAP_SWAP_BUDGET = 200_000
"""[R12] Candidate swaps the recency repair may look at in all (it stays near-linear in the roster size)."""
TEAM_EXACT_MAX = 64
"""Rounds of more engineers go straight to the local repair (the exact search would only hit its budget)."""
TEAM_WINDOW = 64
"""How far (in positions of the same rotation) the local team repair looks for a swap."""
TEAM_PASSES = 4
"""How many times the local team repair walks the round (it stops early when a walk changes nothing)."""


def recency_of(previous: Sequence[Shift], last_on_call: Mapping[str, datetime] | None = None
               ) -> dict[str, datetime]:
    """[R12] When each engineer's last shift ended: the later of `last_on_call` and the previous round."""
    recency = _last_shift_ends(previous)
    for user, ended in (last_on_call or {}).items():
        if user not in recency or ended.astimezone(UTC) > recency[user].astimezone(UTC):
            recency[user] = ended
    return recency


def by_recency(members: Sequence[Engineer], recency: Mapping[str, datetime]) -> list[Engineer]:
    """[R12] Those never on call (or not within the history read) first, then by when their last shift
    ended, oldest first; a stable sort, so ties keep the (shuffled) roster order [R5]."""
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(members, key=lambda e: (e.email in recency,
                                          recency[e.email].astimezone(UTC) if e.email in recency else floor))


def _previous_teams(slots: Sequence[Sequence[Slot]], previous: Sequence[Shift],
                    by_email: Mapping[str, Engineer], settings: RoundSettings) -> list[list[tuple[str, ...]]]:
    """[R13] Per position: the teams of the previous round's shifts of another seat overlapping it (the
    previous round's last B shift runs into the new A's first). Shifts are sorted per group, so each
    previous shift is located by bisection."""
    out: list[list[tuple[str, ...]]] = [[() for _ in group] for group in slots]
    begins = [[a for a, _ in group] for group in slots]
    for shift in previous:
        team = rules.team_key(by_email.get(shift.user or ""))
        if team is None:
            continue
        seat = rules.group_of(shift.rotation, settings)
        lo, hi = shift.start.astimezone(UTC), shift.end.astimezone(UTC)
        for g, group in enumerate(slots):
            if seat == GROUP_LETTERS[g]:
                continue
            p = max(0, bisect.bisect_right(begins[g], lo) - 1)
            while p < len(group) and group[p][0] < hi:
                if group[p][1] > lo:
                    out[g][p] = (*out[g][p], team)
                p += 1
    return out


def spread_teams(participants: Sequence[tuple[str, ...]], slots: Sequence[Sequence[Slot]],
                 newness: Mapping[str, bool], thresholds: Mapping[str, int], locked: frozenset[str],
                 fixed: Sequence[Sequence[int]], previous_teams: Sequence[Sequence[tuple[str, ...]]],
                 by_email: Mapping[str, Engineer], budget: int = TEAM_BUDGET
                 ) -> tuple[list[tuple[str, ...]], bool]:
    """[R13] Reorder each rotation so that engineers of one product team are not on call together, when
    some order avoids it, without giving up R6 (thresholds, hard), R7 (new-new pairs) or R9 (`locked`:
    engineers with PTO in their rotation stay where the PTO search put them).

    Exact within `budget`: the same walk over the shifts in time order as `solve_pattern`, whose classes
    are (new?, team) and whose state also holds each rotation's latest (team, new) pair; the cost is
    lexicographic: new-new pairs, same-team pairs, the courtesy (new engineers late), then the number of
    positions whose team changes (so the recency order of R12 is kept wherever the teams allow). Beyond the
    budget, a local repair swaps engineers of one class within `TEAM_WINDOW` positions while that lowers
    the same-team pairs (never adds a new-new pair: the class is kept). Returns the participants and
    whether the search was exact."""
    team = {u: rules.team_key(by_email.get(u)) for group in participants for u in group}
    if len(set(team.values())) < 2:
        # One team for everyone (or none): every order pairs the same, so this order is already the best.
        return [tuple(group) for group in participants], True
    exact = None
    if sum(len(group) for group in participants) <= TEAM_EXACT_MAX:
        exact = _teams_dp(participants, slots, newness, thresholds, locked, fixed, previous_teams, team,
                          budget)
    if exact is not None:
        return exact, True
    return _teams_repair(participants, slots, newness, thresholds, locked, previous_teams, team), False


def _team_classes(group: Sequence[str], newness: Mapping[str, bool], locked: frozenset[str],
                  team: Mapping[str, str | None]) -> dict[tuple[bool, str], list[str]]:
    """The interchangeable classes of one rotation: (new?, team) -> members, in their current order."""
    classes: dict[tuple[bool, str], list[str]] = {}
    for u in group:
        if u not in locked:
            classes.setdefault((newness[u], team[u] or ""), []).append(u)
    return classes


def _teams_dp(participants: Sequence[tuple[str, ...]], slots: Sequence[Sequence[Slot]],
              newness: Mapping[str, bool], thresholds: Mapping[str, int], locked: frozenset[str],
              fixed: Sequence[Sequence[int]], previous_teams: Sequence[Sequence[tuple[str, ...]]],
              team: Mapping[str, str | None], budget: int) -> list[tuple[str, ...]] | None:
    """The exact search of `spread_teams`; None when it would spend more than `budget` transitions."""
    groups = len(participants)
    sizes = [len(g) for g in participants]
    kinds: list[list[tuple[bool, str]]] = []
    members: list[list[list[str]]] = []
    needs: list[list[list[int]]] = []
    offset, at = [], 0
    for group in participants:
        classes = _team_classes(group, newness, locked, team)
        keys = sorted(classes)
        kinds.append(keys)
        members.append([classes[k] for k in keys])
        needs.append([sorted(thresholds.get(u, 0) for u in classes[k]) for k in keys])
        offset.append(at)
        at += len(keys)
    courtesy_max = sum(sizes[g] * sizes[g] for g in range(groups)) + 1
    w_courtesy = sum(sizes) + 1
    w_team = w_courtesy * courtesy_max
    w_pair = w_team * (sum(sizes) * (groups + 1) + sum(len(t) for g in previous_teams for t in g) + 1)

    order = time_order(slots)
    latest: list[Slot | None] = [None] * groups
    conflicts: list[tuple[int, ...]] = []
    for g, p in order:
        begin = slots[g][p][0]
        conflicts.append(tuple(h for h in range(groups)
                               if h != g and (last := latest[h]) is not None and last[1] > begin))
        latest[g] = slots[g][p]

    # The state is one integer of 12-bit fields: per group, its latest shift's (team, new) as
    # 1 + 2 * team code + new (0: none yet); then per class, how many of its engineers are placed.
    codes = {t: n for n, t in enumerate(sorted({t for t in team.values() if t}), start=1)}
    held_at = [12 * g for g in range(groups)]
    count_at = [[12 * (groups + offset[g] + k) for k in range(len(kinds[g]))] for g in range(groups)]
    frontier: dict[int, int] = {0: 0}
    back: list[dict[int, tuple[int, int]]] = []
    spent = 0
    for (g, p), conflict in zip(order, conflicts, strict=True):
        nxt: dict[int, int] = {}
        step: dict[int, tuple[int, int]] = {}
        here = participants[g][p]
        original = codes.get(team[here] or "", 0)
        if here in locked:
            choices = [(-1, codes.get(team[here] or "", 0), newness[here])]
        else:
            choices = [(k, codes.get(kinds[g][k][1], 0), kinds[g][k][0]) for k in range(len(kinds[g]))]
        spent += len(frontier) * len(choices)
        if spent > budget:
            return None
        others = [held_at[h] for h in conflict]
        options = []
        for k, code, new in choices:
            base = ((sizes[g] - 1 - p) * w_courtesy + fixed[g][p] * w_pair if new else 0) + (code != original)
            if code:
                base += sum(1 for t in previous_teams[g][p] if codes.get(t) == code) * w_team
            options.append((k, code, new, base, 1 + 2 * code + new,
                            count_at[g][k] if k >= 0 else 0, needs[g][k] if k >= 0 else []))
        clear = ~(0xFFF << held_at[g])
        for state, cost in frontier.items():
            seen = [(state >> at) & 0xFFF for at in others]
            for k, code, new, base, mark, at, need in options:
                if k >= 0:
                    c = (state >> at) & 0xFFF
                    if c >= len(need) or need[c] > p:
                        continue
                    ns = state + (1 << at)
                else:
                    ns = state
                nc = cost + base
                for x in seen:
                    if x:
                        if new and (x - 1) & 1:
                            nc += w_pair
                        if code and (x - 1) >> 1 == code:
                            nc += w_team
                ns = (ns & clear) | (mark << held_at[g])
                if nc < nxt.get(ns, nc + 1):
                    nxt[ns], step[ns] = nc, (state, k)
        back.append(step)
        frontier = nxt
    state = min(frontier, key=lambda s: (frontier[s], s))
    chosen: list[dict[int, list[int]]] = [{} for _ in range(groups)]
    for (g, p), step in zip(reversed(order), reversed(back), strict=True):
        state, k = step[state]
        if k >= 0:
            chosen[g].setdefault(k, []).append(p)
    out: list[tuple[str, ...]] = []
    for g, group in enumerate(participants):
        placed = {p: u for p, u in enumerate(group) if u in locked}
        for k, positions in chosen[g].items():
            who = assign_class(positions, [_person(u) for u in members[g][k]], thresholds, {})
            placed.update({p: e.email for p, e in who.items()})
        out.append(tuple(placed[p] for p in range(len(group))))
    return out


def _person(email: str) -> Engineer:
    """A stand-in `Engineer` for `assign_class`, which reads only the email (thresholds are by email)."""
    return Engineer(email, email, "UTC", date.min)


def _teams_repair(participants: Sequence[tuple[str, ...]], slots: Sequence[Sequence[Slot]],
                  newness: Mapping[str, bool], thresholds: Mapping[str, int], locked: frozenset[str],
                  previous_teams: Sequence[Sequence[tuple[str, ...]]],
                  team: Mapping[str, str | None]) -> list[tuple[str, ...]]:
    """[R13] Beyond the exact search: walk the round in time order; where a position's team meets the same
    team in another seat, swap its engineer with the nearest one of the same class (new or not) that can
    take it (R6) and lowers the same-team pairs of both positions. Linear in the roster size."""
    groups = [list(group) for group in participants]
    neighbours: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for g, p, h, q in overlap_edges(slots):
        neighbours.setdefault((g, p), []).append((h, q))
        neighbours.setdefault((h, q), []).append((g, p))

    def clash(g: int, p: int, u: str) -> int:
        t = team[u]
        if not t:
            return 0
        return (sum(1 for h, q in neighbours.get((g, p), ()) if team[groups[h][q]] == t)
                + previous_teams[g][p].count(t))

    def improve(g: int, p: int) -> bool:
        order = groups[g]
        u = order[p]
        for d in range(1, TEAM_WINDOW + 1):
            for r in (p + d, p - d):
                if not 0 <= r < len(order):
                    continue
                v = order[r]
                if v in locked or newness[v] != newness[u] or team[v] == team[u]:
                    continue
                if thresholds.get(u, 0) > r or thresholds.get(v, 0) > p:
                    continue
                before = clash(g, p, u) + clash(g, r, v)
                order[p], order[r] = v, u
                if clash(g, p, v) + clash(g, r, u) < before:
                    return True
                order[p], order[r] = u, v
        return False

    # Every swap lowers the count, so the passes end; a few are enough in practice.
    for _ in range(TEAM_PASSES):
        changed = False
        for g, p in time_order(slots):
            u = groups[g][p]
            if u not in locked and clash(g, p, u) and improve(g, p):
                changed = True
        if not changed:
            break
    return [tuple(order) for order in groups]


def team_pairs(plan: Plan, by_email: Mapping[str, Engineer], previous: Sequence[Shift] = (),
               settings: RoundSettings = RoundSettings()) -> list[tuple[Shift | None, Pair]]:
    """[R13] The overlaps of the plan (and of its first shifts with the previous round's last ones in
    another seat) whose two engineers belong to one team."""
    out: list[tuple[Shift | None, Pair]] = [
        (None, p) for p in plan.pairs if rules.same_team(by_email.get(p.a or ""), by_email.get(p.b or ""))]
    firsts = {s.rotation: s for s in sorted(plan.shifts, key=lambda s: s.start, reverse=True)}
    for old in previous:
        for s in firsts.values():
            if (s.start < old.end and old.start < s.end
                    and rules.group_of(old.rotation, settings) != rules.group_of(s.rotation, settings)
                    and rules.same_team(by_email.get(old.user or ""), by_email.get(s.user or ""))):
                pair = Pair(old.user, s.user, max(s.start, old.start), min(s.end, old.end), old.rotation,
                            s.rotation)
                out.append((old, pair))
    return out


def _with_fairness_warnings(plan: Plan, recency: Mapping[str, datetime], previous: Sequence[Shift],
                            by_email: Mapping[str, Engineer], settings: RoundSettings,
                            teams_exact: bool) -> Plan:
    """[R12] Warn about whoever still starts less than half a round after their last shift (unless R11
    already did); [R13] about every same-team pair left."""
    issues: list[Violation] = []
    sizes = {r.name: len(r.participants) for r in plan.rotations}
    warned = {s for v in plan.violations if v.rule == "R11" for s in v.subjects}
    seen: set[str] = set()
    for s in plan.shifts:
        if s.user is None or s.user in seen:
            continue
        seen.add(s.user)
        ended = recency.get(s.user)
        if ended is None or s.user in warned or rules.keeps_recency(ended, s.start, sizes[s.rotation]):
            continue
        text = rules.describe_recency(s.user, s.rotation, ended, s.start, sizes[s.rotation])
        issues.append(Violation("R12", f"{text}; no order of the round avoids it", (s.user,), s.start, s.end))
    if settings.avoid_same_team:
        caveat = "no order of the round avoids it" if teams_exact else (
            "the search was not exhaustive, so a better order may exist")
        for old, pair in team_pairs(plan, by_email, previous, settings):
            team = by_email[pair.a or ""].team
            where = " (previous round)" if old is not None else ""
            issues.append(Violation("R13", f"{pair.a} ({pair.rotation_a}{where}) and {pair.b} "
                                    f"({pair.rotation_b}) of team {team} are on call together from "
                                    f"{_fmt(pair.start)} to {_fmt(pair.end)}; {caveat}",
                                    (pair.a or "", pair.b or ""), pair.start, pair.end))
    if not issues:
        return plan
    return replace(plan, warnings=(*plan.warnings, *(str(v) for v in issues)),
                   violations=(*plan.violations, *issues))
