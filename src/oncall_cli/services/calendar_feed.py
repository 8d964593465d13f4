"""`oncall calendar publish DIR`: the on-call calendar as files a static host serves, for subscriptions.

The feed is the effective timeline (`schedule show`: both seats, holiday rotations, overrides as really
held) as whole shifts, written as `team.ics`, one `<email>.ics` per engineer and an `index.html` listing the
subscription links. What a calendar app needs to update events in place instead of duplicating them:

- a UID per rotation, seat and shift start (`calendar.feed_uid`), never per person, so a shift that changes
  hands keeps its UID;
- SEQUENCE and LAST-MODIFIED that move only when an event changes. The feed keeps no state of its own: the
  previous `team.ics` in DIR is the memory (`calendar.read_revisions`), so publish into a directory that
  holds the last publication (for GitHub Pages: a checkout of the pages branch).

Files are written atomically and only when their bytes change (`services/files.py`), so a static host sees
no churn when nothing changed.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from oncall_cli.errors import UsageError
from oncall_cli.scheduling import rules
from oncall_cli.scheduling.calendar import (
    Revision,
    event_content,
    feed_uid,
    read_revisions,
    revise,
    shift_description,
    shift_summary,
    shifts_to_ics,
)
from oncall_cli.scheduling.model import Shift
from oncall_cli.services.context import Context
from oncall_cli.services.files import write_if_changed
from oncall_cli.services.oncall import read_people
from oncall_cli.services.rounds import round_settings
from oncall_cli.services.schedule import show

TEAM_FILE = "team.ics"
INDEX_FILE = "index.html"
MAX_WEEKS = 104


@dataclass(frozen=True)
class FeedFile:
    name: str
    kind: str
    """"team", "engineer" or "index"."""
    user: str | None
    events: int
    changed: bool
    """Its bytes differ from what DIR holds (with --dry-run: would be written)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "user": self.user,
            "events": self.events,
            "changed": self.changed,
        }


@dataclass
class Publication:
    directory: Path
    timezone: str
    start: datetime
    end: datetime
    dry_run: bool
    files: list[FeedFile] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def written(self) -> list[str]:
        return [f.name for f in self.files if f.changed] if not self.dry_run else []

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "timezone": self.timezone,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "dry_run": self.dry_run,
            "files": [f.to_dict() for f in self.files],
            "written": self.written,
            "events": {"added": self.added, "updated": self.updated, "removed": self.removed},
            "warnings": self.warnings,
        }


def _previous(path: Path, warnings: list[str]) -> dict[str, Revision]:
    if not path.is_file():
        return {}
    try:
        return read_revisions(path.read_bytes())
    except (OSError, ValueError) as exc:
        warnings.append(f"{path} could not be read ({exc}); every event starts again at SEQUENCE 0")
        return {}


def publish(context: Context, directory: Path, *, weeks: int = 26, dry_run: bool = False) -> Publication:
    """Write the team's feed, each engineer's feed and the index into `directory` (see the module doc)."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise UsageError(f"--weeks must be between 1 and {MAX_WEEKS}, got {weeks}")
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"DIR: {directory} is not a directory")
    view = show(context, weeks=weeks, whole=True)
    settings = round_settings(context.settings)
    result = Publication(directory, view.timezone, view.start, view.end, dry_run)
    users = sorted({s.user for s in view.shifts if s.user})
    people, warnings = read_people(context, users)
    result.warnings.extend(warnings)
    names = {email: person.name for email, person in people.items()}

    def uid(shift: Shift) -> str:
        return feed_uid(shift, rules.group_of(shift.rotation, settings))

    before = _previous(directory / TEAM_FILE, result.warnings)
    now = context.now()
    revisions: dict[str, Revision] = {}
    for shift in view.shifts:
        key = uid(shift)
        content = event_content(
            shift_summary(shift, names), shift_description(shift), shift.start, shift.end
        )
        revisions[key] = revise(content, before.get(key), now)
        if key not in before:
            result.added.append(key)
        elif revisions[key] is not before[key]:
            result.updated.append(key)
    # Events of the past drop out of the window; the others were moved or removed from the schedule.
    result.removed = sorted(k for k, r in before.items() if k not in revisions and _future(r, view.start))

    team = context.settings.team_name
    outputs: list[tuple[str, str, str | None, int, bytes]] = [
        (
            TEAM_FILE,
            "team",
            None,
            len(view.shifts),
            shifts_to_ics(
                view.shifts, calendar_name=f"{team} on-call", tz=view.timezone, uid=uid,
                revisions=revisions, names=names,
            ),
        )
    ]
    stale = sorted(
        p.stem for p in directory.glob("*@*.ics") if p.stem not in users
    ) if directory.is_dir() else []
    for email in [*users, *stale]:
        mine = [s for s in view.shifts if s.user == email]
        label = names.get(email, email)
        outputs.append(
            (
                f"{email}.ics",
                "engineer",
                email,
                len(mine),
                # An engineer with no shift left keeps an empty feed: subscribers see the events go.
                shifts_to_ics(
                    mine, calendar_name=f"{team} on-call: {label}", tz=view.timezone, uid=uid,
                    revisions=revisions, names=names,
                ),
            )
        )
    outputs.append((INDEX_FILE, "index", None, 0, _index(team, users, names).encode("utf-8")))
    for name, kind, user, events, data in outputs:
        path = directory / name
        if dry_run:
            changed = not (path.is_file() and path.read_bytes() == data)
        else:
            changed = write_if_changed(path, data, flag="DIR")
        result.files.append(FeedFile(name, kind, user, events, changed))
    return result


def _future(revision: Revision, start: datetime) -> bool:
    """Whether an event of the previous feed ends after the window's start (it did not just age out)."""
    return datetime.fromisoformat(revision.content[3]) > start


def _index(team: str, users: list[str], names: dict[str, str]) -> str:
    """The page listing the subscription links; no timestamp, so it only changes when the people do."""
    rows = "\n".join(
        f'    <li><a href="{html.escape(u)}.ics">{html.escape(names.get(u, u))}</a> '
        f"&lt;{html.escape(u)}&gt;</li>"
        for u in users
    )
    title = html.escape(f"{team} on-call calendar")
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
</head>
<body>
  <h1>{title}</h1>
  <p>Subscribe to a feed by its address ("From URL" in Google Calendar, "Subscribe to calendar" in
  Outlook): copy a link below. The feeds update in place when shifts are traded.</p>
  <h2>Everyone</h2>
  <ul>
    <li><a href="{TEAM_FILE}">{title}</a>: both seats, holiday rotations and overrides</li>
  </ul>
  <h2>One engineer's shifts</h2>
  <ul>
{rows}
  </ul>
</body>
</html>
"""
