"""The JSM Incident API (beta) on the sandbox's API gateway: an incident, its responders and stakeholders, the
experimental header the docs require, over the Jira site's ITSM issues."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import httpx
import pytest

from oncall_cli.sandbox.emulator import SANDBOX_CLOUD_ID, SANDBOX_TEAM_ID, Emulator
from oncall_cli.sandbox.jira_issues import SANDBOX_INCIDENT_REQUEST_TYPE_ID, SANDBOX_SERVICE_DESK
from oncall_cli.sandbox.jsm import ALERT_OPERATIONS, OPERATIONS, SCHEDULE_OPERATIONS
from oncall_cli.sandbox.jsm_incidents import EXPERIMENTAL_MESSAGE
from oncall_cli.sandbox.server import serve_in_thread
from oncall_cli.sandbox.validation import load_vendored

from .conftest import ATL, BASIC_AUTH, JIRA, NOW

INCIDENTS = f"{ATL}/jsm/incidents/cloudId/{SANDBOX_CLOUD_ID}/v1/incident"
OPT_IN = {**BASIC_AUTH, "X-ExperimentalApi": "opt-in"}


def _raise(http: httpx.Client, base: str = JIRA) -> dict[str, Any]:
    response = http.post(f"{base}/rest/servicedeskapi/request", headers=BASIC_AUTH, json={
        "serviceDeskId": SANDBOX_SERVICE_DESK, "requestTypeId": SANDBOX_INCIDENT_REQUEST_TYPE_ID,
        "requestFieldValues": {"summary": "Checkout returns 500s", "priority": {"name": "Highest"}}})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _accounts(emulator: Emulator, n: int) -> list[str]:
    return [r["account_id"] for r in emulator.query("SELECT account_id FROM jira_users ORDER BY seq LIMIT ?",
                                                    (n,))]


def _ari(account_id: str) -> dict[str, str]:
    return {"ari": f"ari:cloud:identity::user/{account_id}"}


@pytest.fixture
def incident(http: httpx.Client) -> str:
    return str(_raise(http)["issueId"])


def test_the_experimental_methods_need_the_opt_in_header(emulator: Emulator, http: httpx.Client,
                                                         incident: str) -> None:
    refused = http.get(f"{INCIDENTS}/{incident}", headers=BASIC_AUTH)
    assert refused.status_code == 412
    assert refused.json() == {"errors": [{"title": EXPERIMENTAL_MESSAGE, "code": "PRECONDITION_FAILED"}]}
    assert "X-ExperimentalApi: opt-in" in EXPERIMENTAL_MESSAGE
    assert http.get(f"{INCIDENTS}/{incident}/responder", headers=BASIC_AUTH).status_code == 412
    (person,) = _accounts(emulator, 1)
    added = http.post(f"{INCIDENTS}/{incident}/responder/add", json={"responders": [_ari(person)]},
                      headers={**BASIC_AUTH, "X-ExperimentalApi": "true"})  # the service desk's old value
    assert added.status_code == 412
    assert emulator.query("SELECT COUNT(*) AS n FROM jsm_incident_responders")[0]["n"] == 0


def test_the_incident_is_the_issue_with_its_status_priority_and_reporter(emulator: Emulator,
                                                                         http: httpx.Client,
                                                                         incident: str) -> None:
    body = http.get(f"{INCIDENTS}/{incident}", headers=OPT_IN).json()
    assert body["summary"] == "Checkout returns 500s"
    assert body["priority"] == {"name": "Highest", "id": "1"}
    assert body["status"] == {"id": "1", "name": "Open",
                              "statusCategory": {"id": 2, "key": "new", "name": "To Do"}}
    assert body["responders"]["value"] == [] and body["majorIncident"]["value"] is None
    assert body["reporter"]["accountType"] == "ATLASSIAN_ACCOUNT"
    assert body["reporter"]["accountId"] == _accounts(emulator, 1)[0]  # a non-account credential: the admin
    moved = http.post(f"{JIRA}/rest/api/3/issue/{incident}/transitions", json={"transition": {"id": "11"}},
                      headers=BASIC_AUTH)
    assert moved.status_code == 204
    assert http.get(f"{INCIDENTS}/{incident}", headers=OPT_IN).json()["status"]["name"] == "Fixing"


def test_responders_are_added_by_ari_once_and_listed(emulator: Emulator, http: httpx.Client,
                                                     incident: str) -> None:
    first, second = _accounts(emulator, 2)
    url = f"{INCIDENTS}/{incident}/responder"
    added = http.post(f"{url}/add", json={"responders": [_ari(first), _ari(second), _ari(first)]},
                      headers=OPT_IN)
    assert added.status_code == 200 and added.content == b""
    again = http.post(f"{url}/add", json={"responders": [_ari(second)]}, headers=OPT_IN)
    assert again.status_code == 200
    team_ari = {"ari": f"ari:cloud:identity::team/{SANDBOX_TEAM_ID}"}
    assert http.post(f"{url}/add", json={"responders": [team_ari]}, headers=OPT_IN).status_code == 200
    listed = http.get(url, headers=OPT_IN).json()
    assert listed == {"responders": [_ari(first), _ari(second), team_ari]}
    shown = http.get(f"{INCIDENTS}/{incident}", headers=OPT_IN).json()["responders"]["value"]
    names = [json.loads(emulator.query("SELECT data FROM jira_users WHERE account_id = ?", (a,))[0]["data"])
             ["displayName"] for a in (first, second)]
    assert [(r["type"], r["name"]) for r in shown] == [("user", names[0]), ("user", names[1]),
                                                       ("team", "Engineering")]


def test_unknown_accounts_and_malformed_aris_are_refused_and_nothing_is_added(emulator: Emulator,
                                                                              http: httpx.Client,
                                                                              incident: str) -> None:
    (known,) = _accounts(emulator, 1)
    url = f"{INCIDENTS}/{incident}"
    for ari in ("ari:cloud:identity::user/712020:nobody", "not-an-ari", "ari:cloud:identity::team/nope"):
        refused = http.post(f"{url}/responder/add", json={"responders": [_ari(known), {"ari": ari}]},
                            headers=OPT_IN)
        assert refused.status_code == 400, ari
        (error,) = refused.json()["errors"]
        assert ari in error["title"] and error["code"] == "BAD_REQUEST"
    assert http.get(f"{url}/responder", headers=OPT_IN).json() == {"responders": []}
    team = http.post(f"{url}/stakeholder/add", headers=BASIC_AUTH,
                     json={"stakeholders": [{"ari": f"ari:cloud:identity::team/{SANDBOX_TEAM_ID}"}]})
    assert team.status_code == 400  # stakeholders are people
    malformed = http.post(f"{url}/responder/add", json={"responder": [_ari(known)]}, headers=OPT_IN)
    assert malformed.status_code == 400 and malformed.json()["errors"]


def test_stakeholders_are_added_without_the_experimental_header(emulator: Emulator, http: httpx.Client,
                                                                incident: str) -> None:
    people = _accounts(emulator, 3)
    url = f"{INCIDENTS}/{incident}/stakeholder/add"
    added = http.post(url, json={"stakeholders": [_ari(p) for p in people]}, headers=BASIC_AUTH)
    assert added.status_code == 202
    assert http.post(url, json={"stakeholders": [_ari(people[0])]}, headers=OPT_IN).status_code == 202
    stored = emulator.query("SELECT ari FROM jsm_incident_stakeholders WHERE issue_id = ? ORDER BY seq",
                            (int(incident),))
    assert [r["ari"] for r in stored] == [_ari(p)["ari"] for p in people]
    assert emulator.status()["services"]["atlassian"]["incident_stakeholders"] == 3


def test_only_incidents_by_numeric_id_on_this_site(http: httpx.Client, incident: str) -> None:
    key = http.get(f"{JIRA}/rest/api/3/issue/{incident}", headers=BASIC_AUTH).json()["key"]
    by_key = http.get(f"{INCIDENTS}/{key}", headers=OPT_IN)
    assert by_key.status_code == 400 and by_key.json()["errors"]  # issueID is an integer
    task = http.post(f"{JIRA}/rest/api/3/issue", headers=BASIC_AUTH, json={"fields": {
        "project": {"key": "SEARCH"}, "issuetype": {"name": "Task"}, "summary": "not an incident"}}).json()
    not_incident = http.get(f"{INCIDENTS}/{task['id']}", headers=OPT_IN)
    assert not_incident.status_code == 404 and not_incident.json()["errors"][0]["code"] == "NOT_FOUND"
    assert http.get(f"{INCIDENTS}/99999/responder", headers=OPT_IN).status_code == 404
    elsewhere = http.get(f"{ATL}/jsm/incidents/cloudId/another-site/v1/incident/{incident}", headers=OPT_IN)
    assert elsewhere.status_code == 404 and elsewhere.json() == {"code": 404, "message": "Not Found"}
    assert http.get(f"{INCIDENTS}/{incident}", headers={"X-ExperimentalApi": "opt-in"}).status_code == 401


def test_faults_reach_the_incident_api(emulator: Emulator, http: httpx.Client, incident: str) -> None:
    emulator.faults.add_spec(
        "atlassian:POST /jsm/incidents/cloudId/{cloudId}/v1/incident/{issueID}/stakeholder/add#1=503")
    (person,) = _accounts(emulator, 1)
    url = f"{INCIDENTS}/{incident}/stakeholder/add"
    failed = http.post(url, json={"stakeholders": [_ari(person)]}, headers=BASIC_AUTH)
    assert failed.status_code == 503 and failed.json() == {"code": 503, "message": "Service Unavailable"}
    assert emulator.query("SELECT COUNT(*) AS n FROM jsm_incident_stakeholders")[0]["n"] == 0
    assert http.post(url, json={"stakeholders": [_ari(person)]}, headers=BASIC_AUTH).status_code == 202


def test_the_incident_spec_is_transcribed_and_every_operation_is_validated(emulator: Emulator,
                                                                           http: httpx.Client,
                                                                           incident: str) -> None:
    doc = load_vendored("atlassian")
    assert doc["info"]["x-oncall-merged"] == ["specs/jsm-ops.json", "specs/jsm-incidents.json"]
    own = json.loads(resources.files("oncall_cli.sandbox").joinpath("specs", "jsm-incidents.json")
                     .read_text("utf-8"))
    assert "transcribed" in own["info"]["description"].lower()
    assert "developer.atlassian.com/cloud/incidents/rest/" in own["info"]["description"]
    test_responders_are_added_by_ari_once_and_listed(emulator, http, incident)
    test_stakeholders_are_added_without_the_experimental_header(emulator, http, incident)
    incident_operations = set(OPERATIONS) - set(SCHEDULE_OPERATIONS) - set(ALERT_OPERATIONS)
    assert len(incident_operations) == 4
    called = {c.operation for c in emulator.calls if c.service == "atlassian"}
    assert incident_operations <= called
    for operation in incident_operations:
        assert ("atlassian", operation, "request") in emulator.validated, operation
        if operation.startswith("GET "):
            assert ("atlassian", operation, "response") in emulator.validated, operation
    assert emulator.invalid_responses == []


def test_served_over_http_by_sandbox_serve() -> None:
    with Emulator(now=lambda: NOW) as emulator:
        server, thread = serve_in_thread(emulator, "127.0.0.1", 0)
        try:
            with httpx.Client(timeout=5) as real:
                made = _raise(real, f"{server.url}/jira")
                url = (f"{server.url}/atlassian/jsm/incidents/cloudId/{SANDBOX_CLOUD_ID}/v1/incident/"
                       f"{made['issueId']}")
                (person,) = _accounts(emulator, 1)
                added = real.post(f"{url}/responder/add", json={"responders": [_ari(person)]}, headers=OPT_IN)
                assert added.status_code == 200
                assert real.get(f"{url}/responder", headers=OPT_IN).json() == {"responders": [_ari(person)]}
                assert real.get(url, headers=BASIC_AUTH).status_code == 412
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
