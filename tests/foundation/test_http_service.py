"""HttpService.request over httpx.MockTransport, with a fake clock, a recording sleep and a seeded rng."""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from oncall_cli.clients._http import (
    HttpService,
    RateLimiter,
    RetryPolicy,
    Runtime,
    paginate_cursor,
    paginate_offset,
    paginate_pages,
    poll_until,
)
from oncall_cli.errors import (
    AuthError,
    ExitCode,
    NotFoundError,
    OncallError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from oncall_cli.redaction import register_secret

from .fakes import FakeClock

BASE = "https://api.vendor.example"
KEY = "vendor-key-8c1d2e3f"
WALL_START = 1_772_463_600.0  # 2026-03-02 15:00 UTC
Respond = Callable[[httpx.Request], httpx.Response]
MakeService = Callable[..., HttpService]


class Server:
    """A scripted MockTransport handler: answers in order (the last answer repeats) and keeps a history."""

    def __init__(
        self,
        *answers: Respond | httpx.Response | Exception,
        clock: FakeClock | None = None,
        took: float = 0.0,
    ) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.seen_at: list[float] = []
        self.clock = clock
        self.took = took

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.clock is not None:
            self.seen_at.append(self.clock.now)
            self.clock.advance(self.took)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            if isinstance(answer, httpx.RequestError):
                answer.request = request
            raise answer
        if isinstance(answer, httpx.Response):
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)
        return answer(request)


@pytest.fixture
def runtime(clock: FakeClock) -> Runtime:
    return Runtime(
        sleep=clock.sleep,
        clock=clock,
        wall=lambda: WALL_START + clock.now,
        rng=random.Random(1),
        policy=RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=30.0, max_total=60.0),
    )


@pytest.fixture
def make_service(runtime: Runtime) -> Iterator[MakeService]:
    clients: list[httpx.Client] = []

    def make(server: Server, *, auth: str | None = f"GenieKey {KEY}", **kw: object) -> HttpService:
        client = httpx.Client(transport=httpx.MockTransport(server))
        clients.append(client)
        return HttpService(
            name="Vendor", client=client, base_url=f"{BASE}/", auth=auth, runtime=runtime, **kw
        )  # type: ignore[arg-type]

    yield make
    for client in clients:
        client.close()


def json_response(status: int, body: object = None, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        json=body if body is not None else {},
        headers={k.replace("_", "-"): v for k, v in headers.items()},
    )


# ---- the request -------------------------------------------------------------------------------------------


def test_the_auth_header_and_accept_json_are_sent(make_service: MakeService) -> None:
    server = Server(json_response(200, {"data": 1}))
    response = make_service(server).request("GET", "/v2/account", params={"a": "1"})
    assert response.json() == {"data": 1}
    sent = server.requests[0]
    assert str(sent.url) == f"{BASE}/v2/account?a=1"
    assert sent.headers["Authorization"] == f"GenieKey {KEY}"
    assert sent.headers["Accept"] == "application/json"


def test_no_auth_header_without_a_credential(make_service: MakeService) -> None:
    server = Server(json_response(200))
    make_service(server, auth=None).request("GET", "ping")
    assert "Authorization" not in server.requests[0].headers


@pytest.mark.parametrize(
    ("code", "error", "exit_code"),
    [
        (401, AuthError, ExitCode.AUTH),
        (403, AuthError, ExitCode.AUTH),
        (404, NotFoundError, ExitCode.NOT_FOUND),
        (400, RejectedError, ExitCode.REJECTED),
        (409, RejectedError, ExitCode.REJECTED),
        (422, RejectedError, ExitCode.REJECTED),
    ],
)
def test_a_client_error_status_becomes_its_error_class_without_retrying(
    make_service: MakeService,
    clock: FakeClock,
    code: int,
    error: type[OncallError],
    exit_code: ExitCode,
) -> None:
    server = Server(json_response(code, {"message": "nope"}))
    with pytest.raises(error) as caught:
        make_service(server).request("POST", "/v1/things", json={"x": 1})
    assert caught.value.exit_code == exit_code
    assert caught.value.details["status"] == code
    assert (len(server.requests), clock.sleeps) == (1, [])


