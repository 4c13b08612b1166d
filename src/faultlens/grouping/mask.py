"""Variable masking: the parts of a message that change between occurrences of one bug become `<*>`.

One combined pattern does the whole pass, because regex work (not the grouping itself) is
where the time of log grouping goes.
"""

from __future__ import annotations

import functools
import re

VARIABLE = "<*>"

_MASK = re.compile(
    r"""
      (?P<url>\b[a-z][a-z0-9+.-]*://[^\s"'<>()]+)
    | (?P<email>\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b)
    | (?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)
    | (?P<ipv6>\b(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}\b)
    | (?P<ipv4>\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b)
    | (?P<quoted>"[^"\n]{0,200}"|'[^'\n]{0,200}')
    | (?P<path>(?<![\w.])(?:[A-Za-z]:\\[\w.\\-]+
        |/(?:var|tmp|home|usr|etc|opt|srv|data|mnt|proc|dev|run|root|Users)(?:/[\w.@%+-]+)+/?
        |(?:/[\w@%+-]+)+/[\w@%+-]+\.[A-Za-z0-9]{1,5}\b))
    | (?P<hex>\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b)
    | (?P<idtoken>\b[A-Za-z]+[-_](?=[\w-]*\d)[\w-]*\d[\w-]*\b)
    | (?P<number>(?<![\w.])[-+]?\d+(?:[.,:]\d+)*(?:[eE][-+]?\d+)?(?:ms|s|us|ns|m|h|kb|mb|gb|b|%)?(?![\w.]))
    """,
    re.VERBOSE | re.IGNORECASE,
)
_RUNS = re.compile(r"(?:<\*>[\s,:;=/_-]*){2,}")


@functools.lru_cache(maxsize=4096)
def mask_message(message: str) -> str:
    """The message with its variables masked; consecutive variables fold into one.

    Remembered for the last few thousand messages: the exception values of one issue's events
    repeat (`'sku-1'`, `division by zero`), and the pattern is the costly part of grouping them.
    """
    masked = _MASK.sub(VARIABLE, message)
    if masked.count(VARIABLE) > 1:
        masked = _RUNS.sub(_fold_run, masked)
    return masked


def _fold_run(match: re.Match[str]) -> str:
    text = match.group(0)
    return VARIABLE + (" " if text.endswith(" ") else "")
