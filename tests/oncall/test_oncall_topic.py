"""The #incidents topic: only our `on call:` segment changes, the rest of the text stays, ≤ 250 characters."""

from __future__ import annotations

from oncall_cli.services.oncall import on_call_topic

U1, U2 = "<@U0AAAA1>", "<@U0BBBB2>"


def test_replaces_our_segment_in_place_keeping_the_rest() -> None:
    assert (
        on_call_topic("Incident channel | on call: Ada", [U1, U2]) == f"Incident channel | on call: {U1} {U2}"
    )
    assert on_call_topic("On call: x | deploys frozen", [U1]) == f"on call: {U1} | deploys frozen"


def test_appends_our_segment_when_missing() -> None:
    assert on_call_topic("Runbooks: https://wiki/x", [U1]) == f"Runbooks: https://wiki/x | on call: {U1}"
    assert on_call_topic("", [U1]) == f"on call: {U1}"
    assert on_call_topic("   ", []) == "on call: nobody"


def test_is_idempotent_and_drops_duplicate_segments() -> None:
    once = on_call_topic("a | on call: x | b | on call: y", [U1])
    assert once == f"a | on call: {U1} | b"
    assert on_call_topic(once, [U1]) == once


def test_other_text_is_shortened_never_the_mentions() -> None:
    topic = on_call_topic("x" * 300 + " | on call: old", [U1, U2])
    assert len(topic) <= 250
    assert topic.endswith(f" | on call: {U1} {U2}")
    assert topic.startswith("xxx") and "…" in topic


def test_handoff_text_for_slack_escapes_free_text_and_links_channels() -> None:
    from datetime import UTC, datetime

    from oncall_cli.services.reports import HandoffReport, ReportIncident, handoff_header, handoff_text

    at = datetime(2027, 2, 3, 15, 30, tzinfo=UTC)
    incident = ReportIncident(
        id="i1",
        number="7",
        message="5xx <on> checkout & cart",
        priority="P2",
        status="open",
        created=at,
        resolved=None,
        url="https://app.opsgenie.com/incident/detail/i1",
        commander="ada@example.com",
        comms=None,
        slack_channel_id="C0INC7",
        slack_channel="inc-7-checkout",
        statuspage_id=None,
        statuspage_status=None,
        statuspage_url=None,
    )
    report = HandoffReport(
        since=at,
        until=at,
        handoff_at=at,
        timezone="America/New_York",
        handovers=(),
        opened=(incident,),
        resolved=(),
        active=(incident,),
        follow_ups=(),
    )
    slack = handoff_text(report, "slack")
    assert slack.splitlines()[0] == f"*{handoff_header(report)}*"
    assert "<https://app.opsgenie.com/incident/detail/i1|#7> P2 5xx &lt;on&gt; checkout &amp; cart" in slack
    assert "<#C0INC7>" in slack
    markdown = handoff_text(report, "markdown")
    assert "[#7](https://app.opsgenie.com/incident/detail/i1) P2 5xx <on> checkout & cart" in markdown
    assert "#inc-7-checkout" in markdown and "**Still active (1)**" in markdown
