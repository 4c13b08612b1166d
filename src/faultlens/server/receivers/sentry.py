"""Sentry's ingest endpoints: `POST /api/{project_id}/envelope/` and the legacy `POST /api/{project_id}/store/`.

Answers as Sentry does, so every SDK's transport behaves: 200 `{"id": ...}`, 400 malformed, 401
auth, 403 revoked key, 413 too large, 429 with Retry-After and X-Sentry-Rate-Limits, 503 when
the queue is full. Item types other than event, transaction and log (sessions, attachments,
client reports, check-ins, profiles, replays, types not invented yet) are accepted and skipped.
Like Sentry's Relay, the envelope door reads the envelope's framing (its header and item headers)
and leaves payloads to the preparing process, which drops one that is not a JSON object.
"""

from __future__ import annotations

import base64
import binascii
import zlib

from faultlens.server.auth import sentry_key
from faultlens.server.bodies import read_body
from faultlens.server.decode import MalformedBody, frame_sentry_envelope, json_object, sentry_payloads
from faultlens.server.errors import ApiError
from faultlens.server.front import Answer, IngestRequest, json_answer
from faultlens.server.ingest import new_submission
from faultlens.server.receivers import Receiver
from faultlens.server.sentry_envelope import Envelope, EnvelopeItem, serialize_envelope


class SentryEnvelopeReceiver(Receiver):
    endpoint = "sentry-envelope"

    async def handle(self, request: IngestRequest) -> Answer:
        project_id = _project_id(request)
        keys = self.context.keys
        given = sentry_key(request)
        if given:
            keys.project_key(given, project_id)
        body = await read_body(request, self.context.config.limits)
        envelope, skipped = frame_sentry_envelope(body)
        key = keys.project_key(given or sentry_key(request, envelope.headers.get("dsn")), project_id)
        for kind in skipped:
            self.context.metrics.items_skipped.labels(kind).inc()
        event_id = envelope.headers.get("event_id") or _first_event_id(envelope)
        return await self.store(request, key.public_key, key.project, envelope, event_id, None if skipped else body)

    async def store(self, request: IngestRequest, public_key: str, project: str, envelope: Envelope,
                    event_id: object, body: bytes | None = None) -> Answer:
        """Spool the envelope: `body` as it came when nothing was cut from it, else the kept items re-serialized."""
        limit = self.context.config.limits.max_event_bytes
        for item in envelope.items:
            if len(item.payload) > limit:
                raise ApiError(413, f"an {item.type} item is {len(item.payload)} bytes, over the limit of {limit}")
        if not envelope.items:
            return json_answer({"id": event_id})
        self.check_rate(public_key, len(envelope.items))
        submission = new_submission("sentry", project, body if body is not None else serialize_envelope(envelope),
                                    client_ip=request.client_host)
        await self.context.ingest.accept(submission)
        return json_answer({"id": event_id or submission.id})


class SentryStoreReceiver(SentryEnvelopeReceiver):
    """The legacy endpoint: one event as the body (JSON, or base64 of zlib from old clients)."""

    endpoint = "sentry-store"

    async def handle(self, request: IngestRequest) -> Answer:
        project_id = _project_id(request)
        key = self.context.keys.project_key(sentry_key(request), project_id)
        body = _legacy_body(await read_body(request, self.context.config.limits))
        payload = json_object(body, "the event")
        envelope = Envelope({}, [EnvelopeItem("event", {"type": "event"}, body)])
        return await self.store(request, key.public_key, key.project, envelope, payload.get("event_id"))


def _project_id(request: IngestRequest) -> int:
    text = str(request.path_params.get("project_id", ""))
    if not text.isdigit():
        raise ApiError(404, f"project id {text!r} is not a number; check the DSN's last path segment")
    return int(text)


def _first_event_id(envelope: Envelope) -> object:
    """The first event item's id, for envelopes whose header names none (the payloads are read only then)."""
    events = Envelope(envelope.headers, [item for item in envelope.items if item.type == "event"])
    return next((payload.get("event_id") for _, _, payload in sentry_payloads(events) if payload.get("event_id")),
                None)


def _legacy_body(body: bytes) -> bytes:
    """Old raven clients posted base64 of zlib-compressed JSON without saying so."""
    stripped = body.strip()
    if stripped.startswith(b"{"):
        return stripped
    try:
        return zlib.decompress(base64.b64decode(stripped, validate=True), bufsize=len(stripped) * 4)
    except (binascii.Error, zlib.error, ValueError):
        raise MalformedBody("the event is neither JSON nor base64 of zlib-compressed JSON") from None
