"""Suspect commits, against a git repository built here with a known history and a real traceback into it.

The history (all dates fixed): Alice writes the shop (Jan 1, tagged v1.0); Bob edits the README
(Feb 20); Carol tidies cart.py away from the failing path (Feb 25); Dave rewrites the coupon line
in pricing.py (Mar 1, tagged v1.1); the checkout then fails on a coupon of None, first seen Mar 5;
Erin fixes it on Mar 10. Dave must lead, Alice (the caller's line, long ago) and Carol (the
file) follow, Bob (no failing file) and Erin (after the failure) are never suspects.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from faultlens.analysis.issues import list_issues
from faultlens.analysis.suspects import GitRepo, map_frame, suspect_commits
from faultlens.errors import SourceError
from faultlens.model import Frame, Issue
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import open_store

PRICING_V1 = '''"""Prices."""


def total(payload, unit_price):
    coupon = payload.get("coupon") or {}
    percent = coupon.get("percent", 0)
    return unit_price * payload["qty"] * (100 - percent) / 100
'''
PRICING_V2 = '''"""Prices."""


def total(payload, unit_price):
    percent = payload.get("coupon", {}).get("percent", 0)
    return unit_price * payload["qty"] * (100 - percent) / 100
'''
CART_V1 = '''"""The cart."""
from shop import pricing


def checkout(payload):
    return pricing.total(payload, 4.5)
'''
CART_V2 = '''"""The cart: checkout totals."""
from shop import pricing


def checkout(payload):
    return pricing.total(payload, 4.5)
'''
DRIVER = '''import sys, traceback
sys.path.insert(0, sys.argv[1])
from shop import cart
try:
    cart.checkout({"qty": 2, "coupon": None})
except Exception:
    print("2026-03-05 10:00:00,000 ERROR [shop.api] checkout failed")
    traceback.print_exc(file=sys.stdout)
'''
FIRST_SEEN = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def git(repo: Path, *args: str, when: str | None = None, who: str = "Alice") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": who, "GIT_AUTHOR_EMAIL": f"{who.lower()}@example.com",
           "GIT_COMMITTER_NAME": who, "GIT_COMMITTER_EMAIL": f"{who.lower()}@example.com"}
    if when:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


def commit(repo: Path, files: dict[str, str], message: str, when: str, who: str) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, when=when, who=who)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Issue]:
    """The repository, and the issue its v1.1 code raised, as faultlens read it from a log."""
    root = tmp_path_factory.mktemp("suspects")
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"app/shop/__init__.py": "", "app/shop/pricing.py": PRICING_V1, "app/shop/cart.py": CART_V1,
                  "README.md": "shop\n"}, "Initial cart and pricing", "2026-01-01T09:00:00Z", "Alice")
    git(repo, "tag", "v1.0")
    commit(repo, {"README.md": "shop\n\nRun it.\n"}, "Docs", "2026-02-20T09:00:00Z", "Bob")
    commit(repo, {"app/shop/cart.py": CART_V2}, "Tidy the cart's docstring", "2026-02-25T09:00:00Z", "Carol")
    commit(repo, {"app/shop/pricing.py": PRICING_V2}, "Read coupon percent in one expression",
           "2026-03-01T09:00:00Z", "Dave")
    git(repo, "tag", "-a", "v1.1", "-m", "release 1.1", when="2026-03-01T10:00:00Z", who="Dave")
    deployed = root / "srv" / "shop-1.1"
    shutil.copytree(repo / "app", deployed / "app")  # the code as deployed, under another prefix
    commit(repo, {"app/shop/pricing.py": PRICING_V1}, "Treat a null coupon as none", "2026-03-10T09:00:00Z", "Erin")
    (root / "driver.py").write_text(DRIVER)
    log = subprocess.run([sys.executable, str(root / "driver.py"), str(deployed / "app")], check=True,
                         capture_output=True, text=True).stdout
    assert "AttributeError" in log and str(deployed) in log
    (root / "shop.log").write_text(log)
    store = open_store(":memory:")
    Ingestor(store, IngestOptions(service="shop")).run([str(root / "shop.log")])
    issue = list_issues(store)[0]
    store.close()
    return repo, issue


def test_the_raising_lines_author_leads(shop):
    """The commit that last changed the raising line before the issue began is the first suspect."""
    repo, issue = shop
    suspects = suspect_commits(issue, GitRepo(repo))
    assert issue.first_seen == FIRST_SEEN
    assert [s.author for s in suspects][:3] == ["Dave", "Alice", "Carol"]
    dave = suspects[0]
    assert dave.message == "Read coupon percent in one expression"
    assert dave.date == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert dave.reason == ("last changed the raising line app/shop/pricing.py:5 (4 days before the issue was "
                           "first seen)")
    assert dave.files == ["app/shop/pricing.py"]


def test_caller_line_and_file_changes_rank_below(shop):
    """The caller's line (old) and a change elsewhere in a failing file are suspects, weighed less."""
    repo, issue = shop
    suspects = {s.author: s for s in suspect_commits(issue, GitRepo(repo))}
    assert "last changed app/shop/cart.py:6 on the failing path" in suspects["Alice"].reason
    assert suspects["Carol"].reason == "changed app/shop/cart.py (8 days before the issue was first seen)"
    assert suspects["Dave"].score > suspects["Alice"].score > suspects["Carol"].score


def test_unrelated_and_later_commits_are_never_suspects(shop):
    """A commit touching no failing file, and the fix made after the first event, are left out."""
    repo, issue = shop
    authors = {s.author for s in suspect_commits(issue, GitRepo(repo))}
    assert "Bob" not in authors and "Erin" not in authors


def test_release_tags_relate_the_release_to_its_commits(shop):
    """An issue seen in v1.0 and v1.1 began in v1.1, the newer tag before it: it is read at that tag, and the
    commits since v1.0 and the tagged commit say so."""
    repo, issue = shop
    issue.releases = ["v1.0", "v1.1"]
    try:
        suspects = {s.author: s for s in suspect_commits(issue, GitRepo(repo))}
    finally:
        issue.releases = []
    assert "shipped in v1.1, the release the issue began in (since v1.0)" in suspects["Carol"].reason
    assert "is v1.1's tagged commit" in suspects["Dave"].reason
    assert "Erin" not in suspects


def test_frames_map_by_the_longest_path_suffix():
    """A deployed path maps to the repository file sharing the longest suffix; a JVM frame uses its package."""
    files = ["app/db/repository.py", "tools/db/repository.py", "src/main/java/com/acme/order/PaymentClient.java",
             "src/test/java/com/acme/stub/PaymentClient.java"]
    assert map_frame(Frame(filename="/srv/payment/app/db/repository.py"), files) == "app/db/repository.py"
    assert map_frame(Frame(filename="PaymentClient.java", module="com.acme.order.PaymentClient"), files) == \
        "src/main/java/com/acme/order/PaymentClient.java"
    assert map_frame(Frame(filename="repository.py"), files) is None, "two files share the basename: unclear"
    assert map_frame(Frame(filename="/srv/other.py"), files) is None


def test_a_folder_that_is_not_a_clone_is_refused(tmp_path):
    """--repo on a plain folder fails with a message that says to pass a clone."""
    with pytest.raises(SourceError, match="pass --repo a clone"):
        GitRepo(tmp_path)
