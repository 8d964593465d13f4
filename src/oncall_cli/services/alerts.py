"""`oncall alert` and `oncall incident link-alert`: the on-call service's alerts, through the `Alerts` port.

- `alert list` reads the open (or closed, or all) alerts; `--mine` keeps the ones whose owner is the profile's
  `me`, or that page `me` as a user responder (a team responder does not count);
- `alert show` reads one;
- `alert ack` and `alert close` act on several, each read first: every ID must exist before anything changes
  (an unknown one is exit 5 naming it), and an alert already acknowledged (or closed) is reported as such
  and left alone, so running the command twice changes nothing the second time;
- `incident link-alert` records the alerts on the incident (its `alerts` link and one timeline entry per
  alert) and on each alert (its `incident:<number>` tag); every part is checked first, so it is idempotent.

The JSON shape of an alert is the same on every backend (`alert_json`, documented in docs/incident.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oncall_cli.errors import UsageError
from oncall_cli.scheduling.model import zone
from oncall_cli.services.context import Context
from oncall_cli.services.incident.common import (
    _ref,
    _split_list,
    _tracker,
    find_incident,
)
from oncall_cli.services.incident.models import IncidentRef
from oncall_cli.services.oncall import require_me
from oncall_cli.services.ports import ALERT_LINKED, ALERT_STATUSES, Alert, record
from oncall_cli.services.steps import Steps

LINKED_ALERTS = "alerts"
"""The incident link listing the linked alert ids, comma-separated (`ports.LINK_KEYS`)."""
STATUS_CHOICES = (*ALERT_STATUSES, "all")

# What happened to one alert (`outcome` in the JSON).
ACKNOWLEDGED, CLOSED = "acknowledged", "closed"
ALREADY_ACKNOWLEDGED, ALREADY_CLOSED = "already_acknowledged", "already_closed"
_ACTIONS = {
    "ack": ("alerts.acknowledge", ACKNOWLEDGED, "would_acknowledge"),
    "close": ("alerts.close", CLOSED, "would_close"),
}


def alert_json(alert: Alert, tz: str) -> dict[str, Any]:
    """An alert for `--json`: the same keys on every backend, times in the profile's zone."""

    def local(at: datetime | None) -> str | None:
        return at.astimezone(zone(tz)).isoformat() if at is not None else None

    return {
        "id": alert.id,
        "number": alert.number,
        "message": alert.message,
        "status": alert.status,
        "acknowledged": alert.acknowledged,
        "acknowledged_at": local(alert.acknowledged_at),
        "priority": alert.priority,
        "created_at": local(alert.created_at),
        "owner": alert.owner,
        "responders": list(alert.responders),
        "tags": list(alert.tags),
        "incident": alert.incident,
    }


@dataclass(frozen=True)
class AlertList:
    """What `alert list` found."""

    alerts: list[Alert]
    status: str
    mine: str | None
    timezone: str

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "mine": self.mine,
            "alerts": [alert_json(a, self.timezone) for a in self.alerts],
        }


@dataclass
class AlertOutcome:
    alert: Alert
    outcome: str


@dataclass
class AlertActions:
    """What `alert ack` / `alert close` did to each alert (or, with --dry-run, would do)."""

    action: str
    outcomes: list[AlertOutcome]
    timezone: str
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "alerts": [{**alert_json(o.alert, self.timezone), "outcome": o.outcome} for o in self.outcomes],
            "done": [o.alert.number for o in self.outcomes if o.outcome in (ACKNOWLEDGED, CLOSED)],
            "skipped": [o.alert.number for o in self.outcomes if o.outcome.startswith("already_")],
            "dry_run": self.dry_run,
        }


@dataclass
class LinkResult:
    """What `incident link-alert` did (or would do): the change names, as the incident commands give them."""

    incident: IncidentRef
    alerts: list[Alert]
    timezone: str
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "incident": self.incident,
            "alerts": [alert_json(a, self.timezone) for a in self.alerts],
            "done": self.done,
            "skipped": self.skipped,
            "warnings": self.warnings,
            "dry_run": self.dry_run,
        }


def _timezone(ctx: Context) -> str:
    return ctx.settings.text("timezone")


def list_alerts(ctx: Context, *, status: str = "open", mine: bool = False) -> AlertList:
    """`oncall alert list`: the alerts with this status (`open`, `closed`, `all`), newest first."""
    wanted = status.strip().lower()
    if wanted not in STATUS_CHOICES:
        raise UsageError(f"--status: {status!r} is not one of {', '.join(STATUS_CHOICES)}")
    me = require_me(ctx, "--mine") if mine else None
    found = ctx.alerts.list(None if wanted == "all" else wanted, mine=me)
    return AlertList(found, wanted, me, _timezone(ctx))


