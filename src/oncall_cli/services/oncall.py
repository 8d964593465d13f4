"""Who is on call, my shifts, and the #incidents topic: the team's most-used reads.

Latency is the design constraint. Opsgenie's on-calls endpoint names users but not rotations, so each
schedule is read with ONE timeline call for a window around the instant asked about (addressed by name, so
no schedule look-up first); that window gives every rotation's current and next shift and, with `--me`,
my shifts. Schedules are read concurrently, then the people found are read concurrently for their time
zones: the whole command costs about two round trips, whatever the number of schedules.

The timeline is Opsgenie's own effective rota (overrides applied). Its periods are clipped to the window,
which starts a week before the instant asked about: a shift that began earlier shows that as its start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from oncall_cli.errors import ConfigError, NotFoundError, UsageError
from oncall_cli.scheduling.model import Engineer, Shift, zone
from oncall_cli.services.context import Context
from oncall_cli.services.ports import ScheduleStore

T = TypeVar("T")
R = TypeVar("R")

LOOKBACK = timedelta(weeks=1)
"""How far before the instant asked about the timeline starts (the visible start of a current shift)."""
NEXT_HORIZON = timedelta(weeks=5)
"""How far ahead the timeline reaches for the next shift of every rotation (weekly rotations, length ≤ 4)."""
ME_HORIZON = timedelta(weeks=13)
"""How far ahead `whoisoncall --me` looks for my shifts (`oncall shifts --weeks N` looks further)."""
MAX_WORKERS = 16
MAX_WEEKS = 52

TOPIC_MARKER = "on call:"
TOPIC_SEPARATOR = " | "
TOPIC_MAX = 250


def pool_map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`fn` over `items` concurrently (one thread each, up to MAX_WORKERS), results in order."""
    if len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(items))) as pool:
        return list(pool.map(fn, items))


def require_me(context: Context, flag: str) -> str:
    """The `me` setting (my username on the on-call service), or a ConfigError naming the `flag` that needs
    it and saying how to set it."""
    me = context.settings.text("me").strip()
    if not me:
        raise ConfigError(
            f"{flag} needs the `me` setting (your username, an email), which is not set",
            hint=f"Set it once: `{context.settings.command('config set me you@example.com')}`.",
        )
    return me


# ---- output models (the --json contract, documented in docs/oncall.md) --------------------------------


@dataclass(frozen=True)
class Person:
    """An engineer as shown: username (email), name, time zone and their local time at the instant asked."""

    user: str
    name: str
    timezone: str
    local_time: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "name": self.name,
            "timezone": self.timezone,
            "local_time": self.local_time.isoformat(),
        }


@dataclass(frozen=True)
class Duty:
    """One shift of one rotation: who (None: the `none` placeholder), from when, until when."""

    person: Person | None
    start: datetime
    end: datetime
    override: bool

    def to_dict(self) -> dict[str, Any]:
        base = (
            self.person.to_dict()
            if self.person
            else {"user": None, "name": None, "timezone": None, "local_time": None}
        )
        return {
            **base,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "override": self.override,
        }


@dataclass(frozen=True)
class RotationDuty:
    rotation: str
    on_call: Duty | None
    next: Duty | None


@dataclass(frozen=True)
class ScheduleDuty:
    schedule: str
    rotations: tuple[RotationDuty, ...]


@dataclass(frozen=True)
class MyShift:
    schedule: str
    rotation: str
    start: datetime
    end: datetime
    override: bool
    local_start: datetime
    local_end: datetime
    partners: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "schedule": self.schedule,
            "rotation": self.rotation,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "local_start": self.local_start.isoformat(),
            "local_end": self.local_end.isoformat(),
            "override": self.override,
            "partners": list(self.partners),
        }


