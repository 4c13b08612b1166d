"""JavaScript stack traces from Node (V8), Firefox and Safari."""

from __future__ import annotations

from faultlens.stacktrace import parse_trace

CAUSE = """\
/tmp/js/a.js:1
class Repo { async load(id) { await null; throw new TypeError(`no user ${id}`); } }
                                                ^

TypeError: no user 7
    at Repo.load (/tmp/js/a.js:1:49)
    at async handler (/tmp/js/a.js:2:20) {
  [cause]: Error: db down
      at Repo.load (/tmp/js/a.js:1:89) {
    code: 'E_DB'
  }
}

Node.js v20.20.2
"""

ECONNREFUSED = """\
Error: connect ECONNREFUSED 127.0.0.1:1
    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16)
Emitted 'error' event on Socket instance at:
    at emitErrorNT (node:internal/streams/destroy:169:8)
    at process.processTicksAndRejections (node:internal/process/task_queues:82:21) {
  errno: -111,
  code: 'ECONNREFUSED',
  syscall: 'connect'
}
"""


def test_cause_block() -> None:
    """A `[cause]` printed inside the property block becomes the root cause."""
    trace = parse_trace(CAUSE)
    assert trace is not None and trace.language == "javascript"
    assert [(e.type, e.value, e.relation) for e in trace.exceptions] == [
        ("Error", "db down", "cause"),
        ("TypeError", "no user 7", None),
    ]
    top = trace.exceptions[1]
    assert [f.function for f in top.frames] == ["async handler", "Repo.load"]
    assert (top.frames[-1].filename, top.frames[-1].lineno, top.frames[-1].colno) == ("/tmp/js/a.js", 1, 49)
    assert (trace.start_line, trace.end_line) == (4, 12)


def test_property_block_and_emitted_event() -> None:
    """Node's `{ code: ... }` block ends the trace; the emit site's frames are kept."""
    trace = parse_trace(ECONNREFUSED)
    assert trace is not None
    exc = trace.exceptions[0]
    assert (exc.type, exc.value) == ("Error", "connect ECONNREFUSED 127.0.0.1:1")
    assert len(exc.frames) == 3
    assert exc.frames[-1].function == "TCPConnectWrap.afterConnect [as oncomplete]"
    assert trace.end_line == 9


def test_frame_shapes() -> None:
    """Constructors, anonymous locations, eval and native frames parse."""
    text = (
        "TypeError: x is not a function\n"
        "    at new Foo (/srv/app/foo.js:1:27)\n"
        "    at /srv/app/foo.js:4:17\n"
        "    at Array.map (<anonymous>)\n"
        "    at eval (eval at <anonymous> (/srv/app/e.js:1:1), <anonymous>:1:27)\n"
        "    at file:///srv/app/main.mjs:3:9\n"
    )
    trace = parse_trace(text)
    assert trace is not None
    frames = trace.exceptions[0].frames
    assert [f.function for f in frames] == [None, "eval", "Array.map", None, "new Foo"]
    assert frames[0].filename == "file:///srv/app/main.mjs"
    assert frames[1].abs_path == "/srv/app/e.js" and frames[1].lineno == 1 and frames[1].colno == 27
    assert frames[2].filename == "<anonymous>" and frames[2].lineno is None


def test_firefox_and_safari_frames() -> None:
    """`fn@url:line:col` frames parse; an empty function is top-level code."""
    text = (
        "TypeError: a is undefined\n"
        "render@https://example.com/static/app.js:10:5\n"
        "@https://example.com/static/app.js:20:1\n"
        "global code@https://example.com/static/app.js:30:2\n"
    )
    trace = parse_trace(text)
    assert trace is not None
    frames = trace.exceptions[0].frames
    assert [f.function for f in frames] == ["global code", None, "render"]
    assert frames[-1].lineno == 10 and frames[-1].colno == 5


def test_uncaught_in_browser_console() -> None:
    """The console's `Uncaught` prefix is not part of the type."""
    trace = parse_trace("Uncaught (in promise) TypeError: Failed to fetch\n    at load (https://x.io/app.js:1:2)\n")
    assert trace is not None
    assert (trace.exceptions[0].type, trace.exceptions[0].value) == ("TypeError", "Failed to fetch")


def test_an_email_is_not_a_frame() -> None:
    """A lone `user@host:1:2`-like line is not taken for a Firefox frame."""
    assert parse_trace("contact admin@example.com:25:1 for help\nthanks") is None


def test_old_node_rejection_warning() -> None:
    """Node before 15 logged rejections as a warning wrapping the real error."""
    text = (
        "(node:4242) UnhandledPromiseRejectionWarning: Error: connect ETIMEDOUT 10.0.0.5:443\n"
        "    at TCPConnectWrap.afterConnect [as oncomplete] (net.js:1141:16)\n"
    )
    trace = parse_trace(text)
    assert trace is not None
    assert (trace.exceptions[0].type, trace.exceptions[0].value) == ("Error", "connect ETIMEDOUT 10.0.0.5:443")


def test_node_error_code_in_brackets() -> None:
    """`TypeError [ERR_X]: message` keeps the type without the code."""
    text = "TypeError [ERR_INVALID_URL]: Invalid URL\n    at new URL (node:internal/url:775:36)\n"
    trace = parse_trace(text)
    assert trace is not None
    assert (trace.exceptions[0].type, trace.exceptions[0].value) == ("TypeError", "Invalid URL")
