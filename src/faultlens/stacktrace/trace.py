"""The shape every runtime parser returns, shared so the dispatcher can merge them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from faultlens.model import ExceptionInfo

UNKNOWN_TYPE = "<unknown>"
"""Type of an exception whose header line was cut off: the frames are still evidence."""

MAX_LINE = 4096
"""Longer lines are never frames or headers; skipping them bounds the regex work per line."""


@dataclass(slots=True)
class ParsedTrace:
    """One stack trace found in a text.

    `exceptions` run oldest first: the root cause first, the exception finally raised last.
    `relation` links an exception to the next one of its own level; "suppressed" and "group"
    members (with their own causes before them) sit just before the exception holding them.
    `start_line` and `end_line` index the lines of the original text, end exclusive.
    """

    language: str
    exceptions: list[ExceptionInfo]
    start_line: int
    end_line: int

    @property
    def frame_count(self) -> int:
        """Frames over the whole chain: how much evidence this trace carries."""
        return sum(len(exc.frames) for exc in self.exceptions)


TryAt = Callable[[list[str], int, int], "ParsedTrace | None"]
"""A parser's attempt at a trace starting at line `i`, not reaching above `floor`."""


def scan_traces(lines: list[str], try_at: TryAt) -> list[ParsedTrace]:
    """Every trace `try_at` finds, scanning down; each one found resumes the scan after its end."""
    found: list[ParsedTrace] = []
    floor = 0
    i, n = 0, len(lines)
    while i < n:
        trace = try_at(lines, i, floor)
        if trace is not None:
            found.append(trace)
            floor = i = max(trace.end_line, i + 1)
            continue
        i += 1
    return found
