"""An incident's story: evidence, five whys, timeline, impact, status, contributing factors and actions.

Everything here is what the incident commander's notices are written from, so each claim keeps
the numbers or lines it rests on; where the data cannot say (no trigger in the data, an outside
dependency that writes no logs), the story says so rather than guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from faultlens.analysis.deliverables import build_deliverables
from faultlens.analysis.incident_impact import SETTLE, service_impacts
from faultlens.analysis.incident_signals import CascadeSignal, describe
from faultlens.analysis.origin import OriginFinding
from faultlens.model import DeployImpact, Incident, Issue, ServiceImpact, TimelineEntry, Trigger, Why
from faultlens.store.base import Store

SEVERITIES = ("low", "medium", "high", "critical")
MANY_USERS = 50
HIGH_FAILED_SHARE = 0.05
CRITICAL_FAILED_SHARE = 0.5
CALLER_GAVE_UP = timedelta(seconds=1)


@dataclass(slots=True)
class StoryInputs:
    """What the incident's analyses found, handed to `tell`."""

    draft_start: datetime
    draft_end: datetime
    standing: bool
    onsets: dict[str, datetime]
    fingerprints: set[str]
    firsts: dict[str, datetime]
    precursors: set[str]
    finding: OriginFinding
    trigger: Trigger
    change: DeployImpact | None
    trigger_evidence: list[str]
    kind: str
    kind_reason: str
    summary: str
    leading: Issue | None
    issues: Mapping[str, Issue]
    signals: list[CascadeSignal]
    deploys: Sequence[DeployImpact]
    service_minutes: Sequence[dict[str, Any]]
    edge_services: set[str]
    window_end: datetime
    errors: Mapping[str, int]
    requests: Sequence[dict[str, Any]]
    outside: list[str]
    store: Store


def tell(given: StoryInputs) -> Incident:
    """The Incident, with everything the notices and the report draw."""
    finding = given.finding
    origin = finding.origin
    cascade = finding.cascade
    start, end = given.draft_start, given.draft_end
    fingerprints = sorted(given.fingerprints, key=lambda fp: -(given.issues[fp].count if fp in given.issues else 0))
    reach = {row["service"]: int(row["users"]) for row in given.store.query(
        "incident_reach", since=start, until=end, fingerprints=fingerprints)}
    users = given.store.query("incident_users", since=start, until=end, fingerprints=fingerprints)[0]
    impacts = service_impacts(cascade, origin, given.onsets, given.errors, reach, given.service_minutes,
                              given.edge_services, start, end, given.window_end)
    involved = [given.issues[fp] for fp in fingerprints if fp in given.issues]
    mitigation, mitigated_at = _mitigation(given, origin)
    incident = Incident(
        id=f"{start:%Y%m%d-%H%M}-{origin or 'unknown'}", start=start, end=end, origin_service=origin,
        affected_services=cascade, root_cause_kind=given.kind, root_cause_summary=given.summary,
        trigger=given.trigger, issues=fingerprints, errors=sum(given.errors.values()),
        users=int(users["users"] or 0), impacts=impacts, mitigation=mitigation)
    incident.peak_error_rate = _headline(impacts).rate_peak if impacts else None
    incident.severity = _severity(involved, impacts, incident.users)
    incident.status = _status(given, end, mitigation)
    gave_up = _callers_gave_up(given.requests, origin, given.edge_services)
    incident.evidence = _evidence(given, gave_up)
    incident.timeline = _timeline(given, involved, mitigation, mitigated_at, impacts)
    incident.contributing_factors = _factors(given, involved, gave_up)
    incident.five_whys = _five_whys(given, incident, involved)
    incident.action_items = _actions(given, involved, gave_up)
    if given.leading is not None:
        deliverables = build_deliverables(given.leading, [], given.deploys)
        deliverables.summary = _headline_text(incident)
        deliverables.root_cause = given.summary
        deliverables.five_whys = incident.five_whys
        deliverables.evidence = incident.evidence
        incident.deliverables = deliverables
    return incident


def _headline(impacts: Sequence[ServiceImpact]) -> ServiceImpact:
    """The service whose rate users felt: the edge when there is one, else the origin."""
    return next((i for i in impacts if i.role == "edge"), impacts[0])


