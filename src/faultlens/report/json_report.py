"""The JSON report: a documented, versioned contract (docs/report-json.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from faultlens.model import Event, Issue, Report, exception_dict

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
        "grouping": issue.grouping,
        "sample": event_json(issue.sample) if issue.sample else None,
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
        "issues": [issue_json(issue) for issue in report.issues],
    }


def render_json(report: Report) -> str:
    return orjson.dumps(report_json(report), option=orjson.OPT_INDENT_2).decode() + "\n"
