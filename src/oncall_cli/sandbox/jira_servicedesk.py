"""The service desk API of the sandbox's Jira site (prefix `jira`, `/rest/servicedeskapi/...`), as
`jsm-servicedesk.v3.json` describes it, over the issue store of jira_issues.py.

- `GET /servicedesk` and `GET /servicedesk/{serviceDeskId}/requesttype` (`serviceDeskId` may also be the
  project's id or key; `searchQuery` matches the start of a word of the name or description, ignoring case)
  page with `start` / `limit` (default 50): `{size, start, limit, isLastPage, values, _links}`.
- `POST /request {serviceDeskId, requestTypeId, requestFieldValues}` raises a request: an issue of the request
  type's issue type in the desk's project, answered 201 with CustomerRequestDTO (`issueId`, `issueKey`, ...).
  `requestFieldValues` takes `summary` (required), `description` (plain text; ADF when `isAdfRequest`),
  `priority` (`{"name"}` or `{"id"}`) and `labels`; any other field is a 400, as a field not on the request
  type's form is. `raiseOnBehalfOf` (an account id or email) sets the reporter.
- `GET|POST /request/{issueIdOrKey}/comment`: comments in plain text, `public` true (customers see it) or
  false (internal); `public` is required on create. The list filters with `public` / `internal` (both
  default true). The same comments are the platform API's (ADF there, `jsdPublic`).
- Errors are the service desk API's `{"errorMessage", "i18nErrorMessage"}` (the i18n keys are the sandbox's).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from oncall_cli.sandbox.base import from_json_col, json_response
from oncall_cli.sandbox.jira_http import (
    JiraError,
    JiraRequest,
    Route,
    avatar_urls,
    parse_jira_time,
    user_row,
)
from oncall_cli.sandbox.jira_issues import (
    add_comment,
    adf_from_text,
    adf_to_text,
    create_issue,
    find_issue,
    is_adf,
    status,
)

DEFAULT_LIMIT = 50
_SD = "/rest/servicedeskapi"
_REQUEST_FIELDS = ("summary", "description", "priority", "labels")
"""The fields every sandbox request type's form has."""
_CATEGORY = {"new": "NEW", "indeterminate": "INDETERMINATE", "done": "DONE"}


def date_json(dt: datetime) -> dict[str, Any]:
    """The service desk API's DateDTO."""
    utc = dt.astimezone(UTC)
    return {
        "epochMillis": int(utc.timestamp() * 1000),
        "friendly": utc.strftime("%d/%b/%y %I:%M %p"),
        "iso8601": utc.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "jira": utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000",
    }


def _user_dto(req: JiraRequest, account_id: str) -> dict[str, Any]:
    row = user_row(req.db, account_id)
    if row is None:
        return {"accountId": account_id}
    data = from_json_col(row["data"])
    rest = f"{req.site}/rest/api/3/user?accountId={quote(account_id)}"
    return {
        "accountId": account_id,
        "emailAddress": row["email"],
        "displayName": data["displayName"],
        "active": bool(data.get("active", True)),
        "timeZone": data["timeZone"],
        "_links": {"jiraRest": rest, "avatarUrls": avatar_urls(str(data["displayName"])), "self": rest},
    }


def _page(req: JiraRequest, items: Sequence[dict[str, Any]], path: str,
          extra: dict[str, str] | None = None) -> dict[str, Any]:
    start = max(0, req.int_param("start", 0))
    limit = req.int_param("limit", DEFAULT_LIMIT)
    if limit < 1:
        raise JiraError(400, "The limit must be a positive number.")
    values = list(items[start:start + limit])
    base = f"{req.site}{_SD}"
    links: dict[str, str] = {"base": base, "context": "", "self": f"{req.site}{path}"}
    query = dict(extra or {})
    if start + limit < len(items):
        links["next"] = f"{req.site}{path}?{urlencode({**query, 'start': start + limit, 'limit': limit})}"
    if start > 0:
        back = {**query, "start": max(0, start - limit), "limit": limit}
        links["prev"] = f"{req.site}{path}?{urlencode(back)}"
    return {"_expands": [], "size": len(values), "start": start, "limit": limit,
            "isLastPage": start + limit >= len(items), "_links": links, "values": values}


def _desk(db: sqlite3.Connection, ref: str) -> sqlite3.Row | None:
    """A service desk by its id, or by its project's id or key."""
    row: sqlite3.Row | None = db.execute(
        "SELECT d.id, d.project_id, p.key, p.name, p.data FROM jira_service_desks d JOIN jira_projects p "
        "ON p.id = d.project_id WHERE d.id = ? OR p.id = ? OR p.key = ?", (ref, ref, ref)).fetchone()
    return row


