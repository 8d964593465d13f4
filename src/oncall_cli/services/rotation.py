"""Rotation use cases: add a new engineer, remove a leaver, list and show the schedule's rotations.

The shell reads the schedule (rotations, overrides, people) and the clock, the scheduling core
(`scheduling/changes.py`) decides the placement and says whose dates move, and only `--apply` writes.
Every write is listed before it happens; a failure part-way raises PartialError saying what was done and
what was not, and running the same command again finishes the job without doing anything twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from oncall_cli.errors import NotFoundError, OncallError, PartialError, RejectedError, UsageError
from oncall_cli.scheduling import changes, rules
from oncall_cli.scheduling.changes import Move, Placement, Removal
from oncall_cli.scheduling.check import HARD_RULES, introduced_violations
from oncall_cli.scheduling.model import Engineer, Override, Rotation, RoundSettings, Shift, Violation, zone
from oncall_cli.services.context import Context
from oncall_cli.services.gate import refuse_rejected_plan, violation_json
from oncall_cli.services.ports import UNKNOWN_START, Directory, ScheduleStore
from oncall_cli.services.rounds import round_settings

SLACK_SCHEDULE_LIMIT = timedelta(days=120)
"""chat.scheduleMessage refuses a `post_at` more than 120 days ahead (`time_too_far`)."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_email(value: str, what: str) -> str:
    text = value.strip()
    if not _EMAIL.match(text):
        raise UsageError(f"{what}: expected an email address (the person's username), got {value!r}")
    return text


# --- JSON helpers (the --json contract, documented in docs/rotation.md) ---------------------------------


def shift_json(shift: Shift | None, tz: str) -> dict[str, Any] | None:
    if shift is None:
        return None
    z = zone(tz)
    return {
        "rotation": shift.rotation,
        "user": shift.user,
        "start": shift.start.astimezone(z).isoformat(),
        "end": shift.end.astimezone(z).isoformat(),
    }


def move_json(move: Move, tz: str) -> dict[str, Any]:
    return {"user": move.user, "old": shift_json(move.old, tz), "new": shift_json(move.new, tz)}


def _participants(rotation: Rotation | None) -> list[str | None] | None:
    return None if rotation is None else list(rotation.participants)


# --- reading the schedule -------------------------------------------------------------------------------


@dataclass
class Schedule:
    """What the rotation use cases read once per run."""

    backend: ScheduleStore
    directory: Directory
    settings: RoundSettings
    now: datetime
    rotations: list[Rotation]
    overrides: list[Override]
    people: dict[str, Engineer]

    @property
    def tz(self) -> str:
        return self.settings.timezone


def read_schedule(context: Context, *, people: bool = True) -> Schedule:
    """Rotations, overrides and (optionally) the records of the team and of every participant."""
    backend = context.schedule_store()
    directory = context.directory
    settings = round_settings(context.settings)
    from oncall_cli.services.gather import gather

    # The rotations, the overrides and the team at once (one round trip, not three).
    reads = [backend.rotations, backend.overrides] + ([directory.team] if people else [])
    rotations, overrides, *team = gather(*reads)
    records: dict[str, Engineer] = {}
    if people:
        records = {e.email: e for e in team[0]}
        others = sorted({p for r in rotations for p in r.participants if p is not None} - set(records))
        found = gather(*[lambda email=email: directory.find(email) for email in others])
        records.update({email: record for email, record in zip(others, found, strict=True) if record})
    settings = replace(settings, timezone=backend.timezone)
    return Schedule(backend, directory, settings, context.now(), rotations, overrides, records)


def roster_facts(record: Engineer, roster: Mapping[str, Engineer]) -> Engineer:
    """The record with the roster's facts where the service keeps none (PagerDuty keeps no start date or
    manager): an unknown start date, no manager, team, `new` flag or PTO."""
    entry = roster.get(record.email.casefold())
    if entry is None:
        return record
    return replace(
        record,
        start_date=entry.start_date if record.start_date == UNKNOWN_START else record.start_date,
        new=entry.new if record.new is None else record.new,
        team=record.team or entry.team,
        manager=record.manager or entry.manager,
        unavailable=record.unavailable or entry.unavailable,
    )


def _read_roster(path: Path | None) -> dict[str, Engineer]:
    """`--roster FILE` by email (casefolded); {} without one."""
    if path is None:
        return {}
    from oncall_cli.services.schedule import load_roster

    return {e.email.casefold(): e for e in load_roster(path)}


# --- add-engineer ----------------------------------------------------------------------------------------


@dataclass
class Reminder:
    to: str
    post_at: datetime
    text: str
    scheduled: bool = False
    skipped: str = ""
    already_scheduled: bool = False


@dataclass(frozen=True)
class Notification:
    """One DM the command meant to send: sent, or why not (not in Slack, ...)."""

    user: str
    sent: bool
    why_not: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"user": self.user, "sent": self.sent, "why_not": self.why_not}


