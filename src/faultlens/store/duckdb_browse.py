"""Issues and events as the server's API lists them: one project, filtered and sorted, a page at a time.

The analyses read the whole store through named queries; the API asks narrower questions (one
project, a release, a text search) and pages through the answer, so its SQL lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from faultlens.errors import StoreError
from faultlens.store.duckdb_queries import LEVEL_RANK_SQL
from faultlens.store.rows import aware_utc, naive_utc

SORTS = {"last_seen": "last_seen DESC", "first_seen": "first_seen DESC", "count": "count DESC",
         "users": "users DESC"}
"""Sort orders the issue list offers, newest or largest first; the fingerprint breaks ties."""

EFFECTIVE_STATUS = ("CASE WHEN coalesce(s.status, i.status) = 'resolved' AND s.regressed_at >= s.resolved_at "
                    "THEN 'regressed' ELSE coalesce(s.status, i.status, 'unresolved') END")


@dataclass(frozen=True, slots=True)
class IssueFilter:
    """What the issue list is narrowed to; None leaves a field unfiltered.

    `status` "unresolved" includes regressed issues (both need someone's attention).
    """

    status: str | None = None
    query: str | None = None
    release: str | None = None
    environment: str | None = None
    since: datetime | None = None
    sort: str = "last_seen"
    limit: int = 100
    offset: int = 0


_ISSUES = f"""
    SELECT g.*, i.title, i.type, i.culprit, i.first_seen AS first_seen_ever, s.resolved_at, s.regressed_at,
           {EFFECTIVE_STATUS} AS status
    FROM (SELECT fingerprint, count(*) AS count, count(DISTINCT coalesce(user_id, session_id, user_ip)) AS users,
                 min(timestamp) AS first_seen, max(timestamp) AS last_seen, max({LEVEL_RANK_SQL}) AS level_rank,
                 list(DISTINCT service ORDER BY service) FILTER (WHERE service IS NOT NULL) AS services,
                 list(DISTINCT release ORDER BY release) FILTER (WHERE release IS NOT NULL) AS releases,
                 list(DISTINCT environment ORDER BY environment) FILTER (WHERE environment IS NOT NULL)
                     AS environments
          FROM events
          WHERE ($project IS NULL OR project = $project) AND ($fingerprint IS NULL OR fingerprint = $fingerprint)
            AND ($release IS NULL OR release = $release) AND ($environment IS NULL OR environment = $environment)
            AND ($since IS NULL OR timestamp >= $since)
          GROUP BY fingerprint) g
    JOIN issues i USING (fingerprint) LEFT JOIN issue_status s USING (fingerprint)
"""


class Browser:
    """Read-only questions the API asks; give it a connection of its own (a cursor), not the writer's."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str = ":memory:") -> None:
        self.con = con
        self.path = path

    def issues(self, project: str | None, where: IssueFilter) -> list[dict[str, Any]]:
        order = SORTS.get(where.sort)
        if order is None:
            raise ValueError(f"unknown sort {where.sort!r}")
        sql = f"""
            SELECT * FROM ({_ISSUES}) WHERE ($status IS NULL OR status = $status
                                            OR ($status = 'unresolved' AND status = 'regressed'))
              AND ($query IS NULL OR title ILIKE $query ESCAPE '\\' OR coalesce(culprit, '') ILIKE $query ESCAPE '\\'
                   OR coalesce(type, '') ILIKE $query ESCAPE '\\' OR fingerprint = $exact)
            ORDER BY {order}, fingerprint LIMIT $limit OFFSET $offset"""
        query = f"%{_escape_like(where.query)}%" if where.query else None
        params = {"project": project, "fingerprint": None, "release": where.release,
                  "environment": where.environment, "since": naive_utc(where.since) if where.since else None,
                  "status": where.status, "query": query, "exact": where.query, "limit": where.limit,
                  "offset": where.offset}
        return self._rows(sql, params)

    def issue(self, fingerprint: str) -> dict[str, Any] | None:
        params = {"project": None, "fingerprint": fingerprint, "release": None, "environment": None, "since": None}
        rows = self._rows(_ISSUES, params)
        if not rows:
            return None
        row = rows[0]
        projects = self._rows("SELECT DISTINCT project FROM events WHERE fingerprint = $fp ORDER BY project",
                              {"fp": fingerprint})
        row["projects"] = [r["project"] for r in projects]
        return row

    def events(self, fingerprint: str, limit: int, before: datetime | None = None) -> list[dict[str, Any]]:
        """The issue's events, newest first; `before` pages on from the last one shown."""
        return self._rows("SELECT * FROM events WHERE fingerprint = $fp AND ($before IS NULL OR timestamp < $before) "
                          "ORDER BY timestamp DESC, id LIMIT $limit",
                          {"fp": fingerprint, "before": naive_utc(before) if before else None, "limit": limit})

    def status_counts(self) -> dict[str, int]:
        rows = self._rows(f"SELECT {EFFECTIVE_STATUS} AS status, count(*) AS n FROM issues i "
                          "LEFT JOIN issue_status s USING (fingerprint) GROUP BY ALL", {})
        return {row["status"]: int(row["n"]) for row in rows}

    def _rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            cursor = self.con.execute(sql, params) if params else self.con.execute(sql)
            columns = [d[0] for d in cursor.description]
            return [{c: aware_utc(v) if isinstance(v, datetime) else v for c, v in zip(columns, row, strict=True)}
                    for row in cursor.fetchall()]
        except duckdb.Error as exc:
            raise StoreError(f"cannot read issues: {exc}", path=self.path) from None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
