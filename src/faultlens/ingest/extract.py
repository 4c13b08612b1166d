"""Extraction: a decoded Record becomes an Event with its fields in their places.

Field names are found through `fieldmap`'s candidates, stack traces through the
`stacktrace` parsers, and whatever is left is kept as tags (short scalars) and context.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

import orjson

from faultlens.ingest.coerce import as_float, as_int, as_str
from faultlens.ingest.decode_text import expand_header
from faultlens.ingest.fieldmap import take
from faultlens.ingest.record import Record
from faultlens.model import LEVEL_RANK, Event, ExceptionInfo, Frame, Source
from faultlens.stacktrace import parse_trace
from faultlens.times import parse_timestamp

MAX_TAG_LENGTH = 200
_ID_LIKE = re.compile(r"[\w.:/-]{6,}$")
_GCP_TRACE = re.compile(r"projects/[^/]+/traces/([0-9a-fA-F]+)$")
_HEADER_KEYS = frozenset({"logger", "thread", "host", "app", "pid", "pri", "mdc", "_level_inferred"})


def event_id(path: str, line: int, first_line: str) -> str:
    """Stable id: the same line of the same input always gets the same id, so re-reading adds nothing."""
    digest = hashlib.blake2b(f"{path}\0{line}\0{first_line}".encode("utf-8", "replace"), digest_size=16)
    return digest.hexdigest()


class Extractor:
    """Turn Records into Events; `default_service` names the producer when the record does not."""

    def __init__(self, default_service: str | None, fallback_time: datetime) -> None:
        self.default_service = default_service
        self.fallback_time = fallback_time

    def __call__(self, record: Record) -> Event:
        expand_header(record)
        fields = dict(record.fields)
        inferred = bool(fields.pop("_level_inferred", False))
        for key in ("timestamp", "level", "message"):
            take(fields, key)  # already read by the decoder
        timestamp = parse_timestamp(record.ts_text) or self.fallback_time
        stack_value = take(fields, "error.stack")
        exceptions, stack_text, platform = _exceptions(record, fields, stack_value)
        level = record.level or "info"
        if exceptions and inferred and LEVEL_RANK[level] < LEVEL_RANK["error"]:
            level = "error"
        message = record.message
        if not message and exceptions:
            message = f"{exceptions[-1].type}: {exceptions[-1].value}".rstrip(": ")
        event = Event(
            id=event_id(record.path, record.line, record.message),
            timestamp=timestamp,
            level=level,
            message=message,
            source=Source(record.path, record.line),
            service=as_str(take(fields, "service")) or as_str(fields.pop("app", None)) or self.default_service,
            environment=as_str(take(fields, "environment")),
            host=as_str(take(fields, "host")),
            release=as_str(take(fields, "release")),
            logger=as_str(take(fields, "logger")),
            thread=as_str(take(fields, "thread")),
            exceptions=exceptions,
            stacktrace=stack_text,
            platform=platform,
            explicit_fingerprint=_fingerprint_value(take(fields, "fingerprint")),
            trace_id=_trace_id(take(fields, "trace_id")),
            span_id=as_str(take(fields, "span_id")),
            parent_span_id=as_str(take(fields, "parent_span_id")),
            correlation_id=_correlation(take(fields, "correlation_id")),
            user_id=as_str(take(fields, "user.id")),
            user_ip=as_str(take(fields, "user.ip")),
            session_id=as_str(take(fields, "session_id")),
            http_method=as_str(take(fields, "http.method")),
            http_path=as_str(take(fields, "http.path")),
            http_status=as_int(take(fields, "http.status_code")),
            duration_ms=as_float(take(fields, "duration_ms")),
        )
        fields.pop("pri", None)
        _keep_rest(event, fields)
        return event


def _exceptions(record: Record, fields: dict[str, Any],
                stack_value: Any) -> tuple[list[ExceptionInfo], str | None, str | None]:
    """The exception chain from a structured traceback, a stack string, or the continuation lines."""
    exc_type = as_str(take(fields, "error.type"))
    exc_message = as_str(take(fields, "error.message"))
    structured = _structlog_exceptions(stack_value)
    if structured:
        return structured, None, "python"
    text: str | None = None
    if isinstance(stack_value, str):
        text = stack_value
    elif isinstance(stack_value, list) and all(isinstance(x, str) for x in stack_value):
        text = "\n".join(stack_value)
    if text is None and record.extra:
        text = record.full_text()
    parsed = parse_trace(text) if text else None
    if parsed is None and text is None and "Traceback" in record.message:
        parsed = parse_trace(record.message)
    if parsed is not None and parsed.exceptions:
        chain = parsed.exceptions
        if exc_type and chain[-1].type in ("<unknown>", ""):
            chain[-1].type = exc_type
        if exc_message is not None and _short_type(chain[-1].type) == _short_type(exc_type or chain[-1].type):
            chain[-1].value = exc_message  # the producer's own text: a trace's last line cuts multi-line messages
        return chain, text, parsed.language
    if exc_type or exc_message:
        return [ExceptionInfo(type=exc_type or "Error", value=exc_message or "")], text, None
    return [], text, None


def _short_type(name: str) -> str:
    return name.rpartition(".")[2]


def _structlog_exceptions(value: Any) -> list[ExceptionInfo]:
    """structlog's dict_tracebacks: a list of {exc_type, exc_value, frames: [{filename, lineno, name}]}."""
    if not isinstance(value, list) or not value or not all(isinstance(x, dict) and "exc_type" in x for x in value):
        return []
    chain: list[ExceptionInfo] = []
    for item in reversed(value):  # structlog lists the last raised first
        frames = [
            Frame(function=f.get("name"), filename=f.get("filename"), abs_path=f.get("filename"),
                  lineno=as_int(f.get("lineno")))
            for f in item.get("frames", []) if isinstance(f, dict)
        ]
        type_name = str(item.get("exc_type", "Error"))
        module, _, short = type_name.rpartition(".")
        chain.append(ExceptionInfo(type=short, value=str(item.get("exc_value", "")), module=module or None,
                                   frames=frames, relation="cause"))
    chain[-1].relation = None
    return chain


def _keep_rest(event: Event, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if value is None or value == "" or key in ("_level_inferred",):
            continue
        if key in _HEADER_KEYS and key not in ("pid", "mdc"):
            continue
        if isinstance(value, str | int | float | bool) and len(str(value)) <= MAX_TAG_LENGTH:
            event.tags[key] = str(value)
        else:
            event.context[key] = value if _json_safe(value) else str(value)


def _json_safe(value: Any) -> bool:
    try:
        orjson.dumps(value)
    except TypeError:
        return False
    return True








def _trace_id(value: Any) -> str | None:
    text = as_str(value)
    if text is None:
        return None
    match = _GCP_TRACE.search(text)
    return match.group(1) if match else text


def _correlation(value: Any) -> str | None:
    """A correlation id, or None for an empty MDC slot or a key=value list without one."""
    text = as_str(value)
    if text is None:
        return None
    text = text.strip()
    if "=" in text:
        for pair in re.split(r"[,\s]+", text):
            key, _, val = pair.partition("=")
            if key.lower().replace("-", "_") in ("correlation_id", "correlationid", "request_id", "requestid", "cid"):
                return val or None
        return None
    return text if _ID_LIKE.match(text) else None


def _fingerprint_value(value: Any) -> str | None:
    if isinstance(value, list):
        return "/".join(str(v) for v in value) or None
    return as_str(value)
