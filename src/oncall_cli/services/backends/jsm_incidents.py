"""The Jira Service Management incident tracker: incidents are Jira work items of the incident type.

The only module above the clients that imports the Jira issue and JSM Incident API clients. JSM's
specifics stop here:
- an incident is raised through the service desk (`jsm.service_desk`, its request type `jsm.incident_type`),
  its number is the issue key (`ITSM-30`; `itsm-30` and `30` are read as the same);
- P1-P5 are the site's priority names of `jsm.priorities` (set with the platform API after the request,
  since a request type's form may not offer the priority field);
- statuses move by the workflow's transitions, discovered at run time: `start_work` to the in-progress
  category (the playbook's FIXING), `resolve` to a done status, `close` to a canceled one where it exists;
- timeline notes are internal comments (a past time is written at the start, Jira has no back-dated
  comments);
- responders and stakeholders go through the JSM Incident API (beta), by accountId;
- the workflow's links live in one issue property, `oncall`, and the raising run's id is also written at
  the end of the description, which the create request sets atomically, so `resume` finds the incident
  even when a crash came between the create and the property.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oncall_cli.errors import ConfigError, NotFoundError, RejectedError, UsageError
from oncall_cli.services.backends._backdated import backdated, stated_time, strip_time
from oncall_cli.services.ports import (
    RESPONDER_ADDED,
    Alerts,
    Ticket,
    TimelineItem,
    TrackedIncident,
    record,
)

if TYPE_CHECKING:
    from oncall_cli.clients.jira_issues import JiraIssuesClient
    from oncall_cli.clients.jira_issues_models import Issue, Transition
    from oncall_cli.clients.jsm_incidents import JsmIncidentsClient
    from oncall_cli.services.backends.jsm import JsmDirectory

SERVICE = "Jira Service Management"
LINKS_PROPERTY = "oncall"
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
RUN_MARKER = "Raised with oncall, run "
_RUN = re.compile(re.escape(RUN_MARKER) + r"([A-Za-z0-9_-]+)")
_RUN_LINE = re.compile(r"\n*" + re.escape(RUN_MARKER) + r"[A-Za-z0-9_-]+\s*$")
_CANCELED = re.compile(r"cancel", re.IGNORECASE)
FIELDS = (
    "summary", "description", "status", "priority", "created", "updated", "resolutiondate", "issuetype",
    "resolution",
)


class JsmIncidents:
    """Incidents as Jira work items of one service desk's incident request type."""

    service = SERVICE
    tracks_work = True

    def __init__(
        self,
        issues: JiraIssuesClient,
        incidents: JsmIncidentsClient,
        people: JsmDirectory,
        *,
        site: str,
        service_desk: str,
        incident_type: str,
        priorities: str,
        timezone: str,
        alerts: Callable[[], Alerts] | None = None,
    ) -> None:
        self.issues = issues
        self.alerts = alerts
        """The JSM Operations alerts, for `close_alerts` (built only when an incident links one)."""
        self.api = incidents
        self.people = people
        self.site = site.rstrip("/")
        self.service_desk_setting = service_desk.strip()
        self.incident_type = incident_type.strip() or "Incident"
        self.priority_names = dict(zip(PRIORITIES, (p.strip() for p in priorities.split(",")), strict=True))
        self.timezone = timezone
        self._desk: tuple[str, str] | None = None
        """(serviceDeskId, projectKey)"""
        self._request_type: tuple[str, str] | None = None
        """(requestTypeId, issueTypeId)"""
        self._key_by_id: dict[str, str] = {}
        self._priorities_checked = False
        self._lock = threading.RLock()
        self._read: dict[str, Issue] = {}
        """Issues as read in this run (by key), until a transition changes them."""
        self._transitions: dict[str, list[Transition]] = {}
        """Transitions read by `check_can` (by key), for the move that follows it."""

    # ---- the service desk, its incident request type, the priorities -----------------------------------

    def _service_desk(self) -> tuple[str, str]:
        with self._lock:  # the checks before a raise run at once: look it up once
            return self._look_up_service_desk()

    def _look_up_service_desk(self) -> tuple[str, str]:
        if self._desk is None:
            desks = self.issues.list_service_desks()
            wanted = self.service_desk_setting.casefold()
            found = [
                d for d in desks
                if not wanted or wanted in (d.project_key.casefold(), (d.project_name or "").casefold())
            ]
            if len(found) != 1:
                known = ", ".join(f"{d.project_key} ({d.project_name})" for d in desks) or "none"
                what = "no service desk" if not found else "several service desks"
                raise ConfigError(
                    f"jsm.service_desk: {what} match {self.service_desk_setting or '(not set)'!r}; "
                    f"service desks: {known}",
                    hint="oncall config set jsm.service_desk <project key>",
                )
            self._desk = (found[0].id, found[0].project_key)
        return self._desk

    @property
    def project_key(self) -> str:
        return self._service_desk()[1]

    def _incident_request_type(self) -> tuple[str, str]:
        with self._lock:
            return self._look_up_request_type()

    def _look_up_request_type(self) -> tuple[str, str]:
        if self._request_type is None:
            desk_id, key = self._service_desk()
            types = self.issues.list_request_types(service_desk_id=desk_id)
            found = [t for t in types if t.name.casefold() == self.incident_type.casefold()]
            if not found:
                known = ", ".join(t.name for t in types) or "none"
                raise ConfigError(
                    f"jsm.incident_type: the service desk {key} has no request type {self.incident_type!r} "
                    f"(request types: {known})",
                    hint="oncall config set jsm.incident_type <name>",
                )
            self._request_type = (found[0].id, found[0].issue_type_id or "")
        return self._request_type

    def _priority_name(self, priority: str) -> str:
        return self.priority_names[priority.upper()]

    def _check_priorities(self) -> None:
        names = {p.name for p in self.issues.list_priorities()}
        missing = [n for n in self.priority_names.values() if n not in names]
        if missing:
            raise ConfigError(
                f"jsm.priorities: the site has no priority {', '.join(map(repr, missing))} "
                f"(priorities: {', '.join(sorted(names)) or 'none'})",
                hint="oncall config set jsm.priorities Highest,High,Medium,Low,Lowest (P1 to P5)",
            )

    def check_service(self, name: str | None) -> tuple[str, str]:
        """The incident request type (`--service` names an Opsgenie service, which has no meaning here); the
        priorities are checked too, so a raise stops before anything is created."""
        if name:
            raise UsageError(
                f"--service {name!r}: on Jira Service Management an incident is raised with the request type "
                f"of jsm.incident_type ({self.incident_type!r}), not an impacted service",
                hint="Drop --service, or set jsm.incident_type.",
            )
        self._incident_request_type()
        self._check_priorities()
        return self.incident_type, self.incident_type

    def check_priority(self, priority: str) -> None:
        if not self._priorities_checked:
            self._check_priorities()
            self._priorities_checked = True

    def check_can(self, incident: TrackedIncident, action: str) -> None:
        """Resolve and close need a transition to a done status from where the incident is (none needed
        when it is done already)."""
        issue = self._read.get(incident.number) or self._issue(incident.number)
        if _category(issue) == "done":
            return
        transitions = self.issues.get_transitions(key=incident.number)
        self._transitions[incident.number] = transitions
        wanted = _RESOLVE if action == "resolve" else _DONE
        if not any(wanted(t) for t in transitions):
            raise _no_transition(incident.number, "done (RESOLVED)", transitions)

    def check_user(self, email: str, flag: str) -> str:
        try:
            return self.people.account_id(email)
        except NotFoundError as exc:
            raise NotFoundError(
                f"{flag}: no Atlassian account with the email {email} on the Jira site",
                hint="Check the email; they must be a user of the site.",
                details={"email": email},
            ) from exc

    # ---- reading ----------------------------------------------------------------------------------------

    def _keys(self, ref: str) -> list[str]:
        """What to read for a ref, best guess first: a key as given (`itsm-30` -> `ITSM-30`); digits are
        an issue id this run has seen, else the number of a key of the service desk's project, else an
        issue id (Jira reads an issue by id too)."""
        text = ref.strip().lstrip("#")
        if not re.fullmatch(r"\d+", text):
            return [text.upper()]
        if text in self._key_by_id:
            return [self._key_by_id[text]]
        return [f"{self.project_key}-{text}", text]

    def _tracked(self, issue: Issue) -> TrackedIncident:
        self._key_by_id[issue.id] = issue.key
        fields = issue.fields
        links = (issue.properties.get(LINKS_PROPERTY) if issue.properties else None) or {}
        named = fields.priority.name if fields.priority else None
        priority = next((p for p, name in self.priority_names.items() if name == named), "P3")
        paged = str(links.get("responders") or "")
        described = fields.description_text or ""
        run = _run_of(described)
        if run and not links.get("oncall_run"):
            # The create request wrote it; the links may not be written yet.
            links = {**links, "oncall_run": run}
        return TrackedIncident(
            id=issue.id,
            number=issue.key,
            url=f"{self.site}/browse/{issue.key}",
            message=fields.summary or "",
            priority=priority,
            status=_status(issue),
            created_at=fields.created,
            updated_at=fields.resolutiondate or fields.updated,
            description=_RUN_LINE.sub("", described).strip() or None,
            links={str(k): str(v) for k, v in links.items() if v not in (None, "")},
            responders=tuple(a for a in paged.split(",") if a),
        )

    def _issue(self, key: str) -> Issue:
        """The issue, if it is an incident of the service desk: any other Jira key is refused before
        anything reads or changes it."""
        from oncall_cli.services.gather import gather

        # The issue and (the first time) the request type it must have, at once.
        read, (_, type_id) = gather(
            lambda: self.issues.get_issue(key=key, fields=FIELDS, properties=(LINKS_PROPERTY,)),
            self._incident_request_type,
        )
        issue: Issue = read
        kind = issue.fields.issuetype
        if not issue.key.startswith(f"{self.project_key}-") or (type_id and kind and kind.id != type_id):
            raise NotFoundError(
                f"{issue.key} is not an incident of the service desk {self.project_key}",
                hint="Give the key of an incident; `oncall incident list` shows them.",
                details={"key": issue.key},
            )
        self._read[issue.key] = issue
        return issue

    def get(self, ref: str) -> TrackedIncident:
        keys = self._keys(ref)
        for key in keys:
            try:
                return self._tracked(self._issue(key))
            except NotFoundError as exc:
                if exc.details.get("key"):  # found, but not an incident: say so
                    raise
                if key == keys[-1]:
                    raise NotFoundError(
                        f"no incident {keys[0]} in Jira Service Management",
                        hint="Give the issue key (ITSM-30) or its number; `oncall incident list` shows them.",
                        details=exc.details,
                    ) from exc
        raise AssertionError("unreachable")

    def _jql(
        self, start: datetime | None, status: str | None, order: str = "DESC", end: datetime | None = None
    ) -> str:
        _, type_id = self._incident_request_type()
        parts = [f"project = {self.project_key}"]
        if type_id:
            parts.append(f"issuetype = {type_id}")
        if start is not None:
            parts.append(f"created >= {int(start.timestamp() * 1000)}")
        if end is not None:
            parts.append(f"created < {int(end.timestamp() * 1000)}")
        if status == "open":
            parts.append("statusCategory != Done")
        elif status in ("resolved", "closed"):
            parts.append("statusCategory = Done")
        return " AND ".join(parts) + f" ORDER BY created {order}"

    def since(self, start: datetime | None, status: str | None = None) -> Iterator[TrackedIncident]:
        for issue in self.issues.search(
            jql=self._jql(start, status), fields=FIELDS, properties=(LINKS_PROPERTY,)
        ):
            tracked = self._tracked(issue)
            if status is None or tracked.status == status:
                yield tracked

    def between(
        self, start: datetime | None, end: datetime | None = None, status: str | None = None
    ) -> list[TrackedIncident]:
        found = (
            self._tracked(issue)
            for issue in self.issues.search(
                jql=self._jql(start, status, "ASC", end), fields=FIELDS, properties=(LINKS_PROPERTY,)
            )
        )
        return [i for i in found if status is None or i.status == status]

    def find_by_run(self, run_id: str, since: datetime, message: str | None = None) -> TrackedIncident | None:
        """By the `oncall_run` link, else by the run id the create request wrote into the description (the
        links are written right after the request: a crash in between leaves only the description)."""
        for incident in self.since(since):
            if incident.links.get("oncall_run") == run_id:
                return incident
        return None

    def complete(
        self, incident: TrackedIncident, *, priority: str, responders: Sequence[str], links: Mapping[str, str]
    ) -> TrackedIncident:
        """Finish what an interrupted `open` left undone after the create request (the priority, the links,
        the responders); each part is checked first, so this is safe to repeat."""
        if incident.priority != priority.upper():
            self.set_priority(incident, priority)
        paged = [r.account_id for r in self.api.list_responders(issue_id=incident.id) if r.account_id]
        accounts = [a for a in (self.people.account_id(e) for e in responders) if a not in paged]
        if accounts:
            self.api.add_responders(issue_id=incident.id, account_ids=accounts)
        wanted = dict(links)
        if paged or accounts:
            wanted["responders"] = ",".join(dict.fromkeys([*paged, *accounts]))
        missing = {k: v for k, v in wanted.items() if incident.links.get(k) != v}
        if missing:
            self.set_links(incident, missing)
        return self.get(incident.number)

    def _remember_responders(self, incident: TrackedIncident, accounts: Sequence[str]) -> None:
        """Keep who was paged in the links too (`responders`, accountIds): `TrackedIncident.responders`
        then says who is paged without a call to the incident API."""
        known = list(incident.responders)
        new = [a for a in accounts if a not in known]
        if new:
            self.set_links(incident, {"responders": ",".join([*known, *new])})

    def timeline(self, incident: TrackedIncident) -> list[TimelineItem]:
        """The incident's comments, internal and public, at the time each states (a back-dated note) or
        was written."""
        items = []
        for comment in self.issues.list_request_comments(key=incident.number):
            body = comment.text
            items.append(TimelineItem(at=stated_time(body) or comment.created_at, text=strip_time(body)))
        return items

    def notes(self, incident: TrackedIncident) -> list[TimelineItem]:
        """Nothing apart from the timeline: the resolve and close notes are comments too."""
        return []

    def responder_names(self, incident: TrackedIncident, warnings: list[str]) -> list[str]:
        responders = self.api.list_responders(issue_id=incident.id)
        ids = [r.account_id for r in responders if r.account_id]
        self.people.load(ids)
        names = [self.people.email_of(a) for a in ids]
        return names + [r.name or r.ari for r in responders if not r.account_id]

    def link_followup(self, incident: TrackedIncident, ticket: Ticket) -> None:
        """A "Relates" issue link (Jira treats a repeated link as done) and the `followups` link."""
        current = self.get(incident.number)
        keys = [k for k in current.links.get("followups", "").split(",") if k]
        if ticket.key in keys:
            return
        self.issues.create_issue_link(type_name="Relates", inward_key=incident.number, outward_key=ticket.key)
        self.set_links(current, {"followups": ",".join([*keys, ticket.key])})

    def close_alerts(self, incident: TrackedIncident, note: str) -> list[str]:
        """Close the JSM Operations alerts linked to the incident (its `alerts` link, read afresh; `incident
        link-alert` writes it): a Jira incident has no alerts of its own. An alert already closed is left
        as it is; JSM's close takes no note."""
        ids = [a for a in self.get(incident.number).links.get("alerts", "").split(",") if a.strip()]
        if not ids or self.alerts is None:
            return []
        alerts = self.alerts()
        closed = []
        for alert_id in ids:
            alert = alerts.get(alert_id.strip())
            if alert.status != "closed":
                alerts.close(alert)
                closed.append(alert.id)
        return closed

    # ---- writing ----------------------------------------------------------------------------------------

    def open(
        self,
        *,
        message: str,
        description: str | None,
        priority: str,
        service: str,
        responders: Sequence[str],
        links: Mapping[str, str],
    ) -> TrackedIncident:
        desk_id, _ = self._service_desk()
        request_type_id, _ = self._incident_request_type()
        run = links.get("oncall_run")
        text = "\n\n".join(p for p in (description, f"{RUN_MARKER}{run}" if run else None) if p)
        created = self.issues.create_request(
            service_desk_id=desk_id, request_type_id=request_type_id, summary=message, description=text
        )
        bare = TrackedIncident(
            id=created.issue_id,
            number=created.issue_key,
            url="",
            message=message,
            priority="",
            status="open",
            created_at=None,
        )
        return self.complete(bare, priority=priority, responders=responders, links=links)

    def set_links(self, incident: TrackedIncident, links: Mapping[str, str]) -> None:
        current = self.issues.get_issue_property(key=incident.number, property_key=LINKS_PROPERTY)
        merged: dict[str, Any] = dict(current) if isinstance(current, dict) else {}
        for key, value in links.items():
            if value == "":
                merged.pop(key, None)
            else:
                merged[key] = value
        self.issues.set_issue_property(key=incident.number, property_key=LINKS_PROPERTY, value=merged)

    def add_entry(self, incident: TrackedIncident, text: str, at: datetime | None = None) -> None:
        body = backdated(text, at, self.timezone)
        self.issues.add_request_comment(key=incident.number, body=body, public=False)

    def set_priority(self, incident: TrackedIncident, priority: str) -> None:
        name = self._priority_name(priority)
        self.issues.edit_issue(key=incident.number, fields={"priority": {"name": name}})

    def add_responder(self, incident: TrackedIncident, email: str, note: str | None) -> None:
        account = self.people.account_id(email)
        self.api.add_responders(issue_id=incident.id, account_ids=[account])
        if note:
            self.add_entry(incident, record(RESPONDER_ADDED, email=email, note=note))
        self._remember_responders(self.get(incident.number), [account])

    def add_stakeholder(self, incident: TrackedIncident, email: str) -> None:
        self.api.add_stakeholders(issue_id=incident.id, account_ids=[self.people.account_id(email)])

    def start_work(self, incident: TrackedIncident) -> bool:
        issue = self._issue(incident.number)
        if _category(issue) in ("indeterminate", "done"):
            return False  # at work already; a resolved incident is not reopened by naming its commander
        self._move(incident.number, lambda t: t.to_category == "indeterminate", "in progress (FIXING)")
        return True

    def resolve(self, incident: TrackedIncident, note: str) -> None:
        """To a done status that is not a cancel. The note is not written again: the workflow's
        "Resolved: ..." timeline entry, a comment written just before, already says it."""
        issue = self._read.get(incident.number) or self._issue(incident.number)
        if _category(issue) != "done":
            self._move(incident.number, _RESOLVE, "done (RESOLVED)", resolution="Done")

    def close(self, incident: TrackedIncident, note: str) -> None:
        issue = self._issue(incident.number)
        if _category(issue) != "done":
            transitions = self.issues.get_transitions(key=incident.number)
            canceled = [
                t for t in transitions if t.to_category == "done" and _CANCELED.search(t.to_name or "")
            ]
            if canceled:
                self._apply(incident.number, canceled[0], resolution=None)
            else:
                self._move(incident.number, _DONE, "done", resolution="Won't Do")
        self.add_entry(incident, note)

    def _move(
        self, key: str, wanted: Callable[[Transition], bool], what: str, resolution: str | None = None
    ) -> None:
        transitions = self._transitions.pop(key, None) or self.issues.get_transitions(key=key)
        found = [t for t in transitions if wanted(t)]
        if not found:
            raise _no_transition(key, what, transitions)
        self._apply(key, found[0], resolution=resolution)

    def _apply(self, key: str, transition: Transition, *, resolution: str | None) -> None:
        fields = {"resolution": {"name": resolution}} if resolution and transition.has_resolution else None
        self._read.pop(key, None)
        self._transitions.pop(key, None)
        self.issues.transition(key=key, transition_id=transition.id, fields=fields)


