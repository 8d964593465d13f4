"""Regenerate the sandbox's vendored spec subsets from the vendors' full specs in shared/specs.

    python scripts/vendor_specs.py [SPECS_DIR]    # default: ../shared/specs, else /work/shared/specs

Writes src/oncall_cli/sandbox/specs/{opsgenie,slack,statuspage,jsm-ops,jira,jsm-servicedesk,pagerduty}.json:
only the
operations the CLI uses, with every definition / parameter / response / component they reference,
descriptions and examples dropped. The sandbox validates every request and response against these
(oncall_cli/sandbox/validation.py), and tests/sandbox/test_validation.py checks that the vendored files equal
a fresh `extract()`. (specs/atlassian-teams.json and specs/jsm-incidents.json are not generated: the Teams
public API and the JSM Incident API have no spec file here; they are transcribed by hand from the public
docs, see their `info.description`.)

Where the vendors' specs are silent or wrong, this script adds or patches, and marks each change with an
`x-oncall-*` key so it never passes for the vendor's word:
- Opsgenie: the Service API comes from the unmerged PR #53 sketch; incident actions missing from the spec
  (resolve, reopen, notes, responders, tags, details, priority) and the incident-timeline API come from the
  official Go/Node SDKs and docs.opsgenie.com (`x-oncall-source`).
- Slack: every answer may carry `warning` and `response_metadata` (cursors, warnings), which the 2020 spec
  omits from some closed schemas; each method's arguments and error codes are merged with the current docs
  (docs-slack-dev-methods: `required` flags, arguments newer than the 2020 spec, current error codes);
  bookmarks.add is missing from the spec and is built from the docs alone; in chat.scheduledMessages.list
  `channel_id` is any conversation id (a DM's `D...` too, as chat.scheduleMessage answers), not only `C...`;
  a message keeps `edited` and a reply in conversations.replies carries `bot_id`/`bot_profile` (the 2020
  spec's closed schemas leave them out; the real API sends them).
- Statuspage: the incident payloads' `components` map (written with one literal random key) becomes a map
  of component id -> status; `"type": "Object"` becomes `"object"`; the 18 incident fields the API sends as
  `null` when unset (`resolved_at`, `impact_override`, ...) are `nullable`.
- JSM Operations (jsm-ops-excerpt.openapi.yaml, read with PyYAML): path-level parameters (`cloudId`,
  `scheduleId`) are copied into each operation; the `oneOf` alternatives of the on-call answers and of
  `timeRestriction` overlap (no `required`, no discriminating enum, so every instance matches both and
  `oneOf` fails): each alternative gets its own `required` key or `type` value; a responder's `id` may be
  null ("Null if the type is `noone`", as the schema's own description says).
- Jira platform: `GET /_edge/tenant_info` (the site's cloud id, documented in jira/SOURCE.md and
  jsm-ops/SOURCE.md, not in the platform spec) is added; per-operation security and `x-atlassian-*`
  annotations are dropped. The issue search is the enhanced `/rest/api/3/search/jql` (the spec marks
  `/rest/api/3/search` deprecated); both priority lists are vendored (the spec marks both deprecated).
- PagerDuty (pagerduty/openapiv3.json, REST API v2 and v3 schedules): the generic error body, which the spec
  writes once inside `components.responses.Conflict` and references by a JSON pointer into that response
  (`#/components/responses/Conflict/content/application~1json/schema`), becomes the schema `Error`; a
  schema referenced by a pointer into another (`#/components/schemas/Tag/allOf/0`) is kept whole. The
  schedules are the v3 (shift-based) ones (`/v3/schedules`, rotations, events, overrides). An incident
  body's `details` is a string or an object (the schema says object; its own `POST /incidents` example
  sends a string).
- JSM service desk (jira/jsm-servicedesk.v3.json): vendored as is into jsm-servicedesk.json, which the
  sandbox merges with jira.json (the Jira site serves both; they share one identical component,
  JsonTypeBean).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "src" / "oncall_cli" / "sandbox" / "specs"

OPSGENIE_OPERATIONS: tuple[str, ...] = (
    "GET /v2/account",
    "GET /v2/users",
    "POST /v2/users",
    "GET /v2/users/{identifier}",
    "PATCH /v2/users/{identifier}",
    "DELETE /v2/users/{identifier}",
    "GET /v2/teams",
    "GET /v2/teams/{identifier}",
    "POST /v2/teams/{identifier}/members",
    "DELETE /v2/teams/{identifier}/members/{memberIdentifier}",
    "GET /v1/services",
    "GET /v1/services/{identifier}",
    "GET /v2/schedules",
    "GET /v2/schedules/{identifier}",
    "GET /v2/schedules/{identifier}/timeline",
    "GET /v2/schedules/on-calls",
    "GET /v2/schedules/{identifier}/on-calls",
    "GET /v2/schedules/{identifier}/next-on-calls",
    "GET /v2/schedules/{identifier}/rotations",
    "POST /v2/schedules/{identifier}/rotations",
    "GET /v2/schedules/{identifier}/rotations/{id}",
    "PATCH /v2/schedules/{identifier}/rotations/{id}",
    "DELETE /v2/schedules/{identifier}/rotations/{id}",
    "GET /v2/schedules/{identifier}/overrides",
    "POST /v2/schedules/{identifier}/overrides",
    "GET /v2/schedules/{identifier}/overrides/{alias}",
    "PUT /v2/schedules/{identifier}/overrides/{alias}",
    "DELETE /v2/schedules/{identifier}/overrides/{alias}",
    "GET /v1/incidents/requests/{requestId}",
    "POST /v1/incidents/create",
    "GET /v1/incidents/{identifier}",
    "DELETE /v1/incidents/{identifier}",
    "GET /v1/incidents/",
    "POST /v1/incidents/{identifier}/close",
    "POST /v1/incidents/{identifier}/resolve",
    "POST /v1/incidents/{identifier}/reopen",
    "POST /v1/incidents/{identifier}/notes",
    "GET /v1/incidents/{identifier}/notes",
    "POST /v1/incidents/{identifier}/responders",
    "POST /v1/incidents/{identifier}/tags",
    "DELETE /v1/incidents/{identifier}/tags",
    "POST /v1/incidents/{identifier}/details",
    "DELETE /v1/incidents/{identifier}/details",
    "PUT /v1/incidents/{identifier}/priority",
    "POST /v2/incident-timelines/{incidentId}/entries",
    "GET /v2/incident-timelines/{incidentId}/entries",
    "GET /v2/alerts/requests/{requestId}",
    "POST /v2/alerts",
    "GET /v2/alerts",
    "GET /v2/alerts/count",
    "GET /v2/alerts/{identifier}",
    "POST /v2/alerts/{identifier}/acknowledge",
    "POST /v2/alerts/{identifier}/close",
    "POST /v2/alerts/{identifier}/notes",
    "GET /v2/alerts/{identifier}/notes",
    "POST /v2/alerts/{identifier}/tags",
    "GET /v2/schedules/{identifier}.ics",
)

SLACK_METHODS: tuple[str, ...] = (
    "auth.test",
    "bookmarks.add",
    "chat.deleteScheduledMessage",
    "chat.getPermalink",
    "chat.postMessage",
    "chat.scheduleMessage",
    "chat.scheduledMessages.list",
    "chat.update",
    "conversations.archive",
    "conversations.create",
    "conversations.history",
    "conversations.info",
    "conversations.invite",
    "conversations.join",
    "conversations.list",
    "conversations.members",
    "conversations.open",
    "conversations.rename",
    "conversations.replies",
    "conversations.setPurpose",
    "conversations.setTopic",
    "conversations.unarchive",
    "pins.add",
    "reminders.add",
    "usergroups.users.list",
    "users.info",
    "users.list",
    "users.lookupByEmail",
)

STATUSPAGE_OPERATIONS: tuple[str, ...] = (
    "GET /pages",
    "GET /pages/{page_id}",
    "GET /pages/{page_id}/components",
    "GET /pages/{page_id}/components/{component_id}",
    "PATCH /pages/{page_id}/components/{component_id}",
    "PUT /pages/{page_id}/components/{component_id}",
    "GET /pages/{page_id}/incidents",
    "POST /pages/{page_id}/incidents",
    "GET /pages/{page_id}/incidents/unresolved",
    "GET /pages/{page_id}/incidents/{incident_id}",
    "PATCH /pages/{page_id}/incidents/{incident_id}",
    "PUT /pages/{page_id}/incidents/{incident_id}",
    "DELETE /pages/{page_id}/incidents/{incident_id}",
    "PATCH /pages/{page_id}/incidents/{incident_id}/incident_updates/{incident_update_id}",
    "PUT /pages/{page_id}/incidents/{incident_id}/incident_updates/{incident_update_id}",
)

JSM_OPS_OPERATIONS: tuple[str, ...] = (
    "GET /api/{cloudId}/v1/schedules",
    "GET /api/{cloudId}/v1/schedules/{id}",
    "GET /api/{cloudId}/v1/schedules/{scheduleId}/rotations",
    "POST /api/{cloudId}/v1/schedules/{scheduleId}/rotations",
    "GET /api/{cloudId}/v1/schedules/{scheduleId}/rotations/{id}",
    "PATCH /api/{cloudId}/v1/schedules/{scheduleId}/rotations/{id}",
    "DELETE /api/{cloudId}/v1/schedules/{scheduleId}/rotations/{id}",
    "GET /api/{cloudId}/v1/schedules/{scheduleId}/overrides",
    "POST /api/{cloudId}/v1/schedules/{scheduleId}/overrides",
    "GET /api/{cloudId}/v1/schedules/{scheduleId}/overrides/{alias}",
    "PUT /api/{cloudId}/v1/schedules/{scheduleId}/overrides/{alias}",
    "DELETE /api/{cloudId}/v1/schedules/{scheduleId}/overrides/{alias}",
    "GET /api/{cloudId}/v1/schedules/{scheduleId}/timeline",
    "GET /api/{cloudId}/v1/schedules/{scheduleId}/on-calls",
    "GET /api/{cloudId}/v1/schedules/{scheduleId}/next-on-calls",
    "GET /api/{cloudId}/v1/teams",
    "GET /api/{cloudId}/v1/alerts/requests/{id}",
    "GET /api/{cloudId}/v1/alerts",
    "GET /api/{cloudId}/v1/alerts/{id}",
    "POST /api/{cloudId}/v1/alerts/{id}/acknowledge",
    "POST /api/{cloudId}/v1/alerts/{id}/close",
    "POST /api/{cloudId}/v1/alerts/{id}/tags",
)

JIRA_OPERATIONS: tuple[str, ...] = (
    "GET /rest/api/3/myself",
    "GET /rest/api/3/user",
    "GET /rest/api/3/user/search",
    "GET /rest/api/3/user/bulk",
    "GET /rest/api/3/user/properties/{propertyKey}",
    "PUT /rest/api/3/user/properties/{propertyKey}",
    "DELETE /rest/api/3/user/properties/{propertyKey}",
    "GET /_edge/tenant_info",
    # issues (sandbox/jira_issues.py)
    "POST /rest/api/3/issue",
    "GET /rest/api/3/issue/{issueIdOrKey}",
    "PUT /rest/api/3/issue/{issueIdOrKey}",
    "GET /rest/api/3/search/jql",
    "POST /rest/api/3/search/jql",
    "GET /rest/api/3/priority",
    "GET /rest/api/3/priority/search",
    "GET /rest/api/3/issue/{issueIdOrKey}/transitions",
    "POST /rest/api/3/issue/{issueIdOrKey}/transitions",
    "GET /rest/api/3/issue/{issueIdOrKey}/comment",
    "POST /rest/api/3/issue/{issueIdOrKey}/comment",
    "GET /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}",
    "PUT /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}",
    "DELETE /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}",
    "POST /rest/api/3/issueLink",
    "GET /rest/api/3/issueLinkType",
    "GET /rest/api/3/project/{projectIdOrKey}",
)

JSM_SERVICEDESK_OPERATIONS: tuple[str, ...] = (
    "GET /rest/servicedeskapi/servicedesk",
    "GET /rest/servicedeskapi/servicedesk/{serviceDeskId}/requesttype",
    "POST /rest/servicedeskapi/request",
    "GET /rest/servicedeskapi/request/{issueIdOrKey}/comment",
    "POST /rest/servicedeskapi/request/{issueIdOrKey}/comment",
)

_DROP_KEYS = {
    "description",
    "summary",
    "example",
    "examples",
    "externalDocs",
    "x-code-samples",
    "tags",
    "x-opsgenie-domain",
    "x-collapse-params",
    "title",
    "headers",
}


def _strip(node: Any, *, in_properties: bool = False) -> Any:
    """Drop prose and examples; keep property *names* that happen to be called "description"."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if (
                not in_properties
                and key in _DROP_KEYS
                and (key != "tags" or (isinstance(value, list) and all(isinstance(v, str) for v in value)))
            ):
                continue
            out[key] = _strip(value, in_properties=(key == "properties" and not in_properties))
        return out
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value)
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _closure(doc: dict[str, Any], roots: Any) -> dict[str, dict[str, Any]]:
    """Every `#/a/b` target reachable from `roots`, as {a: {b: node}} (one level of nesting: a/b or a/b/c)."""
    out: dict[str, dict[str, Any]] = {}
    todo = sorted(_refs(roots))
    seen: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parts = ref.lstrip("#/").split("/")
        node: Any = doc
        for part in parts:
            node = node[part]
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = node
        todo.extend(sorted(_refs(node) - seen))
    return out


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    for key, value in b.items():
        if isinstance(value, dict) and isinstance(a.get(key), dict):
            _merge(a[key], value)
        else:
            a[key] = value
    return a


