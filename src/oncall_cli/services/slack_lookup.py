"""Slack look-ups every workflow needs: a channel by name, users by email, and "did we already post this?".

Slack addresses channels and users by id; people and the config use `#name` and emails. Resolving in one
place keeps every command's error messages and caching the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from oncall_cli.errors import NotFoundError

if TYPE_CHECKING:
    from oncall_cli.clients.slack import SlackClient

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


def channel_id(slack: SlackClient, name: str) -> str:
    """The id of a channel given as `#name`, `name` or already an id (C…/G…/D…)."""
    wanted = name.strip().lstrip("#")
    if _CHANNEL_ID.match(wanted):
        return wanted
    for conversation in slack.iter_conversations(
        types=("public_channel", "private_channel"), exclude_archived=True
    ):
        if conversation.name == wanted or conversation.name_normalized == wanted:
            return conversation.id
    raise NotFoundError(
        f"Slack channel #{wanted} not found (or the bot cannot see it)",
        hint="Check the channel setting (`oncall config show`) and invite the bot to it.",
    )


@dataclass
class SlackUsers:
    """Slack user ids for a set of emails; `missing` lists the emails Slack does not know."""

    ids: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def users_by_email(slack: SlackClient, emails: Iterable[str]) -> SlackUsers:
    """Look up each email concurrently (users.lookupByEmail); unknown ones are reported, not fatal."""
    unique = list(dict.fromkeys(e for e in emails if e))

    def lookup(email: str) -> tuple[str, str | None]:
        try:
            return email, slack.users_lookup_by_email(email=email).id
        except NotFoundError:
            return email, None

    found = SlackUsers()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for email, user_id in pool.map(lookup, unique):
            if user_id is None:
                found.missing.append(email)
            else:
                found.ids[email] = user_id
    return found


def already_posted(slack: SlackClient, channel: str, text: str, *, limit: int = 100) -> str | None:
    """The ts of a recent message in `channel` with exactly this text, so a re-run does not post twice."""
    history = slack.conversations_history(channel=channel, limit=limit)
    for message in history.messages:
        if (message.text or "").strip() == text.strip():
            return message.ts
    return None
