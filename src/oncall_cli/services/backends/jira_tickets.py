"""Follow-up tickets in Jira: the `Tickets` port over the Jira issue client.

It needs only the Jira site (`jira.url`) and the JSM credential, so a team whose incidents are still in
Opsgenie files its follow-ups in Jira too. A ticket is linked to its incident by the incident tracker
(`IncidentTracker.link_followup`): an issue link on JSM, the incident's details on Opsgenie.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from oncall_cli.errors import NotFoundError
from oncall_cli.services.ports import Ticket

if TYPE_CHECKING:
    from oncall_cli.clients.jira_issues import JiraIssuesClient
    from oncall_cli.clients.jira_issues_models import Issue

FIELDS = ("summary", "status", "created", "issuetype")


class JiraTickets:
    """Tickets of any Jira project of the site."""

    def __init__(self, issues: JiraIssuesClient, *, site: str) -> None:
        self.issues = issues
        self.site = site.rstrip("/")

    def _ticket(self, issue: Issue) -> Ticket:
        status = issue.fields.status
        return Ticket(
            key=issue.key,
            url=f"{self.site}/browse/{issue.key}",
            summary=issue.fields.summary or "",
            status=(status.name or "") if status is not None else "",
            done=status is not None and status.category_key == "done",
        )

    def check(self, project: str, issue_type: str) -> None:
        """NotFoundError naming `--project` or `--type` when the site has no such project or type."""
        try:
            found = self.issues.get_project(key=project)
        except NotFoundError as exc:
            raise NotFoundError(
                f"--project: the Jira site has no project {project!r}", details=exc.details
            ) from exc
        if found.issue_type(issue_type) is None:
            known = ", ".join(t.name for t in found.issue_types) or "none"
            raise NotFoundError(
                f"--type: project {project} has no issue type {issue_type!r} (types: {known})"
            )

    def get(self, key: str) -> Ticket:
        return self._ticket(self.issues.get_issue(key=key, fields=FIELDS))

    def find(self, project: str, summary: str, since: datetime | None) -> Ticket | None:
        """A ticket of `project` with exactly this summary created since `since`: what an interrupted
        earlier run created before it could link it."""
        jql = f'project = {project} AND summary ~ "{_quoted(summary)}"'
        if since is not None:
            jql += f" AND created >= {int(since.timestamp() * 1000)}"
        for issue in self.issues.search(jql=jql + " ORDER BY created ASC", fields=FIELDS):
            if (issue.fields.summary or "").strip() == summary.strip():
                return self._ticket(issue)
        return None

    def create(self, project: str, issue_type: str, summary: str, description: str) -> Ticket:
        created = self.issues.create_issue(
            project_key=project, issue_type=issue_type, summary=summary, description=description
        )
        return self.get(created.key)


def _quoted(text: str) -> str:
    """Text for a JQL `~` search: quotes and backslashes escaped, Lucene's special characters dropped."""
    kept = "".join(" " if c in '+-&|!(){}[]^~*?:/' else c for c in text)
    return kept.replace("\\", "\\\\").replace('"', '\\"')
