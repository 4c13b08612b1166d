"""Ad-hoc SQL over a DuckDB store, opened read-only so a query can never change what is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from faultlens.errors import StoreError, UsageError


def run_sql(path: str, statement: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one statement; return its column names and rows."""
    if path != ":memory:" and not Path(path).exists():
        raise UsageError("no store here yet; run `faultlens analyze` first or pass --db", path=path)
    try:
        con = duckdb.connect(path, read_only=path != ":memory:")
    except duckdb.IOException as exc:
        raise StoreError(f"cannot open the store read-only ({exc}); is `faultlens serve` writing to it?",
                         path=path) from None
    try:
        cursor = con.execute(statement)
        if cursor.description is None:
            return [], []
        return [d[0] for d in cursor.description], cursor.fetchall()
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        raise UsageError(f"the query failed: {first_line}; see docs/queries.md for the tables") from None
    finally:
        con.close()
