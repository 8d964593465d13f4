"""Issues on the sandbox's Jira site (prefix `jira`): the projects, workflows, priorities and link types of
the seed, the issue store, and the platform API over it, as `jira-platform.v3.json` describes it.

Served (all under `/rest/api/3`): `POST /issue`, `GET|PUT /issue/{issueIdOrKey}`, `GET /priority` and
`GET /priority/search` (both marked deprecated in this spec, both served), `GET|POST
/issue/{issueIdOrKey}/transitions`, `GET|POST /issue/{issueIdOrKey}/comment`, `GET|PUT|DELETE
/issue/{issueIdOrKey}/properties/{propertyKey}`, `POST /issueLink`, `GET /issueLinkType`, `GET
/project/{projectIdOrKey}`. The issue search is jira_search.py (with the JQL subset of jira_jql.py); the
service desk API over the same issues is jira_servicedesk.py; the JSM Incident API (responders, stakeholders)
on the API gateway is jsm_incidents.py.

Seed (no issues; keys count per project from 1):
- "ITSM" (`SANDBOX_INCIDENT_PROJECT`, "IT Service Management", id 10000, a service desk project; service desk
  `SANDBOX_SERVICE_DESK` = "1") with issue types "[System] Incident" (the incident work category), "[System]
  Service request", "[System] Change", and request types "Incident", "Service request", "Change";
- "SEARCH" (`SANDBOX_FOLLOWUP_PROJECT`, "Search", id 10001, software) with Task, Bug, Story;
- the incident workflow (`INCIDENT_WORKFLOW`): Open (To Do) -[11 Start fixing]-> Fixing (In Progress);
  Open|Fixing -[21 Resolve]-> Resolved (Done); Open|Fixing -[31 Cancel]-> Canceled (Done); Resolved -[41
  Reopen]-> Open. Every other issue type has the simplified workflow: To Do, In Progress, Done, each reachable
  from any other (global transitions 11, 21, 31). Moving to a Done status sets `resolution` (the request's
  `fields.resolution`, else the transition's default: Resolve "Done", Cancel "Won't Do", Done "Done") and
  `resolutiondate`; leaving it clears both. A transition not offered from the current status is Jira's 400
  "Transition id 'N' is not valid for this issue.";
- priorities Highest, High, Medium (the default), Low, Lowest (ids 1-5); resolutions Done, Won't Do, Declined;
  link types Blocks, Cloners, Duplicate, Relates (Jira's defaults; the platform spec suggests no others).

Behaviour worth knowing:
- `description` and comment bodies are Atlassian Document Format (v3): a plain string is a 400
  ("Operation value must be an Atlassian Document"). A platform comment is public to customers (`jsdPublic`)
  unless it carries the property `sd.public.comment` = `{"internal": true}`, as on a real JSM site.
- Issue keys are found in any case (`itsm-3`); numeric ids work wherever a key does.
- `POST /issueLink {type, inwardIssue, outwardIssue}` reads "outwardIssue <outward> inwardIssue" (the spec:
  the outward issue is the "from" issue; its optional comment goes there). An issue shows the link under
  `outwardIssue` when it is the "from" side and under `inwardIssue` otherwise, as Jira's issue linking model
  explains. A duplicate link is answered 201 and not stored twice.
- Errors are Jira's ErrorCollection `{"errorMessages", "errors"}` (400 for anything Jira cannot use, 404 for
  an unknown issue, project, link type).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from oncall_cli.sandbox.base import from_json_col, json_col, json_response, next_seq
from oncall_cli.sandbox.jira_http import (
    JiraError,
    JiraRequest,
    Route,
    field_error,
    jira_time,
    parse_jira_time,
    user_json,
    user_row,
)

# ---- the seed's names (import these rather than repeating them) -----------------------------------------

SANDBOX_INCIDENT_PROJECT = "ITSM"
SANDBOX_INCIDENT_PROJECT_NAME = "IT Service Management"
SANDBOX_INCIDENT_PROJECT_ID = "10000"
SANDBOX_SERVICE_DESK = "1"
"""The service desk id of the ITSM project (`GET /rest/servicedeskapi/servicedesk`)."""
SANDBOX_FOLLOWUP_PROJECT = "SEARCH"
SANDBOX_FOLLOWUP_PROJECT_NAME = "Search"
SANDBOX_FOLLOWUP_PROJECT_ID = "10001"
SANDBOX_INCIDENT_ISSUE_TYPE = "[System] Incident"
SANDBOX_INCIDENT_ISSUE_TYPE_ID = "10005"
SANDBOX_INCIDENT_REQUEST_TYPE = "Incident"
SANDBOX_INCIDENT_REQUEST_TYPE_ID = "10"
SANDBOX_REQUEST_TYPES: tuple[str, ...] = ("Incident", "Service request", "Change")
SANDBOX_PRIORITIES: tuple[str, ...] = ("Highest", "High", "Medium", "Low", "Lowest")
SANDBOX_RESOLUTIONS: tuple[str, ...] = ("Done", "Won't Do", "Declined")
SANDBOX_LINK_TYPES: tuple[str, ...] = ("Blocks", "Cloners", "Duplicate", "Relates")
INCIDENT_WORKFLOW = "ITSM incident workflow"
SIMPLIFIED_WORKFLOW = "Simplified workflow"
PROPERTY_MAX_BYTES = 32768
PROPERTY_MAX_KEY = 255
MAX_SEARCH_PROPERTIES = 5
SEARCH_PAGE_IDS = 5000
"""The enhanced search's largest page when only ids (or keys) are asked for; else `SEARCH_PAGE_FIELDS`."""
SEARCH_PAGE_FIELDS = 100
INTERNAL_COMMENT_PROPERTY = "sd.public.comment"
"""JSM's comment property: `{"internal": true}` makes a platform comment internal (not shown to customers)."""

# Status categories: (id, key, name, colorName), as Jira's /statuscategory gives them.
STATUS_CATEGORIES: dict[str, tuple[int, str, str, str]] = {
    "new": (2, "new", "To Do", "blue-gray"),
    "indeterminate": (4, "indeterminate", "In Progress", "yellow"),
    "done": (3, "done", "Done", "green"),
}

# (id, name, category key, description)
_STATUSES: tuple[tuple[str, str, str, str], ...] = (
    ("1", "Open", "new", "The incident is reported and nobody works on it yet."),
    ("10100", "Fixing", "indeterminate", "Responders are working on the incident."),
    ("5", "Resolved", "done", "The incident is over: service is restored."),
    ("10101", "Canceled", "done", "Not an incident, or raised by mistake."),
    ("10000", "To Do", "new", ""),
    ("3", "In Progress", "indeterminate", "This work item is being actively worked on at the moment."),
    ("10001", "Done", "done", ""),
)

