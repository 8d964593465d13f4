"""Statuspage manage API v1 client: one method per operation of `statuspage-openapi3.json`.

Base `https://api.statuspage.io/v1`, header `Authorization: OAuth <key>`. Request bodies wrap the resource
(`{"incident": {...}}`), answers are the bare resource. The API allows 1 request per second per key: a
`RateLimiter` spaces our requests; 420 and 429 with `Retry-After` are retried by HttpService. Error bodies are
`{"message"}` at best, sometimes `{"error": ...}`, HTML or empty: `statuspage_error_text` reads them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from oncall_cli.clients._http import HttpService, RateLimiter, Runtime, paginate_pages
from oncall_cli.clients.statuspage_models import (
    Component,
    ComponentPatch,
    ComponentStatus,
    ImpactOverride,
    Incident,
    IncidentCreate,
    IncidentPatch,
    IncidentStatus,
    Page,
)
from oncall_cli.errors import ConfigError, NotFoundError, UnexpectedError, UsageError
from oncall_cli.redaction import register_secret

DOCS = "https://developer.statuspage.io/"
MAX_PER_PAGE = 100  # "a default and maximum limit of 100" (the spec's `maximum: 1100` is wrong)
REQUESTS_PER_SECOND = 1.0

T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)

_PAGE = TypeAdapter(Page)
_COMPONENT = TypeAdapter(Component)
_INCIDENT = TypeAdapter(Incident)
_COMPONENTS = TypeAdapter(list[Component])
_INCIDENTS = TypeAdapter(list[Incident])


# ---- error bodies -----------------------------------------------------------------------------------------

_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_MAX_ERROR_TEXT = 300


def _html_text(text: str) -> str:
    title = _TITLE.search(text)
    if title and title.group(1).strip():
        return _SPACE.sub(" ", _TAG.sub(" ", title.group(1))).strip()
    return _SPACE.sub(" ", _TAG.sub(" ", _SCRIPT_OR_STYLE.sub(" ", text))).strip()


def _message_of(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, str):
        return body.strip()
    if isinstance(body, list):
        return "; ".join(m for m in (_message_of(item) for item in body) if m)
    if isinstance(body, dict):
        for key in ("message", "error", "errors", "detail"):
            value = body.get(key)
            if isinstance(value, dict) and value:
                return "; ".join(f"{k}: {_message_of(v)}" for k, v in value.items())
            if value:
                return _message_of(value)
        return ""
    return str(body)


def statuspage_error_text(response: httpx.Response) -> str:
    """The message of a Statuspage error body: `{"message"}`, `{"error": str | list}`, HTML, text or empty."""
    try:
        text = response.text
    except (UnicodeDecodeError, LookupError):
        return ""
    if not text.strip():
        return ""
    try:
        body = response.json()
    except ValueError:
        message = _html_text(text) if "<" in text else _SPACE.sub(" ", text).strip()
    else:
        message = _message_of(body)
    return message[:_MAX_ERROR_TEXT]


# ---- the client -------------------------------------------------------------------------------------------


class StatuspageClient:
    """Typed Statuspage client for one page, over an injected `httpx.Client`."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        api_key: str | None,
        page_id: str | None,
        base_url: str = "https://api.statuspage.io",
        runtime: Runtime | None = None,
        pacer_file: Path | None = None,
    ) -> None:
        """`pacer_file`: share the request pacing with every process using that file (`RateLimiter`)."""
        register_secret(api_key)
        rt = runtime or Runtime()
        self._page_id = page_id
        self._http = HttpService(
            name="Statuspage",
            client=client,
            base_url=base_url.rstrip("/") + "/v1",
            auth=f"OAuth {api_key}" if api_key else None,
            runtime=rt,
            # Shared between processes, the pacing needs a clock they agree on: the wall clock.
            limiter=RateLimiter(
                1.0 / REQUESTS_PER_SECOND,
                clock=rt.wall if pacer_file is not None else rt.clock,
                sleep=rt.sleep,
                shared=pacer_file,
            ),
            error_text=statuspage_error_text,
        )

    @property
    def page_id(self) -> str:
        """The configured page id; every operation needs it."""
        if not self._page_id:
            raise ConfigError(
                "No Statuspage page id is configured.",
                hint="Set `statuspage.page_id` in the config file or the ONCALL_STATUSPAGE_PAGE_ID "
                     "environment variable (the id is on the page's API info screen).",
            )
        return self._page_id

    def _path(self, *segments: str) -> str:
        return "/".join(["pages", quote(self.page_id, safe=""), *(quote(s, safe="") for s in segments)])

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        response = self._http.request(method, path, params=params, json=json, idempotent=idempotent)
        try:
            return response.json()
        except ValueError as exc:
            raise UnexpectedError(
                f"Statuspage {method} {path} answered HTTP {response.status_code} with a non-JSON body",
                details={"service": "Statuspage", "method": method, "path": path},
            ) from exc

    @staticmethod
    def _parse(adapter: TypeAdapter[T], body: Any, where: str) -> T:
        try:
            return adapter.validate_python(body)
        except ValidationError as exc:
            first = exc.errors(include_input=False)[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise UnexpectedError(
                f"Statuspage {where} answered in a shape we cannot read ({loc}: {first['msg']})",
                details={"service": "Statuspage", "operation": where},
            ) from exc

    @staticmethod
    def _request_body(model: type[R], values: Mapping[str, Any]) -> dict[str, Any]:
        try:
            request = model.model_validate({k: v for k, v in values.items() if v is not None})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False)
            )
            raise UsageError(f"Invalid Statuspage request: {problems}") from exc
        return request.model_dump(mode="json", exclude_none=True)

    # -- pages

    def get_page(self) -> Page:
        """GET /v1/pages/{page_id} — the page's profile (a cheap check of the key and the page id).

        https://developer.statuspage.io/#operation/getPagesPageId
        """
        path = self._path()
        return self._parse(_PAGE, self._send("GET", path), "GET /pages/{page_id}")

    # -- components

    def list_components(self, *, page: int = 1, per_page: int = MAX_PER_PAGE) -> list[Component]:
        """GET /v1/pages/{page_id}/components — one page of components (`page`, `per_page` ≤ 100).

        https://developer.statuspage.io/#operation/getPagesPageIdComponents

        The endpoint pages its answer even when not asked to (since 2023-02-28): use `iter_components`.
        """
        _check_per_page(per_page)
        body = self._send("GET", self._path("components"), params={"page": page, "per_page": per_page})
        return self._parse(_COMPONENTS, body, "GET /pages/{page_id}/components")

    def iter_components(self, *, per_page: int = MAX_PER_PAGE) -> Iterator[Component]:
        """Every component (groups included), page by page until a short page."""
        _check_per_page(per_page)
        return paginate_pages(lambda page, size: self.list_components(page=page, per_page=size),
                              per_page=per_page)

    def find_components(
        self, names: Iterable[str], *, among: Sequence[Component] | None = None
    ) -> dict[str, Component]:
        """The components with these display names, keyed by the names as given.

        Exact names win over case-insensitive matches, components over component groups. Raises
        NotFoundError naming the unknown names and the known ones, UsageError if a name stays ambiguous.
        `among`: the page's components as already read (`iter_components`), else they are read now.
        """
        wanted = list(dict.fromkeys(names))
        if not wanted:
            return {}
        components = list(self.iter_components()) if among is None else list(among)
        found: dict[str, Component] = {}
        unknown: list[str] = []
        for name in wanted:
            match = _pick_component(name, components)
            if match is None:
                unknown.append(name)
            else:
                found[name] = match
        if unknown:
            known = sorted({c.name for c in components}, key=str.casefold)
            raise NotFoundError(
                f"Unknown Statuspage component(s): {', '.join(unknown)}. "
                f"Known: {', '.join(known) if known else '(none)'}",
                hint="Use the component names exactly as the status page shows them.",
                details={"service": "Statuspage", "unknown": unknown, "known": known},
            )
        return found

    def update_component(self, *, component_id: str, status: ComponentStatus) -> Component:
        """PATCH /v1/pages/{page_id}/components/{component_id} — set a component's status.

        https://developer.statuspage.io/#operation/patchPagesPageIdComponentsComponentId
        """
        body = {"component": self._request_body(ComponentPatch, {"status": status})}
        path = self._path("components", component_id)
        # Setting the same status twice has the same effect: safe to retry on 5xx.
        answer = self._send("PATCH", path, json=body, idempotent=True)
        return self._parse(_COMPONENT, answer, "PATCH /pages/{page_id}/components/{component_id}")

    # -- incidents

    def create_incident(
        self,
        *,
        name: str,
        status: IncidentStatus = "investigating",
        body: str | None = None,
        impact_override: ImpactOverride | None = None,
        component_ids: Sequence[str] | None = None,
        components: Mapping[str, ComponentStatus] | None = None,
        deliver_notifications: bool = True,
        metadata: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Incident:
        """POST /v1/pages/{page_id}/incidents — open a realtime incident; `body` is its first update.

        https://developer.statuspage.io/#operation/postPagesPageIdIncidents

        `components` sets component statuses (`{component_id: status}`); their ids are added to
        `component_ids`. `deliver_notifications=False` opens it without notifying subscribers.
        """
        values = {
            "name": name,
            "status": status,
            "body": body,
            "impact_override": impact_override,
            "component_ids": _component_ids(component_ids, components),
            "components": dict(components) if components else None,
            "deliver_notifications": deliver_notifications,
            "metadata": dict(metadata) if metadata else None,
        }
        request = {"incident": self._request_body(IncidentCreate, values)}
        answer = self._send("POST", self._path("incidents"), json=request, idempotent=False)
        return self._parse(_INCIDENT, answer, "POST /pages/{page_id}/incidents")

    def update_incident(
        self,
        *,
        incident_id: str,
        status: IncidentStatus | None = None,
        body: str | None = None,
        name: str | None = None,
        impact_override: ImpactOverride | None = None,
        component_ids: Sequence[str] | None = None,
        components: Mapping[str, ComponentStatus] | None = None,
        deliver_notifications: bool = True,
        metadata: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Incident:
        """PATCH /v1/pages/{page_id}/incidents/{incident_id} — change an incident; `status` + `body` posts
        a new public update (there is no endpoint that creates an update).

        https://developer.statuspage.io/#operation/patchPagesPageIdIncidentsIncidentId

        Not retried once it may have reached the server: a retry could post the update twice.
        """
        values = {
            "status": status,
            "body": body,
            "name": name,
            "impact_override": impact_override,
            "component_ids": _component_ids(component_ids, components),
            "components": dict(components) if components else None,
            "deliver_notifications": deliver_notifications,
            "metadata": dict(metadata) if metadata else None,
        }
        request = {"incident": self._request_body(IncidentPatch, values)}
        path = self._path("incidents", incident_id)
        answer = self._send("PATCH", path, json=request, idempotent=False)
        return self._parse(_INCIDENT, answer, "PATCH /pages/{page_id}/incidents/{incident_id}")

    def get_incident(self, *, incident_id: str) -> Incident:
        """GET /v1/pages/{page_id}/incidents/{incident_id} — one incident with its updates.

        https://developer.statuspage.io/#operation/getPagesPageIdIncidentsIncidentId
        """
        answer = self._send("GET", self._path("incidents", incident_id))
        return self._parse(_INCIDENT, answer, "GET /pages/{page_id}/incidents/{incident_id}")

    def list_incidents(self, *, q: str | None = None, page: int = 1, limit: int = MAX_PER_PAGE
                       ) -> list[Incident]:
        """GET /v1/pages/{page_id}/incidents — one page of incidents, newest first.

        https://developer.statuspage.io/#operation/getPagesPageIdIncidents

        `q` searches names, statuses, postmortems and updates. This endpoint pages with `limit` (≤ 100),
        not `per_page`.
        """
        _check_per_page(limit)
        params: dict[str, Any] = {"page": page, "limit": limit}
        if q:
            params["q"] = q
        answer = self._send("GET", self._path("incidents"), params=params)
        return self._parse(_INCIDENTS, answer, "GET /pages/{page_id}/incidents")

    def iter_incidents(self, *, q: str | None = None, limit: int = MAX_PER_PAGE) -> Iterator[Incident]:
        """Every incident (matching `q`), page by page until a short page. Mind 1 request per second."""
        _check_per_page(limit)
        return paginate_pages(lambda page, size: self.list_incidents(q=q, page=page, limit=size),
                              per_page=limit)

    def list_unresolved_incidents(self, *, page: int = 1, per_page: int = MAX_PER_PAGE) -> list[Incident]:
        """GET /v1/pages/{page_id}/incidents/unresolved — one page of open realtime incidents.

        https://developer.statuspage.io/#operation/getPagesPageIdIncidentsUnresolved
        """
        _check_per_page(per_page)
        params = {"page": page, "per_page": per_page}
        answer = self._send("GET", self._path("incidents", "unresolved"), params=params)
        return self._parse(_INCIDENTS, answer, "GET /pages/{page_id}/incidents/unresolved")

    def iter_unresolved_incidents(self, *, per_page: int = MAX_PER_PAGE) -> Iterator[Incident]:
        """Every unresolved incident, page by page until a short page."""
        _check_per_page(per_page)
        return paginate_pages(lambda page, size: self.list_unresolved_incidents(page=page, per_page=size),
                              per_page=per_page)


# ---- helpers ----------------------------------------------------------------------------------------------


def _check_per_page(per_page: int) -> None:
    # Asking for more than the server's cap would make the first (capped) page look short and end paging.
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}")


def _component_ids(ids: Sequence[str] | None, components: Mapping[str, ComponentStatus] | None
                   ) -> list[str] | None:
    merged = list(dict.fromkeys([*(ids or ()), *(components or {})]))
    return merged or None


def _pick_component(name: str, components: Sequence[Component]) -> Component | None:
    for candidates in ([c for c in components if c.name == name],
                       [c for c in components if c.name.casefold() == name.casefold()]):
        if len(candidates) > 1:
            candidates = [c for c in candidates if not c.group] or candidates
        if len(candidates) > 1:
            raise UsageError(
                f"Statuspage component name {name!r} is ambiguous: ids {', '.join(c.id for c in candidates)}",
                hint="Rename one of the components on the status page.",
            )
        if candidates:
            return candidates[0]
    return None
