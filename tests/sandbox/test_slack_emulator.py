"""The Slack emulator, through raw httpx and the real SlackClient: `ok: false` errors, channel naming,
invite semantics, cursor paging, threads, scheduled messages and permalinks.

Requests and responses are checked against the vendored spec by the emulator core (with the paging fix of
`_patched_slack_spec`).
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from oncall_cli.clients._http import Runtime
from oncall_cli.clients.slack import SlackClient, SlackNotFoundError, SlackRejectedError
from oncall_cli.sandbox.base import Ctx, SeedPerson
from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.sandbox.slack import BOT_USER_ID, INVITE_MAX, TEAM_ID, SlackEmulator
from oncall_cli.sandbox.validation import Validator, load_vendored

from .conftest import NOW, SLACK, SLACK_AUTH, FakeClock

TS = re.compile(r"^\d{10}\.\d{6}$")


def _patched_slack_spec() -> dict[str, Any]:
    """The vendored Slack spec with the two fixes the real API needs (until scripts/vendor_specs.py has them).

    conversations.history and conversations.replies page with `response_metadata.next_cursor` (docs.slack.dev;
    the 2020 schemas forbid the field), and a history can be empty (a new DM, an `oldest` after the last
    message), which the schema's `minItems: 1` forbids.
    """
    doc = load_vendored("slack")
    cursor = {"type": "object", "properties": {"next_cursor": {"type": "string"}},
              "required": ["next_cursor"]}
    for method in ("conversations.history", "conversations.replies"):
        schema = doc["paths"][f"/{method}"]["get"]["responses"]["200"]["schema"]
        schema["properties"].setdefault("response_metadata", cursor)
        schema["properties"]["messages"].pop("minItems", None)
    return doc


class Now:
    """The emulator's wall clock, movable by tests."""

    def __init__(self, value: datetime) -> None:
        self.value = value

    def __call__(self) -> datetime:
        return self.value


@pytest.fixture
def now() -> Now:
    return Now(NOW)


_VALIDATOR = Validator(docs={"slack": _patched_slack_spec()})


@pytest.fixture
def em(now: Now, clock: FakeClock) -> Iterator[Emulator]:
    emulator = Emulator(now=now, clock=clock.monotonic, sleep=clock.sleep, services=[SlackEmulator()],
                        validator=_VALIDATOR)
    yield emulator
    emulator.close()


@pytest.fixture
def web(em: Emulator) -> Iterator[httpx.Client]:
    with em.client() as client:
        yield client


@pytest.fixture
def slack(web: httpx.Client, clock: FakeClock) -> SlackClient:
    runtime = Runtime(sleep=clock.sleep, clock=clock.monotonic, wall=lambda: NOW.timestamp(),
                      rng=random.Random(3))
    return SlackClient(web, token="xoxb-sandbox", base_url=SLACK, runtime=runtime)


def post(web: httpx.Client, method: str, **args: Any) -> dict[str, Any]:
    """A write method: JSON body."""
    body: dict[str, Any] = web.post(f"{SLACK}/{method}", json=args, headers=SLACK_AUTH).json()
    return body


def error(web: httpx.Client, method: str, **args: Any) -> str:
    """The error code of a write method that must fail."""
    body = post(web, method, **args)
    assert body["ok"] is False, body
    return str(body["error"])


def get(web: httpx.Client, method: str, **params: Any) -> dict[str, Any]:
    """A read method: query parameters."""
    body: dict[str, Any] = web.get(f"{SLACK}/{method}", params=params, headers=SLACK_AUTH).json()
    return body


def channel_id(web: httpx.Client, name: str) -> str:
    found = [c for c in get(web, "conversations.list", types="public_channel,private_channel")["channels"]
             if c["name"] == name]
    assert found, name
    return str(found[0]["id"])


def people(web: httpx.Client) -> list[dict[str, Any]]:
    return [u for u in get(web, "users.list")["members"] if not u["is_bot"]]


def outsider_channel(em: Emulator, web: httpx.Client) -> str:
    """A public channel the bot is not in (the bot cannot leave, so take it out behind the API's back)."""
    created = post(web, "conversations.create", name="not-for-bots")["channel"]["id"]
    with em.locked() as db:
        db.execute("DELETE FROM slack_members WHERE channel_id = ? AND user_id = ?", (created, BOT_USER_ID))
    return str(created)


