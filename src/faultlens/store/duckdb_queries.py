"""The named queries, in DuckDB's SQL. Parameters are always bound, never formatted in."""

from __future__ import annotations

LEVEL_RANK_SQL = ("CASE level WHEN 'fatal' THEN 4 WHEN 'error' THEN 3 WHEN 'warning' THEN 2 "
                  "WHEN 'info' THEN 1 ELSE 0 END")

WINDOW_FILTER = "($since IS NULL OR timestamp >= $since) AND ($until IS NULL OR timestamp <= $until)"

QUERIES: dict[str, str] = {
    "issues": f"""
        SELECT e.fingerprint,
               count(*) AS count,
               count(DISTINCT coalesce(e.user_id, e.session_id, e.user_ip)) AS users,
               list(DISTINCT e.service ORDER BY e.service) FILTER (WHERE e.service IS NOT NULL) AS services,
               list(DISTINCT e.release ORDER BY e.release) FILTER (WHERE e.release IS NOT NULL) AS releases,
               list(DISTINCT e.environment ORDER BY e.environment)
                   FILTER (WHERE e.environment IS NOT NULL) AS environments,
               min(e.timestamp) AS first_seen,
               max(e.timestamp) AS last_seen,
               max({LEVEL_RANK_SQL.replace("level", "e.level")}) AS level_rank,
               arg_max(e.id, e.timestamp) AS sample_id,
               any_value(i.title) AS title,
               any_value(i.type) AS type,
               any_value(i.culprit) AS culprit,
               any_value(i.status) AS status,
               any_value(e.grouping) AS grouping
        FROM events e LEFT JOIN issues i USING (fingerprint)
        WHERE ($since IS NULL OR e.timestamp >= $since) AND ($until IS NULL OR e.timestamp <= $until)
          AND ($min_rank IS NULL OR {LEVEL_RANK_SQL.replace("level", "e.level")} >= $min_rank)
        GROUP BY e.fingerprint
    """,
    "events_by_id": "SELECT * FROM events WHERE list_contains($ids, id)",
    "totals": f"""
        SELECT count(*) AS events, count(DISTINCT fingerprint) AS issues,
               list(DISTINCT service ORDER BY service) FILTER (WHERE service IS NOT NULL) AS services
        FROM events WHERE {WINDOW_FILTER}
    """,
    "window": "SELECT min(timestamp) AS start, max(timestamp) AS \"end\" FROM events",
    "volume_by_service": """
        SELECT service, sum(count) AS records,
               sum(count) FILTER (WHERE level IN ('error', 'fatal')) AS errors,
               sum(requests) AS requests, sum(failed_requests) AS failed_requests
        FROM volume WHERE ($since IS NULL OR minute >= $since) AND ($until IS NULL OR minute <= $until)
        GROUP BY service ORDER BY service
    """,
}

QUERY_PARAMS: dict[str, tuple[str, ...]] = {
    "issues": ("since", "until", "min_rank"),
    "events_by_id": ("ids",),
    "totals": ("since", "until"),
    "window": (),
    "volume_by_service": ("since", "until"),
}
