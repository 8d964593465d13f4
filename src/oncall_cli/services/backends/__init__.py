"""The adapters, one module per on-call service, picked from the `backend` setting.

`Context.schedule_store()` and `Context.directory` call these once per run. Each adapter module is
imported only when its backend is chosen, so start-up loads none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oncall_cli.services.context import Context
    from oncall_cli.services.ports import Directory, ScheduleStore


def open_schedule(context: Context, name: str) -> ScheduleStore:
    """The schedule `name` on the profile's backend."""
    tz = context.settings.text("timezone")
    if context.settings.backend == "jsm":
        from oncall_cli.services.backends.jsm import JsmDirectory, JsmSchedule

        people = context.directory
        assert isinstance(people, JsmDirectory)
        return JsmSchedule(context.jsm_ops, people, schedule=name, fallback_tz=tz)
    from oncall_cli.services.backends.opsgenie import OpsgenieSchedule

    return OpsgenieSchedule(context.opsgenie, schedule=name, fallback_tz=tz)


def open_directory(context: Context) -> Directory:
    """The people of the profile's backend and its team."""
    settings = context.settings
    tz = settings.text("timezone")
    if settings.backend == "jsm":
        from oncall_cli.services.backends.jsm import JsmDirectory

        return JsmDirectory(
            context.jira, context.jsm_ops, team=settings.team_name, org_id=settings.text("jsm.org_id"),
            fallback_tz=tz,
        )
    from oncall_cli.services.backends.opsgenie import OpsgenieDirectory

    return OpsgenieDirectory(context.opsgenie, team=settings.team_name, fallback_tz=tz)
