"""Deploys and config changes: when they happened, what they did to error rates, what they started.

Release changes are read from the per-minute volume by host and release: the first host of a
service to answer with a new version marks the deploy, later hosts of the same rolling deploy
join it, and going back to an older version is a deploy too (a rollback). Marker files, git tags
and config-change lines add to them. For each, the error rate of its service before and after
is compared with a two-proportion test, and the issues first seen after it are suspected of it.
"""

from __future__ import annotations

import csv
import itertools
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from faultlens.analysis.stats import two_proportion_p
from faultlens.errors import ConfigError, SourceError
from faultlens.model import Deploy, DeployImpact, Issue
from faultlens.times import parse_timestamp

COMPARE_WINDOW = timedelta(minutes=30)
SUSPECT_HORIZON = timedelta(hours=2)
CASCADE_HORIZON = timedelta(minutes=30)
SIGNIFICANCE = 0.01
TAG_FORMAT = "%(refname:short)|%(creatordate:iso-strict)|%(objectname)"


def release_deploys(rows: Iterable[dict[str, Any]]) -> list[Deploy]:
    """Deploys read off `release_minutes` rows (service, host, release, minute), in time order.

    A host that shows two releases in one minute switched within it: the release it did not
    run before is the new one.
    """
    seen: dict[tuple[str, str, datetime], dict[str, int]] = defaultdict(dict)
    for row in rows:
        seen[(row["service"], row["host"], row["minute"])][row["release"]] = int(row["records"] or 0)
    current_by_host: dict[tuple[str, str], str] = {}
    current_by_service: dict[str, str] = {}
    deploys: list[Deploy] = []
    for (service, host, minute), releases in sorted(seen.items(), key=lambda item: (item[0][2], item[0][0],
                                                                                        item[0][1])):
        previous = current_by_host.get((service, host))
        others = sorted((r for r in releases if r != previous), key=lambda r: -releases[r])
        if not others:
            continue
        release = others[0]
        current_by_host[(service, host)] = release
        service_release = current_by_service.get(service)
        if previous is None and service_release is None:
            current_by_service[service] = release  # the first version seen: no deploy is evident
            continue
        if service_release == release:
            continue  # a later host of a rolling deploy
        current_by_service[service] = release
        deploys.append(Deploy(service=service, release=release, time=minute, source="release-change",
                              previous_release=service_release))
    return deploys


def load_marker_file(path: Path) -> list[Deploy]:
    """Deploys from a CSV (header: service,release,time[,commit]) or JSON list of such objects."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the deploy marker file: {exc.strerror or exc}", path=str(path)) from None
    stripped = text.lstrip()
    if stripped.startswith("[") or stripped.startswith("{"):
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"not valid JSON ({exc}); expected a list of {{service, release, time}}",
                              path=str(path)) from None
        items = data if isinstance(data, list) else data.get("deploys", [])
        return [_marker(item, str(path), i + 1) for i, item in enumerate(items)]
    reader = csv.DictReader(text.splitlines())
    return [_marker(row, str(path), i + 2) for i, row in enumerate(reader)]


def _marker(item: Any, path: str, line: int) -> Deploy:
    if not isinstance(item, dict):
        raise ConfigError("each deploy must be an object with service, release and time", path=path, line=line)
    missing = [key for key in ("service", "release", "time") if not item.get(key)]
    if missing:
        raise ConfigError(f"deploy is missing {', '.join(missing)}; expected service, release, time[, commit]",
                          path=path, line=line)
    time = parse_timestamp(item["time"])
    if time is None:
        raise ConfigError(f"time {item['time']!r} is not a time; write ISO 8601", path=path, line=line)
    return Deploy(service=str(item["service"]), release=str(item["release"]), time=time, source="marker",
                  commit=item.get("commit") or None, kind=str(item.get("kind") or "deploy"),
                  description=item.get("description") or None)


def git_tag_deploys(repo: Path, services: Sequence[str], releases_by_service: dict[str, set[str]]) -> list[Deploy]:
    """Tags of a git repository as deploys: `service/v1.2` names its service; a bare tag is given to the
    service whose events carry that release, if any."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "for-each-ref", f"--format={TAG_FORMAT}", "refs/tags"],
            capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SourceError(f"cannot run git: {exc}", path=str(repo)) from None
    if done.returncode != 0:
        raise SourceError(f"not a git repository ({done.stderr.strip()}); pass --repo a clone", path=str(repo))
    deploys = []
    for line in done.stdout.splitlines():
        tag, _, rest = line.partition("|")
        date, _, commit = rest.partition("|")
        time = parse_timestamp(date)
        if time is None:
            continue
        service, release = _tag_service(tag, services, releases_by_service)
        if service is not None:
            deploys.append(Deploy(service=service, release=release, time=time, source="git-tag", commit=commit))
    return deploys


