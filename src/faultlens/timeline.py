"""One request's path across services: spans as a waterfall, its log lines and errors at their times.

`build_timeline` is pure: it takes the spans and events read for the request and works out the
tree, the offsets, the failing span and where the errors began; renderers only draw the Timeline.
It imports nothing but the model, so renderers may import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from faultlens.model import LEVEL_RANK, Event, Span

HTTP_METHOD_KEYS = ("http.request.method", "http.method")
HTTP_PATH_KEYS = ("url.path", "http.target", "http.route")
HTTP_STATUS_KEYS = ("http.response.status_code", "http.status_code")


@dataclass(slots=True)
class TimelineSpan:
    """A span placed in the waterfall: `depth` below its root, `offset_ms` from the request's start."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    service: str | None
    name: str
    kind: str | None
    start: datetime
    end: datetime
    offset_ms: float
    duration_ms: float
    depth: int
    status: str | None
    status_message: str | None
    failed: bool
    http: str | None = None


@dataclass(slots=True)
class TimelineEntry:
    """One row of the timeline, in waterfall order: a span, a log line or an error."""

    kind: str
    time: datetime
    offset_ms: float
    depth: int
    service: str | None
    text: str
    level: str | None = None
    span_id: str | None = None
    duration_ms: float | None = None
    failed: bool = False
    source: str | None = None
    exception_type: str | None = None


@dataclass(slots=True)
class Timeline:
    """Everything the timeline renderers draw."""

    id_kind: str
    request_id: str
    trace_ids: list[str]
    start: datetime | None
    end: datetime | None
    duration_ms: float
    services: list[str]
    spans: list[TimelineSpan]
    entries: list[TimelineEntry]
    failing_spans: list[TimelineSpan] = field(default_factory=list)
    first_error: TimelineEntry | None = None
    origin_service: str | None = None
    logs: int = 0
    errors: int = 0
    files: int = 0
    summary: str = ""

    @property
    def failing_span(self) -> TimelineSpan | None:
        """The deepest span with error status: where the failure was raised, not where it surfaced."""
        return self.failing_spans[0] if self.failing_spans else None


def build_timeline(id_kind: str, request_id: str, spans: Sequence[Span], events: Sequence[Event],
                   files: int = 0) -> Timeline:
    """Arrange a request's spans and events: parents before children, each span's rows in time order."""
    unique = list({(s.trace_id, s.span_id): s for s in spans}.values())
    times = [s.start for s in unique] + [e.timestamp for e in events]
    start = min(times) if times else None
    end = max([s.end for s in unique] + [e.timestamp for e in events]) if times else None
    by_id = {s.span_id: s for s in unique}
    children: dict[str | None, list[Span]] = {}
    for span in unique:
        parent = span.parent_span_id if span.parent_span_id in by_id else None
        children.setdefault(parent, []).append(span)
    attached: dict[str | None, list[Event]] = {}
    for event in events:
        attached.setdefault(event.span_id if event.span_id in by_id else None, []).append(event)
    placed: list[TimelineSpan] = []
    entries: list[TimelineEntry] = []

    def offset(moment: datetime) -> float:
        return round((moment - start).total_seconds() * 1000.0, 3) if start else 0.0

    def visit(parent: str | None, depth: int) -> None:
        rows: list[tuple[datetime, int, Span | Event]] = [(s.start, 0, s) for s in children.get(parent, [])]
        rows += [(e.timestamp, 1, e) for e in attached.get(parent, [])]
        rows.sort(key=lambda row: (row[0], row[1]))
        for _, _, item in rows:
            if isinstance(item, Span):
                timeline_span = _timeline_span(item, depth, offset(item.start))
                placed.append(timeline_span)
                entries.append(_span_entry(timeline_span))
                visit(item.span_id, depth + 1)
            else:
                entries.append(_event_entry(item, depth, offset(item.timestamp)))

    visit(None, 0)
    failing = sorted((s for s in placed if s.failed), key=lambda s: (-s.depth, s.start))
    errors = sorted((e for e in entries if e.kind == "error"), key=lambda e: e.time)
    first_error = errors[0] if errors else None
    origin = failing[0].service if failing else first_error.service if first_error else None
    timeline = Timeline(
        id_kind=id_kind, request_id=request_id,
        trace_ids=sorted({s.trace_id for s in unique} | {e.trace_id for e in events if e.trace_id}),
        start=start, end=end, duration_ms=offset(end) if end else 0.0,
        services=list(dict.fromkeys(e.service for e in sorted(entries, key=lambda e: e.time) if e.service)),
        spans=placed, entries=entries, failing_spans=failing, first_error=first_error, origin_service=origin,
        logs=sum(1 for e in entries if e.kind == "log"), errors=len(errors), files=files,
    )
    timeline.summary = _summary(timeline)
    return timeline


