"""The `Alerts` adapters' mapping of each service's alert onto the port's `Alert`: statuses normalised to
open/closed, acknowledgement times (Opsgenie: milliseconds after creation; JSM: an instant), responders as
emails, the linked incident from the `incident:<number>` tag. Wire models in, no HTTP: a fake directory names
JSM's accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oncall_cli.clients.jsm_models import Alert as JsmAlert
from oncall_cli.clients.opsgenie_models import Alert as OpsgenieAlert
from oncall_cli.services.backends.jsm_alerts import JsmAlerts
from oncall_cli.services.backends.opsgenie_alerts import OpsgenieAlerts
from oncall_cli.services.ports import alert_incident

CREATED = datetime(2025, 3, 5, 14, 0, tzinfo=UTC)


class People:
    """The JSM directory's account id -> email, as far as the adapter uses it."""

    def load(self, account_ids: Any) -> None:
        pass

    def email_of(self, account_id: str) -> str:
        return {"acc-ada": "ada@example.com"}.get(account_id, account_id)


@pytest.mark.parametrize(
    ("status", "acknowledged", "expected"),
    [("open", False, ("open", False)), ("acked", False, ("open", True)), ("snoozed", False, ("open", False)),
     ("resolved", True, ("closed", True)), ("closed", False, ("closed", False))],
)
def test_jsm_statuses_read_as_open_or_closed(
    status: str, acknowledged: bool, expected: tuple[str, bool]
) -> None:
    wire = JsmAlert(id="a1", tiny_id="7", status=status, acknowledged=acknowledged, created_at=CREATED)
    alert = JsmAlerts(ops=None, people=People())._alert(wire)  # type: ignore[arg-type]
    assert (alert.status, alert.acknowledged) == expected


def test_jsm_alert_names_people_by_email_and_keeps_its_ack_instant() -> None:
    wire = JsmAlert.model_validate({
        "id": "a1", "tinyId": "7", "message": "Disk full", "status": "acked", "acknowledged": True,
        "ackTime": "2025-03-05T14:05:00Z", "createdAt": "2025-03-05T14:00:00Z", "priority": "P2",
        "owner": "Ada Lovelace", "tags": ["db", "incident:ITSM-3"],
        "responders": [{"type": "user", "id": "acc-ada"}, {"type": "team", "id": "team-1"}],
    })
    alert = JsmAlerts(ops=None, people=People())._alert(wire)  # type: ignore[arg-type]
    assert alert.responders == ("ada@example.com", "team-1")
    assert alert.acknowledged_at == CREATED + timedelta(minutes=5)
    assert (alert.number, alert.owner, alert.incident) == ("7", "Ada Lovelace", "ITSM-3")


def test_opsgenie_ack_time_is_milliseconds_after_creation_and_only_when_acknowledged() -> None:
    data = {"id": "a1", "tinyId": "7", "status": "open", "acknowledged": True,
            "createdAt": "2025-03-05T14:00:00Z", "owner": "ada@example.com", "report": {"ackTime": 90_000},
            "tags": ["incident:42"]}
    adapter = OpsgenieAlerts(client=None)  # type: ignore[arg-type]
    alert = adapter._alert(OpsgenieAlert.model_validate(data))
    assert alert.acknowledged_at == CREATED + timedelta(seconds=90) and alert.incident == "42"
    closed = adapter._alert(OpsgenieAlert.model_validate({**data, "status": "closed", "acknowledged": False}))
    assert closed.status == "closed" and closed.acknowledged_at is None


def test_the_last_incident_tag_names_the_linked_incident() -> None:
    assert alert_incident(["db", "incident:41", "incident:42"]) == "42"
    assert alert_incident(["db", "incident:"]) is None
    assert alert_incident([]) is None
