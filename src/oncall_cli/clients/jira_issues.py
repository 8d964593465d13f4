"""Typed client of Jira work items on one Jira Cloud site (`https://<site>.atlassian.net`): service desks and
their requests, issues, transitions, comments, issue properties, issue links, priorities and projects, one
method per vendor operation over the shared HTTP seam. In Jira Service Management an incident is such a work
item: its number is the issue key (`ITSM-30`).

Sources:
- Jira platform REST v3, `specs/jira/jira-platform.v3.json` (operation ids in each docstring), reference
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/;
- Jira Service Management REST, `specs/jira/jsm-servicedesk.v3.json`, reference
  https://developer.atlassian.com/cloud/jira/service-desk/rest/; and `specs/jira/SOURCE.md`.

Where the spec decided:
- search is `GET /rest/api/3/search/jql` (`searchAndReconsileIssuesUsingJql`), paged by `nextPageToken`:
  the spec marks `/rest/api/3/search` deprecated (removed upstream on 2025-05-01);
- priorities come from `GET /rest/api/3/priority/search` (`searchPriorities`, paged `startAt`/`maxResults`
  to `isLast`), the replacement of `GET /rest/api/3/priority` (CHANGE-762). The spec marks both deprecated
  and names no other way to list the site's priorities;
- issue properties can be set at create (`IssueUpdateDetails.properties`: `[{"key", "value"}]`);
- `description`, multi-line fields and platform comment bodies are ADF (`adf` builds it from plain text);
  service desk comment bodies and `requestFieldValues` are plain text.

Auth is HTTP Basic `email:api_token`. Errors are the platform's `{"errorMessages": [...], "errors": {field:
message}}` or the service desk's `{"errorMessage", "i18nErrorMessage"}`; `jira_issues_error_text` reads both.
Lists: the service desk pages with `start`/`limit` to `isLastPage`, the platform with `startAt`/`maxResults`
(to `isLast`, or to `total` for comments), and search with `nextPageToken`.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from oncall_cli.clients._atlassian import atlassian_service, json_of, parse, parse_list
from oncall_cli.clients._http import Runtime
from oncall_cli.clients.jira import jira_error_text
from oncall_cli.clients.jira_issues_models import (
    CommentPage,
    CreatedIssue,
    CreatedRequest,
    Issue,
    IssueComment,
    IssueLinkType,
    IssueLinkTypes,
    Priority,
    PriorityPage,
    Project,
    RequestComment,
    RequestType,
    SearchPage,
    ServiceDesk,
    ServiceDeskPage,
    Transition,
    Transitions,
    adf,
    adf_text,
)
from oncall_cli.errors import UnexpectedError, UsageError

M = TypeVar("M", bound=BaseModel)

DOCS = "https://developer.atlassian.com/cloud/jira/platform/rest/v3/"
SERVICE_DESK_DOCS = "https://developer.atlassian.com/cloud/jira/service-desk/rest/"
ISSUE_FIELDS: tuple[str, ...] = (
    "summary",
    "description",
    "status",
    "priority",
    "created",
    "updated",
    "issuelinks",
    "resolutiondate",
    "labels",
    "issuetype",
)
"""The fields `get_issue` asks for unless told otherwise."""
SERVICE_DESK_PAGE = 50
"""`limit` of service desk lists (the documented default page size)."""
PLATFORM_PAGE = 100
"""`maxResults` of comment lists (the documented default)."""
PRIORITY_PAGE = 50
MAX_SEARCH_PAGE = 5000
MAX_SEARCH_PROPERTIES = 5
"""`GET /search/jql` returns at most 5 issue properties."""
MAX_PROPERTY_KEY = 255
MAX_PROPERTY_BYTES = 32768
SERVICE = "Jira"
_MAX_ERROR_TEXT = 300


def jira_issues_error_text(response: httpx.Response) -> str:
    """The service desk's `{"errorMessage"}`, else the platform's `{"errorMessages", "errors"}` (and the
    gateway's `{"code", "message"}`, HTML or text) as one line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = body.get("errorMessage")
        if isinstance(message, str) and message.strip():
            return message.strip()[:_MAX_ERROR_TEXT]
    return jira_error_text(response)


def _segment(value: str, what: str) -> str:
    """One path segment; keys and ids are escaped whole."""
    if not value or not value.strip():
        raise UsageError(f"A Jira {what} cannot be empty.")
    return quote(value.strip(), safe="")


def _property_key(key: str) -> str:
    if not key or len(key) > MAX_PROPERTY_KEY:
        raise UsageError(f"A Jira property key needs 1 to {MAX_PROPERTY_KEY} characters: {key!r}")
    return _segment(key, "property key")


def _property_value(key: str, value: Any) -> Any:
    """A property value Jira accepts: non-null JSON of at most 32768 bytes."""
    if value is None:
        raise UsageError(f"Issue property {key!r} needs a value (JSON null is not accepted).")
    size = len(jsonlib.dumps(value, separators=(",", ":")).encode())
    if size > MAX_PROPERTY_BYTES:
        raise UsageError(f"The value of issue property {key!r} is {size} bytes; Jira stores at most 32768.")
    return value


def _merge(base: dict[str, Any], extra: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    """`base` plus the caller's extra fields, refusing to let them silently replace an argument."""
    if not extra:
        return base
    clash = sorted(set(base) & set(extra))
    if clash:
        raise UsageError(f"{what}: pass {', '.join(clash)} as arguments, not in `fields`.")
    return {**base, **extra}


def _csv(values: Sequence[str]) -> str:
    return ",".join(v.strip() for v in values if v and v.strip())


def _bool(value: bool) -> str:
    return "true" if value else "false"


class JiraIssuesClient:
    """Jira work items of one Jira Cloud site, over an injected `httpx.Client`. `base_url` is
    `https://<site>.atlassian.net`."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        email: str,
        api_token: str,
        base_url: str,
        runtime: Runtime | None = None,
    ) -> None:
        self.http = atlassian_service(
            http,
            name=SERVICE,
            email=email,
            api_token=api_token,
            base_url=base_url,
            runtime=runtime,
            error_text=jira_issues_error_text,
        )

    # --- plumbing ------------------------------------------------------------------------------------

    def _service_desk_pages(
        self, model: type[M], path: str, what: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[M]:
        """Every page of a service desk list: `start` advances by the items read until `isLastPage`."""
        start = 0
        while True:
            query = {**(params or {}), "start": start, "limit": SERVICE_DESK_PAGE}
            response = self.http.request("GET", path, params=query)
            page = parse(ServiceDeskPage, json_of(response, SERVICE), f"page of {what}", SERVICE)
            items = parse_list(model, page.values, what, SERVICE)
            yield from items
            if page.is_last_page or not items:
                return
            start += len(items)

    @staticmethod
    def _issue_path(key: str, *segments: str) -> str:
        return "/".join(["/rest/api/3/issue", _segment(key, "issue key"), *segments])

    # --- service desk --------------------------------------------------------------------------------

    def list_service_desks(self) -> list[ServiceDesk]:
        """GET /rest/servicedeskapi/servicedesk — every service desk the credential can see, page by page
        (`getServiceDesks`)."""
        path = "/rest/servicedeskapi/servicedesk"
        return list(self._service_desk_pages(ServiceDesk, path, "service desks"))

    def list_request_types(
        self, *, service_desk_id: str, search_query: str | None = None
    ) -> list[RequestType]:
        """GET /rest/servicedeskapi/servicedesk/{serviceDeskId}/requesttype — the desk's request types, page
        by page (`getRequestTypes`).

        `search_query` matches names and descriptions; Jira then leaves out request types hidden from the
        portal. `service_desk_id` may also be the project key.
        """
        path = f"/rest/servicedeskapi/servicedesk/{_segment(service_desk_id, 'service desk id')}/requesttype"
        params = {"searchQuery": search_query} if search_query else None
        return list(self._service_desk_pages(RequestType, path, "request types", params))

    def create_request(
        self,
        *,
        service_desk_id: str,
        request_type_id: str,
        summary: str,
        description: str | None,
        fields: Mapping[str, Any] | None = None,
    ) -> CreatedRequest:
        """POST /rest/servicedeskapi/request `{serviceDeskId, requestTypeId, requestFieldValues}` — raise a
        request; its issue is created at once (`createCustomerRequest`, 201).

        `requestFieldValues` holds `summary`, `description` (plain text, not ADF) and `fields` (Jira field
        ids to values, in the platform's input formats). Only fields on the request type's form are
        accepted: set others afterwards with `edit_issue`.
        """
        if not service_desk_id or not request_type_id:
            raise UsageError("create_request needs a service desk id and a request type id.")
        if not summary.strip():
            raise UsageError("A request needs a summary.")
        values: dict[str, Any] = {"summary": summary}
        if description is not None:
            values["description"] = description
        body = {
            "serviceDeskId": service_desk_id,
            "requestTypeId": request_type_id,
            "requestFieldValues": _merge(values, fields, "create_request"),
        }
        response = self.http.request("POST", "/rest/servicedeskapi/request", json=body)
        return parse(CreatedRequest, json_of(response, SERVICE), "created request", SERVICE)

    def add_request_comment(self, *, key: str, body: str, public: bool) -> RequestComment:
        """POST /rest/servicedeskapi/request/{issueIdOrKey}/comment `{body, public}` — a comment in plain
        text; `public=False` is an internal note agents see and customers do not (`createRequestComment`,
        201)."""
        if not body.strip():
            raise UsageError("A comment needs a body.")
        path = f"/rest/servicedeskapi/request/{_segment(key, 'issue key')}/comment"
        response = self.http.request("POST", path, json={"body": body, "public": public})
        return parse(RequestComment, json_of(response, SERVICE), "created comment", SERVICE)

    def list_request_comments(
        self, *, key: str, public: bool | None = None, internal: bool | None = None
    ) -> list[RequestComment]:
        """GET /rest/servicedeskapi/request/{issueIdOrKey}/comment — the request's comments, oldest first,
        page by page (`getRequestComments`).

        `public`/`internal` filter (Jira's default: both). Jira answers an empty list, not an error, when the
        credential cannot see the request.
        """
        path = f"/rest/servicedeskapi/request/{_segment(key, 'issue key')}/comment"
        params: dict[str, Any] = {}
        if public is not None:
            params["public"] = _bool(public)
        if internal is not None:
            params["internal"] = _bool(internal)
        return list(self._service_desk_pages(RequestComment, path, "comments", params))

    # --- issues --------------------------------------------------------------------------------------

    def create_issue(
        self,
        *,
        project_key: str,
        issue_type: str,
        summary: str,
        description: str | None,
        fields: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> CreatedIssue:
        """POST /rest/api/3/issue `{fields, properties}` — create an issue (`createIssue`, 201 `{id, key}`).

        `issue_type` is a name (`Task`) or, when all digits, an id. `description` is plain text sent as ADF.
        `fields` adds other fields in the platform's input formats; `properties` sets issue properties in the
        same request (`[{"key", "value"}]`), so no reader ever sees the issue without them.
        """
        if not project_key or not issue_type:
            raise UsageError("create_issue needs a project key and an issue type.")
        if not summary.strip():
            raise UsageError("An issue needs a summary.")
        issuetype = {"id": issue_type} if issue_type.isdigit() else {"name": issue_type}
        base: dict[str, Any] = {
            "project": {"key": project_key},
            "issuetype": issuetype,
            "summary": summary,
        }
        if description is not None:
            base["description"] = adf(description)
        body: dict[str, Any] = {"fields": _merge(base, fields, "create_issue")}
        if properties:
            for key in properties:
                _property_key(key)
            body["properties"] = [
                {"key": key, "value": _property_value(key, value)} for key, value in properties.items()
            ]
        response = self.http.request("POST", "/rest/api/3/issue", json=body)
        return parse(CreatedIssue, json_of(response, SERVICE), "created issue", SERVICE)

    def get_issue(
        self, *, key: str, fields: Sequence[str] = ISSUE_FIELDS, properties: Sequence[str] = ()
    ) -> Issue:
        """GET /rest/api/3/issue/{issueIdOrKey}?fields=&properties= — one issue with the named fields and
        issue properties (`getIssue`); an unknown key (or one the credential cannot see) is a NotFoundError.

        Jira finds moved issues and keys in any case, answering with the current key.
        """
        params: dict[str, Any] = {"fields": _csv(fields) or "*all"}
        if properties:
            params["properties"] = _csv(properties)
        response = self.http.request("GET", self._issue_path(key), params=params)
        return parse(Issue, json_of(response, SERVICE), "issue", SERVICE)

    def search(
        self, *, jql: str, fields: Sequence[str], properties: Sequence[str] = (), max_results: int = 100
    ) -> Iterator[Issue]:
        """GET /rest/api/3/search/jql?jql=&fields=&properties=&maxResults=&nextPageToken= — every issue the
        JQL matches, page by page until no `nextPageToken` (`searchAndReconsileIssuesUsingJql`).

        `max_results` is the page size (Jira may return fewer when many fields are asked for). The JQL must be
        bounded (`project = X ...`); at most 5 properties. Recent writes may take a moment to be searchable.
        """
        if not jql.strip():
            raise UsageError("search needs a JQL query.")
        if not 1 <= max_results <= MAX_SEARCH_PAGE:
            raise UsageError(f"max_results must be between 1 and {MAX_SEARCH_PAGE}, not {max_results}.")
        if len(properties) > MAX_SEARCH_PROPERTIES:
            raise UsageError(f"A Jira search returns at most {MAX_SEARCH_PROPERTIES} issue properties.")
        params: dict[str, Any] = {"jql": jql, "fields": _csv(fields) or "id", "maxResults": max_results}
        if properties:
            params["properties"] = _csv(properties)
        seen: set[str] = set()
        while True:
            response = self.http.request("GET", "/rest/api/3/search/jql", params=params)
            page = parse(SearchPage, json_of(response, SERVICE), "search result", SERVICE)
            yield from page.issues
            token = page.next_page_token
            if not token or page.is_last or token in seen:
                return
            seen.add(token)
            params = {**params, "nextPageToken": token}

    def edit_issue(self, *, key: str, fields: Mapping[str, Any]) -> None:
        """PUT /rest/api/3/issue/{issueIdOrKey} `{fields}` — set fields, e.g. `{"priority": {"name": "High"}}`
        (`editIssue`, 204). Only fields on the edit screen are accepted; status moves by `transition`."""
        if not fields:
            raise UsageError("edit_issue needs at least one field to set.")
        self.http.request("PUT", self._issue_path(key), json={"fields": dict(fields)})

    def get_transitions(self, *, key: str) -> list[Transition]:
        """GET /rest/api/3/issue/{issueIdOrKey}/transitions?expand=transitions.fields — the moves the workflow
        offers from the issue's current status, with their target status and screen fields
        (`getTransitions`). Ids are workflow-specific: discover them, never hard-code."""
        path = self._issue_path(key, "transitions")
        response = self.http.request("GET", path, params={"expand": "transitions.fields"})
        return parse(Transitions, json_of(response, SERVICE), "transitions", SERVICE).transitions

    def transition(
        self,
        *,
        key: str,
        transition_id: str,
        fields: Mapping[str, Any] | None = None,
        comment: str | None = None,
    ) -> None:
        """POST /rest/api/3/issue/{issueIdOrKey}/transitions `{transition: {id}, fields, update}` — move the
        issue (`doTransition`, 204).

        `fields` sets transition-screen fields, e.g. `{"resolution": {"name": "Won't Do"}}` (only when the
        transition's `has_resolution`); `comment` is added with the move
        (`update.comment[{add: {body: ADF}}]`).
        """
        if not transition_id:
            raise UsageError("transition needs a transition id (see get_transitions).")
        body: dict[str, Any] = {"transition": {"id": transition_id}}
        if fields:
            body["fields"] = dict(fields)
        if comment is not None and comment.strip():
            body["update"] = {"comment": [{"add": {"body": adf(comment)}}]}
        self.http.request("POST", self._issue_path(key, "transitions"), json=body)

    # --- platform comments (issues outside a service desk) -------------------------------------------

    def add_comment(self, *, key: str, body: str) -> IssueComment:
        """POST /rest/api/3/issue/{issueIdOrKey}/comment `{body: ADF}` — a comment from plain text
        (`addComment`, 201). For a service desk request use `add_request_comment` (public or internal)."""
        if not body.strip():
            raise UsageError("A comment needs a body.")
        response = self.http.request("POST", self._issue_path(key, "comment"), json={"body": adf(body)})
        return parse(IssueComment, json_of(response, SERVICE), "created comment", SERVICE)

    def list_comments(self, *, key: str) -> list[IssueComment]:
        """GET /rest/api/3/issue/{issueIdOrKey}/comment?orderBy=created — every comment, oldest first, page by
        page (`startAt`/`maxResults` until `total`; `getComments`)."""
        path = self._issue_path(key, "comment")
        comments: list[IssueComment] = []
        start = 0
        while True:
            params = {"startAt": start, "maxResults": PLATFORM_PAGE, "orderBy": "created"}
            response = self.http.request("GET", path, params=params)
            page = parse(CommentPage, json_of(response, SERVICE), "page of comments", SERVICE)
            comments.extend(page.comments)
            start += len(page.comments)
            if not page.comments or (page.total is not None and start >= page.total):
                return comments
            if page.total is None and len(page.comments) < (page.max_results or PLATFORM_PAGE):
                return comments

    # --- issue properties ----------------------------------------------------------------------------

    def get_issue_property(self, *, key: str, property_key: str) -> Any | None:
        """GET /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey} — the property's `value`, or None
        when Jira answers 404 (`getIssueProperty`).

        A 404 means the property is not set, or the issue does not exist (or cannot be seen): both read as
        "no value".
        """
        path = self._issue_path(key, "properties", _property_key(property_key))
        response = self.http.request("GET", path, allow_status=(404,))
        if response.status_code == 404:
            return None
        body = json_of(response, SERVICE)
        if not isinstance(body, dict):
            raise UnexpectedError(
                f"Jira {path} answered an unexpected JSON shape", details={"service": "Jira"}
            )
        return body.get("value")

    def set_issue_property(self, *, key: str, property_key: str, value: Any) -> None:
        """PUT /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey} — store `value` (non-null JSON, at
        most 32768 bytes) as the body itself (`setIssueProperty`; 200 updated, 201 created)."""
        path = self._issue_path(key, "properties", _property_key(property_key))
        self.http.request("PUT", path, json=_property_value(property_key, value))

    # --- issue links ---------------------------------------------------------------------------------

    def create_issue_link(self, *, type_name: str, inward_key: str, outward_key: str) -> None:
        """POST /rest/api/3/issueLink `{type: {name}, inwardIssue: {key}, outwardIssue: {key}}` — link two
        issues (`linkIssues`, 201 with no body).

        Read it as "outward_key <outward label> inward_key": for `Blocks`, the outward issue blocks the
        inward one. Jira answers success for a link that already exists, so a retry is safe.
        """
        if not type_name or not inward_key or not outward_key:
            raise UsageError("create_issue_link needs a link type name and both issue keys.")
        body = {
            "type": {"name": type_name},
            "inwardIssue": {"key": inward_key},
            "outwardIssue": {"key": outward_key},
        }
        self.http.request("POST", "/rest/api/3/issueLink", json=body, idempotent=True)

    def list_issue_link_types(self) -> list[IssueLinkType]:
        """GET /rest/api/3/issueLinkType — the site's link types (`getIssueLinkTypes`); 404 when issue linking
        is disabled."""
        response = self.http.request("GET", "/rest/api/3/issueLinkType")
        return parse(IssueLinkTypes, json_of(response, SERVICE), "issue link types", SERVICE).issue_link_types

    # --- site configuration --------------------------------------------------------------------------

    def list_priorities(self, *, project_ids: Sequence[str] = ()) -> list[Priority]:
        """GET /rest/api/3/priority/search — the site's priorities, or those available in `project_ids` (their
        priority schemes), page by page until `isLast` (`searchPriorities`)."""
        priorities: list[Priority] = []
        start = 0
        while True:
            params: dict[str, Any] = {"startAt": start, "maxResults": PRIORITY_PAGE}
            if project_ids:
                params["projectId"] = list(project_ids)
            response = self.http.request("GET", "/rest/api/3/priority/search", params=params)
            page = parse(PriorityPage, json_of(response, SERVICE), "page of priorities", SERVICE)
            priorities.extend(page.values)
            start += len(page.values)
            if page.is_last or not page.values:
                return priorities
            if page.is_last is None and (page.total is None or start >= page.total):
                return priorities

    def get_project(self, *, key: str) -> Project:
        """GET /rest/api/3/project/{projectIdOrKey} — a project with its issue types (`getProject`); unknown
        or invisible is a NotFoundError. The key is case-sensitive."""
        path = f"/rest/api/3/project/{_segment(key, 'project key')}"
        return parse(Project, json_of(self.http.request("GET", path), SERVICE), "project", SERVICE)


__all__ = [
    "ISSUE_FIELDS",
    "JiraIssuesClient",
    "adf",
    "adf_text",
    "jira_issues_error_text",
]
