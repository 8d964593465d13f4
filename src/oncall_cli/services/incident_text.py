"""The incident workflow's pure logic: priorities, links, channel names and every text we post or print.

No I/O, no clock, no clients: each function takes plain data (and `now` when it needs the time), so the
wording and the rules are unit-tested without fakes. `services/incident/` does the I/O around them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal, cast

from oncall_cli.errors import UsageError
from oncall_cli.services.ports import EXPERT_ADDED, ROLES_ASSIGNED, STAKEHOLDER_ADDED, record

Priority = Literal["P1", "P2", "P3", "P4", "P5"]
Impact = Literal["none", "minor", "major", "critical"]
ComponentStatus = Literal[
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"
]
PublicStatus = Literal["investigating", "identified", "monitoring", "resolved"]

PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4", "P5")
PRIORITY_NAMES: dict[Priority, str] = {
    "P1": "Critical",
    "P2": "High",
    "P3": "Moderate",
    "P4": "Low",
    "P5": "Informational",
}
# Statuspage impact and component status for each public priority (issue 6, step 4).
IMPACT: dict[Priority, Impact] = {"P1": "critical", "P2": "major", "P3": "minor", "P4": "none", "P5": "none"}
COMPONENT_STATUS: dict[Priority, ComponentStatus] = {
    "P1": "major_outage",
    "P2": "partial_outage",
    "P3": "degraded_performance",
}
COMPONENT_STATUSES: tuple[ComponentStatus, ...] = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
PUBLIC_STATUSES: tuple[PublicStatus, ...] = ("investigating", "identified", "monitoring", "resolved")
NEVER_PUBLIC: frozenset[str] = frozenset({"P4", "P5"})  # P5 is for practice; P4 is internal

# The incident's links (`ports.LINK_KEYS`: Opsgenie incident details, a Jira issue property): the links
# between the three services live on the incident itself, so any later command on any machine finds them.
D_RUN = "oncall_run"
D_THREAD = "slack_thread"
D_CHANNEL_ID = "slack_channel_id"
D_CHANNEL = "slack_channel"
D_STATUSPAGE = "statuspage_incident_id"
D_COMPONENTS = "statuspage_components"
D_COMMANDER = "commander"
D_COMMS = "comms"
D_STAKEHOLDERS = "stakeholders"
D_REPORTED = "reported_at"
"""When the incident was reported (the #incidents thread's first message, else `--reported-at`, else the
raise): the SLO clock starts there."""
D_INVITED = "invited"
"""The people `raise` invited to the channel (the on-call engineers, the responders, `me`)."""
D_POSTMORTEM = "postmortem"
"""The postmortem's URL (or the draft's path); its presence (or a `postmortem` tag) closes the follow-up."""
D_POSTMORTEM_STATE = "postmortem_state"
"""Draft (a file `incident postmortem --output` wrote) or Published (`--publish URL`)."""
D_REVIEW = "review"
"""The incident review's date (YYYY-MM-DD, or YYYY-MM-DDTHH:MM in the profile's zone)."""
D_REVIEW_SPEAKERS = "review_speakers"
D_REVIEW_SUMMARY = "review_summary"

DUPLICATE_WINDOW = timedelta(minutes=10)
CLOSE_WORDING = (
    "This falls outside the scope of immediate support, so I've opened a ticket for you. "
    "You can talk to the team PM about prioritization."
)
# Without `--ticket` nobody opened one: the reply must not say so.
CLOSE_WORDING_NO_TICKET = (
    "This falls outside the scope of immediate support. Please open a ticket for it, and you can talk to "
    "the team PM about prioritization."
)
CLOSE_NOTE_PREFIX = "Not an incident: "
"""How the tracker's note of `oncall incident close` starts (the handoff report tells these apart)."""


# ---- priorities ----------------------------------------------------------------------------------------


