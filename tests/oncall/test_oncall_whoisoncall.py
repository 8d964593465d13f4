"""`oncall whoisoncall` and `oncall shifts` end to end against the sandbox, checked against Opsgenie's own
on-calls endpoints and user records."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conftest import ALL_BACKENDS
from oncall_cli.clients.opsgenie import OpsgenieClient
from oncall_cli.clients.slack import SlackClient
from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.sandbox.faults import Fault

from .conftest import SEEDED, Cli, Clock, clone_schedule

pytestmark = pytest.mark.backends(*ALL_BACKENDS)

SCHEDULE = "Engineering_schedule"

SERVICE_NAMES = {"opsgenie": "Opsgenie", "jsm": "Jira Service Management", "pagerduty": "PagerDuty"}


def rotations(doc: dict[str, Any], schedule: int = 0) -> dict[str, dict[str, Any]]:
    return {r["rotation"]: r for r in doc["schedules"][schedule]["rotations"]}


def test_who_is_on_call_per_rotation_matches_opsgenie_with_local_times(cli: Cli, og: OpsgenieClient) -> None:
    doc = cli.json("whoisoncall")
    assert doc["at"] == "2027-02-01T10:00:00-05:00"
    assert doc["timezone"] == "America/New_York"
    assert [s["schedule"] for s in doc["schedules"]] == [SCHEDULE]
    rows = rotations(doc)
    assert sorted(rows) == ["rot-a", "rot-b"]
    assert set(rows["rot-a"]) == {"rotation", "on_call"}, "no `next` key without --next"
    on_call = {r["on_call"]["user"] for r in rows.values() if r["on_call"]["user"]}
    assert on_call == set(og.get_on_calls(identifier=SCHEDULE, identifier_type="name", flat=True).usernames)
    for row in rows.values():
        duty = row["on_call"]
        user = og.get_user(identifier=duty["user"])
        assert user.time_zone is not None
        assert duty["name"] == user.full_name
        assert duty["timezone"] == user.time_zone
        local = datetime.fromisoformat(duty["local_time"])
        assert (
            local == SEEDED and local.utcoffset() == SEEDED.astimezone(ZoneInfo(user.time_zone)).utcoffset()
        )
        assert datetime.fromisoformat(duty["start"]) <= SEEDED < datetime.fromisoformat(duty["end"])
    # The seed hands rot-a over on Mondays and rot-b on Wednesdays at 11:00 New York time.
    assert rows["rot-a"]["on_call"]["end"] == "2027-02-01T11:00:00-05:00"
    assert rows["rot-b"]["on_call"]["end"] == "2027-02-03T11:00:00-05:00"
    assert doc["warnings"] == []


def test_next_adds_who_comes_next_as_opsgenie_says(cli: Cli, og: OpsgenieClient) -> None:
    rows = rotations(cli.json("whoisoncall", "--next"))
    for row in rows.values():
        assert row["next"]["start"] == row["on_call"]["end"]
        assert row["next"]["user"] != row["on_call"]["user"]
    expected = og.get_next_on_calls(identifier=SCHEDULE, identifier_type="name", flat=True).usernames
    assert {r["next"]["user"] for r in rows.values() if r["next"]["user"]} == set(expected)


def test_at_a_later_time_shows_who_is_on_call_then(cli: Cli) -> None:
    now = rotations(cli.json("whoisoncall", "--next"))
    later = cli.json("whoisoncall", "--at", "2027-02-03 12:00")
    assert later["at"] == "2027-02-03T12:00:00-05:00"
    rows = rotations(later)
    assert rows["rot-a"]["on_call"]["user"] == now["rot-a"]["next"]["user"]
    assert rows["rot-b"]["on_call"]["user"] == now["rot-b"]["next"]["user"]
    iso = cli.json("whoisoncall", "--at", "2027-02-03T17:00Z")
    assert rotations(iso) == rows


def test_a_bad_time_is_a_one_line_usage_error_naming_the_flag(cli: Cli) -> None:
    result = cli("whoisoncall", "--at", "next tuesday")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1].startswith("error: --at: 'next tuesday' is not a time")
    as_json = cli("whoisoncall", "--at", "next tuesday", "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["error"]["code"] == "usage"


def test_me_without_the_setting_is_a_config_error_with_a_hint(cli: Cli) -> None:
    result = cli("whoisoncall", "--me")
    assert result.exit_code == 3
    assert "oncall --sandbox config set me" in result.stderr


def test_me_lists_my_shifts_consistently_with_shifts(cli: Cli) -> None:
    rows = rotations(cli.json("whoisoncall"))
    me = rows["rot-b"]["on_call"]["user"]
    cli.settings(me=me)
    doc = cli.json("whoisoncall", "--me")
    assert doc["me"] == me
    mine = doc["my_shifts"]
    assert mine and mine[0]["rotation"] == "rot-b" and mine[0]["end"] == "2027-02-03T11:00:00-05:00"
    assert all(s["end"] > s["start"] for s in mine)
    shifts = cli.json("shifts", "--weeks", "13")
    assert shifts["user"] == me
    assert [(s["start"], s["end"]) for s in shifts["shifts"]] == [(s["start"], s["end"]) for s in mine]
    assert shifts["shifts"][0]["partners"] == [
        rows["rot-a"]["on_call"]["user"],
        rotations(cli.json("whoisoncall", "--next"))["rot-a"]["next"]["user"],
    ]


def test_several_schedules_and_an_unknown_one(cli: Cli, emulator: Emulator) -> None:
    clone_schedule(emulator, "Platform_schedule")
    doc = cli.json("whoisoncall", "--schedule", SCHEDULE, "--schedule", "Platform_schedule")
    assert [s["schedule"] for s in doc["schedules"]] == [SCHEDULE, "Platform_schedule"]
    assert doc["schedules"][0]["rotations"] == doc["schedules"][1]["rotations"]
    missing = cli("whoisoncall", "--schedule", "Nope_schedule")
    assert missing.exit_code == 5
    service = SERVICE_NAMES[cli.backend]
    assert f"no {service} schedule named 'Nope_schedule'" in missing.stderr


def test_schedules_are_read_concurrently_in_one_timeline_call_each(clock: Clock, tmp_path: Path) -> None:
    in_flight, peak, lock, all_in = [0], [0], threading.Lock(), threading.Event()

    def latency(seconds: float) -> None:
        """The emulator's injected latency: each request waits until ten are in flight together (or 2 s)."""
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            if in_flight[0] >= 10:
                all_in.set()
        all_in.wait(2.0)
        with lock:
            in_flight[0] -= 1

    emulator = Emulator(":memory:", now=clock, clock=clock.mono, sleep=latency)
    names = [SCHEDULE] + [f"Team{i}_schedule" for i in range(9)]
    for name in names[1:]:
        clone_schedule(emulator, name)
    emulator.faults.add(Fault(service="opsgenie", kind="latency", latency_ms=100))
    cli = Cli(emulator, clock, tmp_path / "config.toml")
    started = time.perf_counter()
    doc = cli.json("whoisoncall", *[arg for name in names for arg in ("--schedule", name)])
    assert time.perf_counter() - started < 10, "requests were not concurrent"
    assert len(doc["schedules"]) == 10
    timeline_calls = [c for c in emulator.calls if c.operation == "GET /v2/schedules/{identifier}/timeline"]
    assert len(timeline_calls) == 10
    assert not [c for c in emulator.calls if c.operation == "GET /v2/schedules/{identifier}"], "no look-ups"
    assert peak[0] >= 10, f"at most {peak[0]} requests overlapped"
    emulator.close()


