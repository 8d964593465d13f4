"""`oncall status`: public updates on the Statuspage incident linked to an incident of the on-call service."""

from __future__ import annotations

from typing import Annotated

import typer

from oncall_cli.cli.common import DryRunOpt, JsonOpt, output, services, state

app = typer.Typer(no_args_is_help=True, help="Post public Statuspage updates for an incident.")


@app.command("update")
def update(
    ctx: typer.Context,
    ref: Annotated[
        str, typer.Argument(metavar="ID", help="The incident number (e.g. 42) or its id.")
    ],
    status: Annotated[
        str, typer.Option(
            "--status",
            help="investigating, identified, monitoring or resolved.",
        )
    ],
    message: Annotated[str, typer.Option("--message", help="The public text (short, non-technical).")],
    component: Annotated[
        list[str] | None,
        typer.Option("--component", help="NAME=STATUS, e.g. API=degraded_performance (repeatable)."),
    ] = None,
    notify: Annotated[
        bool, typer.Option("--notify/--no-notify", help="Notify the page's subscribers.")
    ] = True,
    thread: Annotated[
        bool, typer.Option("--thread", help="Also post the public text in the #incidents thread.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Post even within statuspage.min_update_minutes of the previous update."
        ),
    ] = False,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Post a public update; opens the Statuspage incident if a public-priority incident has none.

    Example: oncall status update 42 --status identified --message "Cause found." --component API=major_outage
    """
    from oncall_cli.cli.incident import _confirm, show_action
    from oncall_cli.services.incident import status_update
    from oncall_cli.services.incident_text import parse_component_statuses, parse_public_status

    out = output(ctx, json_mode)
    result = status_update(
        services(ctx),
        ref,
        status=parse_public_status(status),
        message=message,
        components=parse_component_statuses(component or ()),
        notify=notify,
        thread=thread,
        force=force,
        confirm=None if json_mode and not state(ctx).yes else _confirm(ctx, None),
        dry_run=dry_run,
    )
    show_action(out, result, "public update posted")
