"""The PagerDuty incident tracker: the incident workflow's `IncidentTracker` over PagerDuty's REST API v2.

The only module above the client that imports the PagerDuty incident client or its models. PagerDuty's
specifics stop here:
- an incident is raised on the team's service (`--service`, else the `pagerduty.service` setting, found by
  name with `GET /services?query=`), with the account's priority named P1-P5 (`GET /priorities`) and urgency
  high for P1-P2, low otherwise; every write acts as the user of `pagerduty.from` (default `me`), which must
  be a PagerDuty user: checked, like the service and the priorities, before anything is written;
- its number is PagerDuty's `incident_number` (`42`, `#42`): `GET /incidents/{id}` takes the number as
  well as the id, so no search is needed;
- the raising run's id is the `incident_key`, which the create request sets atomically: `find_by_run` asks
  `GET /incidents?incident_key=<run>`, and a create repeated after a lost answer is refused by PagerDuty
  (an open incident of the service has that key), whereupon the adapter reads the one that exists;
- the workflow's links (Slack channel, Statuspage incident, roles, postmortem...) live in structured notes
  (`oncall links: {json}`, the latest one holds them all): incident custom fields would need a field
  defined on the account by an admin for each key, and notes work on every account and plan;
- timeline notes are incident notes (a past time is written at the start: notes cannot be back-dated);
  `incident update` entries also go to the stakeholders as a status update (`POST .../status_updates`);
  stakeholders are status-update subscribers; responders get a responder request;
- `start_work` acknowledges; `resolve` sets `resolved` with the note as `resolution`; `close` ("not an
  incident") does the same after the `closed_as` link records why, so it reads back as `closed`; the
  resolutions are read back from the resolve log entries (`notes`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from oncall_cli.errors import ConfigError, NotFoundError, RejectedError, UsageError
from oncall_cli.services.backends._backdated import backdated, stated_time, strip_time
from oncall_cli.services.backends._followups import link_followup_by_note
from oncall_cli.services.backends._pagerduty_reach import reachable
from oncall_cli.services.ports import Ticket, TimelineItem, TrackedIncident

if TYPE_CHECKING:
    from oncall_cli.clients.pagerduty_incident_models import Incident, IncidentNote
    from oncall_cli.clients.pagerduty_incidents import PagerDutyIncidentsClient

SERVICE = "PagerDuty"
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
HIGH_URGENCY = frozenset({"P1", "P2"})
RUN_LINK = "oncall_run"
CLOSED_LINK = "closed_as"
"""Set by `close`: a resolved incident with this link ended as not an incident (status `closed`)."""
DESCRIPTION = "description"
"""Kept in the links note too: PagerDuty returns an incident's body only with `include[]=body`, which the
spec's `include[]` does not offer. `TrackedIncident.description` reads it; it is not a link."""
LINKS_MARKER = "oncall links: "
"""The first words of a links note; the JSON object of every link follows."""
MAX_WINDOW = timedelta(days=180)
"""`GET /incidents` searches at most 6 months; a longer window reads everything and filters here."""
UPDATE_PREFIX = "Update (#incidents thread): "
"""How an `incident update` entry starts (`incident_text.update_entry`; adapters do not import the use
cases' modules, a test keeps the two equal): it goes to the stakeholders as a status update too."""


def urgency(priority: str) -> str:
    """PagerDuty's urgency for a priority: high for P1-P2, low otherwise."""
    return "high" if priority.upper() in HIGH_URGENCY else "low"


def _links_of(notes: Sequence[IncidentNote]) -> dict[str, str]:
    """The links the latest links note holds ({} when there is none)."""
    for note in reversed(notes):
        if note.content.startswith(LINKS_MARKER):
            try:
                found = json.loads(note.content[len(LINKS_MARKER):])
            except ValueError:
                continue
            if isinstance(found, dict):
                return {str(k): str(v) for k, v in found.items() if v not in (None, "")}
    return {}


