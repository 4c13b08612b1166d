"""The store interface: small on purpose, so each backend implements all of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from faultlens.model import Deploy, Event, LatencyBucket, Span, VolumeBucket

if TYPE_CHECKING:
    from faultlens.store.clickhouse_accounts import ClickHouseAccounts
    from faultlens.store.clickhouse_browse import ClickHouseBrowser
    from faultlens.store.duckdb_accounts import Accounts
    from faultlens.store.duckdb_ui import UiReader
    from faultlens.store.staging import StagedBatch


@dataclass(slots=True)
class SourceState:
    """How far an input was read before, so re-reading it counts nothing twice."""

    path: str
    head_hash: str
    lines: int


class Store(Protocol):
    """Append what the pipeline produced; answer the named queries analyses ask."""

    def append_events(self, events: Sequence[Event]) -> int:
        """Store events not stored before (by id); return how many were new."""

    def append_volume(self, buckets: Sequence[VolumeBucket]) -> None:
        """Add per-minute record counts."""

    def append_latency(self, buckets: Sequence[LatencyBucket]) -> None:
        """Add per-minute request-duration histograms."""

    def append_spans(self, spans: Sequence[Span]) -> None: ...

    def append_deploys(self, deploys: Sequence[Deploy]) -> None: ...

    def source_state(self, path: str) -> SourceState | None: ...

    def record_source(self, state: SourceState, fmt: str) -> None: ...

    def issue_aliases(self, keys: Sequence[str]) -> dict[str, str]:
        """The issue fingerprint each known grouping key belongs to; unknown keys are left out."""

    def add_issue_aliases(self, aliases: Mapping[str, str]) -> None:
        """Remember grouping keys (key → issue fingerprint); a key already known keeps its issue."""

    def grouping_state(self, name: str) -> str | None:
        """Saved grouping state (the template miner's), or None before the first run."""

    def save_grouping_state(self, name: str, state: str) -> None: ...

    def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run a named query; each backend holds the SQL for every name."""

    def window(self) -> tuple[datetime | None, datetime | None]: ...

    def close(self) -> None: ...


class ServerStore(Store, Protocol):
    """What `faultlens serve` needs beyond the analyses' interface; DuckDBStore and ClickHouseStore have it all."""

    path: str

    def write_staged(self, batch: StagedBatch, applied: Sequence[tuple[str, int]] = (),
                     forget_segments: Sequence[int] = ()) -> int:
        """Write a batch prepared in another process (see store.staging); return how many events were new.

        `applied` names the spooled requests (id, spool segment) the batch holds, so a replay after a
        crash skips them; `forget_segments` are spool segments since deleted, whose names may go.
        """

    def spool_applied(self) -> set[str]:
        """Ids of spooled requests the store already holds (see write_staged)."""

    def limit_threads(self, count: int) -> None:
        """Let the store's engine use at most `count` threads in this process (0: its own default)."""

    def issue_fingerprints(self) -> set[str]:
        """Every issue's fingerprint: the writer tells new issues from known ones by it."""

    def all_issue_aliases(self) -> dict[str, str]:
        """Every grouping key with its issue: what a preparing process starts from."""

    def reader(self) -> ServerStore:
        """A connection of its own for a thread that reads while the writer writes."""

    def only_project(self, project: str) -> None:
        """Make this connection's named queries answer for one project's events."""

    def accounts(self) -> Accounts | ClickHouseAccounts:
        """Projects, keys, tokens, UI users and issue status."""

    def browser(self) -> UiReader | ClickHouseBrowser:
        """The API's issue and event listings."""
