"""Level names as producers write them, mapped onto faultlens's five levels."""

from __future__ import annotations

LEVEL_ALIASES: dict[str, str] = {
    "trace": "debug", "debug": "debug", "dbg": "debug", "verbose": "debug", "finest": "debug", "finer": "debug",
    "fine": "debug", "d": "debug", "trc": "debug",
    "info": "info", "information": "info", "informational": "info", "notice": "info", "inf": "info", "i": "info",
    "config": "info", "default": "info", "log": "info",
    "warn": "warning", "warning": "warning", "wrn": "warning", "w": "warning",
    "error": "error", "err": "error", "severe": "error", "e": "error", "eror": "error",
    "fatal": "fatal", "critical": "fatal", "crit": "fatal", "alert": "fatal", "emerg": "fatal", "emergency": "fatal",
    "panic": "fatal", "dpanic": "fatal", "f": "fatal", "ftl": "fatal", "c": "fatal",
}

NUMERIC_LEVELS: tuple[tuple[int, str], ...] = ((60, "fatal"), (50, "error"), (40, "warning"), (30, "info"))
"""Bunyan and Pino write levels as numbers (10 trace … 60 fatal); Python's logging uses 10 … 50."""

SYSLOG_SEVERITY: tuple[str, ...] = ("fatal", "fatal", "fatal", "error", "warning", "info", "info", "debug")


_SEEN: dict[str, str | None] = {}


def normalize_level(value: object) -> str | None:
    """Map a producer's level (a name or a number) onto debug, info, warning, error or fatal."""
    if isinstance(value, str):
        found = _SEEN.get(value, "")
        if found != "":
            return found
        if len(_SEEN) < 1000:
            _SEEN[value] = _normalize(value)
            return _SEEN[value]
    return _normalize(value)


def _normalize(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _numeric_level(int(value))
    text = str(value).strip().lower()
    found = LEVEL_ALIASES.get(text)
    if found is None and text.isdigit():
        return _numeric_level(int(text))
    return found


def _numeric_level(number: int) -> str:
    for threshold, name in NUMERIC_LEVELS:
        if number >= threshold:
            return name
    return "debug" if number < 20 else "info"


def syslog_level(priority: int) -> str:
    """The level a syslog PRI value carries in its low three bits."""
    return SYSLOG_SEVERITY[priority & 7]
