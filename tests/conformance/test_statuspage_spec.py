"""Statuspage has no official client library: plain HTTP requests over loopback, every answer validated
against Statuspage's own OpenAPI document (the vendored subset), for each operation the emulator serves."""

from __future__ import annotations

import httpx

from oncall_cli.sandbox.server import SandboxServer
from oncall_cli.sandbox.statuspage import PAGE_ID, StatuspageEmulator

from .conftest import Recorder


def test_every_statuspage_operation_answers_what_the_spec_describes(
    served: tuple[SandboxServer, Recorder],
) -> None:
    server, recorder = served
    auth = {"Authorization": "OAuth sandbox-key"}
    with httpx.Client(base_url=f"{server.url}/statuspage/v1", headers=auth, timeout=5) as sp:
        assert PAGE_ID in [p["id"] for p in sp.get("/pages").json()]
        page = f"/pages/{PAGE_ID}"
        assert sp.get(page).json()["id"] == PAGE_ID
        component = sp.get(f"{page}/components", params={"per_page": 100}).json()[0]["id"]
        assert sp.get(f"{page}/components/{component}").status_code == 200
        sp.patch(f"{page}/components/{component}", json={"component": {"status": "partial_outage"}})
        sp.put(f"{page}/components/{component}", json={"component": {"status": "operational"}})
        created = sp.post(f"{page}/incidents", json={"incident": {
            "name": "Checkout down", "status": "investigating", "body": "Looking into it",
            "components": {component: "major_outage"}, "component_ids": [component]}}).json()
        assert created["resolved_at"] is None and created["postmortem_body"] is None
        incident = f"{page}/incidents/{created['id']}"
        assert sp.get(incident).json()["id"] == created["id"]
        assert created["id"] in [i["id"] for i in sp.get(f"{page}/incidents/unresolved").json()]
        sp.patch(incident, json={"incident": {"status": "identified", "body": "Found it"}})
        sp.put(incident, json={"incident": {"status": "monitoring", "body": "Fix deployed"}})
        update = sp.get(incident).json()["incident_updates"][0]["id"]
        sp.patch(f"{incident}/incident_updates/{update}", json={"incident_update": {"body": "Fix is out"}})
        sp.put(f"{incident}/incident_updates/{update}", json={"incident_update": {"body": "Fix is out."}})
        resolved = sp.patch(incident, json={"incident": {"status": "resolved", "body": "All good"}}).json()
        assert resolved["resolved_at"] is not None
        found = sp.get(f"{page}/incidents", params={"q": "Checkout"}).json()
        assert created["id"] in [i["id"] for i in found]
        assert sp.delete(incident).status_code == 200
        missing = sp.get(f"{page}/subscribers")
        assert missing.status_code == 404 and "Unknown endpoint" in missing.json()["message"]
    assert recorder.operations("statuspage") == set(StatuspageEmulator().operations)
    recorder.check()
