"""Stores for the contract tests: every test runs on DuckDB and on ClickHouse (chDB in-process, and a
server too when FAULTLENS_CLICKHOUSE_URL names one), each in a fresh database."""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

CLICKHOUSE_URL = os.environ.get("FAULTLENS_CLICKHOUSE_URL")
BACKENDS = ["duckdb", "chdb", *(["clickhouse"] if CLICKHOUSE_URL else [])]


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory):
    """One chDB directory for the whole run: chDB holds one engine path per process."""
    pytest.importorskip("chdb")
    return tmp_path_factory.mktemp("chdb")


def fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path) -> str:
    """A `--db` value naming an empty store of the backend."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    if backend == "duckdb":
        return str(tmp_path / "store.duckdb")
    if backend == "chdb":
        return f"chdb://{request.getfixturevalue('chdb_dir')}?database={name}"
    parts = urlsplit(CLICKHOUSE_URL or "")
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    """A `--db` value naming an empty store, once per backend."""
    return fresh_url(request.param, request, tmp_path)


@pytest.fixture
def store(store_url):
    from faultlens.store import open_store

    opened = open_store(store_url)
    yield opened
    opened.close()
