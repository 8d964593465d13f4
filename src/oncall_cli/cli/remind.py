"""`oncall remind`: Slack reminders of upcoming on-call shifts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from oncall_cli.cli.common import DryRunOpt, JsonOpt, output, services

if TYPE_CHECKING:
    from rich.console import Console

    from oncall_cli.services.reminders import RemindResult

app = typer.Typer(no_args_is_help=True, help="Remind engineers of their upcoming shifts in Slack.")


@app.command("upcoming")
def upcoming(
    ctx: typer.Context,
    days: Annotated[
        int, typer.Option("--days", metavar="N", help="Shifts starting within N days (1 to 14).")
    ] = 2,
    apply: Annotated[bool, typer.Option("--apply", help="Send the DMs (default: only list them).")] = False,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """DM each engineer whose shift starts within --days: the shift, their partner, how to trade.

    Lists the reminders unless --apply; each shift's reminder is sent once (a re-run sends nothing new).

    Example: oncall remind upcoming --days 2 --apply
    """
    from oncall_cli.services.reminders import upcoming as remind

    out = output(ctx, json_mode)
    with out.step("Reading the schedule"):
        result = remind(services(ctx), days=days, dry_run=dry_run or not apply)
    for warning in result.warnings:
        out.warn(warning)
    out.result(result.to_dict(), lambda console: _render(console, result))


def _render(console: Console, result: RemindResult) -> None:
    from rich.markup import escape

    if not result.reminders:
        console.print("No shift starts in the window; nothing to send.")
    labels = {
        "sent": "sent to",
        "would_send": "would send to",
        "already_sent": "already sent to",
        "not_in_slack": "not in Slack:",
    }
    for r in result.reminders:
        console.print(f"{labels[r.status]} {escape(r.name)} <{r.user}>: {escape(r.text.splitlines()[0])}")
    if result.dry_run and any(r.status == "would_send" for r in result.reminders):
        console.print("[dim]Nothing sent; run again with --apply to send.[/]")
