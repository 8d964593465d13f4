"""The JSM Incident API (beta) on the sandbox's API gateway (prefix `atlassian` = https://api.atlassian.com),
as the hand-transcribed specs/jsm-incidents.json describes it, over the Jira site's issues (jira_issues.py).

    GET  /jsm/incidents/cloudId/{cloudId}/v1/incident/{issueID}                   (experimental)
    GET  /jsm/incidents/cloudId/{cloudId}/v1/incident/{issueID}/responder         (experimental)
    POST /jsm/incidents/cloudId/{cloudId}/v1/incident/{issueID}/responder/add     (experimental) -> 200
    POST /jsm/incidents/cloudId/{cloudId}/v1/incident/{issueID}/stakeholder/add   -> 202

- `issueID` is the issue's numeric id (a key is a 400: the path parameter is an integer); the issue must be
  an incident (issue type `[System] Incident`), else 404.
- The docs mark Get incident, Get responders and Add responders "Experimental": without
  `X-ExperimentalApi: opt-in` they answer 412 "This API is experimental. ...", the message Atlassian gives on
  its service desk API (Add stakeholders is not marked: the header is not checked there; sending it does no
  harm).
- Bodies are `{"responders"|"stakeholders": [{"ari": "ari:cloud:identity::user/<accountId>"}]}`; a responder
  may also be a platform team (`ari:cloud:identity::team/<teamId>`). An ARI that is not an account (or team)
  of the site is a 400 naming it, and nothing is added. Adding someone twice is not an error.
- Errors are JSM's `{"errors": [{"title", "code"}]}` (jsm.py's shape); the gateway's own 401/404 answers are
  `{"code", "message"}`. Tables `jsm_incident_responders`, `jsm_incident_stakeholders`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from typing import Any

import httpx

from oncall_cli.sandbox.base import Ctx, from_json_col, json_response, next_seq, vendor_error
from oncall_cli.sandbox.jira_issues import (
    SANDBOX_INCIDENT_ISSUE_TYPE_ID,
    STATUS_CATEGORIES,
    find_issue,
    status,
)

API = "/jsm/incidents/cloudId/{cloudId}/v1"
_INCIDENT = API + "/incident/{issueID}"
EXPERIMENTAL_HEADER = "X-ExperimentalApi"
EXPERIMENTAL_MESSAGE = ("This API is experimental. Experimental APIs are not guaranteed to be stable within "
                        "the preview period. You must set the header 'X-ExperimentalApi: opt-in' to opt into "
                        "using this API.")
USER_ARI = "ari:cloud:identity::user/"
TEAM_ARI = "ari:cloud:identity::team/"
# The incident fields' custom field ids on the sandbox site (the docs' example: customfield_1000x).
FIELD_IDS = {"participants": "customfield_10040", "majorIncident": "customfield_10041",
             "responders": "customfield_10042", "affectedServices": "customfield_10043"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS jsm_incident_responders (issue_id INTEGER NOT NULL, ari TEXT NOT NULL,
    seq INTEGER NOT NULL, PRIMARY KEY (issue_id, ari));
CREATE TABLE IF NOT EXISTS jsm_incident_stakeholders (issue_id INTEGER NOT NULL, ari TEXT NOT NULL,
    seq INTEGER NOT NULL, PRIMARY KEY (issue_id, ari));
"""


