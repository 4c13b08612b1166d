"""Issues ranked by impact: what broke, how often, for whom, where and since when."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import orjson

from faultlens.model import LEVELS, Issue
from faultlens.store.base import Store
from faultlens.store.rows import event_from_row

LEVEL_WEIGHT = {"fatal": 4.0, "error": 2.5, "warning": 1.0, "info": 0.4, "debug": 0.2}


def impact_score(count: int, users: int, services: int, level: str) -> float:
    """Reach matters more than volume: a thousand lines from one user rank below fifty users.

    Counts and users enter logarithmically so one noisy loop cannot bury a bug that hits many
    people; each extra service touched adds half again, as a cross-service error is rarely local.
    """
    reach = math.log1p(count) + 2.0 * math.log1p(users)
    return round(LEVEL_WEIGHT.get(level, 1.0) * reach * (1.0 + 0.5 * max(services - 1, 0)), 3)


def list_issues(store: Store, since: datetime | None = None, until: datetime | None = None,
                min_level: str | None = None, limit: int | None = None) -> list[Issue]:
    """Issues ranked by impact, each with its latest event as a sample."""
    rows = store.query("issues", since=since, until=until,
                       min_rank=LEVELS.index(min_level) if min_level else None)
    sample_ids = {row["fingerprint"]: row["sample_id"] for row in rows}
    issues = [_issue(row) for row in rows]
    issues.sort(key=lambda i: (-i.impact, -i.count, i.fingerprint))
    if limit is not None:
        issues = issues[:limit]
    wanted = [sample_ids[i.fingerprint] for i in issues]
    samples = {row["fingerprint"]: row for row in store.query("events_by_id", ids=wanted)}
    for issue in issues:
        if issue.fingerprint in samples:
            issue.sample = event_from_row(samples[issue.fingerprint])
            issue.message = issue.sample.message
    return issues


def _issue(row: dict[str, Any]) -> Issue:
    level = LEVELS[int(row["level_rank"])]
    services = list(row["services"] or [])
    issue = Issue(
        fingerprint=row["fingerprint"],
        title=row["title"] or "(untitled)",
        type=row["type"],
        message="",
        level=level,
        count=int(row["count"]),
        users=int(row["users"]),
        services=services,
        releases=list(row["releases"] or []),
        environments=list(row["environments"] or []),
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        culprit=row["culprit"],
        status=row["status"] or "unresolved",
        first_seen_ever=row["first_ever"],
        grouping=orjson.loads(row["grouping"]) if row["grouping"] else [],
    )
    issue.impact = impact_score(issue.count, issue.users, len(services), level)
    return issue
