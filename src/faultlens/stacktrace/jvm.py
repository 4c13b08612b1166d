"""JVM stack traces (Java, Kotlin, Scala): causes, suppressed exceptions, `... N more`.

The JVM prints the newest exception first and each exception's raising frame first; both are
reversed here. A "Caused by:" belongs to the exception printed at its own indentation, a
"Suppressed:" to the one a level shallower, which is how `Throwable.printStackTrace` nests them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.logline import dedent, find_header, indent_of
from faultlens.stacktrace.trace import MAX_LINE, UNKNOWN_TYPE, ParsedTrace, scan_traces

LANGUAGE = "java"
MARKERS: tuple[str, ...] = ("\tat ", "    at ", "\nat ", "\\tat ", "Caused by:")

_NAME = r"[A-Za-z_$][\w$]*+(?:[.$/][A-Za-z_$][\w$]*+)*+"
_FRAME = re.compile(
    r"(?:^|\s)at\s++(?P<body>[^\s()]{1,1024})\((?P<src>[^()]{1,512})\)\s*+(?:~?\[[^\]]{0,512}\])?\s*+$"
)
_SOURCE = re.compile(
    r"(?P<file>[^\s:]++)(?::(?P<line>\d{1,9}))?|Native Method|Unknown Source(?::(?P<uline>\d{1,9}))?"
)
_MORE = re.compile(r"(?:^|\s)\.\.\. (?P<count>\d{1,9}) (?:more|common frames omitted)\s*$")
_NESTED = re.compile(r"(?P<indent>[ \t]*+)(?P<kind>Caused by|Suppressed|Wrapped by): (?P<header>.*)$")
_HEADER = re.compile(rf"(?P<type>{_NAME})(?::(?:\s(?P<value>.*)|$)|$)")
_TOP_PREFIX = re.compile(r'\s*+(?:Exception in thread "[^"]{0,256}" |Uncaught exception:? |Exception: )?')
_LOGGED_HEADER = re.compile(
    r"(?<![\w$.])(?P<type>(?:[a-z_$][\w$]*+\.)++[A-Z_$][\w$]*+)(?::(?:\s(?P<value>.*)|$)|$)"
)
_TYPE_SUFFIXES = ("Exception", "Error", "Throwable", "Failure", "Fault", "Death", "Exit", "Interrupted")
_LAMBDA_ADDRESS = re.compile(r"/0x[0-9a-fA-F]++")
_MAX_MESSAGE_LINES = 30


@dataclass(slots=True)
class _Node:
    """One printed exception and what hangs off it, before the chain is flattened."""

    exception: ExceptionInfo
    indent: int
    cause: _Node | None = None
    suppressed: list[_Node] = field(default_factory=list)


def find(lines: list[str]) -> list[ParsedTrace]:
    """Every JVM stack trace in the lines."""
    return scan_traces(lines, _try_at)


def _try_at(lines: list[str], i: int, floor: int) -> ParsedTrace | None:
    line = lines[i]
    if _frame(line) is not None or _nested(line, "Caused by"):
        return _parse(lines, i, floor)
    return None


def _frame(line: str) -> Frame | None:
    if len(line) > MAX_LINE or "at" not in line or not line.rstrip().endswith((")", "]")):
        return None
    match = _FRAME.search(line)
    if match is None:
        return None
    source = _SOURCE.fullmatch(match.group("src"))
    if source is None:
        return None
    body = match.group("body")
    if "/0x" in body:
        body = _LAMBDA_ADDRESS.sub("", body)
    if "/" in body:
        body = body.rsplit("/", 1)[1]
    module, _, function = body.rpartition(".")
    if not module or not function:
        return None
    filename = source.group("file")
    line_text = source.group("line") or source.group("uline")
    return Frame(function=function, module=module, filename=filename, lineno=int(line_text) if line_text else None)


def _nested(line: str, kind: str | None = None) -> re.Match[str] | None:
    if ":" not in line or len(line) > MAX_LINE:
        return None
    if kind is not None and kind not in line:
        return None
    position = max(line.find("Caused by: "), line.find("Suppressed: "), line.find("Wrapped by: "))
    if position < 0:
        return None
    start = position
    while start > 0 and line[start - 1] in " \t":
        start -= 1
    return _NESTED.match(line, start)


def _indent_of(whitespace: str) -> int:
    return whitespace.count("\t") + whitespace.count(" ") // 4


def _exception(text: str) -> ExceptionInfo | None:
    match = _HEADER.match(text.strip())
    if match is None:
        return None
    return _from_match(match)


def _from_match(match: re.Match[str]) -> ExceptionInfo:
    full = match.group("type")
    module, _, name = full.rpartition(".")
    return ExceptionInfo(type=name, value=(match.group("value") or "").rstrip(), module=module or None)


def _top_header(line: str) -> ExceptionInfo | None:
    """The first line of a trace: a class name (qualified, or named like an exception) and message."""
    if len(line) > MAX_LINE:
        return None
    prefix = _TOP_PREFIX.match(line)
    start = prefix.end() if prefix else 0
    match = _HEADER.match(line, start)
    if match is not None:
        name = match.group("type")
        if ("." in name and "/" not in name) or name.endswith(_TYPE_SUFFIXES):
            return _from_match(match)
    logged = _LOGGED_HEADER.search(line)
    if logged is not None and logged.group("type").endswith(_TYPE_SUFFIXES):
        return _from_match(logged)
    return None


def _find_header(lines: list[str], trigger: int, floor: int) -> tuple[ExceptionInfo | None, int]:
    return find_header(lines, trigger, floor, _frame, _top_header, _MAX_MESSAGE_LINES)


def _parse(lines: list[str], trigger: int, floor: int) -> ParsedTrace | None:
    header, start = _find_header(lines, trigger, floor)
    top = _Node(header or ExceptionInfo(type=UNKNOWN_TYPE), 0)
    nodes = [top]
    current = top
    frames = 0
    i, n = trigger, len(lines)
    end = trigger
    while i < n:
        line = lines[i]
        frame = _frame(line)
        if frame is not None:
            current.exception.frames.append(frame)
            frames += 1
            i += 1
            end = i
            continue
        more = _MORE.search(line) if "..." in line and len(line) <= MAX_LINE else None
        if more is not None:
            current.exception.frames_omitted += int(more.group("count"))
            i += 1
            end = i
            continue
        nested = _nested(line)
        if nested is None:
            break
        exception = _exception(nested.group("header")) or ExceptionInfo(type=UNKNOWN_TYPE)
        indent = _indent_of(nested.group("indent"))
        node = _Node(exception, indent)
        _attach(nodes, node, nested.group("kind"))
        nodes.append(node)
        current = node
        i = end = _message_continuation(lines, i + 1, exception)
    if frames == 0:
        return None
    return ParsedTrace(LANGUAGE, _flatten(top, None), start, end)


def _attach(nodes: list[_Node], node: _Node, kind: str) -> None:
    """Hang a nested exception on the latest exception printed at the matching indentation."""
    wanted = node.indent if kind != "Suppressed" else node.indent - 1
    owner = next((candidate for candidate in reversed(nodes) if candidate.indent == wanted), nodes[-1])
    if kind == "Suppressed":
        owner.suppressed.append(node)
        return
    while owner.cause is not None:
        owner = owner.cause
    owner.cause = node
    node.indent = owner.indent


def _message_continuation(lines: list[str], i: int, exception: ExceptionInfo) -> int:
    """A nested exception's message may span lines; they count only if frames follow."""
    n = len(lines)
    for k in range(i, min(n, i + _MAX_MESSAGE_LINES)):
        line = lines[k]
        if _frame(line) is not None or _nested(line) is not None or (_MORE.search(line) and "..." in line):
            if k > i:
                extra = "\n".join(dedent(lines[i:k], indent_of(lines[i - 1])))
                exception.value = f"{exception.value}\n{extra}" if exception.value else extra
            return k
        if not line.strip():
            break
    return i


def _flatten(node: _Node, relation: str | None) -> list[ExceptionInfo]:
    """Oldest first: a node's causes, then what it suppressed, then the node itself."""
    out: list[ExceptionInfo] = []
    if node.cause is not None:
        out.extend(_flatten(node.cause, "cause"))
    for member in node.suppressed:
        out.extend(_flatten(member, "suppressed"))
    node.exception.relation = relation
    node.exception.frames.reverse()
    out.append(node.exception)
    return out
