"""Sentry envelopes: items with and without a length, trailing newlines, and what is malformed."""

from __future__ import annotations

import pytest

from faultlens.server.sentry_envelope import Envelope, EnvelopeError, EnvelopeItem, parse_envelope, serialize_envelope


def test_items_with_and_without_length() -> None:
    """A length reads exactly that many bytes (newlines included); without one the payload ends at a newline."""
    data = (b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://k@sentry.io/42"}\n'
            b'{"type":"attachment","length":10,"filename":"a.txt"}\nhello\nworl\n'
            b'{"type":"event","content_type":"application/json"}\n{"message":"hello world"}\n'
            b'{"type":"session"}\n{"started":"2020-02-07T14:16:00Z"}')
    envelope = parse_envelope(data)
    assert envelope.headers["event_id"] == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert [(i.type, i.payload) for i in envelope.items] == [
        ("attachment", b"hello\nworl"), ("event", b'{"message":"hello world"}'),
        ("session", b'{"started":"2020-02-07T14:16:00Z"}')]


def test_empty_payload_and_trailing_newlines() -> None:
    """An item of length 0 and newlines after the last item are both fine."""
    envelope = parse_envelope(b'{}\n{"type":"attachment","length":0}\n\n{"type":"event","length":2}\n{}\n\n')
    assert [(i.type, i.payload) for i in envelope.items] == [("attachment", b""), ("event", b"{}")]


def test_header_only_envelope() -> None:
    """An envelope may hold no items at all."""
    assert parse_envelope(b'{"event_id":"x"}').items == []


@pytest.mark.parametrize("data, fragment", [
    (b"not json\n", "envelope header is not JSON"),
    (b"[1]\n", "not a JSON object"),
    (b'{}\n{"length":2}\n{}\n', "has no type"),
    (b'{}\n{"type":"event","length":100}\n{}\n', "says 100 bytes"),
    (b'{}\n{"type":"event","length":-1}\n{}\n', "bad length"),
    (b'{}\n{"type":"event"\n{}\n', "header of item 1 is not JSON"),
])
def test_malformed_envelopes_say_where(data: bytes, fragment: str) -> None:
    """Malformed envelopes raise an EnvelopeError naming what is wrong."""
    with pytest.raises(EnvelopeError, match=fragment):
        parse_envelope(data)


def test_serialize_round_trip() -> None:
    """Serialized envelopes give every item a length and parse back to the same items."""
    envelope = Envelope({"event_id": "a"}, [EnvelopeItem("event", {"type": "event"}, b'{"a":\n1}'),
                                            EnvelopeItem("log", {"type": "log"}, b"{}")])
    again = parse_envelope(serialize_envelope(envelope))
    assert again.headers == {"event_id": "a"}
    assert [(i.type, i.payload, i.headers["length"]) for i in again.items] == [("event", b'{"a":\n1}', 8),
                                                                                ("log", b"{}", 2)]
