"""`oncall schedule` end to end: the real CLI against the sandbox, checking output and emulated state."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import (
    ALL_BACKENDS,
    PLACEHOLDER_BACKENDS,
    SandboxCli,
    explain,
)
from oncall_cli.scheduling.model import Rotation
from oncall_cli.scheduling.rules import group_of
from oncall_cli.scheduling.timeline import on_call_at, timeline

pytestmark = pytest.mark.backends(*ALL_BACKENDS)

TZ = "America/New_York"


def _rotations(cli: SandboxCli) -> list[Rotation]:
    """The schedule's rotations as the backend stores them, read back through its adapter."""
    return cli.context().schedule_store().rotations()


def _assert_one_per_group_throughout(rotations: list[Rotation], start: datetime, end: datetime) -> None:
    """[R1] Exactly one A and one B engineer on call at every moment: check at every handoff edge."""
    edges = sorted({s.start for s in timeline(rotations, [], start, end, TZ)} | {start})
    for at in edges:
        groups = Counter(group_of(s.rotation) for s in on_call_at(rotations, [], at, TZ))
        assert groups == Counter({"A": 1, "B": 1}), f"at {at}: {groups}"


def test_plan_json_keeps_the_contract_keys(sandbox_cli: SandboxCli) -> None:
    plan = sandbox_cli.json("schedule", "new", "--split", "2", "--seed", "1")
    assert set(plan) >= {"timezone", "rotations", "shifts", "pairs", "deferred", "warnings"}
    assert plan["timezone"] == TZ
    names = [r["name"] for r in plan["rotations"]]
    assert names == ["rot-a-next", "rot-b-next"]
    assert [r["group"] for r in plan["rotations"]] == ["A", "B"]
    for rotation in plan["rotations"]:
        assert rotation["type"] == "weekly"
        assert datetime.fromisoformat(rotation["start"]).utcoffset() is not None
    assert set(plan["shifts"][0]) == {"rotation", "user", "start", "end"}
    assert set(plan["pairs"][0]) == {"a", "b", "start", "end"}


def test_everyone_started_is_on_call_exactly_once_and_the_future_hire_is_deferred(
    sandbox_cli: SandboxCli,
) -> None:
    plan = sandbox_cli.json("schedule", "new", "--seed", "1")
    participants = [p for r in plan["rotations"] for p in r["participants"] if p]
    assert len(participants) == len(set(participants))
    team = {e.email for e in sandbox_cli.context().directory.team()}
    deferred = {d["user"] for d in plan["deferred"]}
    assert set(participants) | deferred == team
    assert all(d["eligible_from"] for d in plan["deferred"])
    sizes = [len(r["participants"]) for r in plan["rotations"]]
    assert abs(sizes[0] - sizes[1]) <= 1


def test_same_seed_gives_the_same_plan_byte_for_byte(sandbox_cli: SandboxCli) -> None:
    first = sandbox_cli("schedule", "new", "--seed", "42", "--json")
    second = sandbox_cli("schedule", "new", "--seed", "42", "--json")
    assert first.exit_code == 0, explain(first)
    assert first.stdout == second.stdout


def test_plan_only_changes_nothing(sandbox_cli: SandboxCli) -> None:
    before = _rotations(sandbox_cli)
    sandbox_cli.json("schedule", "new", "--seed", "1")
    sandbox_cli.json("schedule", "new", "--seed", "1", "--apply", "--dry-run")
    assert _rotations(sandbox_cli) == before


def test_apply_creates_the_next_round_with_exactly_two_on_call_throughout(sandbox_cli: SandboxCli) -> None:
    plan = sandbox_cli.json("schedule", "new", "--seed", "1", "--apply")
    assert plan["apply"]["dry_run"] is False
    assert plan["apply"]["announced"] == "posted"
    rotations = _rotations(sandbox_cli)
    by_name = {r.name: r for r in rotations}
    assert {"rot-a-next", "rot-b-next"} <= set(by_name)
    for planned in plan["rotations"]:
        created = by_name[planned["name"]]
        assert list(created.participants) == planned["participants"]
        assert created.start == datetime.fromisoformat(planned["start"])
    # The current rotations end where the new ones start: no gap, no double coverage.
    assert by_name["rot-a"].end == by_name["rot-a-next"].start
    assert by_name["rot-b"].end == by_name["rot-b-next"].start
    now = sandbox_cli.clock.now()
    round_end = max(by_name["rot-a-next"].start, by_name["rot-b-next"].start) + timedelta(weeks=13)
    _assert_one_per_group_throughout(rotations, now, round_end)


