"""Recognise the start of an ordinary log record, where a trace's free-form message must stop."""

from __future__ import annotations

import re

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
