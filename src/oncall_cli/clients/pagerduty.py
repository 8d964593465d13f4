"""Typed client of the PagerDuty REST API: users, teams, on-calls and escalation policies (v2), and
shift-based schedules with their rotations, events and overrides (`/v3/schedules`), one method per vendor
operation over the shared HTTP seam.

Built from `specs/pagerduty/openapiv3.json` (vendored subset: `sandbox/specs/pagerduty.json`) and the facts
in `specs/pagerduty/SOURCE.md`. Base `https://api.pagerduty.com` (setting `pagerduty.url`); every request
carries `Authorization: Token token=<key>` and `Accept: application/vnd.pagerduty+json;version=2`; writes
that act for a person (creating users, incident writes) carry `From: <email>`. Lists page with `offset` +
`limit` (≤ 100) and say `more: true` while records remain: every list here reads to the end. Errors are
`{"error": {"message", "code", "errors": [...]}}`; 429 comes with `ratelimit-limit`, `ratelimit-remaining`
and `ratelimit-reset` (seconds), which the retry policy honours (`clients/_http.py`).

Vendor reference: https://developer.pagerduty.com/api-reference/
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from oncall_cli.clients._http import HttpService, Runtime, paginate_offset
from oncall_cli.clients.pagerduty_models import (
    EscalationPolicy,
    Event,
    Oncall,
    OverrideShift,
    Reference,
    ScheduleRotation,
    ScheduleV3,
    Team,
    TeamMember,
    User,
)
from oncall_cli.errors import UnexpectedError, UsageError
from oncall_cli.redaction import register_secret

M = TypeVar("M", bound=BaseModel)

DEFAULT_BASE_URL = "https://api.pagerduty.com"
DOCS = "https://developer.pagerduty.com/api-reference/"
ACCEPT = "application/vnd.pagerduty+json;version=2"
MAX_LIMIT = 100
SERVICE = "PagerDuty"


def pagerduty_error_text(response: httpx.Response) -> str:
    """`{"error": {"message", "code", "errors": [...]}}` as `message (code N): error; error`, defensively."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return str(body)[:200]
    text = str(error.get("message") or "")
    if error.get("code") is not None:
        text += f" (code {error['code']})"
    details = error.get("errors")
    if isinstance(details, list) and details:
        text += ": " + "; ".join(str(d) for d in details)
    elif isinstance(details, dict) and details:  # the v3 form: field -> reasons
        text += ": " + "; ".join(
            f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in details.items()
        )
    return text.strip()


