"""`oncall incident raise`, and `resume` and `journal` for the journaled workflows (raise and resolve).

A raise is a journaled workflow (`services/journal.py`): every step is recorded before it starts and after
it ends. The checks before it read at once (`_preflight`). Every step starts as soon as what it needs
exists (`services/step_graph.py`): the incident first (on the tracker: Opsgenie, or Jira Service
Management; meanwhile who to invite is read); then the Slack branch (channel, purpose, invitations, opening
message, #incidents thread reply) and the Statuspage branch run concurrently (neither waits for the other;
the Statuspage link is edited into the opening message once both exist); last, the links are recorded on
the incident. A step that fails after the clients' retries stops the steps that need it, the run ends with
`PartialError` (exit 10) and
`oncall incident resume` continues from there. Before creating anything, a step whose earlier attempt was
interrupted looks for what that attempt may already have created (the incident by its `oncall_run` link,
the channel by name, the Statuspage incident by its metadata, messages by their first line).

The tracker's steps are named `tracker.*` whatever the backend; runs journaled before that, under the
`opsgenie.*` names, are renamed when resumed (`OLD_STEP_NAMES`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from oncall_cli.errors import NotFoundError, OncallError, RejectedError, UsageError
from oncall_cli.services import incident_text as text
from oncall_cli.services.context import Context
from oncall_cli.services.incident.common import (
    SP_INCIDENT_META,
    _check_email,
    _check_person,
    _check_text,
    _check_thread,
    _components,
    _crash_hook,
    _duplicates,
    _find_message,
    _find_statuspage,
    _mentions,
    _page_id,
    _partial,
    _post_once,
    _read_thread,
    _service,
    _slack,
    _sp,
    _step_sp_links,
    _step_views,
    _tracker,
    _tracker_label,
    find_components,
    find_incident,
    open_journal,
)
from oncall_cli.services.incident.models import (
    Change,
    DryRun,
    IncidentRef,
    JournalRun,
    JournalView,
    RaiseParams,
    RaiseRequest,
    ResolveParams,
    SlackLinks,
    WorkflowResult,
)
from oncall_cli.services.incident.resolving import (
    CLOSE_ALERTS,
    READ_INCIDENT,
    RESOLVE,
    TIMELINE_ENTRY,
    _resolve_plan,
    _resolve_result,
    _run_resolve,
)
from oncall_cli.services.incident_text import (
    D_CHANNEL,
    D_CHANNEL_ID,
    D_COMPONENTS,
    D_INVITED,
    D_REPORTED,
    D_RUN,
    D_STATUSPAGE,
    D_THREAD,
)
from oncall_cli.services.journal import UNFINISHED, Journal, Run, StepRunner

if TYPE_CHECKING:
    from oncall_cli.clients.slack import SlackClient
    from oncall_cli.services.ports import TrackedIncident

# How far back an interrupted attempt's creations are looked for (clock skew between us and the vendor).
_LOOKBACK = timedelta(minutes=5)


def raise_incident(
    ctx: Context, req: RaiseRequest, *, dry_run: bool = False, confirm: Callable[[str], bool] | None = None
) -> WorkflowResult | DryRun:
    """`oncall incident raise`: validate, look up ids, then run the journaled workflow."""
    message = _check_text(req.message, "MESSAGE")
    priority = req.priority
    warnings: list[str] = []
    non_production = bool(req.non_production)
    if req.non_production and priority not in text.NEVER_PUBLIC:
        raise UsageError(
            f"--non-production: only a P4 or P5 incident may have no production impact ({priority})"
        )
    if req.non_production is None and priority in text.NEVER_PUBLIC and confirm is not None and not dry_run:
        non_production = not confirm(f"Does this {priority} incident affect production?")
    reported = _reported_at(ctx, req.reported_at)
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
    journal = None if dry_run else open_journal(ctx)
    checks = _preflight(ctx, req, responders, components if public else (), journal, message)
    if req.thread and reported is None:
        # The thread's first message is when the incident was reported.
        reported = checks.thread_started
    warnings += checks.warnings
    service_id, service_name = checks.service
    component_ids = checks.component_ids
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
        reported_at=(reported or ctx.now()).isoformat(),
        non_production=non_production,
    )
    duplicates = checks.duplicates
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


@dataclass
class _Checks:
    """What the checks before a raise found."""

    service: tuple[str, str]
    component_ids: dict[str, str]
    duplicates: list[str]
    thread_started: datetime | None
    warnings: list[str]


def _preflight(
    ctx: Context,
    req: RaiseRequest,
    responders: Sequence[str],
    components: Sequence[str],
    journal: Journal | None,
    message: str,
) -> _Checks:
    """The reads before anything is created, concurrently: the --thread link (a wrong one would stop the
    run after the incident, channel and Statuspage incident exist), the service, each responder, the
    Statuspage components (read once: the Statuspage step uses them too) and likely duplicates. When several
    fail, the error is the first in that order, as if they had run one by one."""
    from oncall_cli.services.gather import gather

    warnings: list[str] = []
    thread_started, service, *_people, component_ids, duplicates = gather(
        lambda: _read_thread(ctx, req.thread) if req.thread else None,
        lambda: _service(ctx, req.service),
        *[lambda email=email: _check_person(ctx, email, "--responder") for email in responders],
        lambda: _components(ctx, components, warnings),
        lambda: _duplicates(ctx, journal, message),
    )
    checks = _Checks(service, component_ids, duplicates, thread_started, warnings)
    return checks


def _description(p: RaiseParams) -> str | None:
    said = text.description(p.description, p.thread)
    if not p.non_production:
        return said
    return "\n\n".join(x for x in (text.NON_PRODUCTION, said) if x)


def _local_day(ctx: Context, at: datetime | None = None) -> date:
    """The `{date}` of a channel name: the day the raise started, in the profile's zone."""
    from oncall_cli.scheduling.model import zone

    return (at or ctx.now()).astimezone(zone(ctx.settings.text("timezone"))).date()


