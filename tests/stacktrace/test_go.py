"""Go panics and fatal errors with goroutine dumps."""

from __future__ import annotations

from faultlens.stacktrace import parse_trace

REPANIC = """\
panic: first [recovered]
\tpanic: again: first
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x48e927]

goroutine 1 [running]:
main.deep.func1()
\t/tmp/go/a.go:27 +0x74
panic({0x496720, 0x4c8598})
\t/usr/lib/go-1.19/src/runtime/panic.go:884 +0x212
github.com/acme/shop/internal/store.(*Store).Get(0xc0000a4000, {0xc0000aa020?, 0x5})
\t/go/pkg/mod/github.com/acme/shop@v1.2.0/internal/store/store.go:28 +0x230
main.main()
\t/tmp/go/a.go:47 +0x79
exit status 2
"""

MAP_WRITES = """\
fatal error: concurrent map writes

goroutine 20 [running]:
main.deep.func2()
\t/tmp/go/a.go:34 +0x76
created by main.deep
\t/tmp/go/a.go:34 +0x253

goroutine 1 [semacquire]:
sync.runtime_Semacquire(0xc0000980c0?)
\t/usr/lib/go-1.19/src/runtime/sema.go:62 +0x25
main.main()
\t/tmp/go/a.go:47 +0x79

this line is not part of the dump
"""


def test_repanic_chain_and_frames() -> None:
    """A recovered panic precedes the one that ended the program; frames run caller first."""
    trace = parse_trace(REPANIC)
    assert trace is not None and trace.language == "go"
    assert [(e.type, e.value, e.relation) for e in trace.exceptions] == [
        ("panic", "first", "context"),
        ("panic", "again: first", None),
    ]
    frames = trace.exceptions[-1].frames
    assert [(f.module, f.function) for f in frames] == [
        ("main", "main"),
        ("github.com/acme/shop/internal/store", "(*Store).Get"),
        (None, "panic"),
        ("main", "deep.func1"),
    ]
    assert frames[-1].lineno == 27 and frames[-1].filename == "/tmp/go/a.go"
    assert trace.end_line == 14


def test_first_goroutine_only() -> None:
    """Only the panicking goroutine gives frames; the others widen the trace's lines."""
    trace = parse_trace(MAP_WRITES)
    assert trace is not None
    exc = trace.exceptions[0]
    assert (exc.type, exc.value) == ("fatal error", "concurrent map writes")
    assert [f.function for f in exc.frames] == ["deep", "deep.func2"]
    assert (trace.start_line, trace.end_line) == (0, 13)
