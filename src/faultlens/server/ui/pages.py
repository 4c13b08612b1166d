"""What every page of the web UI shares: templates, the signed-in check, CSRF, and reads off the event loop.

Pages are server-rendered; a view gathers data (in a worker thread, on a connection of its own) and
hands it to a template. Every template is autoescaped: event data is hostile input, and no
template marks it safe. A view is wrapped by `page` (GET, sign-in required) or `action` (POST,
sign-in and a valid CSRF token required).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from faultlens.analysis.overview import build_report
from faultlens.model import IngestStats, Report
from faultlens.server.context import ServerContext
from faultlens.server.ui import formatting
from faultlens.server.ui.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    Session,
    SessionStore,
    csrf_matches,
)
from faultlens.server.ui.users import UserRing
from faultlens.store.base import ServerStore

T = TypeVar("T")
MAX_FORM_BYTES = 64 * 1024
View = Callable[[Request, "Visit"], Awaitable[Response]]

templates = Environment(loader=PackageLoader("faultlens.server.ui", "templates"),
                        autoescape=select_autoescape(default=True, default_for_string=True),
                        trim_blocks=True, lstrip_blocks=True)
templates.filters.update(formatting.FILTERS)


class ReportCache:
    """The analyze report of each project, rebuilt when the store changed.

    A build reads the whole window: about 0.3 s for the checkout example's 1,100 events and
    1.1-1.9 s for a store of 200,000 log lines (measured on the 2-core machine), while a busy
    server commits many times a second. So a commit makes the report stale but a stale one
    younger than `FRESH_SECONDS` is still served; a change made through the UI (`changed(force=True)`,
    a status change) is shown on the next page, always.
    """

    FRESH_SECONDS = 5.0

    def __init__(self) -> None:
        self.generation = 0
        self.forced = 0
        self._reports: dict[str, tuple[int, int, float, Report]] = {}
        self._lock = threading.Lock()

    def changed(self, *_: object, force: bool = False) -> None:
        with self._lock:
            self.generation += 1
            if force:
                self.forced = self.generation

    def report(self, store: ServerStore, project: str) -> Report:
        with self._lock:
            generation, forced = self.generation, self.forced
            cached = self._reports.get(project)
            if cached is not None:
                built_at, built_forced, age = cached[0], cached[1], time.monotonic() - cached[2]
                if built_at == generation or (built_forced == forced and age < self.FRESH_SECONDS):
                    return cached[3]
            store.only_project(project)
            report = build_report(store, IngestStats())
            self._reports[project] = (generation, forced, time.monotonic(), report)
            return report


@dataclass(slots=True)
class UiState:
    context: ServerContext
    users: UserRing
    sessions: SessionStore = field(default_factory=SessionStore)
    reports: ReportCache = field(default_factory=ReportCache)

    @property
    def secure_cookies(self) -> bool:
        return (self.context.config.public_url or "").startswith("https://")


@dataclass(slots=True)
class Visit:
    """A signed-in request: the UI's state and the visitor's session."""

    ui: UiState
    session: Session
    form: dict[str, str] = field(default_factory=dict)

    async def read(self, work: Callable[[ServerStore], T]) -> T:
        """Run a read on a connection of its own, in a worker thread."""
        def run() -> T:
            reader = self.ui.context.store.reader()
            try:
                return work(reader)
            finally:
                reader.close()
        return await run_in_threadpool(run)

    async def report(self, project: str) -> Report:
        return await self.read(lambda store: self.ui.reports.report(store, project))

    def render(self, request: Request, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
        return render(request, template, status_code, user=self.session.user, csrf=self.session.csrf, **data)


def render(request: Request, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    body = templates.get_template(template).render(request=request, csrf_field=CSRF_FIELD, **data)
    return HTMLResponse(body, status_code=status_code)


def ui_state(request: Request) -> UiState:
    state: UiState = request.app.state.ui
    return state


class PageNotFound(Exception):
    """Raised by a view for what is not there; the visitor gets a 404 page saying `message`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _signed_in(view: View, method: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        ui = ui_state(request)
        session = ui.sessions.get(request.cookies.get(SESSION_COOKIE))
        form: dict[str, str] = {}
        if session is None and method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/ui/login?next={quote(target, safe='')}", status_code=303)
        if session is None:
            return render(request, "error.html", 401, message="Sign in again: your session has ended.")
        if method == "POST":
            form = await form_fields(request)
            if not csrf_matches(session.csrf, request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)):
                return render(request, "error.html", 403, message="This form has expired; reload the page and "
                              "try again.")
        visit = Visit(ui, session, form)
        try:
            return await view(request, visit)
        except PageNotFound as missing:
            return visit.render(request, "error.html", 404, message=missing.message)
    return endpoint


def page(view: View) -> Callable[[Request], Awaitable[Response]]:
    """A page for signed-in visitors; others are sent to sign in and brought back."""
    return _signed_in(view, "GET")


def action(view: View) -> Callable[[Request], Awaitable[Response]]:
    """A change made by a signed-in visitor; refused (403) without the session's CSRF token."""
    return _signed_in(view, "POST")


async def form_fields(request: Request) -> dict[str, str]:
    """An url-encoded form's fields (the UI's forms are small; a bigger body is read as empty)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    return {name: values[0] for name, values in parse_qs(body.decode("utf-8", "replace")).items()}


def project_names(store: ServerStore) -> list[str]:
    """Projects with events, then those created with none yet."""
    seen = store.browser().event_projects()
    return list(dict.fromkeys([*seen, *(p.name for p in store.accounts().projects())]))


async def known_project(request: Request, visit: Visit) -> tuple[str, list[str]]:
    """The project the path names, and every project; PageNotFound when there is no such project."""
    project = str(request.path_params["project"])
    projects = await visit.read(project_names)
    if project not in projects:
        raise PageNotFound(f"There is no project named {project!r}.")
    return project, projects
