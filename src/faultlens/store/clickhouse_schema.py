"""The store's tables in ClickHouse: MergeTree tables sorted for the analyses' queries, daily partitions.

ClickHouse has no unique keys and no UPDATE on the write path, so every table is append-only and
written so that appending is always right:

- `events` is sorted by (project, fingerprint, timestamp, id): an issue's events lie together, in
  time. The writer skips ids already stored; ReplacingMergeTree drops a copy two writers raced to add.
- `issues`, `event_minutes`, `volume` and `latency` aggregate on merge (min first seen, max last
  seen, summed counts), so a row per batch is enough and readers group by their key.
- tables a person or a run changes (`issue_status`, `sources`, `grouping_state`, `deploys`, `meta`,
  and the server's `projects`, `project_keys`, `api_tokens`, `ui_users`) keep every version and
  readers take the latest.
- `event_minutes` is a materialized per-minute rollup of `events`, filled by ClickHouse on insert.

`cluster_ddl` gives the same tables as ReplicatedMergeTree with a Distributed table over each, for
docs/clickhouse.md; `schema_ddl` is what `faultlens db init` and every open run.
"""

from __future__ import annotations

from faultlens.store.schema import EVENT_COLUMNS

SCHEMA_VERSION = "1"

_CH_TYPES = {"VARCHAR": "Nullable(String)", "TIMESTAMP": "DateTime64(6, 'UTC')", "INTEGER": "Nullable(Int32)",
             "DOUBLE": "Nullable(Float64)", "BIGINT": "Nullable(Int64)"}
_NOT_NULL = {"id": "String", "project": "LowCardinality(String)", "fingerprint": "String",
             "level": "LowCardinality(String)", "service": "LowCardinality(Nullable(String))",
             "environment": "LowCardinality(Nullable(String))"}

TIME = "DateTime64(6, 'UTC')"
MINUTE = "DateTime('UTC')"


def _table(name: str, columns: str, engine: str, order: str, partition: str | None = None,
           ttl: str | None = None, extra: str = "") -> tuple[str, str, str]:
    """(name, columns, engine clause) so the local and cluster DDL share one definition."""
    clause = f"ENGINE = {engine}"
    if partition:
        clause += f" PARTITION BY {partition}"
    clause += f" ORDER BY {order}"
    if ttl:
        clause += f" TTL {ttl}"
    clause += " SETTINGS allow_nullable_key = 1" + extra
    return name, columns, clause


def tables(ttl_days: int | None = None) -> list[tuple[str, str, str]]:
    """Every table as (name, columns, engine clause); `ttl_days` drops events, spans and counts older."""
    def ttl(column: str) -> str | None:
        return f"toDateTime({column}) + INTERVAL {int(ttl_days)} DAY" if ttl_days else None

    event_columns = ", ".join(f"`{name}` {_NOT_NULL.get(name, _CH_TYPES[kind])}" for name, kind in EVENT_COLUMNS)
    event_columns += ", INDEX id_bloom id TYPE bloom_filter GRANULARITY 4"
    return [
        _table("events", event_columns, "ReplacingMergeTree", "(project, fingerprint, timestamp, id)",
               "toDate(timestamp)", ttl("timestamp")),
        _table("issues", f"""project SimpleAggregateFunction(any, Nullable(String)), fingerprint String,
               title SimpleAggregateFunction(any, Nullable(String)),
               type SimpleAggregateFunction(any, Nullable(String)),
               level SimpleAggregateFunction(any, Nullable(String)),
               culprit SimpleAggregateFunction(any, Nullable(String)),
               first_seen SimpleAggregateFunction(min, {TIME}), last_seen SimpleAggregateFunction(max, {TIME})""",
               "AggregatingMergeTree", "fingerprint"),
        _table("issue_status", f"""fingerprint String, status String, changed_at {TIME},
               resolved_at Nullable({TIME}), regressed_at Nullable({TIME}), version {TIME}""",
               "ReplacingMergeTree(version)", "fingerprint"),
        _table("projects", f"id UInt32, name String, created_at {TIME}", "ReplacingMergeTree", "id"),
        _table("project_keys", f"""public_key String, project_id UInt32, created_at {TIME},
               revoked_at Nullable({TIME}), version {TIME}""", "ReplacingMergeTree(version)", "public_key"),
        _table("api_tokens", f"""id String, name Nullable(String), hash String, created_at {TIME},
               revoked_at Nullable({TIME}), version {TIME}""", "ReplacingMergeTree(version)", "id"),
        _table("ui_users", f"name String, hash String, created_at {TIME}", "ReplacingMergeTree", "name"),
        _table("event_minutes", f"""project LowCardinality(String), service LowCardinality(Nullable(String)),
               minute {MINUTE}, fingerprint String, events SimpleAggregateFunction(sum, UInt64),
               errors SimpleAggregateFunction(sum, UInt64), warnings SimpleAggregateFunction(sum, UInt64),
               first SimpleAggregateFunction(min, {TIME}), last SimpleAggregateFunction(max, {TIME})""",
               "AggregatingMergeTree", "(project, service, minute, fingerprint)", "toDate(minute)", ttl("minute")),
        _table("volume", f"""service LowCardinality(Nullable(String)), host Nullable(String),
               release Nullable(String), minute {MINUTE}, level LowCardinality(String), count Int64,
               requests Int64, failed_requests Int64""",
               "SummingMergeTree", "(service, minute, level, host, release)", "toDate(minute)", ttl("minute")),
        _table("latency", f"service LowCardinality(Nullable(String)), minute {MINUTE}, le_ms Nullable(Float64), "
               "count Int64", "SummingMergeTree", "(service, minute, le_ms)", "toDate(minute)", ttl("minute")),
        _table("spans", f"""trace_id String, span_id Nullable(String), parent_span_id Nullable(String),
               service LowCardinality(Nullable(String)), name Nullable(String), kind Nullable(String),
               start {TIME}, `end` Nullable({TIME}), status Nullable(String), status_message Nullable(String),
               attributes Nullable(String)""",
               "MergeTree", "(trace_id, start)", "toDate(start)", ttl("start")),
        _table("deploys", f"""service Nullable(String), release Nullable(String), time {TIME},
               source Nullable(String), commit Nullable(String), previous_release Nullable(String),
               kind Nullable(String), description Nullable(String)""",
               "ReplacingMergeTree", "(service, release, time, kind)"),
        _table("sources", f"path String, head_hash String, lines Int64, format Nullable(String), updated_at {TIME}",
               "ReplacingMergeTree(updated_at)", "path"),
        _table("meta", "key String, value String", "ReplacingMergeTree", "key"),
        _table("fingerprint_aliases", f"key String, fingerprint String, added_at {TIME}", "MergeTree", "key"),
        _table("grouping_state", f"name String, state String, saved_at {TIME}",
               "ReplacingMergeTree(saved_at)", "name"),
        _table("spool_applied", "id String, segment Int64", "ReplacingMergeTree", "id"),
    ]


