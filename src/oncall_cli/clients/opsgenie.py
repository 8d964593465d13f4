"""Typed client of the Opsgenie REST API: one method per vendor operation, over the shared HTTP seam.

Built from `specs/opsgenie/swagger.json` (+ `unmerged-pr53/` for services); operations the spec lacks
(incident resolve/notes/responders/tags/details/priority, incident timeline) follow the official Go SDK v2
and docs.opsgenie.com, as listed in `specs/opsgenie/SOURCE.md`. Every method returns wire models from
`opsgenie_models`, never raw JSON; failures are `OncallError`s raised by `HttpService` or here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from oncall_cli.clients._http import (
    HttpService,
    Runtime,
    paginate_cursor,
    paginate_offset,
    poll_until,
)
from oncall_cli.clients.opsgenie_models import (
    AccountInfo,
    Alert,
    AlertRequestStatus,
    EntityRef,
    Incident,
    IncidentNote,
    IncidentRequestStatus,
    NextOnCalls,
    OnCalls,
    OverrideMeta,
    Priority,
    Recipient,
    Rotation,
    RotationRef,
    RotationType,
    Schedule,
    ScheduleOverride,
    ScheduleTimeline,
    Service,
    StatusPageEntry,
    Team,
    TimelineEntry,
    TimeRestriction,
    User,
)
from oncall_cli.errors import (
    NotFoundError,
    OncallError,
    RejectedError,
    UnavailableError,
    UnexpectedError,
    UsageError,
)
from oncall_cli.redaction import redact, register_secret

M = TypeVar("M", bound=BaseModel)
S = TypeVar("S", IncidentRequestStatus, AlertRequestStatus)

DEFAULT_BASE_URL = "https://api.opsgenie.com"
EU_BASE_URL = "https://api.eu.opsgenie.com"
MAX_LIMIT = 100
"""Opsgenie's page size ceiling (`limit` ≤ 100)."""

# Opsgenie answers a seat-limit rejection with a message, not a dedicated status or code (402 is "the
# account cannot do this because of its subscription plan"; a full account answers 422/400/403 with text
# like "maximum number of responders"). Match the message so every variant gets the same clear error.
_USER_LIMIT_RE = re.compile(
    r"(?i)(maximum|max\.?|limit|exceed|reached|no (?:more|available)).{0,60}"
    r"(users?|responders?|seats?|licen[cs]es?)"
    r"|(users?|responders?|seats?|licen[cs]es?).{0,60}(limit|exceed|maximum|reached)"
)
USER_LIMIT_HINT = (
    "The Opsgenie account has no free user license. An account Owner must add one "
    "(Settings > Subscription) or remove an unused user, then run the command again."
)


def _opsgenie_error_text(response: httpx.Response) -> str:
    """`{"message", "took", "requestId"}` (+ `errors: {field: message}` on 422) as one line."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    if not isinstance(body, dict):
        return str(body)[:200]
    parts = [str(body.get("message") or "").strip()]
    errors = body.get("errors")
    if isinstance(errors, dict) and errors:
        parts.append("; ".join(f"{field}: {problem}" for field, problem in errors.items()))
    elif isinstance(errors, list) and errors:
        parts.append("; ".join(str(e) for e in errors))
    text = " - ".join(p for p in parts if p)
    if body.get("requestId"):
        text += f" (requestId {body['requestId']})"
    return text.strip()


def _segment(value: str) -> str:
    """One path segment: names and usernames may hold spaces or `/`; `@` stays readable."""
    if not value:
        raise UsageError("An Opsgenie identifier cannot be empty.")
    return quote(value, safe="@")


def _iso(value: datetime, field: str) -> str:
    """ISO-8601 with the datetime's own UTC offset (`Z` for UTC). Opsgenie takes the zone from the offset."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise UsageError(
            f"{field} {value.isoformat()} has no time zone; give an aware datetime "
            "(the UTC offset decides the wall-clock time in Opsgenie)."
        )
    text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    return text[:-6] + "Z" if value.utcoffset() == timedelta(0) and text.endswith("+00:00") else text


def _shift_boundary(value: datetime, field: str) -> str:
    """A rotation/override start or end: minutes must be :00 or :30, else Opsgenie silently rounds them."""
    text = _iso(value, field)
    if value.minute not in (0, 30) or value.second or value.microsecond:
        raise UsageError(
            f"{field} {text} must fall on the hour or the half hour (minutes :00 or :30, no seconds); "
            "Opsgenie would round it to the nearest half hour and move the shift."
        )
    return text


def _ordered(start: datetime, end: datetime | None) -> None:
    if end is not None and end <= start:
        raise UsageError(f"endDate {end.isoformat()} must be after startDate {start.isoformat()}.")


def _csv(values: Sequence[str] | None) -> str | None:
    return ",".join(values) if values else None


def _params(**values: Any) -> dict[str, Any]:
    """Query parameters without the unset ones; booleans as `true`/`false`, datetimes as ISO-8601."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, datetime):
            out[key] = _iso(value, key)
        else:
            out[key] = value
    return out


@functools.cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    """A validator for `list[model]`, built once per model."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


