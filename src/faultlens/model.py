"""The records that travel between pipeline stages.

Field names follow Sentry's event protocol and OpenTelemetry's semantic conventions where
they exist, so events from an SDK, a log file and a trace export mean the same thing.
This module imports nothing of faultlens: every stage depends on it, never the other way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

LEVELS: tuple[str, ...] = ("debug", "info", "warning", "error", "fatal")
"""Levels from least to most severe; `LEVEL_RANK[level]` orders them."""

LEVEL_RANK: dict[str, int] = {name: rank for rank, name in enumerate(LEVELS)}


@dataclass(slots=True)
class Frame:
    """One stack frame, as Sentry's `stacktrace.frames[]` item."""

    function: str | None = None
    module: str | None = None
    filename: str | None = None
    abs_path: str | None = None
    lineno: int | None = None
    colno: int | None = None
    in_app: bool | None = None
    context_line: str | None = None


@dataclass(slots=True)
class ExceptionInfo:
    """One exception of a chain.

    `frames` run caller first, the raising frame last. `relation` says how this exception
    relates to the one after it in the event's chain: "cause", "context", "inner",
    "suppressed", "group" or None for the last one raised.
    """

    type: str
    value: str = ""
    module: str | None = None
    handled: bool | None = None
    frames: list[Frame] = field(default_factory=list)
    frames_omitted: int = 0
    relation: str | None = None


def exception_dict(exc: ExceptionInfo) -> dict[str, Any]:
    """An exception as plain data; faster than `dataclasses.asdict`, which deep-copies every frame."""
    return {
        "type": exc.type, "value": exc.value, "module": exc.module, "handled": exc.handled,
        "relation": exc.relation, "frames_omitted": exc.frames_omitted,
        "frames": [{"function": f.function, "module": f.module, "filename": f.filename, "abs_path": f.abs_path,
                    "lineno": f.lineno, "colno": f.colno, "in_app": f.in_app, "context_line": f.context_line}
                   for f in exc.frames],
    }


@dataclass(slots=True)
class Source:
    """Where an event came from: a file and line, or the endpoint it arrived by."""

    path: str
    line: int | None = None
    offset: int | None = None


@dataclass(slots=True)
class Event:
    """One error, warning or log record after extraction.

    `exceptions` holds the chain oldest first (the root cause first, the one finally raised
    last), as Sentry's `exception.values`. `id` is stable so that ingesting the same input
    twice stores it once.
    """

    id: str
    timestamp: datetime
    level: str
    message: str
    source: Source
    service: str | None = None
    environment: str | None = None
    host: str | None = None
    release: str | None = None
    logger: str | None = None
    thread: str | None = None
    template: str | None = None
    title: str | None = None
    culprit: str | None = None
    platform: str | None = None
    project: str = "default"
    exceptions: list[ExceptionInfo] = field(default_factory=list)
    stacktrace: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    parent_span_id: str | None = None
    correlation_id: str | None = None
    user_id: str | None = None
    user_ip: str | None = None
    session_id: str | None = None
    http_method: str | None = None
    http_path: str | None = None
    http_status: int | None = None
    duration_ms: float | None = None
    tags: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    fingerprint: str | None = None
    explicit_fingerprint: str | None = None
    grouping: list[str] = field(default_factory=list)

    @property
    def primary_exception(self) -> ExceptionInfo | None:
        """The exception finally raised: the last of the chain."""
        return self.exceptions[-1] if self.exceptions else None


@dataclass(slots=True)
class Span:
    """One span of a distributed trace."""

    trace_id: str
    span_id: str
    name: str
    start: datetime
    end: datetime
    service: str | None = None
    parent_span_id: str | None = None
    kind: str | None = None
    status: str | None = None
    status_message: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Deploy:
    """A change going live: a release of a service (`kind` "deploy") or a configuration change ("config").

    `source` says how we learned of it: "release-change" (the version in the events changed),
    "marker" (a deploy marker file), "git-tag", "log" (a line announcing a config change) or "api".
    """

    service: str
    release: str
    time: datetime
    source: str
    commit: str | None = None
    previous_release: str | None = None
    kind: str = "deploy"
    description: str | None = None


