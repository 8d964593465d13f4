"""The PagerDuty adapter: the schedule store and the people directory over the PagerDuty client.

With the incident adapter, the only modules above the client that import it or its wire models. PagerDuty's
specifics stop here:

- The team's schedule is one shift-based (v3) schedule named like it (`opsgenie.schedule`); all its
  rotations are on call at once, so the two seats are two of them, as on Opsgenie. A rotation is a v3
  rotation named by its event: `start_time` the first hand-off (turns count from it, in the schedule's
  zone, so hand-offs keep their wall-clock time across DST), one RRULE (`FREQ=WEEKLY|DAILY|HOURLY`,
  `INTERVAL` the length), rotating members in order, `effective_until` the end.
- The `none` placeholder is an `empty_member`: PagerDuty's own unassigned turn, nobody paged. It reads back
  as `none` (a shift whose user is None), so `schedule check` and `whoisoncall` report it as on every
  backend, and an override whose `overridden_member` is the empty member covers it.
- PagerDuty keeps the past: an event producing shifts may change only its `effective_until`, so any other
  change ends it now and continues in a new event with the same `start_time`.
- Overrides name their rotation and the member they replace (worked out from the events); the key is
  PagerDuty's override id.
- The timeline is PagerDuty's final schedule in one request (rotation, member, override per shift); who is
  on call now is one `GET /oncalls`. People are ids, mapped to emails with one paged `GET /users` per run.
  Start dates and managers have no place in PagerDuty: they come from the roster (`--roster`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from oncall_cli.errors import NotFoundError, RejectedError, UsageError
from oncall_cli.scheduling.model import Engineer, Override, Rotation, RoundSettings, Shift
from oncall_cli.scheduling.rules import group_of
from oncall_cli.scheduling.timeline import rotation_shifts, shift_start
from oncall_cli.services.backends._pagerduty_reach import reachable
from oncall_cli.services.ports import UNKNOWN_START

if TYPE_CHECKING:
    from oncall_cli.clients.pagerduty import PagerDutyClient
    from oncall_cli.clients.pagerduty_models import Event, ScheduleRotation, ScheduleV3, User

SERVICE = "PagerDuty"
TURN_SECONDS = {"weekly": 604800, "daily": 86400, "hourly": 3600}
MAX_MEMBERS = 20
"""PagerDuty's limit on an event's rotating members (`EventAssignmentStrategy.members`, maxItems)."""
OVERRIDES_BACK = timedelta(days=400)
OVERRIDES_AHEAD = timedelta(days=2 * 366)
"""The window of `overrides()`: PagerDuty lists overrides only between `since` and `until`."""


def _turn(rotation: Rotation) -> int:
    if rotation.type not in TURN_SECONDS:
        raise UsageError(f"unknown rotation type {rotation.type!r}")
    return TURN_SECONDS[rotation.type] * rotation.length


class PagerDutyDirectory:
    """PagerDuty users and the team's membership; start dates and managers come from the roster."""

    service = SERVICE
    creates_accounts = True
    keeps_start_dates = False
    facts_source = "the roster (--roster; PagerDuty keeps no start dates or managers)"

    def __init__(self, client: PagerDutyClient, *, team: str, fallback_tz: str) -> None:
        self.client = client
        self.team_name = team
        self.fallback_tz = fallback_tz
        self._users: dict[str, User] | None = None
        self._team_id: str | None = None

    # ---- ids and emails -----------------------------------------------------------------------------

    def _all(self) -> dict[str, User]:
        """Every user by id: one paged `GET /users` per run."""
        if self._users is None:
            with reachable(self.client):
                self._users = {u.id: u for u in self.client.list_users()}
        return self._users

    def email_of(self, user_id: str) -> str:
        """The user's email (the id itself for a user this run cannot see)."""
        user = self._all().get(user_id)
        return user.email if user is not None else user_id

    def id_of(self, email: str) -> str:
        """The user id of an email; NotFoundError naming the email."""
        user = self._find_user(email)
        if user is None:
            raise NotFoundError(
                f"no PagerDuty user {email}", hint="Check the email, or add them to PagerDuty."
            )
        return user.id

    def _find_user(self, email: str) -> User | None:
        wanted = email.lower()
        if self._users is not None:
            return next((u for u in self._users.values() if u.email.lower() == wanted), None)
        with reachable(self.client):
            found = self.client.list_users(query=email)
        return next((u for u in found if u.email.lower() == wanted), None)

    def _engineer(self, user: User) -> Engineer:
        return Engineer(
            email=user.email,
            name=user.name or user.email,
            timezone=user.time_zone or self.fallback_tz,
            start_date=UNKNOWN_START,
            manager=None,
        )

    @property
    def team_id(self) -> str:
        if self._team_id is None:
            with reachable(self.client):
                teams = self.client.list_teams(query=self.team_name)
            found = next((t for t in teams if t.name.lower() == self.team_name.lower()), None)
            if found is None:
                raise NotFoundError(
                    f"no PagerDuty team named {self.team_name!r}",
                    hint="Check the opsgenie.team setting (the team's name on every backend).",
                )
            self._team_id = found.id
        return self._team_id

    # ---- the port -----------------------------------------------------------------------------------

    def team(self) -> list[Engineer]:
        """The team's members in team order: `GET /teams/{id}/members`, records from the users read once."""
        users = self._all()
        members = self.client.list_team_members(team_id=self.team_id)
        return [self._engineer(users[m.user.id]) for m in members if m.user.id in users]

    def team_members(self) -> list[str]:
        return [self.email_of(m.user.id) for m in self.client.list_team_members(team_id=self.team_id)]

    def get(self, email: str) -> Engineer:
        user = self._find_user(email)
        if user is None:
            raise NotFoundError(
                f"no PagerDuty user {email}", hint="Check the email, or add them to PagerDuty."
            )
        return self._engineer(user)

    def find(self, email: str) -> Engineer | None:
        user = self._find_user(email)
        return None if user is None else self._engineer(user)

    def create(self, engineer: Engineer) -> None:
        """POST /users with the role `user`, acting as `pagerduty.from` (PagerDuty's `From`, an admin). The
        start date and manager stay in the roster: PagerDuty has no field for them."""
        try:
            user = self.client.create_user(
                name=engineer.name, email=engineer.email, time_zone=engineer.timezone
            )
        except RejectedError as exc:
            if "From" not in exc.message:
                raise
            raise RejectedError(
                f"pagerduty.from: PagerDuty refused {self.client.from_email!r} as the user who creates "
                f"{engineer.email} ({exc.message})",
                hint="Set pagerduty.from (or me) to the email of a PagerDuty admin of the account.",
                details=exc.details,
            ) from exc
        if self._users is not None:
            self._users[user.id] = user

    def set_start_date(self, email: str, start: date) -> None:
        """Nothing to write: PagerDuty keeps no start date (the roster is where it lives)."""
        self.id_of(email)

    def add_to_team(self, email: str) -> None:
        self.client.add_team_user(team_id=self.team_id, user_id=self.id_of(email), role="responder")

    def delete(self, email: str) -> None:
        user_id = self.id_of(email)
        self.client.delete_user(user_id=user_id)
        if self._users is not None:
            self._users.pop(user_id, None)

    def delete_action(self, email: str, *, question: bool = False) -> str:
        return f"Delete the PagerDuty user {email}" if question else f"delete PagerDuty user {email}"


