"""Per-key rate limits: a token bucket per project key, refilled at `rate_per_key` events a second.

A bucket lets a burst through (an app that reconnects and flushes its backlog) and then holds the
key to its average. The answer to a key over its rate says when to come back, in the headers
Sentry's SDKs read (Retry-After, X-Sentry-Rate-Limits) so they stop sending until then.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


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
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= count:
            bucket.tokens -= count
            return 0
        return max(1, math.ceil((min(count, self.burst) - bucket.tokens) / self.rate))