@dataclass(slots=True)
class VolumeBucket:
    """Count of all records (errors or not) of one service, host, release and level in one minute.

    Error rates need a denominator; storing every info line would make the store grow with
    the input, so ordinary lines are counted here instead. Host and release are kept so that
    rates can be compared across them (an environmental issue, a bad release).
    """

    service: str
    minute: datetime
    level: str
    host: str | None = None
    release: str | None = None
    count: int = 0
    requests: int = 0
    failed_requests: int = 0


@dataclass(slots=True)
class Verdict:
    """A classification (severity, category, observability) and the evidence it came from."""

    value: str
    reason: str
    evidence: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Trend:
    """How an issue moves over the window: its series, baseline and status.

    `status` is one of "new", "spiking", "regressed", "ongoing" or "resolved".
    """

    status: str
    reason: str
    bucket_seconds: int
    series: list[tuple[datetime, int]] = field(default_factory=list)
    baseline: float = 0.0
    peak: int = 0
    peak_at: datetime | None = None
    spike_score: float = 0.0
    spikes: list[datetime] = field(default_factory=list)
    periodic_seconds: int | None = None


@dataclass(slots=True)
class TagLift:
    """A tag value over-represented in an issue compared with all events."""

    key: str
    value: str
    issue_share: float
    overall_share: float
    lift: float
    count: int


@dataclass(slots=True)
class Impact:
    """Whom and what an issue hurts, and the priority that follows."""

    users: int
    sessions: int
    requests: int
    failed_share: float | None
    priority: float
    reason: str


@dataclass(slots=True)
class Diagnosis:
    """A known error pattern that matches the issue, with what to do about it."""

    pattern_id: str
    title: str
    category: str
    severity: str
    root_cause_kind: str
    explanation: str
    score: float
    reasons: list[str] = field(default_factory=list)
    fix_summary: str = ""
    fix_code: list[dict[str, str]] = field(default_factory=list)
    testing: list[str] = field(default_factory=list)
    prevention: list[str] = field(default_factory=list)
    monitoring: str = ""
    alert: str | None = None
    runbook: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Why:
    """One step of a five-whys chain: the answer and the evidence it rests on."""

    answer: str
    evidence: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Deliverables:
    """The eight parts of an analysis, ready to render."""

    summary: str
    root_cause: str
    five_whys: list[Why]
    evidence: list[str]
    immediate_fix: str
    fix_code: list[dict[str, str]]
    testing: list[str]
    prevention: list[str]
    monitoring: list[str]
    runbook: list[str]


@dataclass(slots=True)
class DeployImpact:
    """Error rates around one deploy or config change, and the issues that began after it."""

    deploy: Deploy
    errors_before: int
    records_before: int
    errors_after: int
    records_after: int
    rate_before: float | None
    rate_after: float | None
    p_value: float | None
    significant: bool
    window_seconds: int
    suspected_issues: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ServiceRate:
    """A service's records, errors and failing requests over the window."""

    service: str
    records: int
    errors: int
    error_rate: float | None
    requests: int
    failed_requests: int
    failed_share: float | None


@dataclass(slots=True)
class AlertRule:
    """One alert, in the two forms faultlens writes: a PromQL expression and a Datadog monitor query.

    `threshold` and `window` are what the expressions compare against; `reason` says where the
    threshold came from. A rule Datadog's monitors cannot express has no Datadog query.
    """

    name: str
    kind: str
    severity: str
    summary: str
    description: str
    promql: str
    datadog_type: str | None
    datadog_query: str | None
    datadog_threshold: float | None
    threshold: float
    window: str
    reason: str
    service: str | None = None
    fingerprint: str | None = None
    runbook_url: str | None = None


@dataclass(slots=True)
class SuspectCommit:
    """A commit that changed code on an issue's failing path before the issue began, and why it is suspected."""

    sha: str
    author: str
    date: datetime
    message: str
    files: list[str] = field(default_factory=list)
    reason: str = ""
    score: float = 0.0


@dataclass(slots=True)
class Trigger:
    """What set an incident off: `kind` is "deploy", "config", "load" or None when nothing evident did."""

    kind: str | None
    service: str | None = None
    release: str | None = None
    time: datetime | None = None
    description: str | None = None


@dataclass(slots=True)
class TimelineEntry:
    """One moment of an incident's story, on any service, with what shows it."""

    time: datetime
    service: str | None
    what: str
    evidence: str = ""