class PagerDutyIncidents:
    """Incidents of one PagerDuty account, raised on the team's service."""

    service = SERVICE
    tracks_work = True

    def __init__(
        self,
        client: PagerDutyIncidentsClient,
        *,
        default_service: str,
        from_email: str,
        timezone: str,
        now: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.default_service = default_service.strip()
        self.from_email = from_email.strip()
        self.timezone = timezone
        self.now = now
        self._priority_ids: dict[str, str] | None = None
        self._from_id: str | None = None
        self._user_ids: dict[str, str] = {}
        self._emails: dict[str, str] = {}
        self._team_service: tuple[str, str] | None = None

    # ---- checks before anything is written -------------------------------------------------------------

    def _service_named(self, wanted: str, flag: str) -> tuple[str, str]:
        with reachable(self.client):  # the first request of a raise or a search
            services = self.client.list_services(query=wanted)
        found = [s for s in services if s.name.casefold() == wanted.casefold()]
        if not found:
            known = sorted(s.name for s in self.client.list_services())
            raise ConfigError(
                f"{flag}: no PagerDuty service named {wanted!r} (services: {', '.join(known) or 'none'})",
                hint="oncall config set pagerduty.service NAME",
            )
        return found[0].id, found[0].name

    def _priorities(self) -> dict[str, str]:
        """P1-P5 -> the account's priority ids, by name; a ConfigError naming the priorities when the
        account has none, or lacks one of the five."""
        if self._priority_ids is None:
            with reachable(self.client):
                found = {p.name: p.id for p in self.client.list_priorities()}
            if not found:
                raise ConfigError(
                    "PagerDuty priorities: the account has no priorities configured; incidents need P1-P5",
                    hint="Turn on incident priorities in PagerDuty (Incidents > Incident Priorities), "
                    "named P1 to P5.",
                )
            missing = [p for p in PRIORITIES if p not in found]
            if missing:
                raise ConfigError(
                    f"PagerDuty priorities: the account has no priority {', '.join(missing)} "
                    f"(priorities: {', '.join(found)})",
                    hint="Name the account's incident priorities P1 to P5 in PagerDuty.",
                )
            self._priority_ids = {p: found[p] for p in PRIORITIES}
        return self._priority_ids

    def _user_id(self, email: str) -> str | None:
        key = email.casefold()
        if key not in self._user_ids:
            with reachable(self.client):
                users = self.client.list_users(query=email)
            match = next((u for u in users if u.email.casefold() == key), None)
            if match is None:
                return None
            self._user_ids[key] = match.id
            self._emails[match.id] = match.email
        return self._user_ids[key]

    def _requester(self) -> str:
        """The user every write acts as (`From`): `pagerduty.from`, else `me`, a user of the account."""
        if self._from_id is None:
            if not self.from_email:
                raise ConfigError(
                    "pagerduty.from: not set (nor `me`); PagerDuty incident writes act for a user",
                    hint="oncall config set pagerduty.from YOUR_PAGERDUTY_EMAIL",
                )
            found = self._user_id(self.from_email)
            if found is None:
                raise ConfigError(
                    f"pagerduty.from: {self.from_email} is not a PagerDuty user of the account",
                    hint="oncall config set pagerduty.from YOUR_PAGERDUTY_EMAIL",
                )
            self._from_id = found
        return self._from_id

    def check_service(self, name: str | None) -> tuple[str, str]:
        """The service by name (`--service`, else `pagerduty.service`): (its id, its name); the `From` user
        and the priorities are checked too, so a raise stops before anything is created."""
        wanted = (name or self.default_service).strip()
        if not wanted:
            raise ConfigError(
                "pagerduty.service: not set; incidents are raised on the team's PagerDuty service",
                hint="oncall config set pagerduty.service NAME (or pass --service NAME)",
            )
        found = self._service_named(wanted, "--service" if name else "pagerduty.service")
        self._requester()
        self._priorities()
        return found

    def check_user(self, email: str, flag: str) -> str:
        """GET /users?query=<email>: the PagerDuty user's id (exact email match)."""
        found = self._user_id(email)
        if found is None:
            raise NotFoundError(
                f"{flag}: no PagerDuty user {email}",
                hint="People on an incident must be PagerDuty users; check the address.",
                details={"email": email},
            )
        return found

    def check_priority(self, priority: str) -> None:
        self._priorities()
        self._requester()

    def check_can(self, incident: TrackedIncident, action: str) -> None:
        """PagerDuty resolves an incident in any status; the writes need the `From` user."""
        self._requester()

    # ---- reading ----------------------------------------------------------------------------------------

    def _tracked(self, inc: Incident, notes: Sequence[IncidentNote]) -> TrackedIncident:
        links = _links_of(notes)
        described = links.pop(DESCRIPTION, None) or (inc.body.details if inc.body else None)
        if inc.incident_key and RUN_LINK not in links:
            links[RUN_LINK] = inc.incident_key  # set by the create; the links note may not exist yet
        named = (inc.priority.name if inc.priority else None) or ""
        status = "open"
        if inc.status == "resolved":
            status = "closed" if links.get(CLOSED_LINK) else "resolved"
        base = self.client.base_url
        return TrackedIncident(
            id=inc.id,
            number=str(inc.incident_number),
            url=inc.html_url or f"{base}/incidents/{inc.id}",
            message=inc.title or "",
            priority=named if named in PRIORITIES else "P3",
            status=status,
            created_at=inc.created_at,
            updated_at=inc.resolved_at or inc.updated_at,
            description=described or None,
            links=links,
            responders=tuple(r.user.id for r in inc.incidents_responders if r.user is not None),
        )

    def _read(self, inc: Incident) -> TrackedIncident:
        return self._tracked(inc, self.client.list_notes(incident_id=inc.id))

    def get(self, ref: str) -> TrackedIncident:
        """GET /incidents/{ref}: by number (`42`, `#42`) or by id."""
        key = ref.strip().lstrip("#")
        if not key:
            raise UsageError("ID: give the incident number (e.g. 42) or its PagerDuty id")
        try:
            with reachable(self.client):  # the first request of every command on one incident
                return self._read(self.client.get_incident(incident_id=key))
        except NotFoundError:
            raise NotFoundError(
                f"No PagerDuty incident {ref!r}",
                hint="Use the incident number from `oncall incident list`, or its id.",
            ) from None

    def _team_service_ids(self) -> list[str]:
        if not self.default_service:
            return []
        if self._team_service is None:
            self._team_service = self._service_named(self.default_service, "pagerduty.service")
        return [self._team_service[0]]

    def _search(
        self, start: datetime | None, end: datetime | None, status: str | None, order: str
    ) -> Iterator[TrackedIncident]:
        """GET /incidents on the team's service in [start, end), by status, every page."""
        statuses = {"open": ("triggered", "acknowledged"), "resolved": ("resolved",), "closed": ("resolved",)}
        until = end or self.now() + timedelta(minutes=1)
        window = start is not None and until - start <= MAX_WINDOW
        with reachable(self.client):  # the first request of `incident list`, `handoff`, `slo report`
            found = self.client.iter_incidents(
                since=start if window else None,
                until=until if window else None,
                service_ids=self._team_service_ids(),
                statuses=statuses.get(status or "", ()),
                sort_by=f"created_at:{order}",
            )
            for inc in found:
                created = inc.created_at
                if created is not None and (
                    (start is not None and created < start) or (end is not None and created >= end)
                ):
                    continue
                tracked = self._read(inc)
                if status is None or tracked.status == status:
                    yield tracked

    def since(self, start: datetime | None, status: str | None = None) -> Iterator[TrackedIncident]:
        """GET /incidents newest first (`sort_by=created_at:desc`), every page."""
        return self._search(start, None, status, "desc")

    def between(
        self, start: datetime | None, end: datetime | None = None, status: str | None = None
    ) -> list[TrackedIncident]:
        """GET /incidents oldest first, every page."""
        return list(self._search(start, end, status, "asc"))

    def _by_key(self, run_id: str) -> Incident | None:
        with reachable(self.client):
            found = self.client.iter_incidents(incident_key=run_id, sort_by="created_at:desc")
            return next((i for i in found if i.incident_key == run_id), None)

    def find_by_run(self, run_id: str, since: datetime, message: str | None = None) -> TrackedIncident | None:
        """GET /incidents?incident_key=<run id>: the create request set the key atomically."""
        found = self._by_key(run_id)
        return None if found is None else self._read(found)

    def timeline(self, incident: TrackedIncident) -> list[TimelineItem]:
        """GET /incidents/{id}/notes (the links notes left out), at the time each states or was written."""
        return [
            TimelineItem(at=stated_time(n.content) or n.created_at, text=strip_time(n.content))
            for n in self.client.list_notes(incident_id=incident.id)
            if not n.content.startswith(LINKS_MARKER)
        ]

    def notes(self, incident: TrackedIncident) -> list[TimelineItem]:
        """GET /incidents/{id}/log_entries: the resolve entries' notes (the `resolution` of `resolve` and
        `close`), which PagerDuty keeps apart from the incident's notes (as Opsgenie keeps its resolve and
        close notes apart from its timeline)."""
        return [
            TimelineItem(at=e.created_at, text=e.note, kind="note")
            for e in self.client.list_log_entries(incident_id=incident.id)
            if e.type == "resolve_log_entry" and e.note
        ]

    def responder_names(self, incident: TrackedIncident, warnings: list[str]) -> list[str]:
        """The responders' emails: GET /users/{id} for each one not read yet."""
        names = []
        for user_id in incident.responders:
            if user_id not in self._emails:
                try:
                    self._emails[user_id] = self.client.get_user(user_id=user_id).email
                except NotFoundError as exc:
                    warnings.append(f"could not read responder {user_id}: {exc.message}")
                    names.append(user_id)
                    continue
            names.append(self._emails[user_id])
        return names

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
        """POST /incidents with the run id as `incident_key`; then the links note and the responders."""
        run = links.get(RUN_LINK)
        self._requester()
        try:
            created = self.client.create_incident(
                title=message,
                service_id=service,
                priority_id=self._priorities()[priority.upper()],
                urgency=urgency(priority),
                details=description,
                incident_key=run,
            )
        except RejectedError:
            # A create repeated after its answer was lost: the service has an open incident with this key.
            existing = self._by_key(run) if run else None
            if existing is None:
                raise
            created = existing
        bare = self._tracked(created, [])
        return self._finish(bare, priority, responders, links, description)

    def complete(
        self, incident: TrackedIncident, *, priority: str, responders: Sequence[str], links: Mapping[str, str]
    ) -> TrackedIncident:
        """Finish what an interrupted `open` left undone after the create (the links note, the responder
        requests); each part is checked first, so this is safe to repeat."""
        return self._finish(incident, priority, responders, links, None)

    def _finish(
        self,
        incident: TrackedIncident,
        priority: str,
        responders: Sequence[str],
        links: Mapping[str, str],
        description: str | None,
    ) -> TrackedIncident:
        current = self.get(incident.id)
        if current.priority != priority.upper():
            self.set_priority(current, priority)
        missing = {k: v for k, v in links.items() if current.links.get(k) != v}
        if description and current.description != description:
            missing[DESCRIPTION] = description
        if missing:
            self.set_links(current, missing)
        wanted = [self.check_user(r, "--responder") for r in responders]
        new = [u for u in dict.fromkeys(wanted) if u not in current.responders]
        if new:
            self.client.create_responder_request(
                incident_id=current.id,
                requester_id=self._requester(),
                user_ids=new,
                message=f"Please help with incident #{current.number}: {current.message}",
            )
        return self.get(incident.id)

    def set_links(self, incident: TrackedIncident, links: Mapping[str, str]) -> None:
        """Merge into the latest links note (read afresh) and write the whole set as a new links note;
        nothing when it would not change."""
        current = _links_of(self.client.list_notes(incident_id=incident.id))
        merged = dict(current)
        for key, value in links.items():
            if value == "" or (key == DESCRIPTION and value is None):
                merged.pop(key, None)
            else:
                merged[key] = value
        if merged != current:
            content = LINKS_MARKER + json.dumps(merged, sort_keys=True, ensure_ascii=False)
            self.client.create_note(incident_id=incident.id, content=content)

    def add_entry(self, incident: TrackedIncident, text: str, at: datetime | None = None) -> None:
        """POST /incidents/{id}/notes (a past time written first); an `incident update` entry is sent to the
        stakeholders first as a status update (the note, written last, marks it done)."""
        self._requester()
        if text.startswith(UPDATE_PREFIX):
            self.client.create_status_update(incident_id=incident.id, message=text[len(UPDATE_PREFIX):])
        self.client.create_note(incident_id=incident.id, content=backdated(text, at, self.timezone))

    def set_priority(self, incident: TrackedIncident, priority: str) -> None:
        """PUT /incidents/{id}: the priority and its urgency."""
        self.client.update_incident(
            incident_id=incident.id,
            priority_id=self._priorities()[priority.upper()],
            urgency=urgency(priority),
        )

    def add_responder(self, incident: TrackedIncident, email: str, note: str | None) -> None:
        """POST /incidents/{id}/responder_requests (as the `From` user); the note goes on the timeline
        naming them, as on the other trackers."""
        user_id = self.check_user(email, "EMAIL")
        if user_id not in self.get(incident.id).responders:
            self.client.create_responder_request(
                incident_id=incident.id,
                requester_id=self._requester(),
                user_ids=[user_id],
                message=note or f"Please help with incident #{incident.number}: {incident.message}",
            )
        if note:
            self.add_entry(incident, f"Responder {email} added: {note}")

    def add_stakeholder(self, incident: TrackedIncident, email: str) -> None:
        """POST /incidents/{id}/status_updates/subscribers: they get the incident's status updates."""
        self.client.add_status_update_subscribers(
            incident_id=incident.id, user_ids=[self.check_user(email, "EMAIL")]
        )

    def start_work(self, incident: TrackedIncident) -> bool:
        """Acknowledge a triggered incident (PUT status acknowledged)."""
        current = self.client.get_incident(incident_id=incident.id)
        if current.status != "triggered":
            return False
        self.client.update_incident(incident_id=incident.id, status="acknowledged")
        return True

    def resolve(self, incident: TrackedIncident, note: str) -> None:
        """PUT status resolved with the note as `resolution` (the timeline already has it as a note)."""
        if self.client.get_incident(incident_id=incident.id).status != "resolved":
            self.client.update_incident(incident_id=incident.id, status="resolved", resolution=note)

    def close(self, incident: TrackedIncident, note: str) -> None:
        """Not an incident: the `closed_as` link, then resolved with the note (the reason) as `resolution`.
        An incident resolved already keeps its resolution: the reason is written as a note (once), before
        the link that makes it read as closed, so a repeat after a crash neither loses nor doubles it."""
        if self.client.get_incident(incident_id=incident.id).status == "resolved":
            if note not in (item.text for item in self.timeline(incident)):
                self.add_entry(incident, note)
            self.set_links(incident, {CLOSED_LINK: "not an incident"})
            return
        self.set_links(incident, {CLOSED_LINK: "not an incident"})
        self.resolve(incident, note)

    def link_followup(self, incident: TrackedIncident, ticket: Ticket) -> None:
        """PagerDuty has no link to Jira: the `followups` link and a timeline note (`_followups.py`)."""
        link_followup_by_note(self, incident, ticket)

    def close_alerts(self, incident: TrackedIncident, note: str) -> list[str]:
        """Resolving a PagerDuty incident resolves its alerts: nothing more to close."""
        return []
