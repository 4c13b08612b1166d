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
               coalesce(list(DISTINCT e.service ORDER BY e.service) FILTER (WHERE e.service IS NOT NULL), [])
                   AS services,
               coalesce(list(DISTINCT e.release ORDER BY e.release) FILTER (WHERE e.release IS NOT NULL), [])
                   AS releases,
               coalesce(list(DISTINCT e.environment ORDER BY e.environment)
                   FILTER (WHERE e.environment IS NOT NULL), []) AS environments,
               min(e.timestamp) AS first_seen,
               max(e.timestamp) AS last_seen,
               max({LEVEL_RANK_SQL.replace("level", "e.level")}) AS level_rank,
               arg_max(e.id, (e.timestamp, e.id)) AS sample_id,
               any_value(i.title) AS title,
               any_value(i.type) AS type,
               any_value(i.culprit) AS culprit,
               any_value(i.status) AS status,
               any_value(i.first_seen) AS first_ever,
               arg_min(e.grouping, (e.timestamp, e.id)) AS grouping
        FROM events e LEFT JOIN issues i USING (fingerprint)
        WHERE ($since IS NULL OR e.timestamp >= $since) AND ($until IS NULL OR e.timestamp <= $until)
          AND ($min_rank IS NULL OR {LEVEL_RANK_SQL.replace("level", "e.level")} >= $min_rank)
        GROUP BY e.fingerprint
    """,
    "events_by_id": "SELECT * FROM events WHERE list_contains($ids, id)",
    "totals": f"""
        SELECT count(*) AS events, count(DISTINCT fingerprint) AS issues,
               coalesce(list(DISTINCT service ORDER BY service) FILTER (WHERE service IS NOT NULL), []) AS services
        FROM events WHERE {WINDOW_FILTER}
    """,
    # the window is what was read, not only what was kept: the quiet minutes before a first error count
    "window": """
        SELECT least(coalesce(min_e, min_v), coalesce(min_v, min_e)) AS start,
               greatest(coalesce(max_e, max_v), coalesce(max_v, max_e)) AS "end"
        FROM (SELECT min(timestamp) AS min_e, max(timestamp) AS max_e FROM events),
             (SELECT min(minute) AS min_v, max(minute) + INTERVAL 59 SECOND AS max_v FROM volume)
    """,
    "volume_by_service": """
        SELECT service, sum(count) AS records,
               coalesce(sum(count) FILTER (WHERE level IN ('error', 'fatal')), 0) AS errors,
               sum(requests) AS requests, sum(failed_requests) AS failed_requests
        FROM volume WHERE ($since IS NULL OR minute >= $since) AND ($until IS NULL OR minute <= $until)
        GROUP BY service ORDER BY service
    """,
    "service_minutes": """
        SELECT service, minute, sum(count) AS records,
               coalesce(sum(count) FILTER (WHERE level IN ('error', 'fatal')), 0) AS errors,
               sum(requests) AS requests, sum(failed_requests) AS failed_requests
        FROM volume GROUP BY service, minute ORDER BY minute, service
    """,
    "release_minutes": """
        SELECT service, coalesce(host, '') AS host, release, minute, sum(count) AS records
        FROM volume WHERE release IS NOT NULL GROUP BY ALL ORDER BY minute, service, host
    """,
    "release_traffic": """
        SELECT service, release, sum(count) AS records FROM volume WHERE release IS NOT NULL
          AND ($since IS NULL OR minute >= $since) AND ($until IS NULL OR minute <= $until)
        GROUP BY ALL
    """,
    "host_traffic": """
        SELECT service, host, sum(count) AS records FROM volume WHERE host IS NOT NULL
          AND ($since IS NULL OR minute >= $since) AND ($until IS NULL OR minute <= $until)
        GROUP BY ALL
    """,
    "deploys": "SELECT * FROM deploys ORDER BY time, service",
    "latency_histogram": """
        SELECT service, minute, le_ms, sum(count) AS requests FROM latency
        WHERE ($since IS NULL OR minute >= $since) AND ($until IS NULL OR minute <= $until)
        GROUP BY ALL ORDER BY service, minute, le_ms NULLS LAST
    """,
    "issue_buckets": f"""
        SELECT fingerprint, to_timestamp(floor(epoch(timestamp) / $bucket) * $bucket)::TIMESTAMP AS bucket,
               count(*) AS events
        FROM events WHERE {WINDOW_FILTER} GROUP BY ALL ORDER BY bucket, fingerprint
    """,
    "issue_times": f"""
        SELECT fingerprint, list(timestamp ORDER BY timestamp)[1:5000] AS times
        FROM events WHERE {WINDOW_FILTER} GROUP BY fingerprint
    """,
    "issue_reach": f"""
        SELECT fingerprint,
               count(DISTINCT user_id) AS user_ids, count(DISTINCT session_id) AS sessions,
               count(DISTINCT user_ip) AS ips,
               count(*) FILTER (WHERE http_status IS NOT NULL OR correlation_id IS NOT NULL) AS requests,
               count(DISTINCT coalesce(environment, '')) AS environments,
               count(DISTINCT coalesce(host, '')) AS hosts,
               count(DISTINCT coalesce(release, '')) AS releases,
               count(DISTINCT coalesce(http_path, '')) AS paths,
               count(DISTINCT correlation_id) AS correlations
        FROM events WHERE {WINDOW_FILTER} GROUP BY fingerprint
    """,
    "tag_counts": f"""
        SELECT fingerprint, key, value, count(*) AS events FROM (
            SELECT fingerprint, 'host' AS key, host AS value FROM events WHERE host IS NOT NULL AND {WINDOW_FILTER}
            UNION ALL SELECT fingerprint, 'release', release FROM events
                WHERE release IS NOT NULL AND {WINDOW_FILTER}
            UNION ALL SELECT fingerprint, 'environment', environment FROM events
                WHERE environment IS NOT NULL AND {WINDOW_FILTER}
            UNION ALL SELECT fingerprint, 'service', service FROM events WHERE service IS NOT NULL AND {WINDOW_FILTER}
            UNION ALL SELECT fingerprint, 'endpoint', coalesce(http_method || ' ', '') || template_path FROM (
                SELECT *, regexp_replace(http_path, '/[0-9][^/]*|/[0-9a-fA-F-]{{16,}}', '/<*>', 'g') AS template_path
                FROM events) WHERE http_path IS NOT NULL AND {WINDOW_FILTER}
            UNION ALL SELECT fingerprint, 'region', json_extract_string(tags, '$.region') FROM events
                WHERE json_extract_string(tags, '$.region') IS NOT NULL AND {WINDOW_FILTER}
            UNION ALL SELECT fingerprint, 'browser', json_extract_string(tags, '$.user_agent') FROM events
                WHERE json_extract_string(tags, '$.user_agent') IS NOT NULL AND {WINDOW_FILTER}
        ) GROUP BY ALL
    """,
    "recent_lines": """
        SELECT fingerprint, timestamp, source_path, source_line, message FROM (
            SELECT *, row_number() OVER (PARTITION BY fingerprint ORDER BY timestamp, id) AS n FROM events
            WHERE list_contains($fingerprints, fingerprint)) WHERE n <= 3 ORDER BY fingerprint, timestamp, id
    """,
    "set_issue_status": "UPDATE issues SET status = $status WHERE fingerprint = $fingerprint",
    "service_error_minutes": f"""
        SELECT service, date_trunc('minute', timestamp) AS minute, fingerprint,
               count(*) FILTER (WHERE level IN ('error', 'fatal')) AS errors,
               count(*) FILTER (WHERE level = 'warning') AS warnings,
               min(timestamp) AS first, max(timestamp) AS last
        FROM events WHERE service IS NOT NULL AND {WINDOW_FILTER}
        GROUP BY ALL ORDER BY minute, service, fingerprint
    """,
    # Requests that failed in two services or more. They are picked with plain aggregates, which DuckDB
    # spills to disk, and lists are built for those only: lists built for every request ran out of
    # memory at 10M events, each with a request of its own.
    "failing_requests": f"""
        WITH cascading AS (
            SELECT request, min(first) AS start
            FROM (SELECT coalesce(correlation_id, trace_id) AS request, service, min(timestamp) AS first
                  FROM events
                  WHERE level IN ('error', 'fatal') AND coalesce(correlation_id, trace_id) IS NOT NULL
                    AND service IS NOT NULL AND {WINDOW_FILTER}
                  GROUP BY ALL)
            GROUP BY request HAVING count(*) >= 2 ORDER BY start, request LIMIT 20000),
        per_service AS (
            SELECT coalesce(correlation_id, trace_id) AS request, service, min(timestamp) AS first,
                   list(DISTINCT fingerprint ORDER BY fingerprint) AS fingerprints
            FROM events
            WHERE level IN ('error', 'fatal') AND service IS NOT NULL AND {WINDOW_FILTER}
              AND coalesce(correlation_id, trace_id) IN (SELECT request FROM cascading)
            GROUP BY ALL)
        SELECT request, list(service ORDER BY first, service) AS services, list(first ORDER BY first) AS firsts,
               list(fingerprints ORDER BY first, service) AS fingerprints
        FROM per_service GROUP BY request ORDER BY min(first), request
    """,
    "service_messages": f"""
        SELECT service, fingerprint, coalesce(template, message) AS template,
               arg_min(message, (timestamp, id)) AS message, arg_min(exc_value, (timestamp, id)) AS exc_value,
               arg_min(http_status, (timestamp, id)) AS http_status, count(*) AS events,
               min(timestamp) AS first, max(timestamp) AS last
        FROM events WHERE level IN ('warning', 'error', 'fatal') AND list_contains($services, service)
          AND {WINDOW_FILTER}
        GROUP BY ALL ORDER BY events DESC, service, fingerprint, template LIMIT 5000
    """,
    "served_paths": """
        SELECT service, http_path, count(*) AS events FROM events
        WHERE http_path IS NOT NULL AND service IS NOT NULL GROUP BY ALL
    """,
    "incident_reach": f"""
        SELECT service, count(*) AS events,
               count(DISTINCT coalesce(user_id, session_id, user_ip)) AS users
        FROM events WHERE list_contains($fingerprints, fingerprint) AND {WINDOW_FILTER}
        GROUP BY ALL
    """,
    "incident_users": f"""
        SELECT count(DISTINCT coalesce(user_id, session_id, user_ip)) AS users, count(*) AS events
        FROM events WHERE list_contains($fingerprints, fingerprint) AND {WINDOW_FILTER}
    """,
    "failing_trace_spans": """
        WITH failing AS (
            SELECT DISTINCT trace_id FROM spans
            WHERE (lower(coalesce(status, '')) LIKE '%error%' OR status = '2'
                   OR try_cast(json_extract_string(attributes, '$."http.status_code"') AS INTEGER) >= 500
                   OR try_cast(json_extract_string(attributes, '$."http.response.status_code"') AS INTEGER) >= 500)
              AND ($since IS NULL OR start >= $since) AND ($until IS NULL OR start <= $until)
            ORDER BY trace_id LIMIT 5000)
        SELECT s.trace_id, s.span_id, s.parent_span_id, s.service, s.name, s.kind, s.start, s."end", s.status,
               s.status_message,
               coalesce(try_cast(json_extract_string(s.attributes, '$."http.status_code"') AS INTEGER),
                        try_cast(json_extract_string(s.attributes, '$."http.response.status_code"') AS INTEGER))
                   AS http_status
        FROM spans s JOIN failing USING (trace_id) ORDER BY s.trace_id, s.start
    """,
    "issue_fingerprints": "SELECT fingerprint FROM issues",
}

QUERY_PARAMS: dict[str, tuple[str, ...]] = {
    "issues": ("since", "until", "min_rank"),
    "events_by_id": ("ids",),
    "totals": ("since", "until"),
    "window": (),
    "volume_by_service": ("since", "until"),
    "service_minutes": (),
    "release_minutes": (),
    "release_traffic": ("since", "until"),
    "host_traffic": ("since", "until"),
    "deploys": (),
    "latency_histogram": ("since", "until"),
    "issue_buckets": ("since", "until", "bucket"),
    "issue_times": ("since", "until"),
    "issue_reach": ("since", "until"),
    "tag_counts": ("since", "until"),
    "recent_lines": ("fingerprints",),
    "set_issue_status": ("status", "fingerprint"),
    "service_error_minutes": ("since", "until"),
    "failing_requests": ("since", "until"),
    "service_messages": ("since", "until", "services"),
    "served_paths": (),
    "incident_reach": ("since", "until", "fingerprints"),
    "incident_users": ("since", "until", "fingerprints"),
    "failing_trace_spans": ("since", "until"),
    "issue_fingerprints": (),
}
