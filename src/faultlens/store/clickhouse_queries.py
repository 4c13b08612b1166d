"""The named queries in ClickHouse's SQL: one for every DuckDB query, answering with the same rows.

Written with `$name` placeholders like the DuckDB ones; `PARAM_TYPES` turns each into ClickHouse's
typed `{name:Type}` binding, so values are always bound server-side, never formatted in.
Differences that matter: aggregates over no rows are 0 (so `minOrNull`), joins give NULL only with
`join_use_nulls` (the store sets it), and tables that aggregate on merge are read grouped.
"""

from __future__ import annotations

import re

LEVEL_RANK_SQL = ("multiIf(level = 'fatal', 4, level = 'error', 3, level = 'warning', 2, "
                  "level = 'info', 1, 0)")

WINDOW_FILTER = "($since IS NULL OR timestamp >= $since) AND ($until IS NULL OR timestamp <= $until)"
MINUTE_FILTER = "($since IS NULL OR minute >= $since) AND ($until IS NULL OR minute <= $until)"
NO_WINDOW = "$since IS NULL AND $until IS NULL"

ISSUES_TABLE = """(SELECT fingerprint, any(project) AS project, any(title) AS title, any(type) AS type,
                          any(level) AS level, any(culprit) AS culprit, min(first_seen) AS first_seen,
                          max(last_seen) AS last_seen
                   FROM issues GROUP BY fingerprint)"""
"""Issues as one row each: the table holds a row per batch that touched an issue."""

STATUS_TABLE = """(SELECT fingerprint, argMax(status, version) AS status
                   FROM issue_status GROUP BY fingerprint)"""


def _json_text(column: str, key: str) -> str:
    """A JSON field as text (numbers too), NULL when absent: DuckDB's json_extract_string."""
    return f"nullIf(trim(BOTH '\"' FROM JSONExtractRaw(ifNull({column}, '{{}}'), '{key}')), '')"


def _http_status(column: str) -> str:
    return (f"coalesce(toInt32OrNull({_json_text(column, 'http.status_code')}), "
            f"toInt32OrNull({_json_text(column, 'http.response.status_code')}))")


_SERVICE_ERROR_MINUTES_ROLLUP = """
        SELECT service, minute, fingerprint, sum(errors) AS errors, sum(warnings) AS warnings,
               min(first) AS first, max(last) AS last
        FROM event_minutes WHERE service IS NOT NULL AND $NO_WINDOW
        GROUP BY service, minute, fingerprint"""

