"""Releases: each deploy or config change with the error rate before and after it, and the issues it
introduced (new after it, in its service)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from faultlens.report.charts import bar_chart
from faultlens.server.ui import charts
from faultlens.server.ui.pages import Visit, known_project, page


@page
async def releases_page(request: Request, visit: Visit) -> Response:
    project, projects = await known_project(request, visit)
    report = await visit.report(project)
    issues = {issue.fingerprint: issue for issue in report.issues}
    rows = [(d, [issues[f] for f in d.suspected_issues if f in issues]) for d in report.deploys]
    minutes = await visit.read(lambda store: store.query("service_minutes"))
    errors = charts.service_errors(minutes, report.window_start, report.window_end)
    services = list(dict.fromkeys(d.deploy.service for d in report.deploys))
    service_charts = []
    for service in services:
        series = errors.get(service, [])
        markers = [(d.deploy.time, d.deploy.release) for d in report.deploys if d.deploy.service == service]
        service_charts.append((service, bar_chart(series, markers), charts.chart_data(series, markers)))
    return visit.render(request, "releases.html", project=project, projects=projects, rows=rows,
                        charts=service_charts, section="releases")
