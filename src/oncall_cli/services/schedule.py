"""Schedule use cases: plan the next round, create it in Opsgenie, show, check and export the schedule.

The shell gathers inputs (roster or Opsgenie team, current rotations, the clock, a seeded rng), the
scheduling core returns a plan and a diff, and only `apply_round` writes. Re-running `--apply` is safe:
rotations that exist are never created again, and a half-applied round finishes on the next run.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import tomli

from oncall_cli.errors import OncallError, PartialError, UsageError
from oncall_cli.scheduling import rules
from oncall_cli.scheduling.check import CHECKED_RULES, check_schedule
from oncall_cli.scheduling.diff import Action, RoundDiff, round_actions
from oncall_cli.scheduling.model import (
    GROUP_LETTERS,
    Engineer,
    Override,
    Plan,
    Rotation,
    RoundSettings,
    Shift,
    Violation,
    zone,
)
from oncall_cli.scheduling.planner import plan_round, recency_of
from oncall_cli.scheduling.roster import parse_roster
from oncall_cli.scheduling.timeline import timeline
from oncall_cli.services.context import Context
from oncall_cli.services.ports import ScheduleStore
from oncall_cli.services.rounds import round_settings

if TYPE_CHECKING:
    from concurrent.futures import Future


def load_roster(path: Path) -> list[Engineer]:
    """Read a roster TOML file; every problem names the file (and the entry and field)."""
    try:
        # tomli is tomllib compiled (mypyc): the same parser, the same errors, ~4x faster on a large roster.
        data = tomli.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--roster: no such file {path}") from None
    except OSError as exc:
        raise UsageError(f"--roster: cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"--roster: {path} is not a UTF-8 text file (byte {exc.start}); a roster is TOML",
            hint="See examples/roster.toml for the format.",
        ) from None
    except tomli.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from exc
    return parse_roster(data, str(path))


@dataclass
class RoundInputs:
    """Everything the planner was given, kept so `--apply` diffs against the same schedule it planned on."""

    plan: Plan
    engineers: list[Engineer] = field(default_factory=list)
    new: frozenset[str] = frozenset()
    current: list[Rotation] = field(default_factory=list)
    overrides: list[Override] = field(default_factory=list)
    settings: RoundSettings = field(default_factory=RoundSettings)


@dataclass(frozen=True)
class RoundResult:
    plan: Plan
    diff: RoundDiff | None
    applied: tuple[str, ...] = ()
    announced: str = "skipped"
    """"posted" now, "already_posted" by an earlier run (found in the channel), or "skipped"."""
    announcement: str = ""
    dry_run: bool = True
    gate: tuple[Violation, ...] = ()
    """[R1] In a dry run, what the gate finds (the gaps and double bookings the round would introduce):
    `--apply` refuses the round (exit 9) when there are any."""


def plan_new_round(
    context: Context,
    *,
    split: int = 2,
    roster: Path | None = None,
    start: date | None = None,
    seed: int | None = None,
    randomize: bool = True,
) -> RoundInputs:
    """Plan the next round from a roster file or the Opsgenie team, continuing the current rotations.

    [R8] Each seat's new rotation starts when the round of the rotation carrying that seat now ends, so
    the command works round after round: after `rot-a-next` has taken over, the following round is
    planned from it (and named after its first day, as `rot-a-next` is taken).
    """
    settings = round_settings(context.settings)
    rules.check_split(split)
    now = context.now()
    today = now.astimezone(zone(settings.timezone)).date()
    engineers = load_roster(roster) if roster is not None else None
    offline = engineers is not None and start is not None
    backend: ScheduleStore | None = None if offline else context.schedule_store()
    current: list[Rotation] = []
    overrides: list[Override] = []
    if backend is not None:
        from oncall_cli.services.gather import gather

        # The rotations, the overrides and the team at once (one round trip, not three).
        reads = [backend.rotations, backend.overrides]
        current, overrides, *team = gather(*reads, *([context.directory.team] if engineers is None else []))
        engineers = team[0] if team else engineers
    assert engineers is not None
    carrying = _carrying(current, now, settings)
    if start is not None:
        starts = rules.starts_from_date(start, settings, split)
    elif carrying:
        starts = rules.next_round_starts(list(carrying.values()), now, settings, split)
    else:
        starts = rules.starts_from_date(rules.default_monday(today), settings, split)
    previous: Sequence[Shift] = ()
    current_participants: frozenset[str] | None = None
    last_on_call: dict[str, datetime] = {}
    if carrying:
        # [R7] The previous round's last shifts, up to each seat's own new start (seats start on different
        # days, so the old A rotation still overlaps the new B rotation's first shift).
        # [R11] ... and far enough back to see everyone's last shift within `min_gap_weeks` of the new round.
        ending = [_ended_at(r, starts, settings) for r in carrying.values()]
        back = max(timedelta(days=14), timedelta(weeks=settings.min_gap_weeks + 1))
        previous = timeline(ending, overrides, min(starts) - back, max(starts), settings.timezone)
        current_participants = rules.current_participants(current, now, settings)
        last_on_call = _last_on_call(current, carrying, overrides, starts, settings)
    rng = None
    if randomize:
        rng = random.Random(seed) if seed is not None else context.deps.rng
    plan = plan_round(
        engineers,
        settings,
        split=split,
        starts=starts,
        today=today,
        rng=rng,
        previous=previous,
        current_participants=current_participants,
        last_on_call=last_on_call,
    )
    plan = _renamed(plan, _round_names(plan, current, now, settings.next_suffix))
    round_day = min(starts).date()
    new = frozenset(e.email for e in engineers if rules.is_new(e, round_day, settings, current_participants))
    return RoundInputs(
        plan=plan, engineers=list(engineers), new=new, current=current, overrides=overrides, settings=settings
    )


def _carrying(rotations: Sequence[Rotation], now: datetime, settings: RoundSettings) -> dict[str, Rotation]:
    """Per seat, the regular rotation that carries it now; else the next one to (a paused seat, holidays)."""
    return rules.carrying_rotations(rotations, now, settings)


def _last_on_call(
    current: Sequence[Rotation],
    carrying: Mapping[str, Rotation],
    overrides: Sequence[Override],
    starts: Sequence[datetime],
    settings: RoundSettings,
) -> dict[str, datetime]:
    """[R12] When each engineer's last shift ended before the new round, over the whole previous round (the
    longest rotation carrying a seat, plus a week), on every rotation that started before it (holiday
    shifts are on call too) and with overrides applied: who really held it."""
    ending = {r.name: _ended_at(r, starts, settings) for r in carrying.values()}
    # Rotations starting with the new round or later (this round, applied by an earlier run) are not history:
    # a re-run must plan the same round.
    rotations = [ending.get(r.name, r) for r in current if r.start < min(starts)]
    weeks = max((len(r.participants) for r in carrying.values()), default=0) + 1
    begin = min(starts) - timedelta(weeks=max(weeks, settings.min_gap_weeks + 1))
    return recency_of(timeline(rotations, overrides, begin, max(starts), settings.timezone))


def _round_names(plan: Plan, current: Sequence[Rotation], now: datetime, suffix: str) -> dict[str, str]:
    """`rot-a-next` unless a rotation of that name already started: then `rot-a-<first day>`."""
    by_name = {r.name: r for r in current}
    names = {}
    for planned in plan.rotations:
        taken = by_name.get(planned.name)
        if taken is not None and taken.start <= now:
            base = planned.name.removesuffix(suffix)
            names[planned.name] = f"{base}-{planned.start.date().isoformat()}"
    return names


def _renamed(plan: Plan, names: Mapping[str, str]) -> Plan:
    """The same plan with some rotations renamed (shifts and pairs follow)."""
    if not names:
        return plan

    def rename(name: str) -> str:
        return names.get(name, name)

    return replace(
        plan,
        rotations=tuple(replace(r, name=rename(r.name)) for r in plan.rotations),
        shifts=tuple(replace(s, rotation=rename(s.rotation)) for s in plan.shifts),
        pairs=tuple(
            replace(p, rotation_a=rename(p.rotation_a), rotation_b=rename(p.rotation_b)) for p in plan.pairs
        ),
    )


def _ended_at(rotation: Rotation, starts: Sequence[datetime], settings: RoundSettings) -> Rotation:
    """The running rotation as it will be once the new round starts: ended at its seat's new start (a seat
    the new round does not have, with a smaller --split, ends when the round begins)."""
    group = rules.group_of(rotation.name, settings)
    if group is None:
        return rotation
    index = GROUP_LETTERS.index(group)
    end = starts[index] if index < len(starts) else min(starts)
    if rotation.end is None or rotation.end > end:
        return replace(rotation, end=end)
    return rotation


def announcement_text(team: str, plan: Plan) -> str:
    """The playbook's announcement, with each new rotation's first day."""
    firsts = ", ".join(f"{r.name} from {r.start.strftime('%a %b %-d %H:%M %Z')}" for r in plan.rotations)
    return (
        f"The upcoming {team} On-Call rotations are up ({firsts}). "
        "Please take some time to review the schedule and trade shifts as needed."
    )


def apply_round(
    context: Context, inputs: RoundInputs, *, announce: bool = True, dry_run: bool = False
) -> RoundResult:
    """Create the planned rotations and end the current ones at their start; then announce it in Slack."""
    plan = inputs.plan
    begins = min((r.start for r in plan.rotations), default=None)
    if begins is not None and begins < context.now():
        raise UsageError(
            f"--start: the round would begin {begins.isoformat()}, in the past; "
            "applying it would rewrite who is (and was) on call",
            hint="Pick a Monday after today, or leave out --start to continue the current rotations.",
        )
    diff = round_actions(inputs.current, plan.rotations, inputs.settings)
    text = announcement_text(context.settings.team_name, plan)
    if dry_run:
        gate = tuple(round_gate(context, inputs, diff))
        return RoundResult(plan, diff, announcement=text if announce else "", dry_run=True, gate=gate)
    _refuse_rejected_round(context, inputs, diff)
    backend = context.schedule_store()
    # Announce only a round that matches the plan; a repeat run finds the message and does not post twice.
    # Where to post and whether it is there already are read while the rotations are written.
    announcing = announce and not diff.differences
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="oncall-announce") as pool:
        found = pool.submit(_announced, context, text) if announcing else None
        done = _apply_actions(backend, diff.actions)
        announced = _announce(context, text, done, found) if found is not None else "skipped"
    return RoundResult(plan, diff, tuple(done), announced, text if announce else "", dry_run=False)


def _apply_actions(backend: ScheduleStore, actions: Sequence[Action]) -> list[str]:
    """The new rotations at once, then (only when they all exist) the current ones ended, at once. A failure
    is PartialError listing what was done and what not: the same command again finishes the rest."""
    done: list[str] = []
    for wave in ([a for a in actions if a.kind == "create_rotation"],
                 [a for a in actions if a.kind != "create_rotation"]):
        outcomes = _attempt_all(backend, wave)
        done += [a.describe() for a, error in zip(wave, outcomes, strict=True) if error is None]
        failed = [(a, error) for a, error in zip(wave, outcomes, strict=True) if error is not None]
        if failed:
            action, exc = failed[0]
            not_done = [a.describe() for a in actions if a.describe() not in done]
            raise PartialError(
                f"creating the round stopped at: {action.describe()}: {exc.message}",
                hint="Fix the cause and run the same `oncall schedule new --apply` again: it finishes the "
                "remaining steps and never creates a rotation twice.",
                details={"done": done, "not_done": not_done},
            ) from exc
    return done


def _attempt_all(backend: ScheduleStore, actions: Sequence[Action]) -> list[OncallError | None]:
    """Perform every action concurrently; for each, its error or None."""
    from oncall_cli.services.gather import gather

    def attempt(action: Action) -> OncallError | None:
        try:
            _perform(backend, action)
        except OncallError as exc:
            return exc
        return None

    return gather(*[lambda action=action: attempt(action) for action in actions])


def rotations_after(current: Sequence[Rotation], diff: RoundDiff) -> list[Rotation]:
    """The schedule's rotations once the diff's actions are done."""
    after = list(current)
    for action in diff.actions:
        if action.kind == "create_rotation":
            assert action.start is not None
            after.append(
                Rotation(action.rotation, action.start, action.participants, action.type, action.length)
            )
        else:
            after = [replace(r, end=action.end) if r.name == action.rotation else r for r in after]
    return after


def _refuse_rejected_round(context: Context, inputs: RoundInputs, diff: RoundDiff) -> None:
    """A round whose own check finds what a hard rule forbids (`check.HARD_RULES`: a gap or a double
    booking in the seats the round keeps [R1], the split [R3], the 60 days [R6]) that the schedule does not
    have already is never applied: exit 9, nothing changed."""
    from oncall_cli.services.gate import refuse_rejected_plan

    refuse_rejected_plan(
        "the new round",
        round_gate(context, inputs, diff),
        inputs.settings.timezone,
        "Start the round when the current rotations end (leave out --start), or fix the schedule first; "
        "run it without --apply to see the plan.",
    )


def round_gate(context: Context, inputs: RoundInputs, diff: RoundDiff) -> list[Violation]:
    """The hard rules' findings (`check.HARD_RULES`) that applying the round would introduce: what the gate
    refuses it for. The best-effort ones the planner has warned about already."""
    from oncall_cli.scheduling.check import hard, introduced_violations

    if not diff.actions:
        return []
    settings = inputs.settings
    now = context.now()
    last = max((r.start for r in inputs.plan.rotations), default=now)
    horizon = max(last - now, timedelta(0)) + timedelta(weeks=12)
    # [R4] A smaller --split deliberately drops seats: only the seats the new round holds must stay held.
    groups = sorted({r.group for r in inputs.plan.rotations})
    return hard(
        introduced_violations(
            (inputs.current, inputs.overrides),
            (rotations_after(inputs.current, diff), inputs.overrides),
            inputs.engineers,
            settings,
            now,
            horizon,
            groups,
        )
    )


def _perform(backend: ScheduleStore, action: Action) -> None:
    if action.kind == "create_rotation":
        assert action.start is not None
        backend.create_rotation(
            Rotation(action.rotation, action.start, action.participants, action.type, action.length)
        )
    else:
        backend.update_rotation(action.rotation, end=action.end)


def _announced(context: Context, text: str) -> tuple[str, bool]:
    """The announce channel's id, and whether the announcement is there already."""
    from oncall_cli.services.slack_lookup import already_posted, channel_id

    channel = channel_id(context.slack, context.settings.text("slack.announce_channel"))
    return channel, already_posted(context.slack, channel, text) is not None


