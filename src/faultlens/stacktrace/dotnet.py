""".NET stack traces (CoreCLR, .NET Framework, Mono): `--->` inner exceptions and async frames.

.NET prints the outer exception first with its inner ones after `--->`, then the innermost
exception's frames, an `--- End of inner exception stack trace ---` line, the next one's
frames, and so on outwards. Frames come raising frame first and are reversed here.
"""

from __future__ import annotations

import re

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.trace import MAX_LINE, UNKNOWN_TYPE, ParsedTrace, scan_traces

LANGUAGE = "dotnet"
MARKERS: tuple[str, ...] = ("   at ", "  at ", "\tat ", "\nat ", "---> ")

_FRAME = re.compile(
    r"(?:^|\s)at (?:\(wrapper [^()]{1,128}\) )?(?P<func>[^\s()][^()]{0,1024}?) ?"
    r"\((?P<args>[^():]{0,1024})\)(?P<rest>.*)$"
)
_REST = re.compile(
    r"(?: \[0x[0-9a-fA-F]{1,16}\])?(?: in (?P<file>.{1,1024}?)(?::line (?P<line>\d{1,9})|:(?P<mline>\d{1,9}))?)?\s*$"
)
_NAME = r"[A-Za-z_][\w`]*+(?:\.[A-Za-z_<][\w`<>]*+)*+"
_HEADER = re.compile(
    r"\s*+(?:Unhandled [Ee]xception[.:]? |\[ERROR\] FATAL UNHANDLED EXCEPTION: |---> )?"
    rf"(?P<type>{_NAME})(?: \(0x[0-9A-Fa-f]{{8}}\))?:(?: (?P<value>.*)|$)"
)
_LOGGED_HEADER = re.compile(
    r"(?<![\w.`])(?P<type>(?:[A-Za-z_][\w`]*+\.)++[A-Za-z_][\w`]*?(?:Exception|Error))"
    r"(?: \(0x[0-9A-Fa-f]{8}\))?:(?: (?P<value>.*)|$)"
)
_END_INNER = "--- End of inner exception stack trace ---"
_SEPARATORS = (
    "--- End of stack trace from previous location",
    "--- Exception rethrown",
    "Exception_EndOfInnerExceptionStack",
)
_MAX_MESSAGE_LINES = 30


def find(lines: list[str]) -> list[ParsedTrace]:
    """Every .NET stack trace in the lines.

    A trace starts at a frame line that begins with `at ` or names its file: prose such as
    "look at Cart.Total(decimal price)" is not a frame.
    """
    return scan_traces(lines, _try_at)


def _try_at(lines: list[str], i: int, floor: int) -> ParsedTrace | None:
    frame = _frame(lines[i])
    if frame is not None and (frame.filename is not None or lines[i].lstrip().startswith("at ")):
        return _parse(lines, i, floor)
    return None


def _frame(line: str) -> Frame | None:
    if "at " not in line or len(line) > MAX_LINE:
        return None
    match = _FRAME.search(line)
    if match is None:
        return None
    rest = _REST.fullmatch(match.group("rest"))
    if rest is None:
        return None
    symbol = match.group("func").strip()
    module, _, function = symbol.rpartition(".")
    if symbol.endswith(".ctor") or symbol.endswith(".cctor"):
        module, function = symbol.rsplit(".", 2)[0], "." + symbol.rsplit(".", 1)[1]
    frame = Frame(function=function, module=module or None)
    path = rest.group("file")
    if path and not (path.startswith("<") and path.endswith(">")):
        frame.filename = frame.abs_path = path
        line_text = rest.group("line") or rest.group("mline")
        frame.lineno = int(line_text) if line_text and line_text != "0" else None
    return frame


def _headers(text: str) -> list[ExceptionInfo]:
    """One header line may hold the outer exception and its inner ones, split by ` ---> `."""
    headers: list[ExceptionInfo] = []
    for part in text.strip().split(" ---> "):
        match = _HEADER.match(part)
        if match is None and not headers:
            match = _LOGGED_HEADER.search(part)
        if match is None:
            if not headers:
                return []
            headers[-1].value = f"{headers[-1].value} ---> {part}"
            continue
        module, _, name = match.group("type").rpartition(".")
        headers.append(ExceptionInfo(type=name, value=(match.group("value") or "").strip(), module=module or None))
    return headers


def _find_headers(lines: list[str], trigger: int, floor: int) -> tuple[list[ExceptionInfo], int]:
    """Walk up from the first frame to the outermost header; `--->` lines below it are inner ones."""
    for k in range(trigger - 1, max(floor, trigger - _MAX_MESSAGE_LINES) - 1, -1):
        line = lines[k]
        if not line.strip() or _frame(line) is not None or len(line) > MAX_LINE:
            break
        if line.lstrip().startswith("--->"):
            continue
        headers = _headers(line)
        if not headers:
            continue
        for below in lines[k + 1 : trigger]:
            inner = _headers(below) if below.lstrip().startswith("--->") else []
            if inner:
                headers.extend(inner)
            else:
                headers[-1].value = f"{headers[-1].value}\n{below.rstrip()}"
        start = k - 1 if k > floor and lines[k - 1].strip() in ("Unhandled Exception:", "Unhandled exception.") else k
        return headers, start
    return [], trigger


def _parse(lines: list[str], trigger: int, floor: int) -> ParsedTrace:
    headers, start = _find_headers(lines, trigger, floor)
    if not headers:
        headers = [ExceptionInfo(type=UNKNOWN_TYPE)]
    target = len(headers) - 1
    i, n = trigger, len(lines)
    end = trigger
    while i < n:
        line = lines[i]
        frame = _frame(line)
        if frame is not None:
            headers[target].frames.append(frame)
            i = end = i + 1
            continue
        stripped = line.strip()
        if stripped.startswith(_END_INNER):
            target = max(0, target - 1)
            i = end = i + 1
            continue
        if stripped.startswith(_SEPARATORS):
            i = end = i + 1
            continue
        if stripped.startswith("---> (Inner Exception #"):
            i = end = _skip_inner_listing(lines, i)
            continue
        break
    chain = list(reversed(headers))
    for exception in chain:
        exception.frames.reverse()
        exception.relation = "inner"
    chain[-1].relation = None
    return ParsedTrace(LANGUAGE, chain, start, end)


def _skip_inner_listing(lines: list[str], i: int) -> int:
    """AggregateException repeats each inner exception between `---> (Inner Exception #N)` and `<---`."""
    for k in range(i, min(len(lines), i + 500)):
        if lines[k].rstrip().endswith("<---"):
            return k + 1
    return i + 1