def test_update_topic_dry_run_then_apply_then_nothing_to_do(
    cli: Cli, emulator: Emulator, slack: SlackClient
) -> None:
    channel = next(c for c in slack.iter_conversations() if c.name == "incidents")

    def topic() -> str:
        current = slack.conversations_info(channel=channel.id).topic
        assert current is not None
        return current.value

    before = topic()
    assert before.startswith("Incident channel | on call: ")

    def set_topic_calls() -> int:
        return sum(1 for c in emulator.calls if c.operation == "conversations.setTopic")

    dry = cli.json("whoisoncall", "--update-topic", "--dry-run")
    assert dry["topic"]["changed"] is True and dry["topic"]["dry_run"] is True
    assert topic() == before
    assert set_topic_calls() == 0

    on_call = [r["on_call"]["user"] for r in rotations(dry).values()]
    ids = [slack.users_lookup_by_email(email=e).id for e in on_call]
    expected = f"Incident channel | on call: <@{ids[0]}> <@{ids[1]}>"
    assert dry["topic"]["new_topic"] == expected

    done = cli.json("whoisoncall", "--update-topic")
    assert done["topic"]["changed"] is True and done["topic"]["old_topic"] == before
    assert topic() == expected
    assert set_topic_calls() == 1

    again = cli.json("whoisoncall", "--update-topic")
    assert again["topic"]["changed"] is False
    assert set_topic_calls() == 1, "no write when the topic is already right"


def test_update_topic_refuses_at_and_dry_run_needs_it(cli: Cli) -> None:
    assert cli("whoisoncall", "--update-topic", "--at", "2027-02-03 12:00").exit_code == 2
    assert cli("whoisoncall", "--dry-run").exit_code == 2


def test_shifts_of_a_user_as_icalendar(cli: Cli, clock: Clock, tmp_path: Path) -> None:
    user = rotations(cli.json("whoisoncall", "--next"))["rot-a"]["next"]["user"]
    ics = tmp_path / "cal" / "me.ics"
    doc = cli.json("shifts", "--user", user, "--weeks", "26", "--ics", str(ics))
    assert doc["user"] == user and doc["ics"] == str(ics)
    first = doc["shifts"][0]
    assert (first["rotation"], first["start"], first["end"]) == (
        "rot-a",
        "2027-02-01T11:00:00-05:00",
        "2027-02-08T11:00:00-05:00",
    )
    text = ics.read_text()
    assert text.count("BEGIN:VEVENT") == len(doc["shifts"]) >= 2
    assert f"SUMMARY:On call: {user} (rot-a)" in text
    again = cli.json("shifts", "--user", user, "--weeks", "26", "--ics", str(ics))
    assert again["shifts"] == doc["shifts"] and ics.read_text() == text, "same export, same bytes"


def test_shifts_bad_input(cli: Cli) -> None:
    assert cli("shifts", "--user", "ada", "--weeks", "2").exit_code == 2
    weeks = cli("shifts", "--user", "ada@example.com", "--weeks", "0")
    assert weeks.exit_code == 2 and "--weeks" in weeks.stderr
    assert cli("shifts", "--user", "a@example.com", "--me").exit_code == 2
    assert cli("shifts").exit_code == 3
    unknown = cli("shifts", "--user", "nobody@example.com")
    service = SERVICE_NAMES[cli.backend]
    assert unknown.exit_code == 5 and f"no {service} user 'nobody@example.com'" in unknown.stderr