def _load_yaml(path: Path) -> Any:
    import yaml  # type: ignore[import-untyped]  # only this script needs PyYAML (for the unmerged PR #53 files)

    return yaml.safe_load(path.read_text())


# ---- Opsgenie ------------------------------------------------------------------------------------------

_OG_ERRORS = {
    "400": {"$ref": "#/responses/BadRequest"},
    "401": {"$ref": "#/responses/Unauthorized"},
    "402": {"$ref": "#/responses/PaymentRequired"},
    "403": {"$ref": "#/responses/Forbidden"},
    "404": {"$ref": "#/responses/NotFound"},
    "422": {"$ref": "#/responses/UnprocessableEntity"},
    "429": {"$ref": "#/responses/TooManyRequest"},
    "default": {"$ref": "#/responses/GeneralError"},
}
_INCIDENT_ID = [{"$ref": "#/parameters/IncidentIdentifier"}, {"$ref": "#/parameters/IncidentIdentifierType"}]
_GO_SDK = "opsgenie/opsgenie-go-sdk-v2 incident/request.go"


def _og_action(
    body: dict[str, Any] | None,
    source: str,
    *,
    params: list[dict[str, Any]] | None = None,
    status: str = "202",
    body_required: bool = True,
) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = list(_INCIDENT_ID) + list(params or [])
    if body is not None:
        parameters.append({"name": "body", "in": "body", "required": body_required, "schema": body})
    return {
        "parameters": parameters,
        "responses": {status: {"$ref": "#/responses/Accepted"}, **_OG_ERRORS},
        "x-oncall-source": source,
    }


