"""The DuckDB store on a real file: idempotent re-ingestion, growth, and a clear error when it is held."""

from __future__ import annotations

import subprocess
import sys

import pytest

from faultlens.errors import StoreError
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import open_store

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
