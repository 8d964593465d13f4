"""`oncall incident`: raise, coordinate and close incidents across the on-call service, Slack and Statuspage.

Each command parses its flags, calls one function of `services/incident/` and prints the result. The
JSON keys are documented in docs/incident.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncall_cli.cli import completion as complete
from oncall_cli.cli.common import (
    DryRunOpt,
    JsonOpt,
    QuietOpt,
    WebOpt,
    open_in_browser,
    output,
    print_ids,
    quiet_conflict,
    services,
    state,
)

if TYPE_CHECKING:
    from rich.console import Console

    from oncall_cli.cli.output import Output
    from oncall_cli.services.context import Context
    from oncall_cli.services.incident import (
        ActionResult,
        DryRun,
        IncidentDetail,
        IncidentRow,
        JournalView,
        WorkflowResult,
    )

app = typer.Typer(
    no_args_is_help=True,
    help="Raise, coordinate, resolve and close incidents (on-call service + Slack + Statuspage).",
)
responder_app = typer.Typer(no_args_is_help=True, help="Add subject-matter experts to an incident.")
stakeholder_app = typer.Typer(no_args_is_help=True, help="Add stakeholders to an incident.")
app.add_typer(responder_app, name="responder")
app.add_typer(stakeholder_app, name="stakeholder")

IdArg = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="The incident number (e.g. 42, ITSM-42 on JSM) or its id.",
    ),
]


# ---- rendering ----------------------------------------------------------------------------------------


def _esc(value: object) -> str:
    from rich.markup import escape

    return escape(str(value))


def _print(console: Console, text: object) -> None:
    """Print without turning `:name:` in Slack texts into emoji (dry runs show the exact text)."""
    console.print(text, emoji=False)


def _warnings(out: Output, warnings: list[str]) -> None:
    for warning in warnings:
        out.warn(_esc(warning))


def _render_dry_run(result: DryRun) -> Any:
    def render(console: Console) -> None:
        import json

        _print(console, "[bold]Dry run[/]: nothing was changed. These changes would be made:")
        if not result.changes:
            _print(console, "  (none)")
        for change in result.changes:
            data = f" {_esc(json.dumps(change.data, default=str, ensure_ascii=False))}" if change.data else ""
            _print(console, f"  {change.service}: {_esc(change.action)} [bold]{_esc(change.target)}[/]{data}")

    return render


def _render_workflow(result: WorkflowResult, tracker: str) -> Any:
    def render(console: Console) -> None:
        inc = result.incident
        verb = {"raise": "raised", "resolve": "resolved"}.get(result.workflow, result.workflow)
        _print(
            console,
            f"[bold]Incident #{_esc(inc.number)}[/] {verb} ({_esc(inc.priority)}): {_esc(inc.message)}",
        )
        _print(console, f"  {_esc(tracker + ':'):<11} {_esc(inc.url)}")
        if result.slack.channel_id:
            name = f"#{result.slack.channel_name} " if result.slack.channel_name else ""
            _print(console, f"  Slack:      {_esc(name)}{_esc(result.slack.channel_url)}")
        if result.slack.thread_url:
            _print(console, f"  Thread:     {_esc(result.slack.thread_url)}")
        if result.statuspage is not None:
            sp = result.statuspage
            _print(console, f"  Statuspage: {_esc(sp.url)} ({_esc(sp.status)}, impact {_esc(sp.impact)})")
        if result.slack.invited:
            _print(console, f"  Invited:    {_esc(', '.join(result.slack.invited))}")
        if result.checklist:
            _print(console, "[bold]Follow-ups[/] (playbook):")
            for item in result.checklist:
                due = f" (due {item.due.isoformat()})" if item.due else ""
                _print(console, f"  [ ] {_esc(item.text)}{due}")
        _print(console, f"[dim]journal run {result.run_id}: `oncall incident journal {_esc(inc.number)}`[/]")

    return render


def _show_workflow(out: Output, result: WorkflowResult | DryRun, context: Context) -> None:
    """Print a raise/resume/resolve result: the steps it ran, or the changes a dry run would make."""
    from oncall_cli.services.incident import DryRun

    _warnings(out, result.warnings)
    if isinstance(result, DryRun):
        out.result(result, _render_dry_run(result))
    else:
        out.result(result, _render_workflow(result, context.incidents.service))


def _render_action(verb: str, result: ActionResult) -> Any:
    def render(console: Console) -> None:
        inc = result.incident
        if result.done:
            _print(console, f"Incident #{_esc(inc.number)}: {verb} ({_esc(', '.join(result.done))}).")
        else:
            _print(console, f"Incident #{_esc(inc.number)}: nothing to change, already done.")
        if result.statuspage is not None:
            sp = result.statuspage
            _print(console, f"  Statuspage: {_esc(sp.url)} ({_esc(sp.status)}, impact {_esc(sp.impact)})")

    return render


def show_action(out: Output, result: ActionResult | DryRun, verb: str) -> None:
    from oncall_cli.services.incident import DryRun

    _warnings(out, result.warnings)
    if isinstance(result, DryRun):
        out.result(result, _render_dry_run(result))
    else:
        out.result(result, _render_action(verb, result))


def _raise_flag(question: str) -> str:
    """The flag that answers one of `raise`'s questions (for `--no-input`)."""
    return "--production or --non-production" if "affect production" in question else "--force"


