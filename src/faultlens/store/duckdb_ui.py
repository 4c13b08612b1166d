"""The web UI's narrow questions of a DuckDB store: one request's spans and lines, the requests an
issue failed in, one issue's tag values, the projects events came in for.

Like the API's listings (duckdb_browse.py) these are the server's, and the server runs on DuckDB;
they are not named queries, so a backend that only serves `analyze` need not answer them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from faultlens.store.duckdb_browse import Browser
from faultlens.store.rows import naive_utc

REQUEST_LIMIT = 5000

_ISSUE_REQUESTS = """
    WITH r AS (
        SELECT coalesce(correlation_id, trace_id) AS request FROM events
        WHERE list_contains($fingerprints, fingerprint) AND coalesce(correlation_id, trace_id) IS NOT NULL
          AND ($since IS NULL OR timestamp >= $since) AND ($until IS NULL OR timestamp <= $until)
        GROUP BY ALL ORDER BY max(timestamp) DESC, request LIMIT 500),
    e AS (
        SELECT correlation_id AS request, service, timestamp FROM events
        WHERE correlation_id IN (SELECT request FROM r)
        UNION ALL
        SELECT trace_id, service, timestamp FROM events
        WHERE trace_id IN (SELECT request FROM r) AND correlation_id IS DISTINCT FROM trace_id)
    SELECT request, list(DISTINCT service ORDER BY service) FILTER (WHERE service IS NOT NULL) AS services,
           min(timestamp) AS first, count(*) AS events
    FROM e GROUP BY request ORDER BY count(DISTINCT service) DESC, first, request LIMIT $limit
"""
"""The issue's latest 500 requests, each with every event that carries its id as correlation or trace
id (an event carrying it as both counts once). Two equality joins, not one join on `a OR b`, which
DuckDB cannot hash: on 10M events 0.5 s instead of 4.8."""

_TAG_VALUES = """
    SELECT key, value, count(*) AS events FROM (
        SELECT 'release' AS key, release AS value FROM events WHERE fingerprint = $fp
        UNION ALL SELECT 'environment', environment FROM events WHERE fingerprint = $fp
        UNION ALL SELECT 'host', host FROM events WHERE fingerprint = $fp
        UNION ALL SELECT 'service', service FROM events WHERE fingerprint = $fp
        UNION ALL SELECT 'url', http_path FROM events WHERE fingerprint = $fp
        UNION ALL SELECT t.key, json_extract_string(t.value, '$') FROM events, json_each(events.tags) t
            WHERE fingerprint = $fp)
    WHERE value IS NOT NULL GROUP BY ALL ORDER BY key, events DESC, value
"""


class UiReader(Browser):
    """Read-only; give it a connection of its own (a cursor), not the writer's."""

    def request_events(self, request: str) -> list[dict[str, Any]]:
        """Events of a trace id or a correlation id, oldest first."""
        return self._rows("SELECT * FROM events WHERE trace_id = $request OR correlation_id = $request "
                          "ORDER BY timestamp LIMIT $limit", {"request": request, "limit": REQUEST_LIMIT})

    def request_spans(self, request: str) -> list[dict[str, Any]]:
        """Spans of a trace, or of every trace whose events carry the correlation id."""
        return self._rows("""
            SELECT * FROM spans WHERE trace_id = $request OR trace_id IN (
                SELECT DISTINCT trace_id FROM events WHERE correlation_id = $request AND trace_id IS NOT NULL)
            ORDER BY start LIMIT $limit""", {"request": request, "limit": REQUEST_LIMIT})

    def issue_requests(self, fingerprints: list[str], limit: int, since: datetime | None = None,
                       until: datetime | None = None) -> list[dict[str, Any]]:
        """The latest 500 requests (correlation or trace ids) these issues failed in; those crossing the most
        services first."""
        return self._rows(_ISSUE_REQUESTS, {"fingerprints": fingerprints, "limit": limit,
                                            "since": naive_utc(since) if since else None,
                                            "until": naive_utc(until) if until else None})

    def issue_tag_values(self, fingerprint: str) -> list[dict[str, Any]]:
        """How an issue's events spread over each tag's values (the common fields count as tags)."""
        return self._rows(_TAG_VALUES, {"fp": fingerprint})

    def event_projects(self) -> list[str]:
        rows = self._rows("SELECT DISTINCT project FROM events WHERE project IS NOT NULL ORDER BY project", {})
        return [str(row["project"]) for row in rows]
