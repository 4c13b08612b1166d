"""Native crashes: sanitizer reports, gdb backtraces and glibc `backtrace_symbols` output.

All three print the crashing frame first (`#0`); frames are reversed here. A sanitizer report
also prints where memory was freed and allocated: those stacks widen the trace's lines but
the crash stack alone is its frames.
"""

from __future__ import annotations

import re

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.trace import MAX_LINE, UNKNOWN_TYPE, ParsedTrace, scan_traces

LANGUAGE = "native"
MARKERS: tuple[str, ...] = ("Sanitizer", "#0 ", "#0  ", ")[0x", "runtime error:", "terminate called")

_SANITIZER = re.compile(
    r"==\d{1,10}==\s*(?:ERROR|WARNING): (?P<tool>\w{1,32}Sanitizer):? (?P<type>[\w-]{1,64})(?: (?P<value>.*))?$"
)
_TSAN = re.compile(r"WARNING: (?P<tool>ThreadSanitizer): (?P<type>[\w ]{1,64}?)(?: \((?P<value>.*)\))?$")
_UBSAN = re.compile(r"(?P<path>[^\s:]{1,1024}):(?P<line>\d{1,9}):(?P<col>\d{1,9}): runtime error: (?P<value>.*)$")
_SANITIZER_FRAME = re.compile(r"\s*+#(?P<index>\d{1,6}) 0x[0-9a-fA-F]++(?: in (?P<rest>.+)|\s+\((?P<binary>[^)]+)\))$")
_GDB_FRAME = re.compile(
    r"\s*+#(?P<index>\d{1,6})\s++(?:0x[0-9a-fA-F]++ in )?(?P<func>[^\s(]\S{0,1024}?) \((?P<args>.{0,2048}?)\)"
    r"(?: at (?P<path>\S{1,1024}):(?P<line>\d{1,9})| from (?P<library>\S{1,1024}))?\s*$"
)
_GLIBC_FRAME = re.compile(
    r"\s*+(?P<binary>[^\s(\[]{1,1024})\((?P<func>[^+()\s]{0,1024})(?:\+0x[0-9a-fA-F]++)?\)\s*\[0x[0-9a-fA-F]++\]\s*$"
)
_LOCATION = re.compile(r"(?P<path>[^\s:]{1,1024}):(?P<line>\d{1,9})(?::(?P<col>\d{1,9}))?")
_BINARY_OFFSET = re.compile(r"\((?P<binary>[^)+]{1,1024})\+0x[0-9a-fA-F]++\)")
_SIGNAL = re.compile(r"(?:Program|Thread \d+ \"[^\"]*\") received signal (?P<type>SIG\w+), (?P<value>.*?)\.?$")
_SIGNAL_NUMBER = re.compile(r"signal (?P<number>\d{1,2})\b")
_SIGNALS = {4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 11: "SIGSEGV", 13: "SIGPIPE"}
_TERMINATE = re.compile(r"terminate called after throwing an instance of '(?P<type>[^']{1,512})'")
_WHAT = re.compile(r"\s*what\(\):\s*(?P<value>.*)$")
_GLIBC_HEADERS = re.compile(r"\*\*\* (?P<value>.{1,512}?) \*\*\*|(?P<plain>\w[\w ()]{0,64}\(\): .{1,256})$")


def find(lines: list[str]) -> list[ParsedTrace]:
    """Every native crash report or backtrace in the lines."""
    return scan_traces(lines, _try_at)


def _try_at(lines: list[str], i: int, floor: int) -> ParsedTrace | None:
    line = lines[i]
    if len(line) > MAX_LINE:
        return None
    if "Sanitizer" in line:
        return _parse_sanitizer(lines, i)
    if "runtime error:" in line:
        return _parse_ubsan(lines, i)
    if "terminate called" in line:
        return _parse_terminate(lines, i)
    if "#0 " in line and _GDB_FRAME.match(line):
        return _parse_gdb(lines, i, floor)
    if ")[0x" in line or ") [0x" in line:
        return _parse_glibc(lines, i, floor)
    return None


def _sanitizer_frame(line: str) -> Frame | None:
    if "#" not in line or len(line) > MAX_LINE:
        return None
    match = _SANITIZER_FRAME.match(line)
    if match is None:
        return None
    if match.group("binary"):
        return Frame(module=match.group("binary").split("+", 1)[0])
    rest = match.group("rest").strip()
    function, _, where = rest.rpartition(" ")
    location = _LOCATION.fullmatch(where)
    if location is not None and function:
        column = location.group("col")
        path = location.group("path")
        return Frame(
            function=function.strip(), filename=path, abs_path=path,
            lineno=int(location.group("line")), colno=int(column) if column else None,
        )
    binary = _BINARY_OFFSET.fullmatch(where)
    if binary is not None and function:
        return Frame(function=function.strip(), module=binary.group("binary"))
    return Frame(function=rest)


