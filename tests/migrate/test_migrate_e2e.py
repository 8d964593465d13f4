"""`oncall migrate` end to end: the real CLI against the sandbox, an Opsgenie sandbox profile and a JSM one
sharing one emulator. The sandbox seeds the JSM schedule as a copy of the Opsgenie one (as Atlassian's
migration leaves it); each test then changes one side through the port, as a person would in the service's
UI, and checks that `migrate check` names that difference."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import SandboxCli, explain
from oncall_cli.config import load_settings
from oncall_cli.sandbox.base import json_col
from oncall_cli.sandbox.faults import Fault
from oncall_cli.scheduling.model import Override, Rotation
from oncall_cli.services.context import Context
from oncall_cli.services.ports import ScheduleStore

CONFIG = """\
[profiles.og]
sandbox = true

[profiles.jsm]
sandbox = true
backend = "jsm"

[profiles.og2]
sandbox = true
opsgenie.schedule = "Copy_schedule"

[profiles.pd]
sandbox = true
backend = "pagerduty"
"""
"""`og2` is a second Opsgenie schedule, to show that any pair of backends works (see `_second_schedule`)."""


class World:
    """The CLI, plus each profile's schedule store over the same emulator (to change one side)."""

    def __init__(self, cli: SandboxCli) -> None:
        self.cli = cli
        self.path = cli.tmp / "config.toml"
        self.path.write_text(CONFIG, encoding="utf-8")
        self._contexts: list[Context] = []

    def context(self, profile: str) -> Context:
        context = Context(load_settings(profile=profile, path=self.path, env={}), self.cli.deps())
        self._contexts.append(context)
        return context

    def store(self, profile: str) -> ScheduleStore:
        """A fresh store each time: no cache of an earlier read survives a change made by the CLI."""
        return self.context(profile).schedule_store()

    def check(self, source: str = "og", target: str = "jsm", *extra: str, code: int = 9) -> dict[str, Any]:
        data: dict[str, Any] = self.cli.json(
            "migrate", "check", "--from", source, "--to", target, *extra, code=code
        )
        return data

    def kinds(self, source: str = "og", target: str = "jsm") -> set[tuple[str, str]]:
        return {(d["kind"], d["rotation"]) for d in self.check(source, target)["differences"]}

    def rotation(self, profile: str, name: str) -> Rotation:
        return next(r for r in self.store(profile).rotations() if r.name == name)

    def recreate(self, profile: str, name: str, rotation: Rotation) -> None:
        """Replace a rotation with another definition (the port cannot change a name or a type)."""
        store = self.store(profile)
        store.delete_rotation(name)
        store.create_rotation(rotation)

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def world(sandbox_cli: SandboxCli) -> Iterator[World]:
    w = World(sandbox_cli)
    yield w
    w.close()


def _second_schedule(world: World) -> None:
    """An empty Opsgenie schedule `Copy_schedule` next to the seed's (the Opsgenie API cannot create one)."""
    with world.cli.emulator.locked() as db:
        db.execute(
            "INSERT INTO opsgenie_schedules (id, name, data) VALUES (?, ?, ?)",
            (
                "0c0c0c0c-0000-4000-8000-00000000c0b1",
                "Copy_schedule",
                json_col({"description": "a copy", "timezone": "America/New_York", "enabled": True}),
            ),
        )


def _newcomer(world: World) -> str:
    """Someone of the team in no rotation yet (a recent hire): an account on both services."""
    rotating = {p for r in world.store("og").rotations() for p in r.participants}
    return next(e for e in world.context("og").directory.team_members() if e not in rotating)


# ---- equal ----------------------------------------------------------------------------------------------


def test_the_seeded_jsm_copy_is_equal_to_opsgenie(world: World) -> None:
    report = world.check(code=0)
    assert report["equal"] is True and report["differences"] == []
    assert report["from"] == {"profile": "og", "backend": "opsgenie", "schedule": "Engineering_schedule"}
    assert report["to"] == {"profile": "jsm", "backend": "jsm", "schedule": "Engineering_schedule"}
    start, end = (datetime.fromisoformat(report["window"][k]) for k in ("start", "end"))
    assert end - start == timedelta(weeks=12)
    assert start == world.cli.clock.now()


