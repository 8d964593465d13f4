"""The commands that change a live incident: `assign`, `responder add` and `stakeholder add`, `note`,
`priority`, `status update` and `close`.

They are not journaled: each tracks its remote changes (`services.steps.Steps`) and checks before each
one whether an earlier run already made it, so running the same command again after a failure finishes
the job without repeating what was done.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from oncall_cli.errors import UsageError
from oncall_cli.services import incident_text as text
from oncall_cli.services.context import Context
from oncall_cli.services.incident.common import (
    SP_INCIDENT_META,
    _add_entry_once,
    _channel_label,
    _check_email,
    _check_person,
    _check_text,
    _check_thread,
    _check_url,
    _find_statuspage,
    _links,
    _mentions,
    _post_once,
    _ref,
    _slack,
    _sp,
    _sp_links,
    _split_list,
    _thread_gone,
    _thread_post,
    _tracker,
    _tracker_label,
    find_incident,
)
from oncall_cli.services.incident.components import priority_plan, resolve_plan
from oncall_cli.services.incident.models import ActionResult, Change, DryRun, StatuspageLinks
from oncall_cli.services.incident_text import (
    D_CHANNEL_ID,
    D_COMMANDER,
    D_COMMS,
    D_COMPONENTS,
    D_STAKEHOLDERS,
    D_STATUSPAGE,
    D_THREAD,
    ComponentStatus,
    Priority,
    PublicStatus,
)
from oncall_cli.services.steps import Steps

if TYPE_CHECKING:
    from oncall_cli.clients.statuspage_models import Incident as SpIncident

# The tracker's changes, as `done`/`skipped` name them (whatever the backend).
TIMELINE_ENTRY = "tracker.timeline_entry"
LINKS = "tracker.details"
ADD_RESPONDER = "tracker.add_responder"
PRIORITY = "tracker.priority"
CLOSE = "tracker.close"
THREAD_POST = "slack.reply_thread"
START_WORK = "tracker.start_work"


# ---- an internal update in the #incidents thread -------------------------------------------------------


def post_update(ctx: Context, ref: str, message: str, *, dry_run: bool = False) -> ActionResult | DryRun:
    """`oncall incident update`: an internal update in the #incidents thread that reported the incident (the
    playbook: internal stakeholders follow it there), and the same text on the incident's timeline."""
    message = _check_text(message, "TEXT")
    inc = find_incident(ctx, ref)
    ref_ = _ref(inc)
    details = _links(inc)
    thread = details.get(D_THREAD)
    if not thread:
        raise UsageError(
            f"Incident #{ref_.number} has no #incidents thread linked",
            hint=f"Post in the channel instead: `oncall incident note {ref_.number} TEXT --slack`.",
        )
    entry = text.update_entry(message)
    posted = text.update_message(ref_.number, message)
    planned = [TIMELINE_ENTRY, THREAD_POST]
    if dry_run:
        return DryRun(
            [
                Change(_tracker_label(ctx), "add timeline entry", ref_.number, {"content": entry}),
                Change("slack", "reply in thread", thread, {"text": posted}),
            ]
        )
    gone = _thread_gone(ctx, thread)
    if gone is not None:
        raise UsageError(
            f"Incident #{ref_.number}: the #incidents thread cannot be reached: {gone}",
            hint=f"Link the right thread with `oncall incident resume {ref_.number} --thread URL` (after an "
            "unfinished raise), or post in the channel with `oncall incident note ID TEXT --slack`.",
        )
    warnings: list[str] = []
    effects = Steps("update")
    since = ctx.now() - timedelta(hours=24)
    effects.run(TIMELINE_ENTRY, lambda: _add_entry_once(ctx, inc, entry, since=since), planned)
    effects.run(THREAD_POST, lambda: _thread_post(ctx, details, posted, warnings), planned)
    return ActionResult(ref_, done=effects.done, skipped=effects.skipped, warnings=warnings)


# ---- roles, people, notes, priority -------------------------------------------------------------------


