"""A staging buffer: what an Ingestor would write, kept as Arrow tables to be written elsewhere in one go.

`faultlens serve` prepares batches (decoding, enrichment, grouping) in a process of its own and
hands each over as a `StagedBatch`; the process that owns the store only inserts the tables, in
one transaction. The buffer answers the few reads an Ingestor makes: grouping keys from a map
loaded once from the store and kept current with every key it stages, and the miner's saved state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from faultlens.model import Deploy, Event, LatencyBucket, Span, VolumeBucket
from faultlens.store.base import SourceState
from faultlens.store.rows import events_to_arrow
from faultlens.store.tables import aliases_table, deploys_table, issues_table, latency_table, spans_table, volume_table


@dataclass(slots=True)
class StagedBatch:
    """Tables by name (events, issues, spans, volume, latency, deploys, fingerprint_aliases), and the
    miner's state when it is due to be saved with them."""

    tables: dict[str, pa.Table] = field(default_factory=dict)
    grouping_state: str | None = None

    def add(self, name: str, table: pa.Table | None) -> None:
        if table is None or table.num_rows == 0:
            return
        current = self.tables.get(name)
        self.tables[name] = table if current is None else pa.concat_tables([current, table])

    @property
    def rows(self) -> int:
        return sum(table.num_rows for table in self.tables.values())

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as Arrow IPC streams, read back without copying (pickled tables are rebuilt column by column)."""
        return (_from_ipc, ({name: _to_ipc(table) for name, table in self.tables.items()}, self.grouping_state))


def _to_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def _from_ipc(tables: dict[str, bytes], grouping_state: str | None) -> StagedBatch:
    return StagedBatch({name: pa.ipc.open_stream(data).read_all() for name, data in tables.items()}, grouping_state)


class StagingStore:
    """The write half of a store, buffered; `take()` hands over what was staged since the last take."""

    def __init__(self, aliases: Mapping[str, str] | None = None, grouping_state: str | None = None) -> None:
        self._aliases = dict(aliases or {})
        self._grouping_state = grouping_state
        self._batch = StagedBatch()

    def take(self) -> StagedBatch:
        batch, self._batch = self._batch, StagedBatch()
        return batch

    def append_events(self, events: Sequence[Event]) -> int:
        if events:
            self._batch.add("events", events_to_arrow(events))
            self._batch.add("issues", issues_table(events))
        return len(events)

    def append_volume(self, buckets: Sequence[VolumeBucket]) -> None:
        if buckets:
            self._batch.add("volume", volume_table(buckets))

    def append_latency(self, buckets: Sequence[LatencyBucket]) -> None:
        self._batch.add("latency", latency_table(buckets))

    def append_spans(self, spans: Sequence[Span]) -> None:
        if spans:
            self._batch.add("spans", spans_table(spans))

    def append_deploys(self, deploys: Sequence[Deploy]) -> None:
        if deploys:
            self._batch.add("deploys", deploys_table(deploys))

    def source_state(self, path: str) -> SourceState | None:
        """Requests are not files: nothing is resumed."""
        return None

    def record_source(self, state: SourceState, fmt: str) -> None:
        """Requests are not files: there is no read position to keep."""

    def issue_aliases(self, keys: Sequence[str]) -> dict[str, str]:
        return {key: self._aliases[key] for key in keys if key in self._aliases}

    def add_issue_aliases(self, aliases: Mapping[str, str]) -> None:
        fresh = {key: value for key, value in aliases.items() if key not in self._aliases}
        if fresh:
            self._aliases.update(fresh)
            self._batch.add("fingerprint_aliases", aliases_table(fresh))

    def grouping_state(self, name: str) -> str | None:
        return self._grouping_state

    def save_grouping_state(self, name: str, state: str) -> None:
        self._grouping_state = state
        self._batch.grouping_state = state
