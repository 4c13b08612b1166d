"""The DuckDB store on a real file: idempotent re-ingestion, growth, and a clear error when it is held."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from faultlens.errors import StoreError
from faultlens.model import Event, Source
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import duckdb_store, open_store
from faultlens.store.staging import StagedBatch, StagingStore

LINES = (
    "2026-11-28 14:05:0{i},000 ERROR [worker.jobs] job {i} failed: timeout talking to payment-service\n"
    "2026-11-28 14:05:0{i},500 INFO [worker.jobs] job {i} retried\n"
)


def write_log(path, count: int) -> None:
    path.write_text("".join(LINES.format(i=i) for i in range(count)))


def volume_total(store) -> int:
    return sum(int(row["records"]) for row in store.query("volume_by_service"))


def test_reanalyzing_adds_nothing(tmp_path):
    """The same file read twice stores each event once and counts each line once."""
    log = tmp_path / "worker.log"
    write_log(log, 5)
    db = str(tmp_path / "store.duckdb")
    store = open_store(db)
    first = Ingestor(store, IngestOptions()).run([str(log)])
    store.close()
    store = open_store(db)
    second = Ingestor(store, IngestOptions()).run([str(log)])
    assert (first.events_new, second.events_new) == (5, 0)
    assert store.query("totals")[0]["events"] == 5
    assert volume_total(store) == 10
    store.close()


def test_grown_file_counts_only_new_lines(tmp_path):
    """A log that grew since the last run adds only its new lines."""
    log = tmp_path / "worker.log"
    write_log(log, 3)
    store = open_store(str(tmp_path / "s.duckdb"))
    Ingestor(store, IngestOptions()).run([str(log)])
    write_log(log, 6)
    stats = Ingestor(store, IngestOptions()).run([str(log)])
    assert stats.events_new == 3
    assert volume_total(store) == 12
    store.close()


def test_store_held_by_another_process_is_a_clear_error(tmp_path):
    """A store another process holds gives a StoreError that says what to do, not a traceback."""
    db = tmp_path / "held.duckdb"
    open_store(str(db)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('ok', flush=True); "
                               "time.sleep(30)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(StoreError, match="in use by another faultlens process"):
            open_store(str(db))
    finally:
        holder.kill()
        holder.wait()


def test_events_survive_in_the_file(tmp_path):
    """What was stored is read back after the store is closed and reopened."""
    log = tmp_path / "worker.log"
    write_log(log, 2)
    db = str(tmp_path / "s.duckdb")
    store = open_store(db)
    Ingestor(store, IngestOptions()).run([str(log)])
    store.close()
    store = open_store(db)
    rows = store.query("issues", since=None, until=None, min_rank=None)
    assert len(rows) == 1 and rows[0]["count"] == 2
    store.close()


def oversized_batch(tmp_path) -> tuple[pa.Table, pa.Table]:
    """One event, and 1,500 copies with other ids whose transaction is larger than the ingest memory limit."""
    log = tmp_path / "worker.log"
    write_log(log, 1)
    staging = StagingStore({}, None)
    Ingestor(staging, IngestOptions()).run([str(log)])
    one = staging.take().tables["events"]
    big = one.take([0] * 1500)
    big = big.set_column(big.schema.get_field_index("id"), "id", pa.array([f"event-{n}" for n in range(1500)]))
    big = big.set_column(big.schema.get_field_index("message"), "message", pa.array(["x" * 60_000] * 1500))
    assert big.nbytes > 64 * 1024 * 1024
    return one, big


def test_a_transaction_over_the_ingest_memory_limit_is_written(tmp_path):
    """A batch whose transaction is larger than the ingest memory limit (one huge request to the server)
    is written with the queries' limit, not refused on every retry; later batches go back to the small one."""
    one, big = oversized_batch(tmp_path)
    store = open_store(str(tmp_path / "store.duckdb"))
    assert store.write_staged(StagedBatch({"events": big})) == 1500
    assert store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] in ("61.0 MiB", "64.0 MB")
    assert store.write_staged(StagedBatch({"events": one})) == 1
    assert store.query("totals")[0]["events"] == 1501
    store.close()


class RefusesToLowerTheLimit:
    """A store's connection on which DuckDB refuses to lower the memory limit, as it did when it held
    more than the ingest limit and could not evict it (an index it loads whole). Fault injection: every
    other statement goes to the real connection."""

    def __init__(self, con) -> None:
        self.con = con

    def execute(self, sql: str, *args):
        if sql.startswith("SET memory_limit") and duckdb_store.INGEST_MEMORY_LIMIT in sql:
            raise duckdb.OutOfMemoryException("Out of Memory Error: Failed to change memory limit")
        return self.con.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self.con, name)


def test_a_committed_write_stands_when_the_limit_cannot_be_lowered_after_it(tmp_path):
    """The oversized batch committed at the larger limit; DuckDB then refusing to go back to the small one
    keeps the larger limit instead of failing the write (it raised, once, from the limit's reset)."""
    one, big = oversized_batch(tmp_path)
    store = open_store(str(tmp_path / "store.duckdb"))
    store.con = RefusesToLowerTheLimit(store.con)
    assert store.write_staged(StagedBatch({"events": big})) == 1500
    assert store.write_staged(StagedBatch({"events": one})) == 1
    assert store.query("totals")[0]["events"] == 1501
    store.con = store.con.con
    store.close()