def _reported_at(ctx: Context, value: str | None) -> datetime | None:
    """`--reported-at`: a past time (a bare HH:MM is the latest such time), in the profile's zone."""
    from oncall_cli.services.timeparse import parse_time

    if value is None:
        return None
    now = ctx.now()
    tz = ctx.settings.text("timezone")
    when = parse_time(value, flag="--reported-at", tz=tz, now=now, clock="past")
    if when > now + timedelta(minutes=1):
        raise UsageError(f"--reported-at: {when.isoformat()} is in the future")
    return when


def _raise_changes(ctx: Context, p: RaiseParams) -> list[Change]:
    """The exact changes of a raise (reads only: who is on call, who is in Slack)."""
    tracker = _tracker(ctx).service
    changes = [
        Change(
            _tracker_label(ctx),
            "create incident",
            p.message,
            {
                "message": p.message,
                "priority": p.priority,
                "service": p.service_name,
                "serviceId": p.service_id,
                "description": _description(p),
                "responders": list(p.responders),
                "reported_at": p.reported_at,
            },
        )
    ]
    name = text.channel_name_pattern(p.message, ctx.settings.text("slack.channel_name"), _local_day(ctx))
    me = ctx.settings.text("me").strip()
    emails = [*p.responders, *([me] if me else [])]
    try:
        emails = _on_call(ctx) + emails
    except OncallError as exc:
        emails.append(f"(on-call engineers: unknown, {exc.message})")
    changes += [
        Change("slack", "create channel", name),
        Change("slack", "set purpose", name, {"purpose": text.purpose(tracker, "<number>", "<link>")}),
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
            _tracker_label(ctx),
            "add details",
            "<incident>",
            {"keys": [D_CHANNEL_ID, D_CHANNEL] + ([D_STATUSPAGE, D_COMPONENTS] if p.public else [])},
        )
    )
    return changes


CREATE_INCIDENT = "tracker.create_incident"
RECORD_LINKS = "tracker.record_links"
RERUN_STEPS = frozenset({RECORD_LINKS})
"""Steps that run again on every resume: recording the links picks up what the later steps created."""


def _raise_plan(p: RaiseParams) -> list[str]:
    plan = [
        CREATE_INCIDENT,
        "slack.create_channel",
        "slack.set_purpose",
        "slack.invite",
        "slack.post_opening",
    ]
    if p.thread:
        plan.append("slack.reply_thread")
    if p.public:
        plan.append("statuspage.create_incident")
    plan.append(RECORD_LINKS)
    return plan


