"""`oncall schedule`: plan and create the next on-call round, show, check and export the schedule."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncall_cli.cli import completion as complete
from oncall_cli.cli.common import JsonOpt, QuietOpt, output, print_ids, quiet_conflict, services
from oncall_cli.cli.tables import WideOpt

if TYPE_CHECKING:
    from rich.console import Console

    from oncall_cli.scheduling.model import PlannedRotation, Shift
    from oncall_cli.services.schedule import RoundInputs, RoundResult
    from oncall_cli.services.stats import StatsResult

app = typer.Typer(no_args_is_help=True, help="Plan, create, show, check and export the on-call schedule.")

WeeksOpt = Annotated[int, typer.Option("--weeks", help="How many weeks ahead.", min=1, max=104)]


def _date(value: str | None, flag: str) -> date | None:
    from oncall_cli.errors import UsageError

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag}: expected a date like 2027-02-01, got {value!r}") from None


def _new(
    ctx: typer.Context,
    split: Annotated[int, typer.Option("--split", help="Number of rotations (1 to 4).")] = 2,
    roster: Annotated[
        Path | None, typer.Option("--roster", help="Roster TOML file instead of the on-call service's team.")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="Monday the round starts (A; B on Wednesday).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for a reproducible order.")] = None,
    randomize: Annotated[bool, typer.Option("--randomize/--no-randomize", help="Shuffle the order.")] = True,
    apply: Annotated[
        bool, typer.Option("--apply", help="Create the rotations on the on-call service.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --apply: show the changes, make none.")
    ] = False,
    no_announce: Annotated[bool, typer.Option("--no-announce", help="Do not announce in Slack.")] = False,
    quiet: QuietOpt = False,
    wide: WideOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Plan the next on-call round; with --apply create it on the on-call service and announce it.

    Example: oncall schedule new --split 2 --seed 7 --apply
    """
    from oncall_cli.scheduling.planner import plan_to_json
    from oncall_cli.services.gate import violation_json
    from oncall_cli.services.schedule import apply_round, plan_new_round

    quiet_conflict(quiet, json_mode)
    out = output(ctx, json_mode)
    context = services(ctx)
    with out.step("Planning the next round"):
        inputs = plan_new_round(
            context, split=split, roster=roster, start=_date(start, "--start"), seed=seed, randomize=randomize
        )
    data: dict[str, Any] = plan_to_json(inputs.plan)
    result = None
    if apply or dry_run:
        with out.step("Creating the round on the on-call service"):
            result = apply_round(context, inputs, announce=not no_announce, dry_run=dry_run or not apply)
        assert result.diff is not None
        data["apply"] = {
            "dry_run": result.dry_run,
            "actions": [a.describe() for a in result.diff.actions],
            "applied": list(result.applied),
            "existing": list(result.diff.existing),
            "differences": list(result.diff.differences),
            "announced": result.announced,
            "gate": [violation_json(v, inputs.plan.timezone) for v in result.gate],
        }
        from rich.markup import escape

        for v in result.gate:
            out.warn(escape(f"--apply would be refused (exit 9): {v.rule} {v.message}"))
    if quiet:
        # The round's rotations, by name (how every command addresses them), once created.
        created = result is not None and not result.dry_run
        print_ids([r.name for r in inputs.plan.rotations] if created else [])
        return
    out.result(data, lambda console: _render_plan(console, inputs, result, wide))


app.command("new")(_new)
app.command("generate", help="Alias of `schedule new`.")(_new)


