"""The `oncall` application: global options, command groups, and the one place errors become exit codes."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.exceptions import UsageError as ClickUsageError  # Typer vendors Click
from typer.core import TyperGroup

from oncall_cli import __version__
from oncall_cli.cli.common import AppState, state
from oncall_cli.errors import ExitCode, OncallError, UnexpectedError, UsageError
from oncall_cli.redaction import RedactingFilter, redact

# Plain help at a fixed width: the same text on every terminal, so `oncall --help` can be served
# pre-rendered without importing Typer (see cli/fast.py and tests/cli/test_help.py).
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "terminal_width": 100,
                                    "max_content_width": 100}


def _fail(ctx: typer.Context, exc: OncallError) -> None:
    st = state(ctx)
    st.output.error(exc)
    raise typer.Exit(int(exc.exit_code))


class OncallGroup(TyperGroup):
    """Runs a command and turns every failure into our message and exit code (no traceback unless --debug)."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except OncallError as exc:
            _fail(ctx, exc)
        except ClickUsageError as exc:
            if "--json" in sys.argv or "--json" in [*ctx.protected_args, *ctx.args]:
                state(ctx).output.json_mode = True
                _fail(ctx, UsageError(exc.format_message()))
            raise
        except KeyboardInterrupt:
            state(ctx).output.message("interrupted")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            st = state(ctx)
            if st.debug:
                st.output.message(redact(traceback.format_exc()))
            _fail(ctx, UnexpectedError(f"unexpected {type(exc).__name__}: {exc}"))
        return None


app = typer.Typer(
    name="oncall",
    cls=OncallGroup,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings=CONTEXT_SETTINGS,
    help="Run the team's on-call: rotations in Opsgenie, who is on call, incidents across Opsgenie, "
    "Slack and Statuspage.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"oncall {__version__}")
        raise typer.Exit()


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
    profile: Annotated[str | None, typer.Option("--profile", envvar="ONCALL_PROFILE",
                                                help="Configuration profile.")] = None,
    config: Annotated[Path | None, typer.Option("--config", envvar="ONCALL_CONFIG",
                                                help="Configuration file.")] = None,
    sandbox: Annotated[bool, typer.Option("--sandbox", help="Use the built-in emulator, not the real services.")]
    = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Log each HTTP call on stderr.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks (secrets redacted).")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version.")] = False,
) -> None:
    """Run the team's on-call from the terminal."""
    st = state(ctx)
    st.profile = profile
    st.config_path = config
    st.sandbox = sandbox or profile == "sandbox"
    st.verbose = verbose
    st.debug = debug
    st.output.sandbox = st.sandbox
    _configure_logging(verbose, debug)
    ctx.call_on_close(lambda: _close(st))


def _close(st: AppState) -> None:
    if st._context is not None:
        st._context.close()


def _register() -> None:
    """Join the command groups; each module imports only typer at import time."""
    from oncall_cli.cli import auth, config_cmd

    app.add_typer(config_cmd.app, name="config")
    app.add_typer(auth.app, name="auth")


_register()


def run() -> None:
    """Console-script entry point."""
    code = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    sys.exit(code if code in {int(c) for c in ExitCode} | {130} else ExitCode.UNEXPECTED)


def render_help() -> str:
    """The top-level help exactly as Typer prints it; `make help-text` stores it for the fast path."""
    from typer.testing import CliRunner

    return CliRunner().invoke(app, ["--help"], prog_name="oncall").output


if __name__ == "__main__":  # python -m oncall_cli.cli.main --write-help
    if sys.argv[1:] == ["--write-help"]:
        Path(__file__).with_name("help.txt").write_text(render_help(), encoding="utf-8")
