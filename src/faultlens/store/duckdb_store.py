"""The default store: one DuckDB file, written in Arrow batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from faultlens.errors import StoreError
from faultlens.grouping.session import STATE_NAME
from faultlens.model import Deploy, Event, LatencyBucket, Span, VolumeBucket
from faultlens.store.base import SourceState
from faultlens.store.duckdb_accounts import Accounts
from faultlens.store.duckdb_queries import QUERIES, QUERY_PARAMS
from faultlens.store.duckdb_ui import UiReader
from faultlens.store.rows import aware_utc, events_to_arrow, naive_utc
from faultlens.store.schema import DDL, EVENT_COLUMNS, EVENTS_DDL, SCHEMA_VERSION
from faultlens.store.staging import StagedBatch
from faultlens.store.tables import (
    aliases_table,
    deploys_table,
    issues_table,
    latency_table,
    spans_table,
    time_span,
    unseen_events,
    volume_table,
)

WRITE_ORDER = ("fingerprint_aliases", "events", "issues", "spans", "volume", "latency", "deploys", "spool_applied")
"""The tables a batch may hold, in the order they are written."""
WRITE_SQL = {
    "fingerprint_aliases": "INSERT OR IGNORE INTO fingerprint_aliases SELECT * FROM arrow_batch",
    "events": """
        INSERT INTO events SELECT * FROM arrow_batch b WHERE NOT EXISTS (
            SELECT 1 FROM events e WHERE e.timestamp BETWEEN $lo AND $hi AND e.id = b.id)""",
    "spool_applied": "INSERT OR REPLACE INTO spool_applied SELECT * FROM arrow_batch",
    "issues": """
        INSERT INTO issues SELECT project, fingerprint, title, type, level, culprit, 'unresolved',
                                  first_seen, last_seen FROM arrow_batch
        ON CONFLICT (fingerprint) DO UPDATE SET
            first_seen = least(issues.first_seen, excluded.first_seen),
            last_seen = greatest(issues.last_seen, excluded.last_seen)""",
    "deploys": """
        INSERT INTO deploys SELECT * FROM arrow_batch b WHERE NOT EXISTS (
            SELECT 1 FROM deploys d WHERE d.service = b.service AND d.release = b.release
              AND d.time = b.time AND d.kind = b.kind)""",
}
"""How each table is appended to when plain INSERT is not enough (ids and issues are kept once).

An event's copy (the same file read again, an SDK's retry, a replayed request) has its id and its
time, so only the batch's time span is searched for it: DuckDB skips the row groups outside it by
their min/max, and events arrive roughly in time order. ClickHouse's writer looks the same way."""
INGEST_MEMORY_LIMIT = "64MB"
QUERY_MEMORY_LIMIT = "1GB"
"""While appending, DuckDB's buffer cache would otherwise grow toward most of the machine's memory as
the file grows, though what is written is already on disk: ingestion's memory should follow the
number of issues, not the size of the store. Queries get room to aggregate. An in-memory store
cannot spill what it holds, so it always has the larger limit."""


