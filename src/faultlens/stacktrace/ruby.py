"""Ruby backtraces: the interpreter's own report, `Exception#full_message`, loggers and Rails.

Ruby prints the raising frame first, on the same line as the message, and a cause after the
exception it caused: both orders are reversed here.
"""

from __future__ import annotations

import re

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.logline import dedent, indent_of
from faultlens.stacktrace.trace import MAX_LINE, UNKNOWN_TYPE, ParsedTrace, scan_traces

LANGUAGE = "ruby"
MARKERS: tuple[str, ...] = (":in `", ":in '")

_FRAME = re.compile(
    r"(?:^|\s)(?:from )?(?P<path>(?:[\w.-]{1,128} \([\w.]{1,64}\) )?(?:[A-Za-z]:)?[^\s:]{1,1024}?)"
    r":(?P<line>\d{1,9}):in [`'](?P<func>[^`']{0,1024})'(?P<rest>.*)$"
)
_TRAILING_TYPE = re.compile(r": (?P<value>.*) \((?P<type>[A-Z][\w]*+(?:::[A-Z][\w]*+)*+)\)$")
_TYPE = r"[A-Z][\w]*+(?:::[A-Z][\w]*+)*+"
_HEADER_COLON = re.compile(rf"(?<![\w:])(?P<type>{_TYPE}): (?P<value>.*)$")
_HEADER_RAILS = re.compile(rf"(?:^|\s)(?P<type>{_TYPE}) \((?P<value>.*)\):\s*$")
_HEADER_PAREN = re.compile(rf"(?P<value>.*) \((?P<type>{_TYPE})\)$")
_LEVELS = re.compile(r"\.\.\. (?P<count>\d{1,9}) levels\.\.\.")
_CARETS = re.compile(r"\s*\^+\s*")
_MAX_MESSAGE_LINES = 30


def find(lines: list[str]) -> list[ParsedTrace]:
    """Every Ruby backtrace in the lines."""
    return scan_traces(lines, _try_at)


def _try_at(lines: list[str], i: int, floor: int) -> ParsedTrace | None:
    return _parse(lines, i, floor) if _frame(lines[i]) is not None else None


def _frame(line: str) -> re.Match[str] | None:
    if "in " not in line or len(line) > MAX_LINE or ":in " not in line:
        return None
    return _FRAME.search(line)


def _to_frame(match: re.Match[str]) -> Frame:
    path = match.group("path")
    if ") " in path:
        path = path.split(") ", 1)[1]
    function = match.group("func")
    module = None
    for separator in ("#", "."):
        if separator in function and not function.startswith(("block", "rescue", "ensure", "<")):
            module, _, function = function.rpartition(separator)
            break
    return Frame(function=function, module=module, filename=path, abs_path=path, lineno=int(match.group("line")))


def _exception(type_name: str, value: str) -> ExceptionInfo:
    module, _, name = type_name.rpartition("::")
    return ExceptionInfo(type=name, value=value.rstrip(), module=module or None)


def _header_of_frame(match: re.Match[str]) -> ExceptionInfo | None:
    """`file:1:in 'm': message (Type)`: the interpreter's first line names the exception."""
    rest = match.group("rest")
    if not rest.startswith(": "):
        return None
    typed = _TRAILING_TYPE.match(rest)
    if typed is None:
        return ExceptionInfo(type=UNKNOWN_TYPE, value=rest[2:].rstrip())
    return _exception(typed.group("type"), typed.group("value"))


def _standalone_header(line: str) -> ExceptionInfo | None:
    if len(line) > MAX_LINE:
        return None
    text = line.strip()
    for pattern in (_HEADER_RAILS, _HEADER_COLON, _HEADER_PAREN):
        match = pattern.match(text) if pattern is _HEADER_PAREN else pattern.search(text)
        if match is not None:
            return _exception(match.group("type"), match.group("value"))
    return None


def _find_header(lines: list[str], trigger: int, floor: int) -> tuple[ExceptionInfo | None, int]:
    """A logger writes `Type: message` (or Rails `Type (message):`) above bare frames."""
    blank_run = 0
    for k in range(trigger - 1, max(floor, trigger - _MAX_MESSAGE_LINES) - 1, -1):
        line = lines[k]
        if not line.strip():
            blank_run += 1
            if blank_run > 1:
                break
            continue
        if _frame(line) is not None:
            break
        header = _standalone_header(line)
        if header is not None:
            extra = dedent([text for text in lines[k + 1 : trigger] if text.strip()], indent_of(line))
            if extra and not _HEADER_RAILS.search(line.strip()):
                header.value = "\n".join([header.value, *extra])
            return header, k
    return None, trigger


def _parse(lines: list[str], trigger: int, floor: int) -> ParsedTrace:
    chain: list[ExceptionInfo] = []
    first = _frame(lines[trigger])
    assert first is not None
    start = trigger
    current = _header_of_frame(first)
    if current is None:
        header, start = _find_header(lines, trigger, floor)
        current = header or ExceptionInfo(type=UNKNOWN_TYPE)
    chain.append(current)
    i, n = trigger, len(lines)
    end = trigger
    while i < n:
        line = lines[i]
        match = _frame(line)
        if match is not None:
            header = _header_of_frame(match)
            if header is not None and current.frames:
                current = header
                chain.append(current)
            current.frames.append(_to_frame(match))
            i = end = i + 1
            if header is not None:
                i = end = _message_continuation(lines, i, current)
            continue
        levels = _LEVELS.search(line) if "levels..." in line else None
        if levels is not None:
            current.frames_omitted += int(levels.group("count"))
            i = end = i + 1
            continue
        break
    for exception in chain:
        exception.frames.reverse()
    chain.reverse()
    for older in chain[:-1]:
        older.relation = "cause"
    return ParsedTrace(LANGUAGE, chain, start, end)


def _message_continuation(lines: list[str], i: int, exception: ExceptionInfo) -> int:
    """Lines between the first line and the next frame continue the message (or highlight it)."""
    n = len(lines)
    for k in range(i, min(n, i + _MAX_MESSAGE_LINES)):
        if _frame(lines[k]) is not None:
            extra = dedent([text for text in lines[i:k] if text.strip()], indent_of(lines[i - 1]))
            if extra and _CARETS.fullmatch(extra[-1]):
                extra = extra[:-2]
            if extra:
                exception.value = "\n".join([exception.value, *extra])
            return k
    return i