def notify_summary(notifications: Sequence[Notification], what: str) -> tuple[str | None, str | None]:
    """(the applied step, a warning) saying truthfully how many DMs went out: the step only when one did,
    the warning naming each person who was not told and why."""
    sent = [n for n in notifications if n.sent]
    step = f"DM {len(sent)} of {len(notifications)} {what}" if sent else None
    missed = [n for n in notifications if not n.sent]
    warning = None
    if missed:
        who = ", ".join(f"{n.user} ({n.why_not})" for n in missed)
        warning = (
            f"DM sent to {len(sent)} of {len(notifications)} {what}; not sent to {who}: tell them yourself"
        )
    return step, warning


@dataclass
class AddEngineerResult:
    engineer: Engineer
    team: str
    user_exists: bool
    in_team: bool
    reason: str
    placement: Placement
    timezone: str
    eligible_from: date
    dry_run: bool
    actions: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    notify: bool = False
    notified: list[str] = field(default_factory=list)
    not_in_slack: list[str] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    """Per engineer whose next shift moves, with --notify --apply: sent, or why not."""
    reminder: Reminder | None = None
    warnings: list[str] = field(default_factory=list)
    user_created: bool = False
    team_added: bool = False
    old_start_date: date | None = None
    """The start date the service holds for an existing user when it differs from --start-date (None: same,
    or a new user); `UNKNOWN_START` when the user has none."""
    role: str | None = "user"
    """The user's role on the service: Opsgenie's API role `user`; None where `oncall` gives none (JSM)."""
    gate: list[Violation] = field(default_factory=list)
    """[R1] What the gate finds in the placement (gaps, double bookings it introduces): `--apply` refuses
    it (exit 9) when there are any."""

    def to_json(self) -> dict[str, Any]:
        p, tz, e = self.placement, self.timezone, self.engineer
        start_change = None
        if p.reanchored and p.after is not None:
            start_change = {"old": p.before.start.isoformat(), "new": p.after.start.isoformat()}
        trade = None
        if p.trade is not None:
            t = p.trade
            trade = {
                "partner": t.partner,
                "new_engineer": t.new_engineer,
                "partner_new_shift": shift_json(t.partner_new_shift, tz),
                "new_engineer_new_shift": shift_json(t.new_engineer_new_shift, tz),
                "message": t.message,
                "command": f"oncall override swap {t.new_engineer} {t.partner}",
            }
        reminder = None
        if self.reminder is not None:
            r = self.reminder
            reminder = {
                "to": r.to,
                "post_at": r.post_at.isoformat(),
                "text": r.text,
                "scheduled": r.scheduled,
                "skipped": r.skipped or None,
                "already_scheduled": r.already_scheduled,
            }
        return {
            "dry_run": self.dry_run,
            "engineer": {
                "email": e.email,
                "name": e.name,
                "timezone": e.timezone,
                "start_date": e.start_date.isoformat(),
                "eastern": rules.is_eastern(e.timezone),
                "eligible_from": self.eligible_from.isoformat(),
            },
            "user": {"exists": self.user_exists, "created": self.user_created, "role": self.role},
            "team": {"name": self.team, "member": self.in_team, "added": self.team_added},
            "rotation": p.rotation,
            "reason": self.reason,
            "outcome": p.outcome,
            "position": p.slot.position + 1 if p.slot is not None else None,
            "first_shift": shift_json(p.first_shift, tz),
            "reanchored": p.reanchored,
            "start": start_change,
            "participants": {"before": _participants(p.before), "after": _participants(p.after)},
            "add_from": p.add_from.isoformat() if p.add_from is not None else None,
            "tried": [
                {
                    "kind": s.kind,
                    "position": s.position + 1,
                    "first_shift": shift_json(s.first_shift, tz),
                    "reason": s.rejected,
                    "conflicts": list(s.conflicts),
                }
                for s in p.tried
            ],
            "trade": trade,
            "moves": [move_json(m, tz) for m in p.moves],
            "actions": self.actions,
            "applied": self.applied,
            "notified": self.notified,
            "not_in_slack": self.not_in_slack,
            "notifications": [n.to_json() for n in self.notifications],
            "reminder": reminder,
            "notes": list(p.notes),
            "gate": [violation_json(v, tz) for v in self.gate],
            "warnings": self.warnings,
        }


def _derived_name(email: str) -> str:
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in re.split(r"[._-]+", local) if part) or email


