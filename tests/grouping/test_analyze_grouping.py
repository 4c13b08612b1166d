"""Grouping end to end: `faultlens analyze` keys messages by mined templates, keeps fingerprints across
processes and inputs, and joins events whose in-app frames changed to the issues they founded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import orjson

from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import open_store

PY_TRACE = """Traceback (most recent call last):
  File "/srv/shop/views.py", line {line}, in checkout
    return pricing.total(cart)
  File "/srv/shop/pricing.py", line {line2}, in total
    return sum(item["price"] for item in cart)
KeyError: 'price'
"""

JAVA_TRACE = """com.acme.shop.ShopException: order {order} already shipped
\tat com.acme.shop.Errors.fail(Errors.java:{line})
\tat com.acme.shop.Orders.cancel(Orders.java:42)
\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:205)
\tat org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1072)
\tat com.acme.shop.Web.cancel(Web.java:17)
\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:166)
"""


def log_line(second: int, message: str) -> str:
    return f"2026-11-28 14:05:{second:02d},000 ERROR [shop.web] {message}\n"


def shop_log(users: list[str], line_shift: int = 0) -> str:
    text = "".join(log_line(n, f"login failed for user {user} from 10.0.0.{n}") for n, user in enumerate(users))
    text += log_line(30, "checkout failed") + PY_TRACE.format(line=12 + line_shift, line2=40 + line_shift)
    return text


def fingerprints_by_line(db: Path, path: Path) -> dict[int, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT source_line, fingerprint FROM events WHERE source_path = ?",
                           [str(path)]).fetchall()
    finally:
        con.close()
    return dict(rows)


def analyze_in_new_process(db: Path, *paths: Path, options: tuple[str, ...] = ()) -> dict[str, object]:
    exe = os.path.join(os.path.dirname(sys.executable), "faultlens")
    done = subprocess.run([exe, "analyze", *map(str, paths), "--db", str(db), "--format", "json", *options],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = orjson.loads(done.stdout)
    return report


def test_messages_are_keyed_by_their_mined_template(tmp_path: Path) -> None:
    """Messages differing in their values are one issue keyed by a template id, and the template is stored."""
    log = tmp_path / "shop.log"
    log.write_text("".join(log_line(n, f"payment {4000 + n} declined for card 42{n}9") for n in range(5)))
    store = open_store(str(tmp_path / "s.duckdb"))
    Ingestor(store, IngestOptions()).run([str(log)])
    (issue,) = store.query("issues", since=None, until=None, min_rank=None)
    assert issue["count"] == 5
    assert any(part.startswith("template:") for part in orjson.loads(issue["grouping"]))
    (sample,) = store.query("events_by_id", ids=[issue["sample_id"]])
    assert sample["template"] == "payment <*> declined for card <*>"
    store.close()


def test_fingerprints_survive_new_processes_and_other_files_first(tmp_path: Path) -> None:
    """The same lines analyzed again in a new process, after a file that generalizes their template, get
    the fingerprints they got the first time."""
    for folder in ("first", "other", "again"):
        (tmp_path / folder).mkdir()
    first = tmp_path / "first" / "shop.log"
    first.write_text(shop_log(["alice"]))
    db = tmp_path / "s.duckdb"
    analyze_in_new_process(db, first)
    before = fingerprints_by_line(db, first)
    other = tmp_path / "other" / "shop.log"
    other.write_text(shop_log(["bob", "carol", "dave", "erin", "frank"], line_shift=9))
    again = tmp_path / "again" / "shop.log"
    again.write_text(first.read_text())
    report = analyze_in_new_process(db, other, again)
    assert fingerprints_by_line(db, again) == before
    assert set(fingerprints_by_line(db, other).values()) == set(before.values()), \
        "the other users and the shifted trace joined the same two issues"
    assert report["summary"]["issues"] == 2  # type: ignore[index]


def test_changed_app_packages_keep_events_in_their_issues(tmp_path: Path) -> None:
    """`analyze --app-package` claiming a library changes the in-app fingerprint; events still join their issue."""
    for folder in ("before", "after"):
        (tmp_path / folder).mkdir()
    first = tmp_path / "before" / "web.log"
    first.write_text(log_line(1, "cancel failed") + JAVA_TRACE.format(order=17, line=9))
    second = tmp_path / "after" / "web.log"
    second.write_text(log_line(2, "cancel failed") + JAVA_TRACE.format(order=99, line=11))
    db = tmp_path / "s.duckdb"
    analyze_in_new_process(db, first)
    report = analyze_in_new_process(db, second, options=("--app-package", "org.springframework.web"))
    (issue,) = report["issues"]  # type: ignore[misc]
    assert issue["count"] == 2
    con = duckdb.connect(str(db), read_only=True)
    grouping = orjson.loads(con.execute("SELECT grouping FROM events WHERE source_path = ?",
                                        [str(second)]).fetchone()[0])
    con.close()
    assert "frame:org.springframework.web.servlet.DispatcherServlet in doDispatch" in grouping, "now in-app"
    assert grouping[-1] == "joined-by:all-frames"