def _RESOLVE(t: Transition) -> bool:
    return t.to_category == "done" and not _CANCELED.search(t.to_name or "")


def _DONE(t: Transition) -> bool:
    return t.to_category == "done"


def _no_transition(key: str, what: str, transitions: Sequence[Transition]) -> RejectedError:
    known = ", ".join(f"{t.name} -> {t.to_name}" for t in transitions) or "none"
    return RejectedError(
        f"{key}: the workflow has no transition to {what} from here (transitions: {known})",
        hint="Add the transition to the incident workflow in Jira, or move the issue by hand.",
        details={"key": key},
    )


def _category(issue: Issue) -> str:
    status = issue.fields.status
    return status.category_key if status is not None else "new"


def _status(issue: Issue) -> str:
    """open, resolved, or closed (not an incident: a canceled status, or done with a resolution other than
    "Done", which is how `close` ends it on a workflow without a canceled status)."""
    status = issue.fields.status
    if status is None or status.category_key != "done":
        return "open"
    resolution = issue.fields.resolution.name if issue.fields.resolution else None
    canceled = _CANCELED.search(status.name or "") or resolution in _NOT_DONE
    return "closed" if canceled else "resolved"


_NOT_DONE = frozenset({"Won't Do", "Declined", "Won't Fix", "Duplicate", "Cannot Reproduce"})


def _run_of(description: str | None) -> str | None:
    found = _RUN.search(description or "")
    return found.group(1) if found else None