def add_engineer(
    context: Context,
    email: str,
    *,
    start_date: date,
    rotation: str | None = None,
    name: str | None = None,
    timezone: str | None = None,
    apply: bool = False,
    notify: bool = False,
    remind: bool = False,
    move: bool = True,
    allow_imbalance: bool = False,
    roster: Path | None = None,
) -> AddEngineerResult:
    """Place a new engineer by the playbook; with `apply`, create the user, join the team, edit the rotation,
    tell whose dates moved (`notify`) or schedule the reminder to add them later (`remind`). With `move`
    (the default), a slot pairing them with another new engineer gives way to the earliest one that does
    not, an insertion into the order included (moving the people after it) [R7]. A `roster` gives the
    people's start dates, managers and teams where the service keeps none (`roster_facts`)."""
    email = check_email(email, "EMAIL")
    if timezone is not None:
        zone(timezone)  # a typo must not become the schedule's zone
    me = context.settings.text("me").strip()
    if remind and not me:
        raise UsageError(
            "--remind sends the reminder to `me`, which is not set",
            hint=f"Set it with `{context.settings.command('config set me you@example.com')}`.",
        )
    facts = _read_roster(roster)
    schedule = read_schedule(context)
    if facts:
        schedule.people = {e: roster_facts(record, facts) for e, record in schedule.people.items()}
    directory, settings, now = schedule.directory, schedule.settings, schedule.now
    service = directory.service
    existing = directory.find(email)
    if existing is None and not directory.creates_accounts:
        # Say so before planning (dry run too): the service raises with how to invite the person.
        directory.create(Engineer(email, name or email, timezone or settings.timezone, start_date))
    warnings: list[str] = []
    if existing is not None:
        if timezone is not None and timezone != existing.timezone:
            warnings.append(f"--timezone {timezone} ignored: {service} has {email} in {existing.timezone}")
        engineer = replace(existing, start_date=start_date)
    else:
        engineer = Engineer(email, name or _derived_name(email), timezone or settings.timezone, start_date)
    engineer = roster_facts(engineer, facts)
    members = directory.team_members()
    in_team = email in members
    if rotation is not None:
        choice = changes.choose_rotation(engineer, schedule.rotations, now, settings, rotation)
        placement = changes.place_engineer(
            engineer,
            choice.rotation,
            schedule.rotations,
            schedule.overrides,
            schedule.people,
            now,
            settings,
            move=move,
        )
        reason = choice.reason
    else:
        placement, reason = changes.place_in_schedule(
            engineer, schedule.rotations, schedule.overrides, schedule.people, now, settings, move=move
        )
    team = directory.team_name
    if placement.outcome == "already_placed":
        reason = f"already a participant of {placement.rotation}"
    actions: list[str] = []
    old_start_date = None
    if existing is None:
        how = "" if name else f" (name {engineer.name!r} from the email; use --name to set it)"
        actions.append(
            f"create {service} user {email} ({engineer.name}, {engineer.timezone}), role user "
            f"(the Responder seat){how}"
        )
    elif existing.start_date != start_date and directory.keeps_start_dates:
        # The user details' `start_date` is what every other command reads: keep it in step with the flag.
        old_start_date = existing.start_date
        actions.append(_describe_start_date(service, email, start_date, old_start_date))
    if not in_team:
        actions.append(f"add {email} to team {team} (role user)")
    if placement.after is not None and placement.outcome in ("placeholder", "append", "insert"):
        actions.append(_describe_update(placement))
    if notify and placement.moves:
        actions.append(f"DM {len(placement.moves)} engineer(s) whose next shift moves")
    reminder = None
    if remind and placement.outcome == "deferred" and placement.add_from is not None:
        reminder = Reminder(me, placement.add_from, changes.reminder_message(email))
        if placement.add_from - now > SLACK_SCHEDULE_LIMIT:
            reminder.skipped = "Slack schedules messages at most 120 days ahead"
        else:
            actions.append(
                f"schedule a Slack message to {me} at {placement.add_from.isoformat()}: {reminder.text!r}"
            )
    if remind and placement.outcome != "deferred":
        warnings.append("--remind is for an engineer who cannot be added yet; no reminder needed")
    warnings.extend(placement.warnings)
    result = AddEngineerResult(
        engineer,
        team,
        existing is not None,
        in_team,
        reason,
        placement,
        settings.timezone,
        rules.eligible_from(engineer, settings),
        dry_run=not apply,
        actions=actions,
        notify=notify,
        reminder=reminder,
        warnings=warnings,
        old_start_date=old_start_date,
        role="user" if directory.creates_accounts else None,
    )
    refused, found = placement_findings(schedule, placement, engineer, allow_imbalance=allow_imbalance)
    result.gate = refused
    result.warnings.extend(found)
    if apply:
        _refuse_rejected_placement(schedule, refused, allow_imbalance=allow_imbalance)
        _apply_add(context, schedule, result)
    else:
        result.warnings.extend(f"--apply would be refused (exit 9): {v.rule} {v.message}" for v in refused)
    return result


