"""Trace inputs: recognise OTLP (JSON or protobuf), Zipkin and Jaeger files by content, and read their documents.

A trace file is a sequence of documents, not of log lines: one JSON document per line (the OTLP
file exporter's JSON lines), one document in the whole file (an API response, a UI download), or
protobuf messages, alone or each behind a 4-byte big-endian length (the collector's file exporter
with `format: proto`). Documents are read whole, however long, and decoded one at a time. When
only one request is wanted, a document that does not hold its id is skipped before decoding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

from faultlens.errors import SourceError
from faultlens.ingest.jaeger import decode_jaeger_document, is_jaeger_document
from faultlens.ingest.otlp import decode_otlp_document, decode_otlp_protobuf, is_otlp_document
from faultlens.ingest.sniff import TRACE_FORMATS
from faultlens.ingest.sources import CHUNK_BYTES
from faultlens.ingest.traces import TraceItem
from faultlens.ingest.zipkin import decode_zipkin_spans, is_zipkin_document

HEAD_BYTES = 1 << 16
MAX_DOCUMENT_BYTES = 1 << 28
"""A document larger than this is skipped (and reported) rather than held in memory."""

_OTLP_KEYS = (b'"resourceSpans"', b'"resourceLogs"', b'"resource_spans"', b'"resource_logs"')
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Needles:
    """What a wanted request's id looks like in raw input: as text, and as bytes inside protobuf."""

    text: tuple[str, ...]
    binary: tuple[bytes, ...] = ()

    def in_line(self, line: str) -> bool:
        return any(needle in line for needle in self.text)

    def in_bytes(self, data: bytes, binary: bool = False) -> bool:
        needles = self.binary if binary else self.text_bytes
        return any(needle in data for needle in needles)

    @property
    def text_bytes(self) -> tuple[bytes, ...]:
        return tuple(needle.encode() for needle in self.text)


def sniff_trace(head: bytes) -> str | None:
    """The trace format of an input from its first bytes, or None for anything else (logs)."""
    if len(head) >= 5 and head[0] == 0 and head[4] in (0x0A, 0x7B):
        return "otlp-proto"  # length-prefixed messages: a log never starts with a NUL byte
    if head[:1] == b"\x0a" and _binary(head):
        return "otlp-proto"  # one raw message: field 1 (resource_spans / resource_logs)
    text = head.removeprefix(_BOM).lstrip()
    window = head[:HEAD_BYTES]
    if text.startswith(b"{"):
        if any(key in window for key in _OTLP_KEYS):
            return "otlp-json"
        if b'"traceID"' in window and b'"spans"' in window and (b'"processes"' in window
                                                                  or b'"operationName"' in window):
            return "jaeger"
    if text.startswith(b"[") and b'"traceId"' in window and (b'"localEndpoint"' in window or b'"timestamp"' in window):
        return "zipkin"
    return None


def _binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 4  # not just a character cut at the end of the sample
    return False


def decode_document(doc: Any, path: str, line: int) -> Iterator[TraceItem]:
    """The spans and records of one JSON document, whichever trace format its shape says it is."""
    if is_otlp_document(doc):
        yield from decode_otlp_document(doc, path, line)
    elif is_zipkin_document(doc):
        yield from decode_zipkin_spans(doc, path, line)
    elif is_jaeger_document(doc):
        yield from decode_jaeger_document(doc, path, line)


@dataclass(slots=True)
class TraceReadState:
    """What the reader reports back: the first document's hash, lines or messages read, bytes, problems."""

    head_hash: str = ""
    lines: int = 0
    bytes_read: int = 0
    skipped: int = 0


__all__ = ["TRACE_FORMATS", "Needles", "ReplayStream", "TraceReadState", "read_head", "read_trace_items",
           "sniff_trace"]


def read_trace_items(stream: BinaryIO, path: str, fmt: str, state: TraceReadState, problems: list[SourceError],
                     needles: Needles | None = None) -> Iterator[TraceItem]:
    """Every span and log record of a trace input, in order; `needles` skips documents without the id.

    A stream that ends early (cut short, damaged, past the decompressed-size limit) keeps what
    was decoded before and adds a problem.
    """
    try:
        if fmt == "otlp-proto":
            yield from _read_protobuf(stream, path, state, problems, needles)
        else:
            yield from _read_json(stream, path, state, problems, needles)
    except (EOFError, OSError) as exc:
        problems.append(SourceError(f"input ends early ({exc}); kept what was read before it", path=path,
                                    line=state.lines or None))


def _read_protobuf(stream: BinaryIO, path: str, state: TraceReadState, problems: list[SourceError],
                   needles: Needles | None) -> Iterator[TraceItem]:
    first = _read_exact(stream, 4)
    if first[:1] != b"\x00":  # one message, the whole input
        data = first + _read_all(stream, path)
        state.bytes_read, state.lines = len(data), 1
        state.head_hash = _hash(data)
        if needles is None or needles.in_bytes(data, binary=True):
            yield from decode_otlp_protobuf(data, path, 1)
        return
    message = 0
    header = first
    while len(header) == 4:
        size = int.from_bytes(header, "big")
        data = _read_exact(stream, size)
        message += 1
        state.bytes_read += 4 + len(data)
        state.lines = message
        if len(data) < size:
            problems.append(SourceError("input ends inside a message; kept the messages before it",
                                        path=path, line=message))
            return
        if message == 1:
            state.head_hash = _hash(data)
        header = _read_exact(stream, 4)
        if needles is not None and not needles.in_bytes(data, binary=True):
            continue
        yield from _decode_framed(data, path, message, state, problems)


