"""The eight deliverables for an issue: summary, root cause with five whys, evidence, fix, testing,
prevention, monitoring and runbook.

Every "why" names the evidence it rests on (counts, times, file and line, rates), so a reader can
check each step; where the data cannot say, the step says so rather than guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from faultlens.model import Deliverables, DeployImpact, Issue, Why

GENERIC: dict[str, dict[str, list[str]]] = {
    "integration": {
        "fix": ["Bound every call to the failing dependency with a timeout shorter than the caller's own.",
                "Retry idempotent calls with exponential backoff and jitter, and open a circuit breaker when the "
                "dependency keeps failing."],
        "testing": ["Reproduce against a stub of the dependency that answers slowly, refuses, or returns 5xx.",
                    "Check that callers fail fast and recover once the stub answers again."],
        "prevention": ["Budget timeouts end to end", "Add circuit breakers and bulkheads per dependency"],
        "runbook": ["Check the dependency's health and recent changes", "Check the error rate of its callers",
                    "Fail over, shed load or roll back the dependency"],
    },
    "performance": {
        "fix": ["Find the slow or leaking operation (slow queries, held connections, unbounded buffers) and "
                "bound it; size pools and limits for the observed load."],
        "testing": ["Load-test the path at the observed peak rate and watch pool usage, latency and memory."],
        "prevention": ["Set query and request timeouts", "Track pool saturation and p95 latency per endpoint"],
        "runbook": ["Check saturation (pools, memory, CPU)", "Find what changed in load or code",
                    "Scale out, shed load or roll back"],
    },
    "configuration": {
        "fix": ["Restore the missing or wrong setting, and make the service check its settings at start-up."],
        "testing": ["Start the service with the production configuration in a staging run."],
        "prevention": ["Validate configuration at start-up", "Keep configuration in version control with review"],
        "runbook": ["Compare the running configuration with the last good one", "Revert the change"],
    },
    "security": {
        "fix": ["Block the offending clients or inputs, and confirm authentication and authorization behave."],
        "testing": ["Replay the requests against a staging instance and confirm they are refused."],
        "prevention": ["Rate-limit authentication", "Validate and encode every input"],
        "runbook": ["Identify the sources", "Block or rate-limit them", "Check for successful intrusions"],
    },
    "logic": {
        "fix": ["Correct the invalid state or input handling at the first application frame."],
        "testing": ["Write a failing test with the input from the sample event, then fix until it passes."],
        "prevention": ["Validate inputs at the boundary", "Add property-based tests for the invariant"],
        "runbook": ["Identify the inputs that fail", "Disable the feature or roll back if widespread"],
    },
    "runtime": {
        "fix": ["Handle the failing case at the first application frame (guard the missing value, the wrong "
                "type or the out-of-range index) instead of letting it raise."],
        "testing": ["Write a failing test from the sample event's input and call path, then fix."],
        "prevention": ["Type-check and lint for the failing construct", "Cover the path with tests"],
        "runbook": ["Find the input and path from the sample event", "Roll back if the error began with a deploy"],
    },
}


def build_deliverables(issue: Issue, lines: Sequence[dict[str, Any]], deploys: Sequence[DeployImpact]) -> Deliverables:
    """Compose the eight deliverables from what the analyses found for one issue."""
    category = issue.category.value if issue.category else "runtime"
    generic = GENERIC.get(category, GENERIC["runtime"])
    diagnosis = issue.diagnosis
    evidence = _evidence(issue, lines)
    whys = _five_whys(issue, lines, deploys)
    suspect = issue.suspect_deploy
    fix = []
    if suspect is not None and suspect.deploy.kind == "deploy" and suspect.deploy.previous_release:
        fix.append(f"Mitigate now: roll {suspect.deploy.service} back from {suspect.deploy.release} to "
                   f"{suspect.deploy.previous_release}, then fix forward.")
    elif suspect is not None and suspect.deploy.kind == "config":
        fix.append(f"Mitigate now: revert the configuration change on {suspect.deploy.service} "
                   f"({(suspect.deploy.description or '')[:100]}).")
    fix.append(diagnosis.fix_summary if diagnosis and diagnosis.fix_summary else " ".join(generic["fix"]))
    monitoring = []
    if diagnosis and diagnosis.alert:
        monitoring.append(f"Alert: {diagnosis.alert}")
    if diagnosis and diagnosis.monitoring:
        monitoring.append(diagnosis.monitoring)
    services = ", ".join(issue.services) or "the service"
    monitoring.append(f"Alert when the error rate of {services} rises above its baseline for 5 minutes, and when "
                      "an issue with a new fingerprint appears after a deploy.")
    return Deliverables(
        summary=_summary(issue),
        root_cause=_root_cause(issue),
        five_whys=whys,
        evidence=evidence,
        immediate_fix=" ".join(fix),
        fix_code=diagnosis.fix_code if diagnosis else [],
        testing=diagnosis.testing if diagnosis and diagnosis.testing else generic["testing"],
        prevention=diagnosis.prevention if diagnosis and diagnosis.prevention else generic["prevention"],
        monitoring=monitoring,
        runbook=diagnosis.runbook if diagnosis and diagnosis.runbook else generic["runbook"],
    )


def _t(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def _summary(issue: Issue) -> str:
    parts = [f"{issue.title}: {issue.count:,} events"]
    if issue.users:
        parts.append(f"{issue.users:,} users")
    parts.append(f"in {', '.join(issue.services) or 'an unnamed service'}")
    parts.append(f"from {_t(issue.first_seen)} to {_t(issue.last_seen)}")
    text = ", ".join(parts) + "."
    if issue.reach and issue.reach.failed_share is not None:
        text += f" {issue.reach.failed_share:.1%} of requests failed while it was active."
    if issue.trend:
        text += f" Trend: {issue.trend.status} ({issue.trend.reason})."
    if issue.severity:
        text += f" Severity {issue.severity.value}: {issue.severity.reason}."
    return text


def _root_cause(issue: Issue) -> str:
    diagnosis = issue.diagnosis
    chain = issue.sample.exceptions if issue.sample else []
    origin = chain[0] if chain else None
    text = ""
    if diagnosis is not None:
        text = f"{diagnosis.title}. {diagnosis.explanation}"
    elif origin is not None:
        text = f"{origin.type}: {origin.value}".rstrip(": ") + (f", raised in {issue.culprit}" if issue.culprit else "")
    else:
        text = issue.title
    suspect = issue.suspect_deploy
    if suspect is not None:
        text += f" It began after {_change(suspect)}"
        if suspect.rate_before is not None and suspect.rate_after is not None:
            text += f" (error rate {suspect.rate_before:.2%} → {suspect.rate_after:.2%})"
        text += "."
    return text


def _change(impact: DeployImpact) -> str:
    deploy = impact.deploy
    if deploy.kind == "config":
        return f"a configuration change on {deploy.service} at {_t(deploy.time)} ({(deploy.description or '')[:80]})"
    previous = f" from {deploy.previous_release}" if deploy.previous_release else ""
    return f"{deploy.service} was deployed{previous} to {deploy.release} at {_t(deploy.time)}"


def _evidence(issue: Issue, lines: Sequence[dict[str, Any]]) -> list[str]:
    evidence = []
    sample = issue.sample
    if sample is not None and sample.stacktrace:
        excerpt = "\n".join(sample.stacktrace.splitlines()[:14])
        evidence.append(f"Trace ({sample.source.path}:{sample.source.line}):\n{excerpt}")
    for line in lines:
        evidence.append(f"{line['source_path']}:{line['source_line']} {_t(line['timestamp'])} {line['message'][:200]}")
    if issue.trend and issue.trend.peak:
        evidence.append(f"Peak {issue.trend.peak} events per {issue.trend.bucket_seconds // 60 or 1} min at "
                        f"{_t(issue.trend.peak_at)}; baseline {issue.trend.baseline:g}")
    for lift in issue.patterns[:3]:
        evidence.append(f"{lift.issue_share:.0%} of events have {lift.key}={lift.value} "
                        f"({lift.overall_share:.0%} of all; lift {lift.lift})")
    suspect = issue.suspect_deploy
    if suspect is not None and suspect.rate_before is not None and suspect.rate_after is not None:
        p = f", p={suspect.p_value:.2g}" if suspect.p_value is not None else ""
        evidence.append(f"{suspect.deploy.service} error rate {suspect.rate_before:.2%} before and "
                        f"{suspect.rate_after:.2%} after {suspect.deploy.release} at {_t(suspect.deploy.time)}{p}")
    return evidence


def _five_whys(issue: Issue, lines: Sequence[dict[str, Any]], deploys: Sequence[DeployImpact]) -> list[Why]:
    sample = issue.sample
    chain = sample.exceptions if sample else []
    where = f"{sample.source.path}:{sample.source.line}" if sample else "the sample event"
    whys = [Why(f"{', '.join(issue.services) or 'The service'} logged “{issue.title}” {issue.count:,} times",
                [f"{issue.count} events from {_t(issue.first_seen)} to {_t(issue.last_seen)}", f"sample at {where}"])]
    if len(chain) > 1:
        root = chain[0]
        whys.append(Why(f"Because {root.type}: {root.value}".rstrip(": ") + " was raised underneath it",
                        [f"the exception chain of the sample: {' ← '.join(e.type for e in reversed(chain))}"]))
    elif issue.culprit:
        whys.append(Why(f"Because the application raised it in {issue.culprit}",
                        [f"deepest in-app frame of the sample at {where}"]))
    else:
        whys.append(Why("Because the service reported a failure without a stack trace",
                        [f"message template: {sample.template if sample else issue.title}"]))
    if issue.diagnosis is not None:
        whys.append(Why(issue.diagnosis.explanation.split(". ")[0].rstrip(".") + ".",
                        [f"known pattern {issue.diagnosis.pattern_id}: {', '.join(issue.diagnosis.reasons)}"]))
    elif issue.category is not None:
        whys.append(Why(f"Because of a {issue.category.value} failure: {issue.category.reason}",
                        issue.category.evidence))
    suspect = issue.suspect_deploy
    if suspect is not None:
        evidence = [f"first event {_t(issue.first_seen)}, {_minutes(suspect.deploy.time, issue.first_seen)} after it"]
        if suspect.rate_before is not None and suspect.rate_after is not None:
            evidence.append(f"error rate {suspect.rate_before:.2%} → {suspect.rate_after:.2%}")
        whys.append(Why(f"Because {_change(suspect)}", evidence))
    elif issue.observability is not None and issue.observability.value in ("environmental", "load-dependent"):
        whys.append(Why(f"Because it depends on where or how hard the service runs: {issue.observability.reason}",
                        issue.observability.evidence))
    elif issue.trend is not None and issue.trend.status in ("new", "regressed"):
        seen = ", ".join(f"{d.deploy.service} {d.deploy.release} at {_t(d.deploy.time)}" for d in deploys[:3])
        whys.append(Why("No deploy or config change preceded it: the trigger is outside what the logs record",
                        [f"changes seen: {seen or 'none'}", f"first event {_t(issue.first_seen)}"]))
    else:
        whys.append(Why(f"It is a standing condition: {issue.trend.reason if issue.trend else 'no trend data'}",
                        [f"{issue.count} events over the window"]))
    prevention = issue.diagnosis.prevention[0] if issue.diagnosis and issue.diagnosis.prevention else None
    whys.append(Why(
        "Because nothing stopped it before users saw it" + (f": missing safeguard — {prevention}" if prevention
                                                            else ": no test, limit or alert caught it first"),
        [f"first detected in the logs at {_t(issue.first_seen)}",
         f"severity {issue.severity.value if issue.severity else '?'}"]))
    return whys[:5]


def _minutes(start: datetime, end: datetime) -> str:
    seconds = int((end - start).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"