def test_422_is_rejected_with_the_vendor_message(make_service: MakeService) -> None:
    body = {"message": "Request body is not processable", "errors": {"name": "must not be blank"}}
    with pytest.raises(RejectedError) as caught:
        make_service(Server(json_response(422, body))).request("POST", "/v1/teams", json={})
    assert caught.value.message == (
        "Vendor POST /v1/teams failed with HTTP 422: Request body is not processable name: must not be blank"
    )


def test_an_html_error_body_is_reported_as_text(make_service: MakeService) -> None:
    server = Server(httpx.Response(404, text="<h1>Not Found</h1>"))
    with pytest.raises(NotFoundError, match="<h1>Not Found</h1>"):
        make_service(server).request("GET", "/v2/users/x")


def test_429_is_retried_honouring_retry_after_then_rate_limited(
    make_service: MakeService, clock: FakeClock
) -> None:
    server = Server(json_response(429, {"message": "slow down"}, Retry_After="5"))
    with pytest.raises(RateLimitedError) as caught:
        make_service(server).request("POST", "/v1/alerts", json={})
    assert caught.value.exit_code == ExitCode.RATE_LIMITED
    assert len(server.requests) == 4
    assert len(clock.sleeps) == 3
    assert all(5.0 <= s <= 6.0 for s in clock.sleeps), clock.sleeps
    assert "after 4 attempts" in caught.value.message


def test_429_then_success_returns_the_success(make_service: MakeService, clock: FakeClock) -> None:
    server = Server(json_response(429, Retry_After="2"), json_response(200, {"ok": True}))
    assert make_service(server).request("GET", "x").json() == {"ok": True}
    assert len(server.requests) == 2 and 2.0 <= clock.sleeps[0] <= 2.5


def test_opsgenie_throttling_waits_for_the_period(make_service: MakeService, clock: FakeClock) -> None:
    server = Server(
        json_response(429, X_RateLimit_State="THROTTLED", X_RateLimit_Period_In_Sec="10"),
        json_response(202, {"result": "Request will be processed"}),
    )
    assert make_service(server).request("POST", "/v2/alerts", json={}).status_code == 202
    assert 10.0 <= clock.sleeps[0] <= 11.0


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_5xx_on_get_is_retried_then_unavailable(
    make_service: MakeService, clock: FakeClock, code: int
) -> None:
    server = Server(json_response(code, {"message": "down"}))
    with pytest.raises(UnavailableError) as caught:
        make_service(server).request("GET", "/v2/schedules")
    assert caught.value.exit_code == ExitCode.UNAVAILABLE
    assert len(server.requests) == 4
    assert [round(s, 6) >= d for s, d in zip(clock.sleeps, [0.5, 1.0, 2.0], strict=True)] == [True] * 3


def test_5xx_on_post_is_not_retried(make_service: MakeService, clock: FakeClock) -> None:
    server = Server(json_response(503))
    with pytest.raises(UnavailableError):
        make_service(server).request("POST", "/v1/incidents/create", json={})
    assert (len(server.requests), clock.sleeps) == (1, [])


def test_a_post_can_be_declared_idempotent(make_service: MakeService) -> None:
    server = Server(json_response(503), json_response(200))
    assert make_service(server).request("POST", "chat.update", json={}, idempotent=True).status_code == 200


def test_a_connect_error_on_post_is_retried(make_service: MakeService, clock: FakeClock) -> None:
    server = Server(httpx.ConnectError("refused"), json_response(201, {"id": "1"}))
    response = make_service(server).request("POST", "/v1/incidents/create", json={"m": "x"})
    assert response.status_code == 201
    assert len(server.requests) == 2 and len(clock.sleeps) == 1


def test_a_read_timeout_on_post_is_not_retried_and_says_it_may_have_reached_the_server(
    make_service: MakeService, clock: FakeClock
) -> None:
    server = Server(httpx.ReadTimeout("timed out"))
    with pytest.raises(UnavailableError) as caught:
        make_service(server).request("POST", "/v1/incidents/create", json={})
    assert (len(server.requests), clock.sleeps) == (1, [])
    assert "may have reached the server" in caught.value.message
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


def test_a_read_timeout_on_get_is_retried(make_service: MakeService) -> None:
    server = Server(httpx.ReadTimeout("timed out"), json_response(200))
    assert make_service(server).request("GET", "x").status_code == 200


