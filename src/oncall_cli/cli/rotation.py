"""`oncall rotation`: add a new engineer, remove a leaver, list and show the schedule's rotations."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncall_cli.cli import completion as complete
from oncall_cli.cli.common import DryRunOpt, JsonOpt, output, services

if TYPE_CHECKING:
    from rich.console import Console

    from oncall_cli.cli.output import Output
    from oncall_cli.scheduling.model import Shift
    from oncall_cli.services.rotation import AddEngineerResult, RemoveEngineerResult, RotationsView

app = typer.Typer(
    no_args_is_help=True,
    help="Change the rotations: add a new engineer, remove a leaver, list and show them.",
)

ApplyOpt = Annotated[bool, typer.Option("--apply", help="Make the changes (the default only shows them).")]


def when(at: datetime | None, tz: str) -> str:
    """A shift boundary for people: `Mon 2027-02-01 11:00 EST`."""
    from oncall_cli.scheduling.model import zone

    if at is None:
        return "-"
    local = at.astimezone(zone(tz))
    return f"{local:%a %Y-%m-%d %H:%M %Z}"


def span(shift: Shift | None, tz: str) -> str:
    if shift is None:
        return "no shift"
    return f"{when(shift.start, tz)} → {when(shift.end, tz)} ({shift.rotation})"


def short(shift: Shift | None, tz: str) -> str:
    """A shift in a table cell: `Mon 02-01 11:00 → Mon 02-08 11:00 EST`."""
    from oncall_cli.scheduling.model import zone

    if shift is None:
        return "-"
    z = zone(tz)
    start, end = shift.start.astimezone(z), shift.end.astimezone(z)
    return f"{start:%a %m-%d %H:%M} → {end:%a %m-%d %H:%M %Z}"


def say_lines(
    console: Console, verb_dry: str, verb_done: str, dry_run: bool, actions: list[str], applied: list[str]
) -> None:
    from rich.markup import escape

    if dry_run:
        for action in actions:
            console.print(f"{verb_dry}: {escape(action)}")
        if actions:
            console.print(
                "[dim]Dry run: nothing was changed. Run again with --apply to make these changes.[/]"
            )
        else:
            console.print("Nothing to change.")
    else:
        for action in applied:
            console.print(f"{verb_done}: {escape(action)}")
        if not applied:
            console.print("Nothing to change.")


def warn_all(out: Output, warnings: list[str] | tuple[str, ...]) -> None:
    from rich.markup import escape

    for warning in warnings:
        out.warn(escape(warning))


@app.command("add-engineer")
def add_engineer(
    ctx: typer.Context,
    email: Annotated[
        str, typer.Argument(metavar="EMAIL", help="The new engineer's email (their username).")
    ],
    start_date: Annotated[str, typer.Option("--start-date", help="Their first day, e.g. 2027-02-01.")],
    rotation: Annotated[
        str | None,
        typer.Option(
            "--rotation",
            help="The rotation to join (default: B outside US Eastern time, else the smaller)."
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Full name, for a new Opsgenie user (on JSM, invite them first)."),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="IANA time zone, when the Opsgenie user is created.")
    ] = None,
    apply: ApplyOpt = False,
    dry_run: DryRunOpt = False,
    notify: Annotated[
        bool, typer.Option("--notify", help="DM everyone whose next shift moves (Slack).")
    ] = False,
    remind: Annotated[
        bool,
        typer.Option(
            "--remind",
            help="If they cannot be added yet, schedule a Slack reminder to me for the day they can.",
        ),
    ] = False,
    no_move: Annotated[
        bool,
        typer.Option(
            "--no-move",
            help="Never move others to keep two new engineers apart: placeholder or append only; warn "
            "and propose a trade instead.",
        ),
    ] = False,
    allow_imbalance: Annotated[
        bool,
        typer.Option(
            "--allow-imbalance",
            help="With --rotation: apply even if the seats then differ in size by more than one [R3] "
            "(refused otherwise, exit 9).",
        ),
    ] = False,
    roster: Annotated[
        Path | None,
        typer.Option(
            "--roster",
            help="Roster TOML: start dates, managers and teams where the on-call service keeps none "
            "(PagerDuty).",
        ),
    ] = None,
    json_mode: JsonOpt = False,
) -> None:
    """Add a new engineer to a rotation by the playbook, and show whose dates move.

    Example: oncall rotation add-engineer new@example.com --start-date 2027-02-01 --apply --notify
    """
    from oncall_cli.services.rotation import add_engineer as run
    from oncall_cli.services.timeparse import parse_date

    out = output(ctx, json_mode)
    context = services(ctx)
    day = parse_date(start_date, flag="--start-date", tz=context.settings.text("timezone"), now=context.now())
    with out.step("Reading the schedule"):
        result = run(
            context,
            email,
            start_date=day,
            rotation=rotation,
            name=name,
            timezone=timezone,
            apply=apply and not dry_run,
            notify=notify,
            remind=remind,
            move=not no_move,
            allow_imbalance=allow_imbalance,
            roster=roster,
        )
    warn_all(out, result.warnings)
    out.result(result.to_json(), lambda console: _render_add(console, result))


def _render_add(console: Console, result: AddEngineerResult) -> None:
    from rich.markup import escape
    from rich.table import Table

    p, tz = result.placement, result.timezone
    e = result.engineer
    console.print(
        f"[bold]{escape(e.email)}[/] ({escape(e.name)}, {e.timezone}), starts "
        f"{e.start_date.isoformat()}; first shift allowed from {result.eligible_from.isoformat()}"
    )
    console.print(f"rotation: [bold]{escape(p.rotation)}[/] ({escape(result.reason)})")
    for note in p.notes:
        console.print(escape(note))
    for tried in p.tried:
        console.print(
            f"[dim]passed over {tried.kind} position {tried.position + 1}: {escape(tried.rejected)}[/]"
        )
    if p.outcome == "deferred":
        console.print(f"[cyan]deferred[/]: add {escape(e.email)} from {when(p.add_from, tz)}")
    if p.trade is not None:
        t = p.trade
        console.print(
            f"[yellow]proposed trade[/] (not performed) with {escape(t.partner)}: "
            f"{escape(t.partner)} takes {span(t.partner_new_shift, tz)}; {escape(e.email)} takes "
            f"{span(t.new_engineer_new_shift, tz)}"
        )
        console.print(f"message to send:\n  {escape(t.message)}")
        console.print(f"then: oncall override swap {escape(t.new_engineer)} {escape(t.partner)}")
    if p.moves:
        table = Table(title="whose next shift moves")
        for col in ("engineer", "old (next shift)", "new"):
            table.add_column(col)
        for move in p.moves:
            table.add_row(move.user, short(move.old, tz), short(move.new, tz))
        console.print(table)
    elif p.outcome in ("placeholder", "append", "insert"):
        console.print("Nobody else's next shift moves.")
    say_lines(console, "would", "done", result.dry_run, result.actions, result.applied)
    if result.notified:
        console.print(f"notified in Slack: {', '.join(result.notified)}")
    if result.not_in_slack:
        console.print(f"[yellow]not in Slack[/] (tell them yourself): {', '.join(result.not_in_slack)}")
    if result.reminder is not None and result.reminder.skipped:
        console.print(f"[yellow]no reminder[/]: {escape(result.reminder.skipped)}")


def _confirm(ctx: typer.Context, yes: bool) -> Any:
    """Always a question (never None: the service would take no answer as consent); `--yes` or
    `oncall --yes` answers yes, `oncall --no-input` makes it exit 2 naming --yes."""
    from oncall_cli.cli.common import confirmer, state

    if yes or state(ctx).yes or state(ctx).no_input:
        return confirmer(ctx, flag="--yes") if not yes else (lambda question: True)

    def ask(question: str) -> bool:
        try:
            return bool(typer.confirm(question, default=False, err=True))
        except typer.Abort:
            return False

    return ask


@app.command("remove-engineer")
def remove_engineer(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(
            metavar="EMAIL", help="The leaver's email (their username)."
        )],
    manager: Annotated[
        str | None,
        typer.Option(
            "--manager",
            help="Who covers their upcoming shifts (default: the manager kept for them: Opsgenie user "
            "details, or the Jira user property on JSM).",
        ),
    ] = None,
    apply: ApplyOpt = False,
    dry_run: DryRunOpt = False,
    delete_user: Annotated[
        bool,
        typer.Option(
            "--delete-user", help="Also delete their Opsgenie user (JSM: take them off the team); asks first."
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before deleting the user.")] = False,
    roster: Annotated[
        Path | None,
        typer.Option("--roster", help="Roster TOML: the leaver's manager where the service keeps none."),
    ] = None,
    json_mode: JsonOpt = False,
) -> None:
    """Replace a leaver with a no-one placeholder everywhere and put their manager on their shifts.

    Example: oncall rotation remove-engineer leaver@example.com --manager boss@example.com --apply
    """
    from oncall_cli.services.rotation import remove_engineer as run

    out = output(ctx, json_mode)
    context = services(ctx)
    with out.step("Reading the schedule"):
        result = run(
            context,
            email,
            manager=manager,
            apply=apply and not dry_run,
            delete_user=delete_user,
            confirm=_confirm(ctx, yes),
            roster=roster,
        )
    warn_all(out, [*result.removal.warnings, *result.warnings])
    out.result(result.to_json(), lambda console: _render_remove(console, result))


def _render_remove(console: Console, result: RemoveEngineerResult) -> None:
    from rich.markup import escape

    r = result.removal
    if r.manager is None:
        console.print(f"[bold]{escape(r.engineer)}[/] is in no rotation and has no shifts to cover")
    else:
        console.print(
            f"[bold]{escape(r.engineer)}[/] leaves; {escape(r.manager)} ({result.manager_source}) "
            "covers their upcoming shifts"
        )
    for change in r.changes:
        console.print(f"{escape(change.name)}: {escape(r.engineer)} → no-one (nobody else's dates move)")
    for line in result.existing:
        console.print(f"[dim]already there: {escape(line)}[/]")
    if r.moves:
        console.print("[yellow]unexpected: these next shifts move[/]: " + ", ".join(m.user for m in r.moves))
    say_lines(console, "would", "done", result.dry_run, result.actions, result.applied)
    if result.user_kept:
        console.print(f"User kept: {escape(result.user_kept)}")


@app.command("list")
def list_(ctx: typer.Context, json_mode: JsonOpt = False) -> None:
    """List every rotation with its participants in order and each one's next shift.

    Example: oncall rotation list --json
    """
    from oncall_cli.services.rotation import list_rotations

    out = output(ctx, json_mode)
    with out.step("Reading the schedule"):
        view = list_rotations(services(ctx))
    complete.remember(
        ctx,
        rotations=[r.rotation.name for r in view.rotations],
        emails=[p.user for r in view.rotations for p in r.participants],
    )
    out.result(view.to_json(), lambda console: _render_rotations(console, view))


@app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="Rotation name, e.g. rot-a."),
    ],
    json_mode: JsonOpt = False,
) -> None:
    """Show one rotation: participants in order, time zone, new flag and next shift.

    Example: oncall rotation show rot-a
    """
    from oncall_cli.services.rotation import list_rotations

    out = output(ctx, json_mode)
    with out.step("Reading the schedule"):
        view = list_rotations(services(ctx), name)
    data = view.to_json()
    out.result(
        {"timezone": data["timezone"], "now": data["now"], **data["rotations"][0]},
        lambda console: _render_rotations(console, view),
    )


def _render_rotations(console: Console, view: RotationsView) -> None:
    from rich.table import Table

    tz = view.timezone
    for rv in view.rotations:
        r = rv.rotation
        ends = f", ends {when(r.end, tz)}" if r.end is not None else ""
        table = Table(
            title=f"{r.name} (group {rv.group or '-'}, {r.type} x{r.length}, from {when(r.start, tz)}{ends})"
        )
        for col in ("#", "engineer", "time zone", "new", "next shift"):
            table.add_column(col)
        for p in rv.participants:
            table.add_row(
                str(p.position),
                p.user or "no-one",
                p.timezone or "",
                "yes" if p.new else "",
                short(p.next_shift, tz),
            )
        console.print(table)