# ---- auth, routing, seed ---------------------------------------------------------------------------------


def test_auth_test_names_the_bot_and_the_workspace(web: httpx.Client) -> None:
    body = get(web, "auth.test")
    assert body["ok"] is True
    assert (body["user_id"], body["team_id"]) == (BOT_USER_ID, TEAM_ID)
    assert body["url"] == "https://sandbox.slack.com/"


def test_missing_token_is_http_200_not_authed(web: httpx.Client) -> None:
    response = web.post(f"{SLACK}/chat.postMessage", json={"channel": "C1", "text": "x"})
    assert response.status_code == 200
    assert response.json() == {"ok": False, "error": "not_authed"}


def test_unknown_method_is_unknown_method(web: httpx.Client) -> None:
    response = web.post(f"{SLACK}/chat.explode", headers=SLACK_AUTH)
    assert response.json() == {"ok": False, "error": "unknown_method"}


def test_seed_has_incidents_dev_and_alerts_with_the_bot_in_all_three(web: httpx.Client) -> None:
    channels = {c["name"]: c for c in get(web, "conversations.list")["channels"]}
    assert set(channels) == {"incidents", "dev", "alerts"}
    assert all(c["is_member"] and re.match(r"^C[A-Z0-9]{8,}$", c["id"]) for c in channels.values())
    assert channels["incidents"]["topic"]["value"].startswith("Incident channel | on call: ")
    members = get(web, "conversations.members", channel=channels["incidents"]["id"])["members"]
    assert BOT_USER_ID in members and len(members) == 25


def test_seed_users_mirror_the_seed_people(em: Emulator, web: httpx.Client) -> None:
    users = people(web)
    assert len(users) == 24
    someone = users[0]
    assert someone["profile"]["email"].endswith("@example.com")
    assert someone["tz"] and isinstance(someone["tz_offset"], int)
    assert someone["real_name"] == someone["profile"]["real_name"]


def test_handle_works_on_a_bare_connection_without_the_core() -> None:
    db = sqlite3.connect(":memory:")
    emulator = SlackEmulator()
    emulator.create_schema(db)
    person = SeedPerson(email="ada@example.com", name="Ada Lovelace", timezone="Europe/London",
                        start_date=date(2020, 1, 1), manager=None, slack_id="U0ADA00001")
    emulator.seed(db, random.Random(1), [person], NOW)
    ctx = Ctx(db=db, now=NOW, clock=0.0)
    request = httpx.Request("GET", f"{SLACK}/users.lookupByEmail?email=ADA@example.com", headers=SLACK_AUTH)
    answer = emulator.handle(ctx, request, "/users.lookupByEmail").json()
    assert answer["ok"] and answer["user"]["id"] == "U0ADA00001"
    anonymous = httpx.Request("GET", f"{SLACK}/auth.test")
    assert emulator.handle(ctx, anonymous, "/auth.test").json() == {"ok": False, "error": "not_authed"}
    assert emulator.operation("GET", "/auth.test") == "auth.test"
    assert emulator.operation("GET", "/chat.explode") is None


# ---- conversations.create --------------------------------------------------------------------------------


def test_create_makes_the_bot_a_member_and_leaves_a_join_message(web: httpx.Client) -> None:
    body = post(web, "conversations.create", name="inc-42-checkout")
    channel = body["channel"]
    assert body["ok"] and channel["name"] == "inc-42-checkout" and channel["is_member"]
    assert channel["creator"] == BOT_USER_ID and not channel["is_private"]
    history = get(web, "conversations.history", channel=channel["id"])["messages"]
    assert [(m["subtype"], m["user"]) for m in history] == [("channel_join", BOT_USER_ID)]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Inc-42", "invalid_name_specials"),
        ("inc 42", "invalid_name_specials"),
        ("inc.42", "invalid_name_specials"),
        ("a" * 81, "invalid_name_maxlength"),
        ("--_-", "invalid_name_punctuation"),
    ],
)
def test_create_refuses_bad_names(web: httpx.Client, name: str, error: str) -> None:
    assert post(web, "conversations.create", name=name) == {"ok": False, "error": error}


def test_create_takes_an_80_character_name(web: httpx.Client) -> None:
    assert post(web, "conversations.create", name="a" * 80)["ok"] is True


