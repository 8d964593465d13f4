"""Slack's own `slack_sdk.WebClient` against the sandbox over HTTP: every Web API method the emulator
answers (the ones the CLI uses, and the few its tests use) is called through the SDK at least once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from oncall_cli.sandbox.server import SandboxServer
from oncall_cli.sandbox.slack import SlackEmulator

from .conftest import Recorder


@pytest.fixture(scope="module")
def web(served: tuple[SandboxServer, Recorder]) -> Iterator[WebClient]:
    server, _ = served
    yield WebClient(token="xoxb-sandbox", base_url=server.url + "/slack/", timeout=5)


def test_every_emulated_slack_method_through_slack_sdk(web: WebClient,
                                                       served: tuple[SandboxServer, Recorder]) -> None:
    _, recorder = served
    assert web.auth_test()["user_id"] == "U0ONCALLBOT"
    users = web.users_list(limit=5)
    assert users["members"] and users["response_metadata"]["next_cursor"]
    person = next(u for u in users["members"] if not u["is_bot"] and u["id"] != "USLACKBOT")
    email = person["profile"]["email"]
    assert web.users_lookupByEmail(email=email)["user"]["id"] == person["id"]
    assert web.users_info(user=person["id"])["user"]["name"] == person["name"]
    (group,) = recorder.emulator.query("SELECT id FROM slack_usergroups WHERE handle = 'engineering'")
    assert web.usergroups_users_list(usergroup=group["id"])["users"]

    created = web.conversations_create(name="inc-42-conformance")["channel"]
    channel = created["id"]
    assert web.conversations_info(channel=channel, include_num_members=True)["channel"]["name"] == \
        "inc-42-conformance"
    listed = [c["id"] for page in web.conversations_list(limit=2, types="public_channel")
              for c in page["channels"]]
    assert channel in listed
    web.conversations_setTopic(channel=channel, topic="Incident 42: checkout down")
    web.conversations_setPurpose(channel=channel, purpose="Coordinate incident 42")
    web.conversations_invite(channel=channel, users=person["id"])
    assert person["id"] in web.conversations_members(channel=channel)["members"]
    web.conversations_join(channel=channel)
    dm = web.conversations_open(users=person["id"])["channel"]["id"]

    posted = web.chat_postMessage(channel=channel, text="Investigating")
    reply = web.chat_postMessage(channel=channel, text="Rolled back", thread_ts=posted["ts"])
    web.chat_update(channel=channel, ts=posted["ts"], text="Investigating (edited)")
    history = web.conversations_history(channel=channel, limit=10)["messages"]
    assert any(m["ts"] == posted["ts"] and "edited" in m for m in history)
    replies = web.conversations_replies(channel=channel, ts=posted["ts"])["messages"]
    assert [m["ts"] for m in replies] == [posted["ts"], reply["ts"]]
    assert all(m["bot_id"] and m["bot_profile"] for m in replies)
    assert web.chat_getPermalink(channel=channel, message_ts=posted["ts"])["permalink"]
    web.pins_add(channel=channel, timestamp=posted["ts"])
    web.bookmarks_add(channel_id=channel, title="Runbook", type="link", link="https://example.com/rb")
    post_at = int(recorder.emulator._now().timestamp()) + 3600
    scheduled = web.chat_scheduleMessage(channel=dm, text="Hand-off in an hour", post_at=post_at)
    ids = [m["id"] for m in web.chat_scheduledMessages_list(channel=dm)["scheduled_messages"]]
    assert scheduled["scheduled_message_id"] in ids
    web.chat_deleteScheduledMessage(channel=dm, scheduled_message_id=scheduled["scheduled_message_id"])
    with pytest.raises(SlackApiError) as refused:  # user tokens only (docs.slack.dev)
        web.reminders_add(text="x", time="in 5 minutes")
    assert refused.value.response["ok"] is False
    web.conversations_rename(channel=channel, name="inc-42-conformance-closed")
    web.conversations_archive(channel=channel)
    web.conversations_unarchive(channel=channel)
    with pytest.raises(SlackApiError) as unknown:
        web.api_call("chat.explode")
    assert unknown.value.response.status_code == 404

    assert recorder.operations("slack") >= set(SlackEmulator().methods)
    recorder.check()
