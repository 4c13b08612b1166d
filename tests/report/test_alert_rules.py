"""Alert rules: the Prometheus file passes the real promtool, the Datadog monitors fit the API's shape."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import orjson
import pytest

from faultlens.analysis.alerts import build_alert_rules, error_rate_threshold
from faultlens.analysis.overview import build_report
from faultlens.model import Event, Issue, Report, Source, Trend, Verdict
from faultlens.report.alert_rules import datadog_monitors, render_prometheus
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import open_store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "checkout-incident"
T0 = datetime(2026, 11, 28, 14, tzinfo=UTC)

# The monitor body of Datadog's "Create a monitor" API (POST /api/v1/monitor), as its reference documents it.
DATADOG_MONITOR = {
    "type": "object",
    "required": ["type", "query", "name", "message"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "type": {"enum": ["composite", "event alert", "log alert", "metric alert", "process alert", "query alert",
                          "rum alert", "service check", "synthetics alert", "trace-analytics alert", "slo alert",
                          "event-v2 alert", "audit alert", "ci-pipelines alert", "ci-tests alert",
                          "error-tracking alert", "database-monitoring alert", "network-performance alert"]},
        "query": {"type": "string", "minLength": 1},
        "message": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string", "pattern": "^[^\\s,]+$"}},
        "priority": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        "options": {
            "type": "object",
            "properties": {
                "thresholds": {"type": "object", "required": ["critical"],
                               "properties": {"critical": {"type": "number"}, "warning": {"type": ["number", "null"]}},
                               "additionalProperties": False},
                "notify_no_data": {"type": "boolean"},
                "include_tags": {"type": "boolean"},
                "enable_logs_sample": {"type": "boolean"},
            },
        },
    },
    "additionalProperties": False,
}
# Log alert queries: logs(query).index(index).rollup(method[, measure]).last(window) operator number
LOG_ALERT = re.compile(r'^logs\("(?:[^"\\]|\\.)*"\)\.index\("[^"]*"\)\.rollup\("(?:count|pc95", "@[\w.]+)"\)'
                       r'\.last\("\d+[mhd]"\) [<>]=? (\d+(?:\.\d+)?)$')


@pytest.fixture(scope="module")
def rules():
    store = open_store(":memory:")
    stats = Ingestor(store, IngestOptions()).run([str(EXAMPLE)])
    report = build_report(store, stats, deliverable_issues=0)
    found = build_alert_rules(report, store.query("service_minutes"), "report.html", store.query("latency_histogram"))
    store.close()
    return found


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def test_prometheus_rules_pass_promtool(rules, tmp_path):
    """The rule file for the example passes `promtool check rules`."""
    path = tmp_path / "rules.yml"
    path.write_text(render_prometheus(rules))
    done = subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules)} rules found" in done.stdout


def test_hostile_titles_cannot_break_the_file(tmp_path):
    """Quotes, newlines and YAML syntax in an issue title stay inside their strings."""
    title = 'bad "quote" \n- alert: Injected\n  expr: up == 0 # {{ $labels }} \\ ${jndi:x}'
    sample = Event(id="e", timestamp=T0, level="error", message=title, source=Source("f"))
    issue = Issue(fingerprint='ab"c', title=title, type=None, message=title, level="error", count=3, users=1,
                  services=['svc"x'], releases=[], environments=[], first_seen=T0, last_seen=T0, sample=sample,
                  severity=Verdict("high", ""),
                  trend=Trend("new", "", 60, [(T0 + timedelta(minutes=i), 1) for i in range(3)]))
    report = Report(generated_at=T0, window_start=T0, window_end=T0, stats=None, issues=[issue],  # type: ignore[arg-type]
                    total_events=3, total_issues=1, services=['svc"x'])
    rules = build_alert_rules(report, [{"service": 'svc"x', "records": 10, "errors": 1}], "r.html")
    path = tmp_path / "rules.yml"
    path.write_text(render_prometheus(rules))
    done = subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Injected" not in done.stdout and f"SUCCESS: {len(rules)} rules found" in done.stdout


def test_datadog_monitors_fit_the_api(rules):
    """Each monitor validates against the API's monitor shape, and each log query is well formed with a
    threshold equal to options.thresholds.critical, as Datadog requires."""
    monitors = datadog_monitors(rules)
    assert monitors
    for monitor in monitors:
        jsonschema.validate(monitor, DATADOG_MONITOR)
        match = LOG_ALERT.match(monitor["query"])
        assert match, monitor["query"]
        assert float(match.group(1)) == monitor["options"]["thresholds"]["critical"]
    orjson.dumps(monitors)


def test_rules_cover_services_issues_and_new_errors(rules):
    """There is an error-rate rule per service, rules for the leading issues, and one for new error types."""
    kinds = {rule.kind for rule in rules}
    assert kinds == {"error-rate", "issue", "new-error", "latency"}
    latency = {rule.service for rule in rules if rule.kind == "latency"}
    assert latency == {"gateway", "payment-service"}, "services whose records carry request durations"
    services = {rule.service for rule in rules if rule.kind == "error-rate"}
    assert services == {"gateway", "order-service", "payment-service", "worker"}
    pool = [r for r in rules if r.kind == "issue" and "QueuePool" in r.summary]
    assert pool and pool[0].threshold == 0 and pool[0].runbook_url.startswith("report.html#issue-")


def test_error_rate_threshold_follows_the_service():
    """A noisy service alerts higher than a quiet one, and never below 1%."""
    quiet, _ = error_rate_threshold([(100, 0)] * 10)
    noisy, _ = error_rate_threshold([(100, 8)] * 10)
    assert quiet == 0.01 and noisy == pytest.approx(0.24)
