"""`incident postmortem` records the postmortem on the incident, and `incident review` records, posts and
invites to the incident review: through the CLI on the sandbox, on every backend."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import icalendar
import pytest

from conftest import INCIDENT_BACKENDS
from oncall_cli.sandbox.faults import Fault

from .conftest import Sandbox, explain

pytestmark = pytest.mark.backends(*INCIDENT_BACKENDS)

MESSAGE = "Checkout API returns 500s"


def _resolved_with_story(sandbox: Sandbox) -> str:
    """A P1 raised at 10:00 (New York), a note back-dated to 09:30, a responder with a note, resolved."""
    engineers = sandbox.on_call()
    expert = next(e.email for e in sandbox.context().directory.team() if e.email not in engineers)
    sandbox.json("incident", "raise", MESSAGE, "-p", "P1")
    sandbox.json("incident", "responder", "add", "1", expert, "--note", "database expert")
    sandbox.json("incident", "note", "1", "Error rate started climbing", "--at", "09:30")
    sandbox.clock.advance(600)
    sandbox.json("incident", "resolve", "1", "--note", "Rolled back the deploy")
    return expert


def _timeline_rows(markdown: str) -> list[str]:
    section = markdown.split("## Timeline", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| 2025-")]


def test_postmortem_draft_tells_the_story_in_time_order_with_the_start_the_resolution_once_and_context(
    sandbox: Sandbox,
) -> None:
    expert = _resolved_with_story(sandbox)
    draft = sandbox.json("incident", "postmortem", "1")["markdown"]
    rows = _timeline_rows(draft)
    times = [row.split("|")[1].strip() for row in rows]
    assert times == sorted(times), rows
    # The incident's start is a line of the story, in its place: after the back-dated 14:30 UTC note.
    assert rows[0].startswith("| 2025-03-05 14:30 UTC | Error rate started climbing")
    assert any("Incident raised" in row and "15:00 UTC" in row for row in rows), rows
    assert "- Started: 2025-03-05 15:00 UTC" in draft and "- Duration: 10 min" in draft
    assert draft.count("Rolled back the deploy") == 1
    [responder] = [row for row in rows if "database expert" in row]
    assert expert in responder


def test_postmortem_output_records_a_draft_once_and_handoff_stops_asking_for_it(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    _resolved_with_story(sandbox)
    sandbox.clock.advance(60)
    before = sandbox.json("handoff")
    assert [f["number"] for f in before["follow_ups"]] == [sandbox.number]
    path = tmp_path / "pm.md"
    first = sandbox.json("incident", "postmortem", "1", "--output", str(path))
    assert path.exists() and first["recorded"] == {"link": str(path.resolve()), "state": "Draft"}
    again = sandbox.json("incident", "postmortem", "1", "--output", str(path), "--force")
    assert again["done"] == []
    assert sorted(again["skipped"]) == ["tracker.record_links", "tracker.timeline_entry"]
    [incident] = sandbox.tracked()
    assert incident.links["postmortem"] == str(path.resolve())
    assert incident.links["postmortem_state"] == "Draft"
    assert len([e for e in sandbox.entries(incident) if e.startswith("Postmortem draft:")]) == 1
    after = sandbox.json("handoff")
    assert after["follow_ups"] == []


def test_postmortem_publish_records_where_it_lives(sandbox: Sandbox, tmp_path: Path) -> None:
    _resolved_with_story(sandbox)
    sandbox.json("incident", "postmortem", "1", "--output", str(tmp_path / "pm.md"))
    url = "https://wiki.example.com/postmortems/checkout"
    dry = sandbox.json("incident", "postmortem", "1", "--publish", url, "--dry-run")
    assert dry["dry_run"] is True and sandbox.tracked()[0].links["postmortem_state"] == "Draft"
    published = sandbox.json("incident", "postmortem", "1", "--publish", url)
    assert published["recorded"] == {"link": url, "state": "Published"}
    [incident] = sandbox.tracked()
    assert incident.links["postmortem"] == url and incident.links["postmortem_state"] == "Published"
    assert [e for e in sandbox.entries(incident) if e.startswith("Postmortem published:")] == [
        f"Postmortem published: {url}"
    ]
    bad = sandbox("incident", "postmortem", "1", "--publish", "wiki/page", "--json")
    assert bad.exit_code == 2, explain(bad)
    assert json.loads(bad.stdout)["error"]["message"].startswith("--publish")


PROPERTY = "PUT /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}"
WRITES = {
    "opsgenie": {
        "entry": ("opsgenie", "POST /v2/incident-timelines/{incidentId}/entries"),
        "links": ("opsgenie", "POST /v1/incidents/{identifier}/details"),
    },
    "jsm": {
        "entry": ("jira", "POST /rest/servicedeskapi/request/{issueIdOrKey}/comment"),
        "links": ("jira", PROPERTY),
    },
    # Entries and links are both incident notes on PagerDuty (the links in a structured one).
    "pagerduty": {
        "entry": ("pagerduty", "POST /incidents/{id}/notes"),
        "links": ("pagerduty", "POST /incidents/{id}/notes"),
    },
}


def _fault(kind: str, service: str, operation: str) -> Fault:
    if kind == "5xx":
        return Fault(service, operation, "status", status=503)
    return Fault(service, operation, "drop", sent=True)  # applied, then the answer is lost


@pytest.mark.parametrize("kind", ["5xx", "drop"])
@pytest.mark.parametrize("write", ["entry", "links"])
def test_postmortem_record_that_fails_is_finished_by_running_it_again_without_a_duplicate(
    sandbox: Sandbox, tmp_path: Path, write: str, kind: str
) -> None:
    _resolved_with_story(sandbox)
    path = tmp_path / "pm.md"
    sandbox.emulator.faults.add(_fault(kind, *WRITES[sandbox.backend][write]))
    failed = sandbox("incident", "postmortem", "1", "--output", str(path), "--json")
    assert failed.exit_code != 0, explain(failed)
    sandbox.emulator.faults.clear()
    sandbox.clock.advance(60)
    sandbox.json("incident", "postmortem", "1", "--output", str(path), "--force")
    [incident] = sandbox.tracked()
    assert incident.links["postmortem"] == str(path.resolve())
    assert len([e for e in sandbox.entries(incident) if e.startswith("Postmortem draft:")]) == 1


# ---- incident review ---------------------------------------------------------------------------------

SPEAKERS = ("ada.ritchie@example.com", "grace.mendes@example.com")


def _review(sandbox: Sandbox, *extra: str, code: int = 0, settings: tuple[str, ...] = ()) -> Any:
    args = [*settings, "incident", "review", "1", "--on", "2026-12-17"]
    for speaker in SPEAKERS:
        args += ["--speaker", speaker]
    return sandbox.json(*args, *extra, code=code)


def _posts(sandbox: Sandbox, channel: str) -> list[str]:
    [row] = sandbox.channels(prefix=channel)
    return [m["text"] for m in sandbox.messages(row["id"]) if "Incident review: #" in m["text"]]


def test_review_is_recorded_posted_and_invited_once_when_run_twice(sandbox: Sandbox, tmp_path: Path) -> None:
    _resolved_with_story(sandbox)
    url = "https://wiki.example.com/postmortems/checkout"
    sandbox.json("incident", "postmortem", "1", "--publish", url)
    invite = tmp_path / "review.ics"
    first = _review(sandbox, "--ics", str(invite))
    assert first["done"] == ["tracker.timeline_entry", "slack.post_review", "tracker.record_links"]
    assert first["on"] == "2026-12-17" and first["speakers"] == list(SPEAKERS) and first["postmortem"] == url
    assert first["channel"] == "#dev"  # slack.review_channel is empty: the announce channel
    again = _review(sandbox, "--ics", str(invite))
    assert again["done"] == [] and len(again["skipped"]) == 3
    [incident] = sandbox.tracked()
    assert incident.links["review"] == "2026-12-17"
    assert incident.links["review_speakers"] == ",".join(SPEAKERS)
    assert incident.links["review_summary"] == "Checkout API returns 500s (P1 (Critical))"
    [entry] = [e for e in sandbox.entries(incident) if e.startswith("Incident review on 2026-12-17")]
    assert url in entry and all(s in entry for s in SPEAKERS)
    [post] = _posts(sandbox, "dev")
    assert url in post and "2026-12-17" in post

    calendar = icalendar.Calendar.from_ical(invite.read_bytes())
    [event] = list(calendar.walk("VEVENT"))
    assert event.decoded("dtstart") == date(2026, 12, 17)
    assert sorted(str(a) for a in event.get("attendee")) == [f"mailto:{s}" for s in SPEAKERS]
    assert "#1" in str(event.get("summary")) or sandbox.number in str(event.get("summary"))


def test_review_goes_to_the_review_channel_at_a_time_and_dry_run_changes_nothing(sandbox: Sandbox) -> None:
    _resolved_with_story(sandbox)
    dry = _review(sandbox, "--dry-run")
    assert dry["dry_run"] is True and "review" not in sandbox.tracked()[0].links
    assert _posts(sandbox, "incidents") == [] and _posts(sandbox, "dev") == []
    done = _review(sandbox, "--at", "15:00", settings=("--set", "slack.review_channel=incidents"))
    assert done["on"] == "2026-12-17T15:00-05:00" and done["channel"] == "#incidents"
    assert "no postmortem is recorded" in " ".join(done["warnings"])
    assert len(_posts(sandbox, "incidents")) == 1 and _posts(sandbox, "dev") == []
    bad = sandbox("incident", "review", "1", "--on", "17/12/2026", "--speaker", SPEAKERS[0], "--json")
    assert bad.exit_code == 2, explain(bad)
    assert json.loads(bad.stdout)["error"]["message"].startswith("--on")


def test_review_with_an_unknown_speaker_exits_5_naming_the_flag_and_writes_nothing(sandbox: Sandbox) -> None:
    _resolved_with_story(sandbox)
    result = sandbox(
        "incident", "review", "1", "--on", "2027-02-10", "--speaker", SPEAKERS[0],
        "--speaker", "ghost@example.com", "--json",
    )
    assert result.exit_code == 5, explain(result)
    message = json.loads(result.stdout)["error"]["message"]
    assert "--speaker" in message and "ghost@example.com" in message
    assert "review" not in sandbox.tracked()[0].links
    assert _posts(sandbox, "dev") == []


@pytest.mark.parametrize("kind", ["5xx", "drop"])
@pytest.mark.parametrize("write", ["entry", "links", "post"])
def test_review_that_fails_is_finished_by_running_it_again_without_a_duplicate(
    sandbox: Sandbox, write: str, kind: str
) -> None:
    _resolved_with_story(sandbox)
    where = ("slack", "chat.postMessage") if write == "post" else WRITES[sandbox.backend][write]
    sandbox.emulator.faults.add(_fault(kind, *where))
    failed = sandbox("incident", "review", "1", "--on", "2026-12-17", "--speaker", SPEAKERS[0], "--json")
    assert failed.exit_code != 0, explain(failed)
    sandbox.emulator.faults.clear()
    sandbox.clock.advance(60)
    sandbox.json("incident", "review", "1", "--on", "2026-12-17", "--speaker", SPEAKERS[0])
    [incident] = sandbox.tracked()
    assert incident.links["review"] == "2026-12-17"
    assert len([e for e in sandbox.entries(incident) if e.startswith("Incident review on")]) == 1
    assert len(_posts(sandbox, "dev")) == 1