def _run_raise(
    ctx: Context, journal: Journal, run: Run, p: RaiseParams, warnings: list[str]
) -> WorkflowResult:
    """Every step starts as soon as what it needs exists (`step_graph`): the incident first (meanwhile who
    to invite is read); then Slack (channel; purpose and invitations; opening message; thread reply) and
    Statuspage side by side; the Statuspage link is added to the opening message once both exist; the
    links are recorded once both branches have ended, whatever their outcome."""
    from oncall_cli.services.step_graph import Node, run_graph

    runner = StepRunner(journal, run, crash_after=_crash_hook(ctx))
    plan = _raise_plan(p)
    journal.set_status(run.id, "running")
    # What this process learns along the way, so a later step need not read it again (a resume reads).
    created_now: dict[str, TrackedIncident] = {}
    # The opening message carries the Statuspage link only when the journal already had it (a resume):
    # it never waits for Statuspage, and which messages are posted does not depend on timing.
    sp_known = runner.result("statuspage.create_incident") or {}
    refs: dict[str, IncidentRef] = {}

    def create() -> None:
        created = runner.step(
            CREATE_INCIDENT, lambda again: _create_incident(ctx, run, p, again, created_now)
        )
        journal.set_incident(run.id, created["id"], created["number"])
        refs["incident"] = IncidentRef(
            id=created["id"],
            number=created["number"],
            message=p.message,
            priority=p.priority,
            status="open",
            url=created["url"],
        )

    def incident() -> IncidentRef:
        return refs["incident"]

    def channel_id() -> str:
        return str((runner.result("slack.create_channel") or {})["id"])

    def sp_url() -> str | None:
        result = runner.result("statuspage.create_incident") or {}
        return str(result["url"]) if result.get("url") else None

    def opening(again: bool) -> dict[str, Any]:
        invite = runner.result("slack.invite") or {}
        return _post_opening(ctx, channel_id(), p, incident(), invite, sp_known.get("url"), again)

    def statuspage_link() -> dict[str, Any] | None:
        url = sp_url()
        posted = runner.result("slack.post_opening") or {}
        if not p.public or url is None or posted.get("statuspage_linked"):
            return None
        invite = runner.result("slack.invite") or {}
        return runner.step(
            "slack.post_statuspage_link",
            lambda again: _link_statuspage(ctx, channel_id(), p, incident(), invite, posted, url, again),
        )

    read: dict[str, _Invitees | OncallError] = {}

    def read_invitees() -> None:
        # A read, not a step: a failure here is the invite step's (journaled when it runs).
        if runner.finished("slack.invite"):
            return
        try:
            read["invitees"] = _invitees(ctx, p)
        except OncallError as exc:
            read["invitees"] = exc

    def invitees() -> _Invitees:
        got = read.get("invitees")
        if got is None:
            got = _invitees(ctx, p)
        if isinstance(got, OncallError):
            raise got
        return got

    created = (CREATE_INCIDENT,)
    channel = ("slack.create_channel",)
    nodes = [
        Node(CREATE_INCIDENT, create),
        Node(
            "statuspage.create_incident",
            lambda: _statuspage_branch(ctx, runner, run, p, incident()),
            needs=created,
        ),
        Node(
            "slack.create_channel",
            lambda: runner.step(
                "slack.create_channel", lambda again: _create_channel(ctx, run, p, incident(), again)
            ),
            needs=created,
        ),
        Node(
            "slack.set_purpose",
            lambda: runner.step(
                "slack.set_purpose", lambda again: _set_purpose(ctx, channel_id(), incident())
            ),
            needs=channel,
        ),
        Node("read.invitees", read_invitees),
        Node(
            "slack.invite",
            lambda: runner.step(
                "slack.invite", lambda again: _invite(ctx, channel_id(), p, invitees)
            ),
            needs=(*channel, "read.invitees"),
        ),
        Node(
            "slack.post_opening",
            lambda: runner.step("slack.post_opening", opening),
            needs=(*channel, "slack.invite"),
        ),
    ]
    if p.thread:
        nodes.append(
            Node(
                "slack.reply_thread",
                lambda: runner.step(
                    "slack.reply_thread", lambda again: _reply_thread(ctx, p, incident(), channel_id(), again)
                ),
                needs=("slack.post_opening",),
            )
        )
    nodes += [
        Node(
            "slack.post_statuspage_link",
            statuspage_link,
            needs=("slack.post_opening", "statuspage.create_incident"),
        ),
        Node(
            RECORD_LINKS,
            lambda: _record_links(ctx, runner, p, incident(), created_now.get("incident")),
            needs=created,
            after=("statuspage.create_incident", *channel, "slack.invite"),
        ),
    ]
    outcome = run_graph(nodes, workers=4, thread_name="oncall-raise")
    if outcome.failures:
        raise _partial(journal, run, plan, outcome.failures, refs.get("incident"))
    journal.set_status(run.id, "done")
    return _raise_result(ctx, journal, run, runner, incident(), warnings)


