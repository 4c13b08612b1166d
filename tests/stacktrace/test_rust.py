"""Rust panics in the old one-line format and with backtraces."""

from __future__ import annotations

from faultlens.stacktrace import parse_trace


def test_old_format_on_one_line() -> None:
    """Before Rust 1.73 the message was quoted before the location, all on one line."""
    trace = parse_trace("thread 'main' panicked at 'called `Option::unwrap()` on a `None` value', src/main.rs:4:37")
    assert trace is not None and trace.language == "rust"
    exc = trace.exceptions[0]
    assert (exc.type, exc.value) == ("panic", "called `Option::unwrap()` on a `None` value")
    assert (exc.frames[0].filename, exc.frames[0].lineno, exc.frames[0].colno) == ("src/main.rs", 4, 37)


def test_hashed_symbols_are_cleaned() -> None:
    """Old backtraces end symbols with `::h<hash>`; it is dropped."""
    text = (
        "thread 'tokio-runtime-worker' panicked at 'boom', src/lib.rs:9:5\n"
        "stack backtrace:\n"
        "   0: std::panicking::begin_panic::h0123456789abcdef\n"
        "             at /rustc/abc/library/std/src/panicking.rs:616:12\n"
        "   1: shop::handler::h1111111111111111\n"
        "             at ./src/lib.rs:9:5\n"
    )
    trace = parse_trace(text)
    assert trace is not None
    frames = trace.exceptions[0].frames
    assert [f.function for f in frames] == ["shop::handler", "std::panicking::begin_panic"]
    assert (frames[0].filename, frames[0].lineno) == ("./src/lib.rs", 9)
