"""Opsgenie alerts: the `Alerts` port over the Opsgenie client (with opsgenie.py and opsgenie_incidents.py,
the only modules above the client that import it).

Opsgenie's specifics stop here:
- an alert's number is its tinyId (`7`, `#7`: `identifierType=tiny`), else its id;
- status is `open` or `closed`, acknowledgement a separate flag; `report.ackTime` is milliseconds after the
  alert's creation;
- the owner is a username (an email); user responders are named by id only, read once per run for their
  username (`GET /v2/users/{id}`);
- writes answer 202 + requestId: each is waited for at `GET /v2/alerts/requests/{requestId}`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from oncall_cli.errors import NotFoundError, OncallError, UsageError
from oncall_cli.services.ports import INCIDENT_TAG, Alert, alert_incident

if TYPE_CHECKING:
    from oncall_cli.clients.opsgenie import OpsgenieClient
    from oncall_cli.clients.opsgenie_models import Alert as WireAlert

SERVICE = "Opsgenie"
_QUERIES = {"open": "status:open", "closed": "status:closed", None: None}


class OpsgenieAlerts:
    """The alerts of the Opsgenie account the API key belongs to."""

    service = SERVICE

    def __init__(self, client: OpsgenieClient) -> None:
        self.client = client
        self._usernames: dict[str, str] = {}
        """User id -> username, read once per run."""

    def _username(self, user_id: str) -> str:
        if user_id not in self._usernames:
            try:
                self._usernames[user_id] = self.client.get_user(identifier=user_id).username
            except OncallError:
                self._usernames[user_id] = user_id  # a user that cannot be read stays an id
        return self._usernames[user_id]

    def _alert(self, wire: WireAlert) -> Alert:
        ack = wire.report.ack_time if wire.report else None
        responders = []
        for r in wire.responders:
            if r.type == "user":
                responders.append(r.username or (self._username(r.id) if r.id else "user"))
            else:
                responders.append(str(r.name or r.id or r.type))
        return Alert(
            id=wire.id,
            number=wire.tiny_id or wire.id,
            message=wire.message or "",
            status="closed" if wire.status == "closed" else "open",
            acknowledged=bool(wire.acknowledged),
            priority=wire.priority or "P3",
            created_at=wire.created_at,
            owner=wire.owner or None,
            tags=tuple(wire.tags),
            responders=tuple(responders),
            acknowledged_at=(
                wire.created_at + timedelta(milliseconds=ack)
                if wire.acknowledged and ack is not None and wire.created_at is not None
                else None
            ),
            incident=alert_incident(wire.tags),
        )

    def list(self, status: str | None = "open", mine: str | None = None) -> list[Alert]:
        """GET /v2/alerts?query=status:<status>, newest first, every page."""
        wires = self.client.iter_alerts(query=_QUERIES[status], sort="createdAt", order="desc")
        alerts = [self._alert(w) for w in wires]
        if mine is None:
            return alerts
        me = mine.lower()
        return [a for a in alerts if (a.owner or "").lower() == me or me in (r.lower() for r in a.responders)]

    def get(self, ref: str) -> Alert:
        """GET /v2/alerts/{ref}: by tinyId (`7`, `#7`) or by id."""
        key = ref.strip().lstrip("#")
        if not key:
            raise UsageError("ID: give the alert number (e.g. 7) or its Opsgenie id")
        try:
            wire = self.client.get_alert(identifier=key, identifier_type="tiny" if key.isdigit() else "id")
        except NotFoundError:
            raise NotFoundError(
                f"No Opsgenie alert {ref!r}",
                hint="Use the alert number from `oncall alert list`, or its id.",
            ) from None
        return self._alert(wire)

    def acknowledge(self, alert: Alert, *, user: str | None = None, note: str | None = None) -> None:
        """POST /v2/alerts/{id}/acknowledge, then wait for the request."""
        request_id = self.client.acknowledge_alert(identifier=alert.id, user=user, note=note)
        self.client.wait_alert_request(request_id=request_id)

    def close(self, alert: Alert, *, user: str | None = None, note: str | None = None) -> None:
        """POST /v2/alerts/{id}/close, then wait for the request."""
        request_id = self.client.close_alert(identifier=alert.id, user=user, note=note)
        self.client.wait_alert_request(request_id=request_id)

    def link_incident(self, alert: Alert, number: str) -> None:
        """POST /v2/alerts/{id}/tags `incident:<number>`, then wait for the request."""
        request_id = self.client.add_alert_tags(identifier=alert.id, tags=[f"{INCIDENT_TAG}{number}"])
        self.client.wait_alert_request(request_id=request_id)