class IncidentError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def create_schema(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


def _incident(db: sqlite3.Connection, match: dict[str, str]) -> sqlite3.Row:
    issue = find_issue(db, match["issueID"]) if match["issueID"].isdigit() else None
    if issue is None or issue["issue_type_id"] != SANDBOX_INCIDENT_ISSUE_TYPE_ID:
        raise IncidentError(404, f"Incident with issue id [{match['issueID']}] was not found")
    return issue


def _name(db: sqlite3.Connection, ari: str) -> tuple[str, str] | None:
    """(display name, type) of a user or team ARI of the site; None when it names no one."""
    if ari.startswith(USER_ARI):
        row = db.execute("SELECT data FROM jira_users WHERE account_id = ?",
                         (ari[len(USER_ARI):],)).fetchone()
        return (str(from_json_col(row["data"])["displayName"]), "user") if row is not None else None
    if ari.startswith(TEAM_ARI):
        row = db.execute("SELECT name FROM jira_teams WHERE id = ?", (ari[len(TEAM_ARI):],)).fetchone()
        return (str(row["name"]), "team") if row is not None else None
    return None


def _aris(db: sqlite3.Connection, body: Any, key: str, *, teams: bool) -> list[str]:
    aris = [str(item["ari"]) for item in body[key]]
    for ari in aris:
        if not re.match(r"^ari:cloud:identity::(user|team)/.+", ari):
            raise IncidentError(400, f"{key}: [{ari}] is not a valid ARI")
        found = _name(db, ari)
        if found is None or (found[1] == "team" and not teams):
            who = "user or team" if teams else "user"
            raise IncidentError(400, f"{key}: [{ari}] is not a {who} of this site")
    return list(dict.fromkeys(aris))


def _add(db: sqlite3.Connection, table: str, issue_id: int, aris: list[str]) -> None:
    for ari in aris:
        db.execute(f"INSERT OR IGNORE INTO {table} (issue_id, ari, seq) VALUES (?, ?, ?)",
                   (issue_id, ari, next_seq(db, table)))


def _responders(db: sqlite3.Connection, issue_id: int) -> list[str]:
    return [r["ari"] for r in db.execute(
        "SELECT ari FROM jsm_incident_responders WHERE issue_id = ? ORDER BY seq", (issue_id,))]


def _h_get_incident(ctx: Ctx, match: dict[str, str], body: Any) -> httpx.Response:
    issue = _incident(ctx.db, match)
    data = from_json_col(issue["data"])
    st = status(ctx.db, issue["status_id"])
    cat_id, cat_key, cat_name, _ = STATUS_CATEGORIES[st.category]
    prio = ctx.db.execute("SELECT id, name FROM jira_priorities WHERE id = ?",
                          (issue["priority_id"],)).fetchone()
    reporter = ctx.db.execute("SELECT account_id, data FROM jira_users WHERE account_id = ?",
                              (issue["reporter"],)).fetchone()
    responders = []
    for ari in _responders(ctx.db, issue["id"]):
        name, kind = _name(ctx.db, ari) or ("", "user")
        responders.append({"ari": ari, "name": name, "type": kind})
    out: dict[str, Any] = {
        "summary": data["summary"],
        "priority": {"name": prio["name"], "id": prio["id"]} if prio is not None else {},
        "status": {"id": st.id, "name": st.name, "statusCategory": {"id": cat_id, "key": cat_key,
                                                                     "name": cat_name}},
        "participants": {"fieldId": FIELD_IDS["participants"], "value": []},
        "majorIncident": {"fieldId": FIELD_IDS["majorIncident"], "value": None},
        "responders": {"fieldId": FIELD_IDS["responders"], "value": responders},
        "affectedServices": {"fieldId": FIELD_IDS["affectedServices"], "value": []},
    }
    if reporter is not None:
        out["reporter"] = {"accountId": reporter["account_id"], "accountType": "ATLASSIAN_ACCOUNT",
                           "displayName": from_json_col(reporter["data"])["displayName"]}
    return json_response(200, out)


def _h_get_responders(ctx: Ctx, match: dict[str, str], body: Any) -> httpx.Response:
    issue = _incident(ctx.db, match)
    return json_response(200, {"responders": [{"ari": a} for a in _responders(ctx.db, issue["id"])]})


def _h_add_responders(ctx: Ctx, match: dict[str, str], body: Any) -> httpx.Response:
    issue = _incident(ctx.db, match)
    _add(ctx.db, "jsm_incident_responders", issue["id"], _aris(ctx.db, body, "responders", teams=True))
    return httpx.Response(200)


def _h_add_stakeholders(ctx: Ctx, match: dict[str, str], body: Any) -> httpx.Response:
    issue = _incident(ctx.db, match)
    _add(ctx.db, "jsm_incident_stakeholders", issue["id"], _aris(ctx.db, body, "stakeholders", teams=False))
    return httpx.Response(202)


Handler = Callable[[Ctx, dict[str, str], Any], httpx.Response]
ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("GET", _INCIDENT, _h_get_incident, True),
    ("GET", _INCIDENT + "/responder", _h_get_responders, True),
    ("POST", _INCIDENT + "/responder/add", _h_add_responders, True),
    ("POST", _INCIDENT + "/stakeholder/add", _h_add_stakeholders, False),
]
"""(method, template, handler, experimental): names as in specs/jsm-incidents.json after its `/jsm/incidents`
base."""


def handle(ctx: Ctx, request: httpx.Request, handler: Handler, experimental: bool, match: dict[str, str],
           body: Any) -> httpx.Response:
    """Answer one incident API request (jsm.py has routed it and checked the cloud id)."""
    try:
        if experimental and request.headers.get(EXPERIMENTAL_HEADER, "").strip().lower() != "opt-in":
            raise IncidentError(412, EXPERIMENTAL_MESSAGE)
        return handler(ctx, match, body)
    except IncidentError as exc:
        return vendor_error("atlassian", exc.status, exc.message)


def counts(db: sqlite3.Connection) -> dict[str, int]:
    def count(table: str) -> int:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    return {"incident_responders": count("jsm_incident_responders"),
            "incident_stakeholders": count("jsm_incident_stakeholders")}
