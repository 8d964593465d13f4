"""Follow-up tickets on a tracker with no link to Jira (Opsgenie, PagerDuty): the ticket's key in the
`followups` link and a timeline note saying what it is."""

from __future__ import annotations

from oncall_cli.services.ports import FOLLOWUP_RECORDED, IncidentTracker, Ticket, TrackedIncident, record


def link_followup_by_note(tracker: IncidentTracker, incident: TrackedIncident, ticket: Ticket) -> None:
    """The note and the key, each checked first, so a re-run writes neither twice."""
    current = tracker.get(incident.id)
    keys = [k for k in current.links.get("followups", "").split(",") if k]
    note = record(FOLLOWUP_RECORDED, key=ticket.key, rest=f"{ticket.summary} {ticket.url}").strip()
    if not any(item.text == note for item in tracker.timeline(current)):
        tracker.add_entry(current, note)
    if ticket.key not in keys:
        tracker.set_links(current, {"followups": ",".join([*keys, ticket.key])})
