"""`oncall rotation ...` end to end: the real CLI against the sandbox, then the emulated schedule read back
through the real Opsgenie client and its timeline checked (see conftest.py for the hand-built schedule)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from conftest import ALL_BACKENDS, FACTS_BACKENDS, PLACEHOLDER_BACKENDS, schedule_fault
from oncall_cli.scheduling.model import Engineer, Override, Shift

from .conftest import NOW, World, explain, ny, on_call_pairs

pytestmark = pytest.mark.backends(*ALL_BACKENDS)

HORIZON = (NOW, NOW + timedelta(weeks=12))


def cells(shifts: list[Shift]) -> dict[tuple[str, datetime], str | None]:
    """Who holds each rotation shift, keyed by (rotation, start in UTC)."""
    return {(s.rotation, s.start.astimezone(UTC)): s.user for s in shifts}


def emails(world: World, n: int, offset: int = 0) -> list[str]:
    return [e.email for e in world.veterans[offset : offset + n]]


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_rotation_list_and_show_give_positions_placeholders_and_next_shifts(world: World) -> None:
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, [b[0], None, b[2], b[3]])
    data = world.json("rotation", "list")
    assert [r["name"] for r in data["rotations"]] == ["rot-a", "rot-b"]
    rot_b = data["rotations"][1]
    assert rot_b["group"] == "B" and rot_b["size"] == 3
    slot = rot_b["participants"][1]
    assert slot == {
        "position": 2,
        "user": None,
        "name": None,
        "timezone": None,
        "new": None,
        "next_shift": {
            "rotation": "rot-b",
            "user": None,
            "start": "2027-02-10T11:00:00-05:00",
            "end": "2027-02-17T11:00:00-05:00",
        },
    }
    first = data["rotations"][0]["participants"][0]
    assert first["user"] == a[0] and first["new"] is False and first["timezone"]
    assert first["next_shift"]["start"] == "2027-03-01T11:00:00-05:00"  # Feb 1's is under way
    shown = world.json("rotation", "show", "rot-b")
    assert shown["name"] == "rot-b" and shown["participants"] == rot_b["participants"]
    text = world("rotation", "show", "rot-b")
    assert "no-one" in text.stdout
    missing = world("rotation", "show", "rot-z")
    assert missing.exit_code == 5, explain(missing)


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_add_engineer_fills_a_placeholder_moves_nobody_and_is_safe_to_run_again(world: World) -> None:
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, [b[0], None, b[2], b[3]])
    world.invite("new.hire@example.com", "New Hire", "Europe/London")
    before = world.timeline(*HORIZON)
    args = (
        "rotation",
        "add-engineer",
        "new.hire@example.com",
        "--start-date",
        "2026-12-01",
        "--name",
        "New Hire",
        "--timezone",
        "Europe/London",
    )
    plan = world.json(*args)
    assert plan["dry_run"] is True and world.writes() == 0
    assert (plan["rotation"], plan["outcome"], plan["position"]) == ("rot-b", "placeholder", 2)
    assert plan["reason"].startswith("B: Europe/London is outside US Eastern time")

    done = world.json(*args, "--apply")
    assert done["moves"] == [] and done["first_shift"]["start"] == "2027-02-10T11:00:00-05:00"
    if world.backend_name == "opsgenie":
        assert done["user"] == {"exists": False, "created": True, "role": "user"}
        user = world.backend().client.get_user(identifier="new.hire@example.com")  # type: ignore[attr-defined]
        assert user.role is not None and (user.role.name or "").lower() == "user"
    elif world.backend_name == "pagerduty":
        assert done["user"] == {"exists": False, "created": True, "role": "user"}
    else:  # an invited Atlassian account: its start date is written, nothing is created
        assert done["user"] == {"exists": True, "created": False, "role": None}
    assert done["team"]["added"] is True
    assert len(done["applied"]) == 3
    hire = world.directory().get("new.hire@example.com")
    assert (hire.name, hire.timezone) == ("New Hire", "Europe/London")
    if world.directory().keeps_start_dates:  # PagerDuty keeps none (the roster does)
        assert hire.start_date == date(2026, 12, 1)
    assert "new.hire@example.com" in world.directory().team_members()
    assert world.rotations()["rot-b"].participants == (b[0], "new.hire@example.com", b[2], b[3])
    after = world.timeline(*HORIZON)
    changed = {k: (v, cells(after).get(k)) for k, v in cells(before).items() if cells(after).get(k) != v}
    assert changed and all(old is None and new == "new.hire@example.com" for old, new in changed.values())
    assert on_call_pairs(after, *HORIZON) == []  # two people on call at every moment

    world.emulator.calls.clear()
    again = world.json(*args, "--apply")
    assert again["outcome"] == "already_placed" and again["applied"] == []
    assert world.writes() == 0


def test_add_engineer_appends_reanchors_and_notifies_only_whose_next_shift_moves(world: World) -> None:
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, b)
    world.invite("east.hire@example.com")
    before = world.timeline(*HORIZON)
    data = world.json(
        "rotation",
        "add-engineer",
        "east.hire@example.com",
        "--start-date",
        "2026-12-01",
        "--timezone",
        "America/New_York",
        "--apply",
        "--notify",
    )
    assert (data["rotation"], data["outcome"], data["reanchored"]) == ("rot-a", "append", True)
    assert data["start"] == {"old": "2027-01-04T11:00:00-05:00", "new": "2027-02-01T11:00:00-05:00"}
    assert data["first_shift"]["start"] == "2027-03-01T11:00:00-05:00"
    assert [m["user"] for m in data["moves"]] == [a[0]]
    assert data["moves"][0]["new"] == {
        "rotation": "rot-a",
        "user": a[0],
        "start": "2027-03-08T11:00:00-05:00",
        "end": "2027-03-15T11:00:00-04:00",
    }
    assert any("one week longer" in n for n in data["notes"])
    rot_a = world.rotations()["rot-a"]
    assert rot_a.start == ny(2027, 2, 1, 11) and rot_a.participants == (*a, "east.hire@example.com")
    after = world.timeline(*HORIZON)
    cut = ny(2027, 3, 1, 11)
    assert [(s.rotation, s.user, s.start, s.end) for s in after if s.start < cut] == [
        (s.rotation, s.user, s.start, s.end) for s in before if s.start < cut
    ]  # current round intact
    assert on_call_pairs(after, *HORIZON) == []
    # Only a[0] was told, with the playbook's message.
    assert data["notified"] == [a[0]]
    message = world.dms(a[0])
    assert len(message) == 1 and message[0].startswith(
        f"Hi <@{world.slack_id(a[0])}>! We've added a new engineer to the on-call schedule"
    )
    assert all(world.dms(x) == [] for x in a[1:] + b)


def test_add_engineer_warns_that_an_override_covers_the_appended_engineers_first_shift(world: World) -> None:
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, b)
    cover = Override(a[2], ny(2027, 3, 1, 11), ny(2027, 3, 8, 11), ("rot-a",))
    alias = world.backend().create_override(cover)
    world.invite("east.hire@example.com")
    args = ("--start-date", "2026-12-01", "--timezone", "America/New_York")
    data = world.json("rotation", "add-engineer", "east.hire@example.com", *args)
    assert data["outcome"] == "append" and data["first_shift"]["start"] == "2027-03-01T11:00:00-05:00"
    (warning,) = [w for w in data["warnings"] if "override" in w]
    assert warning.startswith(
        f"override {alias} puts {a[2]} on rot-a from 2027-03-01T11:00-05:00 to 2027-03-08T11:00-05:00, "
        "over east.hire@example.com's first shift"
    )
    assert "the override now replaces east.hire@example.com for the whole shift" in warning


def test_add_engineer_defers_and_schedules_a_reminder_to_me(world: World) -> None:
    world.build(emails(world, 4), emails(world, 4, 4))
    world.invite("late.hire@example.com")
    data = world.json(
        "rotation",
        "add-engineer",
        "late.hire@example.com",
        "--start-date",
        "2027-01-15",
        "--apply",
        "--remind",
    )
    assert data["outcome"] == "deferred" and data["participants"]["after"] is None
    assert data["add_from"] == "2027-03-01T11:00:00-05:00"
    assert data["reminder"]["scheduled"] is True
    [scheduled] = world.scheduled()
    assert scheduled["post_at"] == int(ny(2027, 3, 1, 11).timestamp())
    assert scheduled["text"] == "add late.hire@example.com to on-call rotations"
    ims = world.emulator.query(
        "SELECT id FROM slack_channels WHERE kind = 'im' AND im_user = ?", (world.slack_id(world.me),)
    )
    assert scheduled["channel_id"] == ims[0]["id"]
    assert world.rotations()["rot-a"].participants == tuple(emails(world, 4))


@pytest.mark.backends("jsm")  # Opsgenie creates the user
def test_add_engineer_on_jsm_says_a_person_without_an_atlassian_account_must_be_invited(world: World) -> None:
    world.build(emails(world, 4), emails(world, 4, 4))
    for flags in ((), ("--apply",)):
        result = world("rotation", "add-engineer", "not.invited@example.com", "--start-date", "2026-11-01",
                       *flags, "--json")
        assert result.exit_code == 5, explain(result)
        error = json.loads(result.stdout)["error"]
        assert "not.invited@example.com" in error["message"] and "Invite them" in error["hint"]
    assert world.writes() == 0


@pytest.mark.backends("opsgenie")
def test_add_engineer_stops_without_changes_when_the_account_has_no_free_license(world: World) -> None:
    world.build(emails(world, 4), emails(world, 4, 4))
    client = world.backend().client
    count = len(client.list_users())
    for i in range(40 - count):
        client.create_user(username=f"filler{i}@example.com", full_name=f"Filler {i}")
    world.emulator.calls.clear()
    result = world(
        "rotation", "add-engineer", "one.more@example.com", "--start-date", "2026-11-01", "--apply", "--json"
    )
    assert result.exit_code == 6, explain(result)
    error: dict[str, Any] = json.loads(result.stdout)["error"]
    assert "no free user license" in error["message"] and "Owner" in error["message"]
    assert "Nothing was changed" in error["message"]
    assert world.directory().find("one.more@example.com") is None
    assert "one.more@example.com" not in world.directory().team_members()
    assert world.rotations()["rot-a"].participants == tuple(emails(world, 4))


@pytest.mark.backends(*FACTS_BACKENDS)
def test_add_engineer_skips_a_slot_next_to_another_new_engineer(world: World) -> None:
    a, b = emails(world, 4), emails(world, 4, 4)
    hire = world.hires[-1].email  # started within 90 days: new [R7]
    world.build([a[0], None, a[2], None], [b[0], hire, b[2], b[3]])  # hire holds rot-b Feb 10 - 17
    world.invite("pair.hire@example.com")
    data = world.json(
        "rotation",
        "add-engineer",
        "pair.hire@example.com",
        "--start-date",
        "2026-11-01",
        "--rotation",
        "rot-a",
        "--apply",
    )
    assert data["outcome"] == "placeholder" and data["position"] == 4
    assert data["tried"][0]["position"] == 2 and data["tried"][0]["conflicts"] == [hire]
    assert world.rotations()["rot-a"].participants == (a[0], None, a[2], "pair.hire@example.com")


@pytest.mark.backends("pagerduty")
def test_add_engineer_roster_gives_start_dates_where_the_service_keeps_none(world: World) -> None:
    """PagerDuty keeps no start dates: every user reads as a veteran, unless `--roster` says otherwise.
    The roster's recent hire holds rot-b Feb 10 - 17, so the new engineer passes over that slot [R7]."""
    a, b = emails(world, 4), emails(world, 4, 4)
    hire = b[1]
    world.build([a[0], None, a[2], None], [b[0], hire, b[2], b[3]])
    world.invite("pair.hire@example.com")
    roster = world.tmp / "roster.toml"
    roster.write_text(
        f'[[engineers]]\nemail = "{hire}"\nname = "Recent Hire"\ntimezone = "America/New_York"\n'
        f'start_date = {NOW.date() - timedelta(days=30)}\nmanager = "{a[0]}"\n',
        encoding="utf-8",
    )
    args = ("rotation", "add-engineer", "pair.hire@example.com", "--start-date", "2026-11-01",
            "--rotation", "rot-a")
    assert world.json(*args)["position"] == 2  # without the roster, the hire is a veteran
    data = world.json(*args, "--roster", str(roster), "--apply")
    assert data["outcome"] == "placeholder" and data["position"] == 4
    assert data["tried"][0]["position"] == 2 and data["tried"][0]["conflicts"] == [hire]
    assert world.rotations()["rot-a"].participants == (a[0], None, a[2], "pair.hire@example.com")
    leaving = world.json("rotation", "remove-engineer", hire, "--roster", str(roster))
    assert leaving["manager"] == a[0], leaving


