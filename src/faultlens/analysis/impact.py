"""Impact: the users, sessions and requests an issue touched, the share of requests it failed,
and the priority that combines severity, reach and trend."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from faultlens.model import Impact, Issue

SEVERITY_WEIGHT = {"critical": 4.0, "high": 3.0, "medium": 2.0, "low": 1.0}
TREND_WEIGHT = {"new": 1.5, "regressed": 1.5, "spiking": 1.3, "ongoing": 1.0, "resolved": 0.6}


def failed_share(issue: Issue, service_minutes: Sequence[dict[str, Any]]) -> float | None:
    """Failing requests of this issue over all requests its services answered while it was active."""
    if issue.sample is None or issue.sample.http_status is None:
        return None
    requests = sum(int(r["requests"] or 0) for r in service_minutes
                   if r["service"] in issue.services and issue.first_seen <= r["minute"] <= issue.last_seen)
    return min(issue.count / requests, 1.0) if requests else None


def impact(issue: Issue, reach: dict[str, Any] | None, share: float | None) -> Impact:
    """Reach and priority; severity and trend must already be set on the issue."""
    reach = reach or {}
    sessions = int(reach.get("sessions") or 0)
    requests = int(reach.get("correlations") or reach.get("requests") or 0)
    severity = issue.severity.value if issue.severity else "medium"
    status = issue.trend.status if issue.trend else "ongoing"
    breadth = 1.0 + 0.25 * max(len(issue.services) - 1, 0)
    reach_score = 1.0 + math.log1p(issue.users) + 0.5 * math.log1p(issue.count) + (2.0 * share if share else 0.0)
    priority = round(SEVERITY_WEIGHT[severity] * reach_score * TREND_WEIGHT.get(status, 1.0) * breadth, 2)
    parts = [f"{severity} severity", f"{issue.users} user(s)", f"{issue.count} event(s)", f"trend {status}"]
    if share is not None:
        parts.append(f"{share:.1%} of requests failed")
    if len(issue.services) > 1:
        parts.append(f"{len(issue.services)} services")
    return Impact(users=issue.users, sessions=sessions, requests=requests, failed_share=share, priority=priority,
                  reason=", ".join(parts))
