"""Fuzz targets: each decoder and stack-trace parser as a function of raw bytes, with seeds from real fixtures.

The hypothesis suites (test_fuzz_*.py) and the atheris harness (run.py) drive the same targets,
so a crash either finds is reproduced by the other. A target raises only for a bug: what a user
can act on is a FaultlensError, which the CLI prints as one line, and is caught here.
"""

from __future__ import annotations

import atexit
import gzip
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import zstandard

from faultlens.errors import FaultlensError
from faultlens.ingest.assembler import Assembler
from faultlens.ingest.decode_logfmt import parse_logfmt
from faultlens.ingest.decode_text import TextDecoder
from faultlens.ingest.extract import Extractor
from faultlens.ingest.reader import ContainerDecoder, JsonLinesDecoder, LogfmtDecoder, ReadResult, read_items
from faultlens.ingest.sniff import sniff, sniff_dialect
from faultlens.ingest.sources import GzipStream, InputRef, LineReader
from faultlens.ingest.text_dialects import DIALECTS
from faultlens.ingest.traces import SpanRecord, extract_event, span_error_event
from faultlens.ingest.traces_input import TraceReadState, read_trace_items, sniff_trace
from faultlens.stacktrace import mark_in_app
from faultlens.stacktrace.dispatch import RUNTIMES, _find
from faultlens.stacktrace.explain import explain_trace
from faultlens.stacktrace.fingerprint_parts import stack_fingerprint_parts
from faultlens.times import minute_of, parse_timestamp

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
EXAMPLE = REPO / "examples" / "checkout-incident"
SEED_LINES = 12
"""Log seeds are cut into pieces of this many lines: small inputs keep each execution fast."""
FALLBACK_TIME = datetime(2026, 11, 28, tzinfo=UTC)
ALL_DIALECTS = (None, *DIALECTS)


@dataclass(frozen=True, slots=True)
class Target:
    """One thing to fuzz: `run` takes any bytes and raises only for a bug; `seeds` are real inputs."""

    name: str
    run: Callable[[bytes], None]
    seeds: Callable[[], list[bytes]]
    help: str


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


# ---------------------------------------------------------------- seeds


def _read_fixture(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True).read()
    return data


def _pieces(data: bytes, lines: int = SEED_LINES, limit: int = 6) -> Iterator[bytes]:
    """The first `limit` pieces of `lines` lines of a log."""
    split = data.split(b"\n")
    for start in range(0, min(len(split), lines * limit), lines):
        yield b"\n".join(split[start:start + lines])


@cache
def log_seeds() -> list[bytes]:
    """Pieces of every log of the bundled example and of the lab incidents: every format the sniffer knows."""
    files = sorted(p for p in EXAMPLE.rglob("*") if p.is_file() and p.suffix != ".md")
    files += sorted((FIXTURES / "lab").glob("*/logs/*"))
    return [piece for path in files for piece in _pieces(_read_fixture(path))]


@cache
def trace_text_seeds() -> list[bytes]:
    """Every real stack trace of the corpus, one runtime per folder."""
    return [path.read_bytes() for path in sorted((FIXTURES / "traces").glob("*/*.txt"))]


@cache
def trace_export_seeds() -> list[bytes]:
    """OTLP/JSON, OTLP protobuf, Zipkin and Jaeger exports written by the real OpenTelemetry SDK and collector."""
    otel = FIXTURES / "traces_otel"
    seeds = [piece for path in sorted(otel.glob("checkout/*.jsonl")) for piece in _pieces(path.read_bytes(), 2, 3)]
    seeds += [path.read_bytes() for path in sorted(otel.glob("checkout/*.binpb"))]
    seeds += [(otel / "zipkin" / "checkout.json").read_bytes(), (otel / "jaeger" / "checkout.json").read_bytes()]
    for path in sorted((FIXTURES / "lab").glob("*/otlp/*"))[:2]:
        seeds += list(_pieces(_read_fixture(path), 1, 2))
    return seeds


@cache
def file_seeds() -> list[bytes]:
    """Whole inputs as they sit on disk: logs, trace exports, and both compressed."""
    plain = log_seeds()[::4] + trace_export_seeds()[::2]
    compressor = zstandard.ZstdCompressor()
    return plain + [gzip.compress(seed) for seed in plain[::3]] + [compressor.compress(seed) for seed in plain[1::3]]


@cache
def timestamp_seeds() -> list[bytes]:
    return [b"2026-11-28 14:05:31,877", b"2026-11-28T14:05:31.877123Z", b"28/Nov/2026:14:05:32 +0000",
            b"Oct 11 22:14:15", b"1764338731877", b"1764338731.877", b"Wed Oct 11 14:32:52.123 2000",
            b"2026/11/28 14:05:32", b"I1128 14:05:31.877123", b"2026-11-28T14:05:31+05:30"]


# ---------------------------------------------------------------- targets


def run_lines(data: bytes) -> None:
    """Split into lines by the reader (a small line limit, so long lines are cut too), then sniff."""
    reader = LineReader(io.BytesIO(data), "f.log", max_line_bytes=256)
    lines = [line for batch in reader.batches() for line in batch.lines]
    expected = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    assert len(lines) == expected, (len(lines), expected)
    sniff(lines)
    sniff_trace(data)


def _assemble(decoder: TextDecoder | JsonLinesDecoder | LogfmtDecoder | ContainerDecoder, lines: list[str]) -> None:
    extract = Extractor("svc", FALLBACK_TIME)
    assembler = Assembler(decoder.decode, decoder.orphan)
    for number, line in enumerate(lines, start=1):
        done = assembler.feed(number, line)
        if done is not None:
            extract(done)
            minute_of(done.ts_text)
    last = assembler.flush()
    if last is not None:
        extract(last)


