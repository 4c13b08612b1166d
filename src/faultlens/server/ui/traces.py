"""One request's path across services: the waterfall of a trace (or of every trace a correlation id
touched) with its log lines and errors, built by the same `build_timeline` as `faultlens timeline`."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from faultlens.model import Span
from faultlens.server.ui import charts
from faultlens.server.ui.pages import PageNotFound, Visit, page
from faultlens.store.base import ServerStore
from faultlens.store.rows import event_from_row
from faultlens.timeline import Timeline, build_timeline


def span_from_row(row: dict[str, Any]) -> Span:
    attributes = orjson.loads(row["attributes"]) if row.get("attributes") else {}
    return Span(trace_id=row["trace_id"], span_id=row["span_id"], name=row["name"] or "", start=row["start"],
                end=row["end"], service=row["service"], parent_span_id=row["parent_span_id"], kind=row["kind"],
                status=row["status"], status_message=row["status_message"],
                attributes=attributes if isinstance(attributes, dict) else {})


def read_timeline(store: ServerStore, request_id: str) -> tuple[Timeline, str | None]:
    """The request's timeline, and the project its first event came in for (None with spans only)."""
    reader = store.browser()
    spans = [span_from_row(row) for row in reader.request_spans(request_id)]
    events = [event_from_row(row) for row in reader.request_events(request_id)]
    kind = "trace" if any(s.trace_id == request_id for s in spans) or any(
        e.trace_id == request_id for e in events) else "correlation"
    return build_timeline(kind, request_id, spans, events), events[0].project if events else None


@page
async def trace_page(request: Request, visit: Visit) -> Response:
    request_id = request.path_params["request_id"]
    timeline, project = await visit.read(lambda store: read_timeline(store, request_id))
    if not timeline.entries:
        raise PageNotFound(f"Nothing stored belongs to trace or correlation id {request_id!r}.")
    rows = zip(timeline.entries, charts.waterfall(timeline), strict=True)
    return visit.render(request, "trace.html", timeline=timeline, rows=list(rows), project=project)
