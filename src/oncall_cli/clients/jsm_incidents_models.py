"""JSM Incident REST API (beta) wire models: the vendor's JSON shapes.

There is no spec file for this API (see `specs/jira/SOURCE.md`); the shapes follow Atlassian's reference,
https://developer.atlassian.com/cloud/incidents/rest/ (`IncidentDTO` of `GET .../incident/{issueID}`,
`RespondersDTO` of `GET .../incident/{issueID}/responder`). Incident fields that are Jira custom fields come
as `{"fieldId", "value"}`. Users and teams are named by ARI: `ari:cloud:identity::user/<accountId>`,
`ari:cloud:identity::team/<teamId>`. Field names mirror the vendor in snake_case with camelCase aliases;
unknown fields are ignored.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from oncall_cli.clients.jira_models import WireModel

USER_ARI_PREFIX = "ari:cloud:identity::user/"
TEAM_ARI_PREFIX = "ari:cloud:identity::team/"


def user_ari(account_id: str) -> str:
    """The identity ARI of an Atlassian account: `ari:cloud:identity::user/<accountId>`."""
    return USER_ARI_PREFIX + account_id


class IncidentResponder(WireModel):
    """`Responder`: a user or a team, by ARI (`name` and `type` are sent in `IncidentDTO` only)."""

    ari: str
    name: str | None = None
    type: str | None = None

    @property
    def account_id(self) -> str | None:
        """The account id of a user responder; None for a team."""
        return self.ari.removeprefix(USER_ARI_PREFIX) if self.ari.startswith(USER_ARI_PREFIX) else None

    @property
    def team_id(self) -> str | None:
        return self.ari.removeprefix(TEAM_ARI_PREFIX) if self.ari.startswith(TEAM_ARI_PREFIX) else None


class IncidentUser(WireModel):
    """The incident's `reporter`."""

    account_id: str | None = None
    account_type: str | None = None
    display_name: str | None = None


class IncidentPriority(WireModel):
    id: str | None = None
    name: str | None = None


class IncidentStatusCategory(WireModel):
    id: int | None = None
    key: str | None = None
    name: str | None = None


class IncidentStatus(WireModel):
    id: str | None = None
    name: str | None = None
    status_category: IncidentStatusCategory | None = None


class RespondersField(WireModel):
    """`{"fieldId": "customfield_...", "value": [responder, ...]}`."""

    field_id: str | None = None
    value: list[IncidentResponder] | None = None


class IncidentField(WireModel):
    """Any other custom-field-backed incident field: `{"fieldId", "value"}` with a raw value."""

    field_id: str | None = None
    value: Any = None


class Incident(WireModel):
    """`IncidentDTO`: the incident's summary, reporter, priority, status and its incident fields."""

    summary: str | None = None
    reporter: IncidentUser | None = None
    priority: IncidentPriority | None = None
    status: IncidentStatus | None = None
    responders: RespondersField | None = None
    participants: IncidentField | None = None
    major_incident: IncidentField | None = None
    affected_services: IncidentField | None = None

    @property
    def responder_list(self) -> list[IncidentResponder]:
        return list(self.responders.value or []) if self.responders is not None else []


class Responders(WireModel):
    """`RespondersDTO`."""

    responders: list[IncidentResponder] = Field(default_factory=list)


__all__ = [
    "Incident",
    "IncidentField",
    "IncidentPriority",
    "IncidentResponder",
    "IncidentStatus",
    "IncidentStatusCategory",
    "IncidentUser",
    "Responders",
    "RespondersField",
    "user_ari",
]
