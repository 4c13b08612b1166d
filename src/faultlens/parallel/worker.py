"""One worker's share: read a piece, count its lines, extract its events, and hand them back unenriched.

The worker runs the same Ingestor as a single process does, with two differences: its enrich
chain leaves events as extracted (the parent enriches them in input order), and it writes to a
`PieceSink` that keeps what it is given, for the parent to merge.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from faultlens.ingest.reader import ReadResult, read_items
from faultlens.ingest.record import Record
from faultlens.ingest.sources import InputRef
from faultlens.ingest.traces import SpanRecord
from faultlens.model import Deploy, Event, IngestStats, LatencyBucket, Span, VolumeBucket
from faultlens.parallel.split import Piece, read_range
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store.base import SourceState


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """What reading and extraction depend on (grouping settings stay with the parent)."""

    input_format: str | None = None
    service: str | None = None
    min_level: str = "warning"


@dataclass(slots=True)
class PieceResult:
    """What a worker read from one piece, in the order it read it."""

    events: list[Event] = field(default_factory=list)
    volume: list[VolumeBucket] = field(default_factory=list)
    latency: list[LatencyBucket] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    deploys: list[Deploy] = field(default_factory=list)
    source: tuple[SourceState, str] | None = None
    stats: IngestStats = field(default_factory=IngestStats)
    warnings: list[str] = field(default_factory=list)


class PieceSink:
    """A Sink that keeps everything the worker's Ingestor writes; it knows no issues and no miner state."""

    def __init__(self, result: PieceResult, previous: SourceState | None) -> None:
        self.result = result
        self.previous = previous

    def append_events(self, events: Sequence[Event]) -> int:
        self.result.events.extend(events)
        return len(events)

    def append_volume(self, buckets: Sequence[VolumeBucket]) -> None:
        self.result.volume.extend(buckets)

    def append_latency(self, buckets: Sequence[LatencyBucket]) -> None:
        self.result.latency.extend(buckets)

    def append_spans(self, spans: Sequence[Span]) -> None:
        self.result.spans.extend(spans)

    def append_deploys(self, deploys: Sequence[Deploy]) -> None:
        self.result.deploys.extend(deploys)

    def source_state(self, path: str) -> SourceState | None:
        return self.previous

    def record_source(self, state: SourceState, fmt: str) -> None:
        self.result.source = (state, fmt)

    def issue_aliases(self, keys: Sequence[str]) -> dict[str, str]:
        return {}

    def add_issue_aliases(self, aliases: Mapping[str, str]) -> None:
        """Workers assign no issues."""

    def grouping_state(self, name: str) -> str | None:
        return None

    def save_grouping_state(self, name: str, state: str) -> None:
        """Workers mine no templates."""


def as_extracted(event: Event) -> Event:
    """The workers' enrich chain: none; the parent enriches every event in input order."""
    return event


def read_piece(piece: Piece, options: WorkerOptions, previous: SourceState | None) -> PieceResult:
    """Read one piece in this (worker) process; `previous` is how far its file was read by an earlier run."""
    result = PieceResult()
    ingestor = Ingestor(PieceSink(result, previous),
                        IngestOptions(input_format=options.input_format, service=options.service,
                                      min_level=options.min_level, chain=[as_extracted]),
                        warn=result.warnings.append)

    def read(ref: InputRef, found: ReadResult, input_format: str | None) -> Iterator[Record | SpanRecord]:
        if piece.head is None:
            return read_items(ref, found, input_format)
        return read_range(piece, found)

    ingestor._ingest_one(piece.ref, read)
    ingestor.flush()
    result.stats = ingestor.stats
    return result
