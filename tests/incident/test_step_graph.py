"""The dependency-ordered executor of the journaled workflows (`services/step_graph.py`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from oncall_cli.errors import UnavailableError
from oncall_cli.services.journal import SimulatedCrash, StepFailed
from oncall_cli.services.step_graph import Node, run_graph


class Log:
    """Records the order steps started and ended in (thread-safe)."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self._lock = threading.Lock()

    def step(self, name: str, result: object = None, *, fail: bool = False,
             wait: threading.Event | None = None, crash: bool = False) -> Callable[[], object]:
        def run() -> object:
            with self._lock:
                self.events.append(f"start {name}")
            if wait is not None:
                assert wait.wait(5), f"{name} waited in vain"
            with self._lock:
                self.events.append(f"end {name}")
            if fail:
                raise StepFailed(name, UnavailableError(f"{name} failed"))
            if crash:
                raise SimulatedCrash(f"crash after {name}")
            return result

        return run


def test_a_step_starts_only_after_what_it_needs_and_returns_every_result() -> None:
    log = Log()
    outcome = run_graph([
        Node("b", log.step("b", 2), needs=("a",)),
        Node("a", log.step("a", 1)),
        Node("c", log.step("c", 3), needs=("a", "b")),
    ])
    assert outcome.results == {"a": 1, "b": 2, "c": 3}
    assert outcome.failures == [] and outcome.not_run == []
    assert log.events == ["start a", "end a", "start b", "end b", "start c", "end c"]


def test_independent_steps_run_at_the_same_time() -> None:
    log = Log()
    a_started, b_started = threading.Event(), threading.Event()

    def a() -> str:
        a_started.set()
        assert b_started.wait(5), "b never ran while a was running"
        return "a"

    def b() -> str:
        b_started.set()
        assert a_started.wait(5), "a never ran while b was running"
        return "b"

    outcome = run_graph([Node("a", a), Node("b", b), Node("c", log.step("c"), after=("a", "b"))])
    assert outcome.results == {"a": "a", "b": "b", "c": None}


def test_a_failed_step_stops_only_what_needs_it_and_steps_after_it_still_run() -> None:
    log = Log()
    outcome = run_graph([
        Node("create", log.step("create")),
        Node("channel", log.step("channel", fail=True), needs=("create",)),
        Node("invite", log.step("invite"), needs=("channel",)),
        Node("opening", log.step("opening"), needs=("invite",)),
        Node("statuspage", log.step("statuspage"), needs=("create",)),
        Node("record", log.step("record"), after=("channel", "invite", "statuspage")),
    ])
    assert [f.step for f in outcome.failures] == ["channel"]
    assert outcome.not_run == ["invite", "opening"]
    assert set(outcome.results) == {"create", "statuspage", "record"}
    assert log.events.index("end statuspage") < log.events.index("start record")


def test_failures_are_reported_in_the_order_of_the_steps_whatever_ended_first() -> None:
    log = Log()
    slow = threading.Event()
    first = log.step("first", fail=True, wait=slow)
    second = log.step("second", fail=True)

    def second_then_release() -> object:
        try:
            return second()
        finally:
            slow.set()

    outcome = run_graph([Node("first", first), Node("second", second_then_release)])
    assert [f.step for f in outcome.failures] == ["first", "second"]


def test_a_crash_stops_new_steps_lets_running_ones_finish_and_is_raised() -> None:
    log = Log()
    release = threading.Event()

    def crash_then_release() -> object:
        try:
            return log.step("crash", crash=True)()
        finally:
            release.set()

    with pytest.raises(SimulatedCrash):
        run_graph([
            Node("running", log.step("running", wait=release)),
            Node("crash", crash_then_release),
            Node("later", log.step("later"), needs=("crash",)),
            Node("after-running", log.step("after-running"), needs=("running",)),
        ])
    assert "end running" in log.events
    assert "start later" not in log.events and "start after-running" not in log.events


def test_one_worker_runs_the_steps_one_at_a_time_in_the_order_given() -> None:
    log = Log()
    run_graph([Node(n, log.step(n)) for n in ("c", "a", "b")], workers=1)
    assert log.events == ["start c", "end c", "start a", "end a", "start b", "end b"]


def test_steps_named_but_not_in_the_graph_are_ignored() -> None:
    log = Log()
    outcome = run_graph([Node("a", log.step("a", 1), needs=("optional",), after=("absent",))])
    assert outcome.results == {"a": 1}


def test_two_steps_with_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="one name"):
        run_graph([Node("a", lambda: 1), Node("a", lambda: 2)])
