"""Opsgenie wire models: the vendor's JSON shapes, from `specs/opsgenie/` (swagger.json + unmerged-pr53).

Field names mirror the vendor in snake_case with camelCase aliases; unknown fields are ignored so new
vendor fields never break us. These are not our `--json` output contract (that lives in `services/`).
Definition names from the spec are given in each docstring.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

RotationType = Literal["daily", "weekly", "hourly"]
Priority = Literal["P1", "P2", "P3", "P4", "P5"]
RecipientType = Literal["all", "none", "user", "escalation", "schedule", "team", "group"]


class WireModel(BaseModel):
    """Base of every Opsgenie model: camelCase on the wire, snake_case in Python, extra fields ignored."""

    # defer_build: each model's validator is built when first used, not when a command imports them all.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )

    def to_wire(self) -> dict[str, object]:
        """The JSON body shape: camelCase keys, unset (None) fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# --- common -------------------------------------------------------------------------------------------


class Paging(WireModel):
    """`PageDetails`: links to neighbouring pages; `next` is absent on the last page."""

    prev: str | None = None
    next: str | None = None
    first: str | None = None
    last: str | None = None


class EntityRef(WireModel):
    """`SuccessData`: what a synchronous create/update answers (`{"id", "name"}`)."""

    id: str | None = None
    name: str | None = None


class Recipient(WireModel):
    """`Recipient` (+ subtypes) and `Responder`: a user, team, escalation, schedule, or the `none` slot.

    `user` carries `id` and/or `username`; the other types `id` and/or `name`. Used for rotation
    participants, override users, and incident responders (`user` | `team`).
    """

    type: RecipientType
    id: str | None = None
    username: str | None = None
    name: str | None = None

    @classmethod
    def user(cls, username: str) -> Recipient:
        return cls(type="user", username=username)

    @classmethod
    def team(cls, name: str) -> Recipient:
        return cls(type="team", name=name)

    @classmethod
    def no_one(cls) -> Recipient:
        """The reserved `{"type": "none"}` participant: nobody is on call for that slot."""
        return cls(type="none")


class TimeOfDayRestriction(WireModel):
    """`TimeOfDayRestriction`."""

    start_hour: int | None = None
    start_min: int | None = None
    end_hour: int | None = None
    end_min: int | None = None


class WeekdayTimeRestriction(TimeOfDayRestriction):
    """`WeekdayTimeRestriction`."""

    start_day: str | None = None
    end_day: str | None = None


class TimeRestriction(WireModel):
    """`TimeRestrictionInterval`: `time-of-day` has `restriction`; `weekday-and-time-of-day` has a list."""

    type: Literal["time-of-day", "weekday-and-time-of-day"]
    restriction: TimeOfDayRestriction | None = None
    restrictions: list[WeekdayTimeRestriction] | None = None


# --- account ------------------------------------------------------------------------------------------


class AccountPlan(WireModel):
    """`AccountPlan`."""

    max_user_count: int | None = None
    name: str | None = None
    is_yearly: bool | None = None


class AccountInfo(WireModel):
    """`AccountInfo` (GET /v2/account)."""

    name: str | None = None
    user_count: int | None = None
    plan: AccountPlan | None = None


# --- users and teams ----------------------------------------------------------------------------------


class UserRole(WireModel):
    """`UserRole`: owner, admin, user, stakeholder, or a custom role's name."""

    id: str | None = None
    name: str | None = None


class UserAddress(WireModel):
    """`UserAddress`."""

    country: str | None = None
    state: str | None = None
    city: str | None = None
    line: str | None = None
    zip_code: str | None = None


class UserContact(WireModel):
    """`UserContact` (only with `expand=contact`)."""

    id: str | None = None
    to: str | None = None
    contact_method: str | None = None
    disabled_reason: str | None = None
    enabled: bool | None = None


class User(WireModel):
    """`User`. `details` values are lists of strings (the spec's `additionalProperties: array`)."""

    id: str | None = None
    username: str
    full_name: str | None = None
    role: UserRole | None = None
    skype_username: str | None = None
    time_zone: str | None = None
    locale: str | None = None
    user_address: UserAddress | None = None
    tags: list[str] = Field(default_factory=list)
    details: dict[str, list[str]] = Field(default_factory=dict)
    blocked: bool | None = None
    verified: bool | None = None
    created_at: datetime | None = None
    muted_until: datetime | None = None
    user_contacts: list[UserContact] = Field(default_factory=list)

    def detail(self, key: str) -> str | None:
        """The first value of a user detail (we keep `start_date` and `manager` there), or None."""
        values = self.details.get(key) or []
        return values[0] if values else None


class UserMeta(WireModel):
    """`UserMeta`."""

    id: str | None = None
    username: str | None = None