def _raise_result(
    ctx: Context, journal: Journal, run: Run, runner: StepRunner, ref: IncidentRef, warnings: list[str]
) -> WorkflowResult:
    channel = runner.result("slack.create_channel") or {}
    invite = runner.result("slack.invite") or {}
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
    notes = list(warnings)
    if slack.not_found:
        notes.append(f"not found in Slack, invite by hand: {', '.join(slack.not_found)}")
    if slack.failed:
        notes.append("Slack refused to invite: " + ", ".join(f"{k} ({v})" for k, v in slack.failed.items()))
    notes += [str(w) for w in invite.get("warnings", [])]
    notes += [str(w) for w in (runner.result("statuspage.create_incident") or {}).get("warnings", [])]
    return WorkflowResult(
        run_id=run.id,
        workflow="raise",
        status="done",
        incident=ref,
        slack=slack,
        statuspage=_step_sp_links(runner.result("statuspage.create_incident") or {}),
        steps=_step_views(journal, run.id),
        warnings=notes,
    )


# -- raise steps


def _create_incident(
    ctx: Context, run: Run, p: RaiseParams, interrupted: bool, keep: dict[str, TrackedIncident]
) -> dict[str, Any]:
    """Open the incident (or find what an interrupted attempt opened); `keep["incident"]` is the one opened
    now, as read back with its links, so recording the links later need not read it again."""
    tracker = _tracker(ctx)
    # An interrupted attempt may have created it: its `oncall_run` link says so (or, where the tracker's
    # list leaves links out, the same message created since the run started).
    found = tracker.find_by_run(run.id, run.created - _LOOKBACK, p.message) if interrupted else None
    links = {D_RUN: run.id}
    if p.reported_at:
        links[D_REPORTED] = p.reported_at
    if p.thread:
        links[D_THREAD] = p.thread
    if found is None:
        found = tracker.open(
            message=p.message,
            description=_description(p),
            priority=p.priority,
            service=p.service_id,
            responders=p.responders,
            links=links,
        )
        reused = False
    else:
        found = tracker.complete(found, priority=p.priority, responders=p.responders, links=links)
        reused = True
    if not reused:
        keep["incident"] = found
    return {"id": found.id, "number": found.number, "url": found.url, "reused": reused}


def _on_call(ctx: Context) -> list[str]:
    return ctx.schedule_store().on_call()


def _create_channel(
    ctx: Context, run: Run, p: RaiseParams, ref: IncidentRef, interrupted: bool
) -> dict[str, Any]:
    """`inc-<number>-<slug>`; when the name is taken by a channel of an interrupted attempt (or one whose
    purpose names this incident) reuse it, else add a suffix."""
    from oncall_cli.clients.slack import SlackApiError

    slack = _slack(ctx)
    base = text.channel_name(
        ref.number, p.message, ctx.settings.text("slack.channel_name"), _local_day(ctx, run.created)
    )
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
    purpose = text.purpose(_tracker(ctx).service, ref.number, ref.url)
    _slack(ctx).conversations_set_purpose(channel=channel_id, purpose=purpose)
    return {"purpose": purpose}


@dataclass
class _Invitees:
    """Who the channel invites: the engineers on call now, the responders and `me`, with their Slack ids."""

    on_call: list[str]
    ids: dict[str, str]
    missing: list[str]
    warnings: list[str]


