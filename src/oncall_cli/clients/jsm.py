"""Typed client of the JSM Operations REST API (Opsgenie's successor): schedules, rotations, overrides,
timelines, on-calls and teams, one method per vendor operation over the shared HTTP seam.

Built from `specs/jsm-ops/jsm-ops-excerpt.openapi.yaml` (operation ids are named in each docstring) and the
facts in `specs/jsm-ops/SOURCE.md` and `specs/README.md`. Every path is
`{base_url}/jsm/ops/api/{cloudId}/v1/...` on the Atlassian API gateway (`https://api.atlassian.com`); auth is
HTTP Basic `email:api_token`. Lists page with `offset` + `size` (≤ 50) and answer `{values, links.next}`,
where `links.next` is a relative URL without host (`/v1/schedules?offset=50&size=25`). Errors are
`{"errors": [{"title", "code"}]}`, or `{"code", "message"}` on 401. Ids only: users are Atlassian account
ids (find them with `JiraClient.search_users`), the no-one slot is `{"type": "noone"}`.

Vendor reference: https://developer.atlassian.com/cloud/jira/service-desk-ops/rest/v2/intro/
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from pydantic import BaseModel

from oncall_cli.clients._atlassian import (
    atlassian_service,
    error_text,
    json_of,
    parse,
    parse_list,
    require_cloud_id,
)
from oncall_cli.clients._http import Runtime, poll_until
from oncall_cli.clients.jsm_models import (
    Alert,
    AlertRequestStatus,
    IntervalUnit,
    Override,
    OverrideResponderInfo,
    PlatformTeam,
    ResponderInfo,
    Rotation,
    RotationType,
    Schedule,
    ScheduleTimeline,
    TimelineExpand,
    TimeRestriction,
)
from oncall_cli.errors import RejectedError, UnavailableError, UnexpectedError, UsageError

M = TypeVar("M", bound=BaseModel)

DEFAULT_BASE_URL = "https://api.atlassian.com"
DOCS = "https://developer.atlassian.com/cloud/jira/service-desk-ops/rest/v2/intro/"
MAX_SIZE = 50
"""The page size ceiling of schedules, rotations and overrides (`size` ≤ 50)."""
SERVICE = "JSM"



def jsm_error_text(response: httpx.Response) -> str:
    """`{"errors": [{"title", "code"}]}` as `title (code); ...`, or the 401 `{"code", "message"}` message."""
    return error_text(response, message_first=True)


def _segment(value: str, what: str) -> str:
    """One path segment; ids are opaque, so everything but unreserved characters is escaped."""
    if not value:
        raise UsageError(f"A JSM {what} cannot be empty.")
    return quote(value, safe="")


def _iso(value: datetime, field: str) -> str:
    """ISO-8601 with the datetime's own UTC offset (`Z` for UTC). JSM, like Opsgenie, has no time-zone field
    on rotations or overrides: the offset decides the wall-clock time, so it is kept as given."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise UsageError(
            f"{field} {value.isoformat()} has no time zone; give an aware datetime "
            "(the UTC offset decides the wall-clock time in JSM)."
        )
    text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    return text[:-6] + "Z" if value.utcoffset() == timedelta(0) and text.endswith("+00:00") else text


def _ordered(start: datetime, end: datetime | None) -> None:
    if end is not None and end <= start:
        raise UsageError(f"endDate {end.isoformat()} must be after startDate {start.isoformat()}.")


def _next_params(link: str, current: Mapping[str, Any]) -> dict[str, Any] | None:
    """The query of the next page from `links.next`, merged over the current one; None when it adds nothing.

    Only the link's query is used, never its host or path: the link is relative (`/v1/...`, without the
    `/jsm/ops/api/{cloudId}` prefix), and our credentials must not follow a link to another host.
    """
    query = parse_qs(urlsplit(link).query, keep_blank_values=True)
    if not query:
        return None
    merged: dict[str, Any] = dict(current)
    for key, values in query.items():
        merged[key] = values[0] if len(values) == 1 else values
    if {k: str(v) for k, v in merged.items()} == {k: str(v) for k, v in current.items()}:
        return None  # a link back to the same page would loop forever
    return merged


