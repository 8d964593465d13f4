"""Slack Web API client: one method per Web API method, and pure helpers for channel names and thread links.

Base `https://slack.com/api/<method>`, header `Authorization: Bearer <token>`. Slack answers most failures
with HTTP 200 and `{"ok": false, "error": "<code>"}`; `_check_ok` (HttpService's `check=` hook) turns every
such answer into a typed `SlackApiError`, in one place. Read methods send query parameters (GET), write
methods a JSON body (POST). HTTP 429 + `Retry-After` and 5xx retries are HttpService's job.

Bot scopes (docs.slack.dev, May 2026): channels:manage / groups:write (create, setTopic, setPurpose, invite),
channels:join, channels:read / groups:read, channels:history (history, replies), im:write (open), chat:write,
users:read, users:read.email.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from oncall_cli.clients._http import HttpService, Runtime, paginate_cursor
from oncall_cli.clients.slack_models import (
    AuthTestResponse,
    Conversation,
    ConversationResponse,
    ConversationsListResponse,
    InviteResponse,
    InviteResult,
    MessagesResponse,
    OptionalConversationResponse,
    PermalinkResponse,
    PostMessageResponse,
    ScheduledMessage,
    ScheduledMessagesListResponse,
    ScheduleMessageResponse,
    UpdateMessageResponse,
    User,
    UserError,
    UserResponse,
    UsersListResponse,
)
from oncall_cli.errors import (
    AuthError,
    NotFoundError,
    OncallError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
    UnexpectedError,
    UsageError,
)
from oncall_cli.redaction import redact, register_secret

log = logging.getLogger("oncall.slack")

DOCS = "https://docs.slack.dev/reference/methods/"
CHANNEL_NAME_MAX = 80  # conversations.create: lowercase letters, digits, `-` and `_`, at most 80 characters
TOPIC_MAX = 250  # conversations.setTopic / setPurpose answer `too_long` above this
INVITE_BATCH = 100  # conversations.invite: "Up to 100 users may be listed" (the 2020 spec still says 1000)

ConversationType = Literal["public_channel", "private_channel", "mpim", "im"]

M = TypeVar("M", bound=BaseModel)


# ---- errors -----------------------------------------------------------------------------------------------

AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "missing_scope",
        "not_allowed_token_type",
    }
)
NOT_FOUND_ERRORS = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "thread_not_found",
        "message_not_found",
    }
)
# `ratelimited` is the common code; chat.postMessage documents `rate_limited` for its per-channel limit.
RATE_LIMITED_ERRORS = frozenset({"ratelimited", "rate_limited"})
# _common_errors.json: "likely due to a transient issue on our end" / "temporarily unavailable".
UNAVAILABLE_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable"})


class SlackApiError(OncallError):
    """Slack answered `ok: false`. `.error` is Slack's code, `.errors` the per-user failures (invite).

    Never raised bare: `slack_api_error` picks the subclass that also derives from the right error class,
    so `except SlackApiError` and `except NotFoundError` both work.
    """

    def __init__(
        self,
        message: str,
        *,
        error: str,
        method: str,
        errors: Sequence[UserError] = (),
        hint: str | None = None,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message, hint=hint, details=details)
        self.error = error
        self.method = method
        self.errors: list[UserError] = list(errors)


class SlackAuthError(SlackApiError, AuthError):
    """invalid_auth, not_authed, token_revoked, token_expired, account_inactive, missing_scope, ..."""


class SlackNotFoundError(SlackApiError, NotFoundError):
    """channel_not_found, user_not_found, users_not_found, thread_not_found, message_not_found."""


class SlackRateLimitedError(SlackApiError, RateLimitedError):
    """ratelimited (as `ok: false`; HTTP 429 is retried by HttpService)."""


class SlackUnavailableError(SlackApiError, UnavailableError):
    """internal_error, fatal_error, service_unavailable."""


class SlackRejectedError(SlackApiError, RejectedError):
    """Every other code: name_taken, not_in_channel, is_archived, too_long, invalid_name_*, ..."""


_HINTS = {
    "not_in_channel": "Invite the Slack app to the channel (`/invite @app`), or let it join a public one.",
    "is_archived": "The channel is archived: unarchive it in Slack or use another channel.",
    "name_taken": "A channel (maybe archived) already has that name: pick another one.",
    "users_not_found": "No Slack user has that email address; check the roster's email.",
    "channel_not_found": "Check the channel id, and that the Slack app can see the channel.",
    "not_authed": "No Slack token was sent: run `oncall auth login` or set the token's environment variable.",
}


def slack_api_error(body: Mapping[str, Any], *, method: str) -> SlackApiError:
    """The typed error for an `ok: false` answer of `method`, keeping Slack's code on `.error`."""
    # Codes and scope names never hold secrets, but the body is the server's: mask anything token-shaped.
    error = redact(str(body.get("error") or "unknown_error"))
    raw_errors = body.get("errors")
    errors: list[UserError] = []
    if isinstance(raw_errors, list):
        errors = [
            UserError(user=str(e["user"]) if e.get("user") else None, error=redact(str(e["error"])))
            for e in raw_errors
            if isinstance(e, dict) and e.get("error")
        ]
    cls: type[SlackApiError]
    if error in AUTH_ERRORS:
        cls = SlackAuthError
    elif error in NOT_FOUND_ERRORS:
        cls = SlackNotFoundError
    elif error in RATE_LIMITED_ERRORS:
        cls = SlackRateLimitedError
    elif error in UNAVAILABLE_ERRORS:
        cls = SlackUnavailableError
    else:
        cls = SlackRejectedError
    message = f"Slack {method} failed: {error}"
    hint = _HINTS.get(error)
    needed = redact(str(body["needed"])) if body.get("needed") else None
    if error == "missing_scope" and needed:
        message += f" (needs scope {needed})"
        hint = f"Add the `{needed}` bot scope to the Slack app and reinstall it to the workspace."
    if errors:
        message += " (" + ", ".join(f"{e.user or '?'}: {e.error}" for e in errors[:10]) + ")"
    details: dict[str, Any] = {"service": "Slack", "method": method, "error": error}
    if needed:
        details["needed"] = needed
    return cls(redact(message), error=error, method=method, errors=errors, hint=hint, details=details)


