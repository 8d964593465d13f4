"""Follow-up tickets: `oncall incident followup` files the work an incident left in a Jira project, links it
to the incident, and lists follow-ups with their status for `show`, `handoff` and `postmortem`.

Tickets live in Jira on either backend (the `Tickets` port); the link is the tracker's (an issue link on
JSM, the incident's details and a timeline note on Opsgenie). Safe to run twice: a ticket already linked, or
one an interrupted run created in the same project with the same summary, is reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oncall_cli.errors import OncallError, UsageError
from oncall_cli.services.context import Context
from oncall_cli.services.incident.common import _check_text, _ref, _tracker, find_incident
from oncall_cli.services.incident.models import IncidentRef
from oncall_cli.services.ports import Ticket, TrackedIncident
from oncall_cli.services.steps import Steps

FOLLOWUPS = "followups"
"""The incident link holding the follow-up keys, comma-separated."""


@dataclass
class FollowupResult:
    """What `incident followup` did (or, with --dry-run, would do)."""

    incident: IncidentRef
    summary: str
    project: str
    issue_type: str
    dry_run: bool
    ticket: Ticket | None = None
    created: bool = False
    linked: bool = False
    actions: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "incident": self.incident,
            "summary": self.summary,
            "project": self.project,
            "type": self.issue_type,
            "dry_run": self.dry_run,
            "ticket": followup_json(self.ticket) if self.ticket else None,
            "created": self.created,
            "linked": self.linked,
            "actions": self.actions,
            "applied": self.applied,
        }


def followup_json(ticket: Ticket) -> dict[str, Any]:
    return {"key": ticket.key, "summary": ticket.summary, "status": ticket.status, "done": ticket.done,
            "url": ticket.url}


def linked_keys(incident: TrackedIncident) -> list[str]:
    return [k for k in (incident.links.get(FOLLOWUPS) or "").split(",") if k.strip()]


def followup(
    ctx: Context,
    ref: str,
    summary: str,
    *,
    project: str | None,
    issue_type: str = "Task",
    dry_run: bool = False,
) -> FollowupResult:
    """`oncall incident followup`: create the ticket once and link it to the incident once."""
    summary = _check_text(summary, "SUMMARY")
    project = (project or ctx.settings.text("jira.followup_project")).strip().upper()
    if not project:
        raise UsageError(
            "--project: name the Jira project of the follow-up (or set jira.followup_project)",
            hint="oncall config set jira.followup_project SEARCH",
        )
    issue_type = _check_text(issue_type, "--type")
    incident = find_incident(ctx, ref)
    tracker, tickets = _tracker(ctx), ctx.tickets
    tickets.check(project, issue_type)
    result = FollowupResult(_ref(incident), summary, project, issue_type, dry_run)
    linked = [tickets.get(key) for key in linked_keys(incident)]
    ticket = next(
        (t for t in linked if t.summary.strip() == summary and t.key.startswith(f"{project}-")), None
    )
    if ticket is not None:
        result.ticket, result.linked = ticket, True
        return result
    ticket = tickets.find(project, summary, incident.created_at)
    if ticket is None:
        result.actions.append(f"create a {issue_type} in {project}: {summary}")
    result.actions.append(f"link it to incident #{incident.number}")
    result.ticket = ticket
    if dry_run:
        return result
    steps = Steps("followup")

    def create() -> bool:
        if result.ticket is not None:
            return False
        description = f"Follow-up of incident #{incident.number}: {incident.message}\n{incident.url}"
        result.ticket = tickets.create(project, issue_type, summary, description)
        result.created = True
        return True

    def link() -> bool:
        assert result.ticket is not None
        tracker.link_followup(incident, result.ticket)
        result.linked = True
        return True

    steps.run("jira.create_ticket", create, ["jira.create_ticket", "tracker.link_followup"])
    steps.run("tracker.link_followup", link, ["jira.create_ticket", "tracker.link_followup"])
    result.applied = list(result.actions)
    return result


def followups_of(ctx: Context, incident: TrackedIncident, warnings: list[str]) -> list[Ticket]:
    """The incident's follow-ups with their status now; one that cannot be read keeps its key, with a line
    in `warnings` (e.g. a profile with no Jira site)."""
    keys = linked_keys(incident)
    if not keys:
        return []
    try:
        tickets = ctx.tickets
        return [tickets.get(key) for key in keys]
    except OncallError as exc:
        warnings.append(f"could not read the follow-up tickets: {exc.message}")
        return [Ticket(key=key, url="", summary="", status="unknown") for key in keys]
