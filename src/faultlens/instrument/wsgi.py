"""WSGI middleware (Flask, Django): the correlation id and one line per request, as the ASGI one does."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from asgi_correlation_id.context import correlation_id
from asgi_correlation_id.middleware import FAILED_VALIDATION_MESSAGE

from faultlens.instrument._context import HEADER, accepts_correlation_id, new_correlation_id
from faultlens.instrument._request_line import RequestLine

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

replaced_logger = logging.getLogger("asgi_correlation_id")
"""The ASGI middleware's logger, so a replaced id is reported by one logger in the same words for both."""


class WSGIMiddleware:
    """Take the correlation id from the request's header or make one, return it, and log one line per request.

    Flask: `app.wsgi_app = WSGIMiddleware(app.wsgi_app)`; Django: wrap `get_wsgi_application()`.
    The request's context lasts until the server closes the response, so lines written while the
    body is produced carry the id as well.
    """

    def __init__(self, app: WSGIApplication, header_name: str = HEADER) -> None:
        self.app = app
        self.header_name = header_name
        self._environ_key = "HTTP_" + header_name.upper().replace("-", "_")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        incoming = environ.get(self._environ_key)
        value = incoming if isinstance(incoming, str) and accepts_correlation_id(incoming) else new_correlation_id()
        if incoming and value != incoming:
            replaced_logger.warning(FAILED_VALIDATION_MESSAGE, value)
        environ[self._environ_key] = value
        id_token = correlation_id.set(value)
        line = RequestLine(str(environ.get("REQUEST_METHOD", "GET")), str(environ.get("PATH_INFO", "/")))
        status: list[int] = []

        def start_returning_id(status_text: str, headers: list[tuple[str, str]],
                               exc_info: OptExcInfo | None = None) -> Callable[[bytes], object]:
            status[:] = [code] if (code := status_code(status_text)) is not None else []
            if all(name.lower() != self.header_name.lower() for name, _ in headers):
                headers = [*headers, (self.header_name, value)]
            return start_response(status_text, headers, exc_info)

        def finish(exc: BaseException | None = None) -> None:
            try:
                line.finish(status[0] if status else None, exc)
            finally:
                correlation_id.reset(id_token)

        try:
            body = self.app(environ, start_returning_id)
        except Exception as exc:
            finish(exc)
            raise
        return _ClosingBody(body, finish)


def status_code(status_text: str) -> int | None:
    """The code of a WSGI status line ("404 Not Found"); None when an app wrote something else."""
    code = status_text.split(" ", 1)[0]
    return int(code) if len(code) == 3 and code.isascii() and code.isdigit() and code[0] != "0" else None


class _ClosingBody:
    """The app's response body, ending the request when the server closes it (PEP 3333)."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], Any]) -> None:
        self._body = body
        self._on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._on_close()
