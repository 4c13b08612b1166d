"""Spans read from trace exports, and the error events failing spans stand for.

Every trace decoder (OTLP, Zipkin, Jaeger) yields SpanRecords: the store's Span plus what the
store leaves out but an error needs (the span's events, its resource). A span with error status
or an exception event becomes an Event here, so errors seen only in traces join the same enrich
chain, issues and store as errors from logs. OTLP log records become TelemetryRecords: Records
like any log line's, with an id the producer's data decides rather than a byte position, so the
same record read from protobuf or JSON is stored once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from faultlens.ingest.coerce import as_int, as_str
from faultlens.ingest.extract import Extractor
from faultlens.ingest.record import Record
from faultlens.model import Event, ExceptionInfo, Source, Span
from faultlens.stacktrace import UNKNOWN_TYPE, parse_trace

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ENTRY_KINDS = frozenset({"server", "consumer"})
CORRELATION_ATTRIBUTES: tuple[str, ...] = (
    "correlation_id", "correlationId", "correlation.id", "request_id", "requestId", "request.id", "x_request_id",
    "http.request.header.x-correlation-id", "http.request.header.x-request-id", "http.request.id",
)
"""Span attributes that carry a request's correlation id: plain keys, or the request header as semconv records it."""

_HEX = re.compile(r"[0-9a-fA-F]+")
_SDK_PLATFORMS = {"python": "python", "java": "java", "go": "go", "nodejs": "javascript", "webjs": "javascript",
                  "ruby": "ruby", "php": "php", "dotnet": "csharp", "rust": "rust", "erlang": "elixir",
                  "swift": "swift", "cpp": "native"}
MAX_TAG_LENGTH = 200


@dataclass(slots=True)
class SpanEvent:
    """A timed event inside a span; OpenTelemetry records an exception as one named "exception"."""

    name: str
    time: datetime
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class SpanRecord:
    """One span as a trace input holds it; `line` is the input's line (or protobuf message) it came from."""

    path: str
    line: int
    span: Span
    events: list[SpanEvent] = field(default_factory=list)
    resource: dict[str, Any] = field(default_factory=dict)
    scope: str | None = None

    @property
    def failed(self) -> bool:
        return self.span.status == "error"

    @property
    def entry(self) -> bool:
        """A request entering a service: a server or consumer span, or a root span."""
        return self.span.kind in ENTRY_KINDS or self.span.parent_span_id is None

    def exception_events(self) -> list[SpanEvent]:
        return [event for event in self.events if event.name == "exception"]


@dataclass(slots=True)
class TelemetryRecord(Record):
    """A log record from a telemetry protocol; `event_id` is derived from its content, not its position."""

    event_id: str = ""


TraceItem = SpanRecord | TelemetryRecord


def hex_id(value: Any, size: int) -> str | None:
    """A trace (16-byte) or span (8-byte) id as lowercase hex, whether written as hex, base64 or raw bytes.

    OTLP/JSON writes hex, protobuf's JSON helpers base64; Zipkin's 64-bit trace ids and Jaeger's
    unpadded ids are shorter hex, kept at their width (span ids padded to 16). All-zero ids mean
    "none" in OTLP.
    """
    if value is None or value == "" or value == b"":
        return None
    if isinstance(value, bytes | bytearray):
        text = bytes(value).hex()
    else:
        text = str(value).strip()
        if not (_HEX.fullmatch(text) and len(text) == size * 2):
            text = _from_base64(text, size) or _short_hex(text, size)
    text = text.lower()
    return None if not text.strip("0") else text


def _from_base64(text: str, size: int) -> str | None:
    if len(text) < size or (_HEX.fullmatch(text) and len(text) <= size * 2):
        return None
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return None
    return raw.hex() if len(raw) == size else None


def _short_hex(text: str, size: int) -> str:
    if not _HEX.fullmatch(text):
        return text
    width = 16 if size == 8 or len(text) <= 16 else 32
    return text.rjust(width, "0") if len(text) < width else text


