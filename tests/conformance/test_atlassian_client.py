"""Atlassian's Python client (`atlassian-python-api`) against the sandbox's Jira site (`/jira`) and API
gateway (`/atlassian`) over HTTP: every operation the emulator answers there, which covers every one the
CLI's clients call (clients/jira.py, jira_issues.py, jsm.py, jsm_incidents.py).

- `JiraCloud`, the library's Jira Cloud platform REST v3 client (its legacy `Jira` class speaks v2 and sends
  v2 bodies, e.g. comments as plain text where v3 needs ADF), for the platform API, one method per operation;
  its generic `get`/`post` for what it has no method for (the site's tenant info, the Teams API).
- `ServiceDesk` for the service desk API (`/rest/servicedeskapi`).
- JSM Operations and the JSM Incident API have no client in the library: its `AtlassianRestAPI` (the base of
  the two above, with the same auth, headers and error handling) calls them through `get`/`post`/`put`/
  `patch`/`delete`; the experimental incident operations with the library's own `experimental_headers`.

No retries that sleep (`retry_with_header=False`), no proxies from the environment: loopback only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from atlassian import JiraCloud, ServiceDesk
from atlassian.rest_client import AtlassianRestAPI

from oncall_cli.sandbox import jira as jira_emulator
from oncall_cli.sandbox import jsm as jsm_emulator
from oncall_cli.sandbox.emulator import SANDBOX_CLOUD_ID, SANDBOX_ORG_ID, SANDBOX_TEAM_ID
from oncall_cli.sandbox.jira_issues import (
    SANDBOX_FOLLOWUP_PROJECT,
    SANDBOX_INCIDENT_PROJECT,
    SANDBOX_INCIDENT_PROJECT_ID,
    SANDBOX_INCIDENT_REQUEST_TYPE_ID,
    SANDBOX_SERVICE_DESK,
)
from oncall_cli.sandbox.server import SandboxServer

from .conftest import Recorder

EMAIL, TOKEN = "api@example.com", "sandbox-token"


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document (what REST v3 takes for rich text)."""
    return {"type": "doc", "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]}


def _options() -> dict[str, Any]:
    session = requests.Session()
    session.trust_env = False  # loopback: never a proxy from the environment
    return {"username": EMAIL, "password": TOKEN, "cloud": True, "timeout": 5, "session": session,
            "retry_with_header": False}


@pytest.fixture(scope="module")
def jira(served: tuple[SandboxServer, Recorder]) -> Iterator[JiraCloud]:
    client = JiraCloud(served[0].url + "/jira", api_version=3, **_options())
    yield client
    client.close()


@pytest.fixture(scope="module")
def desk(served: tuple[SandboxServer, Recorder]) -> Iterator[ServiceDesk]:
    client = ServiceDesk(served[0].url + "/jira", **_options())
    yield client
    client.close()


@pytest.fixture(scope="module")
def gateway(served: tuple[SandboxServer, Recorder]) -> Iterator[AtlassianRestAPI]:
    client = AtlassianRestAPI(served[0].url + "/atlassian", **_options())
    yield client
    client.close()


def _people(recorder: Recorder, n: int) -> list[dict[str, Any]]:
    return recorder.emulator.query("SELECT account_id, email FROM jira_users ORDER BY seq LIMIT ?", (n,))


def _raise_incident(desk: ServiceDesk, summary: str) -> dict[str, Any]:
    created: dict[str, Any] = desk.create_customer_request(
        SANDBOX_SERVICE_DESK, SANDBOX_INCIDENT_REQUEST_TYPE_ID,
        {"summary": summary, "description": "Raised by the conformance suite"})
    return created


def test_the_jira_site_through_atlassian_python_api(jira: JiraCloud, desk: ServiceDesk,
                                                    served: tuple[SandboxServer, Recorder]) -> None:
    _, recorder = served
    assert jira.get("_edge/tenant_info") == {"cloudId": SANDBOX_CLOUD_ID}

    # The user directory (clients/jira.py).
    me = jira.get_current_user()
    assert me["accountId"].startswith("712020:") and me["active"] is True
    first, second = _people(recorder, 2)
    found = jira.find_users(query=first["email"].split("@")[0], max_results=10)
    assert first["account_id"] in [u["accountId"] for u in found]
    assert jira.get_user(account_id=first["account_id"])["emailAddress"] == first["email"]
    bulk = jira.bulk_get_users(account_id=[first["account_id"], second["account_id"]], max_results=10)
    assert {u["accountId"] for u in bulk["values"]} == {first["account_id"], second["account_id"]}
    facts = jira.get_user_property("oncall", account_id=first["account_id"])
    assert set(facts["value"]) == {"start_date", "manager"}
    jira.set_user_property("oncall-conformance", account_id=first["account_id"], data={"seen": True})
    assert jira.get_user_property("oncall-conformance", account_id=first["account_id"])["value"] == \
        {"seen": True}
    jira.delete_user_property("oncall-conformance", account_id=first["account_id"])
    teams = f"gateway/api/public/teams/v1/org/{SANDBOX_ORG_ID}/teams/{SANDBOX_TEAM_ID}/members"
    members = jira.post(teams, data={"first": 50}, params={"siteId": SANDBOX_CLOUD_ID})
    assert first["account_id"] in [m["accountId"] for m in members["results"]]
    removed = jira.post(f"{teams}/remove", data={"members": [{"accountId": first["account_id"]}]})
    assert removed["errors"] == []
    added = jira.post(f"{teams}/add", data={"members": [{"accountId": first["account_id"]}]})
    assert added["errors"] == []

    # The site's configuration (clients/jira_issues.py).
    project = jira.get_project(SANDBOX_INCIDENT_PROJECT)
    assert project["id"] == SANDBOX_INCIDENT_PROJECT_ID and project["issueTypes"]
    priorities = jira.search_priorities(project_id=[SANDBOX_INCIDENT_PROJECT_ID], max_results=50)
    assert priorities["isLast"] is True and "High" in [p["name"] for p in priorities["values"]]
    assert {p["name"] for p in jira.get_priorities()} >= {"Highest", "Lowest"}
    link_types = [t["name"] for t in jira.get_issue_link_types()["issueLinkTypes"]]
    assert "Blocks" in link_types

    # The service desk: an incident is a request of the ITSM desk.
    desks = desk.get_service_desks()
    assert SANDBOX_SERVICE_DESK in [d["id"] for d in desks]
    types = desk.get_request_types(SANDBOX_SERVICE_DESK)["values"]
    assert SANDBOX_INCIDENT_REQUEST_TYPE_ID in [t["id"] for t in types]
    request = _raise_incident(desk, "Checkout is down (atlassian-python-api)")
    key = request["issueKey"]
    assert key.startswith(f"{SANDBOX_INCIDENT_PROJECT}-")
    desk.create_request_comment(key, "Paged the payments team", public=False)
    desk.create_request_comment(key, "We are looking into it", public=True)
    assert [c["body"] for c in desk.get_request_comments(key)] == \
        ["Paged the payments team", "We are looking into it"]

    # The platform issue API.
    follow_up = jira.create_issue(data={
        "fields": {"project": {"key": SANDBOX_FOLLOWUP_PROJECT}, "issuetype": {"name": "Task"},
                   "summary": "Add a retry budget", "description": adf("Found in the incident review")},
        "properties": [{"key": "oncall", "value": {"incident": key}}]})
    issue = jira.get_issue(follow_up["key"], fields="summary,status,priority", properties="oncall")
    assert issue["fields"]["summary"] == "Add a retry budget"
    assert issue["properties"]["oncall"] == {"incident": key}
    jira.edit_issue(key, data={"fields": {"priority": {"name": "High"}}})
    assert jira.get_issue(key, fields="priority")["fields"]["priority"]["name"] == "High"
    moves = {t["name"]: t for t in jira.get_transitions(key, expand="transitions.fields")["transitions"]}
    assert {"Start fixing", "Resolve", "Cancel"} <= set(moves)
    jira.do_transition(key, data={"transition": {"id": moves["Start fixing"]["id"]},
                                  "update": {"comment": [{"add": {"body": adf("Rolling back")}}]}})
    assert jira.get_issue(key, fields="status")["fields"]["status"]["name"] == "Fixing"
    jira.add_comment(key, data={"body": adf("Rolled back the deploy")})
    comments = jira.get_comments(key, start_at=0, max_results=50, order_by="created")
    assert comments["total"] == len(comments["comments"]) >= 3
    jira.set_issue_property(key, "oncall", data={"slack": "C0CONFORM"})
    assert jira.get_issue_property(key, "oncall")["value"] == {"slack": "C0CONFORM"}
    jira.delete_issue_property(follow_up["key"], "oncall")
    jira.link_issues(data={"type": {"name": "Blocks"}, "outwardIssue": {"key": key},
                           "inwardIssue": {"key": follow_up["key"]}})
    linked = jira.get_issue(follow_up["key"], fields="issuelinks")["fields"]["issuelinks"]
    assert [link["inwardIssue"]["key"] for link in linked] == [key]

    # Search, page by page (GET), and its POST twin.
    jql = f"project = {SANDBOX_INCIDENT_PROJECT} ORDER BY created DESC"
    page = jira.search_and_reconsile_issues_using_jql(jql=jql, fields="summary", max_results=1)
    assert page["issues"][0]["key"] == key
    keys = [page["issues"][0]["key"]]
    while page.get("nextPageToken") and len(keys) < 5:
        page = jira.search_and_reconsile_issues_using_jql(jql=jql, fields="summary", max_results=1,
                                                          next_page_token=page["nextPageToken"])
        keys += [i["key"] for i in page["issues"]]
    assert len(keys) == len(set(keys))
    posted = jira.search_and_reconsile_issues_using_jql_post(
        data={"jql": f"key = {key}", "fields": ["summary"], "maxResults": 5})
    assert [i["key"] for i in posted["issues"]] == [key]

    # A deliberate miss: Jira's 404, which the library raises.
    with pytest.raises(requests.HTTPError) as missing:
        jira.get_issue(f"{SANDBOX_INCIDENT_PROJECT}-99999")
    assert missing.value.response.status_code == 404

    assert recorder.operations("jira") == set(jira_emulator.OPERATIONS)
    recorder.check()


def test_jsm_operations_and_incidents_through_the_librarys_rest_client(
    gateway: AtlassianRestAPI, desk: ServiceDesk, jira: JiraCloud, served: tuple[SandboxServer, Recorder]
) -> None:
    _, recorder = served
    ops = f"jsm/ops/api/{SANDBOX_CLOUD_ID}/v1"
    (schedule,) = gateway.get(f"{ops}/schedules", params={"query": "Engineering*", "size": 50})["values"]
    sid = schedule["id"]
    assert gateway.get(f"{ops}/schedules/{sid}")["name"] == schedule["name"]
    assert SANDBOX_TEAM_ID in [t["teamId"] for t in gateway.get(f"{ops}/teams")["platformTeams"]]
    someone, other = (p["account_id"] for p in _people(recorder, 2))

    # Rotations (clients/jsm.py): list, create, read, change, delete.
    rotations = gateway.get(f"{ops}/schedules/{sid}/rotations", params={"offset": 0, "size": 50})["values"]
    assert rotations
    created = gateway.post(f"{ops}/schedules/{sid}/rotations", data={
        "name": "conformance", "type": "weekly", "length": 1, "startDate": "2025-03-03T16:00:00Z",
        "participants": [{"type": "user", "id": someone}, {"type": "noone"}]})
    rid = created["id"]
    assert gateway.get(f"{ops}/schedules/{sid}/rotations/{rid}")["name"] == "conformance"
    changed = gateway.patch(f"{ops}/schedules/{sid}/rotations/{rid}", data={"length": 2})
    assert changed["length"] == 2
    gateway.delete(f"{ops}/schedules/{sid}/rotations/{rid}")

    # Overrides: create, list, read, replace, delete.
    override = {"responder": {"type": "user", "id": other}, "startDate": "2025-03-06T14:00:00Z",
                "endDate": "2025-03-06T18:00:00Z", "rotationIds": [rotations[0]["id"]]}
    alias = gateway.post(f"{ops}/schedules/{sid}/overrides", data=override)["alias"]
    assert alias in [o["alias"] for o in gateway.get(f"{ops}/schedules/{sid}/overrides")["values"]]
    assert gateway.get(f"{ops}/schedules/{sid}/overrides/{alias}")["responder"]["id"] == other
    replaced = gateway.put(f"{ops}/schedules/{sid}/overrides/{alias}",
                           data={**override, "responder": {"type": "noone"}})
    assert replaced["responder"] == {"type": "noone"}
    gateway.delete(f"{ops}/schedules/{sid}/overrides/{alias}")

    # Who is on call, now and next, and the timeline.
    timeline = gateway.get(f"{ops}/schedules/{sid}/timeline", params={
        "interval": 2, "intervalUnit": "weeks", "date": "2025-03-05T15:00:00Z", "expand": "base,override"})
    periods = [p for r in timeline["finalTimeline"]["rotations"] for p in r["periods"]]
    assert periods
    on_call = gateway.get(f"{ops}/schedules/{sid}/on-calls", params={"flat": "true"})["onCallUsers"]
    assert on_call
    following = gateway.get(f"{ops}/schedules/{sid}/next-on-calls", params={"flat": "true"})
    assert following["nextOnCallUsers"]

    # Alerts (clients/jsm.py): list by search, read, acknowledge, tag and close, each a 202 with a request.
    found = gateway.get(f"{ops}/alerts", params={"query": "tinyId:2", "size": 20})
    (alert,) = found["values"]
    assert gateway.get(f"{ops}/alerts/{alert['id']}")["message"] == alert["message"]
    for action, body in (("acknowledge", None), ("tags", {"tags": ["incident:ITSM-1"]}), ("close", None)):
        accepted = gateway.post(f"{ops}/alerts/{alert['id']}/{action}", data=body)
        status = gateway.get(f"{ops}/alerts/requests/{accepted['requestId']}")
        assert status["isSuccess"] is True and status["alertId"] == alert["id"]
    closed = gateway.get(f"{ops}/alerts/{alert['id']}")
    assert (closed["status"], closed["acknowledged"]) == ("closed", True)
    assert "incident:ITSM-1" in closed["tags"]

    # The JSM Incident API (clients/jsm_incidents.py) on an incident raised through the service desk.
    key = _raise_incident(desk, "Search is slow (JSM incident API)")["issueKey"]
    issue_id = jira.get_issue(key, fields="summary")["id"]
    incident = f"jsm/incidents/cloudId/{SANDBOX_CLOUD_ID}/v1/incident/{issue_id}"
    experimental = gateway.experimental_headers  # "X-ExperimentalApi: opt-in", as the docs require
    assert gateway.get(incident, headers=experimental)["summary"] == "Search is slow (JSM incident API)"
    gateway.post(f"{incident}/responder/add", headers=experimental,
                 data={"responders": [{"ari": f"ari:cloud:identity::user/{someone}"}]})
    responders = gateway.get(f"{incident}/responder", headers=experimental)
    assert f"ari:cloud:identity::user/{someone}" in str(responders)
    gateway.post(f"{incident}/stakeholder/add",
                 data={"stakeholders": [{"ari": f"ari:cloud:identity::user/{other}"}]})
    with pytest.raises(requests.HTTPError) as refused:  # without the opt-in header: 412, as documented
        gateway.get(incident)
    assert refused.value.response.status_code == 412

    assert recorder.operations("atlassian") == set(jsm_emulator.OPERATIONS)
    recorder.check()
