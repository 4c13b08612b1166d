"""Every ingest decoder takes any bytes, starting from the real logs and trace exports and mutating them.

The same targets run for millions of executions under atheris (tests/fuzz/run.py, RELIABILITY.md);
here each gets a short run per `make test`, derandomized in CI (tests/conftest.py).
"""

from __future__ import annotations

import pytest
from fuzz_targets import TARGETS
from strategies import run_mutated

INGEST = ("lines", "text", "structured", "trace-export", "file", "gzip", "timestamp")


@pytest.mark.parametrize("name", INGEST)
def test_ingest_target_takes_mutated_fixtures(name: str) -> None:
    """The target raises nothing but a user-facing FaultlensError on mutated real inputs."""
    run_mutated(TARGETS[name])


def test_every_ingest_target_has_real_seeds() -> None:
    """Each ingest target starts from fixtures, not from nothing."""
    for name in INGEST:
        assert len(TARGETS[name].seeds()) >= 5, name