def assign(
    ctx: Context, ref: str, *, commander: str, comms: str | None = None, dry_run: bool = False
) -> ActionResult | DryRun:
    """`oncall incident assign`: roles in a timeline entry and the links, announced in the channel; the
    tracker marks the incident as being worked on where it has such a status (JSM's in-progress)."""
    commander = _check_email(commander, "--commander")
    comms = _check_email(comms, "--comms") if comms else None
    inc = find_incident(ctx, ref)
    # A typo must not become the incident's commander: both roles are people the tracker knows.
    _check_person(ctx, commander, "--commander")
    if comms:
        _check_person(ctx, comms, "--comms")
    ref_ = _ref(inc)
    details = _links(inc)
    wanted: dict[str, str | None] = {D_COMMANDER: commander, D_COMMS: comms}
    changes = text.details_changes(details, wanted)
    channel_id = details.get(D_CHANNEL_ID)
    if not changes:
        if dry_run:
            return DryRun([], ["roles already assigned: nothing to change"])
        return ActionResult(ref_, done=[], skipped=["roles already assigned"])
    entry = text.roles_entry(commander, comms)
    thread = details.get(D_THREAD)
    thread_message = text.in_thread(ref_.number, text.roles_message(commander, comms))
    tracker = _tracker(ctx)
    # A tracker with a workflow (JSM) moves the incident to its in-progress status: the playbook's FIXING.
    working = tracker.tracks_work and inc.status == "open"
    planned = (
        [TIMELINE_ENTRY]
        + (["slack.post_roles"] if channel_id else [])
        + ([THREAD_POST] if thread else [])
        + ([START_WORK] if working else [])
        + [LINKS]
    )
    label = _tracker_label(ctx)
    if dry_run:
        plan = [Change(label, "add timeline entry", ref_.number, {"content": entry})]
        if working:
            plan.append(Change(label, "start work (in progress)", ref_.number, {}))
        if channel_id:
            plan.append(_post_change(details, text.roles_message(commander, comms)))
        if thread:
            plan.append(Change("slack", "reply in thread", thread, {"text": thread_message}))
        plan.append(Change(label, "add details", ref_.number, dict(changes)))
        return DryRun(plan)
    warnings: list[str] = []
    effects = Steps("assign")
    since = ctx.now() - timedelta(hours=24)

    def timeline() -> bool:
        return _add_entry_once(ctx, inc, entry, since=since)

    def post() -> bool:
        assert channel_id
        from oncall_cli.services.slack_lookup import users_by_email

        people = [e for e in (commander, comms) if e]
        ids = users_by_email(_slack(ctx), people).ids
        named = _mentions(people, ids)
        message = text.roles_message(named[0], named[1] if comms else None)
        return not _post_once(ctx, channel_id, message)["reused"]

    def record() -> bool:
        tracker.set_links(inc, changes)
        return True

    # The links go last: they are what tells a re-run that everything before is done.
    effects.run(TIMELINE_ENTRY, timeline, planned)
    if channel_id:
        effects.run("slack.post_roles", post, planned)
    if thread:
        effects.run(THREAD_POST, lambda: _thread_post(ctx, details, thread_message, warnings), planned)
    if working:
        effects.run(START_WORK, lambda: tracker.start_work(inc), planned)
    effects.run(LINKS, record, planned)
    if not channel_id:
        warnings.append("no incident channel linked; roles not posted in Slack")
    return ActionResult(ref_, done=effects.done, skipped=effects.skipped, warnings=warnings)


