"""Template filters: times, rates and counts as the pages show them. They return plain strings, which
the templates' autoescaping then escapes like any other value."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any


def when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value else "-"


def short(value: datetime | None) -> str:
    return f"{value:%m-%d %H:%M}" if value else "-"


def clock(value: datetime | None) -> str:
    return f"{value:%H:%M:%S}" if value else "-"


def pct(value: float | None) -> str:
    return f"{100 * value:.2f}%" if value is not None else "-"


def count(value: int | float | None) -> str:
    return f"{value:,.0f}" if value is not None else "-"


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


FILTERS: dict[str, Callable[..., Any]] = {"when": when, "short": short, "clock": clock, "pct": pct, "count": count,
                                          "ms": ms}
