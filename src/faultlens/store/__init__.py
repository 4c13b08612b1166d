"""The store: where events, issues, spans, deploys and volume counts live between runs."""

from __future__ import annotations

from pathlib import Path

from faultlens.store.base import Store

DEFAULT_DB = ".faultlens/faultlens.duckdb"


def open_store(url: str | None) -> Store:
    """Open the store a `--db` value names: a DuckDB file path (the default) or `:memory:`."""
    from faultlens.store.duckdb_store import DuckDBStore

    target = url or DEFAULT_DB
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    return DuckDBStore(target)


__all__ = ["DEFAULT_DB", "Store", "open_store"]