def get_alerts(ctx: Context, refs: list[str]) -> list[Alert]:
    """Every alert named (each once, in order): an unknown one is NotFoundError (exit 5) naming it, before
    anything changes."""
    wanted = list(dict.fromkeys(r.strip() for r in refs if r.strip()))
    if not wanted:
        raise UsageError("ID: name at least one alert (its number from `oncall alert list`, e.g. 7)")
    alerts = [ctx.alerts.get(ref) for ref in wanted]
    return list({a.id: a for a in alerts}.values())


def show_alert(ctx: Context, ref: str) -> dict[str, Any]:
    """`oncall alert show`: one alert as `--json` shows it."""
    return alert_json(get_alerts(ctx, [ref])[0], _timezone(ctx))


def act_on_alerts(ctx: Context, refs: list[str], *, action: str, dry_run: bool = False) -> AlertActions:
    """`oncall alert ack` / `alert close`: each alert that needs it, once (a re-run finds them done)."""
    step, done_outcome, would = _ACTIONS[action]
    alerts = get_alerts(ctx, refs)
    me = ctx.settings.text("me").strip() or None
    result = AlertActions(action, [], _timezone(ctx), dry_run)
    pending: list[Alert] = []
    for alert in alerts:
        if alert.status == "closed":
            result.outcomes.append(AlertOutcome(alert, ALREADY_CLOSED))
        elif action == "ack" and alert.acknowledged:
            result.outcomes.append(AlertOutcome(alert, ALREADY_ACKNOWLEDGED))
        else:
            result.outcomes.append(AlertOutcome(alert, would))
            pending.append(alert)
    if dry_run:
        return result
    steps = Steps(f"alert {action}")
    planned = [f"{step}:#{a.number}" for a in pending]
    port = ctx.alerts
    for alert, name in zip(pending, planned, strict=True):

        def apply(alert: Alert = alert) -> bool:
            if action == "ack":
                port.acknowledge(alert, user=me)
            else:
                port.close(alert, user=me)
            return True

        steps.run(name, apply, planned)
        outcome = next(o for o in result.outcomes if o.alert.id == alert.id)
        outcome.alert, outcome.outcome = port.get(alert.id), done_outcome
    return result


def linked_alert_ids(links: dict[str, str] | Any) -> list[str]:
    """The alert ids an incident's `alerts` link lists."""
    return _split_list(links.get(LINKED_ALERTS))


def link_text(alert: Alert) -> str:
    """The timeline entry that records a linked alert (found again by a re-run)."""
    return record(ALERT_LINKED, number=alert.number, message=alert.message)


def link_alerts(ctx: Context, ref: str, refs: list[str], *, dry_run: bool = False) -> LinkResult:
    """`oncall incident link-alert`: the alerts on the incident (link, timeline) and the incident on them."""
    port = ctx.alerts  # first: a backend without alerts is told before any read
    incident = find_incident(ctx, ref)
    alerts = get_alerts(ctx, refs)
    tracker = _tracker(ctx)
    result = LinkResult(_ref(incident), alerts, _timezone(ctx), dry_run=dry_run)
    linked = linked_alert_ids(incident.links)
    missing = [a.id for a in alerts if a.id not in linked]
    written = {entry.text.strip() for entry in tracker.timeline(incident)}
    entries = [a for a in alerts if link_text(a) not in written]
    untagged = [a for a in alerts if a.incident != incident.number]
    for alert in alerts:
        if alert.incident not in (None, incident.number):
            result.warnings.append(f"alert #{alert.number} was linked to incident {alert.incident} before")
    planned = (
        (["tracker.record_links"] if missing else [])
        + [f"tracker.timeline_entry:#{a.number}" for a in entries]
        + [f"alerts.link_incident:#{a.number}" for a in untagged]
    )
    result.skipped = (
        ([] if missing else ["tracker.record_links"])
        + [f"tracker.timeline_entry:#{a.number}" for a in alerts if a not in entries]
        + [f"alerts.link_incident:#{a.number}" for a in alerts if a not in untagged]
    )
    if dry_run:
        result.done = planned
        return result
    steps = Steps("link-alert")

    def record() -> bool:
        tracker.set_links(incident, {LINKED_ALERTS: ",".join([*linked, *missing])})
        return True

    if missing:
        steps.run("tracker.record_links", record, planned)
    for alert in entries:

        def entry(alert: Alert = alert) -> bool:
            tracker.add_entry(incident, link_text(alert))
            return True

        steps.run(f"tracker.timeline_entry:#{alert.number}", entry, planned)
    for alert in untagged:

        def tag(alert: Alert = alert) -> bool:
            port.link_incident(alert, incident.number)
            return True

        steps.run(f"alerts.link_incident:#{alert.number}", tag, planned)
    result.done = list(steps.done)
    result.skipped += steps.skipped
    if untagged:
        result.alerts = [port.get(a.id) for a in alerts]
    return result