def _decode_framed(data: bytes, path: str, message: int, state: TraceReadState,
                   problems: list[SourceError]) -> Iterator[TraceItem]:
    """A framed message is protobuf, or JSON when the collector wrote JSON with compression on."""
    if data[:1] == b"{":
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            state.skipped += 1
            problems.append(SourceError(f"not valid JSON ({exc}); skipped", path=path, line=message))
            return
        yield from decode_document(doc, path, message)
        return
    try:
        yield from decode_otlp_protobuf(data, path, message)
    except SourceError as exc:
        if message == 1:
            raise
        state.skipped += 1
        problems.append(exc)


def _read_json(stream: BinaryIO, path: str, state: TraceReadState, problems: list[SourceError],
               needles: Needles | None) -> Iterator[TraceItem]:
    lines = _byte_lines(stream, path, state)
    for line_no, line in lines:
        if not line.strip():
            continue
        state.head_hash = _hash(line)
        state.lines = line_no
        doc = _loads(line)
        if doc is None:  # one document over many lines: read the whole input as it
            rest = [line] + [more for _, more in lines]
            whole = b"\n".join(rest)
            state.lines = line_no + len(rest) - 1
            if needles is not None and not needles.in_bytes(whole):
                return
            doc = _loads(whole)
            if doc is None:
                raise SourceError("looks like a trace export but is not valid JSON; skipped", path=path)
            yield from decode_document(doc, path, line_no)
            return
        if needles is None or needles.in_bytes(line):
            yield from decode_document(doc, path, line_no)
        break
    else:
        return
    for line_no, line in lines:  # JSON lines: one document per line
        state.lines = line_no
        if not line.strip() or (needles is not None and not needles.in_bytes(line)):
            continue
        doc = _loads(line)
        if doc is None:
            state.skipped += 1
            problems.append(SourceError("not a JSON document; skipped", path=path, line=line_no))
            continue
        yield from decode_document(doc, path, line_no)


def _byte_lines(stream: BinaryIO, path: str, state: TraceReadState) -> Iterator[tuple[int, bytes]]:
    """Lines of any length (an exporter's batch can be megabytes on one line), numbered from 1."""
    read = getattr(stream, "read1", stream.read)
    parts: list[bytes] = []
    held = 0
    line_no = 0
    while True:
        chunk = read(CHUNK_BYTES)
        if not chunk:
            break
        state.bytes_read += len(chunk)
        pieces = chunk.split(b"\n")
        if len(pieces) == 1:
            parts.append(chunk)
            held += len(chunk)
            if held > MAX_DOCUMENT_BYTES:
                raise SourceError(f"a document longer than {MAX_DOCUMENT_BYTES} bytes; skipped the input", path=path)
            continue
        parts.append(pieces[0])
        line_no += 1
        yield line_no, b"".join(parts)
        for piece in pieces[1:-1]:
            line_no += 1
            yield line_no, piece
        parts, held = [pieces[-1]], len(pieces[-1])
    if parts and any(parts):
        yield line_no + 1, b"".join(parts)


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    """`size` bytes, or fewer only at the end: a decompressing stream may hand over less per call."""
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = stream.read(min(left, CHUNK_BYTES))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_all(stream: BinaryIO, path: str) -> bytes:
    data = _read_exact(stream, MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise SourceError(f"a protobuf message longer than {MAX_DOCUMENT_BYTES} bytes; skipped", path=path)
    return data


def _loads(data: bytes) -> Any:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict | list) else None


def _hash(data: bytes) -> str:
    return hashlib.blake2b(data[:4096], digest_size=8).hexdigest()


class ReplayStream:
    """A stream whose first bytes were already read for sniffing: hands them over again, then the rest."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            if len(data) < size and not self._head:
                data += self._stream.read(size - len(data))
            return data
        return self._stream.read(size)

    def read1(self, size: int = -1) -> bytes:
        """What is at hand, without waiting for more: a pipe's reader must see its lines as they come."""
        if self._head:
            cut = len(self._head) if size is None or size < 0 else size
            data, self._head = self._head[:cut], self._head[cut:]
            return data
        read1 = getattr(self._stream, "read1", self._stream.read)
        return bytes(read1(size))

    def fileno(self) -> int:
        """The file's descriptor, so a reader can tell a file cut shorter under it; streams without one raise."""
        return self._stream.fileno()

    def close(self) -> None:
        self._stream.close()


def read_head(stream: BinaryIO) -> bytes:
    """The first bytes of an input for sniffing: what a pipe has now (at least a length prefix), or a block."""
    read1 = getattr(stream, "read1", None)
    if read1 is None:
        return _read_exact(stream, HEAD_BYTES)
    head = b""
    try:
        head = bytes(read1(HEAD_BYTES))
        while head and len(head) < 5:
            more = bytes(read1(HEAD_BYTES))
            if not more:
                break
            head += more
    except (EOFError, OSError):
        pass  # a damaged stream says so again to the reader that comes next, with a line number
    return head
