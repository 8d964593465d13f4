"""What the incident commands share: the incident tracker, the clients and the journal, input checks,
finding an incident and the links it holds, posting to Slack and writing the tracker's timeline once (a
re-run finds what an earlier run did), the checks made before a raise creates anything, and the errors that
say what was done when a command stops half-way.

The incident commands reach the tracker through `Context.incidents` (the `IncidentTracker` port) only:
Opsgenie or Jira Service Management, whichever the `backend` setting names."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from oncall_cli.errors import NotFoundError, PartialError, UsageError
from oncall_cli.services import incident_text as text
from oncall_cli.services.context import Context
from oncall_cli.services.incident.models import IncidentRef, SlackLinks, StatuspageLinks, StepView
from oncall_cli.services.incident_text import D_CHANNEL, D_CHANNEL_ID, D_THREAD
from oncall_cli.services.journal import UNFINISHED, Journal, Run, StepFailed, journal_path

if TYPE_CHECKING:
    from oncall_cli.clients.slack import SlackClient
    from oncall_cli.clients.slack_models import Message as SlackMessage
    from oncall_cli.clients.statuspage import StatuspageClient
    from oncall_cli.clients.statuspage_models import Component as SpComponent
    from oncall_cli.clients.statuspage_models import Incident as SpIncident
    from oncall_cli.services.ports import IncidentTracker, TrackedIncident

_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
# Slack errors meaning "we cannot read the history here": then a re-run posts rather than fail.
_NO_HISTORY = frozenset(
    {"unknown_method", "missing_scope", "not_in_channel", "channel_not_found", "thread_not_found"}
)

# ---- clients and journal ------------------------------------------------------------------------------

_CLIENTS = threading.Lock()


def _tracker(ctx: Context) -> IncidentTracker:
    with _CLIENTS:  # Context builds the tracker and clients lazily; concurrent steps must not build two
        return ctx.incidents


def _tracker_label(ctx: Context) -> str:
    """The tracker as `--dry-run` names the service a change goes to: the `backend` setting (`opsgenie`)."""
    return ctx.settings.backend


def _slack(ctx: Context) -> SlackClient:
    with _CLIENTS:
        return ctx.slack


def _sp(ctx: Context) -> StatuspageClient:
    with _CLIENTS:
        return ctx.statuspage


def open_journal(ctx: Context) -> Journal:
    return Journal(journal_path(ctx.deps.state_dir), now=ctx.now)


def _crash_hook(ctx: Context) -> frozenset[str]:
    value = ctx.deps.extra.get("crash_after_step")
    if not value:
        return frozenset()
    return frozenset([value]) if isinstance(value, str) else frozenset(value)


# ---- input checks -------------------------------------------------------------------------------------


def _check_email(value: str, flag: str) -> str:
    email = value.strip()
    if not _EMAIL.match(email):
        raise UsageError(f"{flag}: {value!r} is not an email address")
    return email


def _check_text(value: str | None, flag: str) -> str:
    if value is None or not value.strip():
        raise UsageError(f"{flag}: must not be empty")
    return value.strip()


def _check_url(value: str, flag: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{flag}: {value!r} is not an http(s) URL")
    return value.strip()


def _check_thread(value: str, flag: str = "--thread") -> tuple[str, str]:
    from oncall_cli.clients.slack import parse_thread_url

    try:
        return parse_thread_url(value)
    except UsageError as exc:
        raise UsageError(f"{flag}: {exc.message}", hint=exc.hint) from None


# Slack errors meaning "this thread link leads nowhere we can reply": a wrong link, or a thread that is gone.
_GONE = frozenset({"channel_not_found", "thread_not_found", "is_archived", "invalid_arguments"})


def _read_thread(ctx: Context, url: str, flag: str = "--thread") -> datetime | None:
    """Check, before anything is created, that a thread link leads to a message we can reply to; return
    when the thread's first message was posted (the report time), or None when Slack will not show the
    history to us (e.g. `missing_scope`: then the reply is still tried). A link to no channel or no
    message is bad input: UsageError naming `flag`."""
    from oncall_cli.clients.slack import SlackApiError

    channel, ts = _check_thread(url, flag)
    try:
        answer = _slack(ctx).conversations_replies(channel=channel, ts=ts, limit=1)
    except SlackApiError as exc:
        if exc.error in _GONE:
            raise UsageError(
                f"{flag}: {url} leads to no Slack thread we can reply to ({exc.error})",
                hint="Copy the link of the report in #incidents (its “Copy link”) and pass that.",
            ) from None
        if exc.error in _NO_HISTORY:
            return None
        raise
    if not answer.messages:
        return None
    first = answer.messages[0]
    return datetime.fromtimestamp(float(first.thread_ts or first.ts), UTC)


def _thread_gone(ctx: Context, url: str) -> str | None:
    """Why a linked #incidents thread cannot be replied to now (a wrong link, an archived or deleted
    channel, a deleted message), or None when it can: resolve and close then skip the reply with a warning
    rather than fail."""
    try:
        _read_thread(ctx, url, "slack_thread")
    except UsageError as exc:
        return exc.message
    return None


# ---- incidents and their links ------------------------------------------------------------------------

SP_INCIDENT_META = "opsgenie_incident_id"
"""The key of the tracker's incident id in a Statuspage incident's `{"oncall": {...}}` metadata. The name
stays what the first Statuspage incidents were opened with, so `resume` and `status update` find those."""


def _ref(inc: TrackedIncident) -> IncidentRef:
    return IncidentRef(
        id=inc.id,
        number=inc.number,
        message=inc.message,
        priority=inc.priority,
        status=inc.status,
        url=inc.url,
    )


def find_incident(ctx: Context, ref: str) -> TrackedIncident:
    """The incident for `ID`: its number (`42`, `#42`; `ITSM-30` on JSM) or the tracker's id for it."""
    return _tracker(ctx).get(ref)


