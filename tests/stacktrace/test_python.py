"""Python tracebacks: chains, groups, worker tracebacks, recursion, syntax errors."""

from __future__ import annotations

from faultlens.stacktrace import parse_trace

CHAIN = '''\
Traceback (most recent call last):
  File "/srv/app/chain.py", line 6, in b
    a()
  File "/srv/app/chain.py", line 3, in a
    raise KeyError("k")
KeyError: 'k'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/srv/app/chain.py", line 11, in c
    b()
  File "/srv/app/chain.py", line 8, in b
    raise ValueError("bad\\nsecond line") from e
ValueError: bad
second line

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/app/chain.py", line 14, in <module>
    c()
  File "/usr/lib/python3.11/site-packages/sqlalchemy/engine/base.py", line 13, in c
    raise RuntimeError("final")
sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached
'''

GROUP = '''\
  + Exception Group Traceback (most recent call last):
  |   File "/tmp/eg.py", line 12, in <module>
  |     asyncio.run(main())
  |   File "/usr/lib/python3.11/asyncio/taskgroups.py", line 145, in __aexit__
  |     raise me from None
  | ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)
  +-+---------------- 1 ----------------
    | Traceback (most recent call last):
    |   File "/tmp/eg.py", line 2, in f
    |     async def f(): raise ValueError("a")
    |                    ^^^^^^^^^^^^^^^^^^^^^
    | ValueError: a
    +---------------- 2 ----------------
    | Traceback (most recent call last):
    |   File "/tmp/eg.py", line 5, in g
    |     raise KeyError("x")
    | KeyError: 'x'
    |
    | The above exception was the direct cause of the following exception:
    |
    | Traceback (most recent call last):
    |   File "/tmp/eg.py", line 7, in g
    |     raise TypeError("b") from e
    | TypeError: b
    +------------------------------------
'''

REMOTE = '''\
multiprocessing.pool.RemoteTraceback:
"""
Traceback (most recent call last):
  File "/usr/lib/python3.11/multiprocessing/pool.py", line 125, in worker
    result = (True, func(*args, **kwds))
  File "/tmp/mp.py", line 2, in f
    def f(x): return 1/x
                     ~^~
ZeroDivisionError: division by zero
"""

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/tmp/mp.py", line 4, in <module>
    with Pool(1) as p: p.map(f, [0])
  File "/usr/lib/python3.11/multiprocessing/pool.py", line 774, in get
    raise self._value
ZeroDivisionError: division by zero
'''


def test_chain_is_oldest_first_with_relations() -> None:
    """Causes come first, each linked to the next by cause or context."""
    trace = parse_trace(CHAIN)
    assert trace is not None and trace.language == "python"
    assert [e.type for e in trace.exceptions] == ["KeyError", "ValueError", "TimeoutError"]
    assert [e.relation for e in trace.exceptions] == ["cause", "context", None]
    assert trace.exceptions[1].value == "bad\nsecond line"
    assert trace.exceptions[2].module == "sqlalchemy.exc"


def test_frames_are_caller_first_with_context_lines() -> None:
    """Python already prints the raising frame last; its source line is kept."""
    trace = parse_trace(CHAIN)
    assert trace is not None
    first = trace.exceptions[0]
    assert [f.function for f in first.frames] == ["b", "a"]
    assert first.frames[-1].lineno == 3
    assert first.frames[-1].context_line == 'raise KeyError("k")'


def test_library_frames_get_a_module() -> None:
    """site-packages paths name the module, which grouping can use instead of a path."""
    trace = parse_trace(CHAIN)
    assert trace is not None
    frame = trace.exceptions[2].frames[-1]
    assert frame.module == "sqlalchemy.engine.base"
    assert frame.filename == "sqlalchemy/engine/base.py"
    assert frame.abs_path == "/usr/lib/python3.11/site-packages/sqlalchemy/engine/base.py"


def test_exception_group_members() -> None:
    """Group members, with their own causes, come before the group, marked "group"."""
    trace = parse_trace(GROUP)
    assert trace is not None
    assert [(e.type, e.relation) for e in trace.exceptions] == [
        ("ValueError", "group"),
        ("KeyError", "cause"),
        ("TypeError", "group"),
        ("ExceptionGroup", None),
    ]
    assert trace.exceptions[0].frames[0].function == "f"
    assert len(trace.exceptions[-1].frames) == 2
    assert (trace.start_line, trace.end_line) == (0, 25)


