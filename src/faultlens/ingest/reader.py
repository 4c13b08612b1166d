"""Read one input end to end: open, sniff, decode, assemble; yield its Records (and a trace input's spans)."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from faultlens.errors import SourceError
from faultlens.ingest.assembler import Assembler, Decode
from faultlens.ingest.decode_json import decode_json_object, is_json_object_line, parse_json_line
from faultlens.ingest.decode_logfmt import decode_logfmt_line
from faultlens.ingest.decode_text import TextDecoder
from faultlens.ingest.record import Record
from faultlens.ingest.sniff import CRI_LINE, Detected, forced, sniff
from faultlens.ingest.sources import InputRef, LineBatch, LineReader, looks_binary, open_input
from faultlens.ingest.traces import SpanRecord
from faultlens.ingest.traces_input import (
    TRACE_FORMATS,
    Needles,
    ReplayStream,
    TraceReadState,
    read_head,
    read_trace_items,
    sniff_trace,
)


@dataclass(slots=True)
class ReadResult:
    """What reading one input found besides its records."""

    format: str = "unknown"
    lines: int = 0
    bytes_read: int = 0
    head_hash: str = ""  # of the first line: a rotated file starts anew, a grown one resumes
    skipped_lines: int = 0
    problems: list[SourceError] = field(default_factory=list)


class JsonLinesDecoder:
    """JSON objects, with stray plain-text lines (a crash dump on stderr) kept as text records."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._text = TextDecoder(path, None)
        self._last_was_json = False

    def decode(self, line_no: int, line: str) -> Record | None:
        if is_json_object_line(line):
            obj = parse_json_line(line)
            if obj is not None:
                self._last_was_json = True
                return decode_json_object(self.path, line_no, obj)
        record = self._text.decode(line_no, line)
        if record is None and self._last_was_json and line.strip():
            record = self._text.orphan(line_no, line)
        if record is not None or line.strip():
            self._last_was_json = False
        return record

    def orphan(self, line_no: int, line: str) -> Record:
        return self._text.orphan(line_no, line)


class LogfmtDecoder:
    def __init__(self, path: str) -> None:
        self.path = path
        self._text = TextDecoder(path, None)

    def decode(self, line_no: int, line: str) -> Record | None:
        return decode_logfmt_line(self.path, line_no, line)

    def orphan(self, line_no: int, line: str) -> Record:
        return self._text.orphan(line_no, line)


class ContainerDecoder:
    """Docker json-file and Kubernetes CRI lines: unwrap, then decode the application's own line.

    The runtime's timestamp stands in when the application's line has none. A line the runtime
    split (over 16 KiB) is read as separate lines.
    """

    def __init__(self, path: str, kind: str, inner_sample: list[str]) -> None:
        self.path = path
        self.kind = kind
        self.inner = make_decoder(path, sniff(inner_sample))

    def decode(self, line_no: int, line: str) -> Record | None:
        unwrapped = unwrap_container_line(self.kind, line)
        if unwrapped is None:
            return self.inner.decode(line_no, line)
        text, ts, stream = unwrapped
        record = self.inner.decode(line_no, text)
        if record is not None:
            if record.ts_text is None:
                record.ts_text = ts
            record.fields.setdefault("stream", stream)
        return record

    def orphan(self, line_no: int, line: str) -> Record:
        unwrapped = unwrap_container_line(self.kind, line)
        record = self.inner.orphan(line_no, unwrapped[0] if unwrapped else line)
        if unwrapped and record.ts_text is None:
            record.ts_text = unwrapped[1]
        return record


def unwrap_container_line(kind: str, line: str) -> tuple[str, str, str] | None:
    """(application line, runtime timestamp, stream) of one container-runtime line."""
    if kind == "docker":
        obj = parse_json_line(line) if is_json_object_line(line) else None
        if obj is None or not isinstance(obj.get("log"), str):
            return None
        return obj["log"].rstrip("\n").rstrip("\r"), str(obj.get("time", "")) or "", str(obj.get("stream", ""))
    match = CRI_LINE.match(line)
    if match is None:
        return None
    return match.group("msg"), match.group("ts"), match.group("stream")


Decoder = TextDecoder | JsonLinesDecoder | LogfmtDecoder | ContainerDecoder


def make_decoder(path: str, detected: Detected, sample: list[str] | None = None) -> Decoder:
    if detected.format == "json":
        return JsonLinesDecoder(path)
    if detected.format == "logfmt":
        return LogfmtDecoder(path)
    if detected.format in ("docker", "cri"):
        inner = [u[0] for u in (unwrap_container_line(detected.format, line) for line in sample or []) if u]
        return ContainerDecoder(path, detected.format, inner)
    return TextDecoder(path, detected.dialect)


