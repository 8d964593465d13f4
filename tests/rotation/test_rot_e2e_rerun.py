"""`oncall rotation add-engineer` run again: the second run finds what the first did and changes nothing
(the Slack reminder is not scheduled twice; an existing user's start date is set once)."""

from __future__ import annotations

import pytest

from conftest import ALL_BACKENDS, FACTS_BACKENDS, PLACEHOLDER_BACKENDS

from .conftest import World, explain

pytestmark = pytest.mark.backends(*ALL_BACKENDS)


def emails(world: World, n: int, offset: int = 0) -> list[str]:
    return [e.email for e in world.veterans[offset : offset + n]]


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_add_engineer_remind_twice_schedules_exactly_one_reminder(world: World) -> None:
    world.build(emails(world, 4), emails(world, 4, 4))
    world.invite("late.hire@example.com")
    args = ("rotation", "add-engineer", "late.hire@example.com", "--start-date", "2027-01-15", "--apply")
    first = world.json(*args, "--remind")
    assert first["outcome"] == "deferred"
    assert first["reminder"]["scheduled"] is True and first["reminder"]["already_scheduled"] is False
    assert first["applied"][-1].startswith("schedule a Slack message")
    [scheduled] = world.scheduled()

    world.emulator.calls.clear()
    again = world.json(*args, "--remind")
    reminder = again["reminder"]
    assert reminder["scheduled"] is False and reminder["already_scheduled"] is True
    assert reminder["skipped"] == "already scheduled"
    assert reminder["post_at"] == first["reminder"]["post_at"] and reminder["text"] == scheduled["text"]
    assert again["applied"] == []
    assert world.scheduled() == [scheduled]
    assert world.writes() == 0
    listed = [c for c in world.emulator.calls if c.operation == "chat.scheduledMessages.list"]
    assert listed, "the re-run looked for the reminder it had scheduled"

    text = world(*args, "--remind")
    assert text.exit_code == 0, explain(text)
    assert "reminder: already scheduled" in text.stdout
    assert len(world.scheduled()) == 1


@pytest.mark.backends(*FACTS_BACKENDS)
def test_add_engineer_sets_an_existing_users_start_date_once(world: World) -> None:
    world.build(emails(world, 4), emails(world, 4, 4))
    hire = world.hires[0]
    before = world.directory().get(hire.email)
    assert before.start_date == hire.start_date
    new_start = "2026-12-01" if hire.start_date.isoformat() != "2026-12-01" else "2026-11-30"
    args = ("rotation", "add-engineer", hire.email, "--start-date", new_start)
    service = world.service
    step = f"set start_date {new_start} for {service} user {hire.email} (was {hire.start_date.isoformat()})"

    plan = world.json(*args)
    assert plan["dry_run"] is True and step in plan["actions"]
    assert plan["engineer"]["start_date"] == new_start
    shown = world(*args)
    assert shown.exit_code == 0, explain(shown)
    assert f"would: set start_date {new_start} for {service} user" in " ".join(shown.stdout.split())
    assert world.writes() == 0
    assert world.directory().get(hire.email).start_date == hire.start_date

    done = world.json(*args, "--apply")
    assert done["applied"][0] == step
    after = world.directory().get(hire.email)
    assert after.start_date.isoformat() == new_start
    # The other facts (the manager) survive: Opsgenie's PATCH replaces the whole details map, JSM's PUT
    # the whole property, so each sends them all.
    assert after.manager == before.manager and after.manager is not None
    write = {
        "opsgenie": "PATCH /v2/users/{identifier}",
        "jsm": "PUT /rest/api/3/user/properties/{propertyKey}",
    }
    assert len([c for c in world.emulator.calls if c.operation == write[world.backend_name]]) == 1

    world.emulator.calls.clear()
    again = world.json(*args, "--apply")
    assert again["applied"] == [] and not any("start_date" in a for a in again["actions"])
    assert world.writes() == 0
    assert world.directory().get(hire.email).start_date.isoformat() == new_start