def parse_priority(text: str, *, flag: str = "--priority") -> Priority:
    """`P1`..`P5`, `1`..`5`, or the names Critical, High, Moderate, Low, Informational (any case)."""
    value = text.strip()
    upper = value.upper()
    if upper in PRIORITIES:
        return upper
    if value.isdigit() and f"P{value}" in PRIORITIES:
        return cast(Priority, f"P{value}")
    for priority, name in PRIORITY_NAMES.items():
        if name.casefold() == value.casefold():
            return priority
    raise UsageError(
        f"{flag}: {text!r} is not a priority; use P1..P5 or Critical, High, Moderate, Low, Informational"
    )


def priority_label(priority: str) -> str:
    """`P1 (Critical)`."""
    name = PRIORITY_NAMES.get(cast(Priority, priority))
    return f"{priority} ({name})" if name else priority


def public_priorities(setting: str) -> frozenset[str]:
    """The `public_priorities` setting as a set; P4 and P5 are never public, whatever it says."""
    names = {p.strip().upper() for p in setting.split(",") if p.strip()}
    return frozenset(names - NEVER_PUBLIC)


def is_public(priority: str, setting: str) -> bool:
    return priority in public_priorities(setting)


# ---- links ---------------------------------------------------------------------------------------------


def slack_channel_url(channel_id: str) -> str:
    return f"https://slack.com/app_redirect?channel={channel_id}"


def statuspage_url(page_id: str, incident_id: str, shortlink: str | None = None) -> str:
    """The public shortlink when Statuspage gave one, else the manage page of the incident."""
    return shortlink or f"https://manage.statuspage.io/pages/{page_id}/incidents/{incident_id}"


def channel_link(channel_id: str) -> str:
    """A Slack mrkdwn channel mention (renders as #name for members)."""
    return f"<#{channel_id}>"


# ---- channel names -------------------------------------------------------------------------------------


CHANNEL_TEMPLATE = "inc-{number}-{slug}"
"""The default of the setting `slack.channel_name` (`incident-{number}` is the other playbook's style)."""


def channel_name(
    number: str, message: str, template: str = CHANNEL_TEMPLATE, day: date | None = None
) -> str:
    """The channel name from the template (`{number}`, `{slug}` of the message, `{date}` YYYY-MM-DD), valid
    for Slack (lowercase, digits, `-`/`_`, ≤ 80): the slug is what gets cut to fit."""
    from oncall_cli.clients.slack import CHANNEL_NAME_MAX, channel_slug

    values = {"number": number, "date": day.isoformat() if day else ""}
    head, found, tail = template.partition("{slug}")
    head, tail = head.format(**values), tail.format(**values)
    if not found:
        return channel_slug("", prefix=head)
    tail = channel_slug("", prefix=tail) if tail.strip("-_") else ""
    joint = "-" if tail else ""
    name = channel_slug(message, prefix=head, max_len=CHANNEL_NAME_MAX - len(tail) - len(joint))
    return f"{name}{joint}{tail}"


def channel_name_pattern(message: str, template: str = CHANNEL_TEMPLATE, day: date | None = None) -> str:
    """The channel name before the incident number is known (for --dry-run): `{number}` stays `<number>`."""
    return channel_name("0", message, template.replace("{number}", "zzznumberzzz"), day).replace(
        "zzznumberzzz", "<number>"
    )


def channel_candidates(base: str, count: int = 10) -> list[str]:
    """The name, then `-2`, `-3`, ... (each within 80 characters) for when the name is taken."""
    from oncall_cli.clients.slack import with_suffix

    return [base] + [with_suffix(base, n) for n in range(2, count + 1)]


# ---- tracker texts -------------------------------------------------------------------------------------


def description(text: str | None, thread_url: str | None) -> str | None:
    """The incident's description: the given text, plus the #incidents thread link when there is one."""
    parts = [text.strip()] if text and text.strip() else []
    if thread_url:
        parts.append(f"#incidents thread: {thread_url}")
    return "\n\n".join(parts) or None


