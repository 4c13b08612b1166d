"""What a log line learns from the request it was written in: the correlation id and the request itself.

The correlation id lives in asgi-correlation-id's context variable, so its log filter, its Celery and
Sentry extensions and faultlens's own middleware all see one id. The request is a mutable
`RequestInfo` placed in a context variable when the request begins: a handler that runs in a copied
context (a thread pool, a task) still fills in the same object, so `bind_user` reaches the request line.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass

from asgi_correlation_id.context import correlation_id

HEADER = "X-Correlation-ID"
"""The header read from requests, returned on responses and sent on outgoing calls."""

_ACCEPTED_ID = re.compile(r"[\w.:/-]{6,128}", re.ASCII)
"""What `faultlens analyze` reads back as a correlation id (shorter ones it takes for words, not ids)."""


@dataclass
class RequestInfo:
    """The request a line was written in; the middleware fills in the status when it ends."""

    method: str
    path: str
    user_id: str | None = None
    status_code: int | None = None
    duration_ms: float | None = None
    error_logged: bool = False
    """Set when an error line was written during the request, so the request line does not repeat it."""

    def as_fields(self) -> dict[str, object]:
        fields: dict[str, object] = {"method": self.method, "path": self.path}
        if self.status_code is not None:
            fields["status_code"] = self.status_code
        if self.duration_ms is not None:
            fields["duration_ms"] = round(self.duration_ms, 3)
        return fields


_request: ContextVar[RequestInfo | None] = ContextVar("faultlens_request", default=None)


def accepts_correlation_id(value: str) -> bool:
    """Whether an incoming id is kept: ASCII word characters and `.:/-`, 6 to 128 of them."""
    return _ACCEPTED_ID.fullmatch(value) is not None


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def current_correlation_id() -> str | None:
    """The correlation id of the request being handled, or None outside one."""
    return correlation_id.get()


def correlation_headers() -> dict[str, str]:
    """The header to send on an outgoing call so the next service logs under the same id."""
    value = correlation_id.get()
    return {HEADER: value} if value else {}


def current_request() -> RequestInfo | None:
    return _request.get()


def bind_user(user_id: object) -> None:
    """Name the user of the current request: every later line of it, and its request line, carry `user.id`."""
    info = _request.get()
    if info is None:
        raise LookupError("bind_user() was called outside a request: add faultlens.instrument's ASGIMiddleware "
                          "or WSGIMiddleware to the app, or pass the user as a field of the log call")
    info.user_id = str(user_id)


def begin_request(info: RequestInfo) -> Token[RequestInfo | None]:
    return _request.set(info)


def end_request(token: Token[RequestInfo | None]) -> None:
    _request.reset(token)