def test_name_taken_does_not_say_which_channel_holds_the_name(web: httpx.Client) -> None:
    first = post(web, "conversations.create", name="inc-7")["channel"]["id"]
    assert post(web, "conversations.archive", channel=first) == {"ok": True}
    # an archived channel still holds its name, and the answer does not return it
    assert post(web, "conversations.create", name="inc-7") == {"ok": False, "error": "name_taken"}
    assert post(web, "conversations.create", name="incidents") == {"ok": False, "error": "name_taken"}


def test_the_client_refuses_name_taken_as_a_rejection(slack: SlackClient) -> None:
    with pytest.raises(SlackRejectedError) as info:
        slack.conversations_create(name="dev")
    assert info.value.error == "name_taken"


# ---- topic and purpose -----------------------------------------------------------------------------------


def test_topic_and_purpose_are_set_up_to_250_characters(web: httpx.Client) -> None:
    dev = channel_id(web, "dev")
    body = post(web, "conversations.setTopic", channel=dev, topic="t" * 250)
    assert body["ok"] and body["channel"]["topic"]["value"] == "t" * 250
    assert body["channel"]["topic"]["creator"] == BOT_USER_ID
    assert post(web, "conversations.setTopic", channel=dev, topic="t" * 251) == {"ok": False,
                                                                                 "error": "too_long"}
    assert error(web, "conversations.setPurpose", channel=dev, purpose="p" * 251) == "too_long"
    purpose = post(web, "conversations.setPurpose", channel=dev, purpose="Deploys")["channel"]["purpose"]
    assert purpose["value"] == "Deploys"
    subtypes = [m.get("subtype") for m in get(web, "conversations.history", channel=dev, limit=2)["messages"]]
    assert subtypes == ["channel_purpose", "channel_topic"]


def test_topic_needs_the_bot_in_the_channel(em: Emulator, web: httpx.Client) -> None:
    outside = outsider_channel(em, web)
    assert post(web, "conversations.setTopic", channel=outside, topic="x") == {"ok": False,
                                                                               "error": "not_in_channel"}
    assert error(web, "conversations.setTopic", channel="C0NOSUCH01", topic="x") == "channel_not_found"


# ---- conversations.invite --------------------------------------------------------------------------------


def test_invite_adds_members_and_says_who_joined(web: httpx.Client) -> None:
    channel = post(web, "conversations.create", name="inc-1")["channel"]["id"]
    a, b = (u["id"] for u in people(web)[:2])
    body = post(web, "conversations.invite", channel=channel, users=f"{a},{b}")
    assert body["ok"] and body["channel"]["id"] == channel
    assert set(get(web, "conversations.members", channel=channel)["members"]) == {BOT_USER_ID, a, b}
    joins = [m for m in get(web, "conversations.history", channel=channel)["messages"]
             if m.get("inviter") == BOT_USER_ID]
    assert {m["user"] for m in joins} == {a, b}


def test_invite_reports_each_refused_user_and_invites_no_one(web: httpx.Client) -> None:
    channel = post(web, "conversations.create", name="inc-2")["channel"]["id"]
    a, b = (u["id"] for u in people(web)[:2])
    assert post(web, "conversations.invite", channel=channel, users=a)["ok"]
    body = post(web, "conversations.invite", channel=channel, users=f"{a},{b},U0NOBODY99,{BOT_USER_ID}")
    assert body == {"ok": False, "error": "already_in_channel", "errors": [
        {"user": a, "ok": False, "error": "already_in_channel"},
        {"user": "U0NOBODY99", "ok": False, "error": "user_not_found"},
        {"user": BOT_USER_ID, "ok": False, "error": "cant_invite_self"},
    ]}
    assert b not in get(web, "conversations.members", channel=channel)["members"]


def test_invite_with_force_invites_the_valid_ones(web: httpx.Client) -> None:
    channel = post(web, "conversations.create", name="inc-3")["channel"]["id"]
    a, b = (u["id"] for u in people(web)[:2])
    post(web, "conversations.invite", channel=channel, users=a)
    body = post(web, "conversations.invite", channel=channel, users=f"{a},{b},U0NOBODY99", force=True)
    assert body["ok"] is True and "errors" not in body
    assert set(get(web, "conversations.members", channel=channel)["members"]) == {BOT_USER_ID, a, b}
    only_bad = post(web, "conversations.invite", channel=channel, users="U0NOBODY99", force=True)
    assert only_bad["error"] == "user_not_found"