def many_events(tmp_path, count: int) -> pa.Table:
    """`count` events as the staging buffer builds them, alike but for their ids."""
    log = tmp_path / "one.log"
    write_log(log, 1)
    staging = StagingStore({}, None)
    Ingestor(staging, IngestOptions()).run([str(log)])
    events = staging.take().tables["events"].take([0] * count)
    return events.set_column(events.schema.get_field_index("id"), "id",
                             pa.array([f"{n:032x}" for n in range(count)]))


def event_keys(store) -> int:
    return store.con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'events' "
                             "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchone()[0]


def test_no_index_grows_with_the_events_stored(tmp_path):
    """No key is kept on event ids: a DuckDB index is loaded whole to insert, so one on ids grew with every
    event (about 10 MB per 100,000) until writes at the 64 MB ingest limit failed. Copies are still kept out."""
    store = open_store(str(tmp_path / "store.duckdb"))
    events = many_events(tmp_path, 100_000)
    assert store.write_staged(StagedBatch({"events": events})) == 100_000
    assert store.write_staged(StagedBatch({"events": events.slice(50_000, 10)})) == 0
    assert event_keys(store) == 0
    store.close()


def test_cascading_requests_are_found_within_the_query_memory_limit(tmp_path, monkeypatch):
    """Most failed requests fail in one service: only those in two or more get lists built, so the query
    spills to disk instead of holding a list for every request (it ran out of memory at 10M events)."""
    monkeypatch.setattr(duckdb_store, "QUERY_MEMORY_LIMIT", "48MB")
    store = open_store(str(tmp_path / "store.duckdb"))
    count = 400_000
    events = many_events(tmp_path, count)
    requests = [f"req-{n}" for n in range(count)]
    requests[-1] = requests[-2] = "req-cascade"  # one request failed in two services
    services = ["worker"] * count
    services[-1] = "gateway"
    for name, values in (("correlation_id", requests), ("service", services)):
        events = events.set_column(events.schema.get_field_index(name), name, pa.array(values))
    store.write_staged(StagedBatch({"events": events}))
    [row] = store.query("failing_requests", since=None, until=None)
    assert (row["request"], sorted(row["services"])) == ("req-cascade", ["gateway", "worker"])
    store.close()


def test_a_store_with_a_key_on_event_ids_is_copied_without_it(tmp_path):
    """Stores made before schema 2 kept a primary key on events.id; opening one drops it, keeping every event."""
    db = str(tmp_path / "old.duckdb")
    log = tmp_path / "worker.log"
    write_log(log, 4)
    store = open_store(db)
    Ingestor(store, IngestOptions()).run([str(log)])
    con = store.con
    con.execute("CREATE TABLE keyed AS SELECT * FROM events WHERE false")
    con.execute("ALTER TABLE keyed ADD PRIMARY KEY (id)")
    con.execute("INSERT INTO keyed SELECT * FROM events")
    con.execute("DROP TABLE events")
    con.execute("ALTER TABLE keyed RENAME TO events")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    store.close()

    store = open_store(db)
    assert event_keys(store) == 0
    assert store.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "2"
    assert store.query("totals")[0]["events"] == 4
    write_log(log, 6)
    assert Ingestor(store, IngestOptions()).run([str(log)]).events_new == 2
    store.close()


def test_the_server_can_hold_the_store_to_one_thread(tmp_path):
    """`[server] store_threads`: one thread for the whole file (every connection), or DuckDB's default again."""
    store = open_store(str(tmp_path / "store.duckdb"))
    default = store.con.execute("SELECT current_setting('threads')").fetchone()[0]
    store.limit_threads(1)
    reader = store.reader()
    assert reader.con.execute("SELECT current_setting('threads')").fetchone()[0] == 1
    reader.close()
    store.limit_threads(0)
    assert store.con.execute("SELECT current_setting('threads')").fetchone()[0] == default
    store.close()


def test_an_issue_lists_its_latest_requests_with_every_service_they_failed_in(tmp_path):
    """The issue page's requests: its latest 500, each with the events carrying its id as correlation id
    or trace id (one carrying it as both counts once), those crossing the most services first."""
    t0 = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)

    def event(n: int, fingerprint: str, service: str, seconds: int, **ids: str) -> Event:
        return Event(id=f"e{n}", timestamp=t0 + timedelta(seconds=seconds), level="error", message="boom",
                     source=Source("app.log", n), service=service, fingerprint=fingerprint, title="Boom", **ids)

    old = [event(n, "fp1", "api", n, correlation_id=f"old-{n}") for n in range(600)]
    latest = [event(1000, "fp1", "api", 900, correlation_id="r1"),
              event(1001, "fp2", "db", 901, trace_id="r1"),
              event(1002, "fp2", "worker", 902, correlation_id="r1", trace_id="r1"),
              event(1003, "fp2", "db", 903, correlation_id="elsewhere")]
    store = open_store(str(tmp_path / "store.duckdb"))
    store.append_events(old + latest)
    rows = store.browser().issue_requests(["fp1"], limit=3)
    assert [(r["request"], r["services"], r["events"]) for r in rows] == [
        ("r1", ["api", "db", "worker"], 3), ("old-101", ["api"], 1), ("old-102", ["api"], 1)]  # old-100 is 501st
    store.close()
