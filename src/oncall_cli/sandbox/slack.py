"""The Slack Web API emulator: a bot's view of one workspace, over the sandbox's SQLite database.

Same semantics as `https://slack.com/api/<method>` (docs.slack.dev, May 2026; response shapes from
`slack_web_openapi_v2.json`):
- every answer is HTTP 200 with `{"ok": true, ...}` or `{"ok": false, "error": "<code>"}`; an unknown method
  is HTTP 404 `unknown_method`;
- arguments come from the query string and/or a form or JSON body, whatever the method (Slack reads both);
- the token is the app's bot user (`BOT_USER_ID`): it sees public channels and the private ones it is in,
  can post only where it is a member (`not_in_channel`), and is a member of what it creates or joins;
- lists page with an opaque `cursor` and `limit`; `response_metadata.next_cursor` is "" on the last page.
  conversations.list pages over every conversation *before* filtering by `types`, so a page may be short
  or even empty while the cursor says there is more, as on the real API;
- message timestamps (`ts`, "1700000000.000100") come from `ctx.now`, unique and increasing;
- joining, being invited, topic and purpose changes leave `channel_join` / `channel_topic` /
  `channel_purpose` messages in the history, like Slack; scheduled messages are posted when a request
  arrives at or after their `post_at`.

Seed: one user per seed person (same email, name and time zone), the bot, the user group `@engineering`,
and the channels #incidents, #dev and #alerts (the bot is in all three); #incidents has an on-call topic
and a few messages, one of them a thread with replies.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from oncall_cli.sandbox.base import (
    Ctx,
    SeedPerson,
    has_auth,
    json_response,
    new_id,
    parse_body,
    query_params,
)

TEAM_ID = "T0SANDBOX01"
TEAM_NAME = "Artsy Sandbox"
WORKSPACE_URL = "https://sandbox.slack.com/"
BOT_USER_ID = "U0ONCALLBOT"
BOT_ID = "B0ONCALLBOT"
APP_ID = "A0ONCALLAPP"
BOT_NAME = "oncall"
SEED_CHANNELS = ("incidents", "dev", "alerts")
INCIDENT_CHANNEL_PREFIX = "inc-"

NAME_MAX = 80  # conversations.create / rename
TOPIC_MAX = 250  # conversations.setTopic / setPurpose: `too_long` above
INVITE_MAX = 100  # conversations.invite: "Up to 100 users may be listed" (docs, 2026)
TEXT_MAX = 40_000  # chat.postMessage truncates longer text; we refuse it as msg_too_long
SCHEDULE_MAX_AHEAD = timedelta(days=120)  # chat.scheduleMessage: `time_too_far` beyond

_NAME_CHARS = re.compile(r"^[a-z0-9_-]+$")
_HAS_ALNUM = re.compile(r"[a-z0-9]")
_TS_RE = re.compile(r"^\d{1,10}(\.\d{1,6})?$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_IMAGE = "https://sandbox.slack.com/avatars/{}_{}.png"
_BOT_ICONS = {size: f"https://sandbox.slack.com/avatars/bot_{size[-2:]}.png"
              for size in ("image_36", "image_48", "image_72")}

Args = dict[str, Any]
Body = dict[str, Any]


class SlackError(Exception):
    """An `ok: false` answer: Slack's error code and any extra fields (`errors`, `needed`...)."""

    def __init__(self, error: str, **extra: Any):
        super().__init__(error)
        self.error = error
        self.extra = extra


# ---- small helpers ---------------------------------------------------------------------------------------