class PagerDutySchedule:
    """The team's PagerDuty v3 (shift-based) schedule: a rotation is a v3 rotation, its events its rounds."""

    service = SERVICE

    def __init__(
        self,
        client: PagerDutyClient,
        people: PagerDutyDirectory,
        *,
        schedule: str,
        rounds: RoundSettings,
        now: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.people = people
        self.schedule_name = schedule
        self.rounds = rounds
        self.now = now
        self._schedule: ScheduleV3 | None = None
        self._schedule_id: str | None = None

    # ---- the schedule -------------------------------------------------------------------------------

    def _id(self) -> str:
        """The v3 schedule named like the team's schedule (`opsgenie.schedule`): `GET /v3/schedules?query=`,
        exact name, once per run."""
        if self._schedule_id is None:
            with reachable(self.client):
                found = self.client.list_schedules_v3(query=self.schedule_name)
            match = next((s for s in found if s.summary == self.schedule_name), None)
            if match is None:
                raise NotFoundError(
                    f"no PagerDuty schedule named {self.schedule_name!r} (a v3, shift-based schedule)",
                    hint="On PagerDuty the team's schedule is a shift-based (v3) schedule holding both "
                    "seats' rotations; check --schedule or opsgenie.schedule.",
                )
            self._schedule_id = match.id
        return self._schedule_id

    def _load(self, window: tuple[datetime, datetime] | None = None) -> ScheduleV3:
        """The schedule with its rotations and events (`GET /v3/schedules/{id}`), once per run; with a window,
        read again with the final schedule of that window."""
        if self._schedule is None or window is not None:
            schedule_id = self._id()
            with reachable(self.client):
                if window is None:
                    self._schedule = self.client.get_schedule_v3(schedule_id=schedule_id)
                else:
                    self._schedule = self.client.get_schedule_v3(
                        schedule_id=schedule_id, since=window[0], until=window[1]
                    )
        return self._schedule

    @property
    def timezone(self) -> str:
        return self._load().time_zone

    def _core(self, event: Event, tz: str) -> Rotation:
        """One event as the core's rotation: its name, its first hand-off (`start_time`, the RRULE's
        DTSTART, from which turns are counted), its turn and members in order (`empty_member`: `none`)."""
        kind, length = _recurrence(event.recurrence)
        per = event.assignment_strategy.shifts_per_member or 1
        z = ZoneInfo(tz)
        return Rotation(
            name=event.name,
            start=event.start_time.date_time.astimezone(z),
            participants=tuple(
                None if m.user is None else self.people.email_of(m.user)
                for m in event.assignment_strategy.members
            ),
            type=kind,
            length=length * per,
            end=event.effective_until.astimezone(z) if event.effective_until else None,
        )

    def _rotations(self) -> list[tuple[ScheduleRotation, Rotation]]:
        """Each v3 rotation with events, as the core's rotation of its latest event."""
        schedule = self._load()
        out = []
        for rotation in schedule.rotations:
            if rotation.events:
                last = max(rotation.events, key=lambda e: e.effective_since)
                out.append((rotation, self._core(last, schedule.time_zone)))
        return out

    def rotations(self) -> list[Rotation]:
        return [core for _, core in self._rotations()]

    def _rotation(self, name: str) -> tuple[ScheduleRotation, Event]:
        """The v3 rotation named `name` (its latest event's name) and that event."""
        for rotation, core in self._rotations():
            if core.name == name:
                return rotation, max(rotation.events, key=lambda e: e.effective_since)
        raise NotFoundError(
            f"no rotation {name!r} in schedule {self.schedule_name!r}",
            hint="List them with `oncall rotation list`.",
        )

    def _names(self) -> dict[str, str]:
        return {rotation.id: core.name for rotation, core in self._rotations()}

    def _turns(self, rotation_id: str, start: datetime, end: datetime) -> list[Shift]:
        """The turns of a v3 rotation in [start, end): each event's, from its `effective_since`."""
        schedule = self._load()
        found = next((r for r in schedule.rotations if r.id == rotation_id), None)
        out: list[Shift] = []
        for event in found.events if found is not None else []:
            since = max(start, event.effective_since)
            if since < end:
                out += rotation_shifts(self._core(event, schedule.time_zone), since, end, schedule.time_zone)
        return out

    # ---- reads --------------------------------------------------------------------------------------

    def overrides(self) -> list[Override]:
        """`GET /v3/schedules/{id}/overrides` (400 days back, two years ahead): each on its rotation, the
        person who takes it (None: an `empty_member`, nobody), its key PagerDuty's override id."""
        now = self.now()
        schedule = self._load()
        names = self._names()
        z = ZoneInfo(schedule.time_zone)
        out: list[Override] = []
        for o in self.client.list_overrides_v3(
            schedule_id=schedule.id, since=now - OVERRIDES_BACK, until=now + OVERRIDES_AHEAD
        ):
            user = o.overriding_member.user
            out.append(
                Override(
                    user=None if user is None else self.people.email_of(user),
                    start=o.start_time.astimezone(z),
                    end=o.end_time.astimezone(z),
                    rotations=(names.get(o.rotation_id or "", o.rotation_id or "?"),),
                    alias=o.id,
                )
            )
        return out

    def timeline(self, start: datetime, end: datetime) -> list[Shift]:
        """PagerDuty's own final schedule (`GET /v3/schedules/{id}?include[]=final_schedule`, one request):
        every computed shift with its rotation, cut at the rotation's turns (their numbers); an
        `empty_member` is an uncovered turn (user None), as the `none` placeholder reads on every backend;
        `override` where an override put the member there."""
        schedule = self._load((start, end))
        names = self._names()
        z = ZoneInfo(schedule.time_zone)
        shifts: list[Shift] = []
        final = schedule.final_schedule.computed_shift_assignments if schedule.final_schedule else []
        for item in final:
            a, b = max(item.start_time, start), min(item.end_time, end)
            if a >= b or item.source.rotation_id is None:
                continue
            name = names.get(item.source.rotation_id, item.source.rotation_id)
            user = item.member.user
            email = None if user is None else self.people.email_of(user)
            is_override = item.source.type.endswith("_override")
            cut = a
            for turn in self._turns(item.source.rotation_id, a, b):
                lo, hi = max(a, turn.start), min(b, turn.end)
                if lo >= hi:
                    continue
                if cut < lo:
                    shifts.append(Shift(name, email, cut.astimezone(z), lo.astimezone(z), 0, is_override))
                shifts.append(
                    Shift(name, email, lo.astimezone(z), hi.astimezone(z), turn.index, is_override)
                )
                cut = hi
            if cut < b:
                shifts.append(Shift(name, email, cut.astimezone(z), b.astimezone(z), 0, is_override))
        return sorted(shifts, key=lambda s: (s.start, s.rotation))

    def on_call(self, at: datetime | None = None) -> list[str]:
        """The emails PagerDuty puts on call in the schedule (both seats) at `at` (now): one `GET
        /oncalls`."""
        when = at or self.now()
        oncalls = self.client.list_oncalls(schedule_ids=[self._id()], since=when, until=when)
        return list(dict.fromkeys(self.people.email_of(o.user.id) for o in oncalls))

    # ---- writes -------------------------------------------------------------------------------------

    def _event(self, rotation: Rotation, since: datetime) -> Event:
        from oncall_cli.clients.pagerduty_models import (
            AssignmentStrategy,
            Event,
            ShiftMember,
            ZonedDateTime,
        )

        if len(rotation.participants) > MAX_MEMBERS:
            raise RejectedError(
                f"{rotation.name}: a PagerDuty rotation takes at most {MAX_MEMBERS} members (an event's "
                f"`assignment_strategy.members`); this one has {len(rotation.participants)}",
                hint="Split the team into two seats (`schedule new --split 2`), each a rotation of its own.",
            )
        tz = self._load().time_zone
        turn = _turn(rotation)  # checks the type
        freq = {"weekly": "WEEKLY", "daily": "DAILY", "hourly": "HOURLY"}[rotation.type]
        interval = "" if rotation.length == 1 else f";INTERVAL={rotation.length}"
        first_end = shift_start(rotation, 1, tz) if turn else rotation.start
        return Event(
            name=rotation.name,
            start_time=ZonedDateTime(date_time=rotation.start, time_zone=tz),
            end_time=ZonedDateTime(date_time=first_end.astimezone(ZoneInfo(tz)), time_zone=tz),
            effective_since=since,
            effective_until=rotation.end,
            recurrence=[f"RRULE:FREQ={freq}{interval}"],
            assignment_strategy=AssignmentStrategy(
                shifts_per_member=1,
                members=[
                    ShiftMember.of(None if p is None else self.people.id_of(p))
                    for p in rotation.participants
                ],
            ),
        )

    def create_rotation(self, rotation: Rotation) -> None:
        """`POST /v3/schedules/{id}/rotations`, then its event (`POST .../events`): a `none` turn is an
        `empty_member`. PagerDuty starts an event no earlier than now (a past `effective_since` is clamped);
        turns still count from `start_time`."""
        schedule = self._load()
        wanted = self._event(rotation, rotation.start)  # checked (members, type) before any write
        created = self.client.create_rotation_v3(schedule_id=schedule.id)
        event = self.client.create_event(schedule_id=schedule.id, rotation_id=created.id, event=wanted)
        schedule.rotations.append(created.model_copy(update={"events": [event]}))

    def update_rotation(
        self,
        name: str,
        *,
        participants: Sequence[str | None] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        """An event not started yet is rewritten (`PUT .../events/{id}`). One already producing shifts may
        only change its `effective_until`: a new end is just that; other changes end it now and continue in a
        new event (`POST .../events`) from now (or the new start), whose `start_time` is the rotation's first
        hand-off, so turns keep their order and the past stays as it was."""
        schedule = self._load()
        rotation, event = self._rotation(name)
        current = self._core(event, schedule.time_zone)
        wanted = replace(
            current,
            participants=tuple(participants) if participants is not None else current.participants,
            start=start if start is not None else current.start,
            end=end if end is not None else current.end,
        )
        now = self.now()
        assert event.id is not None
        if event.effective_since >= now:
            since = start if start is not None else event.effective_since
            updated = self.client.update_event(
                schedule_id=schedule.id,
                rotation_id=rotation.id,
                event_id=event.id,
                event=self._event(wanted, since),
            )
            events = [updated if e.id == event.id else e for e in rotation.events]
        elif participants is None and start is None:
            updated = self.client.update_event(
                schedule_id=schedule.id, rotation_id=rotation.id, event_id=event.id, effective_until=end
            )
            events = [updated if e.id == event.id else e for e in rotation.events]
        else:
            ended = self.client.update_event(
                schedule_id=schedule.id, rotation_id=rotation.id, event_id=event.id, effective_until=now
            )
            events = [ended if e.id == event.id else e for e in rotation.events]
            since = max(now, wanted.start)
            if wanted.end is None or wanted.end > since:
                events.append(
                    self.client.create_event(
                        schedule_id=schedule.id, rotation_id=rotation.id, event=self._event(wanted, since)
                    )
                )
        index = schedule.rotations.index(rotation)
        schedule.rotations[index] = rotation.model_copy(update={"events": events})

    def delete_rotation(self, name: str) -> None:
        schedule = self._load()
        rotation, _ = self._rotation(name)
        self.client.delete_rotation_v3(schedule_id=schedule.id, rotation_id=rotation.id)
        schedule.rotations.remove(rotation)

    def create_override(self, override: Override) -> str:
        """`POST /v3/schedules/{id}/overrides`: one override per rotation (all running ones when none is
        named), each naming the member the rotation has when it starts (`empty_member` on a `none` turn:
        that is how a volunteer or a manager covers it) and who takes it (`empty_member` for nobody). The key
        is PagerDuty's override id (ids joined by commas when several rotations are named; each lists on
        its own)."""
        from oncall_cli.clients.pagerduty_models import OverrideShift, ShiftMember

        schedule = self._load()
        wanted = list(override.rotations) or [core.name for _, core in self._rotations()]
        items: list[OverrideShift] = []
        for name in wanted:
            rotation, _ = self._rotation(name)
            held = self._turns(rotation.id, override.start, override.start + timedelta(seconds=1))
            if not held and override.rotations:
                # A round that ended: the seat's rotation running then takes the override (as a seat's
                # override always did on PagerDuty: `rot-b` names seat B, whose `rot-b-next` runs now).
                rotation, held = self._seat_rotation(name, override.start, rotation)
            if not held:
                if override.rotations:
                    raise RejectedError(
                        f"{name} has no turn at {override.start.isoformat()}: a PagerDuty override replaces "
                        "the member of a rotation's turn",
                        hint="Start the override while the rotation runs.",
                    )
                continue
            overridden = held[0].user
            items.append(
                OverrideShift(
                    rotation_id=rotation.id,
                    start_time=override.start,
                    end_time=override.end,
                    overridden_member=ShiftMember.of(
                        None if overridden is None else self.people.id_of(overridden)
                    ),
                    overriding_member=ShiftMember.of(
                        None if override.user is None else self.people.id_of(override.user)
                    ),
                )
            )
        if not items:
            raise RejectedError(
                f"no rotation of {self.schedule_name!r} runs at {override.start.isoformat()}",
                hint="Name the rotation with --rotation.",
            )
        created = self.client.create_overrides_v3(schedule_id=schedule.id, overrides=items)
        return ",".join(o.id or "" for o in created)

    def _seat_rotation(
        self, name: str, at: datetime, fallback: ScheduleRotation
    ) -> tuple[ScheduleRotation, list[Shift]]:
        """The rotation of `name`'s seat (`rules.group_of`) that has a turn at `at`, with that turn."""
        seat = group_of(name, self.rounds)
        for rotation, core in self._rotations():
            if group_of(core.name, self.rounds) == seat:
                held = self._turns(rotation.id, at, at + timedelta(seconds=1))
                if held:
                    return rotation, held
        return fallback, []

    def delete_override(self, key: str) -> None:
        """`DELETE /v3/schedules/{id}/overrides/{override_id}` for each id of the key (one in progress is
        ended now)."""
        schedule_id = self._id()
        for override_id in key.split(","):
            self.client.delete_override_v3(schedule_id=schedule_id, override_id=override_id)


def _recurrence(recurrence: Sequence[str]) -> tuple[str, int]:
    """An event's `RRULE:FREQ=WEEKLY|DAILY|HOURLY[;INTERVAL=n]` as the core's rotation type and length."""
    rules = [r for r in recurrence if r.startswith("RRULE:")]
    if len(rules) == 1 and len(recurrence) == 1:
        parts = dict(p.split("=", 1) for p in rules[0].removeprefix("RRULE:").split(";") if "=" in p)
        kind = {"WEEKLY": "weekly", "DAILY": "daily", "HOURLY": "hourly"}.get(parts.pop("FREQ", ""))
        interval = parts.pop("INTERVAL", "1")
        if kind is not None and not parts and interval.isdigit() and int(interval) > 0:
            return kind, int(interval)
    raise RejectedError(
        f"a PagerDuty event recurs as {'; '.join(recurrence)}; oncall handles one weekly, daily or hourly "
        "RRULE with an INTERVAL only"
    )
