"""Server-side sessions for the web UI, and the CSRF token each one carries.

The cookie holds only a random session id; who is signed in, and the session's CSRF token, stay in
the server's memory. A restart signs everyone out, which is the price of never writing sessions to
the store the writer thread owns. Sessions end after `IDLE` without a request, or `LIFETIME` after
sign-in, whichever comes first; signing in always makes a new id (no session fixation).

The sign-in form itself is protected by a double-submit cookie: a random value in a cookie and in
the form, compared on POST, so a page elsewhere cannot sign a browser in to an account of its own.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "faultlens_session"
LOGIN_COOKIE = "faultlens_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
IDLE = timedelta(hours=12)
LIFETIME = timedelta(days=7)
COOKIE_PATH = "/ui"


@dataclass(slots=True)
class Session:
    user: str
    csrf: str
    started: datetime
    seen: datetime = field(default_factory=lambda: datetime.now(UTC))


class SessionStore:
    """Sessions by id, in memory; safe to use from the event loop and worker threads."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def start(self, user: str) -> tuple[str, Session]:
        now = datetime.now(UTC)
        session_id = secrets.token_urlsafe(32)
        session = Session(user, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._drop_expired(now)
            self._sessions[session_id] = session
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = datetime.now(UTC)
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if _expired(session, now):
                del self._sessions[session_id]
                return None
            session.seen = now
            return session

    def end(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def _drop_expired(self, now: datetime) -> None:
        for key in [key for key, session in self._sessions.items() if _expired(session, now)]:
            del self._sessions[key]


def _expired(session: Session, now: datetime) -> bool:
    return now - session.seen > IDLE or now - session.started > LIFETIME


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def set_cookie(response: Response, name: str, value: str, max_age: int | None, secure: bool) -> None:
    """HttpOnly, SameSite=Lax, scoped to the UI's paths; Secure whenever the UI is reached over HTTPS."""
    response.set_cookie(name, value, max_age=max_age, path=COOKIE_PATH, httponly=True, samesite="lax",
                        secure=secure)


def served_over_https(request: Request, public_url: str | None) -> bool:
    """The page came over HTTPS, or the server's public address is HTTPS (a proxy ends TLS in front of it)."""
    return request.url.scheme == "https" or (public_url or "").startswith("https://")


def new_login_token() -> str:
    return secrets.token_urlsafe(24)
