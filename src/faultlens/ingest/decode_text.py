"""Plain-text decoder: one header dialect per file, everything else continues the record above."""

from __future__ import annotations

import re
from http import HTTPStatus

from faultlens.ingest.levels import normalize_level, syslog_level
from faultlens.ingest.record import Record
from faultlens.ingest.text_dialects import ACCESS_LOG, ISO_ANY, Dialect, infer_level
from faultlens.times import DEFAULT_YEAR

_CONTINUATION = re.compile(
    r"\s|Caused by:|Suppressed:|\.\.\. \d+ (?:more|common frames omitted)|Traceback \(most recent call last\)|"
    r"During handling of the above exception|The above exception was the direct cause|goroutine \d+ \[|"
    r"created by |\[signal |panic: |\}\s*$|\]\s*$"
)
"""Lines that continue a record even in a file with no header layout (raw text)."""

_PY_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Group)\b|[A-Za-z_][\w.]*:")


class TextDecoder:
    """Decode lines of one plain-text file with the dialect sniffed for it.

    A line matching the dialect, or starting with an ISO-8601 time, starts a record; any
    other line continues the record above. With no dialect (raw text), a line starts a
    record unless it is indented or is part of a stack trace.
    """

    def __init__(self, path: str, dialect: Dialect | None) -> None:
        self.path = path
        self.dialect = dialect
        self.format = dialect.name if dialect else "text"
        self._match = dialect.pattern.match if dialect else None
        self._in_python_traceback = False

    def decode(self, line_no: int, line: str) -> Record | None:
        if line.endswith("\r"):
            line = line[:-1]
        if self._match is not None:
            match = self._match(line)
            if match is not None:
                return self._record(line_no, match, self.dialect)  # type: ignore[arg-type]
            if line[:1].isdigit() or line[:1] == "[":
                match = ISO_ANY.pattern.match(line)
                if match is not None:
                    return self._record(line_no, match, ISO_ANY)
            return None
        return self._decode_raw(line_no, line)

    def orphan(self, line_no: int, line: str) -> Record:
        """A continuation line with no record above it becomes a raw record of its own."""
        line = line.rstrip("\r")
        return Record(self.path, line_no, "text", line, infer_level(line), fields={"_level_inferred": True})

    def _decode_raw(self, line_no: int, line: str) -> Record | None:
        if not line.strip():
            return None
        if _CONTINUATION.match(line):
            self._in_python_traceback = self._in_python_traceback or line.startswith("Traceback")
            return None
        if self._in_python_traceback:
            self._in_python_traceback = False
            if _PY_EXCEPTION_LINE.match(line):
                return None
        match = ISO_ANY.pattern.match(line)
        if match is not None:
            return self._record(line_no, match, ISO_ANY)
        return Record(self.path, line_no, "text", line, infer_level(line), fields={"_level_inferred": True})

    def _record(self, line_no: int, match: re.Match[str], dialect: Dialect) -> Record:
        """The level and time now; the other header fields wait for `expand_header` (most lines are only counted)."""
        if dialect is ACCESS_LOG:
            status = int(match.group("status"))
            return Record(self.path, line_no, "access-log", "", "error" if status >= 500 else "info",
                          match.group("ts"), header=match)
        groups = match.re.groupindex
        message = match.group("msg")
        level = normalize_level(match.group("level")) if "level" in groups else None
        inferred = False
        if level is None and "pri" in groups and match.group("pri"):
            level = syslog_level(int(match.group("pri")))
        if level is None:
            level = infer_level(message)
            inferred = True
        ts = match.group("ts")
        if dialect.name == "klog" and ts:
            ts = f"{DEFAULT_YEAR}-{ts[:2]}-{ts[2:4]} {ts[5:]}"
        record = Record(self.path, line_no, dialect.name, message, level, ts, header=match)
        if inferred:
            record.fields["_level_inferred"] = True
        return record


def expand_header(record: Record) -> None:
    """Move a text record's header groups into its fields (and, for access logs, build the message)."""
    match = record.header
    if match is None:
        return
    record.header = None
    if record.format == "access-log":
        message, fields = _access_fields(match)
        record.message = message
        record.fields.update(fields)
        return
    for key, value in match.groupdict().items():
        if value is not None and key not in ("msg", "ts", "level"):
            record.fields[key] = value


def _access_fields(match: re.Match[str]) -> tuple[str, dict[str, object]]:
    """An access-log line's request: method, path, status, client, and trailing duration and request id."""
    groups = match.groupdict()
    status = int(groups["status"])
    request = groups.get("request") or ""
    method, _, rest = request.partition(" ")
    target = rest.rsplit(" ", 1)[0] if " " in rest else rest
    fields: dict[str, object] = {
        "http.method": method or None,
        "http.path": target or None,
        "http.status_code": status,
        "client.ip": groups.get("client"),
        "user_agent": groups.get("agent"),
        "referer": groups.get("referer"),
    }
    user = groups.get("user")
    if user and user != "-":
        fields["user.id"] = user
    for token in (groups.get("trailer") or "").split():
        if token == "-":
            continue
        key, eq, value = token.partition("=")
        if eq:
            fields[key] = value
        elif _is_float(token) and "duration_ms" not in fields:
            fields["duration_ms"] = float(token) * 1000.0
        elif "correlation_id" not in fields:
            fields["correlation_id"] = token
    phrase = _STATUS_PHRASES.get(status, "")
    message = f"{method} {target} {status} {phrase}".rstrip() if method else f"{request} {status} {phrase}".rstrip()
    return message, {k: v for k, v in fields.items() if v not in (None, "-", "")}


_STATUS_PHRASES = {s.value: s.phrase for s in HTTPStatus}
"""The reason phrase keeps statuses apart once numbers are masked for grouping: 502 Bad Gateway is not 500."""


def _is_float(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True
