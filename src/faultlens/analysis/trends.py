"""Trends: each issue's series over the window, its spikes, and whether it is new, back, ongoing or over.

A spike is a bucket far above the issue's own recent baseline: more than three robust standard
deviations (median and MAD) and improbable under a Poisson rate at the baseline mean, so a
quiet issue's second event is not a spike. "New" needs evidence of absence: the window must
show a stretch without the issue before its first event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from faultlens.analysis.stats import median, poisson_sf, robust_z
from faultlens.model import Trend

SPIKE_Z = 3.0
SPIKE_P = 1e-4
MIN_SPIKE_EVENTS = 5
SILENCE_EXPECTED_EVENTS = 6.9
"""exp(-6.9) < 0.001: a silence in which about seven events were expected is not chance."""
BASELINE_BUCKETS = 60
MIN_BASELINE_BUCKETS = 5


def build_trend(counts: list[int], starts: list[datetime], bucket_seconds: int, first_seen: datetime,
                last_seen: datetime, first_ever: datetime | None, stored_status: str | None) -> Trend:
    """Classify one issue's movement over the window whose buckets are `starts`.

    New, regressed and resolved all rest on a silence: each is claimed only when, at the rate at
    which the issue's buckets are busy while it is active, a silence that long would happen by
    chance less than once in a thousand windows. Busy buckets, not events, are counted: errors
    come in bursts, and a burst of twenty is one piece of evidence, not twenty. A rare issue's
    first event is therefore not "new".
    """
    if not starts:
        return Trend(status="ongoing", reason="no time series", bucket_seconds=bucket_seconds)
    window_start, window_end = starts[0], starts[-1] + timedelta(seconds=bucket_seconds)
    spikes, best_z = _spikes(counts, starts)
    events = sum(counts)
    peak = max(counts) if counts else 0
    trend = Trend(status="ongoing", reason="", bucket_seconds=bucket_seconds,
                  series=list(zip(starts, counts, strict=True)), baseline=median(counts), peak=peak,
                  peak_at=starts[counts.index(peak)] if peak else None, spike_score=round(best_z, 2), spikes=spikes)
    active = max((last_seen - first_seen).total_seconds(), float(bucket_seconds))
    earliest = first_ever or first_seen
    gap, gap_end, after_gap = _longest_gap(counts, starts, bucket_seconds)
    quiet_before = (earliest - window_start).total_seconds()
    quiet_after = (window_end - last_seen).total_seconds()
    busy = sum(1 for count in counts if count)
    rate_since_first = busy / max((window_end - first_seen).total_seconds(), float(bucket_seconds))
    rate_outside_gap = busy / max(active - gap, float(bucket_seconds))
    rate_active = busy / (active + bucket_seconds)
    if stored_status == "resolved" and last_seen > first_seen:
        trend.status, trend.reason = "regressed", "it was marked resolved and happened again"
    elif gap_end is not None and after_gap >= MIN_SPIKE_EVENTS and _unlikely_silence(rate_outside_gap, gap):
        trend.status = "regressed"
        trend.reason = f"quiet for {_duration(gap)}, then back from {gap_end:%H:%M}"
    elif quiet_before >= 2 * bucket_seconds and events >= MIN_SPIKE_EVENTS \
            and _unlikely_silence(rate_since_first, quiet_before):
        trend.status = "new"
        trend.reason = f"first seen {first_seen:%Y-%m-%d %H:%M:%S}, after {_duration(quiet_before)} without it"
    elif spikes:
        trend.status = "spiking"
        trend.reason = (f"{len(spikes)} bucket(s) over {SPIKE_Z:g} robust standard deviations above its baseline, "
                        f"peak {peak} at {trend.peak_at:%H:%M}")
    elif events >= MIN_SPIKE_EVENTS and _unlikely_silence(rate_active, quiet_after):
        trend.status = "resolved"
        trend.reason = f"no events in the last {_duration(quiet_after)} of the window"
    else:
        trend.reason = f"{events} event(s), about {events * 3600 / active:.1f} per hour while active"
    if trend.status in ("new", "regressed", "spiking") and _unlikely_silence(rate_active, quiet_after):
        trend.reason += f"; quiet since {last_seen:%H:%M:%S}"
    return trend


def _unlikely_silence(rate_per_second: float, seconds: float) -> bool:
    """Whether `seconds` without a busy bucket is improbable (p < 0.001) at this rate of busy buckets."""
    return rate_per_second * seconds > SILENCE_EXPECTED_EVENTS


def spike_z(count: int, prior: Sequence[int], z_threshold: float = SPIKE_Z) -> float | None:
    """The robust z of `count` when it is a spike over the buckets before it, else None.

    One definition for the report's trends and the server's live spike alerts, so both call the
    same burst a spike.
    """
    if count < MIN_SPIKE_EVENTS or len(prior) < MIN_BASELINE_BUCKETS:
        return None
    z = robust_z(count, prior)
    if z > z_threshold and poisson_sf(count, max(sum(prior) / len(prior), 0.1)) < SPIKE_P:
        return z
    return None


def _spikes(counts: list[int], starts: list[datetime]) -> tuple[list[datetime], float]:
    found: list[datetime] = []
    best = 0.0
    for i, count in enumerate(counts):
        z = spike_z(count, counts[max(0, i - BASELINE_BUCKETS):i])
        if z is not None:
            found.append(starts[i])
            best = max(best, z)
    return found, best


def _longest_gap(counts: list[int], starts: list[datetime], size: int) -> tuple[float, datetime | None, int]:
    """The longest run of empty buckets between two busy ones, where it ended, and the events after it."""
    best, best_end, best_index, run, seen = 0.0, None, 0, 0, False
    for index, (start, count) in enumerate(zip(starts, counts, strict=True)):
        if count:
            if seen and run * size > best:
                best, best_end, best_index = float(run * size), start, index
            seen, run = True, 0
        elif seen:
            run += 1
    return best, best_end, sum(counts[best_index:]) if best_end is not None else 0


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