def _opsgenie_supplement() -> dict[str, Any]:
    """Operations the CLI uses that opsgenie-oas does not describe (see specs/opsgenie/SOURCE.md, "Gaps")."""
    note = {"type": "object", "properties": {"note": {"type": "string", "maxLength": 25000}}}
    responder = {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"type": "string", "enum": ["user", "team", "escalation", "schedule"]},
            "id": {"type": "string"},
            "name": {"type": "string"},
            "username": {"type": "string"},
        },
    }
    entry = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "group": {"type": "string"},
            "type": {"type": "string"},
            "eventTime": {"type": "string", "format": "date-time"},
            "hidden": {"type": "boolean"},
            "title": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "content": {"type": "string"}},
            },
            "description": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "content": {"type": "string"}},
            },
            "lastEdit": {"type": "object"},
            "actor": {"type": "object"},
        },
    }
    timeline_id = {"name": "incidentId", "in": "path", "required": True, "type": "string"}
    tl_source = "docs.opsgenie.com/docs/incident-timeline-api"
    return {
        "/v1/incidents/{identifier}/resolve": {"post": _og_action(note, _GO_SDK, body_required=False)},
        "/v1/incidents/{identifier}/reopen": {
            "post": _og_action(note, "opsgenie-nodejs-sdk lib/incident", body_required=False)
        },
        "/v1/incidents/{identifier}/notes": {
            "post": _og_action(
                {
                    "type": "object",
                    "required": ["note"],
                    "properties": {"note": {"type": "string", "minLength": 1, "maxLength": 25000}},
                },
                _GO_SDK,
            ),
            "get": {
                "parameters": [
                    *_INCIDENT_ID,
                    {"name": "offset", "in": "query", "required": False, "type": "string"},
                    {
                        "name": "direction",
                        "in": "query",
                        "required": False,
                        "type": "string",
                        "enum": ["next", "prev"],
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 100,
                    },
                    {
                        "name": "order",
                        "in": "query",
                        "required": False,
                        "type": "string",
                        "enum": ["asc", "desc"],
                    },
                ],
                "responses": {
                    "200": {
                        "schema": {
                            "allOf": [
                                {"$ref": "#/definitions/BaseResponse"},
                                {
                                    "properties": {
                                        "data": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "required": ["note"],
                                                "properties": {
                                                    "note": {"type": "string"},
                                                    "owner": {"type": "string"},
                                                    "createdAt": {"type": "string", "format": "date-time"},
                                                    "offset": {"type": "string"},
                                                },
                                            },
                                        },
                                        "paging": {"$ref": "#/definitions/PageDetails"},
                                    }
                                },
                            ]
                        }
                    },
                    **_OG_ERRORS,
                },
                "x-oncall-source": _GO_SDK + " (ListNotes)",
            },
        },
        "/v1/incidents/{identifier}/responders": {
            "post": _og_action(
                {
                    "type": "object",
                    "required": ["responder"],
                    "properties": {
                        "responder": {"type": "array", "minItems": 1, "items": responder},
                        "note": {"type": "string"},
                    },
                },
                _GO_SDK,
            )
        },
        "/v1/incidents/{identifier}/tags": {
            "post": _og_action(
                {
                    "type": "object",
                    "required": ["tags"],
                    "properties": {
                        "tags": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                        "note": {"type": "string"},
                    },
                },
                _GO_SDK,
            ),
            "delete": _og_action(
                None,
                _GO_SDK,
                params=[
                    {"name": "tags", "in": "query", "required": True, "type": "string"},
                    {"name": "note", "in": "query", "required": False, "type": "string"},
                ],
            ),
        },
        "/v1/incidents/{identifier}/details": {
            "post": _og_action(
                {
                    "type": "object",
                    "required": ["details"],
                    "properties": {
                        "details": {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": {"type": "string"},
                        },
                        "note": {"type": "string"},
                    },
                },
                _GO_SDK,
            ),
            "delete": _og_action(
                None,
                _GO_SDK,
                params=[
                    {"name": "keys", "in": "query", "required": True, "type": "string"},
                    {"name": "note", "in": "query", "required": False, "type": "string"},
                ],
            ),
        },
        "/v1/incidents/{identifier}/priority": {
            "put": _og_action(
                {
                    "type": "object",
                    "required": ["priority"],
                    "properties": {"priority": {"type": "string", "enum": ["P1", "P2", "P3", "P4", "P5"]}},
                },
                _GO_SDK,
            )
        },
        "/v2/incident-timelines/{incidentId}/entries": {
            "post": {
                "parameters": [
                    timeline_id,
                    {
                        "name": "body",
                        "in": "body",
                        "required": True,
                        "schema": {
                            "type": "object",
                            "required": ["description"],
                            "properties": {
                                "description": {
                                    "type": "object",
                                    "required": ["content"],
                                    "properties": {
                                        "content": {"type": "string", "minLength": 1, "maxLength": 10000}
                                    },
                                },
                                "time": {"type": "string", "format": "date-time"},
                                "title": {"type": "object", "properties": {"content": {"type": "string"}}},
                            },
                        },
                    },
                ],
                "responses": {
                    "201": {
                        "schema": {
                            "allOf": [{"$ref": "#/definitions/BaseResponse"}, {"properties": {"data": entry}}]
                        }
                    },
                    **_OG_ERRORS,
                },
                "x-oncall-source": tl_source,
            },
            "get": {
                "parameters": [
                    timeline_id,
                    {"name": "offset", "in": "query", "required": False, "type": "string"},
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 100,
                    },
                    {
                        "name": "order",
                        "in": "query",
                        "required": False,
                        "type": "string",
                        "enum": ["asc", "desc"],
                    },
                ],
                "responses": {
                    "200": {
                        "schema": {
                            "allOf": [
                                {"$ref": "#/definitions/BaseResponse"},
                                {
                                    "properties": {
                                        "data": {
                                            "type": "object",
                                            "properties": {
                                                "entries": {"type": "array", "items": entry},
                                                "nextOffset": {"type": "string"},
                                            },
                                        }
                                    }
                                },
                            ]
                        }
                    },
                    **_OG_ERRORS,
                },
                "x-oncall-source": tl_source,
            },
        },
    }