def _invitees(ctx: Context, p: RaiseParams) -> _Invitees:
    """Read who to invite (who is on call, their Slack users): needs no channel, so it is read while the
    incident is being opened."""
    from oncall_cli.services.slack_lookup import users_by_email

    warnings: list[str] = []
    try:
        on_call = _on_call(ctx)
    except NotFoundError as exc:
        on_call = []
        warnings.append(f"no on-call engineers invited: {exc.message}")
    me = ctx.settings.text("me").strip()
    emails = list(dict.fromkeys([*on_call, *p.responders, *([me] if me else [])]))
    users = users_by_email(_slack(ctx), emails)
    return _Invitees(on_call, dict(users.ids), list(users.missing), warnings)


def _invite(ctx: Context, channel_id: str, p: RaiseParams, read: Callable[[], _Invitees]) -> dict[str, Any]:
    users = read()
    on_call, warnings = users.on_call, users.warnings
    slack = _slack(ctx)
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
    marker = text.opening_marker(ref.number)
    message = _opening_text(ctx, p, ref, invite, statuspage_url)
    posted = _post_once(ctx, channel_id, message, needle=marker, check=interrupted)
    if posted["reused"]:
        # An earlier attempt posted it, maybe without the Statuspage link: the link step looks.
        return {"reused": True, "statuspage_linked": not p.public}
    return {"ts": posted["ts"], "statuspage_linked": bool(statuspage_url) or not p.public, "reused": False}


def _opening_text(
    ctx: Context, p: RaiseParams, ref: IncidentRef, invite: Mapping[str, Any], statuspage_url: str | None
) -> str:
    ids = dict(invite.get("user_ids", {}))
    info = text.OpeningInfo(
        number=ref.number,
        message=p.message,
        priority=p.priority,
        opsgenie_url=ref.url,
        tracker=_tracker(ctx).service,
        thread_url=p.thread,
        statuspage_url=statuspage_url,
        public=p.public,
        on_call=_mentions(invite.get("on_call", []), ids),
        responders=_mentions(p.responders, ids),
        not_in_slack=list(invite.get("not_found", [])),
        non_production=p.non_production,
    )
    return text.opening_message(info)


def _link_statuspage(
    ctx: Context,
    channel_id: str,
    p: RaiseParams,
    ref: IncidentRef,
    invite: Mapping[str, Any],
    posted: Mapping[str, Any],
    url: str,
    interrupted: bool,
) -> dict[str, Any]:
    """Add the Statuspage link to the opening message once both exist (the opening never waits for it):
    the message is edited (chat.update) to what it would have said with the link. Safe to repeat: a message
    that has the link already is left alone. When the opening message cannot be found (Slack will not
    show the history), the link is posted in the channel instead, once."""
    slack = _slack(ctx)
    ts = posted.get("ts")
    if ts is None or interrupted:
        found = _find_message(slack, channel_id, text.opening_marker(ref.number))
        if found is None:
            return _post_once(ctx, channel_id, text.statuspage_note(url), needle=url)
        if url in (found.text or ""):
            return {"ts": found.ts, "reused": True}
        ts = found.ts
    slack.chat_update(channel=channel_id, ts=str(ts), text=_opening_text(ctx, p, ref, invite, url))
    return {"ts": ts, "edited": True, "reused": False}


