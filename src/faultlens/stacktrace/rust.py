"""Rust panics: `thread '...' panicked at`, old and new formats, with RUST_BACKTRACE frames.

Rust 1.73 moved the message to the line after the location; older versions quote it before the
location. Backtrace frames come innermost first and are reversed here. Without a backtrace the
panic location is the only frame.
"""

from __future__ import annotations

import re

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.logline import dedent, indent_of
from faultlens.stacktrace.trace import MAX_LINE, ParsedTrace

LANGUAGE = "rust"
MARKERS: tuple[str, ...] = ("panicked at",)

_PANIC = re.compile(r"thread '(?P<thread>[^']{0,256})'(?: \(\d{1,12}\))? panicked at (?P<rest>.*)$")
_OLD_FORMAT = re.compile(r"'(?P<value>.*)', (?P<path>[^\s:',][^:',]{0,1024}+):(?P<line>\d{1,9})(?::(?P<col>\d{1,9}))?$")
_NEW_FORMAT = re.compile(r"(?P<path>[^\s:][^:]{0,1024}):(?P<line>\d{1,9})(?::(?P<col>\d{1,9}))?:?$")
_FRAME = re.compile(r"\s*+(?P<index>\d{1,6}):\s++(?:0x[0-9a-fA-F]++ - )?(?P<symbol>\S.{0,2048})$")
_AT = re.compile(r"\s*+at (?P<path>\S.{0,1024}?):(?P<line>\d{1,9})(?::(?P<col>\d{1,9}))?\s*$")
_HASH = re.compile(r"::h[0-9a-f]{16}$")
_CRATE_DISAMBIGUATOR = re.compile(r"\[[0-9a-f]{16}\]")
_NOTES = ("note: ", "stack backtrace:")


def find(lines: list[str]) -> list[ParsedTrace]:
    """Every Rust panic in the lines."""
    found: list[ParsedTrace] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        match = _PANIC.search(line) if "panicked at" in line and len(line) <= MAX_LINE else None
        if match is not None:
            trace = _parse(lines, i, match)
            found.append(trace)
            i = trace.end_line
            continue
        i += 1
    return found


def _parse(lines: list[str], i: int, match: re.Match[str]) -> ParsedTrace:
    rest = match.group("rest").strip()
    old = _OLD_FORMAT.match(rest)
    location = old or _NEW_FORMAT.match(rest)
    exception = ExceptionInfo(type="panic")
    site = None
    if location is not None:
        column = location.group("col")
        site = Frame(
            filename=location.group("path"),
            abs_path=location.group("path"),
            lineno=int(location.group("line")),
            colno=int(column) if column else None,
        )
    n = len(lines)
    j = i + 1
    if old is not None:
        exception.value = old.group("value")
    else:
        message: list[str] = []
        while j < n and len(message) < 50:
            stripped = lines[j].strip()
            if not stripped or stripped.startswith(_NOTES) or _PANIC.search(lines[j]):
                break
            message.append(lines[j].rstrip())
            j += 1
        exception.value = "\n".join(dedent(message, indent_of(lines[i])))
    end = j
    frames: list[Frame] = []
    while j < n:
        stripped = lines[j].strip()
        if stripped.startswith(_NOTES):
            j = end = j + 1
            continue
        frame = _frame(lines, j)
        if frame is None:
            break
        frames.append(frame)
        j = end = j + (2 if frame.lineno is not None or frame.filename is not None else 1)
    if frames:
        frames.reverse()
        exception.frames = frames
    elif site is not None:
        exception.frames = [site]
    return ParsedTrace(LANGUAGE, [exception], i, end)


def _frame(lines: list[str], j: int) -> Frame | None:
    line = lines[j]
    if len(line) > MAX_LINE:
        return None
    match = _FRAME.match(line)
    if match is None:
        return None
    symbol = _CRATE_DISAMBIGUATOR.sub("", _HASH.sub("", match.group("symbol").strip()))
    frame = Frame(function=symbol)
    if j + 1 < len(lines) and len(lines[j + 1]) <= MAX_LINE:
        at = _AT.match(lines[j + 1])
        if at is not None:
            column = at.group("col")
            frame.filename = frame.abs_path = at.group("path")
            frame.lineno = int(at.group("line"))
            frame.colno = int(column) if column else None
    return frame
