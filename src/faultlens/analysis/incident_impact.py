"""What an incident did to each service: error rates before, early, at the peak and after, and users.

Rates are what a reader of the notices expects: for a service with an access log, failing
requests over requests (what users saw); otherwise error records over all records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from faultlens.model import ServiceImpact

BEFORE = timedelta(minutes=60)
EARLY = timedelta(minutes=10)
AFTER = timedelta(minutes=30)
SETTLE = timedelta(minutes=10)
"""An incident ended this long before the data does is over; closer to the end, it may still be going on."""
MIN_PEAK_RECORDS = 10


def service_impacts(cascade: Sequence[str], origin: str | None, onsets: Mapping[str, datetime],
                    errors: Mapping[str, int], users: Mapping[str, int], minutes: Sequence[dict[str, Any]],
                    edge_services: set[str], start: datetime, end: datetime, window_end: datetime,
                    ) -> list[ServiceImpact]:
    """One ServiceImpact per affected service, in cascade order."""
    impacts = []
    for service in cascade:
        rows = [r for r in minutes if r["service"] == service]
        by_requests = service in edge_services and any(int(r["requests"] or 0) for r in rows)
        peak, peak_at = _peak(rows, start, end, by_requests)
        role = "origin" if service == origin else "edge" if service in edge_services else "caller"
        impacts.append(ServiceImpact(
            service=service, role=role, onset=onsets.get(service), errors=int(errors.get(service, 0)),
            users=int(users.get(service, 0)), rate_before=_rate(rows, start - BEFORE, start, by_requests),
            rate_early=_rate(rows, start, min(start + EARLY, end + timedelta(minutes=1)), by_requests),
            rate_peak=peak, peak_at=peak_at,
            rate_after=_rate(rows, end + timedelta(minutes=1), end + AFTER, by_requests)
            if window_end - end >= SETTLE else None))
    return impacts


def _rate(rows: Sequence[dict[str, Any]], start: datetime, end: datetime, by_requests: bool) -> float | None:
    chosen = [r for r in rows if start - timedelta(minutes=1) < r["minute"] < end]
    if by_requests:
        total = sum(int(r["requests"] or 0) for r in chosen)
        failed = sum(int(r["failed_requests"] or 0) for r in chosen)
    else:
        total = sum(int(r["records"] or 0) for r in chosen)
        failed = sum(int(r["errors"] or 0) for r in chosen)
    return failed / total if total else None


def _peak(rows: Sequence[dict[str, Any]], start: datetime, end: datetime,
          by_requests: bool) -> tuple[float | None, datetime | None]:
    best: tuple[float, datetime] | None = None
    inside = [r for r in rows if start - timedelta(minutes=1) < r["minute"] <= end]
    busy = [r for r in inside if int(r["requests" if by_requests else "records"] or 0) >= MIN_PEAK_RECORDS] or inside
    for row in busy:
        total = int(row["requests" if by_requests else "records"] or 0)
        failed = int(row["failed_requests" if by_requests else "errors"] or 0)
        if total and (best is None or failed / total > best[0]):
            best = (failed / total, row["minute"])
    return best if best is not None else (None, None)
