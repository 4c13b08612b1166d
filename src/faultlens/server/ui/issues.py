"""The issues list and one issue: what broke, how it is classified and why, its stack and its events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from faultlens.model import LEVELS, Event, ExceptionInfo, Frame, Issue, Report
from faultlens.report.charts import bar_chart
from faultlens.server.ui import charts
from faultlens.server.ui.pages import PageNotFound, Visit, action, known_project, page
from faultlens.store.base import ServerStore
from faultlens.store.duckdb_accounts import ISSUE_STATUSES
from faultlens.store.rows import event_from_row

SORTS = {"priority": "priority", "frequency": "frequency", "newest": "newest", "last_seen": "last seen"}
FILTERS = ("service", "environment", "release", "level", "status", "severity", "category")
STATUS_CHOICES = ("unresolved", "resolved", "ignored", "regressed", "all")
BADGES = ("new", "spiking", "regressed")
EVENTS_SHOWN = 100
ISSUES_SHOWN = 200
TAG_VALUES_SHOWN = 5


@dataclass(slots=True)
class IssueRow:
    issue: Issue
    status: str
    spark: charts.Sparkline | None
    badges: list[str] = field(default_factory=list)


def _effective_statuses(store: ServerStore) -> dict[str, str]:
    return {fp: state.effective for fp, state in store.accounts().issue_states().items()}


def issue_rows(report: Report, statuses: dict[str, str]) -> list[IssueRow]:
    rows = []
    for issue in report.issues:
        trend = issue.trend.status if issue.trend else None
        status = statuses.get(issue.fingerprint, issue.status or "unresolved")
        badges = [b for b in BADGES if b == trend or (b == "regressed" and status == "regressed")]
        rows.append(IssueRow(issue, status, charts.sparkline(issue.trend.series) if issue.trend else None,
                             list(dict.fromkeys(badges))))
    return rows


def keep(row: IssueRow, wanted: dict[str, str], query: str) -> bool:
    issue = row.issue
    facets: dict[str, Iterable[str | None]] = {
        "service": issue.services, "environment": issue.environments, "release": issue.releases,
        "level": [issue.level], "severity": [issue.severity.value if issue.severity else None],
        "category": [issue.category.value if issue.category else None],
    }
    for name, values in facets.items():
        if wanted.get(name) and wanted[name] not in values:
            return False
    status = wanted.get("status") or "unresolved"
    if status != "all" and row.status != status and not (status == "unresolved" and row.status == "regressed"):
        return False
    if query:
        haystack = " ".join(filter(None, (issue.title, issue.culprit, issue.type, issue.message, issue.fingerprint)))
        return query.lower() in haystack.lower()
    return True


def sort_rows(rows: list[IssueRow], sort: str) -> list[IssueRow]:
    if sort == "frequency":
        return sorted(rows, key=lambda r: -r.issue.count)
    if sort == "newest":
        return sorted(rows, key=lambda r: r.issue.first_seen_ever or r.issue.first_seen, reverse=True)
    if sort == "last_seen":
        return sorted(rows, key=lambda r: r.issue.last_seen, reverse=True)
    return rows  # the report ranks by priority already


def choices(report: Report) -> dict[str, list[str]]:
    def collect(values: Iterable[str | None]) -> list[str]:
        return sorted({v for v in values if v})
    issues = report.issues
    return {
        "service": collect(s for i in issues for s in i.services),
        "environment": collect(e for i in issues for e in i.environments),
        "release": collect(r for i in issues for r in i.releases),
        "level": [level for level in reversed(LEVELS) if any(i.level == level for i in issues)],
        "status": list(STATUS_CHOICES),
        "severity": [s for s in ("critical", "high", "medium", "low")
                     if any(i.severity and i.severity.value == s for i in issues)],
        "category": collect(i.category.value if i.category else None for i in issues),
    }


@page
async def issues_page(request: Request, visit: Visit) -> Response:
    project, projects = await known_project(request, visit)
    report, statuses = await asyncio.gather(visit.report(project), visit.read(_effective_statuses))
    params = request.query_params
    wanted = {name: params.get(name, "") for name in FILTERS}
    query = params.get("q", "").strip()
    sort = params.get("sort", "priority")
    sort = sort if sort in SORTS else "priority"
    rows = sort_rows([row for row in issue_rows(report, statuses) if keep(row, wanted, query)], sort)
    return visit.render(request, "issues.html", project=project, projects=projects, rows=rows[:ISSUES_SHOWN],
                        matching=len(rows), report=report,
                        wanted=wanted, query=query, sort=sort, sorts=SORTS, choices=choices(report),
                        section="issues")


@dataclass(slots=True)
class TagBar:
    value: str
    events: int
    share: float


@dataclass(slots=True)
class IssueData:
    issue: Issue
    project: str
    status: str
    events: list[Event]
    tags: dict[str, list[TagBar]]
    requests: list[dict[str, Any]]


@page
async def issue_page(request: Request, visit: Visit) -> Response:
    fingerprint = request.path_params["fingerprint"]
    data = await visit.read(lambda store: _issue_data(store, fingerprint))
    if data is None:
        raise PageNotFound(f"There is no issue {fingerprint!r}.")
    report = await visit.report(data.project)
    issue = next((i for i in report.issues if i.fingerprint == fingerprint), data.issue)
    chosen = request.query_params.get("event")
    index = next((n for n, e in enumerate(data.events) if e.id == chosen), 0)
    event = data.events[index] if data.events else None
    markers = [(d.deploy.time, f"{d.deploy.service} {d.deploy.release}") for d in report.deploys]
    series = issue.trend.series if issue.trend else []
    return visit.render(
        request, "issue.html", issue=issue, project=data.project, status=data.status, event=event,
        newer=data.events[index - 1] if index > 0 else None,
        older=data.events[index + 1] if index + 1 < len(data.events) else None,
        position=index + 1, shown=len(data.events), tags=data.tags, requests=data.requests,
        chart=bar_chart(series, markers), chart_data=charts.chart_data(series, markers),
        deploys=[d for d in report.deploys if d.deploy.service in issue.services],
        breadcrumbs=_breadcrumbs(event), chain=exception_chain(event),
        user_fields=_user_fields(event), incidents=[i for i in report.incidents if fingerprint in i.issues],
        section="issues")


def _issue_data(store: ServerStore, fingerprint: str) -> IssueData | None:
    browser = store.browser()
    row = browser.issue(fingerprint)
    if row is None:
        return None
    project = row["projects"][0] if row["projects"] else "default"
    events = [event_from_row(r) for r in browser.events(fingerprint, EVENTS_SHOWN)]
    total = max(int(row["count"]), 1)
    tags: dict[str, list[TagBar]] = {}
    for tag in browser.issue_tag_values(fingerprint):
        bars = tags.setdefault(str(tag["key"]), [])
        if len(bars) < TAG_VALUES_SHOWN:
            bars.append(TagBar(str(tag["value"]), int(tag["events"]), int(tag["events"]) / total))
    requests = browser.issue_requests([fingerprint], limit=10)
    issue = Issue(fingerprint=fingerprint, title=row["title"] or "(untitled)", type=row["type"],
                  message=events[0].message if events else "", level=LEVELS[int(row["level_rank"])],
                  count=int(row["count"]), users=int(row["users"]), services=row["services"] or [],
                  releases=row["releases"] or [], environments=row["environments"] or [],
                  first_seen=row["first_seen"], last_seen=row["last_seen"], culprit=row["culprit"],
                  first_seen_ever=row["first_seen_ever"])
    return IssueData(issue, project, row["status"], events, tags, requests)


def _user_fields(event: Event | None) -> list[tuple[str, str]]:
    """The fields a Sentry SDK sent about the user besides id and address (name, email, segment...)."""
    user = event.context.get("user") if event else None
    if not isinstance(user, dict):
        return []
    return [(str(k), str(v)) for k, v in user.items() if k not in ("id", "ip_address") and v not in (None, "")]


def _breadcrumbs(event: Event | None) -> list[dict[str, Any]]:
    crumbs = event.context.get("breadcrumbs") if event else None
    return [c for c in crumbs if isinstance(c, dict)] if isinstance(crumbs, list) else []


@action
async def change_status(request: Request, visit: Visit) -> Response:
    fingerprint = request.path_params["fingerprint"]
    status = visit.form.get("status")
    if status not in ISSUE_STATUSES:
        return visit.render(request, "error.html", 422, message=f"Status must be one of {', '.join(ISSUE_STATUSES)}.")
    ingest = visit.ui.context.ingest
    state = await asyncio.to_thread(
        lambda: ingest.call(lambda: ingest.set_issue_status(fingerprint, str(status))).result(timeout=30))
    if state is None:
        raise PageNotFound(f"There is no issue {fingerprint!r}.")
    visit.ui.reports.changed(force=True)
    return RedirectResponse(f"/ui/issues/{fingerprint}", status_code=303)


@dataclass(slots=True)
class FrameGroup:
    in_app: bool
    frames: list[Frame]


@dataclass(slots=True)
class ChainLink:
    exception: ExceptionInfo
    groups: list[FrameGroup]


def exception_chain(event: Event | None) -> list[ChainLink]:
    """Each exception with its frames in runs: application frames shown, library runs folded."""
    links = []
    for exc in event.exceptions if event else []:
        groups: list[FrameGroup] = []
        for frame in exc.frames:
            in_app = frame.in_app is not False
            if groups and groups[-1].in_app == in_app:
                groups[-1].frames.append(frame)
            else:
                groups.append(FrameGroup(in_app, [frame]))
        links.append(ChainLink(exc, groups))
    return links
