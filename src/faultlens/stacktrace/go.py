"""Go panics and fatal errors with their goroutine dumps.

The first goroutine of a dump is the one that panicked; the others are context and only widen
the trace's line range. Go prints the raising frame first: frames are reversed here.
"""

from __future__ import annotations

import re

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.trace import MAX_LINE, UNKNOWN_TYPE, ParsedTrace

LANGUAGE = "go"
MARKERS: tuple[str, ...] = ("panic: ", "fatal error: ", "goroutine ")

_HEADER = re.compile(r"\s*+(?P<type>panic|fatal error|SIG[A-Z]{2,8}): (?P<value>.*)$")
_LOGGED_HEADER = re.compile(r"(?<![\w-])(?P<type>panic|fatal error): (?P<value>.*)$")
_RECOVERED = re.compile(r" \[recovered(?:, repanicked)?\]$")
_GOROUTINE = re.compile(r"\s*+goroutine \d{1,12} \[[^\]]{1,128}\]:\s*$")
_FILE_LINE = re.compile(
    r"\s*+(?P<path>\S.{0,1024}?):(?P<line>\d{1,9})(?: \+0x[0-9a-fA-F]++)?(?: [a-z]{2,3}=0x[0-9a-fA-F]++)*+\s*$"
)
_CREATED_BY = re.compile(r"\s*+created by (?P<func>\S{1,1024})(?: in goroutine \d+)?\s*$")
_FUNCTION_LINE = re.compile(r"\s*+(?P<func>[^\s(][^\s]{0,1024}?)\((?P<args>[^()]{0,1024})\)\s*$")
_SKIPPABLE = ("[signal ", "runtime stack:", "...additional frames elided...", "exit status ", "PC=0x", "rax ")


def find(lines: list[str]) -> list[ParsedTrace]:
    """Every Go panic or fatal error in the lines, with the panicking goroutine's frames."""
    found: list[ParsedTrace] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if len(line) <= MAX_LINE and (_is_header(line) or ("goroutine " in line and _GOROUTINE.match(line))):
            trace = _parse(lines, i)
            if trace is not None:
                found.append(trace)
                i = trace.end_line
                continue
        i += 1
    return found


def _is_header(line: str) -> bool:
    if "panic: " not in line and "fatal error: " not in line and "SIG" not in line:
        return False
    return _HEADER.match(line) is not None or _LOGGED_HEADER.search(line) is not None


def _parse(lines: list[str], i: int) -> ParsedTrace | None:
    start = i
    prefixed = False
    seen_goroutine = False
    chain: list[ExceptionInfo] = []
    n = len(lines)
    while i < n and len(lines[i]) <= MAX_LINE:
        header = _HEADER.match(lines[i])
        if header is None and not chain:
            header = _LOGGED_HEADER.search(lines[i])
            prefixed = header is not None
        if header is None:
            break
        value = header.group("value").rstrip()
        recovered = _RECOVERED.search(value)
        if recovered is not None:
            value = value[: recovered.start()]
        if chain:
            chain[-1].relation = "context"
        chain.append(ExceptionInfo(type=header.group("type"), value=value))
        i += 1
    i = _message_continuation(lines, i, chain)
    end = i
    frames: list[Frame] | None = None
    while i < n:
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped.startswith(_SKIPPABLE) or len(line) > MAX_LINE:
            i += 1
            if stripped:
                end = i
            continue
        if _GOROUTINE.match(line):
            seen_goroutine = True
            if frames is not None:
                i, end = _skip_goroutine(lines, i + 1)
                continue
            frames, i = _parse_goroutine(lines, i + 1)
            end = i
            continue
        if frames is None and _FUNCTION_LINE.match(line):
            i, end = _skip_goroutine(lines, i)
            continue
        break
    if (prefixed or not seen_goroutine) and not frames:
        return None
    if not chain:
        if not frames:
            return None
        chain.append(ExceptionInfo(type=UNKNOWN_TYPE))
    if frames:
        frames.reverse()
        chain[-1].frames = frames
    return ParsedTrace(LANGUAGE, chain, start, end)


def _message_continuation(lines: list[str], i: int, chain: list[ExceptionInfo]) -> int:
    """A panic value may hold newlines: its lines run up to the blank line before the dump."""
    if not chain:
        return i
    n = len(lines)
    extra: list[str] = []
    while i < n and len(extra) < 50:
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped.startswith(_SKIPPABLE) or _GOROUTINE.match(line):
            break
        extra.append(line.rstrip())
        i += 1
    if extra:
        chain[-1].value = "\n".join([chain[-1].value, *extra])
    return i


def _parse_goroutine(lines: list[str], i: int) -> tuple[list[Frame], int]:
    """Function lines, each followed by its `file:line +0xoffset` line."""
    frames: list[Frame] = []
    n = len(lines)
    while i < n and len(lines[i]) <= MAX_LINE:
        line = lines[i]
        created = _CREATED_BY.match(line) if "created by" in line else None
        function = created or _FUNCTION_LINE.match(line)
        if function is None:
            if line.strip() == "...additional frames elided...":
                i += 1
                continue
            break
        frame = _symbol(function.group("func"))
        i += 1
        location = _FILE_LINE.match(lines[i]) if i < n and len(lines[i]) <= MAX_LINE else None
        if location is not None and not lines[i].rstrip().endswith(")"):
            frame.filename = frame.abs_path = location.group("path")
            frame.lineno = int(location.group("line"))
            i += 1
        frames.append(frame)
    return frames, i


def _skip_goroutine(lines: list[str], i: int) -> tuple[int, int]:
    """Step over another goroutine's frames: they widen the trace but are not its evidence."""
    _, i = _parse_goroutine(lines, i)
    return i, i


def _symbol(symbol: str) -> Frame:
    """`github.com/org/repo/pkg.(*T).Method` → module `github.com/org/repo/pkg`, function `(*T).Method`."""
    slash = symbol.rfind("/")
    dot = symbol.find(".", slash + 1)
    if dot <= 0:
        return Frame(function=symbol)
    return Frame(function=symbol[dot + 1 :], module=symbol[:dot])
