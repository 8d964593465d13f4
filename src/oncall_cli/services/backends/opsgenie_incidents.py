"""The Opsgenie incident tracker: the incident workflow's `IncidentTracker` over the Opsgenie client.

With `backends/opsgenie.py`, the only module above the client that imports it or its wire models.
Opsgenie's specifics stop here:
- an incident's number is its tinyId (`42`, `#42`), its id the incident id; its page for people is on
  `app.<region>.opsgenie.com` (`opsgenie_web_url`);
- incidents are raised on an impacted service (`--service`, else the `opsgenie.service` setting);
- the workflow's links live in the incident's details (`extraProperties`), as do any an integration set;
- most writes answer 202 with a request id: every write here polls that request until Opsgenie has
  processed it (`_wait`), so a write is done when the method returns;
- the incident search is one query language (`createdAt>=<epoch ms> AND status:open`), built once here
  (`_query`);
- stakeholders have no per-incident operation and nobody is "working on" an incident: `add_stakeholder`
  and `start_work` change nothing (the workflow records stakeholders in its `stakeholders` link).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from oncall_cli.errors import ConfigError, NotFoundError, OncallError, UsageError
from oncall_cli.services.ports import FOLLOWUP_RECORDED, Ticket, TimelineItem, TrackedIncident, record

if TYPE_CHECKING:
    from oncall_cli.clients.opsgenie import OpsgenieClient
    from oncall_cli.clients.opsgenie_models import Incident, Priority, Recipient

SERVICE = "Opsgenie"
RUN_LINK = "oncall_run"
"""The link (incident detail) naming the run that raised the incident (`ports.LINK_KEYS`)."""
ASSOCIATED_ALERTS = "associated_alerts"
"""An incident detail an integration may set: comma-separated ids of further alerts to close on resolve."""
LINKED_ALERTS = "alerts"
"""The link (incident detail) listing the alert ids `incident link-alert` linked (`ports.LINK_KEYS`)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def opsgenie_web_url(api_url: str, incident_id: str) -> str:
    """The incident's page for people, from the API base URL: the ONE place this mapping lives.

    `api.opsgenie.com` -> `app.opsgenie.com`, `api.eu.opsgenie.com` -> `app.eu.opsgenie.com` (any
    `api.<x>.opsgenie.com` -> `app.<x>.opsgenie.com`); another host (the sandbox) keeps its own base.
    """
    from oncall_cli.config import opsgenie_web_base

    return f"{opsgenie_web_base(api_url)}/incident/detail/{incident_id}"



