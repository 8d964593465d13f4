"""The adapters, one module per on-call service, picked from the `backend` setting.

`Context.schedule_store()`, `Context.directory`, `Context.incidents` and `Context.alerts` call these once
per run. Each
adapter module is imported only when its backend is chosen, so start-up loads none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oncall_cli.errors import ConfigError

if TYPE_CHECKING:
    from oncall_cli.services.context import Context
    from oncall_cli.services.ports import Alerts, Directory, IncidentTracker, ScheduleStore, Tickets


def open_schedule(context: Context, name: str) -> ScheduleStore:
    """The schedule `name` on the profile's backend."""
    tz = context.settings.text("timezone")
    if context.settings.backend == "pagerduty":
        from oncall_cli.services.backends.pagerduty import PagerDutyDirectory, PagerDutySchedule
        from oncall_cli.services.rounds import round_settings

        directory = context.directory
        assert isinstance(directory, PagerDutyDirectory)
        return PagerDutySchedule(
            context.pagerduty,
            directory,
            schedule=name,
            rounds=round_settings(context.settings),
            now=context.now,
        )
    if context.settings.backend == "jsm":
        from oncall_cli.services.backends.jsm import JsmDirectory, JsmSchedule

        people = context.directory
        assert isinstance(people, JsmDirectory)
        return JsmSchedule(context.jsm_ops, people, schedule=name, fallback_tz=tz, now=context.now)
    from oncall_cli.services.backends.opsgenie import OpsgenieSchedule

    return OpsgenieSchedule(context.opsgenie, schedule=name, fallback_tz=tz)


def open_directory(context: Context) -> Directory:
    """The people of the profile's backend and its team."""
    settings = context.settings
    tz = settings.text("timezone")
    if settings.backend == "pagerduty":
        from oncall_cli.services.backends.pagerduty import PagerDutyDirectory

        return PagerDutyDirectory(context.pagerduty, team=settings.team_name, fallback_tz=tz)
    if settings.backend == "jsm":
        from oncall_cli.services.backends.jsm import JsmDirectory

        return JsmDirectory(
            context.jira, context.jsm_ops, team=settings.team_name, org_id=settings.text("jsm.org_id"),
            fallback_tz=tz,
        )
    from oncall_cli.services.backends.opsgenie import OpsgenieDirectory

    return OpsgenieDirectory(context.opsgenie, team=settings.team_name, fallback_tz=tz)


def open_incidents(context: Context) -> IncidentTracker:
    """The incident tracker of the profile's backend."""
    if context.settings.backend == "jsm":
        return _jsm_incidents(context)
    if context.settings.backend == "pagerduty":
        return _pagerduty_incidents(context)
    from oncall_cli.services.backends.opsgenie_incidents import OpsgenieIncidents

    settings = context.settings
    return OpsgenieIncidents(
        context.opsgenie,
        api_url=settings.opsgenie_url,
        default_service=settings.text("opsgenie.service"),
        now=context.now,
    )


def _jsm_incidents(context: Context) -> IncidentTracker:
    """Incidents as Jira work items of the service desk's incident request type."""
    from oncall_cli.services.backends.jsm import JsmDirectory
    from oncall_cli.services.backends.jsm_incidents import JsmIncidents

    settings = context.settings
    people = context.directory
    assert isinstance(people, JsmDirectory)
    return JsmIncidents(
        context.jira_issues,
        context.jsm_incidents,
        people,
        site=context.jira_url,
        service_desk=settings.text("jsm.service_desk"),
        incident_type=settings.text("jsm.incident_type"),
        priorities=settings.text("jsm.priorities"),
        timezone=settings.text("timezone"),
        alerts=lambda: context.alerts,
    )


def open_alerts(context: Context) -> Alerts:
    """The alerts of the profile's backend (Opsgenie alerts, JSM Operations alerts)."""
    if context.settings.backend == "pagerduty":
        raise ConfigError(
            "backend = pagerduty: `oncall alert` and `incident link-alert` work on Opsgenie and JSM "
            "Operations; PagerDuty's alerts belong to its incidents (acknowledge the incident instead)",
            hint="Use `oncall incident assign ID --commander ...` to acknowledge a PagerDuty incident.",
            details={"setting": "backend"},
        )
    if context.settings.backend == "jsm":
        from oncall_cli.services.backends.jsm import JsmDirectory
        from oncall_cli.services.backends.jsm_alerts import JsmAlerts

        people = context.directory
        assert isinstance(people, JsmDirectory)
        return JsmAlerts(context.jsm_ops, people)
    from oncall_cli.services.backends.opsgenie_alerts import OpsgenieAlerts

    return OpsgenieAlerts(context.opsgenie)


def _pagerduty_incidents(context: Context) -> IncidentTracker:
    """Incidents on the team's PagerDuty service, written as the `pagerduty.from` user."""
    from oncall_cli.services.backends.pagerduty_incidents import PagerDutyIncidents

    settings = context.settings
    return PagerDutyIncidents(
        context.pagerduty_incidents,
        default_service=settings.text("pagerduty.service"),
        from_email=settings.pagerduty_from,
        timezone=settings.text("timezone"),
        now=context.now,
    )


def open_tickets(context: Context) -> Tickets:
    """Follow-up tickets in Jira (the site of `jira.url`, the JSM credential), whatever the backend."""
    from oncall_cli.services.backends.jira_tickets import JiraTickets

    return JiraTickets(context.jira_issues, site=context.jira_url)
