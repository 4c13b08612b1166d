"""Python tracebacks: chained causes, exception groups, worker tracebacks, faulthandler dumps.

Python prints the caller first and the raising frame last, and the root cause first, which is
already the order faultlens keeps: frames and chains are taken as printed.
"""

from __future__ import annotations

import keyword
import re

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.faulthandler import FAULTHANDLER_THREAD, faulthandler_start, parse_faulthandler
from faultlens.stacktrace.logline import dedent, is_record_boundary
from faultlens.stacktrace.python_frames import FRAME, parse_frame
from faultlens.stacktrace.trace import MAX_LINE, UNKNOWN_TYPE, ParsedTrace

LANGUAGE = "python"
MARKERS: tuple[str, ...] = ("Traceback (most recent call", 'File "', 'File \\"', "most recent call first")

_HEADER = "Traceback (most recent call last)"
_GROUP_HEADER = "Exception Group Traceback (most recent call last)"
_EXCEPTION = re.compile(r"(?P<type>[A-Za-z_][\w.]{0,255})(?::(?: (?P<value>.*)|$)|$)")
_REPEATED = re.compile(r"\[Previous line repeated (\d+) more times?\]")
_CARETS = re.compile(r"[\s^~]+")
_CHAINS = {
    "The above exception was the direct cause of the following exception:": "cause",
    "During handling of the above exception, another exception occurred:": "context",
}
_WRAPPER = re.compile(r"[A-Za-z_][\w.]{0,255}RemoteTraceback:\s*$")
_MAX_MESSAGE_LINES = 200


def find(lines: list[str]) -> list[ParsedTrace]:
    """Every Python traceback in the lines, each with the chain it prints."""
    found: list[ParsedTrace] = []
    i, n = 0, len(lines)
    floor = 0  # the end of the last trace: a wrapper above a traceback is never read twice
    while i < n:
        line = lines[i]
        trace = None
        if len(line) <= MAX_LINE and _starts_trace(line):
            if i - 2 >= floor and _is_remote_wrapper(lines, i - 2):
                trace = _trace_at(lines, i - 2)
            trace = trace or _trace_at(lines, i)
        if trace is None:
            i += 1
            continue
        found.append(trace)
        i = floor = trace.end_line
    return found


def _trace_at(lines: list[str], i: int) -> ParsedTrace | None:
    if "most recent call first" in lines[i]:
        exceptions, end = parse_faulthandler(lines, i)
        start = faulthandler_start(lines, i)
    else:
        exceptions, end = _parse_chain(lines, i)
        start = i
    return ParsedTrace(LANGUAGE, exceptions, start, end) if exceptions and end > i else None


def _starts_trace(line: str) -> bool:
    if _HEADER in line or _GROUP_HEADER in line:
        return True
    if "most recent call first" in line:
        return FAULTHANDLER_THREAD.search(line) is not None
    return 'File "' in line and FRAME.search(line) is not None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _skip_blank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _parse_chain(lines: list[str], i: int) -> tuple[list[ExceptionInfo], int]:
    """Tracebacks joined by "direct cause" / "during handling" markers, oldest first."""
    chain: list[ExceptionInfo] = []
    n = len(lines)
    while True:
        if _GROUP_HEADER in lines[i]:
            part, end = _parse_group(lines, i)
        elif _is_remote_wrapper(lines, i):
            part, end = _parse_wrapper(lines, i)
        else:
            part, end = _parse_traceback(lines, i)
        if not part:
            return chain, i if chain else end
        chain.extend(part)
        k = _skip_blank(lines, end)
        relation = _CHAINS.get(lines[k].strip()) if k < n else None
        if relation is None:
            return chain, end
        nxt = _skip_blank(lines, k + 1)
        if nxt >= n or not (_starts_trace(lines[nxt]) or _is_remote_wrapper(lines, nxt)):
            return chain, end
        chain[-1].relation = relation
        i = nxt