@dataclass(frozen=True)
class TopicChange:
    """What `--update-topic` did (or, with --dry-run, would do)."""

    channel: str
    channel_id: str
    old_topic: str
    new_topic: str
    changed: bool
    dry_run: bool
    mentions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "channel_id": self.channel_id,
            "old_topic": self.old_topic,
            "new_topic": self.new_topic,
            "changed": self.changed,
            "dry_run": self.dry_run,
            "mentions": list(self.mentions),
        }


@dataclass(frozen=True)
class WhoIsOnCall:
    at: datetime
    timezone: str
    schedules: tuple[ScheduleDuty, ...]
    with_next: bool = False
    me: str | None = None
    my_shifts: tuple[MyShift, ...] | None = None
    topic: TopicChange | None = None
    warnings: tuple[str, ...] = ()

    @property
    def on_call_users(self) -> list[str]:
        """Everyone on call at the instant, once each, in schedule and rotation order."""
        users: list[str] = []
        for schedule in self.schedules:
            for rotation in schedule.rotations:
                person = rotation.on_call.person if rotation.on_call else None
                if person is not None and person.user not in users:
                    users.append(person.user)
        return users

    def to_dict(self) -> dict[str, Any]:
        schedules = []
        for schedule in self.schedules:
            rotations = []
            for r in schedule.rotations:
                row: dict[str, Any] = {
                    "rotation": r.rotation,
                    "on_call": r.on_call.to_dict() if r.on_call else None,
                }
                if self.with_next:
                    row["next"] = r.next.to_dict() if r.next else None
                rotations.append(row)
            schedules.append({"schedule": schedule.schedule, "rotations": rotations})
        out: dict[str, Any] = {"at": self.at.isoformat(), "timezone": self.timezone, "schedules": schedules}
        if self.my_shifts is not None:
            out["me"] = self.me
            out["my_shifts"] = [s.to_dict() for s in self.my_shifts]
        if self.topic is not None:
            out["topic"] = self.topic.to_dict()
        out["warnings"] = list(self.warnings)
        return out


@dataclass(frozen=True)
class Shifts:
    """`oncall shifts`: someone's shifts overlapping [start, end)."""

    user: str
    name: str
    timezone: str
    start: datetime
    end: datetime
    schedules: tuple[str, ...]
    shifts: tuple[MyShift, ...]
    ics: str | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "name": self.name,
            "timezone": self.timezone,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "schedules": list(self.schedules),
            "shifts": [s.to_dict() for s in self.shifts],
            "ics": self.ics,
            "warnings": list(self.warnings),
        }


# ---- pure helpers ---------------------------------------------------------------------------------------


def merge_shifts(shifts: Iterable[Shift]) -> list[Shift]:
    """Join back-to-back periods of one rotation held by the same person (the timeline splits them at
    override edges and week boundaries): "when does my shift end" means when I stop being on call."""
    by_rotation: dict[str, list[Shift]] = {}
    for shift in sorted(shifts, key=lambda s: (s.rotation, s.start)):
        run = by_rotation.setdefault(shift.rotation, [])
        if run and run[-1].user == shift.user and run[-1].end >= shift.start:
            last = run[-1]
            run[-1] = replace(last, end=max(last.end, shift.end), override=last.override or shift.override)
        else:
            run.append(shift)
    return sorted((s for run in by_rotation.values() for s in run), key=lambda s: (s.start, s.rotation))


def current_and_next(
    shifts: Sequence[Shift], rotation: str, at: datetime
) -> tuple[Shift | None, Shift | None]:
    """The merged shift of `rotation` covering `at`, and the one after it (after `at` if none covers it)."""
    mine = sorted((s for s in shifts if s.rotation == rotation), key=lambda s: s.start)
    current = next((s for s in mine if s.start <= at < s.end), None)
    after = current.end if current is not None else at
    upcoming = next((s for s in mine if s.start >= after and s is not current), None)
    return current, upcoming


def rotation_order(shifts: Iterable[Shift]) -> list[str]:
    """Rotation names in the order the timeline gives them (first appearance)."""
    return list(dict.fromkeys(s.rotation for s in shifts))


