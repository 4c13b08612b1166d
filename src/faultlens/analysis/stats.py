"""Small, dependency-free statistics the analyses share: robust baselines and tail probabilities."""

from __future__ import annotations

import math
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0


def mad(values: Sequence[float], center: float | None = None) -> float:
    """Median absolute deviation: a spread that one burst cannot inflate."""
    if not values:
        return 0.0
    mid = median(values) if center is None else center
    return median([abs(v - mid) for v in values])


def robust_z(value: float, baseline: Sequence[float]) -> float:
    """How many robust standard deviations `value` lies above the baseline.

    The spread is the MAD scaled to a standard deviation (x1.4826), floored by the Poisson
    spread of the median so a flat baseline of zeros does not make every single event a spike.
    """
    center = median(baseline)
    spread = max(1.4826 * mad(baseline, center), math.sqrt(max(center, 1.0)))
    return (value - center) / spread


def poisson_sf(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam): summed in log space so a large rate does not underflow, and by
    the normal approximation (with continuity correction) past a thousand, where the sum grows long."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    if lam > 1000:
        return 0.5 * math.erfc((k - 0.5 - lam) / math.sqrt(lam) / math.sqrt(2))
    log_lam = math.log(lam)
    logs = [-lam + i * log_lam - math.lgamma(i + 1) for i in range(k)]
    top = max(logs)
    cdf = math.exp(top) * sum(math.exp(x - top) for x in logs)
    return min(max(0.0, 1.0 - cdf), 1.0)


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p): how surprising it is that k of n events share a value."""
    if k <= 0:
        return 1.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0 or k > n:
        return 1.0 if p >= 1.0 else 0.0
    log_p, log_q = math.log(p), math.log1p(-p) if p < 1 else float("-inf")
    total = 0.0
    for i in range(k, n + 1):
        total += math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p
                          + (n - i) * log_q)
    return min(total, 1.0)


def two_proportion_p(errors_a: int, total_a: int, errors_b: int, total_b: int) -> float | None:
    """Two-sided p-value that two error proportions differ (pooled z-test); None without data."""
    if total_a <= 0 or total_b <= 0:
        return None
    pooled = (errors_a + errors_b) / (total_a + total_b)
    if pooled in (0.0, 1.0):
        return 1.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / total_a + 1 / total_b))
    z = abs(errors_a / total_a - errors_b / total_b) / se
    return math.erfc(z / math.sqrt(2))


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Correlation of two equally long series; None when either is constant or too short."""
    n = len(xs)
    if n < 4 or n != len(ys):
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / math.sqrt(sxx * syy)
