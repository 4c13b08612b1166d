"""Shared test helpers: where the shared data lives, and a fresh store per test."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLE = REPO / "examples" / "checkout-incident"


@pytest.fixture
def memory_store():
    from faultlens.store import open_store

    store = open_store(":memory:")
    yield store
    store.close()