def _refuse_rejected_placement(
    schedule: Schedule, refused: Sequence[Violation], *, allow_imbalance: bool
) -> None:
    """A placement whose own check finds what a hard rule forbids is never applied: exit 9, before any
    write. [R1] a gap or a double booking (the engineer on call in two seats at once, through an override
    they already hold); [R3] seats differing by more than one (a named --rotation), or Eastern coverage
    given up where balance did not ask for it; [R6]."""
    hint = (
        "Delete or move the override that double-books the engineer, or choose --rotation; "
        "run it without --apply to see the placement."
    )
    if any(v.rule == "R3" for v in refused):
        hint = (
            "Leave out --rotation to let the playbook pick the seat"
            + ("" if allow_imbalance else ", or pass --allow-imbalance to accept unbalanced seats")
            + "; run it without --apply to see the placement."
        )
    refuse_rejected_plan("add-engineer", refused, schedule.tz, hint)


def _is_imbalance(v: Violation) -> bool:
    return v.rule == "R3" and v.message.startswith("rotations differ in size")


def placement_findings(
    schedule: Schedule, placement: Placement, engineer: Engineer, *, allow_imbalance: bool = False
) -> tuple[list[Violation], list[str]]:
    """What `schedule check` would find after the placement that it does not find now: those the gate
    refuses the placement for (shown in the dry run; `--apply` exits 9), and warnings for the rest.

    Hard: [R1], [R6], [R3] seats differing by more than one (unless `allow_imbalance`; only a named
    --rotation can do it) and [R3] Eastern coverage lost in a seat the playbook's seat rule
    (`changes.seat_preference`, balance first) would not have chosen. Warned: [R3] Eastern coverage lost
    where balance chose the seat ("balance beats Eastern coverage"), and the best-effort rules."""
    if placement.after is None or placement.outcome not in ("placeholder", "append", "insert"):
        return [], []
    after = [placement.after if r.name == placement.rotation else r for r in schedule.rotations]
    horizon = timedelta(weeks=12)
    first = placement.first_shift
    if first is not None:
        # At least a whole round past the first shift: an append moves everyone after it.
        length = len(placement.after.participants)
        horizon = max(horizon, first.end - schedule.now + timedelta(weeks=length))
    people = {**schedule.people, engineer.email: engineer}
    found = introduced_violations(
        (schedule.rotations, schedule.overrides),
        (after, schedule.overrides),
        list(people.values()),
        schedule.settings,
        schedule.now,
        horizon,
    )
    seat = rules.group_of(placement.rotation, schedule.settings)
    try:
        preferred = changes.seat_preference(engineer, schedule.rotations, schedule.now, schedule.settings)
    except UsageError:
        preferred = []
    balance_chose = bool(preferred) and preferred[0][0] == seat

    def spread(rotations: Sequence[Rotation], names: Sequence[str]) -> int:
        sizes = [changes.size(r) for r in rotations if r.name in names]
        return max(sizes) - min(sizes) if sizes else 0

    refused: list[Violation] = []
    warnings: list[str] = []
    for v in found:
        if _is_imbalance(v) and (
            allow_imbalance or spread(after, v.subjects) <= spread(schedule.rotations, v.subjects)
        ):
            # Accepted with the flag, or no worse than before (the smallest seat grew): the placement
            # already warns "[R3] the rotations differ in size ..." in that case.
            if not any(w.startswith("[R3] the rotations differ") for w in placement.warnings):
                warnings.append(f"[R3] {v.message}; schedule check reports it")
        elif v.rule == "R3" and not _is_imbalance(v) and balance_chose:
            warnings.append(
                f"[R3] {v.message}: balance beats Eastern coverage, so {placement.rotation} takes "
                f"{engineer.email}; schedule check reports it until a seat trade or the next round"
            )
        elif v.rule in HARD_RULES:
            refused.append(v)
        else:
            warnings.append(f"[{v.rule}] {v.message} (schedule check will report it)")
    return refused, warnings


def _describe_start_date(service: str, email: str, new: date, old: date) -> str:
    was = "unset" if old == UNKNOWN_START else old.isoformat()
    return f"set start_date {new.isoformat()} for {service} user {email} (was {was})"


def _describe_update(placement: Placement) -> str:
    assert placement.after is not None
    people = ", ".join(p or "no-one" for p in placement.after.participants)
    text = f"set {placement.rotation} participants to: {people}"
    if placement.reanchored:
        text += f"; start date {placement.before.start.isoformat()} -> {placement.after.start.isoformat()}"
    return text


