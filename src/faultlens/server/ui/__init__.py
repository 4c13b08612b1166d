"""The web UI of `faultlens serve`, under `/ui/`: issues, one issue, incidents, traces and releases.

Server-rendered pages that read without JavaScript; htmx (boosted links and forms) and uPlot
(charts) are vendored in static/ and served by the server itself, so nothing is fetched from
elsewhere. docs/ui.md describes the pages and the security model.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.staticfiles import StaticFiles

from faultlens.server.context import ServerContext
from faultlens.server.hooks import AfterCommit
from faultlens.server.ui import incidents, issues, login, releases, traces
from faultlens.server.ui.pages import UiState, Visit, page, project_names
from faultlens.server.ui.security import SecurityHeaders
from faultlens.server.ui.users import UserRing


def ui_state_for(context: ServerContext) -> UiState:
    return UiState(context, UserRing(context.store.accounts(), context.keys.tokens))


def ui_routes(ui: UiState, after_commit: list[AfterCommit]) -> list[BaseRoute]:
    """The UI's routes; `ui` must be on `app.state.ui`. A commit makes the cached reports stale."""
    after_commit.append(ui.reports.changed)
    pages = Router(routes=[
        Route("/", home, methods=["GET"]),
        Route("/login", login.login_page, methods=["GET"]),
        Route("/login", login.login, methods=["POST"]),
        Route("/logout", login.logout, methods=["POST"]),
        Route("/projects/{project}/issues", issues.issues_page, methods=["GET"]),
        Route("/projects/{project}/incidents", incidents.incidents_page, methods=["GET"]),
        Route("/projects/{project}/incidents/{incident_id}", incidents.incident_page, methods=["GET"]),
        Route("/projects/{project}/incidents/{incident_id}/export/{format}", incidents.incident_export,
              methods=["GET"]),
        Route("/projects/{project}/releases", releases.releases_page, methods=["GET"]),
        Route("/issues/{fingerprint}", issues.issue_page, methods=["GET"]),
        Route("/issues/{fingerprint}/status", issues.change_status, methods=["POST"]),
        Route("/traces/{request_id}", traces.trace_page, methods=["GET"]),
    ])
    static = StaticFiles(packages=[("faultlens.server.ui", "static")])
    return [
        Route("/", to_ui, methods=["GET"]),
        Route("/ui", to_ui, methods=["GET"]),
        Mount("/ui/static", app=SecurityHeaders(static, static=True)),
        Mount("/ui", app=SecurityHeaders(pages)),
    ]


async def to_ui(request: Request) -> Response:
    return RedirectResponse("/ui/", status_code=307)


@page
async def home(request: Request, visit: Visit) -> Response:
    """The first project's issues."""
    projects = await visit.read(project_names)
    if not projects:
        return visit.render(request, "empty.html")
    return RedirectResponse(f"/ui/projects/{projects[0]}/issues", status_code=303)
