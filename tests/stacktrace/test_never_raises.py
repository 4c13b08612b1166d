"""No input makes a parser raise: random text and random splices of trace syntax."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from faultlens.stacktrace import find_traces, mark_in_app, parse_trace
from faultlens.stacktrace.dispatch import RUNTIMES

FRAGMENTS = [
    "Traceback (most recent call last):", '  File "/a.py", line 1, in f', "    x()", "    ^^^",
    "ValueError: x", "  + Exception Group Traceback (most recent call last):", "  | ", "  +-+---- 1 ----",
    "    | ", "    +------------", '"""', "The above exception was the direct cause of the following exception:",
    "[Previous line repeated 3 more times]", "\tat a.B.c(B.java:1)", "Caused by: x.Y: z", "\tSuppressed: q.R",
    "\t... 3 more", "    at f (/x.js:1:2) {", "  [cause]: Error: y", "}", "]", "  [errors]: [", "f@http://x/a.js:1:2",
    "panic: boom [recovered]", "goroutine 1 [running]:", "main.main()", "\t/x.go:3 +0x1d", "created by main.f",
    "fatal error: x", "", " ", "\\n", "{", "\"", "\x1b[31m", "\r", "```", "(", ")", ":", "@", "at ", "...",
]

lines = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=20), max_size=30).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(lines)
def test_parsers_never_raise_on_trace_syntax(text: str) -> None:
    """Every runtime parser survives any splice of trace syntax."""
    split = text.split("\n")
    for runtime in RUNTIMES:
        for trace in runtime.find(split):
            mark_in_app(trace.exceptions, trace.language, ("a",))
            assert 0 <= trace.start_line < trace.end_line <= len(split)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_public_api_never_raises(text: str) -> None:
    """parse_trace and find_traces accept any string."""
    parse_trace(text)
    for trace in find_traces(text):
        assert trace.start_line < trace.end_line
