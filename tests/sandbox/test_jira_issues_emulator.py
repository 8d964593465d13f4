"""The Jira site's issues in the sandbox: the service desk API (desks, request types, requests, request
comments) and the platform API (issues, search, priorities, transitions, comments, properties, links, link
types, projects), as jira-platform.v3.json and jsm-servicedesk.v3.json describe them, over the seeded ITSM and
SEARCH projects and the incident workflow."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from oncall_cli.sandbox.emulator import Emulator, Fault
from oncall_cli.sandbox.jira import DIRECTORY_OPERATIONS, OPERATIONS
from oncall_cli.sandbox.jira_issues import (
    INCIDENT_WORKFLOW,
    SANDBOX_FOLLOWUP_PROJECT,
    SANDBOX_FOLLOWUP_PROJECT_ID,
    SANDBOX_INCIDENT_ISSUE_TYPE,
    SANDBOX_INCIDENT_ISSUE_TYPE_ID,
    SANDBOX_INCIDENT_PROJECT,
    SANDBOX_INCIDENT_PROJECT_ID,
    SANDBOX_INCIDENT_PROJECT_NAME,
    SANDBOX_INCIDENT_REQUEST_TYPE_ID,
    SANDBOX_LINK_TYPES,
    SANDBOX_PRIORITIES,
    SANDBOX_REQUEST_TYPES,
    SANDBOX_SERVICE_DESK,
    adf_from_text,
    adf_to_text,
)
from oncall_cli.sandbox.jira_jql import JqlError, parse, text_matches
from oncall_cli.sandbox.server import serve_in_thread

from .conftest import BASIC_AUTH, JIRA, NOW

API = f"{JIRA}/rest/api/3"
SD = f"{JIRA}/rest/servicedeskapi"


class Clock:
    """A wall clock the test moves (the emulator reads it on every request)."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def wall() -> Clock:
    return Clock()


@pytest.fixture
def emulator(wall: Clock) -> Iterator[Emulator]:
    em = Emulator(now=wall)
    yield em
    em.close()


