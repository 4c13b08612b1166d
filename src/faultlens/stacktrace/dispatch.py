"""Find stack traces of any runtime in a text: a cheap marker check, then each runtime's parser.

`parse_trace` runs on every error record during ingestion, so text without a runtime's
markers never reaches that runtime's parser, and text without any marker is rejected after a
handful of substring checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from faultlens.stacktrace import dotnet, elixir, go, javascript, jvm, native, php, python, ruby, rust, swift
from faultlens.stacktrace.normalize import split_lines
from faultlens.stacktrace.trace import UNKNOWN_TYPE, ParsedTrace


@dataclass(frozen=True, slots=True)
class Runtime:
    """A runtime's parser and the substrings without which it cannot match."""

    language: str
    markers: tuple[str, ...]
    find: Callable[[list[str]], list[ParsedTrace]]

    @classmethod
    def from_module(cls, module: ModuleType) -> Runtime:
        return cls(module.LANGUAGE, module.MARKERS, module.find)


RUNTIMES: tuple[Runtime, ...] = tuple(
    Runtime.from_module(module)
    for module in (python, jvm, dotnet, javascript, go, ruby, php, rust, native, elixir, swift)
)
"""Every runtime parser, in the order ties between overlapping traces are settled."""


SINGLE_LINE_MARKERS: tuple[str, ...] = (
    "Fatal error", "Parse error", "runtime error:", "panicked at", "do_boot", "terminate called", "Sanitizer",
    "[0x",
)
"""What a trace that fits on one line must contain; most log records have no newline at all."""


def parse_trace(text: str) -> ParsedTrace | None:
    """The most complete stack trace in text (the first of equals), or None; never raises."""
    traces = find_traces(text)
    if not traces:
        return None
    return max(traces, key=lambda trace: (_score(trace), -trace.start_line))


def find_traces(text: str) -> list[ParsedTrace]:
    """Every stack trace in text, in order; overlapping candidates resolve to the richest."""
    try:
        if "\n" not in text and "\\n" not in text and not _has_marker(text, SINGLE_LINE_MARKERS):
            return []
        runtimes = [runtime for runtime in RUNTIMES if _has_marker(text, runtime.markers)]
        if not runtimes:
            return []
        return _find(text, runtimes)
    except Exception:  # a parser bug must not stop ingestion; tests hold parsers to never raise
        return []


def _has_marker(text: str, markers: tuple[str, ...]) -> bool:
    return any(marker in text for marker in markers)


def _find(text: str, runtimes: list[Runtime]) -> list[ParsedTrace]:
    split = split_lines(text)
    candidates: list[ParsedTrace] = []
    for runtime in runtimes:
        candidates.extend(runtime.find(split.lines))
    kept: list[ParsedTrace] = []
    for trace in sorted(candidates, key=lambda t: (-_score(t), t.start_line)):
        if all(trace.end_line <= other.start_line or trace.start_line >= other.end_line for other in kept):
            kept.append(trace)
    kept.sort(key=lambda t: t.start_line)
    origin = split.origin
    for trace in kept:
        last = max(trace.start_line, trace.end_line - 1)
        trace.start_line, trace.end_line = origin[trace.start_line], origin[last] + 1
    return kept


def _score(trace: ParsedTrace) -> int:
    """Frames are the evidence; a known exception type counts as much as two of them."""
    known = sum(1 for exception in trace.exceptions if exception.type != UNKNOWN_TYPE)
    return trace.frame_count + 2 * known
