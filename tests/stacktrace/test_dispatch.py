"""The public API: choosing the parser, finding traces in logs, undoing transport damage."""

from __future__ import annotations

import json

from faultlens.stacktrace import find_traces, parse_trace

PYTHON = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/views.py", line 10, in get\n'
    "    return load()\n"
    '  File "/srv/app/db.py", line 3, in load\n'
    "    raise KeyError(k)\n"
    "KeyError: 'user'\n"
)
JAVA = (
    'Exception in thread "main" java.lang.IllegalStateException: boom\n'
    "\tat a.B.c(B.java:1)\n\tat a.B.main(B.java:2)\n"
)


def _shape(text: str) -> tuple[str, str, str, int]:
    trace = parse_trace(text)
    assert trace is not None
    exc = trace.exceptions[-1]
    return trace.language, exc.type, exc.value, len(exc.frames)


def test_plain_text_is_no_trace() -> None:
    """Ordinary log lines give None."""
    assert parse_trace("") is None
    assert parse_trace("2024-05-01 ERROR payment failed for order 42 at checkout") is None
    assert parse_trace("ValueError: bad input") is None


def test_interleaved_log_finds_each_trace() -> None:
    """Traces among other log lines are found in order with their line ranges."""
    text = "INFO start\n" + PYTHON + "INFO between\n" + JAVA + "INFO end\n"
    traces = find_traces(text)
    assert [(t.language, t.start_line, t.end_line) for t in traces] == [("python", 1, 7), ("java", 8, 11)]


def test_windows_line_endings_and_ansi_colours() -> None:
    """CRLF and terminal colour codes do not change the result."""
    coloured = PYTHON.replace("KeyError:", "\x1b[31mKeyError\x1b[0m:").replace("\n", "\r\n")
    assert _shape(coloured) == _shape(PYTHON) == ("python", "KeyError", "'user'", 2)


def test_markdown_fence_and_escapes() -> None:
    """A trace pasted in a markdown code fence with escaped underscores parses."""
    text = "```python\n" + PYTHON.replace("get", "\\_\\_get\\_\\_") + "```\n"
    trace = parse_trace(text)
    assert trace is not None
    assert trace.exceptions[0].frames[0].function == "__get__"
    assert (trace.start_line, trace.end_line) == (1, 7)


def test_flattened_with_literal_newlines() -> None:
    """A trace squeezed onto one line with literal `\\n` parses and points at that line."""
    flat = "ERROR crash: " + JAVA.replace("\n", "\\n").replace("\t", "\\t")
    trace = parse_trace("INFO a\n" + flat + "\nINFO b")
    assert trace is not None
    assert trace.language == "java" and len(trace.exceptions[0].frames) == 2
    assert (trace.start_line, trace.end_line) == (1, 2)


def test_trace_inside_json_field() -> None:
    """A JSON log record whose field holds the stack parses."""
    record = json.dumps({"level": "error", "msg": "failed", "exc_info": PYTHON})
    assert _shape(record) == ("python", "KeyError", "'user'", 2)


def test_extra_indentation() -> None:
    """Traces indented as a block (e.g. inside a report) parse."""
    indented = "".join("        " + line + "\n" for line in JAVA.splitlines())
    assert _shape(indented) == ("java", "IllegalStateException", "boom", 2)


def test_picks_the_most_complete_trace() -> None:
    """parse_trace returns the trace with the most evidence."""
    text = "\tat a.B.c(B.java:1)\n\nINFO\n" + PYTHON
    trace = parse_trace(text)
    assert trace is not None and trace.language == "python"


def test_never_raises_on_garbage() -> None:
    """Odd inputs give None or a trace, never an exception."""
    for text in ("\x00\n\x1b[", "Traceback (most recent call last):\n", "+-+----- 1 ---\n  | ", "{\\n\\n}", "@:1:2\n@"):
        parse_trace(text)
        find_traces(text)


def test_prose_that_resembles_trace_lines_is_no_trace() -> None:
    """Log prose with "at X.Y(...)", "Fatal error:" or "panic:" and nothing else is not a trace."""
    for text in (
        "INFO retrying\nlook at Cart.Total(decimal price) before release\nINFO done",
        "2024-05-01 ERROR\nFatal error: disk full\nshutting down",
        "worker stopped\npanic: quota exceeded\nrestarting",
    ):
        assert parse_trace(text) is None, text
