"""SlackClient against respx routes that match the exact request (no network, no patching, no real sleep).

Response bodies are the examples of `slack_web_openapi_v2.json` unless a test needs another shape.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from oncall_cli.clients._http import Runtime
from oncall_cli.clients.slack import (
    INVITE_BATCH,
    SlackApiError,
    SlackAuthError,
    SlackClient,
    SlackNotFoundError,
    SlackRateLimitedError,
    SlackRejectedError,
    SlackUnavailableError,
    channel_slug,
    mention,
    parse_thread_url,
    truncate_text,
    with_suffix,
)
from oncall_cli.errors import (
    AuthError,
    ExitCode,
    NotFoundError,
    OncallError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
    UsageError,
)
from oncall_cli.redaction import forget_secrets

from .conftest import FakeClock

TOKEN = "xoxb-1234567890-0987654321-SeCrEtToKeNvAlUe"
API = "https://slack.com/api/"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def make_client(router: respx.MockRouter, clock: FakeClock, token: str | None = TOKEN) -> SlackClient:
    runtime = Runtime(
        sleep=clock.sleep, clock=clock, wall=lambda: 1_700_000_000.0 + clock.now, rng=random.Random(7)
    )
    http = httpx.Client(transport=httpx.MockTransport(router.handler))
    return SlackClient(http, token=token, runtime=runtime)


@pytest.fixture
def slack(router: respx.MockRouter, clock: FakeClock) -> SlackClient:
    return make_client(router, clock)


def ok(**body: Any) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, **body})


def fail(error: str, **body: Any) -> httpx.Response:
    return httpx.Response(200, json={"ok": False, "error": error, **body})


def get(router: respx.MockRouter, method: str, params: dict[str, str]) -> respx.Route:
    """A route for a read method: GET with exactly these query parameters and the bearer token."""
    return router.get(API + method, params__eq=params, headers=AUTH)


def post(router: respx.MockRouter, method: str, body: dict[str, Any]) -> respx.Route:
    """A route for a write method: POST of exactly this JSON body, no query string, the bearer token."""
    return router.post(url__eq=API + method, json=body, headers=AUTH)


def sent_json(route: respx.Route) -> Any:
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.content)


CONVERSATION = {  # conversations.create 200 example
    "created": 1504554479,
    "creator": "U0123456",
    "id": "C0EAQDV4Z",
    "is_archived": False,
    "is_channel": True,
    "is_ext_shared": False,
    "is_general": False,
    "is_group": False,
    "is_im": False,
    "is_member": True,
    "is_mpim": False,
    "is_org_shared": False,
    "is_pending_ext_shared": False,
    "is_private": False,
    "is_shared": False,
    "last_read": "0000000000.000000",
    "latest": None,
    "name": "endeavor",
    "name_normalized": "endeavor",
    "pending_shared": [],
    "previous_names": [],
    "priority": 0,
    "purpose": {"creator": "", "last_set": 0, "value": ""},
    "topic": {"creator": "", "last_set": 0, "value": ""},
    "unlinked": 0,
    "unread_count": 0,
    "unread_count_display": 0,
}
USER = {  # users.info 200 example
    "color": "9f69e7",
    "deleted": False,
    "has_2fa": False,
    "id": "W012A3CDE",
    "is_admin": True,
    "is_app_user": False,
    "is_bot": False,
    "is_owner": False,
    "is_primary_owner": False,
    "is_restricted": False,
    "is_ultra_restricted": False,
    "name": "spengler",
    "profile": {
        "avatar_hash": "ge3b51ca72de",
        "display_name": "spengler",
        "display_name_normalized": "spengler",
        "email": "spengler@ghostbusters.example.com",
        "real_name": "Egon Spengler",
        "real_name_normalized": "Egon Spengler",
        "status_emoji": ":books:",
        "status_text": "Print is dead",
        "team": "T012AB3C4",
    },
    "real_name": "Egon Spengler",
    "team_id": "T012AB3C4",
    "tz": "America/Los_Angeles",
    "tz_label": "Pacific Daylight Time",
    "tz_offset": -25200,
    "updated": 1502138686,
}


# ---- auth -------------------------------------------------------------------------------------------------


def test_auth_test_sends_the_bearer_token_and_reads_the_identity(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    route = get(router, "auth.test", {}).mock(
        return_value=ok(
            team="Subarachnoid Workspace",
            team_id="T12345678",
            url="https://subarachnoid.slack.com/",
            user="grace",
            user_id="W12345678",
        )
    )

    who = slack.auth_test()

    assert (who.team_id, who.user_id, who.user) == ("T12345678", "W12345678", "grace")
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.content == b""


def test_without_a_token_no_authorization_header_is_sent_and_not_authed_is_an_auth_error(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(API + "auth.test").mock(return_value=fail("not_authed"))
    client = make_client(router, clock, token=None)

    with pytest.raises(SlackAuthError) as caught:
        client.auth_test()

    assert "authorization" not in route.calls.last.request.headers
    assert caught.value.error == "not_authed"
    assert caught.value.exit_code == ExitCode.AUTH


# ---- ok:false becomes a typed error -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "slack_class", "base_class"),
    [
        ("invalid_auth", SlackAuthError, AuthError),
        ("not_authed", SlackAuthError, AuthError),
        ("token_revoked", SlackAuthError, AuthError),
        ("account_inactive", SlackAuthError, AuthError),
        ("missing_scope", SlackAuthError, AuthError),
        ("not_allowed_token_type", SlackAuthError, AuthError),
        ("channel_not_found", SlackNotFoundError, NotFoundError),
        ("user_not_found", SlackNotFoundError, NotFoundError),
        ("users_not_found", SlackNotFoundError, NotFoundError),
        ("thread_not_found", SlackNotFoundError, NotFoundError),
        ("ratelimited", SlackRateLimitedError, RateLimitedError),
        ("internal_error", SlackUnavailableError, UnavailableError),
        ("name_taken", SlackRejectedError, RejectedError),
        ("is_archived", SlackRejectedError, RejectedError),
        ("some_future_error", SlackRejectedError, RejectedError),
    ],
)
def test_ok_false_becomes_a_typed_error_carrying_slacks_code(
    slack: SlackClient,
    router: respx.MockRouter,
    code: str,
    slack_class: type[SlackApiError],
    base_class: type[OncallError],
) -> None:
    get(router, "conversations.info", {"channel": "C0EAQDV4Z"}).mock(return_value=fail(code))

    with pytest.raises(SlackApiError) as caught:
        slack.conversations_info(channel="C0EAQDV4Z")

    error = caught.value
    assert type(error) is slack_class
    assert isinstance(error, base_class)
    assert error.error == code
    assert error.method == "conversations.info"
    assert error.code == base_class.code
    assert code in error.message
    assert error.to_dict()["details"]["error"] == code


def test_missing_scope_names_the_scope_to_add(slack: SlackClient, router: respx.MockRouter) -> None:
    post(router, "chat.postMessage", {"channel": "C1", "text": "hi", "unfurl_links": False}).mock(
        return_value=fail("missing_scope", needed="chat:write", provided="channels:read")
    )

    with pytest.raises(SlackAuthError) as caught:
        slack.chat_post_message(channel="C1", text="hi")

    assert "chat:write" in caught.value.message
    assert "`chat:write`" in caught.value.hint


def test_ok_false_errors_are_not_retried(
    slack: SlackClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = get(router, "users.info", {"user": "W1"}).mock(return_value=fail("user_not_found"))

    with pytest.raises(SlackNotFoundError):
        slack.users_info(user="W1")

    assert route.call_count == 1
    assert clock.sleeps == []


def test_a_200_that_is_not_json_is_unavailable(slack: SlackClient, router: respx.MockRouter) -> None:
    get(router, "auth.test", {}).mock(return_value=httpx.Response(200, text="<html>captive portal</html>"))

    with pytest.raises(UnavailableError, match="not JSON"):
        slack.auth_test()


# ---- retries ----------------------------------------------------------------------------------------------


def test_http_429_with_retry_after_is_retried_after_the_given_wait(
    slack: SlackClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = get(router, "users.info", {"user": "W012A3CDE"}).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}, json={"ok": False, "error": "ratelimited"}),
            ok(user=USER),
        ]
    )

    user = slack.users_info(user="W012A3CDE")

    assert user.id == "W012A3CDE"
    assert route.call_count == 2
    assert len(clock.sleeps) == 1 and 3.0 <= clock.sleeps[0] <= 4.0


def test_a_5xx_on_a_read_method_is_retried(
    slack: SlackClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = get(router, "users.info", {"user": "W012A3CDE"}).mock(
        side_effect=[httpx.Response(503, text="upstream connect error"), ok(user=USER)]
    )

    assert slack.users_info(user="W012A3CDE").name == "spengler"
    assert route.call_count == 2
    assert len(clock.sleeps) == 1


def test_a_5xx_on_chat_post_message_is_not_retried_so_nothing_posts_twice(
    slack: SlackClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = post(router, "chat.postMessage", {"channel": "C1", "text": "hi", "unfurl_links": False}).mock(
        return_value=httpx.Response(500, text="")
    )

    with pytest.raises(UnavailableError):
        slack.chat_post_message(channel="C1", text="hi")

    assert route.call_count == 1
    assert clock.sleeps == []


# ---- tokens never leak ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(400, text=f"<html><body>bad request: Authorization: Bearer {TOKEN}</body></html>"),
        httpx.Response(400, json={"ok": False, "error": f"invalid token {TOKEN}"}),
        httpx.Response(200, json={"ok": False, "error": f"{TOKEN}", "needed": TOKEN}),
    ],
)
def test_the_token_never_appears_in_an_error(
    router: respx.MockRouter, clock: FakeClock, response: httpx.Response
) -> None:
    forget_secrets()  # the client registers its own token
    client = make_client(router, clock)
    get(router, "auth.test", {}).mock(return_value=response)

    with pytest.raises(OncallError) as caught:
        client.auth_test()

    shown = json.dumps(caught.value.to_dict()) + str(caught.value)
    assert TOKEN not in shown
    assert "SeCrEtToKeNvAlUe" not in shown


def test_the_token_never_appears_when_the_network_fails(router: respx.MockRouter, clock: FakeClock) -> None:
    client = make_client(router, clock)
    get(router, "auth.test", {}).mock(side_effect=httpx.ConnectError(f"refused Bearer {TOKEN}"))

    with pytest.raises(UnavailableError) as caught:
        client.auth_test()

    assert TOKEN not in str(caught.value)
    assert TOKEN not in json.dumps(caught.value.to_dict())


# ---- conversations ----------------------------------------------------------------------------------------


def test_conversations_create_posts_json_and_returns_the_channel(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    route = post(router, "conversations.create", {"name": "inc-42-checkout", "is_private": False}).mock(
        return_value=ok(channel=CONVERSATION)
    )

    channel = slack.conversations_create(name="inc-42-checkout")

    assert channel.id == "C0EAQDV4Z"
    assert channel.is_channel and not channel.is_private
    assert sent_json(route) == {"name": "inc-42-checkout", "is_private": False}


def test_conversations_create_private(slack: SlackClient, router: respx.MockRouter) -> None:
    post(router, "conversations.create", {"name": "inc-7", "is_private": True}).mock(
        return_value=ok(channel={**CONVERSATION, "is_private": True})
    )

    assert slack.conversations_create(name="inc-7", is_private=True).is_private


@pytest.mark.parametrize("name", ["Inc 42", "", "inc#42", "x" * 81, "---", "café"])
def test_conversations_create_refuses_an_invalid_name_before_calling_slack(
    slack: SlackClient, name: str
) -> None:
    with pytest.raises(UsageError):
        slack.conversations_create(name=name)


def test_conversations_create_name_taken_is_rejected_with_its_code(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    post(router, "conversations.create", {"name": "inc-42", "is_private": False}).mock(
        return_value=fail("name_taken")
    )

    with pytest.raises(SlackRejectedError) as caught:
        slack.conversations_create(name="inc-42")

    assert caught.value.error == "name_taken"
    assert caught.value.exit_code == ExitCode.REJECTED


def test_conversations_info_reads_one_channel(slack: SlackClient, router: respx.MockRouter) -> None:
    get(router, "conversations.info", {"channel": "C012AB3CD", "include_num_members": "true"}).mock(
        return_value=ok(
            channel={
                **CONVERSATION,
                "id": "C012AB3CD",
                "name": "general",
                "num_members": 23,
                "topic": {
                    "creator": "W012A3BCD",
                    "last_set": 1449709364,
                    "value": "For public discussion of generalities",
                },
            }
        )
    )

    channel = slack.conversations_info(channel="C012AB3CD", include_num_members=True)

    assert (channel.name, channel.num_members) == ("general", 23)
    assert channel.topic is not None and channel.topic.value == "For public discussion of generalities"


def test_conversations_list_sends_types_exclude_archived_limit_and_cursor(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    get(
        router,
        "conversations.list",
        {
            "types": "public_channel,private_channel",
            "exclude_archived": "true",
            "limit": "200",
            "cursor": "dGVhbTpDMDYxRkE1UEI=",
        },
    ).mock(
        return_value=ok(
            channels=[{**CONVERSATION, "id": "C061EG9T2", "name": "random"}],
            response_metadata={"next_cursor": ""},
        )
    )

    page = slack.conversations_list(
        types=["public_channel", "private_channel"], exclude_archived=True, cursor="dGVhbTpDMDYxRkE1UEI="
    )

    assert [c.name for c in page.channels] == ["random"]
    assert page.next_cursor == ""


def test_iter_conversations_reads_every_page_and_stops_only_on_an_empty_cursor(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    base = {"types": "public_channel", "limit": "200"}
    first = get(router, "conversations.list", base).mock(
        return_value=ok(
            channels=[
                {**CONVERSATION, "id": "C1", "name": "one"},
                {**CONVERSATION, "id": "C2", "name": "two"},
            ],
            response_metadata={"next_cursor": "Y3Vyc29yMQ=="},
        )
    )
    # Slack may answer a page with no channels and a cursor: that is not the end.
    empty = get(router, "conversations.list", {**base, "cursor": "Y3Vyc29yMQ=="}).mock(
        return_value=ok(channels=[], response_metadata={"next_cursor": "Y3Vyc29yMg=="})
    )
    last = get(router, "conversations.list", {**base, "cursor": "Y3Vyc29yMg=="}).mock(
        return_value=ok(
            channels=[{**CONVERSATION, "id": "C3", "name": "three"}], response_metadata={"next_cursor": ""}
        )
    )

    names = [c.name for c in slack.iter_conversations()]

    assert names == ["one", "two", "three"]
    assert (first.call_count, empty.call_count, last.call_count) == (1, 1, 1)


def test_iter_conversations_stops_when_response_metadata_is_missing(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    route = get(router, "conversations.list", {"types": "im", "limit": "50"}).mock(
        return_value=ok(channels=[{"id": "D069C7QFK", "is_im": True, "user": "U1"}])
    )

    assert [c.id for c in slack.iter_conversations(types=["im"], limit=50)] == ["D069C7QFK"]
    assert route.call_count == 1


def test_set_topic_posts_json_and_cuts_the_topic_to_250_characters(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    long_topic = "SEV1 checkout down " * 20
    expected = truncate_text(long_topic, 250)
    route = post(router, "conversations.setTopic", {"channel": "C0EAQDV4Z", "topic": expected}).mock(
        return_value=ok(
            channel={**CONVERSATION, "topic": {"value": expected, "creator": "U1", "last_set": 1}}
        )
    )

    channel = slack.conversations_set_topic(channel="C0EAQDV4Z", topic=long_topic)

    assert len(sent_json(route)["topic"]) <= 250
    assert sent_json(route)["topic"].endswith("…")
    assert channel is not None and channel.topic is not None and channel.topic.value == expected


def test_set_purpose_accepts_the_bare_ok_answer_of_the_spec(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    post(
        router, "conversations.setPurpose", {"channel": "C0EAQDV4Z", "purpose": "Incident 42: checkout"}
    ).mock(return_value=ok())

    assert slack.conversations_set_purpose(channel="C0EAQDV4Z", purpose="Incident 42: checkout") is None


def test_set_topic_is_retried_on_5xx_because_it_is_idempotent(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    route = post(router, "conversations.setTopic", {"channel": "C1", "topic": "t"}).mock(
        side_effect=[httpx.Response(502), ok()]
    )

    slack.conversations_set_topic(channel="C1", topic="t")

    assert route.call_count == 2


def test_conversations_join_tolerates_the_already_in_channel_warning(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    post(router, "conversations.join", {"channel": "C061EG9SL"}).mock(
        return_value=ok(
            channel={**CONVERSATION, "id": "C061EG9SL", "name": "general"},
            warning="already_in_channel",
            response_metadata={"warnings": ["already_in_channel"]},
        )
    )

    assert slack.conversations_join(channel="C061EG9SL").id == "C061EG9SL"


def test_conversations_open_opens_a_dm_with_one_user(slack: SlackClient, router: respx.MockRouter) -> None:
    post(router, "conversations.open", {"users": "W012A3CDE"}).mock(
        return_value=ok(channel={"id": "D069C7QFK"})
    )

    assert slack.conversations_open(users="W012A3CDE").id == "D069C7QFK"


def test_conversations_history_reads_one_page(slack: SlackClient, router: respx.MockRouter) -> None:
    get(
        router, "conversations.history", {"channel": "C1", "oldest": "1512085950.000216", "limit": "10"}
    ).mock(
        return_value=ok(
            has_more=True,
            pin_count=0,
            messages=[
                {
                    "text": "I find you punny",
                    "ts": "1512085950.000216",
                    "type": "message",
                    "user": "U012AB3CDE",
                },
                {
                    "text": "What, you want to smell my shoes better?",
                    "ts": "1512104434.000490",
                    "type": "message",
                    "user": "U061F7AUR",
                },
            ],
            response_metadata={"next_cursor": "bmV4dF90czoxNTEyMDg1ODYxMDAwNTQz"},
        )
    )

    page = slack.conversations_history(channel="C1", oldest="1512085950.000216", limit=10)

    assert [m.ts for m in page.messages] == ["1512085950.000216", "1512104434.000490"]
    assert page.has_more and page.next_cursor == "bmV4dF90czoxNTEyMDg1ODYxMDAwNTQz"


def test_conversations_replies_finds_a_thread(slack: SlackClient, router: respx.MockRouter) -> None:
    get(router, "conversations.replies", {"channel": "C1", "ts": "1482960137.003543", "limit": "1"}).mock(
        return_value=ok(
            has_more=True,
            messages=[
                {
                    "reply_count": 3,
                    "text": "island",
                    "thread_ts": "1482960137.003543",
                    "ts": "1482960137.003543",
                    "type": "message",
                    "user": "U061F7AUR",
                }
            ],
        )
    )

    parent = slack.conversations_replies(channel="C1", ts="1482960137.003543", limit=1).messages[0]

    assert parent.thread_ts == parent.ts and parent.reply_count == 3


def test_conversations_replies_thread_not_found_is_not_found(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    get(router, "conversations.replies", {"channel": "C1", "ts": "1.000000", "limit": "100"}).mock(
        return_value=fail("thread_not_found")
    )

    with pytest.raises(NotFoundError):
        slack.conversations_replies(channel="C1", ts="1.000000")


# ---- conversations.invite ---------------------------------------------------------------------------------


def test_invite_sends_comma_separated_users_with_force(slack: SlackClient, router: respx.MockRouter) -> None:
    post(router, "conversations.invite", {"channel": "C1", "users": "U1,U2", "force": True}).mock(
        return_value=ok(channel=CONVERSATION)
    )

    result = slack.conversations_invite(channel="C1", users=["U1", "U2", "U1"])

    assert result.invited == ["U1", "U2"]
    assert result.already_in_channel == [] and result.failed == {}


def test_invite_chunks_more_than_100_users(slack: SlackClient, router: respx.MockRouter) -> None:
    users = [f"U{i:05d}" for i in range(250)]
    batches: list[list[str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["channel"] == "C1" and body["force"] is True
        batches.append(body["users"].split(","))
        return ok(channel=CONVERSATION)

    router.post(url__eq=API + "conversations.invite", headers=AUTH).mock(side_effect=answer)

    result = slack.conversations_invite(channel="C1", users=users)

    assert [len(b) for b in batches] == [INVITE_BATCH, INVITE_BATCH, 50]
    assert [u for b in batches for u in b] == users
    assert result.invited == users


def test_invite_tolerates_already_in_channel_and_still_invites_the_others(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    first = post(router, "conversations.invite", {"channel": "C1", "users": "U1,U2,U3", "force": True}).mock(
        return_value=fail(
            "already_in_channel", errors=[{"user": "U2", "ok": False, "error": "already_in_channel"}]
        )
    )
    again = post(router, "conversations.invite", {"channel": "C1", "users": "U1,U3", "force": True}).mock(
        return_value=ok(channel=CONVERSATION)
    )

    result = slack.conversations_invite(channel="C1", users=["U1", "U2", "U3"])

    assert result.invited == ["U1", "U3"]
    assert result.already_in_channel == ["U2"]
    assert (first.call_count, again.call_count) == (1, 1)


def test_invite_of_one_user_already_there_is_not_an_error(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    post(router, "conversations.invite", {"channel": "C1", "users": "U1", "force": True}).mock(
        return_value=fail("already_in_channel")
    )

    result = slack.conversations_invite(channel="C1", users="U1")

    assert result.already_in_channel == ["U1"] and result.invited == []


def test_invite_asks_one_by_one_when_slack_does_not_say_who_is_already_there(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    post(router, "conversations.invite", {"channel": "C1", "users": "U1,U2", "force": True}).mock(
        return_value=fail("already_in_channel")
    )
    post(router, "conversations.invite", {"channel": "C1", "users": "U1", "force": True}).mock(
        return_value=ok(channel=CONVERSATION)
    )
    post(router, "conversations.invite", {"channel": "C1", "users": "U2", "force": True}).mock(
        return_value=fail("already_in_channel")
    )

    result = slack.conversations_invite(channel="C1", users=["U1", "U2"])

    assert result.invited == ["U1"] and result.already_in_channel == ["U2"]


def test_invite_with_force_reports_per_user_failures_from_a_successful_answer(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    post(router, "conversations.invite", {"channel": "C1", "users": "U1,U9,U2", "force": True}).mock(
        return_value=ok(
            channel=CONVERSATION,
            errors=[
                {"user": "U9", "ok": False, "error": "user_not_found"},
                {"user": "U2", "ok": False, "error": "already_in_channel"},
            ],
        )
    )

    result = slack.conversations_invite(channel="C1", users=["U1", "U9", "U2"])

    assert result.invited == ["U1"]
    assert result.already_in_channel == ["U2"]
    assert result.failed == {"U9": "user_not_found"}


def test_invite_with_force_retries_the_valid_users_when_the_answer_is_ok_false(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    post(router, "conversations.invite", {"channel": "C1", "users": "U1,U9", "force": True}).mock(
        return_value=fail("cant_invite", errors=[{"user": "U9", "ok": False, "error": "cant_invite"}])
    )
    post(router, "conversations.invite", {"channel": "C1", "users": "U1", "force": True}).mock(
        return_value=ok(channel=CONVERSATION)
    )

    result = slack.conversations_invite(channel="C1", users=["U1", "U9"])

    assert result.invited == ["U1"] and result.failed == {"U9": "cant_invite"}


def test_invite_without_force_raises_on_a_per_user_failure(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    post(router, "conversations.invite", {"channel": "C1", "users": "U1,U9"}).mock(
        return_value=fail("user_not_found", errors=[{"user": "U9", "ok": False, "error": "user_not_found"}])
    )

    with pytest.raises(SlackNotFoundError) as caught:
        slack.conversations_invite(channel="C1", users=["U1", "U9"], force=False)

    assert caught.value.errors[0].user == "U9"
    assert "U9: user_not_found" in caught.value.message


def test_invite_into_an_unknown_channel_raises(slack: SlackClient, router: respx.MockRouter) -> None:
    post(router, "conversations.invite", {"channel": "C404", "users": "U1", "force": True}).mock(
        return_value=fail("channel_not_found")
    )

    with pytest.raises(SlackNotFoundError) as caught:
        slack.conversations_invite(channel="C404", users=["U1"])

    assert caught.value.error == "channel_not_found"


def test_invite_of_nobody_sends_nothing(slack: SlackClient) -> None:
    assert slack.conversations_invite(channel="C1", users=[]).invited == []


# ---- chat -------------------------------------------------------------------------------------------------


def test_chat_post_message_in_a_thread_without_unfurling(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    body = {
        "channel": "C1H9RESGL",
        "text": "Here's a message for you",
        "thread_ts": "1503435956.000247",
        "unfurl_links": False,
    }
    route = post(router, "chat.postMessage", body).mock(
        return_value=ok(
            channel="C1H9RESGL",
            ts="1503435956.000300",
            message={
                "bot_id": "B19LU7CSY",
                "subtype": "bot_message",
                "text": "Here's a message for you",
                "ts": "1503435956.000300",
                "type": "message",
                "username": "ecto1",
            },
        )
    )

    posted = slack.chat_post_message(
        channel="C1H9RESGL", text="Here's a message for you", thread_ts="1503435956.000247"
    )

    assert (posted.channel, posted.ts) == ("C1H9RESGL", "1503435956.000300")
    assert sent_json(route) == body


def test_chat_update_replaces_the_text_of_a_message(slack: SlackClient, router: respx.MockRouter) -> None:
    body = {"channel": "C1H9RESGL", "ts": "1503435956.000300", "text": "Updated text"}
    route = post(router, "chat.update", body).mock(
        return_value=ok(
            channel="C1H9RESGL",
            ts="1503435956.000300",
            text="Updated text",
            message={"type": "message", "text": "Updated text", "user": "U0BOT"},
        )
    )

    updated = slack.chat_update(channel="C1H9RESGL", ts="1503435956.000300", text="Updated text")

    assert (updated.channel, updated.ts, updated.text) == ("C1H9RESGL", "1503435956.000300", "Updated text")
    assert sent_json(route) == body


def test_chat_update_refused_raises_the_slack_error(slack: SlackClient, router: respx.MockRouter) -> None:
    post(router, "chat.update", {"channel": "C1", "ts": "1.000001", "text": "x"}).mock(
        return_value=httpx.Response(200, json={"ok": False, "error": "cant_update_message"})
    )

    with pytest.raises(SlackApiError) as caught:
        slack.chat_update(channel="C1", ts="1.000001", text="x")
    assert caught.value.error == "cant_update_message"


def test_chat_post_message_sends_blocks_as_a_json_array(slack: SlackClient, router: respx.MockRouter) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*SEV1* checkout"}}]
    post(
        router,
        "chat.postMessage",
        {"channel": "C1", "text": "SEV1 checkout", "blocks": blocks, "unfurl_links": False},
    ).mock(return_value=ok(channel="C1", ts="1.000001"))

    assert slack.chat_post_message(channel="C1", text="SEV1 checkout", blocks=blocks).ts == "1.000001"


def test_chat_schedule_message_sends_post_at_as_an_integer(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    post(
        router,
        "chat.scheduleMessage",
        {"channel": "C1H9RESGL", "text": "Handover in 1 hour", "post_at": 1562180400, "unfurl_links": False},
    ).mock(
        return_value=ok(
            channel="C1H9RESGL",
            post_at="1562180400",
            scheduled_message_id="Q1298393284",
            message={
                "bot_id": "B19LU7CSY",
                "text": "Handover in 1 hour",
                "type": "delayed_message",
                "username": "ecto1",
            },
        )
    )

    scheduled = slack.chat_schedule_message(
        channel="C1H9RESGL", text="Handover in 1 hour", post_at=1562180400
    )

    assert scheduled.scheduled_message_id == "Q1298393284"
    assert scheduled.post_at == 1562180400


def test_chat_schedule_message_in_the_past_is_rejected(slack: SlackClient, router: respx.MockRouter) -> None:
    post(
        router, "chat.scheduleMessage", {"channel": "C1", "text": "x", "post_at": 1, "unfurl_links": False}
    ).mock(return_value=fail("time_in_past"))

    with pytest.raises(SlackRejectedError, match="time_in_past"):
        slack.chat_schedule_message(channel="C1", text="x", post_at=1)


SCHEDULED = {  # chat.scheduledMessages.list 200 example (the spec's `id` is a number; real ids are Q...)
    "channel_id": "C1H9RESGL",
    "date_created": 1551891734,
    "id": "Q1298393284",
    "post_at": 1551991428,
    "text": "Here's a message for you in the future",
}


def test_chat_scheduled_messages_list_sends_channel_bounds_limit_and_cursor(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    route = get(
        router,
        "chat.scheduledMessages.list",
        {
            "channel": "C1H9RESGL",
            "oldest": "1551891734",
            "latest": "1562180400",
            "limit": "100",
            "cursor": "c2NoZWR1bGVkOlEx",
        },
    ).mock(return_value=ok(scheduled_messages=[SCHEDULED], response_metadata={"next_cursor": ""}))

    page = slack.chat_scheduled_messages_list(
        channel="C1H9RESGL", oldest=1551891734, latest=1562180400, cursor="c2NoZWR1bGVkOlEx"
    )

    assert route.calls.last.request.method == "GET" and route.calls.last.request.content == b""
    assert [(m.id, m.channel_id, m.post_at, m.text) for m in page.scheduled_messages] == [
        ("Q1298393284", "C1H9RESGL", 1551991428, "Here's a message for you in the future")
    ]
    assert page.next_cursor == ""


def test_chat_scheduled_messages_list_without_arguments_sends_only_the_limit(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    get(router, "chat.scheduledMessages.list", {"limit": "100"}).mock(
        return_value=ok(scheduled_messages=[], response_metadata={"next_cursor": ""})
    )

    assert slack.chat_scheduled_messages_list().scheduled_messages == []


def test_iter_scheduled_messages_reads_every_page_until_the_cursor_is_empty(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    base = {"channel": "D069C7QFK", "limit": "100"}
    first = get(router, "chat.scheduledMessages.list", base).mock(
        return_value=ok(
            scheduled_messages=[{**SCHEDULED, "id": "Q1"}, {**SCHEDULED, "id": "Q2"}],
            response_metadata={"next_cursor": "Y3Vyc29yMQ=="},
        )
    )
    # A page may be empty and still carry a cursor: that is not the end.
    empty = get(router, "chat.scheduledMessages.list", {**base, "cursor": "Y3Vyc29yMQ=="}).mock(
        return_value=ok(scheduled_messages=[], response_metadata={"next_cursor": "Y3Vyc29yMg=="})
    )
    last = get(router, "chat.scheduledMessages.list", {**base, "cursor": "Y3Vyc29yMg=="}).mock(
        return_value=ok(scheduled_messages=[{**SCHEDULED, "id": "Q3"}], response_metadata={"next_cursor": ""})
    )

    ids = [m.id for m in slack.iter_scheduled_messages(channel="D069C7QFK")]

    assert ids == ["Q1", "Q2", "Q3"]
    assert (first.call_count, empty.call_count, last.call_count) == (1, 1, 1)


def test_chat_scheduled_messages_list_of_an_unknown_channel_is_rejected(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    get(router, "chat.scheduledMessages.list", {"channel": "C0NOPE", "limit": "100"}).mock(
        return_value=fail("invalid_channel")
    )

    with pytest.raises(SlackRejectedError, match="invalid_channel"):
        slack.chat_scheduled_messages_list(channel="C0NOPE")


def test_chat_get_permalink(slack: SlackClient, router: respx.MockRouter) -> None:
    get(router, "chat.getPermalink", {"channel": "C1H9RESGA", "message_ts": "1358546515.000008"}).mock(
        return_value=ok(
            channel="C1H9RESGA",
            permalink="https://ghostbusters.slack.com/archives/C1H9RESGA/p1358546515000008",
        )
    )

    link = slack.chat_get_permalink(channel="C1H9RESGA", message_ts="1358546515.000008")

    assert parse_thread_url(link) == ("C1H9RESGA", "1358546515.000008")


# ---- users ------------------------------------------------------------------------------------------------


def test_users_lookup_by_email(slack: SlackClient, router: respx.MockRouter) -> None:
    get(router, "users.lookupByEmail", {"email": "spengler@ghostbusters.example.com"}).mock(
        return_value=ok(user=USER)
    )

    user = slack.users_lookup_by_email(email="spengler@ghostbusters.example.com")

    assert user.id == "W012A3CDE"
    assert user.profile.email == "spengler@ghostbusters.example.com"
    assert user.tz == "America/Los_Angeles"


def test_users_lookup_by_email_unknown_is_not_found(slack: SlackClient, router: respx.MockRouter) -> None:
    get(router, "users.lookupByEmail", {"email": "nobody@example.com"}).mock(
        return_value=fail("users_not_found")
    )

    with pytest.raises(NotFoundError) as caught:
        slack.users_lookup_by_email(email="nobody@example.com")

    assert isinstance(caught.value, SlackApiError) and caught.value.error == "users_not_found"


def test_users_info(slack: SlackClient, router: respx.MockRouter) -> None:
    get(router, "users.info", {"user": "W012A3CDE"}).mock(return_value=ok(user=USER))

    assert slack.users_info(user="W012A3CDE").real_name == "Egon Spengler"


def test_iter_users_reads_every_page(slack: SlackClient, router: respx.MockRouter) -> None:
    get(router, "users.list", {"limit": "200"}).mock(
        return_value=ok(
            cache_ts=1498777272, members=[USER], response_metadata={"next_cursor": "dXNlcjpVMEc5V0ZYTlo="}
        )
    )
    get(router, "users.list", {"limit": "200", "cursor": "dXNlcjpVMEc5V0ZYTlo="}).mock(
        return_value=ok(
            cache_ts=1498777272,
            members=[{**USER, "id": "W07QCRPA4", "name": "glinda"}],
            response_metadata={"next_cursor": ""},
        )
    )

    assert [u.name for u in slack.iter_users()] == ["spengler", "glinda"]


def test_an_answer_in_an_unexpected_shape_is_an_oncall_error(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    get(router, "users.info", {"user": "W1"}).mock(return_value=ok(user={"name": "no id"}))

    with pytest.raises(OncallError, match=r"user\.id"):
        slack.users_info(user="W1")


# ---- pure helpers -----------------------------------------------------------------------------------------

NAME = re.compile(r"^[a-z0-9_-]{1,80}$")


@pytest.mark.parametrize(
    ("text", "prefix", "expected"),
    [
        ("Checkout API 500s!", "inc-42-", "inc-42-checkout-api-500s"),
        ("  Café — Überlast / Zürich  ", "inc-7-", "inc-7-cafe-uberlast-zurich"),
        ("payments_v2   latency", "inc-1-", "inc-1-payments_v2-latency"),
        ("a - b -- c", "", "a-b-c"),
        ("!!!", "inc-9-", "inc-9"),
        ("日本語のみ", "inc-3-", "inc-3"),
        ("ﬁle ＦＵＬＬＷＩＤＴＨ", "", "file-fullwidth"),
        ("Checkout", "INC 42 ", "inc-42-checkout"),
    ],
)
def test_channel_slug_examples(text: str, prefix: str, expected: str) -> None:
    assert channel_slug(text, prefix=prefix) == expected


def test_channel_slug_cuts_to_max_len_without_a_trailing_dash() -> None:
    slug = channel_slug("word " * 40, prefix="inc-123-")
    assert len(slug) <= 80 and NAME.match(slug) and not slug.endswith("-")
    assert channel_slug("abc def", prefix="inc-1-", max_len=10) == "inc-1-abc"
    assert len(channel_slug("x" * 200, prefix="", max_len=500)) == 80


def test_channel_slug_with_nothing_usable_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        channel_slug("!!!", prefix="")
    with pytest.raises(UsageError):
        channel_slug("___", prefix="-")


@given(text=st.text(), number=st.integers(min_value=0, max_value=10**6))
def test_channel_slug_is_always_a_valid_channel_name(text: str, number: int) -> None:
    slug = channel_slug(text, prefix=f"inc-{number}-")
    assert NAME.match(slug)
    assert slug.startswith(f"inc-{number}")


@given(text=st.text(), prefix=st.text(max_size=20), max_len=st.integers(min_value=1, max_value=120))
def test_channel_slug_is_valid_or_refused(text: str, prefix: str, max_len: int) -> None:
    try:
        slug = channel_slug(text, prefix=prefix, max_len=max_len)
    except UsageError:
        return
    assert NAME.match(slug) and len(slug) <= max_len
    assert re.search("[a-z0-9]", slug) and slug[0] != "-" and slug[-1] != "-"


@pytest.mark.parametrize(
    ("name", "n", "expected"),
    [
        ("inc-42-checkout", 2, "inc-42-checkout-2"),
        ("a" * 80, 12, "a" * 77 + "-12"),
        ("a" * 78 + "-b", 3, "a" * 78 + "-3"),
    ],
)
def test_with_suffix_keeps_80_characters(name: str, n: int, expected: str) -> None:
    assert with_suffix(name, n) == expected
    assert len(with_suffix(name, n)) <= 80


@given(
    name=st.from_regex(r"[a-z0-9][a-z0-9_-]{0,79}", fullmatch=True),
    n=st.integers(min_value=1, max_value=10**6),
)
def test_with_suffix_is_always_a_valid_channel_name(name: str, n: int) -> None:
    assert NAME.match(with_suffix(name, n))
    assert with_suffix(name, n).endswith(f"-{n}")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acme.slack.com/archives/C0123ABC/p1700000000123456", ("C0123ABC", "1700000000.123456")),
        ("  https://acme.slack.com/archives/C0123ABC/p1700000000123456  ", ("C0123ABC", "1700000000.123456")),
        (
            "https://acme.enterprise.slack.com/archives/G0123ABC/p1700000000123456",
            ("G0123ABC", "1700000000.123456"),
        ),
        (
            "https://acme.slack.com/archives/C0123ABC/p1700000099000001?thread_ts=1700000000.123456&cid=C0123ABC",
            ("C0123ABC", "1700000000.123456"),
        ),
        (
            "https://app.slack.com/client/T0123/C0123ABC/thread/C0123ABC-1700000000.123456",
            ("C0123ABC", "1700000000.123456"),
        ),
    ],
)
def test_parse_thread_url(url: str, expected: tuple[str, str]) -> None:
    assert parse_thread_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "https://acme.slack.com/archives/C0123ABC",
        "https://acme.slack.com/archives/C0123ABC/p170000000012345",
        "https://acme.slack.com/archives/C0123ABC/p17000000001234567",
        "https://acme.slack.com/archives/C0123ABC/1700000000123456",
        "https://acme.slack.com/archives/c0123abc/p1700000000123456",
        "https://acme.slack.com/messages/C0123ABC/p1700000000123456",
        "https://evil.example.com/archives/C0123ABC/p1700000000123456",
        "https://slack.com.evil.example/archives/C0123ABC/p1700000000123456",
        "ftp://acme.slack.com/archives/C0123ABC/p1700000000123456",
        "https://acme.slack.com/archives/C0123ABC/p1700000000123456?thread_ts=abc",
        "https://acme.slack.com/archives/C0123ABC/p1700000000123456/extra",
    ],
)
def test_parse_thread_url_refuses_other_links(url: str) -> None:
    with pytest.raises(UsageError):
        parse_thread_url(url)


def test_mention() -> None:
    assert mention("U0123ABCD") == "<@U0123ABCD>"
    assert mention("W012A3CDE") == "<@W012A3CDE>"
    with pytest.raises(UsageError):
        mention("@grace")


def test_truncate_text_keeps_short_text_and_cuts_long_text_with_an_ellipsis() -> None:
    assert truncate_text("short", 250) == "short"
    assert truncate_text("x" * 250, 250) == "x" * 250
    assert truncate_text("x" * 251, 250) == "x" * 249 + "…"


def test_truncate_text_does_not_split_characters_or_mentions() -> None:
    accented = "a" * 247 + "e\u0301\u0301" + "tail"
    assert truncate_text(accented, 250) == "a" * 247 + "…"
    flags = "x" * 248 + "🇫🇷🇫🇷"
    assert truncate_text(flags, 250) == "x" * 248 + "…"
    family = "x" * 246 + "👨\u200d👩\u200d👧" + "tail"
    assert truncate_text(family, 250) == "x" * 246 + "…"
    assert truncate_text("y" * 240 + " <@U12345678> hello", 250) == "y" * 240 + "…"


@given(text=st.text(), limit=st.integers(min_value=1, max_value=300))
def test_truncate_text_never_exceeds_the_limit(text: str, limit: int) -> None:
    cut = truncate_text(text, limit)
    assert len(cut) <= limit
    if cut != text:
        assert cut.endswith("…") and text.startswith(cut[:-1])


def test_a_malformed_per_user_errors_array_is_still_a_typed_error(
    slack: SlackClient, router: respx.MockRouter
) -> None:
    post(router, "conversations.invite", {"channel": "C1", "users": "U1", "force": True}).mock(
        return_value=fail("cant_invite", errors=[{"user": 5, "error": 7}, "junk", {"user": "U1"}])
    )

    with pytest.raises(SlackRejectedError) as caught:
        slack.conversations_invite(channel="C1", users=["U1"])

    assert caught.value.error == "cant_invite"
    assert [(e.user, e.error) for e in caught.value.errors] == [("5", "7")]
