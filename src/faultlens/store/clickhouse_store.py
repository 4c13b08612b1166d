"""The store in ClickHouse, through clickhouse-connect: a server, a cluster, or chDB in-process.

`--db clickhouse://user:password@host:8123/database` (or `clickhouses://` for TLS) names a server;
`--db chdb:///path/to/dir` runs the ClickHouse engine inside this process on a directory (the
same client code and SQL, no server: what the tests use). Writes are Arrow batches, the way the
DuckDB store writes; every table is append-only (see clickhouse_schema.py for why that is enough).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from faultlens.errors import StoreError, UsageError
from faultlens.grouping.session import STATE_NAME
from faultlens.model import Deploy, Event, LatencyBucket, Span, VolumeBucket
from faultlens.store.base import SourceState
from faultlens.store.clickhouse_accounts import ClickHouseAccounts
from faultlens.store.clickhouse_browse import ClickHouseBrowser
from faultlens.store.clickhouse_queries import TYPED_QUERIES, WRITES
from faultlens.store.clickhouse_schema import SCHEMA_VERSION, schema_ddl
from faultlens.store.rows import aware_utc, events_to_arrow, naive_utc
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

DEFAULT_DATABASE = "faultlens"
SESSION_SETTINGS = {"join_use_nulls": 1, "session_timezone": "UTC"}
"""LEFT JOIN gives NULL for a missing row, as in DuckDB; times are read and written as UTC."""



@dataclass(frozen=True, slots=True)
class ClickHouseTarget:
    """Where a `--db` URL points: a server (host, port, credentials) or a chDB directory."""

    database: str
    chdb_path: str | None = None
    host: str = "localhost"
    port: int = 8123
    username: str = "default"
    password: str = ""
    secure: bool = False

    def describe(self) -> str:
        """For messages: the URL without its password."""
        if self.chdb_path is not None:
            return f"chdb://{self.chdb_path}?database={self.database}"
        scheme = "clickhouses" if self.secure else "clickhouse"
        return f"{scheme}://{self.username}@{self.host}:{self.port}/{self.database}"


def parse_url(url: str) -> ClickHouseTarget:
    """`clickhouse://user:password@host:8123/db`, `clickhouses://...` or `chdb:///dir[?database=db]`."""
    parts = urlsplit(url)
    database = DEFAULT_DATABASE
    if parts.scheme == "chdb":
        database = parse_qs(parts.query).get("database", [DEFAULT_DATABASE])[0]
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise UsageError(f"{url!r} names no directory; write chdb:///path/to/dir")
        return ClickHouseTarget(_database_name(database, url), chdb_path=path)
    secure = parts.scheme == "clickhouses"
    if parts.path.strip("/"):
        database = parts.path.strip("/")
    try:
        port = parts.port or (8443 if secure else 8123)
    except ValueError:
        raise UsageError(f"{url!r} has a port that is not a number; write host:8123") from None
    return ClickHouseTarget(_database_name(database, url), host=parts.hostname or "localhost", port=port,
                            username=unquote(parts.username or "default"), password=unquote(parts.password or ""),
                            secure=secure)


def _database_name(name: str, url: str) -> str:
    if not name.replace("_", "").isalnum():
        raise UsageError(f"database {name!r} in {url!r} may hold only letters, digits and _")
    return name


def connect(target: ClickHouseTarget) -> Any:
    """A clickhouse-connect client for the target, with no database chosen yet."""
    try:
        import clickhouse_connect
        from clickhouse_connect.driver.exceptions import Error as ClickHouseError
    except ImportError:
        raise StoreError("the ClickHouse store needs clickhouse-connect; pip install clickhouse-connect") from None
    try:
        if target.chdb_path is not None:
            return clickhouse_connect.get_client(interface="chdb", path=target.chdb_path, settings=SESSION_SETTINGS)
        return clickhouse_connect.get_client(host=target.host, port=target.port, username=target.username,
                                             password=target.password, secure=target.secure,
                                             settings=SESSION_SETTINGS)
    except ImportError:
        raise StoreError("chdb:// runs ClickHouse in-process with the chdb package; pip install chdb",
                         path=target.describe()) from None
    except ClickHouseError as exc:
        raise StoreError(f"cannot reach ClickHouse ({_first_line(exc)}); check the URL and that the server is up",
                         path=target.describe()) from None


def run_statements(client: Any, target: ClickHouseTarget, statements: Sequence[str]) -> None:
    """Run DDL (`schema_ddl` or `cluster_ddl`), then note the schema version in the target database."""
    from clickhouse_connect.driver.exceptions import Error as ClickHouseError

    try:
        for statement in statements:
            client.command(statement)
        client.database = target.database
        client.command("INSERT INTO meta VALUES ('schema_version', {v:String})", parameters={"v": SCHEMA_VERSION})
    except ClickHouseError as exc:
        raise StoreError(f"cannot prepare the store's tables: {_first_line(exc)}", path=target.describe()) from None


def run_sql(url: str, statement: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one statement read-only (ClickHouse refuses writes under `readonly`); its columns and rows."""
    from clickhouse_connect.driver.exceptions import Error as ClickHouseError

    target = parse_url(url)
    client = connect(target)
    try:
        client.database = target.database
        result = client.query(statement, settings={"readonly": 1})
        return list(result.column_names), [tuple(row) for row in result.result_rows]
    except ClickHouseError as exc:
        raise UsageError(f"the query failed: {_first_line(exc)}; see docs/queries.md for the tables") from None
    finally:
        client.close()


