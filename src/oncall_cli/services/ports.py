"""The ports: what the use cases need from an on-call service, in the scheduling core's own terms.

Services type against these protocols only; each backend (services/backends/<vendor>.py) implements them
over its own client and is the only module that imports that client or its wire models. People are named
by email everywhere above the adapters: an adapter maps emails to the service's own ids (Opsgenie
usernames are emails; JSM participants are Atlassian accountIds). A `none` placeholder is `None`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from oncall_cli.scheduling.model import Engineer, Override, Rotation, Shift

UNKNOWN_START = date(1970, 1, 1)
"""The start date of a person whose service keeps none (read as a veteran)."""



class ScheduleStore(Protocol):
    """One schedule of the on-call service: its rotations, overrides and effective timeline.

    Rotations are addressed by name and overrides by the key `create_override` returned (Opsgenie's and
    JSM's override alias); an adapter looks ids up itself.
    """

    service: str
    """The service's name for messages: "Opsgenie", "Jira Service Management"."""
    schedule_name: str

    @property
    def timezone(self) -> str: ...
    def rotations(self) -> list[Rotation]: ...
    def overrides(self) -> list[Override]: ...
    def timeline(self, start: datetime, end: datetime) -> list[Shift]:
        """The service's own effective shifts (overrides applied) that meet [start, end)."""
        ...

    def on_call(self, at: datetime | None = None) -> list[str]:
        """The emails on call at `at` (now when None), as the service itself answers."""
        ...

    def create_rotation(self, rotation: Rotation) -> None: ...
    def update_rotation(
        self,
        name: str,
        *,
        participants: Sequence[str | None] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None: ...
    def delete_rotation(self, name: str) -> None: ...
    def create_override(self, override: Override) -> str: ...
    def delete_override(self, key: str) -> None: ...


class Directory(Protocol):
    """The people of the service and the team: records, membership, and the facts we keep per person.

    `Engineer.start_date` and `Engineer.manager` are kept where the service allows (Opsgenie user details,
    a Jira user property), and `Engineer.team` (R13) is read from the same place when present;
    `facts_source` names that place in messages.
    """

    service: str
    creates_accounts: bool
    """False where people are invited to the service outside `oncall` (JSM: Atlassian accounts)."""
    facts_source: str
    """Where start dates and managers live, for messages: "Opsgenie user details"."""
    keeps_start_dates: bool
    """False where the service has no place for a start date (PagerDuty: the roster keeps it), so
    `set_start_date` is never planned there."""
    team_name: str

    def team(self) -> list[Engineer]:
        """The team's members with their records, in team order."""
        ...

    def team_members(self) -> list[str]:
        """The emails of the team's members, in team order (no per-person reads)."""
        ...

    def get(self, email: str) -> Engineer:
        """The person's record; NotFoundError naming the email when the service has no such person."""
        ...

    def find(self, email: str) -> Engineer | None:
        """Like `get`, None for an unknown person."""
        ...

    def create(self, engineer: Engineer) -> None:
        """Create the person with their start date and manager, where the service allows it; a service that
        cannot (JSM: accounts are invited to the site) raises NotFoundError with the way to do it."""
        ...

    def set_start_date(self, email: str, start: date) -> None: ...
    def add_to_team(self, email: str) -> None: ...
    def delete(self, email: str) -> None:
        """Remove the person from the service where it allows (Opsgenie deletes the user; JSM removes them
        from the team, since Atlassian accounts are the organisation's)."""
        ...

    def delete_action(self, email: str, *, question: bool = False) -> str:
        """What `delete` does, for plans and the confirmation prompt (`question`)."""
        ...


# ---- incidents ------------------------------------------------------------------------------------------

LINK_KEYS: tuple[str, ...] = (
    "oncall_run",
    "reported_at",
    "slack_thread",
    "slack_channel_id",
    "slack_channel",
    "statuspage_incident_id",
    "statuspage_components",
    "commander",
    "comms",
    "stakeholders",
    "invited",
    "postmortem",
    "postmortem_state",
    "review",
    "review_speakers",
    "review_summary",
    "followups",
    "alerts",
)
"""What an incident carries for the workflow (`TrackedIncident.links`): the run that raised it (for
`resume`), when it was reported (ISO 8601, where the SLO clock starts), the Slack thread and channel, the
Statuspage incident and its components, the roles, the stakeholders, the people `raise` invited
(comma-separated emails), the postmortem (link or path, and its state: Draft or Published), the incident
review (its date, speakers and summary), the follow-up tickets and the alerts linked to it (`incident
link-alert`: comma-separated alert ids). Opsgenie keeps them in incident details, JSM in one Jira issue
property."""


@dataclass(frozen=True)
class TrackedIncident:
    """An incident as the use cases see it, whatever tracks it.

    `id` is the tracker's own id (Opsgenie's incident id, the Jira issue id); `number` is what people type
    and read (Opsgenie's tinyId `42`, the Jira issue key `ITSM-30`). `status` is normalised to `open`,
    `resolved` or `closed` (`closed`: ended as not an incident). `priority` is P1-P5.
    """

    id: str
    number: str
    url: str
    message: str
    priority: str
    status: str
    created_at: datetime | None
    updated_at: datetime | None = None
    description: str | None = None
    links: Mapping[str, str] = field(default_factory=dict)
    """The LINK_KEYS the incident holds; a tracker may hold more (Opsgenie: every incident detail, which
    `incident show` prints)."""
    responders: tuple[str, ...] = ()
    """Who the tracker pages for the incident, as it names them without further reads: an email, else the
    tracker's own id for the person (what `check_user` returns); a team by its name (`responder_names`
    reads the names for people)."""
    tags: frozenset[str] = frozenset()
    """The incident's tags (Opsgenie tags, Jira labels); a `postmortem` tag marks the postmortem done."""


# The timeline entries `oncall` writes as records of its own steps, not as a person's words. Writers format
# these templates (`record(...)`) and the SLO report recognises them (`is_record`): only people's notes and
# updates, the resolve and close notes, and the acknowledgements of linked alerts count as a response. The
# texts are the ones earlier versions wrote, so entries already on incidents are recognised too and a re-run
# still finds what it wrote before (it compares texts).
ALERT_LINKED = "Alert #{number} linked: {message}"
ROLES_ASSIGNED = "Roles assigned: {roles}."
EXPERT_ADDED = "Subject-matter expert added: {who}{note}"
STAKEHOLDER_ADDED = "Stakeholder added: {who}{note}"
RESPONDER_ADDED = "Responder {email} added: {note}"
"""JSM's responder note (the Incident API keeps no note of its own)."""
POSTMORTEM_RECORDED = "Postmortem {state}: {link}"
REVIEW_RECORDED = "Incident review on {when}; speakers: {speakers}; postmortem: {link}; summary: {summary}"
FOLLOWUP_RECORDED = "Follow-up {key}: {rest}"
"""The follow-up note of a tracker with no link to Jira (Opsgenie, PagerDuty)."""
RECORD_FORMATS: tuple[str, ...] = (
    ALERT_LINKED,
    ROLES_ASSIGNED,
    EXPERT_ADDED,
    STAKEHOLDER_ADDED,
    RESPONDER_ADDED,
    POSTMORTEM_RECORDED,
    REVIEW_RECORDED,
    FOLLOWUP_RECORDED,
)
_FIELD = re.compile(r"\{(\w+)\}")
_FIELD_PATTERNS = {
    "number": r"\S+",
    "email": r"\S+",
    "key": r"[A-Z][A-Z0-9_]*-\d+",
    "state": "draft|published",
}


def _pattern(template: str) -> str:
    parts = _FIELD.split(template)  # literal, field, literal, field, ...
    return "".join(
        re.escape(part) if i % 2 == 0 else f"(?:{_FIELD_PATTERNS.get(part, '.*?')})"
        for i, part in enumerate(parts)
    )


_RECORD = re.compile("|".join(f"(?:{_pattern(t)})" for t in RECORD_FORMATS), re.DOTALL)


def record(template: str, **fields: str) -> str:
    """A record entry's text: one of RECORD_FORMATS filled in."""
    assert template in RECORD_FORMATS, template
    return template.format(**fields)


def is_record(text: str) -> bool:
    """The entry is one of `oncall`'s records (RECORD_FORMATS), not a person's response."""
    return _RECORD.fullmatch(text.strip()) is not None


@dataclass(frozen=True)
class TimelineItem:
    """One note or timeline entry of an incident; `at` is when it says it happened (a back-dated entry's
    time, else when it was written)."""

    at: datetime | None
    text: str
    kind: str = "entry"
    """What the tracker calls it (Opsgenie's entry type, "note" for a note); `incident show` prints it."""
    hidden: bool = False
    """Hidden from people by the tracker (Opsgenie's hidden entries): `incident show` leaves it out, but it
    still counts as written (a re-run does not write it again) and as a response (the SLO report)."""


class IncidentTracker(Protocol):
    """Where incidents are tracked: Opsgenie incidents, or Jira work items of Jira Service Management.

    Every write is done when the call returns (Opsgenie's "202, then poll the request" stays inside the
    adapter). Refs are what users type: a number (`42`, `ITSM-30`, `itsm-30`, `30`) or the tracker's id.
    """

    service: str
    """The tracker's name for messages: "Opsgenie", "Jira Service Management"."""

    def check_service(self, name: str | None) -> tuple[str, str]:
        """The impacted service (Opsgenie) or incident request type (JSM) an incident will be raised on,
        checked before anything is created; a clear error naming the setting when it does not exist.
        Returns (what `open` takes as `service`, its name for people)."""
        ...

    def check_user(self, email: str, flag: str) -> str:
        """The tracker's own id for the person (as `TrackedIncident.responders` may name them);
        NotFoundError (exit 5) naming `flag` when the tracker knows no such person."""
        ...

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
        """Create the incident, with its links already set (so `find_by_run` finds it at once)."""
        ...

    def complete(
        self, incident: TrackedIncident, *, priority: str, responders: Sequence[str], links: Mapping[str, str]
    ) -> TrackedIncident:
        """Finish what an interrupted `open` may have left undone, for `resume` (safe to repeat). Opsgenie's
        create is one request, so nothing is ever left; JSM's is several (request, priority, links,
        responders)."""
        ...

    def get(self, ref: str) -> TrackedIncident: ...
    def since(self, start: datetime | None, status: str | None = None) -> Iterator[TrackedIncident]:
        """Incidents created at or after `start` (None: all), optionally by status, newest first."""
        ...

    def between(
        self, start: datetime | None, end: datetime | None = None, status: str | None = None
    ) -> list[TrackedIncident]:
        """Incidents created in [start, end) (None: no bound), optionally by status, oldest first: every
        page read (the reports)."""
        ...

    def find_by_run(self, run_id: str, since: datetime, message: str | None = None) -> TrackedIncident | None:
        """The incident a raise run created since `since` (its `oncall_run` link), for `resume` after a
        crash. Where the tracker's list leaves the links out, an incident with this `message` whose links
        name this run or none."""
        ...

    def set_links(self, incident: TrackedIncident, links: Mapping[str, str]) -> None:
        """Merge links into the incident's (a value "" removes the key)."""
        ...

    def timeline(self, incident: TrackedIncident) -> list[TimelineItem]:
        """The timeline entries (what `add_entry` writes), hidden ones included."""
        ...

    def notes(self, incident: TrackedIncident) -> list[TimelineItem]:
        """The incident's notes apart from its timeline (Opsgenie's incident notes, where the resolve and
        close notes go); a tracker that keeps everything on the timeline returns []."""
        ...

    def responder_names(self, incident: TrackedIncident, warnings: list[str]) -> list[str]:
        """Who is paged, as people know them (emails; a team by its name), reading the people the incident
        names only by id; one that cannot be read stays an id, with a line appended to `warnings`."""
        ...

    def add_entry(self, incident: TrackedIncident, text: str, at: datetime | None = None) -> None:
        """A timeline note; `at` back-dates it where the tracker can, else writes the time into the text."""
        ...

    def check_priority(self, priority: str) -> None:
        """A ConfigError naming the setting when the tracker cannot set this priority (JSM: a name of
        `jsm.priorities` the site lacks); checked before a command changes anything."""
        ...

    def check_can(self, incident: TrackedIncident, action: str) -> None:
        """A RejectedError (exit 6) naming what exists when the tracker cannot `resolve` or `close` the
        incident (JSM: the workflow has no such transition from its status); checked before anything."""
        ...

    def set_priority(self, incident: TrackedIncident, priority: str) -> None: ...
    def add_responder(self, incident: TrackedIncident, email: str, note: str | None) -> None: ...
    def add_stakeholder(self, incident: TrackedIncident, email: str) -> None: ...
    tracks_work: bool
    """True where an incident has an in-progress status apart from open (JSM's workflow)."""

    def start_work(self, incident: TrackedIncident) -> bool:
        """The incident is being fixed (a commander was named): JSM moves it to its in-progress status;
        Opsgenie has no such status. False when there was nothing to do."""
        ...

    def resolve(self, incident: TrackedIncident, note: str) -> None: ...
    def close(self, incident: TrackedIncident, note: str) -> None:
        """End it as not an incident (JSM: a canceled status where the workflow has one)."""
        ...

    def link_followup(self, incident: TrackedIncident, ticket: Ticket) -> None:
        """Link a follow-up ticket to the incident (its `followups` link, plus an issue link on JSM or a
        timeline note on Opsgenie); safe to repeat."""
        ...

    def close_alerts(self, incident: TrackedIncident, note: str) -> list[str]:
        """Close the alerts that raised or joined the incident (`resolve --close-alerts`): its own and the
        ones linked to it (its `alerts` link), with `note`; safe to repeat. Returns what was closed, in the
        tracker's terms (for the journal)."""
        ...


# ---- alerts ---------------------------------------------------------------------------------------------

ALERT_STATUSES: tuple[str, ...] = ("open", "closed")


@dataclass(frozen=True)
class Alert:
    """An alert as the use cases see it, whatever service raised it.

    `id` is the service's id, `number` its tiny id (what people type); `status` is normalised to `open` or
    `closed` (JSM's `acked` and `snoozed` are open, `resolved` closed) and `acknowledged` says whether someone
    acknowledged it. `owner` is as the service names them (Opsgenie: a username, an email; JSM: a display
    name); `responders` are the people it pages (emails, else the service's id) and teams by name or id.
    `incident` is the number of the incident it is linked to (`incident link-alert`), if any."""

    id: str
    number: str
    message: str
    status: str
    acknowledged: bool
    priority: str
    created_at: datetime | None
    owner: str | None = None
    tags: tuple[str, ...] = ()
    responders: tuple[str, ...] = ()
    acknowledged_at: datetime | None = None
    incident: str | None = None


INCIDENT_TAG = "incident:"
"""The tag `incident link-alert` puts on an alert: `incident:<number>` (both services tag alerts)."""


def alert_incident(tags: Sequence[str]) -> str | None:
    """The incident number an alert's tags name (the last `incident:<number>` tag), or None."""
    linked = [t[len(INCIDENT_TAG) :] for t in tags if t.startswith(INCIDENT_TAG)]
    return next((n for n in reversed(linked) if n), None)


class Alerts(Protocol):
    """The alerts of the on-call service (Opsgenie alerts, JSM Operations alerts).

    Every write is done when the call returns (the services' "202, then poll the request" stays inside the
    adapter). Refs are what users type: the tiny id (`7`, `#7`) or the service's id."""

    service: str
    """The service's name for messages: "Opsgenie", "JSM"."""

    def list(self, status: str | None = "open", mine: str | None = None) -> list[Alert]:
        """The alerts with this status (`open`, `closed`; None: all), newest first; with `mine` (an email)
        only the ones whose owner is that person or that page them as a user responder."""
        ...

    def get(self, ref: str) -> Alert:
        """One alert; NotFoundError (exit 5) naming `ref` when the service has no such alert."""
        ...

    def acknowledge(self, alert: Alert, *, user: str | None = None, note: str | None = None) -> None:
        """Acknowledge it (as `user` where the service records who; with `note` where it keeps one)."""
        ...

    def close(self, alert: Alert, *, user: str | None = None, note: str | None = None) -> None: ...
    def link_incident(self, alert: Alert, number: str) -> None:
        """Mark the alert as linked to incident `number` (its `incident:<number>` tag)."""
        ...


# ---- follow-up tickets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    """A follow-up ticket: its key (`SEARCH-12`), link, summary and workflow status (`done`: finished)."""

    key: str
    url: str
    summary: str
    status: str
    done: bool = False


class Tickets(Protocol):
    """Where follow-up work is filed (Jira, on either backend)."""

    def check(self, project: str, issue_type: str) -> None: ...
    def get(self, key: str) -> Ticket: ...
    def find(self, project: str, summary: str, since: datetime | None) -> Ticket | None: ...
    def create(self, project: str, issue_type: str, summary: str, description: str) -> Ticket: ...
