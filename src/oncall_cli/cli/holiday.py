"""`oncall holiday`: plan the holiday rotations, volunteer for a holiday shift, show who has."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from oncall_cli.cli.common import DryRunOpt, JsonOpt, output, services
from oncall_cli.cli.override import MeOpt, UserOpt, render_override
from oncall_cli.cli.rotation import ApplyOpt, say_lines, span, warn_all, when

if TYPE_CHECKING:
    from rich.console import Console

    from oncall_cli.services.holiday import HolidayPlanResult, HolidayView

app = typer.Typer(no_args_is_help=True, help="Holiday rotations: plan them, volunteer, show who has.")


@app.command("plan")
def plan(
    ctx: typer.Context,
    year: Annotated[
        int | None,
        typer.Option(
            "--year", help="The December of the holiday (default: the next one that has not ended)."
        ),
    ] = None,
    apply: ApplyOpt = False,
    dry_run: DryRunOpt = False,
    notify: Annotated[
        bool,
        typer.Option(
            "--notify", help="DM the owner of each override the plan re-creates on a continuation (Slack)."
        ),
    ] = False,
    json_mode: JsonOpt = False,
) -> None:
    """Create the 2-day holiday rotations and pause the regular ones across the window.

    Overrides tied to a paused rotation after the window's start are re-created on the rotation that
    continues it.

    Example: oncall holiday plan --year 2027 --apply --notify
    """
    from oncall_cli.services.holiday import plan as run

    out = output(ctx, json_mode)
    with out.step("Reading the schedule"):
        result = run(services(ctx), year=year, apply=apply and not dry_run, notify=notify)
    warn_all(out, [f"{v.rule} {v.message}" for v in result.coverage])
    warn_all(out, result.warnings)
    out.result(result.to_json(), lambda console: _render_plan(console, result))


def _render_plan(console: Console, result: HolidayPlanResult) -> None:
    from rich.markup import escape
    from rich.table import Table

    p, tz = result.plan, result.timezone
    console.print(f"Holiday {p.year}: {when(p.start, tz)} → {when(p.end, tz)}")
    for note in p.notes:
        console.print(escape(note))
    for name in p.existing:
        console.print(f"[dim]already exists: {escape(name)} (not created again)[/]")
    for line in result.existing_overrides:
        console.print(f"[dim]already done: {escape(line)}[/]")
    for line in p.differences:
        console.print(f"[yellow]differs[/]: {escape(line)}")
    table = Table(title="on-call timeline around the holidays (after the plan)")
    for col in ("rotation", "engineer", "from", "to"):
        table.add_column(col)
    for shift in result.timeline:
        table.add_row(shift.rotation, shift.user or "no-one", when(shift.start, tz), when(shift.end, tz))
    console.print(table)
    if not result.coverage:
        console.print("Each seat has exactly one rotation on call at every moment (no gap, no double cover).")
    console.print(f"{result.open_shifts} holiday shift(s) wait for volunteers (`oncall holiday volunteer`).")
    say_lines(
        console, "would", "done", result.dry_run, [s.description for s in result.steps], result.applied
    )


@app.command("volunteer")
def volunteer(
    ctx: typer.Context,
    shift: Annotated[
        str,
        typer.Argument(
            metavar="SHIFT", help="The holiday shift's number in `oncall holiday show`, or its date."
        ),
    ],
    user: UserOpt = None,
    me: MeOpt = False,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Take a holiday shift (an override on the holiday rotation).

    Example: oncall holiday volunteer 2027-12-24 --me
    """
    from oncall_cli.services.holiday import volunteer as run

    out = output(ctx, json_mode)
    result = run(services(ctx), shift, user=user, me=me, dry_run=dry_run)
    warn_all(out, result.warnings)
    out.result(result.to_json(), lambda console: render_override(console, result))


@app.command("show")
def show(ctx: typer.Context, json_mode: JsonOpt = False) -> None:
    """Show the holiday shifts, who volunteered and which are still open.

    Example: oncall holiday show --json
    """
    from oncall_cli.services.holiday import show as run

    out = output(ctx, json_mode)
    view = run(services(ctx))
    out.result(view.to_json(), lambda console: _render_show(console, view))


def _render_show(console: Console, view: HolidayView) -> None:
    from rich.table import Table

    table = Table(title=f"holiday shifts ({view.timezone})")
    for col in ("#", "rotation", "volunteer", "from", "to"):
        table.add_column(col)
    for i, shift in enumerate(view.shifts, start=1):
        table.add_row(
            str(i),
            shift.rotation,
            shift.user or "[yellow]open[/]",
            when(shift.start, view.timezone),
            when(shift.end, view.timezone),
        )
    console.print(table)
    open_count = sum(1 for s in view.shifts if s.user is None)
    console.print(f"{open_count} open of {len(view.shifts)}" if view.shifts else span(None, view.timezone))
