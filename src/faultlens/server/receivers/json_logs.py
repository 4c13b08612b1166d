"""`POST /api/ingest`: JSON log lines (or a JSON array of them) from Vector, Fluent Bit or anything else.

Each object is read as `analyze` reads a JSON log line, so every producer schema it knows works
here too. The project comes from its key: X-Faultlens-Key, or Authorization: Bearer <key>.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from faultlens.server.bodies import read_body
from faultlens.server.decode import json_line_records
from faultlens.server.errors import ApiError
from faultlens.server.front import Answer, IngestRequest, json_answer
from faultlens.server.ingest import new_submission
from faultlens.server.receivers import Receiver

INLINE_BYTES = 64 * 1024


class JsonLogReceiver(Receiver):
    endpoint = "json-logs"

    async def handle(self, request: IngestRequest) -> Answer:
        key = self.context.keys.ingest_key(request)
        body = await read_body(request, self.context.config.limits)
        limit = self.context.config.limits.max_event_bytes
        if len(body) > limit and any(len(line) > limit for line in body.splitlines()):
            raise ApiError(413, f"a log line is over the limit of {limit} bytes")
        submission = new_submission("json-lines", key.project, body)
        if len(body) <= INLINE_BYTES:
            records = json_line_records(body, submission)
        else:
            records = await run_in_threadpool(json_line_records, body, submission)
        if records:
            self.check_rate(key.public_key, len(records))
            await self.context.ingest.accept(submission)
        return json_answer({"accepted": len(records)})