def _apply_add(context: Context, schedule: Schedule, result: AddEngineerResult) -> None:
    placement, email = result.placement, result.engineer.email
    done = result.applied

    def fail(step: str, exc: OncallError) -> PartialError:
        remaining = [a for a in result.actions if a not in done]
        return PartialError(
            f"add-engineer stopped at: {step}: {exc.message}",
            hint="Fix the cause and run the same command again: it skips what is done.",
            details={
                "done": list(done),
                "not_done": remaining,
                "notified": list(result.notified),
                "not_notified": [m.user for m in placement.moves if m.user not in result.notified],
            },
        )

    if not result.user_exists:
        step = result.actions[0]
        try:
            schedule.directory.create(result.engineer)
        except RejectedError as exc:
            if exc.details.get("reason") == "user_limit":
                # Nothing was changed yet: say it plainly and stop.
                raise RejectedError(
                    f"cannot add {email}: the {schedule.directory.service} account has no free user "
                    "license; an account Owner must add one. Nothing was changed.",
                    hint=exc.hint,
                    details=exc.details,
                ) from exc
            raise
        done.append(step)
        result.user_created = True
    elif result.old_start_date is not None:
        # The first write, like creating the user: a failure here has changed nothing, so it is not partial.
        schedule.directory.set_start_date(email, result.engineer.start_date)
        done.append(_describe_start_date(
                schedule.directory.service, email, result.engineer.start_date, result.old_start_date
            ))
    if not result.in_team:
        step = f"add {email} to team {result.team} (role user)"
        try:
            schedule.directory.add_to_team(email)
        except OncallError as exc:
            raise fail(step, exc) from exc
        done.append(step)
        result.team_added = True
    if placement.after is not None and placement.outcome in ("placeholder", "append", "insert"):
        step = _describe_update(placement)
        try:
            schedule.backend.update_rotation(
                placement.rotation,
                participants=placement.after.participants,
                start=placement.after.start if placement.reanchored else None,
            )
        except OncallError as exc:
            raise fail(step, exc) from exc
        done.append(step)
    if result.notify and placement.moves:
        step = f"DM {len(placement.moves)} engineer(s) whose next shift moves"
        try:
            _notify(context, result)
        except OncallError as exc:
            raise fail(step, exc) from exc
        told, warning = notify_summary(result.notifications, "engineer(s) whose next shift moves")
        if told is not None:
            done.append(told)
        if warning is not None:
            result.warnings.append(warning)
    reminder = result.reminder
    if reminder is not None and not reminder.skipped:
        step = next(a for a in result.actions if a.startswith("schedule a Slack message"))
        try:
            _schedule_reminder(context, reminder, email)
        except OncallError as exc:
            raise fail(step, exc) from exc
        if reminder.scheduled:
            done.append(step)


def _dm(context: Context, user_id: str, text: str) -> None:
    channel = context.slack.conversations_open(users=user_id).id
    context.slack.chat_post_message(channel=channel, text=text)


def dm_each(context: Context, people: Sequence[str], text: Callable[[str, str], str]) -> list[Notification]:
    """One Slack DM to each person, `text(email, mention)`; per person: sent, or why not."""
    from oncall_cli.services.slack_lookup import users_by_email

    found = users_by_email(context.slack, list(people))
    notifications = []
    for email in people:
        user_id = found.ids.get(email)
        if user_id is None:
            notifications.append(Notification(email, False, "not in Slack"))
            continue
        _dm(context, user_id, text(email, f"<@{user_id}>"))
        notifications.append(Notification(email, True))
    return notifications


def _notify(context: Context, result: AddEngineerResult) -> None:
    """The playbook's message to each engineer whose next shift moved, as a Slack DM."""
    movers = [m.user for m in result.placement.moves]
    told = dm_each(context, movers, lambda _, mention: changes.impacted_message(mention))
    result.notifications.extend(told)
    result.notified.extend(n.user for n in told if n.sent)
    result.not_in_slack = sorted(n.user for n in told if not n.sent)


def _schedule_reminder(context: Context, reminder: Reminder, email: str) -> None:
    from oncall_cli.services.slack_lookup import users_by_email

    found = users_by_email(context.slack, [reminder.to, email])
    me = found.ids.get(reminder.to)
    if me is None:
        raise NotFoundError(f"Slack has no user with the email {reminder.to} (`me` in the config)")
    mention = f"<@{found.ids[email]}>" if email in found.ids else email
    reminder.text = changes.reminder_message(mention)
    post_at = int(reminder.post_at.astimezone(UTC).timestamp())
    channel = context.slack.conversations_open(users=me).id
    # Slack keeps no idempotency key for scheduled messages: a re-run must look for the one it scheduled.
    # The email form counts too, in case the engineer joined Slack after the first run.
    texts = {reminder.text.strip(), changes.reminder_message(email).strip()}
    for message in context.slack.iter_scheduled_messages(channel=channel):
        if message.post_at == post_at and message.text.strip() in texts:
            reminder.text = message.text
            reminder.skipped = "already scheduled"
            reminder.already_scheduled = True
            return
    context.slack.chat_schedule_message(channel=channel, text=reminder.text, post_at=post_at)
    reminder.scheduled = True


# --- remove-engineer -------------------------------------------------------------------------------------