def run_text(data: bytes) -> None:
    """The text dialect sniffed, and one the first byte picks (so each is fuzzed), assembled and extracted."""
    lines = _text(data).split("\n")
    _assemble(TextDecoder("f.log", sniff_dialect(lines)), lines)
    _assemble(TextDecoder("f.log", ALL_DIALECTS[data[0] % len(ALL_DIALECTS)] if data else None), lines)


def run_structured(data: bytes) -> None:
    """JSON lines, logfmt, and Docker and CRI wrappers around them, assembled and extracted."""
    lines = _text(data).split("\n")
    _assemble(JsonLinesDecoder("f.jsonl"), lines)
    _assemble(LogfmtDecoder("f.log"), lines)
    _assemble(ContainerDecoder("f.log", "cri" if data[:1].isdigit() else "docker", lines[:50]), lines)
    for line in lines:
        parse_logfmt(line)


def run_trace_export(data: bytes) -> None:
    """An OTLP (JSON or protobuf), Zipkin or Jaeger export, its spans turned into error events."""
    extract = Extractor("svc", FALLBACK_TIME)
    for fmt in ("otlp-json", "otlp-proto"):
        problems: list[FaultlensError] = []
        try:
            for item in read_trace_items(io.BytesIO(data), "t.json", fmt, TraceReadState(), problems):  # type: ignore[arg-type]
                if isinstance(item, SpanRecord):
                    span_error_event(item)
                else:
                    extract_event(extract, item)
        except FaultlensError:
            pass


def _runtime_target(index: int) -> Callable[[bytes], None]:
    runtime = RUNTIMES[index]

    def run(data: bytes) -> None:
        lines = _text(data).split("\n")
        for trace in runtime.find(lines):
            assert 0 <= trace.start_line < trace.end_line <= len(lines), (trace.start_line, trace.end_line)
            explain_trace(trace, ("app", "com.acme"))
            stack_fingerprint_parts(trace.exceptions)

    run.__doc__ = f"The {runtime.language} parser, its traces explained and fingerprinted."
    return run


def run_stacktrace(data: bytes) -> None:
    """Every runtime's parser and the dispatcher that settles overlaps, with no exception swallowed."""
    text = _text(data)
    for trace in _find(text, list(RUNTIMES)):
        mark_in_app(trace.exceptions, trace.language, ("app",))
        stack_fingerprint_parts(trace.exceptions)


def run_decoders(data: bytes) -> None:
    """Every ingest decoder on the same bytes: one execution runs each of them once, for the million-run job."""
    run_lines(data)
    run_text(data)
    run_structured(data)
    run_trace_export(data)


def run_file(data: bytes) -> None:
    """Any bytes as a file on disk, read end to end: compression, sniffing, every decoder."""
    fd, path = tempfile.mkstemp(prefix="fuzz-", dir=_scratch())
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        extract = Extractor("svc", FALLBACK_TIME)
        try:
            for item in read_items(InputRef(path), ReadResult()):
                if isinstance(item, SpanRecord):
                    span_error_event(item)
                else:
                    extract_event(extract, item)
        except FaultlensError:
            pass
    finally:
        os.unlink(path)


def run_gzip(data: bytes) -> None:
    """Damaged gzip streams: whatever inflates is handed over, then EOFError or zlib.error, nothing else."""
    stream = GzipStream(io.BytesIO(data))  # type: ignore[arg-type]
    try:
        while stream.read(4096):
            pass
    except EOFError:
        pass
    except Exception as exc:
        if type(exc).__name__ != "error":  # zlib.error
            raise


def run_timestamp(data: bytes) -> None:
    """Timestamp parsing of any text returns a time or None."""
    text = _text(data)
    parse_timestamp(text)
    minute_of(text)


@cache
def _scratch() -> str:
    """A folder for run_file's inputs, in memory when /dev/shm exists; removed at exit."""
    shm = "/dev/shm"
    folder = tempfile.mkdtemp(prefix="faultlens-fuzz-", dir=shm if os.path.isdir(shm) else None)
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _gzip_seeds() -> list[bytes]:
    return [gzip.compress(seed) for seed in log_seeds()[::6]]


TARGETS: dict[str, Target] = {
    target.name: target
    for target in (
        Target("lines", run_lines, log_seeds, "the line reader and format sniffing"),
        Target("text", run_text, log_seeds, "every text dialect decoder, the assembler and extraction"),
        Target("structured", run_structured, log_seeds, "JSON lines, logfmt, Docker and CRI decoders"),
        Target("trace-export", run_trace_export, trace_export_seeds, "OTLP JSON/protobuf, Zipkin and Jaeger"),
        Target("decoders", run_decoders, lambda: log_seeds() + trace_export_seeds(),
               "lines, text, structured and trace-export at once"),
        Target("file", run_file, file_seeds, "a whole input read end to end (compression included)"),
        Target("gzip", run_gzip, _gzip_seeds, "incremental gzip reading of damaged streams"),
        Target("timestamp", run_timestamp, timestamp_seeds, "timestamp parsing"),
        Target("stacktrace", run_stacktrace, trace_text_seeds, "all runtime parsers and the dispatcher"),
        *(Target(f"stacktrace-{runtime.language}", _runtime_target(index), trace_text_seeds,
                 f"the {runtime.language} trace parser")
          for index, runtime in enumerate(RUNTIMES)),
    )
}
"""Every fuzz target by name, as `python tests/fuzz/run.py --target NAME` takes it."""

