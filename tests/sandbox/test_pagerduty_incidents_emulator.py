"""The sandbox's PagerDuty incidents through the real client: the seeded services and priorities, `From`
on acting writes, `incident_key` dedup, the number as an id, the list's window and filters, and every
request and answer valid against the vendored spec."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from oncall_cli.clients.pagerduty_incidents import PagerDutyIncidentsClient
from oncall_cli.errors import RejectedError
from oncall_cli.sandbox.emulator import SANDBOX_URLS, Emulator

NOW = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    em = Emulator(":memory:", now=lambda: NOW)
    yield em
    em.close()


def _client(emulator: Emulator, from_email: str) -> PagerDutyIncidentsClient:
    return PagerDutyIncidentsClient(
        emulator.client(), api_key="sandbox-key", base_url=SANDBOX_URLS["pagerduty"], from_email=from_email
    )


@pytest.fixture
def client(emulator: Emulator) -> PagerDutyIncidentsClient:
    email = emulator.query("SELECT email FROM pagerduty_users ORDER BY seq LIMIT 1")[0]["email"]
    return _client(emulator, str(email))


def _create(client: PagerDutyIncidentsClient, key: str | None = "run-1") -> str:
    [service] = client.list_services(query="Artsy")
    priority = client.list_priorities()[0]
    created = client.create_incident(
        title="Checkout down", service_id=service.id, priority_id=priority.id, urgency="high",
        details="Since 14:05", incident_key=key,
    )
    return created.id


def test_the_seed_has_the_services_and_priorities_p1_to_p5(client: PagerDutyIncidentsClient) -> None:
    assert [s.name for s in client.list_services()] == ["Artsy", "Gravity", "Metaphysics"]
    assert [p.name for p in client.list_priorities()] == ["P1", "P2", "P3", "P4", "P5"]


def test_acting_writes_need_a_from_user_of_the_account(emulator: Emulator) -> None:
    with pytest.raises(RejectedError, match="From"):
        _create(_client(emulator, "nobody@example.com"))
    assert emulator.query("SELECT * FROM pagerduty_incidents") == []


def test_an_open_incident_with_the_key_refuses_another_until_it_is_resolved(
    client: PagerDutyIncidentsClient, emulator: Emulator
) -> None:
    first = _create(client)
    with pytest.raises(RejectedError, match="matching dedup key"):
        _create(client)
    client.update_incident(incident_id=first, status="resolved", resolution="done")
    assert _create(client) != first
    assert len(emulator.query("SELECT * FROM pagerduty_incidents")) == 2


def test_an_incident_is_read_by_its_number_and_listed_by_window_key_and_status(
    client: PagerDutyIncidentsClient, emulator: Emulator
) -> None:
    first = _create(client, "run-1")
    _create(client, "run-2")
    assert client.get_incident(incident_id="1").id == first
    assert [i.incident_number for i in client.iter_incidents(incident_key="run-2")] == [2]
    window = list(client.iter_incidents(since=NOW - timedelta(hours=1), until=NOW, sort_by="created_at:desc"))
    assert [i.incident_number for i in window] == [2, 1]
    assert list(client.iter_incidents(since=NOW + timedelta(hours=1), until=NOW + timedelta(hours=2))) == []
    client.update_incident(incident_id=first, status="acknowledged")
    assert [i.id for i in client.iter_incidents(statuses=["acknowledged"])] == [first]
    assert emulator.rejected == [] and emulator.invalid_responses == []


def test_notes_responders_status_updates_and_subscribers(
    client: PagerDutyIncidentsClient, emulator: Emulator
) -> None:
    incident = _create(client)
    client.create_note(incident_id=incident, content="Rolled back")
    assert [n.content for n in client.list_notes(incident_id=incident)] == ["Rolled back"]
    users = emulator.query("SELECT id FROM pagerduty_users ORDER BY seq LIMIT 3")
    me, expert, boss = (str(u["id"]) for u in users)
    for _ in range(2):
        client.create_responder_request(
            incident_id=incident, requester_id=me, user_ids=[expert], message="Help"
        )
    responders = client.get_incident(incident_id=incident).incidents_responders
    assert [(r.user.id if r.user else None, r.state) for r in responders] == [(expert, "pending")]
    client.add_status_update_subscribers(incident_id=incident, user_ids=[boss])
    client.create_status_update(incident_id=incident, message="Fixing")
    assert len(emulator.query("SELECT * FROM pagerduty_status_updates")) == 1
    assert emulator.rejected == [] and emulator.invalid_responses == []


def test_log_entries_tell_the_trigger_the_notes_and_the_resolution(
    client: PagerDutyIncidentsClient, emulator: Emulator
) -> None:
    incident = _create(client)
    client.create_note(incident_id=incident, content="Rolled back")
    client.update_incident(incident_id=incident, status="acknowledged")
    client.update_incident(incident_id=incident, status="resolved", resolution="Fixed")
    entries = client.list_log_entries(incident_id=incident)
    assert [(e.type, e.note) for e in entries] == [
        ("trigger_log_entry", None), ("annotate_log_entry", "Rolled back"), ("resolve_log_entry", "Fixed"),
    ]
    assert emulator.rejected == [] and emulator.invalid_responses == []
