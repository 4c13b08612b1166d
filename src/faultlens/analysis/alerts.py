"""Alert rules for what the analysis saw: error rates per service, the leading issues, new error types.

Thresholds come from the data: a service's ordinary per-minute error rate (its median outside
bursts) sets how high its alert sits, and an issue's ordinary count sets its own. Rules are
written over the metrics `faultlens serve` exports (docs/alerts.md): `faultlens_events_total`
by service, level and fingerprint, and `faultlens_records_total` by service. Datadog monitors
query the same logs directly.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from faultlens.analysis.stats import median
from faultlens.model import AlertRule, Issue, Report

MIN_ERROR_RATE = 0.01
MAX_ERROR_RATE = 0.5
ISSUE_RULES = 10
ISSUE_WINDOW_MINUTES = 10
MIN_TIMED_REQUESTS = 100
MIN_REQUESTS_PER_MINUTE = 5


def _label(value: str) -> str:
    """A value safe inside a PromQL or Datadog double-quoted string."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "", text.title())[:60] or "Unnamed"


def error_rate_threshold(per_minute: Sequence[tuple[int, int]]) -> tuple[float, str]:
    """A service's alert threshold from its (records, errors) per minute.

    Three times the median minute's error rate, at least one point above it and at least 1%,
    so a quiet service still alerts on a real jump and a noisy one does not page all day.
    """
    rates = [errors / records for records, errors in per_minute if records]
    if not rates:
        return MIN_ERROR_RATE * 5, "no traffic seen: a default of 5%"
    typical = median(rates)
    threshold = min(max(3 * typical, typical + 0.01, MIN_ERROR_RATE), MAX_ERROR_RATE)
    return round(threshold, 4), f"the median minute's error rate was {typical:.2%}; alert at {threshold:.2%}"


def build_alert_rules(report: Report, service_minutes: Sequence[dict[str, Any]], runbook_base: str,
                      latency: Sequence[dict[str, Any]] = ()) -> list[AlertRule]:
    """Rules for every service's error rate and p95 latency, the leading issues, and new error types;
    `latency` holds `latency_histogram` rows (service, le_ms, requests)."""
    by_service: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for row in service_minutes:
        by_service[row["service"]].append((int(row["records"] or 0), int(row["errors"] or 0)))
    rules = [_service_rule(service, minutes, runbook_base) for service, minutes in sorted(by_service.items())]
    histograms: dict[str, dict[Any, list[tuple[float | None, int]]]] = defaultdict(lambda: defaultdict(list))
    for row in latency:
        histograms[row["service"]][row["minute"]].append((row["le_ms"], int(row["requests"] or 0)))
    for service, minutes in sorted(histograms.items()):
        rule = _latency_rule(service, list(minutes.values()), runbook_base)
        if rule is not None:
            rules.append(rule)
    rules.extend(_issue_rule(issue, runbook_base) for issue in _alertable(report.issues))
    rules.append(_new_error_rule(runbook_base))
    return rules


def _service_rule(service: str, minutes: list[tuple[int, int]], runbook_base: str) -> AlertRule:
    threshold, reason = error_rate_threshold(minutes)
    svc = _label(service)
    promql = (f'sum(rate(faultlens_events_total{{service="{svc}",level=~"error|fatal"}}[5m])) / '
              f'clamp_min(sum(rate(faultlens_records_total{{service="{svc}"}}[5m])), 1e-9) > {threshold}')
    errors_in_five = max(math.ceil(threshold * _per_five_minutes(minutes)), 1)
    datadog = (f'logs("service:{svc} status:(error OR critical OR emergency)").index("*")'
               f'.rollup("count").last("5m") > {errors_in_five}')
    return AlertRule(
        name=f"{_name(service)}HighErrorRate", kind="error-rate", severity="high",
        summary=f"{service}: error rate above {threshold:.2%}",
        description=f"More than {threshold:.2%} of {service}'s records are errors over 5 minutes ({reason}).",
        promql=promql, datadog_type="log alert", datadog_query=datadog, datadog_threshold=float(errors_in_five),
        threshold=threshold, window="5m",
        reason=reason, service=service, runbook_url=f"{runbook_base}#service-{service}")


def p95_ms(histogram: Sequence[tuple[float | None, int]]) -> float | None:
    """The upper bound of the bucket holding the 95th percentile; None when the slowest five percent are
    past the last bound (their durations are unknown)."""
    total = sum(count for _, count in histogram)
    seen = 0
    for bound, count in sorted(histogram, key=lambda item: math.inf if item[0] is None else item[0]):
        seen += count
        if seen >= 0.95 * total:
            return bound
    return None


def typical_p95_ms(minutes: Sequence[Sequence[tuple[float | None, int]]]) -> float | None:
    """The median of the per-minute p95s over minutes busy enough to have one, so an incident's slow
    minutes do not set the bar; the whole window's p95 when no minute is busy enough."""
    per_minute = [p95_ms(histogram) for histogram in minutes
                  if sum(count for _, count in histogram) >= MIN_REQUESTS_PER_MINUTE]
    known = [value for value in per_minute if value is not None]
    if len(known) >= len(per_minute) / 2 and known:
        return median(known)
    merged: dict[float | None, int] = defaultdict(int)
    for histogram in minutes:
        for bound, count in histogram:
            merged[bound] += count
    return p95_ms(list(merged.items()))


