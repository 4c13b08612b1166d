"""What every part of a running server shares, set up once by `create_app` and kept on `app.state.server`."""

from __future__ import annotations

from dataclasses import dataclass

from faultlens.server.auth import KeyRing
from faultlens.server.config import ServerConfig
from faultlens.server.ingest import IngestService
from faultlens.server.metrics import ServerMetrics
from faultlens.server.ratelimit import RateLimiter
from faultlens.store.base import ServerStore


@dataclass(slots=True)
class ServerContext:
    config: ServerConfig
    store: ServerStore
    ingest: IngestService
    keys: KeyRing
    limiter: RateLimiter
    metrics: ServerMetrics
