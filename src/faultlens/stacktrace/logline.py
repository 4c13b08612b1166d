"""Recognise the start of an ordinary log record, where a trace's free-form message must stop."""

from __future__ import annotations

import re
from collections.abc import Callable

from faultlens.model import ExceptionInfo

_LOG_HEADER = re.compile(
    r"""\s{0,4}[\[(]?(?:
        \d{4}[-/]\d\d[-/]\d\d[ T]\d\d:\d\d      # 2024-05-01 12:00 / 2024-05-01T12:00
      | \d\d:\d\d:\d\d[.,]\d                     # 12:00:00.123
      | [A-Z][a-z]{2}\ [ \d]\d\ \d\d:\d\d        # May  1 12:00 (syslog)
      | [IWEF]\d{4}\ \d\d:\d\d                   # I0501 12:00 (glog)
      | (?:DEBUG|INFO|WARN|WARNING|ERROR|CRITICAL|FATAL|TRACE)[\]:\s]
    )""",
    re.VERBOSE,
)


def is_log_header(line: str) -> bool:
    """True when the line opens a new log record (timestamp or level first)."""
    return _LOG_HEADER.match(line) is not None


_TRACE_OPENERS = (
    "Traceback (most recent call",
    "Exception in thread ",
    "Caused by: ",
    "panic: ",
    "fatal error: ",
    "goroutine ",
    "thread '",
    "Unhandled exception",
    "Unhandled Exception",
    "PHP Fatal error",
    "Fatal error: ",
    "node:",
    "at ",
    "==",
    "** (",
)


def is_record_boundary(line: str) -> bool:
    """True when the line cannot continue a message: a new log record or another trace begins."""
    return line.lstrip().startswith(_TRACE_OPENERS) or is_log_header(line)


def dedent(lines: list[str], width: int) -> list[str]:
    """Continuation lines without the indentation their first line had, so values stay the same."""
    out: list[str] = []
    for line in lines:
        strip = min(width, len(line) - len(line.lstrip()))
        out.append(line[strip:].rstrip())
    return out


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())


def find_header(lines: list[str], trigger: int, floor: int, is_frame: Callable[[str], object],
                header_of: Callable[[str], ExceptionInfo | None], max_lines: int) -> tuple[ExceptionInfo | None, int]:
    """Walk up from a trace's first frame to its exception line; the lines between continue its message.

    Returns the exception and its line index, or None and `trigger` when no header is within reach.
    """
    for k in range(trigger - 1, max(floor, trigger - max_lines) - 1, -1):
        line = lines[k]
        if not line.strip() or is_frame(line) is not None:
            break
        header = header_of(line)
        if header is not None:
            extra = dedent(lines[k + 1 : trigger], indent_of(line))
            if extra:
                header.value = "\n".join([header.value, *extra]) if header.value else "\n".join(extra)
            return header, k
    return None, trigger