def _parse_traceback(lines: list[str], i: int) -> tuple[list[ExceptionInfo], int]:
    """One traceback: header, frames, then the exception line and its message.

    Returns the exception (preceded by any worker traceback embedded in its message) and the
    index just past it.
    """
    n = len(lines)
    has_header = _HEADER in lines[i]
    j = i + 1 if has_header else i
    frames: list[Frame] = []
    omitted = 0
    while j < n:
        line = lines[j]
        stripped = line.strip()
        match = FRAME.search(line) if 'File "' in line and len(line) <= MAX_LINE else None
        if match:
            frames.append(parse_frame(match))
            j = _skip_code_lines(lines, j + 1, _indent(line), frames[-1])
            continue
        repeated = _REPEATED.search(stripped) if stripped.startswith("[Previous") else None
        if repeated:
            omitted += int(repeated.group(1))
            j += 1
            continue
        if stripped == "..." and frames:
            j += 1
            continue
        break
    if not has_header and not frames:
        return [], i
    exception = _exception_line(lines[j]) if j < n and len(lines[j]) <= MAX_LINE else None
    if exception is None:
        if not frames:
            return [], i
        return [ExceptionInfo(type=UNKNOWN_TYPE, frames=frames, frames_omitted=omitted)], j
    exception.frames = frames
    exception.frames_omitted = omitted
    j += 1
    remote: list[ExceptionInfo] = []
    if not exception.value and j < n and lines[j].strip() == '"""':
        remote, j = _parse_remote(lines, j + 1)
    message, j = _message_lines(lines, j)
    if message:
        message = dedent(message, _indent(lines[j - len(message) - 1]))
        exception.value = "\n".join([exception.value, *message]) if exception.value else "\n".join(message)
    return [*remote, exception], j


def _skip_code_lines(lines: list[str], j: int, frame_indent: int, frame: Frame) -> int:
    """Step over the source and caret lines printed under a frame; keep the first as context."""
    n = len(lines)
    taken = 0
    while j < n and taken < 12:
        line = lines[j]
        stripped = line.strip()
        if not stripped or len(line) > MAX_LINE or 'File "' in line or stripped.startswith("[Previous"):
            break
        if _CARETS.fullmatch(stripped):
            j += 1
            continue
        deeper = _indent(line) > frame_indent
        exception_like = _EXCEPTION.fullmatch(stripped) is not None and not keyword.iskeyword(stripped)
        if not deeper and (taken or exception_like or _chain_marker(stripped)):
            break
        if stripped.startswith(("+", "|")) and not deeper:
            break
        if frame.context_line is None:
            frame.context_line = stripped
        taken += 1
        j += 1
    return j


def _chain_marker(stripped: str) -> bool:
    return stripped in _CHAINS or stripped.startswith(_HEADER)


def _exception_line(line: str) -> ExceptionInfo | None:
    stripped = line.strip()
    match = _EXCEPTION.fullmatch(stripped)
    if match is None:
        return None
    full = match.group("type")
    if full.endswith(".") or ".." in full:
        return None
    module, _, name = full.rpartition(".")
    return ExceptionInfo(type=name, value=(match.group("value") or "").rstrip(), module=module or None)


def _message_lines(lines: list[str], j: int) -> tuple[list[str], int]:
    """Lines continuing an exception message, up to a blank line or the next record."""
    message: list[str] = []
    n = len(lines)
    while j < n and len(message) < _MAX_MESSAGE_LINES:
        line = lines[j]
        stripped = line.strip()
        if (
            not stripped
            or len(line) > MAX_LINE
            or _chain_marker(stripped)
            or _GROUP_HEADER in line
            or is_record_boundary(line)
            or stripped.startswith(("+--", "+-+", "File \"", '"""'))
        ):
            break
        message.append(line.rstrip())
        j += 1
    return message, j


def _is_remote_wrapper(lines: list[str], i: int) -> bool:
    """An exception line with no message, then triple quotes: a worker traceback follows."""
    if i < 0 or i + 2 >= len(lines) or lines[i + 1].strip() != '"""':
        return False
    return _wrapper_exception(lines[i]) is not None and _HEADER in lines[i + 2]


def _wrapper_exception(line: str) -> ExceptionInfo | None:
    """The exception line above a quoted worker traceback, possibly behind a log prefix."""
    if len(line) > MAX_LINE:
        return None
    exception = _exception_line(line)
    if exception is None:
        match = _WRAPPER.search(line)
        exception = _exception_line(match.group(0)) if match else None
    return exception if exception is not None and not exception.value else None