def _render_plan(
    console: Console, inputs: RoundInputs, result: RoundResult | None, wide: bool = False
) -> None:
    from rich.table import Table

    from oncall_cli.cli.tables import person, print_fitted
    from oncall_cli.scheduling.model import zone

    plan = inputs.plan
    tz = zone(plan.timezone)
    people = {e.email: e for e in inputs.engineers}
    names = {e.email: e.name for e in inputs.engineers}
    first_shift: dict[tuple[str, str | None], Shift] = {}
    for shift in plan.shifts:
        first_shift.setdefault((shift.rotation, shift.user), shift)
    for rotation in plan.rotations:

        def layout(level: int, rotation: PlannedRotation = rotation) -> Table:
            # 0: everything; 1: names for emails; 2: no time-zone column, local times without dates;
            # 3: the Eastern end without its time too.
            table = Table(
                title=f"{rotation.name} (group {rotation.group}, weekly from "
                f"{rotation.start.astimezone(tz):%a %Y-%m-%d %H:%M %Z})"
            )
            columns = ["#", "engineer", "time zone", "shift (Eastern)", "shift (local)", "new"]
            if level >= 2:
                columns.remove("time zone")
            for col in columns:
                table.add_column(col, no_wrap=level > 0)
            for pos, user in enumerate(rotation.participants, start=1):
                engineer = people.get(user or "")
                first = first_shift.get((rotation.name, user))
                eastern = local = ""
                if first is not None:
                    eastern = _span(first, tz) if level < 3 else _short_span(first, tz)
                    if engineer is not None:
                        local_tz = zone(engineer.timezone)
                        local = _span(first, local_tz) if level < 2 else _time_span(first, local_tz)
                row = [str(pos), person(user, level, names)]
                if level < 2:
                    row.append(engineer.timezone if engineer else "")
                row += [eastern, local, "yes" if user in inputs.new else ""]
                table.add_row(*row)
            return table

        print_fitted(console, layout, 4, wide=wide)
    if plan.pairs:

        def pairs_layout(level: int) -> Table:
            pairs = Table(title="who is on call together")
            for col in ("A", "B", "from", "to"):
                pairs.add_column(col, no_wrap=level > 0)
            for pair in plan.pairs:
                pairs.add_row(
                    person(pair.a, level, names),
                    person(pair.b, level, names),
                    f"{pair.start.astimezone(tz):%a %m-%d %H:%M}",
                    f"{pair.end.astimezone(tz):%a %m-%d %H:%M}",
                )
            return pairs

        print_fitted(console, pairs_layout, 2, wide=wide)
    for deferral in plan.deferred:
        when = deferral.eligible_from.isoformat() if deferral.eligible_from else "unknown"
        console.print(f"[cyan]deferred[/] {deferral.user}: {deferral.reason} (eligible from {when})")
    for warning in plan.warnings:
        console.print(f"[yellow]warning[/] {warning}")
    if result is not None and result.diff is not None:
        verb = "would" if result.dry_run else "did"
        for action in result.diff.actions:
            console.print(f"{verb}: {action.describe()}")
        for name in result.diff.existing:
            console.print(f"[yellow]already exists[/]: {name} (not created again)")
        for line in result.diff.differences:
            console.print(f"[yellow]differs[/]: {line}")
        if result.announced == "posted":
            console.print("announced in Slack")
        elif result.announced == "already_posted":
            console.print("the announcement is already in Slack (not posted again)")
        elif not result.dry_run and not result.diff.actions and result.diff.existing:
            console.print("The round already exists; nothing to do.")
    elif result is None:
        console.print("[dim]This is a plan only; run again with --apply to create it.[/]")


@app.command("show")
def show(
    ctx: typer.Context, weeks: WeeksOpt = 4, wide: WideOpt = False, json_mode: JsonOpt = False
) -> None:
    """Show the on-call timeline per rotation (overrides applied), from the on-call service's timeline.

    Example: oncall schedule show --weeks 6
    """
    from oncall_cli.services.schedule import show as show_schedule

    out = output(ctx, json_mode)
    view = show_schedule(services(ctx), weeks=weeks)
    complete.remember(ctx, rotations=[s.rotation for s in view.shifts], emails=[s.user for s in view.shifts])
    data = {
        "timezone": view.timezone,
        "from": view.start,
        "to": view.end,
        "shifts": [_shift_json(i, s) for i, s in enumerate(view.shifts, start=1)],
    }
    out.result(data, lambda console: _render_shifts(console, view.timezone, view.shifts, wide))


def _shift_json(index: int, shift: Shift) -> dict[str, Any]:
    return {
        "index": index,
        "rotation": shift.rotation,
        "user": shift.user,
        "start": shift.start,
        "end": shift.end,
        "override": shift.override,
    }


