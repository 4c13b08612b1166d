"""Undo what logs, terminals, JSON and markdown do to a stack trace before a parser sees it.

Parsers then read clean lines; each keeps the index of the original line it came from, so a
trace found in a flattened or JSON-escaped line still points at the line where it was written.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import orjson

_ANSI = re.compile(r"\x1b\[[0-?]{0,32}[ -/]{0,8}[@-~]")
_FENCE = re.compile(r"\s{0,8}(?:```|~~~)[\w+#.-]{0,32}\s*")
_MARKDOWN_ESCAPE = re.compile(r"\\([_*<>\[\]#`])")
_FLAT_ESCAPE = re.compile(r"\\([nrt\"\\/])")
_FLAT_CHARS = {"n": "\n", "r": "", "t": "\t", '"': '"', "\\": "\\", "/": "/"}
_HTML_ENTITIES = ("&lt;", "&gt;", "&quot;", "&#39;", "&#x27;", "&amp;")

MAX_EXPAND = 1 << 20
"""A flattened line longer than this is left alone: decoding it would cost more than it tells."""


@dataclass(slots=True)
class Lines:
    """Clean lines and, for each, the index of the line of the original text it came from."""

    lines: list[str]
    origin: list[int]


def split_lines(text: str) -> Lines:
    """Split text into clean lines: colours, CRLF, code fences, escapes and flattening undone."""
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "\xa0" in text:
        text = text.replace("\xa0", " ")
    lines: list[str] = []
    origin: list[int] = []
    for index, raw in enumerate(text.split("\n")):
        line = raw[:-1] if raw.endswith("\r") else raw
        parts = _expand_flattened(line) if "\\n" in line and len(line) <= MAX_EXPAND else None
        for part in parts or [line]:
            lines.append(_clean(part))
            origin.append(index)
    return Lines(lines, origin)


_FLATTENED_HINTS = (
    "\\n  File ", "\\nFile ", "Traceback (most recent call", "\\n    at ", "\\n   at ", "\\n  at ", "\\tat ",
    "\\nat ", "goroutine ", "panicked at", "\\n#", ":in `", ":in '", "Stack trace:", "\\tfrom ", "** (",
    "Sanitizer", "\\n    #", ")[0x", "** exception", "Fatal error:", "terminate called", "runtime error:",
    "most recent call first", "Exception in thread", "Unhandled exception", "Unhandled Exception",
    "    at ", "terminating in do_boot",
)
"""Pieces of trace syntax that show a line with literal `\\n` is a flattened trace, not a message."""


def _looks_flattened(line: str) -> bool:
    return any(hint in line for hint in _FLATTENED_HINTS)


def _clean(line: str) -> str:
    """Blank out markdown fences and undo markdown and HTML escapes within one line."""
    if "\r" in line:
        line = line.replace("\r", "")
    if ("```" in line or "~~~" in line) and _FENCE.fullmatch(line):
        return ""
    if "\\" in line and _has_markdown_escape(line):
        line = _MARKDOWN_ESCAPE.sub(r"\1", line)
    if "&" in line and any(entity in line for entity in _HTML_ENTITIES):
        line = html.unescape(line)
    return line


def _has_markdown_escape(line: str) -> bool:
    return "\\_" in line or "\\*" in line or "\\<" in line or "\\[" in line


def _expand_flattened(line: str) -> list[str] | None:
    """Split a line holding a trace with literal `\\n`: a JSON record, or a flattened string.

    A JSON record is decoded and its multi-line string values taken; any other line is
    unescaped only when it shows trace syntax, so a message that merely quotes a newline stays.
    """
    start = line.find("{")
    if start != -1 and line.rstrip().endswith("}"):
        try:
            record = orjson.loads(line[start:])
        except orjson.JSONDecodeError:
            record = None
        if record is not None:
            texts: list[str] = []
            _collect_multiline(record, texts, 0)
            if texts:
                return [part for text in texts for part in text.split("\n")]
    if not _looks_flattened(line):
        return None
    unescaped = _FLAT_ESCAPE.sub(lambda m: _FLAT_CHARS[m.group(1)], line)
    return unescaped.split("\n")


def _collect_multiline(value: Any, out: list[str], depth: int) -> None:
    """Gather the string values that span several lines, depth first, in document order."""
    if depth > 32:
        return
    if isinstance(value, str):
        if "\n" in value:
            out.append(value.replace("\r", ""))
    elif isinstance(value, dict):
        for item in value.values():
            _collect_multiline(item, out, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _collect_multiline(item, out, depth + 1)
