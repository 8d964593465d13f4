"""Shell completion of values, offline: fixed choices from the code's own lists, and incident numbers,
rotation names and emails from the completion cache that read commands refresh (no network on TAB).

Typer calls these with the word being completed (`incomplete`) and the context; tests call them directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import typer

PRIORITIES = ("P1", "P2", "P3", "P4", "P5", "Critical", "High", "Moderate", "Low", "Informational")
INCIDENT_STATUSES = ("open", "resolved", "closed")
ALERT_STATUSES = ("open", "closed", "all")
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


def alert_statuses(incomplete: str) -> list[str]:
    return _matching(ALERT_STATUSES, incomplete)


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


def _root(ctx: typer.Context | None) -> Any:
    return ctx.find_root() if ctx is not None else None


def _state_dir(ctx: typer.Context | None) -> str | None:
    root = _root(ctx)
    obj: Any = root.obj if root is not None else None
    deps = getattr(obj, "deps", obj)  # the AppState once the callback ran, the injected Deps before
    return getattr(deps, "state_dir", None)


def profile(ctx: typer.Context | None) -> str:
    """The profile this run (or the command line being completed) uses, as `load_settings` picks it:
    the sandbox, else --profile / ONCALL_PROFILE, else the file's `current_profile`, else "default".
    Read offline from the parsed global options, so TAB and the read commands agree on the cache."""
    import os

    from oncall_cli.config import CURRENT_PROFILE_KEY, SANDBOX_PROFILE, default_config_path

    root = _root(ctx)
    params: dict[str, Any] = dict(root.params) if root is not None else {}
    obj: Any = root.obj if root is not None else None
    deps = getattr(obj, "deps", obj)
    env = getattr(deps, "env", None) or os.environ
    if params.get("sandbox") or getattr(obj, "sandbox", False):
        return SANDBOX_PROFILE
    named = params.get("profile") or env.get("ONCALL_PROFILE")
    if named:
        return str(named)
    try:
        import tomllib

        path = Path(params.get("config") or default_config_path(env))
        current = tomllib.loads(path.read_text(encoding="utf-8")).get(CURRENT_PROFILE_KEY)
    except (OSError, ValueError):
        current = None
    return current if isinstance(current, str) and current else "default"


def _cached(ctx: typer.Context | None, kind: str, incomplete: str) -> list[str]:
    from oncall_cli.services.completion_cache import load

    return _matching(load(_state_dir(ctx), profile(ctx)).get(kind, []), incomplete)


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
    """A read command's values for later completion, under its profile (never fails the command)."""
    from oncall_cli.services.completion_cache import remember as write

    write(_state_dir(ctx), profile(ctx), **seen)


# Which parameter completes from which source, in one place: (command path, parameter name) -> source.
# A path names a command or a whole group ("incident" covers every incident command's `ref`); the longest
# matching path wins. A parameter that carries its own `autocompletion=` keeps it (config init --backend,
# in cli/config_cmd.py, and the global --install-completion/--show-completion).
_FIXED: dict[str, Callable[[str], list[str]]] = {
    "priorities": priorities,
    "alert_statuses": alert_statuses,
    "incident_statuses": incident_statuses,
    "public_statuses": public_statuses,
    "check_formats": check_formats,
    "export_formats": export_formats,
    "providers": providers,
    "backends": backends,
    "shells": shells,
}
_CACHED = {"incidents": incidents, "rotations": rotations, "emails": emails}
VALUES: dict[tuple[str, str], str] = {
    ("alert list", "status"): "alert_statuses",
    ("auth", "provider"): "providers",
    ("holiday volunteer", "user"): "emails",
    ("incident", "ref"): "incidents",
    ("incident raise", "priority"): "priorities",
    ("incident raise", "responder"): "emails",
    ("incident priority", "value"): "priorities",
    ("incident list", "status"): "incident_statuses",
    ("incident assign", "commander"): "emails",
    ("incident assign", "comms"): "emails",
    ("incident responder add", "email"): "emails",
    ("incident stakeholder add", "email"): "emails",
    ("incident review", "speakers"): "emails",
    ("override swap", "email_a"): "emails",
    ("override swap", "email_b"): "emails",
    ("override", "user"): "emails",
    ("override", "rotation"): "rotations",
    ("rotation", "rotation"): "rotations",
    ("rotation remove-engineer", "email"): "emails",
    ("rotation show", "name"): "rotations",
    ("schedule check", "format"): "check_formats",
    ("schedule export", "format"): "export_formats",
    ("schedule export", "user"): "emails",
    ("shifts", "user"): "emails",
    ("status", "ref"): "incidents",
    ("status update", "status"): "public_statuses",
}


def source_for(path: str, name: str) -> str | None:
    """The source of `name` in the command at `path` (e.g. "incident responder add"), if any."""
    words = path.split()
    for end in range(len(words), 0, -1):
        found = VALUES.get((" ".join(words[:end]), name))
        if found:
            return found
    return None


def _completer(source: str) -> Callable[[Any, Any, str], list[str]]:
    if source in _FIXED:
        fixed = _FIXED[source]
        return lambda ctx, param, incomplete: fixed(incomplete)
    cached = _CACHED[source]
    return lambda ctx, param, incomplete: cached(ctx, incomplete)


def attach(command: Any, path: str) -> None:
    """Give every parameter of `command` (and its subcommands) that VALUES names its completer."""
    for param in getattr(command, "params", []):
        source = source_for(path, param.name or "")
        if source and getattr(param, "_custom_shell_complete", None) is None:
            param._custom_shell_complete = _completer(source)
    for name, sub in (getattr(command, "commands", None) or {}).items():
        attach(sub, f"{path} {name}")
