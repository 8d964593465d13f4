"""Statuspage component statuses end to end: every component an incident affects stays listed and is restored
on resolve, and one component shared by several open incidents shows the worst status they need (a new
incident never lowers it, a resolve leaves what the others still need, a priority change moves it but not
below another open incident)."""

from __future__ import annotations

import json
from typing import Any

from oncall_cli.clients.statuspage import StatuspageClient
from oncall_cli.sandbox.emulator import SANDBOX_URLS
from oncall_cli.sandbox.statuspage import PAGE_ID

from .conftest import Sandbox


def _component_ids(sandbox: Sandbox) -> dict[str, str]:
    rows = sandbox.emulator.query("SELECT id, name FROM statuspage_components")
    return {r["name"]: r["id"] for r in rows}


def _listed(sandbox: Sandbox, sp_id: str) -> set[str]:
    """The names of the components a Statuspage incident lists as affected."""
    [row] = [i for i in sandbox.sp_incidents() if i["id"] == sp_id]
    by_id = {v: k for k, v in _component_ids(sandbox).items()}
    return {by_id[c] for c in json.loads(row["component_ids"])}


def _raise(sandbox: Sandbox, message: str, priority: str, *components: str) -> Any:
    flags = [arg for c in components for arg in ("--component", c)]
    return sandbox.json("incident", "raise", message, "-p", priority, *flags)


# ---- every affected component stays listed and is restored ------------------------------------------------


def test_a_status_update_naming_one_component_keeps_the_others_listed_and_resolve_restores_them_all(
    sandbox: Sandbox,
) -> None:
    raised = _raise(sandbox, "Checkout API returns 500s", "P1", "API", "Website")
    sp_id = raised["statuspage"]["incident_id"]
    assert sandbox.incident("1")["extraProperties"]["statuspage_components"] == "API,Website"
    assert sandbox.components()["API"] == sandbox.components()["Website"] == "major_outage"

    update = sandbox.json(
        "status",
        "update",
        "1",
        "--status",
        "monitoring",
        "--message",
        "A fix is deployed; we are watching.",
        "--component",
        "API=degraded_performance",
    )
    assert _listed(sandbox, sp_id) == {"API", "Website"}
    assert sandbox.components()["API"] == "degraded_performance"
    assert sandbox.components()["Website"] == "major_outage"
    assert update["statuspage"]["components"] == {"API": "degraded_performance", "Website": "major_outage"}

    sandbox.json("incident", "resolve", "1", "--note", "Rolled back")
    assert sandbox.components()["API"] == sandbox.components()["Website"] == "operational"
    assert _listed(sandbox, sp_id) == {"API", "Website"}
    shown = sandbox.json("incident", "show", "1")
    assert shown["statuspage"]["components"] == {"API": "operational", "Website": "operational"}
    markdown = sandbox.json("incident", "postmortem", "1")["markdown"]
    assert "- Public components affected: API, Website" in markdown


def test_resolve_restores_a_component_the_statuspage_incident_no_longer_lists_from_the_opsgenie_detail(
    sandbox: Sandbox,
) -> None:
    raised = _raise(sandbox, "Checkout API returns 500s", "P1", "API", "Website")
    sp_id = raised["statuspage"]["incident_id"]
    # As an update before the fix left it: the Statuspage incident lists API only.
    with sandbox.emulator.client() as http:
        StatuspageClient(
            http, api_key="k", page_id=PAGE_ID, base_url=SANDBOX_URLS["statuspage"]
        ).update_incident(incident_id=sp_id, component_ids=[_component_ids(sandbox)["API"]])
    assert _listed(sandbox, sp_id) == {"API"}

    sandbox.json("incident", "resolve", "1", "--note", "Rolled back")
    assert sandbox.components()["API"] == sandbox.components()["Website"] == "operational"
    assert _listed(sandbox, sp_id) == {"API", "Website"}


def test_a_resolved_status_update_restores_every_affected_component(sandbox: Sandbox) -> None:
    raised = _raise(sandbox, "Checkout API returns 500s", "P1", "API", "Website")
    sandbox.json(
        "status",
        "update",
        "1",
        "--status",
        "identified",
        "--message",
        "Found it.",
        "--component",
        "API=partial_outage",
    )
    sandbox.json("status", "update", "1", "--status", "resolved", "--message", "All good now.")
    assert sandbox.components()["API"] == sandbox.components()["Website"] == "operational"
    assert _listed(sandbox, raised["statuspage"]["incident_id"]) == {"API", "Website"}


