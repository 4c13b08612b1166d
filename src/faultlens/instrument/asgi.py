"""ASGI middleware (Starlette, FastAPI): asgi-correlation-id's middleware for the id, then a request line."""

from __future__ import annotations

from asgi_correlation_id import CorrelationIdMiddleware
from asgi_correlation_id.context import correlation_id
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faultlens.instrument._context import HEADER, accepts_correlation_id, new_correlation_id
from faultlens.instrument._request_line import RequestLine


class ASGIMiddleware:
    """Take the correlation id from the request's header or make one, return it, and log one line per request.

    Wrap the whole app (`app = ASGIMiddleware(FastAPI(...))`) so the 500 that the framework's error
    handler sends carries the header too; `app.add_middleware(ASGIMiddleware)` works as well.
    """

    def __init__(self, app: ASGIApp, header_name: str = HEADER) -> None:
        self.app = CorrelationIdMiddleware(app=_RequestLines(app), header_name=header_name,
                                           generator=new_correlation_id, validator=accepts_correlation_id)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        outside = correlation_id.get()
        try:
            await self.app(scope, receive, send)
        finally:
            correlation_id.set(outside)  # a server that runs requests in one task must not leak the id


class _RequestLines:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        line = RequestLine(scope["method"], scope["path"])
        status: int | None = None

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        except Exception as exc:
            line.finish(status, exc)
            raise
        line.finish(status)