@pytest.mark.backends(*FACTS_BACKENDS)
def test_add_engineer_no_move_proposes_a_trade_when_every_slot_meets_a_new_engineer(world: World) -> None:
    a, b = emails(world, 4), emails(world, 4, 4)
    hire = world.hires[-1].email
    world.build([a[0], None, a[2], a[3]], [b[0], hire, b[2], b[3]])
    world.invite("pair.hire@example.com")
    data = world.json(
        "rotation",
        "add-engineer",
        "pair.hire@example.com",
        "--start-date",
        "2026-11-01",
        "--rotation",
        "rot-a",
        "--no-move",
        "--apply",
    )
    trade = data["trade"]
    assert trade["partner"] == a[3]
    assert trade["partner_new_shift"]["start"] == "2027-02-08T11:00:00-05:00"
    assert trade["new_engineer_new_shift"]["start"] == "2027-02-22T11:00:00-05:00"
    assert trade["message"].startswith(f"Hi @{a[3].split('@')[0]}! We've added @pair.hire to the schedule")
    assert trade["command"] == f"oncall override swap pair.hire@example.com {a[3]}"
    assert world.overrides() == []  # proposed, not performed


@pytest.mark.backends(*FACTS_BACKENDS)
def test_R7_add_engineer_inserts_earlier_when_the_append_slot_meets_a_new_engineer(world: World) -> None:
    """Issue 12, defect 3: the append slot (Mar 1-8) meets the new hire's rot-b shift (Feb 24 - Mar 3): the
    engineer goes in earlier, at position 2 (Feb 8-15); everyone whose dates move is listed and told."""
    a, b = emails(world, 4), emails(world, 4, 4)
    hire = world.hires[-1].email  # started within 90 days: new [R7]
    world.build(a, [b[0], b[1], b[2], hire])
    world.invite("pair.hire@example.com")
    before = world.timeline(*HORIZON)
    data = world.json(
        "rotation",
        "add-engineer",
        "pair.hire@example.com",
        "--start-date",
        "2026-11-01",
        "--apply",
        "--notify",
    )
    assert (data["outcome"], data["rotation"], data["position"]) == ("insert", "rot-a", 2), data
    assert data["first_shift"]["start"] == "2027-02-08T11:00:00-05:00" and data["trade"] is None
    assert data["tried"][0]["kind"] == "append" and data["tried"][0]["conflicts"] == [hire]
    assert not [w for w in data["warnings"] if "[R7]" in w]
    assert world.rotations()["rot-a"].participants == (a[0], "pair.hire@example.com", a[1], a[2], a[3])
    moved = {m["user"]: (m["old"]["start"][:10], m["new"]["start"][:10]) for m in data["moves"]}
    assert moved == {
        a[0]: ("2027-03-01", "2027-03-08"),
        a[1]: ("2027-02-08", "2027-02-15"),
        a[2]: ("2027-02-15", "2027-02-22"),
        a[3]: ("2027-02-22", "2027-03-01"),
    }
    assert sorted(n["user"] for n in data["notifications"] if n["sent"]) == sorted(a)
    assert all(world.dms(user) for user in a)
    # The shift under way (a[0], from Feb 1) and rot-b are untouched; two people on call at every moment.
    after = world.timeline(*HORIZON)
    assert [(s.user, s.start) for s in after if s.rotation == "rot-b"] == [
        (s.user, s.start) for s in before if s.rotation == "rot-b"
    ]
    assert on_call_pairs(after, *HORIZON) == []
    # No pair and no gap; the only R6 finding is the hand-built world's own (the hire in rot-b, there before).
    check = world.json("schedule", "check", code=9)
    assert not [v for v in check["violations"] if v["rule"] in ("R1", "R7")], check
    assert {tuple(v["subjects"]) for v in check["violations"] if v["rule"] == "R6"} == {(hire,)}
    world.emulator.calls.clear()
    again = world.json(
        "rotation", "add-engineer", "pair.hire@example.com", "--start-date", "2026-11-01", "--apply"
    )
    assert again["outcome"] == "already_placed" and world.writes() == 0


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_remove_engineer_leaves_a_placeholder_and_the_manager_covers_the_leavers_shifts(world: World) -> None:
    a, b = emails(world, 4), emails(world, 4, 4)
    boss = world.veterans[8].email
    world.build(a, b)
    before = world.timeline(*HORIZON)
    dry = world.json("rotation", "remove-engineer", a[1], "--manager", boss)
    assert dry["dry_run"] is True and world.writes() == 0
    data = world.json(
        "rotation", "remove-engineer", a[1], "--manager", boss, "--apply", "--delete-user", "--yes"
    )
    assert data["rotations"][0]["after"] == [a[0], None, a[2], a[3]] and data["moves"] == []
    assert [o["start"][:10] for o in data["overrides"]] == ["2027-02-08", "2027-03-08", "2027-04-05"]
    assert data["delete_user"] == {"requested": True, "deleted": True, "kept": None}
    assert world.rotations()["rot-a"].participants == (a[0], None, a[2], a[3])
    assert a[1] not in world.directory().team_members()  # Opsgenie: deleted; JSM: off the team
    after = world.timeline(*HORIZON)
    old, new = cells(before), cells(after)
    assert set(old) == set(new)
    for key, user in old.items():
        assert new[key] == (boss if user == a[1] else user), key  # nobody else moved
    assert on_call_pairs(after, *HORIZON) == []

    assert any(f"cover 3 shift(s) of {a[1]}" in x for x in data["applied"])
    world.emulator.calls.clear()
    if world.backend_name == "jsm":  # the Atlassian account stays (off the team): nothing left to do
        again = world.json("rotation", "remove-engineer", a[1], "--apply")
        assert again["actions"] == []
    else:  # the Opsgenie user is gone and nothing names them: "no such engineer" (issue 12, defect 10)
        again = world("rotation", "remove-engineer", a[1], "--apply")
        assert again.exit_code == 5, explain(again)
    assert world.writes() == 0


