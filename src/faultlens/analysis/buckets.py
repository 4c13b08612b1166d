"""Time buckets: a resolution chosen from the window so every chart has a readable number of points."""

from __future__ import annotations

from datetime import datetime, timedelta

BUCKET_SIZES = (60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)
TARGET_BUCKETS = 60


def choose_bucket(start: datetime | None, end: datetime | None) -> int:
    """The smallest size giving at most about 60 buckets over the window."""
    if start is None or end is None:
        return 60
    span = max((end - start).total_seconds(), 1.0)
    for size in BUCKET_SIZES:
        if span / size <= TARGET_BUCKETS:
            return size
    return BUCKET_SIZES[-1]


def floor_time(moment: datetime, size: int) -> datetime:
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % size, tz=moment.tzinfo)


def bucket_starts(start: datetime, end: datetime, size: int) -> list[datetime]:
    """Every bucket start from the one holding `start` to the one holding `end`."""
    first, last = floor_time(start, size), floor_time(end, size)
    count = int((last - first).total_seconds() // size) + 1
    return [first + timedelta(seconds=size * i) for i in range(count)]
