"""Sources: turn what the user names (files, directories, globs, `-`) into streams of text lines.

Everything is streamed in fixed-size chunks, so a file of any size, or a single line of a
gigabyte, is read in bounded memory. Compression is recognised by its magic bytes, not the
file name, so a rotated `app.log.1` that happens to be gzip is still read.
"""

from __future__ import annotations

import glob
import io
import os
import stat
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from faultlens.errors import SourceError

CHUNK_BYTES = 1 << 20
MAX_LINE_BYTES = 1 << 20
"""Lines longer than this are skipped (and reported): no log line worth reading is a megabyte."""

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
SKIPPED_DIRS = frozenset({".git", ".faultlens", "__pycache__", "node_modules", ".venv"})


@dataclass(slots=True, frozen=True)
class InputRef:
    """One input to read: a path on disk, or standard input when `path` is "-"."""

    path: str

    @property
    def is_stdin(self) -> bool:
        return self.path == "-"

    @property
    def size(self) -> int | None:
        if self.is_stdin:
            return None
        try:
            return os.path.getsize(self.path)
        except OSError:
            return None


def expand_inputs(specs: list[str]) -> Iterator[InputRef | SourceError]:
    """Yield each file the specs name, in a stable order; a spec naming nothing yields an error."""
    for spec in specs:
        if spec == "-":
            yield InputRef("-")
            continue
        path = Path(spec)
        if path.is_dir():
            yield from _walk_directory(path)
        elif path.exists() or path.is_symlink():
            yield InputRef(str(path))
        elif glob.has_magic(spec):
            matches = sorted(glob.glob(spec, recursive=True))
            if not matches:
                yield SourceError("the pattern matches no file; check the quoting and the path", path=spec)
            for match in matches:
                yield from expand_inputs([match])
        else:
            yield SourceError("no such file or directory", path=spec)


def _walk_directory(root: Path) -> Iterator[InputRef]:
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        try:
            info = os.stat(dirpath)
        except OSError:
            continue
        key = (info.st_dev, info.st_ino)
        if key in seen:  # a symlink loop: every directory is read once
            dirnames[:] = []
            continue
        seen.add(key)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith(".md"):
                continue
            yield InputRef(os.path.join(dirpath, name))


def open_input(ref: InputRef) -> BinaryIO:
    """Open an input for reading, decompressing gzip and zstd transparently."""
    if ref.is_stdin:
        raw: BinaryIO = sys.stdin.buffer
    else:
        try:
            mode = os.stat(ref.path).st_mode
        except OSError as exc:
            raise SourceError(f"cannot read: {_os_reason(exc)}", path=ref.path) from None
        if stat.S_ISDIR(mode):
            raise SourceError("is a directory", path=ref.path)
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
            raise SourceError("not a regular file; give a log file, a directory or '-'", path=ref.path)
        try:
            raw = open(ref.path, "rb")  # noqa: SIM115 - the caller closes it
        except OSError as exc:
            raise SourceError(f"cannot open: {_os_reason(exc)}", path=ref.path) from None
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
    head = buffered.peek(4)[:4]
    if head.startswith(GZIP_MAGIC):
        return GzipStream(buffered)  # type: ignore[return-value]
    if head.startswith(ZSTD_MAGIC):
        return zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
    return buffered


