"""`oncall incident review`: the incident review recorded on the incident (its links and one timeline
entry), announced in a channel once, and an iCalendar invite for the speakers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from oncall_cli.errors import UsageError
from oncall_cli.scheduling.model import zone
from oncall_cli.services import incident_text as text
from oncall_cli.services.context import Context
from oncall_cli.services.incident.common import (
    _add_entry_once,
    _check_email,
    _check_person,
    _links,
    _posted,
    _ref,
    _slack,
    _tracker,
    find_incident,
)
from oncall_cli.services.incident.models import Change, DryRun, IncidentRef
from oncall_cli.services.ports import REVIEW_RECORDED
from oncall_cli.services.ports import record as record_text
from oncall_cli.services.steps import Steps

ENTRY = "tracker.timeline_entry"
POST = "slack.post_review"
LINKS = "tracker.record_links"
REVIEW_MINUTES = 60


@dataclass
class Review:
    """What `incident review` prints (`--json`)."""

    incident: IncidentRef
    on: str
    """The review's day (YYYY-MM-DD), or its start in the profile's zone (ISO 8601) with `--at`."""
    speakers: list[str]
    postmortem: str | None
    summary: str
    channel: str
    ics: str | None
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False


def review(
    ctx: Context,
    ref: str,
    *,
    on: str,
    speakers: list[str],
    at: str | None = None,
    summary: str | None = None,
    channel: str | None = None,
    ics: Path | None = None,
    dry_run: bool = False,
) -> Review | DryRun:
    """Record the review (links `review`, `review_speakers`, `review_summary`, one timeline entry), post it
    to `channel` (else `slack.review_channel`, else `slack.announce_channel`) once, write the invite."""
    try:
        day = date.fromisoformat(on.strip())
    except ValueError as exc:
        raise UsageError(f"--on: {on!r} is not a date (YYYY-MM-DD)") from exc
    tz = ctx.settings.text("timezone")
    start: datetime | None = None
    if at is not None:
        try:
            clock = time.fromisoformat(at.strip())
        except ValueError as exc:
            raise UsageError(f"--at: {at!r} is not a time of day (HH:MM)") from exc
        start = datetime.combine(day, clock, tzinfo=zone(tz))
    if not speakers:
        raise UsageError("--speaker: name at least one speaker (repeat --speaker for more)")
    people = list(dict.fromkeys(_check_email(s, "--speaker") for s in speakers))
    inc = find_incident(ctx, ref)
    # A typo must not be announced and invited as a speaker: each is a person the tracker knows, as the
    # commander and responders are, checked before anything is written.
    for person in people:
        _check_person(ctx, person, "--speaker")
    ref_ = _ref(inc)
    details = _links(inc)
    warnings: list[str] = []
    if inc.status == "open":
        warnings.append(f"incident #{inc.number} is still open; a review usually follows its resolution")
    link = details.get(text.D_POSTMORTEM)
    if not link:
        warnings.append(
            f"no postmortem is recorded; `oncall incident postmortem {inc.number} --output FILE` records one"
        )
    what = (summary or "").strip() or f"{inc.message} ({text.priority_label(inc.priority)})"
    when = start.isoformat(timespec="minutes") if start else day.isoformat()
    when_text = f"{start:%Y-%m-%d %H:%M} {tz}" if start else day.isoformat()
    target = (channel or ctx.settings.text("slack.review_channel") or "").strip() or ctx.settings.text(
        "slack.announce_channel"
    )
    entry = record_text(
        REVIEW_RECORDED,
        when=when_text,
        speakers=", ".join(people),
        link=link or "none recorded",
        summary=what,
    )
    headline = f"Incident review: #{inc.number} {inc.message}, on {when_text}"
    links = {text.D_REVIEW: when, text.D_REVIEW_SPEAKERS: ",".join(people), text.D_REVIEW_SUMMARY: what}
    tracker = _tracker(ctx)
    if dry_run:
        changes = [
            Change(tracker.service, "add timeline entry", ref_.number, {"content": entry}),
            Change("slack", "post message", f"#{target.lstrip('#')}", {"text": headline}),
            Change(tracker.service, "add details", ref_.number, dict(links)),
        ]
        if ics is not None:
            changes.append(Change("file", "write invite", str(ics), {}))
        return DryRun(changes, warnings=warnings)

    if ics is not None:
        from oncall_cli.scheduling.calendar import review_to_ics

        data = review_to_ics(
            uid=f"oncall-review-{inc.id}@oncall",
            summary=f"Incident review: #{inc.number} {inc.message}",
            description=f"{what}\nPostmortem: {link or 'none recorded'}\nIncident: {inc.url}",
            day=day,
            start=start,
            minutes=REVIEW_MINUTES,
            attendees=people,
            stamp=ctx.now(),
            tz=tz,
            url=link if link and link.startswith(("https://", "http://")) else None,
        )
        try:
            ics.parent.mkdir(parents=True, exist_ok=True)
            ics.write_bytes(data)
        except OSError as exc:
            raise UsageError(f"--ics: cannot write {ics}: {exc.strerror}") from exc

    effects = Steps("review")
    planned = [ENTRY, POST, LINKS]

    def timeline() -> bool:
        return _add_entry_once(ctx, inc, entry)

    def post() -> bool:
        from oncall_cli.services.slack_lookup import channel_id, users_by_email

        slack = _slack(ctx)
        cid = channel_id(slack, target)
        # The headline names the incident and the day: the same review is found, a new day is posted.
        if _posted(slack, cid, headline):
            return False
        ids = users_by_email(slack, people).ids
        mentions = ", ".join(f"<@{ids[p]}>" if p in ids else p for p in people)
        lines = [f":spiral_calendar_pad: {headline}", f"Speakers: {mentions}", f"Summary: {what}"]
        lines.append(f"Postmortem: {link}" if link else "Postmortem: none recorded yet")
        lines.append(f"Incident: {inc.url}")
        slack.chat_post_message(channel=cid, text="\n".join(lines))
        return True

    def record() -> bool:
        if all(details.get(k) == v for k, v in links.items()):
            return False
        tracker.set_links(inc, links)
        return True

    effects.run(ENTRY, timeline, planned)
    effects.run(POST, post, planned)
    effects.run(LINKS, record, planned)
    return Review(
        incident=ref_,
        on=when,
        speakers=people,
        postmortem=link,
        summary=what,
        channel=f"#{target.lstrip('#')}",
        ics=str(ics) if ics else None,
        done=effects.done,
        skipped=effects.skipped,
        warnings=warnings,
    )