def extract_opsgenie(specs: Path) -> dict[str, Any]:
    full = json.loads((specs / "opsgenie" / "swagger.json").read_text())
    pr53 = specs / "opsgenie" / "unmerged-pr53"
    paths: dict[str, Any] = copy.deepcopy(full["paths"])
    service_paths = _load_yaml(pr53 / "paths" / "service.yaml")
    for p in service_paths.values():
        for op in p.values():
            if isinstance(op, dict):
                op["x-oncall-source"] = "opsgenie-oas unmerged PR #53"
    paths.update(service_paths)
    definitions = dict(full["definitions"])
    definitions.update(_load_yaml(pr53 / "definitions" / "service.yaml"))
    parameters = dict(full["parameters"])
    parameters.update(_load_yaml(pr53 / "parameters" / "service.yaml"))
    for path, item in _opsgenie_supplement().items():
        paths.setdefault(path, {}).update(item)
    doc = {**full, "paths": paths, "definitions": definitions, "parameters": parameters}
    chosen: dict[str, Any] = {}
    for name in OPSGENIE_OPERATIONS:
        method, path = name.split(" ", 1)
        item = paths[path]
        op = copy.deepcopy(item[method.lower()])
        if "parameters" in item:
            op["parameters"] = list(item["parameters"]) + list(op.get("parameters", []))
        chosen.setdefault(path, {})[method.lower()] = op
    closure = _closure(doc, chosen)
    out = {
        "swagger": "2.0",
        "info": {
            "title": full["info"]["title"],
            "version": full["info"]["version"],
            "x-oncall-vendored": "subset of opsgenie/opsgenie-oas (Apache-2.0); "
            "regenerate with scripts/vendor_specs.py",
        },
        "host": full["host"],
        "paths": chosen,
    }
    for section in ("definitions", "parameters", "responses"):
        out[section] = dict(sorted(closure.get(section, {}).items()))
    return _strip(out)  # type: ignore[no-any-return]