def _announce(context: Context, text: str, done: list[str], found: Future[tuple[str, bool]]) -> str:
    try:
        channel, posted = found.result()
        if posted:
            return "already_posted"
        context.slack.chat_post_message(channel=channel, text=text)
    except OncallError as exc:
        raise PartialError(
            f"the round was created but the Slack announcement failed: {exc.message}",
            hint="Run the same command again to post it (it is not posted twice), or use --no-announce.",
            details={"done": done, "not_done": ["announce in Slack"]},
        ) from exc
    return "posted"


@dataclass(frozen=True)
class ScheduleView:
    timezone: str
    start: datetime
    end: datetime
    shifts: tuple[Shift, ...]


def show(context: Context, *, weeks: int = 4, user: str | None = None, whole: bool = False) -> ScheduleView:
    """The effective on-call timeline (overrides applied) from now, as Opsgenie computes it.

    `whole` keeps every shift whole: the current one with its real start and the last ones with their real
    end (exports need that: a calendar event's UID and times must not change from one export to the next).
    """
    if weeks < 1 or weeks > 104:
        raise UsageError("--weeks must be between 1 and 104")
    backend = context.schedule_store()
    tz = zone(backend.timezone)
    now = context.now().astimezone(tz)
    end = now + timedelta(weeks=weeks)
    margin = timedelta(days=8) if whole else timedelta(0)
    shifts = [
        s
        for s in backend.timeline(now - margin, end + margin)
        if (user is None or s.user == user) and s.end > now and s.start < end
    ]
    return ScheduleView(backend.timezone, now, end, tuple(shifts))


