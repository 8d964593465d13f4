"""`oncall override`: cover a stretch of a shift, take a whole shift, swap two engineers' next shifts,
list and delete overrides."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from oncall_cli.cli.common import DryRunOpt, JsonOpt, QuietOpt, output, print_ids, quiet_conflict, services
from oncall_cli.cli.rotation import span, warn_all, when

if TYPE_CHECKING:
    from rich.console import Console

    from oncall_cli.services.overrides import DeleteResult, OverrideResult, OverridesView, SwapResult

app = typer.Typer(no_args_is_help=True, help="Overrides: cover a shift, take one, swap two, list, delete.")

UserOpt = Annotated[
    str | None,
    typer.Option("--user", help="Who covers (email); default: me."),
]
MeOpt = Annotated[bool, typer.Option("--me", help="Me (the `me` setting); the default.")]


@app.command("add")
def add(
    ctx: typer.Context,
    start: Annotated[
        str,
        typer.Option(
            "--start", help="ISO-8601, or '2027-02-01 11:00' in the profile's zone; minutes :00 or :30."
        ),
    ],
    end: Annotated[str, typer.Option("--end", help="Same forms as --start.")],
    user: UserOpt = None,
    me: MeOpt = False,
    rotation: Annotated[
        str | None,
        typer.Option(
            "--rotation",
            help="Rotation to override (default: the one the user rotates in).",
        ),
    ] = None,
    dry_run: DryRunOpt = False,
    quiet: QuietOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Override a whole or partial shift (default user: me).

    Example: oncall override add --me --start "2027-02-01 11:00" --end "2027-02-02 11:00"
    """
    from oncall_cli.services.overrides import add as run

    quiet_conflict(quiet, json_mode)
    out = output(ctx, json_mode)
    result = run(services(ctx), start=start, end=end, user=user, me=me, rotation=rotation, dry_run=dry_run)
    warn_all(out, result.warnings)
    if quiet:
        # The override's key (Opsgenie's and JSM's alias): what `override remove` takes.
        print_ids([result.override.alias] if result.override.alias and not result.dry_run else [])
        return
    out.result(result.to_json(), lambda console: render_override(console, result))


@app.command("take")
def take(
    ctx: typer.Context,
    shift: Annotated[
        str,
        typer.Argument(
            metavar="SHIFT", help="The shift's date (2027-02-01) or its number in `oncall schedule show`."
        ),
    ],
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Take a whole shift for me.

    Example: oncall override take 3
    """
    from oncall_cli.services.overrides import take as run

    out = output(ctx, json_mode)
    result = run(services(ctx), shift, dry_run=dry_run)
    warn_all(out, result.warnings)
    out.result(result.to_json(), lambda console: render_override(console, result))


def render_override(console: Console, result: OverrideResult) -> None:
    from rich.markup import escape

    from oncall_cli.scheduling.rules import EASTERN_REFERENCE

    o, tz = result.override, result.timezone
    who = o.user or "no-one"
    console.print(f"[bold]{escape(who)}[/] on {', '.join(o.rotations)}")
    console.print(f"  Eastern: {when(o.start, EASTERN_REFERENCE)} → {when(o.end, EASTERN_REFERENCE)}")
    console.print(
        f"  {result.local_timezone}: {when(o.start, result.local_timezone)} → "
        f"{when(o.end, result.local_timezone)}"
    )
    for shift in result.replaces:
        if shift.user != o.user:
            console.print(f"  replaces {shift.user or 'no-one'}: {span(shift, tz)}")
    if result.already_exists:
        console.print("Already in place: nothing to change.")
    elif result.created:
        console.print(f"Created override {escape(o.alias or '')}.")
    else:
        console.print("[dim]Dry run: nothing was changed.[/]")


@app.command("swap")
def swap(
    ctx: typer.Context,
    email_a: Annotated[str, typer.Argument(metavar="EMAIL_A", help="One engineer.")],
    email_b: Annotated[str, typer.Argument(metavar="EMAIL_B", help="The other engineer.")],
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Trade two engineers' next shifts with two overrides, both or neither.

    Example: oncall override swap ada@example.com grace@example.com
    """
    from oncall_cli.services.overrides import swap as run

    out = output(ctx, json_mode)
    result = run(services(ctx), email_a, email_b, dry_run=dry_run)
    warn_all(out, result.warnings)
    out.result(result.to_json(), lambda console: _render_swap(console, result))


def _render_swap(console: Console, result: SwapResult) -> None:
    tz = result.timezone
    console.print(f"{result.b} covers {result.a}'s shift {span(result.shift_a, tz)}")
    console.print(f"{result.a} covers {result.b}'s shift {span(result.shift_b, tz)}")
    if len(result.existing) == 2:
        console.print("Already swapped: nothing to change.")
    elif result.dry_run:
        console.print("[dim]Dry run: nothing was changed.[/]")
    else:
        for line in result.created:
            console.print(f"done: {line}")


@app.command("list")
def list_(ctx: typer.Context, json_mode: JsonOpt = False) -> None:
    """List the overrides that have not ended.

    Example: oncall override list --json
    """
    from oncall_cli.services.overrides import list_overrides

    out = output(ctx, json_mode)
    view = list_overrides(services(ctx))
    out.result(view.to_json(), lambda console: _render_list(console, view))


def _render_list(console: Console, view: OverridesView) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"overrides ({view.timezone})")
    for col in ("alias", "user", "rotations", "from", "to", "status"):
        table.add_column(col)
    for o in view.overrides:
        reason = view.dead_reason(o)
        table.add_row(
            o.alias or "",
            o.user or "no-one",
            ", ".join(o.rotations) or "all",
            when(o.start, view.timezone),
            when(o.end, view.timezone),
            "active" if reason is None else f"[yellow]inactive[/]: {escape(reason)}",
        )
    console.print(table)


@app.command("delete")
def delete(
    ctx: typer.Context,
    alias: Annotated[
        str, typer.Argument(metavar="ALIAS", help="The override's alias (see `oncall override list`).")
    ],
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Delete an override.

    Example: oncall override delete 3f0c...
    """
    from oncall_cli.services.overrides import delete as run

    out = output(ctx, json_mode)
    result = run(services(ctx), alias, dry_run=dry_run)
    out.result(result.to_json(), lambda console: _render_delete(console, result))


def _render_delete(console: Console, result: DeleteResult) -> None:
    if result.override is None:
        console.print(f"No override {result.alias}: nothing to delete.")
        return
    o = result.override
    verb = "deleted" if result.deleted else "would delete"
    console.print(
        f"{verb} {result.alias}: {o.user or 'no-one'} on {', '.join(o.rotations) or 'all'} "
        f"{when(o.start, result.timezone)} → {when(o.end, result.timezone)}"
    )