QUERIES: dict[str, str] = {
    "issues": f"""
        SELECT g.fingerprint AS fingerprint, g.count AS count, g.users AS users, g.services AS services,
               g.releases AS releases, g.environments AS environments, g.first_seen AS first_seen,
               g.last_seen AS last_seen, g.level_rank AS level_rank, g.sample_id AS sample_id,
               g.grouping AS grouping, i.title AS title, i.type AS type, i.culprit AS culprit,
               coalesce(s.status, 'unresolved') AS status, i.first_seen AS first_ever
        FROM (SELECT fingerprint, count() AS count,
                     uniqExact(coalesce(user_id, session_id, user_ip)) AS users,
                     arraySort(groupUniqArray(service)) AS services,
                     arraySort(groupUniqArray(release)) AS releases,
                     arraySort(groupUniqArray(environment)) AS environments,
                     min(timestamp) AS first_seen, max(timestamp) AS last_seen,
                     max({LEVEL_RANK_SQL}) AS level_rank,
                     argMax(id, (timestamp, id)) AS sample_id,
                     argMin(grouping, (timestamp, id)) AS grouping
              FROM events
              WHERE {WINDOW_FILTER} AND ($min_rank IS NULL OR {LEVEL_RANK_SQL} >= $min_rank)
              GROUP BY fingerprint) AS g
        LEFT JOIN {ISSUES_TABLE} AS i ON i.fingerprint = g.fingerprint
        LEFT JOIN {STATUS_TABLE} AS s ON s.fingerprint = g.fingerprint
    """,
    "events_by_id": "SELECT * FROM events WHERE id IN $ids LIMIT 1 BY id",
    "totals": f"""
        SELECT count() AS events, uniqExact(fingerprint) AS issues, arraySort(groupUniqArray(service)) AS services
        FROM events WHERE {WINDOW_FILTER}
    """,
    "window": """
        SELECT least(coalesce(min_e, min_v), coalesce(min_v, min_e)) AS start,
               greatest(coalesce(max_e, max_v), coalesce(max_v, max_e)) AS `end`
        FROM (SELECT minOrNull(timestamp) AS min_e, maxOrNull(timestamp) AS max_e FROM events) AS e
        CROSS JOIN (SELECT toDateTime64(minOrNull(minute), 6, 'UTC') AS min_v,
                           toDateTime64(maxOrNull(minute) + INTERVAL 59 SECOND, 6, 'UTC') AS max_v
                    FROM volume) AS v
    """,
    "volume_by_service": f"""
        SELECT service, sum(count) AS records, sumIf(count, level IN ('error', 'fatal')) AS errors,
               sum(requests) AS requests, sum(failed_requests) AS failed_requests
        FROM volume WHERE {MINUTE_FILTER}
        GROUP BY service ORDER BY service
    """,
    "service_minutes": """
        SELECT service, minute, sum(count) AS records, sumIf(count, level IN ('error', 'fatal')) AS errors,
               sum(requests) AS requests, sum(failed_requests) AS failed_requests
        FROM volume GROUP BY service, minute ORDER BY minute, service
    """,
    "release_minutes": """
        SELECT service, ifNull(volume.host, '') AS host, release, minute, sum(count) AS records
        FROM volume WHERE release IS NOT NULL GROUP BY ALL ORDER BY minute, service, host
    """,
    "release_traffic": f"""
        SELECT service, release, sum(count) AS records FROM volume WHERE release IS NOT NULL AND {MINUTE_FILTER}
        GROUP BY ALL
    """,
    "host_traffic": f"""
        SELECT service, host, sum(count) AS records FROM volume WHERE host IS NOT NULL AND {MINUTE_FILTER}
        GROUP BY ALL
    """,
    "deploys": """
        SELECT service, release, time, source, commit, previous_release, kind, description
        FROM deploys FINAL ORDER BY time, service
    """,
    "latency_histogram": f"""
        SELECT service, minute, le_ms, sum(count) AS requests FROM latency WHERE {MINUTE_FILTER}
        GROUP BY ALL ORDER BY service, minute, le_ms NULLS LAST
    """,
    "issue_buckets": f"""
        SELECT fingerprint, toDateTime(intDiv(toUnixTimestamp(minute), $bucket) * $bucket, 'UTC') AS bucket,
               sum(event_minutes.events) AS events
        FROM event_minutes WHERE $NO_WINDOW AND $bucket % 60 = 0
        GROUP BY ALL
        UNION ALL
        SELECT fingerprint, toDateTime(intDiv(toUnixTimestamp(timestamp), $bucket) * $bucket, 'UTC') AS bucket,
               count() AS events
        FROM events WHERE NOT ($NO_WINDOW AND $bucket % 60 = 0) AND {WINDOW_FILTER} GROUP BY ALL
        ORDER BY bucket, fingerprint
    """,
    "issue_times": f"""
        SELECT fingerprint, arraySlice(arraySort(groupArray(timestamp)), 1, 5000) AS times
        FROM events WHERE {WINDOW_FILTER} GROUP BY fingerprint
    """,
    "issue_reach": f"""
        SELECT fingerprint,
               uniqExact(user_id) AS user_ids, uniqExact(session_id) AS sessions, uniqExact(user_ip) AS ips,
               countIf(http_status IS NOT NULL OR correlation_id IS NOT NULL) AS requests,
               uniqExact(ifNull(environment, '')) AS environments, uniqExact(ifNull(host, '')) AS hosts,
               uniqExact(ifNull(release, '')) AS releases, uniqExact(ifNull(http_path, '')) AS paths,
               uniqExact(correlation_id) AS correlations
        FROM events WHERE {WINDOW_FILTER} GROUP BY fingerprint
    """,
    "tag_counts": f"""
        SELECT fingerprint, key, value, count() AS events FROM (
            SELECT fingerprint, 'host' AS key, host AS value FROM events WHERE host IS NOT NULL AND {WINDOW_FILTER}
            UNION ALL SELECT fingerprint, 'release', release FROM events
                WHERE release IS NOT NULL AND {WINDOW_FILTER}
            UNION ALL SELECT fingerprint, 'environment', environment FROM events
                WHERE environment IS NOT NULL AND {WINDOW_FILTER}
            UNION ALL SELECT fingerprint, 'service', service FROM events WHERE service IS NOT NULL AND {WINDOW_FILTER}
            UNION ALL SELECT fingerprint, 'endpoint',
                concat(ifNull(concat(http_method, ' '), ''),
                       replaceRegexpAll(http_path, '/[0-9][^/]*|/[0-9a-fA-F-]{{16,}}', '/<*>'))
                FROM events WHERE http_path IS NOT NULL AND {WINDOW_FILTER}
            UNION ALL SELECT fingerprint, 'region', {_json_text("tags", "region")} FROM events
                WHERE {_json_text("tags", "region")} IS NOT NULL AND {WINDOW_FILTER}
            UNION ALL SELECT fingerprint, 'browser', {_json_text("tags", "user_agent")} FROM events
                WHERE {_json_text("tags", "user_agent")} IS NOT NULL AND {WINDOW_FILTER}
        ) GROUP BY ALL
    """,
    "recent_lines": """
        SELECT fingerprint, timestamp, source_path, source_line, message FROM events
        WHERE fingerprint IN $fingerprints ORDER BY fingerprint, timestamp, id LIMIT 3 BY fingerprint
    """,
    "set_issue_status": """
        INSERT INTO issue_status (fingerprint, status, changed_at, version)
        SELECT fingerprint, $status, now64(6), now64(6) FROM issues WHERE fingerprint = $fingerprint LIMIT 1
    """,
    "service_error_minutes": f"""
        {_SERVICE_ERROR_MINUTES_ROLLUP}
        UNION ALL
        SELECT service, toStartOfMinute(timestamp) AS minute, fingerprint,
               countIf(level IN ('error', 'fatal')) AS errors, countIf(level = 'warning') AS warnings,
               min(timestamp) AS first, max(timestamp) AS last
        FROM events WHERE service IS NOT NULL AND NOT ($NO_WINDOW) AND {WINDOW_FILTER}
        GROUP BY ALL ORDER BY minute, service, fingerprint
    """,
    # As in DuckDB's: the requests that failed in two services or more first, then arrays for those only.
    "failing_requests": f"""
        WITH cascading AS (
            SELECT request, min(first) AS start
            FROM (SELECT coalesce(correlation_id, trace_id) AS request, service, min(timestamp) AS first
                  FROM events
                  WHERE level IN ('error', 'fatal') AND coalesce(correlation_id, trace_id) IS NOT NULL
                    AND service IS NOT NULL AND {WINDOW_FILTER}
                  GROUP BY request, service)
            GROUP BY request HAVING count() >= 2 ORDER BY start, request LIMIT 20000)
        SELECT request, arrayMap(x -> x.2, arraySort(groupArray((first, service)))) AS services,
               arraySort(groupArray(first)) AS firsts,
               arrayMap(x -> x.3, arraySort(groupArray((first, service, fingerprints)))) AS fingerprints
        FROM (SELECT coalesce(correlation_id, trace_id) AS request, service, min(timestamp) AS first,
                     arraySort(groupUniqArray(fingerprint)) AS fingerprints
              FROM events
              WHERE level IN ('error', 'fatal') AND service IS NOT NULL AND {WINDOW_FILTER}
                AND coalesce(correlation_id, trace_id) IN (SELECT request FROM cascading)
              GROUP BY request, service)
        GROUP BY request ORDER BY min(first), request
    """,
    "service_messages": f"""
        SELECT service, fingerprint, coalesce(events.template, events.message) AS template,
               argMin(message, (timestamp, id)) AS message, argMin(exc_value, (timestamp, id)) AS exc_value,
               argMin(http_status, (timestamp, id)) AS http_status, count() AS events,
               min(timestamp) AS first, max(timestamp) AS last
        FROM events WHERE level IN ('warning', 'error', 'fatal') AND service IN $services AND {WINDOW_FILTER}
        GROUP BY ALL ORDER BY events DESC, service, fingerprint, template LIMIT 5000
    """,
    "served_paths": """
        SELECT service, http_path, count() AS events FROM events
        WHERE http_path IS NOT NULL AND service IS NOT NULL GROUP BY ALL
    """,
    "incident_reach": f"""
        SELECT service, count() AS events, uniqExact(coalesce(user_id, session_id, user_ip)) AS users
        FROM events WHERE fingerprint IN $fingerprints AND {WINDOW_FILTER}
        GROUP BY ALL
    """,
    "incident_users": f"""
        SELECT uniqExact(coalesce(user_id, session_id, user_ip)) AS users, count() AS events
        FROM events WHERE fingerprint IN $fingerprints AND {WINDOW_FILTER}
    """,
    "failing_trace_spans": f"""
        SELECT trace_id, span_id, parent_span_id, service, name, kind, start, `end`, status, status_message,
               {_http_status("attributes")} AS http_status
        FROM spans
        WHERE trace_id IN (
            SELECT DISTINCT trace_id FROM spans
            WHERE (lower(ifNull(status, '')) LIKE '%error%' OR status = '2' OR {_http_status("attributes")} >= 500)
              AND ($since IS NULL OR start >= $since) AND ($until IS NULL OR start <= $until)
            ORDER BY trace_id LIMIT 5000)
        ORDER BY trace_id, start
    """,
    "issue_fingerprints": "SELECT DISTINCT fingerprint FROM issues",
    # the web UI's questions: one request, one issue's tags, where events came from
    "request_events": """
        SELECT * FROM events WHERE trace_id = $request OR correlation_id = $request
        ORDER BY timestamp LIMIT 1 BY id LIMIT 5000
    """,
    "request_spans": """
        SELECT * FROM spans WHERE trace_id = $request OR trace_id IN (
            SELECT DISTINCT trace_id FROM events WHERE correlation_id = $request AND trace_id IS NOT NULL)
        ORDER BY start LIMIT 5000
    """,
    "issue_requests": f"""
        SELECT coalesce(trace_id, correlation_id) AS request, fingerprint, service, min(timestamp) AS first,
               count() AS events
        FROM events WHERE fingerprint IN $fingerprints AND coalesce(trace_id, correlation_id) IS NOT NULL
          AND {WINDOW_FILTER}
        GROUP BY ALL ORDER BY first LIMIT $limit
    """,
    "issue_tag_values": """
        SELECT key, value, count() AS events FROM (
            SELECT 'release' AS key, release AS value FROM events WHERE fingerprint = $fingerprint
            UNION ALL SELECT 'environment', environment FROM events WHERE fingerprint = $fingerprint
            UNION ALL SELECT 'host', host FROM events WHERE fingerprint = $fingerprint
            UNION ALL SELECT 'service', service FROM events WHERE fingerprint = $fingerprint
            UNION ALL SELECT 'url', http_path FROM events WHERE fingerprint = $fingerprint
            UNION ALL SELECT pair.1, if(startsWith(pair.2, '"'), JSONExtractString(pair.2), nullIf(pair.2, 'null'))
                FROM events ARRAY JOIN JSONExtractKeysAndValuesRaw(ifNull(tags, '{}')) AS pair
                WHERE fingerprint = $fingerprint)
        WHERE value IS NOT NULL GROUP BY ALL ORDER BY key, events DESC, value
    """,
    "event_projects": "SELECT DISTINCT project FROM events WHERE project != '' ORDER BY project",
}

WRITES = frozenset({"set_issue_status"})
"""Named queries that change the store and return no rows."""

PARAM_TYPES: dict[str, str] = {
    "since": "Nullable(DateTime64(6, 'UTC'))",
    "until": "Nullable(DateTime64(6, 'UTC'))",
    "min_rank": "Nullable(Int32)",
    "bucket": "UInt32",
    "ids": "Array(String)",
    "fingerprints": "Array(String)",
    "services": "Array(Nullable(String))",
    "status": "String",
    "request": "String",
    "limit": "UInt64",
    "fingerprint": "String",
}

_PLACEHOLDER = re.compile(r"\$([a-z_]+)\b")


def _typed(sql: str) -> str:
    sql = sql.replace("$NO_WINDOW", NO_WINDOW)
    return _PLACEHOLDER.sub(lambda m: "{" + m.group(1) + ":" + PARAM_TYPES[m.group(1)] + "}", sql)


TYPED_QUERIES: dict[str, str] = {name: _typed(sql) for name, sql in QUERIES.items()}
"""The queries as sent: placeholders replaced by ClickHouse's typed parameters."""
