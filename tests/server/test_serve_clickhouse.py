"""`faultlens serve` on ClickHouse (chDB in-process): the real sentry-sdk's events read back through the API
and the UI's data, the same issues as on DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from faultlens.server.config import Limits, ServerConfig
from faultlens.server.credentials import hash_token, new_public_key, new_token
from faultlens.store import open_server_store
from tests.server.conftest import Credentials
from tests.server.test_sentry_sdk import issues_by_type, report

pytest.importorskip("chdb")


def credentials_in(url: str) -> Credentials:
    store = open_server_store(url)
    try:
        accounts = store.accounts()
        created, key = accounts.create_project("shop", new_public_key())
        token_id, token = new_token()
        accounts.add_token(token_id, "tests", hash_token(token))
    finally:
        store.close()
    return Credentials("shop", created.id, key.public_key, token)


def served_issues(url: str, start_server: Any) -> dict[str, dict[str, Any]]:
    credentials = credentials_in(url)
    running = start_server(ServerConfig(db=url, limits=Limits(rate_per_key=0), batch_wait_seconds=0.01))
    report(running.dsn(credentials))
    issues = issues_by_type(running, credentials.token)
    with running.client(credentials.token) as client:
        lookup = client.get(f"/api/issues/{issues['KeyError']['id']}/events").json()["events"]
        assert len(lookup) == 3
        assert client.get("/api/projects/shop/report").status_code == 200
        assert client.patch(f"/api/issues/{issues['KeyError']['id']}", json={"status": "resolved"}).status_code == 200
        assert client.get("/api/projects/shop/issues", params={"status": "resolved"}).json()["issues"][0]["id"] == (
            issues["KeyError"]["id"])
    running.stop()
    return issues


def test_serve_on_clickhouse_matches_duckdb(tmp_path: Path, start_server: Any) -> None:
    on_chdb = served_issues(f"chdb://{tmp_path / 'ch'}", start_server)
    on_duckdb = served_issues(str(tmp_path / "faultlens.duckdb"), start_server)
    keep = ("id", "title", "type", "count", "users", "level", "culprit", "releases", "environments")
    assert {k: {f: v.get(f) for f in keep} for k, v in on_chdb.items()} == {
        k: {f: v.get(f) for f in keep} for k, v in on_duckdb.items()}
    assert set(on_chdb) == {"KeyError", "RuntimeError", "payment 1042 declined by gateway"}
    assert (tmp_path / "ch.spool").is_dir()  # the spool sits beside the chDB directory
