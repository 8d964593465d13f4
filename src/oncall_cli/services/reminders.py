"""`oncall remind upcoming`: a Slack DM to each engineer whose shift starts soon, once per shift.

Read from the schedule port (the effective timeline, overrides applied), so it works on every backend.
Each reminder's first line names the shift (rotation and start instant); before sending, the engineer's DM
with the bot is searched for that line, so a re-run (a daily cron job with a two-day window) sends each
reminder once. A shift that changes hands after its reminder went out gets a reminder for the new holder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from oncall_cli.errors import UsageError
from oncall_cli.scheduling.model import Shift, zone
from oncall_cli.services.context import Context
from oncall_cli.services.oncall import LOOKBACK, partners_of, read_people, read_timelines
from oncall_cli.services.steps import Steps

MAX_DAYS = 14
HISTORY = 200
"""How many of the DM's latest messages are searched for a reminder already sent."""


@dataclass
class Reminder:
    user: str
    name: str
    rotation: str
    start: datetime
    end: datetime
    partners: tuple[str, ...]
    text: str
    status: str = "would_send"
    """"sent", "would_send" (dry run), "already_sent" (an earlier run), "not_in_slack"."""
    slack_user: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "name": self.name,
            "rotation": self.rotation,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "partners": list(self.partners),
            "slack_user": self.slack_user,
            "status": self.status,
            "text": self.text,
        }


@dataclass
class RemindResult:
    start: datetime
    end: datetime
    timezone: str
    dry_run: bool
    reminders: list[Reminder] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "timezone": self.timezone,
            "dry_run": self.dry_run,
            "reminders": [r.to_dict() for r in self.reminders],
            "sent": [r.user for r in self.reminders if r.status == "sent"],
            "warnings": self.warnings,
        }


def reminder_header(shift: Shift, tz: str) -> str:
    """The first line: it names the shift, so a re-run finds the reminder it already sent."""
    start = shift.start.astimezone(zone(tz))
    return f"Reminder: your on-call shift in {shift.rotation} starts {start:%a %Y-%m-%d %H:%M %Z}"


def reminder_text(shift: Shift, tz: str, partners: tuple[str, ...], names: dict[str, str]) -> str:
    assert shift.user is not None
    start, end = shift.start.astimezone(zone(tz)), shift.end.astimezone(zone(tz))
    partner = ", ".join(f"{names.get(p, p)} ({p})" for p in partners) or "nobody in the other seat"
    day = f"{start:%Y-%m-%d}"
    return "\n".join(
        [
            reminder_header(shift, tz),
            f"Shift: {start:%a %m-%d %H:%M} to {end:%a %m-%d %H:%M %Z}.",
            f"Your partner in the other seat: {partner}.",
            "Need to trade? Someone can take it with `oncall override take " + day + "`, or trade with "
            f"`oncall override swap {shift.user} <their email>`. Keep the calendar up to date.",
        ]
    )


def upcoming(context: Context, *, days: int = 2, dry_run: bool = True) -> RemindResult:
    """Remind each engineer whose shift starts in the next `days` days (dry run unless told otherwise)."""
    if not 1 <= days <= MAX_DAYS:
        raise UsageError(f"--days must be between 1 and {MAX_DAYS}, got {days}")
    tz = context.settings.text("timezone")
    now = context.now().astimezone(zone(tz))
    end = now + timedelta(days=days)
    schedule = context.settings.schedule_name
    # Far enough past `end` to see the partner for the whole of a weekly shift starting before it.
    shifts = read_timelines(context, [schedule], now - LOOKBACK, end + timedelta(weeks=2))[schedule]
    soon = [s for s in shifts if s.user and now <= s.start < end]
    result = RemindResult(now, end, tz, dry_run)
    wanted = {s.user for s in soon if s.user} | {p for s in soon for p in partners_of(s, shifts)}
    people, warnings = read_people(context, sorted(wanted))
    result.warnings.extend(warnings)
    names = {e: p.name for e, p in people.items()}
    for shift in soon:
        assert shift.user is not None
        partners = partners_of(shift, shifts)
        result.reminders.append(
            Reminder(
                shift.user,
                names.get(shift.user, shift.user),
                shift.rotation,
                shift.start,
                shift.end,
                partners,
                reminder_text(shift, tz, partners, names),
            )
        )
    if result.reminders:
        _deliver(context, result)
    return result


def _deliver(context: Context, result: RemindResult) -> None:
    from oncall_cli.services.slack_lookup import users_by_email

    slack = context.slack
    found = users_by_email(slack, [r.user for r in result.reminders])
    steps = Steps("remind upcoming")
    planned = [f"DM {r.user} about {r.rotation} {r.start.isoformat()}" for r in result.reminders]
    for reminder, step in zip(result.reminders, planned, strict=True):
        reminder.slack_user = found.ids.get(reminder.user)
        if reminder.slack_user is None:
            reminder.status = "not_in_slack"
            result.warnings.append(f"{reminder.user} has no Slack account with that email; not reminded")
            continue
        user_id = reminder.slack_user

        def send(reminder: Reminder = reminder, user_id: str = user_id) -> bool:
            channel = slack.conversations_open(users=user_id).id
            header = reminder.text.split("\n", 1)[0]
            history = slack.conversations_history(channel=channel, limit=HISTORY)
            if any((m.text or "").split("\n", 1)[0].strip() == header for m in history.messages):
                reminder.status = "already_sent"
                return False
            if result.dry_run:
                reminder.status = "would_send"
                return False
            slack.chat_post_message(channel=channel, text=reminder.text)
            reminder.status = "sent"
            return True

        steps.run(step, send, planned)
