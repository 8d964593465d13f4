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
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the id or number of what was created (for scripts).")
]


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
    yes: bool = False
    """`oncall --yes`: answer yes to every question."""
    no_input: bool = False
    """`oncall --no-input`: never prompt; a question that needs an answer is a usage error."""
    pager: bool = True
    """`oncall --no-pager` turns it off: long lists go through ONCALL_PAGER / PAGER on a terminal."""
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


def can_prompt(ctx: typer.Context) -> bool:
    """Whether this run may ask a question: a person at the terminal, and no `--no-input`."""
    return not state(ctx).no_input and stdin_is_terminal()


def confirmer(ctx: typer.Context, *, flag: Any = "--yes", spinner: Any = None) -> Any:
    """The yes/no question callable for a service, honouring the global `--yes` and `--no-input`.

    `--yes` answers yes; `--no-input` turns a question into exit 2 naming `flag` (the option that answers
    it, or a function of the question); without a terminal it is None, and the service takes its safe
    default or refuses."""
    st = state(ctx)
    if st.yes:
        return lambda question: True
    if st.no_input:

        def refuse(question: str) -> bool:
            from oncall_cli.errors import UsageError

            answer = flag(question) if callable(flag) else flag
            raise UsageError(
                f"--no-input: cannot ask {question!r}; pass {answer} to answer it",
                hint=f"Run again with {answer} (or oncall --yes), or without --no-input on a terminal.",
            )

        return refuse
    if not stdin_is_terminal():
        return None

    def ask(question: str) -> bool:
        if spinner is not None:
            spinner.stop()
        try:
            return bool(typer.confirm(question, default=False, err=True))
        except typer.Abort:
            return False
        finally:
            if spinner is not None:
                spinner.start()

    return ask


def quiet_conflict(quiet: bool, json_mode: bool) -> None:
    """`--quiet` prints bare ids and `--json` one document: asking for both is a usage error."""
    if quiet and json_mode:
        from oncall_cli.errors import UsageError

        raise UsageError("--quiet and --json conflict: pick one", hint="--json already prints the ids.")


def print_ids(ids: list[str]) -> None:
    """`--quiet`: one id per line on stdout, nothing else."""
    import sys

    for item in ids:
        sys.stdout.write(f"{item}\n")
    sys.stdout.flush()


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (tests replace this to see the pager and table widths)."""
    import sys

    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def run_pager(text: str) -> None:
    """Show text through ONCALL_PAGER, else PAGER, else `less -FRX` (which exits at once on a short page);
    with no pager installed the text is printed as is."""
    import os
    import shlex
    import subprocess
    import sys

    command = os.environ.get("ONCALL_PAGER") or os.environ.get("PAGER") or "less -FRX"
    try:
        subprocess.run(shlex.split(command), input=text, text=True, check=False)
    except (FileNotFoundError, PermissionError, ValueError):
        sys.stdout.write(text)
        sys.stdout.flush()


WebOpt = Annotated[bool, typer.Option("--web", help="Also open it in the web browser.")]


def open_in_browser(ctx: typer.Context, url: str) -> None:
    """`--web`: open the page (tests inject `Deps.open_url`, so nothing opens), and say which on stderr."""
    st = state(ctx)
    opener = st.deps.open_url if st.deps is not None else None
    if opener is None:
        import webbrowser

        opener = webbrowser.open
    st.output.message(f"Opening {url}")
    opener(url)


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
    ctx: typer.Context,
    flags: dict[str, Any] | None = None,
    *,
    new_profile: bool = False,
    creates_file: bool = False,
) -> Settings:
    """The effective settings. `new_profile` allows a profile the file lacks; `creates_file` (only `config
    init`, which writes it) allows a --config/ONCALL_CONFIG file that does not exist yet."""
    from oncall_cli.config import SANDBOX_PROFILE, load_settings

    st = state(ctx)
    env = st.deps.env if st.deps is not None else None
    profile = SANDBOX_PROFILE if st.sandbox else st.profile
    if st.config_path is not None and st.config_given_by and not creates_file:
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
