"""The two reports: the handoff after stand-up, and the acknowledgement SLO.

Both read the incident tracker (`Context.incidents`: incidents, their notes and timeline entries) and the
on-call schedule (its timeline and people), with the reads that do not depend on each other run
concurrently; the judging and sorting is done by the pure core in `scheduling/slo.py`. Only
`handoff --post` writes, and it is safe to repeat: a report already posted for the same shift (same first
line) is not posted again.

Links between services are read from the incident's links, as the incident workflow writes them
(`services/incident_text.py`): `slack_channel_id`, `statuspage_incident_id`, `commander`, `comms`,
`resolved_at`. A postmortem counts as done when the incident has a `postmortem` link (its URL) or a
`postmortem` tag. An incident closed with `oncall incident close` (its note starts "Not an incident: ") was
never an incident: the handoff lists it apart from the resolved ones, with no follow-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from oncall_cli.config import weekday_index
from oncall_cli.errors import OncallError, UsageError
from oncall_cli.scheduling import slo
from oncall_cli.scheduling.model import Engineer, Shift, zone
from oncall_cli.services.alerts import linked_alert_ids
from oncall_cli.services.context import Context
from oncall_cli.services.incident.followups import followup_json, followups_of, linked_keys
from oncall_cli.services.incident_text import (
    D_CHANNEL,
    D_CHANNEL_ID,
    D_COMMANDER,
    D_COMMS,
    D_POSTMORTEM,
    D_REPORTED,
    D_STATUSPAGE,
    is_close_note,
    resolution_entry,
    statuspage_url,
)
from oncall_cli.services.oncall import pool_map, read_people, read_timelines
from oncall_cli.services.ports import Ticket, is_record
from oncall_cli.services.timeparse import day_start

if TYPE_CHECKING:
    from oncall_cli.services.ports import IncidentTracker, TrackedIncident

T_POSTMORTEM = "postmortem"
FOLLOW_UP_LOOKBACK = timedelta(days=30)
"""How far back resolved incidents are searched for open follow-ups (and for ones resolved in the shift)."""
SLO_DEFAULT_DAYS = 30
MAX_SLO_DAYS = 366
RESOLUTION_PREFIX = resolution_entry("").strip()
"""How the incident workflow's resolution timeline entry starts ("Resolved: <note>")."""


def has_postmortem(incident: TrackedIncident) -> bool:
    """A postmortem is recorded: a `postmortem` link (its URL) or a `postmortem` tag."""
    tags = {t.lower() for t in incident.tags}
    return bool(incident.links.get(D_POSTMORTEM)) or T_POSTMORTEM in tags


def _settle(fn: Callable[[], Any], warnings: list[str], what: str) -> Any:
    """Run an optional read; a failure becomes a warning (the report still comes out)."""
    try:
        return fn()
    except OncallError as exc:
        warnings.append(f"{what}: {exc.message}")
        return None


# ---- handoff --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoffPerson:
    user: str
    name: str
    timezone: str

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "name": self.name, "timezone": self.timezone}


@dataclass(frozen=True)
class Handover:
    """One rotation at the handoff: who hands over to whom (the same person when it does not change)."""

    rotation: str
    outgoing: HandoffPerson | None
    incoming: HandoffPerson | None

    @property
    def changes(self) -> bool:
        before = self.outgoing.user if self.outgoing else None
        return before != (self.incoming.user if self.incoming else None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rotation": self.rotation,
            "outgoing": self.outgoing.to_dict() if self.outgoing else None,
            "incoming": self.incoming.to_dict() if self.incoming else None,
            "changes": self.changes,
        }