# ---- one component, several open incidents ---------------------------------------------------------------


def test_raising_a_lower_priority_on_a_component_never_lowers_its_status(sandbox: Sandbox) -> None:
    _raise(sandbox, "Search is down for some users", "P2", "Search")
    assert sandbox.components()["Search"] == "partial_outage"
    p3 = _raise(sandbox, "Search results are stale", "P3", "Search")
    assert sandbox.components()["Search"] == "partial_outage"
    assert p3["statuspage"]["components"] == {"Search": "partial_outage"}
    assert any(w.startswith("Search stays partial_outage") for w in p3["warnings"])
    assert _listed(sandbox, p3["statuspage"]["incident_id"]) == {"Search"}


def test_resolving_an_incident_lowers_a_shared_component_only_to_what_the_other_open_incident_needs(
    sandbox: Sandbox,
) -> None:
    _raise(sandbox, "Search is down for some users", "P2", "Search")
    _raise(sandbox, "Search results are stale", "P3", "Search")
    resolved = sandbox.json("incident", "resolve", "1", "--note", "Reindexed")
    assert sandbox.components()["Search"] == "degraded_performance"
    assert resolved["statuspage"]["components"] == {"Search": "degraded_performance"}
    [warning] = [w for w in resolved["warnings"] if w.startswith("Search stays")]
    assert "'Degraded performance of Search'" in warning

    sandbox.json("incident", "resolve", "2", "--note", "Caches flushed")
    assert sandbox.components()["Search"] == "operational"


def test_resolving_the_lower_incident_keeps_the_status_the_other_open_incident_needs(
    sandbox: Sandbox,
) -> None:
    _raise(sandbox, "Search is down for some users", "P2", "Search")
    _raise(sandbox, "Search results are stale", "P3", "Search")
    resolved = sandbox.json("incident", "resolve", "2", "--note", "Caches flushed")
    assert sandbox.components()["Search"] == "partial_outage"
    assert [sp["status"] for sp in sandbox.sp_incidents()] == ["investigating", "resolved"]
    assert any(
        w.startswith("Search stays partial_outage") and "'Disruption affecting Search'" in w
        for w in resolved["warnings"]
    )


def test_a_component_under_maintenance_is_left_as_it_is_on_resolve(sandbox: Sandbox) -> None:
    _raise(sandbox, "Search is down for some users", "P2", "Search")
    sandbox.json(
        "status",
        "update",
        "1",
        "--status",
        "identified",
        "--message",
        "Taking Search down to rebuild the index.",
        "--component",
        "Search=under_maintenance",
    )
    resolved = sandbox.json("incident", "resolve", "1", "--note", "Reindexed")
    assert sandbox.components()["Search"] == "under_maintenance"
    assert any(w.startswith("Search is under maintenance") for w in resolved["warnings"])


def test_priority_change_moves_the_components_to_the_new_priority_but_not_below_another_open_incident(
    sandbox: Sandbox,
) -> None:
    _raise(sandbox, "Checkout API returns 500s", "P1", "API")
    lowered = sandbox.json("incident", "priority", "1", "P3")
    assert "statuspage.components" in lowered["done"]
    assert sandbox.components()["API"] == "degraded_performance"
    assert lowered["statuspage"]["components"] == {"API": "degraded_performance"}
    assert len(sandbox.sp_updates(lowered["statuspage"]["incident_id"])) == 1  # no public update posted

    _raise(sandbox, "API latency is high", "P2", "API")
    assert sandbox.components()["API"] == "partial_outage"
    sandbox.json("incident", "priority", "1", "P1")
    assert sandbox.components()["API"] == "major_outage"
    again = sandbox.json("incident", "priority", "1", "P3")
    assert sandbox.components()["API"] == "partial_outage"  # incident #2 (P2) still needs it
    assert any(
        w.startswith("API stays partial_outage") and "'Disruption affecting API'" in w
        for w in again["warnings"]
    )
    same = sandbox.json("incident", "priority", "1", "P3")
    assert same["done"] == [] and sandbox.components()["API"] == "partial_outage"


def test_priority_dry_run_shows_the_component_moves_and_makes_none(sandbox: Sandbox) -> None:
    _raise(sandbox, "Checkout API returns 500s", "P1", "API")
    data = sandbox.json("incident", "priority", "1", "P2", "--dry-run")
    moves = [c for c in data["changes"] if c["action"] == "update components"]
    assert [m["data"] for m in moves] == [{"components": {"API": "partial_outage"}}]
    assert sandbox.components()["API"] == "major_outage"
