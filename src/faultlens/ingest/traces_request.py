"""Read the inputs for one request: its spans, its log lines (INFO included) and its errors, nothing else.

The store keeps errors only, so a request's path is read from the inputs themselves. Each raw line
(or trace document) is first checked for the id as a substring, so the lines of other requests are
never decoded. A trace id is looked for as hex (either case), as base64 (protobuf's JSON) and as raw
bytes (protobuf). A correlation or request id finds the lines holding it and the spans whose
attributes carry it; the traces those belong to are then read in a second pass, so the whole path
across services is found even where only the first service knew the correlation id.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from faultlens.errors import FaultlensError, SourceError
from faultlens.ingest.extract import Extractor
from faultlens.ingest.reader import ReadResult, read_items
from faultlens.ingest.record import Record
from faultlens.ingest.sources import InputRef, expand_inputs
from faultlens.ingest.traces import SpanRecord, carries_correlation, extract_event, span_error_event
from faultlens.ingest.traces_input import Needles
from faultlens.model import Event

ID_KINDS = ("trace", "correlation", "request")
_HEX = re.compile(r"[0-9a-fA-F]+")


@dataclass(slots=True)
class RequestData:
    """What the inputs hold about one request."""

    spans: list[SpanRecord] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    """Every log line of the request as an event (any level), and the error each failing span stands for."""
    files: int = 0
    problems: list[str] = field(default_factory=list)


def trace_needles(trace_ids: Iterable[str]) -> Needles:
    """A trace id as hex in either case, as base64, and as the raw bytes protobuf holds."""
    text: list[str] = []
    binary: list[bytes] = []
    for trace_id in trace_ids:
        text += [trace_id.lower(), trace_id.upper()]
        if _HEX.fullmatch(trace_id) and len(trace_id) % 2 == 0:
            raw = bytes.fromhex(trace_id)
            text.append(base64.b64encode(raw).decode())
            binary.append(raw)
    return Needles(tuple(dict.fromkeys(text)), tuple(binary))


def text_needles(value: str) -> Needles:
    return Needles((value,), (value.encode(),))


@dataclass(slots=True)
class ReadOptions:
    """How inputs are read: the format (None: detected) and the service of lines that name none, by path."""

    input_format: str | None = None
    default_service: Callable[[str], str | None] = lambda path: None
    warn: Callable[[str], None] | None = None


def read_request(specs: list[str], kind: str, request_id: str, options: ReadOptions | None = None) -> RequestData:
    """Stream the inputs once (twice for a correlation id that leads to traces) and keep the request's data.

    Standard input can be read only once: a correlation id read from it finds only what holds the id.
    """
    if kind not in ID_KINDS:
        raise ValueError(f"unknown id kind {kind!r}")
    options = options or ReadOptions()
    data = RequestData()
    seen_spans: set[tuple[str, str]] = set()
    seen_events: set[str] = set()
    if kind == "trace":
        wanted = request_id.lower()
        _read(specs, trace_needles([wanted]), lambda item: item.span.trace_id == wanted,
              _record_match({wanted}, None), data, seen_spans, seen_events, options)
        return data
    _read(specs, text_needles(request_id), lambda item: carries_correlation(item.span.attributes, request_id),
          _record_match(set(), request_id), data, seen_spans, seen_events, options)
    trace_ids = {item.span.trace_id for item in data.spans} | {e.trace_id for e in data.events if e.trace_id}
    if trace_ids:
        data.files = 0
        data.problems.clear()
        _read(specs, trace_needles(sorted(trace_ids)), lambda item: item.span.trace_id in trace_ids,
              _record_match(trace_ids, request_id), data, seen_spans, seen_events, options)
    return data


RecordMatch = Callable[[Record, Event], bool]


def _record_match(trace_ids: set[str], request_id: str | None) -> RecordMatch:
    """A record belongs to the request when it names one of its traces or its id, or quotes the id."""
    upper = {t.upper() for t in trace_ids}

    def match(record: Record, event: Event) -> bool:
        if event.trace_id and event.trace_id.lower() in trace_ids:
            return True
        if request_id is not None and request_id in (event.correlation_id, event.trace_id):
            return True
        text = record.full_text()
        needles = [*trace_ids, *upper, *([request_id] if request_id else [])]
        if any(needle in text for needle in needles):
            return True
        values = [*event.tags.values(), *(str(v) for v in event.context.values())]
        return any(needle in value for needle in needles for value in values)

    return match


def _read(specs: list[str], needles: Needles, span_match: Callable[[SpanRecord], bool], record_match: RecordMatch,
          data: RequestData, seen_spans: set[tuple[str, str]], seen_events: set[str], options: ReadOptions) -> None:
    for ref in expand_inputs(list(specs)):
        if isinstance(ref, SourceError):
            _problem(data, str(ref), options.warn)
            continue
        _read_one(ref, needles, span_match, record_match, data, seen_spans, seen_events, options)


def _read_one(ref: InputRef, needles: Needles, span_match: Callable[[SpanRecord], bool], record_match: RecordMatch,
              data: RequestData, seen_spans: set[tuple[str, str]], seen_events: set[str], options: ReadOptions) -> None:
    result = ReadResult()
    extract = Extractor(options.default_service(ref.path), _file_time(ref))
    warn = options.warn
    try:
        for item in read_items(ref, result, options.input_format, needles):
            if isinstance(item, SpanRecord):
                key = (item.span.trace_id, item.span.span_id)
                if key in seen_spans or not span_match(item):
                    continue
                seen_spans.add(key)
                data.spans.append(item)
                error = span_error_event(item)  # a failure without an exception is the span row itself
                if error is not None and error.exceptions and error.id not in seen_events:
                    seen_events.add(error.id)
                    data.events.append(error)
                continue
            event = extract_event(extract, item)
            if event.id not in seen_events and record_match(item, event):
                seen_events.add(event.id)
                data.events.append(event)
    except FaultlensError as exc:
        _problem(data, str(exc), warn)
        return
    finally:
        for problem in result.problems:
            _problem(data, str(problem), warn)
    data.files += 1


def _problem(data: RequestData, message: str, warn: Callable[[str], None] | None) -> None:
    data.problems.append(message)
    if warn is not None:
        warn(message)


def _file_time(ref: InputRef) -> datetime:
    """Lines without a time of their own are placed at the input's modification time, as when analysing."""
    if not ref.is_stdin:
        try:
            return datetime.fromtimestamp(os.path.getmtime(ref.path), tz=UTC)
        except OSError:
            pass
    return datetime.now(UTC)