def _render_shifts(console: Console, timezone: str, shifts: tuple[Shift, ...], wide: bool = False) -> None:
    from rich.table import Table

    from oncall_cli.cli.tables import person, print_fitted
    from oncall_cli.scheduling.model import zone

    tz = zone(timezone)

    def layout(level: int) -> Table:
        # 0: emails; 1: names (the email's local part: the timeline carries no directory names); 2: no years.
        when = _fmt if level < 2 else _fmt_short
        table = Table(title=f"on-call timeline ({timezone})")
        for col in ("#", "rotation", "engineer", "from", "to", ""):
            table.add_column(col, no_wrap=level > 0)
        for i, shift in enumerate(shifts, start=1):
            table.add_row(
                str(i),
                shift.rotation,
                person(shift.user, level),
                when(shift.start.astimezone(tz)),
                when(shift.end.astimezone(tz)),
                "override" if shift.override else "",
            )
        return table

    print_fitted(console, layout, 3, wide=wide)


def _span(shift: Shift, tz: tzinfo) -> str:
    return f"{shift.start.astimezone(tz):%a %m-%d %H:%M} → {shift.end.astimezone(tz):%a %m-%d %H:%M}"


def _short_span(shift: Shift, tz: tzinfo) -> str:
    """`Mon 02-01 11:00 → 02-08`: the end's date only (a shift ends when the next one starts)."""
    return f"{shift.start.astimezone(tz):%a %m-%d %H:%M} → {shift.end.astimezone(tz):%m-%d}"


def _time_span(shift: Shift, tz: tzinfo) -> str:
    """`Wed 16:00 → Wed 15:00 GMT`: the local hours, whose dates the Eastern column already gives."""
    start, end = shift.start.astimezone(tz), shift.end.astimezone(tz)
    return f"{start:%a %H:%M} → {end:%a %H:%M %Z}"


def _fmt(at: datetime) -> str:
    return f"{at:%a %Y-%m-%d %H:%M}"


def _fmt_short(at: datetime) -> str:
    return f"{at:%a %m-%d %H:%M}"


@app.command("check")
def check(
    ctx: typer.Context,
    weeks: Annotated[
        int, typer.Option("--weeks", help="How many weeks ahead to check.", min=1, max=104)
    ] = 12,
    roster: Annotated[
        Path | None, typer.Option("--roster", help="Roster TOML with PTO and new flags.")
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="text; github (GitHub Actions ::error annotations on stdout); junit (JUnit XML, one "
            "test case per rule).",
        ),
    ] = "text",
    output_file: Annotated[
        Path | None,
        typer.Option("--output", metavar="FILE", help="With --format junit: write the XML to FILE."),
    ] = None,
    json_mode: JsonOpt = False,
) -> None:
    """Lint the live schedule against the playbook's rules; exit 9 when anything is wrong.

    Finds new-new pairs, 60-day violations, unbalanced rotations, `none` placeholders, PTO clashes, and
    gaps or overlaps (any moment without exactly one A and one B engineer on call). For CI: `--format
    github` prints annotations, `--format junit --output FILE` writes a JUnit report; the exit code is
    the same (9 when a rule is broken).

    Example: oncall schedule check --weeks 12 --format junit --output schedule-check.xml
    """
    import sys

    from oncall_cli.errors import RulesViolatedError, UsageError
    from oncall_cli.services.schedule import check as check_schedule
    from oncall_cli.services.schedule import check_annotations, check_junit

    if format not in ("text", "github", "junit"):
        raise UsageError(f"--format must be text, github or junit, not {format!r}")
    if output_file is not None and format != "junit":
        raise UsageError("--output only applies to --format junit")
    if json_mode and (format == "github" or (format == "junit" and output_file is None)):
        raise UsageError(
            f"--json prints JSON on stdout, and so would --format {format} (junit: use --output)"
        )
    out = output(ctx, json_mode)
    result = check_schedule(services(ctx), weeks=weeks, roster=roster)
    if format == "junit" and output_file is not None:
        from oncall_cli.services.files import write_if_changed

        write_if_changed(output_file, check_junit(result), flag="--output")
        out.message(f"wrote {output_file} ({len(result.rules)} rules, {len(result.violations)} problem(s))")
    elif format != "text":
        out.mark_sandbox()
        if format == "github":
            sys.stdout.write(check_annotations(result))
        else:
            sys.stdout.write(check_junit(result).decode("utf-8"))
        if result.violations:
            raise typer.Exit(int(RulesViolatedError.exit_code))
        return
    data = {
        "from": result.start,
        "to": result.end,
        "ok": not result.violations,
        "violations": [
            {
                "rule": v.rule,
                "message": v.message,
                "subjects": list(v.subjects),
                "start": v.start,
                "end": v.end,
            }
            for v in result.violations
        ],
    }

    def render(console: Console) -> None:
        if not result.violations:
            console.print(f"[green]ok[/]: no problems from {_fmt(result.start)} to {_fmt(result.end)}")
        for violation in result.violations:
            console.print(f"[red]{violation.rule}[/] {violation.message}")

    out.result(data, render)
    if result.violations:
        raise typer.Exit(int(RulesViolatedError.exit_code))


