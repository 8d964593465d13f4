"""`oncall handoff` and `oncall slo report` end to end: the world is arranged through the vendors' APIs on a
moving clock (incidents, notes, timeline entries, a Slack channel, a Statuspage incident), then the report
is read back as JSON and the sandbox's state checked."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oncall_cli.clients.opsgenie import OpsgenieClient
from oncall_cli.clients.opsgenie_models import Incident, Priority, Recipient
from oncall_cli.clients.slack import SlackClient
from oncall_cli.clients.statuspage import StatuspageClient
from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.sandbox.faults import Fault

from .conftest import SEEDED, Cli, Clock

SCHEDULE = "Engineering_schedule"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def created(incident: Incident) -> datetime:
    assert incident.created_at is not None
    return incident.created_at


class World:
    """Arranges incidents at chosen instants through the Opsgenie API."""

    def __init__(self, og: OpsgenieClient, clock: Clock) -> None:
        self.og = og
        self.clock = clock
        self.service = og.find_service(name="Artsy")
        assert self.service is not None

    def incident(self, at: datetime, message: str, priority: Priority = "P3", **details: str) -> Incident:
        self.clock.set(at)
        assert self.service is not None
        return self.og.create_incident_and_wait(
            message=message, service_id=self.service.id, priority=priority, details=details or None
        )

    def note(self, incident: Incident, at: datetime, text: str = "looking") -> None:
        self.clock.set(at)
        self.og.wait_request(request_id=self.og.add_incident_note(identifier=incident.id, note=text))

    def entry(self, incident: Incident, at: datetime, text: str) -> None:
        self.clock.set(at)
        self.og.add_incident_timeline_entry(incident_id=incident.id, content=text, time=at)

    def resolve(self, incident: Incident, at: datetime, note: str = "fixed") -> None:
        """As `oncall incident resolve` does: a "Resolved: ..." timeline entry, then the resolve."""
        self.entry(incident, at, f"Resolved: {note}")
        self.og.wait_request(request_id=self.og.resolve_incident(identifier=incident.id, note=note))

    def tag(self, incident: Incident, at: datetime, tag: str) -> None:
        self.clock.set(at)
        self.og.wait_request(request_id=self.og.add_incident_tags(identifier=incident.id, tags=[tag]))


@pytest.fixture
def world(og: OpsgenieClient, clock: Clock) -> World:
    return World(og, clock)


# ---- handoff --------------------------------------------------------------------------------------------

NOW = utc(2027, 2, 3, 15, 30)  # Wednesday 10:30 EST, before the 11:00 rot-b handoff
SINCE = "2027-02-01T11:00:00-05:00"  # the last handoff: Monday 11:00 (rot-a)


@pytest.fixture
def shift(world: World, slack: SlackClient, statuspage: StatuspageClient, clock: Clock) -> dict[str, Any]:
    channel = slack.conversations_create(name="inc-1-checkout-errors")
    clock.set(utc(2027, 1, 30, 12))
    public = statuspage.create_incident(name="Checkout degraded", status="identified")
    made = {
        "A": world.incident(
            utc(2027, 1, 30, 12),
            "Checkout errors",
            "P2",
            slack_channel_id=channel.id,
            slack_channel=channel.name or "",
            statuspage_incident_id=public.id,
            commander="ada@example.com",
            comms="grace@example.com",
        ),
        "B": world.incident(utc(2027, 2, 1, 18), "Search down", "P1", commander="alan@example.com"),
        "C": world.incident(utc(2027, 2, 2, 20), "Slow admin pages", "P3"),
        "D": world.incident(utc(2027, 1, 20, 10), "Image uploads failing", "P2"),
        "E": world.incident(utc(2027, 1, 21, 10), "Database failover", "P1"),
        "F": world.incident(utc(2027, 1, 25, 10), "Flaky deploys", "P3"),
    }
    world.resolve(made["B"], utc(2027, 2, 2, 14), "rolled back")
    world.resolve(made["D"], utc(2027, 1, 20, 11))
    world.resolve(made["E"], utc(2027, 1, 21, 12))
    world.tag(made["E"], utc(2027, 1, 22, 12), "postmortem")
    world.resolve(made["F"], utc(2027, 1, 26, 10))
    world.tag(made["F"], utc(2027, 2, 2, 10), "flaky")  # touched in the shift, resolved before it
    clock.set(NOW)
    return {"channel": channel, "public": public, **{k: v.tiny_id for k, v in made.items()}}


def numbers(items: list[dict[str, Any]]) -> list[str]:
    return [i["number"] for i in items]


def test_handoff_report_sorts_the_shift(cli: Cli, shift: dict[str, Any]) -> None:
    doc = cli.json("handoff")
    assert doc["since"] == SINCE
    assert doc["until"] == "2027-02-03T10:30:00-05:00"
    assert doc["handoff_at"] == "2027-02-03T11:00:00-05:00"
    assert numbers(doc["opened"]) == [shift["B"], shift["C"]]
    assert numbers(doc["resolved"]) == [shift["B"]]
    assert doc["closed"] == []
    assert numbers(doc["active"]) == [shift["A"], shift["C"]]
    a = doc["active"][0]
    assert (a["priority"], a["status"], a["commander"], a["comms"]) == (
        "P2",
        "open",
        "ada@example.com",
        "grace@example.com",
    )
    assert a["slack_channel"] == {"id": shift["channel"].id, "name": "inc-1-checkout-errors"}
    assert a["statuspage"]["id"] == shift["public"].id and a["statuspage"]["status"] == "identified"
    b = doc["resolved"][0]
    assert b["resolved"] == "2027-02-02T14:00:00+00:00"
    assert b["commander"] == "alan@example.com" and b["slack_channel"] is None and b["statuspage"] is None
    follow = {f["number"]: f for f in doc["follow_ups"]}
    assert list(follow) == [shift["D"], shift["B"]]
    assert follow[shift["B"]] | {"url": None} == {
        "number": shift["B"],
        "id": b["id"],
        "message": "Search down",
        "priority": "P1",
        "kind": "postmortem",
        "required": True,
        "due": "2027-02-04T14:00:00+00:00",
        "overdue": False,
        "url": None,
    }
    assert (follow[shift["D"]]["required"], follow[shift["D"]]["due"]) == (False, None)
    handovers = {h["rotation"]: h for h in doc["handovers"]}
    assert handovers["rot-b"]["changes"] is True and handovers["rot-a"]["changes"] is False
    assert handovers["rot-b"]["outgoing"]["user"] != handovers["rot-b"]["incoming"]["user"]
    assert doc["post"] is None and doc["warnings"] == []


def test_handoff_since_and_markdown(cli: Cli, shift: dict[str, Any]) -> None:
    doc = cli.json("handoff", "--since", "2027-02-02 08:00")
    assert numbers(doc["opened"]) == [shift["C"]] and numbers(doc["resolved"]) == [shift["B"]]
    md = cli("handoff", "--markdown")
    assert md.exit_code == 0
    assert md.stdout.startswith("**Handoff report: shift since Mon 2027-02-01 11:00 EST")
    assert f"[#{shift['A']}](" in md.stdout and "**Open follow-ups (2)**" in md.stdout
    assert cli("handoff", "--markdown", "--json").exit_code == 2
    bad = cli("handoff", "--since", "last week")
    assert bad.exit_code == 2 and "--since" in bad.stderr


def test_handoff_post_is_safe_to_run_twice(
    cli: Cli, shift: dict[str, Any], emulator: Emulator, slack: SlackClient, clock: Clock
) -> None:
    def reports() -> list[str]:
        dev = next(c for c in slack.iter_conversations() if c.name == "dev")
        rows = emulator.query("SELECT text FROM slack_messages WHERE channel_id = ?", [dev.id])
        return [r["text"] for r in rows if r["text"].startswith("*Handoff report")]

    dry = cli.json("handoff", "--post", "#dev", "--dry-run")
    assert dry["post"] == {
        "channel": "dev",
        "channel_id": dry["post"]["channel_id"],
        "posted": False,
        "already_posted": False,
        "ts": None,
        "dry_run": True,
    }
    assert reports() == []
    first = cli.json("handoff", "--post", "#dev")
    assert first["post"]["posted"] is True
    (text,) = reports()
    assert f"<#{shift['channel'].id}>" in text and "Search down" in text
    clock.advance(minutes=5)
    second = cli.json("handoff", "--post", "dev")
    assert second["post"]["posted"] is False and second["post"]["already_posted"] is True
    assert second["post"]["ts"] == first["post"]["ts"]
    assert len(reports()) == 1


def test_handoff_without_statuspage_still_reports_with_a_warning(
    cli: Cli, shift: dict[str, Any], emulator: Emulator
) -> None:
    emulator.faults.add(Fault(service="statuspage", status=503))
    result = cli("handoff", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    page = doc["active"][0]["statuspage"]
    assert (page["id"], page["status"]) == (shift["public"].id, None)
    assert page["url"] == f"https://manage.statuspage.io/pages/sandboxpage001/incidents/{shift['public'].id}"
    assert any(w.startswith("Statuspage:") for w in doc["warnings"])
    assert "warning:" in result.stderr


def test_handoff_lists_a_report_closed_as_not_an_incident_apart_from_the_resolved_ones(
    cli: Cli, shift: dict[str, Any], world: World, clock: Clock
) -> None:
    report = world.incident(utc(2027, 2, 2, 16), "Please add CSV export", "P1")
    clock.set(utc(2027, 2, 2, 17))
    closed = cli.json("incident", "close", str(report.tiny_id), "--reason", "feature request")
    assert closed["incident"]["status"] == "closed"
    clock.set(NOW)

    doc = cli.json("handoff")
    assert numbers(doc["closed"]) == [report.tiny_id]
    assert doc["closed"][0]["status"] == "closed"
    assert numbers(doc["resolved"]) == [shift["B"]]
    assert numbers(doc["opened"]) == [shift["B"], report.tiny_id, shift["C"]]
    assert report.tiny_id not in numbers(doc["follow_ups"])  # not an incident: no postmortem
    md = cli("handoff", "--markdown")
    assert md.exit_code == 0
    assert "**Resolved (1)**" in md.stdout and "**Closed (not an incident) (1)**" in md.stdout
    human = cli("handoff")
    assert human.exit_code == 0 and "Closed (not an incident) (1)" in human.stdout


# ---- SLO ------------------------------------------------------------------------------------------------


@pytest.fixture
def berlin(og: OpsgenieClient) -> str:
    """An engineer in Europe/Berlin, put on call for both rotations from 18 to 25 January."""
    username = "berta.berlin@example.com"
    og.create_user(username=username, full_name="Berta Berlin", time_zone="Europe/Berlin")
    og.create_schedule_override(
        schedule=SCHEDULE,
        schedule_identifier_type="name",
        user=Recipient.user(username),
        start_date=utc(2027, 1, 18, 5),
        end_date=utc(2027, 1, 25, 5),
    )
    return username


def test_slo_report_judges_each_incident_in_the_on_call_engineers_zone(
    cli: Cli, world: World, clock: Clock, berlin: str
) -> None:
    minutes = timedelta(minutes=1)
    a = world.incident(utc(2027, 1, 19, 9), "A: Tue 10:00 Berlin, business")
    world.note(a, created(a) + 8 * minutes)
    b = world.incident(utc(2027, 1, 19, 17), "B: Tue 18:00 Berlin, waking")
    world.note(b, created(b) + 40 * minutes)
    c = world.incident(utc(2027, 1, 23, 22), "C: Sat 23:00 Berlin, none")
    world.note(c, created(c) + 120 * minutes)
    d = world.incident(utc(2027, 1, 20, 8, 30), "D: Wed 09:30 Berlin on a holiday, waking")
    world.entry(d, created(d) + 15 * minutes, "Investigating")
    e = world.incident(utc(2027, 1, 21, 11), "E: Thu 12:00 Berlin, never acknowledged")
    world.incident(utc(2027, 1, 10, 11), "outside the period")
    clock.set(SEEDED)
    cli.settings(holidays="2027-01-20,2027-12-24")

    doc = cli.json("slo", "report", "--since", "2027-01-18", "--until", "2027-01-24")
    assert (doc["since"], doc["until"], doc["holidays"]) == (
        "2027-01-18",
        "2027-01-24",
        ["2027-01-20", "2027-12-24"],
    )
    tiers = {t["tier"]: t for t in doc["tiers"]}
    assert tiers["business"] == {
        "tier": "business",
        "objective_minutes": 10.0,
        "incidents": 2,
        "met": 1,
        "missed": 1,
        "pending": 0,
        "attainment": 0.5,
    }
    assert tiers["waking"] | {} == {
        "tier": "waking",
        "objective_minutes": 30.0,
        "incidents": 2,
        "met": 1,
        "missed": 1,
        "pending": 0,
        "attainment": 0.5,
    }
    assert (tiers["none"]["incidents"], tiers["none"]["attainment"]) == (1, None)
    rows = {r["number"]: r for r in doc["incidents"]}
    assert [r["message"][0] for r in doc["incidents"]] == ["A", "B", "D", "E", "C"]
    assert rows[a.tiny_id]["response_minutes"] == 8.0 and rows[a.tiny_id]["outcome"] == "met"
    assert rows[d.tiny_id]["tier"] == "waking" and rows[d.tiny_id]["outcome"] == "met"
    assert rows[c.tiny_id]["outcome"] == "no_objective" and rows[c.tiny_id]["objective_minutes"] is None
    assert rows[e.tiny_id]["acknowledged"] is None and rows[e.tiny_id]["outcome"] == "missed"
    assert all(r["on_call"] == [berlin] and r["zones"] == ["Europe/Berlin"] for r in doc["incidents"])
    assert [m["number"] for m in doc["misses"]] == [b.tiny_id, e.tiny_id]


def test_slo_report_bad_dates(cli: Cli) -> None:
    bad = cli("slo", "report", "--since", "January")
    assert bad.exit_code == 2 and "--since: 'January' is not a date" in bad.stderr
    assert cli("slo", "report", "--since", "2027-02-01", "--until", "2027-01-01").exit_code == 2
    empty = cli.json("slo", "report")
    assert (empty["since"], empty["until"]) == ("2027-01-03", "2027-02-01")
    assert [t["incidents"] for t in empty["tiers"]] == [0, 0, 0] and empty["misses"] == []
