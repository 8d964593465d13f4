"""JiraIssuesClient against respx routes matching the exact request (no network, no patching, no real sleep).

Bodies follow `specs/jira/jira-platform.v3.json` (`IssueBean`, `IssueTransition`, `PageOfComments`,
`SearchAndReconcileResults`, `PageBeanPriority`, `ErrorCollection`) and `specs/jira/jsm-servicedesk.v3.json`
(`PagedDTO...`, `CustomerRequestDTO`, `CommentDTO`, `DateDTO`, `ErrorResponse`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import respx

from oncall_cli.clients.jira_issues import ISSUE_FIELDS, JiraIssuesClient, jira_issues_error_text
from oncall_cli.clients.jira_issues_models import adf, adf_text
from oncall_cli.errors import (
    AuthError,
    NotFoundError,
    OncallError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
    UnexpectedError,
    UsageError,
)
from oncall_cli.redaction import forget_secrets

from .conftest import (
    B64,
    ECHO,
    EMAIL,
    TOKEN,
    FakeClock,
    assert_no_token,
    atlassian_args,
    jira_errors,
    sent,
    sent_json,
)
from .conftest import basic_route as route

pytestmark = pytest.mark.usefixtures("no_leftover_secrets")

SITE = "https://acme.atlassian.net"
API = f"{SITE}/rest/api/3"
SD = f"{SITE}/rest/servicedeskapi"
KEY = "ITSM-30"
ISSUE_ID = "10030"


def make_client(router: respx.MockRouter, clock: FakeClock) -> JiraIssuesClient:
    return JiraIssuesClient(**atlassian_args(router, clock), base_url=SITE + "/")


@pytest.fixture
def jira(router: respx.MockRouter, clock: FakeClock) -> JiraIssuesClient:
    return make_client(router, clock)


def desk_error(status: int, message: str) -> httpx.Response:
    """The service desk's `ErrorResponse`."""
    return httpx.Response(
        status, json={"errorMessage": message, "i18nErrorMessage": {"i18nKey": "sd.error", "parameters": []}}
    )


def page(values: list[Any], *, start: int, last: bool, limit: int = 50) -> dict[str, Any]:
    """A service desk `PagedDTO`."""
    return {
        "_expands": [],
        "size": len(values),
        "start": start,
        "limit": limit,
        "isLastPage": last,
        "_links": {"base": SD, "context": "context"},
        "values": values,
    }


def doc(*paragraphs: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs],
    }


def status(name: str, category: str, status_id: str = "3") -> dict[str, Any]:
    names = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
    return {
        "self": f"{API}/status/{status_id}",
        "description": "",
        "iconUrl": f"{SITE}/images/icons/statuses/generic.png",
        "name": name,
        "id": status_id,
        "statusCategory": {
            "self": f"{API}/statuscategory/4",
            "id": 4,
            "key": category,
            "name": names[category],
        },
    }


def issue(key: str = KEY, issue_id: str = ISSUE_ID, **fields: Any) -> dict[str, Any]:
    return {"expand": "", "id": issue_id, "self": f"{API}/issue/{issue_id}", "key": key, "fields": fields}


# --- service desk --------------------------------------------------------------------------------------