def _rows(db: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = db.execute(sql, tuple(params))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _row(db: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    found = _rows(db, sql, params)
    return found[0] if found else None


def _micros(dt: datetime) -> int:
    return (dt - _EPOCH) // timedelta(microseconds=1)


def _fmt_ts(us: int) -> str:
    return f"{us // 1_000_000:010d}.{us % 1_000_000:06d}"


def _parse_ts(value: str) -> int | None:
    """Slack's "1700000000.000100" as microseconds (None if it is not a timestamp)."""
    text = value.strip()
    if not _TS_RE.match(text):
        return None
    whole, _, frac = text.partition(".")
    return int(whole) * 1_000_000 + int((frac + "000000")[:6])


def _encode_cursor(kind: str, value: str) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def _decode_cursor(cursor: str, kind: str) -> str:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise SlackError("invalid_cursor") from None
    head, sep, value = text.partition(":")
    if not sep or head != kind or not value:
        raise SlackError("invalid_cursor")
    return value


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() in ("true", "1", "yes")


class _ArgReader:
    """Typed access to a method's arguments (query + form/JSON), refusing like Slack does."""

    def __init__(self, args: Args):
        self.args = args

    def text(self, name: str, *, allow_json: bool = False) -> str | None:
        value = self.args.get(name)
        if value is None:
            return None
        if isinstance(value, list | dict):
            if allow_json:
                return json.dumps(value)
            raise SlackError("invalid_array_arg")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.args.get(name)
        if value is None or value == "":
            return default
        return _truthy(value)

    def number(self, name: str, default: int, *, error: str = "invalid_arguments") -> int:
        value = self.args.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise SlackError(error)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise SlackError(error) from None

    def json_list(self, name: str) -> list[Any] | None:
        """`blocks` / `attachments`: a JSON array, sent as a real array (JSON body) or a string (form)."""
        value = self.args.get(name)
        if value is None or value == "":
            return None
        bad = "invalid_blocks_format" if name == "blocks" else "invalid_arguments"
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise SlackError(bad) from None
        if not isinstance(value, list):
            raise SlackError(bad)
        if name == "blocks" and not all(isinstance(b, dict) and isinstance(b.get("type"), str)
                                        for b in value):
            raise SlackError("invalid_blocks")
        return value


def _check_channel_name(name: str | None) -> str:
    """conversations.create / rename naming rules (docs: lowercase letters, digits, `-`, `_`, ≤ 80)."""
    if name is None or name.strip() == "":
        raise SlackError("invalid_name_required")
    if len(name) > NAME_MAX:
        raise SlackError("invalid_name_maxlength")
    if not _NAME_CHARS.match(name):
        raise SlackError("invalid_name_specials")
    if not _HAS_ALNUM.search(name):
        raise SlackError("invalid_name_punctuation")
    return name


def _tz_fields(tz: str | None, now: datetime) -> dict[str, Any]:
    if not tz:
        return {"tz": None, "tz_label": "", "tz_offset": 0}
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return {"tz": tz, "tz_label": tz, "tz_offset": 0}
    local = now.astimezone(zone)
    offset = local.utcoffset() or timedelta(0)
    return {"tz": tz, "tz_label": local.tzname() or tz, "tz_offset": int(offset.total_seconds())}


# ---- the emulator ----------------------------------------------------------------------------------------


_SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS slack_users (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL, real_name TEXT NOT NULL,
    email TEXT, tz TEXT, title TEXT NOT NULL DEFAULT '', color TEXT NOT NULL DEFAULT '9f69e7',
    is_bot INTEGER NOT NULL DEFAULT 0, bot_id TEXT, deleted INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS slack_users_email ON slack_users (email COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS slack_channels (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT UNIQUE, kind TEXT NOT NULL,
    is_private INTEGER NOT NULL DEFAULT 0, is_archived INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL, creator TEXT NOT NULL, im_user TEXT,
    topic TEXT NOT NULL DEFAULT '', topic_creator TEXT NOT NULL DEFAULT '',
    topic_last_set INTEGER NOT NULL DEFAULT 0,
    purpose TEXT NOT NULL DEFAULT '', purpose_creator TEXT NOT NULL DEFAULT '',
    purpose_last_set INTEGER NOT NULL DEFAULT 0, previous_names TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS slack_members (
    channel_id TEXT NOT NULL, user_id TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (channel_id, user_id));
CREATE TABLE IF NOT EXISTS slack_messages (
    channel_id TEXT NOT NULL, ts TEXT NOT NULL, ts_us INTEGER NOT NULL, user TEXT NOT NULL,
    bot_id TEXT, subtype TEXT, text TEXT NOT NULL, thread_ts TEXT, broadcast INTEGER NOT NULL DEFAULT 0,
    blocks TEXT, extra TEXT, edited_ts TEXT, pinned INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, ts));
CREATE INDEX IF NOT EXISTS slack_messages_thread ON slack_messages (channel_id, thread_ts);
CREATE TABLE IF NOT EXISTS slack_scheduled (
    id TEXT PRIMARY KEY, channel_id TEXT NOT NULL, post_at INTEGER NOT NULL, date_created INTEGER NOT NULL,
    text TEXT NOT NULL, thread_ts TEXT, blocks TEXT, broadcast INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS slack_usergroups (
    id TEXT PRIMARY KEY, handle TEXT NOT NULL, name TEXT NOT NULL, users TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS slack_bookmarks (
    id TEXT PRIMARY KEY, channel_id TEXT NOT NULL, title TEXT NOT NULL, type TEXT NOT NULL,
    link TEXT, emoji TEXT, created INTEGER NOT NULL);
"""


def _open_channel(call: _Call, a: _ArgReader) -> dict[str, Any]:
    """The `channel` argument as a visible, unarchived channel (not a DM), or Slack's error for it."""
    channel = call.visible_channel(a.text("channel"))
    if channel["kind"] != "channel":
        raise SlackError("method_not_supported_for_channel_type")
    if channel["is_archived"]:
        raise SlackError("is_archived")
    return channel


class SlackEmulator:
    """Slack's Web API as the `oncall` bot sees it (see the module docstring)."""

    prefix = "slack"

    def __init__(self) -> None:
        self._methods: dict[str, Callable[[_Call, _ArgReader], Body]] = {
            "auth.test": self._auth_test,
            "bookmarks.add": self._bookmarks_add,
            "chat.deleteScheduledMessage": self._chat_delete_scheduled,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.postMessage": self._chat_post_message,
            "chat.scheduleMessage": self._chat_schedule_message,
            "chat.scheduledMessages.list": self._chat_scheduled_list,
            "chat.update": self._chat_update,
            "conversations.archive": self._conversations_archive,
            "conversations.create": self._conversations_create,
            "conversations.history": self._conversations_history,
            "conversations.info": self._conversations_info,
            "conversations.invite": self._conversations_invite,
            "conversations.join": self._conversations_join,
            "conversations.list": self._conversations_list,
            "conversations.members": self._conversations_members,
            "conversations.open": self._conversations_open,
            "conversations.rename": self._conversations_rename,
            "conversations.replies": self._conversations_replies,
            "conversations.setPurpose": self._conversations_set_purpose,
            "conversations.setTopic": self._conversations_set_topic,
            "conversations.unarchive": self._conversations_unarchive,
            "pins.add": self._pins_add,
            "reminders.add": self._reminders_add,
            "usergroups.users.list": self._usergroups_users_list,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
        }

    @property
    def methods(self) -> list[str]:
        """The Web API methods this emulator answers."""
        return sorted(self._methods)

    # ---- ServiceEmulator ---------------------------------------------------------------------------

    def create_schema(self, db: sqlite3.Connection) -> None:
        db.executescript(_SCHEMA)

    def operation(self, method: str, path: str) -> str | None:
        name = path.strip("/")
        if method.upper() not in ("GET", "POST") or name not in self._methods:
            return None
        return name

    def handle(self, ctx: Ctx, request: httpx.Request, path: str) -> httpx.Response:
        name = path.strip("/")
        headers = {"x-slack-req-id": ctx.request_id} if ctx.request_id else None
        if name not in self._methods:
            return json_response(404, {"ok": False, "error": "unknown_method"}, headers)
        if not has_auth(request, "Bearer"):
            return json_response(200, {"ok": False, "error": "not_authed"}, headers)
        try:
            args: Args = query_params(request)
            body = parse_body(request)
        except (ValueError, UnicodeDecodeError):
            return json_response(200, {"ok": False, "error": "invalid_json"}, headers)
        if isinstance(body, dict):
            args.update(body)
        elif body is not None:
            return json_response(200, {"ok": False, "error": "json_not_object"}, headers)
        call = _Call(ctx.db, ctx.now, ctx.rng)
        call.deliver_due()
        try:
            answer = self._methods[name](call, _ArgReader(args))
        except SlackError as exc:
            return json_response(200, {"ok": False, "error": exc.error, **exc.extra}, headers)
        return json_response(200, {"ok": True, **answer}, headers)

    def seed(self, db: sqlite3.Connection, rng: random.Random, people: Sequence[SeedPerson],
             now: datetime) -> None:
        call = _Call(db, now, rng)
        call.seed(people)

    def status(self, db: sqlite3.Connection) -> dict[str, Any]:
        channels = _rows(db, "SELECT name, is_archived FROM slack_channels WHERE kind = 'channel' "
                             "ORDER BY seq")
        incident = [c["name"] for c in channels if str(c["name"]).startswith(INCIDENT_CHANNEL_PREFIX)]
        count = _row(db, "SELECT COUNT(*) AS n FROM slack_messages WHERE subtype IS NULL "
                         "OR subtype NOT IN ('channel_join', 'channel_topic', 'channel_purpose', "
                         "'channel_archive', 'channel_unarchive', 'channel_name')")
        scheduled = _row(db, "SELECT COUNT(*) AS n FROM slack_scheduled")
        users = _row(db, "SELECT COUNT(*) AS n FROM slack_users WHERE is_bot = 0")
        # The latest report in #incidents, as a thread link to practise `incident raise --thread` with.
        report = _row(db, "SELECT m.channel_id, m.ts FROM slack_messages m JOIN slack_channels c "
                          "ON c.id = m.channel_id WHERE c.name = 'incidents' AND m.thread_ts IS NULL "
                          "AND m.subtype IS NULL ORDER BY m.ts_us DESC LIMIT 1")
        thread = None
        if report:
            ts = str(report["ts"]).replace(".", "")
            thread = f"https://sandbox.slack.com/archives/{report['channel_id']}/p{ts}"
        return {
            "incidents_thread": thread,
            "channels": len(channels),
            "archived_channels": sum(1 for c in channels if c["is_archived"]),
            "incident_channels": incident,
            "messages": int(count["n"]) if count else 0,
            "scheduled_messages": int(scheduled["n"]) if scheduled else 0,
            "users": int(users["n"]) if users else 0,
        }

    # ---- auth ----------------------------------------------------------------------------------------

    def _auth_test(self, call: _Call, a: _ArgReader) -> Body:
        return {"url": WORKSPACE_URL, "team": TEAM_NAME, "user": BOT_NAME, "team_id": TEAM_ID,
                "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    # ---- conversations -------------------------------------------------------------------------------

    def _conversations_create(self, call: _Call, a: _ArgReader) -> Body:
        name = _check_channel_name(a.text("name"))
        if call.channel_by_name(name) is not None:
            raise SlackError("name_taken")  # the real API does not say which channel holds the name
        channel_id = call.create_channel(name, is_private=a.flag("is_private"), creator=BOT_USER_ID)
        call.add_member(channel_id, BOT_USER_ID)
        # like Slack, a new channel's history starts with its creator joining
        call.post(channel_id, BOT_USER_ID, f"<@{BOT_USER_ID}> has joined the channel", subtype="channel_join")
        return {"channel": call.conversation_json(call.channel(channel_id))}

    def _conversations_info(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.visible_channel(a.text("channel"))
        return {"channel": call.conversation_json(channel, num_members=a.flag("include_num_members"))}

    def _conversations_list(self, call: _Call, a: _ArgReader) -> Body:
        raw_types = a.text("types") or "public_channel"
        types = {t.strip() for t in raw_types.split(",") if t.strip()}
        if not types or not types <= {"public_channel", "private_channel", "mpim", "im"}:
            raise SlackError("invalid_types")
        limit = a.number("limit", 100, error="invalid_limit")
        if limit < 0:
            raise SlackError("invalid_limit")
        limit = min(limit or 100, 1000)
        exclude_archived = a.flag("exclude_archived")
        start_seq = 0
        cursor = a.text("cursor")
        if cursor:
            found = call.db.execute("SELECT seq FROM slack_channels WHERE id = ?",
                                    (_decode_cursor(cursor, "channel"),)).fetchone()
            if found is None:
                raise SlackError("invalid_cursor")
            start_seq = int(found[0])
        # Like Slack, page over every conversation the bot can see, then filter by type: a page may be
        # short (or empty) while `next_cursor` still says there is more.
        window = _rows(call.db, "SELECT * FROM slack_channels WHERE seq >= ? AND (kind = 'channel' AND "
                                "is_private = 0 OR id IN (SELECT channel_id FROM slack_members "
                                "WHERE user_id = ?)) ORDER BY seq LIMIT ?",
                       (start_seq, BOT_USER_ID, limit + 1))
        page, rest = window[:limit], window[limit:]
        channels = [call.conversation_json(c, num_members=c["kind"] != "im") for c in page
                    if _conv_type(c) in types and not (exclude_archived and c["is_archived"])]
        next_cursor = _encode_cursor("channel", rest[0]["id"]) if rest else ""
        return {"channels": channels, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_members(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.visible_channel(a.text("channel"))
        limit = a.number("limit", 100, error="invalid_limit")
        if limit < 0 or limit > 1000:
            raise SlackError("invalid_limit")
        limit = limit or 100
        start = 0
        cursor = a.text("cursor")
        if cursor:
            user = _decode_cursor(cursor, "user")
            found = call.db.execute("SELECT seq FROM slack_members WHERE channel_id = ? AND user_id = ?",
                                    (channel["id"], user)).fetchone()
            if found is None:
                raise SlackError("invalid_cursor")
            start = int(found[0])
        rows = _rows(call.db, "SELECT user_id, seq FROM slack_members WHERE channel_id = ? AND seq >= ? "
                              "ORDER BY seq LIMIT ?", (channel["id"], start, limit + 1))
        page, rest = rows[:limit], rows[limit:]
        next_cursor = _encode_cursor("user", rest[0]["user_id"]) if rest else ""
        return {"members": [r["user_id"] for r in page], "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_set_topic(self, call: _Call, a: _ArgReader) -> Body:
        return self._set_topic_or_purpose(call, a, "topic")

    def _conversations_set_purpose(self, call: _Call, a: _ArgReader) -> Body:
        return self._set_topic_or_purpose(call, a, "purpose")

    def _set_topic_or_purpose(self, call: _Call, a: _ArgReader, field: str) -> Body:
        channel = call.visible_channel(a.text("channel"))
        if channel["kind"] == "im":
            raise SlackError("method_not_supported_for_channel_type")
        if channel["is_archived"]:
            raise SlackError("is_archived")
        if not call.is_member(channel["id"], BOT_USER_ID):
            raise SlackError("not_in_channel")
        value = a.text(field) or ""
        if len(value) > TOPIC_MAX:
            raise SlackError("too_long")
        if value != channel[field]:
            now = call.now_s()
            call.db.execute(f"UPDATE slack_channels SET {field} = ?, {field}_creator = ?, "
                            f"{field}_last_set = ? WHERE id = ?", (value, BOT_USER_ID, now, channel["id"]))
            verb = f"set the channel {field}: {value}" if value else f"cleared the channel {field}"
            call.post(channel["id"], BOT_USER_ID, f"<@{BOT_USER_ID}> {verb}", subtype=f"channel_{field}",
                      extra={field: value})
        return {"channel": call.conversation_json(call.channel(channel["id"]))}

    def _conversations_invite(self, call: _Call, a: _ArgReader) -> Body:
        channel = _open_channel(call, a)
        if not call.is_member(channel["id"], BOT_USER_ID):
            raise SlackError("not_in_channel")
        raw = a.text("users") or ""
        users = [u.strip() for u in raw.split(",") if u.strip()]
        if not users:
            raise SlackError("no_user")
        if len(users) > INVITE_MAX:
            raise SlackError("too_many_users")
        force = a.flag("force")
        failures: list[dict[str, Any]] = []
        valid: list[str] = []
        for user_id in dict.fromkeys(users):
            user = call.user(user_id)
            if user is None or user["deleted"]:
                error = "user_not_found"
            elif user_id == BOT_USER_ID:
                error = "cant_invite_self"
            elif call.is_member(channel["id"], user_id):
                error = "already_in_channel"
            else:
                valid.append(user_id)
                continue
            failures.append({"user": user_id, "ok": False, "error": error})
        # docs: "Users who can be successfully invited ... will not be invited if any of the user invites
        # fail": the answer is the first failure plus `errors: [{user, ok, error}]`, and no one is invited.
        # `force=true` "continue[s] inviting the valid ones while disregarding invalid IDs": a success that
        # names no one (the success schema has no `errors`; the docs do not say more).
        if failures and not (force and valid):
            raise SlackError(failures[0]["error"], errors=failures)
        for user_id in valid:
            call.add_member(channel["id"], user_id)
            call.post(channel["id"], user_id, f"<@{user_id}> has joined the channel", subtype="channel_join",
                      extra={"inviter": BOT_USER_ID})
        return {"channel": call.conversation_json(call.channel(channel["id"]))}

    def _conversations_join(self, call: _Call, a: _ArgReader) -> Body:
        channel = _open_channel(call, a)
        if call.is_member(channel["id"], BOT_USER_ID):
            return {"channel": call.conversation_json(channel), "warning": "already_in_channel",
                    "response_metadata": {"warnings": ["already_in_channel"]}}
        if channel["is_private"]:
            raise SlackError("channel_not_found")
        call.add_member(channel["id"], BOT_USER_ID)
        call.post(channel["id"], BOT_USER_ID, f"<@{BOT_USER_ID}> has joined the channel",
                  subtype="channel_join")
        return {"channel": call.conversation_json(call.channel(channel["id"]))}

    def _conversations_open(self, call: _Call, a: _ArgReader) -> Body:
        channel_arg = a.text("channel")
        return_im = a.flag("return_im")
        if channel_arg:
            channel = call.visible_channel(channel_arg)
            if channel["kind"] == "channel":
                raise SlackError("method_not_supported_for_channel_type")
            return {"no_op": True, "already_open": True,
                    "channel": call.conversation_json(channel) if return_im else {"id": channel["id"]}}
        users = [u.strip() for u in (a.text("users") or "").split(",") if u.strip()]
        users = [u for u in dict.fromkeys(users) if u != BOT_USER_ID]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 8:
            raise SlackError("too_many_users")
        for user_id in users:
            user = call.user(user_id)
            if user is None:
                raise SlackError("user_not_found")
            if user["deleted"]:
                raise SlackError("user_disabled")
        if len(users) == 1:
            channel_id, existed = call.open_im(users[0])
        else:
            channel_id, existed = call.open_mpim(users)
        channel = call.channel(channel_id)
        body: Body = {"channel": call.conversation_json(channel) if return_im else {"id": channel_id}}
        if existed:
            body.update({"no_op": True, "already_open": True})
        return body

    def _conversations_history(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.visible_channel(a.text("channel"))
        limit = min(max(a.number("limit", 100, error="invalid_limit"), 0) or 100, 999)
        inclusive = a.flag("inclusive")
        latest = _bound(a.text("latest"), "invalid_ts_latest")
        oldest = _bound(a.text("oldest"), "invalid_ts_oldest")
        cursor = a.text("cursor")
        upper = latest
        upper_inclusive = inclusive
        if cursor:
            value = _decode_cursor(cursor, "next_ts")
            if not value.isdigit():
                raise SlackError("invalid_cursor")
            upper, upper_inclusive = int(value), True
        sql = "SELECT * FROM slack_messages WHERE channel_id = ? AND (thread_ts IS NULL OR broadcast = 1)"
        params: list[Any] = [channel["id"]]
        if upper is not None:
            sql += " AND ts_us <= ?" if upper_inclusive else " AND ts_us < ?"
            params.append(upper)
        if oldest is not None:
            sql += " AND ts_us >= ?" if inclusive else " AND ts_us > ?"
            params.append(oldest)
        sql += " ORDER BY ts_us DESC LIMIT ?"
        params.append(limit + 1)
        rows = _rows(call.db, sql, params)
        page, rest = rows[:limit], rows[limit:]
        pins = call.db.execute("SELECT COUNT(*) FROM slack_messages WHERE channel_id = ? AND pinned = 1",
                               (channel["id"],)).fetchone()
        body: Body = {"messages": [call.message_json(m) for m in page], "has_more": bool(rest),
                      "pin_count": int(pins[0]) if pins else 0, "channel_actions_ts": None,
                      "channel_actions_count": 0}
        if rest:
            body["response_metadata"] = {"next_cursor": _encode_cursor("next_ts", str(rest[0]["ts_us"]))}
        return body

    def _conversations_replies(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.visible_channel(a.text("channel"))
        ts = a.text("ts")
        if not ts:
            raise SlackError("thread_not_found")
        message = call.message(channel["id"], ts)
        if message is None:
            raise SlackError("thread_not_found")
        if message["thread_ts"] is not None and message["thread_ts"] != message["ts"]:
            # a reply's ts gives that reply alone
            return {"messages": [call.reply_json(message)], "has_more": False}
        limit = min(max(a.number("limit", 1000, error="invalid_limit"), 0) or 1000, 1000)
        inclusive = a.flag("inclusive", True)
        latest = _bound(a.text("latest"), "invalid_ts_latest")
        oldest = _bound(a.text("oldest"), "invalid_ts_oldest")
        start: int | None = None
        cursor = a.text("cursor")
        if cursor:
            value = _decode_cursor(cursor, "next_ts")
            if not value.isdigit():
                raise SlackError("invalid_cursor")
            start = int(value)
        sql = "SELECT * FROM slack_messages WHERE channel_id = ? AND thread_ts = ?"
        params: list[Any] = [channel["id"], message["ts"]]
        if start is not None:
            sql += " AND ts_us >= ?"
            params.append(start)
        if latest is not None:
            sql += " AND ts_us <= ?" if inclusive else " AND ts_us < ?"
            params.append(latest)
        if oldest is not None:
            sql += " AND ts_us >= ?" if inclusive else " AND ts_us > ?"
            params.append(oldest)
        sql += " ORDER BY ts_us LIMIT ?"
        # Each page starts with the parent, then up to `limit - 1` replies (Slack counts the parent).
        per_page = max(limit - 1, 1)
        params.append(per_page + 1)
        replies = _rows(call.db, sql, params)
        page, rest = replies[:per_page], replies[per_page:]
        body: Body = {"messages": [call.parent_json(message), *(call.reply_json(r) for r in page)],
                      "has_more": bool(rest)}
        if rest:
            body["response_metadata"] = {"next_cursor": _encode_cursor("next_ts", str(rest[0]["ts_us"]))}
        return body

    def _conversations_archive(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.visible_channel(a.text("channel"))
        if channel["kind"] != "channel":
            raise SlackError("method_not_supported_for_channel_type")
        if channel["is_archived"]:
            raise SlackError("already_archived")
        if not call.is_member(channel["id"], BOT_USER_ID):
            raise SlackError("not_in_channel")
        call.post(channel["id"], BOT_USER_ID, f"<@{BOT_USER_ID}> archived the channel",
                  subtype="channel_archive")
        call.db.execute("UPDATE slack_channels SET is_archived = 1 WHERE id = ?", (channel["id"],))
        call.db.execute("DELETE FROM slack_scheduled WHERE channel_id = ?", (channel["id"],))
        return {}

    def _conversations_unarchive(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.visible_channel(a.text("channel"))
        if channel["kind"] != "channel":
            raise SlackError("method_not_supported_for_channel_type")
        if not channel["is_archived"]:
            raise SlackError("not_archived")
        call.db.execute("UPDATE slack_channels SET is_archived = 0 WHERE id = ?", (channel["id"],))
        call.post(channel["id"], BOT_USER_ID, f"<@{BOT_USER_ID}> un-archived the channel",
                  subtype="channel_unarchive")
        return {}

    def _conversations_rename(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.visible_channel(a.text("channel"))
        if channel["kind"] != "channel":
            raise SlackError("method_not_supported_for_channel_type")
        if channel["is_archived"]:
            raise SlackError("is_archived")
        if not call.is_member(channel["id"], BOT_USER_ID):
            raise SlackError("not_in_channel")
        name = _check_channel_name(a.text("name"))
        if name != channel["name"]:
            holder = call.channel_by_name(name)
            if holder is not None:
                raise SlackError("name_taken")
            previous = [channel["name"], *json.loads(channel["previous_names"])]
            call.db.execute("UPDATE slack_channels SET name = ?, previous_names = ? WHERE id = ?",
                            (name, json.dumps(list(dict.fromkeys(previous))), channel["id"]))
            call.post(channel["id"], BOT_USER_ID,
                      f"renamed the channel from \"{channel['name']}\" to \"{name}\"",
                      subtype="channel_name", extra={"name": name, "old_name": channel["name"]})
        return {"channel": call.conversation_json(call.channel(channel["id"]))}

    # ---- chat ----------------------------------------------------------------------------------------

    def _chat_post_message(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.postable_channel(a.text("channel"))
        text, blocks = _message_content(a)
        thread_ts = a.text("thread_ts") or None
        if thread_ts is not None:
            thread_ts = call.thread_root(channel["id"], thread_ts)
        broadcast = thread_ts is not None and a.flag("reply_broadcast")
        extra = {"username": a.text("username")} if a.text("username") else None
        ts = call.post(channel["id"], BOT_USER_ID, text, thread_ts=thread_ts, blocks=blocks,
                       broadcast=broadcast, extra=extra)
        message = call.message(channel["id"], ts)
        assert message is not None
        return {"channel": channel["id"], "ts": ts, "message": call.message_json(message)}

    def _chat_schedule_message(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.postable_channel(a.text("channel"))
        raw = a.text("post_at")
        try:
            post_at = int(float(raw)) if raw is not None and raw.strip() else None
        except ValueError:
            post_at = None
        if post_at is None:
            raise SlackError("invalid_time")
        now = call.now_s()
        if post_at <= now:
            raise SlackError("time_in_past")
        if post_at > now + int(SCHEDULE_MAX_AHEAD.total_seconds()):
            raise SlackError("time_too_far")
        text, blocks = _message_content(a)
        thread_ts = a.text("thread_ts") or None
        if thread_ts is not None:
            thread_ts = call.thread_root(channel["id"], thread_ts)
        scheduled_id = call.unique_id("slack_scheduled", "Q", 10)
        call.db.execute("INSERT INTO slack_scheduled (id, channel_id, post_at, date_created, text, "
                        "thread_ts, blocks, broadcast) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (scheduled_id, channel["id"], post_at, now, text, thread_ts,
                         json.dumps(blocks) if blocks is not None else None,
                         int(thread_ts is not None and a.flag("reply_broadcast"))))
        message: Body = {"type": "message", "text": text, "bot_id": BOT_ID, "user": BOT_USER_ID,
                         "team": TEAM_ID, "bot_profile": _bot_profile()}
        return {"channel": channel["id"], "scheduled_message_id": scheduled_id, "post_at": post_at,
                "message": message}

    def _chat_scheduled_list(self, call: _Call, a: _ArgReader) -> Body:
        sql = "SELECT * FROM slack_scheduled WHERE 1 = 1"
        params: list[Any] = []
        channel_arg = a.text("channel")
        if channel_arg:
            channel = _row(call.db, "SELECT id FROM slack_channels WHERE id = ?", (channel_arg,))
            if channel is None:
                raise SlackError("invalid_channel")
            sql += " AND channel_id = ?"
            params.append(channel["id"])
        latest = _bound(a.text("latest"), "invalid_arguments")
        oldest = _bound(a.text("oldest"), "invalid_arguments")
        if latest is not None:
            sql += " AND post_at <= ?"
            params.append(latest // 1_000_000)
        if oldest is not None:
            sql += " AND post_at >= ?"
            params.append(oldest // 1_000_000)
        limit = min(max(a.number("limit", 100), 0) or 100, 1000)
        cursor = a.text("cursor")
        if cursor:
            after = _decode_cursor(cursor, "scheduled")
            sql += " AND (post_at, id) >= (SELECT post_at, id FROM slack_scheduled WHERE id = ?)"
            params.append(after)
            if call.db.execute("SELECT 1 FROM slack_scheduled WHERE id = ?", (after,)).fetchone() is None:
                raise SlackError("invalid_arguments")
        sql += " ORDER BY post_at, id LIMIT ?"
        params.append(limit + 1)
        rows = _rows(call.db, sql, params)
        page, rest = rows[:limit], rows[limit:]
        next_cursor = _encode_cursor("scheduled", rest[0]["id"]) if rest else ""
        return {"scheduled_messages": [{"id": r["id"], "channel_id": r["channel_id"], "post_at": r["post_at"],
                                        "date_created": r["date_created"], "text": r["text"]} for r in page],
                "response_metadata": {"next_cursor": next_cursor}}

    def _chat_delete_scheduled(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.visible_channel(a.text("channel"))
        scheduled_id = a.text("scheduled_message_id") or ""
        found = call.db.execute("SELECT 1 FROM slack_scheduled WHERE id = ? AND channel_id = ?",
                                (scheduled_id, channel["id"])).fetchone()
        if found is None:
            raise SlackError("invalid_scheduled_message_id")
        call.db.execute("DELETE FROM slack_scheduled WHERE id = ?", (scheduled_id,))
        return {}

    def _chat_update(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.visible_channel(a.text("channel"))
        ts = a.text("ts") or ""
        message = call.message(channel["id"], ts)
        if message is None:
            raise SlackError("message_not_found")
        if message["user"] != BOT_USER_ID or message["subtype"] is not None:
            raise SlackError("cant_update_message")
        if channel["is_archived"]:
            raise SlackError("cant_update_message")
        text = a.text("text")
        blocks = a.json_list("blocks")
        if text is None and blocks is None:
            raise SlackError("no_text")
        if text is not None and len(text) > TEXT_MAX:
            raise SlackError("msg_too_long")
        new_text = text if text is not None else message["text"]
        call.db.execute("UPDATE slack_messages SET text = ?, blocks = COALESCE(?, blocks), edited_ts = ? "
                        "WHERE channel_id = ? AND ts = ?",
                        (new_text, json.dumps(blocks) if blocks is not None else None,
                         _fmt_ts(_micros(call.now)), channel["id"], message["ts"]))
        return {"channel": channel["id"], "ts": message["ts"], "text": new_text,
                "message": {"type": "message", "text": new_text, "user": BOT_USER_ID, "bot_id": BOT_ID,
                            "edited": {"user": BOT_USER_ID, "ts": _fmt_ts(_micros(call.now))}}}

    def _chat_get_permalink(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.visible_channel(a.text("channel"))
        message = call.message(channel["id"], a.text("message_ts") or "")
        if message is None:
            raise SlackError("message_not_found")
        link = f"{WORKSPACE_URL}archives/{channel['id']}/p{message['ts'].replace('.', '')}"
        if message["thread_ts"] is not None and message["thread_ts"] != message["ts"]:
            link += f"?thread_ts={message['thread_ts']}&cid={channel['id']}"
        return {"channel": channel["id"], "permalink": link}

    def _pins_add(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.visible_channel(a.text("channel"))
        ts = a.text("timestamp")
        if not ts:
            raise SlackError("no_item_specified")
        if _parse_ts(ts) is None:
            raise SlackError("bad_timestamp")
        if not call.is_member(channel["id"], BOT_USER_ID):
            raise SlackError("not_in_channel")
        message = call.message(channel["id"], ts)
        if message is None:
            raise SlackError("message_not_found")
        if message["pinned"]:
            raise SlackError("already_pinned")
        call.db.execute("UPDATE slack_messages SET pinned = 1 WHERE channel_id = ? AND ts = ?",
                        (channel["id"], message["ts"]))
        return {}

    def _bookmarks_add(self, call: _Call, a: _ArgReader) -> Body:
        channel = call.visible_channel(a.text("channel_id"))
        kind = a.text("type") or ""
        if kind != "link":
            raise SlackError("invalid_bookmark_type")
        link = a.text("link") or ""
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SlackError("invalid_link")
        title = a.text("title") or ""
        count = call.db.execute("SELECT COUNT(*) FROM slack_bookmarks WHERE channel_id = ?",
                                (channel["id"],)).fetchone()
        if count is not None and int(count[0]) >= 100:
            raise SlackError("too_many_bookmarks")
        bookmark_id = call.unique_id("slack_bookmarks", "Bk", 10)
        now = call.now_s()
        call.db.execute("INSERT INTO slack_bookmarks (id, channel_id, title, type, link, emoji, created) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", (bookmark_id, channel["id"], title, kind, link,
                                                        a.text("emoji"), now))
        return {"bookmark": {"id": bookmark_id, "channel_id": channel["id"], "title": title, "link": link,
                             "emoji": a.text("emoji"), "icon_url": None, "type": kind, "entity_id": None,
                             "date_created": now, "date_updated": 0, "rank": "U",
                             "last_updated_by_user_id": BOT_USER_ID, "last_updated_by_team_id": TEAM_ID,
                             "shortcut_id": None, "app_id": None}}

    def _reminders_add(self, call: _Call, a: _ArgReader) -> Body:
        # docs: reminders.add works only with user tokens (and is being retired); the app has a bot token.
        raise SlackError("not_allowed_token_type")

    # ---- users ---------------------------------------------------------------------------------------

    def _users_lookup_by_email(self, call: _Call, a: _ArgReader) -> Body:
        email = (a.text("email") or "").strip()
        user = _row(call.db, "SELECT * FROM slack_users WHERE email = ? COLLATE NOCASE AND deleted = 0",
                    (email,))
        if not email or user is None:
            raise SlackError("users_not_found")
        return {"user": call.user_json(user)}

    def _users_info(self, call: _Call, a: _ArgReader) -> Body:
        user = call.user(a.text("user") or "")
        if user is None:
            raise SlackError("user_not_found")
        return {"user": call.user_json(user)}

    def _users_list(self, call: _Call, a: _ArgReader) -> Body:
        limit = a.number("limit", 0)
        if limit < 0:
            raise SlackError("invalid_arguments")
        limit = min(limit, 1000) if limit else 1000
        start = 0
        cursor = a.text("cursor")
        if cursor:
            user = call.user(_decode_cursor(cursor, "user"))
            if user is None:
                raise SlackError("invalid_cursor")
            start = int(user["seq"])
        rows = _rows(call.db, "SELECT * FROM slack_users WHERE seq >= ? ORDER BY seq LIMIT ?",
                     (start, limit + 1))
        page, rest = rows[:limit], rows[limit:]
        return {"members": [call.user_json(u) for u in page], "cache_ts": call.now_s(),
                "response_metadata": {"next_cursor": _encode_cursor("user", rest[0]["id"]) if rest else ""}}

    def _usergroups_users_list(self, call: _Call, a: _ArgReader) -> Body:
        group = _row(call.db, "SELECT * FROM slack_usergroups WHERE id = ?", (a.text("usergroup") or "",))
        if group is None or (group["disabled"] and not a.flag("include_disabled")):
            raise SlackError("no_such_subteam")
        return {"users": json.loads(group["users"])}


# ---- pieces shared by the methods -----------------------------------------------------------------------


def _conv_type(channel: dict[str, Any]) -> str:
    if channel["kind"] == "im":
        return "im"
    if channel["kind"] == "mpim":
        return "mpim"
    return "private_channel" if channel["is_private"] else "public_channel"


def _is_public(channel: dict[str, Any]) -> bool:
    return channel["kind"] == "channel" and not channel["is_private"]


def _bound(value: str | None, error: str) -> int | None:
    """`latest` / `oldest`: a timestamp (empty or "0" means no bound)."""
    if value is None or value.strip() in ("", "0"):
        return None
    parsed = _parse_ts(value)
    if parsed is None:
        raise SlackError(error)
    return parsed


def _message_content(a: _ArgReader) -> tuple[str, list[Any] | None]:
    text = a.text("text") or ""
    blocks = a.json_list("blocks")
    attachments = a.json_list("attachments")
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    if len(text) > TEXT_MAX:
        raise SlackError("msg_too_long")
    if attachments is not None and len(attachments) > 100:
        raise SlackError("too_many_attachments")
    return text, blocks


def _bot_profile() -> dict[str, Any]:
    return {"id": BOT_ID, "deleted": False, "name": BOT_NAME, "updated": 1700000000, "app_id": APP_ID,
            "icons": dict(_BOT_ICONS), "team_id": TEAM_ID}


class _Call:
    """One request's view of the workspace: the database, the request time and its rng."""

    def __init__(self, db: sqlite3.Connection, now: datetime, rng: random.Random):
        self.db = db
        self.now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        self.rng = rng

    def now_s(self) -> int:
        return _micros(self.now) // 1_000_000

    # -- ids, timestamps

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM slack_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO slack_meta (key, value) VALUES (?, ?)", (key, value))

    def _next_seq(self, name: str) -> int:
        value = int(self._meta(f"seq:{name}") or 0) + 1
        self._set_meta(f"seq:{name}", str(value))
        return value

    def next_ts(self, at: datetime | None = None) -> tuple[str, int]:
        """A message timestamp from `at` (default: now), strictly after every one handed out before."""
        us = _micros(at or self.now)
        last = int(self._meta("last_ts_us") or 0)
        if us <= last:
            us = last + 1
        self._set_meta("last_ts_us", str(us))
        return _fmt_ts(us), us

    def unique_id(self, table: str, prefix: str, length: int) -> str:
        while True:
            candidate = new_id(self.rng, prefix, length)
            if self.db.execute(f"SELECT 1 FROM {table} WHERE id = ?", (candidate,)).fetchone() is None:
                return candidate

    # -- channels

    def channel_exists(self, channel_id: str) -> bool:
        found = self.db.execute("SELECT 1 FROM slack_channels WHERE id = ?", (channel_id,)).fetchone()
        return found is not None

    def channel(self, channel_id: str) -> dict[str, Any]:
        found = _row(self.db, "SELECT * FROM slack_channels WHERE id = ?", (channel_id,))
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        return _row(self.db, "SELECT * FROM slack_channels WHERE name = ? AND kind = 'channel'", (name,))

    def is_member(self, channel_id: str, user_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM slack_members WHERE channel_id = ? AND user_id = ?",
                               (channel_id, user_id)).fetchone() is not None

    def visible_channel(self, channel_id: str | None) -> dict[str, Any]:
        """A conversation by id that the bot can see: public channels, and the others it is in."""
        if not channel_id:
            raise SlackError("channel_not_found")
        found = _row(self.db, "SELECT * FROM slack_channels WHERE id = ?", (channel_id,))
        if found is None:
            raise SlackError("channel_not_found")
        if not _is_public(found) and not self.is_member(found["id"], BOT_USER_ID):
            raise SlackError("channel_not_found")
        return found

    def postable_channel(self, channel_arg: str | None) -> dict[str, Any]:
        """chat.postMessage's `channel`: an id, a `#name` / name, or a user id (the bot's DM with them)."""
        if not channel_arg:
            raise SlackError("channel_not_found")
        arg = channel_arg.strip()
        if arg[:1] in ("U", "W") and self.user(arg) is not None:
            channel_id, _ = self.open_im(arg)
            found = self.channel(channel_id)
        elif self.channel_exists(arg):
            found = self.channel(arg)
        else:
            by_name = self.channel_by_name(arg.removeprefix("#"))
            if by_name is None:
                raise SlackError("channel_not_found")
            found = by_name
        if not _is_public(found) and not self.is_member(found["id"], BOT_USER_ID):
            raise SlackError("channel_not_found")
        if found["is_archived"]:
            raise SlackError("is_archived")
        if not self.is_member(found["id"], BOT_USER_ID):
            raise SlackError("not_in_channel")
        return found

    def create_channel(self, name: str | None, *, is_private: bool, creator: str, kind: str = "channel",
                       im_user: str | None = None, created: int | None = None) -> str:
        prefix = {"channel": "C", "im": "D", "mpim": "C"}[kind]
        channel_id = self.unique_id("slack_channels", prefix, 10)
        self.db.execute(
            "INSERT INTO slack_channels (id, seq, name, kind, is_private, created, creator, im_user) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (channel_id, self._next_seq("channel"), name, kind, int(is_private),
             created if created is not None else self.now_s(), creator, im_user))
        return channel_id

    def add_member(self, channel_id: str, user_id: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO slack_members (channel_id, user_id, seq) VALUES (?, ?, ?)",
                        (channel_id, user_id, self._next_seq("member")))

    def open_im(self, user_id: str) -> tuple[str, bool]:
        found = self.db.execute("SELECT id FROM slack_channels WHERE kind = 'im' AND im_user = ?",
                                (user_id,)).fetchone()
        if found is not None:
            return str(found[0]), True
        channel_id = self.create_channel(None, is_private=True, creator=BOT_USER_ID, kind="im",
                                         im_user=user_id)
        self.add_member(channel_id, BOT_USER_ID)
        self.add_member(channel_id, user_id)
        return channel_id, False

    def open_mpim(self, users: list[str]) -> tuple[str, bool]:
        wanted = sorted({*users, BOT_USER_ID})
        for row in _rows(self.db, "SELECT id FROM slack_channels WHERE kind = 'mpim'"):
            members = sorted(r["user_id"] for r in _rows(self.db, "SELECT user_id FROM slack_members "
                                                                  "WHERE channel_id = ?", (row["id"],)))
            if members == wanted:
                return str(row["id"]), True
        handles = [str((self.user(u) or {"name": u})["name"]) for u in wanted]
        name = "mpdm-" + "--".join(handles) + "-1"
        channel_id = self.create_channel(name, is_private=True, creator=BOT_USER_ID, kind="mpim")
        for user_id in wanted:
            self.add_member(channel_id, user_id)
        return channel_id, False

    def conversation_json(self, c: dict[str, Any], *, num_members: bool = False) -> dict[str, Any]:
        """A conversation object (`objs_conversation`: channel, group DM or DM shape)."""
        if c["kind"] == "im":
            return {"id": c["id"], "created": c["created"], "is_im": True, "is_org_shared": False,
                    "user": c["im_user"], "priority": 0, "is_archived": bool(c["is_archived"]),
                    "is_user_deleted": False, "is_open": True, "is_shared": False, "is_ext_shared": False}
        body: dict[str, Any] = {
            "id": c["id"], "name": c["name"], "name_normalized": c["name"], "created": c["created"],
            "creator": c["creator"], "is_channel": c["kind"] == "channel", "is_group": False, "is_im": False,
            "is_mpim": c["kind"] == "mpim", "is_private": bool(c["is_private"]),
            "is_archived": bool(c["is_archived"]), "is_general": False, "unlinked": 0, "is_shared": False,
            "is_org_shared": False, "is_ext_shared": False, "is_pending_ext_shared": False,
            "pending_shared": [], "is_member": self.is_member(c["id"], BOT_USER_ID),
            "previous_names": json.loads(c["previous_names"]),
            "topic": {"value": c["topic"], "creator": c["topic_creator"], "last_set": c["topic_last_set"]},
            "purpose": {"value": c["purpose"], "creator": c["purpose_creator"],
                        "last_set": c["purpose_last_set"]},
        }
        if num_members:
            count = self.db.execute("SELECT COUNT(*) FROM slack_members WHERE channel_id = ?",
                                    (c["id"],)).fetchone()
            body["num_members"] = int(count[0]) if count else 0
        return body

    # -- users

    def user(self, user_id: str) -> dict[str, Any] | None:
        return _row(self.db, "SELECT * FROM slack_users WHERE id = ?", (user_id,))

    def user_json(self, u: dict[str, Any]) -> dict[str, Any]:
        """A user object (`objs_user`) with its profile (`objs_user_profile`)."""
        first, _, last = str(u["real_name"]).partition(" ")
        display = "" if u["is_bot"] else first
        profile: dict[str, Any] = {
            "real_name": u["real_name"], "real_name_normalized": u["real_name"],
            "display_name": display, "display_name_normalized": display,
            "first_name": first, "last_name": last, "title": u["title"], "phone": "", "skype": "",
            "status_text": "", "status_emoji": "", "status_expiration": 0, "fields": None,
            "avatar_hash": f"g{u['id'][-6:].lower()}", "team": TEAM_ID,
            "image_24": _IMAGE.format(u["id"], 24), "image_32": _IMAGE.format(u["id"], 32),
            "image_48": _IMAGE.format(u["id"], 48), "image_72": _IMAGE.format(u["id"], 72),
            "image_192": _IMAGE.format(u["id"], 192), "image_512": _IMAGE.format(u["id"], 512),
        }
        if u["email"]:
            profile["email"] = u["email"]
        if u["is_bot"]:
            profile.update({"bot_id": u["bot_id"], "api_app_id": APP_ID, "always_active": True})
        body: dict[str, Any] = {
            "id": u["id"], "team_id": TEAM_ID, "name": u["name"], "deleted": bool(u["deleted"]),
            "color": u["color"], "real_name": u["real_name"], **_tz_fields(u["tz"], self.now),
            "profile": profile, "is_admin": False, "is_owner": False, "is_primary_owner": False,
            "is_restricted": False, "is_ultra_restricted": False, "is_bot": bool(u["is_bot"]),
            "is_app_user": False, "updated": u["updated"],
        }
        return body

    # -- messages

    def message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        return _row(self.db, "SELECT * FROM slack_messages WHERE channel_id = ? AND ts = ?", (channel_id, ts))

    def thread_root(self, channel_id: str, thread_ts: str) -> str:
        """The thread a `thread_ts` names: a reply's ts means its parent's thread (Slack re-threads)."""
        if _parse_ts(thread_ts) is None:
            raise SlackError("invalid_arguments")
        parent = self.message(channel_id, thread_ts)
        if parent is None:
            # Slack accepts a ts that matches no message: the reply lands in a thread nobody can see.
            return thread_ts
        if parent["subtype"] in ("channel_join", "channel_topic", "channel_purpose", "channel_archive",
                                 "channel_name", "channel_unarchive"):
            raise SlackError("cannot_reply_to_message")
        return str(parent["thread_ts"] or parent["ts"])

    def post(self, channel_id: str, user: str, text: str, *, thread_ts: str | None = None,
             subtype: str | None = None, blocks: list[Any] | None = None, broadcast: bool = False,
             extra: dict[str, Any] | None = None, at: datetime | None = None) -> str:
        ts, us = self.next_ts(at)
        self.db.execute(
            "INSERT INTO slack_messages (channel_id, ts, ts_us, user, bot_id, subtype, text, thread_ts, "
            "broadcast, blocks, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (channel_id, ts, us, user, BOT_ID if user == BOT_USER_ID else None, subtype, text, thread_ts,
             int(broadcast), json.dumps(blocks) if blocks is not None else None,
             json.dumps(extra) if extra else None))
        return ts

    def _thread_stats(self, m: dict[str, Any]) -> dict[str, Any]:
        replies = _rows(self.db, "SELECT user, ts FROM slack_messages WHERE channel_id = ? AND thread_ts = ? "
                                 "ORDER BY ts_us", (m["channel_id"], m["ts"]))
        if not replies:
            return {}
        users = list(dict.fromkeys(r["user"] for r in replies))
        return {"thread_ts": m["ts"], "reply_count": len(replies), "reply_users_count": len(users),
                "reply_users": users[:5], "latest_reply": replies[-1]["ts"], "subscribed": False}

    @staticmethod
    def _base_json(m: dict[str, Any]) -> dict[str, Any]:
        """The fields every view of a message shows (history, replies, postMessage): a bot's message
        carries `bot_id` and `bot_profile`, an edited one `edited: {user, ts}` (kept after chat.update)."""
        body: dict[str, Any] = {"type": "message", "ts": m["ts"], "user": m["user"], "text": m["text"],
                                "team": TEAM_ID}
        if m["bot_id"]:
            body["bot_id"] = m["bot_id"]
            body["bot_profile"] = _bot_profile()
        if m["subtype"]:
            body["subtype"] = m["subtype"]
        if m["blocks"]:
            body["blocks"] = json.loads(m["blocks"])
        if m["extra"]:
            body.update(json.loads(m["extra"]))
        if m["edited_ts"]:
            body["edited"] = {"user": m["user"], "ts": m["edited_ts"]}
        return body

    def message_json(self, m: dict[str, Any]) -> dict[str, Any]:
        """A message as conversations.history and chat.postMessage show it (`objs_message`)."""
        body = self._base_json(m)
        if m["thread_ts"] is not None:
            body["thread_ts"] = m["thread_ts"]
            parent = self.message(m["channel_id"], m["thread_ts"])
            if parent is not None:
                body["parent_user_id"] = parent["user"]
            if m["broadcast"]:
                body["subtype"] = "thread_broadcast"
        else:
            body.update(self._thread_stats(m))
        return body

    def parent_json(self, m: dict[str, Any]) -> dict[str, Any]:
        """The first message of conversations.replies (the thread's parent)."""
        stats = self._thread_stats(m) or {"thread_ts": m["ts"], "reply_count": 0, "subscribed": False}
        return {**self._base_json(m), **stats}

    def reply_json(self, m: dict[str, Any]) -> dict[str, Any]:
        """A reply as conversations.replies shows it."""
        parent = self.message(m["channel_id"], m["thread_ts"])
        body = self._base_json(m)
        if m["broadcast"]:
            body["subtype"] = "thread_broadcast"
        return {**body, "thread_ts": m["thread_ts"],
                "parent_user_id": parent["user"] if parent else m["user"]}

    def deliver_due(self) -> None:
        """Post the scheduled messages whose time has come (at their `post_at`, or just after)."""
        due = _rows(self.db, "SELECT * FROM slack_scheduled WHERE post_at <= ? ORDER BY post_at, id",
                    (self.now_s(),))
        for s in due:
            self.db.execute("DELETE FROM slack_scheduled WHERE id = ?", (s["id"],))
            channel = _row(self.db, "SELECT * FROM slack_channels WHERE id = ?", (s["channel_id"],))
            if channel is None or channel["is_archived"] or not self.is_member(channel["id"], BOT_USER_ID):
                continue
            self.post(channel["id"], BOT_USER_ID, s["text"], thread_ts=s["thread_ts"],
                      blocks=json.loads(s["blocks"]) if s["blocks"] else None, broadcast=bool(s["broadcast"]),
                      at=datetime.fromtimestamp(s["post_at"], UTC))

    # -- seed

    def seed(self, people: Sequence[SeedPerson]) -> None:
        now_s = self.now_s()
        self.db.execute("INSERT INTO slack_users (id, seq, name, real_name, email, tz, title, color, is_bot, "
                        "bot_id, updated) VALUES (?, ?, ?, ?, NULL, NULL, '', '2b6e1f', 1, ?, ?)",
                        (BOT_USER_ID, self._next_seq("user"), BOT_NAME, "On-call bot", BOT_ID, now_s))
        for person in people:
            handle = person.email.split("@", 1)[0].lower()
            color = f"{self.rng.randrange(0x1000000):06x}"
            self.db.execute("INSERT INTO slack_users (id, seq, name, real_name, email, tz, title, color, "
                            "is_bot, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                            (person.slack_id, self._next_seq("user"), handle, person.name, person.email,
                             person.timezone, "Software Engineer", color, now_s))
        ids = [p.slack_id for p in people]
        self.db.execute("INSERT INTO slack_usergroups (id, handle, name, users) VALUES (?, ?, ?, ?)",
                        (new_id(self.rng, "S", 10), "engineering", "Engineering", json.dumps(ids)))
        creator = ids[0] if ids else BOT_USER_ID
        created = now_s - 400 * 86400
        purposes = {"incidents": "Declare, coordinate and close incidents. One channel per incident: inc-*.",
                    "dev": "Engineering chatter, deploys and code review requests.",
                    "alerts": "Automated alerts from monitoring."}
        channel_ids: dict[str, str] = {}
        for name in SEED_CHANNELS:
            channel_id = self.create_channel(name, is_private=False, creator=creator, created=created)
            channel_ids[name] = channel_id
            self.db.execute("UPDATE slack_channels SET purpose = ?, purpose_creator = ?, "
                            "purpose_last_set = ? WHERE id = ?",
                            (purposes[name], BOT_USER_ID, created, channel_id))
            self.add_member(channel_id, BOT_USER_ID)
            members = ids if name != "alerts" else ids[: max(1, len(ids) // 3)]
            for user_id in members:
                self.add_member(channel_id, user_id)
        on_call = self.rng.choice(people).name if people else "nobody"
        self.db.execute("UPDATE slack_channels SET topic = ?, topic_creator = ?, topic_last_set = ? "
                        "WHERE id = ?",
                        (f"Incident channel | on call: {on_call}", BOT_USER_ID, now_s - 3 * 86400,
                         channel_ids["incidents"]))
        def who(i: int) -> str:
            return people[i % len(people)].slack_id if people else BOT_USER_ID

        now = self.now
        incidents = channel_ids["incidents"]
        parent = self.post(incidents, who(1), "Heads up: checkout is throwing 500s since the 14:05 deploy. "
                                              "Looking into it.", at=now - timedelta(days=2, hours=3))
        self.post(incidents, who(2), "I see the same on the API dashboards, rolling back.", thread_ts=parent,
                  at=now - timedelta(days=2, hours=2, minutes=50))
        self.post(incidents, BOT_USER_ID, "Rollback finished; error rate back to normal.", thread_ts=parent,
                  at=now - timedelta(days=2, hours=2, minutes=30))
        self.post(incidents, BOT_USER_ID, "Incident inc-checkout-500s resolved after 35 minutes.",
                  at=now - timedelta(days=2, hours=2))
        self.post(incidents, who(3), "Post-incident review for the checkout 500s is tomorrow at 11:00.",
                  at=now - timedelta(hours=20))
        self.post(channel_ids["dev"], who(4), "Deploy train leaves at 14:00, merge by 13:30 please.",
                  at=now - timedelta(hours=6))
        self.post(channel_ids["dev"], who(5), "Reviews welcome on the search indexing change.",
                  at=now - timedelta(hours=3))
        self.post(channel_ids["alerts"], BOT_USER_ID, ":white_check_mark: All monitors are green.",
                  at=now - timedelta(hours=1))
