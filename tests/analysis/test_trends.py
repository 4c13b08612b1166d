"""Trend status on series whose answer is known: steady, new, spiking, regressed and a rare issue."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from faultlens.analysis.trends import build_trend

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SIZE = 300


def trend_for(counts: list[int]):
    starts = [START + timedelta(seconds=SIZE * i) for i in range(len(counts))]
    busy = [s for s, c in zip(starts, counts, strict=True) if c]
    return build_trend(counts, starts, SIZE, busy[0], busy[-1] + timedelta(seconds=60), None, "unresolved")


def poisson(rng: random.Random, lam: float) -> int:
    count, limit, product = 0, pow(2.718281828, -lam), rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def test_steady_noise_is_ongoing():
    """A steady Poisson background is ongoing: no spike, not new."""
    rng = random.Random(3)
    counts = [poisson(rng, 2.0) for _ in range(48)]
    counts[0] = max(counts[0], 1)
    assert trend_for(counts).status == "ongoing"


def test_an_issue_that_starts_late_and_stays_is_new():
    """Silence for two hours, then a steady rate, is a new issue."""
    counts = [0] * 24 + [4] * 24
    trend = trend_for(counts)
    assert trend.status == "new"
    assert "without it" in trend.reason


def test_a_burst_over_a_steady_baseline_is_a_spike():
    """One bucket far above a steady baseline is a spike, and the bucket is named."""
    counts = [2, 3, 2, 2, 3, 2, 2, 3, 2, 2, 40, 2, 3, 2]
    trend = trend_for(counts)
    assert trend.status == "spiking"
    assert trend.spikes == [START + timedelta(seconds=SIZE * 10)]
    assert trend.peak == 40


def test_back_after_a_long_silence_is_a_regression():
    """A busy issue that goes quiet for hours and comes back has regressed."""
    counts = [3] * 12 + [0] * 24 + [3] * 6
    assert trend_for(counts).status == "regressed"


def test_a_rare_issue_is_not_new():
    """Two events far apart are not evidence that anything began."""
    counts = [0] * 20 + [1] + [0] * 20 + [1]
    assert trend_for(counts).status == "ongoing"


def test_marked_resolved_and_seen_again_is_a_regression():
    """An issue resolved by a user that happens again is a regression whatever its shape."""
    starts = [START + timedelta(seconds=SIZE * i) for i in range(3)]
    trend = build_trend([1, 1, 1], starts, SIZE, starts[0], starts[2], None, "resolved")
    assert trend.status == "regressed"
