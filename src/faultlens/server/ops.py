"""Operations endpoints: `/health` (the process answers), `/ready` (it can take events), `/metrics`."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from faultlens.server.context import ServerContext
from faultlens.server.errors import ApiError, error_response


def ops_routes() -> list[Route]:
    return [Route("/health", health, methods=["GET"]), Route("/ready", ready, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"])]


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> Response:
    context: ServerContext = request.app.state.server
    ingest = context.ingest
    if ingest.ready:
        return JSONResponse({"status": "ready", "queue_depth": ingest.queue.depth})
    reason = ("replaying the spool" if ingest.replaying else "the store cannot be written" if not ingest.healthy
              else "the ingest queue is nearly full")
    return error_response(ApiError(503, f"not ready: {reason}", headers={"Retry-After": "5"}))


async def metrics(request: Request) -> Response:
    context: ServerContext = request.app.state.server
    body = await run_in_threadpool(generate_latest, context.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
