"""Issue 13, item 2: alerts, through the CLI on the sandbox and on each backend (Opsgenie alerts, JSM
Operations alerts): list (--status, --mine), show, ack, close, incident link-alert, resolve --alert and
--close-alerts, the SLO counting a linked alert's acknowledgement, unknown ids, --dry-run, faults."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from conftest import ALERT_BACKENDS, SandboxCli
from oncall_cli.sandbox.faults import Fault

from .conftest import Sandbox, explain

pytestmark = pytest.mark.backends(*ALERT_BACKENDS)

ALERT_KEYS = {
    "id": str, "number": str, "message": str, "status": str, "acknowledged": bool,
    "acknowledged_at": (str, None), "priority": str, "created_at": str, "owner": (str, None),
    "responders": list, "tags": list, "incident": (str, None),
}
"""The `--json` shape of an alert, the same on every backend."""
CHECKOUT = {"number": "2", "message": "Checkout API 5xx rate above 2%", "priority": "P2", "status": "open",
            "acknowledged": False, "acknowledged_at": None, "tags": ["checkout"], "incident": None,
            "created_at": "2025-03-05T09:40:00-05:00"}
"""Seed alert #2 as both backends show it."""
WRITES = {"opsgenie": ("opsgenie", "POST /v2/alerts/{identifier}/"),
          "jsm": ("atlassian", "POST /jsm/ops/api/{cloudId}/v1/alerts/{id}/")}
"""The emulator's (service, operation prefix) of the alert writes, per backend: + acknowledge, close, tags."""


def _write(backend: str, action: str) -> tuple[str, str]:
    service, prefix = WRITES[backend]
    return service, prefix + action


def _shape(alert: dict[str, Any]) -> None:
    assert set(alert) >= set(ALERT_KEYS), set(ALERT_KEYS) - set(alert)
    for key, kinds in ALERT_KEYS.items():
        allowed = kinds if isinstance(kinds, tuple) else (kinds,)
        assert any(alert[key] is None if k is None else isinstance(alert[key], k) for k in allowed), key


def _show(sandbox: Sandbox, number: str) -> dict[str, Any]:
    shown: dict[str, Any] = sandbox.json("alert", "show", number)
    return shown


def _raise(sandbox: Sandbox, *extra: str) -> str:
    data = sandbox.json("incident", "raise", "Checkout is failing", "-p", "P2", "--no-statuspage", *extra)
    return str(data["incident"]["number"])


# ---- reading --------------------------------------------------------------------------------------------


def test_list_shows_the_seeded_open_alerts_newest_first_in_one_shape(sandbox: Sandbox) -> None:
    listed = sandbox.json("alert", "list")
    assert listed["status"] == "open" and listed["mine"] is None
    assert [a["number"] for a in listed["alerts"]] == ["2", "1", "3"]
    for alert in listed["alerts"]:
        _shape(alert)
    checkout = listed["alerts"][0]
    assert {k: checkout[k] for k in CHECKOUT} == CHECKOUT
    assert checkout["responders"] and "@" in checkout["responders"][0]
    acked = listed["alerts"][2]
    assert acked["acknowledged"] and acked["owner"]
    assert acked["acknowledged_at"] == "2025-03-05T07:05:00-05:00"
    human = sandbox("alert", "list")
    assert human.exit_code == 0 and "Checkout API 5xx rate above 2%" in human.stdout


def test_show_gives_one_alert_in_the_list_shape(sandbox: Sandbox) -> None:
    shown = _show(sandbox, "#2")
    _shape(shown)
    assert {k: shown[k] for k in CHECKOUT} == CHECKOUT
    assert _show(sandbox, shown["id"])["number"] == "2"


def test_mine_keeps_the_alerts_paging_me(sandbox: Sandbox) -> None:
    me = _show(sandbox, "1")["responders"][0]
    mine = sandbox.json("--set", f"me={me}", "alert", "list", "--mine")
    assert mine["mine"] == me and [a["number"] for a in mine["alerts"]] == ["1", "3"]
    nobody = sandbox.json("--set", "me=nobody@example.com", "alert", "list", "--mine")
    assert nobody["alerts"] == []