def _latency_rule(service: str, minutes: Sequence[Sequence[tuple[float | None, int]]],
                  runbook_base: str) -> AlertRule | None:
    """p95 latency above one and a half times the typical p95 (at least 100 ms more), for services with
    enough timed requests to say what their p95 is."""
    if sum(count for histogram in minutes for _, count in histogram) < MIN_TIMED_REQUESTS:
        return None
    seen = typical_p95_ms(minutes)
    if seen is None:
        return None
    threshold_ms = float(math.ceil(max(1.5 * seen, seen + 100.0)))
    svc = _label(service)
    reason = f"the typical p95 was at most {seen:g} ms; alert above {threshold_ms:g} ms"
    return AlertRule(
        name=f"{_name(service)}HighP95Latency", kind="latency", severity="medium",
        summary=f"{service}: p95 latency above {threshold_ms:g} ms",
        description=f"The 95th percentile of {service}'s request durations over 5 minutes is above "
                    f"{threshold_ms:g} ms ({reason}).",
        promql=(f'histogram_quantile(0.95, sum by (le) (rate(faultlens_request_duration_seconds_bucket'
                f'{{service="{svc}"}}[5m]))) > {threshold_ms / 1000.0:g}'),
        datadog_type="log alert",
        # Datadog's standard `duration` attribute is in nanoseconds
        datadog_query=(f'logs("service:{svc}").index("*").rollup("pc95", "@duration").last("10m") > '
                       f'{int(threshold_ms * 1_000_000)}'),
        datadog_threshold=float(int(threshold_ms * 1_000_000)), threshold=threshold_ms / 1000.0, window="5m",
        reason=reason, service=service, runbook_url=f"{runbook_base}#service-{service}")


def _per_five_minutes(minutes: list[tuple[int, int]]) -> float:
    """Records a service logs in five ordinary minutes: turns a rate threshold into a log count."""
    records = [r for r, _ in minutes if r]
    return 5 * median([float(r) for r in records]) if records else 100.0


def _alertable(issues: Sequence[Issue]) -> list[Issue]:
    """The issues worth their own rule: the leading ones that are new, back, spiking or serious."""
    chosen = [i for i in issues if (i.trend and i.trend.status in ("new", "regressed", "spiking"))
              or (i.severity and i.severity.value in ("high", "critical"))]
    return chosen[:ISSUE_RULES]


def _issue_rule(issue: Issue, runbook_base: str) -> AlertRule:
    """Any recurrence of a new or regressed issue; for a standing one, more than its busiest ordinary window."""
    counts = [c for _, c in issue.trend.series] if issue.trend else []
    per_window = max(1, ISSUE_WINDOW_MINUTES * 60 // (issue.trend.bucket_seconds if issue.trend else 60))
    windows = [sum(counts[i:i + per_window]) for i in range(0, len(counts), per_window)] or [0]
    if issue.trend and issue.trend.status in ("new", "regressed"):
        threshold, reason = 0, f"the issue is {issue.trend.status}: any recurrence is news"
    else:
        typical = median([float(w) for w in windows])
        threshold = max(math.ceil(3 * typical), 5)
        reason = f"typically {typical:g} events per {ISSUE_WINDOW_MINUTES} min; alert above {threshold}"
    fp = _label(issue.fingerprint)
    window = f"{ISSUE_WINDOW_MINUTES}m"
    service = issue.services[0] if issue.services else ""
    severity = issue.severity.value if issue.severity else "medium"
    return AlertRule(
        name=f"Issue{issue.fingerprint}", kind="issue", severity=severity,
        summary=f"{issue.title[:120]}",
        description=f"Issue {issue.fingerprint} in {', '.join(issue.services) or 'an unnamed service'}: "
                    f"{issue.title[:200]} ({reason}).",
        promql=f'sum(increase(faultlens_events_total{{fingerprint="{fp}"}}[{window}])) > {threshold}',
        datadog_type="log alert",
        datadog_query=(f'logs("service:{_label(service)} \\"{_label(_search_phrase(issue))}\\"").index("*")'
                       f'.rollup("count").last("{window}") > {threshold}'),
        datadog_threshold=float(threshold), threshold=float(threshold), window=window, reason=reason,
        service=service or None, fingerprint=issue.fingerprint, runbook_url=f"{runbook_base}#issue-{issue.fingerprint}")


def _search_phrase(issue: Issue) -> str:
    """The longest constant stretch of the issue's message template: what a log search can match on."""
    template = (issue.sample.template if issue.sample and issue.sample.template else None) or issue.title
    pieces = [piece.strip(" :,;()[]{}'\"") for piece in template.split("<*>")]
    return max(pieces, key=len)[:100] or issue.title[:60]


def _new_error_rule(runbook_base: str) -> AlertRule:
    promql = ('sum by (service, fingerprint) (increase(faultlens_events_total{level=~"error|fatal"}[10m])) > 0 '
              'unless sum by (service, fingerprint) '
              '(increase(faultlens_events_total{level=~"error|fatal"}[1d] offset 10m)) > 0')
    return AlertRule(
        name="NewErrorType", kind="new-error", severity="medium",
        summary="A new kind of error appeared: {{ $labels.fingerprint }} in {{ $labels.service }}",
        description="An error fingerprint with no events in the day before started in the last 10 minutes.",
        promql=promql, datadog_type=None, datadog_query=None, datadog_threshold=None,
        threshold=0.0, window="10m", reason="any fingerprint unseen for a day", runbook_url=f"{runbook_base}#issues")
