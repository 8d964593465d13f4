"""The statuses of an incident's Statuspage components, when other open incidents may list them too.

One component can be affected by several open incidents at once. A new incident never lowers a component
(`status_on_raise`, in `raising`); a priority change moves its components to what the worst open incident
listing them wants (`status_on_priority`); a resolve sets operational only the components no other open
incident lists, and the others to what those incidents want (`status_on_resolve`). What an open incident
wants is read from its impact (`wanted_by_impact`). The decisions are pure functions of
`services/incident_text.py`; this module reads the state they need.

The components of an incident are the ones its Statuspage incident lists plus the names recorded in the
incident's `statuspage_components` link (a Statuspage incident may have lost some from its list; the link
keeps what the raise named).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from oncall_cli.errors import NotFoundError
from oncall_cli.services import incident_text as text
from oncall_cli.services.context import Context
from oncall_cli.services.incident.common import _page_id, _sp, _split_list
from oncall_cli.services.incident_text import D_COMPONENTS, ComponentStatus, Priority

if TYPE_CHECKING:
    from oncall_cli.clients.statuspage_models import Component
    from oncall_cli.clients.statuspage_models import Incident as SpIncident

# (current status, what the other open incidents listing the component want) -> the status to set, or None
# to leave the component as it is.
Decide = Callable[[str | None, Iterable[str | None]], ComponentStatus | None]


@dataclass
class ComponentPlan:
    """What to do with an incident's components."""

    listed: list[str] = field(default_factory=list)
    """Every component id the incident affects: keep them all listed on the Statuspage incident."""
    names: dict[str, str] = field(default_factory=dict)
    """Component id -> name."""
    changes: dict[str, ComponentStatus] = field(default_factory=dict)
    """Component id -> the status to set (only the components whose status changes)."""
    warnings: list[str] = field(default_factory=list)

    def by_name(self) -> dict[str, ComponentStatus]:
        return {self.names[cid]: status for cid, status in self.changes.items()}


def resolve_plan(ctx: Context, sp_inc: SpIncident, details: Mapping[str, str]) -> ComponentPlan:
    """The component changes of resolving `sp_inc`: back to operational unless another open incident lists
    them."""
    return _plan(ctx, sp_inc, details, text.status_on_resolve)


def priority_plan(
    ctx: Context, sp_inc: SpIncident, details: Mapping[str, str], priority: Priority
) -> ComponentPlan:
    """The component changes of moving `sp_inc`'s incident to `priority` (P4/P5 want operational: they are
    not public)."""
    mine = text.COMPONENT_STATUS.get(priority, "operational")
    return _plan(ctx, sp_inc, details, lambda current, others: text.status_on_priority(current, mine, others))


def _plan(ctx: Context, sp_inc: SpIncident, details: Mapping[str, str], decide: Decide) -> ComponentPlan:
    plan = ComponentPlan()
    affected = _affected(ctx, sp_inc, details, plan.warnings)
    others = _others(ctx, sp_inc.id) if affected else []
    for cid, component in affected.items():
        plan.listed.append(cid)
        plan.names[cid] = component.name
        current = component.status or None
        listing = [o for o in others if any(c.id == cid for c in o.components)]
        target = decide(current, [text.wanted_by_impact(o.impact_override or o.impact) for o in listing])
        if target is None:
            plan.warnings.append(text.maintenance_warning(component.name))
            continue
        if target != current:
            plan.changes[cid] = target
        if listing and target != decide(current, []):
            labels = [_label(ctx, o) for o in listing]
            plan.warnings.append(text.still_affected_warning(component.name, target, labels))
    return plan


def _affected(
    ctx: Context, sp_inc: SpIncident, details: Mapping[str, str], warnings: list[str]
) -> dict[str, Component]:
    """The incident's components with their current status, by id: its Statuspage list, plus the names in
    the incident's link that the list lost."""
    found = {c.id: c for c in sp_inc.components}
    known = {c.name.casefold() for c in found.values()}
    missing = [n for n in _split_list(details.get(D_COMPONENTS)) if n.casefold() not in known]
    if missing:
        try:
            found.update({c.id: c for c in _sp(ctx).find_components(missing).values()})
        except NotFoundError as exc:
            warnings.append(f"not on the status page any more, left out: {exc.message}")
    return found


def unresolved(ctx: Context) -> list[SpIncident]:
    """Every unresolved Statuspage incident of the page (whoever opened them), read once per run."""
    sp = _sp(ctx)
    return ctx.once("statuspage.unresolved", lambda: list(sp.iter_unresolved_incidents()))


def _others(ctx: Context, sp_id: str) -> list[SpIncident]:
    """The other unresolved Statuspage incidents (whoever opened them)."""
    return [i for i in unresolved(ctx) if i.id != sp_id]


def _label(ctx: Context, sp_inc: SpIncident) -> str:
    return f"{sp_inc.name!r} ({text.statuspage_url(_page_id(ctx), sp_inc.id, sp_inc.shortlink)})"
