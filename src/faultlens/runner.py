"""The runner: moves records from the pipeline into the store, for the CLI and the server alike.

Ordinary lines are only counted (per service, minute and level) so the store grows with the
errors, not with the input; records at or above the kept level go through extraction and
enrichment and are appended in batches.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from faultlens.enrich import Enricher, default_chain, run_chain
from faultlens.errors import FaultlensError, SourceError
from faultlens.grouping.rules import GroupingConfig
from faultlens.grouping.session import STATE_NAME, GroupingSession
from faultlens.ingest.changes import config_change
from faultlens.ingest.extract import Extractor
from faultlens.ingest.fieldmap import peek
from faultlens.ingest.reader import ReadResult, read_items
from faultlens.ingest.record import Record
from faultlens.ingest.sources import MAX_DECOMPRESSED_BYTES, InputRef, expand_inputs
from faultlens.ingest.traces import SpanRecord, extract_event, span_error_event
from faultlens.model import LATENCY_BOUNDS_MS, LEVEL_RANK, Deploy, Event, IngestStats, LatencyBucket, Span, VolumeBucket
from faultlens.store.base import SourceState
from faultlens.times import minute_of

BATCH_EVENTS = 5000
_ROTATION_SUFFIX = re.compile(r"(\.(log|txt|json|jsonl|ndjson|out|err|gz|zst|\d+))+$|[-_.]\d{4}-?\d\d-?\d\d.*$")
_GENERIC_STEMS = frozenset({"app", "application", "error", "errors", "access", "server", "output", "log", "logs",
                            "stdout", "stderr", "messages", "syslog", "debug", "info", "main", "current", "combined"})

Progress = Callable[[int], None]
ReadItems = Callable[[InputRef, ReadResult, str | None], Iterable[Record | SpanRecord]]
"""Yields the records (and spans) of one input, noting what it found in the ReadResult: `read_items`."""
"""Called with the number of bytes read since the last call."""


@dataclass(slots=True)
class Flushed:
    """What one flush wrote: the events (with their issues' fingerprints) and the record counts."""

    events: list[Event]
    volume: list[VolumeBucket]
    latency: list[LatencyBucket] = field(default_factory=list)


OnFlush = Callable[[Flushed], None]
"""Called after each flush that wrote events or counts (the server reports them to its hooks)."""


@dataclass(slots=True)
class IngestOptions:
    input_format: str | None = None
    service: str | None = None
    min_level: str = "warning"
    app_packages: Sequence[str] = ()
    project: str = "default"
    chain: list[Enricher] = field(default_factory=list)
    grouping: GroupingConfig = field(default_factory=GroupingConfig)
    max_decompressed_bytes: int = MAX_DECOMPRESSED_BYTES


def service_from_path(path: str) -> str | None:
    """`order-service/order-service.log.1.gz` → `order-service`; a generic name takes its folder's."""
    if path == "-":
        return None
    stem = _ROTATION_SUFFIX.sub("", os.path.basename(path))
    if stem.lower() in _GENERIC_STEMS or not stem:
        parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
        return parent or stem or None
    return stem


class Sink(Protocol):
    """What an Ingestor writes to and reads back: a store, or a staging buffer (store.staging)."""

    def append_events(self, events: Sequence[Event]) -> int: ...
    def append_volume(self, buckets: Sequence[VolumeBucket]) -> None: ...
    def append_latency(self, buckets: Sequence[LatencyBucket]) -> None: ...
    def append_spans(self, spans: Sequence[Span]) -> None: ...
    def append_deploys(self, deploys: Sequence[Deploy]) -> None: ...
    def source_state(self, path: str) -> SourceState | None: ...
    def record_source(self, state: SourceState, fmt: str) -> None: ...
    def issue_aliases(self, keys: Sequence[str]) -> dict[str, str]: ...
    def add_issue_aliases(self, aliases: Mapping[str, str]) -> None: ...
    def grouping_state(self, name: str) -> str | None: ...
    def save_grouping_state(self, name: str, state: str) -> None: ...


class Ingestor:
    """Reads inputs into a store; keeps what it saw in `stats` even when interrupted."""

    def __init__(self, store: Sink, options: IngestOptions, progress: Progress | None = None,
                 warn: Callable[[str], None] | None = None, on_flush: OnFlush | None = None) -> None:
        self.store = store
        self.options = options
        self.project = options.project
        self.on_flush = on_flush
        self.progress = progress
        self.warn = warn or (lambda message: None)
        self.stats = IngestStats()
        self.grouping = GroupingSession(options.grouping, store.grouping_state(STATE_NAME), options.app_packages)
        self.chain = options.chain or default_chain(self.grouping)
        self.min_rank = LEVEL_RANK[options.min_level]
        self._pending: list[Event] = []
        self._spans: list[Span] = []
        self._volume: dict[tuple[str, str | None, str | None, datetime, str], VolumeBucket] = {}
        self._latency: dict[tuple[str, datetime], LatencyBucket] = {}
        self._changes: list[Deploy] = []

    def run(self, specs: Iterable[str]) -> IngestStats:
        try:
            for item in expand_inputs(list(specs), self.options.max_decompressed_bytes):
                if isinstance(item, SourceError):
                    self._skip(item)
                    continue
                self._ingest_one(item)
        finally:
            self.flush()
            self.store.save_grouping_state(STATE_NAME, self.grouping.state())
        return self.stats

    def _ingest_one(self, ref: InputRef, read: ReadItems = read_items) -> None:
        """Read one input; `read` yields its items (a parallel worker passes one that reads a byte range)."""
        result = ReadResult()
        path = ref.path if ref.is_stdin else os.path.abspath(ref.path)
        previous = None if ref.is_stdin else self.store.source_state(path)
        default_service = self.options.service or service_from_path(ref.path)
        fallback = _file_time(ref)
        extract = Extractor(default_service, fallback)
        seen_lines = 0
        head_hash = ""
        resume = 0
        reported = 0
        try:
            for record in read(ref, result, self.options.input_format):
                if not head_hash:
                    head_hash = result.head_hash
                    resume = previous.lines if previous and previous.head_hash == head_hash else 0
                self.stats.records += 1
                seen_lines = record.line
                if isinstance(record, SpanRecord):
                    if record.line > resume:  # spans have no id of their own in the store: resume, never re-add
                        self._keep_span(record)
                elif record.line > resume:
                    self._count(record, default_service)
                if isinstance(record, Record) and (LEVEL_RANK.get(record.level or "info", 1) >= self.min_rank
                                                   or record.extra):
                    self._keep(record, extract)
                if self.progress and result.bytes_read != reported:
                    self.progress(result.bytes_read - reported)
                    reported = result.bytes_read
        except FaultlensError as exc:
            self._skip(exc)
            return
        finally:
            for problem in result.problems:
                self.stats.problems.append(str(problem))
                self.warn(str(problem))
            self.stats.skipped_lines += result.skipped_lines
        self.stats.files += 1
        self.stats.formats[result.format] = self.stats.formats.get(result.format, 0) + 1
        if result.format == "empty":
            self.warn(f"{ref.path}: empty input; nothing to read")
        if head_hash and not ref.is_stdin:
            self.flush()
            self.store.record_source(SourceState(path, head_hash, max(seen_lines, result.lines)), result.format)

    def ingest(self, items: Iterable[Record | SpanRecord | Event], project: str, extract: Extractor) -> None:
        """Items already decoded (the server's door): counted and kept as a file's records are.

        Events built elsewhere (an SDK's, a probe's) are kept whatever their level: they were sent
        to be seen. Call `flush` to write them.
        """
        self.project = project
        try:
            for item in items:
                self.stats.records += 1
                if isinstance(item, Event):
                    bucket = self._bucket(item.service or extract.default_service or "unknown", item.host,
                                          item.release, item.timestamp.astimezone(UTC).replace(second=0, microsecond=0),
                                          item.level)
                    bucket.count += 1
                    self._keep_event(item, check_level=False)
                elif isinstance(item, SpanRecord):
                    self._keep_span(item)
                else:
                    self._count(item, extract.default_service)
                    if LEVEL_RANK.get(item.level or "info", 1) >= self.min_rank or item.extra:
                        self._keep(item, extract)
        finally:
            self.project = self.options.project

    def _keep(self, record: Record, extract: Extractor) -> None:
        self._keep_event(extract_event(extract, record))

    def _keep_event(self, event: Event, check_level: bool = True) -> None:
        event = run_chain(self.chain, event)
        if check_level and LEVEL_RANK[event.level] < self.min_rank:
            return
        event.project = self.project
        self.stats.events += 1
        self._pending.append(event)
        if len(self._pending) >= BATCH_EVENTS:
            self.flush()

    def _keep_span(self, item: SpanRecord) -> None:
        """Store the span; a request entering a service is counted as one; a failing span is an error event."""
        span = item.span
        self._spans.append(span)
        if item.entry:
            host, release = item.resource.get("host.name"), item.resource.get("service.version")
            bucket = self._bucket(span.service or "unknown", str(host) if host else None,
                                  str(release) if release else None, span.start.replace(second=0, microsecond=0),
                                  "error" if item.failed else "info")
            bucket.count += 1
            bucket.requests += 1
            bucket.failed_requests += item.failed
        event = span_error_event(item)
        if event is not None:
            self._keep_event(event)
        if len(self._spans) >= BATCH_EVENTS:
            self.flush()

    def _bucket(self, service: str, host: str | None, release: str | None, minute: datetime,
                level: str) -> VolumeBucket:
        key = (service, host, release, minute, level)
        bucket = self._volume.get(key)
        if bucket is None:
            bucket = self._volume[key] = VolumeBucket(service, minute, level, host, release)
        return bucket

    def _count(self, record: Record, default_service: str | None) -> None:
        minute = minute_of(record.ts_text)
        if minute is None:
            return
        service, host, release = _record_origin(record)
        service = service or default_service or "unknown"
        bucket = self._bucket(service, host, release, minute, record.level or "info")
        bucket.count += 1
        if record.message:
            change = config_change(service, record.message, record.ts_text, minute)
            if change is not None:
                self._changes.append(change)
        if record.format == "access-log":
            bucket.requests += 1
            if record.level == "error":
                bucket.failed_requests += 1
        duration = _record_duration_ms(record)
        if duration is not None:
            timing = self._latency.get((service, minute))
            if timing is None:
                timing = self._latency[(service, minute)] = LatencyBucket(service, minute)
            timing.counts[bisect_left(LATENCY_BOUNDS_MS, duration)] += 1
            timing.sum_ms += duration

    def flush(self) -> None:
        """Write what is pending; called per batch, per file, and when the run ends or is interrupted."""
        flushed = Flushed([], [])
        if self._pending:
            batch, self._pending = self._pending, []
            self.store.add_issue_aliases(self.grouping.assign_issues(batch, self.store.issue_aliases))
            self.stats.events_new += self.store.append_events(batch)
            flushed.events = batch
        if self._spans:
            spans, self._spans = self._spans, []
            self.store.append_spans(spans)
        if self._volume:
            buckets, self._volume = list(self._volume.values()), {}
            self.store.append_volume(buckets)
            flushed.volume = buckets
        if self._latency:
            timings, self._latency = list(self._latency.values()), {}
            self.store.append_latency(timings)
            flushed.latency = timings
        if self._changes:
            changes, self._changes = self._changes, []
            self.store.append_deploys(changes)
        if self.on_flush is not None and (flushed.events or flushed.volume):
            self.on_flush(flushed)

    def _skip(self, error: FaultlensError) -> None:
        self.stats.skipped_inputs += 1
        self.stats.problems.append(str(error))
        self.warn(str(error))


DURATION_MS_KEYS = ("request.duration_ms", "duration_ms", "http.duration_ms", "elapsed_ms", "response_time_ms",
                    "latency_ms", "responseTime")
"""Fields that hold a request's duration in milliseconds; fields in other units are not guessed at."""


def _record_duration_ms(record: Record) -> float | None:
    """A record's request duration, read without expanding it: an access log's request time, or a field."""
    header = record.header
    if header is not None:
        if record.format != "access-log":
            return None
        token = (header.group("trailer") or "").split(None, 1)
        try:
            return float(token[0]) * 1000.0 if token and "=" not in token[0] else None
        except ValueError:
            return None
    fields = record.fields
    if not fields:
        return None
    for key in DURATION_MS_KEYS:
        value = fields.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
    return None


def _record_origin(record: Record) -> tuple[str | None, str | None, str | None]:
    """Service, host and release a record names itself, read without expanding the whole record."""
    header = record.header
    if header is not None:
        groups = header.re.groupindex
        return (header.group("app") if "app" in groups else None,
                header.group("host") if "host" in groups else None, None)
    fields = record.fields
    if not fields:
        return None, None, None
    service, host, release = peek(fields, "service"), peek(fields, "host"), peek(fields, "release")
    return (str(service) if service else None, str(host) if host else None, str(release) if release else None)


def _file_time(ref: InputRef) -> datetime:
    """Records with no time of their own are placed at the file's modification time."""
    if not ref.is_stdin:
        try:
            return datetime.fromtimestamp(os.path.getmtime(ref.path), tz=UTC)
        except OSError:
            pass
    return datetime.now(UTC)