def purpose(tracker: str, number: str, url: str) -> str:
    """The incident channel's purpose: `Opsgenie incident #42: <its page>`."""
    return f"{tracker} incident #{number}: {url}"


def roles_entry(commander: str | None, comms: str | None) -> str:
    bits = []
    if commander:
        bits.append(f"incident commander {commander}")
    if comms:
        bits.append(f"communications {comms}")
    return record(ROLES_ASSIGNED, roles=", ".join(bits))


def resolution_entry(note: str) -> str:
    return f"Resolved: {note.strip()}"


# ---- public (Statuspage) texts -------------------------------------------------------------------------


def _join_names(names: Sequence[str]) -> str:
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def public_title(priority: str, components: Sequence[str]) -> str:
    """A short, non-technical incident name: never the internal message."""
    what = _join_names(list(components))
    if priority == "P1":
        return f"Outage affecting {what}" if what else "Service outage"
    if priority == "P2":
        return f"Disruption affecting {what}" if what else "Service disruption"
    return f"Degraded performance of {what}" if what else "Degraded performance"


def public_body(priority: str, components: Sequence[str], public_message: str | None = None) -> str:
    """The first public update: `--public-message` verbatim, else a generic acknowledgement."""
    if public_message and public_message.strip():
        return public_message.strip()
    what = _join_names(list(components))
    kind = {"P1": "an outage", "P2": "a disruption"}.get(priority, "degraded performance")
    target = f" affecting {what}" if what else " affecting some of our services"
    return (
        f"We are investigating {kind}{target}. We apologize for the inconvenience and will post an "
        "update as soon as we know more."
    )


def public_resolved_body(message: str | None) -> str:
    if message and message.strip():
        return message.strip()
    return "This incident has been resolved. Thank you for your patience."


# ---- Slack texts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningInfo:
    """What the opening message of an incident channel says."""

    number: str
    message: str
    priority: str
    opsgenie_url: str
    thread_url: str | None = None
    statuspage_url: str | None = None
    public: bool = False
    on_call: Sequence[str] = ()
    responders: Sequence[str] = ()
    not_in_slack: Sequence[str] = ()
    commander: str | None = None
    comms: str | None = None
    tracker: str = "Opsgenie"
    """The tracker's name (`IncidentTracker.service`); `opsgenie_url` is the incident's page there."""
    followups: Sequence[tuple[str, str, str, str]] = ()
    """Filed follow-up tickets: (key, summary, status, url)."""
    non_production: bool = False


NON_PRODUCTION = "No perceived impact on production."
"""What a `--non-production` incident says in the incident, its channel and the #incidents thread."""


def opening_marker(number: str) -> str:
    """The first line of the opening message; a re-run looks for it before posting again."""
    return f":rotating_light: Incident #{number}"


def opening_message(info: OpeningInfo) -> str:
    lines = [
        f"{opening_marker(info.number)}: *{info.message}*",
        f"*Priority:* {priority_label(info.priority)}",
        f"*{info.tracker}:* {info.opsgenie_url}",
    ]
    if info.non_production:
        lines.append(f"*{NON_PRODUCTION}*")
    if info.public:
        lines.append(f"*Statuspage:* {info.statuspage_url or 'being opened (link follows here)'}")
    else:
        lines.append("*Statuspage:* not public at this priority")
    if info.thread_url:
        lines.append(f"*#incidents thread:* {info.thread_url}")
    cmd = f"`oncall incident assign {info.number} --commander EMAIL --comms EMAIL`"
    lines.append(
        f"*Incident commander:* {info.commander or 'unassigned'}  "
        f"*Communications:* {info.comms or 'unassigned'}"
        + ("" if info.commander else f" (assign with {cmd})")
    )
    if info.on_call:
        lines.append(f"*On call:* {', '.join(info.on_call)}")
    if info.responders:
        lines.append(f"*Responders:* {', '.join(info.responders)}")
    if info.not_in_slack:
        lines.append(f"*Not found in Slack (invite by hand):* {', '.join(info.not_in_slack)}")
    lines.append("Please keep the discussion of this incident in this channel.")
    return "\n".join(lines)


