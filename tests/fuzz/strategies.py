"""Hypothesis strategies for the fuzz targets: real fixtures, mutated the way the atheris runs mutate them."""

from __future__ import annotations

import random

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
