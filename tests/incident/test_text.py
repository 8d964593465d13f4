"""The pure part of the incident workflow: priorities, links, channel names, texts, parsing, drafts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from oncall_cli.errors import UsageError
from oncall_cli.services import incident_text as text
from oncall_cli.services.backends.opsgenie_incidents import opsgenie_web_url
from oncall_cli.services.ports import is_record

NY = ZoneInfo("America/New_York")
NOW = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)  # 10:00 in New York


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("P1", "P1"),
        ("p2", "P2"),
        ("3", "P3"),
        ("Critical", "P1"),
        ("high", "P2"),
        ("MODERATE", "P3"),
        ("Low", "P4"),
        ("informational", "P5"),
        (" P5 ", "P5"),
    ],
)
def test_priority_accepts_p_numbers_digits_and_the_playbook_names(given: str, expected: str) -> None:
    assert text.parse_priority(given) == expected


@pytest.mark.parametrize("given", ["P0", "P6", "urgent", "", "1.5"])
def test_a_bad_priority_is_a_usage_error_naming_the_flag(given: str) -> None:
    with pytest.raises(UsageError, match=r"^--priority: "):
        text.parse_priority(given)


def test_p4_and_p5_are_never_public_whatever_the_setting_says() -> None:
    assert text.is_public("P1", "P1,P2,P3")
    assert text.is_public("P3", "P1,P2,P3")
    assert not text.is_public("P3", "P1,P2")
    assert not text.is_public("P4", "P1,P2,P3,P4")
    assert not text.is_public("P5", "P5")


def test_impact_and_component_status_follow_the_priority() -> None:
    assert [text.IMPACT[p] for p in ("P1", "P2", "P3")] == ["critical", "major", "minor"]
    assert [text.COMPONENT_STATUS[p] for p in ("P1", "P2", "P3")] == [
        "major_outage",
        "partial_outage",
        "degraded_performance",
    ]


@pytest.mark.parametrize(
    ("api", "web"),
    [
        ("https://api.opsgenie.com", "https://app.opsgenie.com/incident/detail/abc"),
        ("https://api.eu.opsgenie.com/", "https://app.eu.opsgenie.com/incident/detail/abc"),
        ("https://api.sandbox.opsgenie.com", "https://app.sandbox.opsgenie.com/incident/detail/abc"),
        (
            "http://sandbox.oncall.invalid/opsgenie",
            "http://sandbox.oncall.invalid/opsgenie/incident/detail/abc",
        ),
    ],
)
def test_the_opsgenie_web_link_is_derived_from_the_api_url(api: str, web: str) -> None:
    assert opsgenie_web_url(api, "abc") == web


def test_channel_name_is_inc_number_and_a_slack_valid_slug() -> None:
    assert text.channel_name("42", "Checkout API returns 500s!") == "inc-42-checkout-api-returns-500s"
    assert text.channel_name("7", "Élan: Café DB — slow") == "inc-7-elan-cafe-db-slow"


def test_channel_name_never_exceeds_80_characters_even_with_a_suffix() -> None:
    name = text.channel_name("12345", "word " * 40)
    assert len(name) <= 80 and name.startswith("inc-12345-word-")
    candidates = text.channel_candidates(name, 12)
    assert candidates[0] == name and candidates[1].endswith("-2") and candidates[-1].endswith("-12")
    assert all(len(c) <= 80 for c in candidates)


def test_dry_run_channel_name_shows_the_number_placeholder() -> None:
    assert text.channel_name_pattern("DB down") == "inc-<number>-db-down"


def test_the_public_text_never_carries_the_internal_message() -> None:
    title = text.public_title("P1", ["API", "Website"])
    body = text.public_body("P1", ["API", "Website"])
    assert title == "Outage affecting API and Website"
    assert "outage affecting API and Website" in body
    assert text.public_title("P3", []) == "Degraded performance"
    assert (
        text.public_body("P2", ["Search"], "Search is slow; we are on it.") == "Search is slow; we are on it."
    )


def test_description_adds_the_thread_link() -> None:
    assert text.description("More", "https://x.slack.com/archives/C1/p1") == (
        "More\n\n#incidents thread: https://x.slack.com/archives/C1/p1"
    )
    assert text.description(None, None) is None


def test_opening_message_names_priority_links_and_roles() -> None:
    info = text.OpeningInfo(
        number="42",
        message="DB down",
        priority="P1",
        opsgenie_url="https://og/1",
        thread_url="https://t",
        statuspage_url=None,
        public=True,
        on_call=["<@U1>"],
        responders=["<@U2>"],
        not_in_slack=["x@example.com"],
    )
    message = text.opening_message(info)
    assert message.startswith(text.opening_marker("42"))
    for part in (
        "P1 (Critical)",
        "https://og/1",
        "https://t",
        "being opened",
        "unassigned",
        "<@U1>",
        "<@U2>",
        "x@example.com",
        "oncall incident assign 42",
    ):
        assert part in message


def test_the_close_reply_uses_the_playbook_wording_when_a_ticket_was_opened() -> None:
    reply = text.close_reply("42", "feature request", "https://jira/X-1")
    assert reply.startswith(
        "This falls outside the scope of immediate support, so I've opened a ticket for "
        "you. You can talk to the team PM about prioritization."
    )
    assert "https://jira/X-1" in reply and "feature request" in reply


def test_the_close_reply_without_a_ticket_asks_the_reporter_to_open_one() -> None:
    reply = text.close_reply("42", "feature request", None)
    assert reply.startswith(
        "This falls outside the scope of immediate support. Please open a ticket for it, and you can "
        "talk to the team PM about prioritization."
    )
    assert "opened a ticket" not in reply and "feature request" in reply


def test_the_close_reply_names_its_incident_and_no_other() -> None:
    reply = text.close_reply("12", "feature request", None)
    assert reply.endswith(text.close_marker("12"))
    assert text.close_marker("1") not in reply and text.close_marker("2") not in reply
    assert text.close_marker("1") not in text.close_reply("21", "x", None)


def test_the_close_note_is_recognised_as_not_an_incident() -> None:
    assert text.is_close_note(text.close_note("feature request", "https://jira/X-1"))
    assert not text.is_close_note("Resolved: fixed")
    assert not text.is_close_note(None)


# ---- component statuses across open incidents

SEVERITY_ORDER = ["operational", "degraded_performance", "partial_outage", "major_outage"]


def test_component_statuses_are_ordered_by_severity_and_maintenance_is_not_ranked() -> None:
    assert sorted(SEVERITY_ORDER, key=text.SEVERITY.__getitem__) == SEVERITY_ORDER
    assert text.worst_status(["degraded_performance", "major_outage", "partial_outage"]) == "major_outage"
    assert text.worst_status(["under_maintenance", "degraded_performance"]) == "degraded_performance"
    assert text.worst_status(["under_maintenance", None, ""]) is None
    assert text.worst_status([]) is None


def test_an_incident_wants_the_component_status_of_its_impact() -> None:
    for priority in ("P1", "P2", "P3"):
        assert text.wanted_by_impact(text.IMPACT[priority]) == text.COMPONENT_STATUS[priority]
    assert text.wanted_by_impact("none") == "operational"
    assert text.wanted_by_impact(None) is None


@pytest.mark.parametrize(
    ("current", "wanted", "expected"),
    [
        ("operational", "degraded_performance", "degraded_performance"),
        ("partial_outage", "degraded_performance", "partial_outage"),  # a P3 on a P2's component
        ("partial_outage", "major_outage", "major_outage"),
        ("major_outage", "major_outage", "major_outage"),
        ("under_maintenance", "partial_outage", "partial_outage"),
        (None, "partial_outage", "partial_outage"),
    ],
)
def test_a_new_incident_never_lowers_a_component(current: str | None, wanted: Any, expected: str) -> None:
    assert text.status_on_raise(current, wanted) == expected


@pytest.mark.parametrize(
    ("current", "others", "expected"),
    [
        ("major_outage", [], "operational"),
        ("major_outage", ["degraded_performance"], "degraded_performance"),  # down to what the other needs
        ("partial_outage", ["partial_outage", "degraded_performance"], "partial_outage"),
        ("degraded_performance", ["major_outage"], "degraded_performance"),  # a resolve makes nothing worse
        ("major_outage", [None], "operational"),  # another incident of unknown impact asks nothing
        ("under_maintenance", [], None),
        (None, [], "operational"),
    ],
)
def test_a_resolve_sets_operational_only_what_no_other_open_incident_lists(
    current: str | None, others: list[str | None], expected: str | None
) -> None:
    assert text.status_on_resolve(current, others) == expected


@pytest.mark.parametrize(
    ("current", "mine", "others", "expected"),
    [
        ("major_outage", "degraded_performance", [], "degraded_performance"),  # lowered: it was ours
        ("major_outage", "degraded_performance", ["partial_outage"], "partial_outage"),  # not below others
        ("degraded_performance", "major_outage", ["partial_outage"], "major_outage"),
        ("major_outage", "operational", [], "operational"),  # lowered to P4: not public
        ("under_maintenance", "major_outage", [], None),
    ],
)
def test_a_priority_change_gives_a_component_the_worst_status_its_open_incidents_want(
    current: str, mine: Any, others: list[str | None], expected: str | None
) -> None:
    assert text.status_on_priority(current, mine, others) == expected


# ---- hints


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        (
            "Check the network and the service's status page, then run the command again.",
            "Check the network and the service's status page, then run `oncall incident resume 1`.",
        ),
        (
            "The service is rate limiting us; wait a minute and run the command again.",
            "The service is rate limiting us; wait a minute, then run `oncall incident resume 1`.",
        ),
        (
            "The service refused the request; fix the field it names and try again.",
            "The service refused the request; fix the field it names, then run `oncall incident resume 1`.",
        ),
        (
            "Archive or rename old incident channels, then resume.",
            "Archive or rename old incident channels, then run `oncall incident resume 1`.",
        ),
        ("", "Fix the cause, then run `oncall incident resume 1`."),
        (None, "Fix the cause, then run `oncall incident resume 1`."),
    ],
)
def test_the_hint_of_a_partial_run_says_to_resume_never_to_run_the_command_again(
    cause: str | None, expected: str
) -> None:
    assert text.resume_hint(cause, "oncall incident resume 1") == expected


def test_checklist_requires_a_postmortem_within_two_days_only_for_critical() -> None:
    critical = text.follow_up_checklist("42", "P1", NOW)
    assert [i.id for i in critical] == ["postmortem", "review", "playbooks", "reclaim"]
    assert critical[0].required and critical[0].due == date(2025, 3, 7)
    moderate = text.follow_up_checklist("42", "P3", NOW)
    assert not moderate[0].required and moderate[0].due is None


def test_component_statuses_are_name_equals_status() -> None:
    assert text.parse_component_statuses(["API=partial-outage", "Search = operational"]) == {
        "API": "partial_outage",
        "Search": "operational",
    }
    with pytest.raises(UsageError, match=r"^--component: 'API' is not NAME=STATUS"):
        text.parse_component_statuses(["API"])
    with pytest.raises(UsageError, match=r"^--component: 'broken' is not a component status"):
        text.parse_component_statuses(["API=broken"])


def test_public_status_is_one_of_the_four() -> None:
    assert text.parse_public_status("Monitoring") == "monitoring"
    with pytest.raises(UsageError, match=r"^--status: "):
        text.parse_public_status("fixed")


def test_details_changes_keeps_only_set_and_different_values() -> None:
    assert text.details_changes({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": None, "d": "4"}) == {
        "b": "3",
        "d": "4",
    }


def test_postmortem_draft_has_every_section_and_a_timeline_table() -> None:
    start = datetime(2025, 3, 5, 14, 0, tzinfo=UTC)
    data = text.PostmortemInput(
        number="42",
        message="Checkout | API 500s",
        priority="P1",
        status="resolved",
        created_at=start,
        resolved_at=start + timedelta(hours=1, minutes=23),
        opsgenie_url="https://og/42",
        channel="#inc-42-checkout",
        statuspage_url="https://stspg.io/x",
        components=["API"],
        commander="ada@example.com",
        comms=None,
        responders=["grace@example.com"],
        timeline=[
            text.TimelineLine(start + timedelta(minutes=5), "Rolled | back"),
            text.TimelineLine(start, "Raised"),
        ],
        generated_at=start + timedelta(days=1),
    )
    markdown = text.postmortem_markdown(data)
    for heading in (
        "# Postmortem: Checkout | API 500s (incident #42)",
        "## Summary",
        "## Impact and duration",
        "## Timeline",
        "## Root cause",
        "## Follow-ups",
    ):
        assert heading in markdown
    assert "- Duration: 1 h 23 min" in markdown
    assert "| P1 (Critical) |" in markdown and "| ada@example.com |" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| 2025-03-05")]
    assert rows == [
        "| 2025-03-05 14:00 UTC | Raised |",
        "| 2025-03-05 14:00 UTC | Incident raised in Opsgenie (P1 (Critical)) |",
        "| 2025-03-05 14:05 UTC | Rolled \\| back |",
    ]


def test_duration_text_counts_days() -> None:
    start = datetime(2025, 3, 5, tzinfo=timezone.utc)  # noqa: UP017 - any aware zone works
    assert text.duration_text(start, start + timedelta(days=1, minutes=5)) == "1 d 0 h 5 min"
    assert "TODO" in text.duration_text(start, None)


# ---- records: what `oncall` writes of its own steps is not a response (the SLO report) -----------------


@pytest.mark.parametrize(
    "entry",
    [
        text.roles_entry("ada@example.com", "grace@example.com"),
        text.member_entry("responder", "ada@example.com", "database expert"),
        text.member_entry("stakeholder", "grace@example.com"),
        # The texts earlier versions wrote are records too (entries already on incidents).
        "Alert #7 linked: Checkout API 5xx rate above 2%",
        "Postmortem draft: /tmp/pm-42.md",
        "Postmortem published: https://wiki.example.com/pm/42",
        "Incident review on 2026-12-17; speakers: ada@example.com; postmortem: none recorded; summary: X",
        "Follow-up OPS-12: Add an alert on queue depth https://acme.atlassian.net/browse/OPS-12",
        "Responder ada@example.com added: knows the database",
    ],
)
def test_the_records_oncall_writes_are_recognised(entry: str) -> None:
    assert is_record(entry)


@pytest.mark.parametrize(
    "entry",
    [
        "Looking at the checkout pods",
        "Alert #7 looks like noise, ignoring it",
        text.update_entry("Workaround: retry the payment"),
        text.resolution_entry("Rolled back"),
        text.close_note("a feature request", None),
    ],
)
def test_peoples_notes_updates_and_resolutions_are_not_records(entry: str) -> None:
    assert not is_record(entry)
