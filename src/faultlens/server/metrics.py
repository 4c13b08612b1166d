"""The server's Prometheus metrics, in a registry of its own per app (tests run several apps at once).

`faultlens_events_total` and `faultlens_records_total` are the series the rules `faultlens alerts`
writes are computed from (docs/alerts.md); the rest say how ingestion is doing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from faultlens.model import LATENCY_BOUNDS_MS

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


ISSUE_COUNTS_MAX_AGE = 5.0
"""Seconds a reading of the issues by status serves scrapes: each reading is a query on the store."""


class IssueStatusCollector(Collector):
    """Issues by status, read from the store (a group-by over the issues table) at most every few seconds,
    however often the server is scraped."""

    def __init__(self, counts: Callable[[], dict[str, int]], max_age: float = ISSUE_COUNTS_MAX_AGE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.counts = counts
        self.max_age = max_age
        self.clock = clock
        self._lock = threading.Lock()
        self._read: tuple[float, dict[str, int]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("faultlens_issues", "Issues by status (regressed: resolved, then seen again).",
                                   labels=["status"])
        for status, count in sorted(self._current().items()):
            family.add_metric([status], count)
        yield family

    def _current(self) -> dict[str, int]:
        with self._lock:
            now = self.clock()
            if self._read is None or now - self._read[0] >= self.max_age:
                self._read = (now, self.counts())
            return self._read[1]


class ServerMetrics:
    """Every metric the server exports; `registry` is what GET /metrics renders."""

    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # `_created` series: noise no rule reads
        self.registry = CollectorRegistry()
        r = self.registry
        self.accepted = Counter("faultlens_ingest_accepted", "Requests accepted (answered 2xx) by endpoint.",
                                ["endpoint"], registry=r)
        self.rejected = Counter("faultlens_ingest_rejected", "Requests refused, by endpoint and reason.",
                                ["endpoint", "reason"], registry=r)
        self.dropped = Counter("faultlens_ingest_dropped", "Accepted requests or envelope items the preparing "
                               "process could not read (an item whose payload is not a JSON object), dropped.",
                               registry=r)
        self.items_skipped = Counter("faultlens_ingest_items_skipped", "Envelope items accepted but not kept, "
                                     "by type.", ["type"], registry=r)
        self.queue_depth = Gauge("faultlens_ingest_queue_depth", "Accepted requests not yet committed.", registry=r)
        self.queue_capacity = Gauge("faultlens_ingest_queue_capacity", "Requests the queue holds before 503.",
                                    registry=r)
        self.answer_seconds = Histogram("faultlens_ingest_request_seconds", "From a request's arrival to its answer "
                                        "(the spool's fsync included).", ["endpoint"], buckets=LATENCY_BUCKETS,
                                        registry=r)
        self.commit_seconds = Histogram("faultlens_ingest_latency_seconds", "From a request's arrival to its "
                                        "commit in the store.", buckets=LATENCY_BUCKETS, registry=r)
        self.commits = Counter("faultlens_store_commits", "Batches committed by the writer.", registry=r)
        self.commit_failures = Counter("faultlens_store_commit_failures", "Batches the writer failed to commit "
                                       "(retried from the spool).", registry=r)
        self.events = Counter("faultlens_events", "Events stored (errors and warnings), per issue.",
                              ["service", "level", "fingerprint"], registry=r)
        self.records = Counter("faultlens_records", "Every record read, errors or not: the denominator of error "
                               "rates.", ["service"], registry=r)
        self.request_duration = Histogram(
            "faultlens_request_duration_seconds", "Durations of the requests the records describe (access logs, "
            "request fields), per service: what the p95 latency rules read.", ["service"],
            buckets=[bound / 1000.0 for bound in LATENCY_BOUNDS_MS], registry=r)

    def watch_issues(self, counts: Callable[[], dict[str, int]]) -> None:
        self.registry.register(IssueStatusCollector(counts))
