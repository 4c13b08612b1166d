"""JSON-lines decoder: one object per line, in any of the common producers' schemas."""

from __future__ import annotations

from typing import Any

import orjson

from faultlens.ingest.fieldmap import flatten, peek
from faultlens.ingest.levels import normalize_level
from faultlens.ingest.record import Record


def is_json_object_line(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith("{") and stripped.rstrip().endswith("}")


def decode_json_object(path: str, line_no: int, obj: dict[str, Any], fmt: str = "json") -> Record:
    """Build a Record from a parsed object: the level, time and message are found now, the rest later."""
    fields = flatten(obj)
    if fields.get("v") == 0 and "hostname" in fields and isinstance(fields.get("name"), str):
        fields.setdefault("service", fields.pop("name"))  # Bunyan: "name" is the application
    level = normalize_level(peek(fields, "level"))
    if level is None:
        level = "error" if peek(fields, "error.type") or peek(fields, "error.stack") else "info"
        fields["_level_inferred"] = True
    message = peek(fields, "message")
    return Record(path, line_no, fmt, message if isinstance(message, str) else _compact(message), level,
                  peek(fields, "timestamp"), fields)


def parse_json_line(line: str) -> dict[str, Any] | None:
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def _compact(value: Any) -> str:
    if value is None:
        return ""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)
