"""The pure core of the roles at a hand-off: who leaves, which roles they hold, who takes each over."""

from __future__ import annotations

from oncall_cli.services.reports import HandoffPerson, Handover, ReportIncident, role_handovers


def person(name: str) -> HandoffPerson:
    return HandoffPerson(f"{name}@example.com", name.title(), "America/New_York")


def incident(commander: str | None, comms: str | None = None, number: str = "7") -> ReportIncident:
    return ReportIncident(
        id=f"id-{number}", number=number, message="Checkout errors", priority="P2", status="open",
        created=None, resolved=None, url="u", commander=commander and f"{commander}@example.com",
        comms=comms and f"{comms}@example.com", slack_channel_id=None, slack_channel=None,
        statuspage_id=None, statuspage_status=None, statuspage_url=None,
    )


SEATS = (
    Handover("rot-a", person("linus"), person("linus")),
    Handover("rot-b", person("alan"), person("hedy")),
)


def test_the_departing_commander_passes_the_role_to_the_incoming_engineer_of_the_same_seat() -> None:
    [r], warnings = role_handovers([incident("alan", "linus")], SEATS)
    assert warnings == []
    assert [p.to_dict() for p in r.passes] == [
        {"role": "commander", "from": "alan@example.com", "to": "hedy@example.com", "rotation": "rot-b"}
    ]
    assert r.command == "oncall incident assign 7 --commander hedy@example.com --comms linus@example.com"


def test_a_departing_comms_lead_passes_on_and_the_commander_is_kept() -> None:
    [r], _ = role_handovers([incident("linus", "alan")], SEATS)
    assert [(p.role, p.successor) for p in r.passes] == [("comms", "hedy@example.com")]
    assert r.argv[3:] == ["--commander", "linus@example.com", "--comms", "hedy@example.com"]


def test_someone_still_on_call_in_another_seat_keeps_their_roles() -> None:
    seats = (
        Handover("rot-a", person("alan"), person("hedy")),
        Handover("rot-b", person("bob"), person("alan")),
    )
    assert role_handovers([incident("alan")], seats) == ((), [])


def test_roles_of_engineers_who_stay_or_of_nobody_are_not_proposed() -> None:
    assert role_handovers([incident("linus"), incident(None, number="8")], SEATS) == ((), [])


def test_a_seat_nobody_comes_on_in_is_a_warning_not_a_proposal() -> None:
    seats = (Handover("rot-b", person("alan"), None),)
    roles, warnings = role_handovers([incident("alan")], seats)
    assert roles == () and len(warnings) == 1 and "nobody comes on in rot-b" in warnings[0]


def test_comms_without_a_commander_asks_for_a_commander() -> None:
    roles, warnings = role_handovers([incident(None, "alan")], SEATS)
    assert roles == () and "has no commander" in warnings[0]