# workflow -> (initial status, [(transition id, name, from status ids (None: any), to status,
#                                default resolution)])
_WORKFLOWS: dict[str, tuple[str, tuple[tuple[str, str, tuple[str, ...] | None, str, str | None], ...]]] = {
    INCIDENT_WORKFLOW: ("1", (
        ("11", "Start fixing", ("1",), "10100", None),
        ("21", "Resolve", ("1", "10100"), "5", "Done"),
        ("31", "Cancel", ("1", "10100"), "10101", "Won't Do"),
        ("41", "Reopen", ("5",), "1", None),
    )),
    SIMPLIFIED_WORKFLOW: ("10000", (
        ("11", "To Do", None, "10000", None),
        ("21", "In Progress", None, "3", None),
        ("31", "Done", None, "10001", "Done"),
    )),
}

# (id, name, description, workflow, hierarchyLevel, avatarId)
_ISSUE_TYPES: tuple[tuple[str, str, str, str, int, int], ...] = (
    ("10002", "Task", "A small, distinct piece of work.", SIMPLIFIED_WORKFLOW, 0, 10318),
    ("10003", "Bug", "A problem or error.", SIMPLIFIED_WORKFLOW, 0, 10303),
    ("10004", "Story", "A user story.", SIMPLIFIED_WORKFLOW, 0, 10315),
    (SANDBOX_INCIDENT_ISSUE_TYPE_ID, SANDBOX_INCIDENT_ISSUE_TYPE,
     "For system outages or incidents. Created by Jira Service Management.", INCIDENT_WORKFLOW, 0, 10553),
    ("10006", "[System] Service request", "For requests that require approval. Created by Jira Service "
     "Management.", SIMPLIFIED_WORKFLOW, 0, 10556),
    ("10007", "[System] Change", "For system upgrades or alterations. Created by Jira Service Management.",
     SIMPLIFIED_WORKFLOW, 0, 10551),
)

# (id, key, name, projectTypeKey, description, issue type ids)
_PROJECTS: tuple[tuple[str, str, str, str, str, tuple[str, ...]], ...] = (
    (SANDBOX_INCIDENT_PROJECT_ID, SANDBOX_INCIDENT_PROJECT, SANDBOX_INCIDENT_PROJECT_NAME, "service_desk",
     "Incidents, service requests and changes", (SANDBOX_INCIDENT_ISSUE_TYPE_ID, "10006", "10007")),
    (SANDBOX_FOLLOWUP_PROJECT_ID, SANDBOX_FOLLOWUP_PROJECT, SANDBOX_FOLLOWUP_PROJECT_NAME, "software",
     "The search team's work, follow-ups of incidents included", ("10002", "10003", "10004")),
)

# (id, name, description, statusColor, icon)
_PRIORITIES: tuple[tuple[str, str, str, str, str], ...] = (
    ("1", "Highest", "This problem will block progress.", "#d04437", "highest"),
    ("2", "High", "Serious problem that could block progress.", "#f15C75", "high"),
    ("3", "Medium", "Has the potential to affect progress.", "#f79232", "medium"),
    ("4", "Low", "Minor problem or easily worked around.", "#707070", "low"),
    ("5", "Lowest", "Trivial problem with little or no impact on progress.", "#999999", "lowest"),
)
DEFAULT_PRIORITY_ID = "3"

_RESOLUTIONS: tuple[tuple[str, str, str], ...] = (
    ("10000", "Done", "Work has been completed on this work item."),
    ("10001", "Won't Do", "This work item won't be actioned."),
    ("10002", "Declined", "This request was declined."),
)

_LINK_TYPES: tuple[tuple[str, str, str, str], ...] = (
    ("10000", "Blocks", "is blocked by", "blocks"),
    ("10001", "Cloners", "is cloned by", "clones"),
    ("10002", "Duplicate", "is duplicated by", "duplicates"),
    ("10003", "Relates", "relates to", "relates to"),
)

ISSUE_SCHEMA = """
CREATE TABLE IF NOT EXISTS jira_projects (id TEXT PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jira_issue_types (id TEXT PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jira_statuses (id TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jira_transitions (workflow TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
    to_status TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (workflow, id));
CREATE TABLE IF NOT EXISTS jira_priorities (id TEXT PRIMARY KEY, name TEXT NOT NULL, seq INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jira_resolutions (id TEXT PRIMARY KEY, name TEXT NOT NULL, seq INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jira_link_types (id TEXT PRIMARY KEY, name TEXT NOT NULL, inward TEXT NOT NULL,
    outward TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jira_service_desks (id TEXT PRIMARY KEY, project_id TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS jira_request_types (id TEXT PRIMARY KEY, service_desk_id TEXT NOT NULL,
    name TEXT NOT NULL, issue_type_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jira_issues (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE COLLATE NOCASE,
    project_id TEXT NOT NULL, issue_type_id TEXT NOT NULL, status_id TEXT NOT NULL, priority_id TEXT,
    resolution_id TEXT, created TEXT NOT NULL, updated TEXT NOT NULL, resolutiondate TEXT,
    reporter TEXT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jira_issue_properties (issue_id INTEGER NOT NULL, key TEXT NOT NULL,
    value TEXT NOT NULL, PRIMARY KEY (issue_id, key));
CREATE TABLE IF NOT EXISTS jira_comments (id INTEGER PRIMARY KEY, issue_id INTEGER NOT NULL,
    author TEXT NOT NULL, body TEXT NOT NULL, public INTEGER NOT NULL, created TEXT NOT NULL,
    updated TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jira_issue_links (id INTEGER PRIMARY KEY, type_id TEXT NOT NULL,
    outward_issue_id INTEGER NOT NULL, inward_issue_id INTEGER NOT NULL,
    UNIQUE (type_id, outward_issue_id, inward_issue_id));
"""
"""The issue store (tables `jira_*`, beside the directory's); the JSM emulator reads it too."""


def create_issue_schema(db: sqlite3.Connection) -> None:
    db.executescript(ISSUE_SCHEMA)


