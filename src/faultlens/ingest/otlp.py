"""OTLP traces and logs, as JSON or protobuf: ExportTraceServiceRequest / ExportLogsServiceRequest.

OTLP/JSON is parsed here rather than through protobuf's JSON helpers, because the two disagree on
ids: the OTLP specification writes trace and span ids as hex, protobuf's helpers as base64. Both are
accepted, and so are protobuf's field spellings (lowerCamelCase or the proto names) and enums as
names or numbers. Protobuf files are turned into the same dictionaries by the opentelemetry-proto
package's generated classes, so there is one decoder for every encoding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import orjson

from faultlens.errors import SourceError
from faultlens.ingest.fieldmap import flatten, peek
from faultlens.ingest.levels import normalize_level
from faultlens.ingest.traces import (
    SpanEvent,
    SpanRecord,
    TelemetryRecord,
    TraceItem,
    from_unix_nanos,
    hex_id,
)
from faultlens.model import Span

SPAN_KINDS = (None, "internal", "server", "client", "producer", "consumer")
STATUS_CODES = (None, "ok", "error")
SEVERITY_LEVELS = ((21, "fatal"), (17, "error"), (13, "warning"), (9, "info"), (1, "debug"))
"""OTLP severity numbers: 1-4 TRACE, 5-8 DEBUG, 9-12 INFO, 13-16 WARN, 17-20 ERROR, 21-24 FATAL."""

INSTALL_HINT = "install faultlens[otlp] (the opentelemetry-proto package) to read OTLP protobuf files"


def is_otlp_document(doc: Any) -> bool:
    return isinstance(doc, dict) and any(key in doc for key in ("resourceSpans", "resource_spans",
                                                                "resourceLogs", "resource_logs"))


def decode_otlp_document(doc: dict[str, Any], path: str, line: int) -> Iterator[TraceItem]:
    """The spans and log records of one ExportTraceServiceRequest or ExportLogsServiceRequest (or both)."""
    for resource_spans in _list(doc, "resourceSpans", "resource_spans"):
        resource = attributes(_get(_get(resource_spans, "resource") or {}, "attributes"))
        service = _service(resource)
        for scope_spans in _list(resource_spans, "scopeSpans", "scope_spans", "instrumentationLibrarySpans"):
            scope = _scope_name(scope_spans)
            for span in _list(scope_spans, "spans"):
                item = _span(span, path, line, service, resource, scope)
                if item is not None:
                    yield item
    for resource_logs in _list(doc, "resourceLogs", "resource_logs"):
        resource = attributes(_get(_get(resource_logs, "resource") or {}, "attributes"))
        for scope_logs in _list(resource_logs, "scopeLogs", "scope_logs", "instrumentationLibraryLogs"):
            scope = _scope_name(scope_logs)
            for log_record in _list(scope_logs, "logRecords", "log_records"):
                yield _log_record(log_record, path, line, resource, scope)


def _span(obj: dict[str, Any], path: str, line: int, service: str | None, resource: dict[str, Any],
          scope: str | None) -> SpanRecord | None:
    trace_id = hex_id(_get(obj, "traceId", "trace_id"), 16)
    span_id = hex_id(_get(obj, "spanId", "span_id"), 8)
    start = from_unix_nanos(_get(obj, "startTimeUnixNano", "start_time_unix_nano"))
    if trace_id is None or span_id is None or start is None:
        return None
    end = from_unix_nanos(_get(obj, "endTimeUnixNano", "end_time_unix_nano")) or start
    status = _get(obj, "status") or {}
    events = []
    for event in _list(obj, "events"):
        time = from_unix_nanos(_get(event, "timeUnixNano", "time_unix_nano")) or start
        events.append(SpanEvent(str(_get(event, "name") or ""), time, attributes(_get(event, "attributes"))))
    span = Span(
        trace_id=trace_id, span_id=span_id, name=str(_get(obj, "name") or ""), start=start, end=end,
        service=service, parent_span_id=hex_id(_get(obj, "parentSpanId", "parent_span_id"), 8),
        kind=_enum(_get(obj, "kind"), SPAN_KINDS, "SPAN_KIND_"),
        status=_enum(_get(status, "code"), STATUS_CODES, "STATUS_CODE_"),
        status_message=_get(status, "message") or None,
        attributes=attributes(_get(obj, "attributes")),
    )
    return SpanRecord(path, line, span, events, resource, scope)


def _log_record(obj: dict[str, Any], path: str, line: int, resource: dict[str, Any],
                scope: str | None) -> TelemetryRecord:
    """A log record as a Record: body, severity and time, its attributes and its resource's, as fields."""
    body = any_value(_get(obj, "body"))
    fields: dict[str, Any] = {}
    if isinstance(body, dict):
        fields.update(flatten(body))
        message = peek(fields, "message")
        message = message if isinstance(message, str) else orjson.dumps(body, default=str).decode()
    else:
        message = "" if body is None else body if isinstance(body, str) else orjson.dumps(body).decode()
    fields.update(attributes(_get(obj, "attributes")))
    for key, value in resource.items():
        fields.setdefault(key, value)
    if scope:
        fields.setdefault("logger", scope)
    time_text = _get(obj, "timeUnixNano", "time_unix_nano")
    observed = _get(obj, "observedTimeUnixNano", "observed_time_unix_nano")
    timestamp = from_unix_nanos(time_text) or from_unix_nanos(observed)
    severity_text = _get(obj, "severityText", "severity_text")
    severity_number = _severity_number(_get(obj, "severityNumber", "severity_number"))
    level = normalize_level(severity_text) if severity_text else None
    if level is None and severity_number:
        level = next(name for threshold, name in SEVERITY_LEVELS if severity_number >= threshold)
    trace_id = hex_id(_get(obj, "traceId", "trace_id"), 16)
    span_id = hex_id(_get(obj, "spanId", "span_id"), 8)
    for key, value in (("trace_id", trace_id), ("span_id", span_id)):
        if value is not None:
            fields[key] = value
    fields["message"] = message
    if timestamp is not None:
        fields["timestamp"] = timestamp
    if level is None:
        level = "error" if peek(fields, "error.type") or peek(fields, "error.stack") else "info"
        fields["_level_inferred"] = True
    fields["level"] = level
    identity = "\0".join(str(part) for part in (
        "otlp-log", resource.get("service.name"), scope, time_text, observed, trace_id, span_id, severity_text,
        severity_number, message))
    record = TelemetryRecord(path, line, "otlp-log", message, level, timestamp, fields)
    record.event_id = hashlib.blake2b(identity.encode("utf-8", "replace"), digest_size=16).hexdigest()
    return record


