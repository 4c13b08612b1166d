"""JavaScript stack traces: V8 / Node.js (with `[cause]` and property blocks), Firefox, Safari.

V8 and the browsers print the raising frame first: frames are reversed here. Node prints an
error's `cause` and an AggregateError's `errors` inside the `{ ... }` block after the frames.
"""

from __future__ import annotations

import re

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.logline import find_header
from faultlens.stacktrace.trace import MAX_LINE, UNKNOWN_TYPE, ParsedTrace

LANGUAGE = "javascript"
MARKERS: tuple[str, ...] = (
    "    at ", "\tat ", "\nat ", "\\nat ", "@http", "@file:", "@/", "@webpack", "@[native", "@<anonymous>", "@app:",
    "\n@", "\\n@", "@blob:", "@chrome-extension:", "@moz-extension:", "@resource:", "@debugger",
)

_V8_AT = re.compile(r"(?:^|\s)at\s")
_LOCATION = re.compile(r"(?P<path>.+?):(?P<line>\d{1,9})(?::(?P<col>\d{1,9}))?")
_SPECIAL_LOCATIONS = ("<anonymous>", "native", "unknown location", "[native code]")
_GECKO = re.compile(r"(?P<func>[^@\s()]*+(?: code)?)@(?P<loc>\S.*)")
_ERRORISH = re.compile(
    r"(?<![\w$.])(?P<type>Error|[A-Za-z_$][\w$.]*?(?:Error|Exception|Rejection|Warning))(?: \[(?P<code>[\w$]{1,64})\])?"
    r"(?::\s?(?P<value>.*)|$)"
)
_GENERIC = re.compile(r"(?P<type>[A-Za-z_$][\w$]{0,128})(?: \[(?P<code>[\w$]{1,64})\])?(?::\s?(?P<value>.*)|$)")
_CAUSE = re.compile(r"\s*\[cause\]: (?P<header>.*)$")
_ERRORS = re.compile(r"\s*\[errors\]: \[\s*$")
_MATCHING_CAUSE = re.compile(r"\s*\.\.\. (?P<count>\d{1,9}) lines? matching cause stack trace \.\.\.\s*$")
_PROPERTY = re.compile(r"\s*(?:\[\w+\]|[\w$]+|'[^']*'): ")
_MAX_MESSAGE_LINES = 30
_MAX_BLOCK_LINES = 2000


def find(lines: list[str]) -> list[ParsedTrace]:
    """Every JavaScript stack trace in the lines."""
    found: list[ParsedTrace] = []
    floor = 0
    i, n = 0, len(lines)
    while i < n:
        if _is_block_header(lines, i):
            header = _header(_strip_tail(lines[i]))
            assert header is not None
            chain, end = _parse_block(lines, i + 1)
            found.append(ParsedTrace(LANGUAGE, [*chain, header], i, end))
            floor = i = end
            continue
        if _frame(lines[i]) is not None and (_v8_frame(lines[i]) is not None or _gecko_run(lines, i)):
            header, start = _find_header(lines, i, floor)
            exception = header or ExceptionInfo(type=UNKNOWN_TYPE)
            chain, end = _parse_body(lines, i, exception)
            found.append(ParsedTrace(LANGUAGE, chain, start, end))
            floor = i = end
            continue
        i += 1
    return found


def _is_block_header(lines: list[str], i: int) -> bool:
    """`[AggregateError: ...] {` with no frames: an error Node inspected, its causes in the block."""
    line = lines[i]
    if not line.rstrip().endswith("{") or len(line) > MAX_LINE or i + 1 >= len(lines):
        return False
    if not (line.lstrip().startswith("[") or "Error" in line):
        return False
    return _PROPERTY.match(lines[i + 1]) is not None and _header(_strip_tail(line)) is not None


def _strip_tail(line: str) -> str:
    text = line.strip()
    if text.endswith(" {"):
        text = text[:-2].rstrip()
    elif text.endswith(","):
        text = text[:-1].rstrip()
    return text


def _frame(line: str) -> Frame | None:
    if len(line) > MAX_LINE:
        return None
    return _v8_frame(line) or _gecko_frame(line)


def _v8_frame(line: str) -> Frame | None:
    if "at " not in line or len(line) > MAX_LINE:
        return None
    match = _V8_AT.search(line)
    if match is None:
        return None
    rest = _strip_tail(line[match.end() :])
    if rest.endswith(")") and " (" in rest:
        cut = rest.find(" (")
        function: str | None = rest[:cut].strip()
        location = rest[cut + 2 : -1]
    else:
        function, location = None, rest
    frame = _location(location)
    if frame is None:
        return None
    frame.function = function or None
    return frame