@dataclass(frozen=True)
class ReportIncident:
    id: str
    number: str
    message: str
    priority: str | None
    status: str
    created: datetime | None
    resolved: datetime | None
    url: str
    commander: str | None
    comms: str | None
    slack_channel_id: str | None
    slack_channel: str | None
    statuspage_id: str | None
    statuspage_status: str | None
    statuspage_url: str | None
    followups: tuple[Ticket, ...] = ()
    """Its follow-up tickets (`incident followup`) and their status now."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "message": self.message,
            "priority": self.priority,
            "status": self.status,
            "created": _iso(self.created),
            "resolved": _iso(self.resolved),
            "url": self.url,
            "commander": self.commander,
            "comms": self.comms,
            "slack_channel": (
                {"id": self.slack_channel_id, "name": self.slack_channel} if self.slack_channel_id else None
            ),
            "statuspage": (
                {"id": self.statuspage_id, "status": self.statuspage_status, "url": self.statuspage_url}
                if self.statuspage_id
                else None
            ),
            "followups": [followup_json(t) for t in self.followups],
        }


@dataclass(frozen=True)
class FollowUpItem:
    incident: ReportIncident
    kind: str
    required: bool
    due: datetime | None
    overdue: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.incident.number,
            "id": self.incident.id,
            "message": self.incident.message,
            "priority": self.incident.priority,
            "kind": self.kind,
            "required": self.required,
            "due": _iso(self.due),
            "overdue": self.overdue,
            "url": self.incident.url,
        }


@dataclass(frozen=True)
class PostResult:
    channel: str
    channel_id: str
    posted: bool
    already_posted: bool
    ts: str | None
    dry_run: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "channel_id": self.channel_id,
            "posted": self.posted,
            "already_posted": self.already_posted,
            "ts": self.ts,
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True)
class RolePass:
    """One role an open incident's departing engineer holds, and who takes it over (same seat)."""

    role: str
    """`commander` or `comms`."""
    holder: str
    successor: str
    rotation: str

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "from": self.holder, "to": self.successor, "rotation": self.rotation}


@dataclass(frozen=True)
class RoleHandover:
    """The `oncall incident assign` that passes an open incident's roles on at the hand-off."""

    number: str
    id: str
    message: str
    passes: tuple[RolePass, ...]
    commander: str
    comms: str | None
    applied: dict[str, Any] | None = None
    """What `--apply` did: `done`, `skipped` and `warnings` of the assign (None when not applied)."""

    @property
    def argv(self) -> list[str]:
        args = ["incident", "assign", self.number, "--commander", self.commander]
        return args + (["--comms", self.comms] if self.comms else [])

    @property
    def command(self) -> str:
        import shlex

        return shlex.join(["oncall", *self.argv])

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "id": self.id,
            "message": self.message,
            "roles": [p.to_dict() for p in self.passes],
            "commander": self.commander,
            "comms": self.comms,
            "command": self.command,
            "applied": self.applied,
        }


def role_handovers(
    active: Sequence[ReportIncident], handovers: Sequence[Handover]
) -> tuple[tuple[RoleHandover, ...], list[str]]:
    """Pure: the roles of the open incidents held by engineers who leave at the hand-off, passed to the
    engineer coming on in the same seat (rotation). Someone still on call after the hand-off (in any seat)
    is not departing and keeps their roles."""
    staying = {h.incoming.user for h in handovers if h.incoming}
    leaving: dict[str, list[Handover]] = {}
    for h in handovers:
        if h.changes and h.outgoing and h.outgoing.user not in staying:
            leaving.setdefault(h.outgoing.user, []).append(h)
    out: list[RoleHandover] = []
    warnings: list[str] = []
    for incident in active:
        passes: list[RolePass] = []
        held = {"commander": incident.commander, "comms": incident.comms}
        for role, holder in held.items():
            if not holder or holder not in leaving:
                continue
            seat = next((h for h in leaving[holder] if h.incoming), None)
            if seat is None or seat.incoming is None:
                warnings.append(
                    f"incident #{incident.number}: {holder} leaves the {role} role and nobody comes on in "
                    f"{leaving[holder][0].rotation}; assign it by hand"
                )
                continue
            passes.append(RolePass(role, holder, seat.incoming.user, seat.rotation))
        if not passes:
            continue
        after = {**held, **{p.role: p.successor for p in passes}}
        commander = after["commander"]
        if not commander:
            warnings.append(
                f"incident #{incident.number} has no commander; pass the comms role on with "
                f"`oncall incident assign {incident.number} --commander EMAIL --comms {after['comms']}`"
            )
            continue
        out.append(
            RoleHandover(
                incident.number, incident.id, incident.message, tuple(passes), commander, after["comms"]
            )
        )
    return tuple(out), warnings


