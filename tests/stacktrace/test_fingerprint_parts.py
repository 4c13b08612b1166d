"""Fingerprint parts: types and in-app frames, never lines or generated names."""

from __future__ import annotations

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.fingerprint_parts import stack_fingerprint_parts


def test_types_and_in_app_frames_only() -> None:
    """Library frames and line numbers stay out of the parts."""
    exceptions = [
        ExceptionInfo(type="KeyError", frames=[Frame(function="load", filename="/srv/app/db.py", lineno=3, in_app=True)],
                      relation="cause"),
        ExceptionInfo(type="TimeoutError", module="sqlalchemy.exc", frames=[
            Frame(function="get", filename="/srv/app/views.py", lineno=10, in_app=True),
            Frame(function="connect", module="sqlalchemy.pool", lineno=99, in_app=False),
        ]),
    ]
    assert stack_fingerprint_parts(exceptions) == [
        "type:KeyError", "frame:db.py:load", "type:sqlalchemy.exc.TimeoutError", "frame:views.py:get",
    ]


def test_all_library_trace_keeps_its_frames() -> None:
    """A crash entirely inside libraries still groups by where it happened."""
    exceptions = [ExceptionInfo(type="SIGSEGV", frames=[Frame(function="__libc_start_main", in_app=False)])]
    assert stack_fingerprint_parts(exceptions) == ["type:SIGSEGV", "frame:?:__libc_start_main"]


def test_generated_names_are_normalised() -> None:
    """Lambda addresses, proxy numbers, state machine counters and async markers do not split groups."""
    exceptions = [ExceptionInfo(type="E", frames=[
        Frame(function="apply", module="com.acme.Svc$$Lambda$1424/0x0000000800e5b440"),
        Frame(function="MoveNext", module="Shop.Svc+<LoadAsync>d__12"),
        Frame(function="async handler", filename="/srv/app/a.js"),
        Frame(function="invoke", module="jdk.internal.reflect.GeneratedMethodAccessor77"),
    ])]
    assert stack_fingerprint_parts(exceptions)[1:] == [
        "frame:com.acme.Svc$$Lambda:apply",
        "frame:Shop.Svc+<LoadAsync>d__:MoveNext",
        "frame:a.js:handler",
        "frame:jdk.internal.reflect.GeneratedMethodAccessor:invoke",
    ]
