"""The read-and-triage API under `/api/`: issues of a project, one issue and its events, status
changes, and the analyze report for a window. Every route needs an API token (Bearer).

Reads run in worker threads on connections of their own, so a slow report never holds the event
loop or the writer; status changes run on the writer thread, the one that writes the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from faultlens.analysis.overview import build_report
from faultlens.errors import StoreError
from faultlens.model import LEVELS, IngestStats
from faultlens.report.json_report import event_json, report_json
from faultlens.server.context import ServerContext
from faultlens.server.errors import ApiError
from faultlens.server.openapi import openapi_document
from faultlens.store.base import ServerStore
from faultlens.store.duckdb_accounts import ISSUE_STATUSES
from faultlens.store.duckdb_browse import SORTS, IssueFilter
from faultlens.store.rows import event_from_row
from faultlens.times import parse_timestamp

T = TypeVar("T")
MAX_LIMIT = 1000
_RELATIVE = re.compile(r"(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
LIST_STATUSES = (*ISSUE_STATUSES, "regressed")


def api_routes() -> list[Route]:
    return [
        Route("/api/openapi.json", openapi, methods=["GET"]),
        Route("/api/projects", list_projects, methods=["GET"]),
        Route("/api/projects/{project}/issues", list_issues, methods=["GET"]),
        Route("/api/projects/{project}/report", project_report, methods=["GET"]),
        Route("/api/issues/{issue_id}", issue_detail, methods=["GET"]),
        Route("/api/issues/{issue_id}", change_issue, methods=["PATCH"]),
        Route("/api/issues/{issue_id}/events", issue_events, methods=["GET"]),
    ]


def _context(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.server
    context.keys.token(request)
    return context


async def _read(context: ServerContext, work: Callable[[ServerStore], T]) -> T:
    """Run a read on a connection of its own, in a worker thread."""
    def run() -> T:
        reader = context.store.reader()
        try:
            return work(reader)
        finally:
            reader.close()
    try:
        return await run_in_threadpool(run)
    except StoreError as exc:
        raise ApiError(500, str(exc)) from None


def _json(data: Any, status: int = 200) -> Response:
    body = orjson.dumps(data, default=str, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)
    return Response(body, status_code=status, media_type="application/json")


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


async def list_projects(request: Request) -> Response:
    context = _context(request)
    return _json({"projects": [{"id": p.id, "name": p.name, "created_at": p.created_at}
                               for p in context.keys.projects.values()]})


async def list_issues(request: Request) -> Response:
    context = _context(request)
    project = _project(context, request)
    params = request.query_params
    status = params.get("status")
    if status is not None and status not in LIST_STATUSES:
        raise ApiError(400, f"status {status!r} is not one of: {', '.join(LIST_STATUSES)}")
    sort = params.get("sort", "last_seen")
    if sort not in SORTS:
        raise ApiError(400, f"sort {sort!r} is not one of: {', '.join(SORTS)}")
    limit = _int(params.get("limit"), "limit", 100, 1, MAX_LIMIT)
    offset = _int(params.get("offset"), "offset", 0, 0, None)
    where = IssueFilter(status=status, query=params.get("query") or None, release=params.get("release"),
                        environment=params.get("environment"), since=_time(params.get("since"), "since"),
                        sort=sort, limit=limit, offset=offset)
    rows = await _read(context, lambda store: store.browser().issues(project, where))
    return _json({"issues": [_issue(row) for row in rows],
                  "next_offset": offset + limit if len(rows) == limit else None})


async def issue_detail(request: Request) -> Response:
    context = _context(request)
    fingerprint = request.path_params["issue_id"]

    def read(store: ServerStore) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        browser = store.browser()
        return browser.issue(fingerprint), browser.events(fingerprint, 1)
    row, latest = await _read(context, read)
    if row is None:
        raise ApiError(404, f"no issue {fingerprint!r}; list a project's issues at /api/projects/NAME/issues")
    issue = _issue(row)
    issue["projects"] = row["projects"]
    issue["latest_event"] = event_json(event_from_row(latest[0])) if latest else None
    return _json(issue)


async def issue_events(request: Request) -> Response:
    context = _context(request)
    fingerprint = request.path_params["issue_id"]
    limit = _int(request.query_params.get("limit"), "limit", 50, 1, MAX_LIMIT)
    before = _time(request.query_params.get("before"), "before")

    def read(store: ServerStore) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        browser = store.browser()
        return browser.issue(fingerprint), browser.events(fingerprint, limit, before)
    issue, rows = await _read(context, read)
    if issue is None:
        raise ApiError(404, f"no issue {fingerprint!r}")
    events = [event_json(event_from_row(row)) for row in rows]
    return _json({"events": events, "next_before": events[-1]["timestamp"] if len(rows) == limit else None})


async def change_issue(request: Request) -> Response:
    """resolve, ignore or unresolve: `{"status": "resolved"}`."""
    context = _context(request)
    fingerprint = request.path_params["issue_id"]
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the body is not JSON ({exc}); send {{\"status\": \"resolved\"}}") from None
    status = body.get("status") if isinstance(body, dict) else None
    if status not in ISSUE_STATUSES:
        raise ApiError(422, f"status must be one of: {', '.join(ISSUE_STATUSES)}")
    state = await run_in_threadpool(lambda: context.ingest.call(
        lambda: context.ingest.set_issue_status(fingerprint, status)).result(timeout=30))
    if state is None:
        raise ApiError(404, f"no issue {fingerprint!r}")
    row = await _read(context, lambda store: store.browser().issue(fingerprint))
    return _json(_issue(row) if row else {"id": fingerprint, "status": state.effective})


async def project_report(request: Request) -> Response:
    """The report `faultlens analyze --format json` writes, over this project's events in a window."""
    context = _context(request)
    project = _project(context, request)
    params = request.query_params
    since, until = _time(params.get("since"), "since"), _time(params.get("until"), "until")
    min_level = params.get("min_level")
    if min_level is not None and min_level not in LEVELS:
        raise ApiError(400, f"min_level {min_level!r} is not one of: {', '.join(LEVELS)}")
    limit = _int(params.get("limit"), "limit", 0, 0, MAX_LIMIT) or None

    def read(store: ServerStore) -> dict[str, Any]:
        store.only_project(project)
        return report_json(build_report(store, IngestStats(), since=since, until=until, min_level=min_level,
                                        limit=limit))
    return _json(await _read(context, read))


