"""The one rule every reshaping command keeps: a plan that its own check rejects is never applied.

"Rejects" means a finding of a hard rule (`scheduling.check.HARD_RULES`: R1, R3, R6) that the schedule does
not have before the change (`check.introduced_violations`); what a change introduces under a best-effort
rule is applied and warned."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oncall_cli.errors import RulesViolatedError
from oncall_cli.scheduling.model import Violation, zone


def violation_json(v: Violation, tz: str) -> dict[str, Any]:
    z = zone(tz)
    return {
        "rule": v.rule,
        "message": v.message,
        "subjects": list(v.subjects),
        "start": v.start.astimezone(z).isoformat() if v.start else None,
        "end": v.end.astimezone(z).isoformat() if v.end else None,
    }


def refuse_rejected_plan(what: str, found: Sequence[Violation], tz: str, hint: str = "") -> None:
    """A plan whose own check finds what a hard rule forbids (a gap or a double booking [R1], the split
    [R3], the 60 days [R6]) is never applied: exit 9 (rules violated), nothing changed, every finding in
    `details.violations`."""
    if not found:
        return
    raise RulesViolatedError(
        f"{what} was not applied: its check finds {len(found)} problem(s) "
        f"({found[0]}); nothing was changed",
        hint=hint or "Run it without --apply to see the plan and the findings.",
        details={"violations": [violation_json(v, tz) for v in found]},
    )
