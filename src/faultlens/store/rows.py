"""Events to column batches and back: the one place that knows how an Event lies in a table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

from faultlens.model import Event, ExceptionInfo, Frame, Source, exception_dict
from faultlens.store.schema import EVENT_COLUMNS

_ARROW_TYPES = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us"), "INTEGER": pa.int32(),
                "DOUBLE": pa.float64(), "BIGINT": pa.int64()}
EVENT_SCHEMA = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in EVENT_COLUMNS])


def naive_utc(moment: datetime) -> datetime:
    """Tables hold UTC without a zone, so every backend compares times alike."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def aware_utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _json(value: Any) -> str | None:
    if not value:
        return None
    return orjson.dumps(value, default=str).decode()


def event_row(event: Event) -> dict[str, Any]:
    exc = event.primary_exception
    return {
        "id": event.id,
        "project": event.project,
        "fingerprint": event.fingerprint,
        "timestamp": naive_utc(event.timestamp),
        "level": event.level,
        "service": event.service,
        "environment": event.environment,
        "host": event.host,
        "release": event.release,
        "logger": event.logger,
        "thread": event.thread,
        "platform": event.platform,
        "message": event.message,
        "template": event.template,
        "title": event.title,
        "exc_type": exc.type if exc else None,
        "exc_value": exc.value if exc else None,
        "exc_module": exc.module if exc else None,
        "culprit": event.culprit,
        "exceptions": _json([exception_dict(e) for e in event.exceptions]),
        "stacktrace": event.stacktrace,
        "trace_id": event.trace_id,
        "span_id": event.span_id,
        "parent_span_id": event.parent_span_id,
        "correlation_id": event.correlation_id,
        "user_id": event.user_id,
        "user_ip": event.user_ip,
        "session_id": event.session_id,
        "http_method": event.http_method,
        "http_path": event.http_path,
        "http_status": event.http_status,
        "duration_ms": event.duration_ms,
        "tags": _json(event.tags),
        "context": _json(event.context),
        "grouping": _json(event.grouping),
        "source_path": event.source.path,
        "source_line": event.source.line,
    }


def events_to_arrow(events: Sequence[Event]) -> pa.Table:
    rows = [event_row(e) for e in events]
    columns = {name: [row[name] for row in rows] for name, _ in EVENT_COLUMNS}
    return pa.Table.from_pydict(columns, schema=EVENT_SCHEMA)


def event_from_row(row: dict[str, Any]) -> Event:
    """Rebuild an Event from a stored row (for samples shown in reports)."""
    exceptions = []
    for item in orjson.loads(row["exceptions"]) if row.get("exceptions") else []:
        frames = [Frame(**f) for f in item.pop("frames", [])]
        exceptions.append(ExceptionInfo(frames=frames, **item))
    return Event(
        id=row["id"], timestamp=aware_utc(row["timestamp"]) or datetime.now(UTC), level=row["level"],
        message=row["message"] or "", source=Source(row["source_path"], row["source_line"]),
        service=row["service"], environment=row["environment"], host=row["host"], release=row["release"],
        logger=row["logger"], thread=row["thread"], template=row["template"], title=row["title"],
        culprit=row["culprit"], platform=row["platform"], project=row["project"] or "default",
        exceptions=exceptions, stacktrace=row["stacktrace"], trace_id=row["trace_id"], span_id=row["span_id"],
        parent_span_id=row["parent_span_id"], correlation_id=row["correlation_id"], user_id=row["user_id"],
        user_ip=row["user_ip"], session_id=row["session_id"], http_method=row["http_method"],
        http_path=row["http_path"], http_status=row["http_status"], duration_ms=row["duration_ms"],
        tags=orjson.loads(row["tags"]) if row.get("tags") else {},
        context=orjson.loads(row["context"]) if row.get("context") else {},
        fingerprint=row["fingerprint"], grouping=orjson.loads(row["grouping"]) if row.get("grouping") else [],
    )