def _reply_thread(
    ctx: Context, p: RaiseParams, ref: IncidentRef, channel_id: str, interrupted: bool
) -> dict[str, Any]:
    assert p.thread
    thread_channel, thread_ts = _check_thread(p.thread)
    return _post_once(
        ctx,
        thread_channel,
        text.thread_reply(channel_id, ref.number, p.non_production),
        thread_ts,
        needle=text.channel_link(channel_id),
        check=interrupted,
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
    # Read now (not at validation: a resume may come much later): the ids and the current statuses.
    found_components = find_components(ctx, p.components) if p.components else {}
    ids = {name: c.id for name, c in found_components.items()}
    title = text.public_title(p.priority, p.components)
    found = _find_statuspage(ctx, ref.id, title, run.created - _LOOKBACK) if interrupted else None
    wanted = text.COMPONENT_STATUS[p.priority]
    # Never lower a component another open incident put in a worse state (a P3 on a P2's component).
    statuses = {c: text.status_on_raise(found_components[c].status or None, wanted) for c in p.components}
    warnings = [text.kept_warning(c, s, wanted) for c, s in statuses.items() if s != wanted]
    if found is None:
        found = sp.create_incident(
            name=title,
            status="investigating",
            body=text.public_body(p.priority, p.components, p.public_message),
            impact_override=text.IMPACT[p.priority],
            components={ids[c]: s for c, s in statuses.items()},
            deliver_notifications=p.notify_subscribers,
            metadata={"oncall": {SP_INCIDENT_META: ref.id, "run": run.id}},
        )
        reused = False
    else:
        reused = True
    return {
        "id": found.id,
        "url": text.statuspage_url(_page_id(ctx), found.id, found.shortlink),
        "status": found.status,
        "impact": text.IMPACT[p.priority],
        "components": statuses,
        "component_ids": ids,
        "warnings": warnings,
        "reused": reused,
    }


def _record_links(
    ctx: Context, runner: StepRunner, p: RaiseParams, ref: IncidentRef, known: TrackedIncident | None = None
) -> None:
    """Write the links that exist on the incident (even when a branch failed: another machine can then find
    what was created). Runs again on resume when there is something new to record. `known`: the incident
    as this process read it when it opened it (its links are what we wrote), else it is read now."""
    channel = runner.result("slack.create_channel") or {}
    sp = runner.result("statuspage.create_incident") or {}
    invite = runner.result("slack.invite") or {}
    invited = [*invite.get("invited", []), *invite.get("already_in_channel", [])]
    wanted: dict[str, str | None] = {
        D_THREAD: p.thread,
        D_INVITED: ",".join(dict.fromkeys(invited)) or None,
        D_CHANNEL_ID: channel.get("id"),
        D_CHANNEL: channel.get("name"),
        D_STATUSPAGE: sp.get("id"),
        D_COMPONENTS: ",".join(p.components) if sp.get("id") else None,
    }
    wanted = {k: v for k, v in wanted.items() if v}
    if not wanted:
        return
    previous = runner.result(RECORD_LINKS) or {}
    if previous and all(previous.get("details", {}).get(k) == v for k, v in wanted.items()):
        return

    def record(again: bool) -> dict[str, Any]:
        tracker = _tracker(ctx)
        current = known if known is not None and not again else tracker.get(ref.id)
        changes = text.details_changes(current.links, wanted)
        if changes:
            tracker.set_links(current, changes)
        return {"details": wanted, "written": sorted(changes)}

    runner.step(RECORD_LINKS, record, rerun=RECORD_LINKS in RERUN_STEPS)


# ---- resume and journal -------------------------------------------------------------------------------


def resume(
    ctx: Context,
    ref: str | None = None,
    *,
    dry_run: bool = False,
    skip: Sequence[str] = (),
    thread: str | None = None,
) -> WorkflowResult | DryRun:
    """`oncall incident resume [ID]`: continue the latest unfinished raise or resolve (of this incident).

    With `dry_run`, list the steps that would run (the journaled plan minus the finished steps) and change
    nothing. Two repairs for a run that cannot go on as journaled (a #incidents thread that is gone):
    `skip` marks steps as skipped, `thread` replaces the thread link (checked first) on the run and the
    incident, so the reply goes there.
    """
    new_thread = thread.strip() if thread else None
    if new_thread:
        _read_thread(ctx, new_thread)
    journal = open_journal(ctx)
    try:
        runs = journal.runs(profile=ctx.settings.profile, ref=ref, statuses=UNFINISHED, limit=1)
        if not runs:
            finished = journal.runs(profile=ctx.settings.profile, ref=ref, limit=1) if ref else []
            if finished and finished[0].status == "done":
                journal.rename_steps(finished[0].id, OLD_STEP_NAMES)
                return _finished_result(ctx, journal, finished[0])
            what = f"for {ref!r}" if ref else "in the journal"
            raise NotFoundError(
                f"Nothing to resume {what}: no unfinished raise or resolve.",
                hint="See `oncall incident journal` for the recorded runs.",
            )
        run = runs[0]
        journal.rename_steps(run.id, OLD_STEP_NAMES)
        plan = _run_plan(ctx, run)
        for name in skip:
            if name not in plan or name in UNSKIPPABLE:
                allowed = [n for n in plan if n not in UNSKIPPABLE]
                raise UsageError(
                    f"--skip: {name!r} is not a step of this {run.workflow} run that can be skipped "
                    f"(steps: {', '.join(allowed)})"
                )
        if dry_run:
            preview = _resume_preview(ctx, journal, run)
            preview.changes = [c for c in preview.changes if f"{c.service}.{c.action}" not in skip]
            if new_thread:
                preview.warnings.append(f"the #incidents thread would become {new_thread}")
            return preview
        if new_thread:
            _repair_thread(ctx, journal, run, new_thread)
            run = journal.runs(profile=ctx.settings.profile, ref=run.id, limit=1)[0]
        runner = StepRunner(journal, run)
        for name in skip:
            runner.skip(name, "skipped with `oncall incident resume --skip`")
        if run.workflow == "raise":
            params = RaiseParams.from_json(run.params)
            return _run_raise(ctx, journal, run, params, [])
        return _run_resolve(ctx, journal, run, ResolveParams.from_json(run.params))
    finally:
        journal.close()


UNSKIPPABLE = frozenset({CREATE_INCIDENT, "slack.create_channel", RECORD_LINKS, READ_INCIDENT})
"""Steps the others need (the incident, the channel) or that only record what the others made."""


def _run_plan(ctx: Context, run: Run) -> list[str]:
    if run.workflow == "raise":
        plan = _raise_plan(RaiseParams.from_json(run.params))
        return [*plan[:-1], "slack.post_statuspage_link", plan[-1]]
    return _resolve_plan(find_incident(ctx, run.incident_id or ""), ResolveParams.from_json(run.params))


def _repair_thread(ctx: Context, journal: Journal, run: Run, thread: str) -> None:
    """`resume --thread URL`: the run replays the new link, and the incident links it (resolve reads it
    there); the failed reply runs again, into the new thread."""
    if run.workflow == "raise":
        journal.set_params(run.id, {**run.params, "thread": thread})
    if run.incident_id:
        tracker = _tracker(ctx)
        incident = tracker.get(run.incident_id)
        if incident.links.get(D_THREAD) != thread:
            tracker.set_links(incident, {D_THREAD: thread})


OLD_STEP_NAMES: dict[str, str] = {
    "opsgenie.create_incident": CREATE_INCIDENT,
    "opsgenie.record_links": RECORD_LINKS,
    "opsgenie.read_incident": READ_INCIDENT,
    "opsgenie.timeline_entry": TIMELINE_ENTRY,
    "opsgenie.resolve": RESOLVE,
    "opsgenie.close_alerts": CLOSE_ALERTS,
}
"""The tracker's journaled steps under their first names (Opsgenie only), for runs journaled then."""


def _resume_preview(ctx: Context, journal: Journal, run: Run) -> DryRun:
    """The steps `resume` would run, in order; each still checks for what an earlier attempt created."""
    if run.workflow == "raise":
        plan = _raise_plan(RaiseParams.from_json(run.params))
    else:
        plan = _resolve_plan(find_incident(ctx, run.incident_id or ""), ResolveParams.from_json(run.params))
    finished = {s.name for s in journal.steps(run.id) if s.status in ("done", "skipped")}
    target = f"{run.workflow} run {run.id}" + (
        f" (incident #{run.incident_number})" if run.incident_number else ""
    )
    changes = [
        Change(service=name.split(".", 1)[0], action=name.split(".", 1)[1], target=target)
        for name in plan
        if name not in finished or name in RERUN_STEPS
    ]
    return DryRun(changes, [f"{len(finished)} step(s) already done are not repeated"])


def _finished_result(ctx: Context, journal: Journal, run: Run) -> WorkflowResult:
    runner = StepRunner(journal, run)
    if run.workflow == "raise":
        p = RaiseParams.from_json(run.params)
        created = runner.result(CREATE_INCIDENT) or {}
        ref = IncidentRef(
            id=created.get("id", run.incident_id or ""),
            number=run.incident_number or "",
            message=run.message,
            priority=p.priority,
            status="open",
            url=created.get("url", ""),
        )
        return _raise_result(ctx, journal, run, runner, ref, ["already finished; nothing to resume"])
    inc = _tracker(ctx).get(run.incident_id or "")
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