def _location(location: str) -> Frame | None:
    """Parse `path:line:col`, eval origins and V8's placeholders for frames without a file."""
    if location.startswith("eval at "):
        origin = location.rsplit(", ", 1)
        inner = _location(origin[-1]) if len(origin) == 2 else None
        outer = re.search(r"\((?P<loc>[^()]*)\)", origin[0])
        frame = inner or Frame(filename="<anonymous>")
        if outer is not None:
            source = _location(outer.group("loc"))
            frame.abs_path = source.abs_path if source else frame.abs_path
        return frame
    if location in _SPECIAL_LOCATIONS or location.startswith("index "):
        return Frame(filename=location)
    match = _LOCATION.fullmatch(location)
    if match is None or " " in match.group("path").strip():
        return None
    path = match.group("path")
    col = match.group("col")
    return Frame(filename=path, abs_path=path, lineno=int(match.group("line")), colno=int(col) if col else None)


def _gecko_frame(line: str) -> Frame | None:
    """Firefox and Safari: `function@url:line:col`, the function empty for top-level code."""
    if "@" not in line or len(line) > MAX_LINE:
        return None
    match = _GECKO.fullmatch(_strip_tail(line))
    if match is None:
        return None
    location = match.group("loc")
    frame = Frame(filename=location) if location == "[native code]" else _location(location)
    if frame is None or (frame.colno is None and location != "[native code]"):
        return None
    frame.function = match.group("func") or None
    return frame


def _gecko_run(lines: list[str], i: int) -> bool:
    """A lone `a@b:1:2` could be anything; two in a row, or one under an error line, is a trace."""
    if i + 1 < len(lines) and _gecko_frame(lines[i + 1]) is not None:
        return True
    return i > 0 and _header(lines[i - 1]) is not None


def _header(line: str) -> ExceptionInfo | None:
    if len(line) > MAX_LINE:
        return None
    text = line.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    match = _ERRORISH.search(text)
    if match is not None and match.group("type").endswith("Warning"):
        inner = _ERRORISH.search(match.group("value") or "")
        match = inner or match
    if match is None:
        match = _GENERIC.fullmatch(text)
        if match is None or not match.group("value"):
            return None
    full = match.group("type")
    module, _, name = full.rpartition(".")
    return ExceptionInfo(type=name, value=(match.group("value") or "").rstrip(), module=module or None)


def _find_header(lines: list[str], trigger: int, floor: int) -> tuple[ExceptionInfo | None, int]:
    return find_header(lines, trigger, floor, _frame, _header, _MAX_MESSAGE_LINES)


def _parse_body(lines: list[str], i: int, exception: ExceptionInfo) -> tuple[list[ExceptionInfo], int]:
    """Frames from line i on, then the `{ ... }` block holding the cause and aggregated errors."""
    before: list[ExceptionInfo] = []
    n = len(lines)
    while i < n:
        line = lines[i]
        frame = _frame(line)
        if frame is not None:
            exception.frames.append(frame)
            i += 1
            if line.rstrip().endswith("{"):
                before, i = _parse_block(lines, i)
                break
            continue
        if line.lstrip().startswith("Emitted 'error' event"):
            i += 1
            continue
        matching = _MATCHING_CAUSE.match(line) if "matching cause" in line else None
        if matching is not None:
            exception.frames_omitted += int(matching.group("count"))
            i += 1
            continue
        break
    exception.frames.reverse()
    return [*before, exception], i


def _parse_block(lines: list[str], i: int) -> tuple[list[ExceptionInfo], int]:
    """Node's inspected properties after an error: `[cause]` and `[errors]` hold more errors."""
    before: list[ExceptionInfo] = []
    depth = 1
    n = len(lines)
    limit = min(n, i + _MAX_BLOCK_LINES)
    while i < limit:
        line = lines[i]
        stripped = line.strip()
        cause = _CAUSE.match(line) if depth == 1 and "[cause]:" in line else None
        if cause is not None:
            exception = _header(cause.group("header")) or ExceptionInfo(type=UNKNOWN_TYPE)
            chain, i = _parse_body(lines, i + 1, exception)
            chain[-1].relation = "cause"
            before = chain + before
            continue
        if depth == 1 and _ERRORS.match(line):
            members, i = _parse_members(lines, i + 1)
            before.extend(members)
            continue
        if stripped.startswith(("}", "]")):
            depth -= 1
        if stripped.endswith(("{", "[")):
            depth += 1
        i += 1
        if depth <= 0:
            break
    return before, i


def _parse_members(lines: list[str], i: int) -> tuple[list[ExceptionInfo], int]:
    """The errors of an AggregateError, each an inspected error inside `[errors]: [ ... ]`."""
    members: list[ExceptionInfo] = []
    n = len(lines)
    while i < n and len(members) < 1000:
        stripped = lines[i].strip()
        if stripped.startswith("]"):
            return members, i + 1
        header = _header(stripped)
        if header is None:
            i += 1
            continue
        chain, i = _parse_body(lines, i + 1, header)
        chain[-1].relation = "group"
        members.extend(chain)
    return members, i
