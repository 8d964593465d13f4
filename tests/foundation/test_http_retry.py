"""The retry decision is a pure function: `(attempt, number, ...) -> seconds to wait, or None to give up`."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_cli.clients._http import Attempt, RetryPolicy, parse_retry_after, retry_delay, with_jitter

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=30.0, max_total=60.0)
CONNECT_ERROR = Attempt(transport_error=True, sent=False)
READ_TIMEOUT = Attempt(transport_error=True, sent=True)


def decide(
    attempt: Attempt,
    number: int = 1,
    *,
    idempotent: bool = True,
    policy: RetryPolicy = POLICY,
    elapsed: float = 0.0,
) -> float | None:
    return retry_delay(
        attempt, number, idempotent=idempotent, policy=policy, elapsed=elapsed, now=NOW.timestamp()
    )


def status(code: int, **headers: str) -> Attempt:
    return Attempt(status=code, headers={k.replace("_", "-"): v for k, v in headers.items()})


# ---- what is retried ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("idempotent", [True, False])
def test_a_connect_error_is_retried_for_any_method(idempotent: bool) -> None:
    assert decide(CONNECT_ERROR, idempotent=idempotent) == 0.5


def test_a_request_that_may_have_been_sent_is_retried_only_when_idempotent() -> None:
    assert decide(READ_TIMEOUT, idempotent=True) == 0.5
    assert decide(READ_TIMEOUT, idempotent=False) is None


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_5xx_is_retried_only_for_idempotent_methods(code: int) -> None:
    assert decide(status(code), idempotent=True) == 0.5
    assert decide(status(code), idempotent=False) is None


@pytest.mark.parametrize("code", [420, 429])
@pytest.mark.parametrize("idempotent", [True, False])
def test_rate_limit_answers_are_retried_even_for_post_since_nothing_was_processed(
    code: int, idempotent: bool
) -> None:
    assert decide(status(code), idempotent=idempotent) == 0.5


@pytest.mark.parametrize("code", [200, 201, 204, 301, 400, 401, 403, 404, 409, 422])
def test_other_statuses_are_never_retried(code: int) -> None:
    assert decide(status(code, Retry_After="1")) is None


# ---- how long to wait --------------------------------------------------------------------------------------


def test_backoff_doubles_each_attempt_and_is_capped_at_max_delay() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=3.0, max_total=1_000.0)
    delays = [decide(status(503), n, policy=policy) for n in range(1, 8)]
    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0, 3.0]


def test_retry_after_in_seconds_is_honoured() -> None:
    assert decide(status(429, Retry_After="7")) == 7.0
    assert decide(status(420, Retry_After=" 12 ")) == 12.0


def test_retry_after_as_an_http_date_is_honoured() -> None:
    later = format_datetime(NOW + timedelta(seconds=12), usegmt=True)
    assert decide(status(429, Retry_After=later)) == pytest.approx(12.0)


def test_retry_after_date_in_the_past_means_retry_now() -> None:
    earlier = format_datetime(NOW - timedelta(minutes=5), usegmt=True)
    assert decide(status(429, Retry_After=earlier)) == 0.0


def test_retry_after_header_name_is_case_insensitive() -> None:
    assert decide(Attempt(status=429, headers={"retry-after": "3"})) == 3.0
    assert decide(Attempt(status=429, headers={"RETRY-AFTER": "3"})) == 3.0


def test_unparseable_retry_after_falls_back_to_backoff() -> None:
    assert decide(status(429, Retry_After="soon"), 2) == 1.0


@pytest.mark.parametrize("code", [500, 503])
def test_retry_after_on_a_5xx_is_honoured_too(code: int) -> None:
    assert decide(status(code, Retry_After="20")) == 20.0
    later = format_datetime(NOW + timedelta(seconds=12), usegmt=True)
    assert decide(status(503, Retry_After=later)) == pytest.approx(12.0)


def test_retry_after_on_a_503_is_still_bounded_by_max_total() -> None:
    assert decide(status(503, Retry_After="61")) is None
    assert decide(status(503, Retry_After="10"), 2, elapsed=55.0) is None
    assert decide(status(503, Retry_After="5"), 2, elapsed=55.0) == 5.0


def test_retry_after_on_a_503_does_not_make_a_post_retried() -> None:
    assert decide(status(503, Retry_After="1"), idempotent=False) is None


def test_opsgenie_throttled_state_waits_for_the_rate_limit_period() -> None:
    throttled = status(429, X_RateLimit_State="THROTTLED", X_RateLimit_Period_In_Sec="10")
    assert decide(throttled) == 10.0


def test_opsgenie_rate_limit_period_without_throttled_state_is_ignored() -> None:
    assert decide(status(429, X_RateLimit_State="OK", X_RateLimit_Period_In_Sec="10")) == 0.5


def test_retry_after_wins_over_the_opsgenie_period() -> None:
    both = status(429, Retry_After="2", X_RateLimit_State="THROTTLED", X_RateLimit_Period_In_Sec="10")
    assert decide(both) == 2.0


def test_parse_retry_after_without_any_hint_is_none() -> None:
    assert parse_retry_after({}, NOW.timestamp()) is None
    assert parse_retry_after({"Retry-After": ""}, NOW.timestamp()) is None


# ---- bounds ------------------------------------------------------------------------------------------------


def test_attempts_are_bounded_by_max_attempts() -> None:
    assert decide(status(503), 3) is not None
    assert decide(status(503), 4) is None
    assert decide(CONNECT_ERROR, 4) is None
    assert decide(status(429, Retry_After="1"), 4) is None


def test_total_waiting_is_bounded_by_max_total() -> None:
    assert decide(status(503), 2, elapsed=59.0) == 1.0  # ends exactly at the budget
    assert decide(status(503), 2, elapsed=59.5) is None


def test_a_server_wait_longer_than_the_remaining_budget_gives_up_instead_of_sleeping() -> None:
    assert decide(status(429, Retry_After="3600")) is None
    assert decide(status(429, X_RateLimit_State="THROTTLED", X_RateLimit_Period_In_Sec="61")) is None


def test_the_decision_is_pure() -> None:
    attempt = status(429, Retry_After="5")
    assert [decide(attempt, 2, elapsed=1.0) for _ in range(3)] == [5.0, 5.0, 5.0]


ATTEMPTS = st.one_of(
    st.builds(Attempt, transport_error=st.just(True), sent=st.booleans()),
    st.builds(
        Attempt,
        status=st.sampled_from([200, 400, 401, 404, 420, 422, 429, 500, 502, 503]),
        headers=st.dictionaries(
            st.sampled_from(["Retry-After", "X-RateLimit-Period-In-Sec"]),
            st.integers(0, 500).map(str),
            max_size=2,
        )
        | st.just({"X-RateLimit-State": "THROTTLED", "X-RateLimit-Period-In-Sec": "30"}),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    attempt=ATTEMPTS,
    number=st.integers(1, 10),
    idempotent=st.booleans(),
    elapsed=st.floats(0, 120),
    max_attempts=st.integers(1, 6),
)
def test_no_decision_breaks_the_policy_bounds(
    attempt: Attempt, number: int, idempotent: bool, elapsed: float, max_attempts: int
) -> None:
    policy = RetryPolicy(max_attempts=max_attempts, base_delay=0.5, max_delay=8.0, max_total=60.0)
    delay = decide(attempt, number, idempotent=idempotent, policy=policy, elapsed=elapsed)
    if delay is None:
        return
    assert number < max_attempts
    assert delay >= 0.0 and elapsed + delay <= policy.max_total
    if attempt.status is None or parse_retry_after(attempt.headers, NOW.timestamp()) is None:
        assert delay <= policy.max_delay  # our own backoff; a server-given wait may be longer
    if not idempotent:
        assert not attempt.transport_error or not attempt.sent
        assert attempt.status is None or attempt.status in (420, 429)


# ---- jitter ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("delay", [0.0, 0.5, 2.0, 30.0])
def test_jitter_never_waits_less_than_asked_and_adds_at_most_a_quarter_or_one_second(delay: float) -> None:
    rng = random.Random(3)
    for _ in range(200):
        jittered = with_jitter(delay, rng)
        assert delay <= jittered <= delay + min(1.0, delay * 0.25)


def test_jitter_is_deterministic_with_a_seeded_rng() -> None:
    assert with_jitter(4.0, random.Random(9)) == with_jitter(4.0, random.Random(9))
