"""Zipkin v2 JSON: a list of spans, as Zipkin's API accepts and returns them.

Zipkin has no status field: an `error` tag marks a failing span (its value is the message, or
"true"), and OpenTelemetry's Zipkin exporter adds `otel.status_code`. That exporter writes each span
event as an annotation whose value is `{"<event name>": {attributes}}` in JSON, so exception events
keep their type, message and stack trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from faultlens.ingest.traces import SpanEvent, SpanRecord, from_unix_micros, hex_id
from faultlens.model import Span

KINDS = frozenset({"client", "server", "producer", "consumer"})


def is_zipkin_document(doc: Any) -> bool:
    return (isinstance(doc, list) and bool(doc) and isinstance(doc[0], dict)
            and "traceId" in doc[0] and "id" in doc[0])


def decode_zipkin_spans(spans: list[Any], path: str, line: int) -> Iterator[SpanRecord]:
    for obj in spans:
        if isinstance(obj, dict):
            item = _span(obj, path, line)
            if item is not None:
                yield item


def _span(obj: dict[str, Any], path: str, line: int) -> SpanRecord | None:
    trace_id = hex_id(obj.get("traceId"), 16)
    span_id = hex_id(obj.get("id"), 8)
    start = from_unix_micros(obj.get("timestamp"))
    if trace_id is None or span_id is None or start is None:
        return None
    end = from_unix_micros(int(obj.get("timestamp") or 0) + int(obj.get("duration") or 0)) or start
    tags = {str(k): v for k, v in (obj.get("tags") or {}).items()}
    local = obj.get("localEndpoint") or {}
    remote = obj.get("remoteEndpoint") or {}
    if remote.get("serviceName"):
        tags.setdefault("peer.service", remote["serviceName"])
    status, message = _status(tags)
    kind = str(obj.get("kind") or "").lower()
    span = Span(
        trace_id=trace_id, span_id=span_id, name=str(obj.get("name") or ""), start=start, end=end,
        service=local.get("serviceName") or None, parent_span_id=hex_id(obj.get("parentId"), 8),
        kind=kind if kind in KINDS else None, status=status, status_message=message, attributes=tags,
    )
    events = [_annotation(a, start) for a in obj.get("annotations") or () if isinstance(a, dict)]
    return SpanRecord(path, line, span, events)


def _status(tags: dict[str, Any]) -> tuple[str | None, str | None]:
    code = str(tags.get("otel.status_code", "")).lower()
    error = tags.get("error")
    message = tags.get("otel.status_description")
    if error is not None and str(error).lower() not in ("", "true", "false"):
        message = message or str(error)
    if code == "error" or (error is not None and str(error).lower() != "false"):
        return "error", message or None
    return ("ok" if code == "ok" else None), None


def _annotation(obj: dict[str, Any], start: Any) -> SpanEvent:
    time = from_unix_micros(obj.get("timestamp")) or start
    value = str(obj.get("value") or "")
    if value.startswith("{"):
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError:
            decoded = None
        if isinstance(decoded, dict) and len(decoded) == 1:
            name, attributes = next(iter(decoded.items()))
            if isinstance(attributes, dict):
                return SpanEvent(str(name), time, attributes)
    return SpanEvent(value, time)