def _timeline_span(span: Span, depth: int, offset_ms: float) -> TimelineSpan:
    return TimelineSpan(
        trace_id=span.trace_id, span_id=span.span_id, parent_span_id=span.parent_span_id, service=span.service,
        name=span.name, kind=span.kind, start=span.start, end=span.end, offset_ms=offset_ms,
        duration_ms=round((span.end - span.start).total_seconds() * 1000.0, 3), depth=depth, status=span.status,
        status_message=span.status_message, failed=span.status == "error", http=_http(span.attributes),
    )


def _span_entry(span: TimelineSpan) -> TimelineEntry:
    named = span.name.split()
    extra = [part for part in (span.http or "").split() if part not in named]
    text = span.name + (f" · {' '.join(extra)}" if extra else "")
    return TimelineEntry(kind="span", time=span.start, offset_ms=span.offset_ms, depth=span.depth,
                         service=span.service, text=text, span_id=span.span_id, duration_ms=span.duration_ms,
                         failed=span.failed, level="error" if span.failed else None)


def _event_entry(event: Event, depth: int, offset_ms: float) -> TimelineEntry:
    exc = event.primary_exception
    is_error = LEVEL_RANK.get(event.level, 1) >= LEVEL_RANK["error"]
    text = event.message.split("\n", 1)[0]
    if exc is not None and exc.type not in text:
        text = f"{text} · {exc.type}: {exc.value}".strip(" ·:") if text else f"{exc.type}: {exc.value}"
    source = f"{event.source.path}:{event.source.line}" if event.source.line is not None else event.source.path
    return TimelineEntry(kind="error" if is_error else "log", time=event.timestamp, offset_ms=offset_ms, depth=depth,
                         service=event.service, text=text, level=event.level, span_id=event.span_id,
                         failed=is_error, source=source, exception_type=exc.type if exc else None)


def _http(attributes: dict[str, Any]) -> str | None:
    method = _first(attributes, HTTP_METHOD_KEYS)
    path = _first(attributes, HTTP_PATH_KEYS)
    status = _first(attributes, HTTP_STATUS_KEYS)
    parts = [str(p) for p in (method, path, status) if p is not None]
    return " ".join(parts) if parts else None


def _first(attributes: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((attributes[k] for k in keys if attributes.get(k) not in (None, "")), None)


def _summary(timeline: Timeline) -> str:
    if not timeline.entries:
        return f"Nothing in the inputs belongs to {timeline.id_kind} id {timeline.request_id}."
    services = ", ".join(timeline.services) or "no named service"
    head = (f"{len(timeline.spans)} span(s), {timeline.logs} log line(s) and {timeline.errors} error(s) "
            f"across {services}, over {timeline.duration_ms:,.1f} ms.")
    failing = timeline.failing_span
    if failing is not None:
        what = f" ({failing.status_message})" if failing.status_message else ""
        head += f" The failing span is {failing.name} in {failing.service or 'an unnamed service'}{what}."
    if timeline.first_error is not None:
        first = timeline.first_error
        head += (f" The errors began in {timeline.origin_service or first.service or 'an unnamed service'}; "
                 f"the first error was at +{first.offset_ms:,.1f} ms in {first.service or 'an unnamed service'}: "
                 f"{first.text}")
    elif failing is None:
        head += " No span failed and no error was logged."
    return head
