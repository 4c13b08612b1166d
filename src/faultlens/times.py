"""Timestamps in the shapes logs write them, parsed to aware UTC datetimes.

ISO 8601 goes through `datetime.fromisoformat` (C speed); the other shapes are cached by
their text, because a busy log repeats the same second many times.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                         "dec"), start=1)}
_CACHE: dict[str, datetime | None] = {}
_CACHE_LIMIT = 200_000

_CLF = re.compile(r"(\d{1,2})/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*([+-]\d{4})?")
_SYSLOG = re.compile(r"(\w{3})\s+(\d{1,2})\s+(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:\s+(\d{4}))?")
_SLASHED = re.compile(r"(\d{4})/(\d\d)/(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?")
_CTIME = re.compile(r"\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s+(\d{4})")

DEFAULT_YEAR = datetime.now(UTC).year
"""Syslog's RFC 3164 stamps carry no year; the current one is the best guess."""


def parse_timestamp(value: object) -> datetime | None:
    """Parse a timestamp of any common shape; None when it is not one."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    text = str(value).strip()
    if not text:
        return None
    if text[0].isdigit() and len(text) >= 10 and text[4:5] == "-":
        parsed = _parse_iso(text)
        if parsed is not None:
            return parsed
    cached = _CACHE.get(text, _MISSING)
    if cached is not _MISSING:
        return cached  # type: ignore[return-value]
    result = _plausible(_parse_other(text))
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[text] = result
    return result


_MISSING = object()
_MINUTES: dict[str, datetime | None] = {}


def minute_of(value: object) -> datetime | None:
    """The minute a timestamp falls in, cached by the text without its seconds.

    Counting every line per minute must cost little more than a dict lookup; only the first
    line of each minute (and offset) is parsed in full.
    """
    if not isinstance(value, str) or len(value) < 16:
        stamp = parse_timestamp(value)
        return stamp.replace(second=0, microsecond=0) if stamp else None
    if value[4] == "-" or value[4] == "/":
        key = value[:16] + value[19:].lstrip(".,0123456789")
    elif value[2] == "/":  # 28/Nov/2026:14:05:32 +0000
        key = value[:17] + value[20:]
    else:
        key = value
    cached = _MINUTES.get(key, _MISSING)
    if cached is _MISSING:
        stamp = parse_timestamp(value)
        cached = stamp.replace(second=0, microsecond=0) if stamp else None
        if len(_MINUTES) >= _CACHE_LIMIT:
            _MINUTES.clear()
        _MINUTES[key] = cached
    return cached  # type: ignore[return-value]


def _parse_iso(text: str) -> datetime | None:
    candidate = text.replace(",", ".", 1) if "," in text else text
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        parsed = _parse_iso_loose(candidate)
        if parsed is None:
            return None
    if parsed.tzinfo is None:
        return _plausible(parsed.replace(tzinfo=UTC))
    try:
        return _plausible(parsed.astimezone(UTC))
    except OverflowError:  # year 1 with an offset east of UTC
        return None


def _plausible(stamp: datetime | None) -> datetime | None:
    """A log's time lies between 1970 and 2200; outside, it is a damaged stamp and the event takes the fallback
    time, so no later arithmetic (buckets, windows) runs past year 1 or 9999."""
    return stamp if stamp is not None and 1970 <= stamp.year < 2200 else None


def _parse_iso_loose(text: str) -> datetime | None:
    """ISO stamps Python rejects: more than 6 fraction digits, or a ' UTC' suffix."""
    match = re.match(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:\.(\d+))?\s*(Z|UTC|[+-]\d\d:?\d\d)?$", text)
    if not match:
        return None
    base, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone in (None, "Z", "UTC") else zone
    try:
        return datetime.fromisoformat(f"{base}.{micro}{zone}")
    except ValueError:
        return None


def _from_epoch(number: float) -> datetime | None:
    """Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude."""
    if number != number or number in (float("inf"), float("-inf")):
        return None
    for divisor in (1, 1e3, 1e6, 1e9):
        seconds = number / divisor
        if seconds < 1e10:
            if seconds < 1e8:  # before 1973: not a log timestamp
                return None
            return datetime.fromtimestamp(seconds, tz=UTC)
    return None


def _parse_other(text: str) -> datetime | None:
    if text.replace(".", "", 1).isascii() and text.replace(".", "", 1).isdigit():
        return _from_epoch(float(text))
    match = _CLF.match(text)
    if match:
        day, month, year, hh, mm, ss, frac, zone = match.groups()
        return _build(int(year), month, int(day), hh, mm, ss, frac, zone)
    match = _SLASHED.match(text)
    if match:
        year, month_num, day, hh, mm, ss, frac = match.groups()
        try:
            return datetime(int(year), int(month_num), int(day), int(hh), int(mm), int(ss),
                            _micro(frac), tzinfo=UTC)
        except (ValueError, OverflowError):
            return None
    match = _CTIME.match(text)
    if match:
        month, day, hh, mm, ss, frac, year = match.groups()
        return _build(int(year), month, int(day), hh, mm, ss, frac, None)
    match = _SYSLOG.match(text)
    if match:
        month, day, hh, mm, ss, frac, year = match.groups()
        return _build(int(year) if year else DEFAULT_YEAR, month, int(day), hh, mm, ss, frac, None)
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _build(year: int, month: str, day: int, hh: str, mm: str, ss: str, frac: str | None,
           zone: str | None) -> datetime | None:
    month_num = _MONTHS.get(month[:3].lower())
    if month_num is None:
        return None
    try:
        stamp = datetime(year, month_num, day, int(hh), int(mm), int(ss), _micro(frac), tzinfo=UTC)
        if zone:
            sign = 1 if zone[0] == "+" else -1
            stamp -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
    except (ValueError, OverflowError):  # a day or year of fifty digits, or a zone that leaves year 1
        return None
    return stamp


def _micro(fraction: str | None) -> int:
    return int((fraction or "0")[:6].ljust(6, "0"))
