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
    "Unhandled exception. System.X: y", " ---> System.Y: z", "   at A.B(String s) in /a.cs:line 3",
    "   --- End of inner exception stack trace ---", "---> (Inner Exception #0) A.B: c", "<---",
    "a.rb:1:in `m': boom (RuntimeError)", "\tfrom a.rb:2:in `<main>'", " ... 5 levels...",
    "PHP Fatal error:  Uncaught E: x in /a.php:3", "Stack trace:", "#0 /a.php(2): f()", "#1 {main}",
    "Next E: y in /a.php:4", "  thrown in /a.php on line 3", "thread 'main' panicked at src/a.rs:1:2:",
    "   0: app::main", "             at ./src/a.rs:1:2", "==1==ERROR: AddressSanitizer: heap-use-after-free on x",
    "    #0 0x1 in f /a.c:3", "#0  0x1 in f (a=1) at a.c:3", "./a(f+0x1)[0x2]", "Program received signal SIGSEGV, x.",
    "** (RuntimeError) boom", "    (app 0.1.0) lib/a.ex:5: A.run/1", '{"init terminating in do_boot",{badarith,[',
    "Fatal error: x: file a.swift, line 3", "0    libswiftCore.so    0x1 f + 1", "[cause]: Error: x",
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