def _desk_json(req: JiraRequest, row: sqlite3.Row) -> dict[str, Any]:
    return {"id": row["id"], "projectId": row["project_id"], "projectName": row["name"],
            "projectKey": row["key"], "projectTypeKey": from_json_col(row["data"])["projectTypeKey"],
            "_links": {"self": f"{req.site}{_SD}/servicedesk/{row['id']}"}}


def _request_type_json(req: JiraRequest, row: sqlite3.Row) -> dict[str, Any]:
    data = from_json_col(row["data"])
    icons = {size: f"{req.site}/rest/api/2/universal_avatar/view/type/SD_REQTYPE/avatar/{10500 + row['seq']}"
                   f"?size={name}"
             for size, name in (("48x48", "large"), ("24x24", "small"), ("16x16", "xsmall"),
                                ("32x32", "medium"))}
    return {
        "_expands": ["field"],
        "id": row["id"],
        "_links": {"self": f"{req.site}{_SD}/servicedesk/{row['service_desk_id']}/requesttype/{row['id']}"},
        "name": row["name"],
        "description": data["description"],
        "helpText": data["helpText"],
        "issueTypeId": row["issue_type_id"],
        "serviceDeskId": row["service_desk_id"],
        "portalId": data["portalId"],
        "groupIds": list(data["groupIds"]),
        "practice": data["practice"],
        "icon": {"id": str(10500 + row["seq"]), "_links": {"iconUrls": icons}},
    }


def _h_service_desks(req: JiraRequest) -> httpx.Response:
    rows = req.db.execute(
        "SELECT d.id, d.project_id, p.key, p.name, p.data FROM jira_service_desks d JOIN jira_projects p "
        "ON p.id = d.project_id ORDER BY CAST(d.id AS INTEGER)")
    items = [_desk_json(req, r) for r in rows]
    return json_response(200, _page(req, items, f"{_SD}/servicedesk"))


def _words_start_with(query: str, *texts: str) -> bool:
    query = query.strip().lower()
    return any(word.startswith(query) or text.lower().startswith(query)
               for text in texts for word in re.findall(r"\w+", text.lower()))


def _h_request_types(req: JiraRequest) -> httpx.Response:
    ref = req.match["serviceDeskId"]
    desk = _desk(req.db, ref)
    if desk is None:
        raise JiraError(404, f"The service desk with id '{ref}' does not exist.")
    rows = list(req.db.execute("SELECT * FROM jira_request_types WHERE service_desk_id = ? ORDER BY seq",
                               (desk["id"],)))
    query = req.param("searchQuery")
    extra: dict[str, str] = {}
    if query:
        rows = [r for r in rows if _words_start_with(query, str(r["name"]),
                                                     str(from_json_col(r["data"])["description"]))]
        extra["searchQuery"] = query
    items = [_request_type_json(req, r) for r in rows]
    return json_response(200, _page(req, items, f"{_SD}/servicedesk/{desk['id']}/requesttype", extra))


def _reporter(req: JiraRequest, on_behalf: Any) -> str:
    if on_behalf in (None, ""):
        return str(req.caller()["account_id"])
    row = req.db.execute("SELECT account_id FROM jira_users WHERE account_id = ? OR email = ? COLLATE NOCASE",
                         (str(on_behalf), str(on_behalf))).fetchone()
    if row is None:
        raise JiraError(400, f"The user '{on_behalf}' does not exist or cannot raise requests here.")
    return str(row["account_id"])