@pytest.mark.backends(*FACTS_BACKENDS)  # a placeholder, and the manager from the user's details
def test_remove_engineer_asks_before_deleting_the_user(world: World) -> None:
    a = emails(world, 4)
    record = world.directory().find(a[2])
    assert record is not None and record.manager
    # The manager (from the user's details) must not be on call in B meanwhile: that double booking is
    # refused (exit 9, issue 12).
    world.build(a, [e for e in emails(world, 9, 4) if e != record.manager][:4])
    result = world("rotation", "remove-engineer", a[2], "--apply", "--delete-user", input="n\n")
    assert result.exit_code == 0, explain(result)
    directory = world.directory()
    assert f"{directory.delete_action(a[2], question=True)}?" in result.stderr
    assert f"({directory.facts_source})" in result.stdout  # the manager came from the user's details
    assert "User kept: not confirmed" in result.stdout
    assert world.directory().find(a[2]) is not None
    assert None in world.rotations()["rot-a"].participants


@pytest.mark.backends(*FACTS_BACKENDS)
def test_remove_engineer_says_the_manager_from_opsgenie_details_is_no_user_and_suggests_the_flag(
    world: World,
) -> None:
    # The seed's top managers report to cto@example.com, who has no Opsgenie account.
    reports = [e.email for e in world.directory().team() if e.manager == "cto@example.com"]
    leaver = next(e for e in reports if e in {v.email for v in world.veterans})
    others = [e.email for e in world.veterans if e.email != leaver]
    world.build([leaver, *others[:3]], others[3:7])
    result = world("rotation", "remove-engineer", leaver, "--json")
    assert result.exit_code == 2, explain(result)
    message = json.loads(result.stdout)["error"]["message"]
    facts, service = world.directory().facts_source, world.service
    assert message == (
        f"the leaver's {facts} name manager cto@example.com, who is not a user in {service} "
        f"and so cannot cover {leaver}'s shifts; pass --manager EMAIL to name who covers them"
    )
    assert not message.startswith("--manager")  # no flag was given
    assert world.writes() == 0
    flagged = world("rotation", "remove-engineer", leaver, "--manager", "cto@example.com", "--json")
    assert flagged.exit_code == 2
    assert json.loads(flagged.stdout)["error"]["message"].startswith(f"--manager: {service} has no user")