# ---- Slack ---------------------------------------------------------------------------------------------


def _docs_type(t: str | None) -> str:
    return t if t in ("string", "boolean", "integer", "number", "array", "object") else "string"


def _patch_scheduled_channel(op: dict[str, Any]) -> None:
    """A message scheduled in a DM or private channel is listed with its `D...` / `G...` id, but the 2020
    spec types `scheduled_messages[].channel_id` as `defs_channel_id` (`C...` only); chat.scheduleMessage's
    own answer uses `defs_channel` (C, G or D)."""
    schema = op.get("responses", {}).get("200", {}).get("schema", {})
    items = schema.get("properties", {}).get("scheduled_messages", {}).get("items")
    if isinstance(items, dict) and isinstance(items.get("properties"), dict):
        items["properties"]["channel_id"] = {"$ref": "#/definitions/defs_channel"}
        items["x-oncall-patched"] = (
            "channel_id may be a DM or private channel (defs_channel, not defs_channel_id)"
        )


_EDITED = {
    "type": "object",
    "required": ["user", "ts"],
    "properties": {"user": {"$ref": "#/definitions/defs_user_id"}, "ts": {"$ref": "#/definitions/defs_ts"}},
    "x-oncall-patched": "an edited message keeps `edited: {user, ts}` in history and replies (docs.slack.dev "
    "message object); the 2020 spec omits it",
}
_REPLY_FIELDS = ("bot_id", "bot_profile", "blocks", "attachments", "subtype", "edited")


def _patch_slack_messages(full: dict[str, Any], chosen: dict[str, Any]) -> None:
    """The message object gains `edited`; conversations.replies' messages (closed schemas in the 2020 spec)
    may carry what a history message carries: `bot_id`, `bot_profile`, `blocks`, `subtype`, `edited`."""
    message = full["definitions"]["objs_message"]
    message["properties"].setdefault("edited", copy.deepcopy(_EDITED))
    replies = chosen.get("/conversations.replies", {}).get("get")
    if replies is None:
        return
    schema = replies["responses"]["200"]["schema"]
    for alternative in schema["properties"]["messages"]["items"]["items"]:
        props = alternative["properties"]
        for key in _REPLY_FIELDS:
            props.setdefault(key, copy.deepcopy(message["properties"][key]))
        alternative["x-oncall-patched"] = "a reply carries the message fields " + ", ".join(_REPLY_FIELDS)


def extract_slack(specs: Path) -> dict[str, Any]:
    full = json.loads((specs / "slack" / "slack_web_openapi_v2.json").read_text())
    docs_dir = specs / "slack" / "docs-slack-dev-methods"
    common = sorted(json.loads((docs_dir / "_common_errors.json").read_text()))
    chosen: dict[str, Any] = {}
    for method in SLACK_METHODS:
        docs_file = docs_dir / f"{method}.json"
        docs = json.loads(docs_file.read_text()) if docs_file.exists() else {"args": {}, "errors": {}}
        item = full["paths"].get(f"/{method}")
        if item is None:
            op: dict[str, Any] = {
                "parameters": [],
                "responses": {
                    "200": {
                        "schema": {
                            "type": "object",
                            "required": ["ok"],
                            "properties": {"ok": {"$ref": "#/definitions/defs_ok_true"}},
                        }
                    },
                    "default": {
                        "schema": {
                            "type": "object",
                            "required": ["ok", "error"],
                            "properties": {
                                "ok": {"$ref": "#/definitions/defs_ok_false"},
                                "error": {"type": "string"},
                            },
                        }
                    },
                },
                "x-oncall-source": "docs-slack-dev-methods (not in the 2020 spec)",
            }
            http_method = "post"
        else:
            http_method = next(iter(m for m in item if m in ("get", "post")))
            op = copy.deepcopy(item[http_method])
        params = [p for p in op.get("parameters", []) if p.get("name") != "token" and p.get("in") != "header"]
        by_name = {p["name"]: p for p in params}
        location = "query" if http_method == "get" else "formData"
        for arg, spec in sorted(docs.get("args", {}).items()):
            if arg == "token":
                continue
            if arg in by_name:
                if spec.get("required") and not by_name[arg].get("required"):
                    by_name[arg]["required"] = True
                    by_name[arg]["x-oncall-required-from"] = "docs-slack-dev-methods"
            else:
                param = {
                    "name": arg,
                    "in": location,
                    "type": _docs_type(spec.get("type")),
                    "x-oncall-source": "docs-slack-dev-methods",
                }
                if spec.get("required"):
                    param["required"] = True
                params.append(param)
                by_name[arg] = param
        op["parameters"] = params
        for key in ("200", "default"):
            schema = op.get("responses", {}).get(key, {}).get("schema")
            props = schema.get("properties") if isinstance(schema, dict) else None
            if isinstance(props, dict) and schema.get("additionalProperties") is False:
                # Any Web API answer may carry these (docs.slack.dev "Web API basics": warnings, cursors).
                added = [k for k in ("response_metadata", "warning") if k not in props]
                props.setdefault("response_metadata", {"$ref": "#/definitions/objs_response_metadata"})
                props.setdefault("warning", {"type": "string"})
                if added:
                    schema["x-oncall-patched"] = f"allows {', '.join(added)} (any Slack answer may carry it)"
            messages = props.get("messages") if isinstance(props, dict) else None
            if isinstance(messages, dict) and messages.pop("minItems", None) is not None:
                # A history can be empty (a new DM, `oldest` after the last message): the 2020 spec says 1+.
                messages["x-oncall-patched"] = "may be empty (docs.slack.dev)"
        if method == "chat.scheduledMessages.list":
            _patch_scheduled_channel(op)
        default = op.get("responses", {}).get("default", {}).get("schema")
        if isinstance(default, dict):
            err = default.get("properties", {}).get("error")
            if isinstance(err, dict) and "enum" in err:
                err["enum"] = sorted(set(err["enum"]) | set(docs.get("errors", {})) | set(common))
        chosen[f"/{method}"] = {http_method: op}
    _patch_slack_messages(full, chosen)
    closure = _closure(full, chosen)
    out = {
        "swagger": "2.0",
        "info": {
            "title": full["info"]["title"],
            "version": full["info"]["version"],
            "x-oncall-vendored": "subset of slackapi/slack-api-specs (MIT) merged with "
            "docs-slack-dev-methods; regenerate with "
            "scripts/vendor_specs.py",
        },
        "host": full["host"],
        "basePath": full["basePath"],
        "paths": chosen,
        "definitions": dict(sorted(closure.get("definitions", {}).items())),
    }
    return _strip(out)  # type: ignore[no-any-return]


