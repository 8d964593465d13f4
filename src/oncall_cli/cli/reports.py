"""`oncall handoff` and `oncall slo report`: the handoff after stand-up and the acknowledgement SLO."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from oncall_cli.cli.common import DryRunOpt, JsonOpt, output, services

if TYPE_CHECKING:
    from rich.console import Console

    from oncall_cli.cli.output import Output
    from oncall_cli.services.reports import HandoffReport, HandoffRun, SloReport

app = typer.Typer(no_args_is_help=True, help="Acknowledgement SLO of incidents, per the playbook's tiers.")
# `oncall handoff` is the report itself; `oncall handoff run` the scheduler's whole hand-off. A group whose
# callback runs when no subcommand is named keeps every `oncall handoff [OPTIONS]` working as before.
handoff_app = typer.Typer(invoke_without_command=True, no_args_is_help=False, rich_markup_mode=None)


@handoff_app.callback()
def handoff(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="TIME",
            help="Start of the ending shift (default: the last handoff); e.g. '-2d'.",
        ),
    ] = None,
    post: Annotated[
        str | None,
        typer.Option(
            "--post", metavar="CHANNEL", help="Also post the report to this Slack channel (#name or id)."
        ),
    ] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the report as Markdown.")] = False,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Pass open incidents' roles from departing engineers on (runs the listed incident assigns).",
        ),
    ] = False,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Report the ending shift for the handoff: incidents opened, resolved, still active; follow-ups;
    who hands over to whom; the roles of open incidents to pass on. `oncall handoff run` does the whole
    hand-off (topic, report, roles) for a scheduler.

    Example: oncall handoff --post '#dev' --dry-run
    """
    if ctx.invoked_subcommand is not None:
        return
    from oncall_cli.errors import UsageError
    from oncall_cli.services.reports import handoff as handoff_report
    from oncall_cli.services.reports import handoff_text
    from oncall_cli.services.timeparse import parse_time

    out = output(ctx, json_mode)
    if markdown and json_mode:
        raise UsageError("--json and --markdown cannot be used together")
    if dry_run and post is None and not apply:
        raise UsageError("--dry-run only applies to --post and --apply")
    context = services(ctx)
    start = None
    if since is not None:
        start = parse_time(
            since, flag="--since", tz=context.settings.text("timezone"), now=context.now(), clock="past"
        )
    with out.step("Reading incidents and the schedule"):
        report = handoff_report(context, since=start, post=post, dry_run=dry_run, apply=apply)
    for warning in report.warnings:
        out.warn(warning)
    _say_roles(out, report)
    if report.post is not None:
        p = report.post
        if p.already_posted:
            out.message(f"#{p.channel} already has this shift's report (ts {p.ts}); not posted again")
        elif p.dry_run:
            out.message(f"--dry-run: would post this report to #{p.channel}:")
            if not json_mode:
                out.message(handoff_text(report, "slack"))
        else:
            out.message(f"posted to #{p.channel} (ts {p.ts})")
    if markdown:
        out.mark_sandbox()
        sys.stdout.write(handoff_text(report, "markdown") + "\n")
        return
    out.result(report.to_dict(), lambda console: _render_handoff(console, report))


