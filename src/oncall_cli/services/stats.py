"""`oncall schedule stats`: who carried the on-call load over a window, from the service's effective timeline.

The shell reads the timeline (overrides and trades applied), the team's time zones and the incidents created
in the window through the ports; `scheduling.stats.load_stats` does the counting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from oncall_cli.errors import UsageError
from oncall_cli.scheduling import rules
from oncall_cli.scheduling.model import zone
from oncall_cli.scheduling.stats import DEFAULT_WEEKS, LoadStats, load_stats
from oncall_cli.services.context import Context
from oncall_cli.services.rounds import round_settings


@dataclass(frozen=True)
class StatsResult:
    timezone: str
    stats: LoadStats
    names: dict[str, str] = field(default_factory=dict)
    """Email -> name, from the directory (for the table; absent for people no longer in it)."""

    def to_dict(self) -> dict[str, Any]:
        """The `--json` document (docs/scheduling.md, "schedule stats")."""
        s = self.stats
        return {
            "timezone": self.timezone,
            "from": s.start.isoformat(),
            "to": s.end.isoformat(),
            "business_hours": "Mon-Fri 09:00-18:00 local",
            "engineers": [
                {
                    "user": e.user,
                    "name": self.names.get(e.user),
                    "timezone": e.timezone,
                    "weeks": round(e.weeks, 2),
                    "hours": e.hours,
                    "after_hours": e.after_hours,
                    "shifts": e.shifts,
                    "holiday_shifts": e.holiday_shifts,
                    "incidents": e.incidents,
                }
                for e in s.engineers
            ],
            "spread": {
                "hours": {"max": s.spread.max_hours, "min": s.spread.min_hours},
                "weeks": {"max": s.spread.max_weeks, "min": s.spread.min_weeks},
            },
            "incidents": {"total": s.incidents, "unattended": s.unattended},
        }


def stats(context: Context, *, since: date | None = None) -> StatsResult:
    """Per engineer over [since 00:00 in the schedule's zone, now): on-call weeks and hours, hours outside
    their business hours, holiday shifts and incidents during their shifts. Default: the last 26 weeks."""
    settings = round_settings(context.settings)
    backend = context.schedule_store()
    tz = backend.timezone
    now = context.now().astimezone(zone(tz))
    if since is None:
        start = now - timedelta(weeks=DEFAULT_WEEKS)
    else:
        start = datetime.combine(since, datetime.min.time(), tzinfo=zone(tz))
        if start >= now:
            raise UsageError(
                f"--since {since.isoformat()} is not in the past",
                hint="Give the first day of the window, e.g. --since "
                f"{(now - timedelta(weeks=DEFAULT_WEEKS)).date().isoformat()} (26 weeks ago).",
            )
    shifts = backend.timeline(start, now)
    team = context.directory.team()
    zones = {e.email: e.timezone for e in team}
    names = {e.email: e.name for e in team}
    for user in sorted({s.user for s in shifts if s.user is not None} - set(zones)):
        # Someone who held a shift and left the team since: their record, if the service still has it.
        found = context.directory.find(user)
        if found is not None:
            zones[user], names[user] = found.timezone, found.name
    created = [i.created_at for i in context.incidents.between(start, now) if i.created_at is not None]
    result = load_stats(
        shifts,
        start,
        now,
        zones=zones,
        default_zone=tz,
        incidents=created,
        holiday_rotations={s.rotation for s in shifts if rules.is_holiday(s.rotation, settings)},
        people=[e.email for e in team],
    )
    return StatsResult(tz, result, names)
