"""Issues and events as the server's API and UI list them, from ClickHouse: the answers of duckdb_browse.py
and duckdb_ui.py, in ClickHouse's SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from faultlens.errors import StoreError
from faultlens.store.clickhouse_queries import ISSUES_TABLE, LEVEL_RANK_SQL, TYPED_QUERIES
from faultlens.store.duckdb_browse import SORTS, IssueFilter
from faultlens.store.rows import aware_utc, naive_utc

TIME = "Nullable(DateTime64(6, 'UTC'))"
STATE_TABLE = """(SELECT fingerprint, argMax(status, version) AS status, argMax(resolved_at, version) AS resolved_at,
                         argMax(regressed_at, version) AS regressed_at FROM issue_status GROUP BY fingerprint)"""
EFFECTIVE_STATUS = ("if(s.status = 'resolved' AND s.regressed_at >= s.resolved_at, 'regressed', "
                    "coalesce(s.status, 'unresolved'))")

_ISSUES = f"""
    SELECT g.fingerprint AS fingerprint, g.count AS count, g.users AS users, g.first_seen AS first_seen,
           g.last_seen AS last_seen, g.level_rank AS level_rank, g.services AS services, g.releases AS releases,
           g.environments AS environments, i.title AS title, i.type AS type, i.culprit AS culprit,
           i.first_seen AS first_seen_ever, s.resolved_at AS resolved_at, s.regressed_at AS regressed_at,
           {EFFECTIVE_STATUS} AS status
    FROM (SELECT fingerprint, count() AS count, uniqExact(coalesce(user_id, session_id, user_ip)) AS users,
                 min(timestamp) AS first_seen, max(timestamp) AS last_seen, max({LEVEL_RANK_SQL}) AS level_rank,
                 arraySort(groupUniqArray(service)) AS services, arraySort(groupUniqArray(release)) AS releases,
                 arraySort(groupUniqArray(environment)) AS environments
          FROM events
          WHERE ({{project:Nullable(String)}} IS NULL OR project = {{project:Nullable(String)}})
            AND ({{fingerprint:Nullable(String)}} IS NULL OR fingerprint = {{fingerprint:Nullable(String)}})
            AND ({{release:Nullable(String)}} IS NULL OR release = {{release:Nullable(String)}})
            AND ({{environment:Nullable(String)}} IS NULL OR environment = {{environment:Nullable(String)}})
            AND ({{since:{TIME}}} IS NULL OR timestamp >= {{since:{TIME}}})
          GROUP BY fingerprint) AS g
    JOIN {ISSUES_TABLE} AS i ON i.fingerprint = g.fingerprint
    LEFT JOIN {STATE_TABLE} AS s ON s.fingerprint = g.fingerprint
"""

_ISSUE_REQUESTS = f"""
    SELECT r.request AS request, arraySort(groupUniqArray(e.service)) AS services, min(e.timestamp) AS first,
           count() AS events
    FROM (SELECT DISTINCT coalesce(correlation_id, trace_id) AS request FROM events
          WHERE fingerprint IN {{fingerprints:Array(String)}} AND coalesce(correlation_id, trace_id) IS NOT NULL
            AND ({{since:{TIME}}} IS NULL OR timestamp >= {{since:{TIME}}})
            AND ({{until:{TIME}}} IS NULL OR timestamp <= {{until:{TIME}}}) LIMIT 500) AS r
    JOIN events AS e ON e.correlation_id = r.request OR e.trace_id = r.request
    GROUP BY r.request ORDER BY uniqExact(e.service) DESC, first, request LIMIT {{limit:UInt64}}
