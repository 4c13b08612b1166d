"""explain(): the JSON shape per trace, and its terminal rendering."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from faultlens.stacktrace.explain import explain, render_explanation

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


def _read(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def test_shape_is_json_ready() -> None:
    """Every key the CLI promises is present and the whole result serialises to JSON."""
    [result] = explain(_read("python/raise_from_cause.txt"))
    assert set(result) >= {"language", "fingerprint", "exceptions", "origin", "first_app_frame",
                           "async_boundaries", "next_steps"}
    json.dumps(result)
    assert [e["type"] for e in result["exceptions"]] == ["FileNotFoundError", "ConfigError"]
    frame = result["exceptions"][0]["frames"][-1]
    assert set(frame) == {"function", "module", "filename", "abs_path", "lineno", "colno", "in_app"}
    assert result["origin"]["function"] == "read"
    assert result["first_app_frame"]["function"] == "read"
    assert any("root cause FileNotFoundError" in step for step in result["next_steps"])


def test_fingerprint_ignores_line_numbers() -> None:
    """The same failure after an edit that moved lines keeps its fingerprint."""
    text = _read("python/key_error.txt")
    moved = text.replace("line 59", "line 80").replace("line 56", "line 70")
    assert explain(text)[0]["fingerprint"] == explain(moved)[0]["fingerprint"]
    other = text.replace("in load", "in fetch")
    assert explain(text)[0]["fingerprint"] != explain(other)[0]["fingerprint"]


def test_first_app_frame_skips_library_frames() -> None:
    """The first application frame is the innermost frame of application code."""
    [result] = explain(_read("javascript/node_error_code.txt"))
    assert result["origin"]["function"] == "Object.readFileSync"
    assert result["first_app_frame"]["function"] == "load"


def test_app_packages_reach_in_app_marking() -> None:
    """app_packages claims frames the defaults call library code."""
    [result] = explain(_read("javascript/node_error_code.txt"), app_packages=["node:fs"])
    assert result["first_app_frame"]["function"] == "Object.readFileSync"


def test_async_boundaries() -> None:
    """Awaits and thread pools on the stack are reported as async boundaries."""
    [result] = explain(_read("java/execution_exception.txt"))
    assert {b["kind"] for b in result["async_boundaries"]} == {"thread pool"}
    [node] = explain(_read("javascript/esm_module.txt"))
    assert "await" in {b["kind"] for b in node["async_boundaries"]}


def test_no_trace_gives_empty_list() -> None:
    """Text without a trace explains to nothing."""
    assert explain("all good here") == []


def test_render_shows_error_origin_and_folded_library_frames() -> None:
    """The terminal view names the error, where it started and folds library frames."""
    console = Console(record=True, width=120)
    render_explanation(explain(_read("javascript/error_cause.txt")), console)
    output = console.export_text()
    assert "Error: boot failed" in output
    assert "Raised at" in output and "readConfig" in output
    assert "library frames" in output
    assert "Next steps" in output


def test_render_without_traces() -> None:
    """Rendering nothing says so."""
    console = Console(record=True, width=80)
    render_explanation([], console)
    assert "No stack trace found" in console.export_text()