def add_person(
    ctx: Context, ref: str, email: str, *, kind: str, note: str | None = None, dry_run: bool = False
) -> ActionResult | DryRun:
    """`oncall incident responder add` / `stakeholder add`.

    A responder (subject-matter expert) is added to the incident's responders (the tracker pages them). A
    stakeholder is recorded in the incident's `stakeholders` link and a timeline entry, without paging them
    (and as a stakeholder where the tracker has them: JSM). Both are invited to the channel.
    """
    email = _check_email(email, "EMAIL")
    inc = find_incident(ctx, ref)
    # Both must be people the tracker knows: nothing is written for a typo (exit 5 naming the email).
    user_id = _check_person(ctx, email, "EMAIL")
    ref_ = _ref(inc)
    details = _links(inc)
    channel_id = details.get(D_CHANNEL_ID)
    tracker = _tracker(ctx)
    label = _tracker_label(ctx)
    effects = Steps(f"{kind} add")
    if kind == "responder":
        planned = [ADD_RESPONDER] + (["slack.invite"] if channel_id else [])
    else:
        planned = [TIMELINE_ENTRY] + (["slack.invite"] if channel_id else []) + [LINKS]
    stakeholders = _split_list(details.get(D_STAKEHOLDERS))
    entry = text.member_entry(kind, email, note)
    if dry_run:
        if kind == "responder":
            plan = [Change(label, "add responder", ref_.number, {"responder": email, "note": note})]
        else:
            plan = [
                Change(label, "add timeline entry", ref_.number, {"content": entry}),
                Change(
                    label,
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
        # The incident names a person by email, or by the tracker's id for them (what `check_user` gave).
        if any(r == user_id or r.casefold() == email.casefold() for r in inc.responders):
            return False
        tracker.add_responder(inc, email, note)
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
        return _add_entry_once(ctx, inc, entry)

    def record() -> bool:
        if email.casefold() in (s.casefold() for s in stakeholders):
            return False
        tracker.add_stakeholder(inc, email)
        tracker.set_links(inc, {D_STAKEHOLDERS: ",".join([*stakeholders, email])})
        return True

    if kind == "responder":
        effects.run(ADD_RESPONDER, add_responder, planned)
    elif email.casefold() not in (s.casefold() for s in stakeholders):
        effects.run(TIMELINE_ENTRY, timeline, planned)
    if channel_id:
        effects.run("slack.invite", invite, planned)
    else:
        warnings.append("no incident channel linked; not invited in Slack")
    if kind != "responder":
        effects.run(LINKS, record, planned)
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
    ref_ = _ref(inc)
    channel_id = _links(inc).get(D_CHANNEL_ID)
    warnings: list[str] = []
    if slack and not channel_id:
        warnings.append("no incident channel linked; note not posted in Slack")
    planned = [TIMELINE_ENTRY] + (["slack.post_note"] if slack and channel_id else [])
    if dry_run:
        data = {"content": note, "time": when or now}
        plan = [Change(_tracker_label(ctx), "add timeline entry", ref_.number, data)]
        if slack and channel_id:
            plan.append(_post_change(_links(inc), text.note_message(note, when)))
        return DryRun(plan, warnings)
    effects = Steps("note")

    def timeline() -> bool:
        # The same text at the same time (or, without --at, within 10 minutes) is the same note.
        since = None if when else now - timedelta(minutes=10)
        return _add_entry_once(ctx, inc, note, time=when, at=when, since=since)

    def post() -> bool:
        assert channel_id
        return not _post_once(ctx, channel_id, text.note_message(note, when))["reused"]

    effects.run(TIMELINE_ENTRY, timeline, planned)
    if slack and channel_id:
        effects.run("slack.post_note", post, planned)
    return ActionResult(ref_, done=effects.done, skipped=effects.skipped, warnings=warnings)


def change_priority(
    ctx: Context, ref: str, priority: Priority, *, dry_run: bool = False
) -> ActionResult | DryRun:
    """`oncall incident priority`: the Statuspage impact, a channel message, then the tracker's priority."""
    inc = find_incident(ctx, ref)
    _tracker(ctx).check_priority(priority)
    ref_ = _ref(inc)
    details = _links(inc)
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
    thread = details.get(D_THREAD)
    thread_message = text.in_thread(ref_.number, text.priority_message(old, priority))
    planned = (
        (["statuspage.impact", "statuspage.components"] if sp_id else [])
        + (["slack.post_priority"] if channel_id else [])
        + ([THREAD_POST] if thread else [])
        + [PRIORITY]
    )
    if old == priority:
        planned = [p for p in planned if p not in ("slack.post_priority", THREAD_POST)]
    if dry_run:
        plan: list[Change] = []
        if sp_id:
            plan.append(
                Change("statuspage", "update impact", sp_id, {"impact_override": text.IMPACT[priority]})
            )
            current = _sp(ctx).get_incident(incident_id=sp_id)
            if current.status != "resolved":
                moves = priority_plan(ctx, current, details, priority)
                warnings += moves.warnings
                if moves.changes:
                    plan.append(
                        Change("statuspage", "update components", sp_id, {"components": moves.by_name()})
                    )
        if old != priority:
            if channel_id:
                plan.append(_post_change(details, text.priority_message(old, priority)))
            if thread:
                plan.append(Change("slack", "reply in thread", thread, {"text": thread_message}))
            plan.append(Change(_tracker_label(ctx), "update priority", ref_.number, {"priority": priority}))
        else:
            warnings.append(f"incident #{ref_.number} is already {priority}")
        return DryRun(plan, warnings)
    tracker = _tracker(ctx)
    effects = Steps("priority")
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

    def components() -> bool:
        # The components follow the priority (P1 major_outage, P2 partial_outage, P3 degraded_performance),
        # but never below what another open incident listing them needs.
        assert sp_id
        sp = _sp(ctx)
        current = sp.get_incident(incident_id=sp_id)
        if current.status == "resolved":
            return False
        moves = priority_plan(ctx, current, details, priority)
        warnings.extend(moves.warnings)
        if not moves.changes:
            return False
        # One component at a time: an incident PATCH with `components` would post a public update.
        for component_id, status in moves.changes.items():
            sp.update_component(component_id=component_id, status=status)
        if statuspage is not None:
            statuspage.components.update(moves.by_name())
        return True

    def post() -> bool:
        assert channel_id
        return not _post_once(ctx, channel_id, text.priority_message(old, priority))["reused"]

    def update() -> bool:
        if inc.priority == priority:
            return False
        tracker.set_priority(inc, priority)
        return True

    if sp_id:
        effects.run("statuspage.impact", impact, planned)
        effects.run("statuspage.components", components, planned)
    if channel_id and old != priority:
        effects.run("slack.post_priority", post, planned)
    if thread and old != priority:
        effects.run(THREAD_POST, lambda: _thread_post(ctx, details, thread_message, warnings), planned)
    effects.run(PRIORITY, update, planned)
    ref_.priority = priority
    return ActionResult(
        ref_, done=effects.done, skipped=effects.skipped, warnings=warnings, statuspage=statuspage
    )


def _post_change(details: Mapping[str, str], message: str) -> Change:
    """A message for the incident channel, as `--dry-run` prints it."""
    return Change("slack", "post message", _channel_label(details), {"text": message})


# ---- public status update -----------------------------------------------------------------------------


def status_update(
    ctx: Context,
    ref: str,
    *,
    status: PublicStatus,
    message: str,
    components: Mapping[str, ComponentStatus] | None = None,
    notify: bool = True,
    thread: bool = False,
    force: bool = False,
    confirm: Callable[[str], bool] | None = None,
    dry_run: bool = False,
) -> ActionResult | DryRun:
    """`oncall status update`: a public update on the linked Statuspage incident, opening one on demand when
    the incident has none and its priority is public; `thread` posts the public text in the #incidents
    thread too."""
    message = _check_text(message, "--message")
    inc = find_incident(ctx, ref)
    ref_ = _ref(inc)
    details = _links(inc)
    if thread and not details.get(D_THREAD):
        raise UsageError(f"--thread: incident #{ref_.number} has no #incidents thread linked")
    thread_message = text.public_update_message(ref_.number, status, message)
    sp_id = details.get(D_STATUSPAGE)
    priority = cast(Priority, inc.priority or "P3")
    if not sp_id and not text.is_public(priority, ctx.settings.text("public_priorities")):
        raise UsageError(
            f"Incident #{ref_.number} is {priority}: not public, so it has no Statuspage incident",
            hint=f"Raise its priority first: `oncall incident priority {ref_.number} P3`.",
        )
    thread_change = (
        [Change("slack", "reply in thread", details[D_THREAD], {"text": thread_message})] if thread else []
    )
    sp = _sp(ctx)
    names = list((components or {}).keys())
    ids = {name: c.id for name, c in sp.find_components(names).items()} if names else {}
    wanted: dict[str, ComponentStatus] = {ids[n]: s for n, s in (components or {}).items()}
    warnings: list[str] = []
    if sp_id and not force:
        too_soon = _too_soon(ctx, sp.get_incident(incident_id=sp_id), status, message)
        if too_soon and dry_run:
            warnings.append(f"{too_soon} (the real run will ask, or pass --force)")
        elif too_soon and (confirm is None or not confirm(f"{too_soon}. Post another public update now?")):
            raise UsageError(
                f"--force: not posted: {too_soon}",
                hint="Public updates should not come too often; pass --force to post it anyway "
                "(setting statuspage.min_update_minutes).",
            )
    if dry_run:
        data: dict[str, Any] = {
            "status": status,
            "body": message,
            "components": dict(components or {}),
            "deliver_notifications": notify,
        }
        if sp_id:
            if status == "resolved":
                reset = resolve_plan(ctx, sp.get_incident(incident_id=sp_id), details)
                data["components"] = {**reset.by_name(), **(components or {})}
                warnings += reset.warnings
            return DryRun([Change("statuspage", "post update", sp_id, data), *thread_change], warnings)
        data["impact_override"] = text.IMPACT[priority]
        title = text.public_title(priority, names)
        return DryRun(
            [
                Change("statuspage", "create incident", title, data),
                Change(
                    _tracker_label(ctx), "add details", ref_.number, {"keys": [D_STATUSPAGE, D_COMPONENTS]}
                ),
                *thread_change,
            ]
        )
    effects = Steps("status update")
    tracker = _tracker(ctx)
    result: StatuspageLinks | None = None
    by_id = {v: k for k, v in ids.items()}

    def post_thread() -> bool:
        return _thread_post(ctx, details, thread_message, warnings)

    if sp_id:
        planned = ["statuspage.post_update"] + ([THREAD_POST] if thread else [])

        def update() -> bool:
            nonlocal result
            current = sp.get_incident(incident_id=sp_id)
            latest = current.incident_updates[0] if current.incident_updates else None
            if latest is not None and latest.status == status and (latest.body or "").strip() == message:
                result = _sp_links(ctx, current, by_id)
                return False
            target = dict(wanted)
            listed = [c.id for c in current.components]
            if status == "resolved":
                # Every affected component back to operational, unless another open incident lists it;
                # the statuses named on the command line win.
                reset = resolve_plan(ctx, current, details)
                warnings.extend(reset.warnings)
                target = {**reset.changes, **wanted}
                listed = reset.listed
            # `component_ids` replaces the incident's list of affected components: send all of them, not
            # only the ones named here (or the others would drop off the incident and never be restored).
            updated = sp.update_incident(
                incident_id=sp_id,
                status=status,
                body=message,
                component_ids=list(dict.fromkeys([*listed, *target])) if target else None,
                components=target or None,
                deliver_notifications=notify,
            )
            result = _sp_links(ctx, updated, by_id)
            return True

        effects.run("statuspage.post_update", update, planned)
        if thread:
            effects.run(THREAD_POST, post_thread, planned)
        return ActionResult(
            ref_, done=effects.done, skipped=effects.skipped, warnings=warnings, statuspage=result
        )

    planned = ["statuspage.create_incident", LINKS] + ([THREAD_POST] if thread else [])
    title = text.public_title(priority, names)
    created: SpIncident | None = None

    def create() -> bool:
        nonlocal created, result
        # A crash after an earlier create and before the links: find that one rather than open a second.
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
            metadata={"oncall": {SP_INCIDENT_META: inc.id}},
        )
        result = _sp_links(ctx, created, by_id)
        return True

    def record() -> bool:
        assert created is not None
        links = {D_STATUSPAGE: created.id, D_COMPONENTS: ",".join(names) if names else None}
        changes = text.details_changes(details, links)
        if not changes:
            return False
        tracker.set_links(inc, changes)
        return True

    effects.run("statuspage.create_incident", create, planned)
    effects.run(LINKS, record, planned)
    if thread:
        effects.run(THREAD_POST, post_thread, planned)
    return ActionResult(
        ref_, done=effects.done, skipped=effects.skipped, warnings=warnings, statuspage=result
    )


def _too_soon(ctx: Context, current: SpIncident, status: str, message: str) -> str | None:
    """Why a public update now comes too soon after the previous one (`statuspage.min_update_minutes`), or
    None. The same update again is not a new one (a re-run finds it and posts nothing)."""
    minimum = timedelta(minutes=ctx.settings.number("statuspage.min_update_minutes"))
    latest = current.incident_updates[0] if current.incident_updates else None
    if latest is None or latest.created_at is None or minimum <= timedelta(0):
        return None
    if latest.status == status and (latest.body or "").strip() == message:
        return None
    ago = ctx.now() - latest.created_at
    if ago >= minimum:
        return None
    minutes = max(int(ago.total_seconds() // 60), 0)
    return (
        f"the previous public update was {minutes} minute(s) ago, less than statuspage.min_update_minutes "
        f"({int(minimum.total_seconds() // 60)})"
    )


# ---- close (not an incident) --------------------------------------------------------------------------


def close_incident(
    ctx: Context, ref: str, *, reason: str, ticket: str | None = None, dry_run: bool = False
) -> ActionResult | DryRun:
    """`oncall incident close`: for reports that are not incidents; the playbook's friendly thread reply."""
    reason = _check_text(reason, "--reason")
    ticket = _check_url(ticket, "--ticket") if ticket else None
    inc = find_incident(ctx, ref)
    _tracker(ctx).check_can(inc, "close")
    ref_ = _ref(inc)
    details = _links(inc)
    thread = details.get(D_THREAD)
    message = text.close_reply(ref_.number, reason, ticket)
    warnings: list[str] = []
    if not ticket:
        warnings.append(
            "no --ticket given: the reply asks the reporter to open a ticket (pass --ticket URL when you "
            "opened one)"
        )
    if not thread:
        warnings.append("no #incidents thread linked; reply to the reporter by hand:\n" + message)
    if details.get(D_STATUSPAGE):
        warnings.append(
            f"a Statuspage incident is linked: resolve it with `oncall status update "
            f"{ref_.number} --status resolved --message TEXT`"
        )
    planned = [CLOSE] + (["slack.reply_thread"] if thread else [])
    note = text.close_note(reason, ticket)
    if dry_run:
        plan = [Change(_tracker_label(ctx), "close incident", ref_.number, {"note": note})]
        if thread:
            plan.append(Change("slack", "reply in thread", thread, {"text": message}))
        return DryRun(plan, warnings)
    tracker = _tracker(ctx)
    effects = Steps("close")

    def close() -> bool:
        if inc.status == "closed":
            return False
        tracker.close(inc, note)
        return True

    def reply() -> bool:
        assert thread
        gone = _thread_gone(ctx, thread)
        if gone is not None:
            warnings.append(f"not replied in the #incidents thread: {gone}; reply to the reporter by hand:\n"
                            + message)
            return False
        thread_channel, thread_ts = _check_thread(thread)
        # Found by this incident's marker: one thread may have reported several non-incidents.
        needle = text.close_marker(ref_.number)
        return not _post_once(ctx, thread_channel, message, thread_ts, needle=needle)["reused"]

    effects.run(CLOSE, close, planned)
    if thread:
        effects.run("slack.reply_thread", reply, planned)
    ref_.status = "closed"
    return ActionResult(ref_, done=effects.done, skipped=effects.skipped, warnings=warnings)
