"""`oncall override ...` end to end against the sandbox, the resulting timeline read back from Opsgenie."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from conftest import ALL_BACKENDS, schedule_fault

from .conftest import NOW, World, explain, ny, on_call_pairs

pytestmark = pytest.mark.backends(*ALL_BACKENDS)

HORIZON = (NOW, NOW + timedelta(weeks=8))


def build(world: World) -> tuple[list[str], list[str]]:
    a = [e.email for e in world.veterans[:4]]
    b = [e.email for e in world.veterans[4:8]]
    world.build(a, b)
    return a, b


def holder(world: World, rotation: str, at_year: int, *at: int) -> str | None:
    start = ny(at_year, *at)
    shifts = world.timeline(start, start + timedelta(minutes=30))
    return next(s.user for s in shifts if s.rotation == rotation)


def test_override_add_covers_part_of_a_shift_in_eastern_and_local_time(world: World) -> None:
    a, _ = build(world)
    args = (
        "override",
        "add",
        "--start",
        "2027-02-09 11:00",
        "--end",
        "2027-02-09 15:30",
        "--rotation",
        "rot-a",
    )
    dry = world.json(*args, "--dry-run")
    assert dry["dry_run"] is True and world.writes() == 0
    data = world.json(*args)
    o = data["override"]
    assert data["created"] is True and o["user"] == world.me and o["rotations"] == ["rot-a"] and o["alias"]
    assert o["eastern"] == {"start": "2027-02-09T11:00:00-05:00", "end": "2027-02-09T15:30:00-05:00"}
    assert o["local"]["timezone"] == world.veterans[-1].timezone
    assert [r["user"] for r in data["replaces"]] == [a[1]]
    assert holder(world, "rot-a", 2027, 2, 9, 12) == world.me
    assert holder(world, "rot-a", 2027, 2, 9, 16) == a[1]
    assert on_call_pairs(world.timeline(*HORIZON), *HORIZON) == []

    world.emulator.calls.clear()
    again = world.json(*args)
    assert again["already_exists"] is True and again["override"]["alias"] == o["alias"]
    assert world.writes() == 0


def test_override_times_must_fall_on_the_hour_or_half_hour(world: World) -> None:
    build(world)
    result = world(
        "override",
        "add",
        "--start",
        "2027-02-09T11:00:00-05:00",
        "--end",
        "2027-02-09 15:15",
        "--rotation",
        "rot-a",
    )
    assert result.exit_code == 2 and "--end" in result.stderr and ":00 or :30" in result.stderr
    assert world.writes() == 0
    unknown = world(
        "override",
        "add",
        "--start",
        "2027-02-09 11:00",
        "--end",
        "2027-02-09 12:00",
        "--user",
        "a@example.com",
    )
    assert unknown.exit_code == 2 and "--rotation" in unknown.stderr


def test_override_take_a_shift_by_date_and_by_its_number_in_schedule_show(world: World) -> None:
    a, b = build(world)
    by_date = world.json("override", "take", "2027-02-08")
    assert by_date["override"]["rotations"] == ["rot-a"]
    assert (by_date["override"]["start"], by_date["override"]["end"]) == (
        "2027-02-08T11:00:00-05:00",
        "2027-02-15T11:00:00-05:00",
    )
    listed = world.json("schedule", "show")["shifts"]
    number = next(
        s["index"] for s in listed if s["rotation"] == "rot-b" and s["start"].startswith("2027-02-17")
    )
    by_number = world.json("override", "take", str(number))
    assert by_number["override"]["start"] == "2027-02-17T11:00:00-05:00"
    assert holder(world, "rot-a", 2027, 2, 10) == world.me and holder(world, "rot-b", 2027, 2, 18) == world.me
    # Under way: covered from the current half hour, not back to its start.
    current = world.json("override", "take", "1")
    assert current["override"]["start"] == "2027-02-03T12:00:00-05:00"
    assert holder(world, "rot-a", 2027, 2, 4) == world.me
    assert a[1] not in {s.user for s in world.timeline(ny(2027, 2, 8, 12), ny(2027, 2, 9))}
    assert b


def test_override_swap_trades_the_next_shifts_and_running_it_again_changes_nothing(world: World) -> None:
    a, b = build(world)
    data = world.json("override", "swap", a[1], b[2])
    # a[1]: rot-a Feb 8 - 15; b[2]: rot-b Feb 17 - 24.
    assert data["a"]["shift"]["start"] == "2027-02-08T11:00:00-05:00"
    assert data["b"]["shift"]["start"] == "2027-02-17T11:00:00-05:00"
    assert len(data["created"]) == 2 and data["warnings"] == []
    assert holder(world, "rot-a", 2027, 2, 9) == b[2] and holder(world, "rot-b", 2027, 2, 18) == a[1]
    assert on_call_pairs(world.timeline(*HORIZON), *HORIZON) == []
    world.emulator.calls.clear()
    again = world.json("override", "swap", a[1], b[2])
    assert again["already_swapped"] is True and world.writes() == 0


def test_override_swap_is_all_or_nothing(world: World) -> None:
    a, b = build(world)
    world.emulator.faults.add(schedule_fault(world.backend_name, "create_override", status=422, calls=[2]))
    result = world("override", "swap", a[1], b[2], "--json")
    assert result.exit_code == 6, explain(result)
    assert "the first override was removed again" in json.loads(result.stdout)["error"]["message"]
    assert world.overrides() == []
    world.emulator.faults.clear()
    assert world.json("override", "swap", a[1], b[2])["created"]
    assert len(world.overrides()) == 2


def test_override_list_and_delete_twice(world: World) -> None:
    build(world)
    made = world.json(
        "override",
        "add",
        "--start",
        "2027-02-09 11:00",
        "--end",
        "2027-02-10 11:00",
        "--rotation",
        "rot-b",
        "--user",
        world.veterans[9].email,
    )
    alias = made["override"]["alias"]
    listed = world.json("override", "list")["overrides"]
    assert [(o["alias"], o["user"], o["rotations"]) for o in listed] == [
        (alias, world.veterans[9].email, ["rot-b"])
    ]
    assert world.json("override", "delete", alias, "--dry-run")["deleted"] is False
    assert len(world.overrides()) == 1
    gone = world.json("override", "delete", alias)
    assert gone["found"] is True and gone["deleted"] is True and world.overrides() == []
    again = world.json("override", "delete", alias)
    assert again["found"] is False and again["deleted"] is False


def test_an_override_for_an_unknown_user_is_not_found_naming_the_email(world: World) -> None:
    build(world)
    result = world(
        "override",
        "add",
        "--user",
        "nobody@example.com",
        "--start",
        "2027-02-10 11:00",
        "--end",
        "2027-02-11 11:00",
        "--rotation",
        "rot-a",
        "--json",
    )
    assert result.exit_code == 5, explain(result)
    assert "nobody@example.com" in json.loads(result.stdout)["error"]["message"]
    assert world.overrides() == []


def test_R1_an_override_that_puts_one_engineer_in_both_seats_is_refused(world: World) -> None:
    """Issue 12: no command applies a plan its own check rejects. Taking rot-b's Feb 10 shift while
    holding rot-a Feb 8-15 would put me in both seats: the dry run warns, the real run exits 9 and writes
    nothing; `override add` keeps the same gate (as `swap` does)."""
    _, b = build(world)
    world.json("override", "take", "2027-02-08")
    world.emulator.calls.clear()
    listed = world.json("schedule", "show")["shifts"]
    number = next(
        s["index"] for s in listed if s["rotation"] == "rot-b" and s["start"].startswith("2027-02-10")
    )
    dry = world.json("override", "take", str(number), "--dry-run")
    assert any(w.startswith("without --dry-run this would be refused (exit 9): R1") for w in dry["warnings"])
    refused = world("override", "take", str(number), "--json")
    assert refused.exit_code == 9, explain(refused)
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "rules_violated" and error["details"]["violations"][0]["rule"] == "R1"
    assert world.me in error["details"]["violations"][0]["subjects"]
    added = world(
        "override",
        "add",
        "--user",
        b[0],
        "--start",
        "2027-02-09 11:00",
        "--end",
        "2027-02-09 15:00",
        "--rotation",
        "rot-a",
        "--json",
    )
    assert added.exit_code == 9, explain(added)
    assert world.writes() == 0
    assert holder(world, "rot-b", 2027, 2, 12) == b[1]