def test_mine_without_the_me_setting_names_it_and_the_flag_given(sandbox: Sandbox) -> None:
    result = sandbox("alert", "list", "--mine", "--json")
    assert result.exit_code == 3, explain(result)
    message = json.loads(result.stdout)["error"]["message"]
    assert "`me`" in message and message.startswith("--mine needs"), message  # it said "--me" before


def test_a_bad_status_names_the_flag(sandbox: Sandbox) -> None:
    result = sandbox("alert", "list", "--status", "acked", "--json")
    assert result.exit_code == 2 and json.loads(result.stdout)["error"]["message"].startswith("--status")


def test_an_unknown_alert_is_exit_5_naming_it_and_nothing_changes(sandbox: Sandbox) -> None:
    for args in (("alert", "show", "99"), ("alert", "ack", "1", "99"), ("alert", "close", "1", "99")):
        result = sandbox(*args, "--json")
        assert result.exit_code == 5, explain(result)
        assert "'99'" in json.loads(result.stdout)["error"]["message"]
    shown = _show(sandbox, "1")
    assert shown["status"] == "open" and not shown["acknowledged"]


# ---- ack and close --------------------------------------------------------------------------------------


def test_ack_twice_acknowledges_once_and_reports_the_second_as_already_done(sandbox: Sandbox) -> None:
    first = sandbox.json("alert", "ack", "1", "3")
    assert [(a["number"], a["outcome"]) for a in first["alerts"]] == [
        ("1", "acknowledged"), ("3", "already_acknowledged")
    ]
    assert first["done"] == ["1"] and first["skipped"] == ["3"] and first["dry_run"] is False
    _shape(first["alerts"][0])
    assert first["alerts"][0]["acknowledged"] and first["alerts"][0]["acknowledged_at"]
    again = sandbox.json("alert", "ack", "1")
    assert again["alerts"][0]["outcome"] == "already_acknowledged" and again["done"] == []
    assert again["alerts"][0]["acknowledged_at"] == first["alerts"][0]["acknowledged_at"]


def test_close_closes_once_and_the_list_moves_it_to_closed(sandbox: Sandbox) -> None:
    closed = sandbox.json("alert", "close", "2")
    assert closed["alerts"][0]["outcome"] == "closed" and closed["alerts"][0]["status"] == "closed"
    assert [a["number"] for a in sandbox.json("alert", "list")["alerts"]] == ["1", "3"]
    assert [a["number"] for a in sandbox.json("alert", "list", "--status", "closed")["alerts"]] == ["2"]
    assert len(sandbox.json("alert", "list", "--status", "all")["alerts"]) == 3
    assert sandbox.json("alert", "close", "2")["alerts"][0]["outcome"] == "already_closed"
    assert sandbox.json("alert", "ack", "2")["alerts"][0]["outcome"] == "already_closed"


def test_dry_run_ack_and_close_change_nothing(sandbox: Sandbox) -> None:
    ack = sandbox.json("alert", "ack", "1", "--dry-run")
    close = sandbox.json("alert", "close", "1", "--dry-run")
    assert ack["dry_run"] and ack["alerts"][0]["outcome"] == "would_acknowledge"
    assert close["alerts"][0]["outcome"] == "would_close"
    shown = _show(sandbox, "1")
    assert shown["status"] == "open" and not shown["acknowledged"]


def test_an_ack_that_fails_part_way_is_exit_10_and_a_rerun_finishes_without_repeating(
    sandbox: Sandbox,
) -> None:
    service, operation = _write(sandbox.backend, "acknowledge")
    sandbox.emulator.faults.add(Fault(service, operation, "status", status=400, calls=[2]))
    failed = sandbox("alert", "ack", "1", "2", "--json")
    assert failed.exit_code == 10, explain(failed)
    details = json.loads(failed.stdout)["error"]["details"]
    assert details["done"] == ["alerts.acknowledge:#1"] and details["not_done"] == ["alerts.acknowledge:#2"]
    again = sandbox.json("alert", "ack", "1", "2")
    assert [(a["number"], a["outcome"]) for a in again["alerts"]] == [
        ("1", "already_acknowledged"), ("2", "acknowledged")
    ]