@pytest.mark.backends(*FACTS_BACKENDS)
def test_remove_engineer_whose_opsgenie_details_name_themselves_as_manager_asks_for_the_flag(
    world: World,
) -> None:
    solo = Engineer("solo.dev@example.com", "Solo Dev", "America/New_York", date(2020, 1, 1))
    if world.backend_name == "jsm":
        world.invite(solo.email, solo.name)
        world.context().jira.set_user_property(
            account_id=world.directory().account_id(solo.email),  # type: ignore[attr-defined]
            key="oncall",
            value={"start_date": "2020-01-01", "manager": solo.email},
        )
    else:
        world.directory().create(replace(solo, manager=solo.email))
    others = emails(world, 7)
    world.build([solo.email, *others[:3]], others[3:7])
    result = world("rotation", "remove-engineer", solo.email, "--json")
    assert result.exit_code == 2, explain(result)
    assert json.loads(result.stdout)["error"]["message"].startswith(
        f"the leaver's {world.directory().facts_source} name solo.dev@example.com as their own manager"
    )


def test_bad_input_is_a_one_line_usage_error_naming_the_flag(world: World) -> None:
    world.build(emails(world, 4), emails(world, 4, 4))
    bad_date = world("rotation", "add-engineer", "x@example.com", "--start-date", "soon")
    assert bad_date.exit_code == 2 and "--start-date" in bad_date.stderr
    bad_zone = world(
        "rotation", "add-engineer", "x@example.com", "--start-date", "2027-01-01", "--timezone", "Mars/Base"
    )
    assert bad_zone.exit_code == 2 and "Mars/Base" in bad_zone.stderr
    bad_email = world("rotation", "remove-engineer", "nobody", "--json")
    assert bad_email.exit_code == 2 and "EMAIL" in bad_email.stdout


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_add_engineer_half_done_says_what_was_done_and_a_rerun_finishes(world: World) -> None:
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, [b[0], None, b[2], b[3]])
    world.invite("half.done@example.com")
    world.emulator.faults.add(schedule_fault(world.backend_name, "update_rotation", status=422))
    args = ("rotation", "add-engineer", "half.done@example.com", "--start-date", "2026-12-01", "--apply")
    result = world(*args, "--json")
    assert result.exit_code == 10, explain(result)
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "partial"
    # JSM: the invited account's start date is set; Opsgenie and PagerDuty create the user.
    first = "set" if world.backend_name == "jsm" else "create"
    assert [d.split(" ")[0] for d in error["details"]["done"]] == [first, "add"]
    assert error["details"]["not_done"][0].startswith("set rot-b participants")
    assert world.directory().find("half.done@example.com") is not None
    assert world.rotations()["rot-b"].participants == (b[0], None, b[2], b[3])
    world.emulator.faults.clear()
    done = world.json(*args)
    assert done["user"]["exists"] is True and done["team"]["member"] is True
    assert done["applied"] == [done["actions"][0]] and done["applied"][0].startswith("set rot-b")
    assert world.rotations()["rot-b"].participants == (b[0], "half.done@example.com", b[2], b[3])
