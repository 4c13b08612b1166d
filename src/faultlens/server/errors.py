"""One JSON shape for every error the server answers, from a receiver, the API or the router itself.

    {"error": {"status": 413, "code": "too_large", "message": "the body is over 20971520 bytes; ..."}}

`code` is stable for programs to branch on; `message` says what to do next.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger("faultlens.server")

CODES = {400: "malformed", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited",
         500: "internal", 503: "overloaded"}


class ApiError(Exception):
    """An answer other than success; raised anywhere below a route, rendered by `error_response`."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.headers = headers or {}


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse({"error": {"status": error.status, "code": error.code, "message": error.message}},
                        status_code=error.status, headers=error.headers)


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: f"no such endpoint {request.url.path}; GET /api/openapi.json lists them",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(exc.status_code, str(exc.detail))
    return error_response(ApiError(exc.status_code, message, headers=dict(exc.headers or {})))


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(ApiError(500, "the server failed; see its log"))