def test_connect_errors_every_time_end_unavailable_saying_the_request_never_arrived(
    make_service: MakeService,
) -> None:
    server = Server(httpx.ConnectError("refused"))
    with pytest.raises(UnavailableError) as caught:
        make_service(server).request("POST", "/v1/x", json={})
    assert len(server.requests) == 4
    assert "did not reach the server" in caught.value.message
    assert caught.value.details["sent"] is False


@pytest.mark.parametrize(
    "failure",
    [
        httpx.UnsupportedProtocol("Request URL is missing an 'http://' or 'https://' protocol."),
        httpx.ProxyError("proxy said no"),
        httpx.DecodingError("bad gzip"),
    ],
)
def test_every_other_httpx_error_also_becomes_an_oncall_error(
    make_service: MakeService, failure: httpx.HTTPError
) -> None:
    with pytest.raises(OncallError):
        make_service(Server(failure)).request("GET", "x")


def test_total_waiting_stays_within_the_policy_budget(
    make_service: MakeService, clock: FakeClock, runtime: Runtime
) -> None:
    runtime.policy = RetryPolicy(max_attempts=50, base_delay=1.0, max_delay=8.0, max_total=20.0)
    started = clock.now
    with pytest.raises(UnavailableError):
        make_service(Server(json_response(503))).request("GET", "x")
    assert sum(clock.sleeps) <= 20.0 + len(clock.sleeps)  # the budget, plus at most 1 s of jitter per wait
    assert clock.now - started <= 25.0


def test_allowed_statuses_are_returned_to_the_caller(make_service: MakeService) -> None:
    response = make_service(Server(json_response(404))).request("GET", "/v2/requests/r1", allow_status=(404,))
    assert response.status_code == 404


def test_the_success_check_hook_sees_every_success(make_service: MakeService) -> None:
    def check(response: httpx.Response) -> None:
        if not response.json().get("ok"):
            raise RejectedError("ok: false")

    service = make_service(Server(json_response(200, {"ok": False})), check=check)
    with pytest.raises(RejectedError, match="ok: false"):
        service.request("GET", "auth.test")


# ---- logging (-v) ------------------------------------------------------------------------------------------