@pytest.mark.parametrize(("command", "action", "outcome"), [
    ("ack", "acknowledge", "acknowledged"), ("close", "close", "closed"),
])
def test_a_write_whose_answer_is_lost_is_retried_without_harm(
    sandbox: Sandbox, command: str, action: str, outcome: str
) -> None:
    service, operation = _write(sandbox.backend, action)
    sandbox.emulator.faults.add(Fault(service, operation, "drop", calls=[1], sent=True))
    done = sandbox.json("alert", command, "2")
    assert done["alerts"][0]["outcome"] == outcome
    assert len([c for c in sandbox.emulator.calls if c.operation == operation]) == 2
    assert sandbox.json("alert", command, "2")["alerts"][0]["outcome"] == f"already_{outcome}"


def test_a_resolve_stopped_at_closing_a_named_alert_resumes_without_repeating(sandbox: Sandbox) -> None:
    number = _raise(sandbox)
    service, operation = _write(sandbox.backend, "close")
    sandbox.emulator.faults.add(Fault(service, operation, "status", status=503))
    stopped = sandbox("incident", "resolve", number, "--note", "Rolled back", "--alert", "3", "--alert", "2",
                      "--json")
    assert stopped.exit_code == 10, explain(stopped)
    assert [f["step"] for f in json.loads(stopped.stdout)["error"]["details"]["failed"]] == ["alerts.close"]
    sandbox.emulator.faults.clear()
    resumed = sandbox.json("incident", "resume", number)
    steps = {s["name"]: s for s in resumed["steps"]}
    assert resumed["status"] == "done" and steps["alerts.close"]["status"] == "done"
    assert {_show(sandbox, n)["status"] for n in ("2", "3")} == {"closed"}
    assert _show(sandbox, "1")["status"] == "open"


# ---- incidents ------------------------------------------------------------------------------------------


def test_link_alert_records_the_alerts_on_the_incident_and_the_incident_on_them_once(
    sandbox: Sandbox,
) -> None:
    number = _raise(sandbox)
    dry = sandbox.json("incident", "link-alert", number, "1", "2", "--dry-run")
    assert dry["dry_run"] and "tracker.record_links" in dry["done"]
    assert "alerts" not in sandbox.tracked()[0].links and _show(sandbox, "1")["incident"] is None

    linked = sandbox.json("incident", "link-alert", number, "1", "2")
    assert linked["done"] == [
        "tracker.record_links", "tracker.timeline_entry:#1", "tracker.timeline_entry:#2",
        "alerts.link_incident:#1", "alerts.link_incident:#2",
    ]
    assert [a["incident"] for a in linked["alerts"]] == [number, number]
    [incident] = sandbox.tracked()
    ids = [_show(sandbox, n)["id"] for n in ("1", "2")]
    assert incident.links["alerts"] == ",".join(ids)
    entries = sandbox.entries(incident)
    assert "Alert #1 linked: Search latency p99 above 2s" in entries
    assert _show(sandbox, "2")["incident"] == number

    again = sandbox.json("incident", "link-alert", number, "2", "1")
    assert again["done"] == [] and len(again["skipped"]) == 5
    assert sandbox.entries(sandbox.tracked()[0]) == entries


def test_link_alert_to_an_unknown_alert_is_exit_5_and_links_nothing(sandbox: Sandbox) -> None:
    number = _raise(sandbox)
    result = sandbox("incident", "link-alert", number, "1", "42", "--json")
    assert result.exit_code == 5 and "'42'" in json.loads(result.stdout)["error"]["message"]
    assert "alerts" not in sandbox.tracked()[0].links