# ---- Statuspage ----------------------------------------------------------------------------------------

_COMPONENT_STATUS = [
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "",
]


_STATUSPAGE_NULL_WHEN_UNSET = (
    "impact_override", "incident_impacts", "monitoring_at", "postmortem_body",
    "postmortem_body_last_updated_at", "postmortem_published_at", "resolved_at", "scheduled_auto_completed",
    "scheduled_auto_in_progress", "scheduled_for", "auto_transition_deliver_notifications_at_end",
    "auto_transition_deliver_notifications_at_start", "auto_transition_to_maintenance_state",
    "auto_transition_to_operational_state", "scheduled_remind_prior", "scheduled_reminded_at",
    "scheduled_until", "reminder_intervals",
)
"""The 18 of an incident's 32 fields the real API sends as `null` when unset (the spec has no `nullable`)."""


def _fix_statuspage(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("type") == "Object":
            node = {**node, "type": "object"}
        out = {k: _fix_statuspage(v) for k, v in node.items()}
        return out
    if isinstance(node, list):
        return [_fix_statuspage(v) for v in node]
    return node


def extract_statuspage(specs: Path) -> dict[str, Any]:
    full = json.loads((specs / "statuspage" / "statuspage-openapi3.json").read_text())
    chosen: dict[str, Any] = {}
    for name in STATUSPAGE_OPERATIONS:
        method, path = name.split(" ", 1)
        item = full["paths"][path]
        op = copy.deepcopy(item[method.lower()])
        chosen.setdefault(path, {})[method.lower()] = op
    closure = _closure(full, chosen)
    schemas = copy.deepcopy(closure.get("components", {}).get("schemas", {}))
    for name in ("postPagesPageIdIncidents", "patchPagesPageIdIncidents", "putPagesPageIdIncidents"):
        comps = schemas.get(name, {}).get("properties", {}).get("incident", {}).get("properties", {})
        if isinstance(comps.get("components"), dict):
            comps["components"] = {
                "type": "object",
                "additionalProperties": {"type": "string", "enum": _COMPONENT_STATUS},
                "x-oncall-patched": "the spec writes this map with one literal random key",
            }
    incident = schemas.get("Incident", {}).get("properties", {})
    for name in _STATUSPAGE_NULL_WHEN_UNSET:
        if name in incident:
            incident[name] = {**incident[name], "nullable": True,
                              "x-oncall-patched": "the API answers null when unset (the spec says nothing)"}
    out = {
        "openapi": full["openapi"],
        "info": {
            "title": full["info"]["title"],
            "version": full["info"]["version"],
            "x-oncall-vendored": "subset of Atlassian's Statuspage OpenAPI 3 document; "
            "regenerate with scripts/vendor_specs.py",
        },
        "servers": full["servers"],
        "paths": chosen,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }
    return _fix_statuspage(_strip(out))  # type: ignore[no-any-return]


# ---- OpenAPI 3 helpers (JSM Operations, Jira) ---------------------------------------------------------


def _choose_oas3(paths: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The named operations, each with its path item's `parameters` prepended to its own."""
    chosen: dict[str, Any] = {}
    for name in names:
        method, path = name.split(" ", 1)
        item = paths[path]
        op = copy.deepcopy(item[method.lower()])
        if "parameters" in item:
            op["parameters"] = copy.deepcopy(list(item["parameters"])) + list(op.get("parameters", []))
        chosen.setdefault(path, {})[method.lower()] = op
    return chosen


def _components(closure: dict[str, Any]) -> dict[str, Any]:
    found = closure.get("components", {})
    return {section: dict(sorted(found[section].items())) for section in sorted(found)}


# ---- JSM Operations ------------------------------------------------------------------------------------


def _patch_one_of_required(schemas: dict[str, Any], union: str, keys: dict[str, str]) -> None:
    """Give each alternative of `union` (a oneOf of $refs) its own required property (see the docstring)."""
    for alternative, key in keys.items():
        schema = schemas[alternative]
        schema["required"] = [key]
        schema["x-oncall-patched"] = (
            f"requires {key}: the {union} alternatives have no required keys, so every answer matched "
            "both and oneOf failed"
        )


def _patch_restriction_types(schemas: dict[str, Any]) -> None:
    for name, value in (
        ("TimeOfDayTimeRestriction", "time-of-day"),
        ("TimeOfDayTimeRestrictionRequest", "time-of-day"),
        ("WeekdayTimeRestriction", "weekday-and-time-of-day"),
        ("WeekdayTimeRestrictionRequest", "weekday-and-time-of-day"),
    ):
        if name in schemas:
            schemas[name]["properties"]["type"]["enum"] = [value]
            schemas[name]["x-oncall-patched"] = (
                f"type is {value} (the spec gives it only as a default, so both restriction kinds "
                "matched every timeRestriction and oneOf failed)"
            )


def _patch_null_responder_ids(schemas: dict[str, Any]) -> None:
    for name in ("ResponderInfo", "OverrideResponderInfo"):
        if name in schemas:
            schemas[name]["properties"]["id"]["nullable"] = True
            schemas[name]["x-oncall-patched"] = "id may be null (for `noone`, as its description says)"


def extract_jsm_ops(specs: Path) -> dict[str, Any]:
    full = _load_yaml(specs / "jsm-ops" / "jsm-ops-excerpt.openapi.yaml")
    chosen = _choose_oas3(full["paths"], JSM_OPS_OPERATIONS)
    closure = _closure(full, chosen)
    components = copy.deepcopy(_components(closure))
    schemas = components.get("schemas", {})
    _patch_one_of_required(schemas, "OnCallResponse",
                           {"OnCallParticipants": "onCallParticipants", "OnCallUsers": "onCallUsers"})
    _patch_one_of_required(schemas, "NextOnCallResponse",
                           {"NextOnCallParticipants": "nextOnCallParticipants",
                            "NextOnCallUsers": "nextOnCallUsers"})
    _patch_restriction_types(schemas)
    _patch_null_responder_ids(schemas)
    out = {
        "openapi": full["openapi"],
        "info": {
            "title": full["info"]["title"],
            "version": full["info"]["version"],
            "x-oncall-vendored": "subset of the JSM Operations API excerpt in shared/specs/jsm-ops "
            "(Atlassian's swagger.v3.json, hand-transcribed); regenerate with scripts/vendor_specs.py",
        },
        "servers": [{"url": server["url"]} for server in full["servers"]],
        "paths": chosen,
        "components": components,
    }
    return _strip(out)  # type: ignore[no-any-return]


# ---- Jira platform -------------------------------------------------------------------------------------


def _drop_atlassian_annotations(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _drop_atlassian_annotations(v)
            for k, v in node.items()
            if not k.startswith("x-atlassian") and k not in ("security", "x-showInExample")
        }
    if isinstance(node, list):
        return [_drop_atlassian_annotations(v) for v in node]
    return node


def _tenant_info() -> dict[str, Any]:
    return {
        "get": {
            "operationId": "getTenantInfo",
            "parameters": [],
            "responses": {
                "200": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["cloudId"],
                                "properties": {"cloudId": {"type": "string"}},
                            }
                        }
                    }
                }
            },
            "x-oncall-source": "shared/specs/jira/SOURCE.md and jsm-ops/SOURCE.md: GET "
            "https://<site>.atlassian.net/_edge/tenant_info gives {\"cloudId\": ...} "
            "(not in the platform spec)",
        }
    }


