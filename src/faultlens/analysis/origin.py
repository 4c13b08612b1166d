"""Finding the origin of an incident: the service whose own failure the others' errors follow from.

Callers inherit their dependencies' errors and latency, so the service that logs first, or
fails most, is often only a caller. Evidence is weighed in this order:

1. Traces: on each failing trace, the deepest failing span, child before parent; a caller
   span that failed without a failing child is blamed on a child in another service that took
   (nearly) all its time or outlived it, since the caller only gave up waiting.
2. Calls between services, each an edge caller → callee: parent and child spans; messages that
   name a dependency (see `incident_dependencies`); an access-log edge that shares failing requests with
   a service behind it; and within one failing request, a service whose errors are only
   symptoms of a call (timeouts, refusals, 5xx answers) calling one whose error is its own.
   The origin is the callee none of the others' calls lead past: the sink most services reach.
3. Among several sinks: a deploy or config change on it just before, an error of its own
   rather than a symptom, the earliest onset of errors, then the most errors.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from faultlens.analysis.incident_dependencies import Mentions

SPAN_EDGE, NAMED_EDGE, EDGE_SERVICE_EDGE, SYMPTOM_EDGE = 4, 3, 2, 1
"""Strength of each kind of evidence for a call edge, used when two services seem to call each other."""
MIN_TRACES = 3
LATENCY_SHARE = 0.8


@dataclass(slots=True)
class CallEdge:
    """Evidence that `caller` calls `callee`."""

    caller: str
    callee: str
    strength: int = 0
    weight: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, strength: int, weight: int, reason: str) -> None:
        self.strength = max(self.strength, strength)
        self.weight += weight
        if reason not in self.reasons:
            self.reasons.append(reason)


@dataclass(slots=True)
class OriginFinding:
    """The origin, the affected services in cascade order, and the evidence for both."""

    origin: str | None
    cascade: list[str]
    method: str
    edges: list[CallEdge] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    trace_votes: Counter[str] = field(default_factory=Counter)
    first_loggers: Counter[str] = field(default_factory=Counter)
    requests: int = 0


@dataclass(slots=True)
class OriginInputs:
    """What the analyses found about the services of one incident."""

    onsets: Mapping[str, datetime]
    errors: Mapping[str, int]
    intrinsic: set[str]
    symptom_fingerprints: set[str]
    known_services: set[str]
    edge_services: set[str]
    mentions: Mapping[str, Mentions]
    failing_requests: Sequence[dict[str, Any]] = ()
    spans: Sequence[dict[str, Any]] = ()
    changed_services: set[str] = field(default_factory=set)


def find_origin(given: OriginInputs) -> OriginFinding:
    """Weigh traces, calls, symptoms and onsets into one origin and a cascade order."""
    edges: dict[tuple[str, str], CallEdge] = {}
    votes, span_edges = blame_spans(given.spans)
    called = {callee for _, callee in span_edges}
    given = replace(given, edge_services=given.edge_services - called)  # a service others call is not the edge
    for (caller, callee), count in span_edges.items():
        _edge(edges, caller, callee).add(SPAN_EDGE, count, f"{count} trace(s) where {caller} spans call {callee}")
    for speaker, mentions in given.mentions.items():
        for callee, events in mentions.services.items():
            if callee in given.known_services:
                _edge(edges, speaker, callee).add(NAMED_EDGE, events,
                                                  f"{events} {speaker} event(s) name it: {mentions.how[callee]}")
    first_loggers = _request_edges(given, edges)
    candidates = set(given.onsets) | {e.callee for e in edges.values() if e.caller in given.onsets}
    graph = _resolve(e for e in edges.values() if e.caller in candidates and e.callee in candidates)
    finding = OriginFinding(origin=None, cascade=[], method="", edges=sorted(graph, key=lambda e: -e.weight),
                            trace_votes=votes, first_loggers=first_loggers,
                            requests=len(given.failing_requests))
    total_votes = sum(votes.values())
    top = votes.most_common(1)[0] if votes else None
    if top and total_votes >= MIN_TRACES and top[1] * 2 >= total_votes and top[0] in given.known_services:
        finding.origin, finding.method = top[0], "traces"
        finding.evidence.append(f"In {top[1]} of {total_votes} failing traces the deepest failure (the failing "
                                f"span with no failing child, or the callee its caller waited on) is in {top[0]}.")
    else:
        finding.origin, finding.method = _sink_origin(given, candidates, graph)
    finding.cascade = _cascade(finding.origin, given.onsets, graph)
    finding.evidence.extend(_edge_evidence(graph))
    finding.evidence.extend(_onset_evidence(given.onsets, finding.origin))
    finding.evidence.extend(_request_evidence(first_loggers, len(given.failing_requests), finding.origin))
    for speaker, mentions in given.mentions.items():
        for label, events in mentions.outside.most_common(2):
            finding.evidence.append(f"{speaker} names {label}, which writes no logs here, in {events} event(s).")
    return finding


def blame_spans(spans: Iterable[dict[str, Any]]) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Per service, the failing traces whose deepest failure lies in it; and the calls seen between services."""
    by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        by_trace[span["trace_id"]].append(span)
    votes: Counter[str] = Counter()
    calls: Counter[tuple[str, str]] = Counter()
    for trace in by_trace.values():
        by_id = {s["span_id"]: s for s in trace}
        children: dict[str, list[dict[str, Any]]] = defaultdict(list)
        pairs = set()
        for span in trace:
            parent = by_id.get(span["parent_span_id"] or "")
            if parent is not None:
                children[parent["span_id"]].append(span)
                if parent["service"] and span["service"] and parent["service"] != span["service"]:
                    pairs.add((parent["service"], span["service"]))
        calls.update(pairs)
        blamed = _deepest_failure(trace, by_id, children)
        if blamed is not None and blamed["service"]:
            votes[blamed["service"]] += 1
    return votes, calls


