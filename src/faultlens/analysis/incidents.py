"""Incidents: error onsets clustered in time across services, each with an origin, a cause and a story.

Two shapes of incident are found. An onset incident is a set of services whose error rates rose
together (see `incident_onsets`); the issues that rose with them are its issues, and the first
error of those issues in each service is that service's onset. A standing incident has no onset
inside the data: the same requests fail across services throughout (a latent race, say), and it
is claimed only when at least STANDING_MIN_REQUESTS such requests make up at least 1% of the
edge's requests, so that the rare 500 of an ordinary hour is not an incident. Then `origin`
weighs traces, calls between services and onsets; `incident_cause` the trigger and the kind;
`incident_story` writes the evidence, five whys, timeline and what the notices need.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from faultlens.analysis.buckets import floor_time
from faultlens.analysis.incident_cause import SYMPTOM_KINDS, find_kind, find_trigger, summarize, traffic_by_minute
from faultlens.analysis.incident_dependencies import DependencyNamer, message_text
from faultlens.analysis.incident_onsets import cluster_rises, find_rises
from faultlens.analysis.incident_signals import cascade_signals
from faultlens.analysis.incident_story import StoryInputs, tell
from faultlens.analysis.origin import OriginInputs, find_origin
from faultlens.analysis.stats import pearson, poisson_sf
from faultlens.model import DeployImpact, Incident, Issue
from faultlens.store.base import Store
from faultlens.store.rows import aware_utc

LOOKBACK = timedelta(minutes=15)
"""Warnings that rose this long before the first error (slow queries, a filling pool) belong to the incident."""
INVOLVED_MIN_EVENTS = 3
INVOLVED_P = 1e-3
INVOLVED_FLOOR = 0.25
"""An issue absent outside the incident is still expected about a quarter of an event in it, so that three
events make it part of the incident and two do not."""
STANDING_MIN_REQUESTS = 5
STANDING_MIN_SHARE = 0.01
STANDING_MIN_SHARE_OF_REQUESTS = 0.2
SHORT_WINDOW_RATIO = 3.0
MIN_CORRELATION = 0.25
COINCIDENCE = timedelta(seconds=3)
COINCIDENT_SHARE = 0.5
CHANGE_BEFORE = timedelta(minutes=30)


@dataclass(slots=True)
class Draft:
    """An incident's extent before its origin and cause are known."""

    start: datetime
    end: datetime
    onsets: dict[str, datetime]
    fingerprints: set[str]
    firsts: dict[str, datetime] = field(default_factory=dict)
    precursors: set[str] = field(default_factory=set)
    standing: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _Series:
    """One issue's per-minute counts in one service."""

    service: str
    fingerprint: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def count(self, start: datetime, end: datetime, errors_only: bool = False) -> int:
        first = floor_time(start, 60)
        return sum(int(r["errors"]) + (0 if errors_only else int(r["warnings"])) for r in self.rows
                   if first <= r["minute"] <= end)

    def per_minute(self, start: datetime, end: datetime, errors_only: bool = False) -> list[float]:
        counts = [0.0] * _minutes(start, end)
        first = floor_time(start, 60)
        for row in self.rows:
            index = int((row["minute"] - first).total_seconds() // 60)
            if 0 <= index < len(counts):
                counts[index] += int(row["errors"]) + (0 if errors_only else int(row["warnings"]))
        return counts

    def first_error(self, start: datetime, end: datetime) -> datetime | None:
        times = [r["first"] for r in self.rows if r["errors"] and start <= r["last"] and r["first"] <= end]
        return min(times) if times else None

    def last_error(self, start: datetime, end: datetime) -> datetime | None:
        times = [r["last"] for r in self.rows if r["errors"] and start <= r["last"] and r["first"] <= end]
        return max(times) if times else None

    def first_event(self, start: datetime, end: datetime) -> datetime | None:
        times = [r["first"] for r in self.rows if start <= r["last"] and r["first"] <= end]
        return max(min(times), start) if times else None


def build_incidents(store: Store, issues: Sequence[Issue], deploys: Sequence[DeployImpact],
                    service_minutes: Sequence[dict[str, Any]], start: datetime | None,
                    end: datetime | None) -> list[Incident]:
    """The incidents within [start, end], earliest first."""
    if start is None or end is None:
        return []
    error_rows = store.query("service_error_minutes", since=start, until=end)
    if not error_rows:
        return []
    series = _series(error_rows)
    window = [r for r in service_minutes if start - timedelta(minutes=1) <= r["minute"] <= end]
    drafts = []
    for cluster in cluster_rises(find_rises(error_rows, window, start, end)):
        draft = _onset_draft(cluster.start, cluster.end, series, start, end)
        if draft is not None:
            drafts.append(draft)
    edge_services = {r["service"] for r in service_minutes if int(r["requests"] or 0) > 0}
    standing = _standing_draft(failing_requests(store, start, end), drafts, series, window, edge_services)
    if standing is not None:
        drafts.append(standing)
    context = _Context(store, {i.fingerprint: i for i in issues}, deploys, service_minutes, series, edge_services,
                       start, end)
    return [context.incident(draft) for draft in sorted(drafts, key=lambda d: d.start)]


def failing_requests(store: Store, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Requests (by correlation or trace id) with errors in two or more services, times made aware."""
    rows = store.query("failing_requests", since=since, until=until)
    for row in rows:
        row["firsts"] = [aware_utc(t) for t in row["firsts"]]
    return rows


def _series(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], _Series]:
    found: dict[tuple[str, str], _Series] = {}
    for row in rows:
        key = (row["service"], row["fingerprint"])
        found.setdefault(key, _Series(*key)).rows.append(row)
    return found


def _onset_draft(rise_start: datetime, rise_end: datetime, series: Mapping[tuple[str, str], _Series],
                 window_start: datetime, window_end: datetime) -> Draft | None:
    """The issues that rose with a cluster of rises, and each service's first error among them.

    An error issue belongs to the incident when it rose in the cluster's span and moves with the
    other errors over the window (a scanner's bursts that happen to fall inside do not); a
    warning also when it rose in the quarter hour before the first error: a precursor.
    """
    errors = {key: s for key, s in series.items() if s.count(rise_start, rise_end, errors_only=True)}
    totals = _minute_totals(errors.values(), window_start, window_end)
    onsets: dict[str, datetime] = {}
    lasts: list[datetime] = []
    involved: set[str] = set()
    for key, s in errors.items():
        if not (_rose(s, rise_start, rise_end, window_start, window_end, errors_only=True)
                and _moves_with(s, totals, window_start, window_end)):
            continue
        first, last = s.first_error(rise_start, rise_end), s.last_error(rise_start, rise_end)
        if first is None or last is None:
            continue
        involved.add(key[1])
        onsets[s.service] = min(onsets.get(s.service, first), first)
        lasts.append(last)
    if not onsets:
        return None
    start, end = min(onsets.values()), max(lasts)
    early = max(start - LOOKBACK, window_start)
    precursors = set()
    for key, s in series.items():
        if key[1] in involved or s.service not in onsets or s.count(window_start, window_end, errors_only=True):
            continue
        if _rose_before(s, early, start, window_start):
            precursors.add(key[1])
            involved.add(key[1])
        elif _rose(s, start, end, window_start, window_end) and _moves_with(s, totals, window_start, window_end):
            involved.add(key[1])
    firsts = {fp: t for (service, fp), s in series.items() if fp in involved and service in onsets
              for t in [s.first_event(early, end)] if t is not None}
    return Draft(start=start, end=end, onsets=onsets, fingerprints=involved, firsts=firsts, precursors=precursors)


def _rose(s: _Series, start: datetime, end: datetime, window_start: datetime, window_end: datetime,
          errors_only: bool = False) -> bool:
    """The issue's events in [start, end] are far more than its rate elsewhere in the window predicts."""
    inside = s.count(start, end, errors_only)
    if inside < INVOLVED_MIN_EVENTS:
        return False
    outside = s.count(window_start, window_end, errors_only) - inside
    span = max((end - start).total_seconds() / 60.0, 1.0)
    rest = (window_end - window_start).total_seconds() / 60.0 - span
    if rest < span:  # too little time outside for a rate: ask only for a much higher rate inside
        return outside == 0 or (rest > 0 and inside / span >= SHORT_WINDOW_RATIO * outside / rest)
    expected = max(outside / rest * span, INVOLVED_FLOOR)
    return poisson_sf(int(inside), expected) < INVOLVED_P


def _rose_before(s: _Series, early: datetime, start: datetime, window_start: datetime) -> bool:
    """A warning that rose in the quarter hour before the first error, against its rate before that."""
    inside = s.count(early, start - timedelta(microseconds=1))
    if inside < INVOLVED_MIN_EVENTS:
        return False
    span = max((start - early).total_seconds() / 60.0, 1.0)
    before = (early - window_start).total_seconds() / 60.0
    if before < span:
        return False  # too little time before it to know what its usual rate is
    earlier = s.count(window_start, early - timedelta(microseconds=1))
    expected = max(earlier / before * span, INVOLVED_FLOOR)
    return poisson_sf(int(inside), expected) < INVOLVED_P


def _near(moment: datetime, moments: Sequence[datetime]) -> bool:
    """Whether a sorted list holds a moment within COINCIDENCE of this one."""
    index = bisect_left(moments, moment - COINCIDENCE)
    return index < len(moments) and moments[index] <= moment + COINCIDENCE


def _minute_totals(series: Iterable[_Series], start: datetime, end: datetime) -> list[float]:
    totals = [0.0] * _minutes(start, end)
    for s in series:
        for index, count in enumerate(s.per_minute(start, end)):
            totals[index] += count
    return totals


def _moves_with(s: _Series, totals: Sequence[float], start: datetime, end: datetime) -> bool:
    """The issue's minutes go up and down with everyone else's errors (its own left out)."""
    own = s.per_minute(start, end)
    errors = s.per_minute(start, end, errors_only=True)
    rest = [t - e for t, e in zip(totals, errors, strict=True)]
    correlation = pearson(own, rest)
    return correlation is not None and correlation >= MIN_CORRELATION


def _minutes(start: datetime, end: datetime) -> int:
    return int((floor_time(end, 60) - floor_time(start, 60)).total_seconds() // 60) + 1


def _standing_draft(requests: Sequence[dict[str, Any]], drafts: Sequence[Draft],
                    series: Mapping[tuple[str, str], _Series], volume: Sequence[dict[str, Any]],
                    edge_services: set[str]) -> Draft | None:
    """Requests failing across services outside any onset incident, when they are too many to be background."""
    outside = [r for r in requests
               if not any(d.start - LOOKBACK <= r["firsts"][0] <= d.end + LOOKBACK for d in drafts)]
    if len(outside) < STANDING_MIN_REQUESTS:
        return None
    first, last = outside[0]["firsts"][0], max(max(r["firsts"]) for r in outside)
    period = [r for r in volume if floor_time(first, 60) <= r["minute"] <= last]
    edge_requests = sum(int(r["requests"] or 0) for r in period if r["service"] in edge_services)
    involved_services = Counter(s for r in outside for s in set(r["services"]))
    by_service: dict[str, float] = defaultdict(float)
    for row in period:
        by_service[row["service"]] += float(row["records"] or 0)
    denominator = edge_requests or max((by_service[s] for s in involved_services), default=0.0)
    if not denominator or len(outside) / denominator < STANDING_MIN_SHARE:
        return None
    needed = max(INVOLVED_MIN_EVENTS, STANDING_MIN_SHARE_OF_REQUESTS * len(outside))
    onsets: dict[str, datetime] = {}
    fingerprints: Counter[str] = Counter()
    for row in outside:
        for service, when, fps in zip(row["services"], row["firsts"], row["fingerprints"], strict=True):
            if involved_services[service] >= needed:
                onsets[service] = min(onsets.get(service, when), when)
                fingerprints.update(fps)
    keep = {fp for fp, n in fingerprints.items() if n >= INVOLVED_MIN_EVENTS}
    if len(onsets) < 2:
        return None
    firsts = {fp: t for (service, fp), s in series.items() if fp in keep and service in onsets
              for t in [s.first_event(first, last)] if t is not None}
    return Draft(start=first, end=last, onsets=onsets, fingerprints=keep, firsts=firsts, standing=True,
                 requests=list(outside))


class _Context:
    """What every incident of one report reads: the store, the issues, the deploys and the traffic."""

    def __init__(self, store: Store, issues: dict[str, Issue], deploys: Sequence[DeployImpact],
                 service_minutes: Sequence[dict[str, Any]], series: Mapping[tuple[str, str], _Series],
                 edge_services: set[str], window_start: datetime, window_end: datetime) -> None:
        self.store = store
        self.issues = issues
        self.deploys = deploys
        self.service_minutes = service_minutes
        self.series = series
        self.edge_services = edge_services
        self.window = (window_start, window_end)
        self.known = {r["service"] for r in service_minutes} | {s for s, _ in series}
        self.traffic = traffic_by_minute(service_minutes)
        self.paths = [r for r in store.query("served_paths") if r["service"] not in edge_services]

    def incident(self, draft: Draft) -> Incident:
        since = max(draft.start - LOOKBACK, self.window[0])
        rows = self.store.query("service_messages", since=since, until=draft.end, services=sorted(self.known))
        namer = DependencyNamer(self.known, self.paths, ((r["service"], message_text(r)) for r in rows))
        involved_rows = [r for r in rows if r["fingerprint"] in draft.fingerprints and r["service"] in draft.onsets]
        mentions = namer.mentions(involved_rows)
        requests = draft.requests or failing_requests(self.store, draft.start, draft.end)
        self._add_named_dependencies(draft, mentions, requests)
        involved_rows = [r for r in rows if r["fingerprint"] in draft.fingerprints and r["service"] in draft.onsets]
        symptoms = self._symptoms(draft, involved_rows)
        errors = {service: sum(self.series[(service, fp)].count(draft.start, draft.end, errors_only=True)
                               for fp in draft.fingerprints if (service, fp) in self.series)
                  for service in draft.onsets}
        intrinsic = {service for service in draft.onsets
                     if any(fp not in symptoms and self.series[(service, fp)].count(draft.start, draft.end, True)
                            for fp in draft.fingerprints if (service, fp) in self.series)}
        changed = {d.deploy.service for d in self.deploys
                   if draft.start - CHANGE_BEFORE <= d.deploy.time <= draft.start + timedelta(minutes=1)}
        spans = self.store.query("failing_trace_spans", since=draft.start - timedelta(minutes=1), until=draft.end)
        finding = find_origin(OriginInputs(
            onsets=draft.onsets, errors=errors, intrinsic=intrinsic, symptom_fingerprints=symptoms,
            known_services=self.known, edge_services=self.edge_services, mentions=mentions,
            failing_requests=requests, spans=spans, changed_services=changed))
        origin = finding.origin
        silent = origin is not None and origin not in draft.onsets
        if silent and origin is not None:
            draft.onsets[origin] = draft.start  # a dependency that logged nothing: its failure began with the others'
        origin_issues = [self.issues[fp] for fp in sorted(draft.fingerprints)
                         if fp in self.issues and origin in self.issues[fp].services]
        trigger, change, trigger_evidence = find_trigger(origin, finding.cascade, draft.start, self.deploys,
                                                         origin_issues, self.traffic)
        kind, leading, kind_reason = find_kind(origin, trigger, origin_issues, symptoms, silent)
        outside = [label for label, _ in (mentions[origin].outside.most_common() if origin in mentions else [])]
        summary = summarize(origin, kind, trigger, leading, finding.cascade, outside)
        signals = cascade_signals(involved_rows)
        return tell(StoryInputs(
            draft_start=draft.start, draft_end=draft.end, standing=draft.standing, onsets=draft.onsets,
            fingerprints=draft.fingerprints, firsts=draft.firsts, precursors=draft.precursors, finding=finding,
            trigger=trigger, change=change,
            trigger_evidence=trigger_evidence, kind=kind, kind_reason=kind_reason, summary=summary, leading=leading,
            issues=self.issues, signals=signals, deploys=self.deploys, service_minutes=self.service_minutes,
            edge_services=self.edge_services, window_end=self.window[1], errors=errors, requests=requests,
            outside=outside, store=self.store))

    def _add_named_dependencies(self, draft: Draft, mentions: Mapping[str, Any],
                                requests: Sequence[dict[str, Any]]) -> None:
        """Known services the failing ones name: in the incident when their errors come with the failures."""
        named = {callee for m in mentions.values() for callee in m.services} - set(draft.onsets)
        if not named:
            return
        moments = sorted(r["firsts"][0] for r in requests)
        times: dict[str, list[datetime]] = {}
        if draft.standing:
            times = {row["fingerprint"]: [t for t in (aware_utc(x) for x in row["times"]) if t is not None]
                     for row in self.store.query("issue_times", since=draft.start - COINCIDENCE,
                                                 until=draft.end + COINCIDENCE)}
        for service in named:
            keys = [key for key in self.series if key[0] == service]
            joined = [key for key in keys if self._joins(key, draft, moments, times.get(key[1], []))]
            for key in joined:
                draft.fingerprints.add(key[1])
                first = self.series[key].first_error(draft.start - LOOKBACK, draft.end)
                if first is not None:
                    draft.onsets[service] = min(draft.onsets.get(service, first), first)
                    draft.firsts[key[1]] = first

    def _joins(self, key: tuple[str, str], draft: Draft, moments: Sequence[datetime],
               times: Sequence[datetime]) -> bool:
        """A named service's issue is part of the incident when it rose with it, or, for a standing
        incident, when most of its events fall within seconds of the failing requests."""
        if not draft.standing:
            return _rose(self.series[key], draft.start, draft.end, *self.window, errors_only=True)
        if len(times) < INVOLVED_MIN_EVENTS:
            return False
        near = sum(1 for t in times if _near(t, moments))
        return near >= COINCIDENT_SHARE * len(times)

    def _symptoms(self, draft: Draft, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Issues that report a failed call rather than a failure of their own service."""
        found = set()
        relays = {r["fingerprint"] for r in rows if r["service"] in self.edge_services
                  and isinstance(r["http_status"], int) and r["http_status"] >= 500}
        for fp in draft.fingerprints:
            issue = self.issues.get(fp)
            if fp in relays:
                found.add(fp)
            elif issue is not None and issue.diagnosis is not None:
                if issue.diagnosis.root_cause_kind in SYMPTOM_KINDS:
                    found.add(fp)
            elif issue is not None and issue.category is not None and issue.category.value == "integration":
                found.add(fp)
        found |= {fp for signal in cascade_signals(rows) for fp in signal.fingerprints}
        return found
