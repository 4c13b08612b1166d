"""PHP fatal errors: `Uncaught` exceptions with `#0` frames, `Next` chains, Laravel's log format.

PHP names in each `#N` entry the function that was called from that file and line, so the
function belongs one frame further in; entries are shifted onto the right locations (the throw
site comes from the header) and reversed to run caller first. `Next` exceptions are printed
oldest first, as kept here.
"""

from __future__ import annotations

import re

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.trace import MAX_LINE, UNKNOWN_TYPE, ParsedTrace

LANGUAGE = "php"
MARKERS: tuple[str, ...] = ("Fatal error: ", "Parse error: ", "Stack trace:", "[stacktrace]", "#0 ")

_TYPE = r"[A-Za-z_\\][\w\\]{0,255}"
_UNCAUGHT = re.compile(
    rf"(?:PHP )?Fatal error:\s+Uncaught (?P<type>{_TYPE}):?(?: (?P<value>.*))? in (?P<file>.+?):(?P<line>\d{{1,9}})$"
)
_NEXT = re.compile(rf"Next (?P<type>{_TYPE}):?(?: (?P<value>.*))? in (?P<file>.+?):(?P<line>\d{{1,9}})$")
_LARAVEL = re.compile(
    rf"\[(?:object|previous exception)\] (?:\[object\] )?\((?P<type>{_TYPE})\(code: -?\d+\): (?P<value>.*) at "
    r"(?P<file>.+?):(?P<line>\d{1,9})\)$"
)
_PLAIN_FATAL = re.compile(
    r"(?:PHP )?(?P<type>Fatal error|Parse error):\s+(?P<value>.*?) in (?P<file>\S.*?)(?: on line |:)(?P<line>\d{1,9})$"
)
_ENTRY = re.compile(
    r"#(?P<index>\d{1,6}) (?:(?P<file>.+?)\((?P<line>\d{1,9})\)|\[internal function\]|\{main\})(?:: (?P<call>.*))?$"
)
_THROWN = re.compile(r"\s*thrown in .{1,1024} on line \d{1,9}\s*$")


def find(lines: list[str]) -> list[ParsedTrace]:
    """Every PHP fatal error or uncaught exception in the lines."""
    found: list[ParsedTrace] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if len(line) <= MAX_LINE and ("error:" in line or "[object]" in line or line.lstrip().startswith("#0 ")):
            trace = _parse(lines, i)
            if trace is not None:
                found.append(trace)
                i = trace.end_line
                continue
        i += 1
    return found


def _header(line: str) -> tuple[ExceptionInfo, Frame] | None:
    for pattern in (_UNCAUGHT, _LARAVEL, _NEXT):
        match = pattern.search(line)
        if match is not None:
            return _exception(match.group("type"), match.group("value") or ""), _location(match)
    return None


def _exception(type_name: str, value: str) -> ExceptionInfo:
    module, _, name = type_name.replace("\\\\", "\\").lstrip("\\").rpartition("\\")
    return ExceptionInfo(type=name, value=value.strip(), module=module or None)


def _location(match: re.Match[str]) -> Frame:
    path = match.group("file")
    return Frame(filename=path, abs_path=path, lineno=int(match.group("line")))


def _parse(lines: list[str], i: int) -> ParsedTrace | None:
    line = lines[i]
    header = _header(line)
    if header is None:
        plain = _PLAIN_FATAL.search(line)
        if plain is not None:
            exception = ExceptionInfo(type=plain.group("type"), value=plain.group("value").strip())
            exception.frames = [_location(plain)]
            if i + 1 >= len(lines) or lines[i + 1].strip() != "Stack trace:":
                return ParsedTrace(LANGUAGE, [exception], i, i + 1)
        if _ENTRY.match(line.strip()) is None or not line.lstrip().startswith("#0 "):
            return None
        header = (ExceptionInfo(type=UNKNOWN_TYPE), Frame())
        j = i
    else:
        j = i + 1
    chain: list[ExceptionInfo] = []
    start = i
    n = len(lines)
    while True:
        exception, site = header
        j, entries = _entries(lines, j)
        exception.frames = _shift(site, entries)
        if chain:
            chain[-1].relation = "cause"
        chain.append(exception)
        k = j
        while k < n and not lines[k].strip():
            k += 1
        nxt = _header(lines[k]) if k < n and len(lines[k]) <= MAX_LINE else None
        if nxt is None or _UNCAUGHT.search(lines[k]):
            break
        header = nxt
        j = k + 1
    if j < n and _THROWN.match(lines[j]):
        j += 1
    if _LARAVEL.search(line):
        chain.reverse()
        for exception in chain:
            exception.relation = "cause"
        chain[-1].relation = None
    return ParsedTrace(LANGUAGE, chain, start, j)


def _entries(lines: list[str], j: int) -> tuple[int, list[re.Match[str]]]:
    n = len(lines)
    if j < n and lines[j].strip() in ("Stack trace:", "[stacktrace]"):
        j += 1
    entries: list[re.Match[str]] = []
    while j < n and len(lines[j]) <= MAX_LINE:
        match = _ENTRY.match(lines[j].strip())
        if match is None:
            break
        entries.append(match)
        j += 1
    if j < n and lines[j].strip() == '"}':
        j += 1
    return j, entries


def _shift(site: Frame, entries: list[re.Match[str]]) -> list[Frame]:
    """Give each location the function running there: the call printed one entry further in."""
    frames: list[Frame] = []
    location = site
    for entry in entries:
        call = entry.group("call")
        if entry.group(0).startswith("#") and "{main}" in entry.group(0) and call is None:
            location.function = "{main}"
        else:
            location.module, location.function = _callee(call or "")
        frames.append(location)
        path = entry.group("file")
        location = Frame(filename=path, abs_path=path, lineno=int(entry.group("line"))) if path else Frame()
    if location.filename is not None and entries and "{main}" not in entries[-1].group(0):
        frames.append(location)
    if site.filename is None and frames and frames[0].filename is None and frames[0].function is None:
        frames = frames[1:]
    frames.reverse()
    return frames


def _callee(call: str) -> tuple[str | None, str | None]:
    """`App\\Repo->find(7)` → module `App\\Repo`, function `find`."""
    name = call.split("(", 1)[0].strip().replace("\\\\", "\\")
    if not name:
        return None, None
    for separator in ("->", "::", "\\"):
        if separator in name:
            module, _, function = name.rpartition(separator)
            return module or None, function
    return None, name