def statuspage_note(url: str) -> str:
    return f":mega: Public Statuspage incident opened: {url}"


def thread_reply(channel_id: str, number: str, non_production: bool = False) -> str:
    """The reply in the #incidents thread sending people to the incident channel."""
    return (
        f"Incident #{number} is open; the response happens in {channel_link(channel_id)} "
        f"({slack_channel_url(channel_id)}). Please continue the discussion there."
        + (f" {NON_PRODUCTION}" if non_production else "")
    )


def roles_message(commander: str | None, comms: str | None) -> str:
    bits = []
    if commander:
        bits.append(f"*Incident commander:* {commander}")
    if comms:
        bits.append(f"*Communications:* {comms}")
    return ":busts_in_silhouette: Roles: " + "  ".join(bits)


def member_entry(kind: str, who: str, note: str | None = None) -> str:
    """`Subject-matter expert added: x (note)` / `Stakeholder added: x`."""
    template = {"responder": EXPERT_ADDED, "stakeholder": STAKEHOLDER_ADDED}[kind]
    return record(template, who=who, note=f" ({note.strip()})" if note and note.strip() else "")


def note_message(text: str, at: datetime | None) -> str:
    stamp = f" (at {at.strftime('%Y-%m-%d %H:%M %Z').strip()})" if at else ""
    return f":memo: Timeline note{stamp}: {text.strip()}"


def priority_message(old: str, new: str) -> str:
    return f":arrows_counterclockwise: Priority changed from {priority_label(old)} to {priority_label(new)}."


def in_thread(number: str, message: str) -> str:
    """A message of the incident's channel as its #incidents thread gets it: naming the incident (the thread
    may have reported several)."""
    return f"Incident #{number}: {message}"


def update_entry(text: str) -> str:
    """The timeline entry of `incident update`."""
    return f"Update (#incidents thread): {text.strip()}"


def update_message(number: str, text: str) -> str:
    """`incident update`: an internal update for the stakeholders following the #incidents thread."""
    return f":information_source: Incident #{number} update: {text.strip()}"


def public_update_message(number: str, status: str, text: str) -> str:
    """`status update --thread`: the public text, as posted on Statuspage."""
    return f":mega: Incident #{number} public update ({status}): {text.strip()}"


def resolve_marker(number: str) -> str:
    return f":white_check_mark: Incident #{number} is resolved"


def resolved_message(number: str, note: str) -> str:
    return f"{resolve_marker(number)}: {note.strip()}"


def thread_resolved_message(number: str, note: str) -> str:
    return f"{resolve_marker(number)}: {note.strip()}"


def close_marker(number: str) -> str:
    """The end of the close reply: one per incident, so a thread that reported two non-incidents gets a
    reply for each (`incident #1)` is not part of `incident #12)`)."""
    return f"incident #{number})"


def close_reply(number: str, reason: str, ticket: str | None) -> str:
    """The playbook's friendly wording for reports that are not incidents. It says a ticket was opened only
    when there is one (`--ticket`); otherwise it asks the reporter to open one."""
    text = f"{CLOSE_WORDING} Ticket: {ticket}" if ticket else CLOSE_WORDING_NO_TICKET
    why = f"Reason: {reason.strip()}; " if reason.strip() else ""
    return f"{text}\n({why}{close_marker(number)}"


def close_note(reason: str, ticket: str | None) -> str:
    """The tracker's note of the close."""
    return f"{CLOSE_NOTE_PREFIX}{reason.strip()}" + (f" (ticket {ticket})" if ticket else "")


def is_close_note(note: str | None) -> bool:
    """Whether a note is the one `oncall incident close` writes (closed as not an incident)."""
    return (note or "").startswith(CLOSE_NOTE_PREFIX)


# ---- component statuses across open incidents ----------------------------------------------------------