def format_name(detected: Detected) -> str:
    if detected.format == "text" and detected.dialect is not None:
        return detected.dialect.name
    return detected.format


def read_records(ref: InputRef, result: ReadResult, input_format: str | None = None) -> Iterator[Record]:
    """Yield the records of one input; problems go to `result`, a SourceError only when nothing can be read."""
    for item in read_items(ref, result, input_format):
        if isinstance(item, Record):
            yield item


def read_items(ref: InputRef, result: ReadResult, input_format: str | None = None,
               needles: Needles | None = None) -> Iterator[Record | SpanRecord]:
    """Yield the records of one input, and the spans of a trace input.

    Trace formats are sniffed from the first bytes, before the binary check, since OTLP protobuf
    is binary. With `needles`, only records whose first line holds one are decoded and yielded
    (with the lines that continue them): reading for one request skips the rest cheaply.
    """
    raw = open_input(ref)
    path = ref.path
    head = read_head(raw)
    stream = ReplayStream(head, raw)
    if input_format in TRACE_FORMATS:
        trace_format: str | None = input_format
    else:
        trace_format = sniff_trace(head) if not input_format or input_format == "auto" else None
    if trace_format is not None:
        yield from _read_traces(stream, ref, trace_format, result, needles)
        return
    reader = LineReader(stream, path)  # type: ignore[arg-type]
    try:
        batches = reader.batches()
        first = next(batches, None)
        if first is None:
            result.format = "empty"
            return
        if looks_binary("\n".join(first.lines[:200]).encode("utf-8", "replace")[:65536]):
            raise SourceError("looks binary (NUL bytes), not a log; skipped", path=path)
        result.head_hash = hashlib.blake2b(first.lines[0].encode("utf-8", "replace"), digest_size=8).hexdigest()
        detected = forced(input_format) if input_format and input_format != "auto" else sniff(first.lines)
        result.format = format_name(detected)
        decoder = make_decoder(path, detected, first.lines[:200])
        if needles is None:
            assembler = Assembler(decoder.decode, decoder.orphan)
        else:
            prefilter = Prefilter(path, decoder.decode, needles)
            assembler = prefilter.assembler = Assembler(prefilter.decode, decoder.orphan)
        yield from assemble_lines(itertools.chain([first], batches), assembler, result)
    finally:
        result.skipped_lines += reader.skipped_lines
        result.problems.extend(reader.problems)
        if not ref.is_stdin:
            stream.close()


def assemble_lines(batches: Iterable[LineBatch], assembler: Assembler, result: ReadResult,
                   line_offset: int = 0) -> Iterator[Record]:
    """The records of consecutive lines; `line_offset` numbers lines read from the middle of a file."""
    feed = assembler.feed
    for batch in batches:
        line_no = batch.first_line + line_offset
        for line in batch.lines:
            done = feed(line_no, line)
            line_no += 1
            if done is not None and done.format != SKIPPED:
                yield done
        result.lines = line_no - 1
        result.bytes_read += batch.bytes_read
    last = assembler.flush()
    if last is not None and last.format != SKIPPED:
        yield last


def _read_traces(stream: ReplayStream, ref: InputRef, trace_format: str, result: ReadResult,
                 needles: Needles | None) -> Iterator[Record | SpanRecord]:
    state = TraceReadState()
    result.format = trace_format
    try:
        for item in read_trace_items(stream, ref.path, trace_format, state, result.problems, needles):  # type: ignore[arg-type]
            result.head_hash, result.lines, result.bytes_read = state.head_hash, state.lines, state.bytes_read
            yield item
    finally:
        result.head_hash, result.lines, result.bytes_read = state.head_hash, state.lines, state.bytes_read
        result.skipped_lines += state.skipped
        if not ref.is_stdin:
            stream.close()


SKIPPED = "skipped"
"""The format of a stand-in record for lines a Prefilter did not decode; never yielded."""


class Prefilter:
    """Decode a line only when it holds a needle, or may continue a record whose first line did.

    Other lines become stand-in records, so the assembler never joins them to a wanted record,
    and decoding (the regex work) is spent only on the lines that matter.
    """

    def __init__(self, path: str, decode: Decode, needles: Needles) -> None:
        self.path = path
        self._decode = decode
        self._needles = needles
        self._matched_line = 0
        self.assembler: Assembler | None = None

    def decode(self, line_no: int, line: str) -> Record | None:
        if self._needles.in_line(line):
            self._matched_line = line_no
            return self._decode(line_no, line)
        current = self.assembler.current if self.assembler is not None else None
        if current is not None and current.line == self._matched_line and self._decode(line_no, line) is None:
            return None  # it continues the wanted record
        return Record(self.path, line_no, SKIPPED, "")
