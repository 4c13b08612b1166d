"""The parent of a parallel run: plan pieces, keep the workers busy, and take their results in input order.

Workers return events as extracted; the parent runs every one through the enrich chain (in-app
marking, template mining, fingerprint, title) in the order a single process would meet them, then
groups and writes them as the plain Ingestor does. Counts (volume, latency, config changes,
spans) add up in any order and are merged as they come.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from faultlens.errors import SourceError
from faultlens.grouping.session import STATE_NAME
from faultlens.ingest.sources import expand_inputs
from faultlens.model import IngestStats, LatencyBucket
from faultlens.parallel.split import PIECE_BYTES, Piece, plan_pieces
from faultlens.parallel.worker import PieceResult, WorkerOptions, read_piece
from faultlens.runner import IngestOptions, Ingestor, Progress, Sink
from faultlens.store.base import SourceState

AHEAD_PER_WORKER = 2
"""Pieces handed out ahead of the one the parent waits for: enough to keep workers busy, few enough that
results waiting for their turn stay small."""


class ParallelIngestor(Ingestor):
    """An Ingestor whose reading and extraction run in `workers` processes; the same store, stats and results."""

    def __init__(self, store: Sink, options: IngestOptions, workers: int = 2, piece_bytes: int = PIECE_BYTES,
                 progress: Progress | None = None, warn: Callable[[str], None] | None = None) -> None:
        super().__init__(store, options, progress=progress, warn=warn)
        self.workers = workers
        self.piece_bytes = piece_bytes
        self._worker_options = WorkerOptions(options.input_format, options.service, options.min_level)
        self._file_sources: list[tuple[SourceState, str]] = []

    def run(self, specs: Iterable[str]) -> IngestStats:
        context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
        try:
            with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
                for piece, result in self._in_order(pool, self._pieces(specs)):
                    self._merge(piece, result)
        finally:
            self.flush()
            self.store.save_grouping_state(STATE_NAME, self.grouping.state())
        return self.stats

    def _pieces(self, specs: Iterable[str]) -> Iterator[Piece | SourceError]:
        for item in expand_inputs(list(specs)):
            if isinstance(item, SourceError) or item.is_stdin:
                yield item if isinstance(item, SourceError) else Piece(item)
                continue
            yield from plan_pieces(item, self.options.input_format, self.piece_bytes)

    def _in_order(self, pool: ProcessPoolExecutor,
                  pieces: Iterator[Piece | SourceError]) -> Iterator[tuple[Piece, PieceResult]]:
        """Each piece with its result, in input order; standard input and unreadable inputs are dealt with here."""
        waiting: deque[tuple[Piece | SourceError, Future[PieceResult] | None]] = deque()
        previous: dict[str, SourceState | None] = {}

        def submit(item: Piece | SourceError) -> None:
            if isinstance(item, SourceError) or item.ref.is_stdin:
                waiting.append((item, None))
                return
            path = os.path.abspath(item.ref.path)
            if item.number == 0:
                previous[path] = self.store.source_state(path)
            waiting.append((item, pool.submit(read_piece, item, self._worker_options, previous[path])))

        for item in pieces:
            submit(item)
            while len(waiting) > self.workers * AHEAD_PER_WORKER:
                yield from self._take(waiting.popleft())
        while waiting:
            yield from self._take(waiting.popleft())

    def _take(self, entry: tuple[Piece | SourceError, Future[PieceResult] | None]
              ) -> Iterator[tuple[Piece, PieceResult]]:
        item, future = entry
        if isinstance(item, SourceError):
            self._skip(item)
        elif future is None:
            self._ingest_one(item.ref)  # standard input: read here, as a single process would
        else:
            yield item, future.result()

    def _merge(self, piece: Piece, result: PieceResult) -> None:
        """Enrich and keep the piece's events in order, add its counts, and note its file as read when done."""
        for warning in result.warnings:
            self.warn(warning)
        stats = result.stats
        self.stats.records += stats.records
        self.stats.skipped_lines += stats.skipped_lines
        self.stats.skipped_inputs += stats.skipped_inputs
        self.stats.problems.extend(stats.problems)
        if piece.number == 0:
            self.stats.files += stats.files
            for name, count in stats.formats.items():
                self.stats.formats[name] = self.stats.formats.get(name, 0) + count
        for event in result.events:
            self._keep_event(event)
        for bucket in result.volume:
            merged = self._bucket(bucket.service, bucket.host, bucket.release, bucket.minute, bucket.level)
            merged.count += bucket.count
            merged.requests += bucket.requests
            merged.failed_requests += bucket.failed_requests
        for timing in result.latency:
            into = self._latency.setdefault((timing.service, timing.minute),
                                            LatencyBucket(timing.service, timing.minute))
            into.counts = [a + b for a, b in zip(into.counts, timing.counts, strict=True)]
            into.sum_ms += timing.sum_ms
        self._spans.extend(result.spans)
        self._changes.extend(result.deploys)
        if self.progress is not None:
            self.progress(_piece_bytes(piece))
        if result.source is not None:
            self._file_sources.append(result.source)
        if piece.last and self._file_sources:
            state, fmt = max(self._file_sources, key=lambda source: source[0].lines)
            self._file_sources.clear()
            self.flush()
            self.store.record_source(state, fmt)


def _piece_bytes(piece: Piece) -> int:
    if piece.head is not None:
        return piece.end - piece.start
    return piece.ref.size or 0

