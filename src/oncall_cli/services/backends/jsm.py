"""The Jira Service Management Operations adapter: the schedule store and the people directory.

The only module above the clients that imports the JSM Operations and Jira clients or their models. JSM's
specifics stop here:
- ids only: the schedule is found by name once (`GET /schedules?query=`), rotations by name through their
  ids, and people are Atlassian accounts, mapped email <-> accountId with Jira's user search and bulk reads
  (cached for the run);
- the placeholder is `{"type": "noone"}`, overrides name their rotations by `rotationIds`;
- start dates and managers live in one Jira user property, `oncall` (`{"start_date", "manager"}`);
- the team is an Atlassian platform team (found by name in JSM's team list); its membership goes through the
  Teams public API, which needs the organisation id (`jsm.org_id`);
- accounts belong to the organisation: `oncall` never creates or deletes one;
- the schedule timeline covers at most one year back and two years ahead of today (else 422): the part of a
  window outside that range is computed from the schedule's rotations and overrides by the scheduling core,
  as JSM computes the rest, and joined to what JSM returns.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from oncall_cli.errors import ConfigError, NotFoundError, RejectedError
from oncall_cli.scheduling.model import Engineer, Override, Rotation, Shift
from oncall_cli.scheduling.timeline import timeline as core_timeline
from oncall_cli.services.backends._rotation_ids import RotationIds
from oncall_cli.services.ports import UNKNOWN_START

if TYPE_CHECKING:
    from oncall_cli.clients.jira import JiraClient
    from oncall_cli.clients.jira_models import JiraUser
    from oncall_cli.clients.jsm import JsmOpsClient
    from oncall_cli.clients.jsm_models import (
        OverrideResponderInfo,
        ResponderInfo,
        RotationType,
        ScheduleTimeline,
    )

T = TypeVar("T")
SERVICE = "Jira Service Management"
FACTS_PROPERTY = "oncall"
"""The Jira user property holding `{"start_date": "YYYY-MM-DD", "manager": email}` (docs/backends.md)."""
MAX_WORKERS = 8


class JsmDirectory:
    """Atlassian accounts and the team's membership; one instance per run, shared with the schedule."""

    service = SERVICE
    facts_source = f"Jira user property {FACTS_PROPERTY!r}"
    creates_accounts = False
    keeps_start_dates = True

    def __init__(
        self, jira: JiraClient, ops: JsmOpsClient, *, team: str, org_id: str, fallback_tz: str
    ) -> None:
        self.jira = jira
        self.ops = ops
        self.team_name = team
        self.org_id = org_id
        self.fallback_tz = fallback_tz
        self._lock = threading.Lock()
        self._by_id: dict[str, JiraUser] = {}
        self._id_by_email: dict[str, str] = {}
        self._team_id: str | None = None
        self._members: list[str] | None = None
        self._facts_by_id: dict[str, dict[str, Any]] = {}
        """Each person's `oncall` property as read (or written) in this run."""

    # ---- emails <-> account ids ------------------------------------------------------------------------

    def _remember(self, users: Iterable[JiraUser]) -> None:
        with self._lock:
            for user in users:
                self._by_id[user.account_id] = user
                if user.email_address:
                    self._id_by_email[user.email_address.lower()] = user.account_id

    def account_id(self, email: str) -> str:
        """The accountId of the person with this email; NotFoundError (exit 5) naming it when none."""
        found = self._id_by_email.get(email.lower())
        if found is not None:
            return found
        matches = [
            u for u in self.jira.search_users(query=email) if (u.email_address or "").lower() == email.lower()
        ]
        if not matches:
            raise NotFoundError(
                f"no Atlassian account with the email {email} on the Jira site",
                hint="Check the email; a new person must first be invited to the site (Jira: Invite people).",
                details={"email": email},
            )
        self._remember(matches)
        return matches[0].account_id

    def load(self, account_ids: Iterable[str]) -> None:
        """Read the accounts not seen yet, in bulk (one request per 50)."""
        with self._lock:
            known = set(self._by_id)
        missing = sorted({a for a in account_ids if a} - known)
        if missing:
            self._remember(self.jira.bulk_users(account_ids=missing))

    def email_of(self, account_id: str) -> str:
        """The account's email (its accountId when privacy hides the email); `load` the ids first."""
        if account_id not in self._by_id:
            self.load([account_id])
        user = self._by_id.get(account_id)
        return (user.email_address if user and user.email_address else None) or account_id

    # ---- records -----------------------------------------------------------------------------------

    def _facts(self, account_id: str) -> dict[str, Any]:
        with self._lock:
            known = self._facts_by_id.get(account_id)
        if known is None:
            value = self.jira.get_user_property(account_id=account_id, key=FACTS_PROPERTY)
            known = value if isinstance(value, dict) else {}
            with self._lock:
                self._facts_by_id[account_id] = known
        return dict(known)

    def _engineer(self, account_id: str) -> Engineer:
        user = self._by_id[account_id]
        facts = self._facts(account_id)
        try:
            start = date.fromisoformat(str(facts.get("start_date") or ""))
        except ValueError:
            start = UNKNOWN_START
        manager = facts.get("manager")
        team = facts.get("team")  # [R13] the product team, read only
        email = self.email_of(account_id)
        return Engineer(
            email=email,
            name=user.display_name or email,
            timezone=user.time_zone or self.fallback_tz,
            start_date=start,
            team=team if isinstance(team, str) and team.strip() else None,
            manager=manager if isinstance(manager, str) and manager else None,
        )

    def _team(self) -> str:
        if self._team_id is None:
            teams = _on_site(self.ops, self.ops.list_teams)
            wanted = self.team_name.casefold()
            found = [t for t in teams if (t.team_name or "").casefold() == wanted]
            if not found:
                names = ", ".join(sorted(t.team_name or t.team_id for t in teams)) or "none"
                raise NotFoundError(
                    f"no Jira Service Management team named {self.team_name!r} (teams: {names})",
                    hint="Set jsm.team (or opsgenie.team) to the Atlassian team's name.",
                )
            self._team_id = found[0].team_id
        return self._team_id

    def _org(self) -> str:
        if not self.org_id:
            raise ConfigError(
                "jsm.org_id is not set: team membership goes through Atlassian's Teams API, which needs it",
                hint="Find it in admin.atlassian.com (the id in the URL), then "
                "`oncall config set jsm.org_id ID` (or ONCALL_JSM_ORG_ID).",
            )
        return self.org_id

    def _member_ids(self) -> list[str]:
        """The team's accountIds, read once per run (until a membership change)."""
        with self._lock:
            if self._members is not None:
                return list(self._members)
        try:
            ids = self.jira.team_members(org_id=self._org(), team_id=self._team(), site_id=self.ops.cloud_id)
        except NotFoundError as exc:
            raise ConfigError(
                f"jsm.org_id: Atlassian's Teams API knows no team {self.team_name!r} in organisation "
                f"{self.org_id!r}",
                hint="Check jsm.org_id (admin.atlassian.com shows it in the URL) and jsm.team.",
            ) from exc
        self.load(ids)
        with self._lock:
            self._members = list(ids)
        return ids

    def team(self) -> list[Engineer]:
        ids = self._member_ids()
        with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
            return list(pool.map(self._engineer, ids))

    def team_members(self) -> list[str]:
        return [self.email_of(a) for a in self._member_ids()]

    def get(self, email: str) -> Engineer:
        account = self.account_id(email)
        self.load([account])
        return self._engineer(account)

    def find(self, email: str) -> Engineer | None:
        try:
            return self.get(email)
        except NotFoundError:
            return None

    def create(self, engineer: Engineer) -> None:
        raise NotFoundError(
            f"{engineer.email} has no Atlassian account on the Jira site, and oncall cannot create one",
            hint="Invite them to the site first (Jira: Invite people, or admin.atlassian.com), then run "
            "the command again.",
            details={"email": engineer.email},
        )

    def set_start_date(self, email: str, start: date) -> None:
        """Write `start_date` into the person's `oncall` property, keeping what else it holds."""
        account = self.account_id(email)
        facts = self._facts(account)
        facts["start_date"] = start.isoformat()
        with self._lock:
            self._facts_by_id.pop(account, None)
        self.jira.set_user_property(account_id=account, key=FACTS_PROPERTY, value=facts)

    def _change_team(self, email: str, action: str) -> None:
        account = self.account_id(email)
        change = self.jira.add_team_members if action == "add" else self.jira.remove_team_members
        with self._lock:
            self._members = None
        result = change(org_id=self._org(), team_id=self._team(), account_ids=[account])
        if result.failed_account_ids:
            raise RejectedError(
                f"Atlassian did not {action} {email} ({action} to team {self.team_name!r}): "
                + "; ".join(f"{e.code or ''} {e.message or ''}".strip() for e in result.errors),
                details={"email": email},
            )

    def add_to_team(self, email: str) -> None:
        self._change_team(email, "add")

    def delete(self, email: str) -> None:
        """Take the person off the team: the account is the organisation's, not the team's. Someone already
        off the team is left alone, so a re-run has nothing to do."""
        if self.account_id(email) in self._member_ids():
            self._change_team(email, "remove")

    def delete_action(self, email: str, *, question: bool = False) -> str:
        verb = "Remove" if question else "remove"
        return f"{verb} {email} from the Atlassian team {self.team_name}"