SEVERITY: dict[str, int] = {
    "operational": 0,
    "degraded_performance": 1,
    "partial_outage": 2,
    "major_outage": 3,
}
"""How bad each component status is. `under_maintenance` is not ranked: it is planned work someone set on
purpose, so it is left alone, except when an incident is raised on the component."""
IMPACT_STATUS: dict[str, ComponentStatus] = {
    "none": "operational",
    "minor": "degraded_performance",
    "major": "partial_outage",
    "critical": "major_outage",
}
"""The component status an open Statuspage incident of each impact asks for (the inverse of
`COMPONENT_STATUS` and `IMPACT`; Statuspage itself derives the impact from the worst component status)."""


def worst_status(statuses: Iterable[str | None]) -> ComponentStatus | None:
    """The most severe of these statuses; None when none is ranked (empty, unknown, under maintenance)."""
    ranked = [cast(ComponentStatus, s) for s in statuses if s in SEVERITY]
    if not ranked:
        return None
    worst: ComponentStatus = max(ranked, key=SEVERITY.__getitem__)
    return worst


def wanted_by_impact(impact: str | None) -> ComponentStatus | None:
    """The status an open Statuspage incident of this impact wants for the components it lists."""
    return IMPACT_STATUS.get(impact or "")


def status_on_raise(current: str | None, wanted: ComponentStatus) -> ComponentStatus:
    """A component named by a new incident: never lower it. It keeps its status when that is already worse
    (another open incident put it there); anything else, under maintenance too, takes `wanted`."""
    if current in SEVERITY and SEVERITY[current] > SEVERITY[wanted]:
        return cast(ComponentStatus, current)
    return wanted


def status_on_priority(
    current: str | None, mine: ComponentStatus, others: Iterable[str | None]
) -> ComponentStatus | None:
    """A component of an incident whose priority changed: the worst of what this incident now wants (`mine`)
    and what the other open incidents listing it want (`others`). It may go down when this incident was
    the one driving it. None: leave it (under maintenance)."""
    if current == "under_maintenance":
        return None
    return worst_status([mine, *others]) or mine


def status_on_resolve(current: str | None, others: Iterable[str | None]) -> ComponentStatus | None:
    """A component of an incident being resolved: operational when no other open incident lists it; else
    what the others want, but never worse than it is now (a resolve makes nothing worse). None: leave it
    (under maintenance)."""
    if current == "under_maintenance":
        return None
    wanted = worst_status(others)
    if wanted is None:
        return "operational"
    if current in SEVERITY and SEVERITY[current] < SEVERITY[wanted]:
        return cast(ComponentStatus, current)
    return wanted


def still_affected_warning(component: str, status: str, incidents: Sequence[str]) -> str:
    """Why a component was not set to what this incident alone would give it."""
    what = "incident" if len(incidents) == 1 else "incidents"
    return (
        f"{component} stays {status}: still affected by the open Statuspage {what} {_join_names(incidents)}"
    )


def kept_warning(component: str, status: str, wanted: str) -> str:
    return (
        f"{component} stays {status} rather than {wanted}: it is already worse (another open incident); "
        "a new incident never lowers a component"
    )


def maintenance_warning(component: str) -> str:
    return f"{component} is under maintenance: left as it is; set it by hand when the maintenance ends"


# ---- follow-up checklist -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: str
    due: date | None = None
    required: bool = True


def follow_up_checklist(number: str, priority: str, resolved_at: datetime) -> list[ChecklistItem]:
    """The playbook's follow-ups after an incident is resolved."""
    items: list[ChecklistItem] = []
    if priority == "P1":
        items.append(
            ChecklistItem(
                "postmortem",
                f"Write the postmortem (Critical incident): `oncall incident postmortem {number}`",
                due=(resolved_at + timedelta(days=2)).date(),
            )
        )
    else:
        items.append(
            ChecklistItem(
                "postmortem",
                f"Postmortem optional below Critical: `oncall incident postmortem {number}`",
                required=False,
            )
        )
    items.append(ChecklistItem("review", "Schedule the incident review with the responders"))
    items.append(ChecklistItem("playbooks", "Update the playbooks and runbooks with what you learned"))
    items.append(
        ChecklistItem(
            "reclaim", "Reclaim off-hours time: log the hours worked outside working hours and take them back"
        )
    )
    return items


