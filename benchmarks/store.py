"""The two stores side by side, and ingestion with one and two workers.

Part one (`store`) writes N generated events (10M by default) to DuckDB and to ClickHouse run
in-process by chDB, in Arrow batches the way a flush writes them, with their issues and a day of
per-minute counts; then runs the report over each (`build_report`, every analysis) and times each
named query it asks. Part two (`ingest`) generates mixed plain-text logs (benchmarks/ingest.py's
generator: a log4j service with Java traces, a Python worker, an nginx access log) and runs
`faultlens ingest --workers 1` and `--workers 2` on them, on each store.

    python benchmarks/store.py                       # 10M events, 2M log lines
    python benchmarks/store.py --events 1000000      # quicker
    python benchmarks/store.py --part ingest --lines 500000

With two workers the parent still enriches, groups and writes every event in input order (so
template ids do not depend on the workers); the ingest part prints the CPU the parent spends on
that beside the whole single-process CPU: their ratio bounds the speed-up more workers can give.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import generate

from faultlens.analysis.overview import build_report
from faultlens.model import IngestStats, VolumeBucket
from faultlens.parallel.run import ParallelIngestor
from faultlens.parallel.split import Piece
from faultlens.parallel.worker import PieceResult
from faultlens.runner import BATCH_EVENTS, IngestOptions, Ingestor
from faultlens.store import open_store
from faultlens.store.rows import EVENT_SCHEMA
from faultlens.store.staging import StagedBatch
from faultlens.store.tables import ISSUE_SCHEMA

START = datetime(2026, 11, 28, tzinfo=UTC)
SPAN = timedelta(days=1)
ISSUES = 400
SERVICES = [f"service-{i}" for i in range(12)]
BATCH = BATCH_EVENTS
"""Events per write: what the runner's flush writes."""