class GzipStream(io.RawIOBase):
    """Incremental gzip reading that keeps every byte decoded before a truncation or corruption.

    `gzip.GzipFile` loses the data of the read call that hits a truncated stream; decoding
    chunk by chunk with zlib hands over all that was recoverable, then raises EOFError.
    Concatenated members (as `cat a.gz b.gz` makes) are read one after another.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._inflater = zlib.decompressobj(wbits=31)
        self._pending = b""
        self._done = False
        self._truncated = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = CHUNK_BYTES if size is None or size < 0 else size
        while len(self._pending) < want and not self._done:
            compressed = self._raw.read(CHUNK_BYTES)
            if not compressed:
                self._done = True
                self._truncated = not self._inflater.eof
                break
            self._pending += self._inflater.decompress(compressed)
            while self._inflater.eof and self._inflater.unused_data:
                rest = self._inflater.unused_data
                self._inflater = zlib.decompressobj(wbits=31)
                self._pending += self._inflater.decompress(rest)
        if not self._pending and self._truncated:
            self._truncated = False
            raise EOFError("compressed stream is truncated")
        out, self._pending = self._pending[:want], self._pending[want:]
        return out

    def close(self) -> None:
        self._raw.close()
        super().close()


@dataclass(slots=True)
class LineBatch:
    """Consecutive lines of one input; `first_line` is the 1-based number of `lines[0]`."""

    first_line: int
    lines: list[str]
    bytes_read: int


class LineReader:
    """Split a byte stream into text lines in batches, in bounded memory.

    Problems that lose part of the input (an over-long line, invalid UTF-8, a truncated
    compressed stream) are collected in `problems` with their line numbers, and reading goes
    on with what is left.
    """

    def __init__(self, stream: BinaryIO, path: str, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.stream = stream
        self.path = path
        self.max_line_bytes = max_line_bytes
        self.problems: list[SourceError] = []
        self.skipped_lines = 0
        self.invalid_utf8_lines = 0
        self._first_invalid_line: int | None = None

    def batches(self) -> Iterator[LineBatch]:
        line_no = 1
        partial = b""
        skipping = False  # inside an over-long line whose start was already dropped
        read = getattr(self.stream, "read1", self.stream.read)  # read1: a pipe hands over what it has now
        while True:
            try:
                chunk = read(CHUNK_BYTES)
            except (EOFError, OSError, zlib.error, zstandard.ZstdError) as exc:
                self.problems.append(
                    SourceError(f"input ends early ({_describe(exc)}); kept what was read before it",
                                path=self.path, line=line_no)
                )
                chunk = b""
            if not chunk:
                break
            pieces: list[bytes | None] = list(chunk.split(b"\n"))
            tail = pieces.pop()
            if pieces:
                pieces[0] = None if skipping else partial + pieces[0]  # type: ignore[operator]
                partial, skipping = b"", False
                yield self._decode(line_no, pieces, len(chunk))
                line_no += len(pieces)
            if not skipping:
                partial += tail  # type: ignore[operator]
                if len(partial) > self.max_line_bytes:
                    partial, skipping = b"", True
        if skipping:
            yield self._decode(line_no, [None], 0)
        elif partial:
            yield self._decode(line_no, [partial], 0)
        if self.invalid_utf8_lines:
            self.problems.append(
                SourceError(
                    f"{self.invalid_utf8_lines} line(s) are not valid UTF-8; read them with replacement characters",
                    path=self.path,
                    line=self._first_invalid_line,
                )
            )

    def _too_long(self, line_no: int) -> None:
        self.skipped_lines += 1
        self.problems.append(
            SourceError(f"line longer than {self.max_line_bytes} bytes skipped", path=self.path, line=line_no)
        )

    def _decode(self, first_line: int, raw_lines: list[bytes | None], nbytes: int) -> LineBatch:
        """Decode complete lines; `None` stands for a line dropped for its length."""
        clean: list[bytes] = []
        for i, raw in enumerate(raw_lines):
            if raw is None or len(raw) > self.max_line_bytes:
                self._too_long(first_line + i)
                raw = b""
            clean.append(raw)
        try:
            lines = b"\n".join(clean).decode("utf-8").split("\n")
        except UnicodeDecodeError:
            lines = [self._decode_lossy(first_line + i, raw) for i, raw in enumerate(clean)]
        return LineBatch(first_line, lines, nbytes)

    def _decode_lossy(self, line_no: int, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.invalid_utf8_lines += 1
            if self._first_invalid_line is None:
                self._first_invalid_line = line_no
            return raw.decode("utf-8", errors="replace")


def looks_binary(sample: bytes) -> bool:
    """A NUL byte in the first block means a binary file, not a log."""
    return b"\x00" in sample


def _describe(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "compressed stream is truncated"
    return str(exc) or type(exc).__name__


def _os_reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else str(exc)
