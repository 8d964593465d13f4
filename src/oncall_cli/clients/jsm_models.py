"""JSM Operations wire models: the vendor's JSON shapes, from `specs/jsm-ops/jsm-ops-excerpt.openapi.yaml`.

Field names mirror the vendor in snake_case with camelCase aliases; unknown fields are ignored so new vendor
fields never break us. These are not our `--json` output contract (that lives in `services/`). The schema name
from the spec is given in each docstring.

Differences from Opsgenie worth knowing: ids only (no names or usernames), the no-one placeholder is
`{"type": "noone"}` (Opsgenie: `none`), overrides carry `responder` + `rotationIds`, and timeline periods name
their `responder` (Opsgenie: `recipient`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

RotationType = Literal["daily", "weekly", "hourly"]
ResponderType = Literal["user", "team", "escalation", "noone"]
OverrideResponderType = Literal["user", "noone"]
IntervalUnit = Literal["days", "weeks", "months"]
TimelineExpand = Literal["base", "forwarding", "override"]


class WireModel(BaseModel):
    """Base of every JSM Operations model: camelCase on the wire, snake_case in Python, extras ignored."""

    # defer_build: each model's validator is built when first used, not when a command imports them all.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )

    def to_wire(self) -> dict[str, object]:
        """The JSON body shape: camelCase keys, unset (None) fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# --- responders ---------------------------------------------------------------------------------------


class ResponderInfo(WireModel):
    """`ResponderInfo`: a rotation participant. `id` is an Atlassian account id (user), a team or an
    escalation id; it is absent for the `noone` slot."""

    type: ResponderType
    id: str | None = None

    @classmethod
    def user(cls, account_id: str) -> ResponderInfo:
        return cls(type="user", id=account_id)

    @classmethod
    def team(cls, team_id: str) -> ResponderInfo:
        return cls(type="team", id=team_id)

    @classmethod
    def no_one(cls) -> ResponderInfo:
        """The reserved `{"type": "noone"}` participant: nobody is on call for that slot."""
        return cls(type="noone")


class OverrideResponderInfo(WireModel):
    """`OverrideResponderInfo`: who takes the shift of an override, a user or `noone`."""

    type: OverrideResponderType
    id: str | None = None

    @classmethod
    def user(cls, account_id: str) -> OverrideResponderInfo:
        return cls(type="user", id=account_id)

    @classmethod
    def no_one(cls) -> OverrideResponderInfo:
        return cls(type="noone")


# --- time restrictions --------------------------------------------------------------------------------


class TimeOfDayRestriction(WireModel):
    """`TimeOfDayTimeRestrictionSettings(Request)`."""

    start_hour: int | None = None
    start_min: int | None = None
    end_hour: int | None = None
    end_min: int | None = None


class WeekdayTimeRestriction(TimeOfDayRestriction):
    """`WeekdayTimeRestrictionSettings(Request)`: days are `monday` ... `sunday`."""

    start_day: str | None = None
    end_day: str | None = None


class TimeRestriction(WireModel):
    """`TimeOfDayTimeRestriction` (`restriction`) or `WeekdayTimeRestriction` (`restrictions`)."""

    type: Literal["time-of-day", "weekday-and-time-of-day"]
    restriction: TimeOfDayRestriction | None = None
    restrictions: list[WeekdayTimeRestriction] | None = None


# --- schedules, rotations, overrides ------------------------------------------------------------------


class Rotation(WireModel):
    """`Rotation`. Dates carry a UTC offset; JSM has no time-zone field on a rotation."""

    id: str | None = None
    name: str | None = None
    start_date: datetime
    end_date: datetime | None = None
    type: RotationType
    length: int = 1
    participants: list[ResponderInfo] = Field(default_factory=list)
    time_restriction: TimeRestriction | None = None


class Schedule(WireModel):
    """`Schedule`."""

    id: str | None = None
    name: str
    description: str | None = None
    timezone: str | None = None
    enabled: bool | None = None
    team_id: str | None = None
    rotations: list[Rotation] = Field(default_factory=list)


class Override(WireModel):
    """`Override`: `rotation_ids` is None when the override applies to every rotation."""

    alias: str
    responder: OverrideResponderInfo
    start_date: datetime
    end_date: datetime
    rotation_ids: list[str] | None = None


# --- timelines ----------------------------------------------------------------------------------------


class TimelineResponder(WireModel):
    """`TimelineResponder` (also `ForwardingResponder`, whose type is always `user`)."""

    id: str | None = None
    type: str | None = None
    deleted: bool | None = None


class TimelinePeriod(WireModel):
    """`TimelinePeriod`: one shift; `type` is `base`, `override`, `forwarding` or `historical`."""

    start_date: datetime
    end_date: datetime
    type: str | None = None
    from_responder: TimelineResponder | None = Field(default=None, alias="from")
    responder: TimelineResponder | None = None
    flattened_responders: list[TimelineResponder] = Field(default_factory=list)


class TimelineRotation(WireModel):
    """`TimelineRotation`: `order` is empty and `deleted` true for a deleted rotation."""

    id: str | None = None
    name: str | None = None
    order: float | None = None
    deleted: bool | None = None
    periods: list[TimelinePeriod] = Field(default_factory=list)


class Timeline(WireModel):
    """`Timeline`."""

    rotations: list[TimelineRotation] = Field(default_factory=list)


class ScheduleTimeline(WireModel):
    """`ScheduleTimelineResponse`: `final_timeline` is the effective rota after overrides; the other layers
    come only with `expand`."""

    start_date: datetime | None = None
    end_date: datetime | None = None
    final_timeline: Timeline = Field(default_factory=Timeline)
    base_timeline: Timeline | None = None
    override_timeline: Timeline | None = None
    forwarding_timeline: Timeline | None = None


# --- teams --------------------------------------------------------------------------------------------


class PlatformTeam(WireModel):
    """`PlatformTeamDto`: an Atlassian platform team that has Operations enabled."""

    team_id: str
    team_name: str | None = None


__all__ = [
    "IntervalUnit",
    "Override",
    "OverrideResponderInfo",
    "OverrideResponderType",
    "PlatformTeam",
    "ResponderInfo",
    "ResponderType",
    "Rotation",
    "RotationType",
    "Schedule",
    "ScheduleTimeline",
    "TimeOfDayRestriction",
    "TimeRestriction",
    "Timeline",
    "TimelineExpand",
    "TimelinePeriod",
    "TimelineResponder",
    "TimelineRotation",
    "WeekdayTimeRestriction",
    "WireModel",
]


# --- alerts -------------------------------------------------------------------------------------------


class AlertResponder(WireModel):
    """`Responder` of an alert: a team, user (Atlassian account id), escalation or schedule, by id."""

    id: str | None = None
    type: str | None = None


class Alert(WireModel):
    """`AlertResponse`: `status` is open | acked | resolved | snoozed | closed; `owner` is the owner's
    display name; `ack_time`/`close_time` are instants (Opsgenie gave milliseconds after creation)."""

    id: str
    tiny_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    message: str | None = None
    status: str | None = None
    tags: list[str] = Field(default_factory=list)
    acknowledged: bool | None = None
    ack_time: datetime | None = None
    close_time: datetime | None = None
    owner: str | None = None
    priority: str | None = None
    responders: list[AlertResponder] = Field(default_factory=list)
    description: str | None = None


class AlertRequestStatus(WireModel):
    """`GetRequestStatusResponse`: the outcome of an asynchronous alert request (202 + requestId)."""

    action: str | None = None
    processed_at: datetime | None = None
    is_success: bool | None = None
    status: str | None = None
    alert_id: str | None = None