"""


class ClickHouseBrowser:
    """Read-only questions the API and the UI ask; give it a client of its own (`store.reader()`)."""

    def __init__(self, client: Any, path: str, errors: tuple[type[BaseException], ...]) -> None:
        self.client = client
        self.path = path
        self._errors = errors

    def issues(self, project: str | None, where: IssueFilter) -> list[dict[str, Any]]:
        order = SORTS.get(where.sort)
        if order is None:
            raise ValueError(f"unknown sort {where.sort!r}")
        sql = f"""
            SELECT * FROM ({_ISSUES})
            WHERE ({{status:Nullable(String)}} IS NULL OR status = {{status:Nullable(String)}}
                   OR ({{status:Nullable(String)}} = 'unresolved' AND status = 'regressed'))
              AND ({{query:Nullable(String)}} IS NULL
                   OR positionCaseInsensitive(ifNull(title, ''), ifNull({{query:Nullable(String)}}, '')) > 0
                   OR positionCaseInsensitive(ifNull(culprit, ''), ifNull({{query:Nullable(String)}}, '')) > 0
                   OR positionCaseInsensitive(ifNull(type, ''), ifNull({{query:Nullable(String)}}, '')) > 0
                   OR fingerprint = {{query:Nullable(String)}})
            ORDER BY {order}, fingerprint LIMIT {{limit:UInt64}} OFFSET {{offset:UInt64}}"""
        return self._rows(sql, {"project": project, "fingerprint": None, "release": where.release,
                                "environment": where.environment,
                                "since": naive_utc(where.since) if where.since else None, "status": where.status,
                                "query": where.query or None, "limit": where.limit, "offset": where.offset})

    def issue(self, fingerprint: str) -> dict[str, Any] | None:
        rows = self._rows(_ISSUES, {"project": None, "fingerprint": fingerprint, "release": None,
                                    "environment": None, "since": None})
        if not rows:
            return None
        row = rows[0]
        projects = self._rows("SELECT DISTINCT project FROM events WHERE fingerprint = {fp:String} ORDER BY project",
                              {"fp": fingerprint})
        row["projects"] = [r["project"] for r in projects]
        return row

    def events(self, fingerprint: str, limit: int, before: datetime | None = None) -> list[dict[str, Any]]:
        """The issue's events, newest first; `before` pages on from the last one shown."""
        return self._rows(f"SELECT * FROM events WHERE fingerprint = {{fp:String}} "
                          f"AND ({{before:{TIME}}} IS NULL OR timestamp < {{before:{TIME}}}) "
                          "ORDER BY timestamp DESC, id LIMIT 1 BY id LIMIT {limit:UInt64}",
                          {"fp": fingerprint, "before": naive_utc(before) if before else None, "limit": limit})

    def status_counts(self) -> dict[str, int]:
        rows = self._rows(f"SELECT {EFFECTIVE_STATUS} AS status, count() AS n FROM {ISSUES_TABLE} AS i "
                          f"LEFT JOIN {STATE_TABLE} AS s ON s.fingerprint = i.fingerprint GROUP BY status", {})
        return {row["status"]: int(row["n"]) for row in rows}

    def request_events(self, request: str) -> list[dict[str, Any]]:
        """Events of a trace id or a correlation id, oldest first."""
        return self._named("request_events", {"request": request})

    def request_spans(self, request: str) -> list[dict[str, Any]]:
        """Spans of a trace, or of every trace whose events carry the correlation id."""
        return self._named("request_spans", {"request": request})

    def issue_requests(self, fingerprints: list[str], limit: int, since: datetime | None = None,
                       until: datetime | None = None) -> list[dict[str, Any]]:
        """Requests (correlation or trace ids) these issues failed in; those crossing the most services first."""
        return self._rows(_ISSUE_REQUESTS, {"fingerprints": fingerprints, "limit": limit,
                                            "since": naive_utc(since) if since else None,
                                            "until": naive_utc(until) if until else None})

    def issue_tag_values(self, fingerprint: str) -> list[dict[str, Any]]:
        """How an issue's events spread over each tag's values (the common fields count as tags)."""
        return self._named("issue_tag_values", {"fingerprint": fingerprint})

    def event_projects(self) -> list[str]:
        return [str(row["project"]) for row in self._named("event_projects", {})]

    def _named(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self._rows(TYPED_QUERIES[name], params)

    def _rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            result = self.client.query(sql, parameters=params)
        except self._errors as exc:
            raise StoreError(f"cannot read issues: {exc}", path=self.path) from None
        columns = result.column_names
        return [{c: aware_utc(v) if isinstance(v, datetime) else v for c, v in zip(columns, row, strict=True)}
                for row in result.result_rows]

