"""Error rate per service over the window: errors over records, failing requests over requests."""

from __future__ import annotations

from typing import Any

from faultlens.model import ServiceRate


def service_rates(rows: list[dict[str, Any]]) -> list[ServiceRate]:
    """One ServiceRate per `volume_by_service` row; a rate is None where its denominator is zero."""
    rates = []
    for row in rows:
        records, errors = int(row["records"] or 0), int(row["errors"] or 0)
        requests, failed = int(row["requests"] or 0), int(row["failed_requests"] or 0)
        rates.append(ServiceRate(
            service=row["service"], records=records, errors=errors,
            error_rate=errors / records if records else None, requests=requests, failed_requests=failed,
            failed_share=failed / requests if requests else None))
    return rates