def seed_site(db: sqlite3.Connection) -> None:
    """The projects, workflows, priorities, resolutions, link types, service desk and request types (fixed
    ids; no randomness)."""
    for status_id, name, category, description in _STATUSES:
        db.execute("INSERT INTO jira_statuses (id, name, category, data) VALUES (?, ?, ?, ?)",
                   (status_id, name, category, json_col({"description": description})))
    for workflow, (initial, transitions) in _WORKFLOWS.items():
        for seq, (tid, name, sources, target, resolution) in enumerate(transitions, 1):
            db.execute(
                "INSERT INTO jira_transitions (workflow, id, name, to_status, seq, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (workflow, tid, name, target, seq,
                 json_col({"from": list(sources) if sources is not None else None, "resolution": resolution,
                           "initial": initial})),
            )
    for type_id, name, description, workflow, level, avatar in _ISSUE_TYPES:
        db.execute("INSERT INTO jira_issue_types (id, name, data) VALUES (?, ?, ?)",
                   (type_id, name, json_col({"description": description, "workflow": workflow,
                                             "hierarchyLevel": level, "avatarId": avatar})))
    for project_id, key, name, type_key, description, types in _PROJECTS:
        db.execute("INSERT INTO jira_projects (id, key, name, data) VALUES (?, ?, ?, ?)",
                   (project_id, key, name, json_col({"projectTypeKey": type_key, "description": description,
                                                     "issueTypeIds": list(types)})))
    for seq, (pid, name, description, color, icon) in enumerate(_PRIORITIES, 1):
        db.execute("INSERT INTO jira_priorities (id, name, seq, data) VALUES (?, ?, ?, ?)",
                   (pid, name, seq, json_col({"description": description, "statusColor": color,
                                              "icon": icon})))
    for seq, (rid, name, description) in enumerate(_RESOLUTIONS, 1):
        db.execute("INSERT INTO jira_resolutions (id, name, seq, data) VALUES (?, ?, ?, ?)",
                   (rid, name, seq, json_col({"description": description})))
    for lid, name, inward, outward in _LINK_TYPES:
        db.execute("INSERT INTO jira_link_types (id, name, inward, outward) VALUES (?, ?, ?, ?)",
                   (lid, name, inward, outward))
    db.execute("INSERT INTO jira_service_desks (id, project_id) VALUES (?, ?)",
               (SANDBOX_SERVICE_DESK, SANDBOX_INCIDENT_PROJECT_ID))
    request_types = (
        (SANDBOX_INCIDENT_REQUEST_TYPE_ID, "Incident", SANDBOX_INCIDENT_ISSUE_TYPE_ID,
         "Report a system problem or outage.", "incidents"),
        ("11", "Service request", "10006", "Ask for help or for something new.", "service-requests"),
        ("12", "Change", "10007", "Request a change to a system.", "changes"),
    )
    for seq, (rtid, name, type_id, description, practice) in enumerate(request_types, 1):
        db.execute(
            "INSERT INTO jira_request_types (id, service_desk_id, name, issue_type_id, seq, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (rtid, SANDBOX_SERVICE_DESK, name, type_id, seq,
             json_col({"description": description, "helpText": "", "groupIds": [str(seq)],
                       "practice": practice, "portalId": SANDBOX_SERVICE_DESK})),
        )


# ---- Atlassian Document Format --------------------------------------------------------------------------


def adf_from_text(text: str) -> dict[str, Any]:
    """Plain text as an ADF document: blank lines separate paragraphs, a newline is a hard break."""
    content: list[dict[str, Any]] = []
    for block in re.split(r"\n\s*\n", text.strip("\n")) if text.strip() else []:
        nodes: list[dict[str, Any]] = []
        for n, line in enumerate(block.split("\n")):
            if n:
                nodes.append({"type": "hardBreak"})
            if line:
                nodes.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": nodes})
    return {"type": "doc", "version": 1, "content": content}


def adf_to_text(node: Any) -> str:
    """The text of an ADF document (paragraphs separated by a blank line, hard breaks as newlines)."""
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    children = [adf_to_text(child) for child in node.get("content") or []]
    if kind == "doc":
        return "\n\n".join(children)
    if kind in ("bulletList", "orderedList"):
        return "\n".join(children)
    return "".join(children)


def is_adf(value: Any) -> bool:
    return (isinstance(value, dict) and value.get("type") == "doc" and value.get("version") == 1
            and isinstance(value.get("content"), list))


def _adf_field(field: str, value: Any) -> dict[str, Any]:
    if not is_adf(value):
        raise field_error(400, field, "Operation value must be an Atlassian Document (see the Atlassian "
                                      "Document Format).")
    doc: dict[str, Any] = value
    return doc


# ---- the catalog (projects, types, statuses, priorities) ------------------------------------------------


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: str
    description: str


def status(db: sqlite3.Connection, status_id: str) -> Status:
    row = db.execute("SELECT * FROM jira_statuses WHERE id = ?", (status_id,)).fetchone()
    return Status(row["id"], row["name"], row["category"], from_json_col(row["data"])["description"])


def status_json(site: str, st: Status) -> dict[str, Any]:
    cat_id, key, name, color = STATUS_CATEGORIES[st.category]
    icon = {"new": "open", "indeterminate": "inprogress", "done": "resolved"}[st.category]
    return {
        "self": f"{site}/rest/api/3/status/{st.id}",
        "description": st.description,
        "iconUrl": f"{site}/images/icons/statuses/{icon}.png",
        "name": st.name,
        "id": st.id,
        "statusCategory": {"self": f"{site}/rest/api/3/statuscategory/{cat_id}", "id": cat_id, "key": key,
                           "colorName": color, "name": name},
    }


def project_row(db: sqlite3.Connection, id_or_key: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = db.execute("SELECT * FROM jira_projects WHERE id = ? OR key = ?",
                                         (id_or_key, id_or_key)).fetchone()
    return row


def issue_type_row(db: sqlite3.Connection, type_id: str) -> sqlite3.Row:
    row: sqlite3.Row = db.execute("SELECT * FROM jira_issue_types WHERE id = ?", (type_id,)).fetchone()
    return row


def project_issue_types(db: sqlite3.Connection, project: sqlite3.Row) -> list[sqlite3.Row]:
    return [issue_type_row(db, t) for t in from_json_col(project["data"])["issueTypeIds"]]


def issue_type_json(site: str, row: sqlite3.Row, *, details: bool = True) -> dict[str, Any]:
    """An issue type (`details`: with its description, as an issue's `issuetype` field shows it; without, the
    spec's IssueTypeDetails of a project)."""
    data = from_json_col(row["data"])
    out: dict[str, Any] = {
        "self": f"{site}/rest/api/3/issuetype/{row['id']}",
        "id": row["id"],
        "iconUrl": f"{site}/rest/api/2/universal_avatar/view/type/issuetype/avatar/{data['avatarId']}"
                   "?size=medium",
        "name": row["name"],
        "subtask": False,
        "avatarId": data["avatarId"],
        "hierarchyLevel": data["hierarchyLevel"],
    }
    if details:
        out["description"] = data["description"]
    return out


def project_json(site: str, row: sqlite3.Row, *, brief: bool = False) -> dict[str, Any]:
    data = from_json_col(row["data"])
    avatars = {size: f"{site}/rest/api/3/universal_avatar/view/type/project/avatar/10400?size={name}"
               for size, name in (("48x48", "large"), ("24x24", "small"), ("16x16", "xsmall"),
                                  ("32x32", "medium"))}
    out: dict[str, Any] = {
        "self": f"{site}/rest/api/3/project/{row['id']}",
        "id": row["id"],
        "key": row["key"],
        "name": row["name"],
        "projectTypeKey": data["projectTypeKey"],
        "simplified": False,
        "avatarUrls": avatars,
    }
    if brief:
        return out
    return {
        "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
        **out,
        "description": data["description"],
        "assigneeType": "UNASSIGNED",
        "style": "classic",
        "isPrivate": False,
        "properties": {},
    }


def priority_row(db: sqlite3.Connection, value: Any, field: str = "priority") -> sqlite3.Row:
    """The priority a field value `{"id"}` or `{"name"}` names (400 otherwise)."""
    if not isinstance(value, dict) or not (value.get("id") or value.get("name")):
        raise field_error(400, field, "Specify the Priority (id or name) in the string format")
    if value.get("id"):
        row = db.execute("SELECT * FROM jira_priorities WHERE id = ?", (str(value["id"]),)).fetchone()
    else:
        row = db.execute("SELECT * FROM jira_priorities WHERE name = ? COLLATE NOCASE",
                         (str(value["name"]),)).fetchone()
    if row is None:
        raise field_error(400, field, "The priority selected is invalid.")
    found: sqlite3.Row = row
    return found


def priority_json(site: str, row: sqlite3.Row, *, full: bool = False) -> dict[str, Any]:
    data = from_json_col(row["data"])
    out: dict[str, Any] = {
        "self": f"{site}/rest/api/3/priority/{row['id']}",
        "iconUrl": f"{site}/images/icons/priorities/{data['icon']}_new.svg",
        "name": row["name"],
        "id": row["id"],
    }
    if full:
        out.update({"description": data["description"], "statusColor": data["statusColor"],
                    "isDefault": row["id"] == DEFAULT_PRIORITY_ID})
    return out


def resolution_row(db: sqlite3.Connection, value: Any) -> sqlite3.Row:
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict) or not (value.get("id") or value.get("name")):
        raise field_error(400, "resolution", "Specify the resolution (id or name).")
    if value.get("id"):
        row = db.execute("SELECT * FROM jira_resolutions WHERE id = ?", (str(value["id"]),)).fetchone()
    else:
        row = db.execute("SELECT * FROM jira_resolutions WHERE name = ? COLLATE NOCASE",
                         (str(value["name"]),)).fetchone()
    if row is None:
        raise field_error(400, "resolution", f"The resolution '{value.get('name') or value.get('id')}' does "
                                             "not exist.")
    found: sqlite3.Row = row
    return found


