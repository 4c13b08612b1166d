"""logfmt decoder: `key=value key="quoted value"` lines (Go's slog, logrus, Heroku)."""

from __future__ import annotations

import re

from faultlens.ingest.fieldmap import peek
from faultlens.ingest.levels import normalize_level
from faultlens.ingest.record import Record

_PAIR = re.compile(r'(?<!\S)([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)')
"""A key starts a token: without the look-behind every character of a long word without `=` would start a
scan to its end, and sniffing a line of a megabyte would take an hour (benchmarks/regex_linearity.py)."""
_ESCAPES = {"\\n": "\n", "\\t": "\t", '\\"': '"', "\\\\": "\\"}
_ESCAPE = re.compile(r'\\[nt"\\]')


def parse_logfmt(line: str) -> dict[str, str]:
    """Parse one logfmt line into its pairs; a bare word is ignored."""
    fields: dict[str, str] = {}
    for key, raw in _PAIR.findall(line):
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], raw[1:-1])
        fields[key] = raw
    return fields


def looks_like_logfmt(line: str) -> bool:
    pairs = _PAIR.findall(line)
    if len(pairs) < 2 or not line.lstrip().startswith(pairs[0][0] + "="):
        return False
    keys = {k for k, _ in pairs}
    return bool(keys & {"level", "lvl", "msg", "message", "time", "ts", "t", "severity"})


def decode_logfmt_line(path: str, line_no: int, line: str) -> Record | None:
    """A logfmt record, or None for a line that continues the one above (a stack frame)."""
    if not looks_like_logfmt(line):
        return None
    fields: dict[str, object] = dict(parse_logfmt(line))
    level = normalize_level(peek(fields, "level"))
    if level is None:
        level = "info"
        fields["_level_inferred"] = True
    message = peek(fields, "message")
    return Record(path, line_no, "logfmt", str(message or ""), level, peek(fields, "timestamp"), fields)
