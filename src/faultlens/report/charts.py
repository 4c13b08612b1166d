"""Inline SVG charts: an issue's events over time with deploy markers, drawn without any script.

The HTML report must open anywhere, offline, with nothing fetched; plain SVG does that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT, PAD = 640, 120, 24


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True, slots=True)
class Marker:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    """Geometry of one bar chart, ready for the template to draw."""

    width: int
    height: int
    bars: list[Bar]
    markers: list[Marker]
    peak: int
    start: str
    end: str


def bar_chart(series: list[tuple[datetime, int]], markers: list[tuple[datetime, str]]) -> Chart | None:
    """Bars for each bucket of `series`, and a vertical marker at each (time, label) inside the window."""
    if not series:
        return None
    start, end = series[0][0], series[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    peak = max(count for _, count in series) or 1
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = inner_w / len(series)
    bars = []
    for index, (moment, count) in enumerate(series):
        height = inner_h * count / peak
        bars.append(Bar(round(PAD + index * step, 2), round(PAD + inner_h - height, 2), round(max(step - 1, 1), 2),
                        round(height, 2), f"{moment:%H:%M} {count}"))
    placed = []
    for moment, label in markers:
        offset = (moment - start).total_seconds()
        if 0 <= offset <= span:
            placed.append(Marker(round(PAD + inner_w * offset / span, 2), label))
    return Chart(WIDTH, HEIGHT, bars, placed, peak, f"{start:%Y-%m-%d %H:%M}", f"{end:%H:%M} UTC")