def test_list_service_desks_reads_every_page(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    desk = {"id": "10001", "projectId": "11001", "projectName": "IT Service Management", "projectKey": "ITSM"}
    other = {"id": "10002", "projectId": "11002", "projectName": "HR Self Serve Desk", "projectKey": "HR"}
    first = route(router, "GET", f"{SD}/servicedesk", params={"start": "0", "limit": "50"}).mock(
        return_value=httpx.Response(200, json=page([desk], start=0, last=False))
    )
    second = route(router, "GET", f"{SD}/servicedesk", params={"start": "1", "limit": "50"}).mock(
        return_value=httpx.Response(200, json=page([other], start=1, last=True))
    )

    desks = jira.list_service_desks()

    assert [(d.id, d.project_id, d.project_key, d.project_name) for d in desks] == [
        ("10001", "11001", "ITSM", "IT Service Management"),
        ("10002", "11002", "HR", "HR Self Serve Desk"),
    ]
    assert first.call_count == 1 and second.call_count == 1
    sent(first)


def test_list_request_types_filters_by_name_and_pages(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    incident = {"id": "14", "name": "Report an incident", "issueTypeId": "10021", "serviceDeskId": "10001"}
    url = f"{SD}/servicedesk/10001/requesttype"
    route(router, "GET", url, params={"searchQuery": "incident", "start": "0", "limit": "50"}).mock(
        return_value=httpx.Response(200, json=page([incident], start=0, last=False))
    )
    route(router, "GET", url, params={"searchQuery": "incident", "start": "1", "limit": "50"}).mock(
        return_value=httpx.Response(200, json=page([], start=1, last=True))
    )

    types = jira.list_request_types(service_desk_id="10001", search_query="incident")

    assert [(t.id, t.name, t.issue_type_id) for t in types] == [("14", "Report an incident", "10021")]


def test_list_request_types_without_a_query_sends_none(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    route(router, "GET", f"{SD}/servicedesk/ITSM/requesttype", params={"start": "0", "limit": "50"}).mock(
        return_value=httpx.Response(200, json=page([{"id": "1", "name": "Incident"}], start=0, last=True))
    )

    assert [t.issue_type_id for t in jira.list_request_types(service_desk_id="ITSM")] == [None]


def test_create_request_sends_the_field_values_in_plain_text(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    expected = {
        "serviceDeskId": "10001",
        "requestTypeId": "14",
        "requestFieldValues": {
            "summary": "Checkout is down",
            "description": "Payments fail.\n\nRaised with oncall, run r-1",
            "customfield_10050": {"value": "EU"},
        },
    }
    r = route(router, "POST", f"{SD}/request", body=expected).mock(
        return_value=httpx.Response(
            201,
            json={
                "_expands": ["participant", "status"],
                "issueId": ISSUE_ID,
                "issueKey": KEY,
                "requestTypeId": "14",
                "serviceDeskId": "10001",
                "createdDate": {
                    "epochMillis": 1444290120000,
                    "friendly": "Monday 14:42 PM",
                    "iso8601": "2015-10-08T14:42:00+0700",
                    "jira": "2015-10-08T14:42:00.000+0700",
                },
            },
        )
    )

    created = jira.create_request(
        service_desk_id="10001",
        request_type_id="14",
        summary="Checkout is down",
        description="Payments fail.\n\nRaised with oncall, run r-1",
        fields={"customfield_10050": {"value": "EU"}},
    )

    assert (created.issue_id, created.issue_key) == (ISSUE_ID, KEY)
    assert sent_json(r) == expected


def test_create_request_without_description_leaves_it_out(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    body = {"serviceDeskId": "1", "requestTypeId": "2", "requestFieldValues": {"summary": "S"}}
    route(router, "POST", f"{SD}/request", body=body).mock(
        return_value=httpx.Response(201, json={"issueId": "1", "issueKey": "A-1"})
    )

    jira.create_request(service_desk_id="1", request_type_id="2", summary="S", description=None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"summary": " "}, "summary"),
        ({"fields": {"summary": "again"}}, "summary"),
        ({"request_type_id": ""}, "request type"),
    ],
)
def test_create_request_refuses_what_jira_would_reject(
    jira: JiraIssuesClient, kwargs: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {
        "service_desk_id": "1",
        "request_type_id": "2",
        "summary": "S",
        "description": None,
        **kwargs,
    }
    with pytest.raises(UsageError, match=message):
        jira.create_request(**args)


def test_request_comment_is_plain_text_and_internal_when_not_public(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    r = route(
        router,
        "POST",
        f"{SD}/request/{KEY}/comment",
        body={"body": "Rolled back the deploy", "public": False},
    ).mock(
        return_value=httpx.Response(
            201,
            json={
                "_expands": ["attachment", "renderedBody"],
                "id": "1000",
                "body": "Rolled back the deploy",
                "public": False,
                "author": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof"},
                "created": {"epochMillis": 1444290120000, "iso8601": "2015-10-08T14:42:00+0700"},
            },
        )
    )

    comment = jira.add_request_comment(key=KEY, body="Rolled back the deploy", public=False)

    assert (comment.id, comment.text, comment.public) == ("1000", "Rolled back the deploy", False)
    assert comment.created_at == datetime(2015, 10, 8, 14, 42, tzinfo=timezone(timedelta(hours=7)))
    sent_json(r)


def test_list_request_comments_filters_and_pages(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    url = f"{SD}/request/{KEY}/comment"

    def comment(n: int) -> dict[str, Any]:
        return {
            "id": str(n),
            "body": f"note {n}",
            "public": False,
            "created": {"iso8601": "2026-12-06T14:20:00Z"},
        }

    route(
        router, "GET", url, params={"public": "false", "internal": "true", "start": "0", "limit": "50"}
    ).mock(return_value=httpx.Response(200, json=page([comment(1), comment(2)], start=0, last=False)))
    route(
        router, "GET", url, params={"public": "false", "internal": "true", "start": "2", "limit": "50"}
    ).mock(return_value=httpx.Response(200, json=page([comment(3)], start=2, last=True)))

    comments = jira.list_request_comments(key=KEY, public=False, internal=True)

    assert [c.body for c in comments] == ["note 1", "note 2", "note 3"]
    assert comments[0].created_at == datetime(2026, 12, 6, 14, 20, tzinfo=UTC)


def test_list_request_comments_sends_no_filter_by_default(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    route(router, "GET", f"{SD}/request/{KEY}/comment", params={"start": "0", "limit": "50"}).mock(
        return_value=httpx.Response(200, json=page([], start=0, last=True))
    )

    assert jira.list_request_comments(key=KEY) == []


# --- issues --------------------------------------------------------------------------------------------


def test_create_issue_sends_adf_and_sets_properties_at_create(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    expected = {
        "fields": {
            "project": {"key": "SEARCH"},
            "issuetype": {"name": "Task"},
            "summary": "Fix the retry storm",
            "description": {
                "type": "doc",
                "version": 1,
                "content": [
                    {"type": "paragraph", "content": [{"type": "text", "text": "Follow-up of ITSM-30."}]},
                    {
                        "type": "paragraph",
                        "content": [
                            {"type": "text", "text": "Owner: search team"},
                            {"type": "hardBreak"},
                            {"type": "text", "text": "Due: next sprint"},
                        ],
                    },
                ],
            },
            "labels": ["incident-followup"],
        },
        "properties": [{"key": "oncall", "value": {"incident": KEY, "run": "r-1"}}],
    }
    r = route(router, "POST", f"{API}/issue", body=expected).mock(
        return_value=httpx.Response(
            201,
            json={
                "id": "10000",
                "key": "SEARCH-24",
                "self": f"{API}/issue/10000",
                "transition": {"status": 200, "errorCollection": {"errorMessages": [], "errors": {}}},
            },
        )
    )

    created = jira.create_issue(
        project_key="SEARCH",
        issue_type="Task",
        summary="Fix the retry storm",
        description="Follow-up of ITSM-30.\n\nOwner: search team\nDue: next sprint",
        fields={"labels": ["incident-followup"]},
        properties={"oncall": {"incident": KEY, "run": "r-1"}},
    )

    assert (created.id, created.key) == ("10000", "SEARCH-24")
    assert sent_json(r) == expected


def test_create_issue_takes_an_issue_type_id_and_no_description(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    body = {"fields": {"project": {"key": "SEARCH"}, "issuetype": {"id": "10002"}, "summary": "S"}}
    route(router, "POST", f"{API}/issue", body=body).mock(
        return_value=httpx.Response(201, json={"id": "1", "key": "SEARCH-1"})
    )

    assert jira.create_issue(project_key="SEARCH", issue_type="10002", summary="S", description=None).key == (
        "SEARCH-1"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fields": {"project": {"key": "X"}}}, "project"),
        ({"properties": {"oncall": None}}, "needs a value"),
        ({"properties": {"oncall": "x" * 40_000}}, "at most 32768"),
        ({"properties": {"k" * 256: 1}}, "property key"),
        ({"summary": ""}, "summary"),
    ],
)
def test_create_issue_refuses_what_jira_would_reject(
    jira: JiraIssuesClient, kwargs: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {
        "project_key": "SEARCH",
        "issue_type": "Task",
        "summary": "S",
        "description": None,
        **kwargs,
    }
    with pytest.raises(UsageError, match=message):
        jira.create_issue(**args)


def test_get_issue_asks_for_fields_and_properties_and_reads_them(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    r = route(
        router,
        "GET",
        f"{API}/issue/{KEY}",
        params={"fields": ",".join(ISSUE_FIELDS), "properties": "oncall"},
    ).mock(
        return_value=httpx.Response(
            200,
            json={
                **issue(
                    summary="Checkout is down",
                    description=doc("Payments fail.", "Raised with oncall, run r-1"),
                    status=status("Fixing", "indeterminate"),
                    priority={"self": f"{API}/priority/2", "id": "2", "name": "High", "iconUrl": "x"},
                    created="2026-12-06T14:20:00.000+0000",
                    updated="2026-12-06T15:00:00.000-0500",
                    resolutiondate=None,
                    labels=["p2"],
                    issuetype={"id": "10021", "name": "[System] Incident", "subtask": False},
                    issuelinks=[
                        {
                            "id": "10001",
                            "type": {
                                "id": "10000",
                                "name": "Relates",
                                "inward": "relates to",
                                "outward": "relates to",
                            },
                            "outwardIssue": {
                                "id": "10004",
                                "key": "SEARCH-24",
                                "fields": {
                                    "summary": "Fix the retry storm",
                                    "status": status("To Do", "new", "1"),
                                    "priority": {"id": "3", "name": "Medium"},
                                    "issuetype": {"id": "10002", "name": "Task"},
                                },
                            },
                        }
                    ],
                ),
                "properties": {"oncall": {"slack_channel": "C024BE91L", "statuspage": "p31zjtct2jer"}},
            },
        )
    )

    found = jira.get_issue(key=KEY, properties=("oncall",))

    sent(r)
    fields = found.fields
    assert (found.id, found.key, fields.summary) == (ISSUE_ID, KEY, "Checkout is down")
    assert fields.description_text == "Payments fail.\n\nRaised with oncall, run r-1"
    assert fields.status is not None and fields.status.name == "Fixing"
    assert fields.status.category_key == "indeterminate"
    assert fields.priority is not None and fields.priority.name == "High"
    assert fields.created == datetime(2026, 12, 6, 14, 20, tzinfo=UTC)
    assert fields.updated == datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    assert fields.resolutiondate is None and fields.labels == ["p2"]
    assert fields.issuetype is not None and fields.issuetype.name == "[System] Incident"
    link = fields.issuelinks[0]
    assert link.type.name == "Relates" and link.inward_issue is None
    assert link.outward_issue is not None and link.outward_issue.key == "SEARCH-24"
    assert link.outward_issue.fields.status is not None
    assert link.outward_issue.fields.status.category_key == "new"
    assert found.properties == {"oncall": {"slack_channel": "C024BE91L", "statuspage": "p31zjtct2jer"}}


def test_get_issue_keeps_other_requested_fields_raw(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{API}/issue/{KEY}", params={"fields": "summary,customfield_10050"}).mock(
        return_value=httpx.Response(
            200, json=issue(summary="S", customfield_10050={"value": "EU", "id": "10100"})
        )
    )

    found = jira.get_issue(key=KEY, fields=("summary", "customfield_10050"))

    assert found.fields.other("customfield_10050") == {"value": "EU", "id": "10100"}
    assert found.fields.other("customfield_99999") is None
    assert found.fields.description_text is None and found.properties == {}


def test_get_issue_unknown_is_not_found_with_jiras_message(
    jira: JiraIssuesClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(router, "GET", f"{API}/issue/ITSM-999", params={"fields": "summary"}).mock(
        return_value=jira_errors(404, "Issue does not exist or you do not have permission to see it.")
    )

    with pytest.raises(NotFoundError, match="HTTP 404: Issue does not exist"):
        jira.get_issue(key="ITSM-999", fields=("summary",))

    assert r.call_count == 1 and clock.sleeps == []


def test_search_uses_the_enhanced_endpoint_and_follows_the_page_token(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    url = f"{API}/search/jql"
    jql = "project = ITSM AND issuetype = 10021 AND created >= 1765000000000 ORDER BY created DESC"
    base = {"jql": jql, "fields": "summary,status", "properties": "oncall", "maxResults": "2"}
    first = route(router, "GET", url, params=base).mock(
        return_value=httpx.Response(
            200,
            json={
                "issues": [issue("ITSM-31", "10031", summary="B"), issue("ITSM-30", "10030", summary="A")],
                "nextPageToken": "CAEaAggD",
            },
        )
    )
    second = route(router, "GET", url, params={**base, "nextPageToken": "CAEaAggD"}).mock(
        return_value=httpx.Response(
            200,
            json={
                "isLast": True,
                "issues": [{**issue("ITSM-29", "10029", summary="C"), "properties": {"oncall": {"x": "1"}}}],
            },
        )
    )

    found = list(jira.search(jql=jql, fields=["summary", "status"], properties=["oncall"], max_results=2))

    assert [i.key for i in found] == ["ITSM-31", "ITSM-30", "ITSM-29"]
    assert found[2].properties == {"oncall": {"x": "1"}}
    assert first.call_count == 1 and second.call_count == 1
    assert b"jql=project+%3D+ITSM" in sent(first).url.query


def test_search_stops_when_jira_repeats_a_token(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    url = f"{API}/search/jql"
    base = {"jql": "project = ITSM", "fields": "id", "maxResults": "100"}
    route(router, "GET", url, params=base).mock(
        return_value=httpx.Response(200, json={"issues": [issue()], "nextPageToken": "t1"})
    )
    again = route(router, "GET", url, params={**base, "nextPageToken": "t1"}).mock(
        return_value=httpx.Response(200, json={"issues": [issue("ITSM-1", "1")], "nextPageToken": "t1"})
    )

    assert len(list(jira.search(jql="project = ITSM", fields=[]))) == 2
    assert again.call_count == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"jql": " "}, "JQL"),
        ({"max_results": 0}, "max_results"),
        ({"properties": ["a", "b", "c", "d", "e", "f"]}, "at most 5"),
    ],
)
def test_search_refuses_what_jira_would_reject(
    jira: JiraIssuesClient, kwargs: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {"jql": "project = ITSM", "fields": ["summary"], **kwargs}
    with pytest.raises(UsageError, match=message):
        list(jira.search(**args))


def test_edit_issue_puts_the_fields(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    r = route(router, "PUT", f"{API}/issue/{KEY}", body={"fields": {"priority": {"name": "High"}}}).mock(
        return_value=httpx.Response(204)
    )

    jira.edit_issue(key=KEY, fields={"priority": {"name": "High"}})

    assert sent_json(r) == {"fields": {"priority": {"name": "High"}}}


def test_edit_issue_needs_a_field(jira: JiraIssuesClient) -> None:
    with pytest.raises(UsageError):
        jira.edit_issue(key=KEY, fields={})


def test_an_empty_key_is_refused_before_any_request(jira: JiraIssuesClient) -> None:
    with pytest.raises(UsageError, match="issue key"):
        jira.edit_issue(key=" ", fields={"summary": "x"})


def test_a_key_is_one_escaped_path_segment(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    r = route(router, "GET", f"{API}/issue/ITSM-30%2F..%2Fx", params={"fields": "summary"}).mock(
        return_value=httpx.Response(200, json=issue())
    )

    jira.get_issue(key="ITSM-30/../x", fields=("summary",))

    assert sent(r).url.raw_path.startswith(b"/rest/api/3/issue/ITSM-30%2F..%2Fx?")


# --- transitions ---------------------------------------------------------------------------------------


def test_get_transitions_reads_targets_and_screen_fields(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    r = route(router, "GET", f"{API}/issue/{KEY}/transitions", params={"expand": "transitions.fields"}).mock(
        return_value=httpx.Response(
            200,
            json={
                "expand": "transitions",
                "transitions": [
                    {
                        "id": "11",
                        "name": "Start fixing",
                        "to": status("Fixing", "indeterminate", "10001"),
                        "hasScreen": False,
                        "isAvailable": True,
                        "fields": {},
                    },
                    {
                        "id": "31",
                        "name": "Resolve",
                        "to": status("Resolved", "done", "10002"),
                        "hasScreen": True,
                        "fields": {
                            "resolution": {
                                "required": True,
                                "name": "Resolution",
                                "key": "resolution",
                                "operations": ["set"],
                                "allowedValues": [
                                    {"id": "1", "name": "Done"},
                                    {"id": "2", "name": "Won't Do"},
                                ],
                            }
                        },
                    },
                    {"id": "41", "name": "Cancel", "to": status("Canceled", "done", "10003")},
                ],
            },
        )
    )

    transitions = jira.get_transitions(key=KEY)

    sent(r)
    assert [(t.id, t.name, t.to_name, t.to_category, t.has_resolution) for t in transitions] == [
        ("11", "Start fixing", "Fixing", "indeterminate", False),
        ("31", "Resolve", "Resolved", "done", True),
        ("41", "Cancel", "Canceled", "done", False),
    ]
    assert transitions[1].to is not None and transitions[1].to.id == "10002"


def test_transition_sends_fields_and_an_adf_comment(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    expected = {
        "transition": {"id": "41"},
        "fields": {"resolution": {"name": "Won't Do"}},
        "update": {"comment": [{"add": {"body": doc("Not an incident: a planned test (ITSM-12).")}}]},
    }
    r = route(router, "POST", f"{API}/issue/{KEY}/transitions", body=expected).mock(
        return_value=httpx.Response(204)
    )

    jira.transition(
        key=KEY,
        transition_id="41",
        fields={"resolution": {"name": "Won't Do"}},
        comment="Not an incident: a planned test (ITSM-12).",
    )

    assert sent_json(r) == expected


def test_transition_alone_sends_only_the_id(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    r = route(router, "POST", f"{API}/issue/{KEY}/transitions", body={"transition": {"id": "11"}}).mock(
        return_value=httpx.Response(204)
    )

    jira.transition(key=KEY, transition_id="11")

    assert r.call_count == 1


def test_a_transition_is_not_repeated_after_a_5xx(
    jira: JiraIssuesClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(router, "POST", f"{API}/issue/{KEY}/transitions").mock(
        return_value=httpx.Response(503, text="Service Unavailable")
    )

    with pytest.raises(UnavailableError, match="HTTP 503"):
        jira.transition(key=KEY, transition_id="11")

    assert r.call_count == 1 and clock.sleeps == []


# --- platform comments ---------------------------------------------------------------------------------


def test_add_comment_sends_adf(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    body = {"body": doc("Linked from incident ITSM-30.")}
    r = route(router, "POST", f"{API}/issue/SEARCH-24/comment", body=body).mock(
        return_value=httpx.Response(
            201,
            json={
                "id": "10000",
                "body": doc("Linked from incident ITSM-30."),
                "created": "2021-01-17T12:34:00.000+0000",
                "updated": "2021-01-18T23:45:00.000+0000",
                "jsdPublic": True,
                "author": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof"},
            },
        )
    )

    comment = jira.add_comment(key="SEARCH-24", body="Linked from incident ITSM-30.")

    assert sent_json(r) == body
    assert (comment.id, comment.text, comment.public) == ("10000", "Linked from incident ITSM-30.", True)
    assert comment.created_at == datetime(2021, 1, 17, 12, 34, tzinfo=UTC)


def test_list_comments_reads_to_the_total(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    url = f"{API}/issue/SEARCH-24/comment"

    def comment(n: int) -> dict[str, Any]:
        return {"id": str(n), "body": doc(f"c{n}"), "created": "2026-12-06T14:20:00.000+0000"}

    first = route(
        router, "GET", url, params={"startAt": "0", "maxResults": "100", "orderBy": "created"}
    ).mock(
        return_value=httpx.Response(
            200, json={"comments": [comment(1), comment(2)], "maxResults": 2, "startAt": 0, "total": 3}
        )
    )
    second = route(
        router, "GET", url, params={"startAt": "2", "maxResults": "100", "orderBy": "created"}
    ).mock(
        return_value=httpx.Response(
            200, json={"comments": [comment(3)], "maxResults": 2, "startAt": 2, "total": 3}
        )
    )

    assert [c.text for c in jira.list_comments(key="SEARCH-24")] == ["c1", "c2", "c3"]
    assert first.call_count == 1 and second.call_count == 1


# --- issue properties ----------------------------------------------------------------------------------


def test_get_issue_property_returns_the_value(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{API}/issue/{KEY}/properties/oncall").mock(
        return_value=httpx.Response(200, json={"key": "oncall", "value": {"slack_channel": "C024BE91L"}})
    )

    assert jira.get_issue_property(key=KEY, property_key="oncall") == {"slack_channel": "C024BE91L"}


def test_get_issue_property_that_is_not_set_is_none(
    jira: JiraIssuesClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(router, "GET", f"{API}/issue/{KEY}/properties/oncall").mock(
        return_value=jira_errors(404, "The property with key 'oncall' does not exist.")
    )

    assert jira.get_issue_property(key=KEY, property_key="oncall") is None
    assert r.call_count == 1 and clock.sleeps == []


@pytest.mark.parametrize("answer", [200, 201])
def test_set_issue_property_puts_the_value_itself(
    jira: JiraIssuesClient, router: respx.MockRouter, answer: int
) -> None:
    value = {"slack_channel": "C024BE91L", "followups": ["SEARCH-24"]}
    r = route(router, "PUT", f"{API}/issue/{KEY}/properties/oncall").mock(return_value=httpx.Response(answer))

    jira.set_issue_property(key=KEY, property_key="oncall", value=value)

    assert sent_json(r) == value


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("oncall", None, "needs a value"),
        ("oncall", ["x" * 40_000], "at most 32768"),
        ("", {}, "property key"),
    ],
)
def test_set_issue_property_refuses_what_jira_would_reject(
    jira: JiraIssuesClient, key: str, value: Any, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        jira.set_issue_property(key=KEY, property_key=key, value=value)


# --- issue links, priorities, projects -----------------------------------------------------------------


def test_create_issue_link_names_the_type_and_both_ends(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    expected = {
        "type": {"name": "Relates"},
        "inwardIssue": {"key": KEY},
        "outwardIssue": {"key": "SEARCH-24"},
    }
    r = route(router, "POST", f"{API}/issueLink", body=expected).mock(return_value=httpx.Response(201))

    jira.create_issue_link(type_name="Relates", inward_key=KEY, outward_key="SEARCH-24")

    assert sent_json(r) == expected


def test_create_issue_link_is_retried_after_a_5xx_since_jira_dedupes_links(
    jira: JiraIssuesClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(router, "POST", f"{API}/issueLink").mock(
        side_effect=[httpx.Response(502, text="<html><title>Bad gateway</title></html>"), httpx.Response(201)]
    )

    jira.create_issue_link(type_name="Relates", inward_key=KEY, outward_key="SEARCH-24")

    assert r.call_count == 2 and len(clock.sleeps) == 1


def test_list_issue_link_types(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{API}/issueLinkType").mock(
        return_value=httpx.Response(
            200,
            json={
                "issueLinkTypes": [
                    {"id": "1000", "inward": "Duplicated by", "name": "Duplicate", "outward": "Duplicates"},
                    {"id": "1010", "inward": "Blocked by", "name": "Blocks", "outward": "Blocks"},
                ]
            },
        )
    )

    assert [(t.name, t.inward, t.outward) for t in jira.list_issue_link_types()] == [
        ("Duplicate", "Duplicated by", "Duplicates"),
        ("Blocks", "Blocked by", "Blocks"),
    ]


def test_list_priorities_reads_every_page_of_the_search(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    url = f"{API}/priority/search"
    names = ["Highest", "High", "Medium", "Low", "Lowest"]
    values = [{"id": str(n + 1), "name": name, "isDefault": name == "Medium"} for n, name in enumerate(names)]
    route(router, "GET", url, params={"startAt": "0", "maxResults": "50"}).mock(
        return_value=httpx.Response(
            200, json={"isLast": False, "maxResults": 3, "startAt": 0, "total": 5, "values": values[:3]}
        )
    )
    route(router, "GET", url, params={"startAt": "3", "maxResults": "50"}).mock(
        return_value=httpx.Response(
            200, json={"isLast": True, "maxResults": 3, "startAt": 3, "total": 5, "values": values[3:]}
        )
    )

    assert [(p.id, p.name) for p in jira.list_priorities()] == [
        (str(n + 1), name) for n, name in enumerate(names)
    ]


def test_list_priorities_of_projects(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    r = route(
        router,
        "GET",
        f"{API}/priority/search",
        params={"startAt": "0", "maxResults": "50", "projectId": ["10010", "10111"]},
    ).mock(return_value=httpx.Response(200, json={"isLast": True, "values": [{"id": "1", "name": "P1"}]}))

    assert [p.name for p in jira.list_priorities(project_ids=["10010", "10111"])] == ["P1"]
    assert sent(r).url.query.count(b"projectId=") == 2


def test_get_project_lists_its_issue_types(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{API}/project/SEARCH").mock(
        return_value=httpx.Response(
            200,
            json={
                "id": "10000",
                "key": "SEARCH",
                "name": "Search",
                "projectTypeKey": "software",
                "issueTypes": [
                    {"id": "3", "name": "Task", "subtask": False, "hierarchyLevel": 0},
                    {"id": "5", "name": "Sub-task", "subtask": True, "hierarchyLevel": -1},
                ],
            },
        )
    )

    project = jira.get_project(key="SEARCH")

    assert (project.id, project.key, project.name) == ("10000", "SEARCH", "Search")
    assert [t.name for t in project.issue_types] == ["Task", "Sub-task"]
    task = project.issue_type("task")
    assert task is not None and task.id == "3"
    assert project.issue_type("5") is not None and project.issue_type("Bug") is None


def test_get_project_unknown_is_not_found(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{API}/project/NOPE").mock(
        return_value=jira_errors(404, "No project could be found with key 'NOPE'.")
    )

    with pytest.raises(NotFoundError, match="No project could be found"):
        jira.get_project(key="NOPE")


# --- errors --------------------------------------------------------------------------------------------


def test_400_names_the_messages_and_the_fields(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    route(router, "PUT", f"{API}/issue/{KEY}").mock(
        return_value=jira_errors(400, "Field 'priority' is required", priority="Specify a valid priority.")
    )

    with pytest.raises(RejectedError) as caught:
        jira.edit_issue(key=KEY, fields={"priority": {"name": "Urgent"}})

    assert caught.value.message == (
        "Jira PUT /rest/api/3/issue/ITSM-30 failed with HTTP 400: "
        "Field 'priority' is required; priority: Specify a valid priority."
    )


def test_a_service_desk_refusal_names_its_error_message(
    jira: JiraIssuesClient, router: respx.MockRouter
) -> None:
    route(router, "POST", f"{SD}/request").mock(
        return_value=desk_error(400, "The request type you are trying to use does not exist.")
    )

    with pytest.raises(
        RejectedError, match="HTTP 400: The request type you are trying to use does not exist"
    ):
        jira.create_request(service_desk_id="1", request_type_id="99", summary="S", description=None)


def test_401_is_an_auth_error(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{SD}/servicedesk", params={"start": "0", "limit": "50"}).mock(
        return_value=desk_error(
            401, "You are not authenticated. Authentication required to perform this operation."
        )
    )

    with pytest.raises(AuthError, match="HTTP 401: You are not authenticated") as caught:
        jira.list_service_desks()

    assert "Jira" in caught.value.hint


def test_429_is_retried_after_retry_after(
    jira: JiraIssuesClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(router, "POST", f"{SD}/request/{KEY}/comment").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "5"}, text="Rate limit exceeded"),
            httpx.Response(201, json={"id": "1", "body": "x", "public": False}),
        ]
    )

    assert jira.add_request_comment(key=KEY, body="x", public=False).id == "1"
    assert r.call_count == 2
    assert len(clock.sleeps) == 1 and 5.0 <= clock.sleeps[0] <= 6.0


def test_429_that_persists_is_rate_limited(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{API}/issue/{KEY}/transitions", params={"expand": "transitions.fields"}).mock(
        return_value=httpx.Response(429, headers={"Retry-After": "1"})
    )

    with pytest.raises(RateLimitedError, match="after 4 attempts"):
        jira.get_transitions(key=KEY)


def test_a_malformed_issue_is_an_error_not_a_crash(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{API}/issue/{KEY}", params={"fields": "summary"}).mock(
        return_value=httpx.Response(200, json={"id": ISSUE_ID, "fields": {"summary": "no key"}})
    )

    with pytest.raises(UnexpectedError, match="unexpected issue"):
        jira.get_issue(key=KEY, fields=("summary",))


def test_a_body_that_is_not_json_is_an_error(jira: JiraIssuesClient, router: respx.MockRouter) -> None:
    route(router, "POST", f"{API}/issue").mock(return_value=httpx.Response(201, text="<html>ok</html>"))

    with pytest.raises(UnexpectedError, match="not JSON"):
        jira.create_issue(project_key="SEARCH", issue_type="Task", summary="S", description=None)


@pytest.mark.parametrize("status_code", [400, 401, 403, 404, 500])
def test_the_token_never_appears_in_an_error(
    router: respx.MockRouter, clock: FakeClock, status_code: int
) -> None:
    forget_secrets()  # the client registers its own token
    client = make_client(router, clock)
    route(router, "PUT", f"{API}/issue/{KEY}").mock(
        return_value=jira_errors(status_code, ECHO, apiToken=TOKEN)
    )

    with pytest.raises(OncallError) as caught:
        client.edit_issue(key=KEY, fields={"summary": "x"})

    assert_no_token(caught.value)


def test_the_token_never_appears_in_a_service_desk_error(router: respx.MockRouter, clock: FakeClock) -> None:
    forget_secrets()
    client = make_client(router, clock)
    route(router, "POST", f"{SD}/request/{KEY}/comment").mock(
        return_value=desk_error(400, f"bad credential {EMAIL}:{TOKEN} / {B64}")
    )

    with pytest.raises(RejectedError) as caught:
        client.add_request_comment(key=KEY, body="x", public=True)

    assert TOKEN not in str(caught.value) and B64 not in str(caught.value)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (desk_error(404, "Request does not exist"), "Request does not exist"),
        (jira_errors(400, "First.", "Second."), "First.; Second."),
        (jira_errors(400, field="is required"), "field: is required"),
        (httpx.Response(404, json={"code": 404, "message": "Not Found"}), "Not Found"),
        (httpx.Response(502, text="<html><title>Bad gateway</title></html>"), "Bad gateway"),
        (httpx.Response(500, text=""), ""),
    ],
)
def test_error_bodies_are_read_defensively(response: httpx.Response, expected: str) -> None:
    assert jira_issues_error_text(response) == expected


# --- Atlassian Document Format -------------------------------------------------------------------------


def test_adf_of_plain_text_makes_paragraphs_and_hard_breaks() -> None:
    assert adf("one\ntwo\n\nthree") == {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "one"},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "two"},
                ],
            },
            {"type": "paragraph", "content": [{"type": "text", "text": "three"}]},
        ],
    }


@pytest.mark.parametrize(
    "text",
    ["one line", "one\ntwo", "a\n\nb\nc\n\nd", "[2026-12-06 14:20 -0500] Rolled back", "tabs\tand ünïcode"],
)
def test_adf_text_reads_back_what_adf_writes(text: str) -> None:
    assert adf_text(adf(text)) == text


def test_adf_never_writes_empty_text_nodes() -> None:
    assert adf("") == {"type": "doc", "version": 1, "content": []}
    assert adf("\n\n\n\nx\n") == {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "x"}]}],
    }


def test_adf_text_renders_what_people_write_in_jira() -> None:
    document = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Impact"}]},
            {
                "type": "paragraph",
                "content": [
                    {"type": "mention", "attrs": {"id": "5b10", "text": "@Mia Krystof"}},
                    {"type": "text", "text": " saw it at "},
                    {"type": "inlineCard", "attrs": {"url": "https://status.example.com"}},
                    {"type": "emoji", "attrs": {"shortName": ":fire:", "text": "🔥"}},
                ],
            },
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "a"}]}],
                    },
                    {
                        "type": "listItem",
                        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "b"}]}],
                    },
                ],
            },
            {"type": "rule"},
        ],
    }

    assert (
        adf_text(document)
        == "Impact\n\n@Mia Krystof saw it at https://status.example.com🔥\n\n- a\n- b\n\n---"
    )


def test_adf_text_passes_plain_strings_through() -> None:
    assert adf_text("already text") == "already text"
    assert adf_text(None) == ""