class TimedStore:
    """A store that times every named query the report asks, by name."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.seconds: dict[str, float] = defaultdict(float)

    def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        began = time.perf_counter()
        try:
            return self.store.query(name, **params)  # type: ignore[no-any-return]
        finally:
            self.seconds[name] += time.perf_counter() - began

    def window(self) -> tuple[datetime | None, datetime | None]:
        row = self.query("window")[0]
        return row["start"], row["end"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def _issue_pool() -> dict[str, list[Any]]:
    """Per issue: its fingerprint, level, title, exception chain and service."""
    pool: dict[str, list[Any]] = defaultdict(list)
    for i in range(ISSUES):
        kind = ("TimeoutError", "KeyError", "ConnectionResetError", "ValueError")[i % 4]
        chain = [{"type": kind, "value": f"failure {i} in step <*>", "module": "app.jobs", "handled": False,
                  "frames": [{"function": f"handler_{i}", "module": f"app.mod{i % 17}", "filename": f"app/m{i}.py",
                              "lineno": 40 + i % 9, "in_app": True}]}]
        pool["fingerprint"].append(f"{i:016x}")
        pool["level"].append("error" if i % 5 else "warning")
        pool["title"].append(f"{kind}: failure {i} in step <*>")
        pool["exceptions"].append(orjson.dumps(chain).decode())
        pool["service"].append(SERVICES[i % len(SERVICES)])
        pool["template"].append(f"job <*> failed: failure {i} in step <*>")
    return pool


def event_batches(total: int, seed: int = 11) -> Iterator[pa.Table]:
    """Events in time order, issues drawn with a long tail (a few issues hold most events)."""
    rng = np.random.default_rng(seed)
    pool = {key: pa.array(values) for key, values in _issue_pool().items()}
    weights = 1.0 / np.arange(1, ISSUES + 1) ** 1.1
    weights /= weights.sum()
    step_us = SPAN / timedelta(microseconds=1) / max(total, 1)
    for first in range(0, total, BATCH):
        n = min(BATCH, total - first)
        which = pa.array(rng.choice(ISSUES, size=n, p=weights))
        numbers = np.arange(first, first + n)
        stamps = (START.replace(tzinfo=None) - datetime(1970, 1, 1)) // timedelta(microseconds=1) + (
            numbers * step_us).astype(np.int64)
        users = rng.integers(0, 50_000, size=n)
        hosts = rng.integers(0, 24, size=n)
        columns: dict[str, pa.Array] = {name: pa.nulls(n, field.type) for name, field in
                                        zip(EVENT_SCHEMA.names, EVENT_SCHEMA, strict=True)}
        columns |= {
            "id": pa.array([f"bench:{k}" for k in numbers.tolist()]),
            "project": pa.array(["default"] * n),
            "fingerprint": pool["fingerprint"].take(which),
            "timestamp": pa.array(stamps, pa.timestamp("us")),
            "level": pool["level"].take(which),
            "service": pool["service"].take(which),
            "environment": pa.array(["production"] * n),
            "host": pa.array([f"host-{h}" for h in hosts.tolist()]),
            "release": pa.array(["v2.3.0" if k < total // 2 else "v2.3.1" for k in numbers.tolist()]),
            "message": pool["template"].take(which),
            "template": pool["template"].take(which),
            "title": pool["title"].take(which),
            "exceptions": pool["exceptions"].take(which),
            "user_id": pa.array([f"user-{u}" for u in users.tolist()]),
            "correlation_id": pa.array([f"req-{k:x}" for k in numbers.tolist()]),
            "source_path": pa.array(["/var/log/bench.log"] * n),
            "source_line": pa.array(numbers + 1, pa.int64()),
        }
        yield pa.Table.from_pydict(columns, schema=EVENT_SCHEMA)


def issues_of(events: pa.Table) -> pa.Table:
    """One row per fingerprint of the batch, as `store.tables.issues_table` builds it."""
    grouped = events.group_by("fingerprint").aggregate([
        ("project", "min"), ("title", "min"), ("level", "min"), ("timestamp", "min"), ("timestamp", "max")])
    n = grouped.num_rows
    return pa.Table.from_pydict({
        "project": grouped.column("project_min"), "fingerprint": grouped.column("fingerprint"),
        "title": grouped.column("title_min"), "type": pa.nulls(n, pa.string()),
        "level": grouped.column("level_min"), "culprit": pa.nulls(n, pa.string()),
        "first_seen": grouped.column("timestamp_min"), "last_seen": grouped.column("timestamp_max"),
    }, schema=ISSUE_SCHEMA)


def volume_buckets() -> list[VolumeBucket]:
    """A day of per-minute counts for every service, errors and the rest."""
    buckets = []
    for minute in range(int(SPAN / timedelta(minutes=1))):
        at = START + timedelta(minutes=minute)
        for service in SERVICES:
            buckets.append(VolumeBucket(service, at, "info", count=2000, requests=1500))
            buckets.append(VolumeBucket(service, at, "error", count=30, requests=25, failed_requests=25))
    return buckets


def bench_store(url: str, total: int) -> tuple[float, float, float, float, dict[str, float]]:
    """Write `total` events; the write's wall and CPU seconds, the report's, and each query's wall seconds.

    CPU seconds count every thread of this process (the engines' too): on a machine shared with
    other work they move less than wall seconds do.
    """
    store = open_store(url)
    began, cpu = time.perf_counter(), time.process_time()
    for events in event_batches(total):
        store.write_staged(StagedBatch({"events": events, "issues": issues_of(events)}))
    store.append_volume(volume_buckets())
    written, written_cpu = time.perf_counter() - began, time.process_time() - cpu
    settle(store)
    timed = TimedStore(store)
    began, cpu = time.perf_counter(), time.process_time()
    report = build_report(timed, IngestStats(), limit=25)  # type: ignore[arg-type]
    reported, reported_cpu = time.perf_counter() - began, time.process_time() - cpu
    assert report.total_events == total, (report.total_events, total)
    store.close()
    return written, written_cpu, reported, reported_cpu, dict(timed.seconds)


def settle(store: Any) -> None:
    """Bring each store to its steady state before the report: DuckDB checkpoints its log into the file,
    ClickHouse merges the parts each insert made (what its background merges do over the next minutes)."""
    if hasattr(store, "client"):
        for table in ("events", "issues", "event_minutes", "volume"):
            store.client.command(f"OPTIMIZE TABLE {table} FINAL")
    else:
        store.con.execute("CHECKPOINT")


def part_store(total: int, work: Path) -> None:
    print(f"store: {total:,} events over a day, {ISSUES} issues, {len(SERVICES)} services")
    results = {}
    for name, url in (("duckdb", str(work / "bench.duckdb")), ("chdb", f"chdb://{work / 'chdb'}")):
        results[name] = bench_store(url, total)
        written, written_cpu, reported, reported_cpu, _ = results[name]
        print(f"  {name:7} write {written:7.1f} s ({total / written:>9,.0f} events/s; CPU {written_cpu:6.1f} s)"
              f"   report {reported:6.2f} s (CPU {reported_cpu:6.2f} s)")
    duck, click = results["duckdb"][4], results["chdb"][4]
    print(f"  {'query':24} {'duckdb s':>9} {'chdb s':>9} {'chdb speed-up':>14}")
    for name in sorted(duck, key=lambda q: -max(duck[q], click.get(q, 0))):
        print(f"  {name:24} {duck[name]:9.3f} {click[name]:9.3f} {duck[name] / max(click[name], 1e-9):13.2f}x")
    total_d, total_c = sum(duck.values()), sum(click.values())
    print(f"  {'all queries':24} {total_d:9.3f} {total_c:9.3f} {total_d / total_c:13.2f}x")


class TimedParallel(ParallelIngestor):
    """Counts the CPU the parent spends enriching, grouping and writing what the workers read."""

    parent_cpu = 0.0

    def _merge(self, piece: Piece, result: PieceResult) -> None:
        began = time.process_time()
        try:
            super()._merge(piece, result)
        finally:
            self.parent_cpu += time.process_time() - began


def ingest_once(data: Path, url: str, workers: int) -> tuple[float, float, float]:
    """Wall seconds, this process's CPU seconds, and (with workers) the parent's CPU in merging."""
    store = open_store(url)
    began, cpu = time.perf_counter(), time.process_time()
    if workers == 1:
        Ingestor(store, IngestOptions()).run([str(data)])
        merged = 0.0
    else:
        ingestor = TimedParallel(store, IngestOptions(), workers=workers, piece_bytes=16 << 20)
        ingestor.run([str(data)])
        merged = ingestor.parent_cpu
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    store.close()
    return elapsed, cpu, merged


def part_ingest(lines: int, work: Path) -> None:
    data = work / "logs"
    data.mkdir()
    written = generate(data, lines)
    size = sum(f.stat().st_size for f in data.iterdir())
    print(f"ingest: {written:,} lines ({size / 2**20:,.0f} MiB) of mixed plain-text logs, read into each store")
    print(f"  {'store':7} {'workers':>7} {'seconds':>8} {'lines/s':>10} {'speed-up':>9}  CPU seconds")
    for name, url in (("duckdb", lambda w: str(work / f"ingest-{w}.duckdb")),
                      ("chdb", lambda w: f"chdb://{work / 'ingest-chdb'}?database=ingest_{w}")):
        base = single_cpu = 0.0
        for workers in (1, 2):
            elapsed, cpu, merged = ingest_once(data, url(workers), workers)
            if workers == 1:
                base, single_cpu = elapsed, cpu
            share = (f"parent {cpu:5.1f} s (enrich+write {merged:5.1f} s) of {single_cpu:5.1f} s in one process"
                     if workers > 1 else f"CPU {cpu:5.1f} s")
            print(f"  {name:7} {workers:>7} {elapsed:>8.1f} {written / elapsed:>10,.0f} "
                  f"{base / elapsed:>8.2f}x  {share}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000, help="events written to each store")
    parser.add_argument("--lines", type=int, default=2_000_000, help="log lines for the ingest part")
    parser.add_argument("--part", choices=("store", "ingest", "both"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="faultlens-store-bench-") as tmp:
        if args.part in ("store", "both"):
            part_store(args.events, Path(tmp))
        if args.part in ("ingest", "both"):
            part_ingest(args.lines, Path(tmp))


if __name__ == "__main__":
    main()
