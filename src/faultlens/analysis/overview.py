"""The report `analyze` prints: the run's summary and its issues, ranked."""

from __future__ import annotations

from datetime import UTC, datetime

from faultlens.analysis.issues import list_issues
from faultlens.model import IngestStats, Report
from faultlens.store.base import Store


def build_report(store: Store, stats: IngestStats, since: datetime | None = None, until: datetime | None = None,
                 min_level: str | None = None, limit: int | None = None) -> Report:
    issues = list_issues(store, since=since, until=until, min_level=min_level, limit=limit)
    totals = store.query("totals", since=since, until=until)[0]
    start, end = store.window()
    return Report(
        generated_at=datetime.now(UTC),
        window_start=since or start,
        window_end=until or end,
        stats=stats,
        issues=issues,
        total_events=int(totals["events"] or 0),
        total_issues=int(totals["issues"] or 0),
        services=list(totals["services"] or []),
    )