def test_invite_channel_errors(em: Emulator, web: httpx.Client) -> None:
    someone = people(web)[0]["id"]
    outside = outsider_channel(em, web)
    dev = channel_id(web, "dev")
    assert error(web, "conversations.invite", channel=outside, users=someone) == "not_in_channel"
    assert error(web, "conversations.invite", channel="C0NOSUCH01", users=someone) == "channel_not_found"
    assert error(web, "conversations.invite", channel=dev, users=" , ") == "no_user"
    many = ",".join(f"U0FAKE{i:04d}" for i in range(INVITE_MAX + 1))
    assert error(web, "conversations.invite", channel=dev, users=many) == "too_many_users"
    archived = post(web, "conversations.create", name="inc-old")["channel"]["id"]
    post(web, "conversations.archive", channel=archived)
    assert post(web, "conversations.invite", channel=archived, users=someone)["error"] == "is_archived"


def test_client_invite_tolerates_already_in_channel(web: httpx.Client, slack: SlackClient) -> None:
    channel = slack.conversations_create(name="inc-4").id
    a, b, c = (u["id"] for u in people(web)[:3])
    slack.conversations_invite(channel=channel, users=[a])
    result = slack.conversations_invite(channel=channel, users=[a, b, c], force=False)
    assert result.already_in_channel == [a] and sorted(result.invited) == sorted([b, c])
    assert set(get(web, "conversations.members", channel=channel)["members"]) == {BOT_USER_ID, a, b, c}


# ---- join and open ---------------------------------------------------------------------------------------


def test_join_a_public_channel_then_again_with_a_warning(em: Emulator, web: httpx.Client) -> None:
    outside = outsider_channel(em, web)
    assert post(web, "chat.postMessage", channel=outside, text="hi")["error"] == "not_in_channel"
    joined = post(web, "conversations.join", channel=outside)
    assert joined["ok"] and joined["channel"]["is_member"] and "warning" not in joined
    again = post(web, "conversations.join", channel=outside)
    assert again["ok"] and again["warning"] == "already_in_channel"
    assert post(web, "chat.postMessage", channel=outside, text="hi")["ok"]


def test_open_gives_one_dm_per_user_and_the_bot_can_post_there(web: httpx.Client, slack: SlackClient) -> None:
    someone = people(web)[3]["id"]
    first = post(web, "conversations.open", users=someone)
    assert first == {"ok": True, "channel": {"id": first["channel"]["id"]}}
    assert first["channel"]["id"].startswith("D")
    second = post(web, "conversations.open", users=someone, return_im=True)
    assert second["already_open"] and second["channel"]["id"] == first["channel"]["id"]
    assert second["channel"]["user"] == someone and second["channel"]["is_im"]
    dm = slack.conversations_open(users=someone)
    assert dm.id == first["channel"]["id"]
    posted = slack.chat_post_message(channel=dm.id, text="You are on call from Monday.")
    assert posted.channel == dm.id
    by_user = post(web, "chat.postMessage", channel=someone, text="Reminder")
    assert by_user["channel"] == dm.id


def test_open_unknown_user(web: httpx.Client) -> None:
    assert post(web, "conversations.open", users="U0NOBODY99") == {"ok": False, "error": "user_not_found"}


# ---- paging ----------------------------------------------------------------------------------------------