def test_human_output_says_equal_or_lists_the_differences_in_a_table(world: World) -> None:
    same = world.cli("migrate", "check", "--from", "og", "--to", "jsm", "--weeks", "4")
    assert same.exit_code == 0, explain(same)
    assert "equal" in same.stdout
    world.store("jsm").delete_rotation("rot-b")
    differs = world.cli("migrate", "check", "--from", "og", "--to", "jsm")
    assert differs.exit_code == 9, explain(differs)
    assert "rotation_missing" in differs.stdout and "rot-b" in differs.stdout


# ---- one test per kind: change the JSM side (or only the Opsgenie side), check finds it ---------------


def test_rotation_missing_is_found(world: World) -> None:
    world.store("jsm").delete_rotation("rot-b")
    assert world.kinds() == {("rotation_missing", "rot-b")}


def test_rotation_renamed_is_found(world: World) -> None:
    rot_a = world.rotation("jsm", "rot-a")
    world.recreate("jsm", "rot-a", replace(rot_a, name="rot-a (migrated)"))
    differences = world.check()["differences"]
    assert [(d["kind"], d["rotation"], d["target"]) for d in differences] == [
        ("rotation_renamed", "rot-a", "rot-a (migrated)")
    ]


def test_participants_changed_is_found(world: World) -> None:
    rot_a = world.rotation("jsm", "rot-a")
    newcomer = _newcomer(world)
    world.store("jsm").update_rotation("rot-a", participants=(newcomer, *rot_a.participants[1:]))
    differences = world.check()["differences"]
    assert [(d["kind"], d["rotation"]) for d in differences] == [("participants_changed", "rot-a")]
    assert newcomer in differences[0]["detail"]


def test_order_changed_is_found(world: World) -> None:
    first, second, *rest = world.rotation("jsm", "rot-a").participants
    world.store("jsm").update_rotation("rot-a", participants=(second, first, *rest))
    assert world.kinds() == {("order_changed", "rot-a")}


def test_placeholder_lost_is_found(world: World) -> None:
    rot_b = world.rotation("og", "rot-b")
    with_placeholder = (*rot_b.participants[:1], None, *rot_b.participants[1:])
    for profile in ("og", "jsm"):
        world.store(profile).update_rotation("rot-b", participants=with_placeholder)
    world.check(code=0)
    world.store("jsm").update_rotation("rot-b", participants=[p for p in with_placeholder if p])
    assert world.kinds() == {("placeholder_lost", "rot-b")}


def _cover(world: World, days: int = 8) -> Override:
    """An override of rot-a by a newcomer, next week, on half hours (both services want :00 or :30)."""
    start = world.cli.clock.now().replace(minute=0) + timedelta(days=days)
    return Override(_newcomer(world), start, start + timedelta(hours=30), ("rot-a",))


def test_override_missing_is_found_when_only_opsgenie_has_it(world: World) -> None:
    cover = _cover(world)
    world.store("og").create_override(cover)
    differences = world.check()["differences"]
    assert [(d["kind"], d["rotation"]) for d in differences] == [("override_missing", "rot-a")]
    assert datetime.fromisoformat(differences[0]["at"]) == cover.start
    assert cover.user is not None and cover.user in differences[0]["source"]


def test_override_extra_is_found_when_only_jsm_has_it(world: World) -> None:
    world.store("jsm").create_override(_cover(world))
    assert world.kinds() == {("override_extra", "rot-a")}


def test_handoff_moved_is_found_when_jsm_starts_at_11_utc_instead_of_11_new_york(world: World) -> None:
    rot_a = world.rotation("jsm", "rot-a")
    utc = rot_a.start.astimezone(UTC).replace(hour=11)
    world.store("jsm").update_rotation("rot-a", start=utc)
    differences = world.check()["differences"]
    assert [(d["kind"], d["rotation"]) for d in differences] == [("handoff_moved", "rot-a")]
    moved = differences[0]
    assert datetime.fromisoformat(moved["source"]).hour == 11  # New York
    assert datetime.fromisoformat(moved["target"]).hour == 6  # 11:00 UTC in New York winter
    assert "-5:00" in moved["detail"]


def test_shift_differs_is_found_when_the_same_people_take_daily_shifts(world: World) -> None:
    world.recreate("jsm", "rot-a", replace(world.rotation("jsm", "rot-a"), type="daily"))
    differences = world.check("og", "jsm", "--weeks", "2")["differences"]
    assert [(d["kind"], d["rotation"]) for d in differences] == [("shift_differs", "rot-a")]
    assert differences[0]["source"] != differences[0]["target"]


def test_shift_differs_names_a_rotation_only_jsm_has(world: World) -> None:
    rot_a = world.rotation("jsm", "rot-a")
    world.store("jsm").create_rotation(replace(rot_a, name="rot-c", participants=(_newcomer(world),)))
    assert world.kinds() == {("shift_differs", "rot-c")}