def _links(inc: TrackedIncident) -> dict[str, str]:
    return dict(inc.links)


def _split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _slack_links(ctx: Context, details: Mapping[str, str]) -> SlackLinks:
    channel_id = details.get(D_CHANNEL_ID)
    return SlackLinks(
        channel_id=channel_id,
        channel_name=details.get(D_CHANNEL),
        channel_url=text.slack_channel_url(channel_id) if channel_id else None,
        thread_url=details.get(D_THREAD),
    )


def _page_id(ctx: Context) -> str:
    return ctx.settings.text("statuspage.page_id")


def _sp_links(ctx: Context, sp_inc: SpIncident, names: Mapping[str, str] | None = None) -> StatuspageLinks:
    by_id = dict(names or {})
    components = {by_id.get(c.id, c.name): str(c.status or "") for c in sp_inc.components}
    return StatuspageLinks(
        incident_id=sp_inc.id,
        url=text.statuspage_url(_page_id(ctx), sp_inc.id, sp_inc.shortlink),
        status=sp_inc.status,
        impact=sp_inc.impact_override or sp_inc.impact,
        components=components,
    )


def _step_sp_links(result: Mapping[str, Any]) -> StatuspageLinks | None:
    """The Statuspage links a workflow step recorded (None: the step made no Statuspage incident)."""
    if not result.get("id"):
        return None
    return StatuspageLinks(
        incident_id=result["id"],
        url=result["url"],
        status=result.get("status"),
        impact=result.get("impact"),
        components=dict(result.get("components", {})),
    )


def _find_statuspage(
    ctx: Context, incident_id: str, title: str | None = None, since: datetime | None = None
) -> SpIncident | None:
    """An unresolved Statuspage incident opened for this incident: by our metadata, else (when `title` is
    given) one with that name and no metadata opened since `since` (the run's start)."""
    for sp_inc in _sp(ctx).iter_unresolved_incidents():
        meta = (sp_inc.metadata or {}).get("oncall") or {}
        if isinstance(meta, dict) and meta.get(SP_INCIDENT_META) == incident_id:
            return sp_inc
        recent = since is None or sp_inc.created_at is None or sp_inc.created_at >= since
        if title is not None and not meta and sp_inc.name == title and recent:
            return sp_inc
    return None


def _channel_label(details: Mapping[str, str]) -> str:
    name = details.get(D_CHANNEL)
    return f"#{name}" if name else details.get(D_CHANNEL_ID, "")


# ---- done once: Slack messages and timeline entries ---------------------------------------------------


