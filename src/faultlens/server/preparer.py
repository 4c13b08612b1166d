"""The preparing process: decoding, enrichment and grouping of accepted requests, beside the server.

The server's process answers requests and owns the store; everything between the spooled bytes
and the rows (decoding an envelope, building events, the enrich chain, the template miner, the
issue fingerprints) runs here, in a process of its own, so it never competes with the request
loop for the interpreter lock. Batches go in order through one pipe and come back in order as
Arrow tables (`StagedBatch`), with a brief of each event for metrics and alert hooks:

    writer thread ──spool tickets──▶ preparer process: read entries → decode → Ingestor (enrich, grouping) → staging
         ▲                                                                                  │
         └──────────────────── Prepared(tables, briefs, counts, miner state) ◀──────────────┘

The preparer starts from the store's grouping keys and miner state and is the only one to add
keys while the server runs; the writer saves the miner state it sends (every few seconds, and at
the end). Should the process die, it is started again from what the store holds and the batches
in flight are sent again: their bytes are still in the spool.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

from faultlens.ingest.extract import Extractor
from faultlens.model import LatencyBucket, VolumeBucket
from faultlens.runner import Flushed, IngestOptions, Ingestor
from faultlens.server.decode import decode_submission, received_at
from faultlens.server.gc_tuning import tune_collector
from faultlens.server.spool import EntryReader, Submission, Ticket
from faultlens.store.rows import aware_utc
from faultlens.store.staging import StagedBatch, StagingStore

log = logging.getLogger("faultlens.server")

SAVE_GROUPING_EVERY = 5.0
"""Seconds between hand-overs of the template miner's state to be saved (also handed over at the end)."""
START_SECONDS = 60.0
"""How long a new preparing process may take to answer its first batch."""
NICENESS = 10
"""How much lower the preparing process's CPU priority is than the server's: when the machine is
short of CPU, answering SDKs comes first (what they send is safe in the spool), preparing after."""


BRIEF_COLUMNS = ("fingerprint", "project", "service", "title", "level", "timestamp")


class PreparerDied(RuntimeError):
    """The preparing process stopped answering; what was in flight must be sent again."""


@dataclass(frozen=True, slots=True)
class EventBrief:
    """What the writer's hooks and metrics need of a stored event, without the event."""

    fingerprint: str
    project: str
    service: str | None
    title: str | None
    level: str
    timestamp: datetime


@dataclass(slots=True)
class Prepared:
    """One batch, ready to be written: its tables, and the counts in them for hooks and metrics."""

    staged: StagedBatch
    volume: list[VolumeBucket] = field(default_factory=list)
    latency: list[LatencyBucket] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    """Submissions the pipeline could not take, each with why (logged by the preparer too)."""
    gave_up: bool = False
    """No preparer could be had (at shutdown): nothing to write, the requests stay in the spool."""

    def events(self) -> list[EventBrief]:
        """The batch's events, read from its events table (cheaper than sending them twice)."""
        table = self.staged.tables.get("events")
        if table is None:
            return []
        columns = [table.column(name).to_pylist() for name in BRIEF_COLUMNS]
        return [EventBrief(fingerprint or "", project, service, title, level, aware_utc(stamp) or datetime.now(UTC))
                for fingerprint, project, service, title, level, stamp in zip(*columns, strict=True)]