ROLLUP_SELECT = """
    SELECT project, service, toStartOfMinute(timestamp) AS minute, fingerprint, count() AS events,
           countIf(level IN ('error', 'fatal')) AS errors, countIf(level = 'warning') AS warnings,
           min(timestamp) AS first, max(timestamp) AS last
    FROM {events} GROUP BY project, service, minute, fingerprint"""
"""The per-minute rollup the materialized view keeps of every insert into events."""


def schema_ddl(database: str, ttl_days: int | None = None) -> list[str]:
    """Statements that create the store in `database` (each is a no-op when its object exists)."""
    statements = [f"CREATE DATABASE IF NOT EXISTS `{database}`"]
    for name, columns, clause in tables(ttl_days):
        statements.append(f"CREATE TABLE IF NOT EXISTS `{database}`.`{name}` ({columns}) {clause}")
    statements.append(f"CREATE MATERIALIZED VIEW IF NOT EXISTS `{database}`.event_minutes_mv "
                      f"TO `{database}`.event_minutes AS "
                      + ROLLUP_SELECT.format(events=f"`{database}`.events"))
    return statements


def cluster_ddl(database: str, cluster: str, ttl_days: int | None = None) -> list[str]:
    """The store on a cluster: a Replicated table per shard (`*_local`) and a Distributed table over each.

    Events are sharded by fingerprint, so one issue's events (and its rollup rows) live on one shard
    and per-issue aggregates stay local; writers and readers use the Distributed tables, which keep
    the names the queries use.
    """
    on = f"ON CLUSTER '{cluster}'"
    statements = [f"CREATE DATABASE IF NOT EXISTS `{database}` {on}"]
    shard_keys = {"events": "cityHash64(fingerprint)", "event_minutes": "cityHash64(fingerprint)",
                  "issues": "cityHash64(fingerprint)", "issue_status": "cityHash64(fingerprint)",
                  "spans": "cityHash64(trace_id)"}
    for name, columns, clause in tables(ttl_days):
        engine = clause.split(" ", 3)[2]
        family, _, args = engine.partition("(")
        replicated = (f"Replicated{family}('/clickhouse/tables/{{shard}}/{database}/{name}', '{{replica}}'"
                      + (f", {args}" if args else ")"))
        local_clause = clause.replace(f"ENGINE = {engine}", f"ENGINE = {replicated}", 1)
        statements.append(f"CREATE TABLE IF NOT EXISTS `{database}`.`{name}_local` {on} ({columns}) {local_clause}")
        statements.append(
            f"CREATE TABLE IF NOT EXISTS `{database}`.`{name}` {on} AS `{database}`.`{name}_local` "
            f"ENGINE = Distributed('{cluster}', '{database}', '{name}_local', {shard_keys.get(name, 'rand()')})")
    statements.append(f"CREATE MATERIALIZED VIEW IF NOT EXISTS `{database}`.event_minutes_mv {on} "
                      f"TO `{database}`.event_minutes_local AS "
                      + ROLLUP_SELECT.format(events=f"`{database}`.events_local"))
    return statements