def extract_jira(specs: Path) -> dict[str, Any]:
    full = json.loads((specs / "jira" / "jira-platform.v3.json").read_text())
    paths = dict(full["paths"])
    paths["/_edge/tenant_info"] = _tenant_info()
    chosen = _choose_oas3(paths, JIRA_OPERATIONS)
    closure = _closure(full, chosen)
    out = {
        "openapi": full["openapi"],
        "info": {
            "title": full["info"]["title"],
            "version": full["info"]["version"],
            "x-oncall-vendored": "subset of Atlassian's Jira Cloud platform REST API v3 (Apache-2.0); "
            "regenerate with scripts/vendor_specs.py",
        },
        "servers": [{"url": server["url"]} for server in full["servers"]],
        "paths": chosen,
        "components": _components(closure),
    }
    return _drop_atlassian_annotations(_strip(out))  # type: ignore[no-any-return]


def extract_jsm_servicedesk(specs: Path) -> dict[str, Any]:
    full = json.loads((specs / "jira" / "jsm-servicedesk.v3.json").read_text())
    chosen = _choose_oas3(full["paths"], JSM_SERVICEDESK_OPERATIONS)
    closure = _closure(full, chosen)
    out = {
        "openapi": full["openapi"],
        "info": {
            "title": full["info"]["title"],
            "version": full["info"]["version"],
            "x-oncall-vendored": "subset of Atlassian's Jira Service Management service desk REST API "
            "(shared/specs/jira/jsm-servicedesk.v3.json); served by the sandbox's Jira site with the "
            "platform API; regenerate with scripts/vendor_specs.py",
        },
        "servers": [{"url": server["url"]} for server in full["servers"]],
        "paths": chosen,
        "components": _components(closure),
    }
    return _drop_atlassian_annotations(_strip(out))  # type: ignore[no-any-return]


