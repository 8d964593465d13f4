"""`services/gather.py`: independent reads at once, answered as if they had run one by one."""

from __future__ import annotations

import threading

import pytest

from oncall_cli.errors import NotFoundError, UnavailableError
from oncall_cli.services.gather import gather


def test_results_come_in_the_order_of_the_calls() -> None:
    assert gather(lambda: 1, lambda: "two", lambda: [3]) == [1, "two", [3]]
    assert gather() == []


def test_the_calls_run_at_the_same_time() -> None:
    both = threading.Barrier(2, timeout=5)

    def meet(value: int) -> int:
        both.wait()  # only passes when the other call is running too
        return value

    assert gather(lambda: meet(1), lambda: meet(2)) == [1, 2]


def test_the_first_failure_in_call_order_wins_once_every_call_has_ended() -> None:
    ended: list[str] = []
    second_failed = threading.Event()

    def first() -> None:
        assert second_failed.wait(5)
        ended.append("first")
        raise NotFoundError("first")

    def second() -> None:
        ended.append("second")
        second_failed.set()
        raise UnavailableError("second")

    def third() -> str:
        ended.append("third")
        return "ok"

    with pytest.raises(NotFoundError, match="first"):
        gather(first, second, third)
    assert sorted(ended) == ["first", "second", "third"]