def _history(slack: SlackClient, channel: str, thread_ts: str | None = None) -> list[SlackMessage] | None:
    """Recent messages of a channel (or a thread), or None when Slack will not show them to us."""
    from oncall_cli.clients.slack import SlackApiError

    try:
        if thread_ts:
            answer = slack.conversations_replies(channel=channel, ts=thread_ts, limit=200)
        else:
            answer = slack.conversations_history(channel=channel, limit=200)
    except SlackApiError as exc:
        if exc.error in _NO_HISTORY:
            return None
        raise
    return list(answer.messages)


def _messages(slack: SlackClient, channel: str, thread_ts: str | None = None) -> list[str] | None:
    """Recent message texts of a channel (or a thread), or None when Slack will not show them to us."""
    found = _history(slack, channel, thread_ts)
    return None if found is None else [m.text or "" for m in found]


def _find_message(slack: SlackClient, channel: str, needle: str) -> SlackMessage | None:
    """The most recent message of a channel containing `needle`, if Slack shows it to us."""
    return next((m for m in _history(slack, channel) or [] if needle in (m.text or "")), None)


def _posted(slack: SlackClient, channel: str, needle: str, thread_ts: str | None = None) -> bool:
    """Whether a message containing `needle` is already there (so a re-run does not post twice)."""
    texts = _messages(slack, channel, thread_ts)
    return bool(texts) and any(needle in t for t in texts or [])


def _post(slack: SlackClient, channel: str, message: str, thread_ts: str | None = None) -> str:
    """Post; when the bot is not in a public channel (e.g. #incidents), join it and post again."""
    from oncall_cli.clients.slack import SlackApiError

    try:
        return slack.chat_post_message(channel=channel, text=message, thread_ts=thread_ts).ts
    except SlackApiError as exc:
        if exc.error != "not_in_channel":
            raise
    slack.conversations_join(channel=channel)
    return slack.chat_post_message(channel=channel, text=message, thread_ts=thread_ts).ts


def _post_once(
    ctx: Context,
    channel_id: str,
    message: str,
    thread_ts: str | None = None,
    *,
    needle: str | None = None,
    check: bool = True,
) -> dict[str, Any]:
    """Post `message` in a channel (or a thread) unless a message containing `needle` (by default the
    message itself) is already there, so that a re-run does not post twice. `check=False` posts without
    looking: a first attempt has nothing to find. Returns `{"reused": True}` when the message was there,
    else `{"ts": ..., "reused": False}` (a journaled step's result)."""
    slack = _slack(ctx)
    if check and _posted(slack, channel_id, message if needle is None else needle, thread_ts):
        return {"reused": True}
    return {"ts": _post(slack, channel_id, message, thread_ts), "reused": False}


def _mentions(emails: Iterable[str], ids: Mapping[str, str]) -> list[str]:
    return [f"<@{ids[e]}>" if e in ids else e for e in emails]


def _has_timeline_entry(
    tracker: IncidentTracker,
    incident: TrackedIncident,
    content: str,
    at: datetime | None = None,
    since: datetime | None = None,
) -> bool:
    for entry in tracker.timeline(incident):
        if entry.text.strip() != content.strip():
            continue
        when = entry.at
        if at is not None and when is not None and abs((when - at).total_seconds()) > 60:
            continue
        if since is not None and when is not None and when < since:
            continue
        return True
    return False


def _add_entry_once(
    ctx: Context,
    incident: TrackedIncident,
    content: str,
    *,
    time: datetime | None = None,
    at: datetime | None = None,
    since: datetime | None = None,
) -> bool:
    """Add a timeline entry (at `time`, a past time; by default now) unless the same text is already there
    (at about `at`, or since `since`); False when it was."""
    tracker = _tracker(ctx)
    if _has_timeline_entry(tracker, incident, content, at=at, since=since):
        return False
    tracker.add_entry(incident, content, time)
    return True


def _thread_post(
    ctx: Context, details: Mapping[str, str], message: str, warnings: list[str], *, needle: str | None = None
) -> bool:
    """Post `message` once in the incident's #incidents thread; False when it was there already, or when no
    thread is linked or it cannot be reached (then a warning says so: the rest of the command goes on)."""
    thread = details.get(D_THREAD)
    if not thread:
        return False
    gone = _thread_gone(ctx, thread)
    if gone is not None:
        warnings.append(f"not posted in the #incidents thread: {gone}")
        return False
    channel, ts = _check_thread(thread, D_THREAD)
    return not _post_once(ctx, channel, message, ts, needle=needle)["reused"]


