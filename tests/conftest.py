"""Shared test helpers: where the shared data lives, and a fresh store per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples on every run, so a property test fails for a reason, not for a seed;
# runs elsewhere keep exploring new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLE = REPO / "examples" / "checkout-incident"


@pytest.fixture
def memory_store():
    from faultlens.store import open_store

    store = open_store(":memory:")
    yield store
    store.close()


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run `faultlens ARGS...` in-process as the console script does: (exit code, stdout, stderr)."""
    import sys

    from faultlens import cli

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["faultlens", *args])
        code = 0
        try:
            cli.main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run
