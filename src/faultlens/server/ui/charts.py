"""Geometry the pages draw as inline SVG (readable without JavaScript), and the data uPlot draws over it.

SVG attributes, not `style` attributes, place every shape: the Content-Security-Policy allows no
inline style, and presentation attributes are not styles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from faultlens.analysis.buckets import bucket_starts, choose_bucket, floor_time
from faultlens.model import Incident
from faultlens.timeline import Timeline

SPARK_W, SPARK_H = 120, 24


@dataclass(frozen=True, slots=True)
class Sparkline:
    points: str
    peak: int
    total: int


def sparkline(series: list[tuple[datetime, int]]) -> Sparkline | None:
    if len(series) < 2:
        return None
    peak = max(count for _, count in series) or 1
    step = SPARK_W / (len(series) - 1)
    points = " ".join(f"{index * step:.1f},{SPARK_H - 1 - (SPARK_H - 2) * count / peak:.1f}"
                      for index, (_, count) in enumerate(series))
    return Sparkline(points, peak, sum(count for _, count in series))


def chart_data(series: list[tuple[datetime, int]], markers: list[tuple[datetime, str]]) -> dict[str, Any]:
    """Epoch seconds and counts for uPlot, and deploy markers inside the series' window."""
    if not series:
        return {}
    start, end = series[0][0], series[-1][0]
    return {"x": [int(moment.timestamp()) for moment, _ in series], "y": [count for _, count in series],
            "markers": [{"x": int(moment.timestamp()), "label": label} for moment, label in markers
                        if start <= moment <= end]}


def service_errors(minutes: list[dict[str, Any]], start: datetime | None,
                   end: datetime | None) -> dict[str, list[tuple[datetime, int]]]:
    """Errors per service in the window's buckets (the volume counts, so quiet buckets are zeros)."""
    if start is None or end is None:
        return {}
    size = choose_bucket(start, end)
    starts = bucket_starts(start, end, size)
    series: dict[str, dict[datetime, int]] = {}
    for row in minutes:
        counts = series.setdefault(str(row["service"]), dict.fromkeys(starts, 0))
        bucket = floor_time(row["minute"], size)
        if bucket in counts:
            counts[bucket] += int(row["errors"] or 0)
    return {service: sorted(counts.items()) for service, counts in sorted(series.items())}


@dataclass(frozen=True, slots=True)
class LaneMark:
    x: float
    label: str
    kind: str


@dataclass(frozen=True, slots=True)
class Lane:
    """One service's row in an incident's timeline: where its errors began (x) and its marks."""

    service: str
    role: str
    x: float
    width: float
    marks: list[LaneMark]


def lanes(incident: Incident) -> list[Lane]:
    """One lane per affected service, in cascade order; positions are percentages of the incident's span."""
    start, end = incident.start, incident.end
    span = max((end - start).total_seconds(), 1.0)

    def place(moment: datetime | None) -> float:
        if moment is None:
            return 0.0
        return round(min(max((moment - start).total_seconds() / span, 0.0), 1.0) * 100, 2)

    order = list(dict.fromkeys([*(i.service for i in incident.impacts), *incident.affected_services]))
    roles = {impact.service: impact for impact in incident.impacts}
    result = []
    for service in order:
        impact = roles.get(service)
        onset = place(impact.onset if impact else None)
        marks = [LaneMark(place(entry.time), f"{entry.time:%H:%M:%S} {entry.what}", "event")
                 for entry in incident.timeline if entry.service == service]
        result.append(Lane(service, impact.role if impact else "affected", onset, round(100 - onset, 2), marks))
    return result


@dataclass(frozen=True, slots=True)
class WaterfallRow:
    kind: str
    x: float
    width: float
    depth: int


def waterfall(timeline: Timeline) -> list[WaterfallRow]:
    """A bar per entry: spans as long as they last, log lines and errors as thin ticks."""
    total = max(timeline.duration_ms, 1.0)
    rows = []
    for entry in timeline.entries:
        x = round(100 * entry.offset_ms / total, 2)
        width = round(100 * (entry.duration_ms or 0.0) / total, 2) if entry.kind == "span" else 0.4
        rows.append(WaterfallRow(entry.kind, min(x, 99.6), max(min(width, 100 - x), 0.4), entry.depth))
    return rows
