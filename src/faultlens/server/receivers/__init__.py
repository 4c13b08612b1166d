"""The ingest doors, each a small ASGI app: Sentry SDKs, OTLP/HTTP exporters, JSON log shippers.

Each reads its request within the limits, finds the project by its key, checks the key's rate,
parses what it can refuse (400), hands the request to the spool and answers once it is on disk.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from faultlens.server.context import ServerContext
from faultlens.server.decode import MalformedBody
from faultlens.server.errors import ApiError, error_response
from faultlens.server.hooks import Overloaded

OVERLOADED_RETRY_SECONDS = 5


class Receiver:
    """Shared frame of every door: timing, the metrics of its answers, and one error shape."""

    endpoint = "receiver"

    def __init__(self, context: ServerContext) -> None:
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        started = time.monotonic()
        metrics = self.context.metrics
        try:
            response = await self.handle(request)
            metrics.accepted.labels(self.endpoint).inc()
        except ApiError as exc:
            metrics.rejected.labels(self.endpoint, exc.code).inc()
            response = error_response(exc)
        except MalformedBody as exc:
            metrics.rejected.labels(self.endpoint, "malformed").inc()
            response = error_response(ApiError(400, str(exc)))
        except Overloaded:
            metrics.rejected.labels(self.endpoint, "overloaded").inc()
            response = error_response(ApiError(
                503, "the server is busy committing what it accepted; retry later",
                headers={"Retry-After": str(OVERLOADED_RETRY_SECONDS)}))
        except OSError as exc:  # the spool could not be written (a full disk): the request was not accepted
            metrics.rejected.labels(self.endpoint, "overloaded").inc()
            response = error_response(ApiError(
                503, f"the server cannot write its spool ({exc.strerror or exc}); retry later",
                headers={"Retry-After": str(OVERLOADED_RETRY_SECONDS)}))
        metrics.answer_seconds.labels(self.endpoint).observe(time.monotonic() - started)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def check_rate(self, public_key: str, count: int) -> None:
        wait = self.context.limiter.take(public_key, max(count, 1))
        if wait:
            raise ApiError(429, f"this key is over its rate of {self.context.limiter.rate:g} events/s; retry in "
                           f"{wait} s", headers={"Retry-After": str(wait), "X-Sentry-Rate-Limits": f"{wait}::key"})
