"""`oncall auth`: keep credentials in the OS keyring and check them."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from oncall_cli.cli import common
from oncall_cli.cli.common import JsonOpt, output, services, settings

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(no_args_is_help=True, help="Store, check and remove credentials (OS keyring).")

ProviderOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--provider",
        help="opsgenie, jsm, pagerduty, statuspage or slack (repeatable; default: those the profile uses).",
    ),
]


def _providers(given: list[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    from oncall_cli.config import PROVIDERS
    from oncall_cli.errors import UsageError

    chosen = tuple(given or default)
    for name in chosen:
        if name not in PROVIDERS:
            raise UsageError(f"--provider: unknown provider {name!r}; expected one of {', '.join(PROVIDERS)}")
    return chosen


@app.command("login")
def login(
    ctx: typer.Context,
    provider: ProviderOpt = None,
    stdin: Annotated[bool, typer.Option("--stdin", help="Read the secret(s) from standard input.")] = False,
    json_mode: JsonOpt = False,
) -> None:
    """Save API keys/tokens in the OS keyring (hidden prompt, or --stdin for scripts).

    Example: echo "$KEY" | oncall auth login --provider opsgenie --stdin
    """
    from oncall_cli import credentials
    from oncall_cli.errors import UsageError

    out = output(ctx, json_mode)
    found = settings(ctx)
    chosen = _providers(provider, found.providers)
    if found.sandbox:
        raise UsageError("the sandbox profile needs no credentials")
    # Before asking for anything: a secret typed into a keyring that cannot keep it would be lost.
    credentials.require_keyring(chosen)
    if not stdin and not common.can_prompt(ctx):
        raise UsageError(
            "no terminal to ask for the secret (or --no-input): pass it on standard input with --stdin",
            hint=f'For example: echo "$KEY" | oncall auth login --provider {chosen[0]} --stdin',
        )
    saved = []
    for name in chosen:
        if stdin:
            secret = sys.stdin.readline().strip()
        else:
            secret = typer.prompt(f"{name} credential", hide_input=True, err=True)
        credentials.store(found.profile, name, secret)
        saved.append(name)
    out.result(
        {"profile": found.profile, "saved": saved},
        lambda c: c.print(f"Saved {', '.join(saved)} credential(s) for profile {found.profile}."),
    )


@app.command("status")
def status(ctx: typer.Context, provider: ProviderOpt = None, json_mode: JsonOpt = False) -> None:
    """Check each credential with one cheap call: ok, missing, rejected or unreachable.

    Example: oncall auth status --json
    """
    from oncall_cli.errors import AuthError, UnavailableError
    from oncall_cli.services.auth import check_all

    out = output(ctx, json_mode)
    context = services(ctx)
    results = check_all(context, _providers(provider, context.settings.providers))
    data = {"credentials": results}

    def render(console: Console) -> None:
        for r in results:
            colour = "green" if r.status == "ok" else "red"
            console.print(f"{r.provider:<11} [{colour}]{r.status}[/] ({r.source}) {r.detail}")

    out.result(data, render)
    statuses = {r.status for r in results}
    if statuses & {"missing", "rejected", "error"}:
        raise typer.Exit(int(AuthError.exit_code))
    if "unreachable" in statuses:
        raise typer.Exit(int(UnavailableError.exit_code))


@app.command("logout")
def logout(ctx: typer.Context, provider: ProviderOpt = None, json_mode: JsonOpt = False) -> None:
    """Remove credentials from the OS keyring.

    Example: oncall auth logout --provider slack
    """
    from oncall_cli import credentials
    from oncall_cli.config import PROVIDERS

    out = output(ctx, json_mode)
    found = settings(ctx)
    removed = [name for name in _providers(provider, PROVIDERS) if credentials.delete(found.profile, name)]
    out.result(
        {"profile": found.profile, "removed": removed},
        lambda c: c.print(f"Removed: {', '.join(removed) or 'nothing'}."),
    )
