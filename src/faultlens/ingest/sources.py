"""Sources: turn what the user names (files, directories, globs, `-`) into streams of text lines.

Everything is streamed in fixed-size chunks, so a file of any size, or a single line of a
gigabyte, is read in bounded memory. Compression is recognised by its magic bytes, not the
file name, so a rotated `app.log.1` that happens to be gzip is still read; what it inflates to
is counted against a limit, so a compression bomb stops early. UTF-16 with a byte-order mark is
read as text, a line that is not UTF-8 as Latin-1, and the zero-filled holes a copytruncate
rotation leaves are dropped. RELIABILITY.md lists these promises and the tests behind them.
"""

from __future__ import annotations

import codecs
import glob
import io
import os
import re
import select
import stat
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import zstandard

from faultlens.errors import SourceError

CHUNK_BYTES = 1 << 20
MAX_LINE_BYTES = 1 << 20
"""Lines longer than this are skipped (and reported): no log line worth reading is a megabyte."""
MAX_DECOMPRESSED_BYTES = 1 << 35
"""What one compressed input may inflate to (32 GiB) before reading stops: `[ingest] max_decompressed_bytes`."""
FIFO_WAIT_SECONDS = 10.0
"""How long a named pipe given by name may stay silent before it is skipped rather than waited on."""

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF8_BOM = b"\xef\xbb\xbf"
NUL_RUN = re.compile(rb"\x00{8,}")
"""Zero-filled holes (a copytruncate rotation, a crash before the page cache was written) hold no text."""
SKIPPED_DIRS = frozenset({".git", ".faultlens", "__pycache__", "node_modules", ".venv"})


