"""The report `analyze` prints: every analysis run over the store, composed into one Report.

Order matters: trends first (deploy suspicion needs new and regressed issues), then deploys,
reach and clusters, then classification (severity reads reach and trend), then priority, and
last the deliverables for the issues that lead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from faultlens.analysis import classify
from faultlens.analysis.buckets import bucket_starts, choose_bucket, floor_time
from faultlens.analysis.deliverables import build_deliverables
from faultlens.analysis.deploys import deploy_impacts, release_deploys
from faultlens.analysis.diagnose import Diagnoser
from faultlens.analysis.impact import failed_share, impact
from faultlens.analysis.incidents import build_incidents
from faultlens.analysis.issues import list_issues
from faultlens.analysis.patterns import periodic_seconds, tag_lifts
from faultlens.analysis.rates import service_rates
from faultlens.analysis.suspects import GitRepo, suspect_commits
from faultlens.analysis.trends import build_trend
from faultlens.model import Deploy, Diagnosis, IngestStats, Issue, Report
from faultlens.store.base import Store

Diagnose = Callable[[Issue], Diagnosis | None]
DELIVERABLE_ISSUES = 5
SUSPECT_ISSUES = 25


def build_report(store: Store, stats: IngestStats, since: datetime | None = None, until: datetime | None = None,
                 min_level: str | None = None, limit: int | None = None, extra_deploys: Sequence[Deploy] = (),
                 diagnose: Diagnose | None = None, deliverable_issues: int = DELIVERABLE_ISSUES,
                 repo: Path | None = None) -> Report:
    """Run every analysis; `diagnose` defaults to the bundled knowledge base; `repo`, a git clone, adds
    suspect commits to the issues shown."""
    diagnose = diagnose or Diagnoser()
    issues = list_issues(store, since=since, until=until, min_level=min_level)
    totals = store.query("totals", since=since, until=until)[0]
    first, last = store.window()
    start, end = since or first, until or last
    report = Report(generated_at=datetime.now(UTC), window_start=start, window_end=end, stats=stats, issues=[],
                    total_events=int(totals["events"] or 0), total_issues=int(totals["issues"] or 0),
                    services=list(totals["services"] or []))
    report.service_rates = service_rates(store.query("volume_by_service", since=since, until=until))
    if not issues or start is None or end is None:
        report.issues = issues[:limit] if limit else issues
        return report
    size = choose_bucket(start, end)
    starts = bucket_starts(start, end, size)
    _trends(store, issues, starts, size, since, until)
    service_minutes = store.query("service_minutes")
    deploys = _deploys(store, extra_deploys)
    report.deploys = deploy_impacts(deploys, service_minutes, issues)
    reach = {row["fingerprint"]: row for row in store.query("issue_reach", since=since, until=until)}
    lifts = tag_lifts(store.query("tag_counts", since=since, until=until), _traffic(store, since, until))
    periods = {row["fingerprint"]: periodic_seconds([t.replace(tzinfo=UTC) for t in row["times"]])
               for row in store.query("issue_times", since=since, until=until)}
    traffic = _bucketed_traffic(service_minutes, size)
    total_users = sum(issue.users for issue in issues)
    for issue in issues:
        issue.patterns = lifts.get(issue.fingerprint, [])
        if issue.trend is not None:
            issue.trend.periodic_seconds = periods.get(issue.fingerprint)
        issue.diagnosis = diagnose(issue)
        diagnosis = issue.diagnosis
        issue.category = classify.category(issue, diagnosis.category if diagnosis else None,
                                           diagnosis.title if diagnosis else None)
        share = failed_share(issue, service_minutes)
        issue.severity = classify.severity(issue, share, diagnosis.severity if diagnosis else None, total_users)
        release = issue.suspect_deploy.deploy.release if issue.suspect_deploy else None
        issue_traffic = _merge(traffic, issue.services)
        issue.observability = classify.observability(issue, issue.patterns, issue_traffic, release)
        issue.reach = impact(issue, reach.get(issue.fingerprint), share)
        issue.recommendations = _recommendations(issue)
    issues.sort(key=lambda i: (-(i.reach.priority if i.reach else 0.0), -i.count, i.fingerprint))
    report.incidents = build_incidents(store, issues, report.deploys, service_minutes, start, end)
    shown = issues[:limit] if limit else issues
    leading = shown[:deliverable_issues]
    lines = defaultdict(list)
    for row in store.query("recent_lines", fingerprints=[i.fingerprint for i in leading]):
        lines[row["fingerprint"]].append(row)
    for issue in leading:
        issue.deliverables = build_deliverables(issue, lines[issue.fingerprint], report.deploys)
    if repo is not None:
        git = GitRepo(repo)
        for issue in shown[:SUSPECT_ISSUES]:
            issue.suspect_commits = suspect_commits(issue, git)
    report.issues = shown
    return report


def _trends(store: Store, issues: list[Issue], starts: list[datetime], size: int, since: datetime | None,
            until: datetime | None) -> None:
    counts: dict[str, dict[datetime, int]] = defaultdict(dict)
    for row in store.query("issue_buckets", since=since, until=until, bucket=size):
        counts[row["fingerprint"]][row["bucket"]] = int(row["events"])
    for issue in issues:
        series = counts.get(issue.fingerprint, {})
        issue.trend = build_trend([series.get(s, 0) for s in starts], starts, size, issue.first_seen,
                                  issue.last_seen, issue.first_seen_ever, issue.status)


def _deploys(store: Store, extra: Sequence[Deploy]) -> list[Deploy]:
    """Release changes read off the volume, plus stored and given changes, each once."""
    found = release_deploys(store.query("release_minutes"))
    for row in store.query("deploys"):
        found.append(Deploy(service=row["service"], release=row["release"], time=row["time"], source=row["source"],
                            commit=row["commit"], previous_release=row["previous_release"],
                            kind=row["kind"] or "deploy", description=row["description"]))
    found.extend(extra)
    unique: dict[tuple[str, str, str, datetime], Deploy] = {}
    for deploy in sorted(found, key=lambda d: d.time):
        unique.setdefault((deploy.service, deploy.release, deploy.kind, floor_time(deploy.time, 60)), deploy)
    return list(unique.values())


def _traffic(store: Store, since: datetime | None, until: datetime | None) -> dict[str, dict[str, int]]:
    traffic: dict[str, dict[str, int]] = {"host": defaultdict(int), "release": defaultdict(int)}
    for row in store.query("host_traffic", since=since, until=until):
        traffic["host"][row["host"]] += int(row["records"])
    for row in store.query("release_traffic", since=since, until=until):
        traffic["release"][row["release"]] += int(row["records"])
    return {key: dict(values) for key, values in traffic.items() if values}


def _bucketed_traffic(rows: Sequence[dict[str, Any]], size: int) -> dict[str, dict[datetime, int]]:
    traffic: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        # errors are left out: an issue's own lines would make it look as if it followed traffic
        traffic[row["service"]][floor_time(row["minute"], size)] += int(row["records"] or 0) - int(row["errors"] or 0)
    return traffic


def _merge(traffic: dict[str, dict[datetime, int]], services: Sequence[str]) -> list[tuple[datetime, int]]:
    merged: dict[datetime, int] = defaultdict(int)
    for service in services:
        for bucket, count in traffic.get(service, {}).items():
            merged[bucket] += count
    return sorted(merged.items())


def _recommendations(issue: Issue) -> list[str]:
    """Short next steps for the issue list; the full deliverables are built for the leading issues."""
    steps = []
    if issue.suspect_deploy is not None:
        deploy = issue.suspect_deploy.deploy
        if deploy.kind == "deploy" and deploy.previous_release:
            steps.append(f"Roll {deploy.service} back to {deploy.previous_release} (began after {deploy.release}).")
        elif deploy.kind == "config":
            steps.append(f"Revert the configuration change on {deploy.service}.")
    if issue.diagnosis is not None and issue.diagnosis.fix_summary:
        steps.append(issue.diagnosis.fix_summary)
    if issue.culprit:
        steps.append(f"Open {issue.culprit}: the deepest application frame.")
    for lift in issue.patterns[:1]:
        steps.append(f"Look at {lift.key} {lift.value}: {lift.issue_share:.0%} of events, {lift.overall_share:.0%} "
                     "of traffic.")
    if issue.trend is not None and issue.trend.periodic_seconds:
        steps.append(f"Recurs every {issue.trend.periodic_seconds} s: look for a scheduled job.")
    return steps
