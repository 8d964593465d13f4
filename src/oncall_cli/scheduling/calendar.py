"""Shifts -> iCalendar (for people's calendars) and CSV (for spreadsheets and scripts).

Output is a pure function of the shifts: UIDs are hashes of rotation, start and user, and DTSTAMP is the
shift's own start, so exporting the same plan twice gives the same bytes and calendar clients update
events in place instead of duplicating them.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from datetime import UTC, datetime

import icalendar

from oncall_cli.scheduling.model import Shift, zone

PRODID = "-//oncall-cli//scheduling//EN"


def shift_uid(shift: Shift) -> str:
    """Stable across exports: the same rotation, start instant and user give the same UID."""
    key = f"{shift.rotation}|{shift.start.astimezone(UTC).isoformat()}|{shift.user or ''}"
    return hashlib.sha256(key.encode()).hexdigest()[:32] + "@oncall-cli"


def shifts_to_ics(shifts: Sequence[Shift], *, calendar_name: str, tz: str) -> bytes:
    """An iCalendar file with one event per shift, DTSTART/DTEND with TZID `tz` (VTIMEZONE included)."""
    z = zone(tz)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", calendar_name)
    cal.add("x-wr-timezone", tz)
    for shift in sorted(shifts, key=lambda s: (s.start, s.rotation)):
        event = icalendar.Event()
        who = shift.user or "nobody (placeholder)"
        event.add("uid", shift_uid(shift))
        event.add("dtstamp", shift.start.astimezone(UTC))
        event.add("dtstart", shift.start.astimezone(z))
        event.add("dtend", shift.end.astimezone(z))
        event.add("summary", f"On call: {who} ({shift.rotation})")
        event.add("description", f"{shift.rotation} shift {shift.index}: {who}"
                  + (" (override)" if shift.override else ""))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    if shifts:
        cal.add_missing_timezones(
            first_date=min(s.start for s in shifts).astimezone(UTC).date(),
            last_date=max(s.end for s in shifts).astimezone(UTC).date(),
        )
    data: bytes = cal.to_ical()
    return data


def shifts_to_csv(shifts: Sequence[Shift]) -> str:
    """Columns rotation,user,start,end; times ISO-8601 with their UTC offset; a placeholder user is empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rotation", "user", "start", "end"])
    for shift in sorted(shifts, key=lambda s: (s.start, s.rotation)):
        writer.writerow([shift.rotation, shift.user or "", _iso(shift.start), _iso(shift.end)])
    return buffer.getvalue()


def _iso(at: datetime) -> str:
    return at.isoformat()