class TeamMember(WireModel):
    """`TeamMember`: a user and their team role (`user`, `admin` or a custom team role)."""

    user: UserMeta
    role: str | None = None


class TeamMeta(WireModel):
    """`TeamMeta`."""

    id: str | None = None
    name: str | None = None


class Team(WireModel):
    """`Team`: `members` is present on GET /v2/teams/{id}, usually absent in the list."""

    id: str | None = None
    name: str
    description: str | None = None
    members: list[TeamMember] = Field(default_factory=list)


# --- services (unmerged-pr53) -------------------------------------------------------------------------


class Service(WireModel):
    """`Service` (unmerged-pr53/definitions/service.yaml)."""

    id: str
    name: str
    team_id: str | None = None
    description: str | None = None
    visibility: str | None = None
    tags: list[str] = Field(default_factory=list)


# --- schedules, rotations, overrides, timelines, on-calls ---------------------------------------------


class ScheduleMeta(WireModel):
    """`ScheduleMeta` (also the `_parent` of rotations, overrides, timelines and on-calls)."""

    id: str | None = None
    name: str | None = None
    enabled: bool | None = None


class Rotation(WireModel):
    """`ScheduleRotation` / `ScheduleRotationWithParent`."""

    id: str | None = None
    name: str | None = None
    start_date: datetime
    end_date: datetime | None = None
    type: RotationType
    length: int = 1
    participants: list[Recipient] = Field(default_factory=list)
    time_restriction: TimeRestriction | None = None
    parent: ScheduleMeta | None = Field(default=None, alias="_parent")


class Schedule(WireModel):
    """`Schedule`."""

    id: str | None = None
    name: str
    description: str | None = None
    timezone: str | None = None
    enabled: bool | None = None
    owner_team: TeamMeta | None = None
    rotations: list[Rotation] = Field(default_factory=list)


class RotationRef(WireModel):
    """`ScheduleOverrideRotation`: a rotation named by `id` or `name`."""

    id: str | None = None
    name: str | None = None


class ScheduleOverride(WireModel):
    """`ScheduleOverride`: `user` is a user recipient or `{"type": "none"}`; no `rotations` means all."""

    alias: str
    user: Recipient
    start_date: datetime
    end_date: datetime
    rotations: list[RotationRef] = Field(default_factory=list)
    parent: ScheduleMeta | None = Field(default=None, alias="_parent")


class OverrideMeta(WireModel):
    """`ScheduleOverrideMeta`: what create/update of an override answer."""

    alias: str


class TimelineRecipient(WireModel):
    """`TimelineRecipient`: for a user, `name` is the username."""

    id: str | None = None
    name: str | None = None
    type: str | None = None
    forwarded_from: str | None = None


class TimelinePeriod(WireModel):
    """`TimelinePeriod`: one shift; `type` is e.g. `default`, `override`, `forwarding`, `historical`."""

    start_date: datetime
    end_date: datetime
    type: str | None = None
    from_user: str | None = None
    recipient: TimelineRecipient | None = None
    flattened_recipients: list[TimelineRecipient] = Field(default_factory=list)


class TimelineRotation(WireModel):
    """`TimelineRotation`."""

    id: str | None = None
    name: str | None = None
    order: float | None = None
    periods: list[TimelinePeriod] = Field(default_factory=list)


class Timeline(WireModel):
    """`Timeline`."""

    rotations: list[TimelineRotation] = Field(default_factory=list)


class ScheduleTimeline(WireModel):
    """`ScheduleTimeline`: `final_timeline` is the effective rota after overrides; others need `expand`."""

    parent: ScheduleMeta | None = Field(default=None, alias="_parent")
    start_date: datetime | None = None
    end_date: datetime | None = None
    final_timeline: Timeline = Field(default_factory=Timeline)
    base_timeline: Timeline | None = None
    override_timeline: Timeline | None = None
    forwarding_timeline: Timeline | None = None


class OnCallParticipant(WireModel):
    """`Participant`: for a user, `name` is the username."""

    id: str | None = None
    name: str | None = None
    type: str | None = None
    on_call_participants: list[OnCallParticipant] = Field(default_factory=list)
    forwarded_from: OnCallParticipant | None = None
    escalation_time: int | None = None
    notify_type: str | None = None


class OnCalls(WireModel):
    """`OnCall` (flat and non-flat merged). Vendor naming is inverted: OBJECTS are in `onCallParticipants`
    (non-flat), USERNAMES in `onCallRecipients` (`flat=true`). Use `participants` / `usernames`."""

    parent: ScheduleMeta | None = Field(default=None, alias="_parent")
    on_call_participants: list[OnCallParticipant] = Field(default_factory=list)
    on_call_recipients: list[str] = Field(default_factory=list)

    @property
    def participants(self) -> list[OnCallParticipant]:
        return self.on_call_participants

    @property
    def usernames(self) -> list[str]:
        return self.on_call_recipients


