"""`create_app`: the server assembled from its parts, with the store opened and the writer ready.

The app is built in one place from lists of routes, error handling outermost (Starlette's way):
the API, the operations endpoints, the UI; the ingest doors are answered ahead of the router
(server.front). CORS is open: browser SDKs post envelopes
from any page, and neither doors nor API rely on cookies; the web UI (`/ui/`) does, and since CORS
never allows credentials, no other origin can read its pages. The store is opened here, so the process
holds the DuckDB file from the moment the app exists; the spool replay and the writer start with
the app's lifespan and stop with it, committing what was accepted.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from faultlens.server.alerting import install_alerting
from faultlens.server.api import api_routes
from faultlens.server.auth import KeyRing
from faultlens.server.config import ServerConfig
from faultlens.server.context import ServerContext
from faultlens.server.errors import ApiError, on_api_error, on_http_exception, on_unexpected
from faultlens.server.front import IngestFront
from faultlens.server.hooks import AfterCommit
from faultlens.server.ingest import IngestService
from faultlens.server.log_filter import redact_access_log
from faultlens.server.metrics import ServerMetrics
from faultlens.server.ops import ops_routes
from faultlens.server.probes import install_probes
from faultlens.server.ratelimit import GuessGuard, GuessLimiter, RateLimiter
from faultlens.server.receivers.json_logs import JsonLogReceiver
from faultlens.server.receivers.otlp import OtlpReceiver
from faultlens.server.receivers.sentry import SentryEnvelopeReceiver, SentryStoreReceiver
from faultlens.server.ui import ui_routes, ui_state_for
from faultlens.store import open_server_store
from faultlens.store.base import ServerStore

log = logging.getLogger("faultlens.server")


def ingest_front(context: ServerContext, limiter: GuessLimiter) -> Middleware:
    """The doors, answered ahead of the router (server.front says why)."""
    paths = {"/v1/logs": OtlpReceiver(context, "logs"), "/v1/traces": OtlpReceiver(context, "traces"),
             "/api/ingest": JsonLogReceiver(context)}
    sentry = {"envelope": SentryEnvelopeReceiver(context), "store": SentryStoreReceiver(context)}
    return Middleware(IngestFront, paths=paths, sentry=sentry, limiter=limiter)


def create_app(config: ServerConfig) -> Starlette:
    """The server for `config`; holds the store from now on (until the app's lifespan ends).

    `app.state.after_commit`, `app.state.ingest`, `app.state.on_start` and `app.state.on_stop` are
    the extension points hooks.py describes; add to them before the app starts serving.
    """
    store = open_server_store(config.db)
    store.limit_threads(config.store_threads)
    redact_access_log()
    metrics = ServerMetrics()
    after_commit: list[AfterCommit] = []
    ingest = IngestService(store, config, metrics, after_commit)
    context = ServerContext(config, store, ingest, KeyRing(store.accounts()),
                            RateLimiter(config.limits.rate_per_key, config.limits.rate_burst), metrics)
    metrics.watch_issues(lambda: _status_counts(store))
    on_start: list[Callable[[], None]] = []
    on_stop: list[Callable[[], None]] = []
    ui = ui_state_for(context)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ingest.start()
        for start in on_start:
            start()
        try:
            yield
        finally:
            for stop in on_stop:
                try:
                    stop()
                except Exception:
                    log.exception("a stop hook failed")
            ingest.stop()
            store.close()

    guesses = GuessLimiter()
    app = Starlette(
        routes=[*api_routes(), *ops_routes(), *ui_routes(ui, after_commit)],
        middleware=[ingest_front(context, guesses),
                    Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "PATCH"],
                               allow_headers=["*"], expose_headers=["Retry-After", "X-Sentry-Rate-Limits"]),
                    Middleware(GuessGuard, limiter=guesses)],
        exception_handlers={ApiError: on_api_error, HTTPException: on_http_exception, Exception: on_unexpected},
        lifespan=lifespan,
    )
    app.state.server = context
    app.state.ui = ui
    app.state.ingest = ingest
    app.state.after_commit = after_commit
    app.state.on_start = on_start
    app.state.on_stop = on_stop
    install_alerting(app, config)
    install_probes(app, config)
    return app


def _status_counts(store: ServerStore) -> dict[str, int]:
    reader = store.reader()
    try:
        return reader.browser().status_counts()
    finally:
        reader.close()