def partners_of(shift: Shift, others: Iterable[Shift]) -> tuple[str, ...]:
    """Who else (another rotation) is on call at some point during `shift`."""
    names = [
        o.user
        for o in others
        if o.rotation != shift.rotation
        and o.user
        and o.user != shift.user
        and o.start < shift.end
        and shift.start < o.end
    ]
    return tuple(dict.fromkeys(n for n in names if n))


def on_call_topic(current: str, people: Sequence[str], *, limit: int = TOPIC_MAX) -> str:
    """The channel topic with our segment `on call: <@U1> <@U2>` set, the rest of the text kept.

    Segments are separated by " | ". The first segment starting with "on call:" (any case) is replaced
    and any other such segment dropped; without one, ours is appended. When the result would pass Slack's
    250 characters, the other text is shortened (never our mentions, which must stay whole).
    """
    from oncall_cli.clients.slack import truncate_text

    segment = f"{TOPIC_MARKER} {' '.join(people) if people else 'nobody'}"
    segment = truncate_text(segment, limit)
    parts = [p for p in current.split(TOPIC_SEPARATOR)] if current.strip() else []
    ours = [i for i, p in enumerate(parts) if p.strip().lower().startswith(TOPIC_MARKER)]
    if ours:
        before = [p for i, p in enumerate(parts[: ours[0]]) if i not in ours]
        after = [p for i, p in enumerate(parts) if i > ours[0] and i not in ours]
    else:
        before, after = parts, []
    before = [p for p in before if p.strip()]
    after = [p for p in after if p.strip()]
    topic = TOPIC_SEPARATOR.join([*before, segment, *after])
    if len(topic) <= limit:
        return topic
    # Too long: keep our segment whole and cut the rest of the text to fit around it.
    rest = TOPIC_SEPARATOR.join([*before, *after])
    room = limit - len(segment) - len(TOPIC_SEPARATOR)
    if room < 2:
        return segment
    return truncate_text(rest, room) + TOPIC_SEPARATOR + segment


# ---- use cases ------------------------------------------------------------------------------------------


def read_timelines(
    context: Context, names: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[Shift]]:
    backends = [context.schedule_store(name) for name in names]

    def read(backend: ScheduleStore) -> list[Shift]:
        try:
            return merge_shifts(backend.timeline(start, end))
        except NotFoundError as exc:
            setting = "jsm.schedule" if context.settings.backend == "jsm" else "opsgenie.schedule"
            raise NotFoundError(
                f"no {backend.service} schedule named {backend.schedule_name!r}",
                hint=f"Check the name (--schedule, or the {setting} setting).",
                details=exc.details,
            ) from exc

    return dict(zip(names, pool_map(read, backends), strict=True))


def read_people(context: Context, usernames: Iterable[str]) -> tuple[dict[str, Engineer], list[str]]:
    """Each user's record (time zone, name), concurrently; unknown users fall back to the profile zone."""
    directory = context.directory
    unique = list(dict.fromkeys(u for u in usernames if u))
    fallback = context.settings.text("timezone")

    def read(username: str) -> tuple[Engineer, str | None]:
        try:
            return directory.get(username), None
        except NotFoundError:
            unknown = Engineer(
                email=username, name=username, timezone=fallback, start_date=datetime.min.date()
            )
            return unknown, f"{username} is not a {directory.service} user; showing times in {fallback}"

    found = pool_map(read, unique)
    return {p.email: p for p, _ in found}, [w for _, w in found if w]


def _person(engineer: Engineer, at: datetime) -> Person:
    return Person(engineer.email, engineer.name, engineer.timezone, at.astimezone(zone(engineer.timezone)))


def _duty(shift: Shift | None, people: dict[str, Engineer], at: datetime) -> Duty | None:
    if shift is None:
        return None
    person = _person(people[shift.user], at) if shift.user else None
    return Duty(person, shift.start, shift.end, shift.override)