class JsmSchedule(RotationIds):
    """One JSM Operations schedule, found by name once; rotation ids are looked up once and cached."""

    service = SERVICE

    def __init__(
        self,
        ops: JsmOpsClient,
        people: JsmDirectory,
        *,
        schedule: str,
        fallback_tz: str,
        now: Callable[[], datetime],
    ) -> None:
        self.ops = ops
        self.now = now
        self.people = people
        self.schedule_name = schedule
        self.fallback_tz = fallback_tz
        self._schedule_id: str | None = None
        self._timezone: str | None = None
        self._rotation_ids: dict[str, str] | None = None
        self._loading = threading.Lock()

    def _load(self) -> None:
        # Rotations, overrides and the timeline may be read at once: the schedule is looked up once.
        with self._loading:
            self._look_up()

    def _look_up(self) -> None:
        if self._schedule_id is not None:
            return
        wanted = self.schedule_name.casefold()
        listed = _on_site(self.ops, lambda: self.ops.list_schedules(query=self.schedule_name))
        found = [s for s in listed if s.name.casefold() == wanted]
        if not found or not found[0].id:
            raise NotFoundError(
                f"no Jira Service Management schedule named {self.schedule_name!r}",
                hint="Check the name (--schedule, or the jsm.schedule setting).",
            )
        self._schedule_id = found[0].id
        self._timezone = found[0].timezone or self.fallback_tz

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

    def _email(self, responder: ResponderInfo | OverrideResponderInfo | None) -> str | None:
        if responder is None or responder.type != "user" or not responder.id:
            return None
        return self.people.email_of(responder.id)

    def rotations(self) -> list[Rotation]:
        wire = self.ops.list_rotations(schedule_id=self.schedule_id)
        self._rotation_ids = {r.name: r.id for r in wire if r.name and r.id}
        self.people.load(p.id for r in wire for p in r.participants if p.type == "user" and p.id)
        tz = ZoneInfo(self.timezone)
        return [
            Rotation(
                name=r.name or (r.id or "?"),
                start=r.start_date.astimezone(tz),
                participants=tuple(self._email(p) for p in r.participants),
                type=r.type,
                length=r.length,
                end=r.end_date.astimezone(tz) if r.end_date else None,
            )
            for r in wire
        ]

    def _names_by_id(self) -> dict[str, str]:
        if self._rotation_ids is None:
            self.rotations()
        assert self._rotation_ids is not None
        return {rid: name for name, rid in self._rotation_ids.items()}

    def overrides(self) -> list[Override]:
        wire = self.ops.list_overrides(schedule_id=self.schedule_id)
        names = self._names_by_id() if any(o.rotation_ids for o in wire) else {}
        self.people.load(o.responder.id for o in wire if o.responder.type == "user" and o.responder.id)
        tz = ZoneInfo(self.timezone)
        return [
            Override(
                user=self._email(o.responder),
                start=o.start_date.astimezone(tz),
                end=o.end_date.astimezone(tz),
                rotations=tuple(names.get(rid, rid) for rid in (o.rotation_ids or ())),
                alias=o.alias,
            )
            for o in wire
        ]

    def timeline(self, start: datetime, end: datetime) -> list[Shift]:
        """JSM's own effective timeline over the window Opsgenie's would cover (`start` plus whole days past
        `end`), so both backends give the same shifts. JSM's window starts at the beginning of the day
        holding `date` (in the schedule's zone): ask from that day and clip the periods to the window."""
        tz = ZoneInfo(self.timezone)
        until = start + timedelta(days=max(1, -(-int((end - start).total_seconds()) // 86400)))
        start, until = start.replace(microsecond=0), until.replace(microsecond=0)
        # JSM serves [first, last) only (spec, getTimeline: "at most one year from today and as far as two
        # years from today"); both are whole days of the schedule's zone, a day inside each bound.
        now = self.now()
        first = _day_start(now - JSM_TIMELINE_BACK, tz)
        last = _day_start(now + JSM_TIMELINE_AHEAD, tz)
        if first <= start and until <= last:
            return self._served(start, end, until, tz)
        cuts = sorted({start, until, *(at for at in (first, last) if start < at < until)})
        pieces: list[Shift] = []
        for a, b in itertools.pairwise(cuts):
            if first <= a and b <= last:
                pieces += self._served(a, b, b, tz)
            else:
                pieces += core_timeline(self.rotations(), self.overrides(), a, b, self.timezone)
        joined = _join(pieces, cuts[1:-1])
        return [s for s in joined if s.end > start and s.start < end]

    def _served(self, start: datetime, end: datetime, until: datetime, tz: ZoneInfo) -> list[Shift]:
        """JSM's own timeline: the periods that meet [start, end), clipped to [start, until]."""
        day = start.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        days = max(1, -(-int((until - day).total_seconds()) // 86400))
        wire = self.ops.get_timeline(
            schedule_id=self.schedule_id, interval=days, interval_unit="days", date=day
        )
        return self._shifts(wire, start, end, until, tz)

    def _shifts(
        self, wire: ScheduleTimeline, start: datetime, end: datetime, until: datetime, tz: ZoneInfo
    ) -> list[Shift]:
        """The periods that meet [start, end), clipped to [start, until], in the schedule's zone."""
        rotations = wire.final_timeline.rotations
        self.people.load(
            p.responder.id
            for r in rotations
            for p in r.periods
            if p.responder is not None and p.responder.type == "user" and p.responder.id
        )
        shifts = []
        for rotation in rotations:
            for index, period in enumerate(rotation.periods):
                if period.end_date <= start or period.start_date >= end:
                    continue
                user = None
                if period.responder is not None and period.responder.type == "user" and period.responder.id:
                    user = self.people.email_of(period.responder.id)
                shifts.append(
                    Shift(
                        rotation=rotation.name or "",
                        user=user,
                        start=max(period.start_date, start).astimezone(tz),
                        end=min(period.end_date, until).astimezone(tz),
                        index=index,
                        override=(period.type == "override"),
                    )
                )
        return sorted(shifts, key=lambda s: (s.start, s.rotation))

    def on_call(self, at: datetime | None = None) -> list[str]:
        ids = self.ops.get_on_calls(schedule_id=self.schedule_id, date=at)
        self.people.load(ids)
        return [self.people.email_of(a) for a in ids]

    def _participants(self, emails: Sequence[str | None]) -> list[ResponderInfo]:
        from oncall_cli.clients.jsm_models import ResponderInfo

        return [
            ResponderInfo.user(self.people.account_id(e)) if e else ResponderInfo.no_one() for e in emails
        ]

    def create_rotation(self, rotation: Rotation) -> None:
        created = self.ops.create_rotation(
            schedule_id=self.schedule_id,
            name=rotation.name,
            type=_rotation_type(rotation.type),
            start_date=rotation.start,
            end_date=rotation.end,
            length=rotation.length,
            participants=self._participants(rotation.participants),
        )
        if self._rotation_ids is not None and created.id:
            self._rotation_ids[rotation.name] = created.id

    def update_rotation(
        self,
        name: str,
        *,
        participants: Sequence[str | None] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        self.ops.update_rotation(
            schedule_id=self.schedule_id,
            rotation_id=self._rotation_id(name),
            start_date=start,
            end_date=end,
            participants=None if participants is None else self._participants(participants),
        )

    def delete_rotation(self, name: str) -> None:
        self.ops.delete_rotation(schedule_id=self.schedule_id, rotation_id=self._rotation_id(name))
        if self._rotation_ids is not None:
            self._rotation_ids.pop(name, None)

    def create_override(self, override: Override) -> str:
        from oncall_cli.clients.jsm_models import OverrideResponderInfo

        responder = (
            OverrideResponderInfo.user(self.people.account_id(override.user))
            if override.user
            else OverrideResponderInfo.no_one()
        )
        created = self.ops.create_override(
            schedule_id=self.schedule_id,
            responder=responder,
            start_date=override.start,
            end_date=override.end,
            rotation_ids=[self._rotation_id(n) for n in override.rotations] or None,
        )
        return created.alias

    def delete_override(self, key: str) -> None:
        self.ops.delete_override(schedule_id=self.schedule_id, alias=key)


def _on_site(ops: JsmOpsClient, call: Callable[[], T]) -> T:
    """A list call, whose 404 can only mean the gateway knows no site with our cloud id."""
    try:
        return call()
    except NotFoundError as exc:
        raise ConfigError(
            f"jsm.cloud_id: the Atlassian API at atlassian.api_url ({ops.base_url}) knows no JSM Operations "
            f"site with cloud id {ops.cloud_id!r}",
            hint="Check atlassian.api_url (https://api.atlassian.com) and jsm.cloud_id; an empty "
            "jsm.cloud_id is looked up from jira.url again.",
        ) from exc


def _rotation_type(value: str) -> RotationType:
    from oncall_cli.errors import UsageError

    if value not in ("weekly", "daily", "hourly"):
        raise UsageError(f"unknown rotation type {value!r}")
    return value  # type: ignore[return-value]


JSM_TIMELINE_BACK = timedelta(days=364)
"""How far back JSM's timeline is asked for: less than its "one year from today", a whole day to spare."""
JSM_TIMELINE_AHEAD = timedelta(days=729)
"""How far ahead: less than its "two years from today"."""


def _day_start(at: datetime, tz: ZoneInfo) -> datetime:
    """The next start of a day of `tz` at or after `at` (a bound JSM's day-aligned window respects)."""
    local = at.astimezone(tz)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if day == local else day + timedelta(days=1)


def _join(shifts: list[Shift], cuts: Sequence[datetime]) -> list[Shift]:
    """The pieces of a timeline read in windows, sorted, with a shift that a cut split made one again (the
    same rotation, holder and kind on both sides of the cut)."""
    out: list[Shift] = []
    for shift in sorted(shifts, key=lambda s: (s.rotation, s.start)):
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.rotation == shift.rotation
            and prev.end == shift.start
            and prev.end in cuts
            and (prev.user, prev.override) == (shift.user, shift.override)
        ):
            out[-1] = replace(prev, end=shift.end)
        else:
            out.append(shift)
    return sorted(out, key=lambda s: (s.start, s.rotation))
