"""What of a stack trace identifies a problem: exception types and application frames.

Sentry's grouping taught that line numbers, addresses and generated names change with every
build while the problem stays the same, so they never enter the parts; only the types and
each in-app frame's (module or file name, function) do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from faultlens.model import ExceptionInfo, Frame

_VOLATILE = (
    (re.compile(r"/0x[0-9a-fA-F]+"), ""),
    (re.compile(r"\$\$Lambda\$?[\d/]*"), "$$Lambda"),
    (re.compile(r"\$\$(EnhancerBySpringCGLIB|FastClassBySpringCGLIB|SpringCGLIB)\$\$[0-9a-f]+"), r"$$\1"),
    (re.compile(r"\$Proxy\d+"), "$Proxy"),
    (re.compile(r"GeneratedMethodAccessor\d+"), "GeneratedMethodAccessor"),
    (re.compile(r"(d__|DisplayClass|b__)\d+(?:_\d+)?"), r"\1"),
    (re.compile(r"::h[0-9a-f]{16}$"), ""),
    (re.compile(r"\+0x[0-9a-fA-F]+"), ""),
    (re.compile(r"^async "), ""),
)


def stack_fingerprint_parts(exceptions: Sequence[ExceptionInfo]) -> list[str]:
    """One part per exception type and per in-app frame of the chain, oldest exception first.

    Frames whose `in_app` is unset count as in-app; when no frame of the chain is in-app
    (a crash inside a library), all frames count, so such traces still group by location.
    """
    frames_count = any(frame.in_app is not False for exc in exceptions for frame in exc.frames)
    parts: list[str] = []
    for exception in exceptions:
        name = f"{exception.module}.{exception.type}" if exception.module else exception.type
        parts.append(f"type:{name}")
        for frame in exception.frames:
            if frame.in_app is False and frames_count:
                continue
            parts.append(f"frame:{_where(frame)}:{_normalise(frame.function or '?')}")
    return parts


def _where(frame: Frame) -> str:
    if frame.module:
        return _normalise(frame.module)
    return _basename(frame.filename or frame.abs_path or "?")


@lru_cache(maxsize=65536)
def _basename(path: str) -> str:
    return re.split(r"[/\\]", path)[-1]


@lru_cache(maxsize=65536)
def _normalise(symbol: str) -> str:
    """Cached: the same functions and modules recur in every event of an issue."""
    for pattern, replacement in _VOLATILE:
        symbol = pattern.sub(replacement, symbol)
    return symbol