def test_apply_twice_creates_no_duplicates_and_announces_once(sandbox_cli: SandboxCli) -> None:
    sandbox_cli.json("schedule", "new", "--seed", "1", "--apply")
    again = sandbox_cli.json("schedule", "new", "--seed", "1", "--apply")
    assert again["apply"]["actions"] == []
    assert sorted(again["apply"]["existing"]) == ["rot-a-next", "rot-b-next"]
    assert again["apply"]["differences"] == []
    assert again["apply"]["announced"] == "already_posted"
    names = [r.name for r in _rotations(sandbox_cli)]
    assert len(names) == len(set(names)) == 4
    announcements = sandbox_cli.emulator.query(
        "SELECT * FROM slack_messages WHERE text LIKE 'The upcoming Engineering On-Call rotations are up%'"
    )
    assert len(announcements) == 1


def test_apply_again_with_another_seed_reports_the_differences_and_changes_nothing(
    sandbox_cli: SandboxCli,
) -> None:
    sandbox_cli.json("schedule", "new", "--seed", "1", "--apply")
    before = _rotations(sandbox_cli)
    again = sandbox_cli.json("schedule", "new", "--seed", "2", "--apply")
    assert again["apply"]["differences"]
    assert again["apply"]["announced"] == "skipped"
    assert _rotations(sandbox_cli) == before


def test_no_announce_posts_nothing(sandbox_cli: SandboxCli) -> None:
    plan = sandbox_cli.json("schedule", "new", "--seed", "1", "--apply", "--no-announce")
    assert plan["apply"]["announced"] == "skipped"
    assert not sandbox_cli.emulator.query("SELECT * FROM slack_messages WHERE text LIKE 'The upcoming%'")


