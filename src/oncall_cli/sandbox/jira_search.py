"""The issue search of the sandbox's Jira site: `GET|POST /rest/api/3/search/jql`, the enhanced search that
jira-platform.v3.json marks current (`/rest/api/3/search` is deprecated there, and not served), over the
issues of jira_issues.py, with the JQL subset of jira_jql.py.

- Pages by `nextPageToken` (opaque; bound to its JQL: another query's token is a 400): the answer has
  `issues`, `isLast`, and `nextPageToken` unless it is the last page. `maxResults` (default 50) is capped at
  5000 when only ids or keys are asked for, else at 100, as the spec allows ("may return fewer items per
  page").
- `fields` defaults to `id`: each issue is then `{"id"}` only (the spec: "By default, this resource returns
  IDs only"); `*all`, `*navigable`, names and `-name` as on GET issue. `properties`: at most 5 issue
  properties.
- Without ORDER BY, newest first (`created DESC`); ties by id.
- JQL dates without a zone (`"2025-03-05 10:00"`, `"2025/03/05"`) are in the caller's time zone (the account's
  profile, as on a real site; a credential that is no account of the site is the site admin, the first seed
  person). Epoch milliseconds (`created >= 1741186800000`) and periods (`-5d`, `-2h`) are unambiguous.
- A value the site does not have (`project = NOPE`, an unknown status, issue type or key) is Jira's 400: "The
  value 'NOPE' does not exist for the field 'project'.", "An issue with key 'ITSM-99' does not exist for field
  'key'.".
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from oncall_cli.sandbox.base import from_json_col, json_response
from oncall_cli.sandbox.jira_http import JiraError, JiraRequest, Route, parse_jira_time
from oncall_cli.sandbox.jira_issues import (
    MAX_SEARCH_PROPERTIES,
    SEARCH_PAGE_FIELDS,
    SEARCH_PAGE_IDS,
    STATUS_CATEGORIES,
    field_selection,
    find_issue,
    issue_json,
    status,
)
from oncall_cli.sandbox.jira_jql import JqlError, Query, text_matches
from oncall_cli.sandbox.jira_jql import parse as parse_jql


def _zone(req: JiraRequest) -> ZoneInfo:
    """JQL dates without a zone are in the caller's time zone (their profile's), as on a real site."""
    try:
        return ZoneInfo(str(from_json_col(req.caller()["data"])["timeZone"]))
    except (ZoneInfoNotFoundError, KeyError, ValueError):
        return ZoneInfo("UTC")


def _jql_instant(value: str, field: str, zone: ZoneInfo, now: datetime) -> datetime:
    text = value.strip()
    if re.fullmatch(r"\d{9,}", text):
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    relative = re.fullmatch(r"([+-]?)(\d+)([wdhm])", text)
    if relative:
        amount = int(relative.group(2)) * (-1 if relative.group(1) == "-" else 1)
        unit = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}[relative.group(3)]
        return now + timedelta(**{unit: amount})
    for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    raise JiraError(400, f"Date value '{value}' for field '{field}' is invalid. Valid formats include: "
                         "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
                         "format e.g. '-5d', '4w 2d'.")


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "<":
        return bool(left < right)
    return bool(left <= right)


def _property_value(db: sqlite3.Connection, issue_id: int, key: str, path: Sequence[str]) -> tuple[bool, Any]:
    row = db.execute("SELECT value FROM jira_issue_properties WHERE issue_id = ? AND key = ?",
                     (issue_id, key)).fetchone()
    if row is None:
        return False, None
    value: Any = json.loads(row["value"])
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _resolve_values(db: sqlite3.Connection, query: Query) -> dict[int, set[str]]:
    """The ids each clause's value names (projects, issue types, statuses, categories, keys); 400 for a
    value the site does not have, as Jira answers."""
    resolved: dict[int, set[str]] = {}
    for n, clause in enumerate(query.clauses):
        value = clause.value
        found: set[str] = set()
        if clause.field == "project":
            found = {r["id"] for r in db.execute(
                "SELECT id FROM jira_projects WHERE id = ? OR key = ? COLLATE NOCASE "
                "OR name = ? COLLATE NOCASE", (value, value, value))}
        elif clause.field == "issuetype":
            found = {r["id"] for r in db.execute("SELECT id FROM jira_issue_types WHERE id = ? OR name = ? "
                                                  "COLLATE NOCASE", (value, value))}
        elif clause.field == "status":
            found = {r["id"] for r in db.execute(
                "SELECT id FROM jira_statuses WHERE id = ? OR name = ? COLLATE NOCASE", (value, value))}
        elif clause.field == "statusCategory":
            found = {key for key, (cid, ckey, name, _) in STATUS_CATEGORIES.items()
                     if value.lower() in (str(cid), ckey, name.lower())}
        elif clause.field == "key":
            issue = find_issue(db, value)
            if issue is None:
                if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*-\d+|\d+", value):
                    raise JiraError(400, f"The issue key '{value}' for field '{clause.field}' is invalid.")
                raise JiraError(400, f"An issue with key '{value}' does not exist for field 'key'.")
            found = {str(issue["id"])}
        else:
            continue
        if not found:
            raise JiraError(400, f"The value '{value}' does not exist for the field '{clause.field}'.")
        resolved[n] = found
    return resolved


def _matches(db: sqlite3.Connection, query: Query, resolved: Mapping[int, set[str]], row: sqlite3.Row,
             zone: ZoneInfo, now: datetime) -> bool:
    for n, clause in enumerate(query.clauses):
        field, op = clause.field, clause.op
        if n in resolved:
            actual = {
                "project": row["project_id"],
                "issuetype": row["issue_type_id"],
                "status": row["status_id"],
                "statusCategory": status(db, row["status_id"]).category,
                "key": str(row["id"]),
            }[field]
            hit = actual in resolved[n]
            if hit != (op == "="):
                return False
        elif field in ("created", "updated"):
            when = parse_jira_time(row[field])
            if not _compare(when, op, _jql_instant(clause.value, field, zone, now)):
                return False
        elif field == "summary":
            hit = text_matches(clause.value, str(from_json_col(row["data"])["summary"]))
            if hit != (op == "~"):
                return False
        elif field == "property":
            present, value = _property_value(db, int(row["id"]), clause.property_key, clause.property_path)
            if not present:
                return False  # JQL: neither = nor != matches an issue without the property
            equal = clause.value in (value if isinstance(value, str) else None, json.dumps(value))
            if equal != (op == "="):
                return False
    return True


def _sort_value(row: sqlite3.Row, field: str) -> Any:
    """ORDER BY's value: stored timestamps sort as text; `key` by id (keys count up within a project)."""
    return row["id"] if field == "key" else row[field]


