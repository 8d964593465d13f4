"""What the Atlassian clients share (the Jira site, JSM Operations and the JSM Incident API on the gateway):
one credential (Basic `email:api_token`), JSON bodies read defensively, and wire models checked the same way.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from oncall_cli.clients._http import HttpService, Runtime
from oncall_cli.errors import ConfigError, UnexpectedError
from oncall_cli.redaction import register_secret

M = TypeVar("M", bound=BaseModel)


def basic_auth(email: str, api_token: str) -> str:
    """The `Authorization` value of Atlassian Basic auth (`email:api_token`)."""
    return "Basic " + base64.b64encode(f"{email}:{api_token}".encode()).decode("ascii")


def atlassian_service(
    http: httpx.Client,
    *,
    name: str,
    email: str,
    api_token: str,
    base_url: str,
    runtime: Runtime | None,
    error_text: Callable[[httpx.Response], str],
) -> HttpService:
    """The HTTP seam of one Atlassian API with the account's credential. The token and the header built from
    it are registered as secrets, so they are masked even if a body echoes them."""
    auth = basic_auth(email, api_token) if email and api_token else None
    register_secret(api_token)
    if auth:
        register_secret(auth.removeprefix("Basic "))
    return HttpService(
        name=name, client=http, base_url=base_url, auth=auth, runtime=runtime, error_text=error_text
    )


def require_cloud_id(cloud_id: str, api: str) -> str:
    """The site's cloud id, which every gateway operation needs; a ConfigError saying where it comes from."""
    if not cloud_id:
        raise ConfigError(
            f"No Atlassian cloud id is configured for {api}.",
            hint="Set the site's cloud id in the config; "
            "`GET https://<site>.atlassian.net/_edge/tenant_info` answers it (`JiraClient.tenant_info`).",
        )
    return cloud_id


def json_of(response: httpx.Response, service: str) -> Any:
    """The response's JSON body; an UnexpectedError naming the call when it is not JSON."""
    try:
        return response.json()
    except ValueError as exc:
        raise UnexpectedError(
            f"{service} {response.request.method} {response.request.url.path} answered HTTP "
            f"{response.status_code} with a body that is not JSON",
            details={"service": service, "status": response.status_code},
        ) from exc


def _unexpected(exc: ValidationError, what: str, service: str, model: type[BaseModel]) -> UnexpectedError:
    first = exc.errors(include_input=False)[0]
    return UnexpectedError(
        f"{service} returned an unexpected {what}: {first.get('msg', exc)}"
        f" at {'.'.join(str(p) for p in first.get('loc', ()))}",
        details={"service": service, "model": model.__name__},
    )


def parse(model: type[M], data: Any, what: str, service: str) -> M:
    """`data` as the wire model; an UnexpectedError naming the first field that does not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _unexpected(exc, what, service, model) from exc


@functools.cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    """A validator for `list[model]`, built once per model."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def parse_list(model: type[M], data: Any, what: str, service: str) -> list[M]:
    """`data` (None: empty) as a list of the wire model."""
    try:
        items: list[M] = _list_adapter(model).validate_python(data or [])
        return items
    except ValidationError as exc:
        raise _unexpected(exc, f"list of {what}", service, model) from exc


_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_MAX_ERROR_TEXT = 300


def error_text(response: httpx.Response, *, message_first: bool = False) -> str:
    """An Atlassian error body as one line, whichever shape it has: Jira's `{"errorMessages": [...],
    "errors": {field: message}}`, JSM's `{"errors": [{"title", "code"}]}`, the gateway's `{"code",
    "message"}`, HTML or plain text. `message_first`: the top-level message leads (JSM), else it is used
    only when nothing else says what is wrong (Jira)."""
    try:
        body = response.json()
    except ValueError:
        text = response.text
        return _SPACE.sub(" ", _TAG.sub(" ", text) if "<" in text else text).strip()[:_MAX_ERROR_TEXT]
    if not isinstance(body, dict):
        return str(body)[:_MAX_ERROR_TEXT]
    message = str(body.get("message") or body.get("error") or "").strip()
    parts: list[str] = [message] if message_first and message else []
    messages = body.get("errorMessages")
    if isinstance(messages, list):
        parts.extend(str(m).strip() for m in messages if m)
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts.extend(f"{field}: {problem}" for field, problem in errors.items())
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                title = str(item.get("title") or item.get("message") or "").strip()
                code = str(item.get("code") or "").strip()
                parts.append(f"{title} ({code})" if title and code else title or code)
            elif item:
                parts.append(str(item))
    if message and not message_first and not parts:
        parts.append(message)
    return "; ".join(p for p in parts if p)[:_MAX_ERROR_TEXT]