def _my_shifts(
    user: str, tz: str, shifts_by_schedule: dict[str, list[Shift]], start: datetime, end: datetime
) -> list[MyShift]:
    z = zone(tz)
    out = []
    for schedule, shifts in shifts_by_schedule.items():
        for shift in shifts:
            if shift.user == user and shift.end > start and shift.start < end:
                out.append(
                    MyShift(
                        schedule,
                        shift.rotation,
                        shift.start,
                        shift.end,
                        shift.override,
                        shift.start.astimezone(z),
                        shift.end.astimezone(z),
                        partners_of(shift, shifts),
                    )
                )
    return sorted(out, key=lambda s: (s.start, s.schedule, s.rotation))


def who_is_on_call(
    context: Context,
    *,
    at: datetime | None = None,
    schedules: Sequence[str] = (),
    with_next: bool = False,
    me: bool = False,
    update_topic: bool = False,
    dry_run: bool = False,
) -> WhoIsOnCall:
    """Who is on call at `at` (default now) in each schedule, per rotation, with local times.

    `with_next` adds who comes next per rotation; `me` lists my shifts in the next 13 weeks;
    `update_topic` sets the incidents channel topic to the people on call now (`dry_run`: only say how).
    """
    if update_topic and at is not None:
        raise UsageError("--update-topic sets the topic to who is on call now; it cannot be used with --at")
    tz = context.settings.text("timezone")
    when = (at or context.now()).astimezone(zone(tz))
    names = list(dict.fromkeys(schedules)) or [context.settings.schedule_name]
    my_name = require_me(context, "--me") if me else None
    horizon = max(NEXT_HORIZON, ME_HORIZON if me else NEXT_HORIZON)
    shifts = read_timelines(context, names, when - LOOKBACK, when + horizon)

    wanted: list[str] = [my_name] if my_name else []
    plan: list[tuple[str, list[tuple[str, Shift | None, Shift | None]]]] = []
    for name in names:
        rows = []
        for rotation in rotation_order(shifts[name]):
            current, upcoming = current_and_next(shifts[name], rotation, when)
            if not with_next:
                upcoming = None
            if current is None and upcoming is None:
                continue
            rows.append((rotation, current, upcoming))
            wanted.extend(s.user for s in (current, upcoming) if s is not None and s.user)
        plan.append((name, rows))
    people, warnings = read_people(context, wanted)

    duties = tuple(
        ScheduleDuty(
            name,
            tuple(
                RotationDuty(rotation, _duty(cur, people, when), _duty(nxt, people, when))
                for rotation, cur, nxt in rows
            ),
        )
        for name, rows in plan
    )
    result = WhoIsOnCall(
        at=when,
        timezone=tz,
        schedules=duties,
        with_next=with_next,
        me=my_name,
        my_shifts=(
            tuple(_my_shifts(my_name, people[my_name].timezone, shifts, when, when + ME_HORIZON))
            if my_name
            else None
        ),
        warnings=tuple(warnings),
    )
    if update_topic:
        topic, topic_warnings = set_on_call_topic(context, result.on_call_users, dry_run=dry_run)
        result = replace(result, topic=topic, warnings=(*result.warnings, *topic_warnings))
    return result


def set_on_call_topic(
    context: Context, users: Sequence[str], *, dry_run: bool = False
) -> tuple[TopicChange, list[str]]:
    """Set our `on call:` segment of the incidents channel topic; no write when it is already right."""
    from oncall_cli.services.slack_lookup import channel_id, users_by_email

    slack = context.slack
    channel = context.settings.text("slack.incidents_channel")
    cid = channel_id(slack, channel)
    found = users_by_email(slack, users)
    warnings = [
        f"{email} has no Slack account with that email; named without a mention" for email in found.missing
    ]
    mentions = tuple(f"<@{found.ids[u]}>" if u in found.ids else u for u in users)
    old = slack.conversations_info(channel=cid).topic
    old_topic = old.value if old is not None else ""
    new_topic = on_call_topic(old_topic, mentions)
    changed = new_topic != old_topic
    if changed and not dry_run:
        slack.conversations_set_topic(channel=cid, topic=new_topic)
    return TopicChange(channel.lstrip("#"), cid, old_topic, new_topic, changed, dry_run, mentions), warnings