def test_resolve_with_alert_closes_the_named_alerts_besides_the_incidents_own(sandbox: Sandbox) -> None:
    number = _raise(sandbox)
    dry = sandbox.json("incident", "resolve", number, "--note", "Rolled back", "--alert", "3", "--dry-run")
    assert any(c["action"] == "close alert" and c["target"] == "#3" for c in dry["changes"])
    assert _show(sandbox, "3")["status"] == "open"

    resolved = sandbox.json("incident", "resolve", number, "--note", "Rolled back", "--alert", "3")
    steps = {s["name"]: s for s in resolved["steps"]}
    assert steps["alerts.close"]["status"] == "done" and steps["alerts.close"]["result"]["closed"] == ["3"]
    assert _show(sandbox, "3")["status"] == "closed"
    assert _show(sandbox, "1")["status"] == "open"  # neither named nor linked


def test_resolve_with_an_unknown_alert_is_exit_5_before_anything_changes(sandbox: Sandbox) -> None:
    number = _raise(sandbox)
    result = sandbox("incident", "resolve", number, "--note", "Rolled back", "--alert", "77", "--json")
    assert result.exit_code == 5 and "'77'" in json.loads(result.stdout)["error"]["message"]
    assert sandbox.tracked()[0].status == "open"


def test_resolve_close_alerts_closes_the_linked_alerts(sandbox: Sandbox) -> None:
    # On JSM this closed nothing before: a Jira incident had no alerts `oncall` could know.
    number = _raise(sandbox)
    sandbox.json("incident", "link-alert", number, "1")
    sandbox.json("incident", "resolve", number, "--note", "Rolled back", "--close-alerts")
    assert _show(sandbox, "1")["status"] == "closed"
    assert _show(sandbox, "2")["status"] == "open"


def test_slo_report_counts_a_linked_alerts_acknowledgement_as_the_response(sandbox: Sandbox) -> None:
    # Reported at 09:20 New York; alert #2 acknowledged at 10:00 before the incident was tracked; the first
    # timeline entry (the link) half an hour later. The response is the acknowledgement: 40 minutes.
    sandbox.json("alert", "ack", "2")
    number = _raise(sandbox, "--reported-at", "09:20")
    sandbox.clock.advance(30 * 60)
    sandbox.json("incident", "link-alert", number, "2")
    report = sandbox.json("slo", "report", "--since", "2025-03-05", "--until", "2025-03-05")
    [row] = report["incidents"]
    assert datetime.fromisoformat(row["reported"]) == datetime(2025, 3, 5, 14, 20, tzinfo=UTC)
    assert 40.0 <= row["response_minutes"] < 40.5, row


def test_slo_report_ignores_an_alert_that_is_not_linked(sandbox: Sandbox) -> None:
    sandbox.json("alert", "ack", "2")
    number = _raise(sandbox, "--reported-at", "09:20")
    sandbox.clock.advance(30 * 60)
    sandbox.json("incident", "note", number, "Looking")
    report = sandbox.json("slo", "report", "--since", "2025-03-05", "--until", "2025-03-05")
    [row] = report["incidents"]
    assert row["response_minutes"] >= 70.0


def test_slo_report_counts_no_record_oncall_writes_itself_as_the_response(sandbox: Sandbox) -> None:
    # Before: the "Alert #2 linked" entry (alert #2 never acknowledged) was taken as the response.
    number = _raise(sandbox, "--reported-at", "09:20")
    sandbox.clock.advance(5 * 60)
    sandbox.json("incident", "link-alert", number, "2")
    sandbox.json("incident", "assign", number, "--commander", sandbox.on_call()[0])
    sandbox.json("incident", "stakeholder", "add", number, sandbox.on_call()[-1])
    report = sandbox.json("slo", "report", "--since", "2025-03-05", "--until", "2025-03-05")
    [row] = report["incidents"]
    assert row["acknowledged"] is None and row["response_minutes"] is None, row

    sandbox.clock.advance(15 * 60)
    sandbox.json("incident", "note", number, "Looking at the checkout pods")
    report = sandbox.json("slo", "report", "--since", "2025-03-05", "--until", "2025-03-05")
    [row] = report["incidents"]
    assert row["acknowledged"] is not None and row["response_minutes"] is not None, row
    assert datetime.fromisoformat(row["acknowledged"]) > datetime.fromisoformat(row["reported"])


