"""The incident commands' data: the output models (the `--json` contract, documented in `docs/incident.md`)
and the inputs of the journaled workflows (what `resume` replays)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, cast

from oncall_cli.services.incident_text import ChecklistItem, Priority
from oncall_cli.services.ports import Ticket

# ---- output models (the `--json` contract; documented in docs/incident.md) ----------------------------


@dataclass
class IncidentRef:
    id: str
    number: str
    message: str
    priority: str
    status: str
    url: str


@dataclass
class SlackLinks:
    channel_id: str | None = None
    channel_name: str | None = None
    channel_url: str | None = None
    thread_url: str | None = None
    invited: list[str] = field(default_factory=list)
    already_in_channel: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class StatuspageLinks:
    incident_id: str
    url: str
    status: str | None = None
    impact: str | None = None
    components: dict[str, str] = field(default_factory=dict)


@dataclass
class StepView:
    name: str
    status: str
    attempts: int = 0
    started_at: str | None = None
    ended_at: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None


@dataclass
class WorkflowResult:
    """What `raise`, `resolve` and `resume` print."""

    run_id: str
    workflow: str
    status: str
    incident: IncidentRef
    slack: SlackLinks
    statuspage: StatuspageLinks | None
    steps: list[StepView]
    warnings: list[str] = field(default_factory=list)
    checklist: list[ChecklistItem] = field(default_factory=list)
    dry_run: bool = False


@dataclass
class Change:
    """One remote change, as `--dry-run` prints it."""

    service: str
    action: str
    target: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class DryRun:
    changes: list[Change]
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = True


@dataclass
class ActionResult:
    """What assign, responder/stakeholder add, note, priority, status update and close print."""

    incident: IncidentRef
    done: list[str]
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    statuspage: StatuspageLinks | None = None
    dry_run: bool = False


@dataclass
class IncidentRow:
    id: str
    number: str
    message: str
    priority: str
    status: str
    created_at: datetime | None
    url: str
    slack_channel: str | None
    statuspage_incident_id: str | None


@dataclass
class TimelineItem:
    at: datetime | None
    text: str
    kind: str


@dataclass
class IncidentDetail:
    incident: IncidentRef
    description: str | None
    created_at: datetime | None
    updated_at: datetime | None
    roles: dict[str, str | None]
    responders: list[str]
    stakeholders: list[str]
    slack: SlackLinks
    statuspage: StatuspageLinks | None
    timeline: list[TimelineItem]
    details: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    followups: list[Ticket] = field(default_factory=list)
    """Follow-up tickets (`incident followup`) with their status now."""
    timezone: str = "UTC"
    """The zone every time above is given in (the profile's `timezone`)."""
    alerts: list[dict[str, Any]] = field(default_factory=list)
    """The linked alerts (`incident link-alert`) as they are now, in the `alert show --json` shape."""


@dataclass
class JournalRun:
    run_id: str
    workflow: str
    status: str
    incident_id: str | None
    incident_number: str | None
    message: str
    created_at: str
    updated_at: str
    error: dict[str, Any] | None
    steps: list[StepView]


@dataclass
class JournalView:
    path: str
    runs: list[JournalRun]


@dataclass
class Postmortem:
    incident: IncidentRef
    path: str | None
    markdown: str
    recorded: dict[str, str] | None = None
    """What the incident now says about its postmortem: `{link, state}` (Draft or Published), else None
    (a draft only printed is not recorded)."""
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False


# ---- inputs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RaiseRequest:
    message: str
    priority: Priority
    description: str | None = None
    thread: str | None = None
    service: str | None = None
    responders: tuple[str, ...] = ()
    statuspage: bool | None = None
    components: tuple[str, ...] = ()
    public_message: str | None = None
    notify_subscribers: bool = True
    force: bool = False
    reported_at: str | None = None
    """`--reported-at` as typed (default: the thread's first message, else now)."""
    non_production: bool | None = None
    """`--non-production` (P4/P5 only); None: not said (a P4/P5 raise on a terminal asks)."""


@dataclass(frozen=True)
class RaiseParams:
    """What the raise run journals and `resume` replays: the request, resolved to ids."""

    message: str
    priority: Priority
    description: str | None
    thread: str | None
    service_id: str
    service_name: str
    responders: tuple[str, ...]
    public: bool
    components: tuple[str, ...]
    component_ids: dict[str, str]
    public_message: str | None
    notify_subscribers: bool
    reported_at: str | None = None
    """ISO 8601: when it was reported (stored on the incident as the `reported_at` link)."""
    non_production: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["responders"] = list(self.responders)
        data["components"] = list(self.components)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RaiseParams:
        return cls(
            message=str(data["message"]),
            priority=cast(Priority, data["priority"]),
            description=data.get("description"),
            thread=data.get("thread"),
            service_id=str(data["service_id"]),
            service_name=str(data.get("service_name", "")),
            responders=tuple(data.get("responders") or ()),
            public=bool(data.get("public")),
            components=tuple(data.get("components") or ()),
            component_ids=dict(data.get("component_ids") or {}),
            public_message=data.get("public_message"),
            notify_subscribers=bool(data.get("notify_subscribers", True)),
            reported_at=data.get("reported_at"),
            non_production=bool(data.get("non_production")),
        )


@dataclass(frozen=True)
class ResolveParams:
    incident_id: str
    note: str
    close_alerts: bool
    statuspage_message: str | None
    alerts: tuple[str, ...] = ()
    """The ids of the alerts `--alert` names, closed besides the incident's own."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResolveParams:
        return cls(
            incident_id=str(data["incident_id"]),
            note=str(data["note"]),
            close_alerts=bool(data.get("close_alerts")),
            statuspage_message=data.get("statuspage_message"),
            alerts=tuple(str(a) for a in data.get("alerts") or ()),
        )
