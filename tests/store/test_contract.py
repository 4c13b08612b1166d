"""The store contract: DuckDB and ClickHouse keep and answer alike, test for test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faultlens.model import Deploy, Event, LatencyBucket, Source, VolumeBucket
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store.base import SourceState

T0 = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)


def event(n: int, fingerprint: str = "fp1", title: str = "Boom", seconds: int = 0, **fields) -> Event:
    return Event(id=f"e{n}", timestamp=T0 + timedelta(seconds=seconds), level="error", message=f"boom {n}",
                 source=Source("app.log", n), service="api", fingerprint=fingerprint, title=title, **fields)


def test_events_are_kept_once_by_id(store):
    """Appending an event again adds nothing, in its batch or a later one that spans hours around it;
    a batch says how many of its events were new."""
    assert store.append_events([event(1), event(2), event(2)]) == 2
    assert store.append_events([event(2), event(3)]) == 1
    assert store.append_events([event(4, seconds=-3600), event(1), event(5, seconds=7200)]) == 2
    assert store.query("totals", since=None, until=None)[0]["events"] == 5
    rows = store.query("events_by_id", ids=["e1", "e3"])
    assert sorted(r["id"] for r in rows) == ["e1", "e3"]
    assert all(r["timestamp"].tzinfo is not None for r in rows)


def test_an_issue_keeps_its_first_title_and_widens_its_times(store):
    """A later batch of an issue moves its first and last seen, never its title."""
    store.append_events([event(1, title="First", seconds=60)])
    store.append_events([event(2, title="Second", seconds=0), event(3, title="Second", seconds=120)])
    [row] = store.query("issues", since=None, until=None, min_rank=None)
    assert (row["title"], row["count"], row["status"]) == ("First", 3, "unresolved")
    assert row["first_ever"] == T0 and row["last_seen"] == T0 + timedelta(seconds=120)
    assert row["sample_id"] == "e3"


def test_issue_status_is_read_back(store):
    """A status set through the named query is what the issues query answers."""
    store.append_events([event(1)])
    store.query("set_issue_status", status="resolved", fingerprint="fp1")
    assert store.query("issues", since=None, until=None, min_rank=None)[0]["status"] == "resolved"


def test_first_issue_alias_wins(store):
    """A grouping key already known keeps the issue it first pointed at."""
    store.add_issue_aliases({"k1": "fpA", "k2": "fpB"})
    store.add_issue_aliases({"k1": "fpC", "k3": "fpC"})
    assert store.issue_aliases(["k1", "k2", "k3", "k4"]) == {"k1": "fpA", "k2": "fpB", "k3": "fpC"}


def test_grouping_state_and_sources_keep_the_latest(store):
    """The miner's state and a file's read position read back as last saved."""
    assert store.grouping_state("templates") is None and store.source_state("/a.log") is None
    store.save_grouping_state("templates", '{"v": 1}')
    store.save_grouping_state("templates", '{"v": 2}')
    store.record_source(SourceState("/a.log", "h1", 10), "json")
    store.record_source(SourceState("/a.log", "h1", 25), "json")
    assert store.grouping_state("templates") == '{"v": 2}'
    assert store.source_state("/a.log") == SourceState("/a.log", "h1", 25)


def test_counts_add_up_and_deploys_are_kept_once(store):
    """Volume and latency add across batches; the same deploy told twice is one deploy."""
    minute = T0.replace(second=0)
    for _ in range(2):
        store.append_volume([VolumeBucket("api", minute, "error", "h1", "v1", count=3, requests=2, failed_requests=1),
                             VolumeBucket("api", minute, "info", None, None, count=5)])
        bucket = LatencyBucket("api", minute)
        bucket.counts[0] = 4
        store.append_latency([bucket])
        store.append_deploys([Deploy("api", "v1", T0, "marker")])
    [volume] = store.query("volume_by_service", since=None, until=None)
    assert (volume["records"], volume["errors"], volume["requests"], volume["failed_requests"]) == (16, 6, 4, 2)
    assert [r["requests"] for r in store.query("latency_histogram", since=None, until=None)] == [8]
    assert len(store.query("deploys")) == 1
    assert store.window() == (minute, minute + timedelta(seconds=59))


def test_an_empty_store_has_no_window(store):
    """Before anything is stored, the window is open at both ends."""
    assert store.window() == (None, None)


def test_reading_a_file_twice_adds_nothing(store, tmp_path):
    """The runner's second pass over a file stores no event and counts no line again."""
    log = tmp_path / "worker.log"
    log.write_text("".join(f"2026-11-28 14:05:0{i},000 ERROR [worker] job {i} failed: timeout\n"
                           f"2026-11-28 14:05:0{i},500 INFO [worker] job {i} retried\n" for i in range(5)))
    first = Ingestor(store, IngestOptions()).run([str(log)])
    second = Ingestor(store, IngestOptions()).run([str(log)])
    assert (first.events_new, second.events_new) == (5, 0)
    assert store.query("volume_by_service", since=None, until=None)[0]["records"] == 10
