"""The store: where events, issues, spans, deploys and volume counts live between runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faultlens.store.base import ServerStore, Store

DEFAULT_DB = ".faultlens/faultlens.duckdb"


def open_store(url: str | None) -> Store:
    """Open the store a `--db` value names: a DuckDB file path (the default) or `:memory:`, or ClickHouse as
    `clickhouse://user:password@host:8123/database` (`clickhouses://` for TLS) or `chdb:///path/to/dir`."""
    return open_server_store(url)


def open_server_store(url: str | None) -> ServerStore:
    """Open the store `faultlens serve` and its account commands use: either backend has the server's tables."""
    target = url or DEFAULT_DB
    if is_clickhouse_url(target):
        from faultlens.store.clickhouse_store import ClickHouseStore

        return ClickHouseStore(target)
    from faultlens.store.duckdb_store import DuckDBStore

    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    return DuckDBStore(target)


def run_sql(url: str, statement: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one statement read-only on the store `url` names; its column names and rows."""
    if is_clickhouse_url(url):
        from faultlens.store.clickhouse_store import run_sql as run_clickhouse_sql

        return run_clickhouse_sql(url, statement)
    from faultlens.store.duckdb_sql import run_sql as run_duckdb_sql

    return run_duckdb_sql(url, statement)


def is_clickhouse_url(url: str) -> bool:
    """Whether a `--db` value names ClickHouse (a server or chDB) rather than a DuckDB file."""
    return url.startswith(("clickhouse://", "clickhouses://", "chdb://"))


__all__ = ["DEFAULT_DB", "ServerStore", "Store", "is_clickhouse_url", "open_server_store", "open_store", "run_sql"]
