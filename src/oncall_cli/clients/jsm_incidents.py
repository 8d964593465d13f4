"""Typed client of the Jira Service Management Incident REST API (beta): an incident's details, responders and
stakeholders, one method per vendor operation over the shared HTTP seam.

Every path is `{base_url}/jsm/incidents/cloudId/{cloudId}/v1/...` on the Atlassian API gateway
(`https://api.atlassian.com`); `issueID` is the incident's numeric Jira issue id (`10002`, not `ITSM-30`).
Auth is HTTP Basic `email:api_token`, the same credential as the Jira site.

There is no spec file for this API; it was built from `specs/jira/SOURCE.md` and checked against Atlassian's
reference, https://developer.atlassian.com/cloud/incidents/rest/ ("Incident", "Responders", "Stakeholders"):
- `GET .../incident/{issueID}` answers `IncidentDTO`; `GET .../incident/{issueID}/responder` answers
  `{"responders": [{"ari"}]}`;
- `POST .../incident/{issueID}/responder/add` takes `{"responders": [{"ari"}]}`, `POST
  .../incident/{issueID}/stakeholder/add` takes `{"stakeholders": [{"ari"}]}`; users are
  `ari:cloud:identity::user/<accountId>`; neither answer has a body we need.
- Methods the reference marks *Experimental* only run with the header `X-ExperimentalApi: opt-in` (the
  reference: "Once a resource or method moves out of the experimental phase, the header will no longer be
  required or checked"). Get incident, get responders and add responders are marked so. The stakeholders
  page as we could read it shows no mark either way; the header is sent there too, since it is ignored where
  it is not required and its absence on an experimental method is refused (`EXPERIMENTAL`, below).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

import httpx

from oncall_cli.clients._atlassian import atlassian_service, json_of, parse, require_cloud_id
from oncall_cli.clients._http import Runtime
from oncall_cli.clients.jira_issues import jira_issues_error_text
from oncall_cli.clients.jsm_incidents_models import Incident, IncidentResponder, Responders, user_ari
from oncall_cli.errors import UsageError

DEFAULT_BASE_URL = "https://api.atlassian.com"
DOCS = "https://developer.atlassian.com/cloud/incidents/rest/"
EXPERIMENTAL_HEADER = "X-ExperimentalApi"
EXPERIMENTAL: Mapping[str, bool] = {
    "get_incident": True,
    "list_responders": True,
    "add_responders": True,
    "add_stakeholders": True,  # not legible in the reference; harmless when not required
}
"""Which methods send `X-ExperimentalApi: opt-in`."""
SERVICE = "JSM"


def _issue_id(issue_id: str) -> str:
    """The numeric issue id as a path segment; a key like `ITSM-30` is refused, the API wants the id."""
    text = str(issue_id).strip()
    if not text.isdigit():
        raise UsageError(
            f"The JSM Incident API takes the numeric Jira issue id, not {issue_id!r}",
            hint="Read the id from the issue (`Issue.id`, e.g. 10002), not its key.",
        )
    return text


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


class JsmIncidentsClient:
    """The JSM Incident REST API of one Atlassian site (`cloud_id`), over an injected `httpx.Client`."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        email: str,
        api_token: str,
        base_url: str = DEFAULT_BASE_URL,
        cloud_id: str,
        runtime: Runtime | None = None,
    ) -> None:
        self._cloud_id = cloud_id
        self.http = atlassian_service(
            http,
            name=SERVICE,
            email=email,
            api_token=api_token,
            base_url=base_url.rstrip("/") + "/jsm/incidents/cloudId",
            runtime=runtime,
            error_text=jira_issues_error_text,
        )

    # --- plumbing ------------------------------------------------------------------------------------

    @property
    def cloud_id(self) -> str:
        """The site's cloud id; every operation needs it."""
        return require_cloud_id(self._cloud_id, "the JSM Incident API")

    def _path(self, issue_id: str, *segments: str) -> str:
        return "/".join([quote(self.cloud_id, safe=""), "v1", "incident", _issue_id(issue_id), *segments])

    @staticmethod
    def _headers(method: str) -> dict[str, str]:
        """`X-ExperimentalApi: opt-in` on the operations the docs mark experimental."""
        return {EXPERIMENTAL_HEADER: "opt-in"} if EXPERIMENTAL[method] else {}

    # --- incidents -----------------------------------------------------------------------------------

    def get_incident(self, *, issue_id: str) -> Incident:
        """GET /jsm/incidents/cloudId/{cloudId}/v1/incident/{issueID} — the incident's summary, reporter,
        priority, status and incident fields, responders included (`IncidentDTO`; experimental)."""
        response = self.http.request("GET", self._path(issue_id), headers=self._headers("get_incident"))
        return parse(Incident, json_of(response, SERVICE), "incident", SERVICE)

    def list_responders(self, *, issue_id: str) -> list[IncidentResponder]:
        """GET /jsm/incidents/cloudId/{cloudId}/v1/incident/{issueID}/responder — the incident's user and team
        responders by ARI (`RespondersDTO`; experimental)."""
        response = self.http.request(
            "GET", self._path(issue_id, "responder"), headers=self._headers("list_responders")
        )
        return parse(Responders, json_of(response, SERVICE), "responders", SERVICE).responders

    def add_responders(self, *, issue_id: str, account_ids: Sequence[str]) -> None:
        """POST /jsm/incidents/cloudId/{cloudId}/v1/incident/{issueID}/responder/add
        `{"responders": [{"ari": "ari:cloud:identity::user/<accountId>"}]}` — page people as responders
        (experimental). Account ids are de-duplicated; nothing is sent for an empty list."""
        self._add("add_responders", issue_id, "responder", "responders", account_ids)

    def add_stakeholders(self, *, issue_id: str, account_ids: Sequence[str]) -> None:
        """POST /jsm/incidents/cloudId/{cloudId}/v1/incident/{issueID}/stakeholder/add
        `{"stakeholders": [{"ari": "ari:cloud:identity::user/<accountId>"}]}` — keep people informed as
        stakeholders. Account ids are de-duplicated; nothing is sent for an empty list."""
        self._add("add_stakeholders", issue_id, "stakeholder", "stakeholders", account_ids)

    def _add(self, method: str, issue_id: str, resource: str, key: str, account_ids: Sequence[str]) -> None:
        path = self._path(issue_id, resource, "add")
        accounts = _unique(account_ids)
        if not accounts:
            return
        body = {key: [{"ari": user_ari(account_id)} for account_id in accounts]}
        self.http.request("POST", path, json=body, headers=self._headers(method))


__all__ = [
    "DEFAULT_BASE_URL",
    "EXPERIMENTAL",
    "EXPERIMENTAL_HEADER",
    "JsmIncidentsClient",
]