def test_show_lists_the_linked_alerts_with_their_state(sandbox: Sandbox) -> None:
    number = _raise(sandbox)
    assert sandbox.json("incident", "show", number)["alerts"] == []
    sandbox.json("incident", "link-alert", number, "2", "3")
    shown = sandbox.json("incident", "show", number)
    assert [(a["number"], a["status"], a["acknowledged"]) for a in shown["alerts"]] == [
        ("2", "open", False), ("3", "open", True)
    ]
    for alert in shown["alerts"]:
        _shape(alert)
    assert shown["alerts"][0]["message"] == CHECKOUT["message"] and shown["warnings"] == []
    human = sandbox("incident", "show", number)
    assert human.exit_code == 0, explain(human)
    assert "#2 open, not acknowledged: Checkout API 5xx rate above 2%" in human.stdout
    assert "#3 open, acknowledged: Disk 85% full on db-02" in human.stdout


@pytest.mark.backends("pagerduty")
def test_show_on_pagerduty_leaves_out_the_linked_alerts_with_a_warning(sandbox_cli: SandboxCli) -> None:
    # An `alerts` link written by another tool (or a profile once on Opsgenie): PagerDuty has no alert port
    # to read them with, so `show` leaves them out with a warning and still exits 0.
    raised = sandbox_cli.json("incident", "raise", "Checkout is failing", "-p", "P2", "--no-statuspage")
    number = str(raised["incident"]["number"])
    tracker = sandbox_cli.context().incidents
    tracker.set_links(tracker.get(number), {"alerts": "a1b2c3"})
    shown = sandbox_cli.json("incident", "show", number)
    assert shown["alerts"] == [] and shown["details"]["alerts"]
    assert any("linked alerts not shown" in w and "pagerduty" in w for w in shown["warnings"]), shown
    human = sandbox_cli("incident", "show", number)
    assert human.exit_code == 0 and "Alert:" not in human.stdout, explain(human)


def test_a_link_that_fails_part_way_is_exit_10_and_a_rerun_writes_nothing_twice(sandbox: Sandbox) -> None:
    number = _raise(sandbox)
    service, operation = _write(sandbox.backend, "tags")
    sandbox.emulator.faults.add(Fault(service, operation, "status", status=400, calls=[2]))
    stopped = sandbox("incident", "link-alert", number, "1", "2", "--json")
    assert stopped.exit_code == 10, explain(stopped)
    assert json.loads(stopped.stdout)["error"]["details"]["not_done"] == ["alerts.link_incident:#2"]
    again = sandbox.json("incident", "link-alert", number, "1", "2")
    assert again["done"] == ["alerts.link_incident:#2"]
    entries = sandbox.entries(sandbox.tracked()[0])
    assert [e for e in entries if e.startswith("Alert #")] == [
        "Alert #1 linked: Search latency p99 above 2s", "Alert #2 linked: Checkout API 5xx rate above 2%"
    ]


@pytest.mark.backends("pagerduty")
def test_alert_commands_on_pagerduty_exit_3_naming_the_backend(sandbox_cli: SandboxCli) -> None:
    """PagerDuty has no alert list to acknowledge (its alerts belong to incidents): one line, exit 3."""
    for args in (("alert", "list"), ("alert", "ack", "1"), ("incident", "link-alert", "1", "1")):
        result = sandbox_cli(*args)
        assert result.exit_code == 3, explain(result)
        assert "backend = pagerduty" in result.stderr and "Traceback" not in result.stderr
