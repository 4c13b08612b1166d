"""Swift runtime traps: `Fatal error:` messages with the runtime's or the backtracer's frames.

Swift prints the trap site in the message (`file, line` or `File.swift:12:`) and frames
innermost first; frames are reversed here, and the trap site stands in when none are printed.
"""

from __future__ import annotations

import re

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.trace import MAX_LINE, ParsedTrace

LANGUAGE = "swift"
MARKERS: tuple[str, ...] = ("Fatal error:", "Program crashed:", "Precondition failed", "Assertion failed")

_HEADER = re.compile(
    r"(?:(?P<prefix_path>[^\s:]{1,1024}):(?P<prefix_line>\d{1,9}): )?"
    r"(?P<type>Fatal error|Precondition failed|Assertion failed)(?:: (?P<value>.*?))?"
    r"(?:: file (?P<path>[^,:]{1,1024}+), line (?P<line>\d{1,9}))?\s*$"
)
_CRASHED = re.compile(r"(?:💣 )?Program crashed: (?P<value>.*)$")
_RUNTIME_FRAME = re.compile(
    r"\s*+(?P<index>\d{1,6})\s++(?P<binary>\S{1,512})\s++0x[0-9a-fA-F]++ (?P<func>.{1,2048}?)(?: \+ \d{1,9})?"
    r"(?: (?:at|in) (?P<path>[^\s:]{1,1024}):(?P<line>\d{1,9})(?::(?P<col>\d{1,9}))?)?\s*$"
)
_BACKTRACER_FRAME = re.compile(
    r"\s*+(?P<index>\d{1,6})(?: \[[a-z]{1,16}\])*+ 0x[0-9a-fA-F]++ (?P<func>.{1,2048}?)(?: \+ \d{1,9})?"
    r" in (?P<binary>\S{1,512})"
    r"(?: at (?P<path>[^\s:]{1,1024}):(?P<line>\d{1,9})(?::(?P<col>\d{1,9}))?)?\s*$"
)
_SKIPPABLE = ("Current stack trace:", "Stack dump:", "Thread ", "Backtrace took", "")


def find(lines: list[str]) -> list[ParsedTrace]:
    """Every Swift fatal error or crash report in the lines.

    A bare "Fatal error: ..." is common prose in logs; it counts only with a Swift location or frames.
    """
    found: list[ParsedTrace] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        trace = None
        if len(line) <= MAX_LINE and ("error" in line or "failed" in line or "crashed" in line):
            trace = _parse(lines, i)
        if trace is not None:
            found.append(trace)
            i = trace.end_line
            continue
        i += 1
    return found


def _parse(lines: list[str], i: int) -> ParsedTrace | None:
    line = lines[i].strip()
    header = _HEADER.search(line) if "Fatal error" in line or "failed" in line else None
    crashed = None if header is not None else _CRASHED.search(line)
    if header is None and crashed is None:
        return None
    site = None
    if header is not None:
        exception = ExceptionInfo(type=header.group("type"), value=(header.group("value") or "").strip())
        path = header.group("path") or header.group("prefix_path")
        line_text = header.group("line") or header.group("prefix_line")
        if path and line_text:
            site = Frame(filename=path, abs_path=path, lineno=int(line_text))
    else:
        assert crashed is not None
        exception = ExceptionInfo(type="crash", value=crashed.group("value").strip())
    frames: list[Frame] = []
    j, end, n = i + 1, i + 1, len(lines)
    while j < n and j - end < 4 and len(lines[j]) <= MAX_LINE:
        frame = _frame(lines[j])
        if frame is not None:
            frames.append(frame)
            j = end = j + 1
            continue
        if header is not None and _CRASHED.search(lines[j]):
            j = end = j + 1
            continue
        if not lines[j].strip().startswith(_SKIPPABLE) and lines[j].strip():
            break
        j += 1
    if not frames and site is None and crashed is None:
        return None
    frames.reverse()
    exception.frames = frames or ([site] if site else [])
    return ParsedTrace(LANGUAGE, [exception], i, end)


def _frame(line: str) -> Frame | None:
    match = _BACKTRACER_FRAME.match(line) or _RUNTIME_FRAME.match(line)
    if match is None:
        return None
    frame = Frame(function=match.group("func").strip(), module=match.group("binary"))
    if match.group("path"):
        column = match.group("col")
        frame.filename = frame.abs_path = match.group("path")
        frame.lineno = int(match.group("line"))
        frame.colno = int(column) if column else None
    return frame
