"""Every stack-trace parser takes any text, starting from the corpus of real traces and mutating it.

The parsers are called directly, not through `find_traces`, whose catch-all would hide a crash.
"""

from __future__ import annotations

import pytest
from fuzz_targets import FIXTURES, TARGETS
from strategies import run_mutated

from faultlens.stacktrace.dispatch import RUNTIMES

PARSERS = ["stacktrace", *(f"stacktrace-{runtime.language}" for runtime in RUNTIMES)]


@pytest.mark.parametrize("name", PARSERS)
def test_parser_takes_mutated_traces(name: str) -> None:
    """The parser returns traces within the input's lines, and never raises, on mutated real traces."""
    run_mutated(TARGETS[name])


def test_the_seeds_cover_the_runtimes() -> None:
    """The trace seeds are the real traces of at least ten runtimes."""
    runtimes = {path.parent.name for path in (FIXTURES / "traces").glob("*/*.txt")}
    assert len(runtimes) >= 10
    assert len(TARGETS["stacktrace"].seeds()) == len(list((FIXTURES / "traces").glob("*/*.txt")))
