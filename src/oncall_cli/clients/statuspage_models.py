"""Statuspage manage API v1 wire models, built from `statuspage-openapi3.json` (`components.schemas`).

Response models (`Page`, `Component`, `Incident`, `IncidentUpdate`) ignore unknown fields and treat a
`null` list as empty. Request models (`ComponentPatch`, `IncidentCreate`, `IncidentPatch`) are the inner
object of the `{"component": ...}` / `{"incident": ...}` bodies; they reject unknown fields and bad values
before anything is sent.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

T = TypeVar("T")

# Component status. The spec's enum also has "" (no status), which only appears in answers.
ComponentStatus = Literal["operational", "degraded_performance", "partial_outage", "major_outage",
                          "under_maintenance"]
# Realtime incident status: what we send. Scheduled maintenances use ScheduledStatus.
IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved"]
ScheduledStatus = Literal["scheduled", "in_progress", "verifying", "completed"]
# `impact_override` we send for realtime incidents; the spec also allows "maintenance" (scheduled ones).
ImpactOverride = Literal["none", "minor", "major", "critical"]
Impact = Literal["none", "maintenance", "minor", "major", "critical"]


def _none_as_empty(value: Any) -> Any:
    return [] if value is None else value


NullableList = Annotated[list[T], BeforeValidator(_none_as_empty)]


class StatuspageModel(BaseModel):
    # defer_build: each model's validator is built when first used, not when a command imports them all.
    model_config = ConfigDict(extra="ignore", defer_build=True)


class Page(StatuspageModel):
    """`Page` (the fields we use)."""

    id: str
    name: str = ""
    subdomain: str | None = None
    domain: str | None = None
    url: str | None = None
    time_zone: str | None = None
    page_description: str | None = None
    headline: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Component(StatuspageModel):
    """`Component`: a service shown on the page; `group` is true for a component group."""

    id: str
    page_id: str | None = None
    group_id: str | None = None
    group: bool = False
    name: str
    description: str | None = None
    position: int | None = None
    status: ComponentStatus | Literal[""] | None = None
    showcase: bool | None = None
    only_show_if_degraded: bool | None = None
    start_date: date | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class AffectedComponent(StatuspageModel):
    """One entry of `IncidentUpdate.affected_components` (the spec gives only an example)."""

    code: str | None = None
    name: str | None = None
    old_status: ComponentStatus | Literal[""] | None = None
    new_status: ComponentStatus | Literal[""] | None = None


class IncidentUpdate(StatuspageModel):
    """`IncidentUpdate`: one public update of an incident."""

    id: str
    incident_id: str | None = None
    status: IncidentStatus | ScheduledStatus | None = None
    body: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    display_at: datetime | None = None
    deliver_notifications: bool | None = None
    affected_components: NullableList[AffectedComponent] = Field(default_factory=list)


class Incident(StatuspageModel):
    """`Incident` (the fields we use). `incident_updates` are newest first."""

    id: str
    page_id: str | None = None
    name: str
    status: IncidentStatus | ScheduledStatus
    impact: Impact | None = None
    impact_override: Impact | None = None
    shortlink: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    monitoring_at: datetime | None = None
    resolved_at: datetime | None = None
    scheduled_for: datetime | None = None
    scheduled_until: datetime | None = None
    postmortem_body: str | None = None
    metadata: dict[str, Any] | None = None
    components: NullableList[Component] = Field(default_factory=list)
    incident_updates: NullableList[IncidentUpdate] = Field(default_factory=list)


# ---- request bodies ---------------------------------------------------------------------------------------


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentPatch(_Request):
    """`patchPagesPageIdComponents.component`."""

    status: ComponentStatus | None = None
    name: str | None = None
    description: str | None = None


class IncidentCreate(_Request):
    """`postPagesPageIdIncidents.incident` for a realtime incident.

    `components` maps component id to the status to set; `component_ids` lists the affected components.
    `metadata`: every top-level value must itself be an object.
    """

    name: str = Field(min_length=1, max_length=255)
    status: IncidentStatus = "investigating"
    impact_override: ImpactOverride | None = None
    body: str | None = Field(default=None, max_length=25000)
    component_ids: list[str] | None = None
    components: dict[str, ComponentStatus] | None = None
    deliver_notifications: bool = True
    metadata: dict[str, dict[str, Any]] | None = None


class IncidentPatch(_Request):
    """`patchPagesPageIdIncidents.incident`. `status` + `body` is how a new public update is posted."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    status: IncidentStatus | None = None
    impact_override: ImpactOverride | None = None
    body: str | None = Field(default=None, max_length=25000)
    component_ids: list[str] | None = None
    components: dict[str, ComponentStatus] | None = None
    deliver_notifications: bool | None = None
    metadata: dict[str, dict[str, Any]] | None = None
