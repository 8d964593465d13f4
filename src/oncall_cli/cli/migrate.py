"""`oncall migrate`: compare and copy the on-call schedule between two backends (two profiles)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from oncall_cli.cli.common import DryRunOpt, JsonOpt, output, state
from oncall_cli.cli.rotation import ApplyOpt, say_lines, when

if TYPE_CHECKING:
    from rich.console import Console

    from oncall_cli.services.context import Context
    from oncall_cli.services.migrate import MigrationReport, Side

app = typer.Typer(
    no_args_is_help=True,
    help="Compare and copy the on-call schedule between two backends (Opsgenie, JSM, PagerDuty).",
)

FromOpt = Annotated[
    str, typer.Option("--from", metavar="PROFILE", help="The profile of the source schedule (e.g. Opsgenie).")
]
ToOpt = Annotated[
    str, typer.Option("--to", metavar="PROFILE", help="The profile of the target schedule (e.g. JSM).")
]


def _contexts(ctx: typer.Context, source: str, target: str) -> tuple[Context, Context]:
    """One context per profile, each from the file and the global --set flags (the global --profile does
    not apply), sharing this run's effects: two sandbox profiles share one emulator."""
    from oncall_cli.config import SANDBOX_PROFILE, load_settings
    from oncall_cli.errors import UsageError
    from oncall_cli.services.context import Context, Deps

    st = state(ctx)
    if st.deps is None:
        st.deps = Deps()
    env = st.deps.env
    both = [load_settings(profile=p, path=st.config_path, env=env, flags=st.sets) for p in (source, target)]
    if st.sandbox:
        # `oncall --sandbox migrate ...` must not reach a real service through one of the two profiles.
        for flag, found in zip(("--from", "--to"), both, strict=True):
            if not found.sandbox:
                raise UsageError(
                    f"{flag} {found.profile}: with --sandbox both profiles must be sandbox profiles",
                    hint=f"Use `{SANDBOX_PROFILE}` or a profile with `sandbox = true`, or drop --sandbox.",
                )
    st.output.sandbox = all(s.sandbox for s in both)
    contexts = Context(both[0], st.deps), Context(both[1], st.deps)
    for context in contexts:
        ctx.call_on_close(context.close)
    return contexts


def _side(side: Side) -> str:
    return f"{side.profile} ({side.service}, {side.schedule})"


@app.command("check")
def check(
    ctx: typer.Context,
    source: FromOpt,
    target: ToOpt,
    weeks: Annotated[
        int, typer.Option("--weeks", help="How many weeks ahead to compare.", min=1, max=52)
    ] = 12,
    json_mode: JsonOpt = False,
) -> None:
    """Compare who is on call, shift by shift, on two backends; exit 9 when they differ.

    Finds a rotation missing or renamed, participants or their order changed, a no-one placeholder lost,
    an override missing (or extra), and hand-offs moved (a time zone or DST mistake). Each side is read
    as its own service computes it.

    Example: oncall migrate check --from opsgenie --to jsm --weeks 12 --json
    """
    from oncall_cli.errors import RulesViolatedError
    from oncall_cli.services.migrate import check as run

    out = output(ctx, json_mode)
    contexts = _contexts(ctx, source, target)
    with out.step("Reading both schedules"):
        report = run(*contexts, weeks=weeks)
    out.result(report.to_json(), lambda console: _render_check(console, report))
    if not report.equal:
        raise typer.Exit(int(RulesViolatedError.exit_code))


def _render_check(console: Console, report: MigrationReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    tz = report.timezone
    console.print(
        f"{escape(_side(report.source))} → {escape(_side(report.target))}, "
        f"from {when(report.start, tz)} to {when(report.end, tz)}"
    )
    if report.equal:
        console.print("[green]equal[/]: the same people are on call at the same times on both")
        return
    table = Table(title=f"{len(report.differences)} difference(s) of {escape(report.target.profile)}")
    for col in ("kind", "rotation", "at", "detail"):
        table.add_column(col)
    for d in report.differences:
        table.add_row(d.kind, escape(d.rotation or "(all)"), when(d.at, tz) if d.at else "", escape(d.detail))
    console.print(table)


@app.command("copy")
def copy(
    ctx: typer.Context,
    source: FromOpt,
    target: ToOpt,
    apply: ApplyOpt = False,
    dry_run: DryRunOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Create on the target the source's rotations and future overrides it lacks (never twice).

    Rotations keep their names, participants and order, start, type and end. Nothing on the target is
    changed or deleted. Without --apply, only shows what it would create.

    Example: oncall migrate copy --from opsgenie --to jsm --apply
    """
    from oncall_cli.services.migrate import copy as run

    out = output(ctx, json_mode)
    contexts = _contexts(ctx, source, target)
    with out.step("Copying the schedule"):
        result = run(*contexts, apply=apply and not dry_run)

    def render(console: Console) -> None:
        from rich.markup import escape

        console.print(f"{escape(_side(result.source))} → {escape(_side(result.target))}")
        say_lines(
            console,
            "would create",
            "created",
            result.dry_run,
            [a.describe() for a in result.actions],
            [a.describe() for a in result.applied],
        )

    out.result(result.to_json(), render)
