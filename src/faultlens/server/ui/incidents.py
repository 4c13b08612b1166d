"""Incidents: where a cascade began and how it spread, one lane per service, the five whys and the
deliverables; and the same incident exported as Markdown or as a standalone HTML page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from faultlens.model import Incident, Report
from faultlens.report.incident import postmortem
from faultlens.server.ui import charts
from faultlens.server.ui.pages import PageNotFound, Visit, known_project, page, templates

EXPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'"
"""An exported page is a file to keep and send around: its style is inline, and it runs nothing."""


@page
async def incidents_page(request: Request, visit: Visit) -> Response:
    project, projects = await known_project(request, visit)
    report = await visit.report(project)
    return visit.render(request, "incidents.html", project=project, projects=projects, report=report,
                        section="incidents")


async def _incident(request: Request, visit: Visit) -> tuple[Report, Incident]:
    project, _ = await known_project(request, visit)
    report = await visit.report(project)
    wanted = request.path_params["incident_id"]
    found = next((i for i in report.incidents if i.id == wanted), None)
    if found is None:
        raise PageNotFound("There is no such incident in this project's events.")
    return report, found


@page
async def incident_page(request: Request, visit: Visit) -> Response:
    report, incident = await _incident(request, visit)
    requests = await visit.read(lambda store: store.browser().issue_requests(
        incident.issues, 10, incident.start, incident.end))
    issues = {issue.fingerprint: issue for issue in report.issues}
    return visit.render(request, "incident.html", project=request.path_params["project"], incident=incident,
                        lanes=charts.lanes(incident), issues=[issues[f] for f in incident.issues if f in issues],
                        requests=requests, section="incidents")


@page
async def incident_export(request: Request, visit: Visit) -> Response:
    report, incident = await _incident(request, visit)
    name = f"incident-{incident.id}"
    if request.path_params["format"] not in ("md", "html"):
        raise PageNotFound("Incidents export as md or html.")
    if request.path_params["format"] == "md":
        return PlainTextResponse(postmortem(incident), media_type="text/markdown; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{name}.md"'})
    issues = {issue.fingerprint: issue for issue in report.issues}
    body = templates.get_template("incident_export.html").render(
        incident=incident, issues=[issues[f] for f in incident.issues if f in issues])
    return HTMLResponse(body, headers={"Content-Disposition": f'attachment; filename="{name}.html"',
                                       "Content-Security-Policy": EXPORT_CSP})