@dataclass
class RemoveEngineerResult:
    removal: Removal
    timezone: str
    dry_run: bool
    manager_source: str
    delete_user: bool
    actions: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    user_deleted: bool = False
    user_kept: str = ""
    notifications: list[Notification] = field(default_factory=list)
    """The DM asking the manager to cover the shifts (with --apply): sent, or why not."""
    warnings: list[str] = field(default_factory=list)
    gate: list[Violation] = field(default_factory=list)
    """In a dry run, what `--apply` would be refused for (exit 9): the hard rules the change breaks."""

    def to_json(self) -> dict[str, Any]:
        r, tz = self.removal, self.timezone
        return {
            "gate": [violation_json(v, tz) for v in self.gate],
            "dry_run": self.dry_run,
            "engineer": r.engineer,
            "manager": r.manager,
            "manager_source": self.manager_source,
            "rotations": [
                {
                    "name": c.name,
                    "before": list(c.before.participants),
                    "after": list(c.after.participants),
                    "positions": [i + 1 for i, p in enumerate(c.before.participants) if p == r.engineer],
                }
                for c in r.changes
            ],
            "overrides": [
                {
                    "user": o.user,
                    "rotation": o.rotations[0] if o.rotations else None,
                    "start": o.start.astimezone(zone(tz)).isoformat(),
                    "end": o.end.astimezone(zone(tz)).isoformat(),
                }
                for o in r.cover
            ],
            "existing_overrides": self.existing,
            "moves": [move_json(m, tz) for m in r.moves],
            "delete_user": {
                "requested": self.delete_user,
                "deleted": self.user_deleted,
                "kept": self.user_kept or None,
            },
            "actions": self.actions,
            "applied": self.applied,
            "notifications": [n.to_json() for n in self.notifications],
            "warnings": [*r.warnings, *self.warnings],
        }


def _describe_cover(override: Override) -> str:
    rotation = override.rotations[0] if override.rotations else "every rotation"
    return (
        f"override {rotation} from {override.start.isoformat()} to {override.end.isoformat()} with "
        f"{override.user}"
    )


def _ask_manager_step(removal: Removal) -> str:
    count = len(removal.cover)
    return f"DM {removal.manager} in Slack asking them to cover {count} shift(s) of {removal.engineer}"


def _ask_manager(context: Context, removal: Removal, tz: str) -> Notification:
    """The playbook asks the leaver's manager to cover their shifts: one DM listing each override's shift."""
    from oncall_cli.services.slack_lookup import users_by_email

    manager = removal.manager
    assert manager is not None
    found = users_by_email(context.slack, [manager])
    user_id = found.ids.get(manager)
    if user_id is None:
        return Notification(manager, False, "not in Slack")
    lines = [
        f"- {o.rotations[0] if o.rotations else 'every rotation'}: "
        f"{changes.message_time(o.start, tz)} to {changes.message_time(o.end, tz)} "
        f"({o.start.astimezone(zone(tz)).date().isoformat()})"
        for o in removal.cover
    ]
    _dm(context, user_id, changes.manager_message(f"<@{user_id}>", removal.engineer, lines))
    return Notification(manager, True)


def removal_findings(
    context: Context, schedule: Schedule, removal: Removal, to_create: Sequence[Override]
) -> tuple[list[Violation], list[str]]:
    """What `schedule check` would find after the removal that it does not find now, over the leaver's
    planned rounds and one more round of each open-ended rotation they leave: the hard rules' findings
    (the gate refuses the removal: [R1], [R6] for a manager too new to cover a shift, ...) and a warning for
    each best-effort one ([R11]/[R12] for the manager's cover, [R10] for a placeholder turn past the
    rounds the overrides cover) and for [R3] (the leaver's seat is one smaller: balance is the next
    round's business)."""
    email, settings, now = removal.engineer, schedule.settings, schedule.now
    after = list(schedule.rotations)
    for change in removal.changes:
        after = [change.after if r.name == change.name else r for r in after]
    until = changes.planned_until(email, schedule.rotations, now, settings)
    longest = max((len(c.after.participants) for c in removal.changes if c.after.end is None), default=0)
    horizon = until - now + timedelta(weeks=longest + 1 if longest else 0)
    people = read_people(context, schedule, [p for p in (removal.manager,) if p])
    found = introduced_violations(
        (schedule.rotations, schedule.overrides),
        (after, [*schedule.overrides, *to_create]),
        list(people.values()),
        settings,
        now,
        horizon,
    )
    # [R3] A leaver's seat shrinks by one whatever we do (the playbook puts a placeholder there): warned.
    refused = [v for v in found if v.rule in HARD_RULES and v.rule != "R3"]
    warnings = []
    for v in found:
        if v in refused:
            continue
        if v.rule == "R10" and v.start is not None:
            day = v.start.astimezone(zone(schedule.tz)).date().isoformat()
            again = next(
                (f" and every {len(c.after.participants)} weeks after"
                 for c in removal.changes if c.after.end is None and v.message.startswith(f"{c.name}:")),
                "",
            )
            warnings.append(
                f"[R10] {v.message}: {email}'s turn on {day}{again}, past the planned rounds the manager's "
                "overrides cover; put someone there (override add, or add-engineer) before then"
            )
        else:
            warnings.append(f"[{v.rule}] {v.message} (schedule check will report it)")
    return refused, warnings