def upcoming_shifts(
    context: Context,
    *,
    user: str | None = None,
    me: bool = False,
    weeks: int = 8,
    schedules: Sequence[str] = (),
    ics: Path | None = None,
) -> Shifts:
    """Someone's shifts from now for `weeks` weeks (a shift under way counts), optionally as iCalendar."""
    if user and me:
        raise UsageError("give either --user EMAIL or --me, not both")
    if not 1 <= weeks <= MAX_WEEKS:
        raise UsageError(f"--weeks must be between 1 and {MAX_WEEKS}, got {weeks}")
    if user is not None and "@" not in user:
        raise UsageError(f"--user: {user!r} is not an email (usernames are emails)")
    who = user or require_me(context, "--me")  # --me is the default without --user
    tz = context.settings.text("timezone")
    now = context.now().astimezone(zone(tz))
    end = now + timedelta(weeks=weeks)
    names = list(dict.fromkeys(schedules)) or [context.settings.schedule_name]
    directory = context.directory

    def read_user(_: None) -> Engineer:
        try:
            return directory.get(who)
        except NotFoundError as exc:
            raise NotFoundError(
                f"no {directory.service} user {who!r}",
                hint="Check the email (--user or `me`).",
                details=exc.details,
            ) from exc

    def read_timeline(name: str) -> list[Shift]:
        return read_timelines(context, [name], now - LOOKBACK, end)[name]

    # The user record and every schedule's timeline in one concurrent round trip.
    tasks: list[Callable[[], Any]] = [partial(read_user, None), *(partial(read_timeline, n) for n in names)]
    results = pool_map(lambda task: task(), tasks)
    engineer: Engineer = results[0]
    shifts = dict(zip(names, results[1:], strict=True))
    mine = _my_shifts(who, engineer.timezone, shifts, now, end)
    path: str | None = None
    if ics is not None:
        path = write_ics(
            ics,
            who,
            engineer.timezone,
            [s for name in names for s in shifts[name] if s.user == who and s.end > now and s.start < end],
        )
    return Shifts(who, engineer.name, engineer.timezone, now, end, tuple(names), tuple(mine), path)


def write_ics(path: Path, user: str, tz: str, shifts: Sequence[Shift]) -> str:
    """Write the shifts as an iCalendar file (stable UIDs: importing again updates, never duplicates)."""
    from oncall_cli.scheduling.calendar import shifts_to_ics

    data = shifts_to_ics(shifts, calendar_name=f"On call: {user}", tz=tz)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"--ics: cannot write {path}: {exc.strerror}") from exc
    return str(path)


__all__ = [
    "Duty",
    "MyShift",
    "Person",
    "RotationDuty",
    "ScheduleDuty",
    "Shifts",
    "TopicChange",
    "WhoIsOnCall",
    "current_and_next",
    "merge_shifts",
    "on_call_topic",
    "set_on_call_topic",
    "upcoming_shifts",
    "who_is_on_call",
]


def schedule_web_url(context: Context, schedule: str | None = None) -> str:
    """The schedule's page for people (`whoisoncall --web`): Opsgenie's who-is-on-call view of it, or the
    JSM on-call page of the Jira site."""
    from urllib.parse import quote

    settings = context.settings
    name = schedule or settings.effective("opsgenie.schedule")
    if settings.backend == "jsm":
        return f"{settings.text('jira.url').rstrip('/')}/jira/ops/on-call?schedule={quote(str(name))}"
    from oncall_cli.config import opsgenie_web_base

    return f"{opsgenie_web_base(settings.opsgenie_url)}/schedule/whoIsOnCall?name={quote(str(name))}"