def _project(context: ServerContext, request: Request) -> str:
    name = request.path_params["project"]
    if name not in context.keys.projects:
        raise ApiError(404, f"no project named {name!r}; GET /api/projects lists them")
    return str(name)


def _issue(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["fingerprint"], "title": row["title"], "type": row["type"], "culprit": row["culprit"],
        "level": LEVELS[int(row["level_rank"])], "status": row["status"], "count": int(row["count"]),
        "users": int(row["users"]), "first_seen": row["first_seen"], "last_seen": row["last_seen"],
        "first_seen_ever": row["first_seen_ever"], "services": row["services"] or [],
        "releases": row["releases"] or [], "environments": row["environments"] or [],
        "resolved_at": row["resolved_at"], "regressed_at": row["regressed_at"],
    }


def _int(text: str | None, name: str, default: int, low: int, high: int | None) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or int(text) < low or (high is not None and int(text) > high):
        raise ApiError(400, f"{name} must be a whole number from {low}" + (f" to {high}" if high else ""))
    return int(text)


def _time(text: str | None, name: str) -> datetime | None:
    """An ISO 8601 time, or a span back from now: 30m, 24h, 7d."""
    if not text:
        return None
    relative = _RELATIVE.match(text)
    if relative:
        return datetime.now(UTC) - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    parsed = parse_timestamp(text) or _iso(text)  # a query may ask past the years a log's stamp may hold
    if parsed is None:
        raise ApiError(400, f"{name} {text!r} is not a time; write ISO 8601 (2026-11-28T14:00:00Z) or 24h, 7d")
    return parsed


def _iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