@dataclass(frozen=True)
class CheckResult:
    start: datetime
    end: datetime
    violations: tuple[Violation, ...]
    rules: tuple[tuple[str, str], ...] = CHECKED_RULES
    """The rules judged (id, title): one test case each in `--format junit`."""


def check(context: Context, *, weeks: int = 12, roster: Path | None = None) -> CheckResult:
    """Lint the live schedule against the playbook's rules over the next `weeks`.

    People's records (time zones, start dates) come from Opsgenie, or from a roster file, which can also
    carry PTO and explicit `new` flags.
    """
    if weeks < 1 or weeks > 104:
        raise UsageError("--weeks must be between 1 and 104")
    settings = round_settings(context.settings)
    backend = context.schedule_store()
    rotations = backend.rotations()
    overrides = backend.overrides()
    engineers = load_roster(roster) if roster is not None else context.directory.team()
    now = context.now().astimezone(zone(settings.timezone))
    horizon = timedelta(weeks=weeks)
    found = check_schedule(rotations, overrides, engineers, settings, now, horizon)
    return CheckResult(now, now + horizon, tuple(found))


def check_annotations(result: CheckResult) -> str:
    """GitHub Actions workflow commands: one `::error` per violation, or one `::notice` when all is well.

    https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
    """
    if not result.violations:
        span = f"{result.start.isoformat(timespec='minutes')} to {result.end.isoformat(timespec='minutes')}"
        return f"::notice title=oncall schedule check::{_gh_data('no problems from ' + span)}\n"
    titles = dict(result.rules)
    lines = []
    for v in result.violations:
        title = f"{v.rule} {titles.get(v.rule, '')}".strip()
        lines.append(f"::error title={_gh_property(title)}::{_gh_data(f'[{v.rule}] {v.message}')}")
    return "\n".join(lines) + "\n"