@dataclass(frozen=True)
class HandoffReport:
    since: datetime
    until: datetime
    handoff_at: datetime
    timezone: str
    handovers: tuple[Handover, ...]
    opened: tuple[ReportIncident, ...]
    resolved: tuple[ReportIncident, ...]
    active: tuple[ReportIncident, ...]
    follow_ups: tuple[FollowUpItem, ...]
    post: PostResult | None = None
    warnings: tuple[str, ...] = ()
    closed: tuple[ReportIncident, ...] = ()
    """Closed during the shift with `oncall incident close`: not incidents, so not resolved, no follow-up."""
    roles: tuple[RoleHandover, ...] = ()
    """Open incidents' roles held by departing engineers, and the assigns that pass them on."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "handoff_at": self.handoff_at.isoformat(),
            "timezone": self.timezone,
            "handovers": [h.to_dict() for h in self.handovers],
            "opened": [i.to_dict() for i in self.opened],
            "resolved": [i.to_dict() for i in self.resolved],
            "closed": [i.to_dict() for i in self.closed],
            "active": [i.to_dict() for i in self.active],
            "follow_ups": [f.to_dict() for f in self.follow_ups],
            "roles": [r.to_dict() for r in self.roles],
            "post": self.post.to_dict() if self.post else None,
            "warnings": list(self.warnings),
        }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def handoff_weekdays(context: Context) -> tuple[list[int], time]:
    s = context.settings
    days = sorted({weekday_index(s.text("weekday_a")), weekday_index(s.text("weekday_b"))})
    return days, time.fromisoformat(s.text("handoff_time"))


def _covering(shifts: Sequence[Shift], rotation: str, at: datetime) -> Shift | None:
    return next((s for s in shifts if s.rotation == rotation and s.start <= at < s.end), None)


def _handovers(shifts: Sequence[Shift], at: datetime, people: dict[str, Engineer]) -> tuple[Handover, ...]:
    def person(shift: Shift | None) -> HandoffPerson | None:
        if shift is None or shift.user is None:
            return None
        e = people[shift.user]
        return HandoffPerson(e.email, e.name, e.timezone)

    out = []
    for rotation in dict.fromkeys(s.rotation for s in shifts):
        before = _covering(shifts, rotation, at - timedelta(microseconds=1))
        after = _covering(shifts, rotation, at)
        if before is None and after is None:
            continue
        out.append(Handover(rotation, person(before), person(after)))
    return tuple(out)


def _may_show(incident: TrackedIncident, start: datetime, now: datetime) -> bool:
    """Whether an incident can appear in the report: opened or touched in the shift, open, or a resolved
    P1/P2 (a possible follow-up)."""
    status = incident.status or "open"
    created = incident.created_at
    touched = incident.updated_at or created
    return (
        (created is not None and start <= created < now)
        or slo.is_open(status)
        or (touched is not None and touched >= start)
        or (incident.priority or "").upper() in slo.POSTMORTEM_PRIORITIES
    )


def _complete(
    tracker: IncidentTracker, incident: TrackedIncident, start: datetime
) -> tuple[TrackedIncident, datetime | None, bool]:
    """The incident with its links (the list may leave them out), when it was resolved: the time of the
    workflow's "Resolved: ..." timeline entry, else its last update (a tracker may keep no resolution
    time), and whether it was closed as not an incident (`oncall incident close`: its note says so; it was
    closed at that note). Only incidents touched since `start` need their timeline read."""
    full = incident if incident.links else tracker.get(incident.id)
    if slo.is_open(full.status or "open"):
        return full, None, False
    if (full.status or "").lower() == "closed":
        # Opsgenie keeps the close note apart from the timeline, JSM on it (a comment): read both.
        notes = [*tracker.notes(full), *tracker.timeline(full)]
        closes = [n.at for n in notes if is_close_note(n.text)]
        if closes:
            return full, max((c for c in closes if c is not None), default=full.updated_at), True
    resolved = full.updated_at
    if resolved is not None and resolved >= start:
        marks = [
            e.at for e in tracker.timeline(full) if e.at is not None and e.text.startswith(RESOLUTION_PREFIX)
        ]
        if marks:
            resolved = max(marks)
    return full, resolved, False


def handoff(
    context: Context,
    *,
    since: datetime | None = None,
    post: str | None = None,
    dry_run: bool = False,
    apply: bool = False,
    handoff_at: datetime | None = None,
) -> HandoffReport:
    """The handoff report for the shift ending now: from `since` (default: the last handoff) to now.

    `handoff_at` names the hand-off (default: the next one; `handoff run` passes the one that just
    happened, and the shift then starts at the hand-off before it). `apply` runs the assigns that pass the
    open incidents' roles on (`dry_run`: only plans them)."""
    tz = context.settings.text("timezone")
    now = context.now().astimezone(zone(tz))
    weekdays, at = handoff_weekdays(context)
    if handoff_at is None:
        handoff_at = slo.next_handoff(now, weekdays, at, tz)
        default_start = slo.last_handoff(now, weekdays, at, tz)
    else:
        handoff_at = handoff_at.astimezone(zone(tz))
        default_start = slo.last_handoff(handoff_at - timedelta(microseconds=1), weekdays, at, tz)
    start = (since or default_start).astimezone(zone(tz))
    if start >= now:
        raise UsageError(f"--since must be in the past, got {start.isoformat()}")
    tracker = context.incidents
    schedule = context.settings.schedule_name
    lookback = min(start, now - FOLLOW_UP_LOOKBACK)

    # Round trip 1: recent incidents, open incidents and the schedule timeline, concurrently.
    tasks: list[Callable[[], Any]] = [
        partial(tracker.between, lookback),
        partial(tracker.between, None, status="open"),
        partial(
            read_timelines,
            context,
            [schedule],
            min(now, handoff_at) - timedelta(days=1),
            handoff_at + timedelta(days=1),
        ),
    ]
    recent, still_open, timelines = pool_map(_call, tasks)
    listed = {i.id: i for i in [*recent, *still_open] if _may_show(i, start, now)}
    shifts = timelines[schedule]
    users = [s.user for s in shifts if s.user and s.start <= handoff_at <= s.end]

    # Round trip 2: details and resolution times of the incidents that may show, and the people.
    jobs: list[Callable[[], Any]] = [partial(read_people, context, users)]
    jobs += [partial(_complete, tracker, i, start) for i in listed.values()]
    results = pool_map(_call, jobs)
    people, people_warnings = results[0]
    complete: dict[str, tuple[TrackedIncident, datetime | None, bool]] = {r[0].id: r for r in results[1:]}
    facts = [
        slo.ShiftIncident(
            id=i.id,
            created=i.created_at or start,
            status=i.status or "open",
            resolved=resolved,
            priority=i.priority or None,
            postmortem=has_postmortem(i),
        )
        for i, resolved, _ in complete.values()
    ]
    classes = slo.classify(facts, start, now)
    # Closed as not an incident: listed apart from the resolved ones, and no postmortem to follow up.
    not_incidents = {i.id for i, _, closed in complete.values() if closed}
    resolved_ids = [i for i in classes.resolved if i not in not_incidents]
    closed_ids = [i for i in classes.resolved if i in not_incidents]
    follow = [f for f in slo.follow_ups(facts, now=now) if f.incident not in not_incidents]
    wanted = list(
        dict.fromkeys([*classes.opened, *classes.resolved, *classes.active, *(f.incident for f in follow)])
    )
    shown = [complete[i][0] for i in wanted]

    # Round trip 3 (optional reads: a failure is a warning): Slack channel names, Statuspage states.
    warnings: list[str] = list(people_warnings)
    channel_ids = sorted({c for i in shown if (c := i.links.get(D_CHANNEL_ID))})
    page_ids = sorted({p for i in shown if (p := i.links.get(D_STATUSPAGE))})
    optional: list[Callable[[], Any]] = [
        partial(_settle, partial(_channel_names, context, channel_ids), warnings, "Slack channel names"),
        partial(_settle, partial(_statuspage_states, context, page_ids), warnings, "Statuspage"),
    ]
    optional.append(partial(_followups, context, shown, warnings))
    names, states, tickets = pool_map(_call, optional)
    page_id = context.settings.text("statuspage.page_id")
    rows = {
        i.id: replace(
            _report_incident(i, complete[i.id][1], names or {}, states or {}, page_id),
            followups=tuple(tickets.get(i.id, ())),
        )
        for i in shown
    }
    report = HandoffReport(
        since=start,
        until=now,
        handoff_at=handoff_at,
        timezone=tz,
        handovers=_handovers(shifts, handoff_at, people),
        opened=tuple(rows[i] for i in classes.opened),
        resolved=tuple(rows[i] for i in resolved_ids),
        active=tuple(rows[i] for i in classes.active),
        follow_ups=tuple(
            FollowUpItem(rows[f.incident], f.kind, f.required, f.due, f.overdue) for f in follow
        ),
        warnings=tuple(sorted(warnings)),
        closed=tuple(rows[i] for i in closed_ids),
    )
    roles, role_warnings = role_handovers(report.active, report.handovers)
    if apply:
        roles = tuple(_pass_roles(context, r, dry_run=dry_run) for r in roles)
    report = replace(report, roles=roles, warnings=(*report.warnings, *role_warnings))
    if post is not None:
        report = replace(report, post=post_handoff(context, report, post, dry_run=dry_run))
    return report


