"""`sandbox serve --rate-limits`: Slack's per-method tiers and Opsgenie's per-domain quotas with the vendors'
429 answers, counted on the emulator's injected clock; off by default; the CLI's clients wait them out."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from oncall_cli.clients._http import Runtime
from oncall_cli.clients.opsgenie import OpsgenieClient
from oncall_cli.clients.slack import SlackClient
from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.sandbox.ratelimits import OPSGENIE_QUOTAS, SLACK_TIER_PER_MINUTE, SLACK_TIERS, opsgenie_domain
from oncall_cli.sandbox.slack import SlackEmulator

from .conftest import BASIC_AUTH, JIRA, NOW, OG, OG_AUTH, SLACK, SLACK_AUTH, SP, SP_AUTH, FakeClock

REPO = Path(__file__).resolve().parents[2]
SLACK_DOCS = [p / "slack" / "docs-slack-dev-methods" for p in (REPO.parent / "shared" / "specs",
                                                               Path("/work/shared/specs"))]
PER_SECOND = OPSGENIE_QUOTAS["configuration"].per_second
PER_MINUTE = OPSGENIE_QUOTAS["configuration"].per_minute


@pytest.fixture
def limited(emulator: Emulator) -> Emulator:
    emulator.rate_limits = True
    return emulator


@pytest.fixture
def slack(limited: Emulator, clock: FakeClock) -> Iterator[SlackClient]:
    runtime = Runtime(sleep=clock.sleep, clock=clock.monotonic, wall=lambda: NOW.timestamp(),
                      rng=random.Random(7))
    with limited.client() as http:
        yield SlackClient(http, token="xoxb-sandbox", base_url=SLACK, runtime=runtime)


def slack_call(http: httpx.Client, method: str, token: str = "xoxb-sandbox", **args: str) -> httpx.Response:
    return http.post(f"{SLACK}/{method}", data=args, headers={"Authorization": f"Bearer {token}"})


def account(http: httpx.Client) -> httpx.Response:
    return http.get(f"{OG}/v2/account", headers=OG_AUTH)


# ---- the tier table is the docs' ---------------------------------------------------------------------------


def test_every_emulated_slack_method_has_its_tier() -> None:
    assert set(SlackEmulator().methods) == set(SLACK_TIERS)


def test_the_tiers_are_those_of_docs_slack_dev() -> None:
    docs = next((p for p in SLACK_DOCS if p.is_dir()), None)
    if docs is None:
        pytest.skip("shared/specs is not here")
    labels = {"Tier 1": "tier1", "Tier 2": "tier2", "Tier 3": "tier3", "Tier 4": "tier4",
              "Special rate limits apply.": "special"}
    checked = 0
    for path in docs.glob("*.json"):
        if path.name.startswith("_") or path.stem not in SLACK_TIERS:
            continue
        label = json.loads(path.read_text())["rate_limit"]["label"]
        tier = next(t for prefix, t in labels.items() if label.startswith(prefix))
        assert SLACK_TIERS[path.stem] == tier, f"{path.stem}: the docs say {label!r}"
        checked += 1
    assert checked == 23


def test_opsgenie_operations_fall_in_the_documented_domains() -> None:
    assert opsgenie_domain("GET /v2/alerts") == "search"
    assert opsgenie_domain("GET /v2/users") == "search"
    assert opsgenie_domain("POST /v2/alerts") == "alert"
    assert opsgenie_domain("GET /v2/alerts/requests/{requestId}") == "alert"
    assert opsgenie_domain("POST /v1/incidents/create") == "incident"
    assert opsgenie_domain("POST /v2/incident-timelines/{incidentId}/entries") == "incident"
    assert opsgenie_domain("GET /v2/schedules/{identifier}/on-calls") == "schedule-oncalls"
    assert opsgenie_domain("GET /v2/schedules/{identifier}/next-on-calls") == "schedule-oncalls"
    assert opsgenie_domain("GET /v2/schedules/{identifier}/timeline") == "configuration"
    assert opsgenie_domain("GET /v2/account") == "configuration"


# ---- off by default ----------------------------------------------------------------------------------------


def test_off_by_default_nothing_is_throttled(emulator: Emulator, http: httpx.Client) -> None:
    assert emulator.rate_limits is False and emulator.status()["rate_limits"] is False
    assert {slack_call(http, "conversations.list").status_code for _ in range(25)} == {200}
    answers = [account(http) for _ in range(PER_SECOND + 5)]
    assert {a.status_code for a in answers} == {200}
    assert "X-RateLimit-State" not in answers[0].headers


# ---- Slack ----------------------------------------------------------------------------------------------


def test_slack_tier_2_allows_20_a_minute_then_429_ratelimited_with_retry_after(
    limited: Emulator, http: httpx.Client, clock: FakeClock
) -> None:
    assert [slack_call(http, "conversations.list").status_code for _ in range(20)] == [200] * 20
    clock.now += 15
    refused = slack_call(http, "conversations.list")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "45"  # the first call leaves the window 60 s after it was made
    assert refused.json() == {"ok": False, "error": "ratelimited"}
    assert slack_call(http, "users.list").status_code == 200  # per method
    assert slack_call(http, "conversations.list", token="xoxb-other-app").status_code == 200  # per app
    clock.now += 44
    assert slack_call(http, "conversations.list").status_code == 429  # refusals are not counted
    clock.now += 1
    assert slack_call(http, "conversations.list").status_code == 200


@pytest.mark.parametrize(("method", "tier"), [("conversations.info", "tier3"), ("users.info", "tier4")])
def test_slack_tiers_3_and_4(limited: Emulator, http: httpx.Client, method: str, tier: str) -> None:
    general = next(c["id"] for c in http.get(f"{SLACK}/conversations.list", headers=SLACK_AUTH).json()[
        "channels"])
    user = http.get(f"{SLACK}/users.list", headers=SLACK_AUTH).json()["members"][0]["id"]
    args = {"channel": general} if method == "conversations.info" else {"user": user}
    assert SLACK_TIERS[method] == tier
    limit = SLACK_TIER_PER_MINUTE[SLACK_TIERS[method]]
    statuses = [slack_call(http, method, **args).status_code for _ in range(limit + 1)]
    assert statuses == [200] * limit + [429]


def test_chat_post_message_is_one_per_second_per_channel(
    limited: Emulator, http: httpx.Client, clock: FakeClock
) -> None:
    channels = [slack_call(http, "conversations.create", name=f"inc-rate-{n}").json()["channel"]["id"]
                for n in (1, 2)]
    assert slack_call(http, "chat.postMessage", channel=channels[0], text="one").status_code == 200
    second = slack_call(http, "chat.postMessage", channel=channels[0], text="two")
    assert second.status_code == 429 and second.headers["Retry-After"] == "1"
    assert second.json() == {"ok": False, "error": "ratelimited"}
    assert slack_call(http, "chat.postMessage", channel=channels[1], text="elsewhere").status_code == 200
    as_json = http.post(f"{SLACK}/chat.postMessage", json={"channel": channels[1], "text": "json"},
                        headers=SLACK_AUTH)
    assert as_json.status_code == 429  # the channel is read from a JSON body too
    clock.now += 1
    assert slack_call(http, "chat.postMessage", channel=channels[0], text="two").status_code == 200


def test_special_methods_without_a_published_figure_are_not_limited(limited: Emulator,
                                                                    http: httpx.Client) -> None:
    assert {slack_call(http, "auth.test").status_code for _ in range(150)} == {200}


def test_the_slack_client_waits_out_retry_after_and_succeeds(
    limited: Emulator, slack: SlackClient, clock: FakeClock
) -> None:
    general = next(c.id for c in slack.iter_conversations())
    before = len(limited.calls)
    infos = [slack.conversations_info(channel=general) for _ in range(55)]
    assert len(infos) == 55 and {i.id for i in infos} == {general}
    statuses = [c.status for c in limited.calls[before:]]
    assert statuses.count(429) == 1 and statuses[-1] == 200
    assert statuses[statuses.index(429) + 1] == 200
    assert len(clock.sleeps) == 1 and 60 <= clock.sleeps[0] <= 61  # Retry-After 60 (+ jitter)


# ---- Opsgenie ---------------------------------------------------------------------------------------------


def test_opsgenie_per_second_bucket_answers_429_with_its_headers(
    limited: Emulator, http: httpx.Client, clock: FakeClock
) -> None:
    answers = [account(http) for _ in range(PER_SECOND + 1)]
    assert [a.status_code for a in answers] == [200] * PER_SECOND + [429]
    assert answers[0].headers["X-RateLimit-State"] == "OK"
    refused = answers[-1]
    assert refused.headers["X-RateLimit-State"] == "THROTTLED"
    assert refused.headers["X-RateLimit-Reason"] == "ACCOUNT"
    assert refused.headers["X-RateLimit-Period-In-Sec"] == "1"
    assert "Retry-After" not in refused.headers  # Opsgenie documents none
    assert set(refused.json()) == {"message", "took", "requestId"}
    # Other domains have their own buckets.
    assert http.get(f"{OG}/v2/alerts/count", headers=OG_AUTH).status_code == 200
    assert http.get(f"{OG}/v2/users", headers=OG_AUTH).status_code == 200
    clock.now += 1 / PER_SECOND  # the bucket refills one token
    assert account(http).status_code == 200
    assert account(http).status_code == 429


def test_opsgenie_per_minute_bucket_throttles_a_sustained_rate_for_60_seconds(
    limited: Emulator, http: httpx.Client, clock: FakeClock
) -> None:
    periods: list[str] = []
    for _ in range(3 * PER_MINUTE):
        response = account(http)
        if response.status_code == 429:
            periods.append(response.headers["X-RateLimit-Period-In-Sec"])
            break
        clock.now += 1 / PER_SECOND  # as fast as the second bucket allows
    assert periods == ["60"]


def test_the_opsgenie_client_waits_out_the_period_and_succeeds(
    limited: Emulator, og: OpsgenieClient, clock: FakeClock
) -> None:
    names = [og.get_account().name for _ in range(3 * PER_SECOND)]
    assert set(names) == {"oncall-sandbox"}
    statuses = [c.status for c in limited.calls]
    assert statuses.count(429) >= 2 and statuses[-1] == 200
    assert all(after == 200 for before, after in itertools.pairwise(statuses) if before == 429)
    assert clock.sleeps and all(1 <= s <= 1.25 for s in clock.sleeps)  # X-RateLimit-Period-In-Sec: 1


def test_statuspage_keeps_its_own_limit_and_atlassian_has_none(limited: Emulator, http: httpx.Client) -> None:
    pages = [http.get(f"{SP}/v1/pages", headers=SP_AUTH) for _ in range(2)]
    assert [p.status_code for p in pages] == [200, 429]
    assert {http.get(f"{JIRA}/rest/api/3/myself", headers=BASIC_AUTH).status_code for _ in range(30)} == {200}


def test_reset_forgets_the_counts(limited: Emulator, http: httpx.Client) -> None:
    while account(http).status_code == 200:
        pass
    limited.reset()
    assert account(http).status_code == 200
