"""Parallel ingestion: any number of workers and any cut of the input give the same store as one process."""

from __future__ import annotations

import gzip
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from faultlens.ingest.sources import InputRef
from faultlens.parallel.run import ParallelIngestor
from faultlens.parallel.split import plan_pieces
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import open_store

T0 = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
JAVA = ("{ts} ERROR [exec-{n}] com.acme.PaymentClient - payment {n} failed for order ord-{n}\n"
        "com.acme.PaymentException: authorization failed for ord-{n}\n"
        "\tat com.acme.PaymentClient.authorize(PaymentClient.java:{line})\n"
        "\tat com.acme.OrderService.place(OrderService.java:88)\n"
        "Caused by: java.net.SocketTimeoutException: Read timed out after {n} ms\n"
        "\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)\n"
        "\t... 2 more\n")
INFO = "{ts} INFO  [exec-{n}] com.acme.OrderService - order ord-{n} placed for user-{user} in {n} ms\n"
WARN = "{ts} WARN  [exec-{n}] com.acme.Cache - cache miss for key product-{n} took {n} ms\n"


def write_logs(directory) -> list[str]:
    """A Java service log with multi-line traces, a JSON log with tracebacks, and a small gzip file."""
    java, lines = directory / "order-service.log", []
    for n in range(900):
        ts = (T0 + timedelta(seconds=n)).strftime("%Y-%m-%d %H:%M:%S,000")
        kind = (JAVA, WARN, INFO, INFO)[n % 4]
        lines.append(kind.format(ts=ts, n=n, user=n % 37, line=112 + n % 3))
    java.write_text("".join(lines))
    records = []
    for n in range(600):
        record = {"timestamp": (T0 + timedelta(seconds=n)).isoformat(), "level": "info",
                  "message": f"charged order ord-{n}", "service": "payment", "user": {"id": f"u{n % 11}"}}
        if n % 5 == 0:
            record |= {"level": "error", "message": f"charge {n} failed",
                       "error": {"type": "TimeoutError", "message": f"pool timeout after {n} s",
                                 "stack_trace": "Traceback (most recent call last):\n  File \"/srv/pay/db.py\", "
                                                f"line {40 + n % 2}, in get\n    conn = pool.get()\nTimeoutError: "
                                                f"pool timeout after {n} s"}}
        records.append(json.dumps(record) + "\n")
    (directory / "payment.jsonl").write_text("".join(records))
    with gzip.open(directory / "worker.log.gz", "wt") as handle:
        handle.write("".join(WARN.format(ts=(T0 + timedelta(seconds=n)).strftime("%Y-%m-%d %H:%M:%S,000"), n=n)
                             for n in range(50)))
    return [str(directory)]


def stored(store) -> dict:
    """Everything that must not depend on the number of workers: events, issues, templates, counts."""
    con = store.con
    return {
        "events": con.execute("SELECT id, fingerprint, template, title, grouping, source_line FROM events "
                              "ORDER BY id").fetchall(),
        "issues": con.execute("SELECT fingerprint, title, first_seen, last_seen FROM issues ORDER BY 1").fetchall(),
        "volume": con.execute("SELECT service, minute, level, sum(count) FROM volume GROUP BY ALL "
                              "ORDER BY ALL").fetchall(),
        "miner": store.grouping_state("templates"),
    }


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return write_logs(tmp_path_factory.mktemp("logs"))


@pytest.fixture(scope="module")
def one_process(logs):
    store = open_store(":memory:")
    stats = Ingestor(store, IngestOptions()).run(logs)
    yield stats, stored(store)
    store.close()


@pytest.mark.parametrize(("workers", "piece_bytes"), [(2, 3000), (3, 1700), (2, 1 << 20)])
def test_workers_and_cuts_change_nothing(logs, one_process, workers, piece_bytes):
    """N workers over ranges of any size store the same events, issues, template ids and counts as one process."""
    expected_stats, expected = one_process
    store = open_store(":memory:")
    stats = ParallelIngestor(store, IngestOptions(), workers=workers, piece_bytes=piece_bytes).run(logs)
    assert stored(store) == expected
    assert (stats.files, stats.records, stats.events, stats.events_new, stats.formats) == (
        expected_stats.files, expected_stats.records, expected_stats.events, expected_stats.events_new,
        expected_stats.formats)
    store.close()


def test_cuts_fall_where_records_start(logs):
    """A large file is cut only before a line that starts a record, and the ranges cover it end to end."""
    ref = InputRef(logs[0] + "/order-service.log")
    pieces = plan_pieces(ref, None, piece_bytes=2000)
    assert len(pieces) > 10
    data = Path(ref.path).read_bytes()
    assert pieces[0].start == 0 and pieces[-1].end == len(data) and pieces[-1].last
    for before, after in itertools.pairwise(pieces):
        assert before.end == after.start
        assert data[after.start - 1:after.start] == b"\n"
        line = data[after.start:].split(b"\n", 1)[0].decode()
        assert line[:4] == "2026" and " at " not in line
        assert after.first_line == data[:after.start].count(b"\n") + 1


def test_compressed_and_small_files_are_read_whole(logs):
    """Gzip files cannot be cut; files under the piece size are one piece."""
    assert len(plan_pieces(InputRef(logs[0] + "/worker.log.gz"), None, piece_bytes=100)) == 1
    assert len(plan_pieces(InputRef(logs[0] + "/payment.jsonl"), None, piece_bytes=1 << 30)) == 1


def test_ingest_command_reports_what_it_read(run_cli, logs, tmp_path):
    """`faultlens ingest --workers 2` stores the inputs and says how much it read, then adds nothing the second time."""
    db = str(tmp_path / "s.duckdb")
    code, out, err = run_cli("ingest", "--workers", "2", "--piece-mb", "1", *logs, "--db", db)
    assert code == 0, err
    assert "3 file(s)" in out and "with 2 worker(s)" in out
    code, out, _ = run_cli("ingest", *logs, "--db", db)
    assert code == 0 and "(0 new)" in out