def _h_create_request(req: JiraRequest) -> httpx.Response:
    body: dict[str, Any] = req.body if isinstance(req.body, dict) else {}
    desk_ref = str(body.get("serviceDeskId") or "")
    type_ref = str(body.get("requestTypeId") or "")
    if not desk_ref or not type_ref:
        raise JiraError(400, "A request needs a serviceDeskId and a requestTypeId.")
    desk = _desk(req.db, desk_ref)
    if desk is None:
        raise JiraError(400, f"The service desk with id '{desk_ref}' does not exist.")
    request_type = req.db.execute("SELECT * FROM jira_request_types WHERE id = ? AND service_desk_id = ?",
                                  (type_ref, desk["id"])).fetchone()
    if request_type is None:
        raise JiraError(400, f"The request type with id '{type_ref}' does not exist in service desk "
                             f"'{desk['id']}'.")
    values = body.get("requestFieldValues") or {}
    for name in values:
        if name not in _REQUEST_FIELDS:
            raise JiraError(400, f"The field '{name}' is not on the form of request type "
                                 f"'{request_type['name']}'.")
    fields: dict[str, Any] = {}
    summary = values.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise JiraError(400, "summary: You must specify a summary of the issue.")
    fields["summary"] = summary
    description = values.get("description")
    if description is not None:
        if body.get("isAdfRequest"):
            if not is_adf(description):
                raise JiraError(400, "description: the value must be an Atlassian Document (isAdfRequest).")
            fields["description"] = description
        elif isinstance(description, str):
            fields["description"] = adf_from_text(description)
        else:
            raise JiraError(400, "description: the value must be text.")
    for name in ("priority", "labels"):
        if name in values:
            fields[name] = values[name]
    project = req.db.execute("SELECT * FROM jira_projects WHERE id = ?", (desk["project_id"],)).fetchone()
    try:
        issue = create_issue(req.db, project=project, issue_type_id=request_type["issue_type_id"],
                             fields=fields, reporter=_reporter(req, body.get("raiseOnBehalfOf")), now=req.now,
                             extra={"requestTypeId": request_type["id"]})
    except JiraError as exc:
        detail = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
        raise JiraError(exc.status, detail or exc.message) from None
    created = parse_jira_time(issue["created"])
    current = status(req.db, issue["status_id"])
    field_values: list[dict[str, Any]] = [{"fieldId": "summary", "label": "Summary", "value": summary}]
    if "description" in fields:
        text = adf_to_text(fields["description"])
        field_values.append({"fieldId": "description", "label": "Description", "value": text,
                             "renderedValue": {"html": f"<p>{text}</p>"}})
    self_url = f"{req.site}{_SD}/request/{issue['id']}"
    return json_response(201, {
        "_expands": ["participant", "status", "sla", "requestType", "serviceDesk", "attachment", "action",
                     "comment"],
        "issueId": str(issue["id"]),
        "issueKey": issue["key"],
        "summary": summary,
        "requestTypeId": request_type["id"],
        "serviceDeskId": desk["id"],
        "createdDate": date_json(created),
        "reporter": _user_dto(req, str(issue["reporter"])),
        "requestFieldValues": field_values,
        "currentStatus": {"status": current.name, "statusCategory": _CATEGORY[current.category],
                          "statusDate": date_json(created)},
        "_links": {"jiraRest": f"{req.site}/rest/api/2/issue/{issue['id']}",
                   "web": f"{req.site}/servicedesk/customer/portal/{desk['id']}/{issue['key']}",
                   "agent": f"{req.site}/browse/{issue['key']}", "self": self_url},
    })


def _request(req: JiraRequest) -> sqlite3.Row:
    ref = req.match["issueIdOrKey"]
    issue = find_issue(req.db, ref)
    if issue is None or req.db.execute("SELECT 1 FROM jira_service_desks WHERE project_id = ?",
                                       (issue["project_id"],)).fetchone() is None:
        raise JiraError(404, f"The request '{ref}' does not exist or you do not have permission to see it.")
    return issue


def _comment_dto(req: JiraRequest, row: sqlite3.Row) -> dict[str, Any]:
    return {
        "_expands": ["attachment", "renderedBody"],
        "id": str(row["id"]),
        "body": adf_to_text(from_json_col(row["body"])),
        "public": bool(row["public"]),
        "author": _user_dto(req, str(row["author"])),
        "created": date_json(parse_jira_time(row["created"])),
        "_links": {"self": f"{req.site}{_SD}/request/{row['issue_id']}/comment/{row['id']}"},
    }


def _h_request_comments(req: JiraRequest) -> httpx.Response:
    issue = _request(req)
    public = req.bool_param("public", True)
    internal = req.bool_param("internal", True)
    rows = [r for r in req.db.execute("SELECT * FROM jira_comments WHERE issue_id = ? ORDER BY created, id",
                                      (issue["id"],))
            if (public and r["public"]) or (internal and not r["public"])]
    extra = {k: v for k in ("public", "internal") if (v := req.param(k)) is not None}
    items = [_comment_dto(req, r) for r in rows]
    return json_response(200, _page(req, items, f"{_SD}/request/{issue['id']}/comment", extra))


def _h_add_request_comment(req: JiraRequest) -> httpx.Response:
    issue = _request(req)
    body: dict[str, Any] = req.body if isinstance(req.body, dict) else {}
    if not isinstance(body.get("public"), bool):
        raise JiraError(400, "The comment's 'public' (true or false) is required.")
    text = body.get("body")
    if not isinstance(text, str) or not text.strip():
        raise JiraError(400, "The comment's body is required.")
    row = add_comment(req.db, issue, body=adf_from_text(text), public=body["public"],
                      author=str(req.caller()["account_id"]), now=req.now)
    return json_response(201, _comment_dto(req, row))


ROUTES: list[Route] = [
    ("GET", _SD + "/servicedesk", _h_service_desks),
    ("GET", _SD + "/servicedesk/{serviceDeskId}/requesttype", _h_request_types),
    ("POST", _SD + "/request", _h_create_request),
    ("GET", _SD + "/request/{issueIdOrKey}/comment", _h_request_comments),
    ("POST", _SD + "/request/{issueIdOrKey}/comment", _h_add_request_comment),
]
"""The service desk operations (names as in specs/jsm-servicedesk.json)."""
