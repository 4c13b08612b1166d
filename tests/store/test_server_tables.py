"""What `faultlens serve` keeps and lists, alike on both backends: projects, keys, tokens, users, issue
status, the API's issue listings and one project's view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faultlens.store.duckdb_browse import IssueFilter
from tests.store.test_contract import T0, event


def test_projects_keys_tokens_and_users(store):
    """Creating, listing and revoking read back the same on every backend; revoking twice keeps the first time."""
    accounts = store.accounts()
    project, _ = accounts.create_project("shop", "k1")
    second, _ = accounts.create_project("billing", "k2")
    assert (project.id, second.id) == (1, 2)
    assert [p.name for p in accounts.projects()] == ["shop", "billing"]
    accounts.add_key(project, "k3")
    first = accounts.revoke_key("k1")
    again = accounts.revoke_key("k1")
    assert first is not None and again is not None and first.revoked_at == again.revoked_at
    assert [(k.public_key, k.active) for k in accounts.project_keys(project)] == [("k1", False), ("k3", True)]
    assert accounts.revoke_key("nope") is None
    accounts.add_token("t1", "ci", "hash1")
    assert accounts.revoke_token("t1").revoked_at is not None
    assert [t.id for t in accounts.tokens()] == ["t1"]
    accounts.add_user("ana", "h")
    assert [u.name for u in accounts.users()] == ["ana"]


def test_issue_status_and_regressions(store):
    """A resolved issue seen again is regressed; the API's counts and filters say so."""
    store.append_events([event(1), event(2, fingerprint="fp2", title="Other")])
    accounts = store.accounts()
    assert accounts.set_issue_status("missing", "resolved") is None
    state = accounts.set_issue_status("fp1", "resolved")
    assert state is not None and state.effective == "resolved"
    accounts.mark_regressed({"fp1": T0 + timedelta(days=365)})
    assert accounts.issue_states()["fp1"].effective == "regressed"
    browser = store.browser()
    assert browser.status_counts() == {"regressed": 1, "unresolved": 1}
    assert [r["fingerprint"] for r in browser.issues(None, IssueFilter(status="unresolved"))] == ["fp1", "fp2"]
    assert [r["fingerprint"] for r in browser.issues(None, IssueFilter(query="oth"))] == ["fp2"]


def test_browser_lists_and_pages(store):
    """Issues sort and page; an issue lists its projects; its events page newest first."""
    store.append_events([event(n, seconds=n) for n in range(5)] + [event(9, fingerprint="fp2", seconds=60)])
    store.accounts()  # the server opens its tables first
    browser = store.browser()
    rows = browser.issues(None, IssueFilter(sort="count", limit=1))
    assert [(r["fingerprint"], r["count"], r["services"]) for r in rows] == [("fp1", 5, ["api"])]
    assert browser.issues(None, IssueFilter(sort="count", limit=1, offset=1))[0]["fingerprint"] == "fp2"
    issue = browser.issue("fp1")
    assert issue is not None and issue["projects"] == ["default"] and issue["status"] == "unresolved"
    page = browser.events("fp1", 2)
    assert [e["id"] for e in page] == ["e4", "e3"]
    assert [e["id"] for e in browser.events("fp1", 2, before=page[-1]["timestamp"])] == ["e2", "e1"]


def test_one_project_only(store):
    """After `only_project`, the named queries answer for that project's events alone."""
    shop = [event(n) for n in range(3)]
    other = event(7, fingerprint="fp9")
    other.project = "billing"
    store.append_events([*shop, other])
    reader = store.reader()
    reader.only_project("billing")
    assert [r["fingerprint"] for r in reader.query("issues", since=None, until=None, min_rank=None)] == ["fp9"]
    assert reader.query("totals", since=None, until=None)[0]["events"] == 1
    assert store.query("totals", since=None, until=None)[0]["events"] == 4
    assert datetime.now(UTC) > T0


def test_account_commands_run_on_clickhouse(run_cli, chdb_dir):
    """`faultlens projects` and `faultlens tokens` keep their tables in ClickHouse as in DuckDB."""
    db = f"chdb://{chdb_dir}?database=account_commands"
    code, out, err = run_cli("projects", "create", "shop", "--db", db)
    assert code == 0, err
    assert out.strip().endswith("/1")
    code, out, _ = run_cli("projects", "list", "--db", db)
    assert code == 0 and "shop" in out
