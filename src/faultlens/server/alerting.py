"""Alerts from the live server: new issues, regressions, spikes and service error rates, sent to webhooks.

`Alerting` is an after-commit hook. On the writer thread it only does arithmetic over what the
batch changed — counts per minute it keeps in memory, never a store query — and offers the alerts
that fire to each target's worker (server/webhooks.py), which delivers off that thread. A spike
is judged by analysis.trends' own definition, so the report and the server call the same burst a
spike. Baselines are what the server has counted since it started: a spike rule judges an issue
once it has watched five of its windows.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from starlette.applications import Starlette

from faultlens.analysis.trends import BASELINE_BUCKETS, MIN_BASELINE_BUCKETS, MIN_SPIKE_EVENTS, SPIKE_Z, spike_z
from faultlens.server.config import ServerConfig
from faultlens.server.hooks import CommitResult
from faultlens.server.tables import TableReader
from faultlens.server.webhooks import (
    Alert,
    IPNetwork,
    TargetWorker,
    WebhookSender,
    WebhookTarget,
    parse_networks,
    refused_literal,
)

log = logging.getLogger("faultlens.alerts")

KINDS = ("new_issue", "regression", "spike", "error_rate")
DEFAULT_COOLDOWN_MINUTES = 60
DEFAULT_WINDOW_MINUTES = {"spike": 10, "error_rate": 5}
DEFAULT_MIN_RECORDS = 20


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One `[[server.alerts]]` table: what to watch, where it applies, and whom to tell."""

    name: str
    kind: str
    webhooks: tuple[str, ...]
    services: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    threshold: float | None = None
    window_minutes: int = 10
    cooldown_minutes: int = DEFAULT_COOLDOWN_MINUTES
    min_records: int = DEFAULT_MIN_RECORDS

    def applies(self, service: str | None, project: str | None) -> bool:
        """Empty filters match everything; a set filter needs a known value matching one of its globs."""
        return _matches(self.services, service) and _matches(self.projects, project)


def _matches(globs: tuple[str, ...], value: str | None) -> bool:
    return not globs or (value is not None and any(fnmatchcase(value, glob) for glob in globs))


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """The alert rules, their webhooks, and the private networks webhooks may live in."""

    rules: tuple[AlertRule, ...] = ()
    webhooks: tuple[WebhookTarget, ...] = ()
    allowed_networks: tuple[IPNetwork, ...] = ()


class MinuteCounts:
    """Counts per minute over a bounded horizon: the memory of one issue or one service."""

    __slots__ = ("minutes",)

    def __init__(self) -> None:
        self.minutes: dict[int, list[int]] = {}

    def add(self, minute: int, *values: int) -> None:
        slot = self.minutes.get(minute)
        if slot is None:
            self.minutes[minute] = list(values)
        else:
            for index, value in enumerate(values):
                slot[index] += value

    def total(self, first: int, last: int, column: int = 0) -> int:
        """Sum of `column` over minutes first..last inclusive."""
        if last - first + 1 < len(self.minutes):
            return sum(slot[column] for minute in range(first, last + 1) if (slot := self.minutes.get(minute)))
        return sum(slot[column] for minute, slot in self.minutes.items() if first <= minute <= last)

    def forget_before(self, minute: int) -> None:
        for old in [m for m in self.minutes if m < minute]:
            del self.minutes[old]