def _tag_service(tag: str, services: Sequence[str], releases: dict[str, set[str]]) -> tuple[str | None, str]:
    for sep in ("/", "@"):
        head, found, tail = tag.rpartition(sep)
        if found and head in services:
            return head, tail
    owners = [service for service, seen in releases.items() if tag in seen]
    return (owners[0] if len(owners) == 1 else None), tag


def deploy_impacts(deploys: Sequence[Deploy], service_minutes: Sequence[dict[str, Any]],
                   issues: Sequence[Issue]) -> list[DeployImpact]:
    """Error rates of each deploy's service before and after it, and the new issues it is suspected of."""
    by_service: dict[str, list[tuple[datetime, int, int]]] = defaultdict(list)
    for row in service_minutes:
        by_service[row["service"]].append((row["minute"], int(row["records"] or 0), int(row["errors"] or 0)))
    ordered = sorted(deploys, key=lambda d: d.time)
    impacts = []
    for index, deploy in enumerate(ordered):
        prev_time = max((d.time for d in ordered[:index] if d.service == deploy.service), default=None)
        next_time = min((d.time for d in ordered[index + 1:] if d.service == deploy.service), default=None)
        before_start = max(deploy.time - COMPARE_WINDOW, prev_time or deploy.time - COMPARE_WINDOW)
        after_end = min(deploy.time + COMPARE_WINDOW, next_time or deploy.time + COMPARE_WINDOW)
        minutes = by_service.get(deploy.service, [])
        before = [(r, e) for m, r, e in minutes if before_start <= m < deploy.time]
        after = [(r, e) for m, r, e in minutes if deploy.time <= m < after_end]
        rb, eb = sum(r for r, _ in before), sum(e for _, e in before)
        ra, ea = sum(r for r, _ in after), sum(e for _, e in after)
        p_value = two_proportion_p(eb, rb, ea, ra)
        rate_b = eb / rb if rb else None
        rate_a = ea / ra if ra else None
        impacts.append(DeployImpact(
            deploy=deploy, errors_before=eb, records_before=rb, errors_after=ea, records_after=ra,
            rate_before=rate_b, rate_after=rate_a, p_value=p_value,
            significant=p_value is not None and p_value < SIGNIFICANCE and (rate_a or 0) > (rate_b or 0),
            window_seconds=int((after_end - deploy.time).total_seconds())))
    _assign_suspects(impacts, issues)
    return impacts


def _assign_suspects(impacts: list[DeployImpact], issues: Sequence[Issue]) -> None:
    """Each new or regressed issue is given to the latest change of its own service before it began
    (within two hours), else to the latest change elsewhere within half an hour that raised its
    service's error rate (a cascade); an issue that follows no change keeps none."""
    for issue in issues:
        if issue.trend is None or issue.trend.status not in ("new", "regressed"):
            continue
        began = issue.first_seen if issue.trend.status == "new" else _regression_start(issue)
        before = [i for i in impacts if i.deploy.time <= began]
        own = [i for i in before if i.deploy.service in issue.services and began - i.deploy.time <= SUSPECT_HORIZON]
        elsewhere = [i for i in before if i.deploy.service not in issue.services
                     and began - i.deploy.time <= CASCADE_HORIZON]
        latest_elsewhere = max(elsewhere, key=lambda i: i.deploy.time, default=None)
        if own:
            chosen = max(own, key=lambda i: i.deploy.time)
        elif latest_elsewhere is not None and latest_elsewhere.significant:
            chosen = latest_elsewhere
        else:
            continue
        chosen.suspected_issues.append(issue.fingerprint)
        issue.suspect_deploy = chosen


def _regression_start(issue: Issue) -> datetime:
    trend = issue.trend
    if trend is None:
        return issue.first_seen
    busy = [start for start, count in trend.series if count]
    gaps = [(b - a, b) for a, b in itertools.pairwise(busy)]
    return max(gaps)[1] if gaps else issue.first_seen
