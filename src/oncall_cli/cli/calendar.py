"""`oncall calendar`: the on-call calendar feed for subscriptions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from oncall_cli.cli.common import DryRunOpt, JsonOpt, output, services

if TYPE_CHECKING:
    from rich.console import Console

    from oncall_cli.services.calendar_feed import Publication

app = typer.Typer(no_args_is_help=True, help="Publish the on-call calendar feed.")


@app.command("publish")
def publish(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Where to write (and where the last "
                                                                   "publication is).")],
    weeks: Annotated[int, typer.Option("--weeks", metavar="N", help="How many weeks ahead (1 to 104).")] = 26,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Write team.ics, one <email>.ics per engineer and index.html into DIR, for calendar subscriptions.

    Event UIDs stay the same when a shift changes hands, so subscribed calendars update the event; files
    whose content did not change are not written again.

    Example: oncall calendar publish public/ --weeks 26
    """
    from oncall_cli.services.calendar_feed import publish as publish_feed

    out = output(ctx, json_mode)
    with out.step("Reading the schedule"):
        result = publish_feed(services(ctx), directory, weeks=weeks, dry_run=dry_run)
    for warning in result.warnings:
        out.warn(warning)
    out.result(result.to_dict(), lambda console: _render(console, result))


def _render(console: Console, result: Publication) -> None:
    from rich.markup import escape

    verb = "would write" if result.dry_run else "wrote"
    changed = [f for f in result.files if f.changed]
    for f in changed:
        console.print(f"{verb} {escape(str(result.directory / f.name))} ({f.events} event(s))")
    unchanged = len(result.files) - len(changed)
    console.print(
        f"{len(result.added)} event(s) added, {len(result.updated)} updated, {len(result.removed)} removed; "
        f"{unchanged} file(s) unchanged"
    )
