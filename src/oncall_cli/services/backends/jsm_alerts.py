"""JSM Operations alerts: the `Alerts` port over the JSM Operations client (with jsm.py, the only modules
above the client that import it).

JSM's specifics stop here:
- an alert is read by id only: a number (tiny id, `7`, `#7`) is found with the search `tinyId:7`;
- status is open | acked | snoozed (open for us) or resolved | closed (closed); the search asks for them
  all: `status:(open OR acked OR snoozed)`;
- responders are Atlassian account ids (read back as emails through the directory); the owner is a display
  name, so `--mine` matches it against the person's name;
- close and acknowledge take no note (the spec declares no body); writes answer 202 + requestId, waited for
  at `GET /v1/alerts/requests/{id}`.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from oncall_cli.errors import NotFoundError, OncallError, UsageError
from oncall_cli.services.ports import INCIDENT_TAG, Alert, alert_incident

if TYPE_CHECKING:
    from oncall_cli.clients.jsm import JsmOpsClient
    from oncall_cli.clients.jsm_models import Alert as WireAlert
    from oncall_cli.services.backends.jsm import JsmDirectory

SERVICE = "JSM"
OPEN = ("open", "acked", "snoozed")
CLOSED = ("closed", "resolved")
_QUERIES = {
    "open": f"status:({' OR '.join(OPEN)})",
    "closed": f"status:({' OR '.join(CLOSED)})",
    None: None,
}


class JsmAlerts:
    """The alerts of the site's JSM Operations."""

    service = SERVICE

    def __init__(self, ops: JsmOpsClient, people: JsmDirectory) -> None:
        self.ops = ops
        self.people = people

    def _alerts(self, wires: list[WireAlert]) -> list[Alert]:
        users = {r.id for w in wires for r in w.responders if r.type == "user" and r.id}
        with contextlib.suppress(OncallError):  # people who cannot be read stay account ids
            self.people.load(users)
        return [self._alert(w) for w in wires]

    def _email(self, account_id: str) -> str:
        try:
            return self.people.email_of(account_id)
        except OncallError:
            return account_id

    def _alert(self, wire: WireAlert) -> Alert:
        responders = tuple(
            self._email(r.id) if r.type == "user" and r.id else str(r.id or r.type) for r in wire.responders
        )
        return Alert(
            id=wire.id,
            number=wire.tiny_id or wire.id,
            message=wire.message or "",
            status="closed" if wire.status in CLOSED else "open",
            acknowledged=bool(wire.acknowledged) or wire.status == "acked",
            priority=wire.priority or "P3",
            created_at=wire.created_at,
            owner=wire.owner or None,
            tags=tuple(wire.tags),
            responders=responders,
            acknowledged_at=wire.ack_time,
            incident=alert_incident(wire.tags),
        )

    def list(self, status: str | None = "open", mine: str | None = None) -> list[Alert]:
        """GET /v1/alerts?query=status:(...), newest first, every page."""
        alerts = self._alerts(self.ops.list_alerts(query=_QUERIES[status], sort="createdAt", order="desc"))
        if mine is None:
            return alerts
        me = mine.lower()
        person = self.people.find(mine)
        name = person.name.lower() if person is not None else None
        return [
            a for a in alerts
            if me in (r.lower() for r in a.responders) or (name and (a.owner or "").lower() == name)
        ]

    def get(self, ref: str) -> Alert:
        """By number: GET /v1/alerts?query=tinyId:<n>; by id: GET /v1/alerts/{id}."""
        key = ref.strip().lstrip("#")
        if not key:
            raise UsageError("ID: give the alert number (e.g. 7) or its JSM id")
        missing = NotFoundError(
            f"No JSM alert {ref!r}", hint="Use the alert number from `oncall alert list`, or its id."
        )
        if key.isdigit():
            found = [w for w in self.ops.list_alerts(query=f"tinyId:{key}") if w.tiny_id == key]
            if not found:
                raise missing
            return self._alerts(found[:1])[0]
        try:
            return self._alerts([self.ops.get_alert(alert_id=key)])[0]
        except NotFoundError:
            raise missing from None

    def acknowledge(self, alert: Alert, *, user: str | None = None, note: str | None = None) -> None:
        """POST /v1/alerts/{id}/acknowledge (as the credential's account; no note), then wait for it."""
        self.ops.wait_alert_request(request_id=self.ops.acknowledge_alert(alert_id=alert.id))

    def close(self, alert: Alert, *, user: str | None = None, note: str | None = None) -> None:
        """POST /v1/alerts/{id}/close (no note), then wait for the request."""
        self.ops.wait_alert_request(request_id=self.ops.close_alert(alert_id=alert.id))

    def link_incident(self, alert: Alert, number: str) -> None:
        """POST /v1/alerts/{id}/tags `incident:<number>`, then wait for the request."""
        request_id = self.ops.add_alert_tags(alert_id=alert.id, tags=[f"{INCIDENT_TAG}{number}"])
        self.ops.wait_alert_request(request_id=request_id)