# ---- PagerDuty ----------------------------------------------------------------------------------------

PAGERDUTY_OPERATIONS: tuple[str, ...] = (
    "GET /users",
    "POST /users",
    "GET /users/{id}",
    "DELETE /users/{id}",
    "GET /teams",
    "GET /teams/{id}/members",
    "PUT /teams/{id}/users/{user_id}",
    "GET /oncalls",
    "GET /escalation_policies",
    "GET /v3/schedules",
    "GET /v3/schedules/{id}",
    "POST /v3/schedules/{id}/rotations",
    "DELETE /v3/schedules/{id}/rotations/{rotation_id}",
    "POST /v3/schedules/{id}/rotations/{rotation_id}/events",
    "PUT /v3/schedules/{id}/rotations/{rotation_id}/events/{event_id}",
    "GET /v3/schedules/{id}/overrides",
    "POST /v3/schedules/{id}/overrides",
    "DELETE /v3/schedules/{id}/overrides/{override_id}",
)
PAGERDUTY_INCIDENT_OPERATIONS: tuple[str, ...] = (
    "GET /services",
    "GET /priorities",
    "GET /incidents",
    "POST /incidents",
    "GET /incidents/{id}",
    "PUT /incidents/{id}",
    "GET /incidents/{id}/notes",
    "POST /incidents/{id}/notes",
    "POST /incidents/{id}/status_updates",
    "POST /incidents/{id}/status_updates/subscribers",
    "POST /incidents/{id}/responder_requests",
    "GET /incidents/{id}/log_entries",
)
"""The incident tracker's operations (services/backends/pagerduty_incidents.py)."""
_PD_ERROR_POINTER = "#/components/responses/Conflict/content/application~1json/schema"


def _pd_refs(node: Any) -> Any:
    """The error pointer into a response -> `#/components/schemas/Error` (see the module docstring)."""
    if isinstance(node, dict):
        if node.get("$ref") == _PD_ERROR_POINTER:
            return {"$ref": "#/components/schemas/Error"}
        return {k: _pd_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_pd_refs(v) for v in node]
    return node


def _pd_closure(full: dict[str, Any], roots: Any) -> dict[str, dict[str, Any]]:
    """The components `roots` reference, each kept whole (a pointer inside a schema keeps that schema)."""
    out: dict[str, dict[str, Any]] = {}
    todo = sorted(_refs(roots))
    seen: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in seen or ref == "#/components/schemas/Error":
            continue
        seen.add(ref)
        section, name = ref.lstrip("#/").split("/")[1:3]
        node = _pd_refs(full["components"][section][name])
        out.setdefault(section, {})[name] = node
        todo.extend(sorted(_refs(node) - seen))
    return out


def extract_pagerduty(specs: Path) -> dict[str, Any]:
    full = json.loads((specs / "pagerduty" / "openapiv3.json").read_text())
    conflict = full["components"]["responses"]["Conflict"]
    error = copy.deepcopy(conflict["content"]["application/json"]["schema"])
    error["x-oncall-patched"] = ("moved here from components.responses.Conflict, where the spec defines the "
                                 "generic error body that every error response points into")
    chosen = _pd_refs(_choose_oas3(full["paths"], PAGERDUTY_OPERATIONS + PAGERDUTY_INCIDENT_OPERATIONS))
    components = _pd_closure(full, chosen)
    components.setdefault("schemas", {})["Error"] = error
    body = components["schemas"]["IncidentBody"]["properties"]
    body["details"] = {"anyOf": [{"type": "string"}, {"type": "object"}],
                       "description": body["details"].get("description"),
                       "x-oncall-patched": "the spec says object; its own POST /incidents example (and "
                       "the API) send a string"}
    out = {
        "openapi": full["openapi"],
        "info": {
            "title": full["info"]["title"],
            "version": full["info"]["version"],
            "x-oncall-vendored": "subset of PagerDuty's REST API v2 OpenAPI 3 document "
            "(PagerDuty/api-schema); regenerate with scripts/vendor_specs.py",
        },
        "servers": [{"url": server["url"]} for server in full["servers"]],
        "paths": chosen,
        "components": {section: dict(sorted(found.items())) for section, found in sorted(components.items())},
    }
    return _strip(out)  # type: ignore[no-any-return]


def extract(specs: Path) -> dict[str, dict[str, Any]]:
    """The vendored subsets (file name without `.json` -> document), built fresh from the full specs."""
    return {
        "opsgenie": extract_opsgenie(specs),
        "slack": extract_slack(specs),
        "statuspage": extract_statuspage(specs),
        "jsm-ops": extract_jsm_ops(specs),
        "jira": extract_jira(specs),
        "jsm-servicedesk": extract_jsm_servicedesk(specs),
        "pagerduty": extract_pagerduty(specs),
    }


def dumps(doc: dict[str, Any]) -> str:
    """The vendored file's exact text (stable: sorted keys, one-space indent)."""
    return json.dumps(doc, indent=0, sort_keys=True, ensure_ascii=False) + "\n"


def default_specs_dir() -> Path:
    for candidate in (REPO.parent / "shared" / "specs", Path("/work/shared/specs")):
        if candidate.is_dir():
            return candidate
    raise SystemExit("shared/specs not found; pass its path")


def main(argv: list[str]) -> int:
    specs = Path(argv[0]) if argv else default_specs_dir()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, doc in extract(specs).items():
        text = dumps(doc)
        (OUT / f"{name}.json").write_text(text)
        print(f"{name}.json: {len(text):,} bytes, {sum(len(v) for v in doc['paths'].values())} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