def decode_otlp_protobuf(data: bytes, path: str, line: int) -> Iterator[TraceItem]:
    """One binary ExportTraceServiceRequest or ExportLogsServiceRequest; which one is read from its content.

    Both messages start with the same field number, so the bytes are tried as traces first: real
    spans have 16-byte trace ids and 8-byte span ids, which a log record read as a span never has
    (protobuf may even accept the bytes, reading the mismatched fields as unknown ones).
    """
    try:
        from google.protobuf.json_format import MessageToDict
        from google.protobuf.message import DecodeError
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    except ImportError:
        raise SourceError(f"this looks like OTLP protobuf; {INSTALL_HINT}", path=path) from None
    for message_type, plausible in ((ExportTraceServiceRequest, _has_real_spans),
                                    (ExportLogsServiceRequest, _has_real_logs)):
        try:
            message = message_type.FromString(data)
        except DecodeError:
            continue
        if plausible(message):
            yield from decode_otlp_document(MessageToDict(message), path, line)
            return
    raise SourceError("not an OTLP ExportTraceServiceRequest or ExportLogsServiceRequest; skipped",
                      path=path, line=line)


def _has_real_spans(request: Any) -> bool:
    spans = [span for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]
    return bool(spans) and all(len(s.trace_id) == 16 and len(s.span_id) == 8 for s in spans)


def _has_real_logs(request: Any) -> bool:
    records = [r for rl in request.resource_logs for sl in rl.scope_logs for r in sl.log_records]
    return bool(records) and all(r.time_unix_nano or r.observed_time_unix_nano for r in records)


def any_value(value: Any) -> Any:
    """An OTLP AnyValue ({"stringValue": …}, {"kvlistValue": …}, …) as a plain Python value."""
    if not isinstance(value, dict):
        return value
    for key, item in value.items():
        if key in ("stringValue", "string_value", "boolValue", "bool_value", "bytesValue", "bytes_value"):
            return item
        if key in ("intValue", "int_value"):
            try:
                return int(item)
            except (TypeError, ValueError):
                return item
        if key in ("doubleValue", "double_value"):
            try:
                return float(item)
            except (TypeError, ValueError):
                return item
        if key in ("arrayValue", "array_value"):
            return [any_value(v) for v in (item or {}).get("values", [])]
        if key in ("kvlistValue", "kvlist_value"):
            return attributes((item or {}).get("values"))
    return None


def attributes(items: Any) -> dict[str, Any]:
    """OTLP's list of {key, value} as a dict."""
    if not isinstance(items, list):
        return {}
    out: dict[str, Any] = {}
    for item in items:
        if isinstance(item, dict) and "key" in item:
            out[str(item["key"])] = any_value(item.get("value"))
    return out


def _service(resource: dict[str, Any]) -> str | None:
    name = resource.get("service.name")
    return str(name) if name else None


def _scope_name(scope_items: dict[str, Any]) -> str | None:
    scope = _get(scope_items, "scope", "instrumentationLibrary") or {}
    name = scope.get("name") if isinstance(scope, dict) else None
    return str(name) if name else None


def _enum(value: Any, names: tuple[str | None, ...], prefix: str) -> str | None:
    """An enum given as its number (OTLP/JSON) or its name (protobuf's JSON helpers)."""
    if isinstance(value, int) and 0 <= value < len(names):
        return names[value]
    if isinstance(value, str):
        if value.isdigit():
            return _enum(int(value), names, prefix)
        name = value.removeprefix(prefix).lower()
        return name if name in names else None
    return None


def _severity_number(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        name = value.removeprefix("SEVERITY_NUMBER_")
        base = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}
        for word, number in base.items():
            if name.startswith(word):
                suffix = name[len(word):]
                return number + (int(suffix) - 1 if suffix.isdigit() else 0)
    return 0


def _get(obj: Any, *keys: str) -> Any:
    if not isinstance(obj, dict):
        return None
    for key in keys:
        value = obj.get(key)
        if value is not None:
            return value
    return None


def _list(obj: Any, *keys: str) -> list[Any]:
    value = _get(obj, *keys)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