# ---- what was done ------------------------------------------------------------------------------------


def _step_views(journal: Journal, run_id: str) -> list[StepView]:
    return [
        StepView(
            name=s.name,
            status=s.status,
            attempts=s.attempts,
            started_at=s.started_at,
            ended_at=s.ended_at,
            result=s.result,
            error=s.error,
        )
        for s in journal.steps(run_id)
    ]


def _partial(
    journal: Journal,
    run: Run,
    plan: Sequence[str],
    failures: Sequence[StepFailed],
    incident: IncidentRef | None,
) -> PartialError:
    """Mark the run partial and build the exit-10 error listing what was done and what was not."""
    steps = {s.name: s for s in journal.steps(run.id)}
    done = [n for n in plan if n in steps and steps[n].status in ("done", "skipped")]
    not_done = [n for n in plan if n not in done]
    failed = [{"step": f.step, "error": f.error.to_dict()} for f in failures]
    ref = (incident.number if incident else None) or run.id
    resume = f"oncall incident resume {ref}"
    error = {"failed": failed}
    journal.set_status(run.id, "partial", error)
    what = f"incident #{incident.number}" if incident else "the incident"
    first = failures[0]
    message = (
        f"{run.workflow} of {what} stopped: {len(failures)} step(s) failed "
        f"({', '.join(f.step for f in failures)}): {first.error.message}. "
        f"Done: {', '.join(done) or 'nothing'}. Not done: {', '.join(not_done)}."
    )
    details = {
        "run_id": run.id,
        "workflow": run.workflow,
        "incident": asdict(incident) if incident else None,
        "done": done,
        "not_done": not_done,
        "failed": failed,
        "resume": resume,
    }
    # Not the cause's "... then run the command again": a second raise is a duplicate; resume finishes it.
    return PartialError(message, hint=text.resume_hint(first.error.hint, resume), details=details)


# ---- checks before a raise creates anything -----------------------------------------------------------


def _service(ctx: Context, name: str | None) -> tuple[str, str]:
    """The service (or request type) the incident is raised on: (its id for the tracker, its name)."""
    return _tracker(ctx).check_service(name)


def _check_person(ctx: Context, email: str, flag: str) -> str:
    """The tracker's id for a person (a responder must be known to it), checked before anything is created."""
    return _tracker(ctx).check_user(email, flag)


def _components(ctx: Context, names: Sequence[str], warnings: list[str]) -> dict[str, str]:
    """Statuspage component ids by name; unknown names are an error before anything is created. When
    Statuspage cannot be reached now, the check moves into the Statuspage step (the tracker goes first)."""
    from oncall_cli.errors import RateLimitedError, UnavailableError

    if not names:
        return {}
    try:
        return {name: c.id for name, c in find_components(ctx, names).items()}
    except NotFoundError as exc:
        raise NotFoundError(f"--component: {exc.message}", hint=exc.hint, details=exc.details) from None
    except (UnavailableError, RateLimitedError) as exc:
        warnings.append(
            f"could not check the Statuspage components now ({exc.message}); the Statuspage "
            "step will look them up"
        )
        return {}


def find_components(ctx: Context, names: Sequence[str]) -> dict[str, SpComponent]:
    """The Statuspage components with these names (`StatuspageClient.find_components`), from one read of the
    page's components per run: the check before a raise and its Statuspage step share it."""
    sp = _sp(ctx)
    among = ctx.once("statuspage.components", lambda: list(sp.iter_components()))
    return sp.find_components(names, among=among)


def _duplicates(ctx: Context, journal: Journal | None, message: str) -> list[str]:
    """Incidents (any status), or unfinished raises, with the same message within the last 10 minutes."""
    since = ctx.now() - text.DUPLICATE_WINDOW
    wanted = message.strip().casefold()
    found: list[str] = []
    for inc in _tracker(ctx).since(since):
        if inc.message.strip().casefold() == wanted:
            found.append(f"incident #{inc.number} ({inc.status}) {inc.url}")
    if journal is not None:
        for run in journal.runs(profile=ctx.settings.profile, workflow="raise", statuses=UNFINISHED):
            if run.created >= since and run.message.strip().casefold() == wanted and not run.incident_id:
                found.append(f"an unfinished raise in the journal: `oncall incident resume {run.id}`")
    return found
