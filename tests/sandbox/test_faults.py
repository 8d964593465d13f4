"""Fault injection: per operation and call number; status, 429 headers, latency (injected sleep), drops."""

from __future__ import annotations

import httpx
import pytest

from oncall_cli.clients.opsgenie import OpsgenieClient
from oncall_cli.errors import UnavailableError, UsageError
from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.sandbox.faults import Fault, Faults, parse_fault_spec

from .conftest import OG, OG_AUTH, SLACK, SLACK_AUTH, FakeClock


def account(http: httpx.Client) -> httpx.Response:
    return http.get(OG + "/v2/account", headers=OG_AUTH)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "slack:conversations.invite#2=500",
            Fault("slack", "conversations.invite", "status", status=500, calls={2}),
        ),
        ("*:*=latency:100", Fault("*", "*", "latency", latency_ms=100)),
        ("statuspage:*#1-2=429", Fault("statuspage", "*", "status", status=429, calls={1, 2})),
        ("opsgenie:*=429:30", Fault("opsgenie", "*", "status", status=429, retry_after=30)),
        (
            "opsgenie:POST /v1/incidents/create#1=drop",
            Fault("opsgenie", "POST /v1/incidents/create", "drop", calls={1}),
        ),
        (
            "slack:chat.postMessage#1,3=drop:unsent",
            Fault("slack", "chat.postMessage", "drop", calls={1, 3}, sent=False),
        ),
        ("opsgenie:GET /v2/account#always=503", Fault("opsgenie", "GET /v2/account", status=503)),
    ],
)
def test_parse_fault_spec(spec: str, expected: Fault) -> None:
    assert parse_fault_spec(spec) == expected
    assert parse_fault_spec(expected.describe()) == expected


@pytest.mark.parametrize(
    "spec",
    [
        "nonsense",
        "pager:*=500",  # not a sandbox service (jira and pagerduty are ones now)
        "slack:x#0=500",
        "slack:x=200",
        "slack:x=latency:z",
        "slack:x=drop:maybe",
        "slack:x#3-1=500",
    ],
)
def test_bad_fault_spec_is_a_usage_error(spec: str) -> None:
    with pytest.raises(UsageError):
        parse_fault_spec(spec)


def test_calls_are_counted_per_service_and_operation() -> None:
    faults = Faults()
    faults.add(Fault("opsgenie", "GET /v2/account", calls={2}))
    assert faults.next_call("opsgenie", "GET /v2/account").status is None
    assert faults.next_call("opsgenie", "GET /v2/users").status is None
    assert faults.next_call("opsgenie", "GET /v2/account").status is not None
    assert faults.count("opsgenie", "GET /v2/account") == 2


def test_the_second_call_fails_with_500(emulator: Emulator, http: httpx.Client) -> None:
    emulator.faults.add(Fault(service="opsgenie", operation="GET /v2/account", calls={2}, status=500))
    statuses = [account(http).status_code for _ in range(3)]
    assert statuses == [200, 500, 200]


def test_a_failed_call_is_retried_by_the_client(emulator: Emulator, og: OpsgenieClient) -> None:
    emulator.faults.add(Fault(service="opsgenie", operation="GET /v2/account", calls={1, 2}, status=503))
    assert og.get_account().name == "oncall-sandbox"
    assert [c.status for c in emulator.calls] == [503, 503, 200]


def test_opsgenie_429_has_retry_after_and_rate_limit_headers(emulator: Emulator, http: httpx.Client) -> None:
    emulator.faults.add_spec("opsgenie:*#1=429:7")
    response = account(http)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.headers["X-RateLimit-State"] == "THROTTLED"
    assert response.headers["X-RateLimit-Period-In-Sec"] == "7"
    assert set(response.json()) == {"message", "took", "requestId"}


def test_slack_429_is_ratelimited(emulator: Emulator, http: httpx.Client) -> None:
    if "slack" not in emulator.services:
        pytest.skip("sandbox/slack.py not there yet")
    emulator.faults.add_spec("slack:auth.test=429")
    response = http.post(SLACK + "/auth.test", headers=SLACK_AUTH)
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert response.json() == {"ok": False, "error": "ratelimited"}


def test_latency_uses_the_injected_sleep(emulator: Emulator, http: httpx.Client, clock: FakeClock) -> None:
    emulator.faults.add(Fault(service="*", operation="*", kind="latency", latency_ms=100))
    emulator.faults.add(Fault(service="opsgenie", operation="*", kind="latency", latency_ms=20, calls={1}))
    account(http)
    account(http)
    assert clock.sleeps == [pytest.approx(0.12), pytest.approx(0.1)]


def test_drop_after_sending_raises_remote_protocol_error_and_applies_the_request(
    emulator: Emulator, http: httpx.Client
) -> None:
    artsy = emulator.query("SELECT id FROM opsgenie_services WHERE name = 'Artsy'")[0]["id"]
    emulator.faults.add_spec("opsgenie:POST /v1/incidents/create#1=drop")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(OG + "/v1/incidents/create", json={"message": "x", "serviceId": artsy}, headers=OG_AUTH)
    assert len(emulator.query("SELECT * FROM opsgenie_incidents")) == 1
    assert emulator.calls[-1].status is None


def test_drop_before_sending_raises_connect_error_and_changes_nothing(
    emulator: Emulator, http: httpx.Client
) -> None:
    artsy = emulator.query("SELECT id FROM opsgenie_services WHERE name = 'Artsy'")[0]["id"]
    emulator.faults.add_spec("opsgenie:POST /v1/incidents/create#1=drop:unsent")
    with pytest.raises(httpx.ConnectError):
        http.post(OG + "/v1/incidents/create", json={"message": "x", "serviceId": artsy}, headers=OG_AUTH)
    assert emulator.query("SELECT * FROM opsgenie_incidents") == []


def test_client_gives_up_after_repeated_drops(emulator: Emulator, og: OpsgenieClient) -> None:
    emulator.faults.add_spec("opsgenie:GET /v2/account=drop")
    with pytest.raises(UnavailableError):
        og.get_account()
    assert len(emulator.calls) == 4
