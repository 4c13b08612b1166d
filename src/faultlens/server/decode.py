"""A spooled submission back into pipeline items: events, records and spans, per kind of request.

Receivers check a request's framing to answer 400 for what is malformed and spool its bytes; the
preparing process decodes the bytes into items here, the same way on a replay after a crash, so
the items get the same ids. A Sentry envelope's item payloads are parsed here only, as Sentry's
Relay does: a payload that is not a JSON object is dropped (and said so) without losing the
envelope's other items.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from faultlens.ingest.decode_json import decode_json_object
from faultlens.ingest.otlp import decode_otlp_document, decode_otlp_protobuf
from faultlens.ingest.record import Record
from faultlens.ingest.traces import SpanRecord
from faultlens.model import Event, ExceptionInfo, Frame, Source
from faultlens.server.sentry_envelope import Envelope, parse_envelope
from faultlens.server.sentry_event import event_from_sentry, records_from_logs, spans_from_transaction, stable_id
from faultlens.server.spool import Submission

Item = Record | SpanRecord | Event
SENTRY_KINDS = ("event", "transaction", "log")
"""Envelope items that become events, spans and records; every other type is accepted and skipped."""


class MalformedBody(ValueError):
    """The body cannot be read as its kind says; the message says why (the answer is 400)."""


def received_at(submission: Submission) -> datetime:
    stamp = submission.meta.get("received_at")
    return datetime.fromisoformat(stamp) if isinstance(stamp, str) else datetime.now(UTC)


def sentry_items(payloads: list[tuple[int, str, dict[str, Any]]], submission: Submission) -> list[Item]:
    """Events, spans and log records of an envelope's kept items (`(number, type, payload)`, numbered
    from 1 among the kept items, so ids stay the same whichever items are dropped)."""
    when = received_at(submission)
    out: list[Item] = []
    for number, kind, payload in payloads:
        source = f"sentry:{submission.project}/{submission.id}/{number}"
        if kind == "event":
            out.append(event_from_sentry(payload, submission.project, source, when,
                                         stable_id(submission.id, number), submission.meta.get("client_ip")))
        elif kind == "transaction":
            out.extend(spans_from_transaction(payload, submission.project, source))
        elif kind == "log":
            out.extend(records_from_logs(payload, source))
    return out


def frame_sentry_envelope(body: bytes) -> tuple[Envelope, list[str]]:
    """The envelope cut down to the items faultlens keeps, and the types it skipped; MalformedBody when its
    framing (the envelope header, an item header, a length) is broken. Payloads are not parsed."""
    try:
        envelope = parse_envelope(body)
    except ValueError as exc:
        raise MalformedBody(f"not a Sentry envelope: {exc}") from None
    kept = [item for item in envelope.items if item.type in SENTRY_KINDS]
    skipped = [item.type for item in envelope.items if item.type not in SENTRY_KINDS]
    return Envelope(envelope.headers, kept), skipped


def sentry_payloads(envelope: Envelope, dropped: list[str] | None = None) -> list[tuple[int, str, dict[str, Any]]]:
    """The kept items' payloads, numbered; an item whose payload is not a JSON object is left out, with why
    appended to `dropped`."""
    payloads: list[tuple[int, str, dict[str, Any]]] = []
    for number, item in enumerate(envelope.items, start=1):
        try:
            payloads.append((number, item.type, json_object(item.payload, f"the {item.type} item")))
        except MalformedBody as exc:
            if dropped is not None:
                dropped.append(f"item {number}: {exc}")
    return payloads


def json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"{what} is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise MalformedBody(f"{what} is not a JSON object")
    return value


def otlp_items(body: bytes, content_type: str, submission_id: str) -> list[Item]:
    """Spans and log records of an OTLP/HTTP export, protobuf or JSON (decoded by ingest.otlp)."""
    if not body:
        return []
    path = f"otlp:{submission_id}"
    if "json" in content_type:
        doc = json_object(body, "the OTLP/JSON body")
        return list(decode_otlp_document(doc, path, 1))
    try:
        return list(decode_otlp_protobuf(body, path, 1))
    except Exception as exc:  # the decoder raises SourceError, protobuf its own errors
        raise MalformedBody(f"not an OTLP protobuf export: {exc}") from None


def json_line_records(body: bytes, submission: Submission) -> list[Item]:
    """Log records from JSON lines or a JSON array of objects (as Vector and Fluent Bit send them)."""
    path = f"http:{submission.project}/{submission.id}"
    stripped = body.lstrip()
    if stripped.startswith(b"["):
        try:
            objects = orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            raise MalformedBody(f"the body is not a JSON array ({exc})") from None
        lines = list(enumerate(objects, start=1))
    else:
        lines = []
        for number, line in enumerate(body.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                lines.append((number, orjson.loads(line)))
            except orjson.JSONDecodeError as exc:
                raise MalformedBody(f"line {number} is not JSON ({exc})") from None
    records: list[Item] = []
    for number, obj in lines:
        if not isinstance(obj, dict):
            raise MalformedBody(f"record {number} is not a JSON object")
        records.append(decode_json_object(path, number, obj))
    return records


def events_to_bytes(events: list[Event]) -> bytes:
    return orjson.dumps([dataclasses.asdict(event) for event in events], default=str)


def events_from_bytes(body: bytes) -> list[Item]:
    out: list[Item] = []
    for data in orjson.loads(body):
        data["timestamp"] = datetime.fromisoformat(data["timestamp"])
        data["source"] = Source(**data["source"])
        data["exceptions"] = [ExceptionInfo(**{**exc, "frames": [Frame(**f) for f in exc["frames"]]})
                              for exc in data["exceptions"]]
        out.append(Event(**data))
    return out


def decode_submission(submission: Submission, dropped: list[str] | None = None) -> list[Item]:
    """The items of a spooled submission; parts that cannot be read (an envelope item whose payload is not
    a JSON object) are left out, with why appended to `dropped`."""
    if submission.kind == "sentry":
        envelope, _ = frame_sentry_envelope(submission.body)
        return sentry_items(sentry_payloads(envelope, dropped), submission)
    decoder = DECODERS.get(submission.kind)
    if decoder is None:
        raise MalformedBody(f"unknown submission kind {submission.kind!r}")
    return decoder(submission)


DECODERS: dict[str, Callable[[Submission], list[Item]]] = {
    "otlp": lambda s: otlp_items(s.body, str(s.meta.get("content_type", "")), s.id),
    "json-lines": lambda s: json_line_records(s.body, s),
    "events": lambda s: events_from_bytes(s.body),
}