def _basic(email: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:token".encode()).decode()}


def _raise(http: httpx.Client, summary: str = "Checkout returns 500s", **values: Any) -> dict[str, Any]:
    response = http.post(f"{SD}/request", headers=BASIC_AUTH, json={
        "serviceDeskId": SANDBOX_SERVICE_DESK, "requestTypeId": SANDBOX_INCIDENT_REQUEST_TYPE_ID,
        "requestFieldValues": {"summary": summary, **values}})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _task(http: httpx.Client, summary: str = "Fix the retry storm", **extra: Any) -> dict[str, Any]:
    response = http.post(f"{API}/issue", headers=BASIC_AUTH, json={
        "fields": {"project": {"key": SANDBOX_FOLLOWUP_PROJECT}, "issuetype": {"name": "Task"},
                   "summary": summary}, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _issue(http: httpx.Client, key: str, **params: Any) -> dict[str, Any]:
    response = http.get(f"{API}/issue/{key}", params=params, headers=BASIC_AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _move(http: httpx.Client, key: str, transition: str, **fields: Any) -> httpx.Response:
    body: dict[str, Any] = {"transition": {"id": transition}}
    if fields:
        body["fields"] = fields
    return http.post(f"{API}/issue/{key}/transitions", json=body, headers=BASIC_AUTH)


def _search(http: httpx.Client, jql: str, **params: Any) -> httpx.Response:
    return http.get(f"{API}/search/jql", params={"jql": jql, **params}, headers=BASIC_AUTH)


def _keys(http: httpx.Client, jql: str) -> list[str]:
    response = _search(http, jql, fields="key", maxResults=100)
    assert response.status_code == 200, response.text
    return [i["key"] for i in response.json()["issues"]]


def _jira_400(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"errorMessages", "errors"}
    return body


# ---- the seed --------------------------------------------------------------------------------------------


def test_the_seed_has_the_itsm_service_desk_and_the_search_project(http: httpx.Client) -> None:
    desks = http.get(f"{SD}/servicedesk", headers=BASIC_AUTH).json()
    assert desks["isLastPage"] is True and desks["size"] == 1
    (desk,) = desks["values"]
    assert (desk["id"], desk["projectKey"], desk["projectName"], desk["projectId"]) == (
        SANDBOX_SERVICE_DESK, SANDBOX_INCIDENT_PROJECT, SANDBOX_INCIDENT_PROJECT_NAME,
        SANDBOX_INCIDENT_PROJECT_ID)
    itsm = http.get(f"{API}/project/{SANDBOX_INCIDENT_PROJECT}", headers=BASIC_AUTH).json()
    assert itsm["projectTypeKey"] == "service_desk"
    assert [t["name"] for t in itsm["issueTypes"]] == [
        SANDBOX_INCIDENT_ISSUE_TYPE, "[System] Service request", "[System] Change"]
    search = http.get(f"{API}/project/{SANDBOX_FOLLOWUP_PROJECT_ID}", headers=BASIC_AUTH).json()
    assert search["key"] == SANDBOX_FOLLOWUP_PROJECT and search["projectTypeKey"] == "software"
    assert [t["name"] for t in search["issueTypes"]] == ["Task", "Bug", "Story"]
    missing = http.get(f"{API}/project/NOPE", headers=BASIC_AUTH)
    assert missing.status_code == 404 and missing.json()["errorMessages"]


def test_request_types_page_and_are_found_by_project_key_or_words(http: httpx.Client) -> None:
    every = http.get(f"{SD}/servicedesk/{SANDBOX_INCIDENT_PROJECT}/requesttype", headers=BASIC_AUTH).json()
    assert [t["name"] for t in every["values"]] == list(SANDBOX_REQUEST_TYPES)
    incident = every["values"][0]
    assert (incident["id"], incident["issueTypeId"], incident["serviceDeskId"]) == (
        SANDBOX_INCIDENT_REQUEST_TYPE_ID, SANDBOX_INCIDENT_ISSUE_TYPE_ID, SANDBOX_SERVICE_DESK)
    url = f"{SD}/servicedesk/{SANDBOX_SERVICE_DESK}/requesttype"
    first = http.get(url, params={"limit": 2}, headers=BASIC_AUTH).json()
    assert (first["size"], first["isLastPage"]) == (2, False)
    assert first["_links"]["next"].endswith("start=2&limit=2")
    second = http.get(url, params={"start": 2, "limit": 2}, headers=BASIC_AUTH).json()
    assert [t["name"] for t in second["values"]] == ["Change"] and second["isLastPage"] is True
    found = http.get(url, params={"searchQuery": "serv"}, headers=BASIC_AUTH).json()
    assert [t["name"] for t in found["values"]] == ["Service request"]
    unknown = http.get(f"{SD}/servicedesk/99/requesttype", headers=BASIC_AUTH)
    assert unknown.status_code == 404 and set(unknown.json()) == {"errorMessage", "i18nErrorMessage"}


def test_priorities_link_types_and_their_searches(http: httpx.Client) -> None:
    listed = http.get(f"{API}/priority", headers=BASIC_AUTH).json()
    assert [p["name"] for p in listed] == list(SANDBOX_PRIORITIES)
    assert [p["id"] for p in listed] == ["1", "2", "3", "4", "5"]
    pages: list[str] = []
    start = 0
    while True:
        page = http.get(f"{API}/priority/search", params={"startAt": start, "maxResults": 2},
                        headers=BASIC_AUTH).json()
        pages += [p["name"] for p in page["values"]]
        assert page["total"] == 5
        if page["isLast"]:
            break
        assert "nextPage" in page
        start += 2
    assert pages == list(SANDBOX_PRIORITIES)
    in_project = http.get(f"{API}/priority/search", params={"projectId": SANDBOX_INCIDENT_PROJECT_ID},
                          headers=BASIC_AUTH).json()
    assert len(in_project["values"]) == 5
    assert http.get(f"{API}/priority/search", params={"projectId": "424242"},
                    headers=BASIC_AUTH).json()["values"] == []
    default = http.get(f"{API}/priority/search", params={"onlyDefault": "true"}, headers=BASIC_AUTH).json()
    assert [p["name"] for p in default["values"]] == ["Medium"]
    types = http.get(f"{API}/issueLinkType", headers=BASIC_AUTH).json()["issueLinkTypes"]
    assert [t["name"] for t in types] == list(SANDBOX_LINK_TYPES)
    assert {t["name"]: (t["inward"], t["outward"]) for t in types}["Relates"] == ("relates to", "relates to")


# ---- service desk requests and their comments -----------------------------------------------------------


def test_a_request_is_an_incident_issue_with_a_key_counted_per_project(http: httpx.Client) -> None:
    first = _raise(http, description="The payment form fails.\nSince 10:00.", priority={"name": "High"})
    assert first["issueKey"] == "ITSM-1" and first["currentStatus"]["status"] == "Open"
    assert first["currentStatus"]["statusCategory"] == "NEW"
    assert first["requestTypeId"] == SANDBOX_INCIDENT_REQUEST_TYPE_ID
    assert _task(http)["key"] == "SEARCH-1"
    assert _raise(http, "Search is slow")["issueKey"] == "ITSM-2"
    issue = _issue(http, first["issueKey"])
    fields = issue["fields"]
    assert issue["id"] == first["issueId"]
    assert fields["issuetype"]["name"] == SANDBOX_INCIDENT_ISSUE_TYPE
    assert fields["priority"]["name"] == "High" and fields["status"]["name"] == "Open"
    assert fields["status"]["statusCategory"]["key"] == "new"
    assert adf_to_text(fields["description"]) == "The payment form fails.\nSince 10:00."
    assert fields["created"] == fields["updated"] == "2025-03-05T15:00:00.000+0000"
    assert fields["resolution"] is None and fields["resolutiondate"] is None
    assert fields["issuelinks"] == [] and fields["labels"] == []
    assert _issue(http, "itsm-1")["key"] == "ITSM-1"  # keys in any case
    assert _issue(http, first["issueId"])["key"] == "ITSM-1"  # or the numeric id
    assert _issue(http, "ITSM-2")["fields"]["priority"]["name"] == "Medium"  # the default


def test_a_request_with_a_field_not_on_the_form_or_no_summary_is_refused(http: httpx.Client) -> None:
    base = {"serviceDeskId": SANDBOX_SERVICE_DESK, "requestTypeId": SANDBOX_INCIDENT_REQUEST_TYPE_ID}
    for values in ({"summary": "x", "customfield_10001": "y"}, {"description": "no summary"},
                   {"summary": "x", "priority": {"name": "Urgent"}}):
        refused = http.post(f"{SD}/request", json={**base, "requestFieldValues": values}, headers=BASIC_AUTH)
        assert refused.status_code == 400, values
        assert set(refused.json()) == {"errorMessage", "i18nErrorMessage"}
    wrong_type = http.post(f"{SD}/request", headers=BASIC_AUTH, json={
        "serviceDeskId": SANDBOX_SERVICE_DESK, "requestTypeId": "999",
        "requestFieldValues": {"summary": "x"}})
    assert wrong_type.status_code == 400
    not_json_shape = http.post(f"{SD}/request", headers=BASIC_AUTH,
                               json={"serviceDeskId": 1, "requestFieldValues": {"summary": "x"}})
    assert not_json_shape.status_code == 400 and "errorMessage" in not_json_shape.json()


def test_request_comments_are_public_or_internal_and_filter_and_page(http: httpx.Client) -> None:
    key = _raise(http)["issueKey"]
    url = f"{SD}/request/{key}/comment"
    for n, public in enumerate((True, False, False, True)):
        made = http.post(url, json={"body": f"note {n}", "public": public}, headers=BASIC_AUTH)
        assert made.status_code == 201 and made.json()["public"] is public
    every = http.get(url, headers=BASIC_AUTH).json()
    assert [c["body"] for c in every["values"]] == ["note 0", "note 1", "note 2", "note 3"]
    internal = http.get(url, params={"public": "false"}, headers=BASIC_AUTH).json()
    assert [c["body"] for c in internal["values"]] == ["note 1", "note 2"]
    public = http.get(url, params={"internal": "false"}, headers=BASIC_AUTH).json()
    assert [c["body"] for c in public["values"]] == ["note 0", "note 3"]
    page = http.get(url, params={"start": 1, "limit": 2}, headers=BASIC_AUTH).json()
    assert [c["body"] for c in page["values"]] == ["note 1", "note 2"] and page["isLastPage"] is False
    # The platform sees the same comments, in ADF, with JSM's jsdPublic.
    platform = http.get(f"{API}/issue/{key}/comment", headers=BASIC_AUTH).json()
    assert [(adf_to_text(c["body"]), c["jsdPublic"]) for c in platform["comments"]] == [
        ("note 0", True), ("note 1", False), ("note 2", False), ("note 3", True)]
    no_public = http.post(url, json={"body": "x"}, headers=BASIC_AUTH)
    assert no_public.status_code == 400 and "errorMessage" in no_public.json()
    follow_up = _task(http)["key"]
    assert http.get(f"{SD}/request/{follow_up}/comment", headers=BASIC_AUTH).status_code == 404


# ---- platform issues -------------------------------------------------------------------------------------


def test_create_issue_with_adf_description_labels_and_properties(http: httpx.Client) -> None:
    made = _task(http, properties=[{"key": "oncall", "value": {"incident": "ITSM-1"}}])
    assert set(made) == {"id", "key", "self"}
    key = made["key"]
    http.put(f"{API}/issue/{key}", json={"fields": {
        "description": adf_from_text("Backoff with jitter."), "labels": ["incident-followup"]}},
        headers=BASIC_AUTH)
    issue = _issue(http, key, fields="summary,description,labels,status", properties="oncall")
    assert set(issue["fields"]) == {"summary", "description", "labels", "status"}
    assert issue["properties"] == {"oncall": {"incident": "ITSM-1"}}
    assert adf_to_text(issue["fields"]["description"]) == "Backoff with jitter."
    assert issue["fields"]["status"]["name"] == "To Do"
    without = _issue(http, key, fields="*all,-comment,-description")
    assert "comment" not in without["fields"] and "description" not in without["fields"]
    assert "properties" not in without


@pytest.mark.parametrize(("fields", "field"), [
    ({"project": {"key": "NOPE"}, "issuetype": {"name": "Task"}, "summary": "x"}, "project"),
    ({"project": {"key": "SEARCH"}, "issuetype": {"name": "Epic"}, "summary": "x"}, "issuetype"),
    ({"project": {"key": "SEARCH"}, "issuetype": {"name": "Task"}}, "summary"),
    ({"project": {"key": "SEARCH"}, "issuetype": {"name": "Task"}, "summary": "x", "description": "text"},
     "description"),
    ({"project": {"key": "SEARCH"}, "issuetype": {"name": "Task"}, "summary": "x", "duedate": "2025-01-01"},
     "duedate"),
    ({"project": {"key": "SEARCH"}, "issuetype": {"name": "Task"}, "summary": "x",
      "priority": {"name": "P1"}}, "priority"),
])
def test_create_issue_refusals_name_the_field_in_jiras_400(http: httpx.Client, fields: dict[str, Any],
                                                           field: str) -> None:
    body = _jira_400(http.post(f"{API}/issue", json={"fields": fields}, headers=BASIC_AUTH))
    assert field in body["errors"]


def test_edit_issue_changes_priority_and_refuses_what_is_not_on_the_screen(http: httpx.Client) -> None:
    key = _raise(http)["issueKey"]
    edited = http.put(f"{API}/issue/{key}", json={"fields": {"priority": {"name": "Highest"}}},
                      headers=BASIC_AUTH)
    assert edited.status_code == 204
    assert _issue(http, key)["fields"]["priority"] == {
        "self": f"{API}/priority/1", "iconUrl": f"{JIRA}/images/icons/priorities/highest_new.svg",
        "name": "Highest", "id": "1"}
    by_id = http.put(f"{API}/issue/{key}", params={"returnIssue": "true"},
                     json={"fields": {"priority": {"id": "4"}}}, headers=BASIC_AUTH)
    assert by_id.status_code == 200 and by_id.json()["fields"]["priority"]["name"] == "Low"
    status = _jira_400(http.put(f"{API}/issue/{key}", json={"fields": {"status": {"name": "Resolved"}}},
                                headers=BASIC_AUTH))
    assert "status" in status["errors"]
    assert http.put(f"{API}/issue/ITSM-99", json={"fields": {}}, headers=BASIC_AUTH).status_code == 404


def test_unknown_issue_is_404_in_jiras_shape(http: httpx.Client) -> None:
    response = http.get(f"{API}/issue/ITSM-404", headers=BASIC_AUTH)
    assert response.status_code == 404
    assert response.json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}


# ---- the workflow ----------------------------------------------------------------------------------------


def _transitions(http: httpx.Client, key: str, **params: Any) -> dict[str, dict[str, Any]]:
    listed = http.get(f"{API}/issue/{key}/transitions", params=params, headers=BASIC_AUTH).json()
    return {t["name"]: t for t in listed["transitions"]}


def test_the_incident_workflow_offers_only_the_moves_from_the_current_status(http: httpx.Client) -> None:
    key = _raise(http)["issueKey"]
    open_moves = _transitions(http, key)
    moves = {n: (t["id"], t["to"]["name"], t["to"]["statusCategory"]["key"]) for n, t in open_moves.items()}
    assert moves == {
        "Start fixing": ("11", "Fixing", "indeterminate"),
        "Resolve": ("21", "Resolved", "done"),
        "Cancel": ("31", "Canceled", "done"),
    }
    assert "fields" not in open_moves["Resolve"]
    with_fields = _transitions(http, key, expand="transitions.fields")
    assert with_fields["Start fixing"]["fields"] == {}
    resolution = with_fields["Resolve"]["fields"]["resolution"]
    assert [v["name"] for v in resolution["allowedValues"]] == ["Done", "Won't Do", "Declined"]
    assert resolution["defaultValue"]["name"] == "Done"
    only = http.get(f"{API}/issue/{key}/transitions", params={"transitionId": "31"},
                    headers=BASIC_AUTH).json()
    assert [t["name"] for t in only["transitions"]] == ["Cancel"]
    assert _move(http, key, "11").status_code == 204
    assert set(_transitions(http, key)) == {"Resolve", "Cancel"}
    assert _issue(http, key)["fields"]["status"]["name"] == "Fixing"


def test_an_illegal_transition_is_refused_and_changes_nothing(http: httpx.Client) -> None:
    key = _raise(http)["issueKey"]
    refused = _jira_400(_move(http, key, "41"))  # Reopen, from Open
    assert refused["errorMessages"] == ["Transition id '41' is not valid for this issue."]
    assert _jira_400(_move(http, key, "999"))["errorMessages"]
    missing = _jira_400(http.post(f"{API}/issue/{key}/transitions", json={"fields": {}}, headers=BASIC_AUTH))
    assert missing["errorMessages"]
    # Start fixing has no resolution on its screen.
    on_screen = _jira_400(_move(http, key, "11", resolution={"name": "Done"}))
    assert "resolution" in on_screen["errors"]
    assert _issue(http, key)["fields"]["status"]["name"] == "Open"


def test_resolved_has_a_resolution_and_date_and_reopening_clears_them(http: httpx.Client,
                                                                      wall: Clock) -> None:
    key = _raise(http)["issueKey"]
    _move(http, key, "11")
    wall.now = NOW + timedelta(hours=2)
    assert _move(http, key, "21").status_code == 204
    fields = _issue(http, key)["fields"]
    assert fields["status"]["name"] == "Resolved" and fields["status"]["statusCategory"]["key"] == "done"
    assert fields["resolution"]["name"] == "Done"
    assert fields["resolutiondate"] == fields["updated"] == "2025-03-05T17:00:00.000+0000"
    assert set(_transitions(http, key)) == {"Reopen"}
    assert _move(http, key, "41").status_code == 204
    reopened = _issue(http, key)["fields"]
    assert reopened["status"]["name"] == "Open"
    assert reopened["resolution"] is None and reopened["resolutiondate"] is None


def test_cancel_takes_the_resolution_given_and_comments_with_the_move(http: httpx.Client) -> None:
    key = _raise(http)["issueKey"]
    body = {"transition": {"id": "31"}, "fields": {"resolution": {"name": "Declined"}},
            "update": {"comment": [{"add": {"body": adf_from_text("Not an incident: a test alert.")}}]}}
    assert http.post(f"{API}/issue/{key}/transitions", json=body, headers=BASIC_AUTH).status_code == 204
    fields = _issue(http, key)["fields"]
    assert (fields["status"]["name"], fields["resolution"]["name"]) == ("Canceled", "Declined")
    comments = [adf_to_text(c["body"]) for c in fields["comment"]["comments"]]
    assert comments == ["Not an incident: a test alert."]
    assert _transitions(http, key) == {}  # Canceled is final
    unknown = _jira_400(_move(http, _raise(http)["issueKey"], "31", resolution={"name": "Fixed"}))
    assert "resolution" in unknown["errors"]


def test_follow_ups_have_the_simplified_workflow(http: httpx.Client) -> None:
    key = _task(http)["key"]
    assert set(_transitions(http, key)) == {"In Progress", "Done"}
    assert _move(http, key, "31").status_code == 204
    fields = _issue(http, key)["fields"]
    assert fields["status"]["name"] == "Done" and fields["resolution"]["name"] == "Done"
    assert set(_transitions(http, key)) == {"To Do", "In Progress"}


# ---- platform comments, properties, links ----------------------------------------------------------------


def test_platform_comments_are_adf_page_and_may_be_internal(http: httpx.Client) -> None:
    key = _raise(http)["issueKey"]
    url = f"{API}/issue/{key}/comment"
    made = http.post(url, json={"body": adf_from_text("Rolled back the deploy.")}, headers=BASIC_AUTH)
    assert made.status_code == 201
    comment = made.json()
    assert comment["jsdPublic"] is True and comment["author"]["accountId"].startswith("712020:")
    internal = http.post(url, json={"body": adf_from_text("Between us."), "properties": [
        {"key": "sd.public.comment", "value": {"internal": True}}]}, headers=BASIC_AUTH)
    assert internal.json()["jsdPublic"] is False
    assert "errors" in _jira_400(http.post(url, json={"body": "plain text"}, headers=BASIC_AUTH))
    page = http.get(url, params={"startAt": 1, "maxResults": 1}, headers=BASIC_AUTH).json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (1, 1, 2)
    assert [adf_to_text(c["body"]) for c in page["comments"]] == ["Between us."]
    newest = http.get(url, params={"orderBy": "-created"}, headers=BASIC_AUTH).json()
    assert [c["id"] for c in newest["comments"]] == [internal.json()["id"], comment["id"]]
    visible = http.get(f"{SD}/request/{key}/comment", params={"internal": "false"}, headers=BASIC_AUTH).json()
    assert [c["body"] for c in visible["values"]] == ["Rolled back the deploy."]


def test_issue_properties_set_replace_read_delete(http: httpx.Client) -> None:
    key = _raise(http)["issueKey"]
    url = f"{API}/issue/{key}/properties/oncall"
    missing = http.get(url, headers=BASIC_AUTH)
    assert missing.status_code == 404 and missing.json()["errorMessages"]
    assert http.put(url, json={"run": "r-1", "slack": "C123"}, headers=BASIC_AUTH).status_code == 201
    assert http.put(url, json={"run": "r-1", "slack": "C456"}, headers=BASIC_AUTH).status_code == 200
    stored = http.get(url, headers=BASIC_AUTH).json()
    assert stored == {"key": "oncall", "value": {"run": "r-1", "slack": "C456"}}
    huge = http.put(url, json={"x": "y" * 40_000}, headers=BASIC_AUTH)
    assert huge.status_code == 400 and huge.json()["errorMessages"]
    empty = http.put(url, headers={**BASIC_AUTH, "Content-Type": "application/json"})
    assert empty.status_code == 400
    assert http.delete(url, headers=BASIC_AUTH).status_code == 204
    assert http.delete(url, headers=BASIC_AUTH).status_code == 404
    assert http.get(f"{API}/issue/ITSM-9/properties/oncall", headers=BASIC_AUTH).status_code == 404


def test_an_issue_link_reads_outward_to_inward_and_is_not_stored_twice(emulator: Emulator,
                                                                       http: httpx.Client) -> None:
    incident = _raise(http)["issueKey"]
    follow_up = _task(http)["key"]
    body = {"type": {"name": "Blocks"}, "outwardIssue": {"key": incident}, "inwardIssue": {"key": follow_up},
            "comment": {"body": adf_from_text("Follow-up filed.")}}
    for _ in range(2):
        created = http.post(f"{API}/issueLink", json=body, headers=BASIC_AUTH)
        assert created.status_code == 201 and created.content == b""
    assert len(emulator.query("SELECT * FROM jira_issue_links")) == 1
    (on_incident,) = _issue(http, incident, fields="issuelinks")["fields"]["issuelinks"]
    assert on_incident["type"]["name"] == "Blocks" and "inwardIssue" not in on_incident
    assert on_incident["outwardIssue"]["key"] == follow_up  # "ITSM-1 blocks SEARCH-1"
    assert on_incident["outwardIssue"]["fields"]["status"]["name"] == "To Do"
    (on_follow_up,) = _issue(http, follow_up, fields="issuelinks")["fields"]["issuelinks"]
    assert on_follow_up["inwardIssue"]["key"] == incident  # "SEARCH-1 is blocked by ITSM-1"
    assert on_follow_up["id"] == on_incident["id"]
    comments = _issue(http, incident, fields="comment")["fields"]["comment"]["comments"]
    assert [adf_to_text(c["body"]) for c in comments] == ["Follow-up filed.", "Follow-up filed."]
    relates = http.post(f"{API}/issueLink", headers=BASIC_AUTH, json={
        "type": {"id": "10003"}, "outwardIssue": {"key": follow_up}, "inwardIssue": {"key": incident}})
    assert relates.status_code == 201
    assert len(_issue(http, incident)["fields"]["issuelinks"]) == 2


def test_link_refusals(http: httpx.Client) -> None:
    incident = _raise(http)["issueKey"]
    unknown_type = http.post(f"{API}/issueLink", headers=BASIC_AUTH, json={
        "type": {"name": "Causes"}, "outwardIssue": {"key": incident}, "inwardIssue": {"key": incident}})
    assert unknown_type.status_code == 404 and unknown_type.json()["errorMessages"]
    unknown_issue = http.post(f"{API}/issueLink", headers=BASIC_AUTH, json={
        "type": {"name": "Relates"}, "outwardIssue": {"key": incident}, "inwardIssue": {"key": "SEARCH-77"}})
    assert unknown_issue.status_code == 404
    assert unknown_issue.json() == {"errorMessages": ["Issue Does Not Exist"], "errors": {}}
    # A malformed request (no `type`, which the spec requires) is Jira's 400, naming the field.
    malformed = _jira_400(http.post(f"{API}/issueLink", headers=BASIC_AUTH, json={
        "outwardIssue": {"key": incident}, "inwardIssue": {"key": incident}}))
    assert "type" in malformed["errors"]


# ---- search ----------------------------------------------------------------------------------------------


def test_the_jql_subset_parses_and_refuses_the_rest() -> None:
    query = parse('project = ITSM AND issuetype = "[System] Incident" and statusCategory != Done '
                  'AND created >= "2025-03-01 09:00" AND summary ~ "retry storm" '
                  'AND issue.property[oncall].run = "r-1" ORDER BY created DESC, key')
    assert [(c.field, c.op, c.value) for c in query.clauses] == [
        ("project", "=", "ITSM"), ("issuetype", "=", "[System] Incident"), ("statusCategory", "!=", "Done"),
        ("created", ">=", "2025-03-01 09:00"), ("summary", "~", "retry storm"), ("property", "=", "r-1")]
    assert (query.clauses[-1].property_key, query.clauses[-1].property_path) == ("oncall", ("run",))
    assert query.order == (("created", True), ("key", False))
    assert parse('issue.property["oncall"].links.slack = C1').clauses[0].property_path == ("links", "slack")
    for bad in ("project = A OR project = B", "assignee = currentUser()", "project in (A, B)",
                "status was Open", "ORDER BY created DESC", "", "project = ITSM ORDER BY priority",
                "summary = x", "project ITSM", "(project = A)"):
        with pytest.raises(JqlError):
            parse(bad)
    assert text_matches("retry storm", "Fix the Retry storm in search")
    assert text_matches("stor*", "Fix the retry storm") and not text_matches("tor", "Fix the retry storm")


def test_search_finds_by_each_clause_of_the_subset(http: httpx.Client, wall: Clock) -> None:
    first = _raise(http, "Checkout returns 500s")["issueKey"]
    wall.now = NOW + timedelta(hours=1)
    second = _raise(http, "Search is slow")["issueKey"]
    wall.now = NOW + timedelta(hours=2)
    follow_up = _task(http, "Fix the retry storm")["key"]
    http.put(f"{API}/issue/{second}/properties/oncall", json={"run": "r-42", "n": 3}, headers=BASIC_AUTH)
    _move(http, first, "21")
    assert _keys(http, "project = ITSM") == [second, first]  # newest first by default
    assert _keys(http, f"project = {SANDBOX_INCIDENT_PROJECT_NAME!r}") == [second, first]
    assert _keys(http, "project = ITSM ORDER BY created ASC") == [first, second]
    assert _keys(http, f"key = {second.lower()}") == [second]
    assert _keys(http, f'issuetype = "{SANDBOX_INCIDENT_ISSUE_TYPE}"') == [second, first]
    assert _keys(http, "issuetype = Task") == [follow_up]
    assert _keys(http, "project = ITSM AND statusCategory = Done") == [first]
    assert _keys(http, "project = ITSM AND statusCategory != Done") == [second]
    assert _keys(http, 'status = "Resolved"') == [first]
    assert _keys(http, "status != Open AND project = ITSM") == [first]
    assert _keys(http, 'summary ~ "slow"') == [second]
    assert _keys(http, 'summary !~ "slow" AND project = ITSM') == [first]
    assert _keys(http, 'issue.property[oncall].run = "r-42"') == [second]
    assert _keys(http, "issue.property[oncall].n = 3") == [second]
    assert _keys(http, 'issue.property[oncall].run != "r-42"') == []  # no property: no match either way
    epoch = int((NOW + timedelta(minutes=30)).timestamp() * 1000)
    assert _keys(http, f"created >= {epoch} ORDER BY created ASC") == [second, follow_up]
    assert _keys(http, f"created < {epoch}") == [first]
    assert _keys(http, "created >= -90m ORDER BY key") == [second, follow_up]


def test_jql_dates_are_in_the_callers_time_zone(emulator: Emulator, http: httpx.Client, wall: Clock) -> None:
    wall.now = NOW.replace(hour=12)  # 12:00 UTC
    key = _raise(http)["issueKey"]
    person = next(r for r in emulator.query("SELECT email, data FROM jira_users ORDER BY seq")
                  if "America/" in r["data"])
    zone = ZoneInfo(str(json.loads(person["data"])["timeZone"]))
    local = NOW.replace(hour=12).astimezone(zone)  # the same instant on that person's clock
    as_them = _basic(person["email"])
    at = local.strftime("%Y-%m-%d %H:%M")
    before = (local - timedelta(minutes=1)).strftime("%Y/%m/%d %H:%M")
    after = (local + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")
    for jql, found in ((f'created >= "{at}"', [key]), (f'created >= "{before}"', [key]),
                       (f'created >= "{after}"', [])):
        response = http.get(f"{API}/search/jql", params={"jql": jql, "fields": "key"}, headers=as_them)
        assert [i["key"] for i in response.json()["issues"]] == found, jql
    bad = _jira_400(_search(http, 'created >= "tomorrow-ish"'))
    assert "created" in bad["errorMessages"][0]


def test_search_pages_with_next_page_token_and_ids_by_default(http: httpx.Client) -> None:
    keys = [_raise(http, f"incident {n}")["issueKey"] for n in range(5)]
    first = _search(http, "project = ITSM ORDER BY created ASC", maxResults=2).json()
    assert first["issues"] == [{"id": "10000"}, {"id": "10001"}]  # `fields` defaults to id
    assert first["isLast"] is False and first["nextPageToken"]
    seen: list[str] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"maxResults": 2, "fields": "summary", "properties": "oncall"}
        if token:
            params["nextPageToken"] = token
        page = _search(http, "project = ITSM ORDER BY created ASC", **params).json()
        seen += [i["key"] for i in page["issues"]]
        assert all(set(i["fields"]) == {"summary"} and i["properties"] == {} for i in page["issues"])
        if page["isLast"]:
            assert "nextPageToken" not in page
            break
        token = page["nextPageToken"]
    assert seen == keys
    posted = http.post(f"{API}/search/jql", headers=BASIC_AUTH, json={
        "jql": "project = ITSM ORDER BY created ASC", "maxResults": 3, "fields": ["key"]}).json()
    assert [i["key"] for i in posted["issues"]] == keys[:3] and posted["nextPageToken"]
    stale = _search(http, "project = SEARCH", nextPageToken=first["nextPageToken"])
    assert _jira_400(stale)["errorMessages"]
    too_many = _search(http, "project = ITSM", properties="a,b,c,d,e,f")
    assert _jira_400(too_many)["errorMessages"]


@pytest.mark.parametrize(("jql", "says"), [
    ("project = ITSM OR project = SEARCH", "AND only"),
    ("assignee = currentUser()", "Field 'assignee'"),
    ("ORDER BY created DESC", "Unbounded"),
    ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
    ("key = ITSM-99", "An issue with key 'ITSM-99' does not exist for field 'key'."),
    ("status = Pending", "does not exist for the field 'status'"),
])
def test_search_refuses_jql_outside_the_subset_in_jiras_400(http: httpx.Client, jql: str, says: str) -> None:
    body = _jira_400(_search(http, jql))
    assert says in body["errorMessages"][0] and body["errors"] == {}


# ---- faults, validation, serving -------------------------------------------------------------------------


def test_faults_on_the_service_desk_answer_in_its_error_shape(emulator: Emulator, http: httpx.Client) -> None:
    emulator.faults.add(Fault(service="jira", operation="POST /rest/servicedeskapi/request", calls={1},
                              status=500))
    emulator.faults.add_spec("jira:GET /rest/api/3/issue/{issueIdOrKey}#1=429:7")
    broken = http.post(f"{SD}/request", headers=BASIC_AUTH, json={
        "serviceDeskId": SANDBOX_SERVICE_DESK, "requestTypeId": SANDBOX_INCIDENT_REQUEST_TYPE_ID,
        "requestFieldValues": {"summary": "x"}})
    assert broken.status_code == 500 and set(broken.json()) == {"errorMessage", "i18nErrorMessage"}
    key = _raise(http)["issueKey"]  # the retry succeeds: the fault applied nothing
    assert key == "ITSM-1"
    throttled = http.get(f"{API}/issue/{key}", headers=BASIC_AUTH)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert throttled.json()["errorMessages"]
    unauthenticated = http.get(f"{SD}/servicedesk", headers={"Authorization": "Bearer x"})
    assert unauthenticated.status_code == 401 and "errorMessage" in unauthenticated.json()
    calls = [(c.operation, c.status) for c in emulator.calls if c.operation and "request" in c.operation]
    create = "POST /rest/servicedeskapi/request"
    assert calls[:2] == [(create, 500), (create, 201)]


def test_every_issue_operation_is_served_and_validated_both_ways(emulator: Emulator,
                                                                 http: httpx.Client) -> None:
    test_the_seed_has_the_itsm_service_desk_and_the_search_project(http)
    test_request_types_page_and_are_found_by_project_key_or_words(http)
    test_priorities_link_types_and_their_searches(http)
    test_request_comments_are_public_or_internal_and_filter_and_page(http)
    test_create_issue_with_adf_description_labels_and_properties(http)
    test_edit_issue_changes_priority_and_refuses_what_is_not_on_the_screen(http)
    test_cancel_takes_the_resolution_given_and_comments_with_the_move(http)
    test_platform_comments_are_adf_page_and_may_be_internal(http)
    test_issue_properties_set_replace_read_delete(http)
    test_an_issue_link_reads_outward_to_inward_and_is_not_stored_twice(emulator, http)
    _search(http, "project = ITSM")
    http.post(f"{API}/search/jql", json={"jql": "project = ITSM"}, headers=BASIC_AUTH)
    called = {c.operation for c in emulator.calls if c.service == "jira"}
    issue_operations = set(OPERATIONS) - set(DIRECTORY_OPERATIONS)
    assert len(issue_operations) == 22 and issue_operations <= called
    for operation in issue_operations:
        assert ("jira", operation, "request") in emulator.validated, operation
        if operation.startswith(("PUT ", "DELETE ")) or operation in (
                "POST /rest/api/3/issueLink", "POST /rest/api/3/issue/{issueIdOrKey}/transitions"):
            continue  # empty answers: nothing to check
        assert ("jira", operation, "response") in emulator.validated, operation
    assert emulator.invalid_responses == []


def test_the_seed_is_deterministic_and_the_workflow_is_in_the_state(emulator: Emulator) -> None:
    with Emulator(now=lambda: NOW) as again:
        tables = ("jira_projects", "jira_issue_types", "jira_statuses", "jira_transitions", "jira_priorities",
                  "jira_resolutions", "jira_link_types", "jira_service_desks", "jira_request_types")
        mine, theirs = emulator.snapshot("jira"), again.snapshot("jira")
        assert all(mine[t] == theirs[t] for t in tables)
    moves = emulator.query("SELECT id, name, to_status FROM jira_transitions WHERE workflow = ? ORDER BY seq",
                           (INCIDENT_WORKFLOW,))
    assert [(m["id"], m["name"], m["to_status"]) for m in moves] == [
        ("11", "Start fixing", "10100"), ("21", "Resolve", "5"), ("31", "Cancel", "10101"),
        ("41", "Reopen", "1")]
    status = emulator.status()["services"]["jira"]
    assert status["projects"] == 2 and status["issues"] == 0


def test_served_over_http_by_sandbox_serve() -> None:
    with Emulator(now=lambda: NOW) as emulator:
        server, thread = serve_in_thread(emulator, "127.0.0.1", 0)
        try:
            with httpx.Client(timeout=5, headers=BASIC_AUTH) as real:
                base = f"{server.url}/jira"
                made = real.post(f"{base}/rest/servicedeskapi/request", json={
                    "serviceDeskId": SANDBOX_SERVICE_DESK, "requestTypeId": SANDBOX_INCIDENT_REQUEST_TYPE_ID,
                    "requestFieldValues": {"summary": "Over the wire"}})
                assert made.status_code == 201
                key = made.json()["issueKey"]
                assert made.json()["_links"]["self"].startswith(f"{base}/rest/servicedeskapi/request/")
                issue = real.get(f"{base}/rest/api/3/issue/{key}").json()
                assert issue["self"] == f"{base}/rest/api/3/issue/{issue['id']}"
                moved = real.post(f"{base}/rest/api/3/issue/{key}/transitions",
                                  json={"transition": {"id": "21"}})
                assert moved.status_code == 204
                found = real.get(f"{base}/rest/api/3/search/jql",
                                 params={"jql": "statusCategory = Done", "fields": "resolution"}).json()
                assert [i["fields"]["resolution"]["name"] for i in found["issues"]] == ["Done"]
                assert real.get(f"{base}/rest/api/3/issue/{key}",
                                headers={"Authorization": "Bearer x"}).status_code == 401
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def test_created_times_are_utc_in_jiras_format(http: httpx.Client, wall: Clock) -> None:
    wall.now = datetime(2025, 3, 5, 10, 30, 15, 250_000, tzinfo=ZoneInfo("America/New_York"))
    key = _raise(http)["issueKey"]
    assert _issue(http, key)["fields"]["created"] == "2025-03-05T15:30:15.250+0000"
    assert wall.now.astimezone(UTC).hour == 15


def test_a_refused_request_leaves_nothing_behind(emulator: Emulator, http: httpx.Client) -> None:
    too_big = http.post(f"{API}/issue", headers=BASIC_AUTH, json={
        "fields": {"project": {"key": SANDBOX_FOLLOWUP_PROJECT}, "issuetype": {"name": "Task"},
                   "summary": "x"},
        "properties": [{"key": "oncall", "value": {"blob": "y" * 40_000}}]})
    assert too_big.status_code == 400
    assert emulator.query("SELECT COUNT(*) AS n FROM jira_issues")[0]["n"] == 0
    assert _task(http)["key"] == "SEARCH-1"  # the refused create used no key