class AlertEvaluator:
    """Turns committed batches into alerts; keeps the per-minute counts spike and rate rules need."""

    def __init__(self, rules: Sequence[AlertRule]) -> None:
        self.rules = tuple(rules)
        self.issue_counts: dict[str, MinuteCounts] = defaultdict(MinuteCounts)
        self.service_counts: dict[str, MinuteCounts] = defaultdict(MinuteCounts)
        windows = [rule.window_minutes for rule in self.rules if rule.kind in ("spike", "error_rate")]
        self.horizon = max(((BASELINE_BUCKETS + 1) * w for w in windows), default=0)
        self.started: int | None = None
        self.swept = 0

    def __call__(self, result: CommitResult) -> list[tuple[AlertRule, Alert, str]]:
        """The alerts this batch fires, each with the subject (issue or service) it is about."""
        now = result.committed_at or datetime.now(UTC)
        minute = int(now.timestamp() // 60)
        if self.started is None:
            self.started = minute
        if self.horizon:
            for fingerprint, count in result.events_by_fingerprint.items():
                self.issue_counts[fingerprint].add(minute, count)
            for service, (records, errors) in result.service_counts.items():
                self.service_counts[service].add(minute, records, errors)
            if minute != self.swept:
                self._forget(minute - self.horizon)
                self.swept = minute
        fired: list[tuple[AlertRule, Alert, str]] = []
        for rule in self.rules:
            if rule.kind == "new_issue":
                fired += [(rule, alert, fp) for fp in sorted(result.new_issue_fingerprints)
                          if (alert := self._issue_alert(rule, fp, now, result)) is not None]
            elif rule.kind == "regression":
                fired += [(rule, alert, fp) for fp in sorted(result.regressed_fingerprints)
                          if (alert := self._issue_alert(rule, fp, now, result)) is not None]
            elif rule.kind == "spike":
                fired += [(rule, alert, fp) for fp in sorted(result.events_by_fingerprint)
                          if (alert := self._spike_alert(rule, fp, minute, now, result)) is not None]
            else:
                fired += [(rule, alert, service) for service in sorted(result.service_counts)
                          if (alert := self._rate_alert(rule, service, minute, now)) is not None]
        return fired

    def _forget(self, before: int) -> None:
        """Drop minutes no rule looks at any more, and issues and services with none left."""
        for table in (self.issue_counts, self.service_counts):
            for key in list(table):
                table[key].forget_before(before)
                if not table[key].minutes:
                    del table[key]

    @staticmethod
    def _describe(fingerprint: str, result: CommitResult) -> tuple[str, str | None, str | None]:
        """Every issue an alert can be about has an event in the batch, so the batch names it."""
        return (result.titles.get(fingerprint, f"issue {fingerprint[:12]}"), result.services.get(fingerprint),
                result.projects.get(fingerprint))

    def _issue_alert(self, rule: AlertRule, fingerprint: str, now: datetime, result: CommitResult) -> Alert | None:
        title, service, project = self._describe(fingerprint, result)
        if not rule.applies(service, project):
            return None
        events = result.events_by_fingerprint.get(fingerprint, 0)
        where = f" in {service}" if service else ""
        text = (f"First seen{where}: {events} event(s) in this batch." if rule.kind == "new_issue"
                else f"Marked resolved, it happened again{where}: {events} event(s) in this batch.")
        return Alert(rule.kind, title, text, now, rule.name, fingerprint, service, project, float(events))

    def _spike_alert(self, rule: AlertRule, fingerprint: str, minute: int, now: datetime,
                     result: CommitResult) -> Alert | None:
        title, service, project = self._describe(fingerprint, result)
        if not rule.applies(service, project):
            return None
        counts, width = self.issue_counts[fingerprint], rule.window_minutes
        current = counts.total(minute - width + 1, minute)
        if current < MIN_SPIKE_EVENTS:
            return None
        watched = (minute - (self.started or minute)) // width
        blocks = min(BASELINE_BUCKETS, watched)
        if blocks < MIN_BASELINE_BUCKETS:
            return None
        prior = [counts.total(minute - (k + 1) * width + 1, minute - k * width) for k in range(blocks, 0, -1)]
        z = spike_z(current, prior, rule.threshold or SPIKE_Z)
        if z is None:
            return None
        baseline = sorted(prior)[len(prior) // 2]
        text = (f"{current} events in the last {width} min, against a median of {baseline} per {width} min "
                f"over the {blocks * width} min before: {z:.1f} robust standard deviations above it.")
        return Alert("spike", title, text, now, rule.name, fingerprint, service, project, float(current),
                     rule.threshold or SPIKE_Z, width * 60)

    def _rate_alert(self, rule: AlertRule, service: str, minute: int, now: datetime) -> Alert | None:
        if not rule.applies(service, None) or rule.threshold is None:
            return None
        counts, width = self.service_counts[service], rule.window_minutes
        records = counts.total(minute - width + 1, minute, 0)
        errors = counts.total(minute - width + 1, minute, 1)
        if records < rule.min_records or errors / records < rule.threshold:
            return None
        rate = errors / records
        text = (f"{errors} of {records} records in the last {width} min were errors ({rate:.1%}), "
                f"at or above the {rule.threshold:.1%} threshold.")
        return Alert("error_rate", f"{service} error rate {rate:.1%}", text, now, rule.name, None, service, None,
                     round(rate, 4), rule.threshold, width * 60)


@dataclass(slots=True)
class Cooldowns:
    """One alert per subject per kind per target in each cooldown window."""

    last_sent: dict[tuple[str, str, str], float] = field(default_factory=dict)

    def allow(self, kind: str, subject: str, target: str, now: float, cooldown_seconds: float) -> bool:
        key = (kind, subject, target)
        last = self.last_sent.get(key)
        if last is not None and now - last < cooldown_seconds:
            return False
        self.last_sent[key] = now
        if len(self.last_sent) > 10_000:
            for old in [k for k, sent in self.last_sent.items() if now - sent >= 86_400]:
                del self.last_sent[old]
        return True


class Alerting:
    """The after-commit hook: evaluate on the writer thread, deliver on each target's own thread."""

    def __init__(self, settings: AlertSettings, sender: WebhookSender | None = None, queue_size: int = 100) -> None:
        self.settings = settings
        self.evaluate = AlertEvaluator(settings.rules)
        self.cooldowns = Cooldowns()
        self.sender = sender or WebhookSender(settings.allowed_networks)
        self.workers = {target.name: TargetWorker(target, self.sender, queue_size) for target in settings.webhooks}
        self.lock = threading.Lock()

    def __call__(self, result: CommitResult) -> None:
        with self.lock:
            fired = self.evaluate(result)
            now = (result.committed_at or datetime.now(UTC)).timestamp()
            for rule, alert, subject in fired:
                for name in rule.webhooks:
                    if self.cooldowns.allow(rule.kind, subject, name, now, rule.cooldown_minutes * 60):
                        self.workers[name].offer(alert)

    def close(self, timeout: float = 5.0) -> None:
        """Let each worker send what it holds for up to `timeout` seconds, then stop retrying."""
        for worker in self.workers.values():
            worker.close(timeout / max(len(self.workers), 1))
        self.sender.close()


def read_alert_settings(server: Mapping[str, Any], path: str | None = None) -> AlertSettings:
    """Read `server.alerts`, `server.webhooks` and `server.webhook_allowed_networks` from the `[server]` table.

    Errors name the rule (`server.alerts[2].window`), what was expected and what was found.
    """
    read = TableReader(path)
    try:
        networks = parse_networks(read.strings(server, "server", "webhook_allowed_networks"))
    except ValueError as exc:
        raise read.fail("server.webhook_allowed_networks",
                        f"expected networks such as \"127.0.0.1/32\" ({exc})") from None
    targets: list[WebhookTarget] = []
    for where, table in read.tables(server, "server.webhooks"):
        read.known(table, where, ("name", "url", "format", "max_per_minute", "timeout"))
        fmt = read.choice(table, where, "format", ("json", "slack"), "json")
        targets.append(WebhookTarget(
            read.text(table, where, "name", required=True), read.text(table, where, "url", required=True),
            "slack" if fmt == "slack" else "json",
            int(read.number(table, where, "max_per_minute", 30, minimum=1, integer=True)),
            read.number(table, where, "timeout", 5.0, minimum=0.1)))
    names = [target.name for target in targets]
    if len(set(names)) != len(names):
        raise read.fail("server.webhooks", f"each webhook needs its own name; found {names}")
    for target in targets:
        if not target.url.startswith(("http://", "https://")):
            raise read.fail("server.webhooks", f"{target.name}: expected an http:// or https:// url")
        problem = refused_literal(target.url, networks)
        if problem:
            raise read.fail("server.webhooks", f"{target.name}: {problem}")
    rules: list[AlertRule] = []
    for where, table in read.tables(server, "server.alerts"):
        read.known(table, where, ("kind", "services", "projects", "threshold", "window", "cooldown", "min_records",
                                  "webhooks"))
        kind = read.choice(table, where, "kind", KINDS, None)
        hooks = read.strings(table, where, "webhooks")
        unknown = [hook for hook in hooks if hook not in names]
        if not hooks or unknown:
            declared = ", ".join(names) or "none declared"
            raise read.fail(f"{where}.webhooks", f"expected names of [[server.webhooks]] ({declared}), found {hooks}")
        if kind in ("new_issue", "regression"):
            for key in ("threshold", "window", "min_records"):
                if key in table:
                    raise read.fail(f"{where}.{key}", f"does not apply to {kind} alerts; remove it")
        if kind == "error_rate" and "projects" in table:
            raise read.fail(f"{where}.projects", "error rates are counted per service; filter with services")
        if kind == "error_rate" and "threshold" not in table:
            raise read.fail(f"{where}.threshold", "an error_rate alert needs a threshold, a fraction such as 0.05")
        threshold = read.number(table, where, "threshold", None, minimum=0.0)
        if kind == "error_rate" and threshold is not None and not 0 < threshold <= 1:
            raise read.fail(f"{where}.threshold", f"expected a fraction of records above 0 and at most 1, found "
                            f"{threshold}")
        rules.append(AlertRule(
            where, str(kind), tuple(hooks), tuple(read.strings(table, where, "services")),
            tuple(read.strings(table, where, "projects")), threshold,
            int(read.number(table, where, "window", DEFAULT_WINDOW_MINUTES.get(str(kind), 10), minimum=1,
                            integer=True)),
            int(read.number(table, where, "cooldown", DEFAULT_COOLDOWN_MINUTES, minimum=0, integer=True)),
            int(read.number(table, where, "min_records", DEFAULT_MIN_RECORDS, minimum=1, integer=True))))
    return AlertSettings(tuple(rules), tuple(targets), networks)


class DeliveryCollector(Collector):
    """What happened to the alerts offered to each webhook, read when /metrics is scraped."""

    def __init__(self, alerting: Alerting) -> None:
        self.alerting = alerting

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily("faultlens_alert_deliveries", "Alerts offered to each webhook, by outcome: "
                                     "delivered, failed (tries spent or refused), dropped (queue full), "
                                     "rate_limited.", labels=["webhook", "outcome"])
        for name, worker in sorted(self.alerting.workers.items()):
            for outcome, count in asdict(worker.counts).items():
                family.add_metric([name, outcome], count)
        yield family


def install_alerting(app: Starlette, config: ServerConfig) -> Alerting | None:
    """Check the alert settings and hook alerting onto the app's commits; None when no rule is set."""
    settings = read_alert_settings({"alerts": list(config.alerts), "webhooks": list(config.webhooks),
                                    "webhook_allowed_networks": list(config.webhook_allowed_networks)})
    if not settings.rules:
        return None
    alerting = Alerting(settings)
    app.state.after_commit.append(alerting)
    app.state.on_stop.append(alerting.close)
    app.state.server.metrics.registry.register(DeliveryCollector(alerting))
    return alerting
