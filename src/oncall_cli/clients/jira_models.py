"""Jira platform (and Atlassian Teams public API) wire models: the vendor's JSON shapes.

Users come from `specs/jira/jira-platform.v3.json` (`User`, `PageBeanUser`); team memberships from the
Atlassian Teams public REST API (not in the vendored specs; see the `jira` module docstring). Field names
mirror the vendor in snake_case with camelCase aliases; unknown fields are ignored. These are not our `--json`
output contract (that lives in `services/`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """Base of every Jira model: camelCase on the wire, snake_case in Python, extra fields ignored."""

    # defer_build: each model's validator is built when first used, not when a command imports them all.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )


class JiraUser(WireModel):
    """`User`. Privacy settings may hide `emailAddress` (and the time zone, which then falls back to the
    site's default); `accountType` is `atlassian`, `app`, `customer` or `unknown`."""

    account_id: str
    account_type: str | None = None
    email_address: str | None = None
    display_name: str | None = None
    time_zone: str | None = None
    locale: str | None = None
    active: bool | None = None


class UserPage(WireModel):
    """`PageBeanUser`: one page of `GET /rest/api/3/user/bulk`."""

    values: list[JiraUser] = Field(default_factory=list)
    start_at: int | None = None
    max_results: int | None = None
    total: int | None = None
    is_last: bool | None = None


class TeamMember(WireModel):
    """`PublicApiMembership`: a team member, by account id."""

    account_id: str


class PageInfo(WireModel):
    """`PublicApiPageInfoAccountId`: Relay-style cursor paging."""

    has_next_page: bool = False
    end_cursor: str | None = None


class TeamMemberPage(WireModel):
    """`PublicApiFetchResponsePublicApiMembershipAccountId`: one page of a team's members."""

    results: list[TeamMember] = Field(default_factory=list)
    page_info: PageInfo = Field(default_factory=PageInfo)


class TeamMembershipError(WireModel):
    """`PublicApiMembershipCodedError`: why one account could not be added or removed."""

    account_id: str | None = None
    code: str | None = None
    message: str | None = None


class TeamMembershipResult(WireModel):
    """`PublicApiMembershipAddResponse` / `PublicApiMembershipRemoveResponse`, merged over every request.

    The API answers 200 even when only some accounts were changed: `errors` names the ones that were not.
    `members` (accounts added) is only sent by the add operation.
    """

    members: list[TeamMember] = Field(default_factory=list)
    errors: list[TeamMembershipError] = Field(default_factory=list)

    @property
    def failed_account_ids(self) -> list[str]:
        return [e.account_id for e in self.errors if e.account_id]


__all__ = [
    "JiraUser",
    "PageInfo",
    "TeamMember",
    "TeamMemberPage",
    "TeamMembershipError",
    "TeamMembershipResult",
    "UserPage",
    "WireModel",
]