def _confirm(ctx: typer.Context, spinner: Any, flag: Any = "--force") -> Any:
    """A yes/no question for the service: asked only when a person is at the terminal (else the service
    refuses or takes its default); `oncall --yes` answers yes, `oncall --no-input` makes it exit 2 naming
    the flag that answers it. The spinner pauses while the question waits."""
    from oncall_cli.cli.common import confirmer

    return confirmer(ctx, flag=flag, spinner=spinner)


# ---- raise, resume, journal ---------------------------------------------------------------------------


@app.command("raise")
def raise_(
    ctx: typer.Context,
    message: Annotated[str, typer.Argument(help="What is wrong, for responders (never shown publicly).")],
    priority: Annotated[
        str, typer.Option(
            "--priority",
            "-p",
            help="P1..P5 or Critical, High, Moderate, Low, Informational.",
        )
    ],
    description: Annotated[
        str | None, typer.Option("--description", help="More detail for responders.")
    ] = None,
    thread: Annotated[
        str | None, typer.Option("--thread", help="Link to the #incidents thread that reported it.")
    ] = None,
    service: Annotated[
        str | None, typer.Option("--service", help="Opsgenie or PagerDuty service (default: the profile's).")
    ] = None,
    responder: Annotated[
        list[str] | None,
        typer.Option("--responder", help="Responder email (repeatable)."),
    ] = None,
    statuspage: Annotated[
        bool | None,
        typer.Option(
            "--statuspage/--no-statuspage", help="Open a Statuspage incident (default: by priority)."
        ),
    ] = None,
    component: Annotated[
        list[str] | None, typer.Option("--component", help="Affected Statuspage component (repeatable).")
    ] = None,
    public_message: Annotated[
        str | None, typer.Option("--public-message", help="Public Statuspage text (default: generic).")
    ] = None,
    no_notify_subscribers: Annotated[
        bool, typer.Option("--no-notify-subscribers", help="Do not notify Statuspage subscribers.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Raise even if it looks like a duplicate.")] = False,
    non_production: Annotated[
        bool | None,
        typer.Option(
            "--non-production/--production",
            help="P4/P5 only: no perceived impact on production (a P4/P5 raise on a terminal asks).",
        ),
    ] = None,
    reported_at: Annotated[
        str | None,
        typer.Option(
            "--reported-at",
            help="When it was reported (SLO clock start; default: the thread's first message, else now).",
        ),
    ] = None,
    dry_run: DryRunOpt = False,
    quiet: QuietOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Raise an incident: on-call service incident, Slack channel, thread reply, (public) Statuspage incident.

    Example: oncall incident raise "Checkout API returns 500s" -p P1 --component API --thread URL
    """
    from oncall_cli.services.incident import RaiseRequest, raise_incident
    from oncall_cli.services.incident.models import WorkflowResult
    from oncall_cli.services.incident_text import parse_priority

    quiet_conflict(quiet, json_mode)
    out = output(ctx, json_mode)
    request = RaiseRequest(
        message=message,
        priority=parse_priority(priority),
        description=description,
        thread=thread,
        service=service,
        responders=tuple(responder or ()),
        statuspage=statuspage,
        components=tuple(component or ()),
        public_message=public_message,
        notify_subscribers=not no_notify_subscribers,
        force=force,
        reported_at=reported_at,
        non_production=non_production,
    )
    context = services(ctx)
    with out.spinner("Raising the incident...") as spinner:
        confirm = None if json_mode and not state(ctx).yes else _confirm(ctx, spinner, _raise_flag)
        result = raise_incident(context, request, dry_run=dry_run, confirm=confirm)
    if quiet:
        _warnings(out, result.warnings)
        print_ids([result.incident.number] if isinstance(result, WorkflowResult) else [])
        return
    _show_workflow(out, result, context)


@app.command("resume")
def resume(
    ctx: typer.Context,
    ref: Annotated[
        str | None,
        typer.Argument(metavar="[ID]", help="Incident number, id or journal run id (default: latest)."),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip", metavar="STEP", help="Mark a step as skipped, e.g. slack.reply_thread (repeatable)."
        ),
    ] = None,
    thread: Annotated[
        str | None, typer.Option("--thread", help="Replace the #incidents thread link (checked first).")
    ] = None,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Continue the latest unfinished `raise` or `resolve` from its failed step.

    A step that cannot succeed (a thread that is gone) can be skipped with --skip, or the thread replaced
    with --thread.

    Example: oncall incident resume 42 --skip slack.reply_thread
    """
    from oncall_cli.services.incident import resume as resume_run

    out = output(ctx, json_mode)
    context = services(ctx)
    with out.spinner("Resuming..."):
        result = resume_run(context, ref, dry_run=dry_run, skip=tuple(skip or ()), thread=thread)
    _show_workflow(out, result, context)


@app.command("journal")
def journal(
    ctx: typer.Context,
    ref: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="Incident number, id or journal run id.")
    ] = None,
    json_mode: JsonOpt = False,
) -> None:
    """Show the journaled steps of `raise` and `resolve` runs (of one incident, or the latest runs).

    Example: oncall incident journal 42
    """
    from oncall_cli.services.incident import journal_view

    out = output(ctx, json_mode)
    result = journal_view(services(ctx), ref)
    out.result(result, _render_journal(result))


