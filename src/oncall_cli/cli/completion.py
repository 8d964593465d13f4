"""Shell completion of values, offline: fixed choices from the code's own lists, and incident numbers,
rotation names and emails from the completion cache that read commands refresh (no network on TAB).

Typer calls these with the word being completed (`incomplete`) and the context; tests call them directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import typer

PRIORITIES = ("P1", "P2", "P3", "P4", "P5", "Critical", "High", "Moderate", "Low", "Informational")
INCIDENT_STATUSES = ("open", "resolved", "closed")
PUBLIC_STATUSES = ("investigating", "identified", "monitoring", "resolved")
CHECK_FORMATS = ("text", "github", "junit")
EXPORT_FORMATS = ("ics", "csv")
SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


def _matching(values: Iterable[str], incomplete: str) -> list[str]:
    folded = incomplete.casefold()
    return [v for v in dict.fromkeys(values) if v.casefold().startswith(folded)]


def priorities(incomplete: str) -> list[str]:
    return _matching(PRIORITIES, incomplete)


def incident_statuses(incomplete: str) -> list[str]:
    return _matching(INCIDENT_STATUSES, incomplete)


def public_statuses(incomplete: str) -> list[str]:
    return _matching(PUBLIC_STATUSES, incomplete)


def check_formats(incomplete: str) -> list[str]:
    return _matching(CHECK_FORMATS, incomplete)


def export_formats(incomplete: str) -> list[str]:
    return _matching(EXPORT_FORMATS, incomplete)


def providers(incomplete: str) -> list[str]:
    from oncall_cli.config import PROVIDERS

    return _matching(PROVIDERS, incomplete)


def backends(incomplete: str) -> list[str]:
    from oncall_cli.config import BACKENDS

    return _matching(BACKENDS, incomplete)


def shells(incomplete: str) -> list[str]:
    return _matching(SHELLS, incomplete)


def _state_dir(ctx: typer.Context | None) -> str | None:
    root = ctx.find_root() if ctx is not None else None
    obj: Any = root.obj if root is not None else None
    deps = getattr(obj, "deps", obj)  # the AppState once the callback ran, the injected Deps before
    return getattr(deps, "state_dir", None)


def _cached(ctx: typer.Context | None, kind: str, incomplete: str) -> list[str]:
    from oncall_cli.services.completion_cache import load

    return _matching(load(_state_dir(ctx)).get(kind, []), incomplete)


def incidents(ctx: typer.Context, incomplete: str) -> list[str]:
    """Incident numbers seen by `incident list`/`show`/`raise` (the cache)."""
    return _cached(ctx, "incidents", incomplete)


def rotations(ctx: typer.Context, incomplete: str) -> list[str]:
    """Rotation names seen by `rotation list`, `schedule show`, `whoisoncall` (the cache)."""
    return _cached(ctx, "rotations", incomplete)


def emails(ctx: typer.Context, incomplete: str) -> list[str]:
    """People's emails seen by the read commands (the cache)."""
    return _cached(ctx, "emails", incomplete)


def remember(ctx: typer.Context, **seen: Iterable[str | None]) -> None:
    """A read command's values for later completion (never fails the command)."""
    from oncall_cli.services.completion_cache import remember as write

    write(_state_dir(ctx), **seen)