def _gh_data(text: str) -> str:
    # The runner unescapes %25, %0D and %0A in a command's message (and %3A, %2C in its properties).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def check_junit(result: CheckResult) -> bytes:
    """JUnit XML: one test suite, one test case per rule judged, a `<failure>` listing its violations."""
    import xml.etree.ElementTree as ET

    failed = {rule for rule, _ in result.rules if any(v.rule == rule for v in result.violations)}
    suites = ET.Element("testsuites", name="oncall schedule check")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="oncall schedule check",
        tests=str(len(result.rules)),
        failures=str(len(failed)),
        errors="0",
        skipped="0",
        timestamp=result.start.isoformat(timespec="seconds"),
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="from", value=result.start.isoformat())
    ET.SubElement(props, "property", name="to", value=result.end.isoformat())
    for rule, title in result.rules:
        case = ET.SubElement(suite, "testcase", classname="oncall.schedule.check", name=f"{rule} {title}")
        mine = [v for v in result.violations if v.rule == rule]
        if mine:
            failure = ET.SubElement(
                case, "failure", type=rule, message=f"{len(mine)} violation(s) of {rule}: {mine[0].message}"
            )
            failure.text = "\n".join(f"[{v.rule}] {v.message}" for v in mine)
    ET.indent(suites)
    data: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"
    return data


def export(context: Context, *, fmt: str, user: str | None = None, weeks: int = 12) -> str:
    """The shifts as an iCalendar file or CSV, for the team calendar."""
    if fmt not in ("ics", "csv"):
        raise UsageError(f"--format must be ics or csv, not {fmt!r}")
    from oncall_cli.scheduling.calendar import shifts_to_csv, shifts_to_ics  # icalendar: export only

    view = show(context, weeks=weeks, user=user, whole=True)
    if fmt == "csv":
        return shifts_to_csv(view.shifts)
    name = f"{context.settings.team_name} on-call" + (f": {user}" if user else "")
    return shifts_to_ics(view.shifts, calendar_name=name, tz=view.timezone).decode("utf-8")
