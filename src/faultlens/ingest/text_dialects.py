"""Header layouts of plain-text logs, one regular expression each.

A file is sniffed once: the dialect whose header matches most of its first lines decodes
the whole file, so each line costs one anchored match. Named groups carry the fields:
`ts`, `level`, `logger`, `thread`, `mdc`, `host`, `app`, `pid`, `pri`, `msg`, and for access
logs `client`, `user`, `request`, `status`, `bytes`, `referer`, `agent`, `trailer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TS = r"(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d| ?UTC)?)"
_LVL = r"(?P<level>[A-Za-z]{3,9})"


@dataclass(frozen=True, slots=True)
class Dialect:
    """One plain-text header layout; `has_level` tells whether the header names the level."""

    name: str
    pattern: re.Pattern[str]
    has_level: bool = True


def _d(name: str, pattern: str, has_level: bool = True) -> Dialect:
    return Dialect(name, re.compile(pattern), has_level)


ACCESS_LOG = _d(
    "access-log",
    r'(?P<client>[^\s\[\]"]+) \S+ (?P<user>\S+) \[(?P<ts>[^\]]{10,40})\] "(?P<request>[^"]*)" (?P<status>\d{3}) '
    r'(?P<bytes>\d+|-)(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?(?P<trailer>.*)',
    has_level=False,
)

DIALECTS: tuple[Dialect, ...] = (
    _d("syslog-5424", r"<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<pid>\S+) \S+ "
       r"(?:-|(?:\[[^\]]*\])+) ?(?P<msg>.*)", has_level=False),
    _d("syslog-3164", r"(?:<(?P<pri>\d{1,3})>)?(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) "
       r"(?P<app>[^\s:\[]+)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)", has_level=False),
    ACCESS_LOG,
    _d("nginx-error", r"(?P<ts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(?P<level>\w+)\] (?P<pid>\d+)#\d+: (?P<msg>.*)"),
    _d("apache-error", r"\[(?P<ts>[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d [\d:.]+ \d{4})\] \[(?:[\w-]+:)?(?P<level>\w+)\]"
       r"(?: \[pid (?P<pid>\d+)[^\]]*\])?(?: \[client (?P<client>[^\]]+)\])? ?(?P<msg>.*)"),
    _d("rails", r"[DIWEFU], \[(?P<ts>\S+) #(?P<pid>\d+)\]\s+(?P<level>\w+) -- (?P<logger>[^:]*): (?P<msg>.*)"),
    _d("spring-boot", _TS + r"\s+" + _LVL + r"\s+(?P<pid>\d+)\s+---\s+(?:\[(?P<app>[^\]]*)\]\s+)?"
       r"\[\s*(?P<thread>[^\]]*)\]\s+(?P<logger>\S+)\s+:\s(?P<msg>.*)"),
    _d("log4j-mdc", _TS + r"\s+" + _LVL + r"\s+\[(?P<thread>[^\]]*)\]\s+\[(?P<mdc>[^\]]*)\]\s+(?P<logger>\S+)\s+-\s"
       r"(?P<msg>.*)"),
    _d("log4j", _TS + r"\s+" + _LVL + r"\s+\[(?P<thread>[^\]]*)\]\s+(?P<logger>\S+)\s+-\s(?P<msg>.*)"),
    _d("logback", _TS + r"\s+\[(?P<thread>[^\]]*)\]\s+" + _LVL + r"\s+(?P<logger>\S+)\s+-\s(?P<msg>.*)"),
    _d("python-dashes", _TS + r"\s+-\s+(?P<logger>\S+)\s+-\s+" + _LVL + r"\s+-\s(?P<msg>.*)"),
    _d("python-colons", _TS + r"[:\s]+" + _LVL + r":(?P<logger>[^:\s]*):(?P<msg>.*)"),
    _d("python-bracketed", _TS + r"\s+" + _LVL + r"\s+\[(?P<logger>[^\]]*)\]\s(?P<msg>.*)"),
    _d("python-named", _TS + r"\s+" + _LVL + r"\s+(?P<logger>[\w.\-]+):\s(?P<msg>.*)"),
    _d("flask", r"\[" + _TS + r"\]\s+" + _LVL + r"\s+in\s+(?P<logger>[^:]+):\s(?P<msg>.*)"),
    _d("env-logger", r"\[" + _TS + r"\s+" + _LVL + r"\s+(?P<logger>[^\]]+)\]\s(?P<msg>.*)"),
    _d("zap-console", _TS + r"\t" + _LVL + r"\t(?P<msg>.*)"),
    _d("klog", r"(?P<level>[IWEF])(?P<ts>\d{4} \d\d:\d\d:\d\d\.\d+)\s+(?P<pid>\d+) (?P<logger>[^\]\s]+)\] (?P<msg>.*)"),
    _d("python-basic", r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):(?P<logger>[^:]*):(?P<msg>.*)"),
    _d("go-log", r"(?P<ts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (?P<msg>.*)", has_level=False),
    _d("iso-level", r"\[?" + _TS + r"\]?\s+\[?" + _LVL + r"\]?[\s:]+(?P<msg>.*)"),
)

ISO_ANY = _d("iso", r"\[?" + _TS + r"\]?[\s:|-]*(?P<msg>.*)", has_level=False)
"""Any line that starts with an ISO-8601 time: the fallback header of every text file."""

BY_NAME: dict[str, Dialect] = {d.name: d for d in (*DIALECTS, ISO_ANY)}

_KEYWORD_LEVEL = re.compile(r"\b(fatal|panic|critical|emerg|error|exception|traceback|warn(?:ing)?)\b", re.IGNORECASE)
_KEYWORD_MAP = {"fatal": "fatal", "panic": "fatal", "critical": "fatal", "emerg": "fatal", "error": "error",
                "exception": "error", "traceback": "error", "warn": "warning", "warning": "warning"}


def infer_level(message: str) -> str:
    """Guess a level from words in a message whose header names none."""
    match = _KEYWORD_LEVEL.search(message, 0, 240)
    if match is None:
        return "info"
    return _KEYWORD_MAP[match.group(1).lower()]
