"""OTLP/HTTP: `POST /v1/logs` and `POST /v1/traces`, protobuf or JSON, decoded by ingest.otlp.

The project comes from its key (X-Faultlens-Key, or Authorization: Bearer); exporters set it
with OTEL_EXPORTER_OTLP_HEADERS. A success is an empty Export*ServiceResponse in the request's
encoding; errors use the server's one JSON shape (exporters act on the status code).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from faultlens.server.bodies import read_body
from faultlens.server.context import ServerContext
from faultlens.server.decode import otlp_items
from faultlens.server.errors import ApiError
from faultlens.server.front import Answer, IngestRequest, json_answer
from faultlens.server.ingest import new_submission
from faultlens.server.receivers import Receiver

PROTOBUF = "application/x-protobuf"
INLINE_BYTES = 64 * 1024
"""Bodies up to this size are decoded on the event loop; larger ones in a worker thread."""


class OtlpReceiver(Receiver):
    def __init__(self, context: ServerContext, signal: str) -> None:
        super().__init__(context, f"otlp-{signal}")

    async def handle(self, request: IngestRequest) -> Answer:
        key = self.context.keys.ingest_key(request)
        content_type = request.headers.get("content-type", PROTOBUF).split(";")[0].strip().lower()
        if content_type not in (PROTOBUF, "application/protobuf", "application/json"):
            raise ApiError(415, f"Content-Type {content_type!r}: send application/x-protobuf or application/json")
        body = await read_body(request, self.context.config.limits)
        submission = new_submission("otlp", key.project, body, content_type=content_type)
        if len(body) <= INLINE_BYTES:
            items = otlp_items(body, content_type, submission.id)
        else:
            items = await run_in_threadpool(otlp_items, body, content_type, submission.id)
        if items:
            self.check_rate(key.public_key, len(items))
            await self.context.ingest.accept(submission)
        if content_type == "application/json":
            return json_answer({})
        return Answer(200, b"", PROTOBUF)