def test_start_must_be_a_monday(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("schedule", "new", "--start", "2027-03-03")
    assert result.exit_code == 2
    assert "--start" in result.stderr and "Monday" in result.stderr
    assert "Traceback" not in result.output


def test_split_out_of_range_is_a_usage_error_naming_the_flag(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("schedule", "new", "--split", "5", "--json")
    assert result.exit_code == 2
    assert "--split" in result.stdout


def test_explicit_start_sets_a_monday_and_b_wednesday(sandbox_cli: SandboxCli) -> None:
    plan = sandbox_cli.json("schedule", "new", "--start", "2027-03-08", "--seed", "3")
    starts = [datetime.fromisoformat(r["start"]) for r in plan["rotations"]]
    assert [s.strftime("%a %H:%M") for s in starts] == ["Mon 11:00", "Wed 11:00"]
    # 2027-03-14 is the DST change: the week after still hands off at 11:00 Eastern.
    later = [datetime.fromisoformat(s["start"]) for s in plan["shifts"] if s["rotation"] == "rot-a-next"]
    assert {s.strftime("%H:%M") for s in later} == {"11:00"}
    assert {s.utcoffset() for s in later} == {timedelta(hours=-5), timedelta(hours=-4)}


def test_roster_with_start_plans_offline_without_calling_opsgenie(sandbox_cli: SandboxCli) -> None:
    roster = Path(__file__).resolve().parents[2] / "examples" / "roster.toml"
    plan = sandbox_cli.json(
        "schedule", "new", "--roster", str(roster), "--start", "2027-03-01", "--seed", "1"
    )
    assert plan["rotations"]
    assert not sandbox_cli.emulator.calls


def test_a_bad_roster_names_the_file_the_entry_and_the_field(sandbox_cli: SandboxCli) -> None:
    roster = sandbox_cli.tmp / "roster.toml"
    roster.write_text(
        '[[engineers]]\nemail = "a@example.com"\nname = "A"\ntimezone = "Mars/Olympus"\n'
        "start_date = 2024-01-01\n",
        encoding="utf-8",
    )
    result = sandbox_cli("schedule", "new", "--roster", str(roster), "--start", "2027-03-01")
    assert result.exit_code == 2
    line = next(x for x in result.stderr.splitlines() if x.startswith("error:"))
    assert str(roster) in line and "a@example.com" in line and "timezone" in line


def test_missing_roster_file_is_a_usage_error(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("schedule", "new", "--roster", str(sandbox_cli.tmp / "nope.toml"))
    assert result.exit_code == 2
    assert "--roster" in result.stderr


def test_show_lists_the_effective_shifts(sandbox_cli: SandboxCli) -> None:
    view = sandbox_cli.json("schedule", "show", "--weeks", "2")
    assert view["timezone"] == TZ
    rotations = {s["rotation"] for s in view["shifts"]}
    assert rotations == {"rot-a", "rot-b"}
    assert [s["index"] for s in view["shifts"]] == list(range(1, len(view["shifts"]) + 1))


def test_fresh_sandbox_passes_its_own_check(sandbox_cli: SandboxCli) -> None:
    """Issue 12, defect 12: the seeded schedule keeps every rule (R3 Eastern coverage, no R10 placeholder)."""
    result = sandbox_cli("schedule", "check", "--json")
    assert result.exit_code == 0, explain(result)
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["violations"] == []


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_check_finds_a_placeholder_and_exits_9(sandbox_cli: SandboxCli) -> None:
    store = sandbox_cli.context().schedule_store()
    rot_b = next(r for r in store.rotations() if r.name == "rot-b")
    store.update_rotation("rot-b", participants=(*rot_b.participants[:1], None, *rot_b.participants[1:]))
    result = sandbox_cli("schedule", "check", "--json")
    assert result.exit_code == 9, explain(result)
    report = json.loads(result.stdout)
    assert report["ok"] is False
    rules = {v["rule"] for v in report["violations"]}
    assert "R10" in rules
    assert all(set(v) == {"rule", "message", "subjects", "start", "end"} for v in report["violations"])


def test_check_after_a_clean_round_finds_no_gap_or_overlap(sandbox_cli: SandboxCli) -> None:
    sandbox_cli.json("schedule", "new", "--seed", "1", "--apply", "--no-announce")
    report = sandbox_cli("schedule", "check", "--json", "--weeks", "20")
    violations = json.loads(report.stdout)["violations"]
    assert not [v for v in violations if v["rule"] == "R1"], violations


def test_export_ics_has_one_event_per_shift_with_stable_uids(sandbox_cli: SandboxCli) -> None:
    import icalendar

    first = sandbox_cli("schedule", "export", "--format", "ics", "--weeks", "3")
    assert first.exit_code == 0, explain(first)
    sandbox_cli.clock.advance(minutes=30)  # crosses no handoff at either end of the window
    second = sandbox_cli("schedule", "export", "--format", "ics", "--weeks", "3")
    events = [e for e in icalendar.Calendar.from_ical(first.stdout).walk("VEVENT")]
    shifts = sandbox_cli.json("schedule", "export", "--weeks", "3")["shifts"]
    assert len(events) == len(shifts) > 0

    def uids(text: str) -> set[str]:
        return {str(e["UID"]) for e in icalendar.Calendar.from_ical(text).walk("VEVENT")}

    assert uids(first.stdout) == uids(second.stdout)
    start = events[0].decoded("DTSTART")
    assert start.tzinfo is not None and start.strftime("%H:%M") == "11:00"


def test_export_csv_for_one_user(sandbox_cli: SandboxCli) -> None:
    shifts = sandbox_cli.json("schedule", "show", "--weeks", "4")["shifts"]
    user = next(s["user"] for s in shifts if s["user"])
    result = sandbox_cli("schedule", "export", "--format", "csv", "--user", user, "--weeks", "4")
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "rotation,user,start,end"
    assert lines[1:] and all(f",{user}," in line for line in lines[1:])


def test_export_rejects_an_unknown_format(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("schedule", "export", "--format", "pdf")
    assert result.exit_code == 2
    assert "--format" in result.stderr


def test_R8_the_round_after_next_continues_from_the_running_next_round(sandbox_cli: SandboxCli) -> None:
    first = sandbox_cli.json("schedule", "new", "--seed", "1", "--apply", "--no-announce")
    starts = [datetime.fromisoformat(r["start"]) for r in first["rotations"]]
    # Months later both -next rotations carry their seats; plan and apply the following round.
    sandbox_cli.clock.advance(days=(max(starts) - sandbox_cli.clock.now()).days + 3)
    second = sandbox_cli.json("schedule", "new", "--seed", "2", "--apply", "--no-announce")
    names = [r["name"] for r in second["rotations"]]
    assert all(n.startswith(("rot-a-20", "rot-b-20")) for n in names), names
    assert second["apply"]["existing"] == []
    by_name = {r.name: r for r in _rotations(sandbox_cli)}
    for planned in second["rotations"]:
        previous = by_name[planned["name"].rsplit("-", 3)[0] + "-next"]
        assert previous.end == datetime.fromisoformat(planned["start"])  # [R8] starts where its round ends
    now = sandbox_cli.clock.now()
    _assert_one_per_group_throughout(list(by_name.values()), now, now + timedelta(weeks=30))
    again = sandbox_cli.json("schedule", "new", "--seed", "2", "--apply", "--no-announce")
    assert sorted(again["apply"]["existing"]) == sorted(names) and again["apply"]["actions"] == []


def test_apply_refuses_a_start_in_the_past(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("schedule", "new", "--start", "2027-01-04", "--apply")
    assert result.exit_code == 2, explain(result)
    assert "--start" in result.stderr and "past" in result.stderr
    assert sandbox_cli("schedule", "new", "--start", "2027-01-04", "--json").exit_code == 0  # a plan is fine


def test_R4_split_1_ends_the_seat_the_new_round_drops(sandbox_cli: SandboxCli) -> None:
    if sandbox_cli.backend == "pagerduty":
        # One seat of all 24 people: a PagerDuty rotation takes at most 20 members; refused before any write.
        result = sandbox_cli("schedule", "new", "--split", "1", "--seed", "1", "--apply", "--no-announce")
        assert result.exit_code == 10 and "at most 20 members" in result.stderr, explain(result)
        assert [r.name for r in _rotations(sandbox_cli)] == ["rot-a", "rot-b"]
        return
    plan = sandbox_cli.json("schedule", "new", "--split", "1", "--seed", "1", "--apply", "--no-announce")
    start = datetime.fromisoformat(plan["rotations"][0]["start"])
    by_name = {r.name: r for r in _rotations(sandbox_cli)}
    assert by_name["rot-b"].end == start
    assert by_name["rot-a"].end == start


def test_export_times_do_not_move_between_exports(sandbox_cli: SandboxCli) -> None:
    import icalendar

    def events(text: str) -> set[tuple[str, datetime, datetime]]:
        return {
            (str(e["UID"]), e.decoded("DTSTART"), e.decoded("DTEND"))
            for e in icalendar.Calendar.from_ical(text).walk("VEVENT")
        }

    first = sandbox_cli("schedule", "export", "--format", "ics", "--weeks", "3").stdout
    sandbox_cli.clock.advance(minutes=7)
    second = sandbox_cli("schedule", "export", "--format", "ics", "--weeks", "3").stdout
    assert events(first) == events(second)
    assert all(end.strftime("%H:%M") == "11:00" for _, _, end in events(first))


def test_R7_a_new_pair_across_rounds_is_found_when_seats_start_on_different_days(
    sandbox_cli: SandboxCli,
) -> None:
    """Old rot-a runs until Monday while the new rot-b starts on Wednesday: its last shift must be checked
    against rot-b's first shift for the whole overlap, not only up to the earliest new start."""
    from zoneinfo import ZoneInfo

    context = sandbox_cli.context()
    store, users = context.schedule_store(), context.directory.team()
    eastern = [u.email for u in users if u.timezone == "America/New_York"][:2]
    others = [u.email for u in users if u.timezone in ("Europe/London", "Europe/Berlin")][:2]
    x, w = eastern
    for rotation in store.rotations():
        store.delete_rotation(rotation.name)
    ny = ZoneInfo(TZ)
    for name, start, people in (
        ("rot-a", datetime(2027, 1, 4, 11, tzinfo=ny), [x]),
        ("rot-b", datetime(2027, 1, 6, 11, tzinfo=ny), [others[0]]),
    ):
        store.create_rotation(Rotation(name, start, tuple(people)))
    # x is new and too recent for a shift in the new round (deferred by R6), yet holds old rot-a until
    # Monday 2027-02-08; every engineer of the new B seat is new, and B starts on Wednesday 2027-02-03.
    roster = sandbox_cli.tmp / "roster.toml"
    entries = [
        (x, TZ, "2027-01-24", True),
        (w, TZ, "2020-01-01", False),
        (others[0], "Europe/London", "2020-01-01", True),
        (others[1], "Europe/Berlin", "2020-01-01", True),
    ]
    roster.write_text(
        "".join(
            f'[[engineers]]\nemail = "{e}"\nname = "{e}"\ntimezone = "{tz}"\n'
            f"start_date = {d}\nnew = {str(n).lower()}\n"
            for e, tz, d, n in entries
        ),
        encoding="utf-8",
    )
    plan = sandbox_cli.json("schedule", "new", "--roster", str(roster), "--no-randomize")
    assert [d["user"] for d in plan["deferred"]] == [x]
    starts = {r["group"]: datetime.fromisoformat(r["start"]) for r in plan["rotations"]}
    assert starts["B"] < starts["A"]
    assert any("[R7]" in w_ and x in w_ for w_ in plan["warnings"]), plan["warnings"]
