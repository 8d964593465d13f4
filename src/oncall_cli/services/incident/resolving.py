"""`oncall incident resolve`: a journaled workflow (`services/journal.py`) like raise.

Three branches run concurrently once the incident is read: the tracker (a resolution timeline entry,
resolve, optionally close the associated alerts), Statuspage (resolve the linked incident; its components
back to operational unless another open incident lists them, see `components`) and Slack (a message in the
incident channel and a reply in the #incidents thread). Every step is safe to repeat (it checks what an
earlier attempt did), so `resume` may run any of them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from oncall_cli.errors import OncallError
from oncall_cli.services import incident_text as text
from oncall_cli.services.context import Context
from oncall_cli.services.incident.common import (
    _add_entry_once,
    _check_text,
    _check_thread,
    _crash_hook,
    _links,
    _page_id,
    _partial,
    _post_once,
    _ref,
    _slack_links,
    _sp,
    _step_sp_links,
    _step_views,
    _thread_gone,
    _tracker,
    _tracker_label,
    find_incident,
    open_journal,
)
from oncall_cli.services.incident.components import resolve_plan, unresolved
from oncall_cli.services.incident.models import Change, DryRun, IncidentRef, ResolveParams, WorkflowResult
from oncall_cli.services.incident_text import D_CHANNEL, D_CHANNEL_ID, D_STATUSPAGE, D_THREAD
from oncall_cli.services.journal import UNFINISHED, Journal, Run, StepFailed, StepRunner

if TYPE_CHECKING:
    from oncall_cli.services.ports import Alert, TrackedIncident

READ_INCIDENT = "tracker.read_incident"
TIMELINE_ENTRY = "tracker.timeline_entry"
RESOLVE = "tracker.resolve"
CLOSE_ALERTS = "tracker.close_alerts"
CLOSE_NAMED_ALERTS = "alerts.close"


def resolve_incident(
    ctx: Context,
    ref: str,
    *,
    note: str,
    close_alerts: bool = False,
    alerts: Sequence[str] = (),
    statuspage_message: str | None = None,
    dry_run: bool = False,
) -> WorkflowResult | DryRun:
    """`oncall incident resolve`: timeline entry, resolve, (alerts), Statuspage, channel and thread.

    `alerts` (`--alert`) are closed too; each must exist (exit 5 naming it) before anything changes."""
    note = _check_text(note, "--note")
    if statuspage_message is not None:
        statuspage_message = _check_text(statuspage_message, "--statuspage-message")
    inc = find_incident(ctx, ref)
    _tracker(ctx).check_can(inc, "resolve")  # before Statuspage or Slack say it is resolved
    from oncall_cli.services.alerts import get_alerts  # it reads incidents through this package

    named = get_alerts(ctx, list(alerts)) if alerts else []
    params = ResolveParams(
        incident_id=inc.id,
        note=note,
        close_alerts=close_alerts,
        statuspage_message=statuspage_message,
        alerts=tuple(a.id for a in named),
    )
    if dry_run:
        return _resolve_changes(ctx, inc, params, named)
    journal = open_journal(ctx)
    try:
        for old in journal.runs(
            profile=ctx.settings.profile, ref=inc.id, workflow="resolve", statuses=UNFINISHED
        ):
            journal.set_status(old.id, "superseded")
        run = journal.start_run(
            workflow="resolve",
            profile=ctx.settings.profile,
            message=inc.message,
            params=asdict(params),
            incident_id=inc.id,
            incident_number=inc.number,
        )
        return _run_resolve(ctx, journal, run, params, inc)
    finally:
        journal.close()


def _resolve_changes(
    ctx: Context, inc: TrackedIncident, p: ResolveParams, named: Sequence[Alert] = ()
) -> DryRun:
    details = _links(inc)
    number = inc.number
    tracker = _tracker_label(ctx)
    changes = [Change(tracker, "add timeline entry", number, {"content": text.resolution_entry(p.note)})]
    warnings: list[str] = []
    if inc.status in ("resolved", "closed"):
        warnings.append(f"incident #{number} is already {inc.status}")
    else:
        changes.append(Change(tracker, "resolve incident", number, {"note": p.note}))
    if p.close_alerts:
        changes.append(Change(tracker, "close associated alerts", number))
    for alert in named:
        if alert.status == "closed":
            warnings.append(f"alert #{alert.number} is already closed")
        else:
            changes.append(Change(tracker, "close alert", f"#{alert.number}", {"message": alert.message}))
    if details.get(D_STATUSPAGE):
        changes.append(
            Change(
                "statuspage",
                "resolve incident",
                details[D_STATUSPAGE],
                {
                    "status": "resolved",
                    "body": text.public_resolved_body(p.statuspage_message),
                    "components": "back to operational, unless another open incident lists them",
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


def _resolve_plan(inc: TrackedIncident, p: ResolveParams) -> list[str]:
    details = _links(inc)
    plan = [TIMELINE_ENTRY, RESOLVE]
    if p.close_alerts:
        plan.append(CLOSE_ALERTS)
    if p.alerts:
        plan.append(CLOSE_NAMED_ALERTS)
    if details.get(D_STATUSPAGE):
        plan.append("statuspage.resolve")
    if details.get(D_CHANNEL_ID):
        plan.append("slack.post_resolved")
    if details.get(D_THREAD):
        plan.append("slack.reply_thread")
    return plan


def _run_resolve(
    ctx: Context, journal: Journal, run: Run, p: ResolveParams, incident: TrackedIncident | None = None
) -> WorkflowResult:
    """`incident`: the incident as this command just read it (`resolve`), else it is read now (`resume`);
    every step works from that one read."""
    runner = StepRunner(journal, run, crash_after=_crash_hook(ctx))
    journal.set_status(run.id, "running")
    tracker = _tracker(ctx)
    try:
        inc = incident if incident is not None else tracker.get(p.incident_id)
    except OncallError as exc:
        raise _partial(journal, run, [READ_INCIDENT], [StepFailed(READ_INCIDENT, exc)], None) from exc
    ref = _ref(inc)
    details = _links(inc)
    failures: list[StepFailed] = []
    if p.alerts:
        ctx.alerts  # built here, not concurrently by a branch  # noqa: B018
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="oncall-resolve") as pool:
        futures = [
            pool.submit(_resolve_tracker, ctx, runner, inc, p),
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
    status = str((runner.result(RESOLVE) or {}).get("status") or inc.status)
    return _resolve_result(ctx, journal, run, runner, replace(inc, status=status), p)


def _resolve_result(
    ctx: Context, journal: Journal, run: Run, runner: StepRunner, inc: TrackedIncident, p: ResolveParams
) -> WorkflowResult:
    details = _links(inc)
    statuspage = _step_sp_links(runner.result("statuspage.resolve") or {})
    ref = _ref(inc)
    warnings = []
    alerts = runner.result(CLOSE_ALERTS) or {}
    warnings += [str(w) for w in alerts.get("warnings", [])]
    warnings += [str(w) for w in (runner.result("statuspage.resolve") or {}).get("warnings", [])]
    warnings += [str(w) for w in (runner.result("slack.reply_thread") or {}).get("warnings", [])]
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


def _resolve_tracker(ctx: Context, runner: StepRunner, inc: TrackedIncident, p: ResolveParams) -> None:
    tracker = _tracker(ctx)
    entry = text.resolution_entry(p.note)

    def timeline(_again: bool) -> dict[str, Any]:
        return {"content": entry} if _add_entry_once(ctx, inc, entry) else {"reused": True}

    def resolve(_again: bool) -> dict[str, Any]:
        # `inc` was read when this run started, after any earlier attempt: its status is current.
        if inc.status in ("resolved", "closed"):
            return {"status": inc.status, "reused": True}
        tracker.resolve(inc, p.note)
        return {"status": "resolved"}

    def close_alerts(_again: bool) -> dict[str, Any]:
        # Closing a closed alert changes nothing: safe to repeat.
        return {"closed": tracker.close_alerts(inc, f"Incident #{inc.number} resolved")}

    def close_named(_again: bool) -> dict[str, Any]:
        # Each alert is read afresh: one closed by an earlier attempt (or by anyone) is left as it is.
        closed, already = [], []
        for alert_id in p.alerts:
            alert = ctx.alerts.get(alert_id)
            if alert.status == "closed":
                already.append(alert.number)
                continue
            ctx.alerts.close(alert, note=f"Incident #{inc.number} resolved")
            closed.append(alert.number)
        return {"closed": closed, "already_closed": already}

    runner.step(TIMELINE_ENTRY, timeline)
    runner.step(RESOLVE, resolve)
    if p.close_alerts:
        runner.step(CLOSE_ALERTS, close_alerts)
    if p.alerts:
        runner.step(CLOSE_NAMED_ALERTS, close_named)


def _resolve_statuspage(
    ctx: Context, runner: StepRunner, details: Mapping[str, str], p: ResolveParams
) -> None:
    sp_id = details.get(D_STATUSPAGE)
    if not sp_id:
        runner.skip("statuspage.resolve", "no Statuspage incident linked")
        return

    def resolve(_again: bool) -> dict[str, Any]:
        sp = _sp(ctx)
        # One read of the unresolved incidents gives ours and the others that may list its components
        # (Statuspage allows one request a second); ours is read alone only when it is resolved already.
        listed = [i for i in unresolved(ctx) if i.id == sp_id]
        current = listed[0] if listed else sp.get_incident(incident_id=sp_id)
        url = text.statuspage_url(_page_id(ctx), current.id, current.shortlink)
        # Every component the incident affected (its list and the incident's link) goes back to operational,
        # unless another open incident lists it. `component_ids` is sent in full: it replaces the list.
        plan = resolve_plan(ctx, current, details)
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
                component_ids=plan.listed or None,
                components=plan.changes or None,
                deliver_notifications=notify,
            )
        elif plan.changes:
            current = sp.update_incident(
                incident_id=sp_id,
                component_ids=plan.listed,
                components=plan.changes,
                deliver_notifications=False,
            )
        return {
            "id": current.id,
            "url": url,
            "status": current.status,
            "impact": current.impact_override or current.impact,
            "components": {c.name: str(c.status or "operational") for c in current.components},
            "warnings": plan.warnings,
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
                ctx, channel_id, text.resolved_message(ref.number, p.note), needle=marker
            ),
        )
    else:
        runner.skip("slack.post_resolved", "no incident channel linked")
    thread = details.get(D_THREAD)
    if thread:

        def reply(_again: bool) -> dict[str, Any]:
            gone = _thread_gone(ctx, thread)
            if gone is not None:
                # A thread that is gone must not keep the incident from being resolved.
                return {"skipped": True, "warnings": [f"not replied in the #incidents thread: {gone}"]}
            thread_channel, thread_ts = _check_thread(thread)
            message = text.thread_resolved_message(ref.number, p.note)
            return _post_once(ctx, thread_channel, message, thread_ts, needle=marker)

        runner.step("slack.reply_thread", reply)
    else:
        runner.skip("slack.reply_thread", "no #incidents thread linked")
