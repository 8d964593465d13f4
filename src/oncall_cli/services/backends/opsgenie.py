"""The Opsgenie adapter: the schedule store and the people directory over the Opsgenie client.

With `opsgenie_incidents.py` (the incident tracker), the only modules above the client that import it or
its wire models. Opsgenie's specifics stop here:
usernames (emails), `{"type": "none"}` participants, user details holding start dates and managers,
identifier types, and the schedule addressed by name where that saves a round trip.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from oncall_cli.errors import NotFoundError
from oncall_cli.scheduling.model import Engineer, Override, Rotation, Shift
from oncall_cli.services.backends._rotation_ids import RotationIds
from oncall_cli.services.ports import UNKNOWN_START

if TYPE_CHECKING:
    from oncall_cli.clients.opsgenie import OpsgenieClient
    from oncall_cli.clients.opsgenie_models import Recipient, RotationType, ScheduleTimeline, User

SERVICE = "Opsgenie"
PAGE = 100
"""Users per page of `GET /v2/users` (Opsgenie's largest)."""
# User details keys where we keep what Opsgenie has no field for (documented in docs/backends.md).
START_DATE_DETAIL = "start_date"
MANAGER_DETAIL = "manager"
TEAM_DETAIL = "team"
"""[R13] The engineer's product team (read only; kept by hand or by another tool)."""


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
        team=user.detail(TEAM_DETAIL) or None,
        manager=user.detail(MANAGER_DETAIL),
    )


class OpsgenieSchedule(RotationIds):
    """The team's schedule in Opsgenie, addressed by name; rotation ids are looked up once and cached."""

    service = SERVICE

    def __init__(self, client: OpsgenieClient, *, schedule: str, fallback_tz: str) -> None:
        self.client = client
        self.schedule_name = schedule
        self.fallback_tz = fallback_tz
        self._schedule_id: str | None = None
        self._timezone: str | None = None
        self._rotation_ids: dict[str, str] | None = None
        self._loading = threading.Lock()

    def _load(self) -> None:
        # Rotations, overrides and the timeline may be read at once: the schedule is looked up once.
        with self._loading:
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
        """Opsgenie's own effective timeline (overrides applied) between two instants, in ONE round trip:
        the schedule is addressed by name (no schedule look-up) and shifts are given in the schedule's zone
        when it is known already, else the profile's."""
        # In UTC: two times in one zone subtract by the wall clock, an hour short across the DST end.
        # Rounded up, so the days asked for cover the whole window.
        span = end.astimezone(UTC) - start.astimezone(UTC)
        days = max(1, math.ceil(span.total_seconds() / 86400))
        timeline = self.client.get_schedule_timeline(
            identifier=self._schedule_id or self.schedule_name,
            identifier_type="id" if self._schedule_id else "name",
            interval=days,
            interval_unit="days",
            date=start,
        )
        return _timeline_shifts(timeline, start, end, self._timezone or self.fallback_tz)

    def on_call(self, at: datetime | None = None) -> list[str]:
        """The usernames Opsgenie says are on call (flat), by schedule name: one round trip."""
        answer = self.client.get_on_calls(
            identifier=self.schedule_name, identifier_type="name", flat=True, date=at
        )
        return list(answer.usernames)

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

    def delete_override(self, key: str) -> None:
        self.client.delete_schedule_override(schedule=self.schedule_id, alias=key)


