"""The ingest doors' short road: requests to the ingest paths are answered here, ahead of the router.

Under load the request loop is what bounds the server, and for a small event Starlette's routing,
middleware chain and Request/Response objects cost several times the door's own work (inflating,
parsing, spooling). So this outermost layer matches the ingest paths with one dict and one regex,
gives the door an `IngestRequest` read straight from the ASGI scope, and sends its `Answer` as two
messages. It keeps what the bypassed middleware gave those paths: CORS headers for browser SDKs
(preflights still go to the router's CORS middleware), the failed-credential guess limiter, a 405
for other methods and a JSON 500 for the unexpected. Every other request goes to the app below.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from faultlens.server.errors import ApiError
from faultlens.server.ratelimit import GuessLimiter

log = logging.getLogger("faultlens.server")

SENTRY_PATH = re.compile(r"/api/([^/]+)/(envelope|store)/?")
"""Sentry's doors: `/api/{project_id}/envelope/` and `/api/{project_id}/store/`, with or without the slash."""
_CORS = [(b"access-control-allow-origin", b"*"),
         (b"access-control-expose-headers", b"Retry-After, X-Sentry-Rate-Limits")]


@dataclass(frozen=True, slots=True)
class Answer:
    """A door's answer: status, body and the headers besides content type and length."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


def json_answer(value: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Answer:
    return Answer(status, orjson.dumps(value), headers=headers or {})


def error_answer(error: ApiError) -> Answer:
    """The server's one error shape (errors.error_response), for the doors."""
    return json_answer({"error": {"status": error.status, "code": error.code, "message": error.message}},
                       error.status, error.headers)


class IngestRequest:
    """What a door reads of a request: headers (lower-case names, first value kept), query, client, body."""

    __slots__ = ("_query", "_receive", "headers", "path_params", "scope")

    def __init__(self, scope: Scope, receive: Receive, path_params: Mapping[str, str] | None = None) -> None:
        self.scope = scope
        self._receive = receive
        self.path_params: Mapping[str, str] = path_params or {}
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        self.headers: Mapping[str, str] = headers
        self._query: dict[str, str] | None = None

    @property
    def query_params(self) -> Mapping[str, str]:
        if self._query is None:
            pairs = parse_qsl(self.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            self._query = {}
            for name, value in pairs:
                self._query.setdefault(name, value)
        return self._query

    @property
    def client_host(self) -> str | None:
        client = self.scope.get("client")
        return str(client[0]) if client else None

    async def chunk(self) -> tuple[bytes, bool]:
        """The body's next chunk and whether more follow; ClientDisconnect if the client goes away first.

        A plain coroutine, not an async generator: the event loop tracks every async generator in a
        weak set, a cost paid per request on the hottest path.
        """
        message = await self._receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        return message.get("body", b""), bool(message.get("more_body", False))


class Door(Protocol):
    """An ingest door (receivers.Receiver): answers one request; never raises for the client's mistakes."""

    async def answer(self, request: IngestRequest) -> Answer: ...


class IngestFront:
    """ASGI middleware: the ingest paths' requests to their doors, everything else to `app`."""

    def __init__(self, app: ASGIApp, paths: Mapping[str, Door], sentry: Mapping[str, Door],
                 limiter: GuessLimiter) -> None:
        self.app = app
        self.paths = dict(paths)
        """Doors by exact path (`/v1/logs`, `/api/ingest`, ...)."""
        self.sentry = dict(sentry)
        """Sentry's doors by the last path segment: `envelope` and `store`."""
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        params: dict[str, str] = {}
        door = self.paths.get(path)
        if door is None:
            match = SENTRY_PATH.fullmatch(path)
            if match is None:
                await self.app(scope, receive, send)
                return
            door, params = self.sentry[match[2]], {"project_id": match[1]}
        method: str = scope["method"]
        if method == "OPTIONS":  # a CORS preflight: the router's CORS middleware answers it
            await self.app(scope, receive, send)
            return
        try:
            answer = await self._answer(door, method, path, IngestRequest(scope, receive, params))
        except ClientDisconnect:
            return
        await send_answer(send, answer, cors=any(name == b"origin" for name, _ in scope["headers"]))

    async def _answer(self, door: Door, method: str, path: str, request: IngestRequest) -> Answer:
        if method != "POST":
            return error_answer(ApiError(405, f"{method} is not allowed on {path}", headers={"Allow": "POST"}))
        client = request.client_host
        if client:
            wait = self.limiter.wait(client)
            if wait:
                return error_answer(ApiError(429, f"too many failed keys, tokens or passwords from {client}; "
                                             f"retry in {wait} s", headers={"Retry-After": str(wait)}))
        try:
            answer = await door.answer(request)
        except ClientDisconnect:
            raise
        except Exception:
            log.exception("unexpected error on %s %s", method, path)
            return error_answer(ApiError(500, "the server failed; see its log"))
        if answer.status == 401 and client:
            self.limiter.failed(client)
        return answer


async def send_answer(send: Send, answer: Answer, cors: bool = False) -> None:
    headers = [(b"content-type", answer.content_type.encode("latin-1")),
               (b"content-length", str(len(answer.body)).encode("latin-1"))]
    headers += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers.items()]
    if cors:
        headers += _CORS
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
