"""Statistics used by the analyses, checked against values computed by hand."""

from __future__ import annotations

import math

import pytest

from faultlens.analysis.stats import binomial_sf, mad, median, pearson, poisson_sf, robust_z, two_proportion_p


def test_median_and_mad():
    """Median and MAD ignore a single outlier."""
    values = [1, 2, 2, 3, 100]
    assert median(values) == 2
    assert mad(values) == 1


def test_robust_z_floors_spread_for_flat_baselines():
    """A baseline of zeros gives a Poisson floor, so one event is not a spike."""
    assert robust_z(1, [0] * 20) == 1.0
    assert robust_z(10, [2, 3, 2, 3, 2]) > 3


def test_poisson_tail():
    """P(X >= k) for a Poisson variable matches the closed form."""
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(1, 2.0) == pytest.approx(1 - math.exp(-2.0))
    assert poisson_sf(10, 1.0) < 1e-6
    assert poisson_sf(1100, 1000.0) == pytest.approx(0.00088, rel=0.2), "no underflow at large rates"
    assert poisson_sf(900, 1000.0) > 0.99


def test_binomial_tail():
    """P(X >= k) for a binomial variable matches a hand computation."""
    assert binomial_sf(3, 3, 0.5) == pytest.approx(0.125)
    assert binomial_sf(2, 3, 0.5) == pytest.approx(0.5)
    assert binomial_sf(0, 3, 0.5) == 1.0


def test_two_proportions():
    """Equal proportions give p = 1; very different ones a tiny p; no data gives None."""
    assert two_proportion_p(10, 1000, 10, 1000) == pytest.approx(1.0)
    assert two_proportion_p(10, 1000, 300, 1000) < 1e-10
    assert two_proportion_p(1, 0, 1, 10) is None


def test_pearson():
    """Perfectly aligned series correlate at 1, constant ones give None."""
    assert pearson([1, 2, 3, 4], [2, 4, 6, 8]) == pytest.approx(1.0)
    assert pearson([1, 1, 1, 1], [1, 2, 3, 4]) is None
