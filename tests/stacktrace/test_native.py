"""Native crash reports: sanitizers, gdb, glibc and C++ terminate messages."""

from __future__ import annotations

from faultlens.stacktrace import parse_trace


def test_thread_sanitizer_warning() -> None:
    """A ThreadSanitizer data race names the race and the first stack."""
    text = (
        "==================\n"
        "WARNING: ThreadSanitizer: data race (pid=9)\n"
        "  Write of size 4 at 0x55 by thread T1:\n"
        "    #0 worker /src/race.c:8:11 (race+0x12b4)\n"
        "    #1 <null> <null> (libtsan.so.2+0x3e2f)\n"
        "SUMMARY: ThreadSanitizer: data race /src/race.c:8:11 in worker\n"
    )
    trace = parse_trace(text)
    assert trace is not None and trace.language == "native"
    exc = trace.exceptions[0]
    assert (exc.type, exc.module) == ("data race", "ThreadSanitizer")


def test_gdb_frames_without_addresses_and_from_libraries() -> None:
    """gdb frames with `from lib.so` and without an address both parse."""
    text = (
        "Program received signal SIGABRT, Aborted.\n"
        "#0  __pthread_kill_implementation (no_tid=0, signo=6) at ./nptl/pthread_kill.c:44\n"
        "#1  0x00007ffff7ca90d8 in __cxa_throw () from /lib/x86_64-linux-gnu/libstdc++.so.6\n"
        "#2  0x0000555555555375 in Ledger::post (this=0x7fff, cents=-5) at ledger.cpp:3\n"
    )
    trace = parse_trace(text)
    assert trace is not None
    frames = trace.exceptions[0].frames
    assert [f.function for f in frames] == ["Ledger::post", "__cxa_throw", "__pthread_kill_implementation"]
    assert frames[1].module == "/lib/x86_64-linux-gnu/libstdc++.so.6"
    assert (frames[0].filename, frames[0].lineno) == ("ledger.cpp", 3)