def from_unix_nanos(value: Any) -> datetime | None:
    """OTLP's fixed64 nanoseconds (a JSON string or number); 0 means unset."""
    try:
        nanos = int(value)
    except (TypeError, ValueError):
        return None
    return _after_epoch(nanos // 1000) if nanos > 0 else None


def from_unix_micros(value: Any) -> datetime | None:
    """Zipkin's and Jaeger's microseconds since the epoch."""
    try:
        micros = int(value)
    except (TypeError, ValueError):
        return None
    return _after_epoch(micros) if micros > 0 else None


def _after_epoch(micros: int) -> datetime | None:
    """None for a time past the year 9999 (a damaged or hostile export), not an OverflowError."""
    try:
        return EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        return None


def correlation_of(attributes: dict[str, Any]) -> str | None:
    """The correlation id a span's attributes carry, if any."""
    for key in CORRELATION_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if value is not None and value != "":
            return str(value)
    return None


def carries_correlation(attributes: dict[str, Any], wanted: str) -> bool:
    """Whether any correlation attribute of a span holds `wanted` (a header attribute is a list of values)."""
    for key in CORRELATION_ATTRIBUTES:
        value = attributes.get(key)
        if value == wanted or (isinstance(value, list | tuple) and wanted in value):
            return True
    return False


def span_error_event(item: SpanRecord) -> Event | None:
    """The error a span stands for: error status or an exception event; None for a span that went well.

    The last exception event is the one that escaped the span; its stack trace is parsed like a
    logged one. The id is the span's own, so every encoding of the same span gives one event.
    """
    raised = item.exception_events()
    if not item.failed and not raised:
        return None
    span = item.span
    attrs = span.attributes
    last = raised[-1] if raised else None
    exceptions, stack, platform = _exceptions(last)
    if platform is None:
        platform = _SDK_PLATFORMS.get(str(item.resource.get("telemetry.sdk.language", "")))
    duration = (span.end - span.start).total_seconds() * 1000.0
    event = Event(
        id=hashlib.blake2b(f"span\0{span.trace_id}\0{span.span_id}".encode(), digest_size=16).hexdigest(),
        timestamp=last.time if last is not None else span.end,
        level="error",
        message=_message(span, exceptions),
        source=Source(item.path, item.line),
        service=span.service,
        environment=as_str(item.resource.get("deployment.environment.name") or
                         item.resource.get("deployment.environment")),
        host=as_str(item.resource.get("host.name")),
        release=as_str(item.resource.get("service.version")),
        logger=item.scope,
        platform=platform,
        exceptions=exceptions,
        stacktrace=stack,
        trace_id=span.trace_id,
        span_id=span.span_id,
        parent_span_id=span.parent_span_id,
        correlation_id=correlation_of(attrs),
        user_id=as_str(attrs.get("enduser.id") or attrs.get("user.id")),
        user_ip=as_str(attrs.get("client.address") or attrs.get("http.client_ip")),
        session_id=as_str(attrs.get("session.id")),
        http_method=as_str(attrs.get("http.request.method") or attrs.get("http.method")),
        http_path=_path(attrs),
        http_status=as_int(attrs.get("http.response.status_code") or attrs.get("http.status_code")),
        duration_ms=round(duration, 3),
    )
    event.tags["span.name"] = span.name
    if span.kind:
        event.tags["span.kind"] = span.kind
    for key, value in attrs.items():
        if isinstance(value, str | int | float | bool) and len(str(value)) <= MAX_TAG_LENGTH:
            event.tags.setdefault(key, str(value))
        else:
            event.context[key] = value
    return event


def _exceptions(raised: SpanEvent | None) -> tuple[list[ExceptionInfo], str | None, str | None]:
    if raised is None:
        return [], None, None
    attrs = raised.attributes
    exc_type = as_str(attrs.get("exception.type"))
    exc_message = as_str(attrs.get("exception.message")) or ""
    stack = as_str(attrs.get("exception.stacktrace"))
    parsed = parse_trace(stack) if stack else None
    if parsed is not None and parsed.exceptions:
        chain = parsed.exceptions
        if exc_type and chain[-1].type in (UNKNOWN_TYPE, ""):
            chain[-1].type = exc_type
        if exc_message and not chain[-1].value:
            chain[-1].value = exc_message
        return chain, stack, parsed.language
    if exc_type is None and not exc_message:
        return [], stack, None
    module, _, short = (exc_type or "Error").rpartition(".")
    return [ExceptionInfo(type=short, value=exc_message, module=module or None)], stack, None


def _message(span: Span, exceptions: list[ExceptionInfo]) -> str:
    if exceptions:
        last = exceptions[-1]
        return f"{last.type}: {last.value}" if last.value else last.type
    if span.status_message:
        return span.status_message
    status = span.attributes.get("http.response.status_code") or span.attributes.get("http.status_code")
    if status is not None:
        return f"{span.name} failed with HTTP {status}"
    return f"{span.name} failed"


def _path(attrs: dict[str, Any]) -> str | None:
    path = as_str(attrs.get("url.path") or attrs.get("http.target") or attrs.get("http.route"))
    return path.split("?", 1)[0] if path else None


def extract_event(extract: Extractor, record: Record) -> Event:
    """Extract a record; a telemetry record keeps its content-derived id."""
    event = extract(record)
    if isinstance(record, TelemetryRecord) and record.event_id:
        event.id = record.event_id
    return event




