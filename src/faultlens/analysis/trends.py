"""Trends: each issue's series over the window, its spikes, and whether it is new, back, ongoing or over.

A spike is a bucket far above the issue's own recent baseline: more than three robust standard
deviations (median and MAD) and improbable under a Poisson rate at the baseline mean, so a
quiet issue's second event is not a spike. "New" needs evidence of absence: the window must
show a stretch without the issue before its first event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from faultlens.analysis.stats import median, poisson_sf, robust_z
from faultlens.model import Trend

SPIKE_Z = 3.0
SPIKE_P = 1e-3
MIN_SPIKE_EVENTS = 3
BASELINE_BUCKETS = 60
MIN_BASELINE_BUCKETS = 5


def build_trend(counts: list[int], starts: list[datetime], bucket_seconds: int, first_seen: datetime,
                last_seen: datetime, first_ever: datetime | None, stored_status: str | None) -> Trend:
    """Classify one issue's movement over the window whose buckets are `starts`."""
    if not starts:
        return Trend(status="ongoing", reason="no time series", bucket_seconds=bucket_seconds)
    window_start, window_end = starts[0], starts[-1] + timedelta(seconds=bucket_seconds)
    span = (window_end - window_start).total_seconds()
    spikes, best_z = _spikes(counts, starts)
    peak = max(counts) if counts else 0
    trend = Trend(status="ongoing", reason="", bucket_seconds=bucket_seconds, series=list(zip(starts, counts,
                  strict=True)), baseline=median(counts), peak=peak,
                  peak_at=starts[counts.index(peak)] if peak else None, spike_score=round(best_z, 2), spikes=spikes)
    earliest = first_ever or first_seen
    gap, gap_end = _longest_gap(counts, starts, bucket_seconds)
    typical_gap = _typical_gap(first_seen, last_seen, sum(counts), bucket_seconds)
    quiet_needed = max(0.2 * span, 10 * bucket_seconds, 3 * typical_gap)
    quiet_at_end = (window_end - last_seen).total_seconds()
    quiet_end_needed = max(0.15 * span, 3 * typical_gap, 10 * bucket_seconds)
    if stored_status == "resolved" and last_seen > first_seen:
        trend.status, trend.reason = "regressed", "it was marked resolved and happened again"
    elif gap >= max(0.25 * span, 3 * typical_gap, 6 * bucket_seconds) and gap_end is not None \
            and sum(c for s, c in zip(starts, counts, strict=True) if s >= gap_end) >= MIN_SPIKE_EVENTS:
        trend.status = "regressed"
        trend.reason = f"quiet for {_duration(gap)}, then back from {gap_end:%H:%M}"
    elif (earliest - window_start).total_seconds() >= quiet_needed:
        trend.status = "new"
        absent = _duration((earliest - window_start).total_seconds())
        trend.reason = f"first seen {first_seen:%Y-%m-%d %H:%M:%S}, after {absent} without it"
    elif spikes:
        trend.status = "spiking"
        trend.reason = (f"{len(spikes)} bucket(s) over {SPIKE_Z:g} robust standard deviations above its baseline, "
                        f"peak {peak} at {trend.peak_at:%H:%M}")
    elif quiet_at_end >= quiet_end_needed:
        trend.status = "resolved"
        trend.reason = f"no events in the last {_duration(quiet_at_end)} of the window"
    else:
        trend.reason = f"steady around {trend.baseline:g} per {_duration(bucket_seconds)}"
    if trend.status in ("new", "regressed", "spiking") and quiet_at_end >= quiet_end_needed:
        trend.reason += f"; quiet since {last_seen:%H:%M:%S}"
    return trend


def _spikes(counts: list[int], starts: list[datetime]) -> tuple[list[datetime], float]:
    found: list[datetime] = []
    best = 0.0
    for i, count in enumerate(counts):
        if count < MIN_SPIKE_EVENTS:
            continue
        prior = counts[max(0, i - BASELINE_BUCKETS):i]
        if len(prior) < MIN_BASELINE_BUCKETS:
            continue
        z = robust_z(count, prior)
        if z > SPIKE_Z and poisson_sf(count, max(sum(prior) / len(prior), 0.1)) < SPIKE_P:
            found.append(starts[i])
            best = max(best, z)
    return found, best


def _longest_gap(counts: list[int], starts: list[datetime], size: int) -> tuple[float, datetime | None]:
    """The longest run of empty buckets between two busy ones, and where it ended."""
    best, best_end, run, seen = 0.0, None, 0, False
    for start, count in zip(starts, counts, strict=True):
        if count:
            if seen and run * size > best:
                best, best_end = float(run * size), start
            seen, run = True, 0
        elif seen:
            run += 1
    return best, best_end


def _typical_gap(first_seen: datetime, last_seen: datetime, events: int, size: int) -> float:
    """The mean time between events while the issue was active: a rare issue's ordinary silence."""
    if events < 2:
        return float(size)
    return max((last_seen - first_seen).total_seconds() / (events - 1), float(size))


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
