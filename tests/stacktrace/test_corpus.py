"""Every trace of the corpus (tests/fixtures/traces) parses to what its sidecar expects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from faultlens.model import ExceptionInfo
from faultlens.stacktrace import find_traces, parse_trace

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
CASES = sorted(path for path in CORPUS.glob("*/*.txt") if not path.parent.name.startswith("_"))


def _check_exception(actual: ExceptionInfo, expected: dict[str, Any], where: str) -> None:
    assert actual.type == expected["type"], where
    if "module" in expected:
        assert actual.module == expected["module"], where
    if "value" in expected:
        assert actual.value == expected["value"], where
    if "value_prefix" in expected:
        assert actual.value.startswith(expected["value_prefix"]), where
    assert actual.relation == expected["relation"], where
    assert len(actual.frames) == expected["frames"], where
    assert actual.frames_omitted == expected.get("frames_omitted", 0), where
    raising = expected.get("raising_frame")
    if raising is not None:
        frame = actual.frames[-1]
        assert frame.function == raising["function"], where
        if "filename" in raising:
            assert (frame.filename or frame.abs_path or "").endswith(raising["filename"]), where
        if "lineno" in raising:
            assert frame.lineno == raising["lineno"], where


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_corpus_case(path: Path) -> None:
    """The trace parses to the exceptions, frames and relations its sidecar records."""
    sidecar = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert sidecar["source"]
    expected = sidecar["expected"]
    text = path.read_text(encoding="utf-8")
    trace = parse_trace(text)
    assert trace is not None
    assert trace.language == expected["language"]
    assert len(trace.exceptions) == len(expected["exceptions"]), [e.type for e in trace.exceptions]
    for index, (actual, wanted) in enumerate(zip(trace.exceptions, expected["exceptions"], strict=True)):
        _check_exception(actual, wanted, f"exception {index}")
    if "traces" in expected:
        assert len(find_traces(text)) == expected["traces"]
    if "lines" in expected:
        assert [trace.start_line, trace.end_line] == expected["lines"]


def test_corpus_covers_the_runtimes() -> None:
    """The corpus holds real traces of at least ten runtimes."""
    runtimes = {path.parent.name for path in CASES}
    assert len(runtimes) >= 10 or len(CASES) < 100
