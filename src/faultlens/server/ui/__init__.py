"""The web UI of `faultlens serve`, under `/ui/`: issues, one issue, incidents, traces and releases.

Server-rendered pages that read without JavaScript; htmx (boosted links and forms) and uPlot
(charts) are vendored in static/ and served by the server itself, so nothing is fetched from
elsewhere. docs/ui.md describes the pages and the security model.

Every UI route is a plain Route with its full path (no Mount), each wrapped in the security
headers, so whatever walks the app's routes sees the UI's with their methods.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route, request_response

from faultlens.server.context import ServerContext
from faultlens.server.hooks import AfterCommit
from faultlens.server.ui import incidents, issues, login, releases, traces
from faultlens.server.ui.pages import UiState, Visit, page, project_names, render
from faultlens.server.ui.security import SecurityHeaders
from faultlens.server.ui.users import UserRing

STATIC = Path(__file__).parent / "static"
STATIC_FILES = frozenset(path.name for path in STATIC.iterdir() if path.suffix in (".js", ".css"))

Endpoint = Callable[[Request], Awaitable[Response]]


def ui_state_for(context: ServerContext) -> UiState:
    return UiState(context, UserRing(context.store.accounts(), context.keys.tokens))


def ui_routes(ui: UiState, after_commit: list[AfterCommit]) -> list[BaseRoute]:
    """The UI's routes; `ui` must be on `app.state.ui`. A commit makes the cached reports stale."""
    after_commit.append(ui.reports.changed)
    pages: list[tuple[str, str, Endpoint]] = [
        ("GET", "/ui/", home),
        ("GET", "/ui/login", login.login_page),
        ("POST", "/ui/login", login.login),
        ("POST", "/ui/logout", login.logout),
        ("GET", "/ui/projects/{project}/issues", issues.issues_page),
        ("GET", "/ui/projects/{project}/incidents", incidents.incidents_page),
        ("GET", "/ui/projects/{project}/incidents/{incident_id}", incidents.incident_page),
        ("GET", "/ui/projects/{project}/incidents/{incident_id}/export/{format}", incidents.incident_export),
        ("GET", "/ui/projects/{project}/releases", releases.releases_page),
        ("GET", "/ui/issues/{fingerprint}", issues.issue_page),
        ("POST", "/ui/issues/{fingerprint}/status", issues.change_status),
        ("GET", "/ui/traces/{request_id}", traces.trace_page),
    ]
    return [
        Route("/", to_ui, methods=["GET"]),
        Route("/ui/static/{name}", SecurityHeaders(request_response(static_file)), methods=["GET"]),
        *(Route(path, SecurityHeaders(request_response(endpoint)), methods=[method])
          for method, path, endpoint in pages),
    ]


async def to_ui(request: Request) -> Response:
    return RedirectResponse("/ui/", status_code=307)


async def static_file(request: Request) -> Response:
    """The vendored scripts and styles, and ours; nothing else in the folder is served."""
    name = request.path_params["name"]
    if name not in STATIC_FILES:
        return render(request, "error.html", 404, message=f"There is no file {name!r} here.")
    return FileResponse(STATIC / name, headers={"Cache-Control": "public, max-age=3600"})


@page
async def home(request: Request, visit: Visit) -> Response:
    """The first project's issues."""
    projects = await visit.read(project_names)
    if not projects:
        return visit.render(request, "empty.html")
    return RedirectResponse(f"/ui/projects/{projects[0]}/issues", status_code=303)