def span_failed(span: Mapping[str, Any]) -> bool:
    status = str(span.get("status") or "").lower()
    code = span.get("http_status")
    return "error" in status or status == "2" or (isinstance(code, int) and code >= 500)


def _deepest_failure(trace: list[dict[str, Any]], by_id: dict[str, dict[str, Any]],
                     children: dict[str, list[dict[str, Any]]]) -> dict[str, Any] | None:
    tops = [s for s in trace if span_failed(s) and not span_failed(by_id.get(s["parent_span_id"] or "") or {})]
    best: tuple[int, dict[str, Any]] | None = None
    for top in tops:
        depth, span = 0, top
        while True:
            failing = [c for c in children.get(span["span_id"], []) if span_failed(c)]
            waited = [c for c in children.get(span["span_id"], []) if _waited_on(span, c)]
            following = failing or waited
            if not following:
                break
            span = max(following, key=lambda c: _duration(c))
            depth += 1
        if best is None or depth > best[0]:
            best = (depth, span)
    return best[1] if best else None


def _waited_on(parent: dict[str, Any], child: dict[str, Any]) -> bool:
    """The child took (nearly) all of the parent's time, or was still running when the parent gave up."""
    if not (parent.get("end") and child.get("end") and child.get("start")):
        return False
    return child["end"] > parent["end"] or _duration(child) >= LATENCY_SHARE * max(_duration(parent), 1e-9)


def _duration(span: Mapping[str, Any]) -> float:
    if not (span.get("start") and span.get("end")):
        return 0.0
    return float((span["end"] - span["start"]).total_seconds())


def _edge(edges: dict[tuple[str, str], CallEdge], caller: str, callee: str) -> CallEdge:
    key = (caller, callee)
    if key not in edges:
        edges[key] = CallEdge(caller, callee)
    return edges[key]


def _request_edges(given: OriginInputs, edges: dict[tuple[str, str], CallEdge]) -> Counter[str]:
    """Edges from failing requests shared by services; returns which service logged first in each."""
    first_loggers: Counter[str] = Counter()
    through_edge: Counter[tuple[str, str]] = Counter()
    symptom_pairs: Counter[tuple[str, str]] = Counter()
    for row in given.failing_requests:
        services = [s for s in row["services"] if s in given.onsets]
        if len(services) < 2:
            continue
        first_loggers[services[0]] += 1
        fps = dict(zip(row["services"], row["fingerprints"], strict=True))
        for edge in (s for s in services if s in given.edge_services):
            for other in services:
                if other not in given.edge_services:
                    through_edge[(edge, other)] += 1
        symptoms = [s for s in services if set(fps[s]) <= given.symptom_fingerprints]
        owners = [s for s in services if not set(fps[s]) <= given.symptom_fingerprints]
        for caller in symptoms:
            for callee in owners:
                if caller not in given.edge_services or callee not in given.edge_services:
                    symptom_pairs[(caller, callee)] += 1
    for (caller, callee), count in through_edge.items():
        _edge(edges, caller, callee).add(EDGE_SERVICE_EDGE, count, f"{count} failing request(s) came in through "
                                         f"{caller}'s access log and failed in {callee} too")
    for (caller, callee), count in symptom_pairs.items():
        if (caller, callee) not in through_edge:
            _edge(edges, caller, callee).add(SYMPTOM_EDGE, count, f"in {count} failing request(s) {caller} only "
                                             f"reports a failed call while {callee} fails on its own")
    return first_loggers


