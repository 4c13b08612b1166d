"""The ingest doors: Sentry SDKs, OTLP/HTTP exporters, JSON log shippers (reached through server.front).

Each reads its request within the limits, finds the project by its key, checks the key's rate,
parses what it can refuse (400), hands the request to the spool and answers once it is on disk.
"""

from __future__ import annotations

import time

from faultlens.server.context import ServerContext
from faultlens.server.decode import MalformedBody
from faultlens.server.errors import ApiError
from faultlens.server.front import Answer, IngestRequest, error_answer
from faultlens.server.hooks import Overloaded

OVERLOADED_RETRY_SECONDS = 5


class Receiver:
    """Shared frame of every door: timing, the metrics of its answers, and one error shape."""

    endpoint = "receiver"

    def __init__(self, context: ServerContext, endpoint: str | None = None) -> None:
        self.context = context
        if endpoint:
            self.endpoint = endpoint
        metrics = context.metrics
        self._accepted = metrics.accepted.labels(self.endpoint)
        self._seconds = metrics.answer_seconds.labels(self.endpoint)

    async def answer(self, request: IngestRequest) -> Answer:
        started = time.monotonic()
        try:
            answer = await self.handle(request)
            self._accepted.inc()
        except ApiError as exc:
            self._rejected(exc.code)
            answer = error_answer(exc)
        except MalformedBody as exc:
            self._rejected("malformed")
            answer = error_answer(ApiError(400, str(exc)))
        except Overloaded:
            self._rejected("overloaded")
            answer = error_answer(ApiError(
                503, "the server is busy committing what it accepted; retry later",
                headers={"Retry-After": str(OVERLOADED_RETRY_SECONDS)}))
        except OSError as exc:  # the spool could not be written (a full disk): the request was not accepted
            self._rejected("overloaded")
            answer = error_answer(ApiError(
                503, f"the server cannot write its spool ({exc.strerror or exc}); retry later",
                headers={"Retry-After": str(OVERLOADED_RETRY_SECONDS)}))
        self._seconds.observe(time.monotonic() - started)
        return answer

    async def handle(self, request: IngestRequest) -> Answer:
        raise NotImplementedError

    def _rejected(self, reason: str) -> None:
        self.context.metrics.rejected.labels(self.endpoint, reason).inc()

    def check_rate(self, public_key: str, count: int) -> None:
        wait = self.context.limiter.take(public_key, max(count, 1))
        if wait:
            raise ApiError(429, f"this key is over its rate of {self.context.limiter.rate:g} events/s; retry in "
                           f"{wait} s", headers={"Retry-After": str(wait), "X-Sentry-Rate-Limits": f"{wait}::key"})
