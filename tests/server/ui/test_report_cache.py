"""The UI's report cache: built once per change, a commit's staleness bounded, a UI action always shown."""

from __future__ import annotations

from typing import Any

import pytest

from faultlens.server.ui import pages
from faultlens.server.ui.pages import ReportCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], Clock]:
    built: list[str] = []
    clock = Clock()

    def build(store: Any, stats: Any) -> str:
        built.append(store.project)
        return f"report {len(built)}"
    monkeypatch.setattr(pages, "build_report", build)
    monkeypatch.setattr(pages.time, "monotonic", clock.monotonic)
    return built, clock


class FakeStore:
    project = ""

    def only_project(self, project: str) -> None:
        self.project = project


def test_a_report_is_built_once_until_something_changes(builds: tuple[list[str], Clock]) -> None:
    """Pages read one build per project until the store changes."""
    built, _ = builds
    cache, store = ReportCache(), FakeStore()
    assert cache.report(store, "shop") == cache.report(store, "shop") == "report 1"  # type: ignore[arg-type]
    cache.report(store, "other")  # type: ignore[arg-type]
    assert built == ["shop", "other"]


def test_a_commit_is_shown_once_the_report_is_no_longer_fresh(builds: tuple[list[str], Clock]) -> None:
    """After a commit a young report is still served; one older than FRESH_SECONDS is rebuilt."""
    built, clock = builds
    cache, store = ReportCache(), FakeStore()
    cache.report(store, "shop")  # type: ignore[arg-type]
    cache.changed(object())
    clock.now += ReportCache.FRESH_SECONDS / 2
    assert cache.report(store, "shop") == "report 1"  # type: ignore[arg-type]
    clock.now += ReportCache.FRESH_SECONDS
    assert cache.report(store, "shop") == "report 2"  # type: ignore[arg-type]
    assert len(built) == 2


def test_a_change_made_in_the_ui_is_shown_at_once(builds: tuple[list[str], Clock]) -> None:
    """A forced change (a status set through the UI) rebuilds the next report however young the last one is."""
    _, _ = builds
    cache, store = ReportCache(), FakeStore()
    cache.report(store, "shop")  # type: ignore[arg-type]
    cache.changed(force=True)
    assert cache.report(store, "shop") == "report 2"  # type: ignore[arg-type]
