"""PagerDuty REST API wire models (v2, and v3 schedules): the vendor's JSON shapes, from
`specs/pagerduty/openapiv3.json` (vendored subset: `sandbox/specs/pagerduty.json`).

Field names are PagerDuty's own (snake_case on the wire too); unknown fields are ignored so new vendor fields
never break us. These are not our `--json` output contract (that lives in `services/`). The schema name from
the spec is given in each docstring.

What matters for `oncall`: the team's schedule is a v3 (shift-based) schedule (`ScheduleV3`) whose rotations
are on call at once (the two seats); a rotation's events (`Event`) say when (an RRULE in a time zone) and
who (`ShiftMember`s in turn, `empty_member` for an empty turn); overrides (`OverrideShift`) replace one
rotation's member. References are `{id, type}` with `*_reference` types.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class WireModel(BaseModel):
    """Base of every PagerDuty model: snake_case as on the wire, extras ignored."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    def to_wire(self) -> dict[str, object]:
        """The JSON body shape, unset (None) fields left out."""
        return self.model_dump(mode="json", exclude_none=True)


class Reference(WireModel):
    """`Reference` (and `UserReference`, `TeamReference`, ...): `{id, type}`, with a `summary` in answers."""

    id: str
    type: str
    summary: str | None = None

    @classmethod
    def user(cls, user_id: str) -> Reference:
        return cls(id=user_id, type="user_reference")

    @classmethod
    def schedule(cls, schedule_id: str) -> Reference:
        return cls(id=schedule_id, type="schedule_reference")


class User(WireModel):
    """`User`: a PagerDuty user; `email` is how `oncall` names people."""

    id: str
    name: str
    email: str
    time_zone: str | None = None
    role: str | None = None
    teams: list[Reference] = Field(default_factory=list)


class Team(WireModel):
    """`Team`."""

    id: str
    name: str


class TeamMember(WireModel):
    """One item of `GET /teams/{id}/members`: the user's reference and their team role."""

    user: Reference
    role: str | None = None


class Oncall(WireModel):
    """`Oncall`: who is on call for a schedule (and an escalation level) from `start` to `end`."""

    user: Reference
    schedule: Reference | None = None
    escalation_policy: Reference | None = None
    escalation_level: int | None = None
    start: datetime | None = None
    end: datetime | None = None


class EscalationRule(WireModel):
    """`EscalationRule`: its `targets` (users and schedules) are paged after the delay."""

    escalation_delay_in_minutes: int
    targets: list[Reference]


class EscalationPolicy(WireModel):
    """`EscalationPolicy`."""

    id: str
    name: str
    escalation_rules: list[EscalationRule] = Field(default_factory=list)


# ---- v3 (shift-based) schedules -------------------------------------------------------------------------


class ShiftMember(WireModel):
    """`ShiftMember`: `user_member` (with `user_id`) or `empty_member`, a slot intentionally unassigned: the
    `none` placeholder's faithful form."""

    type: str
    user_id: str | None = None

    @classmethod
    def of(cls, user_id: str | None) -> ShiftMember:
        """A user's member, or the empty member for None."""
        return cls(type="empty_member") if user_id is None else cls(type="user_member", user_id=user_id)

    @property
    def user(self) -> str | None:
        """The user id, None for an empty member."""
        return self.user_id if self.type == "user_member" else None


class ZonedDateTime(WireModel):
    """`ZonedDateTime`: a date-time and the IANA zone its recurrence is counted in (hand-offs at wall-clock
    time across DST)."""

    date_time: datetime
    time_zone: str


class AssignmentStrategy(WireModel):
    """`EventAssignmentStrategy`: `rotating_member_assignment_strategy` takes `members` in turn, each for
    `shifts_per_member` consecutive occurrences."""

    type: str = "rotating_member_assignment_strategy"
    shifts_per_member: int | None = None
    members: list[ShiftMember]


class Event(WireModel):
    """`Event`: a recurring window (`start_time`..`end_time`, repeated by `recurrence`, an RFC 5545 RRULE)
    with its members, producing shifts from `effective_since` to `effective_until` (None: for ever)."""

    id: str | None = None
    name: str
    start_time: ZonedDateTime
    end_time: ZonedDateTime
    effective_since: datetime
    effective_until: datetime | None = None
    recurrence: list[str]
    assignment_strategy: AssignmentStrategy


class ScheduleRotation(WireModel):
    """`Rotation` (v3): only an id; its name, recurrence and members are its events'."""

    id: str
    events: list[Event] = Field(default_factory=list)


class ShiftSource(WireModel):
    """`ShiftSource`: where a computed shift comes from (`schedule_rotation`, or
    `schedule_rotation_override` with its `override_id`)."""

    type: str
    rotation_id: str | None = None
    override_id: str | None = None


class ComputedShift(WireModel):
    """`ComputedShiftAssignment`: one stretch of the final schedule; an `empty_member` is nobody."""

    start_time: datetime
    end_time: datetime
    member: ShiftMember
    source: ShiftSource


class FinalScheduleV3(WireModel):
    """`FinalSchedule` (v3): the computed shifts in the window asked for."""

    computed_shift_assignments: list[ComputedShift] = Field(default_factory=list)


class ScheduleV3(WireModel):
    """`ScheduleResponse.schedule`: a v3 schedule, its rotations (with events) and, on request, the final
    schedule."""

    id: str
    name: str
    time_zone: str
    rotations: list[ScheduleRotation] = Field(default_factory=list)
    final_schedule: FinalScheduleV3 | None = None
    escalation_policies: list[Reference] = Field(default_factory=list)


class OverrideShift(WireModel):
    """`OverrideShift`: `overriding_member` replaces `overridden_member` on the rotation's shift from
    `start_time` to `end_time`."""

    id: str | None = None
    rotation_id: str | None = None
    start_time: datetime
    end_time: datetime
    overridden_member: ShiftMember
    overriding_member: ShiftMember
