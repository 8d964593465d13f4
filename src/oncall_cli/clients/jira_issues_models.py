"""Jira work items (issues) and Jira Service Management requests: the vendors' JSON shapes, and Atlassian
Document Format (ADF) in and out.

Platform shapes come from `specs/jira/jira-platform.v3.json` (`IssueBean`, `StatusDetails`,
`IssueTransition`, `Comment`, `IssueLink`, `Project`, ...), service desk shapes from
`specs/jira/jsm-servicedesk.v3.json` (`ServiceDeskDTO`, `RequestTypeDTO`, `CustomerRequestDTO`, `CommentDTO`,
`DateDTO`); the schema name is given in each docstring. Field names mirror the vendor in snake_case with
camelCase aliases; unknown fields are ignored. Jira's own field ids are single lower-case words
(`resolutiondate`, `issuelinks`, `issuetype`) and keep their names. These are not our `--json` output
contract (that lives in `services/`).

The two comment APIs differ on the wire: the service desk's `CommentDTO` has a plain-text `body`, a `public`
flag and a `DateDTO` `created`; the platform's `Comment` has an ADF `body`, a `jsdPublic` flag and an ISO
`created`. They are two models, `RequestComment` and `IssueComment`, with the same `text`, `public` and
`created_at` properties.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from oncall_cli.clients.jira_models import WireModel

# --- Atlassian Document Format --------------------------------------------------------------------------

_BLOCK_SEPARATOR = "\n\n"


def adf(text: str) -> dict[str, Any]:
    """Plain text as an ADF document: a blank line starts a paragraph, a single newline is a hard break.

    Jira's v3 `description`, multi-line text fields and platform comment bodies take ADF, not strings. ADF
    forbids empty text nodes, so empty lines and an empty text produce none (`adf("")` is an empty document).
    """
    paragraphs: list[dict[str, Any]] = []
    for block in text.replace("\r\n", "\n").split(_BLOCK_SEPARATOR):
        content: list[dict[str, Any]] = []
        for number, line in enumerate(block.split("\n")):
            if number:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        while content and content[0]["type"] == "hardBreak":
            content.pop(0)
        while content and content[-1]["type"] == "hardBreak":
            content.pop()
        if content:
            paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}


_INLINE_TEXT_ATTRS = {"mention": "text", "emoji": "text", "status": "text", "date": "timestamp"}
_LIST_MARK = {"bulletList": "- ", "orderedList": "1. ", "taskList": "[ ] "}


def adf_text(document: Any) -> str:
    """ADF (a document or any node) as plain text: the inverse of `adf` for what `adf` writes, and a readable
    rendering of the rest (lists as `- item`, mentions and emoji by their text, cards by their URL).

    A plain string (API v2, or a service desk field) is returned as it is; None gives "".
    """
    if document is None:
        return ""
    if isinstance(document, str):
        return document
    if isinstance(document, list):
        return _BLOCK_SEPARATOR.join(t for t in (adf_text(node) for node in document) if t)
    if not isinstance(document, dict):
        return str(document)
    kind = document.get("type")
    raw_attrs = document.get("attrs")
    attrs: dict[str, Any] = raw_attrs if isinstance(raw_attrs, dict) else {}
    raw_children = document.get("content")
    children: list[Any] = raw_children if isinstance(raw_children, list) else []
    if kind == "text":
        return str(document.get("text") or "")
    if kind == "hardBreak":
        return "\n"
    if kind in _INLINE_TEXT_ATTRS:
        return str(attrs.get(_INLINE_TEXT_ATTRS[kind]) or attrs.get("shortName") or "")
    if kind in ("inlineCard", "blockCard", "embedCard"):
        return str(attrs.get("url") or "")
    if kind == "rule":
        return "---"
    if kind in _LIST_MARK:
        mark = _LIST_MARK[kind]
        return "\n".join(mark + adf_text(item).replace("\n", "\n  ") for item in children)
    if kind in ("paragraph", "heading", "codeBlock"):
        return "".join(adf_text(node) for node in children)
    # doc, blockquote, panel, listItem, table cells, expand, ...: blocks one under another.
    return _BLOCK_SEPARATOR.join(t for t in (adf_text(node) for node in children) if t)


# --- service desk (JSM) ---------------------------------------------------------------------------------


class ServiceDesk(WireModel):
    """`ServiceDeskDTO`: a service desk and the Jira project behind it."""

    id: str
    project_id: str | None = None
    project_key: str
    project_name: str | None = None
    project_type_key: str | None = None


class RequestType(WireModel):
    """`RequestTypeDTO`: a request type of a service desk; `issue_type_id` is the issue type it creates."""

    id: str
    name: str
    description: str | None = None
    issue_type_id: str | None = None
    service_desk_id: str | None = None


class ServiceDeskDate(WireModel):
    """`DateDTO`: one instant in several renderings (`iso8601` like `2015-10-08T14:42:00+0700`)."""

    iso8601: datetime | None = None
    jira: str | None = None
    friendly: str | None = None
    epoch_millis: int | None = None


class CreatedRequest(WireModel):
    """`CustomerRequestDTO`, the answer of `POST /rest/servicedeskapi/request`: the issue it created."""

    issue_id: str
    issue_key: str
    request_type_id: str | None = None
    service_desk_id: str | None = None
    summary: str | None = None
    created_date: ServiceDeskDate | None = None


class RequestComment(WireModel):
    """`CommentDTO`: a service desk comment; `body` is plain text (wiki markup), `public` false = internal."""

    id: str
    body: str = ""
    public: bool | None = None
    created: ServiceDeskDate | None = None

    @property
    def text(self) -> str:
        return self.body

    @property
    def created_at(self) -> datetime | None:
        return self.created.iso8601 if self.created is not None else None


class ServiceDeskPage(WireModel):
    """`PagedDTO...`: one page of a service desk list (`start`/`limit`, ends at `isLastPage`)."""

    values: list[Any] = Field(default_factory=list)
    start: int | None = None
    limit: int | None = None
    size: int | None = None
    is_last_page: bool = True


# --- platform: issues -----------------------------------------------------------------------------------


class StatusCategory(WireModel):
    """`StatusCategory`: `key` is `new`, `indeterminate` (in progress), `done` or `undefined`."""

    id: int | None = None
    key: str | None = None
    name: str | None = None


class Status(WireModel):
    """`StatusDetails`: a workflow status and its category."""

    id: str | None = None
    name: str | None = None
    status_category: StatusCategory | None = None

    @property
    def category_key(self) -> str:
        """The category's key (`new`, `indeterminate`, `done`), `undefined` when Jira gave none."""
        if self.status_category is not None and self.status_category.key:
            return self.status_category.key
        return "undefined"


