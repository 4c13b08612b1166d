"""Cutting inputs into pieces for workers: whole files, and byte ranges of large files cut where a record starts.

A cut is placed only before a line that starts a record whatever came before it: a JSON object,
or a line with a header and a time that the file's dialect recognises. Such a line is never a
continuation (a stack frame, `Caused by:`), so a multi-line record is never split, and a worker
starting there decodes exactly what a single reader would. Line numbers (and so event ids) stay
those of the whole file: the planner counts the lines before each cut.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from faultlens.errors import SourceError
from faultlens.ingest.assembler import Assembler
from faultlens.ingest.decode_json import is_json_object_line
from faultlens.ingest.reader import ReadResult, assemble_lines, format_name, make_decoder
from faultlens.ingest.record import Record
from faultlens.ingest.sniff import SAMPLE_LINES, Detected, forced, sniff
from faultlens.ingest.sources import CHUNK_BYTES, GZIP_MAGIC, ZSTD_MAGIC, InputRef, LineReader, looks_binary
from faultlens.ingest.traces_input import read_head, sniff_trace

PIECE_BYTES = 64 << 20
"""Files larger than this are cut into ranges of about this size."""
SEARCH_BYTES = 8 << 20
"""How far past a target offset a record start is looked for before that cut is given up."""
SPLITTABLE = ("json", "logfmt", "text")
"""Formats whose records can be told from their first line alone (container logs are read whole)."""


@dataclass(frozen=True, slots=True)
class FileHead:
    """What the planner learned from a file's first block, handed to every worker reading a range of it.

    The format goes by name: decoders tell dialects apart by identity, so a worker looks its own up.
    """

    format: str
    sample: list[str]
    head_hash: str

    @property
    def detected(self) -> Detected:
        return forced(self.format)


@dataclass(frozen=True, slots=True)
class Piece:
    """A whole input (`head` None) or the byte range [start, end) of a file, whose first line is `first_line`."""

    ref: InputRef
    number: int = 0
    last: bool = True
    start: int = 0
    end: int = 0
    first_line: int = 1
    head: FileHead | None = None


def plan_pieces(ref: InputRef, input_format: str | None, piece_bytes: int = PIECE_BYTES) -> list[Piece]:
    """The pieces of one input: itself, or ranges when it is a large plain file of a splittable format."""
    size = ref.size
    if ref.is_stdin or size is None or size <= piece_bytes:
        return [Piece(ref)]
    try:
        with open(ref.path, "rb") as handle:
            head = _file_head(handle, ref.path, input_format)
            if head is None:
                return [Piece(ref)]
            cuts = [cut for cut in (_record_start(handle, target, head, ref.path)
                                    for target in range(piece_bytes, size, piece_bytes)) if cut is not None]
            cuts = sorted(set(cuts))
            lines = _lines_before(handle, cuts)
    except OSError:
        return [Piece(ref)]  # the worker reading it whole reports the error
    bounds = [0, *cuts, size]
    firsts = [1, *(n + 1 for n in lines)]
    count = len(bounds) - 1
    return [Piece(ref, i, i == count - 1, bounds[i], bounds[i + 1], firsts[i], head) for i in range(count)]


def _file_head(handle: BinaryIO, path: str, input_format: str | None) -> FileHead | None:
    """The file's format, sample and head hash, as `read_items` finds them; None when it is not split."""
    block = handle.read(4)
    if block.startswith((GZIP_MAGIC, ZSTD_MAGIC)):
        return None
    handle.seek(0)
    if (not input_format or input_format == "auto") and sniff_trace(read_head(handle)) is not None:
        return None
    handle.seek(0)
    first = next(LineReader(handle, path).batches(), None)
    if first is None or looks_binary("\n".join(first.lines[:200]).encode("utf-8", "replace")[:65536]):
        return None
    detected = forced(input_format) if input_format and input_format != "auto" else sniff(first.lines)
    if detected.format not in SPLITTABLE:
        return None
    head_hash = hashlib.blake2b(first.lines[0].encode("utf-8", "replace"), digest_size=8).hexdigest()
    return FileHead(format_name(detected), first.lines[:SAMPLE_LINES], head_hash)


def _record_start(handle: BinaryIO, target: int, head: FileHead, path: str) -> int | None:
    """The offset of the first line at or after `target` that starts a record on its own; None if none is near."""
    handle.seek(target - 1)
    data = handle.read(SEARCH_BYTES)
    newline = data.find(b"\n")
    if newline < 0:
        return None
    offset = target + newline  # the line after the newline at data[newline] starts here
    detected = head.detected
    for raw in data[newline + 1:].split(b"\n")[:-1]:
        if _starts_record(raw.decode("utf-8", "replace"), detected, path):
            return offset
        offset += len(raw) + 1
    return None


def _starts_record(line: str, detected: Detected, path: str) -> bool:
    """Whether `line` starts a record whatever precedes it: decoders keep no state for such lines."""
    if detected.format == "json" and not is_json_object_line(line):
        return False
    record = make_decoder(path, detected).decode(0, line)
    return record is not None and record.ts_text is not None


def _lines_before(handle: BinaryIO, offsets: list[int]) -> list[int]:
    """How many lines end before each offset (offsets ascending): one read of the file up to the last."""
    counts: list[int] = []
    handle.seek(0)
    position = lines = 0
    for offset in offsets:
        while position < offset:
            chunk = handle.read(min(CHUNK_BYTES * 8, offset - position))
            if not chunk:
                break
            lines += chunk.count(b"\n")
            position += len(chunk)
        counts.append(lines)
    return counts


class _Range:
    """A file read from `start` up to `end` only."""

    def __init__(self, handle: BinaryIO, start: int, end: int) -> None:
        handle.seek(start)
        self.handle = handle
        self.left = end - start

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        data = self.handle.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        return data


def read_range(piece: Piece, result: ReadResult) -> Iterator[Record]:
    """The records of a range piece, numbered as in the whole file; the caller's ReadResult sees what was read."""
    head = piece.head
    if head is None:
        raise ValueError("read_range reads range pieces; whole inputs go through read_items")
    result.format = head.format
    result.head_hash = head.head_hash
    path = piece.ref.path
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the generator is done
    except OSError as exc:
        raise SourceError(f"cannot open: {exc.strerror}", path=path) from None
    reader = LineReader(_Range(handle, piece.start, piece.end), path)  # type: ignore[arg-type]
    decoder = make_decoder(path, head.detected, head.sample)
    try:
        yield from assemble_lines(reader.batches(), Assembler(decoder.decode, decoder.orphan), result,
                                  piece.first_line - 1)
    finally:
        result.skipped_lines += reader.skipped_lines
        result.problems.extend(reader.problems)
        handle.close()