def test_worker_traceback_becomes_the_root_cause() -> None:
    """A multiprocessing worker's quoted traceback is parsed as the cause of the wrapper."""
    trace = parse_trace(REMOTE)
    assert trace is not None
    types = [(e.type, e.module, e.relation, len(e.frames)) for e in trace.exceptions]
    assert types == [
        ("ZeroDivisionError", None, "cause", 2),
        ("RemoteTraceback", "multiprocessing.pool", "cause", 0),
        ("ZeroDivisionError", None, None, 2),
    ]
    assert trace.start_line == 0


def test_repeated_lines_count_as_omitted() -> None:
    """`[Previous line repeated N more times]` is counted, not expanded into frames."""
    text = (
        "Traceback (most recent call last):\n"
        '  File "/tmp/rec.py", line 2, in <module>\n    r()\n'
        '  File "/tmp/rec.py", line 1, in r\n    def r(): r()\n'
        '  File "/tmp/rec.py", line 1, in r\n    def r(): r()\n'
        "  [Previous line repeated 996 more times]\n"
        "RecursionError: maximum recursion depth exceeded\n"
    )
    trace = parse_trace(text)
    assert trace is not None
    assert len(trace.exceptions[0].frames) == 3
    assert trace.exceptions[0].frames_omitted == 996


def test_syntax_error_without_header() -> None:
    """A SyntaxError printed with only its location line and caret still parses."""
    text = '  File "/tmp/syn.py", line 1\n    def f(:\n          ^\nSyntaxError: invalid syntax\n'
    trace = parse_trace(text)
    assert trace is not None
    exc = trace.exceptions[0]
    assert (exc.type, exc.value) == ("SyntaxError", "invalid syntax")
    assert exc.frames[0].lineno == 1 and exc.frames[0].function is None


def test_truncated_tail_keeps_frames() -> None:
    """Frames without the closing exception line still form a trace of unknown type."""
    text = 'Traceback (most recent call last):\n  File "/a.py", line 1, in f\n    g()\n'
    trace = parse_trace(text)
    assert trace is not None
    assert trace.exceptions[0].type == "<unknown>"
    assert trace.exceptions[0].frames[0].function == "f"


def test_stripped_indentation() -> None:
    """A traceback whose indentation was stripped by a log shipper still parses."""
    text = (
        'Traceback (most recent call last):\nFile "/a.py", line 1, in f\ng()\n'
        'File "/b.py", line 2, in g\nraise\nOSError: x\n'
    )
    trace = parse_trace(text)
    assert trace is not None
    exc = trace.exceptions[0]
    assert (exc.type, exc.value, len(exc.frames)) == ("OSError", "x", 2)


def test_message_stops_at_next_log_record() -> None:
    """The next timestamped log line is not part of the exception message."""
    text = (
        "2024-05-01 10:00:00 ERROR boom\nTraceback (most recent call last):\n"
        '  File "/a.py", line 1, in f\n    g()\nValueError: x\n2024-05-01 10:00:01 INFO next\n'
    )
    trace = parse_trace(text)
    assert trace is not None
    assert trace.exceptions[0].value == "x"
    assert (trace.start_line, trace.end_line) == (1, 5)


def test_faulthandler_dump() -> None:
    """faulthandler prints the innermost frame first; it is reversed."""
    text = (
        "Fatal Python error: Segmentation fault\n\nCurrent thread 0x00007f0a (most recent call first):\n"
        '  File "/tmp/crash.py", line 3 in inner\n  File "/tmp/crash.py", line 6 in <module>\n'
    )
    trace = parse_trace(text)
    assert trace is not None
    exc = trace.exceptions[0]
    assert (exc.type, exc.value) == ("Fatal Python error", "Segmentation fault")
    assert [f.function for f in exc.frames] == ["<module>", "inner"]
    assert trace.start_line == 0


def test_unclosed_worker_traceback_ends() -> None:
    """A worker traceback whose closing triple quotes never come is parsed once, not forever (found by fuzzing)."""
    text = ('concurrent.futures.process._RemoteTraceback: \n"""\nTraceback (most recent call last):\n'
            '  File "x.py", line 1, in <module>\nValueError: x\n')
    trace = parse_trace(text)
    assert trace is not None
    assert trace.exceptions[-1].type == "ValueError"


def test_wrapper_that_comes_to_nothing_is_not_retried() -> None:
    """A line that looks like a worker wrapper but opens a group box is tried once, then the traceback below parses (found by fuzzing)."""
    text = ('  + Exception Group Traceback (most recent call last): x multiprocessing.pool.RemoteTraceback: \n'
            '"""\nTraceback (most recent call last):\n  File "x.py", line 1, in <module>\nValueError: x\n')
    trace = parse_trace(text)
    assert trace is not None
    assert [exception.type for exception in trace.exceptions] == ["ValueError"]
    assert (trace.start_line, trace.end_line) == (2, 5)