class ClickHouseStore:
    """The Store interface over one clickhouse-connect client; several writers may share a server."""

    def __init__(self, url: str) -> None:
        self.target = parse_url(url)
        self.path = self.target.describe()
        self.client = connect(self.target)
        from clickhouse_connect.driver.exceptions import Error as ClickHouseError

        self._errors: tuple[type[BaseException], ...] = (ClickHouseError,)
        run_statements(self.client, self.target, schema_ddl(self.target.database))
        self._last_stamp = 0.0

    def append_events(self, events: Sequence[Event]) -> int:
        if not events:
            return 0
        return self._write_tables({"events": events_to_arrow(events), "issues": issues_table(events)})

    def append_volume(self, buckets: Sequence[VolumeBucket]) -> None:
        if buckets:
            self._write_tables({"volume": volume_table(buckets)})

    def append_latency(self, buckets: Sequence[LatencyBucket]) -> None:
        table = latency_table(buckets)
        if table is not None:
            self._write_tables({"latency": table})

    def append_spans(self, spans: Sequence[Span]) -> None:
        if spans:
            self._write_tables({"spans": spans_table(spans)})

    def append_deploys(self, deploys: Sequence[Deploy]) -> None:
        if deploys:  # the table's sort key is (service, release, time, kind): a repeat replaces its twin
            self._write_tables({"deploys": deploys_table(deploys)})

    def write_staged(self, batch: StagedBatch, applied: Sequence[tuple[str, int]] = (),
                     forget_segments: Sequence[int] = ()) -> int:
        """Write a batch prepared elsewhere (see store.staging); return how many events were new.

        The requests' names go in last: a writer stopped before them has the batch replayed (its events
        are kept once; its counts may be counted again), one stopped after them never does.
        """
        if forget_segments:
            try:
                self.client.command("DELETE FROM spool_applied WHERE segment IN {s:Array(Int64)}",
                                    parameters={"s": list(forget_segments)})
            except self._errors as exc:
                raise StoreError(f"cannot write spool_applied: {_first_line(exc)}", path=self.path) from None
        inserted = self._write_tables(batch.tables)
        if batch.grouping_state is not None:
            self.save_grouping_state(STATE_NAME, batch.grouping_state)
        if applied:
            self._insert("spool_applied", pa.table({"id": pa.array([i for i, _ in applied], pa.string()),
                                                    "segment": pa.array([s for _, s in applied], pa.int64())}))
        return inserted

    def limit_threads(self, count: int) -> None:
        """Nothing to do: ClickHouse (a server, or chDB's engine) schedules its own threads."""

    def spool_applied(self) -> set[str]:
        return {str(row[0]) for row in self._rows("SELECT DISTINCT id FROM spool_applied", {}, "read spool_applied")}

    def issue_fingerprints(self) -> set[str]:
        return {str(row[0]) for row in self._rows("SELECT DISTINCT fingerprint FROM issues", {}, "read issues")}

    def _write_tables(self, tables: Mapping[str, pa.Table]) -> int:
        """Insert the tables a batch holds, keeping what DuckDB's keys keep; the number of new events.

        ClickHouse has no transactions across tables: aliases go first and events before their issues,
        so a writer stopped half-way leaves events whose issue row the next batch adds, never the reverse.
        """
        inserted = 0
        aliases = tables.get("fingerprint_aliases")
        if aliases is not None and aliases.num_rows:
            self.add_issue_aliases(dict(zip(aliases.column("key").to_pylist(),
                                            aliases.column("fingerprint").to_pylist(), strict=True)))
        events = tables.get("events")
        if events is not None and events.num_rows:
            fresh = self._unseen_events(events)
            inserted = fresh.num_rows
            if inserted:
                self._insert("events", fresh)
        issues = tables.get("issues")
        if issues is not None and issues.num_rows:
            self._insert("issues", self._issue_rows(issues))
        for name in ("spans", "volume", "latency", "deploys"):
            table = tables.get(name)
            if table is not None and table.num_rows:
                self._insert(name, table)
        return inserted

    def _unseen_events(self, events: pa.Table) -> pa.Table:
        """The events whose ids are not stored yet, each id once (ids are stable: a re-read adds nothing).

        Copies can only lie where the batch's projects, fingerprints and time span meet in the table's
        sort order: a count there first (new data finds nothing, the common case), and the ids only
        when something is there.
        """
        lo, hi = time_span(events)
        where = ("project IN {projects:Array(String)} AND fingerprint IN {fps:Array(String)} "
                 "AND timestamp BETWEEN {lo:DateTime64(6, 'UTC')} AND {hi:DateTime64(6, 'UTC')}")
        params: dict[str, Any] = {
            "projects": pc.unique(events.column("project")).to_pylist(),
            "fps": pc.unique(events.column("fingerprint")).to_pylist(), "lo": lo, "hi": hi}
        known: set[str] = set()
        if self._rows(f"SELECT count() FROM events WHERE {where}", params, "read events")[0][0]:
            known = {row[0] for row in self._rows(f"SELECT id FROM events WHERE {where} "
                                                  "AND id IN {ids:Array(String)}",
                                                  {**params, "ids": events.column("id").to_pylist()},
                                                  "read events")}
        return unseen_events(events, known)

    def _issue_rows(self, issues: pa.Table) -> pa.Table:
        """An issue keeps what it was first stored with: rows for known issues carry only their times."""
        fingerprints = issues.column("fingerprint").to_pylist()
        seen = {row[0] for row in self._rows("SELECT DISTINCT fingerprint FROM issues "
                                             "WHERE fingerprint IN {fps:Array(String)}",
                                             {"fps": fingerprints}, "read issues")}
        if not seen:
            return issues
        mask = pa.array([fp in seen for fp in fingerprints])
        for name in ("project", "title", "type", "level", "culprit"):
            index = issues.schema.get_field_index(name)
            issues = issues.set_column(index, name, pc.if_else(mask, pa.nulls(len(mask), pa.string()),
                                                               issues.column(name)))
        return issues

    def source_state(self, path: str) -> SourceState | None:
        rows = self._rows("SELECT path, argMax(head_hash, updated_at), argMax(lines, updated_at) FROM sources "
                          "WHERE path = {p:String} GROUP BY path", {"p": path}, "read sources")
        return SourceState(rows[0][0], rows[0][1], int(rows[0][2])) if rows else None

    def record_source(self, state: SourceState, fmt: str) -> None:
        self._insert("sources", pa.Table.from_pydict({
            "path": [state.path], "head_hash": [state.head_hash], "lines": [state.lines], "format": [fmt],
            "updated_at": [self._now()]}))

    def issue_aliases(self, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        rows = self._rows("SELECT key, argMin(fingerprint, added_at) FROM fingerprint_aliases "
                          "WHERE key IN {keys:Array(String)} GROUP BY key", {"keys": list(keys)}, "read grouping keys")
        return {str(k): str(v) for k, v in rows}

    def add_issue_aliases(self, aliases: Mapping[str, str]) -> None:
        known = self.issue_aliases(list(aliases))
        fresh = {key: issue for key, issue in aliases.items() if key not in known}
        if fresh:
            table = aliases_table(fresh)
            self._insert("fingerprint_aliases", table.append_column(
                "added_at", pa.array([self._now()] * table.num_rows, pa.timestamp("us"))))

    def all_issue_aliases(self) -> dict[str, str]:
        """Every grouping key with its issue: what a preparing process starts from."""
        rows = self._rows("SELECT key, argMin(fingerprint, added_at) FROM fingerprint_aliases GROUP BY key", {},
                          "read grouping keys")
        return {str(k): str(v) for k, v in rows}

    def grouping_state(self, name: str) -> str | None:
        rows = self._rows("SELECT argMax(state, saved_at) FROM grouping_state WHERE name = {n:String} GROUP BY name",
                          {"n": name}, "read the grouping state")
        return str(rows[0][0]) if rows else None

    def save_grouping_state(self, name: str, state: str) -> None:
        self._insert("grouping_state", pa.Table.from_pydict(
            {"name": [name], "state": [state], "saved_at": [self._now()]}))

    def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        try:
            sql = TYPED_QUERIES[name]
        except KeyError:
            raise StoreError(f"no query named {name!r}") from None
        bound = {key: _bind(value) for key, value in params.items() if "{" + key + ":" in sql}
        for key in _placeholders(sql) - bound.keys():
            bound[key] = None
        try:
            if name in WRITES:
                self.client.command(sql, parameters=bound)
                return []
            result = self.client.query(sql, parameters=bound)
        except self._errors as exc:
            raise StoreError(f"query {name} failed: {_first_line(exc)}", path=self.path) from None
        columns = result.column_names
        return [{col: _aware(value) for col, value in zip(columns, row, strict=True)} for row in result.result_rows]

    def window(self) -> tuple[datetime | None, datetime | None]:
        row = self.query("window")[0]
        return row["start"], row["end"]

    def close(self) -> None:
        self.client.close()

    def reader(self) -> ClickHouseStore:
        """Another client on the same database, for a thread that reads while this one writes."""
        other = ClickHouseStore.__new__(ClickHouseStore)
        other.target, other.path, other._errors, other._last_stamp = self.target, self.path, self._errors, 0.0
        other.client = connect(self.target)
        other.client.database = self.target.database
        return other

    def only_project(self, project: str) -> None:
        """Make this client see one project's events only (a filter ClickHouse adds to every read of the
        tables), so every named query, and so every analysis, answers for that project."""
        literal = project.replace("\\", "\\\\").replace("'", "\\'")
        condition = f"project = '{literal}'".replace("\\", "\\\\").replace("'", "\\'")
        self.client.set_client_setting(
            "additional_table_filters", "{" + ", ".join(f"'{table}': '{condition}'"
                                                        for table in ("events", "event_minutes")) + "}")

    def accounts(self) -> ClickHouseAccounts:
        """Projects, keys, tokens, UI users and issue status, on this client."""
        return ClickHouseAccounts(self.client, self.path, self._now, self._errors)

    def browser(self) -> ClickHouseBrowser:
        """The API's and the UI's issue and event listings, on this client."""
        return ClickHouseBrowser(self.client, self.path, self._errors)

    def _insert(self, table: str, data: pa.Table) -> None:
        try:
            self.client.insert_arrow(table, data)
        except self._errors as exc:
            raise StoreError(f"cannot write {table}: {_first_line(exc)}", path=self.path) from None

    def _rows(self, sql: str, params: dict[str, Any], what: str) -> list[tuple[Any, ...]]:
        try:
            return list(self.client.query(sql, parameters=params).result_rows)
        except self._errors as exc:
            raise StoreError(f"cannot {what}: {_first_line(exc)}", path=self.path) from None

    def _now(self) -> datetime:
        """Now, strictly later than the last stamp this store wrote: the latest version is the one read."""
        stamp = max(time.time(), self._last_stamp + 1e-6)
        self._last_stamp = stamp
        return naive_utc(datetime.fromtimestamp(stamp, UTC))


def _placeholders(sql: str) -> set[str]:
    names = set()
    for piece in sql.split("{")[1:]:
        name, colon, _ = piece.partition(":")
        if colon and name.isidentifier():
            names.add(name)
    return names


def _bind(value: Any) -> Any:
    if isinstance(value, datetime):
        return naive_utc(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return value


def _aware(value: Any) -> Any:
    return aware_utc(value) if isinstance(value, datetime) else value


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
