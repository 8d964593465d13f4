"""`oncall sandbox`: the built-in emulator of Opsgenie, JSM, PagerDuty, Statuspage and Slack, for practice and
demos."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncall_cli.cli.common import JsonOpt, output, services, state

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    no_args_is_help=True, help="Reset, inspect and serve the built-in sandbox (no accounts needed)."
)


def _sandbox_context(ctx: typer.Context) -> Any:
    state(ctx).sandbox = True
    return services(ctx)


def summary_lines(data: dict[str, Any], heading: str) -> list[str]:
    """A few readable lines from the status document (`--json` prints the document itself)."""
    services: dict[str, Any] = data.get("services", {})
    og, slack, sp = (services.get(k, {}) for k in ("opsgenie", "slack", "statuspage"))
    components = sp.get("components", {})
    broken = sorted(name for name, state in components.items() if state != "operational")
    lines = [
        f"{heading} (seed {data.get('seed')}, seeded {str(data.get('seeded_at', '?'))[:19]}), "
        f"in {data.get('db')}",
        f"  people: {og.get('users', 0)} users, {og.get('rotations', 0)} rotations, "
        f"{og.get('overrides', 0)} overrides",
        f"  incidents: {og.get('incidents', 0)} ({og.get('open_incidents', 0)} open)",
        f"  Slack: {slack.get('channels', 0)} channels, {len(slack.get('incident_channels', []))} incident "
        f"channels, #incidents thread {slack.get('incidents_thread', '-')}",
        f"  Statuspage: {len(components)} components"
        + (f" ({', '.join(broken)} not operational)" if broken else ", all operational")
        + f", {len(sp.get('open_incidents', []))} open incidents",
    ]
    if data.get("faults"):
        lines.append(f"  faults: {', '.join(map(str, data['faults']))}")
    lines.append("Everything, per service: --json.")
    return lines


def _render_status(console: Console, data: dict[str, Any], heading: str) -> None:
    from rich.markup import escape

    for line in summary_lines(data, heading):
        console.print(escape(line), soft_wrap=True)


@app.command("reset")
def reset(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated world.")] = 1,
    json_mode: JsonOpt = False,
) -> None:
    """Recreate the sandbox from its seed data (a team of ~24 engineers, rotations, channels, components).

    Example: oncall sandbox reset --seed 1
    """
    from oncall_cli.services.sandbox import reset as reset_world

    out = output(ctx, json_mode)
    data = reset_world(_sandbox_context(ctx), seed)
    out.result(data, lambda console: _render_status(console, data, "Sandbox reset"))


@app.command("status")
def status(ctx: typer.Context, json_mode: JsonOpt = False) -> None:
    """Summarise the sandbox: users, rotations, incidents, channels, Statuspage components.

    Example: oncall sandbox status --json
    """
    from oncall_cli.services.sandbox import status as world_status

    out = output(ctx, json_mode)
    data = world_status(_sandbox_context(ctx))
    out.result(data, lambda console: _render_status(console, data, "Sandbox"))


def serving_message(url: str) -> str:
    """What `sandbox serve` says once it is listening (never before: the host or port may be refused)."""
    return (
        f"sandbox serving on {url} (/opsgenie, /atlassian, /jira, /pagerduty, /statuspage, /slack); "
        "Ctrl-C to stop"
    )


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0 picks a free one).")
    ] = 8765,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a non-loopback --host.")
    ] = False,
    fail: Annotated[
        list[str] | None,
        typer.Option("--fail", help="Inject a fault, e.g. 'slack:conversations.invite#2=500' (repeatable)."),
    ] = None,
    latency_ms: Annotated[int, typer.Option("--latency-ms", help="Add this latency to every call.")] = 0,
    pending_polls: Annotated[
        int | None,
        typer.Option(
            "--pending-polls",
            min=0,
            help="Opsgenie request-status polls answering 'not processed yet' before the outcome, for every "
            "request (default: a seeded random 0-2 per request, like the real service).",
        ),
    ] = None,
    rate_limits: Annotated[
        bool,
        typer.Option(
            "--rate-limits",
            help="Throttle like the real services: Slack's per-method tiers and Opsgenie's per-domain "
            "quotas, with their 429 answers (Statuspage's 1 request/s is always on). See docs/sandbox.md.",
        ),
    ] = False,
    json_mode: Annotated[
        bool,
        typer.Option(
            "--json",
            help='Once listening, print one JSON document {"url": ..., "faults": [...], "rate_limits": ...}, '
            "then keep serving.",
        ),
    ] = False,
) -> None:
    """Serve the emulator over HTTP for curl, a browser or another SDK (Ctrl-C stops it).

    Point the CLI at it with ONCALL_OPSGENIE_URL=http://127.0.0.1:8765/opsgenie,
    ONCALL_STATUSPAGE_URL=http://127.0.0.1:8765/statuspage and ONCALL_SLACK_URL=http://127.0.0.1:8765/slack;
    for JSM, ONCALL_ATLASSIAN_API_URL=http://127.0.0.1:8765/atlassian and ONCALL_JIRA_URL=.../jira.

    Example: oncall sandbox serve --port 8765 --latency-ms 100 --pending-polls 1 --rate-limits
    """
    from oncall_cli.services.sandbox import serve as serve_world

    out = output(ctx, json_mode)

    def ready(bound: dict[str, Any]) -> None:
        if json_mode:
            out.result(bound)
        else:
            out.message(serving_message(bound["url"]))

    serve_world(
        _sandbox_context(ctx),
        host=host,
        port=port,
        allow_remote=allow_remote,
        faults=fail or [],
        latency_ms=latency_ms,
        pending_polls=pending_polls,
        rate_limits=rate_limits,
        ready=ready,
    )
