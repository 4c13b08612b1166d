"""Classification: severity, category and observability, each with the reason and evidence behind it.

Rules read what the data shows (levels, reach, trend, where events cluster, how they follow
traffic or a deploy) and what a known pattern says; every rule that fires leaves a line of
evidence, and the strongest decides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from faultlens.analysis.stats import binomial_sf, pearson
from faultlens.model import Issue, TagLift, Verdict

SEVERITIES = ("low", "medium", "high", "critical")

_CATEGORY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("security", re.compile(
        r"unauthori[sz]ed|forbidden|authentication fail|invalid (?:token|credentials|signature)|csrf|"
        r"access denied|injection|\$\{jndi:|\.\./\.\./|<script|brute.?force|permission denied for user", re.I)),
    ("configuration", re.compile(
        r"ImportError|ModuleNotFoundError|NoClassDefFoundError|NoSuchMethodError|ClassNotFoundException|"
        r"ImproperlyConfigured|Could not resolve placeholder|environment variable|missing (?:setting|config)|"
        r"not configured|Cannot find module|undefined symbol|no such (?:file|directory).{0,40}(?:conf|\.ya?ml|\.toml|"
        r"\.ini|\.env)|KeyError: '[A-Z][A-Z0-9_]{2,}'", re.I)),
    ("performance", re.compile(
        r"QueuePool|pool (?:exhausted|limit|timeout)|Connection is not available|too many (?:connections|clients|"
        r"open files)|OutOfMemory|MemoryError|out of memory|heap|OOMKilled|slow (?:query|request|response)|"
        r"took \d+ ?ms|statement timeout|deadlock|GC overhead|latency|backpressure|queue (?:full|depth)", re.I)),
    ("integration", re.compile(
        r"timed? ?out|timeout|connection (?:refused|reset|closed|aborted)|ECONNREFUSED|ECONNRESET|ETIMEDOUT|"
        r"ConnectException|SocketTimeout|ReadTimeout|ConnectTimeout|upstream|bad gateway|service unavailable|"
        r"gateway timeout|HTTPStatusError|HTTPError|\b50[234]\b|getaddrinfo|UnknownHost|no such host|ENOTFOUND|"
        r"certificate|SSL|TLS|circuit|rate limit|Too Many Requests|\b429\b|deadline exceeded|UNAVAILABLE", re.I)),
    ("logic", re.compile(
        r"AssertionError|assert|IllegalState|IllegalArgument|ValidationError|Invalid|unexpected (?:state|value)|"
        r"ValueError|ArithmeticException|ZeroDivision|checksum|constraint|duplicate key|unique", re.I)),
)

_CRITICAL_WORDS = re.compile(
    r"data (?:loss|corruption)|corrupt|OutOfMemory|out of memory|OOMKilled|segmentation fault|SIGSEGV|"
    r"panic:|fatal error|disk full|No space left", re.I)


def category(issue: Issue, diagnosis_category: str | None, diagnosis_title: str | None) -> Verdict:
    """Runtime, logic, integration, performance, configuration or security."""
    if diagnosis_category:
        return Verdict(diagnosis_category, f"matches the known pattern “{diagnosis_title}”",
                       [f"knowledge base: {diagnosis_title}"])
    text = _issue_text(issue)
    status = issue.sample.http_status if issue.sample else None
    if status in (401, 403):
        return Verdict("security", f"HTTP {status} answers", [f"status {status} on {issue.count} requests"])
    for name, pattern in _CATEGORY_RULES:
        match = pattern.search(text)
        if match:
            return Verdict(name, f"its type or message says “{match.group(0)}”", [f"text: {text[:160]}"])
    if status is not None and status >= 500:
        return Verdict("runtime", f"the service answered HTTP {status}", [f"status {status} on {issue.count} requests"])
    if issue.type:
        return Verdict("runtime", f"an exception ({issue.type}) with no sign of a dependency, resource or setting",
                       [f"exception {issue.type}"])
    return Verdict("runtime", "an error with no more specific sign", [f"message: {issue.title[:120]}"])


def severity(issue: Issue, share: float | None, diagnosis_severity: str | None, total_users: int) -> Verdict:
    """Critical, high, medium or low: the strongest rule that fires decides."""
    findings: list[tuple[str, str]] = []
    text = _issue_text(issue)
    if issue.level == "fatal":
        findings.append(("critical", "logged at fatal level (a crash or a process going down)"))
    word = _CRITICAL_WORDS.search(text)
    if word:
        findings.append(("critical", f"says “{word.group(0)}”"))
    if share is not None and share >= 0.5:
        findings.append(("critical", f"{share:.0%} of its service's requests failed while it was active"))
    if issue.category and issue.category.value == "security" and issue.count >= 50:
        findings.append(("critical", f"{issue.count} security events"))
    trend = issue.trend.status if issue.trend else "ongoing"
    if issue.users >= 20 or (total_users and issue.users / total_users >= 0.1 and issue.users >= 5):
        findings.append(("high", f"{issue.users} users affected"))
    if share is not None and share >= 0.05:
        findings.append(("high", f"{share:.1%} of requests failed"))
    if len(issue.services) > 1:
        findings.append(("high", f"seen in {len(issue.services)} services: {', '.join(issue.services)}"))
    if trend in ("new", "spiking", "regressed") and issue.count >= 20:
        findings.append(("high", f"{trend} and frequent ({issue.count} events)"))
    if issue.level in ("error", "fatal"):
        findings.append(("medium", f"an {issue.level} affecting {issue.users or 'no identified'} user(s)"))
    if issue.level == "warning":
        findings.append(("low", "a warning: degraded, not failed"))
    if issue.count <= 3 and issue.users <= 1:
        findings.append(("low", f"rare: {issue.count} event(s)"))
    if diagnosis_severity:  # last, so that observed evidence explains a tie
        # a pattern's usual severity is a prior, not an observation: only the data can make an issue critical
        hinted = "high" if diagnosis_severity == "critical" else diagnosis_severity
        findings.append((hinted, f"the known pattern is usually {diagnosis_severity}"))
    if not findings:
        findings.append(("low", "nothing points to user impact"))
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    value, reason = max(findings, key=lambda f: rank[f[0]])
    if issue.level == "warning" and not word and rank[value] > rank["medium"]:
        value, reason = "medium", f"a warning (degraded, not failed), though {reason}"
    return Verdict(value, reason, [f"{name}: {why}" for name, why in findings])


def observability(issue: Issue, lifts: Sequence[TagLift], traffic: Sequence[tuple[datetime, int]],
                  deploy_release: str | None) -> Verdict:
    """Deterministic, intermittent, environmental or load-dependent, judged from the data.

    A known race (a pattern whose root cause is a race condition) is intermittent whatever its
    spread: it depends on timing, so a busy service hits it in many minutes without it failing
    every time.
    """
    for lift in lifts:
        if lift.key == "release" and lift.value == deploy_release:
            continue  # a release-bound failure that began with its deploy is deterministic, below
        if lift.key in ("host", "environment", "region", "release") and lift.issue_share >= 0.9 \
                and binomial_sf(lift.count, round(lift.count / lift.issue_share), lift.overall_share) < 0.001:
            return Verdict("environmental", f"{lift.issue_share:.0%} of events on {lift.key} {lift.value}, "
                           f"which has {lift.overall_share:.0%} of the traffic",
                           [f"{lift.key}={lift.value}: lift {lift.lift}"])
    if issue.diagnosis is not None and issue.diagnosis.root_cause_kind == "race-condition":
        return Verdict("intermittent", f"a race: it depends on the timing of concurrent work "
                       f"(known pattern “{issue.diagnosis.title}”)", [f"knowledge base: {issue.diagnosis.pattern_id}"])
    counts = [count for _, count in issue.trend.series] if issue.trend else []
    active = _active(issue, counts)
    correlation = _load_correlation(issue, traffic)
    if correlation is not None and correlation >= 0.6:
        return Verdict("load-dependent", f"its rate follows traffic (correlation {correlation:.2f})",
                       [f"per-bucket correlation with the service's records: {correlation:.2f}"])
    if deploy_release and issue.trend and issue.trend.status in ("new", "regressed"):
        return Verdict("deterministic", f"it began with release {deploy_release} and recurs on the same path",
                       [f"first seen after the deploy of {deploy_release}", f"{issue.count} events"])
    if active:
        busy = sum(1 for c in active if c)
        coverage = busy / len(active)
        if coverage >= 0.6 and issue.count >= 5:
            return Verdict("deterministic", f"it recurs in {coverage:.0%} of the buckets while active",
                           [f"{busy} of {len(active)} buckets have events"])
        return Verdict("intermittent", f"sporadic: events in {coverage:.0%} of the buckets while active",
                       [f"{busy} of {len(active)} buckets have events, {issue.count} events in all"])
    return Verdict("intermittent", "too few events to see a pattern", [f"{issue.count} event(s)"])


def _active(issue: Issue, counts: list[int]) -> list[int]:
    if not issue.trend or not counts:
        return []
    series = issue.trend.series
    return [c for (start, c) in series if issue.first_seen.replace(second=0, microsecond=0) <= start <= issue.last_seen]


def _load_correlation(issue: Issue, traffic: Sequence[tuple[datetime, int]]) -> float | None:
    """Correlation of the issue's counts with its services' record counts, bucket by bucket."""
    if not issue.trend or len(traffic) < 8:
        return None
    by_bucket = dict(traffic)
    pairs = [(c, by_bucket.get(s, 0)) for s, c in issue.trend.series if s in by_bucket]
    if len(pairs) < 8 or sum(c for c, _ in pairs) < 10:
        return None
    return pearson([float(c) for c, _ in pairs], [float(t) for _, t in pairs])


def _issue_text(issue: Issue) -> str:
    parts = [issue.title, issue.type or ""]
    if issue.sample is not None:
        parts.extend(f"{e.module or ''}.{e.type}: {e.value}" for e in issue.sample.exceptions)
        parts.append(issue.sample.message)
    return " ".join(parts)
