"""`oncall alert`: list, show, acknowledge and close the on-call service's alerts (Opsgenie, JSM Operations).

Each command parses its flags, calls one function of `services/alerts.py` and prints the result. The JSON keys
are documented in docs/incident.md ("Alerts").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncall_cli.cli.common import DryRunOpt, JsonOpt, output, services

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(no_args_is_help=True, help="List, show, acknowledge and close alerts.")

IdsArg = Annotated[
    list[str], typer.Argument(metavar="ID...", help="Alert numbers (tiny ids, e.g. 7) or ids.")
]


def _esc(value: object) -> str:
    from rich.markup import escape

    return escape(str(value))


def _state(alert: dict[str, Any]) -> str:
    if alert["status"] == "closed":
        return "closed"
    return "acknowledged" if alert["acknowledged"] else "open"


def _table(console: Console, alerts: list[dict[str, Any]], empty: str) -> None:
    from rich.table import Table

    if not alerts:
        console.print(empty)
        return
    table = Table()
    for col in ("#", "priority", "state", "created", "message", "owner", "incident"):
        table.add_column(col)
    for a in alerts:
        created = (a["created_at"] or "")[:16].replace("T", " ")
        table.add_row(
            _esc(a["number"]), a["priority"], _state(a), created, _esc(a["message"]), _esc(a["owner"] or ""),
            _esc(a["incident"] or ""),
        )
    console.print(table)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str, typer.Option("--status", help="open (default), closed or all.")] = "open",
    mine: Annotated[
        bool,
        typer.Option("--mine", help="Only alerts owned by me (setting `me`) or paging me as a responder."),
    ] = False,
    json_mode: JsonOpt = False,
) -> None:
    """List alerts, newest first.

    Example: oncall alert list --mine
    """
    from oncall_cli.services.alerts import list_alerts

    out = output(ctx, json_mode)
    data = list_alerts(services(ctx), status=status, mine=mine).to_json()
    out.result(data, lambda console: _table(console, data["alerts"], "No alerts."))


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID", help="The alert number (e.g. 7) or its id.")],
    json_mode: JsonOpt = False,
) -> None:
    """Show one alert.

    Example: oncall alert show 7
    """
    from oncall_cli.services.alerts import show_alert

    out = output(ctx, json_mode)
    alert = show_alert(services(ctx), ref)

    def render(console: Console) -> None:
        console.print(f"Alert #{_esc(alert['number'])} ({alert['priority']}, {_state(alert)}): "
                      f"{_esc(alert['message'])}")
        for key in ("id", "created_at", "acknowledged_at", "owner", "incident"):
            if alert[key]:
                console.print(f"  {key.replace('_', ' ')}: {_esc(alert[key])}")
        if alert["responders"]:
            console.print(f"  responders: {_esc(', '.join(alert['responders']))}")
        if alert["tags"]:
            console.print(f"  tags: {_esc(', '.join(alert['tags']))}")

    out.result(alert, render)


def _act(ctx: typer.Context, refs: list[str], action: str, dry_run: bool, json_mode: bool) -> None:
    from oncall_cli.services.alerts import act_on_alerts

    out = output(ctx, json_mode)
    data = act_on_alerts(services(ctx), refs, action=action, dry_run=dry_run).to_json()

    def render(console: Console) -> None:
        for a in data["alerts"]:
            said = a["outcome"].replace("_", " ")
            console.print(f"Alert #{_esc(a['number'])} {said}: {_esc(a['message'])}")

    out.result(data, render)


@app.command("ack")
def ack(ctx: typer.Context, refs: IdsArg, dry_run: DryRunOpt = False, json_mode: JsonOpt = False) -> None:
    """Acknowledge alerts (one already acknowledged or closed is left as it is).

    Example: oncall alert ack 7 8
    """
    _act(ctx, refs, "ack", dry_run, json_mode)


@app.command("close")
def close(ctx: typer.Context, refs: IdsArg, dry_run: DryRunOpt = False, json_mode: JsonOpt = False) -> None:
    """Close alerts (one already closed is left as it is).

    Example: oncall alert close 7
    """
    _act(ctx, refs, "close", dry_run, json_mode)