def _headline_text(incident: Incident) -> str:
    services = ", ".join(incident.affected_services)
    text = (f"From {_t(incident.start)} to {_t(incident.end)}, {services} failed: {incident.errors:,} errors, "
            f"{incident.users:,} users affected.")
    if incident.peak_error_rate is not None and incident.impacts:
        text += f" {_headline(incident.impacts).service} peaked at {incident.peak_error_rate:.1%} failing."
    return text


def _severity(involved: Sequence[Issue], impacts: Sequence[ServiceImpact], users: int) -> str:
    rank = max((SEVERITIES.index(i.severity.value) for i in involved if i.severity), default=1)
    if users >= MANY_USERS or any((i.rate_peak or 0) >= HIGH_FAILED_SHARE for i in impacts if i.role == "edge"):
        rank = max(rank, 2)
    if any((i.rate_peak or 0) >= CRITICAL_FAILED_SHARE for i in impacts if i.role == "edge"):
        rank = 3
    return SEVERITIES[rank]


def _status(given: StoryInputs, end: datetime, mitigation: str | None) -> str:
    if given.window_end - end >= SETTLE:
        return "resolved"
    return "mitigated" if mitigation else "ongoing"


def _mitigation(given: StoryInputs, origin: str | None) -> tuple[str | None, datetime | None]:
    """A rollback, a new release or a configuration change on the origin while it failed."""
    service = given.trigger.service or origin
    after = given.trigger.time if given.trigger.kind in ("deploy", "config") and given.trigger.time else None
    later = [d.deploy for d in given.deploys if d.deploy.service == service
             and given.draft_start <= d.deploy.time <= given.draft_end + timedelta(minutes=5)
             and (after is None or d.deploy.time > after)]
    if not later:
        return None, None
    deploy = later[0]
    if deploy.kind == "config":
        return f"configuration changed on {deploy.service} at {_t(deploy.time)}", deploy.time
    if given.trigger.kind == "deploy" and given.change and deploy.release == given.change.deploy.previous_release:
        return f"{deploy.service} rolled back to {deploy.release} at {_t(deploy.time)}", deploy.time
    return f"{deploy.service} {deploy.release} deployed at {_t(deploy.time)}", deploy.time


def _callers_gave_up(requests: Sequence[dict[str, Any]], origin: str | None,
                     edge_services: set[str]) -> dict[str, list[float]]:
    """Per caller, how many seconds before the origin logged its own error the caller logged its failure.

    Access logs are left out: they stamp a request when it arrived or ended, to the second, not
    when the proxy gave up on it.
    """
    gaps: dict[str, list[float]] = {}
    for row in requests:
        times = dict(zip(row["services"], row["firsts"], strict=True))
        if origin not in times:
            continue
        for service, when in times.items():
            if service != origin and service not in edge_services and times[origin] - when >= CALLER_GAVE_UP:
                gaps.setdefault(service, []).append((times[origin] - when).total_seconds())
    return gaps


def _evidence(given: StoryInputs, gave_up: Mapping[str, list[float]]) -> list[str]:
    evidence = [f"Root-cause kind {given.kind}: {given.kind_reason}."]
    evidence += given.trigger_evidence
    evidence += given.finding.evidence
    for service, gaps in gave_up.items():
        evidence.append(f"In {len(gaps)} failing request(s) {service} logged its failure {min(gaps):.0f}–"
                        f"{max(gaps):.0f} s before {given.finding.origin} logged its own: it gave up waiting.")
    evidence += [f"Cascade signal — {describe(s)}." for s in given.signals]
    leading = given.leading
    if leading is not None:
        where = f" at {leading.culprit}" if leading.culprit else ""
        evidence.append(f"{given.finding.origin}'s leading issue: {leading.title[:160]} ({leading.count:,} events "
                        f"from {_t(leading.first_seen)}{where}).")
    return evidence