def _pass_roles(context: Context, proposal: RoleHandover, *, dry_run: bool) -> RoleHandover:
    """Run one proposed assign through the incident workflow's use case: it skips what is already done, so
    a second hand-off run changes nothing."""
    from oncall_cli.services.incident.models import DryRun
    from oncall_cli.services.incident.updates import assign

    result = assign(
        context, proposal.number, commander=proposal.commander, comms=proposal.comms, dry_run=dry_run
    )
    if isinstance(result, DryRun):
        applied: dict[str, Any] = {
            "dry_run": True,
            "done": [],
            "skipped": [],
            "planned": [f"{c.service}: {c.action} {c.target}" for c in result.changes],
            "warnings": list(result.warnings),
        }
    else:
        applied = {
            "dry_run": False,
            "done": list(result.done),
            "skipped": list(result.skipped),
            "planned": [],
            "warnings": list(result.warnings),
        }
    return replace(proposal, applied=applied)


def _call(task: Callable[[], Any]) -> Any:
    return task()


def _followups(
    context: Context, incidents: Sequence[TrackedIncident], warnings: list[str]
) -> dict[str, list[Ticket]]:
    """The follow-up tickets of the incidents that have some (none read when no incident has any)."""
    return {i.id: followups_of(context, i, warnings) for i in incidents if linked_keys(i)}


