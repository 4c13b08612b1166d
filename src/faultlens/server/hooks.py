"""What the server offers the code that runs beside it: alert delivery, synthetic probes, benchmarks.

Extension points, set up by `create_app` before the first request:

- `app.state.after_commit: list[AfterCommit]` — called by the writer thread, in order, after each
  batch is committed to the store. A hook runs on the writer thread: it must be quick (hand slow
  work such as HTTP delivery to a thread or queue of its own) and must not raise; an exception is
  logged and the next hook still runs.
- `app.state.ingest: EventSubmitter` — how code inside the process (probes) adds events. They
  take the same road as events from the network: write-ahead spool, queue, enrich chain, store.
- `app.state.on_start` and `app.state.on_stop: list[Callable[[], None]]` — run when the server
  starts serving (after the writer) and when it stops (before the writer commits what is left).

`CommitResult` is everything a hook needs to decide without querying the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from faultlens.model import Event


@dataclass(frozen=True, slots=True)
class CommitResult:
    """What one committed batch changed.

    `new_issue_fingerprints`: issues whose first event is in this batch. `events_by_fingerprint`:
    events stored per issue in this batch. `regressed_fingerprints`: issues marked resolved that
    had an event after their resolution in this batch (reported once per resolution).
    `service_counts`: per service, (records, errors) read in this batch, errors or not — the
    denominator of error rates. `committed_at`: when the batch was committed (UTC).
    """

    new_issue_fingerprints: frozenset[str] = frozenset()
    events_by_fingerprint: dict[str, int] = field(default_factory=dict)
    regressed_fingerprints: frozenset[str] = frozenset()
    service_counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    committed_at: datetime | None = None
    projects: dict[str, str] = field(default_factory=dict)
    """The project each fingerprint of the batch was seen in (the last one, when several)."""
    services: dict[str, str] = field(default_factory=dict)
    """The service each fingerprint of the batch was seen in (the last one), for alert filters."""
    titles: dict[str, str] = field(default_factory=dict)
    """Each fingerprint's issue title as enrich made it, so an alert can name the issue."""


AfterCommit = Callable[[CommitResult], None]
"""A hook called by the writer thread after each committed batch."""


class Overloaded(Exception):
    """The ingest queue is full: the events were not accepted. Retry later (the HTTP doors answer 503)."""


class EventSubmitter(Protocol):
    """The ingest door for events produced inside the server process."""

    def submit_events(self, events: Sequence[Event], project: str) -> None:
        """Spool (durably) and queue already-built events for `project` (a project name).

        Returns once the events are on disk in the spool; they are committed to the store by the
        writer thread shortly after, then the after-commit hooks run. Raises `Overloaded` when the
        queue is full. Events go through the enrich chain like any other: leave `fingerprint`,
        `template` and `title` unset. Give each event a stable `id` so a replayed spool stores it once.
        """
