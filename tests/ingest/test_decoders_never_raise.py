"""Property tests: no line, however odd, makes a decoder, the assembler or extraction raise."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from faultlens.ingest.assembler import Assembler
from faultlens.ingest.decode_logfmt import parse_logfmt
from faultlens.ingest.decode_text import TextDecoder
from faultlens.ingest.extract import Extractor
from faultlens.ingest.reader import JsonLinesDecoder, LogfmtDecoder
from faultlens.ingest.sniff import sniff
from faultlens.ingest.sources import LineReader
from faultlens.ingest.text_dialects import DIALECTS
from faultlens.times import parse_timestamp

PIECES = st.sampled_from([
    "2026-11-28 14:05:31,877 ", "ERROR ", "[main] ", "[req-1] ", "com.acme.Foo - ", "\tat a.b.C.d(C.java:1)",
    "Caused by: x.Y: z", "Traceback (most recent call last):", '  File "a.py", line 1, in f', "KeyError: 'k'",
    '{"level": "error", "msg": "x", "error": {"stack": "Error: y\\n    at f (a.js:1:2)"}}', "level=error msg=",
    '"quoted', "<34>Oct 11 22:14:15 host app[1]: ", '1.2.3.4 - - [28/Nov/2026:14:05:32 +0000] "GET / HTTP/1.1" 500 1',
    "\x00", "\ufffd", "{", "}", "[", "]", "=", " ", "\r",
])
LINES = st.lists(st.one_of(st.text(max_size=80), st.lists(PIECES, max_size=6).map("".join)), max_size=30)


def run_decoder(decoder, lines: list[str]) -> None:
    extract = Extractor("svc", datetime(2026, 1, 1, tzinfo=UTC))
    assembler = Assembler(decoder.decode, decoder.orphan)
    for number, line in enumerate(lines, start=1):
        done = assembler.feed(number, line)
        if done is not None:
            extract(done)
    last = assembler.flush()
    if last is not None:
        extract(last)


@settings(max_examples=150, deadline=None)
@given(LINES)
def test_text_decoders_never_raise(lines):
    """Every text dialect, and raw text, takes any lines."""
    for dialect in (None, *DIALECTS):
        run_decoder(TextDecoder("f.log", dialect), lines)


@settings(max_examples=150, deadline=None)
@given(LINES)
def test_structured_decoders_and_sniffing_never_raise(lines):
    """JSON and logfmt decoding, and format sniffing, take any lines."""
    sniff(lines)
    run_decoder(JsonLinesDecoder("f.jsonl"), lines)
    run_decoder(LogfmtDecoder("f.log"), lines)
    for line in lines:
        parse_logfmt(line)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(allow_nan=True), st.none()))
def test_timestamps_never_raise(value):
    """A timestamp parser returns a time or None, never an exception."""
    parse_timestamp(value)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000))
def test_line_reader_takes_any_bytes(data):
    """Any bytes split into lines whose count matches the newlines."""
    reader = LineReader(io.BytesIO(data), "f", max_line_bytes=500)
    lines = [line for batch in reader.batches() for line in batch.lines]
    expected = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    assert len(lines) == expected


def test_timestamps_out_of_range_are_none():
    """Days of fifty digits and stamps that leave years 1 to 9999 parse to None, not OverflowError (found by fuzzing)."""
    for text in ("Oct 1111111111111111111111111111111111111111111111111 22:14 15", "0001-01-01T00:30:00+01:00",
                 "9999-12-31T23:59:59-05:00", "28/Nov/9999:23:59:59 -1400", "2026/99999999999999999999/28 14:05:32"):
        assert parse_timestamp(text) is None, text


def test_span_times_past_year_9999_are_none():
    """An OTLP or Zipkin time too large for a datetime is no time at all (found by fuzzing)."""
    from faultlens.ingest.traces import from_unix_micros, from_unix_nanos

    assert from_unix_nanos("9" * 40) is None
    assert from_unix_micros(10**30) is None
    assert from_unix_nanos("1764338731877000000") is not None
