"""The team's schedule as the scheduling core sees it: read from, and written to, Opsgenie.

Opsgenie's specifics stop here: usernames, `{"type": "none"}` participants, user details holding start
dates, identifier types. The core and the CLI see only `Engineer`, `Rotation`, `Override` and `Shift`, so a
Jira Service Management Operations backend can implement `ScheduleBackend` without touching either.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from oncall_cli.config import Settings, weekday_index
from oncall_cli.errors import NotFoundError
from oncall_cli.scheduling.model import Engineer, Override, Rotation, RoundSettings, Shift
from oncall_cli.services.context import Context

if TYPE_CHECKING:
    from oncall_cli.clients.opsgenie import OpsgenieClient
    from oncall_cli.clients.opsgenie_models import Recipient, RotationType, ScheduleTimeline, User

# User details keys where we keep what Opsgenie has no field for (documented in the README).
START_DATE_DETAIL = "start_date"
MANAGER_DETAIL = "manager"
UNKNOWN_START = date(1970, 1, 1)


def round_settings(settings: Settings) -> RoundSettings:
    """The playbook settings of a profile, as the scheduling core takes them."""
    return RoundSettings(
        timezone=settings.text("timezone"),
        handoff=time.fromisoformat(settings.text("handoff_time")),
        rotation_names=(settings.text("rotation_a"), settings.text("rotation_b")),
        next_suffix=settings.text("next_suffix"),
        weekdays=(weekday_index(settings.text("weekday_a")), weekday_index(settings.text("weekday_b"))),
        new_hire_days=settings.number("new_hire_days"),
        new_engineer_days=settings.number("new_engineer_days"),
        holiday_rotation_names=(settings.text("holiday_a"), settings.text("holiday_b")),
    )


class ScheduleBackend(Protocol):
    """What the schedule use cases need from an on-call service."""

    @property
    def timezone(self) -> str: ...
    def engineers(self) -> list[Engineer]: ...
    def rotations(self) -> list[Rotation]: ...
    def overrides(self) -> list[Override]: ...
    def timeline(self, start: datetime, end: datetime) -> list[Shift]: ...
    def create_rotation(self, rotation: Rotation) -> None: ...
    def update_rotation(
        self,
        name: str,
        *,
        participants: Sequence[str | None] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None: ...
    def delete_rotation(self, name: str) -> None: ...
    def create_override(self, override: Override) -> str: ...
    def delete_override(self, alias: str) -> None: ...


def _engineer(user: User, fallback_tz: str) -> Engineer:
    raw_start = user.detail(START_DATE_DETAIL)
    try:
        start = date.fromisoformat(raw_start) if raw_start else UNKNOWN_START
    except ValueError:
        start = UNKNOWN_START
    return Engineer(
        email=user.username,
        name=user.full_name or user.username,
        timezone=user.time_zone or fallback_tz,
        start_date=start,
        manager=user.detail(MANAGER_DETAIL),
    )


class OpsgenieSchedule:
    """The team's schedule in Opsgenie, addressed by name; rotation ids are looked up once and cached."""

    def __init__(self, client: OpsgenieClient, *, team: str, schedule: str, fallback_tz: str) -> None:
        self.client = client
        self.team = team
        self.schedule_name = schedule
        self.fallback_tz = fallback_tz
        self._schedule_id: str | None = None
        self._timezone: str | None = None
        self._rotation_ids: dict[str, str] | None = None

    def _load(self) -> None:
        if self._schedule_id is None:
            schedule = self.client.get_schedule(identifier=self.schedule_name, identifier_type="name")
            self._schedule_id = schedule.id or self.schedule_name
            self._timezone = schedule.timezone or self.fallback_tz

    @property
    def schedule_id(self) -> str:
        self._load()
        assert self._schedule_id is not None
        return self._schedule_id

    @property
    def timezone(self) -> str:
        self._load()
        assert self._timezone is not None
        return self._timezone

    def engineers(self) -> list[Engineer]:
        """The team's members with their user records (time zone, start date, manager), in team order."""
        team = self.client.get_team(identifier=self.team, identifier_type="name")
        usernames = [m.user.username for m in team.members if m.user.username]
        with ThreadPoolExecutor(max_workers=8) as pool:
            users = list(pool.map(lambda name: self.client.get_user(identifier=name), usernames))
        return [_engineer(u, self.fallback_tz) for u in users]

    def user(self, username: str) -> Engineer:
        return _engineer(self.client.get_user(identifier=username), self.fallback_tz)

    def rotations(self) -> list[Rotation]:
        wire = self.client.list_schedule_rotations(schedule=self.schedule_id)
        self._rotation_ids = {r.name: r.id for r in wire if r.name and r.id}
        tz = ZoneInfo(self.timezone)
        return [
            Rotation(
                name=r.name or (r.id or "?"),
                start=r.start_date.astimezone(tz),
                participants=tuple(_participant(p) for p in r.participants),
                type=r.type,
                length=r.length,
                end=r.end_date.astimezone(tz) if r.end_date else None,
            )
            for r in wire
        ]

    def overrides(self) -> list[Override]:
        tz = ZoneInfo(self.timezone)
        return [
            Override(
                user=_participant(o.user),
                start=o.start_date.astimezone(tz),
                end=o.end_date.astimezone(tz),
                rotations=tuple(r.name or r.id or "" for r in o.rotations),
                alias=o.alias,
            )
            for o in self.client.list_schedule_overrides(schedule=self.schedule_id)
        ]

    def timeline(self, start: datetime, end: datetime) -> list[Shift]:
        """Opsgenie's own effective timeline (overrides applied) between two instants."""
        days = max(1, -(-int((end - start).total_seconds()) // 86400))
        timeline = self.client.get_schedule_timeline(
            identifier=self.schedule_id, interval=days, interval_unit="days", date=start
        )
        return _timeline_shifts(timeline, start, end, self.timezone)

    def timeline_by_name(self, start: datetime, end: datetime) -> list[Shift]:
        """Like `timeline`, in ONE round trip: the schedule is addressed by name (no schedule look-up) and
        shifts are given in the fallback zone (the profile's `timezone`). For latency-bound reads such as
        `whoisoncall`, which query several schedules at once."""
        days = max(1, -(-int((end - start).total_seconds()) // 86400))
        timeline = self.client.get_schedule_timeline(
            identifier=self.schedule_name,
            identifier_type="name",
            interval=days,
            interval_unit="days",
            date=start,
        )
        return _timeline_shifts(timeline, start, end, self.fallback_tz)

    def _rotation_id(self, name: str) -> str:
        if self._rotation_ids is None or name not in self._rotation_ids:
            self.rotations()
        assert self._rotation_ids is not None
        if name not in self._rotation_ids:
            raise NotFoundError(
                f"no rotation {name!r} in schedule {self.schedule_name!r}",
                hint="List them with `oncall rotation list`.",
            )
        return self._rotation_ids[name]

    def create_rotation(self, rotation: Rotation) -> None:
        ref = self.client.create_schedule_rotation(
            schedule=self.schedule_id,
            name=rotation.name,
            type=_rotation_type(rotation.type),
            start_date=rotation.start,
            end_date=rotation.end,
            length=rotation.length,
            participants=[_recipient(p) for p in rotation.participants],
        )
        if self._rotation_ids is not None and ref.id:
            self._rotation_ids[rotation.name] = ref.id

    def update_rotation(
        self,
        name: str,
        *,
        participants: Sequence[str | None] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        self.client.update_schedule_rotation(
            schedule=self.schedule_id,
            rotation_id=self._rotation_id(name),
            start_date=start,
            end_date=end,
            participants=None if participants is None else [_recipient(p) for p in participants],
        )

    def delete_rotation(self, name: str) -> None:
        self.client.delete_schedule_rotation(schedule=self.schedule_id, rotation_id=self._rotation_id(name))
        if self._rotation_ids is not None:
            self._rotation_ids.pop(name, None)

    def create_override(self, override: Override) -> str:
        from oncall_cli.clients.opsgenie_models import RotationRef

        meta = self.client.create_schedule_override(
            schedule=self.schedule_id,
            user=_recipient(override.user),
            start_date=override.start,
            end_date=override.end,
            alias=override.alias,
            rotations=[RotationRef(name=name) for name in override.rotations] or None,
        )
        return meta.alias

    def delete_override(self, alias: str) -> None:
        self.client.delete_schedule_override(schedule=self.schedule_id, alias=alias)

    # --- people (rotation add-engineer / remove-engineer) ------------------------------------------------

    def find_user(self, username: str) -> Engineer | None:
        """The user's record, or None when Opsgenie has no such user."""
        try:
            return self.user(username)
        except NotFoundError:
            return None

    def create_user(self, engineer: Engineer) -> None:
        """Add the user with the API role `user` (the UI's Responder seat); the start date and manager go
        into the user's details, where `engineers()` reads them back. A full account raises RejectedError
        with `details["reason"] == "user_limit"`."""
        details = {START_DATE_DETAIL: engineer.start_date.isoformat()}
        if engineer.manager:
            details[MANAGER_DETAIL] = engineer.manager
        self.client.create_user(
            username=engineer.email,
            full_name=engineer.name,
            role="user",
            time_zone=engineer.timezone,
            details=details,
        )

    def update_start_date(self, username: str, start: date) -> None:
        """Set the user's `start_date` detail, keeping their other details: Opsgenie's partial update
        (PATCH /v2/users/{identifier}) replaces the whole `details` map."""
        user = self.client.get_user(identifier=username)
        details: dict[str, list[str]] = {key: list(values) for key, values in user.details.items()}
        details[START_DATE_DETAIL] = [start.isoformat()]
        self.client.update_user(identifier=username, details=details)

    def team_members(self) -> list[str]:
        """Usernames of the team's members, in team order."""
        team = self.client.get_team(identifier=self.team, identifier_type="name")
        return [m.user.username for m in team.members if m.user.username]

    def add_team_member(self, username: str) -> None:
        """Make the user a member of the team with the team role `user`."""
        self.client.add_team_member(
            team=self.team, team_identifier_type="name", username=username, role="user"
        )

    def delete_user(self, username: str) -> None:
        self.client.delete_user(identifier=username)


def _timeline_shifts(timeline: ScheduleTimeline, start: datetime, end: datetime, tz_name: str) -> list[Shift]:
    """The final timeline's periods that meet [start, end), as core shifts in the zone `tz_name`."""
    tz = ZoneInfo(tz_name)
    shifts = []
    for rotation in timeline.final_timeline.rotations:
        for index, period in enumerate(rotation.periods):
            if period.end_date <= start or period.start_date >= end:
                continue
            user = period.recipient.name if period.recipient and period.recipient.type == "user" else None
            shifts.append(
                Shift(
                    rotation=rotation.name or "",
                    user=user,
                    start=period.start_date.astimezone(tz),
                    end=period.end_date.astimezone(tz),
                    index=index,
                    override=(period.type == "override"),
                )
            )
    return sorted(shifts, key=lambda s: (s.start, s.rotation))


def _participant(recipient: Recipient) -> str | None:
    """A rotation participant as the core sees it: a username, or None for `none` (and non-users)."""
    if recipient.type == "user":
        return recipient.username or recipient.name or recipient.id
    return None


def _recipient(username: str | None) -> Recipient:
    from oncall_cli.clients.opsgenie_models import Recipient

    return Recipient.user(username) if username else Recipient.no_one()


def _rotation_type(value: str) -> RotationType:
    from oncall_cli.errors import UsageError

    if value not in ("weekly", "daily", "hourly"):
        raise UsageError(f"unknown rotation type {value!r}")
    return value  # type: ignore[return-value]


def backend_for(context: Context, schedule: str | None = None) -> OpsgenieSchedule:
    """The schedule backend for a services `Context` (one place to choose Opsgenie or, later, JSM);
    `schedule` names another schedule than the profile's."""
    settings = context.settings
    return OpsgenieSchedule(
        context.opsgenie,
        team=settings.text("opsgenie.team"),
        schedule=schedule or settings.schedule_name,
        fallback_tz=settings.text("timezone"),
    )