@app.command("stats")
def stats(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option("--since", help="First day of the window (default: 26 weeks ago).", metavar="DATE"),
    ] = None,
    wide: WideOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Show who carried the on-call load: weeks, hours, after-hours, holiday shifts, incidents.

    Overrides and trades count for whoever held them; after-hours are outside Mon-Fri 09:00-18:00 in the
    engineer's own time zone.

    Example: oncall schedule stats --since 2026-10-01
    """
    from oncall_cli.services.stats import stats as load_stats

    out = output(ctx, json_mode)
    result = load_stats(services(ctx), since=_date(since, "--since"))
    out.result(result.to_dict(), lambda console: _render_stats(console, result, wide))


def _render_stats(console: Console, result: StatsResult, wide: bool) -> None:
    from rich.table import Table

    from oncall_cli.cli.tables import person, print_fitted

    s = result.stats

    def layout(level: int) -> Table:
        # 0: emails and zones; 1: names; 2: no time zone column.
        span = f"{s.start:%Y-%m-%d} to {s.end:%Y-%m-%d}"
        table = Table(title=f"on-call load {span} ({result.timezone})")
        columns = ["engineer", "zone", "weeks", "hours", "after-hours", "shifts", "holiday", "incidents"]
        if level >= 2:
            columns.remove("zone")
        for col in columns:
            table.add_column(col, justify="left" if col in ("engineer", "zone") else "right", no_wrap=True)
        for e in s.engineers:
            row = [person(e.user, level, result.names), e.timezone, f"{e.weeks:.1f}", f"{e.hours:.1f}",
                   f"{e.after_hours:.1f}", str(e.shifts), str(e.holiday_shifts), str(e.incidents)]
            if level >= 2:
                row.pop(1)
            table.add_row(*row)
        return table

    print_fitted(console, layout, 3, wide=wide)
    console.print(
        f"spread: hours {s.spread.max_hours:.1f} max / {s.spread.min_hours:.1f} min; weeks "
        f"{s.spread.max_weeks:.1f} max / {s.spread.min_weeks:.1f} min; incidents {s.incidents} "
        f"({s.unattended} with nobody on call)"
    )


@app.command("export")
def export(
    ctx: typer.Context,
    format: Annotated[
        str, typer.Option("--format", help="ics or csv.")
    ] = "ics",
    user: Annotated[
        str | None,
        typer.Option("--user", help="Only this engineer's shifts."),
    ] = None,
    weeks: WeeksOpt = 12,
    json_mode: JsonOpt = False,
) -> None:
    """Export the shifts as iCalendar (one event per shift, stable UIDs) or CSV, on stdout.

    Example: oncall schedule export --format ics --user ada@example.com > ada.ics
    """
    import sys

    from oncall_cli.services.schedule import export as export_shifts
    from oncall_cli.services.schedule import show as show_schedule

    out = output(ctx, json_mode)
    context = services(ctx)
    if json_mode:
        view = show_schedule(context, weeks=weeks, user=user, whole=True)
        out.result(
            {
                "timezone": view.timezone,
                "shifts": [_shift_json(i, s) for i, s in enumerate(view.shifts, start=1)],
            }
        )
        return
    out.mark_sandbox()
    sys.stdout.write(export_shifts(context, fmt=format, user=user, weeks=weeks))