class Priority(WireModel):
    """`Priority`: an issue priority of the site."""

    id: str
    name: str
    description: str | None = None


class IssueType(WireModel):
    """`IssueTypeDetails`."""

    id: str
    name: str
    subtask: bool | None = None
    hierarchy_level: int | None = None


class Resolution(WireModel):
    """`Resolution`: why a done issue is done (`Done`, `Won't Do`, ...)."""

    id: str | None = None
    name: str | None = None


class IssueLinkType(WireModel):
    """`IssueLinkType`: `name` is what `POST /issueLink` takes; `inward`/`outward` label the two ends."""

    id: str | None = None
    name: str
    inward: str | None = None
    outward: str | None = None


class LinkedIssueFields(WireModel):
    """`Fields`: the few fields Jira includes for the other end of an issue link."""

    summary: str | None = None
    status: Status | None = None
    priority: Priority | None = None
    issuetype: IssueType | None = None


class LinkedIssue(WireModel):
    """`LinkedIssue`: the other end of an issue link."""

    id: str | None = None
    key: str | None = None
    fields: LinkedIssueFields = Field(default_factory=LinkedIssueFields)


class IssueLink(WireModel):
    """`IssueLink` as found in an issue's `issuelinks` field: exactly one of `inward_issue` (this issue is the
    outward end) and `outward_issue` (this issue is the inward end) is set."""

    id: str | None = None
    type: IssueLinkType
    inward_issue: LinkedIssue | None = None
    outward_issue: LinkedIssue | None = None


class IssueFields(WireModel):
    """`IssueBean.fields`: only the fields asked for are present. Known ones are typed; any other requested
    field (a `customfield_...`) is kept as raw JSON and read with `other(field_id)`.

    `description` is ADF (read `description_text` for plain text).
    """

    model_config = ConfigDict(extra="allow")

    summary: str | None = None
    description: Any = None
    status: Status | None = None
    priority: Priority | None = None
    issuetype: IssueType | None = None
    resolution: Resolution | None = None
    created: datetime | None = None
    updated: datetime | None = None
    resolutiondate: datetime | None = None
    labels: list[str] = Field(default_factory=list)
    issuelinks: list[IssueLink] = Field(default_factory=list)

    @property
    def description_text(self) -> str | None:
        """The description as plain text, None when the issue has none."""
        if self.description is None:
            return None
        return adf_text(self.description)

    def other(self, field_id: str) -> Any:
        """A requested field that has no typed attribute (a custom field), as raw JSON; None when absent."""
        return (self.model_extra or {}).get(field_id)