def _parse_sanitizer(lines: list[str], i: int) -> ParsedTrace | None:
    header = _SANITIZER.search(lines[i]) or _TSAN.search(lines[i])
    if header is None:
        return None
    kind, value = header.group("type").strip(), (header.group("value") or "").strip()
    if kind == "attempting" and value:
        kind, _, value = value.partition(" ")
    elif kind == "detected" and value == "memory leaks":
        kind, value = "memory-leaks", "detected memory leaks"
    exception = ExceptionInfo(type=kind, value=value, module=header.group("tool"))
    start = i - 1 if i > 0 and lines[i - 1].startswith("=====") else i
    n = len(lines)
    j = i + 1
    frames: list[Frame] = []
    while j < n and j < i + 40 and not frames:
        frame = _sanitizer_frame(lines[j])
        while frame is not None:
            frames.append(frame)
            j += 1
            frame = _sanitizer_frame(lines[j]) if j < n else None
        if not frames:
            j += 1
    end = j
    for k in range(j, min(n, j + 400)):
        stripped = lines[k].strip()
        if stripped.startswith("SUMMARY:"):
            end = k + 1
        elif "ABORTING" in stripped and stripped.startswith("=="):
            end = k + 1
            break
        elif stripped.startswith("==") and "Sanitizer" in stripped and k > i:
            break
    frames.reverse()
    exception.frames = frames
    return ParsedTrace(LANGUAGE, [exception], start, end)


def _parse_ubsan(lines: list[str], i: int) -> ParsedTrace | None:
    match = _UBSAN.search(lines[i])
    if match is None:
        return None
    column = match.group("col")
    site = Frame(filename=match.group("path"), abs_path=match.group("path"),
                 lineno=int(match.group("line")), colno=int(column))
    exception = ExceptionInfo(
        type="runtime error", value=match.group("value").strip(), module="UndefinedBehaviorSanitizer"
    )
    exception.frames = [site]
    return ParsedTrace(LANGUAGE, [exception], i, i + 1)


def _parse_terminate(lines: list[str], i: int) -> ParsedTrace | None:
    """A C++ exception nobody caught: libstdc++ names its type and `what()`."""
    match = _TERMINATE.search(lines[i])
    if match is None:
        return None
    exception = ExceptionInfo(type=match.group("type"))
    end = i + 1
    what = _WHAT.match(lines[end]) if end < len(lines) and len(lines[end]) <= MAX_LINE else None
    if what is not None:
        exception.value = what.group("value").strip()
        end += 1
    module, _, name = exception.type.rpartition("::")
    if module:
        exception.type, exception.module = name, module
    return ParsedTrace(LANGUAGE, [exception], i, end)


def _gdb_frame(line: str) -> Frame | None:
    if "#" not in line or len(line) > MAX_LINE:
        return None
    match = _GDB_FRAME.match(line)
    if match is None:
        return None
    frame = Frame(function=match.group("func"), module=match.group("library"))
    if match.group("path"):
        frame.filename = frame.abs_path = match.group("path")
        frame.lineno = int(match.group("line"))
    return frame


def _parse_gdb(lines: list[str], i: int, floor: int) -> ParsedTrace | None:
    exception = ExceptionInfo(type=UNKNOWN_TYPE)
    start = i
    for k in range(i - 1, max(floor, i - 8) - 1, -1):
        signal = _SIGNAL.search(lines[k]) if "received signal" in lines[k] else None
        if signal is not None:
            exception = ExceptionInfo(type=signal.group("type"), value=signal.group("value"))
            start = k
            break
    frames: list[Frame] = []
    j, n = i, len(lines)
    while j < n:
        frame = _gdb_frame(lines[j])
        if frame is None:
            break
        frames.append(frame)
        j += 1
    frames.reverse()
    exception.frames = frames
    return ParsedTrace(LANGUAGE, [exception], start, j)


def _glibc_frame(line: str) -> Frame | None:
    if "[0x" not in line or len(line) > MAX_LINE:
        return None
    match = _GLIBC_FRAME.match(line)
    if match is None:
        return None
    return Frame(function=match.group("func") or None, module=match.group("binary"))


def _parse_glibc(lines: list[str], i: int, floor: int) -> ParsedTrace | None:
    if _glibc_frame(lines[i]) is None:
        return None
    j, n = i, len(lines)
    frames: list[Frame] = []
    while j < n:
        frame = _glibc_frame(lines[j])
        if frame is None:
            break
        frames.append(frame)
        j += 1
    if len(frames) < 2:
        return None
    exception, start = _glibc_header(lines, i, floor)
    frames.reverse()
    exception.frames = frames
    return ParsedTrace(LANGUAGE, [exception], start, j)


def _glibc_header(lines: list[str], i: int, floor: int) -> tuple[ExceptionInfo, int]:
    """The line or two above the frames say what went wrong: a signal or a glibc abort message."""
    for k in range(i - 1, max(floor, i - 4) - 1, -1):
        text = lines[k].strip()
        if not text or text.startswith("=") or text.startswith("Obtained "):
            continue
        number = _SIGNAL_NUMBER.search(text)
        if number is not None and int(number.group("number")) in _SIGNALS:
            signal = int(number.group("number"))
            return ExceptionInfo(type=_SIGNALS[signal], value=f"signal {signal}"), k
        glibc = _GLIBC_HEADERS.search(text)
        if glibc is not None:
            return ExceptionInfo(type="abort", value=(glibc.group("value") or glibc.group("plain")).strip()), k
        break
    return ExceptionInfo(type=UNKNOWN_TYPE), i
