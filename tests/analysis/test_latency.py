"""Request durations: counted per service and minute while reading, turned into p95 latency rules."""

from __future__ import annotations

from faultlens.analysis.alerts import build_alert_rules, p95_ms, typical_p95_ms
from faultlens.model import IngestStats, Report
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import open_store

ACCESS = ('203.0.113.{i} - - [28/Nov/2026:14:{m:02d}:{s:02d} +0000] "GET /api/v1/cart HTTP/1.1" 200 512 "-" '
          '"curl/8" {seconds} req-{i}\n')


def test_access_log_durations_are_counted_per_minute(tmp_path):
    """Every access-log line's request time lands in its service's bucket for its minute, errors or not."""
    log = tmp_path / "gateway" / "access.log"
    log.parent.mkdir()
    log.write_text("".join(ACCESS.format(i=i, m=i // 60, s=i % 60, seconds="0.030" if i % 10 else "1.700")
                           for i in range(120)))
    store = open_store(":memory:")
    Ingestor(store, IngestOptions()).run([str(log)])
    rows = store.query("latency_histogram")
    assert {(row["le_ms"], row["requests"]) for row in rows if row["minute"].minute == 0} == {(50.0, 54), (2500.0, 6)}
    store.close()


def test_typical_p95_ignores_a_slow_incident():
    """A few very slow minutes do not set the bar: the median minute's p95 does."""
    normal = [(100.0, 19), (250.0, 1)]
    incident = [(60000.0, 20)]
    assert p95_ms(normal) == 100.0 and p95_ms(incident) == 60000.0
    assert typical_p95_ms([normal] * 8 + [incident] * 2) == 100.0


def test_p95_rules_only_for_services_with_enough_timed_requests():
    """A service with enough timed requests gets a p95 rule above its typical p95; one with few gets none."""
    from datetime import UTC, datetime

    now = datetime(2026, 11, 28, tzinfo=UTC)
    rows = [{"service": "api", "minute": m, "le_ms": 100.0, "requests": 30} for m in range(10)]
    rows += [{"service": "rare", "minute": 0, "le_ms": 100.0, "requests": 3}]
    report = Report(generated_at=now, window_start=now, window_end=now, stats=IngestStats(), issues=[],
                    total_events=0, total_issues=0, services=[])
    rules = [rule for rule in build_alert_rules(report, [], "r.html", rows) if rule.kind == "latency"]
    assert [(rule.service, rule.threshold) for rule in rules] == [("api", 0.2)]
    assert "histogram_quantile(0.95" in rules[0].promql and 'service="api"' in rules[0].promql