class Issue(WireModel):
    """`IssueBean`: `properties` holds the issue properties asked for by key (absent ones are missing)."""

    id: str
    key: str
    fields: IssueFields = Field(default_factory=IssueFields)
    properties: dict[str, Any] = Field(default_factory=dict)


class CreatedIssue(WireModel):
    """`CreatedIssue`: the answer of `POST /rest/api/3/issue`."""

    id: str
    key: str


class Transition(WireModel):
    """`IssueTransition`: a move the workflow offers from the issue's current status.

    `fields` (the transition screen's fields, present with `expand=transitions.fields`) says what may be set
    while moving: a resolution can only be sent when `has_resolution`.
    """

    id: str
    name: str | None = None
    to: Status | None = None
    has_screen: bool | None = None
    is_available: bool | None = None
    is_conditional: bool | None = None
    is_global: bool | None = None
    fields: dict[str, Any] = Field(default_factory=dict)

    @property
    def to_name(self) -> str | None:
        return self.to.name if self.to is not None else None

    @property
    def to_category(self) -> str:
        """The status category of the target status (`new`, `indeterminate`, `done`; `undefined`)."""
        return self.to.category_key if self.to is not None else "undefined"

    @property
    def has_resolution(self) -> bool:
        return "resolution" in self.fields


class IssueComment(WireModel):
    """`Comment` of the platform API: `body` is ADF; `jsd_public` is false for a service desk internal
    note."""

    id: str
    body: Any = None
    created: datetime | None = None
    updated: datetime | None = None
    jsd_public: bool | None = None

    @property
    def text(self) -> str:
        return adf_text(self.body)

    @property
    def public(self) -> bool | None:
        return self.jsd_public

    @property
    def created_at(self) -> datetime | None:
        return self.created


class Project(WireModel):
    """`Project`: `issue_types` are included by default."""

    id: str
    key: str
    name: str | None = None
    project_type_key: str | None = None
    issue_types: list[IssueType] = Field(default_factory=list)

    def issue_type(self, name_or_id: str) -> IssueType | None:
        """The project's issue type with this id or name (names compared case-insensitively)."""
        wanted = name_or_id.casefold()
        return next((t for t in self.issue_types if t.id == name_or_id or t.name.casefold() == wanted), None)


# --- platform: pages ------------------------------------------------------------------------------------


class SearchPage(WireModel):
    """`SearchAndReconcileResults`: one page of `GET /rest/api/3/search/jql`; the last page has no
    `nextPageToken`."""

    issues: list[Issue] = Field(default_factory=list)
    next_page_token: str | None = None
    is_last: bool | None = None


class PriorityPage(WireModel):
    """`PageBeanPriority`: one page of `GET /rest/api/3/priority/search`."""

    values: list[Priority] = Field(default_factory=list)
    start_at: int | None = None
    max_results: int | None = None
    total: int | None = None
    is_last: bool | None = None


class CommentPage(WireModel):
    """`PageOfComments`: one page of `GET /rest/api/3/issue/{key}/comment` (no `isLast`: count to `total`)."""

    comments: list[IssueComment] = Field(default_factory=list)
    start_at: int | None = None
    max_results: int | None = None
    total: int | None = None


class Transitions(WireModel):
    """`Transitions`."""

    transitions: list[Transition] = Field(default_factory=list)


class IssueLinkTypes(WireModel):
    """`IssueLinkTypes`."""

    issue_link_types: list[IssueLinkType] = Field(default_factory=list)


__all__ = [
    "CommentPage",
    "CreatedIssue",
    "CreatedRequest",
    "Issue",
    "IssueComment",
    "IssueFields",
    "IssueLink",
    "IssueLinkType",
    "IssueLinkTypes",
    "IssueType",
    "LinkedIssue",
    "LinkedIssueFields",
    "Priority",
    "PriorityPage",
    "Project",
    "RequestComment",
    "RequestType",
    "Resolution",
    "SearchPage",
    "ServiceDesk",
    "ServiceDeskDate",
    "ServiceDeskPage",
    "Status",
    "StatusCategory",
    "Transition",
    "Transitions",
    "adf",
    "adf_text",
]
