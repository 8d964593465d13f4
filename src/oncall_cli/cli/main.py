"""The `oncall` application: global options, command groups, and the one place errors become exit codes."""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.exceptions import UsageError as ClickUsageError  # Typer vendors Click
from typer._click.utils import PacifyFlushWrapper
from typer.core import TyperGroup

from oncall_cli import __version__
from oncall_cli.cli.common import AppState, state
from oncall_cli.cli.completion import SHELLS
from oncall_cli.cli.fast import silence_stdout
from oncall_cli.errors import ExitCode, OncallError, UnexpectedError, UsageError
from oncall_cli.redaction import RedactingFilter

# Plain help at a fixed width: the same text on every terminal, so `oncall --help` can be served
# pre-rendered without importing Typer (see cli/fast.py and cli/reference.py).
HELP_WIDTH = 100
CONTEXT_SETTINGS: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    "terminal_width": HELP_WIDTH,
    "max_content_width": HELP_WIDTH,
}
# Typer draws help with rich, whose console ignores Click's terminal_width and reads TERMINAL_WIDTH
# (once, when typer.rich_utils is imported). Fixed here so the pages are HELP_WIDTH wide on any terminal,
# as pre-rendered; at 80 the option column cut `--no-notify-subscribers` to `--no-notify-subs…`.
os.environ["TERMINAL_WIDTH"] = str(HELP_WIDTH)
if "typer.rich_utils" in sys.modules:
    setattr(sys.modules["typer.rich_utils"], "MAX_WIDTH", HELP_WIDTH)  # noqa: B010


def _defer_typer_coercion() -> None:
    """Build Typer's pydantic coercion of a parameter only when a value needs it.

    Typer (0.2x) builds a pydantic `TypeAdapter` the first time it processes a parameter, even for None,
    the value of every option left out, which it then returns untouched. That alone imported pydantic
    (~ as long as the interpreter's own start-up) on every run, `--help` included. Here None is answered
    as before by `RuntimeParam.coerce`; the values whose result is known without pydantic (`_plain`)
    are answered directly; any other value builds Typer's own coercion (`build_runtime_param`), once.
    """
    from dataclasses import dataclass

    try:
        from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
        from typer._param_types import coerce_cli_path
        from typer.core import _TyperParameter
    except ImportError:  # a Typer without pydantic coercion: nothing to defer
        return

    unknown = object()
    # Plain decimal integers only: pydantic's own rules for anything else (spaces, signs, underscores).
    _DIGITS = re.compile(r"-?(0|[1-9][0-9]{0,17})")

    def _plain(descriptor: TypeDescriptor, value: Any, param: Any, ctx: Any) -> Any:
        """What Typer's adapter would return for a str for `str`, an int in range for `int`, or a str for
        `Path` (pydantic's `Path(value)`, then Typer's own checks); `unknown` for anything else."""
        info = descriptor.parameter_info
        annotation = descriptor.annotation
        if info.parser is not None or descriptor.file_annotation is not None:
            return unknown
        kind = type(value)
        if annotation is str and kind is str:
            return value
        digits = kind is int or (kind is str and _DIGITS.fullmatch(value) is not None)
        if annotation is int and not info.clamp and digits:
            number = int(value)
            if (info.min is None or number >= info.min) and (info.max is None or number <= info.max):
                return number
        if annotation is Path and kind is str and info.path_type is None:
            return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
        return unknown

    @dataclass(frozen=True)
    class _Deferred(RuntimeParam):
        descriptor: TypeDescriptor

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            plain = _plain(self.descriptor, value, param, ctx)
            if plain is not unknown:
                return plain
            built = build_runtime_param(self.descriptor)
            param._runtime_param = built
            return built._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self: _TyperParameter) -> RuntimeParam:
        if self._runtime_param is None:
            descriptor = self.type_descriptor
            self._runtime_param = _Deferred(
                parameter_info=descriptor.parameter_info,
                annotation=descriptor.annotation,
                descriptor=descriptor,
            )
        return self._runtime_param

    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]