def _render_journal(result: JournalView) -> Any:
    marks = {
        "done": "[green]done[/]",
        "skipped": "[dim]skipped[/]",
        "failed": "[red]FAILED[/]",
        "started": "[yellow]started[/]",
    }

    def render(console: Console) -> None:
        _print(console, f"[dim]journal: {_esc(result.path)}[/]")
        if not result.runs:
            _print(console, "No journaled runs.")
        for run in result.runs:
            number = f"#{run.incident_number}" if run.incident_number else "(no incident yet)"
            _print(
                console,
                f"[bold]{run.workflow} {_esc(number)}[/] run {run.run_id}: {run.status} "
                f"(started {run.created_at}, last change {run.updated_at})",
            )
            for step in run.steps:
                if step.error:
                    what = str(step.error.get("message", ""))
                else:
                    what = ", ".join(
                        f"{k}={v}" for k, v in step.result.items() if isinstance(v, str | int | bool)
                    )
                tries = f", {step.attempts} attempts" if step.attempts > 1 else ""
                _print(
                    console, f"  {step.name:<30} {marks.get(step.status, step.status)}{tries}  {_esc(what)}"
                )

    return render


# ---- roles, people, notes, priority -------------------------------------------------------------------


@app.command("assign")
def assign(
    ctx: typer.Context,
    ref: IdArg,
    commander: Annotated[
        str, typer.Option("--commander", help="Incident commander's email.")
    ],
    comms: Annotated[
        str | None,
        typer.Option("--comms", help="Communications lead's email."),
    ] = None,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Record the incident roles (timeline and details) and post them in the incident channel.

    Example: oncall incident assign 42 --commander ada@example.com --comms grace@example.com
    """
    from oncall_cli.services.incident import assign as assign_roles

    out = output(ctx, json_mode)
    result = assign_roles(services(ctx), ref, commander=commander, comms=comms, dry_run=dry_run)
    show_action(out, result, "roles assigned")


@responder_app.command("add")
def responder_add(
    ctx: typer.Context,
    ref: IdArg,
    email: Annotated[str, typer.Argument(help="The expert's email.")],
    note: Annotated[str | None, typer.Option("--note", help="Why they are needed.")] = None,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Add a subject-matter expert: incident responder (notified) and invited to the channel.

    Example: oncall incident responder add 42 linus@example.com --note "database expert"
    """
    from oncall_cli.services.incident import add_person

    out = output(ctx, json_mode)
    result = add_person(services(ctx), ref, email, kind="responder", note=note, dry_run=dry_run)
    show_action(out, result, "responder added")


@stakeholder_app.command("add")
def stakeholder_add(
    ctx: typer.Context,
    ref: IdArg,
    email: Annotated[str, typer.Argument(help="The stakeholder's email.")],
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Add a stakeholder: recorded on the incident (not paged) and invited to the channel.

    Example: oncall incident stakeholder add 42 cto@example.com
    """
    from oncall_cli.services.incident import add_person

    out = output(ctx, json_mode)
    result = add_person(services(ctx), ref, email, kind="stakeholder", dry_run=dry_run)
    show_action(out, result, "stakeholder added")


@app.command("note")
def note(
    ctx: typer.Context,
    ref: IdArg,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="What happened.")],
    at: Annotated[
        str | None, typer.Option("--at", help="When it happened: HH:MM or ISO 8601 (schedule time zone).")
    ] = None,
    slack: Annotated[bool, typer.Option("--slack", help="Also post it in the incident channel.")] = False,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Add an incident timeline entry, after the fact with --at.

    Example: oncall incident note 42 "Rolled back the 14:05 deploy" --at 14:20 --slack
    """
    from oncall_cli.services.incident import add_note

    out = output(ctx, json_mode)
    result = add_note(services(ctx), ref, text, at=at, slack=slack, dry_run=dry_run)
    show_action(out, result, "note added")


@app.command("priority")
def priority(
    ctx: typer.Context,
    ref: IdArg,
    value: Annotated[str, typer.Argument(metavar="PRIORITY", help="P1..P5 or its name.")],
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Change the priority, and the Statuspage impact to match.

    Example: oncall incident priority 42 P2
    """
    from oncall_cli.services.incident import change_priority
    from oncall_cli.services.incident_text import parse_priority

    out = output(ctx, json_mode)
    result = change_priority(services(ctx), ref, parse_priority(value, flag="PRIORITY"), dry_run=dry_run)
    show_action(out, result, "priority changed")


@app.command("update")
def update(
    ctx: typer.Context,
    ref: IdArg,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The internal update.")],
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Post an internal update in the #incidents thread that reported the incident (and on its timeline).

    Example: oncall incident update 42 "Workaround: use the EU endpoint"
    """
    from oncall_cli.services.incident import post_update

    out = output(ctx, json_mode)
    result = post_update(services(ctx), ref, text, dry_run=dry_run)
    show_action(out, result, "update posted")


# ---- resolve, close -----------------------------------------------------------------------------------


@app.command("resolve")
def resolve(
    ctx: typer.Context,
    ref: IdArg,
    note: Annotated[str, typer.Option("--note", help="How it was resolved (timeline and channel).")],
    close_alerts: Annotated[
        bool,
        typer.Option("--close-alerts", help="Also close the incident's own and linked alerts."),
    ] = False,
    alerts: Annotated[
        list[str] | None,
        typer.Option("--alert", metavar="ID", help="Also close this alert (repeatable; its number or id)."),
    ] = None,
    statuspage_message: Annotated[
        str | None, typer.Option("--statuspage-message", help="Public resolution text (default: generic).")
    ] = None,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Resolve: timeline entry, on-call service, Statuspage (components operational), channel and thread.

    Example: oncall incident resolve 42 --note "Rolled back; error rate normal" --close-alerts
    """
    from oncall_cli.services.incident import resolve_incident

    out = output(ctx, json_mode)
    context = services(ctx)
    with out.spinner("Resolving the incident..."):
        result = resolve_incident(
            context,
            ref,
            note=note,
            close_alerts=close_alerts,
            alerts=alerts or [],
            statuspage_message=statuspage_message,
            dry_run=dry_run,
        )
    _show_workflow(out, result, context)


@app.command("close")
def close(
    ctx: typer.Context,
    ref: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why this is not an incident.")],
    ticket: Annotated[str | None, typer.Option("--ticket", help="Link to the ticket opened instead.")] = None,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Close a report that is not an incident, with the playbook's friendly reply in the thread.

    Example: oncall incident close 43 --reason "feature request" --ticket https://jira.example.com/X-1
    """
    from oncall_cli.services.incident import close_incident

    out = output(ctx, json_mode)
    result = close_incident(services(ctx), ref, reason=reason, ticket=ticket, dry_run=dry_run)
    show_action(out, result, "closed")


@app.command("link-alert")
def link_alert(
    ctx: typer.Context,
    ref: IdArg,
    alerts: Annotated[
        list[str], typer.Argument(metavar="ALERT...", help="Alert numbers (tiny ids, e.g. 7) or ids.")
    ],
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Link alerts to the incident: recorded on the incident (link, timeline) and on each alert (tag).

    Linked alerts count for the SLO (their acknowledgement is a response) and `resolve --close-alerts`
    closes them. Running it again changes nothing.

    Example: oncall incident link-alert 42 7 8
    """
    from oncall_cli.services.alerts import link_alerts

    out = output(ctx, json_mode)
    result = link_alerts(services(ctx), ref, alerts, dry_run=dry_run)
    _warnings(out, result.warnings)

    def render(console: Console) -> None:
        number = _esc(result.incident.number)
        numbers = ", ".join(f"#{a.number}" for a in result.alerts)
        if result.dry_run:
            for change in result.done:
                _print(console, f"would: {_esc(change)}")
            if not result.done:
                _print(console, f"Alerts {numbers} are already linked to incident #{number}.")
        elif result.done:
            _print(console, f"Incident #{number}: alerts {numbers} linked ({_esc(', '.join(result.done))}).")
        else:
            _print(console, f"Incident #{number}: alerts {numbers} already linked, nothing to change.")

    out.result(result.to_json(), render)


# ---- list, show, postmortem ---------------------------------------------------------------------------


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option("--status", help="open, resolved or closed."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Created on or after this date (YYYY-MM-DD or ISO 8601).")
    ] = None,
    json_mode: JsonOpt = False,
) -> None:
    """List incidents, newest first.

    Example: oncall incident list --status open
    """
    from oncall_cli.services.incident import list_incidents

    out = output(ctx, json_mode)
    rows = list_incidents(services(ctx), status=status, since=since)
    complete.remember(ctx, incidents=[r.number for r in rows])
    out.result({"incidents": rows}, _render_list(rows))


def _render_list(rows: list[IncidentRow]) -> Any:
    def render(console: Console) -> None:
        from rich.table import Table

        if not rows:
            _print(console, "No incidents.")
            return
        table = Table()
        for col in ("#", "priority", "status", "created (UTC)", "message", "channel", "statuspage"):
            table.add_column(col)
        for r in rows:
            created = r.created_at.strftime("%Y-%m-%d %H:%M") if r.created_at else ""
            table.add_row(
                r.number,
                r.priority,
                r.status,
                created,
                _esc(r.message),
                _esc(r.slack_channel or ""),
                _esc(r.statuspage_incident_id or ""),
            )
        _print(console, table)

    return render


@app.command("show")
def show(ctx: typer.Context, ref: IdArg, web: WebOpt = False, json_mode: JsonOpt = False) -> None:
    """Show an incident: details, responders, roles, timeline, channel and Statuspage state.

    Example: oncall incident show 42
    """
    from oncall_cli.services.incident import show as show_incident

    out = output(ctx, json_mode)
    context = services(ctx)
    detail = show_incident(context, ref)
    complete.remember(ctx, incidents=[detail.incident.number], emails=detail.responders)
    _warnings(out, detail.warnings)
    out.result(detail, _render_detail(detail, context.incidents.service))
    if web:
        open_in_browser(ctx, detail.incident.url)


def _render_detail(d: IncidentDetail, tracker: str) -> Any:
    def render(console: Console) -> None:
        inc = d.incident
        _print(
            console,
            f"[bold]Incident #{_esc(inc.number)}[/] {_esc(inc.priority)} {_esc(inc.status)}: "
            f"{_esc(inc.message)}",
        )
        _print(console, f"  {_esc(tracker + ':'):<12} {_esc(inc.url)}")
        if d.description:
            _print(console, f"  Description: {_esc(d.description)}")
        _print(
            console,
            f"  Commander:   {_esc(d.roles.get('commander') or 'unassigned')}   "
            f"Comms: {_esc(d.roles.get('comms') or 'unassigned')}",
        )
        _print(console, f"  Responders:  {_esc(', '.join(d.responders) or 'none')}")
        if d.stakeholders:
            _print(console, f"  Stakeholders: {_esc(', '.join(d.stakeholders))}")
        if d.slack.channel_id:
            _print(
                console,
                f"  Slack:       #{_esc(d.slack.channel_name or d.slack.channel_id)} "
                f"{_esc(d.slack.channel_url)}",
            )
        if d.slack.thread_url:
            _print(console, f"  Thread:      {_esc(d.slack.thread_url)}")
        if d.statuspage:
            sp = d.statuspage
            parts = ", ".join(f"{k}: {v}" for k, v in sp.components.items())
            _print(
                console,
                f"  Statuspage:  {_esc(sp.url)} ({_esc(sp.status)}, impact {_esc(sp.impact)}) {_esc(parts)}",
            )
        for alert in d.alerts:
            acked = "acknowledged" if alert["acknowledged"] else "not acknowledged"
            _print(
                console,
                f"  Alert:       #{_esc(alert['number'])} {_esc(alert['status'])}, {acked}: "
                f"{_esc(alert['message'])}",
            )
        for ticket in d.followups:
            done = " (done)" if ticket.done else ""
            _print(
                console,
                f"  Follow-up:   {_esc(ticket.key)} {_esc(ticket.status)}{done} {_esc(ticket.summary)} "
                f"{_esc(ticket.url)}",
            )
        if d.timeline:
            _print(console, f"[bold]Timeline[/] ({_esc(d.timezone)})")
            for item in d.timeline:
                at = item.at.strftime("%Y-%m-%d %H:%M") if item.at else "?"
                _print(console, f"  {at}  {_esc(item.text)}")

    return render


@app.command("followup")
def followup(
    ctx: typer.Context,
    ref: IdArg,
    summary: Annotated[
        str, typer.Argument(metavar="SUMMARY", help="What needs doing, the ticket's summary.")
    ],
    project: Annotated[
        str | None,
        typer.Option("--project", help="The Jira project of the ticket (default: jira.followup_project)."),
    ] = None,
    issue_type: Annotated[str, typer.Option("--type", help="The ticket's issue type.")] = "Task",
    dry_run: DryRunOpt = False,
    quiet: QuietOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """File a follow-up ticket in Jira and link it to the incident (on every backend: needs jira.url).

    Running it again with the same summary creates no second ticket.

    Example: oncall incident followup 42 "Fix the retry storm" --project SEARCH
    """
    from oncall_cli.services.incident.followups import followup as file_followup

    quiet_conflict(quiet, json_mode)
    out = output(ctx, json_mode)
    result = file_followup(
        services(ctx), ref, summary, project=project, issue_type=issue_type, dry_run=dry_run
    )
    if quiet:
        print_ids([result.ticket.key] if result.ticket is not None and not result.dry_run else [])
        return

    def render(console: Console) -> None:
        number = _esc(result.incident.number)
        ticket = result.ticket
        if result.dry_run:
            for action in result.actions:
                _print(console, f"would: {_esc(action)}")
            if not result.actions and ticket:
                _print(console, f"{_esc(ticket.key)} is already a follow-up of incident #{number}.")
            return
        if ticket is None:
            return
        what = "created and linked" if result.created else ("linked" if result.applied else "already linked")
        _print(console, f"Follow-up {_esc(ticket.key)} {what} to incident #{number}: {_esc(ticket.url)}")

    out.result(result.to_json(), render)


@app.command("postmortem")
def postmortem(
    ctx: typer.Context,
    ref: IdArg,
    output_file: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the draft to this file and record it on the incident."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")] = False,
    publish: Annotated[
        str | None,
        typer.Option("--publish", help="Record where the postmortem is published (URL); state Published."),
    ] = None,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Draft a Markdown postmortem from the incident's details and timeline, and record it on the incident.

    Without --output the draft is printed and nothing is recorded. With --output the file's path is
    recorded (state Draft, one timeline entry); --publish URL records where it now lives (Published).

    Example: oncall incident postmortem 42 --output postmortems/2024-05-01-checkout.md
    """
    from oncall_cli.services.incident import DryRun
    from oncall_cli.services.incident import postmortem as draft

    out = output(ctx, json_mode)
    result = draft(services(ctx), ref, output=output_file, force=force, publish=publish, dry_run=dry_run)
    _warnings(out, result.warnings)
    if isinstance(result, DryRun):
        out.result(result, _render_dry_run(result))
        return
    pm = result

    def render(console: Console) -> None:
        if pm.path:
            _print(
                console,
                f"Wrote the postmortem draft of incident #{_esc(pm.incident.number)} to {_esc(pm.path)}.",
            )
        elif not pm.done and not pm.skipped:
            sys.stdout.write(pm.markdown)
        if pm.recorded and (pm.done or pm.skipped):
            verb = "Recorded" if pm.done else "Already recorded"
            _print(
                console,
                f"{verb} on the incident: postmortem {_esc(pm.recorded['state'])}, "
                f"{_esc(pm.recorded['link'])}.",
            )

    out.result(pm, render)


@app.command("review")
def review(
    ctx: typer.Context,
    ref: IdArg,
    on: Annotated[str, typer.Option("--on", help="The review's day (YYYY-MM-DD).")],
    speakers: Annotated[
        list[str], typer.Option("--speaker", help="A speaker's email (repeat for each).")
    ],
    at: Annotated[
        str | None, typer.Option("--at", help="Its start (HH:MM, profile's timezone); all day without it.")
    ] = None,
    summary: Annotated[
        str | None, typer.Option("--summary", help="What the review is about (default: the incident).")
    ] = None,
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel", help="Post here (default: slack.review_channel, else the announce channel)."
        ),
    ] = None,
    ics: Annotated[Path | None, typer.Option("--ics", help="Write an iCalendar invite to this file.")] = None,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Schedule the incident review: record it on the incident, post it, and write an invite.

    Safe to run again: the entry and the post are made once (a new --on date is a new post).

    Example: oncall incident review 42 --on 2026-12-17 --speaker ada@example.com --ics review-42.ics
    """
    from oncall_cli.services.incident import DryRun
    from oncall_cli.services.incident import review as schedule_review

    out = output(ctx, json_mode)
    result = schedule_review(
        services(ctx),
        ref,
        on=on,
        speakers=speakers,
        at=at,
        summary=summary,
        channel=channel,
        ics=ics,
        dry_run=dry_run,
    )
    _warnings(out, result.warnings)
    if isinstance(result, DryRun):
        out.result(result, _render_dry_run(result))
        return
    rv = result

    def render(console: Console) -> None:
        verb = "Recorded" if rv.done else "Already recorded"
        _print(
            console,
            f"{verb} the review of incident #{_esc(rv.incident.number)} on {_esc(rv.on)} "
            f"(speakers: {_esc(', '.join(rv.speakers))}); posted in {_esc(rv.channel)}.",
        )
        if rv.ics:
            _print(console, f"Invite written to {_esc(rv.ics)}.")

    out.result(rv, render)
