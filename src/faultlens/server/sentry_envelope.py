"""Sentry's envelope format: a JSON header line, then items, each a JSON header line and a payload.

An item header may give the payload's `length` in bytes (then the payload may hold newlines and
is followed by an optional newline) or leave it out (then the payload runs to the next newline
or the end). See develop.sentry.dev/sdk/data-model/envelopes/. Parsing is pure and reads only
what the envelope says; what each item type means is decided by the receiver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


class EnvelopeError(ValueError):
    """The bytes are not an envelope; the message says where they stop being one."""


@dataclass(frozen=True, slots=True)
class EnvelopeItem:
    type: str
    headers: dict[str, Any]
    payload: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    headers: dict[str, Any]
    items: list[EnvelopeItem] = field(default_factory=list)


def parse_envelope(data: bytes) -> Envelope:
    """Split an envelope into its header and items; raise EnvelopeError for anything malformed."""
    header_line, pos = _line(data, 0)
    headers = _json_object(header_line, "envelope header")
    items: list[EnvelopeItem] = []
    size = len(data)
    while pos < size:
        if data[pos:pos + 1] in (b"\n", b"\r") and not data[pos:].strip():
            break  # trailing newlines
        line, pos = _line(data, pos)
        if not line.strip():
            continue
        item_headers = _json_object(line, f"header of item {len(items) + 1}")
        item_type = item_headers.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise EnvelopeError(f"item {len(items) + 1} has no type")
        length = item_headers.get("length")
        if length is None:
            payload, pos = _line(data, pos)
        else:
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise EnvelopeError(f"item {len(items) + 1} has a bad length {length!r}")
            if pos + length > size:
                raise EnvelopeError(f"item {len(items) + 1} says {length} bytes, only {size - pos} remain")
            payload = data[pos:pos + length]
            pos += length
            if data[pos:pos + 1] == b"\n":
                pos += 1
            elif data[pos:pos + 2] == b"\r\n":
                pos += 2
        items.append(EnvelopeItem(item_type, item_headers, payload))
    return Envelope(headers, items)


def serialize_envelope(envelope: Envelope) -> bytes:
    """The envelope as bytes, every item with its length (so payloads may hold newlines)."""
    parts = [orjson.dumps(envelope.headers), b"\n"]
    for item in envelope.items:
        headers = dict(item.headers)
        headers["length"] = len(item.payload)
        parts += [orjson.dumps(headers), b"\n", item.payload, b"\n"]
    return b"".join(parts)


def _line(data: bytes, start: int) -> tuple[bytes, int]:
    end = data.find(b"\n", start)
    if end < 0:
        return data[start:].rstrip(b"\r"), len(data)
    return data[start:end].rstrip(b"\r"), end + 1


def _json_object(line: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(line) if line.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise EnvelopeError(f"the {what} is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise EnvelopeError(f"the {what} is not a JSON object")
    return value
