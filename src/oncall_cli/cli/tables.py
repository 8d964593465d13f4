"""Tables that fit the terminal: the first of a command's layouts (fullest first) that fits the console's
width without wrapping a cell; `--wide` takes the fullest at its natural width (issue 15, item 9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

WideOpt = Annotated[
    bool, typer.Option("--wide", help="All columns in full (emails, time zones), however wide.")
]

Layout = Callable[[int], "Table"]
"""Builds the table at a level of compactness: 0 is everything in full, each level gives up a little more."""


def print_fitted(console: Console, layout: Layout, levels: int, *, wide: bool = False) -> None:
    """Print the least compact layout that fits; with `wide`, level 0 at its own width."""
    if wide:
        table = layout(0)
        # Console.print clamps `width=` to the console's own width: widen the console for this table.
        before = console.width
        console.width = max(before, natural_width(console, table))
        try:
            console.print(table, crop=False)
        finally:
            console.width = before
        return
    table = layout(0)
    for level in range(levels):
        table = layout(level)
        if natural_width(console, table) <= console.width:
            break
    console.print(table)


def natural_width(console: Console, table: Table) -> int:
    """The table's width with no cell wrapped (rich clamps a measurement to the width it is offered)."""
    return console.measure(table, options=console.options.update_width(10_000)).maximum


def short_name(email: str | None, names: dict[str, str] | None = None) -> str:
    """A person's name for a narrow column: their directory name, else their email's local part."""
    if not email:
        return "no-one"
    if names and email in names:
        return names[email]
    return email.split("@", 1)[0]


def person(email: str | None, level: int, names: dict[str, str] | None = None) -> str:
    """The email at level 0 (`--wide`), the name from level 1 on."""
    if level == 0:
        return email or "no-one"
    return short_name(email, names)

