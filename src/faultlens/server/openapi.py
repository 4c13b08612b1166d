"""The OpenAPI 3.1 description served at `/api/openapi.json`: the API's routes, parameters and shapes.

Written out rather than generated: the routes are few, and a description a person wrote says why
each parameter exists. tests/server/test_api.py checks that it names every route the app serves.
"""

from __future__ import annotations

from typing import Any

from faultlens import __version__

ERROR = {"$ref": "#/components/schemas/Error"}


def _param(name: str, where: str, description: str, schema: dict[str, Any] | None = None,
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path", "description": description,
            "schema": schema or {"type": "string"}}


def _answers(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    out: dict[str, Any] = {"200": {"description": "OK", "content": {"application/json": {"schema": ok}}}}
    for status in (400, 401, *errors):
        out[str(status)] = {"description": "Error", "content": {"application/json": {"schema": ERROR}}}
    return out


PROJECT = _param("project", "path", "The project's name.")
ISSUE = _param("issue_id", "path", "The issue's id (its fingerprint).")
ISSUE_REF = {"$ref": "#/components/schemas/Issue"}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "faultlens", "version": __version__,
                 "description": "Issues grouped from the events your SDKs, exporters and log shippers send. "
                                "Authenticate with an API token: Authorization: Bearer <token>."},
        "security": [{"bearer": []}],
        "paths": {
            "/api/projects": {"get": {"summary": "List projects", "responses": _answers(
                {"type": "object", "properties": {"projects": {"type": "array", "items": {"type": "object"}}}})}},
            "/api/projects/{project}/issues": {"get": {
                "summary": "List a project's issues",
                "parameters": [
                    PROJECT,
                    _param("status", "query", "unresolved (includes regressed), resolved, ignored or regressed.",
                           {"enum": ["unresolved", "resolved", "ignored", "regressed"]}),
                    _param("query", "query", "Text in the title, culprit or type, or an issue id."),
                    _param("release", "query", "Only events of this release."),
                    _param("environment", "query", "Only events of this environment."),
                    _param("since", "query", "Only events at or after this time: ISO 8601, or 30m, 24h, 7d ago."),
                    _param("sort", "query", "Order, largest or newest first.",
                           {"enum": ["last_seen", "first_seen", "count", "users"]}),
                    _param("limit", "query", "Issues per page (1-1000, default 100).", {"type": "integer"}),
                    _param("offset", "query", "Issues to skip: the previous page's next_offset.",
                           {"type": "integer"}),
                ],
                "responses": _answers({"type": "object", "properties": {
                    "issues": {"type": "array", "items": ISSUE_REF},
                    "next_offset": {"type": ["integer", "null"]}}}, 404)}},
            "/api/projects/{project}/report": {"get": {
                "summary": "The analyze report (faultlens.report/1 JSON) over the project's events",
                "parameters": [
                    PROJECT,
                    _param("since", "query", "Window start: ISO 8601, or 30m, 24h, 7d ago."),
                    _param("until", "query", "Window end: ISO 8601, or 30m, 24h, 7d ago."),
                    _param("min_level", "query", "Lowest level of the events reported.",
                           {"enum": ["debug", "info", "warning", "error", "fatal"]}),
                    _param("limit", "query", "Issues in the report (default: all).", {"type": "integer"}),
                ],
                "responses": _answers({"type": "object", "description": "See docs/report-json.md."}, 404)}},
            "/api/issues/{issue_id}": {
                "get": {"summary": "One issue, with its latest event", "parameters": [ISSUE],
                        "responses": _answers(ISSUE_REF, 404)},
                "patch": {"summary": "Resolve, ignore or unresolve an issue", "parameters": [ISSUE],
                          "requestBody": {"required": True, "content": {"application/json": {"schema": {
                              "type": "object", "required": ["status"], "properties": {
                                  "status": {"enum": ["resolved", "ignored", "unresolved"]}}}}}},
                          "responses": _answers(ISSUE_REF, 404, 422)}},
            "/api/issues/{issue_id}/events": {"get": {
                "summary": "An issue's events, newest first",
                "parameters": [ISSUE, _param("limit", "query", "Events per page (default 50).", {"type": "integer"}),
                               _param("before", "query", "Events before this time: the previous page's "
                                      "next_before.")],
                "responses": _answers({"type": "object", "properties": {
                    "events": {"type": "array", "items": {"type": "object"}},
                    "next_before": {"type": ["string", "null"]}}}, 404)}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["status", "code", "message"], "properties": {
                        "status": {"type": "integer"}, "code": {"type": "string"}, "message": {"type": "string"}}}}},
                "Issue": {"type": "object", "properties": {
                    "id": {"type": "string"}, "title": {"type": "string"}, "type": {"type": ["string", "null"]},
                    "culprit": {"type": ["string", "null"]}, "level": {"type": "string"},
                    "status": {"enum": ["unresolved", "resolved", "ignored", "regressed"]},
                    "count": {"type": "integer"}, "users": {"type": "integer"},
                    "first_seen": {"type": "string", "format": "date-time"},
                    "last_seen": {"type": "string", "format": "date-time"},
                    "services": {"type": "array", "items": {"type": "string"}},
                    "releases": {"type": "array", "items": {"type": "string"}},
                    "environments": {"type": "array", "items": {"type": "string"}},
                    "resolved_at": {"type": ["string", "null"]}, "regressed_at": {"type": ["string", "null"]}}},
            },
        },
    }
