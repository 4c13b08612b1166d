"""Format detection: look at a file's first lines and pick the decoder for all of it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from faultlens.errors import UsageError
from faultlens.ingest.decode_json import is_json_object_line, parse_json_line
from faultlens.ingest.decode_logfmt import looks_like_logfmt
from faultlens.ingest.text_dialects import BY_NAME, DIALECTS, ISO_ANY, Dialect

SAMPLE_LINES = 200
CRI_LINE = re.compile(r"(?P<ts>\d{4}-\d\d-\d\dT\S+) (?P<stream>stdout|stderr) (?P<tag>[PF]) ?(?P<msg>.*)")

CONTAINER_FORMATS = ("docker", "cri")
STRUCTURED_FORMATS = ("json", "logfmt")
TRACE_FORMATS = ("otlp-json", "otlp-proto", "zipkin", "jaeger")
"""Trace exports: recognised from an input's first bytes, before it is split into lines (ingest/traces_input.py)."""
FORMAT_NAMES: tuple[str, ...] = ("auto", *STRUCTURED_FORMATS, *CONTAINER_FORMATS, "text", *TRACE_FORMATS, *BY_NAME)


@dataclass(frozen=True, slots=True)
class Detected:
    """What a file holds: a format name and, for plain text, its header dialect."""

    format: str
    dialect: Dialect | None = None


def sniff(lines: list[str]) -> Detected:
    """Detect the format of a file from its first lines."""
    sample = [line.rstrip("\r") for line in lines[: SAMPLE_LINES * 4] if line.strip()][:SAMPLE_LINES]
    if not sample:
        return Detected("text")
    json_objects = [obj for obj in (parse_json_line(line) for line in sample[:50] if is_json_object_line(line))
                    if obj is not None]
    if len(json_objects) * 2 >= min(len(sample), 50):
        if all("log" in obj and "stream" in obj for obj in json_objects[:5]):
            return Detected("docker")
        return Detected("json")
    if sum(1 for line in sample if CRI_LINE.match(line)) * 2 >= len(sample):
        return Detected("cri")
    if sum(1 for line in sample if looks_like_logfmt(line)) * 2 >= len(sample):
        return Detected("logfmt")
    return Detected("text", sniff_dialect(sample))


def sniff_dialect(sample: list[str]) -> Dialect | None:
    """The header dialect matching most lines; the first listed wins a tie, as it is the more specific."""
    best: Dialect | None = None
    best_count = 0
    for dialect in DIALECTS:
        match = dialect.pattern.match
        count = sum(1 for line in sample if match(line))
        if count > best_count:
            best, best_count = dialect, count
    if best is None and any(ISO_ANY.pattern.match(line) for line in sample):
        return ISO_ANY
    return best


def forced(name: str) -> Detected:
    """The format a user named with --input-format."""
    if name in STRUCTURED_FORMATS or name in CONTAINER_FORMATS:
        return Detected(name)
    if name == "text":
        return Detected("text", None)
    if name in BY_NAME:
        return Detected("text", BY_NAME[name])
    raise UsageError(f"unknown input format {name!r}; expected one of: {', '.join(FORMAT_NAMES)}")