@dataclass(slots=True)
class ServiceImpact:
    """One affected service during an incident: its role, onset, errors and error rates around it.

    Rates are error records over all records (failing over all requests where an access log
    counts them): `rate_before` over the hour before the incident, `rate_early` over its first
    ten minutes (what the first notice can say), `rate_peak` in its worst minute, `rate_after`
    after it ended (None while it lasts to the end of the data).
    """

    service: str
    role: str
    onset: datetime | None
    errors: int
    users: int
    rate_before: float | None = None
    rate_early: float | None = None
    rate_peak: float | None = None
    peak_at: datetime | None = None
    rate_after: float | None = None


@dataclass(slots=True)
class Incident:
    """Error onsets clustered in time across services: one failure with a cause and its cascade.

    `affected_services` run in cascade order, the origin first. `root_cause_kind` is one of
    deploy, configuration, resource-exhaustion, downstream-timeout, dependency-failure,
    race-condition, bad-input, security, infrastructure, unknown. `status` is "ongoing" (errors
    still elevated where the data ends), "mitigated" (a rollback or revert was seen and errors
    fell) or "resolved"; severity, impacts, timeline, mitigation, contributing factors and action
    items are what the incident notices are written from.
    """

    id: str
    start: datetime
    end: datetime
    origin_service: str | None
    affected_services: list[str]
    root_cause_kind: str
    root_cause_summary: str
    trigger: Trigger
    issues: list[str]
    evidence: list[str] = field(default_factory=list)
    five_whys: list[Why] = field(default_factory=list)
    deliverables: Deliverables | None = None
    errors: int = 0
    users: int = 0
    peak_error_rate: float | None = None
    severity: str = "medium"
    status: str = "ongoing"
    impacts: list[ServiceImpact] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    mitigation: str | None = None
    contributing_factors: list[str] = field(default_factory=list)
    action_items: list[str] = field(default_factory=list)


LATENCY_BOUNDS_MS: tuple[float, ...] = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)
"""Upper bounds of the request-duration buckets; a last, open bucket holds the slower ones."""


@dataclass(slots=True)
class LatencyBucket:
    """Request durations of one service in one minute, counted per bucket of LATENCY_BOUNDS_MS (plus one
    for slower): a p95 per service needs every request's duration, not only the failed ones'."""

    service: str
    minute: datetime
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BOUNDS_MS) + 1))
    sum_ms: float = 0.0


@dataclass(slots=True)
class Issue:
    """Events that share a fingerprint, summarised."""

    fingerprint: str
    title: str
    type: str | None
    message: str
    level: str
    count: int
    users: int
    services: list[str]
    releases: list[str]
    environments: list[str]
    first_seen: datetime
    last_seen: datetime
    culprit: str | None = None
    impact: float = 0.0
    grouping: list[str] = field(default_factory=list)
    sample: Event | None = None
    status: str = "unresolved"
    first_seen_ever: datetime | None = None
    severity: Verdict | None = None
    category: Verdict | None = None
    observability: Verdict | None = None
    trend: Trend | None = None
    reach: Impact | None = None
    patterns: list[TagLift] = field(default_factory=list)
    diagnosis: Diagnosis | None = None
    suspect_deploy: DeployImpact | None = None
    recommendations: list[str] = field(default_factory=list)
    deliverables: Deliverables | None = None
    evidence_lines: list[str] = field(default_factory=list)
    suspect_commits: list[SuspectCommit] = field(default_factory=list)


@dataclass(slots=True)
class IngestStats:
    """What one run read, kept, skipped and why; shown in every report's summary."""

    files: int = 0
    records: int = 0
    events: int = 0
    events_new: int = 0
    skipped_inputs: int = 0
    skipped_lines: int = 0
    problems: list[str] = field(default_factory=list)
    formats: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Report:
    """Everything a renderer draws; renderers compute nothing of their own."""

    generated_at: datetime
    window_start: datetime | None
    window_end: datetime | None
    stats: IngestStats
    issues: list[Issue]
    total_events: int
    total_issues: int
    services: list[str]
    deploys: list[DeployImpact] = field(default_factory=list)
    service_rates: list[ServiceRate] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