def _query(start: datetime | None, end: datetime | None = None, status: str | None = None) -> str:
    """An Opsgenie incident search: created in [start, end) (epoch milliseconds, no spaces around the
    operators), and by status."""
    parts = []
    if start is not None:
        parts.append(f"createdAt>={int(start.timestamp() * 1000)}")
    if end is not None:
        parts.append(f"createdAt<{int(end.timestamp() * 1000)}")
    if status:
        parts.append(f"status:{status}")
    return " AND ".join(parts) or "createdAt>=0"  # the query is required: `createdAt>=0` is every incident


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class OpsgenieIncidents:
    """Opsgenie incidents of the account the API key belongs to."""

    service = SERVICE
    tracks_work = False

    def __init__(
        self,
        client: OpsgenieClient,
        *,
        api_url: str,
        default_service: str,
        now: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.api_url = api_url
        self.default_service = default_service
        self.now = now
        self._recipients: dict[str, list[Recipient]] = {}
        """Incident id -> its responders as last read: a user may be named by id only (`responder_names`)."""

    # ---- mapping ----------------------------------------------------------------------------------------

    def _tracked(self, inc: Incident) -> TrackedIncident:
        self._recipients[inc.id] = list(inc.responders)
        return TrackedIncident(
            id=inc.id,
            number=inc.tiny_id or inc.id,
            url=opsgenie_web_url(self.api_url, inc.id),
            message=inc.message or "",
            priority=inc.priority or "",
            status=inc.status or "",
            created_at=inc.created_at,
            updated_at=inc.updated_at,
            description=inc.description,
            # Every detail: the workflow's links (LINK_KEYS) and whatever an integration set.
            links=dict(inc.extra_properties or {}),
            # As the incident names them: a username (email), a team's name, else only an id.
            responders=tuple(str(r.username or r.name or r.id or r.type) for r in inc.responders),
            tags=frozenset(inc.tags),
        )

    def _wait(self, request_id: str) -> None:
        """Opsgenie's incident writes answer 202 + requestId: done only once that request is processed."""
        self.client.wait_request(request_id=request_id)

    # ---- checks before a raise --------------------------------------------------------------------------

    def check_service(self, name: str | None) -> tuple[str, str]:
        """The impacted service by name (`--service`, else `opsgenie.service`): (its id, its name)."""
        wanted = (name or self.default_service).strip()
        if not wanted:
            raise ConfigError(
                "No impacted service: pass --service NAME or set `opsgenie.service`.",
                hint="oncall config set opsgenie.service NAME",
            )
        found = self.client.find_service(name=wanted)
        if found is None:
            known = sorted(s.name for s in self.client.list_services())
            raise NotFoundError(
                f"--service: no Opsgenie service named {wanted!r}. Known: {', '.join(known) or '(none)'}"
            )
        return found.id, found.name

    def check_user(self, email: str, flag: str) -> str:
        """GET /v2/users/{email}: the Opsgenie user (a responder must be one); their user id."""
        try:
            user = self.client.get_user(identifier=email)
        except NotFoundError:
            raise NotFoundError(
                f"{flag}: no Opsgenie user {email}",
                hint="People on an incident must be Opsgenie users; check the address.",
            ) from None
        return user.id or email

    def complete(
        self, incident: TrackedIncident, *, priority: str, responders: Sequence[str], links: Mapping[str, str]
    ) -> TrackedIncident:
        """Nothing to finish: the create request carries the priority, responders and details at once."""
        return incident

    # ---- reading ----------------------------------------------------------------------------------------

    def get(self, ref: str) -> TrackedIncident:
        """GET /v1/incidents/{ref}: by number (tinyId, `42` or `#42`) or by id."""
        key = ref.strip().lstrip("#")
        if not key:
            raise UsageError("ID: give the incident number (e.g. 42) or its Opsgenie id")
        try:
            if key.isdigit():
                return self._tracked(self.client.get_incident(identifier=key, identifier_type="tiny"))
            return self._tracked(self.client.get_incident(identifier=key))
        except NotFoundError:
            raise NotFoundError(
                f"No Opsgenie incident {ref!r}",
                hint="Use the incident number from `oncall incident list`, or its id.",
            ) from None

    def since(self, start: datetime | None, status: str | None = None) -> Iterator[TrackedIncident]:
        """GET /v1/incidents/ newest first, page by page, stopping at the first one created before `start`."""
        query = _query(start or _EPOCH, status=status)
        for inc in self.client.iter_incidents(query=query, sort="createdAt", order="desc"):
            if start is not None and inc.created_at is not None and inc.created_at < start:
                return
            yield self._tracked(inc)

    def between(
        self, start: datetime | None, end: datetime | None = None, status: str | None = None
    ) -> list[TrackedIncident]:
        """GET /v1/incidents/ oldest first, every page."""
        found = self.client.list_incidents(query=_query(start, end, status), sort="createdAt", order="asc")
        return [self._tracked(inc) for inc in found]

    def find_by_run(self, run_id: str, since: datetime, message: str | None = None) -> TrackedIncident | None:
        """The incident whose `oncall_run` detail names the run; or, where the list leaves details out, one
        with the same message whose details (read in full) name this run or none."""
        for inc in self.since(since):
            marked = inc.links.get(RUN_LINK)
            if marked == run_id:
                return inc
            if marked is None and message is not None and inc.message == message:
                full = self.get(inc.id)
                if full.links.get(RUN_LINK) in (None, run_id):
                    return full
        return None

    def timeline(self, incident: TrackedIncident) -> list[TimelineItem]:
        """GET /v2/incident-timelines/{id}/entries: every entry, hidden ones too (marked `hidden`)."""
        return [
            TimelineItem(
                at=e.event_time,
                text=(e.description.content or e.description.name or "") if e.description else "",
                kind="entry",  # the same on every tracker (Opsgenie's own type is not for the JSON)
                hidden=bool(e.hidden),
            )
            for e in self.client.list_incident_timeline_entries(incident_id=incident.id)
        ]

    def notes(self, incident: TrackedIncident) -> list[TimelineItem]:
        """GET /v1/incidents/{id}/notes: every note (the resolve and close notes among them)."""
        return [
            TimelineItem(at=n.created_at, text=n.note, kind="note")
            for n in self.client.list_incident_notes(identifier=incident.id)
        ]

    def responder_names(self, incident: TrackedIncident, warnings: list[str]) -> list[str]:
        """Opsgenie names a user responder by id only: GET /v2/users/{id} for their username (email)."""
        recipients = self._recipients.get(incident.id)
        if recipients is None:  # not read through this adapter: as the incident names them
            return list(incident.responders)
        names = []
        for r in recipients:
            if r.username or r.name:
                names.append(str(r.username or r.name))
                continue
            if r.type == "user" and r.id:
                try:
                    names.append(self.client.get_user(identifier=r.id).username)
                    continue
                except OncallError as exc:
                    warnings.append(f"could not read responder {r.id}: {exc.message}")
            names.append(str(r.id or r.type))
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
        """POST /v1/incidents/create with the links as details, poll the request, GET the incident."""
        from oncall_cli.clients.opsgenie_models import Recipient

        created = self.client.create_incident_and_wait(
            message=message,
            service_id=service,
            description=description,
            priority=cast("Priority", priority),
            responders=[Recipient.user(r) for r in responders],
            details=dict(links),
        )
        return self._tracked(created)

    def set_links(self, incident: TrackedIncident, links: Mapping[str, str]) -> None:
        """POST /v1/incidents/{id}/details (merges); DELETE .../details?keys= for the ones set to ""."""
        written = {k: v for k, v in links.items() if v != ""}
        removed = [k for k, v in links.items() if v == ""]
        if written:
            self._wait(self.client.add_incident_details(identifier=incident.id, details=written))
        if removed:
            self._wait(self.client.remove_incident_details(identifier=incident.id, keys=removed))

    def add_entry(self, incident: TrackedIncident, text: str, at: datetime | None = None) -> None:
        """POST /v2/incident-timelines/{id}/entries at `at` (now when None): Opsgenie back-dates entries."""
        self.client.add_incident_timeline_entry(
            incident_id=incident.id, content=text, time=self.now() if at is None else at
        )

    def set_priority(self, incident: TrackedIncident, priority: str) -> None:
        """PUT /v1/incidents/{id}/priority."""
        self._wait(
            self.client.update_incident_priority(identifier=incident.id, priority=cast("Priority", priority))
        )

    def add_responder(self, incident: TrackedIncident, email: str, note: str | None) -> None:
        """POST /v1/incidents/{id}/responders: Opsgenie pages them. Opsgenie keeps the note as an incident
        note without saying whom it is about, so it names them (as the JSM adapter's comment does)."""
        from oncall_cli.clients.opsgenie_models import Recipient

        self._wait(
            self.client.add_incident_responders(
                identifier=incident.id,
                responders=[Recipient.user(email)],
                note=f"Responder {email} added: {note}" if note else None,
            )
        )

    def add_stakeholder(self, incident: TrackedIncident, email: str) -> None:
        """Nothing: Opsgenie has no per-incident stakeholders (the `stakeholders` link lists them)."""

    def start_work(self, incident: TrackedIncident) -> bool:
        """Nothing: an Opsgenie incident has no in-progress status."""
        return False

    def resolve(self, incident: TrackedIncident, note: str) -> None:
        """POST /v1/incidents/{id}/resolve with the note."""
        self._wait(self.client.resolve_incident(identifier=incident.id, note=note))

    def close(self, incident: TrackedIncident, note: str) -> None:
        """POST /v1/incidents/{id}/close with the note."""
        self._wait(self.client.close_incident(identifier=incident.id, note=note))

    def check_priority(self, priority: str) -> None:
        """Opsgenie's priorities are P1-P5 themselves."""

    def check_can(self, incident: TrackedIncident, action: str) -> None:
        """Opsgenie resolves and closes an incident in any status."""

    def link_followup(self, incident: TrackedIncident, ticket: Ticket) -> None:
        """Opsgenie has no link to Jira: the key goes into the `followups` detail, and a timeline note says
        what it is; each is checked first, so a re-run writes neither twice."""
        current = self.get(incident.id)
        keys = [k for k in current.links.get("followups", "").split(",") if k]
        note = record(FOLLOWUP_RECORDED, key=ticket.key, rest=f"{ticket.summary} {ticket.url}").strip()
        if not any(item.text == note for item in self.timeline(current)):
            self.add_entry(current, note)
        if ticket.key not in keys:
            self.set_links(current, {"followups": ",".join([*keys, ticket.key])})

    def close_alerts(self, incident: TrackedIncident, note: str) -> list[str]:
        """POST /v2/alerts/{id}/close for the incident's alerts (closing a closed alert changes nothing).

        Neither the spec nor the client has a "list the incident's alerts" operation. Opsgenie raises one
        associated alert per incident, aliased by the incident id: it is closed by alias. Alerts an
        integration associated later can be listed (comma-separated ids) in the incident's
        `associated_alerts` detail, and the ones `incident link-alert` linked are in its `alerts` detail,
        both read afresh. The close requests are asynchronous (202) and not waited for.
        """
        self.client.close_alert(identifier=incident.id, identifier_type="alias", note=note)
        closed = [f"alias:{incident.id}"]
        details = self.client.get_incident(identifier=incident.id).extra_properties or {}
        ids = [*_split(details.get(ASSOCIATED_ALERTS)), *_split(details.get(LINKED_ALERTS))]
        for alert_id in dict.fromkeys(ids):
            self.client.close_alert(identifier=alert_id, note=note)
            closed.append(alert_id)
        return closed

