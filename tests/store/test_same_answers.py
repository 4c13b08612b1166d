"""DuckDB and ClickHouse give the same answers: every named query, and the whole report."""

from __future__ import annotations

import json

import pytest

from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import open_store
from faultlens.store.clickhouse_queries import QUERIES as CLICKHOUSE_QUERIES
from faultlens.store.duckdb_queries import QUERIES as DUCKDB_QUERIES
from faultlens.store.duckdb_queries import QUERY_PARAMS
from tests.conftest import EXAMPLE, REPO

INPUTS = [str(EXAMPLE), str(REPO / "tests" / "fixtures" / "traces"), str(REPO / "tests" / "fixtures" / "traces_otel")]


def test_every_named_query_has_a_clickhouse_version():
    """A query added for DuckDB without its ClickHouse twin would break `--db clickhouse://`."""
    assert set(DUCKDB_QUERIES) <= set(CLICKHOUSE_QUERIES)


def _canonical(rows: list[dict]) -> list[str]:
    """Rows as sorted JSON: an unordered query may list its rows in any order."""
    def value(v):
        return round(v, 6) if isinstance(v, float) else v
    return sorted(json.dumps({k: value(v) for k, v in row.items()}, default=str, sort_keys=True) for row in rows)


@pytest.fixture(scope="module")
def both_stores(chdb_dir):
    duck = open_store(":memory:")
    click = open_store(f"chdb://{chdb_dir}?database=same_answers")
    for store in (duck, click):
        Ingestor(store, IngestOptions()).run(INPUTS)
    yield duck, click
    duck.close()
    click.close()


@pytest.mark.parametrize("name", sorted(set(QUERY_PARAMS) - {"set_issue_status"}))
def test_named_query_answers_alike(both_stores, name):
    """The example and the trace fixtures, stored in each backend, give the same rows to every query."""
    duck, click = both_stores
    issues = duck.query("issues", since=None, until=None, min_rank=None)
    requests = duck.query("failing_requests", since=None, until=None)
    known = {"ids": [r["sample_id"] for r in issues[:10]], "fingerprints": [r["fingerprint"] for r in issues[:10]],
             "fingerprint": issues[0]["fingerprint"], "services": duck.query("totals")[0]["services"],
             "request": requests[0]["request"], "bucket": 300, "limit": 100, "min_rank": 3}
    params = {key: known.get(key) for key in QUERY_PARAMS[name]}
    expected = _canonical(duck.query(name, **params))
    assert _canonical(click.query(name, **params)) == expected
    if "since" in params:  # a window takes the other branch of queries that read the rollups
        window = {**params, "since": issues[0]["first_seen"], "until": issues[0]["last_seen"]}
        assert _canonical(click.query(name, **window)) == _canonical(duck.query(name, **window))


def test_the_report_is_the_same_on_both(run_cli, chdb_dir, tmp_path):
    """`faultlens analyze --format json` writes the same report from DuckDB and from ClickHouse."""
    reports = []
    for db in (str(tmp_path / "s.duckdb"), f"chdb://{chdb_dir}?database=same_report"):
        code, out, err = run_cli("analyze", str(EXAMPLE), "--db", db, "--format", "json")
        assert code == 0, err
        report = json.loads(out)
        report.pop("generated_at", None)
        reports.append(report)
    assert reports[0] == reports[1]
