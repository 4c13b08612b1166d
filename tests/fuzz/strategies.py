"""Hypothesis strategies for the fuzz targets: real fixtures, mutated the way the atheris runs mutate them."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutate import mutate

MAX_LEN = 4096


@st.composite
def mutated_seeds(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A real seed after a few byte- and line-level mutations (tests/fuzz/mutate.py), or raw bytes now and then."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=512))
    seed = draw(st.sampled_from(seeds))[:MAX_LEN]
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(0, 3))):
        seed = mutate(rng, seed, seeds, MAX_LEN)
    return seed


def run_mutated(target: Any) -> None:
    """Run a fuzz target (fuzz_targets.Target) on mutated seeds for a short, `make test`-sized run."""
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated_seeds(target.seeds()))
    def check(data: bytes) -> None:
        target.run(data)

    check()