class NextOnCalls(WireModel):
    """`NextOnCall`. Inverted the other way round from `OnCalls`: OBJECTS are in `nextOnCallRecipients` /
    `exactNextOnCallRecipients`, USERNAMES (`flat=true`) in `nextOnCallParticipants` /
    `exactNextOnCallParticipants`. Use `participants` / `usernames` (and the `exact_` ones)."""

    parent: ScheduleMeta | None = Field(default=None, alias="_parent")
    next_on_call_recipients: list[OnCallParticipant] = Field(default_factory=list)
    exact_next_on_call_recipients: list[OnCallParticipant] = Field(default_factory=list)
    next_on_call_participants: list[str] = Field(default_factory=list)
    exact_next_on_call_participants: list[str] = Field(default_factory=list)

    @property
    def participants(self) -> list[OnCallParticipant]:
        return self.next_on_call_recipients

    @property
    def exact_participants(self) -> list[OnCallParticipant]:
        return self.exact_next_on_call_recipients

    @property
    def usernames(self) -> list[str]:
        return self.next_on_call_participants

    @property
    def exact_usernames(self) -> list[str]:
        return self.exact_next_on_call_participants


# --- incidents ----------------------------------------------------------------------------------------


class StatusPageEntry(WireModel):
    """`StatusPageEntry`: `title` is required; the spec names the text `details`."""

    title: str
    details: str | None = None


class Incident(WireModel):
    """`Incident` / `BaseIncident`, plus `description`/`serviceId`/`impactedServices` sent by newer APIs."""

    id: str
    tiny_id: str | None = None
    message: str | None = None
    description: str | None = None
    status: str | None = None
    is_seen: bool | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    source: str | None = None
    owner: str | None = None
    priority: str | None = None
    responders: list[Recipient] = Field(default_factory=list)
    owner_team: str | None = None
    extra_properties: dict[str, str] = Field(default_factory=dict)
    service_id: str | None = None
    impacted_services: list[str] = Field(default_factory=list)


class RequestStatus(WireModel):
    """What the request-status answers share: the outcome of an asynchronous write (202 + requestId)."""

    success: bool | None = None
    action: str | None = None
    processed_at: datetime | None = None
    integration_id: str | None = None
    is_success: bool | None = None
    status: str | None = None

    @property
    def succeeded(self) -> bool:
        return bool(self.is_success if self.is_success is not None else self.success)


class IncidentRequestStatus(RequestStatus):
    """`IncidentRequestStatus`: the outcome of an asynchronous incident request (202 + requestId)."""

    incident_id: str | None = None


class IncidentNote(WireModel):
    """An incident note (Go SDK v2 `NoteResult`); `offset` is an opaque paging token."""

    note: str
    owner: str | None = None
    created_at: datetime | None = None
    offset: str | None = None


class TimelineActor(WireModel):
    """Who made an incident timeline entry."""

    name: str | None = None
    type: str | None = None


class TimelineEntryDescription(WireModel):
    """The text of an incident timeline entry (`content` for custom entries, `type` `plain_text`)."""

    name: str | None = None
    type: str | None = None
    content: str | None = None


class TimelineLastEdit(WireModel):
    edit_time: datetime | None = None
    actor: TimelineActor | None = None


class TimelineEntry(WireModel):
    """An incident timeline entry (docs.opsgenie.com/docs/incident-timeline-api); ours are `group: custom`,
    `type: CustomUserEntry`."""

    id: str
    group: str | None = None
    type: str | None = None
    event_time: datetime | None = None
    hidden: bool | None = None
    actor: TimelineActor | None = None
    title: TimelineEntryDescription | None = None
    description: TimelineEntryDescription | None = None
    last_edit: TimelineLastEdit | None = None


# --- alerts -------------------------------------------------------------------------------------------


class AlertReport(WireModel):
    """`AlertReport`: `ack_time`/`close_time` are milliseconds after the alert's creation."""

    ack_time: int | None = None
    close_time: int | None = None
    acknowledged_by: str | None = None
    closed_by: str | None = None


class Alert(WireModel):
    """`Alert` (GET /v2/alerts/{id}) / `BaseAlert` (the list): `owner` is a username; user `responders`
    are named by id."""

    id: str
    tiny_id: str | None = None
    alias: str | None = None
    message: str | None = None
    status: str | None = None
    acknowledged: bool | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    source: str | None = None
    owner: str | None = None
    priority: str | None = None
    responders: list[Recipient] = Field(default_factory=list)
    report: AlertReport | None = None
    description: str | None = None


class AlertRequestStatus(RequestStatus):
    """`AlertRequestStatus`: the outcome of an asynchronous alert request (202 + requestId)."""

    alert_id: str | None = None
    alias: str | None = None