# ---- copy -----------------------------------------------------------------------------------------------


def test_copy_recreates_deleted_rotations_once_and_then_check_passes(world: World) -> None:
    jsm = world.store("jsm")
    for rotation in jsm.rotations():
        jsm.delete_rotation(rotation.name)
    cover = _cover(world)
    world.store("og").create_override(cover)
    expected = {r.name: r for r in world.store("og").rotations()}

    plan = world.cli.json("migrate", "copy", "--from", "og", "--to", "jsm")
    assert plan["dry_run"] is True and plan["applied"] == []
    assert [(a["kind"], a["rotation"]) for a in plan["actions"]] == [
        ("create_rotation", "rot-a"),
        ("create_rotation", "rot-b"),
        ("create_override", "rot-a"),
    ]
    assert world.store("jsm").rotations() == []  # a dry run changes nothing
    dry = world.cli.json("migrate", "copy", "--from", "og", "--to", "jsm", "--apply", "--dry-run")
    assert dry["dry_run"] is True and world.store("jsm").rotations() == []

    done = world.cli.json("migrate", "copy", "--from", "og", "--to", "jsm", "--apply")
    assert done["dry_run"] is False
    assert done["applied"] == done["actions"] == plan["actions"]
    copied = {r.name: r for r in world.store("jsm").rotations()}
    assert set(copied) == set(expected)
    for name, rotation in expected.items():
        assert copied[name].participants == rotation.participants  # same people, same order, no-ones kept
        assert copied[name].start == rotation.start
    assert [(o.user, o.start, o.end) for o in world.store("jsm").overrides()] == [
        (cover.user, cover.start, cover.end)
    ]

    again = world.cli.json("migrate", "copy", "--from", "og", "--to", "jsm", "--apply")
    assert again["actions"] == [] and again["applied"] == []
    assert world.check(code=0)["equal"] is True


def test_copy_and_check_work_the_other_way_from_jsm_to_opsgenie(world: World) -> None:
    world.store("og").delete_rotation("rot-b")
    world.store("jsm").create_override(_cover(world))
    assert world.kinds("jsm", "og") == {("rotation_missing", "rot-b"), ("override_missing", "rot-a")}
    done = world.cli.json("migrate", "copy", "--from", "jsm", "--to", "og", "--apply")
    assert [a["kind"] for a in done["applied"]] == ["create_rotation", "create_override"]
    assert world.check("jsm", "og", code=0)["equal"] is True
    assert world.check("og", "jsm", code=0)["equal"] is True


def test_copy_between_two_opsgenie_schedules_then_check_passes(world: World) -> None:
    _second_schedule(world)
    assert world.kinds("og", "og2") == {("rotation_missing", "rot-a"), ("rotation_missing", "rot-b")}
    human = world.cli("migrate", "copy", "--from", "og", "--to", "og2", "--apply")
    assert human.exit_code == 0, explain(human)
    assert human.stdout.count("created: create rotation") == 2
    assert world.check("og", "og2", code=0)["equal"] is True


def test_a_failure_part_way_says_what_was_copied_and_a_rerun_finishes(world: World) -> None:
    _second_schedule(world)
    create = "POST /v2/schedules/{identifier}/rotations"
    # The first create is refused (a 422 is not retried): nothing was copied, so the cause itself.
    world.cli.emulator.faults.add(Fault("opsgenie", create, calls={1}, status=422))
    refused = world.cli("migrate", "copy", "--from", "og", "--to", "og2", "--apply", "--json")
    assert refused.exit_code == 6, explain(refused)
    assert json.loads(refused.stdout)["error"]["code"] == "rejected"
    # Then the second create of the next run: rot-a is created, rot-b is not.
    world.cli.emulator.faults.add(Fault("opsgenie", create, calls={3}, status=422))
    failed = world.cli("migrate", "copy", "--from", "og", "--to", "og2", "--apply", "--json")
    assert failed.exit_code == 10, explain(failed)
    error = json.loads(failed.stdout)["error"]
    assert error["code"] == "partial"
    done, not_done = error["details"]["done"], error["details"]["not_done"]
    assert len(done) == 1 and done[0].startswith("create rotation rot-a ")
    assert len(not_done) == 1 and not_done[0].startswith("create rotation rot-b ")
    again = world.cli.json("migrate", "copy", "--from", "og", "--to", "og2", "--apply")
    assert [a["rotation"] for a in again["applied"]] == ["rot-b"]
    assert world.check("og", "og2", code=0)["equal"] is True


