"""What every command shares: the invocation state, option types, and getting services for a command."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncall_cli.cli.output import Output

if TYPE_CHECKING:
    from oncall_cli.config import Settings
    from oncall_cli.services.context import Context, Deps

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show the exact changes and make none.")]


@dataclass
class AppState:
    """Global options of this invocation, plus the injected effects (tests pass `Deps` as `obj`)."""

    profile: str | None = None
    config_path: Path | None = None
    config_given_by: str | None = None
    """How `config_path` was named: "--config" or "ONCALL_CONFIG" (None: the default path)."""
    sandbox: bool = False
    verbose: bool = False
    debug: bool = False
    sets: dict[str, str] = field(default_factory=dict)
    """`--set KEY=VALUE` of this run: flags for every command (the command's own flags win)."""
    deps: Deps | None = None
    output: Output = field(default_factory=Output)
    _context: Context | None = None


def stdin_is_terminal() -> bool:
    """Whether a person can answer a prompt (tests replace this: CliRunner's stdin is never a terminal)."""
    import sys

    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState(deps=root.obj)
    return root.obj


def output(ctx: typer.Context, json_mode: bool = False) -> Output:
    """The invocation's output, switched to JSON when the command got `--json`."""
    st = state(ctx)
    if json_mode:
        st.output.json_mode = True
    return st.output


def settings(
    ctx: typer.Context, flags: dict[str, Any] | None = None, *, new_profile: bool = False
) -> Settings:
    from oncall_cli.config import SANDBOX_PROFILE, load_settings

    st = state(ctx)
    env = st.deps.env if st.deps is not None else None
    profile = SANDBOX_PROFILE if st.sandbox else st.profile
    if st.config_path is not None and st.config_given_by and not new_profile:
        _require_file(st.config_path, st.config_given_by)
    merged: dict[str, Any] = {**st.sets, **{k: v for k, v in (flags or {}).items() if v is not None}}
    found = load_settings(
        profile=profile, path=st.config_path, env=env, flags=merged, new_profile=new_profile
    )
    st.output.sandbox = found.sandbox
    return found


def _require_file(path: Path, given_by: str) -> None:
    """A configuration file named by --config or ONCALL_CONFIG must exist: only the default path may be
    absent (a typo must not silently mean "no settings"). `config init` creates the file it is given."""
    from oncall_cli.errors import ConfigError

    if path.is_dir():
        raise ConfigError(f"{path}: the configuration file ({given_by}) is a directory")
    if not path.exists():
        raise ConfigError(
            f"{path}: no such configuration file (named by {given_by})",
            hint=f"Check the path, or create it with `oncall --config {path} config init`.",
        )


def services(ctx: typer.Context, flags: dict[str, Any] | None = None) -> Context:
    """The services' context for this command: settings plus lazily built clients."""
    from oncall_cli.services.context import Context, Deps

    st = state(ctx)
    if st._context is None or flags:
        st._context = Context(settings(ctx, flags), st.deps or Deps())
        st.output.mark_sandbox()
    return st._context
