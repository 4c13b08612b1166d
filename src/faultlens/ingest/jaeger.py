"""Jaeger JSON: the query API's `{"data": [trace, …]}` (what Jaeger's UI downloads), or one trace object.

A trace holds `spans` and the `processes` they ran in (the service name and its tags). The parent
is the first CHILD_OF reference (FOLLOWS_FROM when there is none). A failing span carries the
`error` tag, and OpenTelemetry-fed Jaeger adds `otel.status_code`; OpenTracing's error logs
(`event: error`, `error.kind`, `message`, `stack`) are read as exception events.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from faultlens.ingest.traces import SpanEvent, SpanRecord, from_unix_micros, hex_id
from faultlens.model import Span

KINDS = frozenset({"client", "server", "producer", "consumer", "internal"})


def is_jaeger_document(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("data"), list):
        return all(isinstance(t, dict) and "spans" in t for t in doc["data"])
    return "traceID" in doc and isinstance(doc.get("spans"), list)


def decode_jaeger_document(doc: dict[str, Any], path: str, line: int) -> Iterator[SpanRecord]:
    traces = doc["data"] if isinstance(doc.get("data"), list) else [doc]
    for trace in traces:
        if not isinstance(trace, dict):
            continue
        processes = trace.get("processes") or {}
        for obj in trace.get("spans") or ():
            if isinstance(obj, dict):
                item = _span(obj, processes, path, line)
                if item is not None:
                    yield item


def _span(obj: dict[str, Any], processes: dict[str, Any], path: str, line: int) -> SpanRecord | None:
    trace_id = hex_id(obj.get("traceID"), 16)
    span_id = hex_id(obj.get("spanID"), 8)
    start = from_unix_micros(obj.get("startTime"))
    if trace_id is None or span_id is None or start is None:
        return None
    end = from_unix_micros(int(obj.get("startTime") or 0) + int(obj.get("duration") or 0)) or start
    process = processes.get(str(obj.get("processID"))) or obj.get("process") or {}
    tags = key_values(obj.get("tags"))
    kind = str(tags.pop("span.kind", "") or "").lower()
    code = str(tags.pop("otel.status_code", "") or "").lower()
    message = tags.pop("otel.status_description", None)
    failed = code == "error" or tags.get("error") in (True, "true")
    span = Span(
        trace_id=trace_id, span_id=span_id, name=str(obj.get("operationName") or ""), start=start, end=end,
        service=process.get("serviceName") or None, parent_span_id=_parent(obj, trace_id),
        kind=kind if kind in KINDS else None, status="error" if failed else ("ok" if code == "ok" else None),
        status_message=str(message) if message else None, attributes=tags,
    )
    events = [_log(log, start) for log in obj.get("logs") or () if isinstance(log, dict)]
    return SpanRecord(path, line, span, events, key_values(process.get("tags")))


def _parent(obj: dict[str, Any], trace_id: str) -> str | None:
    references = [r for r in obj.get("references") or () if isinstance(r, dict)
                  and hex_id(r.get("traceID"), 16) == trace_id]
    for kind in ("CHILD_OF", "FOLLOWS_FROM"):
        for reference in references:
            if reference.get("refType") == kind:
                return hex_id(reference.get("spanID"), 8)
    return hex_id(obj.get("parentSpanID"), 8)


def _log(obj: dict[str, Any], start: Any) -> SpanEvent:
    fields = key_values(obj.get("fields"))
    time = from_unix_micros(obj.get("timestamp")) or start
    name = str(fields.pop("event", "") or "log")
    if name == "error":  # OpenTracing's error log
        name = "exception"
        for ours, theirs in (("exception.type", "error.kind"), ("exception.message", "message"),
                             ("exception.stacktrace", "stack")):
            if theirs in fields:
                fields.setdefault(ours, fields.pop(theirs))
        if "exception.message" not in fields and "error.object" in fields:
            fields["exception.message"] = fields.pop("error.object")
    return SpanEvent(name, time, fields)


def key_values(items: Any) -> dict[str, Any]:
    """Jaeger's typed tags ([{"key", "type", "value"}]) as a dict."""
    if not isinstance(items, list):
        return {}
    return {str(item["key"]): item.get("value") for item in items if isinstance(item, dict) and "key" in item}
