"""`oncall whoisoncall` and `oncall shifts`: who is on call, who is next, and someone's shifts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from oncall_cli.cli import completion as complete
from oncall_cli.cli.common import DryRunOpt, JsonOpt, WebOpt, open_in_browser, output, services
from oncall_cli.cli.tables import WideOpt

if TYPE_CHECKING:
    from rich.console import Console

    from oncall_cli.services.oncall import Duty, MyShift, ScheduleDuty, Shifts, WhoIsOnCall

ScheduleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--schedule",
        metavar="NAME",
        help="Schedule name (repeat for several); default: the profile's schedule.",
    ),
]


def whoisoncall(
    ctx: typer.Context,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help="Instead of now: ISO-8601, or '2027-02-01 11:00' in the profile's zone.",
        ),
    ] = None,
    schedule: ScheduleOpt = None,
    next_: Annotated[bool, typer.Option("--next", help="Also show who comes next in each rotation.")] = False,
    me: Annotated[bool, typer.Option("--me", help="Also list my shifts of the next 13 weeks.")] = False,
    update_topic: Annotated[
        bool, typer.Option("--update-topic", help="Set the #incidents topic to the people on call now.")
    ] = False,
    dry_run: DryRunOpt = False,
    web: WebOpt = False,
    wide: WideOpt = False,
    json_mode: JsonOpt = False,
) -> None:
    """Show who is on call now (or at --at) in each rotation, with their local time and shift end.

    Example: oncall whoisoncall --next --at "2027-02-01 11:00"
    """
    from oncall_cli.errors import UsageError
    from oncall_cli.services.oncall import who_is_on_call
    from oncall_cli.services.timeparse import parse_time

    out = output(ctx, json_mode)
    if dry_run and not update_topic:
        raise UsageError("--dry-run only applies to --update-topic")
    context = services(ctx)
    when = None
    if at is not None:
        when = parse_time(at, flag="--at", tz=context.settings.text("timezone"), now=context.now())
    with out.step("Asking who is on call"):
        result = who_is_on_call(
            context,
            at=when,
            schedules=schedule or (),
            with_next=next_,
            me=me,
            update_topic=update_topic,
            dry_run=dry_run,
        )
    complete.remember(
        ctx,
        rotations=[r.rotation for s in result.schedules for r in s.rotations],
        emails=[d.person.user for s in result.schedules for r in s.rotations for d in (r.on_call, r.next)
                if d is not None and d.person is not None],
    )
    for warning in result.warnings:
        out.warn(warning)
    out.result(result.to_dict(), lambda console: _render_who(console, result, wide))
    if web:
        from oncall_cli.services.oncall import schedule_web_url

        open_in_browser(ctx, schedule_web_url(context, schedule[0] if schedule else None))


def shifts(
    ctx: typer.Context,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            metavar="EMAIL",
            help="Whose shifts (their username, an email).",
        ),
    ] = None,
    me: Annotated[bool, typer.Option("--me", help="My shifts (the `me` setting); the default.")] = False,
    weeks: Annotated[int, typer.Option("--weeks", metavar="N", help="How many weeks ahead (1 to 52).")] = 8,
    ics: Annotated[
        Path | None, typer.Option("--ics", metavar="FILE", help="Also write them to this iCalendar file.")
    ] = None,
    schedule: ScheduleOpt = None,
    json_mode: JsonOpt = False,
) -> None:
    """List someone's upcoming on-call shifts (a shift under way included), optionally as iCalendar.

    Example: oncall shifts --user ada.lovelace@example.com --weeks 12 --ics ada.ics
    """
    from oncall_cli.services.oncall import upcoming_shifts

    out = output(ctx, json_mode)
    result = upcoming_shifts(services(ctx), user=user, me=me, weeks=weeks, schedules=schedule or (), ics=ics)
    if result.ics:
        out.message(f"wrote {len(result.shifts)} shift(s) to {result.ics}")
    out.result(result.to_dict(), lambda console: _render_shifts(console, result))


# ---- rendering ------------------------------------------------------------------------------------------


def _when(at: datetime) -> str:
    return at.strftime("%a %Y-%m-%d %H:%M %Z")


def _local(at: datetime) -> str:
    return at.strftime("%a %H:%M %Z")


def _short_zone(at: datetime) -> str:
    return at.strftime("%a %m-%d %H:%M %Z")


def _short(at: datetime) -> str:
    return at.strftime("%a %m-%d %H:%M")


def _who(duty: Duty | None) -> str:
    if duty is None:
        return "[dim]no shift[/]"
    if duty.person is None:
        return "[yellow]nobody[/]"
    from rich.markup import escape

    flag = " [cyan](override)[/]" if duty.override else ""
    return f"{escape(duty.person.name)}{flag}"


def _render_who(console: Console, result: WhoIsOnCall, wide: bool = False) -> None:
    from rich.markup import escape
    from rich.table import Table

    from oncall_cli.cli.tables import print_fitted
    from oncall_cli.scheduling.model import zone

    tz = zone(result.timezone)
    console.print(f"On call at [bold]{_when(result.at)}[/] (times in {result.timezone} unless noted)")
    for schedule in result.schedules:

        def layout(level: int, schedule: ScheduleDuty = schedule) -> Table:
            # 0 (--wide only): an email column too; 1: names; 2: the next person without their start.
            table = Table(title=schedule.schedule, title_justify="left")
            columns = ["rotation", "on call", "email", "their time", "until"]
            if level > 0:
                columns.remove("email")
            if result.with_next:
                columns.append("next")
            for col in columns:
                table.add_column(col, no_wrap=True)
            for r in schedule.rotations:
                duty = r.on_call
                row = [escape(r.rotation), _who(duty)]
                if level == 0:
                    row.append(escape(duty.person.user) if duty and duty.person else "")
                row += [
                    _local(duty.person.local_time) if duty and duty.person else "",
                    _short(duty.end.astimezone(tz)) if duty else "",
                ]
                if result.with_next:
                    when = f" from {_short(r.next.start.astimezone(tz))}" if r.next and level < 2 else ""
                    row.append(f"{_who(r.next)}{when}" if r.next else "")
                table.add_row(*row)
            return table

        if not schedule.rotations:
            console.print(f"{schedule.schedule}: no rotation has a shift now")
        elif wide:
            print_fitted(console, layout, 3, wide=True)
        else:
            print_fitted(console, lambda level: layout(level + 1), 2)
    if result.my_shifts is not None:
        _render_mine(console, f"My shifts ({result.me})", result.my_shifts, wide)
    if result.topic is not None:
        t = result.topic
        if not t.changed:
            console.print(f"#{t.channel} topic is already right: {escape(t.new_topic)}")
        elif t.dry_run:
            console.print(f"--dry-run: would set the #{t.channel} topic to: {escape(t.new_topic)}")
        else:
            console.print(f"Set the #{t.channel} topic to: {escape(t.new_topic)}")


def _render_mine(console: Console, title: str, shifts: tuple[MyShift, ...], wide: bool = False) -> None:
    from rich.table import Table

    from oncall_cli.cli.tables import person, print_fitted

    if not shifts:
        console.print(f"{title}: none in this period")
        return

    def layout(level: int) -> Table:
        # 0: emails of the partners, full dates; 1: their names; 2: dates without the year.
        table = Table(title=title, title_justify="left")
        for col in ("rotation", "from (local)", "to (local)", "with"):
            table.add_column(col, no_wrap=level > 0)
        when = _when if level < 2 else _short_zone
        for s in shifts:
            label = s.rotation + (" (override)" if s.override else "")
            partners = ", ".join(person(p, level) for p in s.partners)
            table.add_row(label, when(s.local_start), when(s.local_end), partners)
        return table

    print_fitted(console, layout, 3, wide=wide)


def _render_shifts(console: Console, result: Shifts) -> None:
    title = f"Shifts of {result.name} <{result.user}> ({result.timezone}), next {_span(result)}"
    _render_mine(console, title, result.shifts)


def _span(result: Shifts) -> str:
    days = (result.end - result.start).days
    return f"{days // 7} weeks"