def _method_of(response: httpx.Response) -> str:
    return response.request.url.path.rsplit("/", 1)[-1]


def _check_ok(response: httpx.Response) -> None:
    """HttpService's success check: HTTP 2xx is not enough, Slack's body must say `"ok": true`."""
    method = _method_of(response)
    details = {"service": "Slack", "method": method, "status": response.status_code}
    try:
        body = response.json()
    except ValueError as exc:
        raise UnavailableError(
            f"Slack {method} answered HTTP {response.status_code} with a body that is not JSON",
            details=details,
        ) from exc
    if not isinstance(body, dict) or "ok" not in body:
        raise UnavailableError(
            f"Slack {method} answered with something that is not a Web API response", details=details
        )
    if body["ok"] is not True:
        raise slack_api_error(body, method=method)
    if body.get("warning"):
        # e.g. `missing_charset` (we send `application/json` without a charset) or join's `already_in_channel`
        log.debug("Slack %s warning: %s", method, body["warning"])


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _as_list(users: str | Sequence[str]) -> list[str]:
    items = [users] if isinstance(users, str) else list(users)
    seen: dict[str, None] = {}
    for item in items:
        for part in item.split(","):
            if part.strip():
                seen.setdefault(part.strip(), None)
    return list(seen)


def _parse(model: type[M], response: httpx.Response, method: str) -> M:
    try:
        return model.model_validate(response.json())
    except ValidationError as exc:
        first = exc.errors(include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UnexpectedError(
            f"Slack {method} answered in a shape we cannot read ({where}: {first['msg']})",
            details={"service": "Slack", "method": method},
        ) from exc


# ---- the client -------------------------------------------------------------------------------------------


class SlackClient:
    """Typed Slack Web API client over an injected `httpx.Client` (tests and the sandbox swap transports)."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        token: str | None,
        base_url: str = "https://slack.com/api",
        runtime: Runtime | None = None,
    ) -> None:
        register_secret(token)
        self._http = HttpService(
            name="Slack",
            client=client,
            base_url=base_url,
            auth=f"Bearer {token}" if token else None,
            runtime=runtime,
            check=_check_ok,
        )

    def _get(self, method: str, model: type[M], params: Mapping[str, Any]) -> M:
        response = self._http.request("GET", method, params=_drop_none(params), idempotent=True)
        return _parse(model, response, method)

    def _post(self, method: str, model: type[M], body: Mapping[str, Any], *, idempotent: bool = False) -> M:
        response = self._http.request("POST", method, json=_drop_none(body), idempotent=idempotent)
        return _parse(model, response, method)

    # -- auth

    def auth_test(self) -> AuthTestResponse:
        """GET auth.test — who the token is (a cheap credential check).

        https://docs.slack.dev/reference/methods/auth.test
        """
        return self._get("auth.test", AuthTestResponse, {})

    # -- conversations

    def conversations_create(
        self, *, name: str, is_private: bool = False, team_id: str | None = None
    ) -> Conversation:
        """POST conversations.create — create a channel named `name` (see `channel_slug`).

        https://docs.slack.dev/reference/methods/conversations.create

        `name_taken` (a `SlackRejectedError`) does not say which channel holds the name; it may be archived.
        """
        if not re.fullmatch(r"[a-z0-9_-]{1,80}", name) or not re.search(r"[a-z0-9]", name):
            raise UsageError(
                f"{name!r} is not a valid Slack channel name",
                hint="Use lowercase letters, digits, `-` and `_`, at most 80 characters.",
            )
        body = {"name": name, "is_private": is_private, "team_id": team_id}
        return self._post("conversations.create", ConversationResponse, body).channel

    def conversations_info(self, *, channel: str, include_num_members: bool = False) -> Conversation:
        """GET conversations.info — one conversation by id.

        https://docs.slack.dev/reference/methods/conversations.info
        """
        params = {"channel": channel, "include_num_members": True if include_num_members else None}
        return self._get("conversations.info", ConversationResponse, params).channel

    def conversations_list(
        self,
        *,
        types: str | Sequence[ConversationType] = ("public_channel",),
        exclude_archived: bool = False,
        limit: int = 200,
        cursor: str | None = None,
        team_id: str | None = None,
    ) -> ConversationsListResponse:
        """GET conversations.list — one page of conversations; `.next_cursor` is empty on the last page.

        https://docs.slack.dev/reference/methods/conversations.list
        """
        params = {
            "types": types if isinstance(types, str) else ",".join(types),
            "exclude_archived": True if exclude_archived else None,
            "limit": limit,
            "cursor": cursor or None,
            "team_id": team_id,
        }
        return self._get("conversations.list", ConversationsListResponse, params)

    def iter_conversations(
        self,
        *,
        types: str | Sequence[ConversationType] = ("public_channel",),
        exclude_archived: bool = False,
        limit: int = 200,
    ) -> Iterator[Conversation]:
        """Every conversation, reading conversations.list page by page until the cursor is empty.

        A page may be empty and still carry a cursor: only an empty `next_cursor` ends the list.
        """

        def fetch(cursor: str | None) -> tuple[list[Conversation], str | None]:
            page = self.conversations_list(
                types=types, exclude_archived=exclude_archived, limit=limit, cursor=cursor
            )
            return page.channels, page.next_cursor

        return paginate_cursor(fetch)

    def conversations_set_purpose(self, *, channel: str, purpose: str) -> Conversation | None:
        """POST conversations.setPurpose — the channel description, cut to 250 characters.

        https://docs.slack.dev/reference/methods/conversations.setPurpose
        """
        body = {"channel": channel, "purpose": truncate_text(purpose, TOPIC_MAX)}
        # Setting the same purpose twice has the same effect: safe to retry on 5xx.
        answer = self._post("conversations.setPurpose", OptionalConversationResponse, body, idempotent=True)
        return answer.channel

    def conversations_set_topic(self, *, channel: str, topic: str) -> Conversation | None:
        """POST conversations.setTopic — the channel topic, cut to 250 characters.

        https://docs.slack.dev/reference/methods/conversations.setTopic
        """
        body = {"channel": channel, "topic": truncate_text(topic, TOPIC_MAX)}
        answer = self._post("conversations.setTopic", OptionalConversationResponse, body, idempotent=True)
        return answer.channel

    def conversations_invite(
        self, *, channel: str, users: str | Sequence[str], force: bool = True
    ) -> InviteResult:
        """POST conversations.invite — invite users in batches of 100, tolerating `already_in_channel`.

        https://docs.slack.dev/reference/methods/conversations.invite

        Slack reports per-user failures as `errors: [{"user", "ok": false, "error"}]`. With `force=true`
        (Slack's default is false) it invites the valid ids and disregards the others; those land in
        `.failed` as `{user: error}`. Users already in the channel land in `.already_in_channel`. When an
        answer is `ok: false` only because of per-user failures, the batch is sent again without those users
        (such a call invites no one), so the others are still invited. With `force=False` any per-user
        failure other than `already_in_channel` raises. Errors about the channel itself always raise.
        """
        result = InviteResult(channel=channel)
        ids = _as_list(users)
        for start in range(0, len(ids), INVITE_BATCH):
            self._invite_batch(channel, ids[start : start + INVITE_BATCH], force, result)
        return result

    def _invite_batch(self, channel: str, batch: list[str], force: bool, result: InviteResult) -> None:
        remaining = list(batch)
        while remaining:
            body = {"channel": channel, "users": ",".join(remaining), "force": True if force else None}
            try:
                answer = self._post("conversations.invite", InviteResponse, body)
            except SlackApiError as exc:
                refused = {e.user: e.error for e in exc.errors if e.user in remaining}
                if not refused:
                    if exc.error != "already_in_channel":
                        raise
                    if len(remaining) == 1:
                        result.already_in_channel.append(remaining[0])
                        return
                    # Slack did not say who is already there: ask one user at a time.
                    for user in remaining:
                        self._invite_batch(channel, [user], force, result)
                    return
                if not force and any(error != "already_in_channel" for error in refused.values()):
                    raise
                self._record_refusals(refused, result)
                remaining = [u for u in remaining if u not in refused]
                continue
            refused = {e.user: e.error for e in answer.errors if e.user in remaining}
            self._record_refusals(refused, result)
            result.invited.extend(u for u in remaining if u not in refused)
            return

    @staticmethod
    def _record_refusals(refused: Mapping[str, str], result: InviteResult) -> None:
        for user, error in refused.items():
            if error == "already_in_channel":
                result.already_in_channel.append(user)
            else:
                result.failed[user] = error

    def conversations_join(self, *, channel: str) -> Conversation:
        """POST conversations.join — the app joins a public channel (a no-op with a warning if already in).

        https://docs.slack.dev/reference/methods/conversations.join
        """
        return self._post(
            "conversations.join", ConversationResponse, {"channel": channel}, idempotent=True
        ).channel

    def conversations_open(self, *, users: str | Sequence[str]) -> Conversation:
        """POST conversations.open — open (or find) the DM with one user, or a group DM with several.

        https://docs.slack.dev/reference/methods/conversations.open

        Post to the returned conversation's `id` to send a direct message.
        """
        body = {"users": ",".join(_as_list(users))}
        # Opening an open DM returns the same conversation (`already_open`): safe to retry.
        return self._post("conversations.open", ConversationResponse, body, idempotent=True).channel

    def conversations_history(
        self,
        *,
        channel: str,
        oldest: str | None = None,
        latest: str | None = None,
        inclusive: bool | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> MessagesResponse:
        """GET conversations.history — one page of a channel's messages, newest first.

        https://docs.slack.dev/reference/methods/conversations.history
        """
        params = {
            "channel": channel,
            "oldest": oldest,
            "latest": latest,
            "inclusive": inclusive,
            "limit": limit,
            "cursor": cursor or None,
        }
        return self._get("conversations.history", MessagesResponse, params)

    def conversations_replies(
        self,
        *,
        channel: str,
        ts: str,
        oldest: str | None = None,
        latest: str | None = None,
        inclusive: bool | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> MessagesResponse:
        """GET conversations.replies — one page of a thread, parent first (`thread_not_found` if none).

        https://docs.slack.dev/reference/methods/conversations.replies
        """
        params = {
            "channel": channel,
            "ts": ts,
            "oldest": oldest,
            "latest": latest,
            "inclusive": inclusive,
            "limit": limit,
            "cursor": cursor or None,
        }
        return self._get("conversations.replies", MessagesResponse, params)

    # -- chat

    def chat_post_message(
        self,
        *,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        blocks: Sequence[Mapping[str, Any]] | None = None,
        unfurl_links: bool = False,
        unfurl_media: bool | None = None,
        reply_broadcast: bool | None = None,
    ) -> PostMessageResponse:
        """POST chat.postMessage — post `text` (the notification and fallback text when `blocks` are given).

        https://docs.slack.dev/reference/methods/chat.postMessage

        Reply in a thread with `thread_ts` (the parent's `ts`). Not retried after it may have reached Slack:
        a retry could post twice.
        """
        body = {
            "channel": channel,
            "text": text,
            "thread_ts": thread_ts,
            "blocks": list(blocks) if blocks is not None else None,
            "unfurl_links": unfurl_links,
            "unfurl_media": unfurl_media,
            "reply_broadcast": reply_broadcast,
        }
        return self._post("chat.postMessage", PostMessageResponse, body)

    def chat_update(self, *, channel: str, ts: str, text: str) -> UpdateMessageResponse:
        """POST chat.update — replace the text of one of our messages (`ts`) in `channel`.

        https://docs.slack.dev/reference/methods/chat.update

        Setting the same text again changes nothing: safe to retry.
        """
        body = {"channel": channel, "ts": ts, "text": text}
        return self._post("chat.update", UpdateMessageResponse, body, idempotent=True)

    def chat_schedule_message(
        self,
        *,
        channel: str,
        text: str,
        post_at: int,
        thread_ts: str | None = None,
        blocks: Sequence[Mapping[str, Any]] | None = None,
        unfurl_links: bool = False,
    ) -> ScheduleMessageResponse:
        """POST chat.scheduleMessage — post `text` at the unix time `post_at` (replaces reminders.add).

        https://docs.slack.dev/reference/methods/chat.scheduleMessage

        Slack answers `time_in_past` / `time_too_far` (120 days) for a bad `post_at`.
        """
        body = {
            "channel": channel,
            "text": text,
            "post_at": int(post_at),
            "thread_ts": thread_ts,
            "blocks": list(blocks) if blocks is not None else None,
            "unfurl_links": unfurl_links,
        }
        return self._post("chat.scheduleMessage", ScheduleMessageResponse, body)

    def chat_scheduled_messages_list(
        self,
        *,
        channel: str | None = None,
        oldest: int | None = None,
        latest: int | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> ScheduledMessagesListResponse:
        """GET chat.scheduledMessages.list — one page of the messages scheduled by this token, soonest first.

        https://docs.slack.dev/reference/methods/chat.scheduledMessages.list

        `channel` keeps one conversation's messages; `oldest` / `latest` bound `post_at` (unix times).
        `.next_cursor` is empty on the last page.
        """
        params = {
            "channel": channel,
            "oldest": oldest,
            "latest": latest,
            "limit": limit,
            "cursor": cursor or None,
        }
        return self._get("chat.scheduledMessages.list", ScheduledMessagesListResponse, params)

    def iter_scheduled_messages(
        self,
        *,
        channel: str | None = None,
        oldest: int | None = None,
        latest: int | None = None,
        limit: int = 100,
    ) -> Iterator[ScheduledMessage]:
        """Every scheduled message, reading chat.scheduledMessages.list until the cursor is empty."""

        def fetch(cursor: str | None) -> tuple[list[ScheduledMessage], str | None]:
            page = self.chat_scheduled_messages_list(
                channel=channel, oldest=oldest, latest=latest, limit=limit, cursor=cursor
            )
            return page.scheduled_messages, page.next_cursor

        return paginate_cursor(fetch)

    def chat_get_permalink(self, *, channel: str, message_ts: str) -> str:
        """GET chat.getPermalink — the permanent URL of one message.

        https://docs.slack.dev/reference/methods/chat.getPermalink
        """
        params = {"channel": channel, "message_ts": message_ts}
        return self._get("chat.getPermalink", PermalinkResponse, params).permalink

    # -- users

    def users_lookup_by_email(self, *, email: str) -> User:
        """GET users.lookupByEmail — the user with this email (`users_not_found` otherwise).

        https://docs.slack.dev/reference/methods/users.lookupByEmail
        """
        return self._get("users.lookupByEmail", UserResponse, {"email": email}).user

    def users_list(
        self, *, limit: int = 200, cursor: str | None = None, team_id: str | None = None
    ) -> UsersListResponse:
        """GET users.list — one page of the workspace's users; `.next_cursor` is empty on the last page.

        https://docs.slack.dev/reference/methods/users.list
        """
        params = {"limit": limit, "cursor": cursor or None, "team_id": team_id}
        return self._get("users.list", UsersListResponse, params)

    def iter_users(self, *, limit: int = 200) -> Iterator[User]:
        """Every user, reading users.list page by page until the cursor is empty."""

        def fetch(cursor: str | None) -> tuple[list[User], str | None]:
            page = self.users_list(limit=limit, cursor=cursor)
            return page.members, page.next_cursor

        return paginate_cursor(fetch)

    def users_info(self, *, user: str) -> User:
        """GET users.info — one user by id.

        https://docs.slack.dev/reference/methods/users.info
        """
        return self._get("users.info", UserResponse, {"user": user}).user


# ---- pure helpers (no I/O) --------------------------------------------------------------------------------

_NOT_NAME_CHARS = re.compile(r"[^a-z0-9_-]+")
_DASH_RUNS = re.compile(r"-{2,}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_TS = re.compile(r"\d{10}\.\d{6}")
_PERMALINK_TS = re.compile(r"p(\d{10})(\d{6})")
_APP_THREAD = re.compile(r"([CGD][A-Z0-9]{2,})-(\d{10}\.\d{6})")


def _slugify(text: str) -> str:
    """Lowercase ASCII letters, digits, `-` and `_`; accents transliterated (NFKD), other runs become `-`."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _DASH_RUNS.sub("-", _NOT_NAME_CHARS.sub("-", stripped.lower()))


def channel_slug(text: str, *, prefix: str, max_len: int = CHANNEL_NAME_MAX) -> str:
    """A valid Slack channel name: `prefix` + a slug of `text`, at most `max_len` (≤ 80) characters.

    >>> channel_slug("Checkout API 500s!", prefix="inc-42-")
    'inc-42-checkout-api-500s'

    Raises UsageError when nothing usable is left (Slack refuses names of punctuation only).
    """
    if max_len < 1:
        raise ValueError("max_len must be at least 1")
    max_len = min(max_len, CHANNEL_NAME_MAX)
    head = _slugify(prefix).lstrip("-")
    body = _slugify(text).strip("-")
    name = _DASH_RUNS.sub("-", head + body) if body else head
    name = name[:max_len].strip("-")
    if not re.search(r"[a-z0-9]", name):
        raise UsageError(
            f"Cannot make a Slack channel name from {prefix + text!r}",
            hint="Give a title or prefix with some letters or digits.",
        )
    return name


def with_suffix(name: str, n: int) -> str:
    """`name-n`, cutting `name` so the result stays within 80 characters (for `name_taken` retries)."""
    suffix = f"-{n}"
    return name[: CHANNEL_NAME_MAX - len(suffix)].rstrip("-") + suffix


def _is_regional_indicator(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _continues_cluster(ch: str) -> bool:
    """Combining marks, joiners, variation selectors and skin tones belong to the character before them."""
    return bool(unicodedata.combining(ch)) or ch in "\u200d\ufe0e\ufe0f" or "\U0001f3fb" <= ch <= "\U0001f3ff"


def truncate_text(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with `…`, never inside a character sequence.

    The cut backs up to the start of an accented letter, emoji sequence or flag it would split, and drops a
    half-written `<...>` mention or link.
    """
    if len(text) <= limit:
        return text
    if limit < 1:
        return ""
    i = limit - 1  # text[i] is the first character dropped; room is left for the ellipsis
    while i > 0 and (_continues_cluster(text[i]) or text[i - 1] == "\u200d"):
        i -= 1
    run = 0
    while run < i and _is_regional_indicator(text[i - 1 - run]):
        run += 1
    if run % 2 and _is_regional_indicator(text[i]):  # a flag is a pair of regional indicators
        i -= 1
    cut = text[:i]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    return cut.rstrip() + "…"


def parse_thread_url(url: str) -> tuple[str, str]:
    """`(channel_id, thread_ts)` from a Slack message link.

    Accepts `https://<ws>.slack.com/archives/C0123ABC/p1700000000123456` (ts `1700000000.123456`), the
    reply form with `?thread_ts=<parent ts>&cid=...` (the thread is the parent), and the web client's
    `https://app.slack.com/client/T.../C0123ABC/thread/C0123ABC-1700000000.123456`.
    """
    bad = UsageError(
        f"Not a Slack thread link: {url!r}",
        hint="Use the message's “Copy link”, e.g. https://acme.slack.com/archives/C0123ABC/p1700000000123456",
    )
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not (host == "slack.com" or host.endswith(".slack.com")):
        raise bad
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 5 and segments[0] == "client" and segments[3] == "thread":
        match = _APP_THREAD.fullmatch(segments[4])
        if match and _CHANNEL_ID.fullmatch(segments[2]):
            return match[1], match[2]
        raise bad
    if len(segments) < 2 or segments[0] != "archives" or not _CHANNEL_ID.fullmatch(segments[1]):
        raise bad
    channel = segments[1]
    thread_ts = parse_qs(parts.query).get("thread_ts", [""])[0]
    if thread_ts:
        if not _TS.fullmatch(thread_ts):
            raise bad
        return channel, thread_ts
    if len(segments) == 3 and (match := _PERMALINK_TS.fullmatch(segments[2])):
        return channel, f"{match[1]}.{match[2]}"
    raise bad


def mention(user_id: str) -> str:
    """The mrkdwn mention of a user id: `<@U123>`."""
    if not _USER_ID.fullmatch(user_id):
        raise UsageError(f"{user_id!r} is not a Slack user id", hint="Slack user ids look like U0123ABCD.")
    return f"<@{user_id}>"