def _timeline(given: StoryInputs, involved: Sequence[Issue], mitigation: str | None, mitigated_at: datetime | None,
              impacts: Sequence[ServiceImpact]) -> list[TimelineEntry]:
    entries = []
    trigger = given.trigger
    if trigger.kind in ("deploy", "config") and trigger.time is not None:
        entries.append(TimelineEntry(trigger.time, trigger.service, f"Change: {trigger.description}",
                                     given.trigger_evidence[0] if given.trigger_evidence else ""))
    elif trigger.kind == "load" and trigger.time is not None:
        entries.append(TimelineEntry(trigger.time, trigger.service, f"Traffic surge: {trigger.description}"))
    for issue in involved:
        first = given.firsts.get(issue.fingerprint)
        if issue.fingerprint in given.precursors and first is not None:
            service = issue.services[0] if issue.services else None
            entries.append(TimelineEntry(first, service, f"First warning: {issue.title[:120]}",
                                         f"issue {issue.fingerprint}, {issue.count} events"))
    for service, onset in sorted(given.onsets.items(), key=lambda item: item[1]):
        opener = min((i for i in involved if service in i.services and i.level in ("error", "fatal")),
                     key=lambda i: abs((given.firsts.get(i.fingerprint, i.first_seen) - onset).total_seconds()),
                     default=None)
        what = f"First error in {service}" + (f": {opener.title[:120]}" if opener else "")
        entries.append(TimelineEntry(onset, service, what, f"issue {opener.fingerprint}" if opener else ""))
    for signal in given.signals:
        entries.append(TimelineEntry(signal.first, signal.service, f"Cascade signal: {signal.kind}", describe(signal)))
    if impacts:
        head = _headline(impacts)
        if head.peak_at is not None and head.rate_peak is not None:
            entries.append(TimelineEntry(head.peak_at, head.service, f"Peak: {head.rate_peak:.1%} failing in "
                                         f"{head.service}", "worst minute of the incident"))
    if mitigation and mitigated_at is not None:
        entries.append(TimelineEntry(mitigated_at, given.trigger.service or given.finding.origin,
                                     f"Mitigation: {mitigation}"))
    entries.append(TimelineEntry(given.draft_end, None, "Last error of the incident" if not given.standing
                                 else "Last failing request in the data"))
    return sorted(entries, key=lambda e: e.time)