_defer_typer_coercion()


def _fail(ctx: typer.Context, exc: OncallError) -> None:
    st = state(ctx)
    st.output.error(exc)
    raise typer.Exit(int(exc.exit_code))


class OncallGroup(TyperGroup):
    """Runs a command and turns every failure into our message and exit code (no traceback unless --debug).

    Subcommands are loaded lazily from `COMMANDS`.
    """

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return list(COMMANDS)

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:  # type: ignore[override]
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = load_command(cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:  # type: ignore[override]
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            import difflib

            close = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
            guess = f" Did you mean {close[0]!r}?" if close else ""
            raise ClickUsageError(f"No such command {name!r}.{guess}", ctx)
        return super().resolve_command(ctx, args)

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        # Click empties ctx.args before a subcommand parses; keep the words to see a subcommand's --json.
        ctx.meta["oncall.argv"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except OncallError as exc:
            # An error before the command parsed its --json (a bad global --set) still answers in JSON.
            if "--json" in ctx.meta.get("oncall.argv", ()):
                state(ctx).output.json_mode = True
            _fail(ctx, exc)
        except ClickUsageError as exc:
            if "--json" in ctx.meta.get("oncall.argv", ()):
                state(ctx).output.json_mode = True
                _fail(ctx, UsageError(exc.format_message()))
            raise
        except KeyboardInterrupt:
            state(ctx).output.message("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # The reader stopped early (`oncall schedule export | head`): not an error, say nothing.
            silence_stdout()
            raise typer.Exit(0) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            st = state(ctx)
            if st.debug:
                st.output.trace(traceback.format_exc())
            _fail(ctx, UnexpectedError(f"unexpected {type(exc).__name__}: {exc}"))
        return None


app = typer.Typer(
    name="oncall",
    cls=OncallGroup,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=False,  # ours below take the shell's name (`--install-completion zsh`)
    context_settings=CONTEXT_SETTINGS,
    help="Run the team's on-call: rotations in Opsgenie, JSM or PagerDuty, who is on call, incidents across "
    "the on-call service, Slack and Statuspage.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"oncall {__version__}")
        raise typer.Exit()


def _install_completion(ctx: typer.Context, value: str | None) -> None:
    """`--install-completion SHELL`: write the shell's completion script where the shell reads it."""
    if not value or ctx.resilient_parsing:
        return
    from typer._completion_classes import completion_init
    from typer._completion_shared import install

    completion_init()
    shell, path = install(shell=value, prog_name="oncall", complete_var="_ONCALL_COMPLETE")
    typer.echo(f"{shell} completion installed in {path}; it takes effect in a new shell.")
    raise typer.Exit()


def _show_completion(ctx: typer.Context, value: str | None) -> None:
    """`--show-completion SHELL`: print the completion script, to install by hand."""
    if not value or ctx.resilient_parsing:
        return
    from typer._completion_classes import completion_init
    from typer._completion_shared import get_completion_script

    completion_init()
    typer.echo(get_completion_script(prog_name="oncall", complete_var="_ONCALL_COMPLETE", shell=value))
    raise typer.Exit()


def _shell(value: str | None) -> str | None:
    """The shell name of the completion options, checked (exit 2 naming the option otherwise)."""
    from oncall_cli.cli.completion import SHELLS

    if value is not None and value not in SHELLS:
        raise typer.BadParameter(f"expected one of {', '.join(SHELLS)}, got {value!r}")
    return value


def _configure_logging(verbose: bool, debug: bool) -> None:
    logger = logging.getLogger("oncall")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    if not (verbose or debug):
        logger.setLevel(logging.WARNING)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False


@app.callback()
def main(
    ctx: typer.Context,
    profile: Annotated[
        str | None, typer.Option("--profile", envvar="ONCALL_PROFILE", help="Configuration profile.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", envvar="ONCALL_CONFIG", help="Configuration file.")
    ] = None,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Use the built-in emulator, not the real services.")
    ] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Log each HTTP call on stderr.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks (secrets redacted).")] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Set a setting for this run only, e.g. --set me=ada@example.com (repeatable); "
            "wins over the file and the environment.",
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Answer yes to every question (scripts).")
    ] = False,
    no_input: Annotated[
        bool,
        typer.Option(
            "--no-input",
            envvar="ONCALL_NO_INPUT",
            help="Never prompt: a question that needs an answer exits 2 naming the flag that answers it.",
        ),
    ] = False,
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager", help="Print long lists straight out (default on a terminal: ONCALL_PAGER/PAGER)."
        ),
    ] = False,
    install_completion: Annotated[
        str | None,
        typer.Option(
            "--install-completion",
            metavar="SHELL",
            parser=_shell,
            callback=_install_completion,
            is_eager=True,
            expose_value=False,
            autocompletion=lambda incomplete: [s for s in SHELLS if s.startswith(incomplete)],
            help="Install completion for SHELL: bash, zsh, fish, powershell or pwsh.",
        ),
    ] = None,
    show_completion: Annotated[
        str | None,
        typer.Option(
            "--show-completion",
            metavar="SHELL",
            parser=_shell,
            callback=_show_completion,
            is_eager=True,
            expose_value=False,
            help="Print the completion script for SHELL, to install it by hand.",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Run the team's on-call from the terminal."""
    from typer._click.core import ParameterSource

    st = state(ctx)
    if sandbox and profile not in (None, "sandbox") and (
        ctx.get_parameter_source("profile") == ParameterSource.COMMANDLINE
    ):
        raise UsageError(
            f"--sandbox and --profile {profile} conflict: the sandbox is its own profile",
            hint="Drop --profile to practise, or drop --sandbox to use that profile.",
        )
    st.profile = profile
    st.config_path = config
    source = ctx.get_parameter_source("config")
    if config is not None:
        st.config_given_by = "ONCALL_CONFIG" if source == ParameterSource.ENVIRONMENT else "--config"
    st.sandbox = sandbox or profile == "sandbox"
    st.verbose = verbose
    st.debug = debug
    st.sets = _parse_sets(set_ or [])
    st.yes = yes
    st.no_input = no_input
    st.pager = not no_pager
    if st.pager:
        st.output.pager = _pager(st)
    st.output.sandbox = st.sandbox
    _configure_logging(verbose, debug)
    ctx.call_on_close(lambda: _close(st))


def _pager(st: AppState) -> Any:
    """The pager for long results on a terminal (None elsewhere: pipes and tests get the text as is)."""
    from oncall_cli.cli import common

    if not common.stdout_is_terminal():
        return None
    deps = st.deps
    page = getattr(deps, "page", None) if deps is not None else None
    return page or common.run_pager


def _parse_sets(items: list[str]) -> dict[str, str]:
    """`--set KEY=VALUE` pairs as a dict (the last one of a key wins); values are checked with the rest."""
    if not items:
        return {}
    from oncall_cli.config import SETTINGS_BY_KEY

    found: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(
                f"--set: expected KEY=VALUE, got {item!r}", hint="For example: --set me=ada@example.com"
            )
        if key not in SETTINGS_BY_KEY:
            raise UsageError(
                f"--set: unknown setting {key!r}", hint=f"Known settings: {', '.join(SETTINGS_BY_KEY)}."
            )
        found[key] = value
    return found


def _close(st: AppState) -> None:
    if st._context is not None:
        st._context.close()


# Every command, in help order: name -> (module under oncall_cli.cli, attribute). A Typer app is a group,
# a function a single command. Modules are imported only when their command runs (or for help): building
# every group on every run would cost more than the command itself for quick ones.
COMMANDS: dict[str, tuple[str, str]] = {
    "config": ("config_cmd", "app"),
    "auth": ("auth", "app"),
    "schedule": ("schedule", "app"),
    "rotation": ("rotation", "app"),
    "override": ("override", "app"),
    "holiday": ("holiday", "app"),
    "migrate": ("migrate", "app"),
    "whoisoncall": ("oncall", "whoisoncall"),
    "shifts": ("oncall", "shifts"),
    "calendar": ("calendar", "app"),
    "remind": ("remind", "app"),
    "handoff": ("reports", "handoff_app"),
    "slo": ("reports", "app"),
    "incident": ("incident", "app"),
    "alert": ("alert", "app"),
    "status": ("status", "app"),
    "sandbox": ("sandbox", "app"),
    "help": ("main", "help_command"),
}


def help_command(
    ctx: typer.Context,
    words: Annotated[
        list[str] | None, typer.Argument(metavar="[COMMAND]...", help="The command, e.g. incident raise.")
    ] = None,
    json_mode: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Show the help of a command, as `oncall COMMAND --help` does.

    Example: oncall help incident raise
    """
    import difflib

    import typer.core

    from oncall_cli.cli.fast import help_command_text, help_json

    # The same pre-rendered page as `oncall COMMAND --help` (cli/fast.py serves it without Typer).
    text = help_command_text(list(words or []))
    if text is None:
        current: Any = ctx.find_root()
        command: Any = current.command
        for word in words or []:
            group = isinstance(command, typer.core.TyperGroup)
            sub = command.get_command(current, word) if group else None
            if sub is None:
                names = command.list_commands(current) if group else []
                close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
                guess = f" Did you mean {close[0]!r}?" if close else ""
                raise UsageError(f"help: no such command {' '.join(words or [])!r}.{guess}")
            current = typer.Context(sub, info_name=word, parent=current)
            command = sub
        text = command.get_help(current)
    text = text if text.endswith("\n") else text + "\n"
    typer.echo(help_json(list(words or []), text) if json_mode else text, nl=False)


def load_command(name: str) -> Any:
    """The Click command for one entry of COMMANDS, built from its module."""
    import importlib

    import typer.main

    module_name, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(f"oncall_cli.cli.{module_name}"), attribute)
    command: Any
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)  # a group even when it has one command (`slo report`)
    else:
        single = typer.Typer(rich_markup_mode=None)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    from oncall_cli.cli.completion import attach

    attach(command, name)
    return command


def _identity(fd: int) -> tuple[int, int] | None:
    try:
        info = os.fstat(fd)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _pipe_broke(stdout_before: tuple[int, int] | None) -> bool:
    """Whether Click or rich already handled a broken stdout pipe their way (quietly, but with exit 1).

    Click swaps in a `PacifyFlushWrapper`; rich points file descriptor 1 at /dev/null.
    """
    if isinstance(sys.stdout, PacifyFlushWrapper):
        return True
    now = _identity(1)
    return stdout_before is not None and now != stdout_before and now == _identity_of_devnull()


def _identity_of_devnull() -> tuple[int, int] | None:
    info = os.stat(os.devnull)
    return info.st_dev, info.st_ino


def run() -> None:
    """Console-script entry point.

    A broken pipe on stdout (`oncall incident raise --help | head -3`) exits 0 without a message, as git
    does: the reader chose to stop reading, which is not a failure of the command.
    """
    from oncall_cli.cli.fast import _completing

    if _completing():
        # The shell asks for completions in the format of Typer's scripts (`--install-completion SHELL`).
        from typer._completion_classes import completion_init

        completion_init()
    code = 0
    stdout_before = _identity(1)
    try:
        app()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BrokenPipeError:
        code = 0
        silence_stdout()
    if code == 1 and _pipe_broke(stdout_before):
        code = 0
    sys.exit(code if code in {int(c) for c in ExitCode} | {130} else ExitCode.UNEXPECTED)