def _out_of_memory(exc: duckdb.Error) -> bool:
    """Whether a write failed for want of memory: while inserting, or while committing what it holds
    (DuckDB then reports a failed commit that could not pin a block)."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return True
    return isinstance(exc, duckdb.TransactionException) and "failed to pin block" in str(exc)


class DuckDBStore:
    """A DuckDB file (or `:memory:`). One process at a time may hold it for writing."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.con = duckdb.connect(path)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreError(
                    "the store is in use by another faultlens process (is `faultlens serve` running?); "
                    "stop it or pass another --db", path=path) from None
            raise StoreError(f"cannot open the store: {exc}; pass another --db", path=path) from None
        except duckdb.Error as exc:
            raise StoreError(f"not a faultlens store ({exc}); pass another --db", path=path) from None
        try:
            limit = QUERY_MEMORY_LIMIT if path == ":memory:" else INGEST_MEMORY_LIMIT
            self.con.execute(f"SET memory_limit = '{limit}'")
            self._query_limit_set = path == ":memory:"
            for statement in DDL:
                self.con.execute(statement)
            self._drop_event_key()
            self.con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        except duckdb.Error as exc:
            raise StoreError(f"cannot prepare the store's tables: {exc}", path=path) from None

    def _drop_event_key(self) -> None:
        """Stores made before schema 2 keep a primary key on events.id (see schema.EVENTS_DDL); DuckDB
        cannot drop one, so the table is copied without it, once, in one transaction."""
        keyed = self.con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'events' "
                                 "AND constraint_type = 'PRIMARY KEY'").fetchone()
        if not keyed or not keyed[0]:
            return
        columns = ", ".join(name for name, _ in EVENT_COLUMNS)
        self.con.execute(f"SET memory_limit = '{QUERY_MEMORY_LIMIT}'")
        try:
            self.con.execute("BEGIN")
            self.con.execute(EVENTS_DDL.replace(" events (", " events_unkeyed (", 1))
            self.con.execute(f"INSERT INTO events_unkeyed SELECT {columns} FROM events")
            self.con.execute("DROP TABLE events")
            self.con.execute("ALTER TABLE events_unkeyed RENAME TO events")
            self.con.execute("COMMIT")
        except duckdb.Error:
            self._rollback()
            raise
        finally:
            if not self._query_limit_set:
                self._lower_limit()

    def append_events(self, events: Sequence[Event]) -> int:
        if not events:
            return 0
        return self._write_tables({"events": events_to_arrow(events), "issues": issues_table(events)})

    def append_latency(self, buckets: Sequence[LatencyBucket]) -> None:
        table = latency_table(buckets)
        if table is not None:
            self._write_tables({"latency": table})

    def append_volume(self, buckets: Sequence[VolumeBucket]) -> None:
        if buckets:
            self._write_tables({"volume": volume_table(buckets)})

    def append_spans(self, spans: Sequence[Span]) -> None:
        if spans:
            self._write_tables({"spans": spans_table(spans)})

    def append_deploys(self, deploys: Sequence[Deploy]) -> None:
        if deploys:
            self._write_tables({"deploys": deploys_table(deploys)})

    def write_staged(self, batch: StagedBatch, applied: Sequence[tuple[str, int]] = (),
                     forget_segments: Sequence[int] = ()) -> int:
        """Write a batch prepared elsewhere in one transaction; return how many events were new.

        `applied` names the spooled requests (id, spool segment) the batch holds, recorded in the same
        transaction so a replay after a crash skips them; `forget_segments` are spool segments since
        deleted, whose records are no longer needed.
        """
        tables = dict(batch.tables)
        if applied:
            tables["spool_applied"] = pa.table({"id": pa.array([i for i, _ in applied], pa.string()),
                                                "segment": pa.array([s for _, s in applied], pa.int64())})
        return self._write_tables(tables, batch.grouping_state, forget_segments)

    def limit_threads(self, count: int) -> None:
        """DuckDB's threads, for every connection to this file (the setting is per database)."""
        self.con.execute("RESET threads" if count <= 0 else f"SET threads = {int(count)}")

    def spool_applied(self) -> set[str]:
        """Ids of spooled requests already in the store (see write_staged)."""
        return {row[0] for row in self.con.execute("SELECT id FROM spool_applied").fetchall()}

    def issue_fingerprints(self) -> set[str]:
        return {row[0] for row in self.con.execute("SELECT fingerprint FROM issues").fetchall()}

    def _write_tables(self, tables: Mapping[str, pa.Table], grouping_state: str | None = None,
                      forget_segments: Sequence[int] = ()) -> int:
        """Insert Arrow tables (in WRITE_ORDER) in one transaction; the number of events inserted.

        A transaction is held in memory until it commits, so one larger than the ingest memory limit
        (a huge request) is tried once more with the queries' limit rather than refused for ever.
        """
        try:
            return self._write_transaction(tables, grouping_state, forget_segments)
        except duckdb.Error:  # only running out of memory reaches here (see _write_transaction)
            if self._query_limit_set:
                raise StoreError(f"cannot write {', '.join(tables)}: out of memory even at {QUERY_MEMORY_LIMIT}",
                                 path=self.path) from None
        self.con.execute(f"SET memory_limit = '{QUERY_MEMORY_LIMIT}'")
        try:
            return self._write_transaction(tables, grouping_state, forget_segments)
        except duckdb.Error as exc:
            raise StoreError(f"cannot write {', '.join(tables)}: {exc}", path=self.path) from None
        finally:
            self._lower_limit()

    def _lower_limit(self) -> None:
        """Back to the ingest limit after a write that needed more. DuckDB refuses while it holds more
        than that and cannot evict it; the larger limit then stays, rather than failing a write that
        has committed (it did, with the index events.id once had)."""
        try:
            self.con.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
        except duckdb.OutOfMemoryException:
            self._query_limit_set = True

    def _write_transaction(self, tables: Mapping[str, pa.Table], grouping_state: str | None,
                           forget_segments: Sequence[int]) -> int:
        inserted = 0
        try:
            self.con.execute("BEGIN")
            if forget_segments:
                self.con.execute("DELETE FROM spool_applied WHERE segment IN (SELECT unnest(?::BIGINT[]))",
                                 [list(forget_segments)])
            for name in WRITE_ORDER:
                table = tables.get(name)
                if table is None or table.num_rows == 0:
                    continue
                params: dict[str, Any] = {}
                if name == "events":
                    table = unseen_events(table)
                    params["lo"], params["hi"] = time_span(table)
                self.con.register("arrow_batch", table)
                sql = WRITE_SQL.get(name, f"INSERT INTO {name} SELECT * FROM arrow_batch")
                row = self.con.execute(sql, params).fetchone()
                self.con.unregister("arrow_batch")
                if name == "events" and row:
                    inserted = int(row[0])
            if grouping_state is not None:
                self.con.execute("INSERT OR REPLACE INTO grouping_state VALUES (?, ?, ?)",
                                 [STATE_NAME, grouping_state, naive_utc(datetime.now(UTC))])
            self.con.execute("COMMIT")
        except duckdb.Error as exc:
            self._rollback()
            if _out_of_memory(exc):
                raise
            raise StoreError(f"cannot write {', '.join(tables)}: {exc}", path=self.path) from None
        return inserted

    def _rollback(self) -> None:
        with suppress(duckdb.TransactionException):  # a COMMIT that failed has ended the transaction already
            self.con.execute("ROLLBACK")

    def source_state(self, path: str) -> SourceState | None:
        row = self.con.execute("SELECT path, head_hash, lines FROM sources WHERE path = ?", [path]).fetchone()
        return SourceState(*row) if row else None

    def record_source(self, state: SourceState, fmt: str) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?)",
            [state.path, state.head_hash, state.lines, fmt, naive_utc(datetime.now(UTC))],
        )

    def issue_aliases(self, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        try:
            rows = self.con.execute("SELECT key, fingerprint FROM fingerprint_aliases "
                                    "WHERE key IN (SELECT unnest(?::VARCHAR[]))", [list(keys)]).fetchall()
        except duckdb.Error as exc:
            raise StoreError(f"cannot read grouping keys: {exc}", path=self.path) from None
        return dict(rows)

    def add_issue_aliases(self, aliases: Mapping[str, str]) -> None:
        if aliases:
            self._write_tables({"fingerprint_aliases": aliases_table(aliases)})

    def all_issue_aliases(self) -> dict[str, str]:
        """Every grouping key with its issue: what a preparing process starts from."""
        try:
            return dict(self.con.execute("SELECT key, fingerprint FROM fingerprint_aliases").fetchall())
        except duckdb.Error as exc:
            raise StoreError(f"cannot read grouping keys: {exc}", path=self.path) from None

    def grouping_state(self, name: str) -> str | None:
        rows = self.con.execute("SELECT state FROM grouping_state WHERE name = ?", [name]).fetchall()
        return str(rows[0][0]) if rows else None

    def save_grouping_state(self, name: str, state: str) -> None:
        try:
            self.con.execute("INSERT OR REPLACE INTO grouping_state VALUES (?, ?, ?)",
                             [name, state, naive_utc(datetime.now(UTC))])
        except duckdb.Error as exc:
            raise StoreError(f"cannot save the grouping state: {exc}", path=self.path) from None

    def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        try:
            sql = QUERIES[name]
        except KeyError:
            raise StoreError(f"no query named {name!r}") from None
        bound = {key: _bind(params.get(key)) for key in QUERY_PARAMS[name]}
        try:
            if not self._query_limit_set:
                self.con.execute(f"SET memory_limit = '{QUERY_MEMORY_LIMIT}'")
                self._query_limit_set = True
            cursor = self.con.execute(sql, bound) if bound else self.con.execute(sql)
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        except duckdb.Error as exc:
            raise StoreError(f"query {name} failed: {exc}", path=self.path) from None
        return [{col: _aware(value) for col, value in zip(columns, row, strict=True)} for row in rows]

    def window(self) -> tuple[datetime | None, datetime | None]:
        row = self.query("window")[0]
        return row["start"], row["end"]

    def close(self) -> None:
        self.con.close()

    def reader(self) -> DuckDBStore:
        """Another connection to the same database, for a thread that reads while this one writes.

        DuckDB allows one process to hold a file; inside it, each thread needs a connection of its
        own, and each sees the last committed state.
        """
        other = DuckDBStore.__new__(DuckDBStore)
        other.path = self.path
        other.con = self.con.cursor()
        other._query_limit_set = self._query_limit_set
        return other

    def only_project(self, project: str) -> None:
        """Make this connection see one project's events only (a temporary view shadows the table), so
        every named query, and so every analysis, answers for that project."""
        row = self.con.execute("SELECT current_database()").fetchone()
        catalog = str(row[0]).replace('"', '""') if row else "memory"
        literal = project.replace("'", "''")
        self.con.execute(f'CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM "{catalog}".main.events '
                         f"WHERE project = '{literal}'")

    def accounts(self) -> Accounts:
        """Projects, keys, tokens and issue status, on this connection."""
        return Accounts(self.con, self.path)

    def browser(self) -> UiReader:
        """The API's and the UI's issue and event listings, on this connection."""
        return UiReader(self.con, self.path)


def _bind(value: Any) -> Any:
    return naive_utc(value) if isinstance(value, datetime) else value


def _aware(value: Any) -> Any:
    return aware_utc(value) if isinstance(value, datetime) else value