# ---- hints ---------------------------------------------------------------------------------------------

_RUN_AGAIN = re.compile(
    r"[,;]?\s*(?:(?:and|then)\s+)?(?:(?:run|try)\b[^.;,]*\bagain|resume)\s*\.?\s*$", re.IGNORECASE
)


def resume_hint(cause: str | None, resume: str) -> str:
    """The hint of a workflow that stopped part-way: the cause's own advice, but ending in the resume command.
    Running the same command again would raise a second incident (or stop at the duplicate check): the
    generic "... then run the command again" of network and rate-limit errors is replaced."""
    advice = _RUN_AGAIN.sub("", (cause or "").strip()).rstrip(" .,;") or "Fix the cause"
    return f"{advice}, then run `{resume}`."


# ---- parsing -------------------------------------------------------------------------------------------


def parse_component_statuses(
    values: Iterable[str], *, flag: str = "--component"
) -> dict[str, ComponentStatus]:
    """`NAME=STATUS` pairs; STATUS among Statuspage's component statuses (also accepts `-` for `_`)."""
    out: dict[str, ComponentStatus] = {}
    for raw in values:
        name, eq, status = raw.rpartition("=")
        name, status = name.strip(), status.strip().lower().replace("-", "_").replace(" ", "_")
        if not eq or not name:
            raise UsageError(f"{flag}: {raw!r} is not NAME=STATUS (e.g. API=degraded_performance)")
        if status not in COMPONENT_STATUSES:
            raise UsageError(
                f"{flag}: {status!r} is not a component status; use one of " + ", ".join(COMPONENT_STATUSES)
            )
        out[name] = status
    return out


def parse_public_status(text: str, *, flag: str = "--status") -> PublicStatus:
    value = text.strip().lower()
    if value not in PUBLIC_STATUSES:
        raise UsageError(f"{flag}: {text!r} is not one of {', '.join(PUBLIC_STATUSES)}")
    return value


# ---- postmortem ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineLine:
    at: datetime | None
    text: str


