"""Opsgenie's own Python SDK (`opsgenie-sdk`, generated from opsgenie-oas) against the sandbox over HTTP.

The SDK covers the account, alert and incident APIs (its 2.x has no schedules, users or teams): every one of
those operations the emulator answers is called through it. Writes are asynchronous: each request is polled
(without sleeping: the clock is fake) until Opsgenie's "not processed yet" 404 gives way to the outcome.
"""

from __future__ import annotations

from typing import Any

import opsgenie_sdk
import pytest
from opsgenie_sdk.rest import ApiException

from oncall_cli.sandbox.server import SandboxServer

from .conftest import Recorder


@pytest.fixture(scope="module")
def api(served: tuple[SandboxServer, Recorder]) -> opsgenie_sdk.ApiClient:
    server, _ = served
    conf = opsgenie_sdk.configuration.Configuration()
    conf.host = server.url + "/opsgenie"
    conf.api_key["Authorization"] = "sandbox-key"
    conf.retry_enabled = False  # no sleeping retries: a refusal must show
    conf.timeout = 5
    return opsgenie_sdk.ApiClient(conf)


def wait(fetch: Any, request_id: str) -> Any:
    """Poll a request status through the SDK: 404 RequestNotProcessed a few times at most, then the data."""
    for _ in range(5):
        try:
            return fetch(request_id).data
        except ApiException as exc:
            assert exc.status == 404 and exc.headers["X-Opsgenie-Errortype"] == "RequestNotProcessed"
    raise AssertionError(f"request {request_id} never processed")


def test_alert_api_through_opsgenie_sdk(api: opsgenie_sdk.ApiClient,
                                        served: tuple[SandboxServer, Recorder]) -> None:
    _, recorder = served
    alerts = opsgenie_sdk.AlertApi(api)
    created = alerts.create_alert(opsgenie_sdk.CreateAlertPayload(
        message="Checkout errors above 5%", alias="checkout-errors", priority="P2", tags=["checkout"],
        note="from the conformance suite"))
    status = wait(alerts.get_request_status, created.request_id)
    assert status.is_success and status.action == "Create"
    alert = alerts.get_alert(status.alert_id).data
    assert (alert.message, alert.alias, alert.priority, alert.status) == \
        ("Checkout errors above 5%", "checkout-errors", "P2", "open")
    assert alerts.get_alert("checkout-errors", identifier_type="alias").data.id == alert.id
    assert alert.id in [a.id for a in alerts.list_alerts(query="status:open", limit=50).data]
    open_before = alerts.count_alerts(query="status:open").data.count
    ack = alerts.acknowledge_alert(alert.id, acknowledge_alert_payload=opsgenie_sdk.AcknowledgeAlertPayload(
        note="on it"))
    assert wait(alerts.get_request_status, ack.request_id).is_success
    noted = alerts.add_note(alert.id, opsgenie_sdk.AddNoteToAlertPayload(note="rolled back"))
    assert wait(alerts.get_request_status, noted.request_id).is_success
    notes = {n.note for n in alerts.list_notes(alert.id).data}
    assert {"from the conformance suite", "on it", "rolled back"} <= notes
    closed = alerts.close_alert(alert.id, close_alert_payload=opsgenie_sdk.CloseAlertPayload(note="fixed"))
    assert wait(alerts.get_request_status, closed.request_id).is_success
    assert alerts.get_alert(alert.id).data.acknowledged is True
    assert alerts.count_alerts(query="status:open").data.count == open_before - 1
    with pytest.raises(ApiException) as missing:
        alerts.get_alert("no-such-alert")
    assert missing.value.status == 404
    assert {op for op in recorder.operations("opsgenie") if "/v2/alerts" in op} == {
        "POST /v2/alerts", "GET /v2/alerts", "GET /v2/alerts/count", "GET /v2/alerts/{identifier}",
        "POST /v2/alerts/{identifier}/acknowledge", "POST /v2/alerts/{identifier}/close",
        "POST /v2/alerts/{identifier}/notes", "GET /v2/alerts/{identifier}/notes",
        "GET /v2/alerts/requests/{requestId}"}
    recorder.check()


def test_incident_api_through_opsgenie_sdk(api: opsgenie_sdk.ApiClient,
                                           served: tuple[SandboxServer, Recorder]) -> None:
    _, recorder = served
    assert opsgenie_sdk.AccountApi(api).get_info().data.name == "oncall-sandbox"
    incidents = opsgenie_sdk.IncidentApi(api)
    (service,) = recorder.emulator.query("SELECT id FROM opsgenie_services WHERE name = 'Artsy'")
    created = incidents.create_incident(opsgenie_sdk.CreateIncidentPayload(
        message="Checkout is down", service_id=service["id"], priority="P1", tags=["sev1"]))
    status = wait(incidents.get_incident_request_status, created.request_id)
    assert status.success and status.incident_id
    incident = incidents.get_incident(status.incident_id).data
    assert (incident.message, incident.priority, incident.status) == ("Checkout is down", "P1", "open")
    assert incidents.get_incident(incident.tiny_id, identifier_type="tiny").data.id == incident.id
    listed = incidents.list_incidents(query="status:open", limit=20).data
    assert incident.id in [i.id for i in listed]
    closed = incidents.close_incident(incident.id, close_incident_payload=opsgenie_sdk.CloseIncidentPayload(
        note="resolved"))
    assert wait(incidents.get_incident_request_status, closed.request_id).success
    assert incidents.get_incident(incident.id).data.status == "closed"
    deleted = incidents.delete_incident(incident.id)
    assert wait(incidents.get_incident_request_status, deleted.request_id).success
    assert {op for op in recorder.operations("opsgenie") if op.startswith(("GET /v1/incidents",
                                                                          "POST /v1/incidents",
                                                                          "DELETE /v1/incidents"))} >= {
        "POST /v1/incidents/create", "GET /v1/incidents/requests/{requestId}",
        "GET /v1/incidents/{identifier}",
        "GET /v1/incidents/", "POST /v1/incidents/{identifier}/close", "DELETE /v1/incidents/{identifier}"}
    recorder.check()
