"""Opening the store's server tables from the command line, with the one error that matters said plainly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from faultlens.store import open_store
from faultlens.store.duckdb_accounts import Accounts
from faultlens.store.duckdb_store import DuckDBStore


@contextmanager
def open_accounts(db: str) -> Iterator[Accounts]:
    """The projects, keys and tokens of the store at `db`.

    While `faultlens serve` runs it holds the store; opening it then fails with a StoreError that
    says so (stop the server, run the command, start it again).
    """
    store = open_store(db)
    try:
        assert isinstance(store, DuckDBStore)
        yield store.accounts()
    finally:
        store.close()