# ---- usage ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--from", "og", "--to", "og"],
        ["copy", "--from", "jsm", "--to", "jsm"],
        ["check", "--from", "og", "--to", "jsm", "--weeks", "53"],
        ["check", "--from", "og"],
    ],
)
def test_usage_errors_exit_2(world: World, args: list[str]) -> None:
    result = world.cli("migrate", *args)
    assert result.exit_code == 2, explain(result)


def test_the_sandbox_flag_refuses_a_profile_that_is_not_a_sandbox(world: World) -> None:
    world.path.write_text(CONFIG + '\n[profiles.prod]\nopsgenie.team = "Engineering"\n', encoding="utf-8")
    result = world.cli("migrate", "check", "--from", "og", "--to", "prod", "--json")
    assert result.exit_code == 2, explain(result)
    assert "sandbox" in json.loads(result.stdout)["error"]["message"]


def test_copy_carries_over_a_new_round_and_a_leaver_made_on_the_source_after_the_first_copy(
    world: World,
) -> None:
    """The source moved on after Atlassian's copy (a new round ended the old rotations; someone left): copy
    brings the target level with it, and check then passes."""
    cli = world.cli
    cli.json("schedule", "new", "--split", "2", "--seed", "7", "--apply")  # --sandbox: Opsgenie, as og
    rot_a = world.rotation("og", "rot-a")
    leaver = next(p for p in rot_a.participants if p)
    manager = next(p for p in world.rotation("og", "rot-b").participants if p)
    cli.json("rotation", "remove-engineer", leaver, "--manager", manager, "--apply")
    assert world.kinds()  # the copy on JSM is behind
    copied = cli.json("migrate", "copy", "--from", "og", "--to", "jsm", "--apply")
    assert {"create_rotation", "update_rotation"} <= {a["kind"] for a in copied["actions"]}
    world.check(code=0)
    again = cli.json("migrate", "copy", "--from", "og", "--to", "jsm", "--apply")
    assert again["actions"] == []


# ---- PagerDuty: the seats' schedules, a round per layer ----------------------------------------------------


def test_the_seeded_pagerduty_copy_is_equal_to_opsgenie_and_to_jsm(world: World) -> None:
    report = world.check("og", "pd", code=0)
    assert report["to"] == {"profile": "pd", "backend": "pagerduty", "schedule": "Engineering_schedule"}
    assert world.check("pd", "jsm", code=0)["equal"] is True


def test_check_finds_what_pagerduty_lacks_and_copy_from_opsgenie_fixes_it_once(world: World) -> None:
    pd = world.store("pd")
    for rotation in pd.rotations():
        pd.delete_rotation(rotation.name)
    cover = _cover(world)
    world.store("og").create_override(cover)
    assert world.kinds("og", "pd") >= {("rotation_missing", "rot-a"), ("rotation_missing", "rot-b")}
    done = world.cli.json("migrate", "copy", "--from", "og", "--to", "pd", "--apply")
    assert [(a["kind"], a["rotation"]) for a in done["applied"]] == [
        ("create_rotation", "rot-a"),
        ("create_rotation", "rot-b"),
        ("create_override", "rot-a"),
    ]
    expected = {r.name: r for r in world.store("og").rotations()}
    copied = {r.name: r for r in world.store("pd").rotations()}
    assert {n: (r.participants, r.start) for n, r in copied.items()} == {
        n: (r.participants, r.start) for n, r in expected.items()
    }
    again = world.cli.json("migrate", "copy", "--from", "og", "--to", "pd", "--apply")
    assert again["actions"] == [] and again["applied"] == []
    assert world.check("og", "pd", code=0)["equal"] is True
    assert world.cli.emulator.rejected == []


def test_copy_from_pagerduty_to_jsm_then_check_passes_both_ways(world: World) -> None:
    world.store("jsm").delete_rotation("rot-b")
    world.store("pd").create_override(_cover(world))
    assert world.kinds("pd", "jsm") == {("rotation_missing", "rot-b"), ("override_missing", "rot-a")}
    done = world.cli.json("migrate", "copy", "--from", "pd", "--to", "jsm", "--apply")
    assert [a["kind"] for a in done["applied"]] == ["create_rotation", "create_override"]
    assert world.check("pd", "jsm", code=0)["equal"] is True
    assert world.check("jsm", "pd", code=0)["equal"] is True
