"""Incident use cases: raise, resume, assign, responders, stakeholders, notes, priority, public updates,
resolve, close, list, show and the postmortem draft, across Opsgenie, Slack and Statuspage.

`raise` and `resolve` are journaled workflows (`services/journal.py`): every step is recorded before it
starts and after it ends; independent steps run concurrently (Statuspage never waits for Slack); a step
that fails after the clients' retries stops the run with `PartialError` (exit 10) and
`oncall incident resume` continues from there. Before creating anything, a step whose earlier attempt was
interrupted looks for what that attempt may already have created (the incident by its `oncall_run`
detail, the channel by name, the Statuspage incident by its metadata, messages by their first line).

The links between the three services (Slack channel, #incidents thread, Statuspage incident, roles) are
kept in the Opsgenie incident's details, so every later command, on any machine, finds them.

Crash simulation for tests: `Deps.extra["crash_after_step"]` (a step name or a collection of names) makes
the step runner raise `SimulatedCrash` right after journaling that step as done, as if the process died.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from oncall_cli.errors import (
    ConfigError,
    NotFoundError,
    OncallError,
    PartialError,
    RejectedError,
    UsageError,
)
from oncall_cli.services import incident_text as text
from oncall_cli.services.context import Context
from oncall_cli.services.incident_text import (
    D_CHANNEL,
    D_CHANNEL_ID,
    D_COMMANDER,
    D_COMMS,
    D_COMPONENTS,
    D_RUN,
    D_STAKEHOLDERS,
    D_STATUSPAGE,
    D_THREAD,
    ChecklistItem,
    ComponentStatus,
    Priority,
    PublicStatus,
)
from oncall_cli.services.journal import (
    UNFINISHED,
    Journal,
    Run,
    StepFailed,
    StepRunner,
    journal_path,
)

if TYPE_CHECKING:
    from oncall_cli.clients.opsgenie import OpsgenieClient
    from oncall_cli.clients.opsgenie_models import Incident, Recipient
    from oncall_cli.clients.slack import SlackClient
    from oncall_cli.clients.statuspage import StatuspageClient
    from oncall_cli.clients.statuspage_models import Incident as SpIncident

_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
# How far back an interrupted attempt's creations are looked for (clock skew between us and the vendor).
_LOOKBACK = timedelta(minutes=5)
# Slack errors meaning "we cannot read the history here": then a re-run posts rather than fail.
_NO_HISTORY = frozenset(
    {"unknown_method", "missing_scope", "not_in_channel", "channel_not_found", "thread_not_found"}
)


# ---- output models (the `--json` contract; documented in docs/incident.md) ----------------------------


@dataclass
class IncidentRef:
    id: str
    number: str
    message: str
    priority: str
    status: str
    url: str


@dataclass
class SlackLinks:
    channel_id: str | None = None
    channel_name: str | None = None
    channel_url: str | None = None
    thread_url: str | None = None
    invited: list[str] = field(default_factory=list)
    already_in_channel: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class StatuspageLinks:
    incident_id: str
    url: str
    status: str | None = None
    impact: str | None = None
    components: dict[str, str] = field(default_factory=dict)


@dataclass
class StepView:
    name: str
    status: str
    attempts: int = 0
    started_at: str | None = None
    ended_at: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None


@dataclass
class WorkflowResult:
    """What `raise`, `resolve` and `resume` print."""

    run_id: str
    workflow: str
    status: str
    incident: IncidentRef
    slack: SlackLinks
    statuspage: StatuspageLinks | None
    steps: list[StepView]
    warnings: list[str] = field(default_factory=list)
    checklist: list[ChecklistItem] = field(default_factory=list)
    dry_run: bool = False


@dataclass
class Change:
    """One remote change, as `--dry-run` prints it."""

    service: str
    action: str
    target: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class DryRun:
    changes: list[Change]
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = True


@dataclass
class ActionResult:
    """What assign, responder/stakeholder add, note, priority, status update and close print."""

    incident: IncidentRef
    done: list[str]
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    statuspage: StatuspageLinks | None = None
    dry_run: bool = False


@dataclass
class IncidentRow:
    id: str
    number: str
    message: str
    priority: str
    status: str
    created_at: datetime | None
    url: str
    slack_channel: str | None
    statuspage_incident_id: str | None


@dataclass
class TimelineItem:
    at: datetime | None
    text: str
    kind: str


@dataclass
class IncidentDetail:
    incident: IncidentRef
    description: str | None
    created_at: datetime | None
    updated_at: datetime | None
    roles: dict[str, str | None]
    responders: list[str]
    stakeholders: list[str]
    slack: SlackLinks
    statuspage: StatuspageLinks | None
    timeline: list[TimelineItem]
    details: dict[str, str]
    warnings: list[str] = field(default_factory=list)


@dataclass
class JournalRun:
    run_id: str
    workflow: str
    status: str
    incident_id: str | None
    incident_number: str | None
    message: str
    created_at: str
    updated_at: str
    error: dict[str, Any] | None
    steps: list[StepView]


@dataclass
class JournalView:
    path: str
    runs: list[JournalRun]


@dataclass
class Postmortem:
    incident: IncidentRef
    path: str | None
    markdown: str


# ---- inputs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RaiseRequest:
    message: str
    priority: Priority
    description: str | None = None
    thread: str | None = None
    service: str | None = None
    responders: tuple[str, ...] = ()
    statuspage: bool | None = None
    components: tuple[str, ...] = ()
    public_message: str | None = None
    notify_subscribers: bool = True
    force: bool = False


@dataclass(frozen=True)
class RaiseParams:
    """What the raise run journals and `resume` replays: the request, resolved to ids."""

    message: str
    priority: Priority
    description: str | None
    thread: str | None
    service_id: str
    service_name: str
    responders: tuple[str, ...]
    public: bool
    components: tuple[str, ...]
    component_ids: dict[str, str]
    public_message: str | None
    notify_subscribers: bool

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["responders"] = list(self.responders)
        data["components"] = list(self.components)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RaiseParams:
        return cls(
            message=str(data["message"]),
            priority=cast(Priority, data["priority"]),
            description=data.get("description"),
            thread=data.get("thread"),
            service_id=str(data["service_id"]),
            service_name=str(data.get("service_name", "")),
            responders=tuple(data.get("responders") or ()),
            public=bool(data.get("public")),
            components=tuple(data.get("components") or ()),
            component_ids=dict(data.get("component_ids") or {}),
            public_message=data.get("public_message"),
            notify_subscribers=bool(data.get("notify_subscribers", True)),
        )


@dataclass(frozen=True)
class ResolveParams:
    incident_id: str
    note: str
    close_alerts: bool
    statuspage_message: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResolveParams:
        return cls(
            incident_id=str(data["incident_id"]),
            note=str(data["note"]),
            close_alerts=bool(data.get("close_alerts")),
            statuspage_message=data.get("statuspage_message"),
        )


# ---- shared helpers -----------------------------------------------------------------------------------

_CLIENTS = threading.Lock()


def _og(ctx: Context) -> OpsgenieClient:
    with _CLIENTS:  # Context builds clients lazily; concurrent steps must not build two
        return ctx.opsgenie


def _slack(ctx: Context) -> SlackClient:
    with _CLIENTS:
        return ctx.slack


def _sp(ctx: Context) -> StatuspageClient:
    with _CLIENTS:
        return ctx.statuspage


def open_journal(ctx: Context) -> Journal:
    return Journal(journal_path(ctx.deps.state_dir), now=ctx.now)


def _crash_hook(ctx: Context) -> frozenset[str]:
    value = ctx.deps.extra.get("crash_after_step")
    if not value:
        return frozenset()
    return frozenset([value]) if isinstance(value, str) else frozenset(value)


def _check_email(value: str, flag: str) -> str:
    email = value.strip()
    if not _EMAIL.match(email):
        raise UsageError(f"{flag}: {value!r} is not an email address")
    return email


def _check_text(value: str | None, flag: str) -> str:
    if value is None or not value.strip():
        raise UsageError(f"{flag}: must not be empty")
    return value.strip()


def _check_url(value: str, flag: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{flag}: {value!r} is not an http(s) URL")
    return value.strip()


def _check_thread(value: str) -> tuple[str, str]:
    from oncall_cli.clients.slack import parse_thread_url

    try:
        return parse_thread_url(value)
    except UsageError as exc:
        raise UsageError(f"--thread: {exc.message}", hint=exc.hint) from None


def _created_since(since: datetime | None, status: str | None = None) -> str:
    """An Opsgenie search query: created at or after `since` (epoch ms; `0` = every incident), by status."""
    millis = int(since.timestamp() * 1000) if since is not None else 0
    return f"createdAt>={millis}" + (f" AND status:{status}" if status else "")


def _web_url(ctx: Context, incident_id: str) -> str:
    return text.opsgenie_web_url(ctx.settings.opsgenie_url, incident_id)


def _ref(ctx: Context, inc: Incident) -> IncidentRef:
    return IncidentRef(
        id=inc.id,
        number=inc.tiny_id or inc.id,
        message=inc.message or "",
        priority=inc.priority or "",
        status=inc.status or "",
        url=_web_url(ctx, inc.id),
    )


def find_incident(ctx: Context, ref: str) -> Incident:
    """The Opsgenie incident for `ID`: its number (tinyId, `42` or `#42`) or its id."""
    key = ref.strip().lstrip("#")
    if not key:
        raise UsageError("ID: give the incident number (e.g. 42) or its Opsgenie id")
    og = _og(ctx)
    try:
        if key.isdigit():
            return og.get_incident(identifier=key, identifier_type="tiny")
        return og.get_incident(identifier=key)
    except NotFoundError:
        raise NotFoundError(
            f"No Opsgenie incident {ref!r}",
            hint="Use the incident number from `oncall incident list`, or its id.",
        ) from None


def _details(inc: Incident) -> dict[str, str]:
    return dict(inc.extra_properties or {})


def _split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _slack_links(ctx: Context, details: Mapping[str, str]) -> SlackLinks:
    channel_id = details.get(D_CHANNEL_ID)
    return SlackLinks(
        channel_id=channel_id,
        channel_name=details.get(D_CHANNEL),
        channel_url=text.slack_channel_url(channel_id) if channel_id else None,
        thread_url=details.get(D_THREAD),
    )


def _page_id(ctx: Context) -> str:
    return ctx.settings.text("statuspage.page_id")


def _sp_links(ctx: Context, sp_inc: SpIncident, names: Mapping[str, str] | None = None) -> StatuspageLinks:
    by_id = dict(names or {})
    components = {by_id.get(c.id, c.name): str(c.status or "") for c in sp_inc.components}
    return StatuspageLinks(
        incident_id=sp_inc.id,
        url=text.statuspage_url(_page_id(ctx), sp_inc.id, sp_inc.shortlink),
        status=sp_inc.status,
        impact=sp_inc.impact_override or sp_inc.impact,
        components=components,
    )


def _wait(og: OpsgenieClient, request_id: str) -> None:
    og.wait_request(request_id=request_id)


def _messages(slack: SlackClient, channel: str, thread_ts: str | None = None) -> list[str] | None:
    """Recent message texts of a channel (or a thread), or None when Slack will not show them to us."""
    from oncall_cli.clients.slack import SlackApiError

    try:
        if thread_ts:
            answer = slack.conversations_replies(channel=channel, ts=thread_ts, limit=200)
        else:
            answer = slack.conversations_history(channel=channel, limit=200)
    except SlackApiError as exc:
        if exc.error in _NO_HISTORY:
            return None
        raise
    return [m.text or "" for m in answer.messages]


def _posted(slack: SlackClient, channel: str, needle: str, thread_ts: str | None = None) -> bool:
    """Whether a message containing `needle` is already there (so a re-run does not post twice)."""
    texts = _messages(slack, channel, thread_ts)
    return bool(texts) and any(needle in t for t in texts or [])


def _post(slack: SlackClient, channel: str, message: str, thread_ts: str | None = None) -> str:
    """Post; when the bot is not in a public channel (e.g. #incidents), join it and post again."""
    from oncall_cli.clients.slack import SlackApiError

    try:
        return slack.chat_post_message(channel=channel, text=message, thread_ts=thread_ts).ts
    except SlackApiError as exc:
        if exc.error != "not_in_channel":
            raise
    slack.conversations_join(channel=channel)
    return slack.chat_post_message(channel=channel, text=message, thread_ts=thread_ts).ts


def _channel_label(details: Mapping[str, str]) -> str:
    name = details.get(D_CHANNEL)
    return f"#{name}" if name else details.get(D_CHANNEL_ID, "")


def _mentions(emails: Iterable[str], ids: Mapping[str, str]) -> list[str]:
    return [f"<@{ids[e]}>" if e in ids else e for e in emails]


def _step_views(journal: Journal, run_id: str) -> list[StepView]:
    return [
        StepView(
            name=s.name,
            status=s.status,
            attempts=s.attempts,
            started_at=s.started_at,
            ended_at=s.ended_at,
            result=s.result,
            error=s.error,
        )
        for s in journal.steps(run_id)
    ]


def _partial(
    journal: Journal,
    run: Run,
    plan: Sequence[str],
    failures: Sequence[StepFailed],
    incident: IncidentRef | None,
) -> PartialError:
    """Mark the run partial and build the exit-10 error listing what was done and what was not."""
    steps = {s.name: s for s in journal.steps(run.id)}
    done = [n for n in plan if n in steps and steps[n].status in ("done", "skipped")]
    not_done = [n for n in plan if n not in done]
    failed = [{"step": f.step, "error": f.error.to_dict()} for f in failures]
    ref = (incident.number if incident else None) or run.id
    resume = f"oncall incident resume {ref}"
    error = {"failed": failed}
    journal.set_status(run.id, "partial", error)
    what = f"incident #{incident.number}" if incident else "the incident"
    first = failures[0]
    message = (
        f"{run.workflow} of {what} stopped: {len(failures)} step(s) failed "
        f"({', '.join(f.step for f in failures)}): {first.error.message}. "
        f"Done: {', '.join(done) or 'nothing'}. Not done: {', '.join(not_done)}."
    )
    details = {
        "run_id": run.id,
        "workflow": run.workflow,
        "incident": asdict(incident) if incident else None,
        "done": done,
        "not_done": not_done,
        "failed": failed,
        "resume": resume,
    }
    cause = (first.error.hint or "Fix the cause").rstrip(". ")
    return PartialError(
        message,
        hint=f"{cause}; then run `{resume}` to finish.",
        details=details,
    )


class _Effects:
    """Track the remote changes of a non-journaled command, to say what was done when one fails."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.done: list[str] = []
        self.skipped: list[str] = []

    def run(self, name: str, fn: Callable[[], bool], planned: Sequence[str]) -> None:
        """`fn()` returns False when there was nothing to do (already done by an earlier run)."""
        try:
            changed = fn()
        except OncallError as exc:
            if not self.done:
                raise
            rest = [p for p in planned if p not in self.done and p not in self.skipped]
            raise PartialError(
                f"{self.command} stopped at {name}: {exc.message}. Done: {', '.join(self.done)}. "
                f"Not done: {', '.join(rest)}.",
                hint="Fix the cause, then run the same command again: finished changes are detected and "
                "not repeated.",
                details={
                    "done": list(self.done),
                    "not_done": rest,
                    "failed": [{"step": name, "error": exc.to_dict()}],
                },
            ) from exc
        (self.done if changed else self.skipped).append(name)


# ---- raise --------------------------------------------------------------------------------------------


def _service(ctx: Context, name: str | None) -> tuple[str, str]:
    wanted = (name or ctx.settings.text("opsgenie.service")).strip()
    if not wanted:
        raise ConfigError(
            "No impacted service: pass --service NAME or set `opsgenie.service`.",
            hint="oncall config set opsgenie.service NAME",
        )
    og = _og(ctx)
    found = og.find_service(name=wanted)
    if found is None:
        known = sorted(s.name for s in og.list_services())
        raise NotFoundError(
            f"--service: no Opsgenie service named {wanted!r}. Known: {', '.join(known) or '(none)'}"
        )
    return found.id, found.name


def _opsgenie_user_id(ctx: Context, email: str, flag: str) -> str | None:
    """The Opsgenie user with this email (a responder must be one), checked before anything is created."""
    try:
        return _og(ctx).get_user(identifier=email).id
    except NotFoundError:
        raise NotFoundError(
            f"{flag}: no Opsgenie user {email}", hint="Responders must be Opsgenie users; check the address."
        ) from None


def _components(ctx: Context, names: Sequence[str], warnings: list[str]) -> dict[str, str]:
    """Statuspage component ids by name; unknown names are an error before anything is created. When
    Statuspage cannot be reached now, the check moves into the Statuspage step (Opsgenie goes first)."""
    from oncall_cli.errors import RateLimitedError, UnavailableError

    if not names:
        return {}
    try:
        return {name: c.id for name, c in _sp(ctx).find_components(names).items()}
    except NotFoundError as exc:
        raise NotFoundError(f"--component: {exc.message}", hint=exc.hint, details=exc.details) from None
    except (UnavailableError, RateLimitedError) as exc:
        warnings.append(
            f"could not check the Statuspage components now ({exc.message}); the Statuspage "
            "step will look them up"
        )
        return {}


def _duplicates(ctx: Context, journal: Journal | None, message: str) -> list[str]:
    """Incidents (any status), or unfinished raises, with the same message within the last 10 minutes."""
    since = ctx.now() - text.DUPLICATE_WINDOW
    wanted = message.strip().casefold()
    found: list[str] = []
    for inc in _og(ctx).iter_incidents(query=_created_since(since), sort="createdAt", order="desc"):
        if inc.created_at is not None and inc.created_at < since:
            break
        if (inc.message or "").strip().casefold() == wanted:
            found.append(f"incident #{inc.tiny_id or inc.id} ({inc.status}) {_web_url(ctx, inc.id)}")
    if journal is not None:
        for run in journal.runs(profile=ctx.settings.profile, workflow="raise", statuses=UNFINISHED):
            if run.created >= since and run.message.strip().casefold() == wanted and not run.incident_id:
                found.append(f"an unfinished raise in the journal: `oncall incident resume {run.id}`")
    return found


def raise_incident(
    ctx: Context, req: RaiseRequest, *, dry_run: bool = False, confirm: Callable[[str], bool] | None = None
) -> WorkflowResult | DryRun:
    """`oncall incident raise`: validate, look up ids, then run the journaled workflow."""
    message = _check_text(req.message, "MESSAGE")
    priority = req.priority
    warnings: list[str] = []
    if req.thread:
        _check_thread(req.thread)
    responders = tuple(dict.fromkeys(_check_email(r, "--responder") for r in req.responders))
    by_priority = text.is_public(priority, ctx.settings.text("public_priorities"))
    if req.statuspage and priority in text.NEVER_PUBLIC:
        raise UsageError(f"--statuspage: {priority} incidents are never public (P4 is internal, P5 practice)")
    public = by_priority if req.statuspage is None else bool(req.statuspage)
    components = tuple(dict.fromkeys(c.strip() for c in req.components if c.strip()))
    if components and not public:
        warnings.append(f"--component ignored: a {priority} incident gets no Statuspage incident")
        components = ()
    if req.public_message is not None and not req.public_message.strip():
        raise UsageError("--public-message: must not be empty")
    if req.public_message and not public:
        warnings.append(f"--public-message ignored: a {priority} incident gets no Statuspage incident")
    service_id, service_name = _service(ctx, req.service)
    for email in responders:
        _opsgenie_user_id(ctx, email, "--responder")
    component_ids = _components(ctx, components, warnings) if public else {}
    params = RaiseParams(
        message=message,
        priority=priority,
        description=req.description,
        thread=req.thread,
        service_id=service_id,
        service_name=service_name,
        responders=responders,
        public=public,
        components=components,
        component_ids=component_ids,
        public_message=req.public_message,
        notify_subscribers=req.notify_subscribers,
    )
    journal = None if dry_run else open_journal(ctx)
    duplicates = _duplicates(ctx, journal, message)
    if duplicates and not req.force:
        said = "; ".join(duplicates)
        if dry_run:
            warnings.append(f"likely duplicate of {said} (the real run will ask, or pass --force)")
        elif confirm is None or not confirm(f"Likely duplicate: {said}. Raise another incident anyway?"):
            raise UsageError(
                f"Not raised: the same message was raised within the last 10 minutes ({said})",
                hint="Pass --force to raise another incident anyway.",
            )
    if dry_run:
        return DryRun(_raise_changes(ctx, params), warnings)
    assert journal is not None
    run = journal.start_run(
        workflow="raise", profile=ctx.settings.profile, message=message, params=params.to_json()
    )
    try:
        return _run_raise(ctx, journal, run, params, warnings)
    finally:
        journal.close()


def _raise_changes(ctx: Context, p: RaiseParams) -> list[Change]:
    """The exact changes of a raise (reads only: who is on call, who is in Slack)."""
    changes = [
        Change(
            "opsgenie",
            "create incident",
            p.message,
            {
                "message": p.message,
                "priority": p.priority,
                "service": p.service_name,
                "serviceId": p.service_id,
                "description": text.description(p.description, p.thread),
                "responders": list(p.responders),
            },
        )
    ]
    name = text.channel_name_pattern(p.message)
    me = ctx.settings.text("me").strip()
    emails = [*p.responders, *([me] if me else [])]
    try:
        emails = _on_call(ctx) + emails
    except OncallError as exc:
        emails.append(f"(on-call engineers: unknown, {exc.message})")
    changes += [
        Change("slack", "create channel", name),
        Change("slack", "set purpose", name, {"purpose": "Opsgenie incident #<number>: <link>"}),
        Change("slack", "invite", name, {"users": list(dict.fromkeys(emails))}),
        Change("slack", "post opening message", name),
    ]
    if p.thread:
        changes.append(Change("slack", "reply in thread", p.thread))
    if p.public:
        status = text.COMPONENT_STATUS.get(p.priority)
        changes.append(
            Change(
                "statuspage",
                "create incident",
                text.public_title(p.priority, p.components),
                {
                    "status": "investigating",
                    "impact_override": text.IMPACT[p.priority],
                    "body": text.public_body(p.priority, p.components, p.public_message),
                    "components": {c: status for c in p.components},
                    "deliver_notifications": p.notify_subscribers,
                },
            )
        )
    changes.append(
        Change(
            "opsgenie",
            "add details",
            "<incident>",
            {"keys": [D_CHANNEL_ID, D_CHANNEL] + ([D_STATUSPAGE, D_COMPONENTS] if p.public else [])},
        )
    )
    return changes


def _raise_plan(p: RaiseParams) -> list[str]:
    plan = [
        "opsgenie.create_incident",
        "slack.create_channel",
        "slack.set_purpose",
        "slack.invite",
        "slack.post_opening",
    ]
    if p.thread:
        plan.append("slack.reply_thread")
    if p.public:
        plan.append("statuspage.create_incident")
    plan.append("opsgenie.record_links")
    return plan


def _run_raise(
    ctx: Context, journal: Journal, run: Run, p: RaiseParams, warnings: list[str]
) -> WorkflowResult:
    runner = StepRunner(journal, run, crash_after=_crash_hook(ctx))
    plan = _raise_plan(p)
    journal.set_status(run.id, "running")
    try:
        created = runner.step("opsgenie.create_incident", lambda again: _create_incident(ctx, run, p, again))
    except StepFailed as failure:
        raise _partial(journal, run, plan, [failure], None) from None
    journal.set_incident(run.id, created["id"], created["number"])
    ref = IncidentRef(
        id=created["id"],
        number=created["number"],
        message=p.message,
        priority=p.priority,
        status="open",
        url=created["url"],
    )
    failures: list[StepFailed] = []
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="oncall-raise") as pool:
        sp_future: Future[dict[str, Any] | None] = pool.submit(_statuspage_branch, ctx, runner, run, p, ref)
        slack_future = pool.submit(_slack_branch, ctx, runner, p, ref, sp_future)
        for future in (sp_future, slack_future):
            try:
                future.result()
            except StepFailed as failure:
                failures.append(failure)
    try:
        _record_links(ctx, runner, p, ref)
    except StepFailed as failure:
        failures.append(failure)
    if failures:
        raise _partial(journal, run, plan, failures, ref)
    journal.set_status(run.id, "done")
    return _raise_result(ctx, journal, run, runner, ref, warnings)


def _raise_result(
    ctx: Context, journal: Journal, run: Run, runner: StepRunner, ref: IncidentRef, warnings: list[str]
) -> WorkflowResult:
    channel = runner.result("slack.create_channel") or {}
    invite = runner.result("slack.invite") or {}
    sp = runner.result("statuspage.create_incident") or {}
    p = RaiseParams.from_json(run.params)
    slack = SlackLinks(
        channel_id=channel.get("id"),
        channel_name=channel.get("name"),
        channel_url=channel.get("url"),
        thread_url=p.thread,
        invited=list(invite.get("invited", [])),
        already_in_channel=list(invite.get("already_in_channel", [])),
        not_found=list(invite.get("not_found", [])),
        failed=dict(invite.get("failed", {})),
    )
    statuspage = None
    if sp.get("id"):
        statuspage = StatuspageLinks(
            incident_id=sp["id"],
            url=sp["url"],
            status=sp.get("status"),
            impact=sp.get("impact"),
            components=dict(sp.get("components", {})),
        )
    notes = list(warnings)
    if slack.not_found:
        notes.append(f"not found in Slack, invite by hand: {', '.join(slack.not_found)}")
    if slack.failed:
        notes.append("Slack refused to invite: " + ", ".join(f"{k} ({v})" for k, v in slack.failed.items()))
    notes += [str(w) for w in invite.get("warnings", [])]
    return WorkflowResult(
        run_id=run.id,
        workflow="raise",
        status="done",
        incident=ref,
        slack=slack,
        statuspage=statuspage,
        steps=_step_views(journal, run.id),
        warnings=notes,
    )


# -- raise steps


def _create_incident(ctx: Context, run: Run, p: RaiseParams, interrupted: bool) -> dict[str, Any]:
    from oncall_cli.clients.opsgenie_models import Recipient

    og = _og(ctx)
    found = _find_run_incident(ctx, run, p) if interrupted else None
    if found is None:
        details = {D_RUN: run.id}
        if p.thread:
            details[D_THREAD] = p.thread
        found = og.create_incident_and_wait(
            message=p.message,
            service_id=p.service_id,
            description=text.description(p.description, p.thread),
            priority=p.priority,
            responders=[Recipient.user(r) for r in p.responders],
            details=details,
        )
        reused = False
    else:
        reused = True
    return {
        "id": found.id,
        "number": found.tiny_id or found.id,
        "url": _web_url(ctx, found.id),
        "reused": reused,
    }


def _find_run_incident(ctx: Context, run: Run, p: RaiseParams) -> Incident | None:
    """The incident an interrupted attempt of this run created: its `oncall_run` detail says so (or, when
    the list leaves details out, the same message created since the run started)."""
    og = _og(ctx)
    since = run.created - _LOOKBACK
    for inc in og.iter_incidents(query=_created_since(since), sort="createdAt", order="desc"):
        if inc.created_at is not None and inc.created_at < since:
            break
        marked = (inc.extra_properties or {}).get(D_RUN)
        if marked == run.id:
            return inc
        if marked is None and (inc.message or "") == p.message:
            full = og.get_incident(identifier=inc.id)
            if (full.extra_properties or {}).get(D_RUN) in (None, run.id):
                return full
    return None


def _on_call(ctx: Context) -> list[str]:
    answer = _og(ctx).get_on_calls(identifier=ctx.settings.schedule_name, identifier_type="name", flat=True)
    return list(answer.usernames)


def _slack_branch(
    ctx: Context,
    runner: StepRunner,
    p: RaiseParams,
    ref: IncidentRef,
    sp_future: Future[dict[str, Any] | None],
) -> None:
    channel = runner.step(
        "slack.create_channel", lambda again: _create_channel(ctx, runner.run, p, ref, again)
    )
    channel_id = str(channel["id"])
    runner.step("slack.set_purpose", lambda again: _set_purpose(ctx, channel_id, ref))
    invite = runner.step("slack.invite", lambda again: _invite(ctx, channel_id, p))

    def statuspage_url() -> str | None:
        if not p.public:
            return None
        # The opening message carries the Statuspage link when it exists: wait for that branch (it never
        # waits for us), whatever its outcome.
        if sp_future.exception() is not None:
            return None
        result = sp_future.result()
        return str(result["url"]) if result and result.get("url") else None

    opening = runner.step(
        "slack.post_opening",
        lambda again: _post_opening(ctx, channel_id, p, ref, invite, statuspage_url(), again),
    )
    if p.thread:
        runner.step("slack.reply_thread", lambda again: _reply_thread(ctx, p, ref, channel_id, again))
    if p.public and not opening.get("statuspage_linked"):
        url = statuspage_url()
        if url:
            runner.step(
                "slack.post_statuspage_link",
                lambda again: _post_once(ctx, channel_id, text.statuspage_note(url), url, again),
            )


def _create_channel(
    ctx: Context, run: Run, p: RaiseParams, ref: IncidentRef, interrupted: bool
) -> dict[str, Any]:
    """`inc-<number>-<slug>`; when the name is taken by a channel of an interrupted attempt (or one whose
    purpose names this incident) reuse it, else add a suffix."""
    from oncall_cli.clients.slack import SlackApiError

    slack = _slack(ctx)
    base = text.channel_name(ref.number, p.message)
    for name in text.channel_candidates(base):
        try:
            created = slack.conversations_create(name=name)
        except SlackApiError as exc:
            if exc.error != "name_taken":
                raise
            existing = _channel_by_name(slack, name)
            if existing is not None and _is_ours(existing, ref, run, interrupted):
                return {
                    "id": existing.id,
                    "name": existing.name or name,
                    "url": text.slack_channel_url(existing.id),
                    "reused": True,
                }
            continue
        return {
            "id": created.id,
            "name": created.name or name,
            "url": text.slack_channel_url(created.id),
            "reused": False,
        }
    raise RejectedError(
        f"Slack: every channel name from {base} to {text.channel_candidates(base)[-1]} is taken",
        hint="Archive or rename old incident channels, then resume.",
    )


def _channel_by_name(slack: SlackClient, name: str) -> Any:
    for conversation in slack.iter_conversations(types=("public_channel",), exclude_archived=False):
        if conversation.name == name or conversation.name_normalized == name:
            return conversation
    return None


def _is_ours(channel: Any, ref: IncidentRef, run: Run, interrupted: bool) -> bool:
    purpose = channel.purpose.value if channel.purpose is not None else ""
    if ref.id in purpose:
        return True
    if not interrupted or channel.is_archived:
        return False
    created = channel.created
    return created is None or created >= (run.created - _LOOKBACK).timestamp()


def _set_purpose(ctx: Context, channel_id: str, ref: IncidentRef) -> dict[str, Any]:
    purpose = f"Opsgenie incident #{ref.number}: {ref.url}"
    _slack(ctx).conversations_set_purpose(channel=channel_id, purpose=purpose)
    return {"purpose": purpose}


def _invite(ctx: Context, channel_id: str, p: RaiseParams) -> dict[str, Any]:
    from oncall_cli.services.slack_lookup import users_by_email

    warnings: list[str] = []
    try:
        on_call = _on_call(ctx)
    except NotFoundError as exc:
        on_call = []
        warnings.append(f"no on-call engineers invited: {exc.message}")
    me = ctx.settings.text("me").strip()
    emails = list(dict.fromkeys([*on_call, *p.responders, *([me] if me else [])]))
    slack = _slack(ctx)
    users = users_by_email(slack, emails)
    by_id = {v: k for k, v in users.ids.items()}
    invited: list[str] = []
    already: list[str] = []
    failed: dict[str, str] = {}
    if users.ids:
        answer = slack.conversations_invite(channel=channel_id, users=list(users.ids.values()))
        invited = [by_id.get(u, u) for u in answer.invited]
        already = [by_id.get(u, u) for u in answer.already_in_channel]
        failed = {by_id.get(u, u): e for u, e in answer.failed.items()}
    return {
        "on_call": on_call,
        "responders": list(p.responders),
        "user_ids": users.ids,
        "invited": invited,
        "already_in_channel": already,
        "not_found": users.missing,
        "failed": failed,
        "warnings": warnings,
    }


def _post_opening(
    ctx: Context,
    channel_id: str,
    p: RaiseParams,
    ref: IncidentRef,
    invite: Mapping[str, Any],
    statuspage_url: str | None,
    interrupted: bool,
) -> dict[str, Any]:
    slack = _slack(ctx)
    marker = text.opening_marker(ref.number)
    if interrupted and _posted(slack, channel_id, marker):
        return {"reused": True, "statuspage_linked": bool(statuspage_url)}
    ids = dict(invite.get("user_ids", {}))
    info = text.OpeningInfo(
        number=ref.number,
        message=p.message,
        priority=p.priority,
        opsgenie_url=ref.url,
        thread_url=p.thread,
        statuspage_url=statuspage_url,
        public=p.public,
        on_call=_mentions(invite.get("on_call", []), ids),
        responders=_mentions(p.responders, ids),
        not_in_slack=list(invite.get("not_found", [])),
    )
    ts = _post(slack, channel_id, text.opening_message(info))
    return {"ts": ts, "statuspage_linked": bool(statuspage_url) or not p.public, "reused": False}


def _post_once(
    ctx: Context, channel_id: str, message: str, needle: str, interrupted: bool, thread_ts: str | None = None
) -> dict[str, Any]:
    slack = _slack(ctx)
    if interrupted and _posted(slack, channel_id, needle, thread_ts):
        return {"reused": True}
    return {"ts": _post(slack, channel_id, message, thread_ts), "reused": False}


def _reply_thread(
    ctx: Context, p: RaiseParams, ref: IncidentRef, channel_id: str, interrupted: bool
) -> dict[str, Any]:
    assert p.thread
    thread_channel, thread_ts = _check_thread(p.thread)
    return _post_once(
        ctx,
        thread_channel,
        text.thread_reply(channel_id, ref.number),
        text.channel_link(channel_id),
        interrupted,
        thread_ts,
    )


def _statuspage_branch(
    ctx: Context, runner: StepRunner, run: Run, p: RaiseParams, ref: IncidentRef
) -> dict[str, Any] | None:
    if not p.public:
        runner.skip("statuspage.create_incident", f"{p.priority} is not public")
        return None
    return runner.step(
        "statuspage.create_incident", lambda again: _create_statuspage(ctx, run, p, ref, again)
    )


def _create_statuspage(
    ctx: Context, run: Run, p: RaiseParams, ref: IncidentRef, interrupted: bool
) -> dict[str, Any]:
    sp = _sp(ctx)
    ids = dict(p.component_ids)
    missing = [c for c in p.components if c not in ids]
    if missing:
        ids.update({name: c.id for name, c in sp.find_components(missing).items()})
    title = text.public_title(p.priority, p.components)
    found = _find_statuspage(ctx, ref.id, title, run.created - _LOOKBACK) if interrupted else None
    status = text.COMPONENT_STATUS[p.priority]
    if found is None:
        found = sp.create_incident(
            name=title,
            status="investigating",
            body=text.public_body(p.priority, p.components, p.public_message),
            impact_override=text.IMPACT[p.priority],
            components={ids[c]: status for c in p.components},
            deliver_notifications=p.notify_subscribers,
            metadata={"oncall": {"opsgenie_incident_id": ref.id, "run": run.id}},
        )
        reused = False
    else:
        reused = True
    return {
        "id": found.id,
        "url": text.statuspage_url(_page_id(ctx), found.id, found.shortlink),
        "status": found.status,
        "impact": text.IMPACT[p.priority],
        "components": {c: status for c in p.components},
        "component_ids": ids,
        "reused": reused,
    }


def _find_statuspage(
    ctx: Context, opsgenie_id: str, title: str | None = None, since: datetime | None = None
) -> SpIncident | None:
    """An unresolved Statuspage incident opened for this Opsgenie incident: by our metadata, else (when
    `title` is given) one with that name and no metadata opened since `since` (the run's start)."""
    for sp_inc in _sp(ctx).iter_unresolved_incidents():
        meta = (sp_inc.metadata or {}).get("oncall") or {}
        if isinstance(meta, dict) and meta.get("opsgenie_incident_id") == opsgenie_id:
            return sp_inc
        recent = since is None or sp_inc.created_at is None or sp_inc.created_at >= since
        if title is not None and not meta and sp_inc.name == title and recent:
            return sp_inc
    return None


def _record_links(ctx: Context, runner: StepRunner, p: RaiseParams, ref: IncidentRef) -> None:
    """Write the links that exist on the Opsgenie incident (even when a branch failed: another machine can
    then find what was created). Runs again on resume when there is something new to record."""
    channel = runner.result("slack.create_channel") or {}
    sp = runner.result("statuspage.create_incident") or {}
    wanted: dict[str, str | None] = {
        D_CHANNEL_ID: channel.get("id"),
        D_CHANNEL: channel.get("name"),
        D_STATUSPAGE: sp.get("id"),
        D_COMPONENTS: ",".join(p.components) if sp.get("id") else None,
    }
    wanted = {k: v for k, v in wanted.items() if v}
    if not wanted:
        return
    previous = runner.result("opsgenie.record_links") or {}
    if previous and all(previous.get("details", {}).get(k) == v for k, v in wanted.items()):
        return

    def record(_again: bool) -> dict[str, Any]:
        og = _og(ctx)
        current = _details(og.get_incident(identifier=ref.id))
        changes = text.details_changes(current, wanted)
        if changes:
            _wait(og, og.add_incident_details(identifier=ref.id, details=changes))
        return {"details": wanted, "written": sorted(changes)}

    runner.step("opsgenie.record_links", record, rerun=True)


# ---- resume and journal -------------------------------------------------------------------------------


def resume(ctx: Context, ref: str | None = None) -> WorkflowResult:
    """`oncall incident resume [ID]`: continue the latest unfinished raise or resolve (of this incident)."""
    journal = open_journal(ctx)
    try:
        runs = journal.runs(profile=ctx.settings.profile, ref=ref, statuses=UNFINISHED, limit=1)
        if not runs:
            finished = journal.runs(profile=ctx.settings.profile, ref=ref, limit=1) if ref else []
            if finished and finished[0].status == "done":
                return _finished_result(ctx, journal, finished[0])
            what = f"for {ref!r}" if ref else "in the journal"
            raise NotFoundError(
                f"Nothing to resume {what}: no unfinished raise or resolve.",
                hint="See `oncall incident journal` for the recorded runs.",
            )
        run = runs[0]
        if run.workflow == "raise":
            params = RaiseParams.from_json(run.params)
            return _run_raise(ctx, journal, run, params, [])
        return _run_resolve(ctx, journal, run, ResolveParams.from_json(run.params))
    finally:
        journal.close()


def _finished_result(ctx: Context, journal: Journal, run: Run) -> WorkflowResult:
    runner = StepRunner(journal, run)
    if run.workflow == "raise":
        p = RaiseParams.from_json(run.params)
        created = runner.result("opsgenie.create_incident") or {}
        ref = IncidentRef(
            id=created.get("id", run.incident_id or ""),
            number=run.incident_number or "",
            message=run.message,
            priority=p.priority,
            status="open",
            url=created.get("url", ""),
        )
        return _raise_result(ctx, journal, run, runner, ref, ["already finished; nothing to resume"])
    inc = _og(ctx).get_incident(identifier=run.incident_id or "")
    result = _resolve_result(ctx, journal, run, runner, inc, ResolveParams.from_json(run.params))
    result.warnings.insert(0, "already finished; nothing to resume")
    return result


def journal_view(ctx: Context, ref: str | None = None, *, limit: int = 10) -> JournalView:
    """`oncall incident journal [ID]`: the recorded runs (of this incident) with their steps."""
    journal = open_journal(ctx)
    try:
        runs = journal.runs(profile=ctx.settings.profile, ref=ref, limit=limit)
        if ref and not runs:
            raise NotFoundError(
                f"No journaled run for {ref!r}",
                hint="Run `oncall incident journal` without an ID to see every run.",
            )
        return JournalView(
            path=str(journal.path),
            runs=[
                JournalRun(
                    run_id=r.id,
                    workflow=r.workflow,
                    status=r.status,
                    incident_id=r.incident_id,
                    incident_number=r.incident_number,
                    message=r.message,
                    created_at=r.created_at,
                    updated_at=r.updated_at,
                    error=r.error,
                    steps=_step_views(journal, r.id),
                )
                for r in runs
            ],
        )
    finally:
        journal.close()


# ---- resolve ------------------------------------------------------------------------------------------


def resolve_incident(
    ctx: Context,
    ref: str,
    *,
    note: str,
    close_alerts: bool = False,
    statuspage_message: str | None = None,
    dry_run: bool = False,
) -> WorkflowResult | DryRun:
    """`oncall incident resolve`: timeline entry, resolve, (alerts), Statuspage, channel and thread."""
    note = _check_text(note, "--note")
    if statuspage_message is not None:
        statuspage_message = _check_text(statuspage_message, "--statuspage-message")
    inc = find_incident(ctx, ref)
    params = ResolveParams(
        incident_id=inc.id, note=note, close_alerts=close_alerts, statuspage_message=statuspage_message
    )
    if dry_run:
        return _resolve_changes(ctx, inc, params)
    journal = open_journal(ctx)
    try:
        for old in journal.runs(
            profile=ctx.settings.profile, ref=inc.id, workflow="resolve", statuses=UNFINISHED
        ):
            journal.set_status(old.id, "superseded")
        run = journal.start_run(
            workflow="resolve",
            profile=ctx.settings.profile,
            message=inc.message or "",
            params=asdict(params),
            incident_id=inc.id,
            incident_number=inc.tiny_id,
        )
        return _run_resolve(ctx, journal, run, params)
    finally:
        journal.close()


def _resolve_changes(ctx: Context, inc: Incident, p: ResolveParams) -> DryRun:
    details = _details(inc)
    number = inc.tiny_id or inc.id
    changes = [Change("opsgenie", "add timeline entry", number, {"content": text.resolution_entry(p.note)})]
    warnings: list[str] = []
    if inc.status in ("resolved", "closed"):
        warnings.append(f"incident #{number} is already {inc.status}")
    else:
        changes.append(Change("opsgenie", "resolve incident", number, {"note": p.note}))
    if p.close_alerts:
        changes.append(Change("opsgenie", "close associated alerts", number))
    if details.get(D_STATUSPAGE):
        changes.append(
            Change(
                "statuspage",
                "resolve incident",
                details[D_STATUSPAGE],
                {
                    "status": "resolved",
                    "body": text.public_resolved_body(p.statuspage_message),
                    "components": "all back to operational",
                },
            )
        )
    if details.get(D_CHANNEL_ID):
        changes.append(
            Change(
                "slack",
                "post message",
                details.get(D_CHANNEL) or details[D_CHANNEL_ID],
                {"text": text.resolved_message(number, p.note)},
            )
        )
    if details.get(D_THREAD):
        changes.append(
            Change(
                "slack",
                "reply in thread",
                details[D_THREAD],
                {"text": text.thread_resolved_message(number, p.note)},
            )
        )
    return DryRun(changes, warnings)


def _resolve_plan(inc: Incident, p: ResolveParams) -> list[str]:
    details = _details(inc)
    plan = ["opsgenie.timeline_entry", "opsgenie.resolve"]
    if p.close_alerts:
        plan.append("opsgenie.close_alerts")
    if details.get(D_STATUSPAGE):
        plan.append("statuspage.resolve")
    if details.get(D_CHANNEL_ID):
        plan.append("slack.post_resolved")
    if details.get(D_THREAD):
        plan.append("slack.reply_thread")
    return plan


def _run_resolve(ctx: Context, journal: Journal, run: Run, p: ResolveParams) -> WorkflowResult:
    runner = StepRunner(journal, run, crash_after=_crash_hook(ctx))
    journal.set_status(run.id, "running")
    og = _og(ctx)
    try:
        inc = og.get_incident(identifier=p.incident_id)
    except OncallError as exc:
        raise _partial(
            journal, run, ["opsgenie.read_incident"], [StepFailed("opsgenie.read_incident", exc)], None
        ) from exc
    ref = _ref(ctx, inc)
    details = _details(inc)
    failures: list[StepFailed] = []
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="oncall-resolve") as pool:
        futures = [
            pool.submit(_resolve_opsgenie, ctx, runner, inc, p),
            pool.submit(_resolve_statuspage, ctx, runner, details, p),
            pool.submit(_resolve_slack, ctx, runner, ref, details, p),
        ]
        for future in futures:
            try:
                future.result()
            except StepFailed as failure:
                failures.append(failure)
    if failures:
        raise _partial(journal, run, _resolve_plan(inc, p), failures, ref)
    journal.set_status(run.id, "done")
    return _resolve_result(ctx, journal, run, runner, og.get_incident(identifier=inc.id), p)


def _resolve_result(
    ctx: Context, journal: Journal, run: Run, runner: StepRunner, inc: Incident, p: ResolveParams
) -> WorkflowResult:
    details = _details(inc)
    sp = runner.result("statuspage.resolve") or {}
    statuspage = None
    if sp.get("id"):
        statuspage = StatuspageLinks(
            incident_id=sp["id"],
            url=sp["url"],
            status=sp.get("status"),
            impact=sp.get("impact"),
            components=dict(sp.get("components", {})),
        )
    ref = _ref(ctx, inc)
    warnings = []
    alerts = runner.result("opsgenie.close_alerts") or {}
    warnings += [str(w) for w in alerts.get("warnings", [])]
    checklist = text.follow_up_checklist(ref.number, ref.priority, ctx.now())
    return WorkflowResult(
        run_id=run.id,
        workflow="resolve",
        status="done",
        incident=ref,
        slack=_slack_links(ctx, details),
        statuspage=statuspage,
        steps=_step_views(journal, run.id),
        warnings=warnings,
        checklist=checklist,
    )


def _resolve_opsgenie(ctx: Context, runner: StepRunner, inc: Incident, p: ResolveParams) -> None:
    og = _og(ctx)
    entry = text.resolution_entry(p.note)

    def timeline(_again: bool) -> dict[str, Any]:
        if _has_timeline_entry(og, inc.id, entry):
            return {"reused": True}
        og.add_incident_timeline_entry(incident_id=inc.id, content=entry, time=ctx.now())
        return {"content": entry}

    def resolve(_again: bool) -> dict[str, Any]:
        current = og.get_incident(identifier=inc.id)
        if current.status in ("resolved", "closed"):
            return {"status": current.status, "reused": True}
        _wait(og, og.resolve_incident(identifier=inc.id, note=p.note))
        return {"status": "resolved"}

    runner.step("opsgenie.timeline_entry", timeline)
    runner.step("opsgenie.resolve", resolve)
    if p.close_alerts:
        runner.step("opsgenie.close_alerts", lambda again: _close_alerts(ctx, inc))


def _close_alerts(ctx: Context, inc: Incident) -> dict[str, Any]:
    """Close the incident's associated alerts (closing a closed alert changes nothing: safe to repeat).

    Neither the spec nor the client has a "list the incident's alerts" operation. Opsgenie raises one
    associated alert per incident, aliased by the incident id: it is closed by alias. Alerts an integration
    associated later can be listed (comma-separated ids) in the incident's `associated_alerts` detail.
    The close requests are asynchronous (202); the client has no way yet to wait for an alert request.
    """
    og = _og(ctx)
    note = f"Incident #{inc.tiny_id or inc.id} resolved"
    og.close_alert(identifier=inc.id, identifier_type="alias", note=note)
    closed = [f"alias:{inc.id}"]
    for alert_id in _split_list(_details(og.get_incident(identifier=inc.id)).get("associated_alerts")):
        og.close_alert(identifier=alert_id, note=note)
        closed.append(alert_id)
    return {"closed": closed}


def _has_timeline_entry(
    og: OpsgenieClient,
    incident_id: str,
    content: str,
    at: datetime | None = None,
    since: datetime | None = None,
) -> bool:
    for entry in og.list_incident_timeline_entries(incident_id=incident_id):
        said = entry.description.content if entry.description is not None else None
        if (said or "").strip() != content.strip():
            continue
        when = entry.event_time
        if at is not None and when is not None and abs((when - at).total_seconds()) > 60:
            continue
        if since is not None and when is not None and when < since:
            continue
        return True
    return False


def _resolve_statuspage(
    ctx: Context, runner: StepRunner, details: Mapping[str, str], p: ResolveParams
) -> None:
    sp_id = details.get(D_STATUSPAGE)
    if not sp_id:
        runner.skip("statuspage.resolve", "no Statuspage incident linked")
        return

    def resolve(_again: bool) -> dict[str, Any]:
        sp = _sp(ctx)
        current = sp.get_incident(incident_id=sp_id)
        url = text.statuspage_url(_page_id(ctx), current.id, current.shortlink)
        operational: dict[str, ComponentStatus] = {c.id: "operational" for c in current.components}
        if current.status != "resolved":
            # Notify subscribers as the incident was opened (`--no-notify-subscribers` stays quiet).
            first = current.incident_updates[-1] if current.incident_updates else None
            notify = (
                True if first is None or first.deliver_notifications is None else first.deliver_notifications
            )
            current = sp.update_incident(
                incident_id=sp_id,
                status="resolved",
                body=text.public_resolved_body(p.statuspage_message),
                components=operational or None,
                deliver_notifications=notify,
            )
        elif any(c.status not in ("operational", "", None) for c in current.components):
            current = sp.update_incident(
                incident_id=sp_id, components=operational, deliver_notifications=False
            )
        return {
            "id": current.id,
            "url": url,
            "status": current.status,
            "impact": current.impact_override or current.impact,
            "components": {c.name: str(c.status or "operational") for c in current.components},
        }

    runner.step("statuspage.resolve", resolve)


def _resolve_slack(
    ctx: Context, runner: StepRunner, ref: IncidentRef, details: Mapping[str, str], p: ResolveParams
) -> None:
    channel_id = details.get(D_CHANNEL_ID)
    marker = text.resolve_marker(ref.number)
    if channel_id:
        runner.step(
            "slack.post_resolved",
            lambda again: _post_once(
                ctx, channel_id, text.resolved_message(ref.number, p.note), marker, True
            ),
        )
    else:
        runner.skip("slack.post_resolved", "no incident channel linked")
    thread = details.get(D_THREAD)
    if thread:

        def reply(_again: bool) -> dict[str, Any]:
            thread_channel, thread_ts = _check_thread(thread)
            message = text.thread_resolved_message(ref.number, p.note)
            return _post_once(ctx, thread_channel, message, marker, True, thread_ts)

        runner.step("slack.reply_thread", reply)
    else:
        runner.skip("slack.reply_thread", "no #incidents thread linked")


# ---- roles, people, notes, priority -------------------------------------------------------------------


def assign(
    ctx: Context, ref: str, *, commander: str, comms: str | None = None, dry_run: bool = False
) -> ActionResult | DryRun:
    """`oncall incident assign`: roles in a timeline entry and the details, announced in the channel."""
    commander = _check_email(commander, "--commander")
    comms = _check_email(comms, "--comms") if comms else None
    inc = find_incident(ctx, ref)
    ref_ = _ref(ctx, inc)
    details = _details(inc)
    wanted: dict[str, str | None] = {D_COMMANDER: commander, D_COMMS: comms}
    changes = text.details_changes(details, wanted)
    channel_id = details.get(D_CHANNEL_ID)
    if not changes:
        if dry_run:
            return DryRun([], ["roles already assigned: nothing to change"])
        return ActionResult(ref_, done=[], skipped=["roles already assigned"])
    entry = text.roles_entry(commander, comms)
    planned = (
        ["opsgenie.timeline_entry"] + (["slack.post_roles"] if channel_id else []) + ["opsgenie.details"]
    )
    if dry_run:
        plan = [Change("opsgenie", "add timeline entry", ref_.number, {"content": entry})]
        if channel_id:
            plan.append(
                Change(
                    "slack",
                    "post message",
                    _channel_label(details),
                    {"text": text.roles_message(commander, comms)},
                )
            )
        plan.append(Change("opsgenie", "add details", ref_.number, dict(changes)))
        return DryRun(plan)
    og = _og(ctx)
    effects = _Effects("assign")
    since = ctx.now() - timedelta(hours=24)

    def timeline() -> bool:
        if _has_timeline_entry(og, inc.id, entry, since=since):
            return False
        og.add_incident_timeline_entry(incident_id=inc.id, content=entry, time=ctx.now())
        return True

    def post() -> bool:
        assert channel_id
        from oncall_cli.services.slack_lookup import users_by_email

        slack = _slack(ctx)
        people = [e for e in (commander, comms) if e]
        ids = users_by_email(slack, people).ids
        named = _mentions(people, ids)
        message = text.roles_message(named[0], named[1] if comms else None)
        if _posted(slack, channel_id, message):
            return False
        _post(slack, channel_id, message)
        return True

    def record() -> bool:
        _wait(og, og.add_incident_details(identifier=inc.id, details=changes))
        return True

    # The details go last: they are what tells a re-run that everything before is done.
    effects.run("opsgenie.timeline_entry", timeline, planned)
    if channel_id:
        effects.run("slack.post_roles", post, planned)
    effects.run("opsgenie.details", record, planned)
    warnings = [] if channel_id else ["no incident channel linked; roles not posted in Slack"]
    return ActionResult(ref_, done=effects.done, skipped=effects.skipped, warnings=warnings)


def add_person(
    ctx: Context, ref: str, email: str, *, kind: str, note: str | None = None, dry_run: bool = False
) -> ActionResult | DryRun:
    """`oncall incident responder add` / `stakeholder add`.

    A responder (subject-matter expert) is added to the Opsgenie incident's responders (Opsgenie notifies
    them). Opsgenie has no per-incident stakeholder operation: a stakeholder is recorded in the incident's
    `stakeholders` detail and a timeline entry, without paging them. Both are invited to the channel.
    """
    from oncall_cli.clients.opsgenie_models import Recipient

    email = _check_email(email, "EMAIL")
    inc = find_incident(ctx, ref)
    user_id = _opsgenie_user_id(ctx, email, "EMAIL") if kind == "responder" else None
    ref_ = _ref(ctx, inc)
    details = _details(inc)
    channel_id = details.get(D_CHANNEL_ID)
    og = _og(ctx)
    effects = _Effects(f"{kind} add")
    if kind == "responder":
        planned = ["opsgenie.add_responder"] + (["slack.invite"] if channel_id else [])
    else:
        planned = (
            ["opsgenie.timeline_entry"] + (["slack.invite"] if channel_id else []) + ["opsgenie.details"]
        )
    stakeholders = _split_list(details.get(D_STAKEHOLDERS))
    entry = text.member_entry(kind, email, note)
    if dry_run:
        if kind == "responder":
            plan = [Change("opsgenie", "add responder", ref_.number, {"responder": email, "note": note})]
        else:
            plan = [
                Change("opsgenie", "add timeline entry", ref_.number, {"content": entry}),
                Change(
                    "opsgenie",
                    "add details",
                    ref_.number,
                    {D_STAKEHOLDERS: ",".join(dict.fromkeys([*stakeholders, email]))},
                ),
            ]
        if channel_id:
            plan.insert(1, Change("slack", "invite", _channel_label(details), {"users": [email]}))
        return DryRun(plan)
    warnings: list[str] = []

    def add_responder() -> bool:
        if any(
            r.type == "user"
            and ((r.id and r.id == user_id) or (r.username or "").casefold() == email.casefold())
            for r in inc.responders
        ):
            return False
        _wait(
            og, og.add_incident_responders(identifier=inc.id, responders=[Recipient.user(email)], note=note)
        )
        return True

    def invite() -> bool:
        assert channel_id
        from oncall_cli.services.slack_lookup import users_by_email

        slack = _slack(ctx)
        users = users_by_email(slack, [email])
        if not users.ids:
            warnings.append(f"{email} is not in Slack; invite them by hand")
            return False
        answer = slack.conversations_invite(channel=channel_id, users=list(users.ids.values()))
        if answer.failed:
            warnings.append("Slack refused: " + ", ".join(answer.failed.values()))
        return bool(answer.invited)

    def timeline() -> bool:
        if _has_timeline_entry(og, inc.id, entry):
            return False
        og.add_incident_timeline_entry(incident_id=inc.id, content=entry, time=ctx.now())
        return True

    def record() -> bool:
        if email.casefold() in (s.casefold() for s in stakeholders):
            return False
        value = ",".join([*stakeholders, email])
        _wait(og, og.add_incident_details(identifier=inc.id, details={D_STAKEHOLDERS: value}))
        return True

    if kind == "responder":
        effects.run("opsgenie.add_responder", add_responder, planned)
    elif email.casefold() not in (s.casefold() for s in stakeholders):
        effects.run("opsgenie.timeline_entry", timeline, planned)
    if channel_id:
        effects.run("slack.invite", invite, planned)
    else:
        warnings.append("no incident channel linked; not invited in Slack")
    if kind != "responder":
        effects.run("opsgenie.details", record, planned)
    return ActionResult(ref_, done=effects.done, skipped=effects.skipped, warnings=warnings)


def add_note(
    ctx: Context, ref: str, note: str, *, at: str | None = None, slack: bool = False, dry_run: bool = False
) -> ActionResult | DryRun:
    """`oncall incident note`: a timeline entry (at a past time with --at); `--slack` posts it too."""
    from oncall_cli.services.timeparse import parse_time

    note = _check_text(note, "TEXT")
    now = ctx.now()
    tz = ctx.settings.text("timezone")
    # A bare HH:MM is the latest such time: the playbook's after-the-fact entries are in the past.
    when = parse_time(at, flag="--at", tz=tz, now=now, clock="past") if at else None
    if when is not None and when > now + timedelta(minutes=1):
        raise UsageError(f"--at: {when.isoformat()} is in the future; notes record what already happened")
    inc = find_incident(ctx, ref)
    ref_ = _ref(ctx, inc)
    channel_id = _details(inc).get(D_CHANNEL_ID)
    warnings: list[str] = []
    if slack and not channel_id:
        warnings.append("no incident channel linked; note not posted in Slack")
    planned = ["opsgenie.timeline_entry"] + (["slack.post_note"] if slack and channel_id else [])
    if dry_run:
        plan = [Change("opsgenie", "add timeline entry", ref_.number, {"content": note, "time": when or now})]
        if slack and channel_id:
            plan.append(
                Change(
                    "slack",
                    "post message",
                    _channel_label(_details(inc)),
                    {"text": text.note_message(note, when)},
                )
            )
        return DryRun(plan, warnings)
    og = _og(ctx)
    effects = _Effects("note")

    def timeline() -> bool:
        # The same text at the same time (or, without --at, within 10 minutes) is the same note.
        if _has_timeline_entry(
            og, inc.id, note, at=when, since=None if when else now - timedelta(minutes=10)
        ):
            return False
        og.add_incident_timeline_entry(incident_id=inc.id, content=note, time=when or now)
        return True

    def post() -> bool:
        assert channel_id
        client = _slack(ctx)
        message = text.note_message(note, when)
        if _posted(client, channel_id, message):
            return False
        _post(client, channel_id, message)
        return True

    effects.run("opsgenie.timeline_entry", timeline, planned)
    if slack and channel_id:
        effects.run("slack.post_note", post, planned)
    return ActionResult(ref_, done=effects.done, skipped=effects.skipped, warnings=warnings)


def change_priority(
    ctx: Context, ref: str, priority: Priority, *, dry_run: bool = False
) -> ActionResult | DryRun:
    """`oncall incident priority`: the Statuspage impact, a channel message, then the Opsgenie priority."""
    inc = find_incident(ctx, ref)
    ref_ = _ref(ctx, inc)
    details = _details(inc)
    old = inc.priority or "?"
    sp_id = details.get(D_STATUSPAGE)
    channel_id = details.get(D_CHANNEL_ID)
    warnings: list[str] = []
    public = text.is_public(priority, ctx.settings.text("public_priorities"))
    if public and not sp_id:
        warnings.append(
            f"{priority} is public but no Statuspage incident is linked: open one with "
            f"`oncall status update {ref_.number} --status investigating --message TEXT`"
        )
    if not public and sp_id:
        warnings.append(
            f"{priority} is not public: the Statuspage incident stays open with impact none; "
            f"resolve it with `oncall status update {ref_.number} --status resolved --message TEXT`"
        )
    planned = (
        (["statuspage.impact"] if sp_id else [])
        + (["slack.post_priority"] if channel_id else [])
        + ["opsgenie.priority"]
    )
    if old == priority:
        planned = [p for p in planned if p != "slack.post_priority"]
    if dry_run:
        plan: list[Change] = []
        if sp_id:
            plan.append(
                Change("statuspage", "update impact", sp_id, {"impact_override": text.IMPACT[priority]})
            )
        if old != priority:
            if channel_id:
                plan.append(
                    Change(
                        "slack",
                        "post message",
                        _channel_label(details),
                        {"text": text.priority_message(old, priority)},
                    )
                )
            plan.append(Change("opsgenie", "update priority", ref_.number, {"priority": priority}))
        else:
            warnings.append(f"incident #{ref_.number} is already {priority}")
        return DryRun(plan, warnings)
    og = _og(ctx)
    effects = _Effects("priority")
    statuspage: StatuspageLinks | None = None

    def impact() -> bool:
        nonlocal statuspage
        assert sp_id
        sp = _sp(ctx)
        current = sp.get_incident(incident_id=sp_id)
        wanted = text.IMPACT[priority]
        if current.status == "resolved" or (current.impact_override or current.impact) == wanted:
            statuspage = _sp_links(ctx, current)
            return False
        statuspage = _sp_links(
            ctx, sp.update_incident(incident_id=sp_id, impact_override=wanted, deliver_notifications=False)
        )
        return True

    def post() -> bool:
        assert channel_id
        client = _slack(ctx)
        message = text.priority_message(old, priority)
        if _posted(client, channel_id, message):
            return False
        _post(client, channel_id, message)
        return True

    def update() -> bool:
        if inc.priority == priority:
            return False
        _wait(og, og.update_incident_priority(identifier=inc.id, priority=priority))
        return True

    if sp_id:
        effects.run("statuspage.impact", impact, planned)
    if channel_id and old != priority:
        effects.run("slack.post_priority", post, planned)
    effects.run("opsgenie.priority", update, planned)
    ref_.priority = priority
    return ActionResult(
        ref_, done=effects.done, skipped=effects.skipped, warnings=warnings, statuspage=statuspage
    )


# ---- public status update -----------------------------------------------------------------------------


def status_update(
    ctx: Context,
    ref: str,
    *,
    status: PublicStatus,
    message: str,
    components: Mapping[str, ComponentStatus] | None = None,
    notify: bool = True,
    dry_run: bool = False,
) -> ActionResult | DryRun:
    """`oncall status update`: a public update on the linked Statuspage incident, opening one on demand when
    the incident has none and its priority is public."""
    message = _check_text(message, "--message")
    inc = find_incident(ctx, ref)
    ref_ = _ref(ctx, inc)
    details = _details(inc)
    sp_id = details.get(D_STATUSPAGE)
    priority = cast(Priority, inc.priority or "P3")
    if not sp_id and not text.is_public(priority, ctx.settings.text("public_priorities")):
        raise UsageError(
            f"Incident #{ref_.number} is {priority}: not public, so it has no Statuspage incident",
            hint=f"Raise its priority first: `oncall incident priority {ref_.number} P3`.",
        )
    sp = _sp(ctx)
    names = list((components or {}).keys())
    ids = {name: c.id for name, c in sp.find_components(names).items()} if names else {}
    wanted: dict[str, ComponentStatus] = {ids[n]: s for n, s in (components or {}).items()}
    if dry_run:
        data: dict[str, Any] = {
            "status": status,
            "body": message,
            "components": dict(components or {}),
            "deliver_notifications": notify,
        }
        if sp_id:
            return DryRun([Change("statuspage", "post update", sp_id, data)])
        data["impact_override"] = text.IMPACT[priority]
        title = text.public_title(priority, names)
        return DryRun(
            [
                Change("statuspage", "create incident", title, data),
                Change("opsgenie", "add details", ref_.number, {"keys": [D_STATUSPAGE, D_COMPONENTS]}),
            ]
        )
    effects = _Effects("status update")
    og = _og(ctx)
    result: StatuspageLinks | None = None
    by_id = {v: k for k, v in ids.items()}

    if sp_id:
        planned = ["statuspage.post_update"]

        def update() -> bool:
            nonlocal result
            current = sp.get_incident(incident_id=sp_id)
            latest = current.incident_updates[0] if current.incident_updates else None
            if latest is not None and latest.status == status and (latest.body or "").strip() == message:
                result = _sp_links(ctx, current, by_id)
                return False
            target = dict(wanted)
            if status == "resolved" and not target:
                target = {c.id: "operational" for c in current.components}
            updated = sp.update_incident(
                incident_id=sp_id,
                status=status,
                body=message,
                components=target or None,
                deliver_notifications=notify,
            )
            result = _sp_links(ctx, updated, by_id)
            return True

        effects.run("statuspage.post_update", update, planned)
        return ActionResult(ref_, done=effects.done, skipped=effects.skipped, statuspage=result)

    planned = ["statuspage.create_incident", "opsgenie.details"]
    title = text.public_title(priority, names)
    created: SpIncident | None = None

    def create() -> bool:
        nonlocal created, result
        # A crash after an earlier create and before the details: find that one rather than open a second.
        created = _find_statuspage(ctx, inc.id)
        if created is not None:
            result = _sp_links(ctx, created, by_id)
            return False
        target = dict(wanted) or {}
        created = sp.create_incident(
            name=title,
            status=status,
            body=message,
            impact_override=text.IMPACT[priority],
            components=target or None,
            deliver_notifications=notify,
            metadata={"oncall": {"opsgenie_incident_id": inc.id}},
        )
        result = _sp_links(ctx, created, by_id)
        return True

    def record() -> bool:
        assert created is not None
        links = {D_STATUSPAGE: created.id, D_COMPONENTS: ",".join(names) if names else None}
        changes = text.details_changes(details, links)
        if not changes:
            return False
        _wait(og, og.add_incident_details(identifier=inc.id, details=changes))
        return True

    effects.run("statuspage.create_incident", create, planned)
    effects.run("opsgenie.details", record, planned)
    return ActionResult(ref_, done=effects.done, skipped=effects.skipped, statuspage=result)


# ---- close (not an incident) --------------------------------------------------------------------------


def close_incident(
    ctx: Context, ref: str, *, reason: str, ticket: str | None = None, dry_run: bool = False
) -> ActionResult | DryRun:
    """`oncall incident close`: for reports that are not incidents; the playbook's friendly thread reply."""
    reason = _check_text(reason, "--reason")
    ticket = _check_url(ticket, "--ticket") if ticket else None
    inc = find_incident(ctx, ref)
    ref_ = _ref(ctx, inc)
    details = _details(inc)
    thread = details.get(D_THREAD)
    warnings: list[str] = []
    if not thread:
        warnings.append(
            "no #incidents thread linked; reply to the reporter by hand:\n" + text.close_reply(reason, ticket)
        )
    if details.get(D_STATUSPAGE):
        warnings.append(
            f"a Statuspage incident is linked: resolve it with `oncall status update "
            f"{ref_.number} --status resolved --message TEXT`"
        )
    planned = ["opsgenie.close"] + (["slack.reply_thread"] if thread else [])
    note = f"Not an incident: {reason}" + (f" (ticket {ticket})" if ticket else "")
    if dry_run:
        plan = [Change("opsgenie", "close incident", ref_.number, {"note": note})]
        if thread:
            plan.append(
                Change("slack", "reply in thread", thread, {"text": text.close_reply(reason, ticket)})
            )
        return DryRun(plan, warnings)
    og = _og(ctx)
    effects = _Effects("close")

    def close() -> bool:
        if inc.status == "closed":
            return False
        _wait(og, og.close_incident(identifier=inc.id, note=note))
        return True

    def reply() -> bool:
        assert thread
        thread_channel, thread_ts = _check_thread(thread)
        posted = _post_once(
            ctx, thread_channel, text.close_reply(reason, ticket), text.CLOSE_WORDING, True, thread_ts
        )
        return not posted.get("reused", False)

    effects.run("opsgenie.close", close, planned)
    if thread:
        effects.run("slack.reply_thread", reply, planned)
    ref_.status = "closed"
    return ActionResult(ref_, done=effects.done, skipped=effects.skipped, warnings=warnings)


# ---- list, show, postmortem ---------------------------------------------------------------------------


def list_incidents(
    ctx: Context, *, status: str | None = None, since: str | None = None, limit: int = 100
) -> list[IncidentRow]:
    """`oncall incident list`: newest first, optionally by status and creation date."""
    from oncall_cli.services.timeparse import parse_time

    if status is not None and status not in ("open", "resolved", "closed"):
        raise UsageError(f"--status: {status!r} is not one of open, resolved, closed")
    tz = ctx.settings.text("timezone")
    after = parse_time(since, flag="--since", tz=tz, now=ctx.now(), clock="past") if since else None
    query = _created_since(after, status)
    rows: list[IncidentRow] = []
    for inc in _og(ctx).iter_incidents(query=query, sort="createdAt", order="desc"):
        if after is not None and inc.created_at is not None and inc.created_at < after:
            break
        if status is not None and inc.status and inc.status != status:
            continue
        details = _details(inc)
        rows.append(
            IncidentRow(
                id=inc.id,
                number=inc.tiny_id or inc.id,
                message=inc.message or "",
                priority=inc.priority or "",
                status=inc.status or "",
                created_at=inc.created_at,
                url=_web_url(ctx, inc.id),
                slack_channel=details.get(D_CHANNEL),
                statuspage_incident_id=details.get(D_STATUSPAGE),
            )
        )
        if len(rows) >= limit:
            break
    return rows


def show(ctx: Context, ref: str) -> IncidentDetail:
    """`oncall incident show`: details, responders, roles, timeline, channel and Statuspage state."""
    inc = find_incident(ctx, ref)
    details = _details(inc)
    warnings: list[str] = []
    og = _og(ctx)
    timeline = [
        TimelineItem(
            at=e.event_time,
            kind=e.type or e.group or "entry",
            text=(e.description.content or e.description.name or "") if e.description else "",
        )
        for e in og.list_incident_timeline_entries(incident_id=inc.id)
        if not e.hidden
    ]
    try:
        timeline += [
            TimelineItem(at=n.created_at, text=n.note, kind="note")
            for n in og.list_incident_notes(identifier=inc.id)
        ]
    except OncallError as exc:
        warnings.append(f"could not read the incident notes: {exc.message}")
    timeline.sort(key=lambda t: (t.at is None, t.at or datetime.min))
    slack = _slack_links(ctx, details)
    if slack.channel_id and not slack.channel_name:
        try:
            slack.channel_name = _slack(ctx).conversations_info(channel=slack.channel_id).name
        except OncallError as exc:
            warnings.append(f"could not read the Slack channel: {exc.message}")
    statuspage = None
    sp_id = details.get(D_STATUSPAGE)
    if sp_id:
        try:
            statuspage = _sp_links(ctx, _sp(ctx).get_incident(incident_id=sp_id))
        except OncallError as exc:
            statuspage = StatuspageLinks(incident_id=sp_id, url=text.statuspage_url(_page_id(ctx), sp_id))
            warnings.append(f"could not read the Statuspage incident: {exc.message}")
    responders = [_responder_name(og, r, warnings) for r in inc.responders]
    return IncidentDetail(
        incident=_ref(ctx, inc),
        description=inc.description,
        created_at=inc.created_at,
        updated_at=inc.updated_at,
        roles={"commander": details.get(D_COMMANDER), "comms": details.get(D_COMMS)},
        responders=[str(r) for r in responders],
        stakeholders=_split_list(details.get(D_STAKEHOLDERS)),
        slack=slack,
        statuspage=statuspage,
        timeline=timeline,
        details=details,
        warnings=warnings,
    )


def _responder_name(og: OpsgenieClient, responder: Recipient, warnings: list[str]) -> str:
    """A responder as people know them: the username (email) of a user Opsgenie names only by id."""
    if responder.username or responder.name:
        return str(responder.username or responder.name)
    if responder.type == "user" and responder.id:
        try:
            return og.get_user(identifier=responder.id).username
        except OncallError as exc:
            warnings.append(f"could not read responder {responder.id}: {exc.message}")
    return str(responder.id or responder.type)


def postmortem(ctx: Context, ref: str, *, output: Path | None = None, force: bool = False) -> Postmortem:
    """`oncall incident postmortem`: a Markdown draft from the incident's details and timeline."""
    if output is not None and output.exists() and not force:
        raise UsageError(
            f"--output: {output} exists; it may hold your edits",
            hint="Pass --force to overwrite it, or choose another file.",
        )
    detail = show(ctx, ref)
    resolved_at = next((t.at for t in detail.timeline if t.text.startswith("Resolved: ")), None)
    if resolved_at is None and detail.incident.status in ("resolved", "closed"):
        resolved_at = detail.updated_at
    channel = f"#{detail.slack.channel_name}" if detail.slack.channel_name else detail.slack.channel_id
    components = list(detail.statuspage.components) if detail.statuspage else []
    data = text.PostmortemInput(
        number=detail.incident.number,
        message=detail.incident.message,
        priority=detail.incident.priority,
        status=detail.incident.status,
        created_at=detail.created_at,
        resolved_at=resolved_at,
        opsgenie_url=detail.incident.url,
        description=detail.description,
        channel=channel,
        statuspage_url=detail.statuspage.url if detail.statuspage else None,
        components=components,
        commander=detail.roles.get("commander"),
        comms=detail.roles.get("comms"),
        responders=detail.responders,
        timeline=[text.TimelineLine(at=t.at, text=t.text) for t in detail.timeline],
        generated_at=ctx.now(),
    )
    markdown = text.postmortem_markdown(data)
    if output is not None:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(markdown, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output: cannot write {output}: {exc.strerror}") from exc
    return Postmortem(incident=detail.incident, path=str(output) if output else None, markdown=markdown)


__all__ = [
    "ActionResult",
    "DryRun",
    "IncidentDetail",
    "IncidentRow",
    "JournalView",
    "Postmortem",
    "RaiseRequest",
    "WorkflowResult",
    "add_note",
    "add_person",
    "assign",
    "change_priority",
    "close_incident",
    "find_incident",
    "journal_view",
    "list_incidents",
    "postmortem",
    "raise_incident",
    "resolve_incident",
    "resume",
    "show",
    "status_update",
]
