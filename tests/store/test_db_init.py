"""`faultlens db init`: the store's tables ahead of time, with retention or for a cluster."""

from __future__ import annotations

from faultlens.store import run_sql


def test_init_creates_tables_with_retention(run_cli, chdb_dir):
    """`--ttl-days` puts a TTL on the events table, and running it again changes nothing."""
    db = f"chdb://{chdb_dir}?database=init_ttl"
    for _ in range(2):
        code, out, err = run_cli("db", "init", "--db", db, "--ttl-days", "7")
        assert code == 0, err
        assert "store ready" in out
    _, rows = run_sql(db, "SELECT engine_full FROM system.tables WHERE database = 'init_ttl' AND name = 'events'")
    assert "toIntervalDay(7)" in rows[0][0]


def test_cluster_ddl_is_replicated_and_distributed(run_cli):
    """`--cluster --print-ddl` prints Replicated tables on every node and a Distributed table over each."""
    code, out, _ = run_cli("db", "init", "--db", "clickhouse://u:p@ch1:8123/errors", "--cluster", "prod",
                           "--print-ddl")
    assert code == 0
    assert "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/errors/events', '{replica}')" in out
    assert "Distributed('prod', 'errors', 'events_local', cityHash64(fingerprint))" in out
    assert "ON CLUSTER 'prod'" in out


def test_clickhouse_options_are_refused_on_duckdb(run_cli, tmp_path):
    """Retention and clusters are ClickHouse's: asking for them on a DuckDB file says so."""
    code, _, err = run_cli("db", "init", "--db", str(tmp_path / "s.duckdb"), "--ttl-days", "3")
    assert code == 2 and "apply to ClickHouse" in err