class OpsgenieDirectory:
    """Opsgenie users and the team's membership; start dates and managers live in user details."""

    service = SERVICE
    creates_accounts = True
    keeps_start_dates = True
    facts_source = "Opsgenie user details"

    def __init__(self, client: OpsgenieClient, *, team: str, fallback_tz: str) -> None:
        self.client = client
        self.team_name = team
        self.fallback_tz = fallback_tz
        self._lock = threading.Lock()
        self._members: list[str] | None = None
        self._listed: dict[str, User] | None = None
        """Users of the account's first page of `GET /v2/users` (by username, lower case), read once, and
        the users read one by one since."""

    def team(self) -> list[Engineer]:
        """The team's members with their user records (time zone, start date, manager), in team order.

        The team and one page of users (100) are read at once; members not on that page, or listed
        without their details (the list may leave them out), are read one by one, concurrently."""
        from oncall_cli.services.gather import gather

        usernames, listed = gather(self.team_members, self._first_page)
        users = {name: listed.get(name.lower()) for name in usernames}
        missing = [name for name, user in users.items() if user is None or not user.details]
        with ThreadPoolExecutor(max_workers=8) as pool:
            for name, user in zip(missing, pool.map(self._read_user, missing), strict=True):
                users[name] = user
        return [_engineer(users[name] or self._read_user(name), self.fallback_tz) for name in usernames]

    def team_members(self) -> list[str]:
        """The team's usernames, read once per run."""
        with self._lock:
            if self._members is None:
                team = self.client.get_team(identifier=self.team_name, identifier_type="name")
                self._members = [m.user.username for m in team.members if m.user.username]
            return list(self._members)

    def _first_page(self) -> dict[str, User]:
        """`GET /v2/users?limit=100` once per run: up to 100 of the account's users in one request."""
        from itertools import islice

        with self._lock:
            if self._listed is None:
                page = islice(self.client.iter_users(limit=PAGE), PAGE)  # one request: no second page
                self._listed = {u.username.lower(): u for u in page if u.username}
            return dict(self._listed)

    def _read_user(self, email: str) -> User:
        """GET /v2/users/{email}, kept for the rest of the run."""
        user = self.client.get_user(identifier=email)
        with self._lock:
            if self._listed is not None:
                self._listed[email.lower()] = user
        return user

    def _known(self, email: str) -> User | None:
        """The user as already read in this run (with details), else None (then it is read)."""
        with self._lock:
            found = self._listed.get(email.lower()) if self._listed is not None else None
        return found if found is not None and found.details else None

    def _forget(self, email: str) -> None:
        """A write changed this user (or the team): read them again when asked."""
        with self._lock:
            if self._listed is not None:
                self._listed.pop(email.lower(), None)
            self._members = None

    def get(self, email: str) -> Engineer:
        return _engineer(self._known(email) or self._read_user(email), self.fallback_tz)

    def find(self, email: str) -> Engineer | None:
        try:
            return self.get(email)
        except NotFoundError:
            return None

    def create(self, engineer: Engineer) -> None:
        """Add the user with the API role `user` (the UI's Responder seat); the start date and manager go
        into the user's details, where `team()` reads them back. A full account raises RejectedError
        with `details["reason"] == "user_limit"`."""
        details = {START_DATE_DETAIL: engineer.start_date.isoformat()}
        if engineer.manager:
            details[MANAGER_DETAIL] = engineer.manager
        self._forget(engineer.email)
        self.client.create_user(
            username=engineer.email,
            full_name=engineer.name,
            role="user",
            time_zone=engineer.timezone,
            details=details,
        )

    def set_start_date(self, email: str, start: date) -> None:
        """Set the user's `start_date` detail, keeping their other details: Opsgenie's partial update
        (PATCH /v2/users/{identifier}) replaces the whole `details` map."""
        user = self.client.get_user(identifier=email)
        details: dict[str, list[str]] = {key: list(values) for key, values in user.details.items()}
        details[START_DATE_DETAIL] = [start.isoformat()]
        self._forget(email)
        self.client.update_user(identifier=email, details=details)

    def add_to_team(self, email: str) -> None:
        """Make the user a member of the team with the team role `user`."""
        self._forget(email)
        self.client.add_team_member(
            team=self.team_name, team_identifier_type="name", username=email, role="user"
        )

    def delete(self, email: str) -> None:
        self._forget(email)
        self.client.delete_user(identifier=email)

    def delete_action(self, email: str, *, question: bool = False) -> str:
        return f"Delete the Opsgenie user {email}" if question else f"delete Opsgenie user {email}"


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


