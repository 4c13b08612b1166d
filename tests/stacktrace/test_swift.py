"""Swift runtime traps, in the formats the Swift runtime documents for Linux and its backtracer.

No Swift toolchain is available to this project's machines, so these inputs are written by
hand in the printed shapes rather than produced by a runtime.
"""

from __future__ import annotations

from faultlens.stacktrace import parse_trace


def test_fatal_error_with_file_and_line_suffix() -> None:
    """Swift 5 before 5.3 printed `: file X, line N` after the message."""
    trace = parse_trace("Fatal error: Unexpectedly found nil while unwrapping an Optional value: file Shop/Cart.swift, line 42\n")
    assert trace is not None and trace.language == "swift"
    exc = trace.exceptions[0]
    assert (exc.type, exc.value) == ("Fatal error", "Unexpectedly found nil while unwrapping an Optional value")
    assert (exc.frames[0].filename, exc.frames[0].lineno) == ("Shop/Cart.swift", 42)


def test_location_prefix_and_runtime_frames() -> None:
    """`File.swift:N: Fatal error: message` then the runtime's numbered frames, innermost first."""
    text = (
        "Swift/ContiguousArrayBuffer.swift:600: Fatal error: Index out of range\n"
        "Current stack trace:\n"
        "0    libswiftCore.so    0x00007f5e8a0c0e10 swift_reportError + 50\n"
        "1    Shop               0x000055d5c2a0c1ab $s4Shop4CartV5totalSiyF + 123\n"
        "2    Shop               0x000055d5c2a0c2cd main + 45\n"
    )
    trace = parse_trace(text)
    assert trace is not None
    exc = trace.exceptions[0]
    assert exc.value == "Index out of range"
    assert [f.function for f in exc.frames] == ["main", "$s4Shop4CartV5totalSiyF", "swift_reportError"]
    assert exc.frames[0].module == "Shop"


def test_backtracer_frames() -> None:
    """The Swift 5.9 backtracer prints `N [ra] 0x... symbol + off in binary at file:line:col`."""
    text = (
        "💣 Program crashed: System trap at 0x000055d5c2a0c1ab\n"
        "Thread 0 crashed:\n"
        "0 0x000055d5c2a0c1ab Cart.total() + 123 in Shop at /src/Shop/Cart.swift:12:9\n"
        "1 [ra] 0x000055d5c2a0c2cd main + 45 in Shop at /src/Shop/main.swift:3:1\n"
    )
    trace = parse_trace(text)
    assert trace is not None
    exc = trace.exceptions[0]
    assert (exc.type, exc.value) == ("crash", "System trap at 0x000055d5c2a0c1ab")
    assert [(f.function, f.lineno) for f in exc.frames] == [("main", 3), ("Cart.total()", 12)]