class Preparation:
    """The preparing work itself: an Ingestor writing to a staging buffer. Runs in the child process.

    Work comes as spool tickets, read here from the spool's files (`spool_dir`), or as submissions.
    """

    def __init__(self, options: IngestOptions, aliases: dict[str, str], grouping_state: str | None,
                 spool_dir: str | None = None) -> None:
        self.staging = StagingStore(aliases, grouping_state)
        self.ingestor = Ingestor(self.staging, options)
        self.entries = EntryReader(spool_dir) if spool_dir is not None else None
        self._saved = time.monotonic()

    def prepare(self, work: Sequence[Submission | Ticket], final: bool = False) -> Prepared:
        flushed: list[Flushed] = []
        self.ingestor.on_flush = flushed.append
        dropped: list[str] = []
        for submission in self._read(work, dropped):
            extract = Extractor(submission.project, received_at(submission))
            try:
                unread: list[str] = []
                self.ingestor.ingest(decode_submission(submission, unread), submission.project, extract)
                dropped += [f"{submission.id} ({submission.kind}) {reason}" for reason in unread]
            except Exception as exc:  # one request the pipeline cannot take must not stop every other
                log.exception("request %s (%s) could not be ingested; dropped", submission.id, submission.kind)
                dropped.append(f"{submission.id} ({submission.kind}): {type(exc).__name__}: {exc}")
        self.ingestor.flush()
        if final or time.monotonic() - self._saved > SAVE_GROUPING_EVERY:
            self.staging.save_grouping_state("", self.ingestor.grouping.state())
            self._saved = time.monotonic()
        prepared = Prepared(self.staging.take(), dropped=dropped)
        for part in flushed:
            prepared.volume.extend(part.volume)
            prepared.latency.extend(part.latency)
        return prepared

    def _read(self, work: Sequence[Submission | Ticket], dropped: list[str]) -> list[Submission]:
        """The submissions of a batch; an entry that cannot be read back is dropped with why."""
        submissions: list[Submission] = []
        for item in work:
            if isinstance(item, Submission):
                submissions.append(item)
                continue
            if self.entries is None:
                dropped.append(f"spool entry {item} (no spool to read it from)")
                continue
            try:
                submissions.append(self.entries.read(item))
            except (OSError, ValueError) as exc:  # the writer logs and counts what is dropped
                dropped.append(f"spool entry {item}: {exc}")
        if self.entries is not None:
            self.entries.close_others({item.segment for item in work if isinstance(item, Ticket)})
        return submissions


def _serve(conn: Connection, options: IngestOptions, aliases: dict[str, str], grouping_state: str | None,
           spool_dir: str | None) -> None:
    """The child's loop: a batch of tickets (or submissions) in, a Prepared out; None in means hand over the
    state and stop.

    A thread of its own reads what the server sends while this one prepares and answers: were both
    sides writing a large message at once with no one reading, each would wait on the other forever.
    """
    os.nice(NICENESS)
    preparation = Preparation(options, aliases, grouping_state, spool_dir)
    tune_collector()
    inbox: queue.SimpleQueue[list[Submission | Ticket] | None] = queue.SimpleQueue()

    def read() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):  # the server is gone
                message = None
            inbox.put(message)
            if message is None:
                return

    threading.Thread(target=read, name="faultlens-preparer-inbox", daemon=True).start()
    while True:
        message = inbox.get()
        try:
            if message is None:
                conn.send(preparation.prepare([], final=True))
                return
            conn.send(preparation.prepare(message))
        except (BrokenPipeError, EOFError, OSError):  # the server is gone: nothing to answer
            return


class Preparer:
    """The server's handle on its preparing process: send batches in order, receive them in order."""

    def __init__(self, options: IngestOptions, spool_dir: str | os.PathLike[str] | None = None) -> None:
        self.options = options
        self.spool_dir = str(spool_dir) if spool_dir is not None else None
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["faultlens.server.preparer"])
        self._process: Any = None
        self._conn: Connection | None = None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def start(self, aliases: dict[str, str], grouping_state: str | None) -> None:
        self.stop_now()
        ours, theirs = self._context.Pipe()
        self._process = self._context.Process(
            target=_serve, args=(theirs, self.options, aliases, grouping_state, self.spool_dir),
            name="faultlens-preparer", daemon=True)
        self._process.start()
        theirs.close()
        self._conn = ours

    def send(self, work: list[Submission | Ticket]) -> None:
        if self._conn is None:
            raise PreparerDied("the preparing process is not running")
        try:
            self._conn.send(work)
        except (OSError, ValueError) as exc:
            raise PreparerDied(f"cannot reach the preparing process: {exc}") from None

    def receive(self) -> Prepared:
        """The next batch's result, in the order batches were sent."""
        conn = self._conn
        if conn is None:
            raise PreparerDied("the preparing process is not running")
        while not conn.poll(1.0):
            if not self.alive:
                raise PreparerDied(f"the preparing process exited ({self._process.exitcode})")
        try:
            result = conn.recv()
        except (EOFError, OSError) as exc:
            raise PreparerDied(f"the preparing process stopped answering: {exc}") from None
        if not isinstance(result, Prepared):
            raise PreparerDied(f"the preparing process answered {type(result).__name__}")
        return result

    def finish(self) -> Prepared | None:
        """Ask for the miner's last state and stop the process; None if it was not running."""
        if not self.alive or self._conn is None:
            self.stop_now()
            return None
        try:
            self._conn.send(None)
            result = self.receive()
        except PreparerDied as exc:
            log.error("%s; the miner state since the last save is lost", exc)
            result = None
        self.stop_now()
        return result

    def stop_now(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self._process = None