def read_people(context: Context, schedule: Schedule, also: Sequence[str]) -> dict[str, Engineer]:
    """The records of the team, of every participant and of `also` (a manager), as `read_schedule` reads
    them with `people=True`."""
    from oncall_cli.services.gather import gather

    team = schedule.people or {e.email: e for e in schedule.directory.team()}
    records = dict(team)
    wanted = {p for r in schedule.rotations for p in r.participants if p is not None} | set(also)
    others = sorted(wanted - set(records))
    found = gather(*[lambda email=email: schedule.directory.find(email) for email in others])
    records.update({email: record for email, record in zip(others, found, strict=True) if record})
    return records


def remove_engineer(
    context: Context,
    email: str,
    *,
    manager: str | None = None,
    apply: bool = False,
    delete_user: bool = False,
    confirm: Callable[[str], bool] | None = None,
    roster: Path | None = None,
) -> RemoveEngineerResult:
    """Replace the leaver with `none` in every running rotation, put their manager on their upcoming shifts,
    and (with `delete_user`, after `confirm`) delete their account (JSM: take them off the team). Without
    --manager, the manager is the service's, else the `roster`'s (`roster_facts`)."""
    email = check_email(email, "EMAIL")
    known = _read_roster(roster)
    schedule = read_schedule(context, people=False)
    backend, directory = schedule.backend, schedule.directory
    service, facts = directory.service, directory.facts_source
    source = "--manager"
    record = directory.find(email)
    if record is not None:
        record = roster_facts(record, known)
    named = any(email in r.participants for r in schedule.rotations) or any(
        o.user == email for o in schedule.overrides
    )
    if record is None and not named:
        raise NotFoundError(
            f"no such engineer {email}: {service} has no such user and no rotation or override names them",
            hint="Check the spelling (`oncall rotation list` shows who rotates). Nothing was changed.",
        )
    if manager is not None:
        manager = check_email(manager, "--manager")
    elif not changes.still_scheduled(
        email, schedule.rotations, schedule.overrides, schedule.now, schedule.settings
    ):
        source = "none needed"  # a repeat run, or never scheduled: nothing to cover
    elif record is not None and record.manager:
        manager, source = record.manager, facts
    else:
        raise UsageError(
            f"--manager: no manager known for {email} (none in their {facts}); name one with --manager"
        )
    if manager is not None and source == facts:
        # No flag was given: name where the manager came from, and the flag that overrides it.
        if manager == email:
            raise UsageError(
                f"the leaver's {facts} name {email} as their own manager, and a leaver cannot "
                "cover their own shifts; pass --manager EMAIL to name who covers them"
            )
        if directory.find(manager) is None:
            raise UsageError(
                f"the leaver's {facts} name manager {manager}, who is not a user in {service} and so "
                f"cannot cover {email}'s shifts; pass --manager EMAIL to name who covers them"
            )
    elif manager is not None and manager != email and directory.find(manager) is None:
        raise UsageError(f"--manager: {service} has no user {manager} to put on the leaver's shifts")
    removal = changes.plan_removal(
        email, manager, schedule.rotations, schedule.overrides, schedule.now, schedule.settings
    )
    tz = schedule.tz
    actions: list[str] = []
    existing: list[str] = []
    to_create: list[Override] = []
    for override in removal.cover:
        if changes.find_same(override, schedule.overrides) is not None:
            existing.append(_describe_cover(override))
        else:
            to_create.append(override)
            actions.append(_describe_cover(override))
    for change in removal.changes:
        actions.append(
            f"set {change.name} participants to: "
            f"{', '.join(p or 'no-one' for p in change.after.participants)}"
        )
    ask_manager = _ask_manager_step(removal) if removal.cover else None
    if ask_manager is not None:
        actions.append(ask_manager)
    if delete_user and record is not None:
        actions.append(f"{directory.delete_action(email)} (after confirmation)")
    result = RemoveEngineerResult(removal, tz, not apply, source, delete_user, actions, existing=existing)
    refused, warned = removal_findings(context, schedule, removal, to_create)
    result.warnings.extend(warned)
    if not apply:
        result.gate = refused
        result.warnings.extend(f"--apply would be refused (exit 9): {v.rule} {v.message}" for v in refused)
        return result
    if refused:
        first = refused[0]
        refuse_rejected_plan(
            f"remove-engineer with manager {removal.manager} ({source})",
            refused,
            tz,
            f"--manager {removal.manager} cannot cover the shifts ({first.rule}: {first.message}); "
            "name another manager with --manager.",
        )
    done = result.applied

    def fail(step: str, exc: OncallError) -> PartialError:
        remaining = [a for a in actions if a not in done]
        return PartialError(
            f"remove-engineer stopped at: {step}: {exc.message}",
            hint="Fix the cause and run the same command again: it skips what is done.",
            details={"done": list(done), "not_done": remaining},
        )

    # Overrides first: at every step someone holds the leaver's shifts.
    for override in to_create:
        step = _describe_cover(override)
        try:
            backend.create_override(override)
        except OncallError as exc:
            raise fail(step, exc) from exc
        done.append(step)
    for change in removal.changes:
        step = (
            f"set {change.name} participants to: "
            f"{', '.join(p or 'no-one' for p in change.after.participants)}"
        )
        try:
            backend.update_rotation(change.name, participants=change.after.participants)
        except OncallError as exc:
            raise fail(step, exc) from exc
        done.append(step)
    if ask_manager is not None:
        # The playbook: the manager is *asked* to cover the shifts; the overrides are in place already.
        try:
            result.notifications.append(_ask_manager(context, removal, tz))
        except OncallError as exc:
            raise fail(ask_manager, exc) from exc
        if result.notifications[-1].sent:
            done.append(ask_manager)
        else:
            result.warnings.append(
                f"{ask_manager}: not sent ({result.notifications[-1].why_not}); tell them yourself"
            )
    if delete_user and record is not None:
        step = f"{directory.delete_action(email)} (after confirmation)"
        question = f"{directory.delete_action(email, question=True)}? This cannot be undone."
        if confirm is not None and not confirm(question):
            result.user_kept = "not confirmed"
        else:
            try:
                directory.delete(email)
            except OncallError as exc:
                raise fail(step, exc) from exc
            done.append(step)
            result.user_deleted = True
    elif delete_user:
        result.user_kept = f"no such {service} user (already deleted)"
    return result


