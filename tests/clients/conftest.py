"""Fixtures of the client tests: a fake clock and a respx router that is only a transport's handler."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx


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
