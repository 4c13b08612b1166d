"""The JSON report: a documented, versioned contract (docs/report-json.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from faultlens.model import (
    Deliverables,
    DeployImpact,
    Diagnosis,
    Event,
    Incident,
    Issue,
    Report,
    SuspectCommit,
    Trend,
    Why,
    exception_dict,
)

SCHEMA = "faultlens.report/1"


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def event_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "timestamp": _time(event.timestamp),
        "level": event.level,
        "message": event.message,
        "service": event.service,
        "environment": event.environment,
        "host": event.host,
        "release": event.release,
        "logger": event.logger,
        "thread": event.thread,
        "platform": event.platform,
        "exceptions": [exception_dict(e) for e in event.exceptions],
        "trace_id": event.trace_id,
        "span_id": event.span_id,
        "correlation_id": event.correlation_id,
        "user": {"id": event.user_id, "ip": event.user_ip, "session_id": event.session_id},
        "request": {"method": event.http_method, "path": event.http_path, "status_code": event.http_status,
                    "duration_ms": event.duration_ms},
        "tags": event.tags,
        "context": event.context,
        "source": {"path": event.source.path, "line": event.source.line},
    }


def issue_json(issue: Issue) -> dict[str, Any]:
    return {
        "fingerprint": issue.fingerprint,
        "title": issue.title,
        "type": issue.type,
        "message": issue.message,
        "level": issue.level,
        "culprit": issue.culprit,
        "count": issue.count,
        "users": issue.users,
        "services": issue.services,
        "releases": issue.releases,
        "environments": issue.environments,
        "first_seen": _time(issue.first_seen),
        "last_seen": _time(issue.last_seen),
        "impact": issue.impact,
        "status": issue.status,
        "severity": issue.severity.value if issue.severity else None,
        "severity_reason": issue.severity.reason if issue.severity else None,
        "category": issue.category.value if issue.category else None,
        "category_reason": issue.category.reason if issue.category else None,
        "observability": issue.observability.value if issue.observability else None,
        "observability_reason": issue.observability.reason if issue.observability else None,
        "classification_evidence": {name: verdict.evidence for name, verdict in
                                    (("severity", issue.severity), ("category", issue.category),
                                     ("observability", issue.observability)) if verdict is not None},
        "trend": trend_json(issue.trend) if issue.trend else None,
        "sessions": issue.reach.sessions if issue.reach else None,
        "requests": issue.reach.requests if issue.reach else None,
        "failed_share": issue.reach.failed_share if issue.reach else None,
        "priority": issue.reach.priority if issue.reach else None,
        "priority_reason": issue.reach.reason if issue.reach else None,
        "patterns": [{"key": t.key, "value": t.value, "issue_share": t.issue_share,
                      "overall_share": t.overall_share, "lift": t.lift, "events": t.count} for t in issue.patterns],
        "suspect_deploy": deploy_ref(issue.suspect_deploy) if issue.suspect_deploy else None,
        "diagnosis": diagnosis_json(issue.diagnosis) if issue.diagnosis else None,
        "recommendations": issue.recommendations,
        "deliverables": deliverables_json(issue.deliverables) if issue.deliverables else None,
        "grouping": issue.grouping,
        "suspect_commits": [suspect_commit_json(c) for c in issue.suspect_commits],
        "sample": event_json(issue.sample) if issue.sample else None,
    }


def suspect_commit_json(commit: SuspectCommit) -> dict[str, Any]:
    return {"sha": commit.sha, "author": commit.author, "date": _time(commit.date), "message": commit.message,
            "files": commit.files, "reason": commit.reason, "score": commit.score}


def whys_json(whys: list[Why]) -> list[dict[str, Any]]:
    return [{"answer": w.answer, "evidence": w.evidence} for w in whys]


def incident_json(incident: Incident) -> dict[str, Any]:
    trigger = incident.trigger
    return {
        "id": incident.id,
        "start": _time(incident.start),
        "end": _time(incident.end),
        "status": incident.status,
        "severity": incident.severity,
        "origin_service": incident.origin_service,
        "root_cause": {"kind": incident.root_cause_kind, "summary": incident.root_cause_summary},
        "trigger": {"kind": trigger.kind, "service": trigger.service, "release": trigger.release,
                    "time": _time(trigger.time), "description": trigger.description},
        "affected_services": incident.affected_services,
        "issues": incident.issues,
        "errors": incident.errors,
        "users": incident.users,
        "peak_error_rate": incident.peak_error_rate,
        "services": [{"service": i.service, "role": i.role, "onset": _time(i.onset), "errors": i.errors,
                      "users": i.users, "rate_before": i.rate_before, "rate_early": i.rate_early,
                      "rate_peak": i.rate_peak, "peak_at": _time(i.peak_at), "rate_after": i.rate_after}
                     for i in incident.impacts],
        "evidence": incident.evidence,
        "five_whys": whys_json(incident.five_whys),
        "timeline": [{"time": _time(e.time), "service": e.service, "what": e.what, "evidence": e.evidence}
                     for e in incident.timeline],
        "mitigation": incident.mitigation,
        "contributing_factors": incident.contributing_factors,
        "action_items": incident.action_items,
        "deliverables": deliverables_json(incident.deliverables) if incident.deliverables else None,
    }


def trend_json(trend: Trend) -> dict[str, Any]:
    return {
        "status": trend.status,
        "reason": trend.reason,
        "bucket_seconds": trend.bucket_seconds,
        "series": [[_time(start), count] for start, count in trend.series],
        "baseline": trend.baseline,
        "peak": trend.peak,
        "peak_at": _time(trend.peak_at),
        "spike_score": trend.spike_score,
        "spikes": [_time(s) for s in trend.spikes],
        "periodic_seconds": trend.periodic_seconds,
    }


def diagnosis_json(diagnosis: Diagnosis) -> dict[str, Any]:
    return {
        "pattern": diagnosis.pattern_id, "title": diagnosis.title, "category": diagnosis.category,
        "severity": diagnosis.severity, "root_cause_kind": diagnosis.root_cause_kind,
        "explanation": diagnosis.explanation, "score": diagnosis.score, "reasons": diagnosis.reasons,
        "fix": diagnosis.fix_summary, "fix_code": diagnosis.fix_code, "testing": diagnosis.testing,
        "prevention": diagnosis.prevention, "monitoring": diagnosis.monitoring, "alert": diagnosis.alert,
        "runbook": diagnosis.runbook,
    }


def deliverables_json(d: Deliverables) -> dict[str, Any]:
    return {
        "error_summary": d.summary,
        "root_cause": d.root_cause,
        "five_whys": whys_json(d.five_whys),
        "evidence": d.evidence,
        "immediate_fix": d.immediate_fix,
        "fix_code": d.fix_code,
        "testing_strategy": d.testing,
        "preventive_measures": d.prevention,
        "monitoring": d.monitoring,
        "runbook": d.runbook,
    }


def deploy_ref(impact: DeployImpact) -> dict[str, Any]:
    deploy = impact.deploy
    return {"service": deploy.service, "release": deploy.release, "kind": deploy.kind, "time": _time(deploy.time)}


def deploy_json(impact: DeployImpact) -> dict[str, Any]:
    deploy = impact.deploy
    return {
        "service": deploy.service, "release": deploy.release, "previous_release": deploy.previous_release,
        "kind": deploy.kind, "time": _time(deploy.time), "source": deploy.source, "commit": deploy.commit,
        "description": deploy.description,
        "before": {"errors": impact.errors_before, "records": impact.records_before, "rate": impact.rate_before},
        "after": {"errors": impact.errors_after, "records": impact.records_after, "rate": impact.rate_after},
        "window_seconds": impact.window_seconds, "p_value": impact.p_value, "significant": impact.significant,
        "suspected_issues": impact.suspected_issues,
    }


def report_json(report: Report) -> dict[str, Any]:
    stats = report.stats
    return {
        "schema": SCHEMA,
        "generated_at": _time(report.generated_at),
        "window": {"start": _time(report.window_start), "end": _time(report.window_end)},
        "summary": {
            "files": stats.files,
            "records": stats.records,
            "events": report.total_events,
            "events_read": stats.events,
            "events_new": stats.events_new,
            "issues": report.total_issues,
            "services": report.services,
            "formats": stats.formats,
            "skipped_inputs": stats.skipped_inputs,
            "skipped_lines": stats.skipped_lines,
            "problems": stats.problems,
        },
        "service_rates": [{"service": r.service, "records": r.records, "errors": r.errors,
                           "error_rate": r.error_rate, "requests": r.requests, "failed_requests": r.failed_requests,
                           "failed_share": r.failed_share} for r in report.service_rates],
        "deploys": [deploy_json(d) for d in report.deploys],
        "incidents": [incident_json(incident) for incident in report.incidents],
        "issues": [issue_json(issue) for issue in report.issues],
    }


def render_json(report: Report) -> str:
    return orjson.dumps(report_json(report), option=orjson.OPT_INDENT_2).decode() + "\n"
