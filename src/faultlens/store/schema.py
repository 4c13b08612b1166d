"""Table definitions shared by the SQL backends; docs/store.md documents each column."""

from __future__ import annotations

EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "VARCHAR"),
    ("project", "VARCHAR"),
    ("fingerprint", "VARCHAR"),
    ("timestamp", "TIMESTAMP"),
    ("level", "VARCHAR"),
    ("service", "VARCHAR"),
    ("environment", "VARCHAR"),
    ("host", "VARCHAR"),
    ("release", "VARCHAR"),
    ("logger", "VARCHAR"),
    ("thread", "VARCHAR"),
    ("platform", "VARCHAR"),
    ("message", "VARCHAR"),
    ("template", "VARCHAR"),
    ("title", "VARCHAR"),
    ("exc_type", "VARCHAR"),
    ("exc_value", "VARCHAR"),
    ("exc_module", "VARCHAR"),
    ("culprit", "VARCHAR"),
    ("exceptions", "VARCHAR"),
    ("stacktrace", "VARCHAR"),
    ("trace_id", "VARCHAR"),
    ("span_id", "VARCHAR"),
    ("parent_span_id", "VARCHAR"),
    ("correlation_id", "VARCHAR"),
    ("user_id", "VARCHAR"),
    ("user_ip", "VARCHAR"),
    ("session_id", "VARCHAR"),
    ("http_method", "VARCHAR"),
    ("http_path", "VARCHAR"),
    ("http_status", "INTEGER"),
    ("duration_ms", "DOUBLE"),
    ("tags", "VARCHAR"),
    ("context", "VARCHAR"),
    ("grouping", "VARCHAR"),
    ("source_path", "VARCHAR"),
    ("source_line", "BIGINT"),
)

EVENTS_DDL = "CREATE TABLE IF NOT EXISTS events (" + ", ".join(f"{name} {kind}" for name, kind in EVENT_COLUMNS) + ")"
"""No key on `id`: an index on it would grow with every event stored, and DuckDB keeps its indexes in
memory (at the 64 MB ingest limit, writes failed after about 650,000 events). Copies are kept out by
the writers instead, looking where they could lie: the batch's time span."""

DDL: tuple[str, ...] = (
    EVENTS_DDL,
    """CREATE TABLE IF NOT EXISTS issues (
        project VARCHAR, fingerprint VARCHAR PRIMARY KEY, title VARCHAR, type VARCHAR, level VARCHAR,
        culprit VARCHAR, status VARCHAR DEFAULT 'unresolved', first_seen TIMESTAMP, last_seen TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS volume (
        service VARCHAR, host VARCHAR, release VARCHAR, minute TIMESTAMP, level VARCHAR, count BIGINT,
        requests BIGINT, failed_requests BIGINT)""",
    """CREATE TABLE IF NOT EXISTS latency (
        service VARCHAR, minute TIMESTAMP, le_ms DOUBLE, count BIGINT)""",
    """CREATE TABLE IF NOT EXISTS spans (
        trace_id VARCHAR, span_id VARCHAR, parent_span_id VARCHAR, service VARCHAR, name VARCHAR, kind VARCHAR,
        start TIMESTAMP, "end" TIMESTAMP, status VARCHAR, status_message VARCHAR, attributes VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS deploys (
        service VARCHAR, release VARCHAR, time TIMESTAMP, source VARCHAR, commit VARCHAR, previous_release VARCHAR,
        kind VARCHAR, description VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS sources (
        path VARCHAR PRIMARY KEY, head_hash VARCHAR, lines BIGINT, format VARCHAR, updated_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS fingerprint_aliases (key VARCHAR PRIMARY KEY, fingerprint VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS grouping_state (name VARCHAR PRIMARY KEY, state VARCHAR, saved_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS spool_applied (id VARCHAR PRIMARY KEY, segment BIGINT)""",
)

SCHEMA_VERSION = "2"
