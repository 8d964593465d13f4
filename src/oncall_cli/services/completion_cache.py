"""The completion cache: incident numbers, rotation names and people's emails that read commands have seen,
so TAB can offer them offline (no network on TAB). One small JSON file, 0600 in the 0700 state folder
(`completion.json` next to the journal), keyed by profile: `{"profiles": {"sandbox": {"incidents": [...],
...}, "default": {...}}}`, so the sandbox's incident numbers are never offered on a real profile.
Writing it never fails a command; reading a missing or broken one offers nothing."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FILE_NAME = "completion.json"
KINDS = ("incidents", "rotations", "emails")
LIMIT = 200
"""Per kind: the newest values first, so the cache stays small."""


def cache_path(state_dir: str | Path | None = None) -> Path:
    from oncall_cli.services.journal import default_state_dir

    return Path(state_dir) / FILE_NAME if state_dir else default_state_dir() / FILE_NAME


def _profiles(state_dir: str | Path | None) -> dict[str, dict[str, list[str]]]:
    """Every profile's remembered values; a missing, broken or old (unkeyed) file counts as empty."""
    try:
        data: Any = json.loads(cache_path(state_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    profiles = data.get("profiles") if isinstance(data, dict) else None
    if not isinstance(profiles, dict):
        return {}
    return {
        str(name): {k: [str(v) for v in kinds.get(k, []) if isinstance(v, str | int)] for k in KINDS}
        for name, kinds in profiles.items()
        if isinstance(kinds, dict)
    }


def load(state_dir: str | Path | None = None, profile: str = "default") -> dict[str, list[str]]:
    """Every kind's remembered values for `profile` (empty lists when there is no usable cache)."""
    return _profiles(state_dir).get(profile) or {k: [] for k in KINDS}


def remember(
    state_dir: str | Path | None = None, profile: str = "default", **seen: Iterable[str | None]
) -> None:
    """Add what a read command saw on `profile` (`incidents=`, `rotations=`, `emails=`), newest first."""
    from oncall_cli.private_files import private_dir

    everything = _profiles(state_dir)
    found = everything.setdefault(profile, {k: [] for k in KINDS})
    changed = False
    for kind, values in seen.items():
        fresh = [str(v) for v in values if v]
        merged = list(dict.fromkeys([*fresh, *found[kind]]))[:LIMIT]
        if merged != found[kind]:
            found[kind], changed = merged, True
    if not changed:
        return
    path = cache_path(state_dir)
    try:
        private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=".completion-", suffix=".json", dir=path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"profiles": everything}, handle)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return  # a read-only or full state folder costs completion, never the command
