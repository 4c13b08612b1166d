"""Signing in (a user's password, or an API token) and out."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from faultlens.server.ui.pages import Visit, action, form_fields, render, ui_state
from faultlens.server.ui.sessions import (
    CSRF_FIELD,
    LIFETIME,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    csrf_matches,
    new_login_token,
    served_over_https,
    set_cookie,
)


def safe_next(target: str | None) -> str:
    """Only a path inside the UI: a `next` pointing elsewhere would make the sign-in page an open redirect."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/ui/") or "\\" in (target or ""):
        return "/ui/"
    return target or "/ui/"


def _login_form(request: Request, status: int = 200, error: str | None = None, name: str = "",
                next_path: str | None = None) -> Response:
    token = new_login_token()
    response = render(request, "login.html", status, login_token=token, error=error, name=name,
                      next=safe_next(next_path or request.query_params.get("next")))
    ui = ui_state(request)
    set_cookie(response, LOGIN_COOKIE, token, 600, served_over_https(request, ui.context.config.public_url))
    return response


async def login_page(request: Request) -> Response:
    return _login_form(request)


async def login(request: Request) -> Response:
    """Sign in; a refusal is a 401, which the server's guess guard counts against the client's address."""
    ui = ui_state(request)
    form = await form_fields(request)
    if not csrf_matches(request.cookies.get(LOGIN_COOKIE, "-"), form.get(CSRF_FIELD)):
        return _login_form(request, 403, "The sign-in form expired; try again.", next_path=form.get("next"))
    name, secret = form.get("name", ""), form.get("secret", "")
    user = await asyncio.to_thread(ui.users.sign_in, name, secret)
    if user is None:
        return _login_form(request, 401, "That name and password, or that token, is not known.", name,
                           form.get("next"))
    session_id, _ = ui.sessions.start(user)
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    secure = served_over_https(request, ui.context.config.public_url)
    set_cookie(response, SESSION_COOKIE, session_id, int(LIFETIME.total_seconds()), secure)
    response.delete_cookie(LOGIN_COOKIE, path="/ui")
    return response


@action
async def logout(request: Request, visit: Visit) -> Response:
    visit.ui.sessions.end(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/ui")
    return response
