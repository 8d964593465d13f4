"""Issue 12: the playbook's rules hold in every case, end to end on the sandbox (both backends).

Each test reproduces one defect of issue 12 through the real CLI (see conftest.py for the hand-built
schedule: rot-a from Monday 2027-01-04, rot-b from Wednesday 2027-01-06, now Wednesday 2027-02-03 12:00 EST).
"""

from __future__ import annotations

import json

import pytest

from conftest import ALL_BACKENDS
from oncall_cli.scheduling.model import Override, Rotation

from .conftest import World, explain, ny

pytestmark = pytest.mark.backends(*ALL_BACKENDS)


def emails(world: World, n: int, offset: int = 0) -> list[str]:
    return [e.email for e in world.veterans[offset : offset + n]]


def test_R1_check_finds_one_engineer_holding_both_seats_through_an_override(world: World) -> None:
    """Defect 8: an override putting rot-a's engineer on rot-b at the same time is one person in two seats."""
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, b)
    # rot-a's shift of Mon Feb 8 belongs to a[1]; put a[1] on rot-b for Wed Feb 10 as well.
    world.backend().create_override(Override(a[1], ny(2027, 2, 10, 11), ny(2027, 2, 11, 11), ("rot-b",)))
    result = world("schedule", "check", "--json")
    assert result.exit_code == 9, explain(result)
    found = [v for v in json.loads(result.stdout)["violations"] if v["rule"] == "R1"]
    assert len(found) == 1 and found[0]["subjects"] == [a[1]], found
    assert "both" in found[0]["message"] or "two seats" in found[0]["message"]


def test_notify_reports_per_person_who_was_sent_a_dm_and_why_not(world: World) -> None:
    """Defect 9: the only engineer who moves has no Slack account: nothing is sent, and the output says so."""
    a, b = emails(world, 4), emails(world, 4, 4)
    world.build(a, b)
    with world.emulator.locked() as db:
        db.execute("DELETE FROM slack_users WHERE email = ? COLLATE NOCASE", (a[0],))
    world.invite("east.hire@example.com")
    data = world.json(
        "rotation", "add-engineer", "east.hire@example.com", "--start-date", "2026-12-01",
        "--timezone", "America/New_York", "--apply", "--notify",
    )
    assert [m["user"] for m in data["moves"]] == [a[0]]
    assert data["notified"] == [] and data["not_in_slack"] == [a[0]]
    assert data["notifications"] == [{"user": a[0], "sent": False, "why_not": "not in Slack"}]
    assert not [x for x in data["applied"] if x.startswith("DM ")], data["applied"]
    assert any("0 of 1" in x for x in data["applied"] + data["warnings"]), data
    text = world(
        "rotation", "add-engineer", "east.hire@example.com", "--start-date", "2026-12-01",
        "--timezone", "America/New_York",
    )
    assert text.exit_code == 0, explain(text)


def test_remove_engineer_covers_every_planned_shift_and_asks_the_manager_in_slack(world: World) -> None:
    """Defect 10: the leaver's shift in the next round (May 24, beyond 12 weeks) is covered too, and the
    manager gets a DM listing the shifts; an unknown email exits 5."""
    a, b = emails(world, 4), emails(world, 4, 4)
    following = [*a, *emails(world, 9, 8)]  # 13 engineers: the last one's first shift is May 24
    leaver, boss = following[-1], b[0]
    world.build(a, b)
    store = world.backend()
    store.update_rotation("rot-a", end=ny(2027, 3, 1, 11))
    store.create_rotation(Rotation("rot-a-next", ny(2027, 3, 1, 11), tuple(following)))
    data = world.json("rotation", "remove-engineer", leaver, "--manager", boss, "--apply")
    assert [o["start"][:10] for o in data["overrides"]] == ["2027-05-24"], data["overrides"]
    (dm,) = world.dms(boss)
    assert "2027-05-24" in dm or "May 24" in dm, dm
    assert data["notifications"] == [{"user": boss, "sent": True, "why_not": None}]
    unknown = world("rotation", "remove-engineer", "nobody@example.com", "--manager", boss, "--json")
    assert unknown.exit_code == 5, explain(unknown)
    assert "no such engineer" in json.loads(unknown.stdout)["error"]["message"]
