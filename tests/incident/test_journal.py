"""The SQLite journal and its step runner: what is written around each step, and what resume skips."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from oncall_cli.errors import ConfigError, UnavailableError
from oncall_cli.services.journal import (
    FILE_NAME,
    Journal,
    SimulatedCrash,
    StepFailed,
    StepRunner,
    journal_path,
)

NOW = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / FILE_NAME, now=lambda: NOW)


def test_the_journal_lives_in_the_user_state_dir_unless_a_state_dir_is_injected(
    isolated_dirs: SimpleNamespace, tmp_path: Path
) -> None:
    assert journal_path(str(tmp_path)) == tmp_path / "journal.sqlite3"
    default = journal_path(None)
    assert default.name == "journal.sqlite3"
    assert str(default).startswith(str(isolated_dirs.state))


def test_a_step_is_written_before_it_starts_and_after_it_ends(journal: Journal) -> None:
    run = journal.start_run(workflow="raise", profile="p", message="DB down", params={"a": 1})
    runner = StepRunner(journal, run)
    seen: list[str] = []

    def step(interrupted: bool) -> dict[str, Any]:
        seen.append(journal.steps(run.id)[0].status)  # already journaled as started
        return {"id": "X1"}

    assert runner.step("create", step) == {"id": "X1"}
    assert seen == ["started"]
    [record] = journal.steps(run.id)
    assert (record.status, record.attempts, record.result) == ("done", 1, {"id": "X1"})
    events = [(e["step"], e["event"]) for e in journal.events(run.id)]
    assert events == [(None, "run_started"), ("create", "step_started"), ("create", "step_done")]


def test_a_failed_step_is_journaled_with_its_error_and_raised_as_step_failed(journal: Journal) -> None:
    run = journal.start_run(workflow="raise", profile="p", message="m", params={})

    def fail(interrupted: bool) -> dict[str, Any]:
        raise UnavailableError("Slack down")

    with pytest.raises(StepFailed) as caught:
        StepRunner(journal, run).step("slack.invite", fail)
    assert caught.value.step == "slack.invite"
    [record] = journal.steps(run.id)
    assert record.status == "failed" and record.error is not None and record.error["code"] == "unavailable"


def test_a_resumed_runner_skips_finished_steps_and_tells_the_failed_one_it_was_interrupted(
    journal: Journal,
) -> None:
    run = journal.start_run(workflow="raise", profile="p", message="m", params={})
    first = StepRunner(journal, run)
    first.step("one", lambda again: {"n": 1})
    with pytest.raises(StepFailed):
        first.step("two", lambda again: (_ for _ in ()).throw(UnavailableError("down")))

    calls: list[tuple[str, bool]] = []
    second = StepRunner(journal, run)
    assert second.step("one", lambda again: calls.append(("one", again)) or {"n": 99}) == {"n": 1}
    second.step("two", lambda again: calls.append(("two", again)) or {"n": 2})
    second.step("three", lambda again: calls.append(("three", again)) or {"n": 3})
    assert calls == [("two", True), ("three", False)]
    assert {s.name: s.attempts for s in journal.steps(run.id)} == {"one": 1, "two": 2, "three": 1}


def test_the_crash_hook_dies_after_journaling_the_step_as_done(journal: Journal) -> None:
    run = journal.start_run(workflow="raise", profile="p", message="m", params={})
    with pytest.raises(SimulatedCrash):
        StepRunner(journal, run, crash_after=frozenset({"one"})).step("one", lambda again: {"n": 1})
    assert journal.steps(run.id)[0].status == "done"
    assert journal.get_run(run.id) is not None and journal.get_run(run.id).status == "running"  # type: ignore[union-attr]


def test_rerun_runs_a_finished_step_again(journal: Journal) -> None:
    run = journal.start_run(workflow="raise", profile="p", message="m", params={})
    runner = StepRunner(journal, run)
    runner.step("links", lambda again: {"v": 1})
    assert runner.step("links", lambda again: {"v": 2}, rerun=True) == {"v": 2}
    assert journal.steps(run.id)[0].result == {"v": 2}


def test_runs_are_found_by_incident_number_id_or_run_id_prefix_newest_first(journal: Journal) -> None:
    a = journal.start_run(workflow="raise", profile="p", message="a", params={})
    journal.set_incident(a.id, "og-1", "41")
    b = journal.start_run(
        workflow="resolve", profile="p", message="a", params={}, incident_id="og-1", incident_number="41"
    )
    journal.set_status(b.id, "done")
    journal.start_run(workflow="raise", profile="other", message="c", params={})
    assert [r.id for r in journal.runs(profile="p", ref="#41")] == [b.id, a.id]
    assert [r.id for r in journal.runs(profile="p", ref="og-1", statuses=("running",))] == [a.id]
    assert [r.id for r in journal.runs(profile="p", ref=a.id[:6])] == [a.id]
    assert journal.runs(profile="p", ref="99") == []


def test_renamed_steps_keep_their_status_attempts_and_events(journal: Journal) -> None:
    run = journal.start_run(workflow="raise", profile="p", message="m", params={})
    StepRunner(journal, run).step("old.create", lambda again: {"id": "X1"})
    other = journal.start_run(workflow="raise", profile="p", message="m", params={})
    StepRunner(journal, other).step("old.create", lambda again: {"id": "X2"})

    journal.rename_steps(run.id, {"old.create": "new.create"})
    [record] = journal.steps(run.id)
    assert (record.name, record.status, record.attempts) == ("new.create", "done", 1)
    assert record.result == {"id": "X1"}
    assert {e["step"] for e in journal.events(run.id)} == {None, "new.create"}
    assert [s.name for s in journal.steps(other.id)] == ["old.create"]  # only the run asked for
    calls: list[bool] = []
    StepRunner(journal, run).step("new.create", lambda again: calls.append(again) or {"id": "again"})
    assert calls == []


def test_the_file_is_sqlite_with_the_documented_tables(journal: Journal) -> None:
    tables = {
        r[0]
        for r in sqlite3.connect(journal.path).execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    assert {"runs", "steps", "events"} <= tables


def test_an_unreadable_journal_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "journal.sqlite3"
    bad.write_text("this is not a database" * 100)
    with pytest.raises(ConfigError, match="journal"):
        Journal(bad, now=lambda: NOW)
