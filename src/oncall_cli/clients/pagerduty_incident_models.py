"""PagerDuty REST API v2 wire models of incidents, from `specs/pagerduty/openapiv3.json` (vendored subset:
`sandbox/specs/pagerduty.json`): services, priorities, incidents, their notes, status updates and responder
requests. Snake_case as on the wire, unknown fields ignored (`pagerduty_models.WireModel`); the schema name
from the spec is given in each docstring. Not our `--json` contract (that is `services/ports.py`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from oncall_cli.clients.pagerduty_models import Reference, WireModel


class Service(WireModel):
    """`Service`: what an incident is raised on."""

    id: str
    name: str
    status: str | None = None


class Priority(WireModel):
    """`Priority`: account-defined (`GET /priorities`); `oncall` maps P1-P5 by `name`."""

    id: str
    name: str
    description: str | None = None


class IncidentBody(WireModel):
    """`IncidentBody`: `{"type": "incident_body", "details": "..."}`."""

    type: str = "incident_body"
    details: str | None = None


class IncidentResponder(WireModel):
    """`IncidentsRespondersReference`: one person asked to respond (`state`: pending, joined, declined)."""

    state: str | None = None
    user: Reference | None = None
    message: str | None = None


class Incident(WireModel):
    """`Incident`. `incident_number` is what people type; `incident_key` dedups open incidents of a service
    (`oncall` writes the raising run's id there); `status` is triggered, acknowledged or resolved."""

    id: str
    incident_number: int
    title: str | None = None
    html_url: str | None = None
    status: str
    urgency: str | None = None
    incident_key: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    service: Reference | None = None
    priority: Priority | None = None
    body: IncidentBody | None = None
    incidents_responders: list[IncidentResponder] = Field(default_factory=list)


class IncidentNote(WireModel):
    """`IncidentNote`: a note on the incident's timeline (it cannot be edited or back-dated)."""

    id: str | None = None
    content: str
    created_at: datetime | None = None
    user: Reference | None = None


class StatusUpdate(WireModel):
    """`StatusUpdate`: a message sent to the incident's stakeholders (subscribers)."""

    id: str | None = None
    message: str | None = None
    created_at: datetime | None = None


class LogEntry(WireModel):
    """`LogEntry` (one of its typed forms: `trigger_log_entry`, `annotate_log_entry`, `resolve_log_entry`,
    ...): what happened to the incident; a resolve entry's `note` is the `resolution` it was given."""

    id: str
    type: str
    created_at: datetime | None = None
    summary: str | None = None
    note: str | None = None
