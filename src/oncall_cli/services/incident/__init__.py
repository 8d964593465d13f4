"""Incident use cases across the incident tracker, Slack and Statuspage: raise, resume, assign, responders,
stakeholders, notes, priority, public updates, resolve, close, list, show and the postmortem draft.

- `raising`: `raise` (a journaled workflow), `resume` of any journaled run, and the `journal` view.
- `resolving`: `resolve` (a journaled workflow).
- `updates`: assign, responder/stakeholder add, note, priority, status update and close.
- `views`: list, show and the postmortem draft.
- `models`: the output models (the `--json` contract) and the workflows' inputs.
- `common`: what they share (the tracker and clients, input checks, links, posting and timeline entries
  done once).
- `components`: the Statuspage component statuses when several open incidents list one component.

`raise` and `resolve` are journaled workflows (`services/journal.py`): every step is recorded before it
starts and after it ends; independent steps run concurrently (Statuspage never waits for Slack); a step
that fails after the clients' retries stops the run with `PartialError` (exit 10) and
`oncall incident resume` continues from there. The other commands that change something track what they
did and detect it on a re-run, so running them again after a failure finishes the job.

The tracker is the `IncidentTracker` port (`services/ports.py`), `Context.incidents`: Opsgenie or Jira
Service Management by the `backend` setting; nothing here speaks to its client. The links between the
services (Slack channel, #incidents thread, Statuspage incident, roles) are kept on the incident itself
(`TrackedIncident.links`: Opsgenie details, a Jira issue property), so every later command, on any machine,
finds them. The wording of every message lives in `services/incident_text.py`.

Crash simulation for tests: `Deps.extra["crash_after_step"]` (a step name or a collection of names) makes
the step runner raise `SimulatedCrash` right after journaling that step as done, as if the process died.
"""

from oncall_cli.services.incident.common import find_incident
from oncall_cli.services.incident.models import (
    ActionResult,
    DryRun,
    IncidentDetail,
    IncidentRow,
    JournalView,
    Postmortem,
    RaiseRequest,
    WorkflowResult,
)
from oncall_cli.services.incident.raising import journal_view, raise_incident, resume
from oncall_cli.services.incident.resolving import resolve_incident
from oncall_cli.services.incident.review import Review, review
from oncall_cli.services.incident.updates import (
    add_note,
    add_person,
    assign,
    change_priority,
    close_incident,
    post_update,
    status_update,
)
from oncall_cli.services.incident.views import list_incidents, postmortem, show

__all__ = [
    "ActionResult",
    "DryRun",
    "IncidentDetail",
    "IncidentRow",
    "JournalView",
    "Postmortem",
    "RaiseRequest",
    "Review",
    "WorkflowResult",
    "add_note",
    "add_person",
    "assign",
    "change_priority",
    "close_incident",
    "find_incident",
    "journal_view",
    "list_incidents",
    "post_update",
    "postmortem",
    "raise_incident",
    "resolve_incident",
    "resume",
    "review",
    "show",
    "status_update",
]