class JsmOpsClient:
    """The JSM Operations REST API of one Atlassian site (`cloud_id`), over an injected `httpx.Client`."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        email: str,
        api_token: str,
        base_url: str = DEFAULT_BASE_URL,
        cloud_id: str,
        runtime: Runtime | None = None,
    ) -> None:
        self._cloud_id = cloud_id
        self.base_url = base_url.rstrip("/")
        """The gateway the client was given (for messages naming the setting)."""
        self.http = atlassian_service(
            http,
            name=SERVICE,
            email=email,
            api_token=api_token,
            base_url=base_url.rstrip("/") + "/jsm/ops/api",
            runtime=runtime,
            error_text=jsm_error_text,
        )

    # --- plumbing ------------------------------------------------------------------------------------

    @property
    def cloud_id(self) -> str:
        """The site's cloud id; every operation needs it."""
        return require_cloud_id(self._cloud_id, "JSM")

    def _path(self, *segments: str) -> str:
        return "/".join([quote(self.cloud_id, safe=""), "v1", *segments])

    def _schedule_path(self, schedule_id: str, *segments: str) -> str:
        return self._path("schedules", _segment(schedule_id, "schedule id"), *segments)

    @staticmethod
    def _body(response: httpx.Response) -> dict[str, Any]:
        """The JSON object every JSM answer is; anything else is an UnexpectedError."""
        body = json_of(response, SERVICE)
        if not isinstance(body, dict):
            raise UnexpectedError(f"JSM {response.request.url.path} answered an unexpected JSON shape")
        return body

    def _iter_values(
        self, model: type[M], path: str, what: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[M]:
        """Every page of a `{values, links.next}` list, following `links.next` until it is absent."""
        current: dict[str, Any] = {"offset": 0, "size": MAX_SIZE, **(params or {})}
        current = {k: v for k, v in current.items() if v is not None}
        while True:
            body = self._body(self.http.request("GET", path, params=current))
            values = parse_list(model, body.get("values"), what, SERVICE)
            yield from values
            links = body.get("links") or {}
            link = links.get("next") if isinstance(links, dict) else None
            if not link or not values:
                return
            following = _next_params(str(link), current)
            if following is None:
                return
            current = following

    # --- schedules -----------------------------------------------------------------------------------

    def list_schedules(self, *, query: str | None = None) -> list[Schedule]:
        """GET /v1/schedules — every schedule the credential can see, page by page (`listSchedules`).

        `query` filters by name: exact (case-insensitive) unless it ends with `*`, then a prefix match.
        """
        params = {"query": query} if query else None
        return list(self._iter_values(Schedule, self._path("schedules"), "schedules", params))

    def get_schedule(self, *, schedule_id: str) -> Schedule:
        """GET /v1/schedules/{id} — one schedule with its rotations (`getSchedule`)."""
        response = self.http.request("GET", self._schedule_path(schedule_id))
        return parse(Schedule, self._body(response), "schedule", SERVICE)

    # --- rotations -----------------------------------------------------------------------------------

    def list_rotations(self, *, schedule_id: str) -> list[Rotation]:
        """GET /v1/schedules/{scheduleId}/rotations — every rotation, page by page (`listRotations`)."""
        path = self._schedule_path(schedule_id, "rotations")
        return list(self._iter_values(Rotation, path, "rotations"))

    def create_rotation(
        self,
        *,
        schedule_id: str,
        name: str,
        type: RotationType,
        start_date: datetime,
        end_date: datetime | None = None,
        length: int = 1,
        participants: Sequence[ResponderInfo],
        time_restriction: TimeRestriction | None = None,
    ) -> Rotation:
        """POST /v1/schedules/{scheduleId}/rotations — add a rotation; participants rotate in order
        (`createRotation`, 201 with the rotation).

        `start_date`/`end_date` must be aware; their UTC offset is kept (there is no time-zone field).
        Participants: `ResponderInfo.user(account_id)` or `ResponderInfo.no_one()` for a gap.
        """
        if not participants:
            raise UsageError(
                "A rotation needs at least one participant (use ResponderInfo.no_one() for a gap)."
            )
        if length < 1:
            raise UsageError(f"A rotation's length must be at least 1, not {length}.")
        _ordered(start_date, end_date)
        body: dict[str, Any] = {
            "name": name,
            "type": type,
            "length": length,
            "startDate": _iso(start_date, "startDate"),
            "participants": [p.to_wire() for p in participants],
        }
        if end_date is not None:
            body["endDate"] = _iso(end_date, "endDate")
        if time_restriction is not None:
            body["timeRestriction"] = time_restriction.to_wire()
        response = self.http.request("POST", self._schedule_path(schedule_id, "rotations"), json=body)
        return parse(Rotation, self._body(response), "created rotation", SERVICE)

    def update_rotation(
        self,
        *,
        schedule_id: str,
        rotation_id: str,
        name: str | None = None,
        type: RotationType | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        length: int | None = None,
        participants: Sequence[ResponderInfo] | None = None,
        time_restriction: TimeRestriction | None = None,
    ) -> Rotation:
        """PATCH /v1/schedules/{scheduleId}/rotations/{id} — change only the given fields (`updateRotation`).

        Beware (as in Opsgenie): new participants re-compute every shift from the rotation's `startDate`.
        """
        if start_date is not None:
            _ordered(start_date, end_date)
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if type is not None:
            body["type"] = type
        if length is not None:
            if length < 1:
                raise UsageError(f"A rotation's length must be at least 1, not {length}.")
            body["length"] = length
        if start_date is not None:
            body["startDate"] = _iso(start_date, "startDate")
        if end_date is not None:
            body["endDate"] = _iso(end_date, "endDate")
        if participants is not None:
            if not participants:
                raise UsageError("A rotation needs at least one participant (use ResponderInfo.no_one()).")
            body["participants"] = [p.to_wire() for p in participants]
        if time_restriction is not None:
            body["timeRestriction"] = time_restriction.to_wire()
        if not body:
            raise UsageError("update_rotation needs at least one field to change.")
        path = self._schedule_path(schedule_id, "rotations", _segment(rotation_id, "rotation id"))
        # A PATCH that sets absolute values can be repeated safely.
        response = self.http.request("PATCH", path, json=body, idempotent=True)
        return parse(Rotation, self._body(response), "updated rotation", SERVICE)

    def delete_rotation(self, *, schedule_id: str, rotation_id: str) -> None:
        """DELETE /v1/schedules/{scheduleId}/rotations/{id} — 204 (`deleteRotation`)."""
        path = self._schedule_path(schedule_id, "rotations", _segment(rotation_id, "rotation id"))
        self.http.request("DELETE", path)

    # --- overrides -----------------------------------------------------------------------------------

    def list_overrides(self, *, schedule_id: str) -> list[Override]:
        """GET /v1/schedules/{scheduleId}/overrides — ongoing and future overrides, page by page
        (`listOverrides`)."""
        path = self._schedule_path(schedule_id, "overrides")
        return list(self._iter_values(Override, path, "overrides"))

    def create_override(
        self,
        *,
        schedule_id: str,
        responder: OverrideResponderInfo,
        start_date: datetime,
        end_date: datetime,
        rotation_ids: Sequence[str] | None = None,
    ) -> Override:
        """POST /v1/schedules/{scheduleId}/overrides — someone (or no one) takes a shift (`createOverride`,
        201 with the override and its generated `alias`).

        `rotation_ids=None` leaves `rotationIds` out, which applies the override to every rotation.
        """
        _ordered(start_date, end_date)
        if rotation_ids is not None and not rotation_ids:
            raise UsageError("rotation_ids is empty; pass None to override every rotation.")
        body: dict[str, Any] = {
            "responder": responder.to_wire(),
            "startDate": _iso(start_date, "startDate"),
            "endDate": _iso(end_date, "endDate"),
        }
        if rotation_ids is not None:
            body["rotationIds"] = list(rotation_ids)
        response = self.http.request("POST", self._schedule_path(schedule_id, "overrides"), json=body)
        return parse(Override, self._body(response), "created override", SERVICE)

    def delete_override(self, *, schedule_id: str, alias: str) -> None:
        """DELETE /v1/schedules/{scheduleId}/overrides/{alias} — 204 (`deleteOverride`)."""
        self.http.request("DELETE", self._schedule_path(schedule_id, "overrides", _segment(alias, "alias")))

    # --- timeline and on-calls -----------------------------------------------------------------------

    def get_timeline(
        self,
        *,
        schedule_id: str,
        interval: int,
        interval_unit: IntervalUnit,
        date: datetime,
        expand: Sequence[TimelineExpand] | None = None,
    ) -> ScheduleTimeline:
        """GET /v1/schedules/{scheduleId}/timeline — effective shifts in `finalTimeline.rotations[].periods[]`
        (`getTimeline`); `expand` adds the `base` / `override` / `forwarding` layers.

        The range starts at the beginning of the `interval_unit` containing `date` and lasts `interval`
        units; it can reach at most one year back and two years ahead. `date` is sent with its offset (the
        `+` percent-encoded).
        """
        if interval < 1:
            raise UsageError(f"interval must be at least 1, not {interval}.")
        params: dict[str, Any] = {
            "interval": interval,
            "intervalUnit": interval_unit,
            "date": _iso(date, "date"),
        }
        if expand:
            params["expand"] = list(expand)
        response = self.http.request("GET", self._schedule_path(schedule_id, "timeline"), params=params)
        return parse(ScheduleTimeline, self._body(response), "schedule timeline", SERVICE)

    def get_on_calls(self, *, schedule_id: str, date: datetime | None = None) -> list[str]:
        """GET /v1/schedules/{scheduleId}/on-calls?flat=true — the account ids on call at `date` (default:
        now), from `onCallUsers` (`getOnCalls`)."""
        params: dict[str, Any] = {"flat": "true"}
        if date is not None:
            params["date"] = _iso(date, "date")
        response = self.http.request("GET", self._schedule_path(schedule_id, "on-calls"), params=params)
        users = self._body(response).get("onCallUsers") or []
        if not isinstance(users, list):
            raise UnexpectedError("JSM returned an unexpected on-calls answer: onCallUsers is not a list")
        return [str(u) for u in users]

    # --- teams ---------------------------------------------------------------------------------------

    def list_teams(self) -> list[PlatformTeam]:
        """GET /v1/teams — the Operations-enabled teams the credential can see, from `platformTeams`
        (`getTeams`; no paging upstream). Admins see every team, others only their own."""
        response = self.http.request("GET", self._path("teams"))
        return parse_list(PlatformTeam, self._body(response).get("platformTeams"), "teams", SERVICE)

    # --- alerts --------------------------------------------------------------------------------------

    def _alert_path(self, alert_id: str, *segments: str) -> str:
        return self._path("alerts", _segment(alert_id, "alert id"), *segments)

    def list_alerts(
        self,
        *,
        query: str | None = None,
        sort: Literal["createdAt", "insertedAt", "lastOccurredAt", "priority"] | None = None,
        order: Literal["asc", "desc"] | None = None,
    ) -> list[Alert]:
        """GET /v1/alerts?query=&sort=&order= — every alert matching `query` (the alert search syntax),
        page by page (`listAlerts`; offset + size, `links.next`; at most 20,000 can be read).
        """
        params = {"query": query, "sort": sort, "order": order}
        return list(self._iter_values(Alert, self._path("alerts"), "alerts", params))

    def get_alert(self, *, alert_id: str) -> Alert:
        """GET /v1/alerts/{id} — one alert by its id (`getAlertWithId`; there is no tiny id look-up: search
        `tinyId:<n>` with `list_alerts`)."""
        response = self.http.request("GET", self._alert_path(alert_id))
        return parse(Alert, self._body(response), "alert", SERVICE)

    def _alert_request(self, response: httpx.Response) -> str:
        request_id = self._body(response).get("requestId")
        if not request_id:
            path = response.request.url.path
            raise UnexpectedError(f"JSM {path} accepted the request but gave no requestId")
        return str(request_id)

    def acknowledge_alert(self, *, alert_id: str) -> str:
        """POST /v1/alerts/{id}/acknowledge — 202; returns the request id (`wait_alert_request`) (`ackAlert`;
        no body upstream). Acknowledging an acknowledged alert changes nothing: safe to retry."""
        path = self._alert_path(alert_id, "acknowledge")
        return self._alert_request(self.http.request("POST", path, idempotent=True))

    def close_alert(self, *, alert_id: str) -> str:
        """POST /v1/alerts/{id}/close — 202; returns the request id (`closeAlert`; no body upstream, so no
        note as on Opsgenie). Closing a closed alert changes nothing: safe to retry."""
        path = self._alert_path(alert_id, "close")
        return self._alert_request(self.http.request("POST", path, idempotent=True))

    def add_alert_tags(self, *, alert_id: str, tags: Sequence[str]) -> str:
        """POST /v1/alerts/{id}/tags `{tags}` — 202; returns the request id (`addTags`)."""
        if not tags:
            raise UsageError("add_alert_tags needs at least one tag.")
        path = self._alert_path(alert_id, "tags")
        response = self.http.request("POST", path, json={"tags": list(tags)}, idempotent=True)
        return self._alert_request(response)

    def get_alert_request_status(self, *, request_id: str) -> AlertRequestStatus | None:
        """GET /v1/alerts/requests/{id} — the outcome of an alert action, None while it is not known yet
        (a 404: the request is not processed yet) (`getRequestStatus`)."""
        path = self._path("alerts", "requests", _segment(request_id, "request id"))
        response = self.http.request("GET", path, allow_status=(404,))
        if response.status_code == 404:
            return None
        return parse(AlertRequestStatus, self._body(response), "alert request status", SERVICE)

    def wait_alert_request(
        self, *, request_id: str, timeout: float = 30.0, interval: float = 0.5
    ) -> AlertRequestStatus:
        """Poll GET /v1/alerts/requests/{id} until processed (bounded by `timeout` seconds): UnavailableError
        naming the request when it is not, RejectedError when JSM processed it but the action failed."""
        status = poll_until(
            lambda: self.get_alert_request_status(request_id=request_id),
            runtime=self.http.runtime,
            timeout=timeout,
            interval=interval,
        )
        if status is None:
            raise UnavailableError(
                f"JSM has not processed alert request {request_id} after {timeout:g}s",
                hint=f"It may still complete: check JSM, or ask for request {request_id} again later.",
                details={"service": SERVICE, "request_id": request_id},
            )
        if not status.is_success:
            raise RejectedError(
                f"JSM could not {(status.action or 'process').lower()} the alert (request {request_id}): "
                f"{status.status or 'no reason given'}",
                details={"service": SERVICE, "request_id": request_id, "action": status.action},
            )
        return status


__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_SIZE",
    "JsmOpsClient",
    "jsm_error_text",
]
