"""Shifts -> iCalendar (for people's calendars) and CSV (for spreadsheets and scripts).

Output is a pure function of the shifts: UIDs are hashes of rotation, start and user, and DTSTAMP is the
shift's own start, so exporting the same plan twice gives the same bytes and calendar clients update
events in place instead of duplicating them.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import icalendar

from oncall_cli.scheduling.model import Shift, zone

PRODID = "-//oncall-cli//scheduling//EN"


def shift_uid(shift: Shift) -> str:
    """Stable across exports: the same rotation, start instant and user give the same UID."""
    key = f"{shift.rotation}|{shift.start.astimezone(UTC).isoformat()}|{shift.user or ''}"
    return hashlib.sha256(key.encode()).hexdigest()[:32] + "@oncall-cli"


def feed_uid(shift: Shift, seat: str | None) -> str:
    """The calendar feed's UID: rotation, seat and start instant, not the person, so a shift that changes
    hands (a swap, an override over the whole shift) keeps its UID and subscribers see the event updated."""
    key = f"feed|{shift.rotation}|{seat or '-'}|{shift.start.astimezone(UTC).isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:32] + "@oncall-cli"


@dataclass(frozen=True)
class Revision:
    """An event's revision in a published feed: its SEQUENCE, LAST-MODIFIED, and what it said."""

    sequence: int
    last_modified: datetime
    content: tuple[str, ...]


def event_content(summary: str, description: str, start: datetime, end: datetime) -> tuple[str, ...]:
    """What a subscriber sees of an event; a change of any of it is a new revision."""
    return (summary, description, start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat())


def shift_summary(shift: Shift, names: Mapping[str, str] | None = None) -> str:
    who = (names or {}).get(shift.user or "", shift.user) if shift.user else "nobody (placeholder)"
    return f"On call: {who} ({shift.rotation})"


def shift_description(shift: Shift) -> str:
    who = shift.user or "nobody (placeholder)"
    return f"{shift.rotation} shift {shift.index}: {who}" + (" (override)" if shift.override else "")


def read_revisions(data: bytes) -> dict[str, Revision]:
    """The revisions of a feed published before, by UID (what the next publication builds on)."""
    cal = icalendar.Calendar.from_ical(data)
    found: dict[str, Revision] = {}
    for event in cal.walk("VEVENT"):
        stamp = event.get("LAST-MODIFIED") or event.get("DTSTAMP")
        modified = stamp.dt if stamp is not None else datetime(1970, 1, 1, tzinfo=UTC)
        found[str(event["UID"])] = Revision(
            int(event.get("SEQUENCE", 0)),
            modified.astimezone(UTC),
            event_content(
                str(event.get("SUMMARY", "")),
                str(event.get("DESCRIPTION", "")),
                event.decoded("DTSTART"),
                event.decoded("DTEND"),
            ),
        )
    return found


def revise(content: tuple[str, ...], before: Revision | None, now: datetime) -> Revision:
    """The event's revision now: unchanged content keeps its SEQUENCE and LAST-MODIFIED; a change (the
    shift changed hands or times) moves both; a new event starts at SEQUENCE 0."""
    if before is None:
        return Revision(0, now.astimezone(UTC).replace(microsecond=0), content)
    if before.content == content:
        return before
    return Revision(before.sequence + 1, now.astimezone(UTC).replace(microsecond=0), content)


def shifts_to_ics(
    shifts: Sequence[Shift],
    *,
    calendar_name: str,
    tz: str,
    uid: Callable[[Shift], str] = shift_uid,
    revisions: Mapping[str, Revision] | None = None,
    names: Mapping[str, str] | None = None,
) -> bytes:
    """An iCalendar file with one event per shift, DTSTART/DTEND with TZID `tz` (VTIMEZONE included).

    With `revisions` (by UID), each event carries its SEQUENCE and LAST-MODIFIED, and DTSTAMP is that
    LAST-MODIFIED (the calendar feed); without, DTSTAMP is the shift's start. `names` shows people by name.
    """
    z = zone(tz)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", calendar_name)
    cal.add("x-wr-timezone", tz)
    for shift in sorted(shifts, key=lambda s: (s.start, s.rotation)):
        event = icalendar.Event()
        key = uid(shift)
        revision = revisions.get(key) if revisions is not None else None
        event.add("uid", key)
        event.add("dtstamp", revision.last_modified if revision else shift.start.astimezone(UTC))
        if revision is not None:
            event.add("last-modified", revision.last_modified)
            event.add("sequence", revision.sequence)
        event.add("dtstart", shift.start.astimezone(z))
        event.add("dtend", shift.end.astimezone(z))
        event.add("summary", shift_summary(shift, names))
        event.add("description", shift_description(shift))
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


def review_to_ics(
    *,
    uid: str,
    summary: str,
    description: str,
    day: date,
    start: datetime | None,
    minutes: int,
    attendees: Sequence[str],
    stamp: datetime,
    tz: str,
    url: str | None = None,
) -> bytes:
    """An iCalendar invite (METHOD:REQUEST) to an incident review: on `day` all day, or from `start` (aware)
    for `minutes`; one ATTENDEE per email. The UID is stable, so importing it again updates the event."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "REQUEST")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    if start is None:
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
    else:
        z = zone(tz)
        event.add("dtstart", start.astimezone(z))
        event.add("dtend", (start + timedelta(minutes=minutes)).astimezone(z))
    event.add("summary", summary)
    event.add("description", description)
    if url:
        event.add("url", url)
    for email in attendees:
        attendee = icalendar.vCalAddress(f"mailto:{email}")
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["rsvp"] = icalendar.vText("TRUE")
        event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    if start is not None:
        cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data
