"""Per-key rate limits: a token bucket per project key, refilled at `rate_per_key` events a second;
and a bucket of failed credentials per client address, so keys, tokens and passwords cannot be guessed.

A bucket lets a burst through (an app that reconnects and flushes its backlog) and then holds the
key to its average. The answer to a key over its rate says when to come back, in the headers
Sentry's SDKs read (Retry-After, X-Sentry-Rate-Limits) so they stop sending until then.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faultlens.server.errors import ApiError, error_response


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


def _refilled(buckets: dict[str, _Bucket], key: str, now: float, rate: float, burst: int) -> _Bucket:
    """`key`'s bucket (full when new), topped up for the time since it was last seen."""
    bucket = buckets.get(key)
    if bucket is None:
        bucket = buckets[key] = _Bucket(float(burst), now)
    bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.updated) * rate)
    bucket.updated = now
    return bucket


class RateLimiter:
    """Token buckets keyed by project key; `rate` 0 lets everything through."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = max(burst, 1)
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, count: int = 1) -> int:
        """Take `count` events' worth; 0 when allowed, else the whole seconds to wait before retrying."""
        if self.rate <= 0:
            return 0
        bucket = _refilled(self._buckets, key, time.monotonic(), self.rate, self.burst)
        if bucket.tokens >= count:
            bucket.tokens -= count
            return 0
        return max(1, math.ceil((min(count, self.burst) - bucket.tokens) / self.rate))


class GuessLimiter:
    """Failed sign-ins per client address: a bucket of `burst` failures, refilled at `per_minute`.

    Keys, tokens and passwords are long or slow to check, but nothing should let one address try
    them without end. A client whose bucket is empty is answered 429 on every route that checks a
    credential until a failure's worth has refilled; clients at other addresses are not affected.
    """

    MAX_CLIENTS = 10_000

    def __init__(self, burst: int = 20, per_minute: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.rate = per_minute / 60
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> int:
        """0 when `client` may try a credential, else the whole seconds until it may."""
        with self._lock:
            bucket = self._refilled(client)
            return 0 if bucket.tokens >= 1 else max(1, math.ceil((1 - bucket.tokens) / self.rate))

    def failed(self, client: str) -> None:
        with self._lock:
            bucket = self._refilled(client)
            bucket.tokens = max(0.0, bucket.tokens - 1)
            if len(self._buckets) > self.MAX_CLIENTS:
                self._forget_full()

    def _refilled(self, client: str) -> _Bucket:
        return _refilled(self._buckets, client, self.clock(), self.rate, self.burst)

    def _forget_full(self) -> None:
        """Drop clients whose bucket has refilled: they are as if never seen, so memory stays bounded."""
        now = self.clock()
        for client, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * self.rate >= self.burst:
                del self._buckets[client]


class GuessGuard:
    """ASGI middleware: every 401 answered to a client counts against it in `limiter`; a client with
    no tries left is answered 429 before any route runs.

    Watching the answers rather than each credential check covers every door at once: project keys,
    API tokens and UI passwords, and routes added later.
    """

    def __init__(self, app: ASGIApp, limiter: GuessLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("client"):
            await self.app(scope, receive, send)
            return
        client = str(scope["client"][0])
        wait = self.limiter.wait(client)
        if wait:
            refusal = error_response(ApiError(
                429, f"too many failed keys, tokens or passwords from {client}; retry in {wait} s",
                headers={"Retry-After": str(wait)}))
            await refusal(scope, receive, send)
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.limiter.failed(client)
            await send(message)
        await self.app(scope, receive, watch)