def _parse_wrapper(lines: list[str], i: int) -> tuple[list[ExceptionInfo], int]:
    exception = _wrapper_exception(lines[i])
    assert exception is not None
    remote, j = _parse_remote(lines, i + 2)
    return [*remote, exception], j


def _parse_remote(lines: list[str], j: int) -> tuple[list[ExceptionInfo], int]:
    """A worker traceback quoted in triple quotes by multiprocessing or concurrent.futures."""
    n = len(lines)
    end = j
    while end < n and lines[end].strip() != '"""':
        end += 1
    if end >= n:
        return [], j - 1
    body = lines[j:end]
    k = _skip_blank(body, 0)
    chain: list[ExceptionInfo] = []
    if k < len(body) and _starts_trace(body[k]):
        chain, _ = _parse_chain(body, k)
    if chain:
        chain[-1].relation = "cause"
    return chain, end + 1


def _parse_group(lines: list[str], i: int) -> tuple[list[ExceptionInfo], int]:
    """An exception group box, drawn from the `+` of its header line (or the `|` below it)."""
    col = lines[i].find("+")
    below = lines[i + 1] if i + 1 < len(lines) else ""
    if below.lstrip().startswith("|"):
        col = _indent(below)
    return _parse_box(lines, i, col)


def _parse_box(lines: list[str], i: int, col: int) -> tuple[list[ExceptionInfo], int]:
    """A box: text lines behind `| ` at col, interrupted by the member boxes of any group in it.

    Python draws a group's members one level deeper (`+-+---- 1 ----` at col, their text at
    col + 2), so each member is itself a box, parsed the same way.
    """
    chain: list[ExceptionInfo] = []
    texts: list[str] = []
    j, n = i, len(lines)
    while j < n:
        line = lines[j]
        mark = _box_char(line, col)
        if mark == "|" or (j == i and _GROUP_HEADER in line):
            texts.append(line[col + 2 :])
            j += 1
            continue
        if mark == "+" and line[col : col + 3] == "+-+":
            head = _chain_from_texts(texts, chain)
            members, j = _parse_members(lines, j, col + 2)
            if head:
                chain.extend(head[:-1])
                chain.extend(members)
                chain.append(head[-1])
            else:
                chain.extend(members)
            texts = []
            continue
        break
    chain.extend(_chain_from_texts(texts, chain))
    return chain, j


def _parse_members(lines: list[str], j: int, col: int) -> tuple[list[ExceptionInfo], int]:
    """Member boxes after `+-+---- 1 ----`, each ended by the next separator or the closing line."""
    members: list[ExceptionInfo] = []
    n = len(lines)
    j += 1
    while j < n:
        member, j = _parse_box(lines, j, col)
        if member:
            member[-1].relation = "group"
            members.extend(member)
        if j < n and _box_char(lines[j], col) == "+":
            closing = lines[j].strip().strip("+-") == ""
            j += 1
            if closing:
                break
            continue
        break
    return members, j


def _chain_from_texts(texts: list[str], before: list[ExceptionInfo]) -> list[ExceptionInfo]:
    """Parse the unboxed text of a box; a leading chain marker links it to what came before."""
    k = _skip_blank(texts, 0)
    if k >= len(texts):
        return []
    relation = _CHAINS.get(texts[k].strip())
    if relation is not None:
        if before:
            before[-1].relation = relation
        k = _skip_blank(texts, k + 1)
        if k >= len(texts):
            return []
    plain = [text.replace(_GROUP_HEADER, _HEADER) for text in texts]
    if _starts_trace(plain[k]) or _is_remote_wrapper(plain, k):
        chain, _ = _parse_chain(plain, k)
        return chain
    exception = _exception_line(plain[k]) if len(plain[k]) <= MAX_LINE else None
    if exception is None:
        return []
    message, _ = _message_lines(plain, k + 1)
    if message:
        exception.value = "\n".join([exception.value, *message])
    return [exception]


def _box_char(line: str, col: int) -> str:
    """The box-drawing character at col, if only indentation comes before it."""
    if 0 <= col < len(line) and not line[:col].strip():
        return line[col]
    return ""
