"""Releases: each deploy or config change with the error rate before and after it, and the issues it
introduced (new after it, in its service)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from faultlens.server.ui.pages import Visit, known_project, page


@page
async def releases_page(request: Request, visit: Visit) -> Response:
    project, projects = await known_project(request, visit)
    report = await visit.report(project)
    issues = {issue.fingerprint: issue for issue in report.issues}
    rows = [(d, [issues[f] for f in d.suspected_issues if f in issues]) for d in report.deploys]
    return visit.render(request, "releases.html", project=project, projects=projects, rows=rows,
                        section="releases")
