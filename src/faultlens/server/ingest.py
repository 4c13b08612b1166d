"""The one road into the store: accepted requests are spooled, queued, prepared and committed.

    receiver ──reserve──▶ queue slot (or 503)      bounded in requests and bytes: it never grows past them
        │
        └──accept──▶ spool: a group of requests framed, written + fsynced together, then answered (2xx)
                          │
                          ▼
                     queue ──▶ writer thread ──tickets──▶ preparer process: read the spool → decode →
                                    ▲                            enrich chain, grouping → tables
                                    │                                                  │
                                    └── one transaction into the store ◀───────────────┘
                                        → spool entries dropped → after-commit hooks

The request loop and the store share this process; the heavy middle (decoding and grouping)
runs in a process of its own (server.preparer), two batches in flight so both sides stay busy.
The queue holds tickets, not bodies: what waits is in the spool on disk, so a burst larger than
the machine can prepare at once is answered now and committed after.
DuckDB is written by the writer thread alone, so batches never conflict; status changes from
the API are run on it too (`call`). A failed commit is retried until it succeeds; a preparer that
dies is started again and given the batches in flight again from their spooled bytes. Meanwhile
the server reports itself not ready.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import threading
import time
from collections import Counter as Tally
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from faultlens.grouping.session import STATE_NAME
from faultlens.model import LATENCY_BOUNDS_MS, Event
from faultlens.runner import IngestOptions
from faultlens.server.config import ServerConfig
from faultlens.server.decode import events_to_bytes
from faultlens.server.hooks import AfterCommit, CommitResult, Overloaded
from faultlens.server.metrics import ServerMetrics
from faultlens.server.preparer import EventBrief, Prepared, Preparer, PreparerDied
from faultlens.server.spool import Spool, Submission, Ticket, encode_entry
from faultlens.store.base import ServerStore
from faultlens.store.staging import StagedBatch

log = logging.getLogger("faultlens.server")
T = TypeVar("T")
RETRY_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0)
"""Seconds between attempts at a failed commit; the last repeats until it succeeds or the server stops."""
REPLAY_BATCH = 100
IDLE_POLL_SECONDS = 1.0
"""How long the idle writer waits for work before looking at its commands and the stop flag again."""


LATENCY_SECONDS = (*(bound / 1000.0 for bound in LATENCY_BOUNDS_MS), 2 * LATENCY_BOUNDS_MS[-1] / 1000.0)
"""Where a request of each latency bucket is counted: its bound, and twice the last bound for the slowest."""


@dataclass(slots=True)
class Accepted:
    """A spooled request waiting for the writer: its id, where it lies and its size.

    Its body stays in the spool (the preparing process reads it by the ticket), so a long queue
    costs disk, not memory; only a server without a spool keeps the submission itself here.
    """

    id: str
    ticket: Ticket
    size: int
    submission: Submission | None = None
    arrived: float = field(default_factory=time.monotonic)

    def work(self) -> Submission | Ticket:
        """What the preparer is sent: the ticket to read, or the submission when nothing was spooled."""
        return self.submission if self.submission is not None else self.ticket


class IngestQueue:
    """A bounded queue whose slots are reserved before a request is spooled, and freed after its commit.

    It is bounded twice: by requests and by their bytes (what the writer still has to read is held
    in memory), so a burst of large exports cannot grow the process past `max_bytes`. One request
    is always let in, however large, so a body under the body limit is never refused forever.
    """

    def __init__(self, capacity: int, max_bytes: int) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._items: deque[Accepted] = deque()
        self._held = 0
        self._held_bytes = 0
        self._item_bytes = 0
        self._want = 1
        self._want_bytes: int | None = None
        self._woken = False
        self._cond = threading.Condition(threading.Lock())

    @property
    def depth(self) -> int:
        return self._held

    @property
    def full(self) -> bool:
        return self._held >= 0.9 * self.capacity or self._held_bytes >= 0.9 * self.max_bytes

    def reserve(self, size: int) -> bool:
        with self._cond:
            if self._held >= self.capacity or (self._held and self._held_bytes + size > self.max_bytes):
                return False
            self._held += 1
            self._held_bytes += size
            return True

    def release(self, size: int) -> None:
        with self._cond:
            self._held -= 1
            self._held_bytes -= size

    def put(self, item: Accepted) -> None:
        with self._cond:
            self._items.append(item)
            self._item_bytes += item.size
            if len(self._items) == 1 or self._full_batch():  # the writer waits for nothing else
                self._cond.notify()

    def hold(self, size: int) -> None:
        """Count a replayed entry: accepted before a restart, it is never refused now."""
        with self._cond:
            self._held += 1
            self._held_bytes += size

    def take_batch(self, most: int, wait: float, fill: float, most_bytes: int | None = None) -> list[Accepted]:
        """Up to `most` items (and `most_bytes`, one item at least) once a batch is ready: `most` are
        queued, or the oldest has waited `fill` seconds. Waits up to `wait` seconds for that (0: takes
        only a batch ready now); `wake` ends the wait with whatever is queued.

        Every commit has a fixed cost (in DuckDB, tens of milliseconds whatever its size), so under
        load batches are let fill rather than sent the moment the last returns.
        """
        deadline = time.monotonic() + wait
        with self._cond:
            self._want, self._want_bytes = most, most_bytes
            while True:
                now = time.monotonic()
                ready = bool(self._items) and (self._full_batch() or now >= self._items[0].arrived + fill)
                if ready or self._woken or now >= deadline:
                    break
                until = min(deadline, self._items[0].arrived + fill) if self._items else deadline
                self._cond.wait(max(until - now, 0.0))
            woken, self._woken = self._woken, False
            if not self._items or not (ready or woken):
                return []
            batch = [self._items.popleft()]
            size = batch[0].size
            room = most_bytes if most_bytes is not None else float("inf")
            while self._items and len(batch) < most and size + self._items[0].size <= room:
                size += self._items[0].size
                batch.append(self._items.popleft())
            self._item_bytes -= size
            return batch

    def _full_batch(self) -> bool:
        return len(self._items) >= self._want or (self._want_bytes is not None and self._item_bytes >= self._want_bytes)

    def done(self, batch: list[Accepted]) -> None:
        with self._cond:
            self._held -= len(batch)
            self._held_bytes -= sum(accepted.size for accepted in batch)

    def wake(self) -> None:
        with self._cond:
            self._woken = True
            self._cond.notify_all()


class IngestService:
    """Spool, queue, writer and preparer; `submit_events` is the in-process door (hooks.EventSubmitter)."""

    def __init__(self, store: ServerStore, config: ServerConfig, metrics: ServerMetrics,
                 hooks: list[AfterCommit]) -> None:
        self.store = store
        self.config = config
        self.metrics = metrics
        self.hooks = hooks
        self.queue = IngestQueue(config.limits.queue_size, config.limits.queue_bytes)
        self.spool = Spool(config.spool_path) if config.spool_path != ":memory:" else None
        self.accounts = store.accounts()
        self.preparer = Preparer(IngestOptions(min_level=config.min_level, grouping=config.grouping),
                                 self.spool.directory if self.spool is not None else None)
        self.healthy = True
        self.replaying = True
        self._stopping = False
        self._pending: list[tuple[Submission, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="faultlens-spool")
        self._commands: deque[tuple[Callable[[], Any], Future[Any]]] = deque()
        self._in_flight: deque[list[Accepted]] = deque()
        self._dropped_segments: list[int] = []
        self._known = store.issue_fingerprints()
        self._resolved = {s.fingerprint: s.resolved_at for s in self.accounts.issue_states().values()
                          if s.effective == "resolved" and s.resolved_at is not None}
        self._writer_thread = threading.Thread(target=self._writer_loop, name="faultlens-writer", daemon=True)
        metrics.queue_capacity.set(self.queue.capacity)
        metrics.queue_depth.set_function(lambda: self.queue.depth)

    def start(self) -> None:
        self._start_preparer()
        self._writer_thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Commit what was accepted, save the grouping state, and stop the threads and the preparer."""
        self._stopping = True
        self.queue.wake()
        self._syncer.shutdown(wait=True)
        self._writer_thread.join(timeout)
        self.preparer.stop_now()
        if self.spool is not None:
            self.spool.close()

    @property
    def ready(self) -> bool:
        """Writable store, replay done, and the queue under 90% full."""
        return self.healthy and not self.replaying and self._writer_thread.is_alive() and not self.queue.full

    async def accept(self, submission: Submission) -> None:
        """Spool a request (fsynced in a group with its neighbours) and queue it; raises Overloaded when full.

        Called on the server's one request loop: the group being gathered is that loop's alone.
        """
        if self._stopping or not self.queue.reserve(len(submission.body)):
            raise Overloaded("the ingest queue is full")
        if self.spool is None:
            self.queue.put(self._accepted(submission, Ticket(0)))
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((submission, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        await done

    async def _flush(self) -> None:
        """Group commit, on the request loop: what arrived while the last group was synced is framed here,
        written and fsynced by the spool's thread in one go, then queued and answered here.

        Framing and answering on the loop keeps the spool's thread out of the interpreter lock but
        for a moment per group: a thread busy in Python beside the request loop costs the loop far
        more than the work itself, each time either waits for the lock.
        """
        assert self.spool is not None
        spool, loop = self.spool, asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                frames = [encode_entry(submission) for submission, _ in batch]
                tickets = await loop.run_in_executor(self._syncer, spool.append_frames, frames)
            except Exception as exc:  # OSError: a full disk; RuntimeError: the spool's thread is shut down
                log.error("cannot write the spool: %s", exc)
                self.healthy = False
                error = exc if isinstance(exc, OSError) else OSError(str(exc))
                for submission, done in batch:
                    self.queue.release(len(submission.body))
                    if not done.done():
                        done.set_exception(error)
                continue
            for (submission, done), ticket in zip(batch, tickets, strict=True):
                self.queue.put(self._accepted(submission, ticket))
                if not done.done():
                    done.set_result(None)

    def submit_events(self, events: Sequence[Event], project: str) -> None:
        """Spool and queue events made inside the process (probes); raises Overloaded when the queue is full."""
        submission = new_submission("events", project, events_to_bytes(list(events)))
        if self._stopping or not self.queue.reserve(len(submission.body)):
            raise Overloaded("the ingest queue is full")
        try:
            ticket = self._append([submission])[0]
        except BaseException:
            self.queue.release(len(submission.body))
            raise
        self.queue.put(self._accepted(submission, ticket))

    def call(self, work: Callable[[], T]) -> Future[T]:
        """Run `work` on the writer thread (the one that may write the store); wait on the future."""
        future: Future[T] = Future()
        self._commands.append((work, future))
        self.queue.wake()
        return future

    def _accepted(self, submission: Submission, ticket: Ticket) -> Accepted:
        return Accepted(submission.id, ticket, len(submission.body), None if self.spool is not None else submission)

    def _append(self, submissions: list[Submission]) -> list[Ticket]:
        if self.spool is None:
            return [Ticket(0)] * len(submissions)
        return self.spool.append(submissions)

    def _writer_loop(self) -> None:
        """Double-buffered: while the preparer works on one batch, the writer writes the one before it.

        The next batch is everything that arrived while the last was prepared, taken the moment the
        preparer hands that one back, so the preparer is never left idle with requests waiting.
        """
        try:
            self._replay()
        finally:
            self.replaying = False
        while True:
            self._run_commands()
            if not self._in_flight:
                batch = self._take_batch(IDLE_POLL_SECONDS)
                if batch:
                    self._send(batch)
                elif self._stopping and not self._commands and self.queue.depth == 0:
                    break
                continue
            oldest, prepared = self._receive_oldest()
            following = self._take_batch(0.0)
            if following:
                self._send(following)
            self._write_with_retries(oldest, prepared)
        self._run_commands()
        final = self.preparer.finish()
        if final is not None and final.staged.grouping_state is not None:
            self._write_with_retries([], final)

    def _take_batch(self, wait: float) -> list[Accepted]:
        fill = 0.0 if self._stopping else self.config.batch_wait_seconds
        return self.queue.take_batch(self.config.batch_requests, wait, fill, self.config.batch_bytes)

    def _replay(self) -> None:
        """Commit what a previous run accepted but did not commit, before anything newer."""
        if self.spool is None:
            return
        replayed = 0
        batch: list[Accepted] = []
        applied = self.store.spool_applied()
        skipped = 0
        for entry in self.spool.recover():
            if entry.id in applied:  # stored just before a crash, before its entry was dropped
                self._dropped_segments += self.spool.committed([entry.ticket])
                skipped += 1
                continue
            self.queue.hold(entry.body_bytes)
            batch.append(Accepted(entry.id, entry.ticket, entry.body_bytes))
            if len(batch) >= REPLAY_BATCH:
                replayed += len(batch)
                if self._in_flight:
                    self._write_with_retries(*self._receive_oldest())
                self._send(batch)
                batch = []
        if batch:
            replayed += len(batch)
            self._send(batch)
        while self._in_flight:
            self._write_with_retries(*self._receive_oldest())
        if replayed or skipped:
            log.warning("replayed %d accepted request(s) from the spool; %d were already stored", replayed, skipped)

    def _start_preparer(self) -> None:
        self.preparer.start(self.store.all_issue_aliases(), self.store.grouping_state(STATE_NAME))

    def _send(self, batch: list[Accepted]) -> None:
        """Hand a batch to the preparer (after those in flight); a dead preparer is restarted at the next commit."""
        self._in_flight.append(batch)
        try:
            self.preparer.send([accepted.work() for accepted in batch])
        except PreparerDied as exc:
            log.error("%s", exc)

    def _receive_oldest(self) -> tuple[list[Accepted], Prepared]:
        """The oldest batch in flight and what the preparer made of it; a dead preparer is started again
        and given every batch in flight again (their bytes are in the spool)."""
        def receive() -> tuple[list[Accepted], Prepared]:
            prepared = self.preparer.receive()
            return self._in_flight.popleft(), prepared

        def failed(exc: BaseException, attempt: int) -> None:
            log.error("%s; starting it again and sending it the %d batch(es) in flight", exc, len(self._in_flight))

        def give_up() -> tuple[list[Accepted], Prepared]:
            stuck = [accepted for batch in self._in_flight for accepted in batch]
            log.error("giving up at shutdown: %d request(s) stay in the spool for the next start", len(stuck))
            self._in_flight.clear()
            return stuck, Prepared(StagedBatch(), gave_up=True)

        return self._retrying(receive, PreparerDied, failed, give_up, self._restart_preparer)

    def _restart_preparer(self) -> None:
        try:
            self._start_preparer()
            for in_flight in self._in_flight:
                self.preparer.send([accepted.work() for accepted in in_flight])
        except Exception:
            log.exception("cannot start the preparer again")

    def _write_with_retries(self, batch: list[Accepted], prepared: Prepared) -> None:
        def write() -> None:
            self._write(batch, prepared)
            self.healthy = True

        def failed(exc: BaseException, attempt: int) -> None:
            log.error("commit failed (attempt %d); retrying", attempt + 1, exc_info=exc)

        def give_up() -> None:
            log.error("giving up at shutdown: %d request(s) stay in the spool for the next start", len(batch))
            self.queue.done(batch)

        self._retrying(write, Exception, failed, give_up)

    def _retrying(self, attempt: Callable[[], T], failures: type[BaseException],
                  failed: Callable[[BaseException, int], None], give_up: Callable[[], T],
                  before_retry: Callable[[], None] | None = None) -> T:
        """`attempt` until it succeeds, RETRY_DELAYS apart (the last repeating); each failure is reported to
        `failed` and leaves the server unhealthy. Stopping, once every delay was tried, `give_up` answers:
        what was not committed stays in the spool for the next start."""
        delays = itertools.chain((0.0,), RETRY_DELAYS, itertools.repeat(RETRY_DELAYS[-1]))
        for number, delay in enumerate(delays):
            if delay:
                time.sleep(delay)
            try:
                return attempt()
            except failures as exc:
                failed(exc, number)
                self.healthy = False
                self.metrics.commit_failures.inc()
                if self._stopping and number >= len(RETRY_DELAYS):
                    return give_up()
                if before_retry is not None:
                    before_retry()
        raise AssertionError("unreachable: the retry delays never end")

    def _write(self, batch: list[Accepted], prepared: Prepared) -> None:
        if prepared.gave_up:  # at shutdown, with no preparer: the batch stays in the spool for the next start
            self.queue.done(batch)
            return
        applied = [(a.id, a.ticket.segment) for a in batch] if self.spool is not None else []
        self.store.write_staged(prepared.staged, applied, self._dropped_segments)
        self._dropped_segments = []
        for reason in prepared.dropped:
            log.error("request %s could not be ingested; dropped", reason)
        self.metrics.dropped.inc(len(prepared.dropped))
        events = prepared.events()
        result = self._result(prepared, events)
        if self.spool is not None:
            self._dropped_segments = self.spool.committed([accepted.ticket for accepted in batch])
        self.queue.done(batch)
        now = time.monotonic()
        for accepted in batch:
            self.metrics.commit_seconds.observe(now - accepted.arrived)
        if batch:
            self.metrics.commits.inc()
        self._observe(prepared, events)
        if not batch:
            return
        for hook in list(self.hooks):
            try:
                hook(result)
            except Exception:
                log.exception("an after-commit hook failed")

    def _result(self, prepared: Prepared, events: list[EventBrief]) -> CommitResult:
        by_fingerprint: Tally[str] = Tally()
        projects: dict[str, str] = {}
        services: dict[str, str] = {}
        titles: dict[str, str] = {}
        new: set[str] = set()
        regressed: dict[str, datetime] = {}
        for event in events:
            fingerprint = event.fingerprint
            by_fingerprint[fingerprint] += 1
            projects[fingerprint] = event.project
            if event.service:
                services[fingerprint] = event.service
            if event.title:
                titles[fingerprint] = event.title
            if fingerprint not in self._known:
                self._known.add(fingerprint)
                new.add(fingerprint)
            resolved_at = self._resolved.get(fingerprint)
            if resolved_at is not None and event.timestamp > resolved_at:
                regressed[fingerprint] = max(event.timestamp, regressed.get(fingerprint, event.timestamp))
        if regressed:
            self.accounts.mark_regressed(regressed)
            for fingerprint in regressed:
                self._resolved.pop(fingerprint, None)
        counts: dict[str, tuple[int, int]] = {}
        for bucket in prepared.volume:
            records, errors = counts.get(bucket.service, (0, 0))
            counts[bucket.service] = (records + bucket.count,
                                      errors + (bucket.count if bucket.level in ("error", "fatal") else 0))
        return CommitResult(new_issue_fingerprints=frozenset(new), events_by_fingerprint=dict(by_fingerprint),
                            regressed_fingerprints=frozenset(regressed), service_counts=counts,
                            committed_at=datetime.now(UTC), projects=projects, services=services, titles=titles)

    def _observe(self, prepared: Prepared, events: list[EventBrief]) -> None:
        per_label = Tally((event.service or "unknown", event.level, event.fingerprint) for event in events)
        for labels, count in per_label.items():
            self.metrics.events.labels(*labels).inc(count)
        for bucket in prepared.volume:
            self.metrics.records.labels(bucket.service).inc(bucket.count)
        for timing in prepared.latency:
            histogram = self.metrics.request_duration.labels(timing.service)
            for seconds, count in zip(LATENCY_SECONDS, timing.counts, strict=True):
                for _ in range(count):  # each request at its bucket's bound: the buckets are what the rules read
                    histogram.observe(seconds)

    def set_issue_status(self, fingerprint: str, status: str) -> Any:
        """Change an issue's status on the writer thread, keeping the regression watch in step."""
        state = self.accounts.set_issue_status(fingerprint, status)
        if state is not None:
            if status == "resolved" and state.resolved_at is not None:
                self._resolved[fingerprint] = state.resolved_at
            else:
                self._resolved.pop(fingerprint, None)
        return state

    def _run_commands(self) -> None:
        while self._commands:
            work, future = self._commands.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(work())
            except BaseException as exc:
                future.set_exception(exc)


_ID_PREFIX = secrets.token_hex(10)
_ID_COUNTER = itertools.count()


def new_submission(kind: str, project: str, body: bytes, **meta: Any) -> Submission:
    """A request to spool, with an id unique across processes and restarts: 80 random bits drawn when
    the process starts, then a counter (a uuid4 per request asks the kernel for randomness each time)."""
    meta["received_at"] = datetime.now(UTC).isoformat()
    return Submission(f"{_ID_PREFIX}{next(_ID_COUNTER):012x}", kind, project, body, meta)
