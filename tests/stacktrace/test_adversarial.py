"""Inputs built to make regexes backtrack parse in bounded time, and plain lines skip the parsers."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from faultlens.stacktrace import dispatch, parse_trace
from faultlens.stacktrace.dispatch import RUNTIMES

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "stacktrace_adversarial.py"


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stacktrace_adversarial", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("language", [runtime.language for runtime in RUNTIMES])
def test_one_megabyte_of_near_misses_parses(language: str) -> None:
    """1 MB of a runtime's near-miss lines (and one huge line) parses without error into a bounded trace.

    How long it takes is measured, not asserted: benchmarks/stacktrace_adversarial.py times every
    runtime on this input and benchmarks/regex_linearity.py shows each pattern linear.
    """
    text = _benchmark().adversarial_text(language)
    trace = parse_trace(text)
    if trace is not None:
        frames = sum(len(exc.frames) for exc in trace.exceptions)
        assert frames <= text.count("\n") + 1


def test_single_line_records_never_reach_a_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-line log record without single-line trace markers is rejected before any splitting."""
    calls: list[str] = []
    monkeypatch.setattr(dispatch, "split_lines", lambda text: calls.append(text))
    for record in ("GET /api 500 user=ada@example.com", "ERROR failed at checkout: card declined", "x" * 100_000):
        assert parse_trace(record) is None
    assert calls == []