class Decompressor(Protocol):
    """What Inflated reads from: GzipStream, or zstandard's stream reader."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class StreamEnded(EOFError):
    """A stream that cannot be read further: cut short, damaged, or past the decompressed-size limit.

    Raised again by every later read, so whoever reads next learns of it too.
    """


@dataclass(slots=True, frozen=True)
class InputRef:
    """One input to read: a path on disk, or standard input when `path` is "-"."""

    path: str
    max_decompressed_bytes: int = MAX_DECOMPRESSED_BYTES

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


def expand_inputs(specs: list[str], max_decompressed_bytes: int = MAX_DECOMPRESSED_BYTES
                  ) -> Iterator[InputRef | SourceError]:
    """Yield each file the specs name, in a stable order; a spec naming nothing yields an error.

    A named pipe named outright is read as a stream; one found inside a directory is skipped,
    as nothing says a writer will ever come.
    """
    for spec in specs:
        if spec == "-":
            yield InputRef("-", max_decompressed_bytes)
            continue
        path = Path(spec)
        if path.is_dir():
            yield from _walk_directory(path, max_decompressed_bytes)
        elif path.exists() or path.is_symlink():
            yield InputRef(str(path), max_decompressed_bytes)
        elif glob.has_magic(spec):
            matches = sorted(glob.glob(spec, recursive=True))
            if not matches:
                yield SourceError("the pattern matches no file; check the quoting and the path", path=spec)
            for match in matches:
                yield from expand_inputs([match], max_decompressed_bytes)
        else:
            yield SourceError("no such file or directory", path=spec)


def _walk_directory(root: Path, max_decompressed_bytes: int) -> Iterator[InputRef | SourceError]:
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
            path = os.path.join(dirpath, name)
            try:
                mode = os.stat(path).st_mode
            except OSError:
                mode = stat.S_IFREG  # a broken link or a loop: opening it names the reason
            if stat.S_ISREG(mode):
                yield InputRef(path, max_decompressed_bytes)
            else:
                yield SourceError("not a regular file (a named pipe, socket or device) inside a directory; skipped; "
                                  "name it on its own to read a pipe", path=path)


def open_input(ref: InputRef) -> BinaryIO:
    """Open an input for reading: gzip and zstd inflated (up to the input's limit), UTF-16 turned into UTF-8."""
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
            raw = _open_fifo(ref.path) if stat.S_ISFIFO(mode) else open(ref.path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise SourceError(f"cannot open: {_os_reason(exc)}", path=ref.path) from None
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
    try:
        head = buffered.peek(4)[:4]
        stream = buffered
        if head.startswith(GZIP_MAGIC):
            stream = io.BufferedReader(Inflated(GzipStream(buffered), ref.max_decompressed_bytes), CHUNK_BYTES)
        elif head.startswith(ZSTD_MAGIC):
            zstd = zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
            stream = io.BufferedReader(Inflated(zstd, ref.max_decompressed_bytes), CHUNK_BYTES)
        if stream.peek(2)[:2] in UTF16_BOMS:
            stream = io.BufferedReader(Utf16Stream(stream), CHUNK_BYTES)
    except (EOFError, OSError) as exc:
        buffered.close()
        raise SourceError(f"cannot be read: {_describe(exc)}", path=ref.path) from None
    return stream


def _open_fifo(path: str) -> BinaryIO:
    """A named pipe, once something is written to it: opening one with no writer would wait forever."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    if not poller.poll(FIFO_WAIT_SECONDS * 1000):
        os.close(fd)
        raise OSError(0, f"a named pipe nothing was written to in {FIFO_WAIT_SECONDS:.0f} s; skipped (start its "
                         "writer first, or pipe into `-`)")
    os.set_blocking(fd, True)
    return open(fd, "rb")


class Inflated(io.RawIOBase):
    """A decompressing stream whose output is counted against a limit: a compression bomb stops early.

    Everything up to the limit is handed over (the lines before it are kept), then StreamEnded.
    A zstd error becomes StreamEnded too, so readers need to know of one exception only.
    """

    def __init__(self, inflating: Decompressor, limit: int) -> None:
        self._inflating = inflating
        self._left = limit
        self._limit = limit
        self._error: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._error is None:
            try:
                data = self._inflating.read(min(len(buffer), self._left + 1))  # a byte past the limit tells it
            except zstandard.ZstdError as exc:
                self._error = f"damaged zstd data ({exc})"
            else:
                if len(data) > self._left:
                    data = data[: self._left]
                    self._error = (f"inflates to more than {self._limit:,} bytes (a compression bomb?); kept the "
                                   "lines before; raise [ingest] max_decompressed_bytes in faultlens.toml to read on")
                self._left -= len(data)
                if data or self._error is None:
                    buffer[: len(data)] = data
                    return len(data)
        raise StreamEnded(self._error)

    def close(self) -> None:
        self._inflating.close()
        super().close()


class GzipStream(io.RawIOBase):
    """Incremental gzip reading that keeps every byte decoded before a truncation or corruption.

    `gzip.GzipFile` loses the data of the read call that hits a truncated stream; decoding
    chunk by chunk with zlib hands over all that was recoverable, then raises StreamEnded.
    Each call inflates at most CHUNK_BYTES, so a megabyte of zeros that inflates to a gigabyte
    never sits in memory at once. Concatenated members (as `cat a.gz b.gz` makes) are read one
    after another; zero padding after the last (as some writers leave) is ignored.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._inflater = zlib.decompressobj(wbits=31)
        self._input = b""
        self._pending = b""
        self._done = False
        self._error: str | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = CHUNK_BYTES if size is None or size < 0 else size
        while len(self._pending) < want and not self._done:
            if not self._input:
                self._input = self._raw.read(CHUNK_BYTES)
                if not self._input:
                    self._done = True
                    if not self._inflater.eof:
                        self._error = "compressed stream is truncated"
                    break
            if self._inflater.eof:  # the next member
                if not self._input.strip(b"\x00"):
                    self._input = b""
                    continue
                self._inflater = zlib.decompressobj(wbits=31)
            try:
                self._pending += self._inflater.decompress(self._input, CHUNK_BYTES)
            except zlib.error as exc:
                self._done, self._error = True, f"damaged gzip data ({exc})"
                break
            self._input = self._inflater.unused_data if self._inflater.eof else self._inflater.unconsumed_tail
        if not self._pending and self._error:
            raise StreamEnded(self._error)
        out, self._pending = self._pending[:want], self._pending[want:]
        return out

    def close(self) -> None:
        self._raw.close()
        super().close()


class Utf16Stream(io.RawIOBase):
    """UTF-16 text (Windows tools write it, with a byte-order mark) handed over as UTF-8."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        read1 = getattr(self._raw, "read1", self._raw.read)
        while not self._pending:
            data = read1(CHUNK_BYTES)
            self._pending = self._decoder.decode(data, final=not data).encode("utf-8")
            if not data:
                break
        out, self._pending = self._pending[: len(buffer)], self._pending[len(buffer):]
        buffer[: len(out)] = out
        return len(out)

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

    Problems that lose part of the input (an over-long line, a truncated compressed stream, a
    file cut shorter while it was read) or change it (lines that are not UTF-8, NUL bytes) are
    collected in `problems` with their line numbers, and reading goes on with what is left.
    """

    def __init__(self, stream: BinaryIO, path: str, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.stream = stream
        self.path = path
        self.max_line_bytes = max_line_bytes
        self.problems: list[SourceError] = []
        self.skipped_lines = 0
        self.invalid_utf8_lines = 0
        self._first_invalid_line: int | None = None
        self._nul_bytes = 0
        self._first_nul_line: int | None = None

    def batches(self) -> Iterator[LineBatch]:
        line_no = 1
        partial = b""
        skipping = False  # inside an over-long line whose start was already dropped
        read = getattr(self.stream, "read1", self.stream.read)  # read1: a pipe hands over what it has now
        consumed = 0
        open_line = False
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
            if consumed == 0 and chunk.startswith(UTF8_BOM):
                chunk = chunk[len(UTF8_BOM):]
            consumed += len(chunk)
            size = len(chunk)
            open_line = not chunk.endswith(b"\n")  # bytes after the last newline, even if all dropped below
            if b"\x00" * 8 in chunk:
                chunk = self._drop_nul_runs(chunk, line_no)
            pieces: list[bytes | None] = list(chunk.split(b"\n"))
            tail = pieces.pop()
            if pieces:
                pieces[0] = None if skipping else partial + pieces[0]  # type: ignore[operator]
                partial, skipping = b"", False
                yield self._decode(line_no, pieces, size)
                line_no += len(pieces)
            if not skipping:
                partial += tail  # type: ignore[operator]
                if len(partial) > self.max_line_bytes:
                    partial, skipping = b"", True
        if skipping:
            yield self._decode(line_no, [None], 0)
        elif partial or open_line:
            yield self._decode(line_no, [partial], 0)
        if self.invalid_utf8_lines:
            self.problems.append(
                SourceError(f"{self.invalid_utf8_lines} line(s) are not valid UTF-8; read them as Latin-1",
                            path=self.path, line=self._first_invalid_line)
            )
        if self._nul_bytes:
            self.problems.append(
                SourceError(f"{self._nul_bytes:,} NUL bytes in runs dropped (a zero-filled hole, as a copytruncate "
                            "rotation or a crash leaves)", path=self.path, line=self._first_nul_line)
            )
        self._check_shrunk(consumed, line_no)

    def _drop_nul_runs(self, chunk: bytes, line_no: int) -> bytes:
        kept = NUL_RUN.sub(b"", chunk)
        if self._first_nul_line is None:
            self._first_nul_line = line_no + chunk.count(b"\n", 0, chunk.index(b"\x00" * 8))
        self._nul_bytes += len(chunk) - len(kept)
        return kept

    def _check_shrunk(self, consumed: int, line_no: int) -> None:
        """A plain file now shorter than what was read from it was truncated under us (copytruncate)."""
        try:
            info = os.fstat(self.stream.fileno())
        except (AttributeError, OSError, ValueError):
            return  # a pipe or a decompressing stream: nothing to compare with
        if stat.S_ISREG(info.st_mode) and info.st_size < consumed:
            self.problems.append(
                SourceError(f"the file shrank to {info.st_size:,} bytes while it was read (truncated or rotated by "
                            "copytruncate?); kept the lines read before", path=self.path, line=line_no)
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
        """A line that is not UTF-8 is most likely Latin-1 (or cp1252): read so, no byte is lost."""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.invalid_utf8_lines += 1
            if self._first_invalid_line is None:
                self._first_invalid_line = line_no
            return raw.decode("latin-1")


def looks_binary(sample: bytes) -> bool:
    """A NUL byte in the first block means a binary file, not a log; runs of them are holes in a log."""
    return b"\x00" in NUL_RUN.sub(b"", sample)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return str(exc) or "compressed stream is truncated"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _os_reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else str(exc)
