"""JsmIncidentsClient against respx routes matching the exact request (no network, no patching, no real
sleep).

Bodies follow Atlassian's JSM Incident REST API reference (developer.atlassian.com/cloud/incidents/rest/):
`IncidentDTO`, `RespondersDTO`, and `{"responders"|"stakeholders": [{"ari"}]}` writes; every method sends
`X-ExperimentalApi: opt-in`.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from oncall_cli.clients.jsm_incidents import JsmIncidentsClient
from oncall_cli.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    OncallError,
    RateLimitedError,
    RejectedError,
    UnexpectedError,
    UsageError,
)
from oncall_cli.redaction import forget_secrets

from .conftest import AUTH, ECHO, TOKEN, FakeClock, assert_no_token, atlassian_args, basic_route
from .conftest import sent as basic_sent

pytestmark = pytest.mark.usefixtures("no_leftover_secrets")

HEADERS = {**AUTH, "X-ExperimentalApi": "opt-in"}
CLOUD = "35273b54-3f06-40d2-880f-dd28cf8daafa"
API = f"https://api.atlassian.com/jsm/incidents/cloudId/{CLOUD}/v1"
ISSUE_ID = "10030"
INCIDENT = f"{API}/incident/{ISSUE_ID}"
JANE = "5b10a2844c20165700ede21g"
BOB = "99:27935d01-92a7-4687-8272-a9b8d3b2ae2e"
TEAM = "ari:cloud:identity::team/77b933c9-92bb-46e7-a73c-764b8d7c3c25"


def make_client(router: respx.MockRouter, clock: FakeClock, *, cloud_id: str = CLOUD) -> JsmIncidentsClient:
    return JsmIncidentsClient(
        **atlassian_args(router, clock), base_url="https://api.atlassian.com/", cloud_id=cloud_id
    )


@pytest.fixture
def jsm(router: respx.MockRouter, clock: FakeClock) -> JsmIncidentsClient:
    return make_client(router, clock)


def route(router: respx.MockRouter, method: str, url: str, *, body: Any = None) -> respx.Route:
    """A route matching method, exact URL (no query), Basic auth, the opt-in header and the exact JSON."""
    return basic_route(router, method, url, body=body, headers=HEADERS)


def sent(r: respx.Route, index: int = -1) -> httpx.Request:
    """`basic_sent`, and the opt-in header and no query."""
    request = basic_sent(r, index)
    assert request.headers["X-ExperimentalApi"] == "opt-in"
    assert request.url.query == b""
    return request


def sent_json(r: respx.Route, index: int = -1) -> Any:
    request = sent(r, index)
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.content)


def incident_dto() -> dict[str, Any]:
    """The `IncidentDTO` example of the reference."""
    return {
        "summary": "Mia create this incident",
        "reporter": {"accountId": BOB, "accountType": "ATLASSIAN_ACCOUNT", "displayName": "Mia Krystof"},
        "priority": {"name": "Medium", "id": "3"},
        "status": {"id": "1", "name": "Open", "statusCategory": {"id": 2, "key": "new", "name": "To Do"}},
        "participants": {"fieldId": "customfield_10000", "value": []},
        "majorIncident": {"fieldId": "customfield_10001", "value": None},
        "responders": {
            "fieldId": "customfield_10002",
            "value": [{"ari": f"ari:cloud:identity::user/{BOB}", "name": "Mia Krystof", "type": "user"}],
        },
        "affectedServices": {"fieldId": "customfield_10003", "value": []},
    }


# --- reading -------------------------------------------------------------------------------------------


def test_get_incident_reads_the_incident_dto(jsm: JsmIncidentsClient, router: respx.MockRouter) -> None:
    r = route(router, "GET", INCIDENT).mock(return_value=httpx.Response(200, json=incident_dto()))

    incident = jsm.get_incident(issue_id=ISSUE_ID)

    sent(r)
    assert incident.summary == "Mia create this incident"
    assert incident.priority is not None and incident.priority.name == "Medium"
    assert incident.status is not None and incident.status.status_category is not None
    assert incident.status.status_category.key == "new"
    assert incident.reporter is not None and incident.reporter.account_id == BOB
    assert [(p.account_id, p.name, p.type) for p in incident.responder_list] == [(BOB, "Mia Krystof", "user")]
    assert incident.responders is not None and incident.responders.field_id == "customfield_10002"
    assert incident.major_incident is not None and incident.major_incident.value is None


def test_list_responders_gives_users_and_teams(jsm: JsmIncidentsClient, router: respx.MockRouter) -> None:
    r = route(router, "GET", f"{INCIDENT}/responder").mock(
        return_value=httpx.Response(
            200, json={"responders": [{"ari": f"ari:cloud:identity::user/{JANE}"}, {"ari": TEAM}]}
        )
    )

    responders = jsm.list_responders(issue_id=ISSUE_ID)

    sent(r)
    assert [(p.account_id, p.team_id) for p in responders] == [
        (JANE, None),
        (None, "77b933c9-92bb-46e7-a73c-764b8d7c3c25"),
    ]


def test_a_malformed_answer_is_an_error_not_a_crash(
    jsm: JsmIncidentsClient, router: respx.MockRouter
) -> None:
    route(router, "GET", f"{INCIDENT}/responder").mock(
        return_value=httpx.Response(200, json={"responders": [{"name": "no ari"}]})
    )

    with pytest.raises(UnexpectedError, match="unexpected responders"):
        jsm.list_responders(issue_id=ISSUE_ID)


# --- writing -------------------------------------------------------------------------------------------


def test_add_responders_sends_user_aris(jsm: JsmIncidentsClient, router: respx.MockRouter) -> None:
    expected = {
        "responders": [
            {"ari": f"ari:cloud:identity::user/{JANE}"},
            {"ari": f"ari:cloud:identity::user/{BOB}"},
        ]
    }
    r = route(router, "POST", f"{INCIDENT}/responder/add", body=expected).mock(
        return_value=httpx.Response(200)
    )

    jsm.add_responders(issue_id=ISSUE_ID, account_ids=[JANE, BOB, JANE, " "])

    assert r.call_count == 1
    assert sent_json(r) == expected


def test_add_stakeholders_sends_user_aris(jsm: JsmIncidentsClient, router: respx.MockRouter) -> None:
    expected = {"stakeholders": [{"ari": f"ari:cloud:identity::user/{JANE}"}]}
    r = route(router, "POST", f"{INCIDENT}/stakeholder/add", body=expected).mock(
        return_value=httpx.Response(202)
    )

    jsm.add_stakeholders(issue_id=ISSUE_ID, account_ids=[JANE])

    assert sent_json(r) == expected


def test_adding_no_one_sends_nothing(jsm: JsmIncidentsClient) -> None:
    jsm.add_responders(issue_id=ISSUE_ID, account_ids=[])
    jsm.add_stakeholders(issue_id=ISSUE_ID, account_ids=[""])


@pytest.mark.parametrize("issue_id", ["ITSM-30", "", "10030/../1"])
def test_an_issue_key_is_refused_the_api_wants_the_numeric_id(jsm: JsmIncidentsClient, issue_id: str) -> None:
    with pytest.raises(UsageError, match="numeric Jira issue id"):
        jsm.add_responders(issue_id=issue_id, account_ids=[JANE])


def test_without_a_cloud_id_nothing_is_sent(router: respx.MockRouter, clock: FakeClock) -> None:
    client = make_client(router, clock, cloud_id="")

    with pytest.raises(ConfigError, match="cloud id") as caught:
        client.get_incident(issue_id=ISSUE_ID)

    assert "tenant_info" in caught.value.hint


# --- errors --------------------------------------------------------------------------------------------


def test_404_is_not_found(jsm: JsmIncidentsClient, router: respx.MockRouter) -> None:
    route(router, "GET", INCIDENT).mock(
        return_value=httpx.Response(404, json={"errorMessages": ["Issue does not exist"], "errors": {}})
    )

    with pytest.raises(NotFoundError, match="HTTP 404: Issue does not exist"):
        jsm.get_incident(issue_id=ISSUE_ID)


def test_400_names_the_messages_and_the_fields(jsm: JsmIncidentsClient, router: respx.MockRouter) -> None:
    route(router, "POST", f"{INCIDENT}/stakeholder/add").mock(
        return_value=httpx.Response(
            400,
            json={"errorMessages": ["Invalid request."], "errors": {"stakeholders": "Unknown user ari."}},
        )
    )

    with pytest.raises(RejectedError) as caught:
        jsm.add_stakeholders(issue_id=ISSUE_ID, account_ids=["ghost"])

    assert caught.value.message == (
        f"JSM POST {CLOUD}/v1/incident/{ISSUE_ID}/stakeholder/add failed with HTTP 400: "
        "Invalid request.; stakeholders: Unknown user ari."
    )


def test_401_is_an_auth_error(jsm: JsmIncidentsClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{INCIDENT}/responder").mock(
        return_value=httpx.Response(401, json={"code": 401, "message": "Unauthorized"})
    )

    with pytest.raises(AuthError, match="HTTP 401: Unauthorized") as caught:
        jsm.list_responders(issue_id=ISSUE_ID)

    assert "JSM" in caught.value.hint


def test_429_on_add_is_retried_after_retry_after(
    jsm: JsmIncidentsClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(router, "POST", f"{INCIDENT}/responder/add").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)]
    )

    jsm.add_responders(issue_id=ISSUE_ID, account_ids=[JANE])

    assert r.call_count == 2
    assert len(clock.sleeps) == 1 and 7.0 <= clock.sleeps[0] <= 8.0
    assert sent_json(r, 0) == sent_json(r, 1)


def test_429_that_persists_is_rate_limited(jsm: JsmIncidentsClient, router: respx.MockRouter) -> None:
    route(router, "GET", INCIDENT).mock(return_value=httpx.Response(429, headers={"Retry-After": "1"}))

    with pytest.raises(RateLimitedError, match="after 4 attempts"):
        jsm.get_incident(issue_id=ISSUE_ID)


@pytest.mark.parametrize("status_code", [400, 401, 403, 404, 500])
def test_the_token_never_appears_in_an_error(
    router: respx.MockRouter, clock: FakeClock, status_code: int
) -> None:
    forget_secrets()  # the client registers its own token
    client = make_client(router, clock)
    route(router, "POST", f"{INCIDENT}/responder/add").mock(
        return_value=httpx.Response(status_code, json={"errorMessages": [ECHO], "errors": {"token": TOKEN}})
    )

    with pytest.raises(OncallError) as caught:
        client.add_responders(issue_id=ISSUE_ID, account_ids=[JANE])

    assert_no_token(caught.value)


def test_jsm_style_errors_are_read_too(jsm: JsmIncidentsClient, router: respx.MockRouter) -> None:
    route(router, "GET", f"{INCIDENT}/responder").mock(
        return_value=httpx.Response(
            404, json={"errors": [{"title": "Incident not found", "code": "INCIDENT_NOT_FOUND"}]}
        )
    )

    with pytest.raises(NotFoundError, match=r"HTTP 404: Incident not found \(INCIDENT_NOT_FOUND\)"):
        jsm.list_responders(issue_id=ISSUE_ID)