def search_issues(db: sqlite3.Connection, jql: str, zone: ZoneInfo, now: datetime) -> list[sqlite3.Row]:
    """The issues `jql` matches, in its order (default: newest first). Raises a 400 JiraError for JQL outside
    the subset (jira_jql.py) or naming what the site does not have."""
    try:
        query = parse_jql(jql)
    except JqlError as exc:
        raise JiraError(400, str(exc)) from None
    resolved = _resolve_values(db, query)
    rows = [r for r in db.execute("SELECT * FROM jira_issues ORDER BY id")
            if _matches(db, query, resolved, r, zone, now)]
    order = list(query.order) or [("created", True)]
    # Sort by the last key first (stable sorts), ties broken by id in the first key's direction.
    rows.sort(key=lambda r: int(r["id"]), reverse=order[0][1])
    for field, descending in reversed(order):
        rows.sort(key=functools.partial(_sort_value, field=field), reverse=descending)
    return rows


def _token(offset: int, jql: str) -> str:
    digest = hashlib.sha256(jql.encode()).hexdigest()[:12]
    return base64.urlsafe_b64encode(f"{offset}:{digest}".encode()).decode().rstrip("=")


def _offset(token: str | None, jql: str) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()).decode()
        offset, _, digest = text.partition(":")
        if digest != hashlib.sha256(jql.encode()).hexdigest()[:12]:
            raise ValueError(digest)
        return int(offset)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise JiraError(400, "The provided next page token is invalid or expired.") from None


def _search(req: JiraRequest, *, jql: str, token: str | None, max_results: int, fields: Sequence[str],
            properties: Sequence[str], expand: Sequence[str]) -> httpx.Response:
    if len(properties) > MAX_SEARCH_PROPERTIES:
        raise JiraError(400, f"The number of properties cannot exceed {MAX_SEARCH_PROPERTIES}.")
    if max_results < 0:
        raise JiraError(400, "The value of 'maxResults' must not be negative.")
    rows = search_issues(req.db, jql, _zone(req), req.now)
    chosen, ids_only = field_selection(fields, "id")
    limit = min(max_results, SEARCH_PAGE_IDS if ids_only or not chosen else SEARCH_PAGE_FIELDS)
    start = _offset(token, jql)
    page = rows[start:start + limit]
    out: dict[str, Any] = {
        "issues": [issue_json(req.db, req.site, r, fields=chosen, properties=properties, expand=set(expand),
                              ids_only=ids_only) for r in page],
        "isLast": start + limit >= len(rows),
    }
    if not out["isLast"]:
        out["nextPageToken"] = _token(start + limit, jql)
    return json_response(200, out)


def _h_search_get(req: JiraRequest) -> httpx.Response:
    return _search(req, jql=req.param("jql") or "", token=req.param("nextPageToken"),
                   max_results=req.int_param("maxResults", 50), fields=req.params("fields"),
                   properties=req.params("properties"), expand=req.params("expand"))


def _h_search_post(req: JiraRequest) -> httpx.Response:
    body = req.body if isinstance(req.body, dict) else {}
    expand = [x.strip() for x in str(body.get("expand") or "").split(",") if x.strip()]
    return _search(req, jql=str(body.get("jql") or ""), token=body.get("nextPageToken"),
                   max_results=int(body.get("maxResults", 50)),
                   fields=[x.strip() for v in body.get("fields") or [] for x in str(v).split(",")
                           if x.strip()],
                   properties=[str(p) for p in body.get("properties") or []], expand=expand)


ROUTES: list[Route] = [
    ("GET", "/rest/api/3/search/jql", _h_search_get),
    ("POST", "/rest/api/3/search/jql", _h_search_post),
]
"""The issue search operations (names as in specs/jira.json)."""