def resolution_json(site: str, row: sqlite3.Row) -> dict[str, Any]:
    return {"self": f"{site}/rest/api/3/resolution/{row['id']}", "id": row["id"],
            "description": from_json_col(row["data"])["description"], "name": row["name"]}


def link_type_json(site: str, row: sqlite3.Row) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "inward": row["inward"], "outward": row["outward"],
            "self": f"{site}/rest/api/3/issueLinkType/{row['id']}"}


# ---- issues ---------------------------------------------------------------------------------------------


def find_issue(db: sqlite3.Connection, id_or_key: str) -> sqlite3.Row | None:
    """An issue by numeric id or key (any case)."""
    if id_or_key.isdigit():
        row = db.execute("SELECT * FROM jira_issues WHERE id = ?", (int(id_or_key),)).fetchone()
    else:
        row = db.execute("SELECT * FROM jira_issues WHERE key = ?", (id_or_key,)).fetchone()
    found: sqlite3.Row | None = row
    return found


def required_issue(db: sqlite3.Connection, id_or_key: str) -> sqlite3.Row:
    row = find_issue(db, id_or_key)
    if row is None:
        raise JiraError(404, "Issue does not exist or you do not have permission to see it.")
    return row


def workflow_of(db: sqlite3.Connection, issue_type_id: str) -> str:
    return str(from_json_col(issue_type_row(db, issue_type_id)["data"])["workflow"])


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    to: str
    sources: tuple[str, ...] | None
    """None: a global transition (from any status)."""
    resolution: str | None
    """The resolution set when none is given (only transitions to a Done status have one)."""


def workflow_transitions(db: sqlite3.Connection, workflow: str) -> list[Transition]:
    out: list[Transition] = []
    for row in db.execute("SELECT * FROM jira_transitions WHERE workflow = ? ORDER BY seq", (workflow,)):
        data = from_json_col(row["data"])
        sources = tuple(data["from"]) if data["from"] is not None else None
        out.append(Transition(row["id"], row["name"], row["to_status"], sources, data["resolution"]))
    return out


def available_transitions(db: sqlite3.Connection, issue: sqlite3.Row) -> list[Transition]:
    """The transitions the issue's workflow offers from its current status (a global transition to the status
    the issue is in is not offered)."""
    current = issue["status_id"]
    return [t for t in workflow_transitions(db, workflow_of(db, issue["issue_type_id"]))
            if (t.sources is None and t.to != current) or (t.sources is not None and current in t.sources)]


def initial_status(db: sqlite3.Connection, issue_type_id: str) -> str:
    row = db.execute("SELECT data FROM jira_transitions WHERE workflow = ? LIMIT 1",
                     (workflow_of(db, issue_type_id),)).fetchone()
    return str(from_json_col(row["data"])["initial"])


def _account(db: sqlite3.Connection, value: Any, field: str) -> str | None:
    if value is None:
        return None
    account_id = value.get("accountId") or value.get("id") if isinstance(value, dict) else None
    if not account_id or user_row(db, str(account_id)) is None:
        raise field_error(400, field,
                          "Specified user does not exist or you do not have required permissions.")
    return str(account_id)