def test_conversations_list_pages_with_a_cursor(web: httpx.Client, slack: SlackClient) -> None:
    for i in range(7):
        post(web, "conversations.create", name=f"inc-{i}")
    first = get(web, "conversations.list", limit=4)
    assert len(first["channels"]) == 4 and first["response_metadata"]["next_cursor"]
    names: list[str] = []
    cursor = ""
    while True:
        page = get(web, "conversations.list", limit=4, **({"cursor": cursor} if cursor else {}))
        names += [c["name"] for c in page["channels"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert len(names) == 10 == len(set(names))
    assert {c.name for c in slack.iter_conversations(limit=3)} == set(names)


def test_a_filtered_page_can_be_empty_while_the_cursor_goes_on(web: httpx.Client, slack: SlackClient) -> None:
    post(web, "conversations.create", name="inc-secret", is_private=True)
    page = get(web, "conversations.list", types="private_channel", limit=2)
    assert page["channels"] == [] and page["response_metadata"]["next_cursor"]
    names = [c.name for c in slack.iter_conversations(types=("private_channel",), limit=2)]
    assert names == ["inc-secret"]


def test_archived_channels_can_be_excluded(web: httpx.Client) -> None:
    gone = post(web, "conversations.create", name="inc-gone")["channel"]["id"]
    post(web, "conversations.archive", channel=gone)
    listed = {c["name"]: c for c in get(web, "conversations.list")["channels"]}
    assert listed["inc-gone"]["is_archived"]
    live = get(web, "conversations.list", exclude_archived=True)["channels"]
    assert "inc-gone" not in {c["name"] for c in live}
    assert post(web, "chat.postMessage", channel=gone, text="x")["error"] == "is_archived"


def test_bad_cursor_and_types(web: httpx.Client) -> None:
    assert get(web, "conversations.list", cursor="bm9wZQ==")["error"] == "invalid_cursor"
    assert get(web, "users.list", cursor="not a cursor")["error"] == "invalid_cursor"
    assert get(web, "conversations.list", types="public_channel,shared")["error"] == "invalid_types"


def test_users_list_pages_through_everyone(web: httpx.Client, slack: SlackClient) -> None:
    first = get(web, "users.list", limit=10)
    assert len(first["members"]) == 10 and first["response_metadata"]["next_cursor"]
    users = list(slack.iter_users(limit=7))
    assert len(users) == 25 == len({u.id for u in users})
    assert [u.id for u in users if u.is_bot] == [BOT_USER_ID]


def test_history_pages_newest_first(web: httpx.Client) -> None:
    dev = channel_id(web, "dev")
    sent = [post(web, "chat.postMessage", channel=dev, text=f"m{i}")["ts"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        more: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = get(web, "conversations.history", channel=dev, limit=3, **more)
        seen += [m["ts"] for m in page["messages"]]
        if not page["has_more"]:
            assert "response_metadata" not in page
            break
        cursor = page["response_metadata"]["next_cursor"]
    assert seen[:5] == sent[::-1] and len(seen) == 7 and seen == sorted(seen, reverse=True)
    window = get(web, "conversations.history", channel=dev, oldest=sent[1], latest=sent[3])["messages"]
    assert [m["text"] for m in window] == ["m2"]
    inclusive = get(web, "conversations.history", channel=dev, oldest=sent[1], latest=sent[3], inclusive=True)
    assert [m["text"] for m in inclusive["messages"]] == ["m3", "m2", "m1"]


# ---- messages, threads -----------------------------------------------------------------------------------


def test_post_message_by_id_or_name_gives_unique_increasing_ts(web: httpx.Client) -> None:
    incidents = channel_id(web, "incidents")
    first = post(web, "chat.postMessage", channel=incidents, text="Investigating")
    second = post(web, "chat.postMessage", channel="#incidents", text="Still investigating")
    third = post(web, "chat.postMessage", channel="incidents", text="Found it")
    assert first["channel"] == second["channel"] == third["channel"] == incidents
    stamps = [first["ts"], second["ts"], third["ts"]]
    assert all(TS.match(ts) for ts in stamps) and stamps == sorted(set(stamps))
    assert first["ts"].startswith(str(int(NOW.timestamp())))  # from the emulator's clock, not the host's
    message = first["message"]
    assert (message["text"], message["user"]) == ("Investigating", BOT_USER_ID)
    assert message["bot_id"] == "B0ONCALLBOT"


def test_write_methods_also_take_a_form_body(web: httpx.Client) -> None:
    response = web.post(f"{SLACK}/chat.postMessage", data={"channel": "#dev", "text": "from a form"},
                        headers=SLACK_AUTH)
    assert response.json()["ok"] and response.json()["message"]["text"] == "from a form"


def test_post_message_errors(web: httpx.Client) -> None:
    dev = channel_id(web, "dev")
    assert post(web, "chat.postMessage", channel="C0NOSUCH01", text="x") == {"ok": False,
                                                                            "error": "channel_not_found"}
    assert post(web, "chat.postMessage", channel="#no-such-channel", text="x")["error"] == "channel_not_found"
    assert post(web, "chat.postMessage", channel=dev)["error"] == "no_text"
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    with_blocks = post(web, "chat.postMessage", channel=dev, blocks=blocks)
    assert with_blocks["ok"] and with_blocks["message"]["blocks"] == blocks


def test_replying_in_the_seeded_thread(web: httpx.Client, slack: SlackClient) -> None:
    incidents = channel_id(web, "incidents")
    parent = next(m for m in get(web, "conversations.history", channel=incidents)["messages"]
                  if m.get("reply_count"))
    before = parent["reply_count"]
    reply = slack.chat_post_message(channel=incidents, text="Adding a postmortem link",
                                    thread_ts=parent["ts"])
    assert reply.message is not None and reply.message.thread_ts == parent["ts"]
    thread = slack.conversations_replies(channel=incidents, ts=parent["ts"])
    assert thread.messages[0].ts == parent["ts"] and thread.messages[0].reply_count == before + 1
    assert thread.messages[-1].text == "Adding a postmortem link"
    assert all(m.thread_ts == parent["ts"] for m in thread.messages)
    # a reply is not in the channel's history; its parent's counters are
    history = get(web, "conversations.history", channel=incidents)["messages"]
    assert reply.ts not in {m["ts"] for m in history}
    assert next(m for m in history if m["ts"] == parent["ts"])["latest_reply"] == reply.ts


def test_replying_to_a_reply_lands_in_the_parents_thread_and_broadcast_shows_in_history(
        web: httpx.Client) -> None:
    dev = channel_id(web, "dev")
    root = post(web, "chat.postMessage", channel=dev, text="root")["ts"]
    first = post(web, "chat.postMessage", channel=dev, text="r1", thread_ts=root)["ts"]
    nested = post(web, "chat.postMessage", channel=dev, text="r2", thread_ts=first)
    assert nested["message"]["thread_ts"] == root
    loud = post(web, "chat.postMessage", channel=dev, text="r3", thread_ts=root, reply_broadcast=True)
    history = get(web, "conversations.history", channel=dev, limit=2)["messages"]
    assert history[0]["ts"] == loud["ts"] and history[0]["subtype"] == "thread_broadcast"
    alone = get(web, "conversations.replies", channel=dev, ts=first)["messages"]
    assert [m["text"] for m in alone] == ["r1"]


def test_replies_page_with_the_parent_first_on_every_page(web: httpx.Client) -> None:
    dev = channel_id(web, "dev")
    root = post(web, "chat.postMessage", channel=dev, text="root")["ts"]
    replies = [post(web, "chat.postMessage", channel=dev, text=f"r{i}", thread_ts=root)["ts"]
               for i in range(5)]
    got: list[str] = []
    cursor = None
    while True:
        page = get(web, "conversations.replies", channel=dev, ts=root, limit=3,
                   **({"cursor": cursor} if cursor else {}))
        assert page["messages"][0]["ts"] == root
        got += [m["ts"] for m in page["messages"][1:]]
        if not page["has_more"]:
            break
        cursor = page["response_metadata"]["next_cursor"]
    assert got == replies


def test_replies_of_an_unknown_thread(web: httpx.Client) -> None:
    dev = channel_id(web, "dev")
    assert get(web, "conversations.replies", channel=dev, ts="1234567890.123456") == {
        "ok": False, "error": "thread_not_found"}


# ---- scheduled messages, permalinks ----------------------------------------------------------------------


def test_schedule_message_then_it_is_posted_when_its_time_comes(web: httpx.Client, now: Now,
                                                                slack: SlackClient) -> None:
    incidents = channel_id(web, "incidents")
    at = int((NOW + timedelta(hours=1)).timestamp())
    scheduled = slack.chat_schedule_message(channel=incidents, text="Handover in 10 minutes", post_at=at)
    assert re.match(r"^Q[A-Z0-9]{8,}$", scheduled.scheduled_message_id) and scheduled.post_at == at
    listed = get(web, "chat.scheduledMessages.list", channel=incidents)["scheduled_messages"]
    assert [(s["id"], s["post_at"]) for s in listed] == [(scheduled.scheduled_message_id, at)]
    assert "Handover" not in get(web, "conversations.history", channel=incidents)["messages"][0]["text"]
    now.value = NOW + timedelta(hours=2)
    latest = get(web, "conversations.history", channel=incidents, limit=1)["messages"][0]
    assert latest["text"] == "Handover in 10 minutes" and latest["ts"].startswith(str(at))
    assert get(web, "chat.scheduledMessages.list")["scheduled_messages"] == []


def test_schedule_message_time_rules(web: httpx.Client) -> None:
    dev = channel_id(web, "dev")
    past = int((NOW - timedelta(minutes=1)).timestamp())
    too_far = int((NOW + timedelta(days=121)).timestamp())
    assert error(web, "chat.scheduleMessage", channel=dev, text="x", post_at=past) == "time_in_past"
    assert error(web, "chat.scheduleMessage", channel=dev, text="x", post_at=too_far) == "time_too_far"
    assert error(web, "chat.scheduleMessage", channel=dev, text="x", post_at="soon") == "invalid_time"


def test_scheduled_message_can_be_deleted(web: httpx.Client) -> None:
    dev = channel_id(web, "dev")
    at = int((NOW + timedelta(hours=1)).timestamp())
    scheduled = post(web, "chat.scheduleMessage", channel=dev, text="x", post_at=at)["scheduled_message_id"]
    args = {"channel": dev, "scheduled_message_id": scheduled}
    assert post(web, "chat.deleteScheduledMessage", **args) == {"ok": True}
    assert error(web, "chat.deleteScheduledMessage", **args) == "invalid_scheduled_message_id"


def test_permalinks_point_at_the_message_and_the_thread(web: httpx.Client, slack: SlackClient) -> None:
    dev = channel_id(web, "dev")
    root = post(web, "chat.postMessage", channel=dev, text="root")["ts"]
    reply = post(web, "chat.postMessage", channel=dev, text="reply", thread_ts=root)["ts"]
    link = slack.chat_get_permalink(channel=dev, message_ts=root)
    assert link == f"https://sandbox.slack.com/archives/{dev}/p{root.replace('.', '')}"
    reply_link = get(web, "chat.getPermalink", channel=dev, message_ts=reply)["permalink"]
    assert reply_link.endswith(f"?thread_ts={root}&cid={dev}")
    with pytest.raises(SlackNotFoundError):
        slack.chat_get_permalink(channel=dev, message_ts="1111111111.000001")


# ---- users -----------------------------------------------------------------------------------------------


def test_lookup_by_email_ignores_case_and_misses_with_users_not_found(web: httpx.Client,
                                                                      slack: SlackClient) -> None:
    someone = people(web)[5]
    found = slack.users_lookup_by_email(email=someone["profile"]["email"].upper())
    assert found.id == someone["id"] and found.profile.email == someone["profile"]["email"]
    with pytest.raises(SlackNotFoundError) as info:
        slack.users_lookup_by_email(email="nobody@example.com")
    assert info.value.error == "users_not_found"
    assert get(web, "users.info", user="U0NOBODY99") == {"ok": False, "error": "user_not_found"}
    assert slack.users_info(user=someone["id"]).real_name == someone["real_name"]


def test_reminders_add_refuses_a_bot_token(web: httpx.Client) -> None:
    assert post(web, "reminders.add", text="x", time="in 5 minutes") == {"ok": False,
                                                                         "error": "not_allowed_token_type"}


# ---- status ----------------------------------------------------------------------------------------------


def test_status_counts_channels_incident_channels_messages_and_scheduled(em: Emulator,
                                                                        web: httpx.Client) -> None:
    before = em.status()["services"]["slack"]
    channel = post(web, "conversations.create", name="inc-99-search")["channel"]["id"]
    post(web, "chat.postMessage", channel=channel, text="Declared")
    post(web, "chat.scheduleMessage", channel=channel, text="Update due",
         post_at=int((NOW + timedelta(minutes=30)).timestamp()))
    after = em.status()["services"]["slack"]
    assert after["channels"] == before["channels"] + 1 == 4
    assert after["incident_channels"] == ["inc-99-search"]
    assert after["messages"] == before["messages"] + 1  # the join notice is not counted
    assert after["scheduled_messages"] == 1 and after["users"] == 24


def test_every_method_served_is_in_the_vendored_spec() -> None:
    assert set(SlackEmulator().methods) == set(Validator().operations("slack"))


def test_same_seed_same_world(now: Now) -> None:
    with (Emulator(now=now, services=[SlackEmulator()], seed=3) as a,
          Emulator(now=now, services=[SlackEmulator()], seed=3) as b):
        assert a.snapshot("slack") == b.snapshot("slack")
