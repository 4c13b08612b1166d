"""Opening the store's server tables from the command line, with the one error that matters said plainly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from faultlens.store import open_server_store
from faultlens.store.clickhouse_accounts import ClickHouseAccounts
from faultlens.store.duckdb_accounts import Accounts


@contextmanager
def open_accounts(db: str) -> Iterator[Accounts | ClickHouseAccounts]:
    """The projects, keys and tokens of the store at `db` (DuckDB or ClickHouse).

    While `faultlens serve` runs it holds a DuckDB store; opening it then fails with a StoreError
    that says so (stop the server, run the command, start it again).
    """
    store = open_server_store(db)
    try:
        yield store.accounts()
    finally:
        store.close()