def _labels(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise field_error(400, "labels", "Labels must be a list of strings.")
    for label in value:
        if not label or re.search(r"\s", label):
            raise field_error(400, "labels", f"The label '{label}' contains spaces which is invalid.")
        if len(label) > 255:
            raise field_error(400, "labels", "The label must not exceed 255 characters.")
    return list(dict.fromkeys(value))


def _summary(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise field_error(400, "summary", "You must specify a summary of the issue.")
    if len(value) > 255:
        raise field_error(400, "summary", "Summary must be less than 255 characters.")
    if "\n" in value or "\r" in value:
        raise field_error(400, "summary", "The summary is invalid because it contains newline characters.")
    return value


_EDITABLE = ("summary", "description", "priority", "labels", "assignee", "reporter")


def _not_on_screen(field: str) -> JiraError:
    return field_error(400, field, f"Field '{field}' cannot be set. It is not on the appropriate screen, or "
                                   "unknown.")


def _set_fields(db: sqlite3.Connection, fields: Mapping[str, Any], target: dict[str, Any],
                allowed: Sequence[str] = _EDITABLE) -> None:
    """Apply issue `fields` (platform input formats) to `target` (column -> value, `data` keys inside)."""
    for name, value in fields.items():
        if name not in allowed:
            raise _not_on_screen(name)
        if name == "summary":
            target["data"]["summary"] = _summary(value)
        elif name == "description":
            target["data"]["description"] = None if value is None else _adf_field("description", value)
        elif name == "priority":
            target["priority_id"] = priority_row(db, value)["id"]
        elif name == "labels":
            target["data"]["labels"] = _labels(value)
        elif name == "assignee":
            target["data"]["assignee"] = _account(db, value, "assignee")
        elif name == "reporter":
            target["reporter"] = _account(db, value, "reporter")


def create_issue(db: sqlite3.Connection, *, project: sqlite3.Row, issue_type_id: str,
                 fields: Mapping[str, Any], reporter: str, now: datetime,
                 extra: Mapping[str, Any] | None = None) -> sqlite3.Row:
    """Store a new issue (`fields`: already checked for project and issue type) and answer its row."""
    target: dict[str, Any] = {"priority_id": DEFAULT_PRIORITY_ID, "reporter": reporter,
                              "data": {"summary": "", "description": None, "labels": [], "assignee": None,
                                       **dict(extra or {})}}
    _set_fields(db, fields, target)
    if not target["data"]["summary"]:
        raise field_error(400, "summary", "You must specify a summary of the issue.")
    issue_id = next_seq(db, "jira_issue_id", start=10000)
    number = next_seq(db, f"jira_issue_key:{project['key']}")
    created = stamp(now)
    db.execute(
        "INSERT INTO jira_issues (id, key, project_id, issue_type_id, status_id, priority_id, resolution_id, "
        "created, updated, resolutiondate, reporter, data) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, ?, ?)",
        (issue_id, f"{project['key']}-{number}", project["id"], issue_type_id,
         initial_status(db, issue_type_id), target["priority_id"], created, created, target["reporter"],
         json_col(target["data"])),
    )
    return required_issue(db, str(issue_id))


def stamp(dt: datetime) -> str:
    """A stored timestamp: UTC, fixed width (so stored times sort as text)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def touch(db: sqlite3.Connection, issue_id: int, now: datetime) -> None:
    db.execute("UPDATE jira_issues SET updated = ? WHERE id = ?", (stamp(now), issue_id))


def set_property(db: sqlite3.Connection, issue_id: int, key: str, value: Any) -> bool:
    """Store an issue property; True when it is new. 400 for a bad key or value."""
    if not key or len(key) > PROPERTY_MAX_KEY:
        raise JiraError(400, f"The property key must be between 1 and {PROPERTY_MAX_KEY} characters long.")
    if value is None:
        raise JiraError(400, "The property value must be a valid, non-empty JSON value.")
    text = json_col(value)
    if len(text.encode()) > PROPERTY_MAX_BYTES:
        raise JiraError(400, f"The property value is too long: at most {PROPERTY_MAX_BYTES} bytes.")
    existed = db.execute("SELECT 1 FROM jira_issue_properties WHERE issue_id = ? AND key = ?",
                         (issue_id, key)).fetchone()
    db.execute("INSERT OR REPLACE INTO jira_issue_properties (issue_id, key, value) VALUES (?, ?, ?)",
               (issue_id, key, text))
    return existed is None


def issue_properties(db: sqlite3.Connection, issue_id: int) -> dict[str, Any]:
    return {r["key"]: json.loads(r["value"]) for r in db.execute(
        "SELECT key, value FROM jira_issue_properties WHERE issue_id = ? ORDER BY key", (issue_id,))}


def add_comment(db: sqlite3.Connection, issue: sqlite3.Row, *, body: dict[str, Any], public: bool,
                author: str, now: datetime, visibility: Any = None) -> sqlite3.Row:
    """Store a comment (ADF body) and answer its row; the issue's `updated` moves."""
    comment_id = next_seq(db, "jira_comment_id", start=10000)
    created = stamp(now)
    data = {"visibility": visibility} if visibility is not None else {}
    db.execute("INSERT INTO jira_comments (id, issue_id, author, body, public, created, updated, data) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (comment_id, issue["id"], author, json_col(body), int(public), created, created,
                json_col(data)))
    touch(db, issue["id"], now)
    row: sqlite3.Row = db.execute("SELECT * FROM jira_comments WHERE id = ?", (comment_id,)).fetchone()
    return row


def comment_json(db: sqlite3.Connection, site: str, row: sqlite3.Row) -> dict[str, Any]:
    author = user_row(db, row["author"])
    person = user_json(site, author, locale=False) if author is not None else {"accountId": row["author"]}
    out: dict[str, Any] = {
        "self": f"{site}/rest/api/3/issue/{row['issue_id']}/comment/{row['id']}",
        "id": str(row["id"]),
        "author": person,
        "body": from_json_col(row["body"]),
        "updateAuthor": person,
        "created": jira_time(parse_jira_time(row["created"])),
        "updated": jira_time(parse_jira_time(row["updated"])),
        "jsdPublic": bool(row["public"]),
    }
    visibility = from_json_col(row["data"]).get("visibility")
    if visibility is not None:
        out["visibility"] = visibility
    return out


def _linked_issue(db: sqlite3.Connection, site: str, issue_id: int) -> dict[str, Any]:
    row = required_issue(db, str(issue_id))
    data = from_json_col(row["data"])
    return {
        "id": str(row["id"]),
        "key": row["key"],
        "self": f"{site}/rest/api/3/issue/{row['id']}",
        "fields": {
            "summary": data["summary"],
            "status": status_json(site, status(db, row["status_id"])),
            "priority": priority_json(site, db.execute("SELECT * FROM jira_priorities WHERE id = ?",
                                                       (row["priority_id"],)).fetchone()),
            "issuetype": issue_type_json(site, issue_type_row(db, row["issue_type_id"])),
        },
    }


def issue_links_json(db: sqlite3.Connection, site: str, issue_id: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for link in db.execute("SELECT l.*, t.name, t.inward, t.outward FROM jira_issue_links l JOIN "
                           "jira_link_types t ON t.id = l.type_id WHERE l.outward_issue_id = ? "
                           "OR l.inward_issue_id = ? ORDER BY l.id", (issue_id, issue_id)):
        entry: dict[str, Any] = {
            "id": str(link["id"]),
            "self": f"{site}/rest/api/3/issueLink/{link['id']}",
            "type": {"id": link["type_id"], "name": link["name"], "inward": link["inward"],
                     "outward": link["outward"],
                     "self": f"{site}/rest/api/3/issueLinkType/{link['type_id']}"},
        }
        if link["outward_issue_id"] == issue_id:  # this issue is the "from" side: "<this> blocks <other>"
            entry["outwardIssue"] = _linked_issue(db, site, link["inward_issue_id"])
        else:
            entry["inwardIssue"] = _linked_issue(db, site, link["outward_issue_id"])
        out.append(entry)
    return out


ALL_FIELDS: tuple[str, ...] = ("summary", "description", "issuetype", "project", "status", "priority",
                               "labels", "created", "updated", "resolution", "resolutiondate", "reporter",
                               "creator", "assignee", "issuelinks", "comment")
NAVIGABLE_FIELDS: tuple[str, ...] = tuple(f for f in ALL_FIELDS if f != "comment")


def field_selection(tokens: Sequence[str], default: str) -> tuple[set[str], bool]:
    """The fields a `fields` parameter asks for (`*all`, `*navigable`, `id`, names, `-name`) and whether the
    answer is ids only (the enhanced search's default `id`)."""
    tokens = list(tokens) or [default]
    chosen: set[str] = set()
    excluded: set[str] = set()
    positive = False
    for token in tokens:
        if token == "*all":
            chosen |= set(ALL_FIELDS)
            positive = True
        elif token == "*navigable":
            chosen |= set(NAVIGABLE_FIELDS)
            positive = True
        elif token.startswith("-"):
            excluded.add(token[1:])
        elif token in ("id", "key"):
            positive = positive or token == "key"
        else:
            chosen.add(token)  # unknown field names are left out of the answer, as Jira does
            positive = True
    if not positive and excluded:
        chosen = set(ALL_FIELDS if default == "*all" else NAVIGABLE_FIELDS)
        positive = True
    return chosen - excluded, not positive


def issue_json(db: sqlite3.Connection, site: str, row: sqlite3.Row, *, fields: set[str],
               properties: Sequence[str] = (), expand: Iterable[str] = (), ids_only: bool = False
               ) -> dict[str, Any]:
    """An issue as IssueBean: the chosen `fields`, the named issue `properties` (`*all`: every one)."""
    issue_id = int(row["id"])
    out: dict[str, Any] = {"id": str(issue_id)}
    props = issue_properties(db, issue_id) if properties else {}
    if properties and "*all" not in properties:
        props = {k: v for k, v in props.items() if k in properties}
    if ids_only:
        if properties:
            out["properties"] = props
        return out
    data = from_json_col(row["data"])
    values: dict[str, Any] = {}
    reporter = user_row(db, row["reporter"]) if row["reporter"] else None
    assignee = user_row(db, data["assignee"]) if data.get("assignee") else None
    for name in ALL_FIELDS:
        if name not in fields:
            continue
        if name == "summary":
            values[name] = data["summary"]
        elif name == "description":
            values[name] = data.get("description")
        elif name == "issuetype":
            values[name] = issue_type_json(site, issue_type_row(db, row["issue_type_id"]))
        elif name == "project":
            project = db.execute("SELECT * FROM jira_projects WHERE id = ?", (row["project_id"],)).fetchone()
            values[name] = project_json(site, project, brief=True)
        elif name == "status":
            values[name] = status_json(site, status(db, row["status_id"]))
        elif name == "priority":
            prio = db.execute("SELECT * FROM jira_priorities WHERE id = ?", (row["priority_id"],)).fetchone()
            values[name] = priority_json(site, prio) if prio is not None else None
        elif name == "labels":
            values[name] = list(data.get("labels", []))
        elif name in ("created", "updated"):
            values[name] = jira_time(parse_jira_time(row[name]))
        elif name == "resolution":
            res = (db.execute("SELECT * FROM jira_resolutions WHERE id = ?",
                              (row["resolution_id"],)).fetchone() if row["resolution_id"] else None)
            values[name] = resolution_json(site, res) if res is not None else None
        elif name == "resolutiondate":
            resolved = row["resolutiondate"]
            values[name] = jira_time(parse_jira_time(resolved)) if resolved else None
        elif name in ("reporter", "creator"):
            values[name] = user_json(site, reporter, locale=False) if reporter is not None else None
        elif name == "assignee":
            values[name] = user_json(site, assignee, locale=False) if assignee is not None else None
        elif name == "issuelinks":
            values[name] = issue_links_json(db, site, issue_id)
        elif name == "comment":
            comments = [comment_json(db, site, c) for c in db.execute(
                "SELECT * FROM jira_comments WHERE issue_id = ? ORDER BY id", (issue_id,))]
            values[name] = {"comments": comments, "self": f"{site}/rest/api/3/issue/{issue_id}/comment",
                            "maxResults": len(comments), "total": len(comments), "startAt": 0}
    out.update({
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "self": f"{site}/rest/api/3/issue/{issue_id}",
        "key": row["key"],
        "fields": values,
    })
    if properties:
        out["properties"] = props
    if "transitions" in expand:
        out["transitions"] = [transition_json(db, site, t, with_fields=False)
                              for t in available_transitions(db, row)]
    return out


def transition_json(db: sqlite3.Connection, site: str, t: Transition, *, with_fields: bool) -> dict[str, Any]:
    target = status(db, t.to)
    out: dict[str, Any] = {
        "id": t.id,
        "name": t.name,
        "to": status_json(site, target),
        "hasScreen": target.category == "done",
        "isGlobal": t.sources is None,
        "isInitial": False,
        "isAvailable": True,
        "isConditional": False,
        "isLooped": False,
    }
    if with_fields:
        fields: dict[str, Any] = {}
        if target.category == "done":
            allowed = [resolution_json(site, r)
                       for r in db.execute("SELECT * FROM jira_resolutions ORDER BY seq")]
            default = next((r for r in allowed if r["name"] == t.resolution), None)
            resolution: dict[str, Any] = {
                "required": False,
                "schema": {"type": "resolution", "system": "resolution"},
                "name": "Resolution",
                "key": "resolution",
                "operations": ["set"],
                "allowedValues": allowed,
                "hasDefaultValue": default is not None,
            }
            if default is not None:
                resolution["defaultValue"] = default
            fields["resolution"] = resolution
        out["fields"] = fields
    return out


# ---- handlers: issues -----------------------------------------------------------------------------------


def _fields_body(req: JiraRequest) -> dict[str, Any]:
    body = req.body if isinstance(req.body, dict) else {}
    fields = body.get("fields", {})
    if not isinstance(fields, dict):
        raise JiraError(400, "The 'fields' of the request must be an object.")
    return fields


def _h_create_issue(req: JiraRequest) -> httpx.Response:
    body = req.body if isinstance(req.body, dict) else {}
    fields = dict(_fields_body(req))
    project_value = fields.pop("project", None)
    ref = project_value.get("key") or project_value.get("id") if isinstance(project_value, dict) else None
    project = project_row(req.db, str(ref)) if ref else None
    if project is None:
        raise field_error(400, "project", "Specify a valid project ID or key")
    type_value = fields.pop("issuetype", None)
    if not isinstance(type_value, dict) or not (type_value.get("id") or type_value.get("name")):
        raise field_error(400, "issuetype", "Specify an issue type")
    issue_type = next((t for t in project_issue_types(req.db, project)
                       if t["id"] == str(type_value.get("id", "")) or (not type_value.get("id") and str(
                           t["name"]).lower() == str(type_value.get("name", "")).lower())), None)
    if issue_type is None:
        raise field_error(400, "issuetype", "The issue type selected is invalid.")
    properties = body.get("properties") or []
    for prop in properties:
        if not isinstance(prop, dict) or not prop.get("key") or "value" not in prop:
            raise JiraError(400, "Each issue property needs a key and a value.")
    update = body.get("update")
    if update:
        raise _not_on_screen(next(iter(update)) if isinstance(update, dict) else "update")
    issue = create_issue(req.db, project=project, issue_type_id=issue_type["id"], fields=fields,
                         reporter=str(req.caller()["account_id"]), now=req.now)
    for prop in properties:
        set_property(req.db, issue["id"], str(prop["key"]), prop["value"])
    return json_response(201, {"id": str(issue["id"]), "key": issue["key"],
                               "self": f"{req.site}/rest/api/3/issue/{issue['id']}"})


def _h_get_issue(req: JiraRequest) -> httpx.Response:
    issue = required_issue(req.db, req.match["issueIdOrKey"])
    chosen, _ = field_selection(req.params("fields"), "*all")
    expand = set(req.params("expand"))
    return json_response(200, issue_json(req.db, req.site, issue, fields=chosen,
                                         properties=req.params("properties"), expand=expand))


def _apply_update(req: JiraRequest, issue: sqlite3.Row, update: Any, target: dict[str, Any],
                  *, allowed: Sequence[str]) -> list[dict[str, Any]]:
    """`update` operations: labels add/remove/set, comment add (answered as comment bodies to add)."""
    comments: list[dict[str, Any]] = []
    if not update:
        return comments
    if not isinstance(update, dict):
        raise JiraError(400, "The 'update' of the request must be an object.")
    for name, operations in update.items():
        if not isinstance(operations, list):
            raise field_error(400, name, f"The operations on '{name}' must be a list.")
        if name == "comment":
            for op in operations:
                added = op.get("add") if isinstance(op, dict) else None
                if not isinstance(added, dict) or set(op) != {"add"}:
                    raise field_error(400, "comment", "Comments can only be added.")
                comments.append(_adf_field("comment", added.get("body")))
        elif name == "labels" and "labels" in allowed:
            labels: list[str] = list(target["data"].get("labels", []))
            for op in operations:
                for verb, value in (op.items() if isinstance(op, dict) else [("?", op)]):
                    if verb == "add":
                        labels = _labels([*labels, value])
                    elif verb == "remove":
                        labels = [x for x in labels if x != value]
                    elif verb == "set":
                        labels = _labels(value)
                    else:
                        raise field_error(400, "labels",
                                          f"The operation '{verb}' is not supported for labels.")
            target["data"]["labels"] = labels
        else:
            raise _not_on_screen(name)
    return comments


def _h_edit_issue(req: JiraRequest) -> httpx.Response:
    issue = required_issue(req.db, req.match["issueIdOrKey"])
    body = req.body if isinstance(req.body, dict) else {}
    target: dict[str, Any] = {"priority_id": issue["priority_id"], "reporter": issue["reporter"],
                              "data": from_json_col(issue["data"])}
    _set_fields(req.db, _fields_body(req), target)
    comments = _apply_update(req, issue, body.get("update"), target, allowed=("labels", "comment"))
    for prop in body.get("properties") or []:
        set_property(req.db, issue["id"], str(prop.get("key", "")), prop.get("value"))
    req.db.execute("UPDATE jira_issues SET priority_id = ?, reporter = ?, data = ? WHERE id = ?",
                   (target["priority_id"], target["reporter"], json_col(target["data"]), issue["id"]))
    author = str(req.caller()["account_id"])
    for comment in comments:
        add_comment(req.db, issue, body=comment, public=True, author=author, now=req.now)
    touch(req.db, issue["id"], req.now)
    if req.bool_param("returnIssue", False):
        fresh = required_issue(req.db, str(issue["id"]))
        return json_response(200, issue_json(req.db, req.site, fresh, fields=set(ALL_FIELDS)))
    return httpx.Response(204)


# ---- handlers: transitions ------------------------------------------------------------------------------


def _h_get_transitions(req: JiraRequest) -> httpx.Response:
    issue = required_issue(req.db, req.match["issueIdOrKey"])
    with_fields = "transitions.fields" in req.params("expand")
    wanted = req.param("transitionId")
    found = [t for t in available_transitions(req.db, issue) if not wanted or t.id == wanted]
    return json_response(200, {"expand": "transitions",
                               "transitions": [transition_json(req.db, req.site, t, with_fields=with_fields)
                                               for t in found]})


def _h_do_transition(req: JiraRequest) -> httpx.Response:
    issue = required_issue(req.db, req.match["issueIdOrKey"])
    body = req.body if isinstance(req.body, dict) else {}
    wanted = body.get("transition")
    tid = str(wanted.get("id", "")) if isinstance(wanted, dict) else ""
    if not tid:
        raise JiraError(400, "Missing 'transition' identifier")
    transition = next((t for t in available_transitions(req.db, issue) if t.id == tid), None)
    if transition is None:
        raise JiraError(400, f"Transition id '{tid}' is not valid for this issue.")
    target = status(req.db, transition.to)
    fields = _fields_body(req)
    resolution_id: str | None = None
    resolved_at: str | None = None
    for name in fields:
        if name != "resolution" or target.category != "done":
            raise _not_on_screen(name)
    if target.category == "done":
        if "resolution" in fields:
            resolution_id = str(resolution_row(req.db, fields["resolution"])["id"])
        elif transition.resolution is not None:
            resolution_id = str(resolution_row(req.db, transition.resolution)["id"])
        resolved_at = (issue["resolutiondate"] if status(req.db, issue["status_id"]).category == "done"
                       and issue["resolutiondate"] else stamp(req.now))
    scratch: dict[str, Any] = {"data": from_json_col(issue["data"])}
    comments = _apply_update(req, issue, body.get("update"), scratch, allowed=("comment",))
    req.db.execute("UPDATE jira_issues SET status_id = ?, resolution_id = ?, resolutiondate = ? WHERE id = ?",
                   (transition.to, resolution_id, resolved_at, issue["id"]))
    author = str(req.caller()["account_id"])
    for comment in comments:
        add_comment(req.db, issue, body=comment, public=True, author=author, now=req.now)
    touch(req.db, issue["id"], req.now)
    return httpx.Response(204)


# ---- handlers: comments ---------------------------------------------------------------------------------


def _h_get_comments(req: JiraRequest) -> httpx.Response:
    issue = required_issue(req.db, req.match["issueIdOrKey"])
    start = max(0, req.int_param("startAt", 0))
    size = req.int_param("maxResults", 100)
    if size < 0:
        raise JiraError(400, "The value of 'maxResults' must not be negative.")
    order = "DESC" if (req.param("orderBy") or "").startswith("-") else "ASC"
    rows = list(req.db.execute(f"SELECT * FROM jira_comments WHERE issue_id = ? ORDER BY created {order}, "
                               f"id {order}", (issue["id"],)))
    page = [comment_json(req.db, req.site, r) for r in rows[start:start + size]]
    return json_response(200, {"startAt": start, "maxResults": size, "total": len(rows), "comments": page})


def _h_add_comment(req: JiraRequest) -> httpx.Response:
    issue = required_issue(req.db, req.match["issueIdOrKey"])
    body = req.body if isinstance(req.body, dict) else {}
    doc = _adf_field("comment", body.get("body"))
    if not adf_to_text(doc).strip():
        raise field_error(400, "comment", "Comment body can not be empty!")
    internal = False
    for prop in body.get("properties") or []:
        if isinstance(prop, dict) and prop.get("key") == INTERNAL_COMMENT_PROPERTY:
            value = prop.get("value")
            internal = isinstance(value, dict) and value.get("internal") is True
    row = add_comment(req.db, issue, body=doc, public=not internal, author=str(req.caller()["account_id"]),
                      now=req.now, visibility=body.get("visibility"))
    return json_response(201, comment_json(req.db, req.site, row))


# ---- handlers: issue properties -------------------------------------------------------------------------


def _h_get_issue_property(req: JiraRequest) -> httpx.Response:
    issue = required_issue(req.db, req.match["issueIdOrKey"])
    key = req.match["propertyKey"]
    row = req.db.execute("SELECT value FROM jira_issue_properties WHERE issue_id = ? AND key = ?",
                         (issue["id"], key)).fetchone()
    if row is None:
        raise JiraError(404, f"The property with key '{key}' does not exist.")
    return json_response(200, {"key": key, "value": json.loads(row["value"])})


def _h_set_issue_property(req: JiraRequest) -> httpx.Response:
    issue = required_issue(req.db, req.match["issueIdOrKey"])
    created = set_property(req.db, issue["id"], req.match["propertyKey"], req.body)
    return httpx.Response(201 if created else 200)


def _h_delete_issue_property(req: JiraRequest) -> httpx.Response:
    issue = required_issue(req.db, req.match["issueIdOrKey"])
    key = req.match["propertyKey"]
    gone = req.db.execute("DELETE FROM jira_issue_properties WHERE issue_id = ? AND key = ?",
                          (issue["id"], key)).rowcount
    if not gone:
        raise JiraError(404, f"The property with key '{key}' does not exist.")
    return httpx.Response(204)


# ---- handlers: links, link types, priorities, projects ---------------------------------------------------


def _h_link_issues(req: JiraRequest) -> httpx.Response:
    body: dict[str, Any] = req.body
    wanted = body["type"]
    if wanted.get("id"):
        link_type = req.db.execute("SELECT * FROM jira_link_types WHERE id = ?",
                                   (str(wanted["id"]),)).fetchone()
    else:
        link_type = req.db.execute("SELECT * FROM jira_link_types WHERE name = ? COLLATE NOCASE",
                                   (str(wanted.get("name", "")),)).fetchone()
    if link_type is None:
        named = wanted.get("name") or wanted.get("id")
        raise JiraError(404, f"No issue link type with name '{named}' found.")
    ends: list[sqlite3.Row] = []
    for side in ("outwardIssue", "inwardIssue"):
        ref = body[side].get("key") or body[side].get("id")
        found = find_issue(req.db, str(ref)) if ref else None
        if found is None:
            raise JiraError(404, "Issue Does Not Exist")
        ends.append(found)
    source, destination = ends
    req.db.execute("INSERT OR IGNORE INTO jira_issue_links (id, type_id, outward_issue_id, inward_issue_id) "
                   "VALUES (?, ?, ?, ?)",
                   (next_seq(req.db, "jira_issue_link_id", start=10000), link_type["id"], source["id"],
                    destination["id"]))
    comment = body.get("comment")
    if isinstance(comment, dict) and comment.get("body") is not None:
        add_comment(req.db, source, body=_adf_field("comment", comment["body"]), public=True,
                    author=str(req.caller()["account_id"]), now=req.now, visibility=comment.get("visibility"))
    touch(req.db, source["id"], req.now)
    touch(req.db, destination["id"], req.now)
    return httpx.Response(201)


def _h_link_types(req: JiraRequest) -> httpx.Response:
    rows = req.db.execute("SELECT * FROM jira_link_types ORDER BY id")
    return json_response(200, {"issueLinkTypes": [link_type_json(req.site, r) for r in rows]})


def _h_priorities(req: JiraRequest) -> httpx.Response:
    rows = req.db.execute("SELECT * FROM jira_priorities ORDER BY seq")
    return json_response(200, [priority_json(req.site, r, full=True) for r in rows])


def _h_search_priorities(req: JiraRequest) -> httpx.Response:
    rows = list(req.db.execute("SELECT * FROM jira_priorities ORDER BY seq"))
    ids = req.params("id")
    if ids:
        rows = [r for r in rows if r["id"] in ids]
    projects = req.params("projectId")
    if projects and not all(req.db.execute("SELECT 1 FROM jira_projects WHERE id = ?", (p,)).fetchone()
                            for p in projects):
        rows = []  # a project id the site does not have: no priority scheme, no priorities
    name = (req.param("priorityName") or "").lower()
    if name:
        rows = [r for r in rows if name in str(r["name"]).lower()]
    if req.bool_param("onlyDefault", False):
        rows = [r for r in rows if r["id"] == DEFAULT_PRIORITY_ID]
    start = max(0, req.int_param("startAt", 0))
    size = req.int_param("maxResults", 50)
    if size < 1:
        raise JiraError(400, "The value of 'maxResults' must be positive.")
    page = rows[start:start + size]
    is_last = start + size >= len(rows)
    out: dict[str, Any] = {
        "self": str(req.request.url),
        "maxResults": size,
        "startAt": start,
        "total": len(rows),
        "isLast": is_last,
        "values": [priority_json(req.site, r, full=True) for r in page],
    }
    if not is_last:
        out["nextPage"] = f"{req.site}/rest/api/3/priority/search?startAt={start + size}&maxResults={size}"
    return json_response(200, out)


def _h_get_project(req: JiraRequest) -> httpx.Response:
    ref = req.match["projectIdOrKey"]
    project = project_row(req.db, ref)
    if project is None:
        raise JiraError(404, f"No project could be found with key '{ref}'.")
    out = project_json(req.site, project)
    out["issueTypes"] = [issue_type_json(req.site, t, details=False)
                         for t in project_issue_types(req.db, project)]
    return json_response(200, out)


_API = "/rest/api/3"
ROUTES: list[Route] = [
    ("POST", _API + "/issue", _h_create_issue),
    ("GET", _API + "/issue/{issueIdOrKey}", _h_get_issue),
    ("PUT", _API + "/issue/{issueIdOrKey}", _h_edit_issue),
    ("GET", _API + "/priority", _h_priorities),
    ("GET", _API + "/priority/search", _h_search_priorities),
    ("GET", _API + "/issue/{issueIdOrKey}/transitions", _h_get_transitions),
    ("POST", _API + "/issue/{issueIdOrKey}/transitions", _h_do_transition),
    ("GET", _API + "/issue/{issueIdOrKey}/comment", _h_get_comments),
    ("POST", _API + "/issue/{issueIdOrKey}/comment", _h_add_comment),
    ("GET", _API + "/issue/{issueIdOrKey}/properties/{propertyKey}", _h_get_issue_property),
    ("PUT", _API + "/issue/{issueIdOrKey}/properties/{propertyKey}", _h_set_issue_property),
    ("DELETE", _API + "/issue/{issueIdOrKey}/properties/{propertyKey}", _h_delete_issue_property),
    ("POST", _API + "/issueLink", _h_link_issues),
    ("GET", _API + "/issueLinkType", _h_link_types),
    ("GET", _API + "/project/{projectIdOrKey}", _h_get_project),
]
"""The platform issue operations (names as in specs/jira.json)."""


def counts(db: sqlite3.Connection) -> dict[str, int]:
    """For `oncall sandbox status`."""
    def count(table: str) -> int:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    return {"projects": count("jira_projects"), "issues": count("jira_issues"),
            "comments": count("jira_comments"), "issue_links": count("jira_issue_links"),
            "issue_properties": count("jira_issue_properties")}
