"""OTLP/HTTP: `POST /v1/logs` and `POST /v1/traces`, protobuf or JSON, decoded by ingest.otlp.

The project comes from its key (X-Faultlens-Key, or Authorization: Bearer); exporters set it
with OTEL_EXPORTER_OTLP_HEADERS. A success is an empty Export*ServiceResponse in the request's
encoding; errors use the server's one JSON shape (exporters act on the status code).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool

from faultlens.ingest.record import Record
from faultlens.ingest.traces import SpanRecord
from faultlens.server.bodies import read_body
from faultlens.server.context import ServerContext
from faultlens.server.decode import Item, otlp_items
from faultlens.server.errors import ApiError
from faultlens.server.front import Answer, IngestRequest, json_answer
from faultlens.server.ingest import new_submission
from faultlens.server.receivers import Receiver

PROTOBUF = "application/x-protobuf"
INLINE_BYTES = 64 * 1024
"""Bodies up to this size are decoded on the event loop; larger ones in a worker thread."""
RECORD_EXPANSION = 8
"""How many times its share of the body a record's content can take once serialized, at most: JSON
escapes (6 bytes for a control character), timestamps (9 protobuf bytes, 32 characters), attribute
names prefixed. A body this many times under the limit cannot hold a record over it."""


def records_within(items: list[Item], limit: int, body_bytes: int) -> list[Item]:
    """The export's spans and log records, each within `max_event_bytes` as an event is; else 413.

    A record is measured as its content serialized: a log record's body and attributes, a span's
    attributes and events (what becomes an event or a stored span). A body too small to hold a
    record over the limit is not measured: most exports are, and this runs on the request loop.
    """
    if RECORD_EXPANSION * body_bytes + 1024 <= limit:
        return items
    for item in items:
        content: list[Any]
        if isinstance(item, SpanRecord):
            what, content = "span", [item.span.name, item.span.attributes, item.span.status_message,
                                     [(event.name, event.attributes) for event in item.events]]
        elif isinstance(item, Record):
            what, content = "log record", [item.message, item.fields, item.extra]
        else:
            continue
        size = len(orjson.dumps(content, default=str))
        if size > limit:
            raise ApiError(413, f"an OTLP {what} is {size} bytes, over the limit of {limit}; split or trim it")
    return items


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
        limit = self.context.config.limits.max_event_bytes

        def decode() -> list[Item]:
            return records_within(otlp_items(body, content_type, submission.id), limit, len(body))
        items = decode() if len(body) <= INLINE_BYTES else await run_in_threadpool(decode)
        if items:
            self.check_rate(key.public_key, len(items))
            await self.context.ingest.accept(submission)
        if content_type == "application/json":
            return json_answer({})
        return Answer(200, b"", PROTOBUF)