class OpsgenieClient:
    """The Opsgenie REST API (`GenieKey` auth). Base URL: `https://api.opsgenie.com` or the EU one."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        runtime: Runtime | None = None,
    ) -> None:
        # Defence in depth: the key is masked even if an error body echoes it back.
        register_secret(api_key)
        self.http = HttpService(
            name="Opsgenie",
            client=client,
            base_url=base_url,
            auth=f"GenieKey {api_key}" if api_key else None,
            runtime=runtime,
            error_text=_opsgenie_error_text,
        )

    # --- plumbing ------------------------------------------------------------------------------------

    def _body(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise UnexpectedError(
                f"Opsgenie {response.request.method} {response.request.url.path} answered HTTP "
                f"{response.status_code} with a body that is not JSON",
                details={"service": "Opsgenie", "status": response.status_code},
            ) from exc
        if not isinstance(body, dict):
            raise UnexpectedError(f"Opsgenie {response.request.url.path} answered an unexpected JSON shape")
        return body

    def _data(self, response: httpx.Response) -> Any:
        """Unwrap the `{"data", "took", "requestId"}` envelope."""
        return self._body(response).get("data")

    @staticmethod
    def _parse(model: type[M], data: Any, what: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise UnexpectedError(
                f"Opsgenie returned an unexpected {what}: {exc.errors()[0].get('msg', exc)}"
                f" at {'.'.join(str(p) for p in exc.errors()[0].get('loc', ()))}",
                details={"service": "Opsgenie", "model": model.__name__},
            ) from exc

    @staticmethod
    def _parse_list(model: type[M], data: Any, what: str) -> list[M]:
        try:
            items: list[M] = _list_adapter(model).validate_python(data or [])
            return items
        except ValidationError as exc:
            raise UnexpectedError(
                f"Opsgenie returned an unexpected list of {what}: {exc.errors()[0].get('msg', exc)}",
                details={"service": "Opsgenie", "model": model.__name__},
            ) from exc

    def _get(self, model: type[M], path: str, what: str, **params: Any) -> M:
        return self._parse(model, self._data(self.http.request("GET", path, params=_params(**params))), what)

    def _get_list(self, model: type[M], path: str, what: str, **params: Any) -> list[M]:
        response = self.http.request("GET", path, params=_params(**params))
        return self._parse_list(model, self._data(response), what)

    def _iter_offset(self, model: type[M], path: str, what: str, *, limit: int, **params: Any) -> Iterator[M]:
        """Every page of an offset/limit list; a next page exists while `paging.next` is set."""

        def fetch(offset: int, size: int) -> tuple[list[M], bool]:
            response = self.http.request("GET", path, params=_params(offset=offset, limit=size, **params))
            body = self._body(response)
            paging = body.get("paging") or {}
            return self._parse_list(model, body.get("data"), what), bool(paging.get("next"))

        return paginate_offset(fetch, limit=_limit(limit))

    def _request_id(self, response: httpx.Response) -> str:
        """The id of an asynchronous request (202 Accepted): from the body, else the X-Request-ID header."""
        request_id = self._body(response).get("requestId") or response.headers.get("X-Request-ID")
        if not request_id:
            raise UnexpectedError(
                f"Opsgenie {response.request.url.path} accepted the request but returned no requestId"
            )
        return str(request_id)

    # --- account -------------------------------------------------------------------------------------

    def get_account(self) -> AccountInfo:
        """GET /v2/account — account name, user count and plan; a cheap check that the key works.

        https://www.opsgenie.com/docs/account-api#section-get-account-info
        """
        return self._get(AccountInfo, "/v2/account", "account")

    # --- users ---------------------------------------------------------------------------------------

    def get_user(self, *, identifier: str, expand: Sequence[Literal["contact"]] | None = None) -> User:
        """GET /v2/users/{identifier} — a user by id or username, with `timeZone`, `role` and `details`.

        https://www.opsgenie.com/docs/user-api#section-get-user
        """
        return self._get(User, f"/v2/users/{_segment(identifier)}", "user", expand=_csv(expand))

    def iter_users(
        self,
        *,
        query: str | None = None,
        sort_field: Literal["username", "fullName", "insertedAt"] | None = None,
        order: Literal["asc", "desc"] | None = None,
        limit: int = MAX_LIMIT,
    ) -> Iterator[User]:
        """GET /v2/users — every user, page by page (`offset`/`limit`, `paging.next`).

        https://www.opsgenie.com/docs/user-api#section-list-user
        """
        return self._iter_offset(
            User, "/v2/users", "users", limit=limit, query=query, sortField=sort_field, order=order
        )

    def list_users(
        self,
        *,
        query: str | None = None,
        sort_field: Literal["username", "fullName", "insertedAt"] | None = None,
        order: Literal["asc", "desc"] | None = None,
    ) -> list[User]:
        """GET /v2/users — all pages read into one list (see `iter_users`).

        https://www.opsgenie.com/docs/user-api#section-list-user
        """
        return list(self.iter_users(query=query, sort_field=sort_field, order=order))

    def create_user(
        self,
        *,
        username: str,
        full_name: str,
        role: str = "user",
        time_zone: str | None = None,
        locale: str | None = None,
        details: Mapping[str, str | Sequence[str]] | None = None,
        tags: Sequence[str] | None = None,
        invitation_disabled: bool | None = None,
    ) -> EntityRef:
        """POST /v2/users — add a user (`username` is their e-mail). Takes a paid seat.

        `role` is a role name (`owner`, `admin`, `user`, `stakeholder` or a custom role); it is sent as
        `{"role": {"name": ...}}`. Detail values are lists of strings on the wire; a plain string is
        wrapped. A full account raises RejectedError with a hint for the account Owner.

        https://www.opsgenie.com/docs/user-api#section-create-user
        """
        body: dict[str, Any] = {"username": username, "fullName": full_name, "role": {"name": role}}
        if time_zone is not None:
            body["timeZone"] = time_zone
        if locale is not None:
            body["locale"] = locale
        if details:
            body["details"] = {k: [v] if isinstance(v, str) else list(v) for k, v in details.items()}
        if tags:
            body["tags"] = list(tags)
        if invitation_disabled is not None:
            body["invitationDisabled"] = invitation_disabled
        try:
            response = self.http.request("POST", "/v2/users", json=body)
        except OncallError as exc:
            raise self._user_limit_error(exc) from exc
        return self._parse(EntityRef, self._data(response), "created user")

    @staticmethod
    def _user_limit_error(exc: OncallError) -> OncallError:
        """Turn a seat-limit rejection into a RejectedError whose hint says an Owner must add a license."""
        status = exc.details.get("status")
        if status == 402 or (status in (400, 403, 422) and _USER_LIMIT_RE.search(exc.message)):
            return RejectedError(
                f"Opsgenie refused to add the user: the account's user limit is reached ({exc.message})",
                hint=USER_LIMIT_HINT,
                details={**exc.details, "reason": "user_limit"},
            )
        return exc

    def update_user(
        self,
        *,
        identifier: str,
        username: str | None = None,
        full_name: str | None = None,
        role: str | None = None,
        skype_username: str | None = None,
        time_zone: str | None = None,
        locale: str | None = None,
        tags: Sequence[str] | None = None,
        details: Mapping[str, str | Sequence[str]] | None = None,
        invitation_disabled: bool | None = None,
    ) -> None:
        """PATCH /v2/users/{identifier} — change only the given fields of a user (`updateUser`).

        Each field sent replaces the stored one: `details` is the whole map of user-defined properties,
        so send every detail to keep, not only the changed one. Detail values are lists of strings on the
        wire (`UpdateUserPayload.details`); a plain string is wrapped. `role` is sent as
        `{"role": {"name": ...}}`, like `create_user`.

        https://www.opsgenie.com/docs/user-api#section-update-user-partial
        """
        body: dict[str, Any] = {}
        if username is not None:
            body["username"] = username
        if full_name is not None:
            body["fullName"] = full_name
        if role is not None:
            body["role"] = {"name": role}
        if skype_username is not None:
            body["skypeUsername"] = skype_username
        if time_zone is not None:
            body["timeZone"] = time_zone
        if locale is not None:
            body["locale"] = locale
        if tags is not None:
            body["tags"] = list(tags)
        if details is not None:
            body["details"] = {k: [v] if isinstance(v, str) else list(v) for k, v in details.items()}
        if invitation_disabled is not None:
            body["invitationDisabled"] = invitation_disabled
        if not body:
            raise UsageError("update_user needs at least one field to change.")
        # A PATCH that sets absolute values can be repeated safely.
        self.http.request("PATCH", f"/v2/users/{_segment(identifier)}", json=body, idempotent=True)

    def delete_user(self, *, identifier: str) -> None:
        """DELETE /v2/users/{identifier} — remove a user by id or username.

        https://www.opsgenie.com/docs/user-api#section-delete-user
        """
        self.http.request("DELETE", f"/v2/users/{_segment(identifier)}")

    # --- teams ---------------------------------------------------------------------------------------

    def get_team(self, *, identifier: str, identifier_type: Literal["id", "name"] = "id") -> Team:
        """GET /v2/teams/{identifier}?identifierType= — a team with its members.

        https://www.opsgenie.com/docs/team-api#section-get-team
        """
        return self._get(Team, f"/v2/teams/{_segment(identifier)}", "team", identifierType=identifier_type)

    def list_teams(self) -> list[Team]:
        """GET /v2/teams — every team (the spec defines no paging for this list).

        https://www.opsgenie.com/docs/team-api#section-list-teams
        """
        return self._get_list(Team, "/v2/teams", "teams")

    def add_team_member(
        self,
        *,
        team: str,
        username: str | None = None,
        user_id: str | None = None,
        role: str = "user",
        team_identifier_type: Literal["id", "name"] = "id",
    ) -> None:
        """POST /v2/teams/{identifier}/members?teamIdentifierType= — add a user (by username or id) to a team.

        https://www.opsgenie.com/docs/team-member-api#section-add-team-member
        """
        if not username and not user_id:
            raise UsageError("add_team_member needs the user's username or id.")
        user = {k: v for k, v in (("id", user_id), ("username", username)) if v}
        self.http.request(
            "POST",
            f"/v2/teams/{_segment(team)}/members",
            params=_params(teamIdentifierType=team_identifier_type),
            json={"user": user, "role": role},
        )

    # --- services ------------------------------------------------------------------------------------

    def iter_services(self, *, query: str | None = None, limit: int = MAX_LIMIT) -> Iterator[Service]:
        """GET /v1/services — every service, page by page (`offset`/`limit`, `paging.next`).

        https://docs.opsgenie.com/docs/service-api#section-list-teamcustomer-services
        """
        return self._iter_offset(Service, "/v1/services", "services", limit=limit, query=query)

    def list_services(self, *, query: str | None = None) -> list[Service]:
        """GET /v1/services — all pages read into one list (see `iter_services`).

        https://docs.opsgenie.com/docs/service-api#section-list-teamcustomer-services
        """
        return list(self.iter_services(query=query))

    def find_service(self, *, name: str) -> Service | None:
        """GET /v1/services (all pages) — the service with this exact name, else the only case-insensitive
        match, else None. Incident create needs the service's id.

        https://docs.opsgenie.com/docs/service-api#section-list-teamcustomer-services
        """
        services = self.list_services()
        for service in services:
            if service.name == name:
                return service
        folded = [s for s in services if s.name.casefold() == name.casefold()]
        return folded[0] if len(folded) == 1 else None

    # --- schedules -----------------------------------------------------------------------------------

    def list_schedules(self, *, expand: Sequence[Literal["rotation"]] | None = None) -> list[Schedule]:
        """GET /v2/schedules — every schedule (no paging in the spec); `expand=rotation` adds rotations.

        https://www.opsgenie.com/docs/schedule-api#section-list-schedules
        """
        return self._get_list(Schedule, "/v2/schedules", "schedules", expand=_csv(expand))

    def get_schedule(self, *, identifier: str, identifier_type: Literal["id", "name"] = "id") -> Schedule:
        """GET /v2/schedules/{identifier}?identifierType= — a schedule with its rotations.

        https://www.opsgenie.com/docs/schedule-api#section-get-schedule
        """
        return self._get(
            Schedule, f"/v2/schedules/{_segment(identifier)}", "schedule", identifierType=identifier_type
        )

    def get_schedule_timeline(
        self,
        *,
        identifier: str,
        identifier_type: Literal["id", "name"] = "id",
        interval: int | None = None,
        interval_unit: Literal["days", "weeks", "months"] | None = None,
        date: datetime | None = None,
        expand: Sequence[Literal["base", "forwarding", "override"]] | None = None,
    ) -> ScheduleTimeline:
        """GET /v2/schedules/{identifier}/timeline — effective shifts (`finalTimeline.rotations[].periods[]`);
        `expand` adds `baseTimeline` / `overrideTimeline` / `forwardingTimeline`. Defaults: 1 week from now.

        https://www.opsgenie.com/docs/schedule-api#section-get-schedule-timeline
        """
        return self._get(
            ScheduleTimeline,
            f"/v2/schedules/{_segment(identifier)}/timeline",
            "schedule timeline",
            identifierType=identifier_type,
            interval=interval,
            intervalUnit=interval_unit,
            date=date,
            expand=_csv(expand),
        )

    def get_on_calls(
        self,
        *,
        identifier: str,
        identifier_type: Literal["id", "name"] = "id",
        flat: bool | None = None,
        date: datetime | None = None,
    ) -> OnCalls:
        """GET /v2/schedules/{identifier}/on-calls?scheduleIdentifierType= — who is on call at `date` (now).

        Inverted vendor names: objects in `onCallParticipants`, usernames (`flat`) in `onCallRecipients`;
        read `OnCalls.participants` / `OnCalls.usernames`.

        https://www.opsgenie.com/docs/who-is-on-call-api#section-get-on-calls
        """
        return self._get(
            OnCalls,
            f"/v2/schedules/{_segment(identifier)}/on-calls",
            "on-calls",
            scheduleIdentifierType=identifier_type,
            flat=flat,
            date=date,
        )

    def get_next_on_calls(
        self,
        *,
        identifier: str,
        identifier_type: Literal["id", "name"] = "id",
        flat: bool | None = None,
        date: datetime | None = None,
    ) -> NextOnCalls:
        """GET /v2/schedules/{identifier}/next-on-calls?scheduleIdentifierType= — who is on call next.

        Inverted vendor names: objects in `nextOnCallRecipients`, usernames (`flat`) in
        `nextOnCallParticipants`; read `NextOnCalls.participants` / `NextOnCalls.usernames`.

        https://www.opsgenie.com/docs/who-is-on-call-api#section-get-next-on-calls
        """
        return self._get(
            NextOnCalls,
            f"/v2/schedules/{_segment(identifier)}/next-on-calls",
            "next on-calls",
            scheduleIdentifierType=identifier_type,
            flat=flat,
            date=date,
        )

    # --- rotations -----------------------------------------------------------------------------------

    def list_schedule_rotations(
        self, *, schedule: str, schedule_identifier_type: Literal["id", "name"] = "id"
    ) -> list[Rotation]:
        """GET /v2/schedules/{identifier}/rotations?scheduleIdentifierType= — a schedule's rotations.

        https://www.opsgenie.com/docs/schedule-rotation-api#section-list-schedule-rotations
        """
        return self._get_list(
            Rotation,
            f"/v2/schedules/{_segment(schedule)}/rotations",
            "rotations",
            scheduleIdentifierType=schedule_identifier_type,
        )

    def get_schedule_rotation(
        self, *, schedule: str, rotation_id: str, schedule_identifier_type: Literal["id", "name"] = "id"
    ) -> Rotation:
        """GET /v2/schedules/{identifier}/rotations/{id} — one rotation.

        https://www.opsgenie.com/docs/schedule-rotation-api#section-get-schedule-rotation
        """
        return self._get(
            Rotation,
            f"/v2/schedules/{_segment(schedule)}/rotations/{_segment(rotation_id)}",
            "rotation",
            scheduleIdentifierType=schedule_identifier_type,
        )

    def create_schedule_rotation(
        self,
        *,
        schedule: str,
        name: str,
        type: RotationType,
        start_date: datetime,
        participants: Sequence[Recipient],
        length: int = 1,
        end_date: datetime | None = None,
        time_restriction: TimeRestriction | None = None,
        schedule_identifier_type: Literal["id", "name"] = "id",
    ) -> EntityRef:
        """POST /v2/schedules/{identifier}/rotations — add a rotation; participants rotate in order.

        `start_date`/`end_date` must be aware and on :00 or :30 (UsageError otherwise); their UTC offset
        is the rotation's zone. Participants: `Recipient.user(username)` or `Recipient.no_one()`.

        https://www.opsgenie.com/docs/schedule-rotation-api#section-create-schedule-rotation
        """
        if not participants:
            raise UsageError("A rotation needs at least one participant (use Recipient.no_one() for a gap).")
        _ordered(start_date, end_date)
        body: dict[str, Any] = {
            "name": name,
            "type": type,
            "length": length,
            "startDate": _shift_boundary(start_date, "startDate"),
            "participants": [p.to_wire() for p in participants],
        }
        if end_date is not None:
            body["endDate"] = _shift_boundary(end_date, "endDate")
        if time_restriction is not None:
            body["timeRestriction"] = time_restriction.to_wire()
        response = self.http.request(
            "POST",
            f"/v2/schedules/{_segment(schedule)}/rotations",
            params=_params(scheduleIdentifierType=schedule_identifier_type),
            json=body,
        )
        return self._parse(EntityRef, self._data(response), "created rotation")

    def update_schedule_rotation(
        self,
        *,
        schedule: str,
        rotation_id: str,
        name: str | None = None,
        type: RotationType | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        length: int | None = None,
        participants: Sequence[Recipient] | None = None,
        time_restriction: TimeRestriction | None = None,
        schedule_identifier_type: Literal["id", "name"] = "id",
    ) -> EntityRef:
        """PATCH /v2/schedules/{identifier}/rotations/{id} — change only the given fields.

        Beware: new participants re-compute every shift from the rotation's `startDate`.

        https://www.opsgenie.com/docs/schedule-rotation-api#section-update-schedule-rotation-partial
        """
        if start_date is not None:
            _ordered(start_date, end_date)
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if type is not None:
            body["type"] = type
        if length is not None:
            body["length"] = length
        if start_date is not None:
            body["startDate"] = _shift_boundary(start_date, "startDate")
        if end_date is not None:
            body["endDate"] = _shift_boundary(end_date, "endDate")
        if participants is not None:
            if not participants:
                raise UsageError("A rotation needs at least one participant (use Recipient.no_one()).")
            body["participants"] = [p.to_wire() for p in participants]
        if time_restriction is not None:
            body["timeRestriction"] = time_restriction.to_wire()
        if not body:
            raise UsageError("update_schedule_rotation needs at least one field to change.")
        # A PATCH that sets absolute values can be repeated safely.
        response = self.http.request(
            "PATCH",
            f"/v2/schedules/{_segment(schedule)}/rotations/{_segment(rotation_id)}",
            params=_params(scheduleIdentifierType=schedule_identifier_type),
            json=body,
            idempotent=True,
        )
        return self._parse(EntityRef, self._data(response) or {}, "updated rotation")

    def delete_schedule_rotation(
        self, *, schedule: str, rotation_id: str, schedule_identifier_type: Literal["id", "name"] = "id"
    ) -> None:
        """DELETE /v2/schedules/{identifier}/rotations/{id}.

        https://www.opsgenie.com/docs/schedule-rotation-api#section-delete-schedule-rotation
        """
        self.http.request(
            "DELETE",
            f"/v2/schedules/{_segment(schedule)}/rotations/{_segment(rotation_id)}",
            params=_params(scheduleIdentifierType=schedule_identifier_type),
        )

    # --- overrides -----------------------------------------------------------------------------------

    def list_schedule_overrides(
        self, *, schedule: str, schedule_identifier_type: Literal["id", "name"] = "id"
    ) -> list[ScheduleOverride]:
        """GET /v2/schedules/{identifier}/overrides — the schedule's overrides (no paging in the spec).

        https://www.opsgenie.com/docs/schedule-override-api#section-list-schedule-overrides
        """
        return self._get_list(
            ScheduleOverride,
            f"/v2/schedules/{_segment(schedule)}/overrides",
            "overrides",
            scheduleIdentifierType=schedule_identifier_type,
        )

    def get_schedule_override(
        self, *, schedule: str, alias: str, schedule_identifier_type: Literal["id", "name"] = "id"
    ) -> ScheduleOverride:
        """GET /v2/schedules/{identifier}/overrides/{alias}.

        https://www.opsgenie.com/docs/schedule-override-api#section-get-schedule-override
        """
        return self._get(
            ScheduleOverride,
            f"/v2/schedules/{_segment(schedule)}/overrides/{_segment(alias)}",
            "override",
            scheduleIdentifierType=schedule_identifier_type,
        )

    @staticmethod
    def _override_body(
        user: Recipient, start_date: datetime, end_date: datetime, rotations: Sequence[RotationRef] | None
    ) -> dict[str, Any]:
        if user.type not in ("user", "none"):
            raise UsageError("An override's user must be a user or Recipient.no_one().")
        _ordered(start_date, end_date)
        body: dict[str, Any] = {
            "user": user.to_wire(),
            "startDate": _shift_boundary(start_date, "startDate"),
            "endDate": _shift_boundary(end_date, "endDate"),
        }
        if rotations:
            body["rotations"] = [r.to_wire() for r in rotations]
        return body

    def create_schedule_override(
        self,
        *,
        schedule: str,
        user: Recipient,
        start_date: datetime,
        end_date: datetime,
        alias: str | None = None,
        rotations: Sequence[RotationRef] | None = None,
        schedule_identifier_type: Literal["id", "name"] = "id",
    ) -> OverrideMeta:
        """POST /v2/schedules/{identifier}/overrides — someone (or `none`) covers the given rotations
        (all when `rotations` is empty) from `start_date` to `end_date` (aware, on :00/:30).

        https://www.opsgenie.com/docs/schedule-override-api#section-create-schedule-override
        """
        body = self._override_body(user, start_date, end_date, rotations)
        if alias is not None:
            body = {"alias": alias, **body}
        response = self.http.request(
            "POST",
            f"/v2/schedules/{_segment(schedule)}/overrides",
            params=_params(scheduleIdentifierType=schedule_identifier_type),
            json=body,
        )
        return self._parse(OverrideMeta, self._data(response), "created override")

    def update_schedule_override(
        self,
        *,
        schedule: str,
        alias: str,
        user: Recipient,
        start_date: datetime,
        end_date: datetime,
        rotations: Sequence[RotationRef] | None = None,
        schedule_identifier_type: Literal["id", "name"] = "id",
    ) -> OverrideMeta:
        """PUT /v2/schedules/{identifier}/overrides/{alias} — replace an override (user, dates, rotations).

        https://www.opsgenie.com/docs/schedule-override-api#section-update-schedule-override
        """
        response = self.http.request(
            "PUT",
            f"/v2/schedules/{_segment(schedule)}/overrides/{_segment(alias)}",
            params=_params(scheduleIdentifierType=schedule_identifier_type),
            json=self._override_body(user, start_date, end_date, rotations),
        )
        return self._parse(OverrideMeta, self._data(response), "updated override")

    def delete_schedule_override(
        self, *, schedule: str, alias: str, schedule_identifier_type: Literal["id", "name"] = "id"
    ) -> None:
        """DELETE /v2/schedules/{identifier}/overrides/{alias}.

        https://www.opsgenie.com/docs/schedule-override-api#section-delete-schedule-override
        """
        self.http.request(
            "DELETE",
            f"/v2/schedules/{_segment(schedule)}/overrides/{_segment(alias)}",
            params=_params(scheduleIdentifierType=schedule_identifier_type),
        )

    # --- incidents: asynchronous requests ------------------------------------------------------------

    def _request_status(self, path: str, model: type[S], what: str) -> S | None:
        """One poll of an asynchronous request: its outcome, or None while Opsgenie has not processed it
        (404 with `X-Opsgenie-Errortype: RequestNotProcessed`)."""
        response = self.http.request("GET", path, allow_status=(404,))
        if response.status_code == 404:
            if response.headers.get("X-Opsgenie-Errortype", "").lower() == "requestnotprocessed":
                return None
            text = redact(_opsgenie_error_text(response))
            raise NotFoundError(
                f"Opsgenie GET {path} failed with HTTP 404" + (f": {text}" if text else ""),
                details={"service": "Opsgenie", "method": "GET", "path": path, "status": 404},
            )
        return self._parse(model, self._data(response), what)

    def _wait_for(self, probe: Callable[[], S | None], request_id: str, timeout: float, interval: float) -> S:
        """Poll until processed (bounded by `timeout` seconds): UnavailableError naming the request id if it
        is still unprocessed at the deadline, RejectedError if Opsgenie processed it but the action failed."""
        status = poll_until(probe, runtime=self.http.runtime, timeout=timeout, interval=interval)
        if status is None:
            raise UnavailableError(
                f"Opsgenie has not processed request {request_id} after {timeout:g}s",
                hint=f"It may still complete: check Opsgenie, or ask for request {request_id} again later.",
                details={"service": "Opsgenie", "request_id": request_id},
            )
        if not status.succeeded:
            raise RejectedError(
                f"Opsgenie could not {(status.action or 'process').lower()} (request {request_id}): "
                f"{status.status or 'no reason given'}",
                details={"service": "Opsgenie", "request_id": request_id, "action": status.action},
            )
        return status

    def get_request_status(self, *, request_id: str) -> IncidentRequestStatus | None:
        """GET /v1/incidents/requests/{requestId} — the outcome of an incident write, or None while
        Opsgenie has not processed it yet (404 with `X-Opsgenie-Errortype: RequestNotProcessed`).

        https://docs.opsgenie.com/docs/incident-api#section-get-request-status
        """
        path = f"/v1/incidents/requests/{_segment(request_id)}"
        return self._request_status(path, IncidentRequestStatus, "request status")

    def wait_request(
        self, *, request_id: str, timeout: float = 30.0, interval: float = 0.1
    ) -> IncidentRequestStatus:
        """Poll GET /v1/incidents/requests/{requestId} until processed (bounded by `timeout` seconds).

        A first poll at once, the next after `interval` (0.1 s), each later one half as long again: Opsgenie
        usually processes a request within a few hundred milliseconds, and an incident's steps wait for it.

        Raises UnavailableError naming the request id if it is still unprocessed at the deadline, and
        RejectedError if Opsgenie processed it but the action failed (e.g. "Incident does not exist").

        https://docs.opsgenie.com/docs/incident-api#section-get-request-status
        """
        return self._wait_for(
            lambda: self.get_request_status(request_id=request_id), request_id, timeout, interval
        )

    # --- incidents -----------------------------------------------------------------------------------

    def create_incident(
        self,
        *,
        message: str,
        service_id: str,
        description: str | None = None,
        priority: Priority | None = None,
        responders: Sequence[Recipient] = (),
        tags: Sequence[str] = (),
        details: Mapping[str, str] | None = None,
        note: str | None = None,
        notify_stakeholders: bool | None = None,
        status_page_entry: StatusPageEntry | None = None,
        impacted_services: Sequence[str] | None = None,
    ) -> str:
        """POST /v1/incidents/create — open an incident; answers 202 with the request id to poll.

        The spec requires `serviceId`; newer docs name the field `impactedServices` (a list of service
        ids). Both are sent: `serviceId`, and `impactedServices` (`[service_id]` unless given).
        Responders: `Recipient(type="user", username=...)` or `Recipient(type="team", name=...|id=...)`.

        https://docs.opsgenie.com/docs/incident-api#section-create-incident
        """
        body: dict[str, Any] = {"message": message, "serviceId": service_id}
        body["impactedServices"] = list(impacted_services) if impacted_services else [service_id]
        if description is not None:
            body["description"] = description
        if priority is not None:
            body["priority"] = priority
        if responders:
            body["responders"] = [r.to_wire() for r in responders]
        if tags:
            body["tags"] = list(tags)
        if details:
            body["details"] = dict(details)
        if note is not None:
            body["note"] = note
        if notify_stakeholders is not None:
            body["notifyStakeholders"] = notify_stakeholders
        if status_page_entry is not None:
            body["statusPageEntry"] = status_page_entry.to_wire()
        return self._request_id(self.http.request("POST", "/v1/incidents/create", json=body))

    def create_incident_and_wait(
        self,
        *,
        message: str,
        service_id: str,
        description: str | None = None,
        priority: Priority | None = None,
        responders: Sequence[Recipient] = (),
        tags: Sequence[str] = (),
        details: Mapping[str, str] | None = None,
        note: str | None = None,
        notify_stakeholders: bool | None = None,
        status_page_entry: StatusPageEntry | None = None,
        impacted_services: Sequence[str] | None = None,
        timeout: float = 30.0,
    ) -> Incident:
        """POST /v1/incidents/create, poll GET /v1/incidents/requests/{requestId}, then GET
        /v1/incidents/{id} — the created incident with its `tinyId`. Raises UnavailableError naming the
        request id if Opsgenie does not process it within `timeout` seconds.

        https://docs.opsgenie.com/docs/incident-api#section-create-incident
        """
        request_id = self.create_incident(
            message=message,
            service_id=service_id,
            description=description,
            priority=priority,
            responders=responders,
            tags=tags,
            details=details,
            note=note,
            notify_stakeholders=notify_stakeholders,
            status_page_entry=status_page_entry,
            impacted_services=impacted_services,
        )
        status = self.wait_request(request_id=request_id, timeout=timeout)
        if not status.incident_id:
            raise UnexpectedError(
                f"Opsgenie processed request {request_id} but returned no incidentId",
                details={"service": "Opsgenie", "request_id": request_id},
            )
        return self.get_incident(identifier=status.incident_id)

    def get_incident(self, *, identifier: str, identifier_type: Literal["id", "tiny"] = "id") -> Incident:
        """GET /v1/incidents/{identifier}?identifierType= — an incident by id or tiny id.

        https://docs.opsgenie.com/docs/incident-api#section-get-incident
        """
        return self._get(
            Incident, f"/v1/incidents/{_segment(identifier)}", "incident", identifierType=identifier_type
        )

    def iter_incidents(
        self,
        *,
        query: str,
        sort: Literal["createdAt", "tinyId", "message", "status", "isSeen", "owner"] | None = None,
        order: Literal["asc", "desc"] | None = None,
        limit: int = MAX_LIMIT,
    ) -> Iterator[Incident]:
        """GET /v1/incidents/ — every incident matching `query` (required, e.g. `status:open`), page by page.

        https://docs.opsgenie.com/docs/incident-api#section-list-incidents
        """
        return self._iter_offset(
            # The spec's path has the trailing slash (`/v1/incidents/`); the Go SDK drops it.
            Incident,
            "/v1/incidents/",
            "incidents",
            limit=limit,
            query=query,
            sort=sort,
            order=order,
        )

    def list_incidents(
        self,
        *,
        query: str,
        sort: Literal["createdAt", "tinyId", "message", "status", "isSeen", "owner"] | None = None,
        order: Literal["asc", "desc"] | None = None,
    ) -> list[Incident]:
        """GET /v1/incidents/ — all pages read into one list (see `iter_incidents`).

        https://docs.opsgenie.com/docs/incident-api#section-list-incidents
        """
        return list(self.iter_incidents(query=query, sort=sort, order=order))

    def _incident_action(
        self,
        method: str,
        identifier: str,
        action: str,
        identifier_type: Literal["id", "tiny"],
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> str:
        response = self.http.request(
            method,
            f"/v1/incidents/{_segment(identifier)}/{action}",
            params=_params(identifierType=identifier_type, **(params or {})),
            json=json,
            idempotent=idempotent,
        )
        return self._request_id(response)

    @staticmethod
    def _note(note: str | None) -> dict[str, Any]:
        return {"note": note} if note is not None else {}

    def resolve_incident(
        self, *, identifier: str, note: str | None = None, identifier_type: Literal["id", "tiny"] = "id"
    ) -> str:
        """POST /v1/incidents/{identifier}/resolve `{note}` — 202; returns the request id (`wait_request`).

        https://docs.opsgenie.com/docs/incident-api#section-resolve-incident
        """
        return self._incident_action("POST", identifier, "resolve", identifier_type, json=self._note(note))

    def reopen_incident(
        self, *, identifier: str, note: str | None = None, identifier_type: Literal["id", "tiny"] = "id"
    ) -> str:
        """POST /v1/incidents/{identifier}/reopen `{note}` (Node SDK) — 202; returns the request id.

        https://docs.opsgenie.com/docs/incident-api#section-reopen-incident
        """
        return self._incident_action("POST", identifier, "reopen", identifier_type, json=self._note(note))

    def close_incident(
        self, *, identifier: str, note: str | None = None, identifier_type: Literal["id", "tiny"] = "id"
    ) -> str:
        """POST /v1/incidents/{identifier}/close `{note}` — 202; returns the request id.

        https://docs.opsgenie.com/docs/incident-api#section-close-incident
        """
        return self._incident_action("POST", identifier, "close", identifier_type, json=self._note(note))

    def add_incident_note(
        self, *, identifier: str, note: str, identifier_type: Literal["id", "tiny"] = "id"
    ) -> str:
        """POST /v1/incidents/{identifier}/notes `{note}` — 202; returns the request id.

        https://docs.opsgenie.com/docs/incident-api#section-add-note
        """
        return self._incident_action("POST", identifier, "notes", identifier_type, json={"note": note})

    def add_incident_responders(
        self,
        *,
        identifier: str,
        responders: Sequence[Recipient],
        note: str | None = None,
        identifier_type: Literal["id", "tiny"] = "id",
    ) -> str:
        """POST /v1/incidents/{identifier}/responders `{"responder": [...], "note"}` (singular key, list
        value, as the Go SDK v2 sends it) — 202; returns the request id.

        https://docs.opsgenie.com/docs/incident-api#section-add-responder
        """
        if not responders:
            raise UsageError("add_incident_responders needs at least one responder.")
        body: dict[str, Any] = {"responder": [r.to_wire() for r in responders], **self._note(note)}
        return self._incident_action("POST", identifier, "responders", identifier_type, json=body)

    def add_incident_tags(
        self,
        *,
        identifier: str,
        tags: Sequence[str],
        note: str | None = None,
        identifier_type: Literal["id", "tiny"] = "id",
    ) -> str:
        """POST /v1/incidents/{identifier}/tags `{tags, note}` — 202; returns the request id.

        https://docs.opsgenie.com/docs/incident-api#section-add-tags
        """
        if not tags:
            raise UsageError("add_incident_tags needs at least one tag.")
        body = {"tags": list(tags), **self._note(note)}
        # Adding a tag twice leaves the same tags: safe to retry.
        return self._incident_action("POST", identifier, "tags", identifier_type, json=body, idempotent=True)

    def remove_incident_tags(
        self,
        *,
        identifier: str,
        tags: Sequence[str],
        note: str | None = None,
        identifier_type: Literal["id", "tiny"] = "id",
    ) -> str:
        """DELETE /v1/incidents/{identifier}/tags?tags=a,b&note= — 202; returns the request id.

        https://docs.opsgenie.com/docs/incident-api#section-remove-tags
        """
        if not tags:
            raise UsageError("remove_incident_tags needs at least one tag.")
        return self._incident_action(
            "DELETE", identifier, "tags", identifier_type, params={"tags": ",".join(tags), "note": note}
        )

    def add_incident_details(
        self,
        *,
        identifier: str,
        details: Mapping[str, str],
        note: str | None = None,
        identifier_type: Literal["id", "tiny"] = "id",
    ) -> str:
        """POST /v1/incidents/{identifier}/details `{details: {...}, note}` — 202; returns the request id.

        https://docs.opsgenie.com/docs/incident-api#section-add-details
        """
        if not details:
            raise UsageError("add_incident_details needs at least one key.")
        body = {"details": dict(details), **self._note(note)}
        # Setting the same keys to the same values twice is harmless: safe to retry.
        return self._incident_action(
            "POST", identifier, "details", identifier_type, json=body, idempotent=True
        )

    def remove_incident_details(
        self,
        *,
        identifier: str,
        keys: Sequence[str],
        note: str | None = None,
        identifier_type: Literal["id", "tiny"] = "id",
    ) -> str:
        """DELETE /v1/incidents/{identifier}/details?keys=a,b&note= — 202; returns the request id.

        https://docs.opsgenie.com/docs/incident-api#section-remove-details
        """
        if not keys:
            raise UsageError("remove_incident_details needs at least one key.")
        return self._incident_action(
            "DELETE", identifier, "details", identifier_type, params={"keys": ",".join(keys), "note": note}
        )

    def update_incident_priority(
        self, *, identifier: str, priority: Priority, identifier_type: Literal["id", "tiny"] = "id"
    ) -> str:
        """PUT /v1/incidents/{identifier}/priority `{priority}` — 202; returns the request id.

        https://docs.opsgenie.com/docs/incident-api#section-update-priority
        """
        return self._incident_action(
            "PUT", identifier, "priority", identifier_type, json={"priority": priority}
        )

    def iter_incident_notes(
        self,
        *,
        identifier: str,
        order: Literal["asc", "desc"] | None = None,
        limit: int = MAX_LIMIT,
        identifier_type: Literal["id", "tiny"] = "id",
    ) -> Iterator[IncidentNote]:
        """GET /v1/incidents/{identifier}/notes — every note; pages follow the opaque `offset` token
        carried in `paging.next`.

        https://docs.opsgenie.com/docs/incident-api#section-list-notes
        """
        path = f"/v1/incidents/{_segment(identifier)}/notes"

        def fetch(cursor: str | None) -> tuple[list[IncidentNote], str | None]:
            params = _params(
                identifierType=identifier_type,
                limit=_limit(limit),
                order=order,
                offset=cursor,
                direction="next" if cursor else None,
            )
            body = self._body(self.http.request("GET", path, params=params))
            notes = self._parse_list(IncidentNote, body.get("data"), "incident notes")
            next_url = (body.get("paging") or {}).get("next")
            token = _query_value(next_url, "offset") if next_url and notes else None
            return notes, (token if token != cursor else None)

        return paginate_cursor(fetch)

    def list_incident_notes(
        self,
        *,
        identifier: str,
        order: Literal["asc", "desc"] | None = None,
        identifier_type: Literal["id", "tiny"] = "id",
    ) -> list[IncidentNote]:
        """GET /v1/incidents/{identifier}/notes — all pages read into one list.

        https://docs.opsgenie.com/docs/incident-api#section-list-notes
        """
        notes = self.iter_incident_notes(identifier=identifier, order=order, identifier_type=identifier_type)
        return list(notes)

    # --- incident timeline ---------------------------------------------------------------------------

    def add_incident_timeline_entry(
        self, *, incident_id: str, content: str, time: datetime | None = None
    ) -> TimelineEntry | None:
        """POST /v2/incident-timelines/{incidentId}/entries `{"description": {"content"}, "time"}` — a
        custom timeline entry (`time` defaults to now on Opsgenie's side). Returns the entry when the
        answer carries it, else None.

        https://docs.opsgenie.com/docs/incident-timeline-api#section-add-incident-timeline-entry
        """
        body: dict[str, Any] = {"description": {"content": content}}
        if time is not None:
            body["time"] = _iso(time, "time")
        response = self.http.request(
            "POST", f"/v2/incident-timelines/{_segment(incident_id)}/entries", json=body
        )
        data = self._data(response)
        if isinstance(data, dict) and isinstance(data.get("entry"), dict):
            data = data["entry"]
        return (
            self._parse(TimelineEntry, data, "timeline entry")
            if isinstance(data, dict) and "id" in data
            else None
        )

    def list_incident_timeline_entries(self, *, incident_id: str) -> list[TimelineEntry]:
        """GET /v2/incident-timelines/{incidentId}/entries — every entry (`data.entries`, paged by
        `data.nextOffset`).

        https://docs.opsgenie.com/docs/incident-timeline-api#section-list-incident-timeline-entries
        """
        path = f"/v2/incident-timelines/{_segment(incident_id)}/entries"

        def fetch(cursor: str | None) -> tuple[list[TimelineEntry], str | None]:
            data = self._data(self.http.request("GET", path, params=_params(offset=cursor)))
            if not isinstance(data, dict):
                return [], None
            entries = self._parse_list(TimelineEntry, data.get("entries"), "timeline entries")
            token = data.get("nextOffset")
            return entries, (str(token) if token and entries and token != cursor else None)

        return list(paginate_cursor(fetch))

    # --- alerts --------------------------------------------------------------------------------------

    def get_alert_request_status(self, *, request_id: str) -> AlertRequestStatus | None:
        """GET /v2/alerts/requests/{requestId} — the outcome of an alert write, or None while Opsgenie has
        not processed it yet (404 with `X-Opsgenie-Errortype: RequestNotProcessed`).

        https://docs.opsgenie.com/docs/alert-api#section-get-request-status
        """
        path = f"/v2/alerts/requests/{_segment(request_id)}"
        return self._request_status(path, AlertRequestStatus, "alert request status")

    def wait_alert_request(
        self, *, request_id: str, timeout: float = 30.0, interval: float = 0.1
    ) -> AlertRequestStatus:
        """Poll GET /v2/alerts/requests/{requestId} until processed (as `wait_request` does for incidents):
        RejectedError when the action failed (e.g. "Alert does not exist").

        https://docs.opsgenie.com/docs/alert-api#section-get-request-status
        """
        return self._wait_for(
            lambda: self.get_alert_request_status(request_id=request_id), request_id, timeout, interval
        )

    def get_alert(self, *, identifier: str, identifier_type: Literal["id", "alias", "tiny"] = "id") -> Alert:
        """GET /v2/alerts/{identifier}?identifierType= — one alert by id, alias or tiny id.

        https://docs.opsgenie.com/docs/alert-api#section-get-alert
        """
        return self._get(Alert, f"/v2/alerts/{_segment(identifier)}", "alert", identifierType=identifier_type)

    def iter_alerts(
        self,
        *,
        query: str | None = None,
        sort: Literal["createdAt", "updatedAt", "tinyId", "alias", "message", "status", "acknowledged",
                      "isSeen", "snoozed", "snoozedUntil", "count", "lastOccurredAt", "source", "owner",
                      "integration.name", "integration.type", "report.ackTime", "report.closeTime",
                      "report.acknowledgedBy", "report.closedBy"] | None = None,
        order: Literal["asc", "desc"] | None = None,
        limit: int = MAX_LIMIT,
    ) -> Iterator[Alert]:
        """GET /v2/alerts?query=&sort=&order= — every alert matching `query` (e.g. `status:open`), page by
        page (offset/limit, `paging.next`). The list shows `BaseAlert`: no description.

        https://docs.opsgenie.com/docs/alert-api#section-list-alerts
        """
        return self._iter_offset(
            Alert, "/v2/alerts", "alerts", limit=limit, query=query, sort=sort, order=order
        )

    def _alert_action(
        self,
        identifier: str,
        action: str,
        identifier_type: Literal["id", "alias", "tiny"],
        body: Mapping[str, Any],
        *,
        idempotent: bool | None = None,
    ) -> str:
        response = self.http.request(
            "POST",
            f"/v2/alerts/{_segment(identifier)}/{action}",
            params=_params(identifierType=identifier_type),
            json={k: v for k, v in body.items() if v is not None},
            idempotent=idempotent,
        )
        return self._request_id(response)

    def acknowledge_alert(
        self,
        *,
        identifier: str,
        note: str | None = None,
        user: str | None = None,
        source: str | None = None,
        identifier_type: Literal["id", "alias", "tiny"] = "id",
    ) -> str:
        """POST /v2/alerts/{identifier}/acknowledge `{user, source, note}` — 202; returns the request id
        (`wait_alert_request`). Acknowledging an acknowledged alert changes nothing: safe to retry.

        https://docs.opsgenie.com/docs/alert-api#section-acknowledge-alert
        """
        body = {"user": user, "source": source, "note": note}
        return self._alert_action(identifier, "acknowledge", identifier_type, body, idempotent=True)

    def close_alert(
        self,
        *,
        identifier: str,
        note: str | None = None,
        user: str | None = None,
        source: str | None = None,
        identifier_type: Literal["id", "alias", "tiny"] = "id",
    ) -> str:
        """POST /v2/alerts/{identifier}/close `{note, user, source}` — 202; returns the request id (poll it
        at GET /v2/alerts/requests/{requestId}, not the incident one: `wait_alert_request`).

        Closing a closed alert changes nothing: safe to retry.

        https://www.opsgenie.com/docs/alert-api#section-close-alert
        """
        body = {"user": user, "source": source, "note": note}
        return self._alert_action(identifier, "close", identifier_type, body, idempotent=True)

    def add_alert_tags(
        self,
        *,
        identifier: str,
        tags: Sequence[str],
        note: str | None = None,
        user: str | None = None,
        identifier_type: Literal["id", "alias", "tiny"] = "id",
    ) -> str:
        """POST /v2/alerts/{identifier}/tags `{tags, user, note}` — 202; returns the request id. Adding a
        tag twice leaves the same tags: safe to retry.

        https://docs.opsgenie.com/docs/alert-api#section-add-tags-to-alert
        """
        if not tags:
            raise UsageError("add_alert_tags needs at least one tag.")
        body = {"tags": list(tags), "user": user, "note": note}
        return self._alert_action(identifier, "tags", identifier_type, body, idempotent=True)


def _query_value(url: str, key: str) -> str | None:
    """One query parameter of a paging link (`paging.next`)."""
    values = parse_qs(urlsplit(url).query).get(key)
    return values[0] if values else None


__all__ = [
    "DEFAULT_BASE_URL",
    "EU_BASE_URL",
    "MAX_LIMIT",
    "USER_LIMIT_HINT",
    "OpsgenieClient",
]
