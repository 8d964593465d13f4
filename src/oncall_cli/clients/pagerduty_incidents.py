"""Typed client of PagerDuty's incidents (REST API v2): services, priorities, incidents, notes, status
updates and responder requests, one method per vendor operation.

It is the foundation's `PagerDutyClient` (same transport, `Token` auth, versioned `Accept`, `From` on the
writes that act for a person, offset/limit paging to the end, 429 with `ratelimit-reset`) with the incident
operations added. Built from `specs/pagerduty/openapiv3.json`:
- `POST /incidents` and `PUT /incidents/{id}` need `From` (a user of the account); so do notes and status
  updates. `POST /incidents/{id}/responder_requests` names its requester in the body (`requester_id`).
- `incident_key` dedups: "Sending subsequent requests referencing the same service and with the same
  incident_key will result in those requests being rejected if an open incident matches that incident_key."
- `GET /incidents/{id}` "Accepts either an incident id, or an incident number."
- `GET /incidents` searches at most 6 months (`since`/`until`, default one month); `date_range=all` ignores
  both.

Vendor reference: https://developer.pagerduty.com/api-reference/
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from oncall_cli.clients.pagerduty import PagerDutyClient, _iso, _segment
from oncall_cli.clients.pagerduty_incident_models import (
    Incident,
    IncidentNote,
    LogEntry,
    Priority,
    Service,
    StatusUpdate,
)


class PagerDutyIncidentsClient(PagerDutyClient):
    """The PagerDuty REST API v2 of one account, with its incident operations."""

    # --- services and priorities ---------------------------------------------------------------------

    def list_services(self, *, query: str | None = None) -> list[Service]:
        """GET /services (`query` matches names), every page."""
        return list(self._list("/services", "services", Service, [("query", query)] if query else []))

    def list_priorities(self) -> list[Priority]:
        """GET /priorities: the account's priorities, highest first (none when the account has none)."""
        return list(self._list("/priorities", "priorities", Priority))

    # --- incidents -----------------------------------------------------------------------------------

    def create_incident(
        self,
        *,
        title: str,
        service_id: str,
        priority_id: str | None,
        urgency: str,
        details: str | None,
        incident_key: str | None,
    ) -> Incident:
        """POST /incidents (needs `From`): on the service, with its priority, urgency and body."""
        incident: dict[str, Any] = {
            "type": "incident",
            "title": title,
            "service": {"id": service_id, "type": "service_reference"},
            "urgency": urgency,
        }
        if priority_id:
            incident["priority"] = {"id": priority_id, "type": "priority_reference"}
        if details:
            incident["body"] = {"type": "incident_body", "details": details}
        if incident_key:
            incident["incident_key"] = incident_key
        body = self._request("POST", "/incidents", json={"incident": incident}, acting=True)
        return self._parse(Incident, (body or {}).get("incident"), "incident")

    def get_incident(self, *, incident_id: str) -> Incident:
        """GET /incidents/{id}: by id or by incident number."""
        body = self._request("GET", f"/incidents/{_segment(incident_id, 'incident')}")
        return self._parse(Incident, (body or {}).get("incident"), "incident")

    def iter_incidents(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        service_ids: Sequence[str] = (),
        statuses: Sequence[str] = (),
        incident_key: str | None = None,
        sort_by: str | None = None,
    ) -> Iterator[Incident]:
        """GET /incidents, page after page; without `since` every incident (`date_range=all`)."""
        params: list[tuple[str, Any]] = []
        if since is None:
            params.append(("date_range", "all"))
        else:
            params.append(("since", _iso(since, "since")))
            if until is not None:
                params.append(("until", _iso(until, "until")))
        params += [("service_ids[]", s) for s in service_ids]
        params += [("statuses[]", s) for s in statuses]
        if incident_key:
            params.append(("incident_key", incident_key))
        if sort_by:
            params.append(("sort_by", sort_by))
        return self._list("/incidents", "incidents", Incident, params)

    def update_incident(
        self,
        *,
        incident_id: str,
        status: str | None = None,
        priority_id: str | None = None,
        urgency: str | None = None,
        resolution: str | None = None,
    ) -> Incident:
        """PUT /incidents/{id} (needs `From`): a new status (`acknowledged`, `resolved` with its
        `resolution`), or priority and urgency."""
        incident: dict[str, Any] = {"type": "incident_reference"}
        if status:
            incident["status"] = status
        if priority_id:
            incident["priority"] = {"id": priority_id, "type": "priority_reference"}
        if urgency:
            incident["urgency"] = urgency
        if resolution:
            incident["resolution"] = resolution
        body = self._request(
            "PUT", f"/incidents/{_segment(incident_id, 'incident')}", json={"incident": incident}, acting=True
        )
        return self._parse(Incident, (body or {}).get("incident"), "incident")

    # --- notes, status updates, responders -----------------------------------------------------------

    def list_notes(self, *, incident_id: str) -> list[IncidentNote]:
        """GET /incidents/{id}/notes: every note, oldest first (the list is not paged)."""
        body = self._request("GET", f"/incidents/{_segment(incident_id, 'incident')}/notes")
        return [self._parse(IncidentNote, item, "note") for item in (body or {}).get("notes") or []]

    def list_log_entries(self, *, incident_id: str) -> list[LogEntry]:
        """GET /incidents/{id}/log_entries: what happened to the incident, every page."""
        path = f"/incidents/{_segment(incident_id, 'incident')}/log_entries"
        return list(self._list(path, "log_entries", LogEntry))

    def create_note(self, *, incident_id: str, content: str) -> IncidentNote:
        """POST /incidents/{id}/notes (needs `From`)."""
        body = self._request(
            "POST",
            f"/incidents/{_segment(incident_id, 'incident')}/notes",
            json={"note": {"content": content}},
            acting=True,
        )
        return self._parse(IncidentNote, (body or {}).get("note"), "note")

    def create_status_update(self, *, incident_id: str, message: str) -> StatusUpdate:
        """POST /incidents/{id}/status_updates (needs `From`): a message to the incident's stakeholders."""
        body = self._request(
            "POST",
            f"/incidents/{_segment(incident_id, 'incident')}/status_updates",
            json={"message": message},
            acting=True,
        )
        return self._parse(StatusUpdate, (body or {}).get("status_update"), "status update")

    def add_status_update_subscribers(self, *, incident_id: str, user_ids: Sequence[str]) -> None:
        """POST /incidents/{id}/status_updates/subscribers: these users get the status updates."""
        self._request(
            "POST",
            f"/incidents/{_segment(incident_id, 'incident')}/status_updates/subscribers",
            json={"subscribers": [{"subscriber_id": u, "subscriber_type": "user"} for u in user_ids]},
        )

    def create_responder_request(
        self, *, incident_id: str, requester_id: str, user_ids: Sequence[str], message: str
    ) -> None:
        """POST /incidents/{id}/responder_requests: ask these users to respond, as `requester_id`."""
        self._request(
            "POST",
            f"/incidents/{_segment(incident_id, 'incident')}/responder_requests",
            json={
                "requester_id": requester_id,
                "message": message,
                "responder_request_targets": [
                    {"responder_request_target": {"id": u, "type": "user_reference"}} for u in user_ids
                ],
            },
        )


__all__ = ["PagerDutyIncidentsClient"]