def _channel_names(context: Context, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    slack = context.slack

    def name(cid: str) -> tuple[str, str | None]:
        try:
            return cid, slack.conversations_info(channel=cid).name
        except OncallError:
            return cid, None

    return {cid: n for cid, n in pool_map(name, list(ids)) if n}


def _statuspage_states(context: Context, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """Status and shortlink of each linked Statuspage incident: one list call (newest 100), then single
    reads for any older ones (Statuspage allows one request per second)."""
    if not ids:
        return {}
    sp = context.statuspage
    found = {i.id: (str(i.status), i.shortlink) for i in sp.list_incidents(page=1, limit=100) if i.id in ids}
    for missing in [i for i in ids if i not in found]:
        try:
            incident = sp.get_incident(incident_id=missing)
        except OncallError:
            continue
        found[missing] = (str(incident.status), incident.shortlink)
    return found


def _report_incident(
    incident: TrackedIncident,
    resolved: datetime | None,
    names: dict[str, str],
    states: dict[str, tuple[str, str | None]],
    page_id: str,
) -> ReportIncident:
    d = incident.links
    cid = d.get(D_CHANNEL_ID) or None
    sid = d.get(D_STATUSPAGE) or None
    state = states.get(sid) if sid else None
    return ReportIncident(
        id=incident.id,
        number=incident.number,
        message=incident.message,
        priority=incident.priority or None,
        status=incident.status or "open",
        created=incident.created_at,
        resolved=resolved,
        url=incident.url,
        commander=d.get(D_COMMANDER) or None,
        comms=d.get(D_COMMS) or None,
        slack_channel_id=cid,
        slack_channel=(names.get(cid) or d.get(D_CHANNEL) or None) if cid else None,
        statuspage_id=sid,
        statuspage_status=state[0] if state else None,
        statuspage_url=(
            statuspage_url(page_id, sid, state[1] if state else None) if sid and page_id else None
        ),
    )


Flavour = Literal["markdown", "slack"]


def _fmt(at: datetime | None, tz: str) -> str:
    return at.astimezone(zone(tz)).strftime("%a %Y-%m-%d %H:%M %Z") if at else "?"


def handoff_header(report: HandoffReport) -> str:
    """The first line of the report: it names the shift, so a second `--post` of the same shift is spotted."""
    return (
        f"Handoff report: shift since {_fmt(report.since, report.timezone)}, "
        f"handoff {_fmt(report.handoff_at, report.timezone)}"
    )


def handoff_text(report: HandoffReport, flavour: Flavour = "markdown") -> str:
    """The report as Markdown (`--markdown`) or Slack mrkdwn (`--post`); pure."""
    slack = flavour == "slack"

    def bold(text: str) -> str:
        return f"*{text}*" if slack else f"**{text}**"

    tz = report.timezone
    lines = [bold(handoff_header(report)), ""]

    def text(value: str) -> str:
        # Slack mrkdwn reads &, < and > as markup: escape them in free text (incident messages, names).
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") if slack else value

    def who(p: HandoffPerson | None) -> str:
        return f"{text(p.name)} ({p.user})" if p else "nobody"

    lines.append(bold("On call"))
    for h in report.handovers:
        if h.changes:
            lines.append(f"- {h.rotation}: {who(h.outgoing)} hands over to {who(h.incoming)}")
        else:
            lines.append(f"- {h.rotation}: {who(h.outgoing)} (continues)")
    if not report.handovers:
        lines.append("- no rotation has a shift at the handoff")

    def link(text: str, url: str) -> str:
        return f"<{url}|{text}>" if slack else f"[{text}]({url})"

    def item(i: ReportIncident) -> str:
        bits = [f"{link('#' + i.number, i.url)} {i.priority or '?'} {text(i.message)}", f"status {i.status}"]
        bits.append(f"commander {text(i.commander)}" if i.commander else "no commander")
        if i.comms:
            bits.append(f"comms {text(i.comms)}")
        if i.slack_channel_id:
            bits.append(f"<#{i.slack_channel_id}>" if slack else f"#{i.slack_channel or i.slack_channel_id}")
        if i.statuspage_id:
            state = i.statuspage_status or "unknown"
            bits.append(f"Statuspage {link(state, i.statuspage_url) if i.statuspage_url else state}")
        else:
            bits.append("no Statuspage incident")
        if i.followups:
            tickets = ", ".join(
                f"{link(t.key, t.url) if t.url else t.key} ({t.status})" for t in i.followups
            )
            bits.append(f"follow-ups {tickets}")
        return "- " + "; ".join(bits)

    for title, items in (
        ("Opened", report.opened),
        ("Resolved", report.resolved),
        ("Closed (not an incident)", report.closed),
        ("Still active", report.active),
    ):
        lines += ["", bold(f"{title} ({len(items)})")]
        lines += [item(i) for i in items] or ["- none"]
    lines += ["", bold(f"Open follow-ups ({len(report.follow_ups)})")]
    for f in report.follow_ups:
        need = "required" if f.required else "recommended"
        due = f", due {_fmt(f.due, tz)}" + (" (OVERDUE)" if f.overdue else "") if f.due else ""
        lines.append(
            f"- {link('#' + f.incident.number, f.incident.url)} {f.incident.priority} "
            f"{text(f.incident.message)}: postmortem {need}{due}"
        )
    if not report.follow_ups:
        lines.append("- none")
    if report.roles:
        lines += ["", bold(f"Roles to pass on ({len(report.roles)})")]
        for r in report.roles:
            moves = ", ".join(f"{p.role} {p.holder} -> {p.successor}" for p in r.passes)
            lines.append(f"- #{r.number} {text(moves)}: `{r.command}`")
    return "\n".join(lines)


def post_handoff(context: Context, report: HandoffReport, channel: str, *, dry_run: bool) -> PostResult:
    """Post the report to `channel` unless a report for the same shift is already there."""
    from oncall_cli.services.slack_lookup import channel_id

    slack = context.slack
    cid = channel_id(slack, channel)
    header = f"*{handoff_header(report)}*"
    # The latest 200 messages: a report of this shift is posted after the shift started, so it is among them
    # unless the channel is very busy.
    history = slack.conversations_history(channel=cid, limit=200)
    for message in history.messages:
        if (message.text or "").split("\n", 1)[0].strip() == header:
            return PostResult(channel.lstrip("#"), cid, False, True, message.ts, dry_run)
    if dry_run:
        return PostResult(channel.lstrip("#"), cid, False, False, None, True)
    answer = slack.chat_post_message(channel=cid, text=handoff_text(report, "slack"))
    return PostResult(channel.lstrip("#"), cid, True, False, answer.ts, False)


# ---- SLO ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SloIncident:
    judgement: slo.Judgement
    id: str
    number: str
    message: str
    url: str
    created_at: datetime | None = None
    """When the tracker got it (`judgement.response.created` is when it was reported)."""

    def to_dict(self) -> dict[str, Any]:
        j = self.judgement
        r = j.response
        return {
            "number": self.number,
            "id": self.id,
            "message": self.message,
            "priority": r.priority,
            "created": (self.created_at or r.created).isoformat(),
            "reported": r.created.isoformat(),
            "acknowledged": _iso(r.acknowledged),
            "response_minutes": _minutes(j.response_time),
            "tier": str(j.tier),
            "objective_minutes": _minutes(j.objective),
            "outcome": j.outcome,
            "on_call": list(r.on_call),
            "zones": list(r.zones),
            "url": self.url,
        }


def _minutes(delta: timedelta | None) -> float | None:
    return round(delta.total_seconds() / 60, 1) if delta is not None else None


@dataclass(frozen=True)
class SloReport:
    since: date
    until: date
    timezone: str
    holidays: tuple[date, ...]
    tiers: tuple[slo.Attainment, ...]
    incidents: tuple[SloIncident, ...]
    warnings: tuple[str, ...] = ()

    @property
    def misses(self) -> tuple[SloIncident, ...]:
        return tuple(i for i in self.incidents if i.judgement.outcome == "missed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "timezone": self.timezone,
            "holidays": [d.isoformat() for d in self.holidays],
            "tiers": [
                {
                    "tier": str(t.tier),
                    "objective_minutes": _minutes(t.objective),
                    "incidents": t.incidents,
                    "met": t.met,
                    "missed": t.missed,
                    "pending": t.pending,
                    "attainment": None if t.attainment is None else round(t.attainment, 4),
                }
                for t in self.tiers
            ],
            "incidents": [i.to_dict() for i in self.incidents],
            "misses": [i.to_dict() for i in self.misses],
            "warnings": list(self.warnings),
        }


REPORT_LAG = timedelta(days=1)
"""How long after its report an incident may be tracked and still be found by the SLO report."""


def reported_at(incident: TrackedIncident) -> datetime | None:
    """When the incident was reported: its `reported_at` link (`raise` stores the #incidents thread's first
    message, or `--reported-at`), else when it was tracked."""
    value = incident.links.get(D_REPORTED)
    if value:
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            at = None
        if at is not None and at.tzinfo is not None:
            return at
    return incident.created_at


def holidays(context: Context) -> tuple[date, ...]:
    raw = context.settings.text("holidays")
    return tuple(sorted(date.fromisoformat(d.strip()) for d in raw.split(",") if d.strip()))


def _actions(tracker: IncidentTracker, incident: TrackedIncident) -> list[datetime | None]:
    """Responder actions on an incident: its notes and its timeline entries (times only), less the records
    `oncall` writes of its own steps (`ports.is_record`: a linked alert, roles, a postmortem...), which
    are nobody's response."""
    items = [*tracker.notes(incident), *tracker.timeline(incident)]
    return [i.at for i in items if not is_record(i.text)]


def _alert_acks(context: Context, incident: TrackedIncident) -> tuple[list[datetime], list[str]]:
    """When the alerts linked to the incident (`incident link-alert`) were acknowledged; an alert that
    cannot be read is a warning."""
    acks, warnings = [], []
    for alert_id in linked_alert_ids(incident.links):
        try:
            at = context.alerts.get(alert_id).acknowledged_at
        except OncallError as exc:
            warnings.append(f"incident #{incident.number}: linked alert {alert_id} not read: {exc.message}")
            continue
        if at is not None:
            acks.append(at)
    return acks, warnings


def first_response(
    tracked: datetime, actions: Iterable[datetime | None], reported: datetime, alert_acks: Iterable[datetime]
) -> datetime | None:
    """The response: the earliest of the first note or timeline entry after the tracking (`acknowledged_at`)
    and the first acknowledgement of a linked alert at or after the report (an alert is often acknowledged
    before anyone tracks the incident)."""
    found = [
        at
        for at in (acknowledged_at(tracked, actions), slo.first_acknowledgement(reported, alert_acks))
        if at is not None
    ]
    return min(found) if found else None


def acknowledged_at(created: datetime, actions: Iterable[datetime | None]) -> datetime | None:
    """The first acknowledgement: the earliest note or timeline entry strictly after creation (one stamped
    with the creation instant, such as the note of the create request, is part of the creation)."""
    return slo.first_acknowledgement(created, [a for a in actions if a is not None and a > created])


def slo_report(context: Context, *, since: date | None = None, until: date | None = None) -> SloReport:
    """Acknowledgement times of the incidents created from `since` to `until` (local dates, inclusive)."""
    tz = context.settings.text("timezone")
    now = context.now().astimezone(zone(tz))
    last = until or now.date()
    first = since or (last - timedelta(days=SLO_DEFAULT_DAYS - 1))
    if first > last:
        raise UsageError(f"--since {first} is after --until {last}")
    if (last - first).days >= MAX_SLO_DAYS:
        raise UsageError(f"--since/--until span {(last - first).days + 1} days; the most is {MAX_SLO_DAYS}")
    start, end = day_start(first, tz), day_start(last + timedelta(days=1), tz)
    off_days = holidays(context)
    tracker = context.incidents
    schedule = context.settings.schedule_name

    # Round trip 1: the incidents and the schedule timeline over the whole period.
    tasks: list[Callable[[], Any]] = [
        # Created up to a day after the period: reported within it, tracked later.
        partial(tracker.between, start, end + REPORT_LAG),
        partial(read_timelines, context, [schedule], start, end),
    ]
    found, timelines = pool_map(_call, tasks)
    shifts = timelines[schedule]
    # The clock starts at the report (the `reported_at` link `raise` stores), not at the tracking.
    reported = {i.id: at for i in found if (at := reported_at(i)) is not None and start <= at < end}
    incidents = [i for i in found if i.id in reported]
    on_call = {
        i.id: sorted({s.user for s in shifts if s.user and s.start <= reported[i.id] < s.end})
        for i in incidents
    }
    users = sorted({u for names in on_call.values() for u in names})

    # Round trip 2: every incident's notes and timeline, and the on-call people's time zones.
    # With them, the acknowledgements of the alerts linked to each incident.
    linked = [i for i in incidents if linked_alert_ids(i.links)]
    if linked:
        context.alerts  # built once here, not by each job  # noqa: B018
    jobs: list[Callable[[], Any]] = [partial(read_people, context, users)]
    jobs += [partial(_actions, tracker, i) for i in incidents]
    jobs += [partial(_alert_acks, context, i) for i in linked]
    results = pool_map(_call, jobs)
    people, warnings = results[0]
    warnings = list(warnings)
    acks: dict[str, list[datetime]] = {}
    for incident, (times, problems) in zip(linked, results[1 + len(incidents) :], strict=True):
        acks[incident.id] = times
        warnings += problems
    rows = []
    for incident, actions in zip(incidents, results[1 : 1 + len(incidents)], strict=True):
        names = on_call[incident.id]
        zones = tuple(dict.fromkeys(people[u].timezone for u in names)) or (tz,)
        if not names:
            warnings.append(
                f"nobody was on call when incident #{incident.number} was created; judged in {tz}"
            )
        assert incident.created_at is not None
        at = reported[incident.id]
        response = slo.Response(
            incident=incident.number,
            created=at,
            acknowledged=first_response(incident.created_at, actions, at, acks.get(incident.id, [])),
            zones=zones,
            on_call=tuple(names),
            priority=incident.priority or None,
            message=incident.message or None,
        )
        judgement = slo.judge(response, now=now, holidays=off_days)
        rows.append(
            SloIncident(
                judgement, incident.id, incident.number, incident.message, incident.url, incident.created_at
            )
        )
    tiers = tuple(slo.attainment(r.judgement for r in rows))
    return SloReport(first, last, tz, off_days, tiers, tuple(rows), tuple(warnings))


# ---- handoff run ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoffRun:
    """What `oncall handoff run` did: nothing on a day without a hand-off; else the topic, the report
    (posted once) and the roles passed on."""

    now: datetime
    handoff_at: datetime | None
    next_handoff: datetime
    topic: Any = None
    """The `TopicChange` of the #incidents topic (None on a day without a hand-off)."""
    report: HandoffReport | None = None
    dry_run: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def handoff_day(self) -> bool:
        return self.handoff_at is not None

    @property
    def changed(self) -> bool:
        """Whether this run wrote anything (or, with --dry-run, would)."""
        if self.report is None:
            return False
        post = self.report.post
        posted = post is not None and not post.already_posted
        moved = any(r.applied and (r.applied["done"] or r.applied["planned"]) for r in self.report.roles)
        return bool((self.topic is not None and self.topic.changed) or posted or moved)

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "handoff_day": self.handoff_day,
            "handoff_at": _iso(self.handoff_at),
            "next_handoff": self.next_handoff.isoformat(),
            "dry_run": self.dry_run,
            "changed": self.changed,
            "topic": self.topic.to_dict() if self.topic is not None else None,
            "report": self.report.to_dict() if self.report is not None else None,
            "warnings": list(self.warnings),
        }


def handoff_run(context: Context, *, post: str | None = None, dry_run: bool = False) -> HandoffRun:
    """The hand-off chores in one go, for a scheduler shortly after the hand-off: the #incidents topic names
    who is on call now, the report of the shift that just ended is posted (to `post`, default the announce
    channel) unless it already is, and open incidents' roles pass from the departing engineers to the
    incoming ones. Each step checks what is already done, so a second run writes nothing. A day without a
    hand-off (none today at or before now, in the schedule's zone) is a no-op."""
    from oncall_cli.services.oncall import who_is_on_call

    tz = context.settings.text("timezone")
    now = context.now().astimezone(zone(tz))
    weekdays, at = handoff_weekdays(context)
    last = slo.last_handoff(now, weekdays, at, tz)
    upcoming = slo.next_handoff(now, weekdays, at, tz)
    if last.date() != now.date():
        return HandoffRun(now, None, upcoming, dry_run=dry_run)
    who = who_is_on_call(context, update_topic=True, dry_run=dry_run)
    channel = post or context.settings.text("slack.announce_channel")
    report = handoff(context, post=channel, dry_run=dry_run, apply=True, handoff_at=last)
    warnings = tuple(dict.fromkeys([*who.warnings, *report.warnings]))
    return HandoffRun(now, last, upcoming, who.topic, report, dry_run, warnings)