def _factors(given: StoryInputs, involved: Sequence[Issue], gave_up: Mapping[str, list[float]]) -> list[str]:
    origin = given.finding.origin
    factors = []
    if given.standing:
        factors.append("The defect was present throughout the data and fails at random moments, so it never "
                       "showed as a spike that alerting on rates would catch.")
    change = given.change
    if change is not None and change.rate_before is not None and change.rate_after is not None:
        factors.append(f"The change reached all of {change.deploy.service} at once: its error rate went from "
                       f"{change.rate_before:.2%} to {change.rate_after:.2%} with nothing stopping the rollout.")
    precursors = [(given.firsts[i.fingerprint], i) for i in involved
                  if i.fingerprint in given.precursors and i.fingerprint in given.firsts and origin in i.services]
    if precursors:
        when, first = min(precursors, key=lambda item: item[0])
        lead = int((given.draft_start - when).total_seconds() // 60)
        factors.append(f"{origin} warned {lead} min before the first error (“{first.title[:100]}”), and nothing "
                       "acted on the warnings.")
    for service, gaps in gave_up.items():
        factors.append(f"{service} times out before {origin} gives up (by {min(gaps):.0f}–{max(gaps):.0f} s), so "
                       f"{origin} kept working on requests nobody was waiting for.")
    for signal in given.signals:
        factors.append(f"{signal.service}: {signal.kind} ({signal.events} events) added load or delay while "
                       f"{origin} was failing.")
    callers = [s for s in given.finding.cascade if s != origin]
    if callers and not any(s.kind == "circuit breaker open" for s in given.signals) and not given.outside:
        factors.append(f"No circuit breaker opened in {', '.join(callers)}: callers kept sending requests to a "
                       f"failing {origin}.")
    if given.outside:
        factors.append(f"{origin} depends on {', '.join(given.outside[:2])}, which writes no logs or spans here: "
                       "its failure is seen only through its callers.")
    return factors


def _five_whys(given: StoryInputs, incident: Incident, involved: Sequence[Issue]) -> list[Why]:
    origin = given.finding.origin or "an unidentified service"
    impacts = incident.impacts
    head = _headline(impacts) if impacts else None
    callers = [s for s in incident.affected_services if s != origin]
    whys = []
    if head is not None:
        rate = f", {head.rate_peak:.1%} failing at the worst minute" if head.rate_peak is not None else ""
        whys.append(Why(
            f"{head.service} failed {head.errors:,} times between {_t(incident.start)} and {_t(incident.end)}{rate}",
            [f"{i.service}: {i.errors:,} errors, error rate {_pct(i.rate_before)} before, {_pct(i.rate_peak)} at "
             f"the peak" for i in impacts[:4]] + [f"{incident.users:,} users affected"]))
    if callers:
        whys.append(Why(f"Because {', '.join(callers)} depend on {origin}, and its failure reached them",
                        given.finding.evidence[:4] or ["services failed together"]))
    leading = given.leading
    if leading is not None:
        answer = f"Because {origin} failed on its own: {_short(leading.title, 100)}"
        cited = [f"issue {leading.fingerprint}: {leading.count:,} events from {_t(leading.first_seen)}"]
        if leading.diagnosis is not None:
            answer += f" — {leading.diagnosis.explanation.split('. ')[0].strip().rstrip('.')}"
            cited.append(f"known pattern {leading.diagnosis.pattern_id}")
        if leading.culprit:
            cited.append(f"raised in {leading.culprit}")
        whys.append(Why(answer, cited))
    trigger = given.trigger
    if trigger.kind is not None:
        whys.append(Why(f"Because of a {trigger.kind} change: {trigger.description}",
                        given.trigger_evidence or [f"at {_t(trigger.time)}"]))
    elif given.standing:
        whys.append(Why("Because the defect is latent: it is present for the whole of the data and fails whenever "
                        "its conditions meet, with no change to set it off", [
                            f"{len(given.requests)} failing requests spread from {_t(incident.start)} to "
                            f"{_t(incident.end)}", given.kind_reason]))
    else:
        seen = ", ".join(f"{d.deploy.service} {d.deploy.release} at {_t(d.deploy.time)}" for d in given.deploys[:3])
        whys.append(Why("No deploy, configuration change or traffic surge came before it: the trigger is outside "
                        "what the logs record", [f"changes seen: {seen or 'none'}", given.kind_reason]))
    factors = incident.contributing_factors
    prevention = leading.diagnosis.prevention[0] if leading and leading.diagnosis and leading.diagnosis.prevention \
        else None
    whys.append(Why("Because nothing contained it before users saw it" + (f". {factors[0]}" if factors else ""),
                    factors[1:3] + ([f"missing safeguard: {prevention}"] if prevention else [])
                    or [f"first error at {_t(incident.start)}"]))
    return whys[:5]


def _actions(given: StoryInputs, involved: Sequence[Issue], gave_up: Mapping[str, list[float]]) -> list[str]:
    origin = given.finding.origin
    leading = given.leading
    actions = []
    if leading is not None and leading.diagnosis is not None and leading.diagnosis.fix_summary:
        actions.append(f"Fix {origin}: {leading.diagnosis.fix_summary}")
    elif leading is not None:
        actions.append(f"Fix {origin}: {leading.title[:120]}" + (f" in {leading.culprit}" if leading.culprit else ""))
    if given.trigger.kind == "deploy":
        actions.append(f"Gate {given.trigger.service}'s deploys on its error rate: a canary and an automatic rollback "
                       "when the rate rises after a release.")
    elif given.trigger.kind == "config":
        actions.append("Validate configuration at start-up and roll configuration out like code (review, canary).")
    if leading is not None and leading.diagnosis is not None:
        actions += leading.diagnosis.prevention[:2]
        if leading.diagnosis.alert:
            actions.append(f"Alert: {leading.diagnosis.alert}")
    if origin:
        actions.append(f"Alert when {origin}'s error rate stays above its baseline for 5 minutes.")
    for service in gave_up:
        actions.append(f"Budget timeouts end to end: {service} should stop waiting no later than {origin} does, "
                       "and {origin} should drop work whose caller is gone.".replace("{origin}", str(origin)))
    for signal in given.signals:
        if signal.kind == "retry storm":
            actions.append(f"Cap {signal.service}'s retries with exponential backoff, jitter and a retry budget.")
        elif signal.kind == "dead letters":
            actions.append(f"Replay or discard {signal.service}'s dead letters once the fix is out.")
    callers = [s for s in given.finding.cascade if s != origin]
    if callers and not any(s.kind == "circuit breaker open" for s in given.signals) and not given.outside:
        actions.append(f"Add circuit breakers in {', '.join(callers)} around calls to {origin}.")
    if given.outside:
        actions.append(f"Put a timeout budget, a circuit breaker and a fallback around calls to "
                       f"{', '.join(given.outside[:2])}, and ask its owners for its status.")
    return list(dict.fromkeys(actions))


def _t(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pct(value: float | None) -> str:
    return f"{value:.2%}" if value is not None else "-"
