"""Deploys: read off release changes, marker files and git tags; rates around them; suspects."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from faultlens.analysis.deploys import deploy_impacts, git_tag_deploys, load_marker_file, release_deploys
from faultlens.errors import ConfigError
from faultlens.model import Deploy, Issue, Trend

T0 = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)


def minute(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def rows(*items):
    return [{"service": s, "host": h, "release": r, "minute": minute(m), "records": 5} for m, s, h, r in items]


def test_rolling_deploy_and_rollback():
    """The first host on a new release marks the deploy; later hosts join it; going back is a rollback."""
    found = release_deploys(rows(
        (0, "pay", "a", "v1"), (0, "pay", "b", "v1"),
        (1, "pay", "a", "v1"), (1, "pay", "a", "v2"), (1, "pay", "b", "v1"),
        (2, "pay", "a", "v2"), (2, "pay", "b", "v2"),
        (9, "pay", "a", "v1"), (9, "pay", "b", "v1"),
    ))
    assert [(d.release, d.previous_release, d.time) for d in found] == [("v2", "v1", minute(1)), ("v1", "v2", minute(9))]


def test_first_release_seen_is_no_deploy():
    """A service seen on one version all along was not deployed in the window."""
    assert release_deploys(rows((0, "pay", "a", "v1"), (5, "pay", "a", "v1"))) == []


def test_marker_files(tmp_path):
    """CSV and JSON marker files give deploys; a bad row names its line and what is missing."""
    csv_file = tmp_path / "deploys.csv"
    csv_file.write_text("service,release,time,commit\npay,v2,2026-11-28T14:00:00Z,abc123\n")
    (deploy,) = load_marker_file(csv_file)
    assert (deploy.service, deploy.release, deploy.commit, deploy.source) == ("pay", "v2", "abc123", "marker")
    json_file = tmp_path / "deploys.json"
    json_file.write_text('[{"service": "pay", "release": "v3", "time": "2026-11-28T15:00:00Z"}]')
    assert load_marker_file(json_file)[0].release == "v3"
    bad = tmp_path / "bad.csv"
    bad.write_text("service,release,time\npay,,2026-11-28T14:00:00Z\n")
    with pytest.raises(ConfigError) as caught:
        load_marker_file(bad)
    assert caught.value.line == 2 and "release" in caught.value.message


def test_git_tags(tmp_path):
    """Tags of a real repository become deploys of the service they name or whose release they match."""
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {"GIT_AUTHOR_DATE": "2026-11-28T14:00:00+00:00", "GIT_COMMITTER_DATE": "2026-11-28T14:00:00+00:00",
           "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@example.com", "PATH": "/usr/bin:/bin"}
    for command in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "one"], ["tag", "-a", "pay/v2", "-m", "x"],
                    ["tag", "-a", "v7", "-m", "y"], ["tag", "-a", "unrelated", "-m", "z"]):
        subprocess.run(["git", "-C", str(repo), *command], check=True, env=env, capture_output=True)
    found = git_tag_deploys(repo, ["pay", "cart"], {"cart": {"v7"}})
    assert sorted((d.service, d.release) for d in found) == [("cart", "v7"), ("pay", "v2")]
    assert all(d.time == T0 for d in found)


def issue(fingerprint: str, service: str, first: datetime, status: str = "new") -> Issue:
    trend = Trend(status=status, reason="", bucket_seconds=60)
    return Issue(fingerprint=fingerprint, title="t", type=None, message="", level="error", count=10, users=1,
                 services=[service], releases=[], environments=[], first_seen=first, last_seen=first, trend=trend)


def test_rates_and_suspects():
    """A deploy that multiplies its service's error rate is significant and takes the issues after it;
    an issue in another service follows it only as a near cascade."""
    deploy = Deploy(service="pay", release="v2", time=T0, source="release-change", previous_release="v1")
    minutes = [{"service": "pay", "minute": minute(m), "records": 100, "errors": 1 if m < 0 else 30}
               for m in range(-20, 20)]
    own = issue("own", "pay", minute(3))
    cascade = issue("cascade", "orders", minute(5))
    late = issue("late", "orders", minute(90))
    old = issue("old", "pay", minute(4), status="ongoing")
    (impact,) = deploy_impacts([deploy], minutes, [own, cascade, late, old])
    assert impact.significant and impact.rate_before == pytest.approx(0.01) and impact.rate_after == pytest.approx(0.3)
    assert impact.suspected_issues == ["own", "cascade"]
    assert late.suspect_deploy is None and old.suspect_deploy is None
