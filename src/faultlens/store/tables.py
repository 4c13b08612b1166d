"""What the pipeline appends, as Arrow tables: one builder per table, shared by every writer.

The DuckDB store inserts these tables directly; the staging buffer builds them in a preparing
process and hands them over whole, so the process that owns the store only inserts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from faultlens.model import LATENCY_BOUNDS_MS, Deploy, Event, LatencyBucket, Span, VolumeBucket
from faultlens.store.rows import naive_utc

ISSUE_SCHEMA = pa.schema([
    ("project", pa.string()), ("fingerprint", pa.string()), ("title", pa.string()), ("type", pa.string()),
    ("level", pa.string()), ("culprit", pa.string()), ("first_seen", pa.timestamp("us")),
    ("last_seen", pa.timestamp("us")),
])
LATENCY_SCHEMA = pa.schema([("service", pa.string()), ("minute", pa.timestamp("us")), ("le_ms", pa.float64()),
                            ("count", pa.int64())])


def issues_table(events: Sequence[Event]) -> pa.Table:
    """One row per fingerprint in the batch: ON CONFLICT may touch each issue once per statement."""
    by_fp: dict[str, dict[str, Any]] = {}
    for event in events:
        stamp = naive_utc(event.timestamp)
        row = by_fp.get(event.fingerprint or "")
        if row is None:
            exc = event.primary_exception
            by_fp[event.fingerprint or ""] = {
                "project": event.project, "fingerprint": event.fingerprint, "title": event.title,
                "type": exc.type if exc else None, "level": event.level, "culprit": event.culprit,
                "first_seen": stamp, "last_seen": stamp,
            }
        else:
            row["first_seen"] = min(row["first_seen"], stamp)
            row["last_seen"] = max(row["last_seen"], stamp)
    return pa.Table.from_pylist(list(by_fp.values()), schema=ISSUE_SCHEMA)


def latency_table(buckets: Sequence[LatencyBucket]) -> pa.Table | None:
    rows = [(b.service, naive_utc(b.minute), bound, count) for b in buckets
            for bound, count in zip((*LATENCY_BOUNDS_MS, None), b.counts, strict=True) if count]
    if not rows:
        return None
    service, minute, bound, count = (list(column) for column in zip(*rows, strict=True))
    return pa.Table.from_pydict({"service": service, "minute": minute, "le_ms": bound, "count": count},
                                schema=LATENCY_SCHEMA)


def volume_table(buckets: Sequence[VolumeBucket]) -> pa.Table:
    return pa.Table.from_pydict({
        "service": [b.service for b in buckets],
        "host": [b.host for b in buckets],
        "release": [b.release for b in buckets],
        "minute": [naive_utc(b.minute) for b in buckets],
        "level": [b.level for b in buckets],
        "count": [b.count for b in buckets],
        "requests": [b.requests for b in buckets],
        "failed_requests": [b.failed_requests for b in buckets],
    })


def spans_table(spans: Sequence[Span]) -> pa.Table:
    return pa.Table.from_pydict({
        "trace_id": [s.trace_id for s in spans], "span_id": [s.span_id for s in spans],
        "parent_span_id": [s.parent_span_id for s in spans], "service": [s.service for s in spans],
        "name": [s.name for s in spans], "kind": [s.kind for s in spans],
        "start": [naive_utc(s.start) for s in spans], "end": [naive_utc(s.end) for s in spans],
        "status": [s.status for s in spans], "status_message": [s.status_message for s in spans],
        "attributes": [orjson.dumps(s.attributes, default=str).decode() for s in spans],
    })


def deploys_table(deploys: Sequence[Deploy]) -> pa.Table:
    return pa.Table.from_pydict({
        "service": [d.service for d in deploys], "release": [d.release for d in deploys],
        "time": [naive_utc(d.time) for d in deploys], "source": [d.source for d in deploys],
        "commit": [d.commit for d in deploys], "previous_release": [d.previous_release for d in deploys],
        "kind": [d.kind for d in deploys], "description": [d.description for d in deploys],
    })


def aliases_table(aliases: Mapping[str, str]) -> pa.Table:
    return pa.table({"key": pa.array(list(aliases), pa.string()),
                     "fingerprint": pa.array(list(aliases.values()), pa.string())})


def unseen_events(events: pa.Table, known: set[str] | frozenset[str] = frozenset()) -> pa.Table:
    """`events` less those whose id is in `known` or came earlier in the table: each id once."""
    ids = events.column("id")
    if not known and pc.count_distinct(ids).as_py() == events.num_rows:
        return events  # the common case, decided without leaving Arrow
    seen = set(known)
    keep = []
    for event_id in ids.to_pylist():
        keep.append(event_id not in seen)
        seen.add(event_id)
    return events if all(keep) else events.filter(pa.array(keep))


def time_span(events: pa.Table) -> tuple[Any, Any]:
    """The earliest and latest `timestamp` of a non-empty events table: where its copies could lie."""
    stamps = events.column("timestamp")
    return pc.min(stamps).as_py(), pc.max(stamps).as_py()
