"""The read-only incident commands: `list`, `show` and the `postmortem` draft (which writes only the
Markdown file it is asked for)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oncall_cli.errors import OncallError, UsageError
from oncall_cli.scheduling.model import zone
from oncall_cli.services import incident_text as text
from oncall_cli.services.context import Context
from oncall_cli.services.incident.common import (
    _add_entry_once,
    _links,
    _page_id,
    _ref,
    _slack,
    _slack_links,
    _sp,
    _sp_links,
    _split_list,
    _tracker,
    find_incident,
)
from oncall_cli.services.incident.followups import followups_of
from oncall_cli.services.incident.models import (
    Change,
    DryRun,
    IncidentDetail,
    IncidentRow,
    Postmortem,
    StatuspageLinks,
    TimelineItem,
)
from oncall_cli.services.incident_text import (
    D_CHANNEL,
    D_COMMANDER,
    D_COMMS,
    D_INVITED,
    D_POSTMORTEM,
    D_POSTMORTEM_STATE,
    D_REPORTED,
    D_STAKEHOLDERS,
    D_STATUSPAGE,
)
from oncall_cli.services.ports import POSTMORTEM_RECORDED, record
from oncall_cli.services.steps import Steps


def list_incidents(
    ctx: Context, *, status: str | None = None, since: str | None = None, limit: int = 100
) -> list[IncidentRow]:
    """`oncall incident list`: newest first, optionally by status and creation date."""
    from oncall_cli.services.timeparse import parse_time

    if status is not None and status not in ("open", "resolved", "closed"):
        raise UsageError(f"--status: {status!r} is not one of open, resolved, closed")
    tz = ctx.settings.text("timezone")
    after = parse_time(since, flag="--since", tz=tz, now=ctx.now(), clock="past") if since else None
    rows: list[IncidentRow] = []
    for inc in _tracker(ctx).since(after, status):
        if status is not None and inc.status and inc.status != status:
            continue
        details = _links(inc)
        rows.append(
            IncidentRow(
                id=inc.id,
                number=inc.number,
                message=inc.message,
                priority=inc.priority,
                status=inc.status,
                created_at=inc.created_at,
                url=inc.url,
                slack_channel=details.get(D_CHANNEL),
                statuspage_incident_id=details.get(D_STATUSPAGE),
            )
        )
        if len(rows) >= limit:
            break
    return rows


def show(ctx: Context, ref: str) -> IncidentDetail:
    """`oncall incident show`: details, responders, roles, timeline, channel and Statuspage state."""
    inc = find_incident(ctx, ref)
    details = _links(inc)
    warnings: list[str] = []
    tracker = _tracker(ctx)
    tz = zone(ctx.settings.text("timezone"))

    def local(at: datetime | None) -> datetime | None:
        # Every time in the profile's zone (with its offset), as the playbook's people read them.
        return at.astimezone(tz) if at is not None else None

    timeline = [
        TimelineItem(at=local(e.at), kind=e.kind, text=e.text) for e in tracker.timeline(inc) if not e.hidden
    ]
    said = {t.text.strip() for t in timeline}
    try:
        for n in tracker.notes(inc):
            # The resolve note is also the workflow's "Resolved: ..." entry: say it once.
            if n.text.strip() in said or text.resolution_entry(n.text) in said:
                continue
            timeline.append(TimelineItem(at=local(n.at), text=n.text, kind=n.kind))
    except OncallError as exc:
        warnings.append(f"could not read the incident notes: {exc.message}")
    timeline.sort(key=lambda t: (t.at is None, t.at or datetime.min.replace(tzinfo=UTC)))
    slack = _slack_links(ctx, details)
    if slack.channel_id and not slack.channel_name:
        try:
            slack.channel_name = _slack(ctx).conversations_info(channel=slack.channel_id).name
        except OncallError as exc:
            warnings.append(f"could not read the Slack channel: {exc.message}")
    statuspage = None
    sp_id = details.get(D_STATUSPAGE)
    if sp_id:
        try:
            statuspage = _sp_links(ctx, _sp(ctx).get_incident(incident_id=sp_id))
        except OncallError as exc:
            statuspage = StatuspageLinks(incident_id=sp_id, url=text.statuspage_url(_page_id(ctx), sp_id))
            warnings.append(f"could not read the Statuspage incident: {exc.message}")
    # Who the tracker pages, and the people `raise` invited to the channel (the on-call engineers).
    responders = list(
        dict.fromkeys([*tracker.responder_names(inc, warnings), *_split_list(details.get(D_INVITED))])
    )
    followups = followups_of(ctx, inc, warnings)
    alerts = _linked_alerts(ctx, details, warnings)
    return IncidentDetail(
        incident=_ref(inc),
        description=inc.description,
        created_at=local(inc.created_at),
        updated_at=local(inc.updated_at),
        timezone=str(tz.key),
        roles={"commander": details.get(D_COMMANDER), "comms": details.get(D_COMMS)},
        responders=[str(r) for r in responders],
        stakeholders=_split_list(details.get(D_STAKEHOLDERS)),
        slack=slack,
        statuspage=statuspage,
        timeline=timeline,
        details=details,
        warnings=warnings,
        followups=followups,
        alerts=alerts,
    )


def _linked_alerts(ctx: Context, details: dict[str, str], warnings: list[str]) -> list[dict[str, Any]]:
    """The alerts `incident link-alert` linked (the `alerts` link), read through the Alerts port, in the
    order they were linked. A backend without alerts (PagerDuty) or an alert that cannot be read is a
    warning: `show` still shows the rest."""
    from oncall_cli.services.alerts import alert_json, linked_alert_ids

    ids = linked_alert_ids(details)
    if not ids:
        return []
    try:
        port = ctx.alerts
    except OncallError as exc:
        warnings.append(f"linked alerts not shown: {exc.message}")
        return []
    tz = ctx.settings.text("timezone")
    found = []
    for alert_id in ids:
        try:
            found.append(alert_json(port.get(alert_id), tz))
        except OncallError as exc:
            warnings.append(f"linked alert {alert_id} not read: {exc.message}")
    return found


POSTMORTEM_ENTRY = "tracker.timeline_entry"
POSTMORTEM_LINKS = "tracker.record_links"
DRAFT, PUBLISHED = "Draft", "Published"


def postmortem(
    ctx: Context,
    ref: str,
    *,
    output: Path | None = None,
    force: bool = False,
    publish: str | None = None,
    dry_run: bool = False,
) -> Postmortem | DryRun:
    """`oncall incident postmortem`: a Markdown draft from the incident's details and timeline.

    With `output` the draft is written there and recorded on the incident (its `postmortem` link is the
    file's path, `postmortem_state` Draft, one timeline entry); `publish` records where the postmortem now
    lives (state Published). A published postmortem is not turned back into a draft by a later `--output`.
    """
    if publish is not None:
        publish = publish.strip()
        if not publish.startswith(("https://", "http://")):
            raise UsageError(f"--publish: {publish!r} is not a link (https://...)")
    if output is not None and output.exists() and not force and not dry_run:
        raise UsageError(
            f"--output: {output} exists; it may hold your edits",
            hint="Pass --force to overwrite it, or choose another file.",
        )
    detail = show(ctx, ref)
    resolved_at = next((t.at for t in detail.timeline if t.text.startswith("Resolved: ")), None)
    if resolved_at is None and detail.incident.status in ("resolved", "closed"):
        resolved_at = detail.updated_at
    channel = f"#{detail.slack.channel_name}" if detail.slack.channel_name else detail.slack.channel_id
    components = list(detail.statuspage.components) if detail.statuspage else []
    data = text.PostmortemInput(
        number=detail.incident.number,
        message=detail.incident.message,
        priority=detail.incident.priority,
        status=detail.incident.status,
        created_at=detail.created_at,
        resolved_at=resolved_at,
        opsgenie_url=detail.incident.url,
        tracker=_tracker(ctx).service,
        description=detail.description,
        channel=channel,
        statuspage_url=detail.statuspage.url if detail.statuspage else None,
        components=components,
        commander=detail.roles.get("commander"),
        comms=detail.roles.get("comms"),
        responders=detail.responders,
        timeline=[text.TimelineLine(at=t.at, text=t.text) for t in detail.timeline],
        generated_at=ctx.now(),
        followups=[(t.key, t.summary, t.status, t.url) for t in detail.followups],
        reported_at=_iso(detail.details.get(D_REPORTED)),
    )
    markdown = text.postmortem_markdown(data)
    current = (detail.details.get(D_POSTMORTEM), detail.details.get(D_POSTMORTEM_STATE))
    warnings: list[str] = []
    wanted: tuple[str, str] | None = None
    if publish is not None:
        wanted = (publish, PUBLISHED)
    elif output is not None:
        wanted = (str(output.resolve()), DRAFT)
        if current[1] == PUBLISHED and current[0]:
            warnings.append(f"the postmortem is already published at {current[0]}; recorded as it is")
            wanted = None
    recorded = {"link": current[0], "state": current[1] or DRAFT} if current[0] else None
    entry = None
    if wanted is not None:
        state = "published" if wanted[1] == PUBLISHED else "draft"
        entry = record(POSTMORTEM_RECORDED, state=state, link=wanted[0])
        recorded = {"link": wanted[0], "state": wanted[1]}
    if dry_run:
        label = _tracker(ctx).service
        changes = []
        if output is not None:
            changes.append(Change("file", "write postmortem draft", str(output), {}))
        if wanted is not None and entry is not None:
            changes.append(Change(label, "add timeline entry", detail.incident.number, {"content": entry}))
            changes.append(
                Change(
                    label,
                    "add details",
                    detail.incident.number,
                    {D_POSTMORTEM: wanted[0], D_POSTMORTEM_STATE: wanted[1]},
                )
            )
        return DryRun(changes, warnings=warnings)
    if output is not None:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(markdown, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output: cannot write {output}: {exc.strerror}") from exc
    effects = Steps("postmortem")
    if wanted is not None and entry is not None:
        inc = find_incident(ctx, ref)
        tracker = _tracker(ctx)
        planned = [POSTMORTEM_ENTRY, POSTMORTEM_LINKS]
        link, state = wanted

        def timeline() -> bool:
            return _add_entry_once(ctx, inc, entry)

        def links() -> bool:
            if current == (link, state):
                return False
            tracker.set_links(inc, {D_POSTMORTEM: link, D_POSTMORTEM_STATE: state})
            return True

        # The entry first: a retry after a failed link write finds it and does not add it again.
        effects.run(POSTMORTEM_ENTRY, timeline, planned)
        effects.run(POSTMORTEM_LINKS, links, planned)
    return Postmortem(
        incident=detail.incident,
        path=str(output) if output else None,
        markdown=markdown,
        recorded=recorded,
        done=effects.done,
        skipped=effects.skipped,
        warnings=warnings,
    )


def _iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
