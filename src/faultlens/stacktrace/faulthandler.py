"""Python faulthandler dumps: a fatal error line, then frames printed innermost first."""

from __future__ import annotations

import re

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.python_frames import FRAME, parse_frame
from faultlens.stacktrace.trace import MAX_LINE

FAULTHANDLER_THREAD = re.compile(r"(?:Current thread|Thread) 0x[0-9a-fA-F]+ .{0,64}\(most recent call first\):")


def faulthandler_start(lines: list[str], i: int) -> int:
    """faulthandler writes "Fatal Python error: ..." a line or two above the thread header."""
    for k in range(i - 1, max(-1, i - 4), -1):
        if "Fatal Python error:" in lines[k]:
            return k
    return i


def parse_faulthandler(lines: list[str], i: int) -> tuple[list[ExceptionInfo], int]:
    """A faulthandler dump: frames printed innermost first, the fatal error a few lines above."""
    start = faulthandler_start(lines, i)
    value = lines[start].split("Fatal Python error:", 1)[1].strip() if start != i else ""
    frames: list[Frame] = []
    j = i + 1
    while j < len(lines):
        line = lines[j]
        match = FRAME.search(line) if 'File "' in line and len(line) <= MAX_LINE else None
        if not match:
            break
        frames.append(parse_frame(match))
        j += 1
    if not frames:
        return [], i
    frames.reverse()
    return [ExceptionInfo(type="Fatal Python error", value=value, frames=frames)], j