@handoff_app.command("run")
def handoff_run(
    ctx: typer.Context,
    post: Annotated[
        str | None,
        typer.Option(
            "--post",
            metavar="CHANNEL",
            help="Where the report goes (default: the slack.announce_channel setting).",
        ),
    ] = None,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Do the hand-off: set the #incidents topic to who is on call now, post the report of the shift that
    just ended, pass open incidents' roles on. For a scheduler shortly after the hand-off (11:05 ET on
    hand-off days); safe to run twice, and a no-op on a day without a hand-off.

    Example: oncall handoff run --post '#dev' --dry-run
    """
    from oncall_cli.services.reports import handoff_run as run

    out = output(ctx, json_mode)
    with out.step("Reading the schedule, incidents and Slack"):
        result = run(services(ctx), post=post, dry_run=dry_run)
    for warning in result.warnings:
        out.warn(warning)
    out.result(result.to_dict(), lambda console: _render_run(console, result))


def _say_roles(out: Output, report: HandoffReport) -> None:
    for r in report.roles:
        if r.applied is None:
            continue
        if r.applied["dry_run"]:
            out.message(f"--dry-run: would run {r.command}")
        elif r.applied["done"]:
            out.message(f"ran {r.command}")
        else:
            out.message(f"#{r.number}: roles already passed on")


@app.command("report")
def slo_report(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DATE", help="First day (YYYY-MM-DD, local); default: 30 days ago."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="DATE", help="Last day, inclusive; default: today.")
    ] = None,
    json_mode: JsonOpt = False,
) -> None:
    """Show each tier's attainment of the acknowledgement objective, and the misses.

    Example: oncall slo report --since 2026-11-01 --until 2026-11-30
    """
    from oncall_cli.services.reports import slo_report as build
    from oncall_cli.services.timeparse import parse_date

    out = output(ctx, json_mode)
    context = services(ctx)
    tz, now = context.settings.text("timezone"), context.now()
    first = parse_date(since, flag="--since", tz=tz, now=now) if since is not None else None
    last = parse_date(until, flag="--until", tz=tz, now=now) if until is not None else None
    with out.step("Reading incidents and their timelines"):
        report = build(context, since=first, until=last)
    for warning in report.warnings:
        out.warn(warning)
    out.result(report.to_dict(), lambda console: _render_slo(console, report))


# ---- rendering ------------------------------------------------------------------------------------------


def _render_handoff(console: Console, report: HandoffReport) -> None:
    from rich.markup import escape

    from oncall_cli.services.reports import handoff_text

    console.print(escape(handoff_text(report, "markdown")))


def _render_run(console: Console, result: HandoffRun) -> None:
    from rich.markup import escape

    from oncall_cli.services.reports import handoff_text

    if not result.handoff_day:
        upcoming = f"{result.next_handoff:%a %Y-%m-%d %H:%M %Z}"
        console.print(f"No hand-off today: nothing to do (next hand-off {upcoming}).")
        return
    assert result.report is not None and result.handoff_at is not None
    verb = "would be" if result.dry_run else "was"
    console.print(f"Hand-off {result.handoff_at:%a %Y-%m-%d %H:%M %Z}:")
    t = result.topic
    if t is not None:
        state = f"{verb} set to: {escape(t.new_topic)}" if t.changed else "already names who is on call"
        console.print(f"- #{t.channel} topic {state}")
    p = result.report.post
    if p is not None:
        if p.already_posted:
            console.print(f"- the report is already in #{p.channel} (ts {p.ts})")
        elif p.dry_run:
            console.print(f"- the report would be posted to #{p.channel}")
        else:
            console.print(f"- the report was posted to #{p.channel} (ts {p.ts})")
    for r in result.report.roles:
        a = r.applied or {}
        state = "would run" if a.get("dry_run") else ("ran" if a.get("done") else "already done")
        console.print(f"- roles of #{r.number}: {state} {escape(r.command)}")
    if not result.report.roles:
        console.print("- no open incident has a role to pass on")
    if not result.changed:
        console.print("Nothing changed: this hand-off was already done.")
    if result.dry_run:
        console.print(escape(handoff_text(result.report, "markdown")))


def _render_slo(console: Console, report: SloReport) -> None:
    from rich.table import Table

    from oncall_cli.scheduling.model import zone

    tz = zone(report.timezone)

    console.print(f"Acknowledgement SLO, {report.since} to {report.until} ({report.timezone})")
    table = Table()
    for col in ("tier", "objective", "incidents", "met", "missed", "pending", "attainment"):
        table.add_column(col)
    for t in report.tiers:
        objective = f"{int(t.objective.total_seconds() // 60)} min" if t.objective else "none"
        rate = f"{t.attainment:.0%}" if t.attainment is not None else "-"
        table.add_row(
            str(t.tier), objective, str(t.incidents), str(t.met), str(t.missed), str(t.pending), rate
        )
    console.print(table)
    misses = report.misses
    if not misses:
        console.print("No misses.")
        return
    listing = Table(title=f"Misses ({len(misses)})", title_justify="left")
    for col in ("#", "created", "acknowledged", "took", "tier", "objective", "message"):
        listing.add_column(col)
    for m in misses:
        j = m.judgement
        took = f"{j.response_time.total_seconds() / 60:.0f} min" if j.response_time else "never"
        ack = j.response.acknowledged.astimezone(tz).strftime("%H:%M %Z") if j.response.acknowledged else "-"
        objective = f"{int(j.objective.total_seconds() // 60)} min" if j.objective else "none"
        created = j.response.created.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z")
        listing.add_row(m.number, created, ack, took, str(j.tier), objective, m.message)
    console.print(listing)
