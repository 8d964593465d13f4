"""Fixtures of the client tests: a fake clock and a respx router that is only a transport's handler; and what
the Atlassian client tests (Jira, Jira issues, JSM Operations, JSM incidents) share: one account, its Basic
auth header, the clients' common arguments, routes and checks of what was sent, and the token check."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from typing import Any, TypedDict

import httpx
import pytest
import respx

from oncall_cli.clients._http import Runtime
from oncall_cli.errors import OncallError
from oncall_cli.redaction import forget_secrets


class FakeClock:
    """A monotonic clock that only moves when something sleeps; records every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    # using=None: the router is only the transport's handler; httpx is never patched.
    with respx.MockRouter(assert_all_called=True, assert_all_mocked=True, using=None) as mock:
        yield mock


@pytest.fixture
def no_leftover_secrets() -> Iterator[None]:
    """Forgets every secret a test's clients registered (use with `pytest.mark.usefixtures`)."""
    yield
    forget_secrets()


# --- the Atlassian clients -----------------------------------------------------------------------------

EMAIL = "oncall-bot@example.com"
TOKEN = "ATATT3xFfGF0q8Zt2vK9mR4pL7sW1yB6nD3cH5jE0gU2aT8iQ=4F1B2C3D"
B64 = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
AUTH = {"Authorization": f"Basic {B64}"}
ECHO = f"token {TOKEN} rejected; header Basic {B64}; raw {B64}"
"""An error message that echoes the token and the header built from it."""


class AtlassianArgs(TypedDict):
    http: httpx.Client
    email: str
    api_token: str
    runtime: Runtime


def atlassian_args(router: respx.MockRouter, clock: FakeClock) -> AtlassianArgs:
    """The arguments every Atlassian client takes: the router as transport, the fake clock, the account."""
    runtime = Runtime(
        sleep=clock.sleep, clock=clock, wall=lambda: 1_700_000_000.0 + clock.now, rng=random.Random(7)
    )
    http = httpx.Client(transport=httpx.MockTransport(router.handler))
    return AtlassianArgs(http=http, email=EMAIL, api_token=TOKEN, runtime=runtime)


def basic_route(
    router: respx.MockRouter,
    method: str,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    body: Any = None,
    headers: dict[str, str] = AUTH,
) -> respx.Route:
    """A route matching method, exact URL (and exact query), the headers (Basic auth) and, for writes, the
    exact JSON."""
    extra: dict[str, Any] = {"json": body} if body is not None else {}
    if params is None:
        return router.route(method=method, url__eq=url, headers=headers, **extra)
    return router.route(method=method, url=url, params__eq=params, headers=headers, **extra)


def sent(r: respx.Route, index: int = -1) -> httpx.Request:
    """The request a route got, checked for Basic auth and JSON."""
    request: httpx.Request = r.calls[index].request
    assert request.headers["Authorization"] == f"Basic {B64}"
    assert request.headers["Accept"] == "application/json"
    return request


def sent_json(r: respx.Route, index: int = -1) -> Any:
    request = sent(r, index)
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.content)


def jira_errors(status: int, *messages: str, **fields: str) -> httpx.Response:
    """Jira's `ErrorCollection`."""
    return httpx.Response(status, json={"errorMessages": list(messages), "errors": fields})


def assert_no_token(error: OncallError) -> None:
    """Neither the token nor the Basic header shows in the error's message, hint or JSON form."""
    for text in (str(error), error.hint, json.dumps(error.to_dict(), default=str)):
        assert TOKEN not in text and B64 not in text
