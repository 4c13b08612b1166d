"""Health, readiness and the Prometheus metrics the alert rules and operators read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client.parser import text_string_to_metric_families

from faultlens.model import Event, Source
from faultlens.server.metrics import IssueStatusCollector


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_health_ready_and_metrics(running: Any, credentials: Any) -> None:
    """The metrics count accepted and refused requests, stored events per issue and records per service."""
    body = b"\n".join([b"{}", b'{"type":"event"}', orjson.dumps({"message": "cache miss storm", "level": "error"})])
    with running.client() as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.post(f"/api/{credentials.project_id}/envelope/", content=body,
                           params={"sentry_key": credentials.public_key}).status_code == 200
        assert client.post(f"/api/{credentials.project_id}/envelope/", content=body).status_code == 401
        running.wait_committed()
        assert client.get("/ready").json()["status"] == "ready"
        answer = client.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain")
    found = samples(answer.text)
    assert found[("faultlens_ingest_accepted_total", (("endpoint", "sentry-envelope"),))] == 1
    assert found[("faultlens_ingest_rejected_total", (("endpoint", "sentry-envelope"), ("reason", "unauthorized")))] \
        == 1
    assert found[("faultlens_records_total", (("service", "shop"),))] == 1
    events = [(labels, value) for (name, labels), value in found.items() if name == "faultlens_events_total"]
    assert len(events) == 1 and dict(events[0][0])["level"] == "error" and events[0][1] == 1
    assert found[("faultlens_issues", (("status", "unresolved"),))] == 1
    assert found[("faultlens_ingest_queue_depth", ())] == 0
    assert found[("faultlens_ingest_latency_seconds_count", ())] == 1
    assert ("faultlens_ingest_request_seconds_bucket", (("endpoint", "sentry-envelope"), ("le", "+Inf"))) in found


def test_in_process_events_take_the_same_road(running: Any, credentials: Any) -> None:
    """Events submitted by code in the server (probes) are spooled, enriched, grouped and stored."""
    event = Event(id="probe-1", timestamp=datetime.now(UTC), level="error", message="probe GET /health failed: 503",
                  source=Source("probe:health"), service="api")
    running.app.state.ingest.submit_events([event], "shop")
    running.wait_committed()
    with running.client(credentials.token) as client:
        issues = client.get("/api/projects/shop/issues").json()["issues"]
    assert [(i["title"], i["services"]) for i in issues] == [("probe GET /health failed: 503", ["api"])]


def test_request_durations_feed_the_latency_histogram(running: Any, credentials: Any) -> None:
    """Records carrying a request duration are counted in `faultlens_request_duration_seconds`, the series the
    p95 rules read, in the bucket of their duration."""
    lines = [{"timestamp": "2026-11-28T14:00:00Z", "level": "info", "message": "GET /cart 200", "service": "web",
              "request": {"method": "GET", "path": "/cart", "status_code": 200, "duration_ms": ms}}
             for ms in (40, 40, 180, 2000)]
    with running.client() as client:
        answer = client.post("/api/ingest", content=b"\n".join(orjson.dumps(line) for line in lines),
                             headers={"X-Faultlens-Key": credentials.public_key})
        assert answer.status_code == 200
        running.wait_committed()
        found = samples(client.get("/metrics").text)
    bucket = "faultlens_request_duration_seconds_bucket"
    assert found[(bucket, (("le", "0.05"), ("service", "web")))] == 2
    assert found[(bucket, (("le", "0.25"), ("service", "web")))] == 3
    assert found[(bucket, (("le", "+Inf"), ("service", "web")))] == 4


def test_issue_counts_are_read_at_most_every_few_seconds() -> None:
    """Each reading of issues by status is a store query: frequent scrapes share one until it is old."""
    readings: list[int] = []
    now = [100.0]

    def counts() -> dict[str, int]:
        readings.append(1)
        return {"unresolved": len(readings)}
    collector = IssueStatusCollector(counts, max_age=5.0, clock=lambda: now[0])

    def scraped() -> float:
        return next(iter(collector.collect())).samples[0].value
    assert [scraped(), scraped()] == [1, 1]
    now[0] += 4.9
    assert scraped() == 1
    now[0] += 0.2
    assert scraped() == 2 and len(readings) == 2