def _iso(value: datetime, field: str) -> str:
    """ISO 8601 with the datetime's own UTC offset (PagerDuty reads any offset)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise UsageError(f"{field} {value.isoformat()} has no time zone; give an aware datetime.")
    return value.isoformat(timespec="seconds")


def _segment(value: str, what: str) -> str:
    if not value:
        raise UsageError(f"A PagerDuty {what} id cannot be empty.")
    return quote(value, safe="")


class PagerDutyClient:
    """The PagerDuty REST API v2 of one account, over an injected `httpx.Client`."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        from_email: str = "",
        runtime: Runtime | None = None,
    ) -> None:
        register_secret(api_key)
        self.base_url = base_url.rstrip("/")
        """The base URL the client was given (for messages naming the setting)."""
        self.from_email = from_email
        """The `From` header of writes that act for a person (`pagerduty.from`)."""
        self.http = HttpService(
            name=SERVICE,
            client=http,
            base_url=self.base_url,
            auth=f"Token token={api_key}" if api_key else None,
            runtime=runtime,
            error_text=pagerduty_error_text,
        )

    # --- plumbing ------------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, Any]] | None = None,
        json: Any = None,
        acting: bool = False,
    ) -> Any:
        headers = {"Accept": ACCEPT}
        if json is not None:
            headers["Content-Type"] = "application/json"
        if acting:
            if not self.from_email:
                raise UsageError(
                    f"PagerDuty {method} {path} acts for a person and needs a From email",
                    hint="Set pagerduty.from (or me) to your PagerDuty login email.",
                )
            headers["From"] = self.from_email
        response = self.http.request(method, path, params=params, json=json, headers=headers)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise UnexpectedError(
                f"PagerDuty {method} {path} answered HTTP {response.status_code} with a non-JSON body",
                details={"service": SERVICE, "status": response.status_code},
            ) from exc

    @staticmethod
    def _parse(model: type[M], data: Any, what: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors(include_input=False)[0]
            raise UnexpectedError(
                f"PagerDuty returned an unexpected {what}: {first.get('msg')} at "
                f"{'.'.join(str(p) for p in first.get('loc', ()))}",
                details={"service": SERVICE, "model": model.__name__},
            ) from exc

    def _list(
        self, path: str, key: str, model: type[M], params: Sequence[tuple[str, Any]] = ()
    ) -> Iterator[M]:
        """Every record of an offset/limit list, page after page while the answer says `more`."""
        adapter = TypeAdapter(list[model])  # type: ignore[valid-type]

        def fetch(offset: int, limit: int) -> tuple[list[M], bool]:
            body = self._request("GET", path, params=[*params, ("offset", offset), ("limit", limit)])
            if not isinstance(body, dict) or not isinstance(body.get(key), list):
                raise UnexpectedError(
                    f"PagerDuty GET {path} answered without its {key!r} list", details={"service": SERVICE}
                )
            try:
                items: list[M] = adapter.validate_python(body[key])
            except ValidationError as exc:
                raise UnexpectedError(
                    f"PagerDuty GET {path} returned unexpected {key}: {exc.errors()[0]['msg']}",
                    details={"service": SERVICE},
                ) from exc
            return items, bool(body.get("more"))

        return paginate_offset(fetch, limit=MAX_LIMIT)

    # --- users and teams -----------------------------------------------------------------------------

    def check_key(self) -> None:
        """GET /users?limit=1: the cheapest call every key (account or user token) may make."""
        self._request("GET", "/users", params=[("limit", 1)])

    def list_users(self, *, query: str | None = None, team_ids: Sequence[str] = ()) -> list[User]:
        """GET /users (`query` matches names and emails; `team_ids[]` filters by team), every page."""
        params: list[tuple[str, Any]] = [("query", query)] if query else []
        params += [("team_ids[]", t) for t in team_ids]
        return list(self._list("/users", "users", User, params))

    def get_user(self, *, user_id: str) -> User:
        """GET /users/{id}."""
        body = self._request("GET", f"/users/{_segment(user_id, 'user')}")
        return self._parse(User, (body or {}).get("user"), "user")

    def create_user(self, *, name: str, email: str, time_zone: str | None, role: str = "user") -> User:
        """POST /users (needs `From`: the admin who creates the user)."""
        user: dict[str, Any] = {"type": "user", "name": name, "email": email, "role": role}
        if time_zone:
            user["time_zone"] = time_zone
        body = self._request("POST", "/users", json={"user": user}, acting=True)
        return self._parse(User, (body or {}).get("user"), "user")

    def delete_user(self, *, user_id: str) -> None:
        """DELETE /users/{id}."""
        self._request("DELETE", f"/users/{_segment(user_id, 'user')}")

    def list_teams(self, *, query: str | None = None) -> list[Team]:
        """GET /teams (`query` matches names), every page."""
        return list(self._list("/teams", "teams", Team, [("query", query)] if query else []))

    def list_team_members(self, *, team_id: str) -> list[TeamMember]:
        """GET /teams/{id}/members, every page."""
        return list(self._list(f"/teams/{_segment(team_id, 'team')}/members", "members", TeamMember))

    def add_team_user(self, *, team_id: str, user_id: str, role: str = "responder") -> None:
        """PUT /teams/{id}/users/{user_id} (`role`: observer | responder | manager)."""
        self._request(
            "PUT",
            f"/teams/{_segment(team_id, 'team')}/users/{_segment(user_id, 'user')}",
            json={"role": role},
        )

    # --- v3 (shift-based) schedules ------------------------------------------------------------------

    def list_schedules_v3(self, *, query: str | None = None) -> list[Reference]:
        """GET /v3/schedules (`query` matches names), every page: references (`schedule_v3_reference`)."""
        return list(self._list("/v3/schedules", "schedules", Reference, [("query", query)] if query else []))

    def get_schedule_v3(
        self, *, schedule_id: str, since: datetime | None = None, until: datetime | None = None
    ) -> ScheduleV3:
        """GET /v3/schedules/{id}: its rotations with their events, and with `since`/`until` the final
        schedule (`include[]=final_schedule`)."""
        params: list[tuple[str, Any]] = []
        if since is not None and until is not None:
            params = [
                ("include[]", "final_schedule"),
                ("since", _iso(since, "since")),
                ("until", _iso(until, "until")),
            ]
        body = self._request("GET", f"/v3/schedules/{_segment(schedule_id, 'schedule')}", params=params)
        return self._parse(ScheduleV3, (body or {}).get("schedule"), "schedule")

    def create_rotation_v3(self, *, schedule_id: str) -> ScheduleRotation:
        """POST /v3/schedules/{id}/rotations with an empty body (its events say everything)."""
        body = self._request("POST", f"/v3/schedules/{_segment(schedule_id, 'schedule')}/rotations", json={})
        return self._parse(ScheduleRotation, (body or {}).get("rotation"), "rotation")

    def delete_rotation_v3(self, *, schedule_id: str, rotation_id: str) -> None:
        """DELETE /v3/schedules/{id}/rotations/{rotation_id}."""
        self._request(
            "DELETE",
            f"/v3/schedules/{_segment(schedule_id, 'schedule')}/rotations/"
            f"{_segment(rotation_id, 'rotation')}",
        )

    @staticmethod
    def _event_wire(event: Event) -> dict[str, Any]:
        item: dict[str, Any] = {
            "name": event.name,
            "start_time": {
                "date_time": _iso(event.start_time.date_time, "start_time"),
                "time_zone": event.start_time.time_zone,
            },
            "end_time": {
                "date_time": _iso(event.end_time.date_time, "end_time"),
                "time_zone": event.end_time.time_zone,
            },
            "effective_since": _iso(event.effective_since, "effective_since"),
            "recurrence": list(event.recurrence),
            "assignment_strategy": event.assignment_strategy.to_wire(),
        }
        if event.effective_until is not None:
            item["effective_until"] = _iso(event.effective_until, "effective_until")
        return item

    def create_event(self, *, schedule_id: str, rotation_id: str, event: Event) -> Event:
        """POST /v3/schedules/{id}/rotations/{rotation_id}/events (at most 5 per rotation, none overlapping;
        an `effective_since` in the past is clamped to now)."""
        body = self._request(
            "POST",
            f"/v3/schedules/{_segment(schedule_id, 'schedule')}/rotations/"
            f"{_segment(rotation_id, 'rotation')}/events",
            json={"event": self._event_wire(event)},
        )
        return self._parse(Event, (body or {}).get("event"), "event")

    def update_event(
        self,
        *,
        schedule_id: str,
        rotation_id: str,
        event_id: str,
        event: Event | None = None,
        effective_until: datetime | None = None,
    ) -> Event:
        """PUT /v3/schedules/{id}/rotations/{rotation_id}/events/{event_id}: every field of a future event
        (`event`), or only `effective_until` (an event already producing shifts)."""
        wire = self._event_wire(event) if event is not None else {}
        if effective_until is not None:
            wire["effective_until"] = _iso(effective_until, "effective_until")
        body = self._request(
            "PUT",
            f"/v3/schedules/{_segment(schedule_id, 'schedule')}/rotations/"
            f"{_segment(rotation_id, 'rotation')}/events/{_segment(event_id, 'event')}",
            json={"event": wire},
        )
        return self._parse(Event, (body or {}).get("event"), "event")

    def list_overrides_v3(self, *, schedule_id: str, since: datetime, until: datetime) -> list[OverrideShift]:
        """GET /v3/schedules/{id}/overrides between `since` and `until` (both required), every page."""
        return list(
            self._list(
                f"/v3/schedules/{_segment(schedule_id, 'schedule')}/overrides",
                "overrides",
                OverrideShift,
                [("since", _iso(since, "since")), ("until", _iso(until, "until"))],
            )
        )

    def create_overrides_v3(
        self, *, schedule_id: str, overrides: Sequence[OverrideShift]
    ) -> list[OverrideShift]:
        """POST /v3/schedules/{id}/overrides: each on a rotation (`rotation_id`), naming the member it
        replaces (`overridden_member`, an empty member on an empty turn) and who takes it."""
        payload = {
            "overrides": [
                {
                    "type": "override_shift",
                    "rotation_id": o.rotation_id,
                    "start_time": _iso(o.start_time, "start_time"),
                    "end_time": _iso(o.end_time, "end_time"),
                    "overridden_member": o.overridden_member.to_wire(),
                    "overriding_member": o.overriding_member.to_wire(),
                }
                for o in overrides
            ]
        }
        body = self._request(
            "POST", f"/v3/schedules/{_segment(schedule_id, 'schedule')}/overrides", json=payload
        )
        items = (body or {}).get("overrides")
        return [self._parse(OverrideShift, item, "override") for item in items or []]

    def delete_override_v3(self, *, schedule_id: str, override_id: str) -> None:
        """DELETE /v3/schedules/{id}/overrides/{override_id}."""
        self._request(
            "DELETE",
            f"/v3/schedules/{_segment(schedule_id, 'schedule')}/overrides/"
            f"{_segment(override_id, 'override')}",
        )

    # --- on-calls and escalation policies ------------------------------------------------------------

    def list_oncalls(
        self,
        *,
        schedule_ids: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        earliest: bool = False,
    ) -> list[Oncall]:
        """GET /oncalls for the schedules (`schedule_ids[]`), at `since` (now when None) or over
        [since, until); `earliest` keeps the first on-call of each level/schedule only."""
        params: list[tuple[str, Any]] = [("schedule_ids[]", s) for s in schedule_ids]
        if since is not None:
            params.append(("since", _iso(since, "since")))
            params.append(("until", _iso(until or since, "until")))
        if earliest:
            params.append(("earliest", "true"))
        return list(self._list("/oncalls", "oncalls", Oncall, params))

    def list_escalation_policies(self, *, query: str | None = None) -> list[EscalationPolicy]:
        """GET /escalation_policies (`query` matches names), every page."""
        return list(
            self._list(
                "/escalation_policies",
                "escalation_policies",
                EscalationPolicy,
                [("query", query)] if query else [],
            )
        )


__all__ = ["DOCS", "PagerDutyClient", "pagerduty_error_text"]