@dataclass(frozen=True)
class PostmortemInput:
    number: str
    message: str
    priority: str
    status: str
    created_at: datetime | None
    resolved_at: datetime | None
    opsgenie_url: str
    description: str | None = None
    channel: str | None = None
    statuspage_url: str | None = None
    components: Sequence[str] = ()
    commander: str | None = None
    comms: str | None = None
    responders: Sequence[str] = ()
    timeline: Sequence[TimelineLine] = field(default_factory=tuple)
    generated_at: datetime | None = None
    tracker: str = "Opsgenie"
    """The tracker's name (`IncidentTracker.service`); `opsgenie_url` is the incident's page there."""
    followups: Sequence[tuple[str, str, str, str]] = ()
    """Filed follow-up tickets: (key, summary, status, url)."""
    reported_at: datetime | None = None
    """When it was reported (the `reported_at` link), when earlier than the raise."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _utc(at: datetime | None) -> str:
    from datetime import UTC

    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at else "_unknown_"


def duration_text(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "_TODO_ (not resolved yet)"
    minutes = max(0, int((end - start).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if hours or days:
        parts.append(f"{hours} h")
    parts.append(f"{mins} min")
    return " ".join(parts)


def postmortem_markdown(data: PostmortemInput) -> str:
    """A Markdown draft: summary, impact and duration, timeline, root cause and follow-ups to fill in."""
    todo = "_TODO_"
    out = [f"# Postmortem: {data.message} (incident #{data.number})", ""]
    if data.generated_at is not None:
        out += [
            f"_Draft generated by `oncall incident postmortem` on {_utc(data.generated_at)}. "
            "Replace every TODO; keep it blameless._",
            "",
        ]
    out += [
        "## Summary",
        "",
        (data.description or "").strip() or f"{todo}: what happened, in two sentences.",
        "",
        "| | |",
        "|---|---|",
        f"| Priority | {priority_label(data.priority)} |",
        f"| Status | {data.status} |",
        f"| {_cell(data.tracker)} | {data.opsgenie_url} |",
    ]
    if data.channel:
        out.append(f"| Slack | {_cell(data.channel)} |")
    if data.statuspage_url:
        out.append(f"| Statuspage | {data.statuspage_url} |")
    out += [
        f"| Incident commander | {_cell(data.commander or 'unassigned')} |",
        f"| Communications | {_cell(data.comms or 'unassigned')} |",
        f"| Responders | {_cell(', '.join(data.responders) or 'none recorded')} |",
        "",
    ]
    story = _story(data)
    # Duration counts from the raise, as before; the report (when earlier) and back-dated notes are lines
    # of the timeline, in their place.
    started = data.created_at
    out += [
        "## Impact and duration",
        "",
        f"- Started: {_utc(started)}",
        *(
            [f"- Reported: {_utc(data.reported_at)}"]
            if data.reported_at is not None and started is not None and data.reported_at < started
            else []
        ),
        f"- Resolved: {_utc(data.resolved_at) if data.resolved_at else todo}",
        f"- Duration: {duration_text(started, data.resolved_at)}",
        f"- Public components affected: {', '.join(data.components) or 'none'}",
        f"- Customer impact: {todo} (who was affected, how many, what they saw)",
        "",
    ]
    out += ["## Timeline", "", "| Time (UTC) | Event |", "|---|---|"]
    for entry in story:
        out.append(f"| {_utc(entry.at)} | {_cell(entry.text)} |")
    if not story:
        out.append(f"| {todo} | {todo} |")
    out += [
        "",
        "## Root cause",
        "",
        f'{todo}: the causes (ask "why" until it is about the system, not a person).',
        "",
        "## What went well",
        "",
        f"- {todo}",
        "",
        "## What went wrong",
        "",
        f"- {todo}",
        "",
        "## Follow-ups",
        "",
        "| Action | Owner | Ticket | Due |",
        "|---|---|---|---|",
        *(f"| {_cell(summary)} | | [{key}]({url}) ({_cell(status)}) | |" for key, summary, status, url in
          data.followups),
        f"| {todo} | | | |",
        "",
    ]
    return "\n".join(out)


def _story(data: PostmortemInput) -> list[TimelineLine]:
    """The timeline in time order, the report and the raise among its lines (a back-dated note can come
    before them), each text once (the resolve note is also the "Resolved: ..." entry)."""
    from datetime import UTC

    lines = list(data.timeline)
    if data.reported_at is not None and (data.created_at is None or data.reported_at < data.created_at):
        lines.append(TimelineLine(at=data.reported_at, text="Reported"))
    if data.created_at is not None:
        lines.append(
            TimelineLine(
                at=data.created_at,
                text=f"Incident raised in {data.tracker} ({priority_label(data.priority)})",
            )
        )
    earliest = datetime.min.replace(tzinfo=UTC)
    lines.sort(key=lambda e: (e.at is None, e.at or earliest))
    said = {e.text.strip() for e in lines}
    seen: set[tuple[str, str]] = set()
    story = []
    for entry in lines:
        key = entry.text.strip()
        resolve_note = not key.startswith("Resolved: ") and resolution_entry(key) in said
        if (key, _utc(entry.at)) in seen or resolve_note:
            continue
        seen.add((key, _utc(entry.at)))
        story.append(entry)
    return story


def details_changes(current: Mapping[str, str], wanted: Mapping[str, str | None]) -> dict[str, str]:
    """The details to (re)write: wanted keys whose value is set and differs from the incident's."""
    return {k: v for k, v in wanted.items() if v and current.get(k) != v}