# --- list / show -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    position: int
    user: str | None
    name: str | None
    timezone: str | None
    new: bool | None
    next_shift: Shift | None


@dataclass(frozen=True)
class RotationView:
    rotation: Rotation
    group: str | None
    participants: tuple[Participant, ...]


@dataclass(frozen=True)
class RotationsView:
    timezone: str
    now: datetime
    rotations: tuple[RotationView, ...]

    def to_json(self) -> dict[str, Any]:
        z = zone(self.timezone)
        return {
            "timezone": self.timezone,
            "now": self.now.astimezone(z).isoformat(),
            "rotations": [_rotation_json(v, self.timezone) for v in self.rotations],
        }


def _rotation_json(view: RotationView, tz: str) -> dict[str, Any]:
    r = view.rotation
    z = zone(tz)
    return {
        "name": r.name,
        "group": view.group,
        "type": r.type,
        "length": r.length,
        "start": r.start.astimezone(z).isoformat(),
        "end": r.end.astimezone(z).isoformat() if r.end is not None else None,
        "size": changes.size(r),
        "participants": [
            {
                "position": p.position,
                "user": p.user,
                "name": p.name,
                "timezone": p.timezone,
                "new": p.new,
                "next_shift": shift_json(p.next_shift, tz),
            }
            for p in view.participants
        ],
    }


def _view(rotation: Rotation, schedule: Schedule) -> RotationView:
    tz, now, settings = schedule.tz, schedule.now, schedule.settings
    today = now.astimezone(zone(tz)).date()
    rows = []
    for position, user in enumerate(rotation.participants):
        engineer = schedule.people.get(user or "")
        new = rules.is_new(engineer, today, settings) if engineer is not None else None
        nxt = changes.next_slot_shift(rotation, position, now, tz) if rotation.participants else None
        rows.append(
            Participant(
                position + 1,
                user,
                engineer.name if engineer else None,
                engineer.timezone if engineer else None,
                new,
                nxt,
            )
        )
    return RotationView(rotation, rules.group_of(rotation.name, settings), tuple(rows))


def list_rotations(context: Context, name: str | None = None) -> RotationsView:
    """Every rotation (or the one named) with its participants in order and each slot's next shift."""
    schedule = read_schedule(context)
    rotations: Sequence[Rotation] = schedule.rotations
    if name is not None:
        rotations = [r for r in schedule.rotations if r.name == name]
        if not rotations:
            known = ", ".join(r.name for r in schedule.rotations) or "none"
            raise NotFoundError(
                f"no rotation named {name!r} in the schedule (rotations: {known})",
                hint="List them with `oncall rotation list`.",
            )
    return RotationsView(schedule.tz, schedule.now, tuple(_view(r, schedule) for r in rotations))
