"""The default store: one DuckDB file, written in Arrow batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from faultlens.errors import StoreError
from faultlens.model import LATENCY_BOUNDS_MS, Deploy, Event, LatencyBucket, Span, VolumeBucket
from faultlens.store.base import SourceState
from faultlens.store.duckdb_accounts import Accounts
from faultlens.store.duckdb_browse import Browser
from faultlens.store.duckdb_queries import QUERIES, QUERY_PARAMS
from faultlens.store.rows import aware_utc, events_to_arrow, naive_utc
from faultlens.store.schema import DDL, SCHEMA_VERSION

INGEST_MEMORY_LIMIT = "64MB"
QUERY_MEMORY_LIMIT = "1GB"
"""While appending, DuckDB's buffer cache would otherwise grow toward most of the machine's memory as
the file grows, though what is written is already on disk: ingestion's memory should follow the
number of issues, not the size of the store. Queries get room to aggregate. An in-memory store
cannot spill what it holds, so it always has the larger limit."""


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
            self.con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        except duckdb.Error as exc:
            raise StoreError(f"cannot prepare the store's tables: {exc}", path=path) from None

    def append_events(self, events: Sequence[Event]) -> int:
        if not events:
            return 0
        table = events_to_arrow(events)
        issues = _issue_rows(events)
        try:
            self.con.execute("BEGIN")
            self.con.register("event_batch", table)
            inserted = self.con.execute("INSERT OR IGNORE INTO events SELECT * FROM event_batch").fetchone()
            self.con.unregister("event_batch")
            self.con.register("issue_batch", issues)
            self.con.execute("""
                INSERT INTO issues SELECT project, fingerprint, title, type, level, culprit, 'unresolved',
                                          first_seen, last_seen FROM issue_batch
                ON CONFLICT (fingerprint) DO UPDATE SET
                    first_seen = least(issues.first_seen, excluded.first_seen),
                    last_seen = greatest(issues.last_seen, excluded.last_seen)""")
            self.con.unregister("issue_batch")
            self.con.execute("COMMIT")
        except duckdb.Error as exc:
            self.con.execute("ROLLBACK")
            raise StoreError(f"cannot write events: {exc}", path=self.path) from None
        return int(inserted[0]) if inserted else 0

    def append_latency(self, buckets: Sequence[LatencyBucket]) -> None:
        rows = [(b.service, naive_utc(b.minute), bound, count) for b in buckets
                for bound, count in zip((*LATENCY_BOUNDS_MS, None), b.counts, strict=True) if count]
        if not rows:
            return
        service, minute, bound, count = (list(column) for column in zip(*rows, strict=True))
        table = pa.Table.from_pydict({"service": service, "minute": minute, "le_ms": bound, "count": count},
                                     schema=pa.schema([("service", pa.string()), ("minute", pa.timestamp("us")),
                                                       ("le_ms", pa.float64()), ("count", pa.int64())]))
        self._insert_arrow("latency", table)

    def append_volume(self, buckets: Sequence[VolumeBucket]) -> None:
        if not buckets:
            return
        table = pa.Table.from_pydict({
            "service": [b.service for b in buckets],
            "host": [b.host for b in buckets],
            "release": [b.release for b in buckets],
            "minute": [naive_utc(b.minute) for b in buckets],
            "level": [b.level for b in buckets],
            "count": [b.count for b in buckets],
            "requests": [b.requests for b in buckets],
            "failed_requests": [b.failed_requests for b in buckets],
        })
        self._insert_arrow("volume", table)

    def append_spans(self, spans: Sequence[Span]) -> None:
        if not spans:
            return
        table = pa.Table.from_pydict({
            "trace_id": [s.trace_id for s in spans], "span_id": [s.span_id for s in spans],
            "parent_span_id": [s.parent_span_id for s in spans], "service": [s.service for s in spans],
            "name": [s.name for s in spans], "kind": [s.kind for s in spans],
            "start": [naive_utc(s.start) for s in spans], "end": [naive_utc(s.end) for s in spans],
            "status": [s.status for s in spans], "status_message": [s.status_message for s in spans],
            "attributes": [orjson.dumps(s.attributes, default=str).decode() for s in spans],
        })
        self._insert_arrow("spans", table)

    def append_deploys(self, deploys: Sequence[Deploy]) -> None:
        if not deploys:
            return
        table = pa.Table.from_pydict({
            "service": [d.service for d in deploys], "release": [d.release for d in deploys],
            "time": [naive_utc(d.time) for d in deploys], "source": [d.source for d in deploys],
            "commit": [d.commit for d in deploys], "previous_release": [d.previous_release for d in deploys],
            "kind": [d.kind for d in deploys], "description": [d.description for d in deploys],
        })
        self._insert_arrow("deploys", table, """
            INSERT INTO deploys SELECT * FROM arrow_batch b WHERE NOT EXISTS (
                SELECT 1 FROM deploys d WHERE d.service = b.service AND d.release = b.release
                  AND d.time = b.time AND d.kind = b.kind)""")

    def _insert_arrow(self, name: str, table: pa.Table, statement: str | None = None) -> None:
        """Append an Arrow table; `statement` may filter what is inserted (it reads `arrow_batch`)."""
        try:
            self.con.register("arrow_batch", table)
            self.con.execute(statement or f"INSERT INTO {name} SELECT * FROM arrow_batch")
            self.con.unregister("arrow_batch")
        except duckdb.Error as exc:
            raise StoreError(f"cannot write {name}: {exc}", path=self.path) from None

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
        if not aliases:
            return
        table = pa.table({"key": pa.array(list(aliases), pa.string()),
                          "fingerprint": pa.array(list(aliases.values()), pa.string())})
        self._insert_arrow("fingerprint_aliases", table,
                           "INSERT OR IGNORE INTO fingerprint_aliases SELECT * FROM arrow_batch")

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

    def browser(self) -> Browser:
        """The API's issue and event listings, on this connection."""
        return Browser(self.con, self.path)


def _bind(value: Any) -> Any:
    return naive_utc(value) if isinstance(value, datetime) else value


def _aware(value: Any) -> Any:
    return aware_utc(value) if isinstance(value, datetime) else value


def _issue_rows(events: Sequence[Event]) -> pa.Table:
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
    rows = list(by_fp.values())
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("project", pa.string()), ("fingerprint", pa.string()), ("title", pa.string()), ("type", pa.string()),
        ("level", pa.string()), ("culprit", pa.string()), ("first_seen", pa.timestamp("us")),
        ("last_seen", pa.timestamp("us")),
    ]))