def _resolve(edges: Iterable[CallEdge]) -> list[CallEdge]:
    """Where two services seem to call each other, keep the better-evidenced direction."""
    kept = {(e.caller, e.callee): e for e in edges if e.caller != e.callee}
    for (caller, callee), edge in list(kept.items()):
        reverse = kept.get((callee, caller))
        if reverse is not None and (reverse.strength, reverse.weight) > (edge.strength, edge.weight):
            kept.pop((caller, callee), None)
    return list(kept.values())


def _sink_origin(given: OriginInputs, candidates: set[str], graph: list[CallEdge]) -> tuple[str | None, str]:
    callers_of: dict[str, set[str]] = defaultdict(set)
    calls_out = {e.caller for e in graph}
    for edge in graph:
        callers_of[edge.callee].add(edge.caller)
    sinks = [s for s in candidates if s not in calls_out]
    if not sinks:
        sinks = list(candidates)
    if not sinks:
        return None, "none"
    def rank(service: str) -> tuple[int, bool, bool, float, int]:
        onset = given.onsets.get(service)
        stamp = onset.timestamp() if onset is not None else float("inf")
        return (len(_reaching(service, callers_of)), service in given.changed_services, service in given.intrinsic,
                -stamp, given.errors.get(service, 0))

    best = max(sorted(sinks), key=rank)
    return best, "dependencies" if graph else "onsets"


def _reaching(service: str, callers_of: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    queue = deque([service])
    while queue:
        for caller in callers_of.get(queue.popleft(), ()):
            if caller not in seen and caller != service:
                seen.add(caller)
                queue.append(caller)
    return seen


def _cascade(origin: str | None, onsets: Mapping[str, datetime], graph: list[CallEdge]) -> list[str]:
    """The origin, then the services that reach it, each after every service it reaches it through
    (longest call path first, then onset); services no call leads from last, by onset."""
    def when(service: str) -> float:
        onset = onsets.get(service)
        return onset.timestamp() if onset is not None else float("inf")

    if origin is None:
        return sorted(onsets, key=lambda s: (when(s), s))
    depth = {origin: 0}
    for _ in range(len(graph) + 1):  # relax along calls; a path never needs more steps than there are edges
        changed = False
        for edge in graph:
            if edge.callee in depth and edge.caller != origin and depth.get(edge.caller, -1) < depth[edge.callee] + 1 \
                    and depth[edge.callee] < len(graph):
                depth[edge.caller] = depth[edge.callee] + 1
                changed = True
        if not changed:
            break
    order = sorted(depth, key=lambda s: (depth[s], when(s), s))
    order.extend(sorted((s for s in onsets if s not in depth), key=lambda s: (when(s), s)))
    return order


def _edge_evidence(graph: list[CallEdge]) -> list[str]:
    return [f"{e.caller} calls {e.callee}: {'; '.join(e.reasons[:2])}." for e in sorted(
        graph, key=lambda e: (-e.strength, -e.weight))[:6]]


def _onset_evidence(onsets: Mapping[str, datetime], origin: str | None) -> list[str]:
    if len(onsets) < 2:
        return []
    ordered = sorted(onsets.items(), key=lambda item: item[1])
    lead_service, lead = ordered[0]
    lags = ", ".join(f"{s} {_lag(t - lead)}" for s, t in ordered[1:])
    text = f"{lead_service}'s errors rose first, at {lead:%H:%M:%S}; then {lags}."
    if origin and lead_service != origin:
        text += (f" Onsets alone would point at {lead_service}, but it calls what fails: a caller logs its failure "
                 "as soon as it gives up, often before the callee logs its own.")
    return [text]


def _request_evidence(first_loggers: Counter[str], requests: int, origin: str | None) -> list[str]:
    if not first_loggers:
        return []
    service, count = first_loggers.most_common(1)[0]
    text = f"{requests} failing request(s) carry errors from more than one service (by correlation or trace id)"
    if origin and service != origin:
        return [text + f"; in {count} of them {service} logged first, though the failure lies deeper, in {origin}: "
                f"{service} gave up or relayed the failure before {origin} reported it."]
    return [text + f"; in {count} of them {service} logged first."]


def _lag(delta: Any) -> str:
    seconds = int(delta.total_seconds())
    return f"+{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"+{seconds} s"