@pytest.fixture
def http_log() -> Iterator[list[str]]:
    """The `oncall.http` log lines at INFO, captured on the logger itself (the CLI may stop propagation)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("oncall.http")
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_each_call_is_logged_with_method_url_status_and_milliseconds(
    make_service: MakeService, clock: FakeClock, http_log: list[str]
) -> None:
    server = Server(json_response(200), clock=clock, took=0.25)
    make_service(server).request("GET", "/v2/schedules", params={"expand": "rotation"})
    assert http_log == [f"Vendor GET {BASE}/v2/schedules?expand=rotation -> 200 250 ms"]


def test_retried_and_failed_calls_are_logged_too(make_service: MakeService, http_log: list[str]) -> None:
    server = Server(httpx.ConnectError("refused"), json_response(503), json_response(200))
    make_service(server).request("GET", "x")
    assert http_log == [
        f"Vendor GET {BASE}/x -> ConnectError",
        f"Vendor GET {BASE}/x -> 503 0 ms",
        f"Vendor GET {BASE}/x -> 200 0 ms",
    ]


def test_log_lines_and_errors_mask_secrets(make_service: MakeService, http_log: list[str]) -> None:
    register_secret(KEY)
    echo = Server(lambda r: httpx.Response(401, json={"message": f"bad key {r.headers['Authorization']}"}))
    with pytest.raises(AuthError) as caught:
        make_service(echo).request("GET", "/v2/users/me", params={"token": "xoxp-unregistered-1"})
    assert caught.value.message == "Vendor GET /v2/users/me failed with HTTP 401: bad key GenieKey ***"
    assert http_log == [f"Vendor GET {BASE}/v2/users/me?token=*** -> 401 0 ms"]


def test_a_secret_in_the_request_path_is_masked_in_the_error_message(
    make_service: MakeService, http_log: list[str]
) -> None:
    register_secret(KEY)
    with pytest.raises(NotFoundError) as caught:
        make_service(Server(json_response(404))).request("GET", f"/hooks/{KEY}")
    assert all(KEY not in line for line in http_log)
    assert KEY not in str(caught.value)


# ---- rate limiter ------------------------------------------------------------------------------------------


def _paced(limiter: RateLimiter, clock: FakeClock, took: float = 0.0) -> float:
    """One request through the limiter that takes `took` seconds; returns when it was sent."""
    with limiter.slot():
        sent = clock.now
        clock.advance(took)
    return sent


def test_rate_limiter_spaces_each_request_from_the_previous_answer_plus_a_margin(clock: FakeClock) -> None:
    limiter = RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05)
    sent = [_paced(limiter, clock, took=0.3) for _ in range(3)]
    # Each answer arrives 0.3 s after its request; the next starts 1.05 s after that answer.
    assert [round(b - a, 9) for a, b in itertools.pairwise(sent)] == [1.35, 1.35]
    assert clock.sleeps == pytest.approx([1.05, 1.05])


def test_rate_limiter_does_not_wait_when_requests_are_already_spaced(clock: FakeClock) -> None:
    limiter = RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05)
    _paced(limiter, clock)
    clock.advance(1.5)
    _paced(limiter, clock)
    assert clock.sleeps == []
    clock.advance(0.25)
    _paced(limiter, clock)
    assert clock.sleeps == pytest.approx([0.8])


def test_rate_limiter_paces_from_the_answer_even_when_the_request_fails(clock: FakeClock) -> None:
    limiter = RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05)
    with pytest.raises(httpx.ReadTimeout), limiter.slot():
        clock.advance(2.0)
        raise httpx.ReadTimeout("no answer")
    _paced(limiter, clock)
    assert clock.sleeps == pytest.approx([1.05])


def test_two_limiters_sharing_a_file_pace_each_other_like_two_processes(
    clock: FakeClock, tmp_path: Path
) -> None:
    shared = tmp_path / "statuspage-pacer"
    first = RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05, shared=shared)
    second = RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05, shared=shared)
    a = _paced(first, clock, took=0.2)
    b = _paced(second, clock, took=0.2)
    c = _paced(first, clock, took=0.2)
    assert [round(b - a, 9), round(c - b, 9)] == [1.25, 1.25]
    assert shared.stat().st_mode & 0o777 == 0o600


def test_a_request_in_flight_in_another_process_reserves_an_interval_from_its_start(
    clock: FakeClock, tmp_path: Path
) -> None:
    shared = tmp_path / "statuspage-pacer"
    first = RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05, shared=shared)
    second = RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05, shared=shared)
    with first.slot():  # still waiting for its answer when the other process starts
        started = clock.now
        second_sent = _paced(second, clock)
    assert round(second_sent - started, 9) == 1.05


@pytest.mark.parametrize("ahead", [120.0, 3600.0])
def test_a_pacing_time_implausibly_far_ahead_in_the_file_is_ignored_and_rewritten(
    clock: FakeClock, tmp_path: Path, ahead: float
) -> None:
    shared = tmp_path / "statuspage-pacer"
    shared.write_text(f"{clock.now + ahead:.6f}")
    limiter = RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05, shared=shared)
    sent = _paced(limiter, clock)
    assert clock.sleeps == []
    assert float(shared.read_text()) == pytest.approx(sent + 1.05)


def test_the_wait_for_a_turn_is_capped_even_when_the_clock_steps_back(clock: FakeClock) -> None:
    limiter = RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05)
    _paced(limiter, clock)
    clock.now -= 3600.0  # NTP stepped the clock back an hour
    _paced(limiter, clock)
    assert sum(clock.sleeps) <= limiter.max_wait == pytest.approx(2.0)


def test_an_existing_pacing_file_is_made_private(clock: FakeClock, tmp_path: Path) -> None:
    shared = tmp_path / "statuspage-pacer"
    shared.write_text("0")
    shared.chmod(0o644)
    _paced(RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05, shared=shared), clock)
    assert shared.stat().st_mode & 0o777 == 0o600


def test_a_garbled_or_unusable_pacing_file_falls_back_to_pacing_in_this_process(
    clock: FakeClock, tmp_path: Path
) -> None:
    garbled = tmp_path / "garbled"
    garbled.write_text("not a time")
    for shared in (garbled, tmp_path / "no-such-folder" / "pacer"):
        limiter = RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05, shared=shared)
        _paced(limiter, clock)
        _paced(limiter, clock)
    assert clock.sleeps == pytest.approx([1.05, 1.05])


def test_requests_through_a_limited_service_reach_the_server_spaced_from_the_answers(
    make_service: MakeService, clock: FakeClock
) -> None:
    server = Server(json_response(200), clock=clock, took=0.1)
    service = make_service(server, limiter=RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05))
    for _ in range(3):
        service.request("GET", "/v1/pages/p1")
    assert [round(b - a, 9) for a, b in itertools.pairwise(server.seen_at)] == [1.15, 1.15]


def test_a_429_through_a_limited_service_still_waits_its_retry_after(
    make_service: MakeService, clock: FakeClock
) -> None:
    server = Server(json_response(429, Retry_After="3"), json_response(200), clock=clock)
    service = make_service(server, limiter=RateLimiter(1.0, clock=clock, sleep=clock.sleep, margin=0.05))
    service.request("GET", "/v1/pages/p1")
    assert server.seen_at[1] - server.seen_at[0] >= 3.0


# ---- pagination --------------------------------------------------------------------------------------------


def test_paginate_offset_reads_every_page() -> None:
    items = list(range(250))
    calls: list[tuple[int, int]] = []

    def fetch(offset: int, limit: int) -> tuple[list[int], bool]:
        calls.append((offset, limit))
        page = items[offset : offset + limit]
        return page, offset + limit < len(items)

    assert list(paginate_offset(fetch, limit=100)) == items
    assert calls == [(0, 100), (100, 100), (200, 100)]


def test_paginate_offset_stops_on_an_empty_page_even_if_told_there_is_more() -> None:
    calls = []

    def fetch(offset: int, limit: int) -> tuple[list[int], bool]:
        calls.append(offset)
        return ([1, 2] if offset == 0 else []), True

    assert list(paginate_offset(fetch, limit=2)) == [1, 2]
    assert calls == [0, 2]


def test_paginate_pages_reads_until_a_short_page() -> None:
    calls: list[int] = []

    def fetch(page: int, per_page: int) -> list[int]:
        calls.append(page)
        return list(range((page - 1) * per_page, min(page * per_page, 7)))

    assert list(paginate_pages(fetch, per_page=3)) == list(range(7))
    assert calls == [1, 2, 3]


def test_paginate_pages_with_an_exact_multiple_reads_one_empty_page() -> None:
    calls: list[int] = []

    def fetch(page: int, per_page: int) -> list[int]:
        calls.append(page)
        return [page] * per_page if page <= 2 else []

    assert list(paginate_pages(fetch, per_page=2)) == [1, 1, 2, 2]
    assert calls == [1, 2, 3]


def test_paginate_cursor_follows_the_cursor_until_it_is_empty() -> None:
    pages = {None: ([1, 2], "c2"), "c2": ([3], "c3"), "c3": ([], "c4"), "c4": ([4], "")}
    seen: list[str | None] = []

    def fetch(cursor: str | None) -> tuple[list[int], str | None]:
        seen.append(cursor)
        return pages[cursor]

    assert list(paginate_cursor(fetch)) == [1, 2, 3, 4]
    assert seen == [None, "c2", "c3", "c4"]


# ---- polling -----------------------------------------------------------------------------------------------


def test_poll_until_returns_the_first_answer(runtime: Runtime, clock: FakeClock) -> None:
    answers = iter([None, None, "done"])
    assert poll_until(lambda: next(answers), runtime=runtime, timeout=30, interval=0.5) == "done"
    assert clock.sleeps == [0.5, 0.75]


def test_poll_until_gives_up_at_the_timeout(runtime: Runtime, clock: FakeClock) -> None:
    probes = []
    started = clock.now
    assert poll_until(lambda: probes.append(clock.now), runtime=runtime, timeout=10, interval=0.5) is None
    assert clock.now - started <= 10
    assert len(probes) == len(clock.sleeps) + 1
    assert max(clock.sleeps) <= 5.0
    assert probes[-1] - started > 10 - 5.0  # it kept trying until the next wait would pass the deadline
