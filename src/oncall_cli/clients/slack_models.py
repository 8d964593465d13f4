"""Slack Web API wire models, built from `slack_web_openapi_v2.json` (`objs_*` definitions, method responses).

They mirror Slack's snake_case field names, ignore unknown fields, and default what the spec marks optional
(or what real responses leave out even when the 2020 spec says "required", e.g. `channel` on
`conversations.setTopic`). `InviteResult` is ours: what `SlackClient.conversations_invite` did across batches.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SlackModel(BaseModel):
    # defer_build: each model's validator is built when first used, not when a command imports them all.
    model_config = ConfigDict(extra="ignore", defer_build=True)


class ResponseMetadata(SlackModel):
    """`objs_response_metadata`: the paging cursor (empty on the last page) and deprecation warnings."""

    next_cursor: str = ""
    warnings: list[str] = Field(default_factory=list)
    messages: list[str] = Field(default_factory=list)


class TopicPurpose(SlackModel):
    """A channel's `topic` or `purpose`."""

    value: str = ""
    creator: str = ""
    last_set: int = 0


class Conversation(SlackModel):
    """`objs_conversation`: a channel, private channel, DM or group DM (also conversations.open's DM)."""

    id: str
    name: str | None = None
    name_normalized: str | None = None
    is_channel: bool = False
    is_group: bool = False
    is_im: bool = False
    is_mpim: bool = False
    is_private: bool = False
    is_archived: bool = False
    is_general: bool = False
    is_member: bool = False
    created: int | None = None
    creator: str | None = None
    user: str | None = None  # the other party of a DM
    num_members: int | None = None
    topic: TopicPurpose | None = None
    purpose: TopicPurpose | None = None
    previous_names: list[str] = Field(default_factory=list)


class UserProfile(SlackModel):
    """`objs_user_profile` (the fields we use)."""

    real_name: str = ""
    display_name: str = ""
    email: str | None = None
    title: str = ""
    first_name: str | None = None
    last_name: str | None = None
    status_text: str = ""
    status_emoji: str = ""
    team: str | None = None


class User(SlackModel):
    """`objs_user` (the fields we use)."""

    id: str
    name: str = ""
    real_name: str | None = None
    team_id: str | None = None
    deleted: bool = False
    is_bot: bool = False
    is_app_user: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    tz: str | None = None
    tz_label: str | None = None
    tz_offset: int | None = None
    updated: int | None = None
    profile: UserProfile = Field(default_factory=UserProfile)


class Message(SlackModel):
    """`objs_message` (the fields we use)."""

    type: str = "message"
    ts: str
    text: str = ""
    user: str | None = None
    bot_id: str | None = None
    subtype: str | None = None
    thread_ts: str | None = None
    parent_user_id: str | None = None
    reply_count: int | None = None


class ScheduledMessage(SlackModel):
    """One entry of chat.scheduledMessages.list: a message waiting to be posted at `post_at` (unix time)."""

    id: str
    channel_id: str
    post_at: int
    date_created: int
    text: str = ""


class UserError(SlackModel):
    """One entry of the `errors` array that conversations.invite returns for per-user failures."""

    user: str | None = None
    error: str
    ok: bool = False


# ---- method responses -------------------------------------------------------------------------------------


class SlackResponse(SlackModel):
    """What every Web API answer has: `ok`, an optional `warning`, and `response_metadata`."""

    ok: bool
    warning: str | None = None
    response_metadata: ResponseMetadata = Field(default_factory=ResponseMetadata)

    @property
    def next_cursor(self) -> str:
        return self.response_metadata.next_cursor


class AuthTestResponse(SlackResponse):
    """auth.test: who the token is."""

    url: str
    team: str
    user: str
    team_id: str
    user_id: str
    bot_id: str | None = None
    is_enterprise_install: bool | None = None


class ConversationResponse(SlackResponse):
    """conversations.create / .info / .join / .invite / .open: `{"ok", "channel"}`."""

    channel: Conversation
    already_open: bool | None = None
    no_op: bool | None = None


class OptionalConversationResponse(SlackResponse):
    """conversations.setTopic / .setPurpose: the spec's example is just `{"ok": true}`."""

    channel: Conversation | None = None


class InviteResponse(SlackResponse):
    """conversations.invite success; `errors` is tolerated here too (per-user failures with `force=true`)."""

    channel: Conversation | None = None
    errors: list[UserError] = Field(default_factory=list)


class ConversationsListResponse(SlackResponse):
    """conversations.list: one page of channels and the cursor of the next."""

    channels: list[Conversation] = Field(default_factory=list)


class UsersListResponse(SlackResponse):
    """users.list: one page of members and the cursor of the next."""

    members: list[User] = Field(default_factory=list)
    cache_ts: int | None = None


class UserResponse(SlackResponse):
    """users.info / users.lookupByEmail."""

    user: User


class MessagesResponse(SlackResponse):
    """conversations.history / conversations.replies: one page of messages."""

    messages: list[Message] = Field(default_factory=list)
    has_more: bool = False


class PostMessageResponse(SlackResponse):
    """chat.postMessage: the channel id and the new message's `ts` (the thread id of replies to it)."""

    channel: str
    ts: str
    message: Message | None = None


class UpdateMessageResponse(SlackResponse):
    """chat.update: the channel id, the message's `ts` and its new text (the `message` has no `ts`)."""

    channel: str
    ts: str
    text: str = ""


class ScheduleMessageResponse(SlackResponse):
    """chat.scheduleMessage (the spec's example sends `post_at` as a string; it is parsed to int)."""

    channel: str
    scheduled_message_id: str
    post_at: int
    message: dict[str, Any] | None = None


class ScheduledMessagesListResponse(SlackResponse):
    """chat.scheduledMessages.list: one page of scheduled messages and the cursor of the next."""

    scheduled_messages: list[ScheduledMessage] = Field(default_factory=list)


class PermalinkResponse(SlackResponse):
    """chat.getPermalink."""

    channel: str
    permalink: str


# ---- our results ------------------------------------------------------------------------------------------


class InviteResult(SlackModel):
    """What `conversations_invite` did: who was invited, who was already there, who Slack refused and why."""

    channel: str
    invited: list[str] = Field(default_factory=list)
    already_in_channel: list[str] = Field(default_factory=list)
    failed: dict[str, str] = Field(default_factory=dict)
