"""JVM stack traces: causes, suppressed exceptions, omitted frames, frame decorations."""

from __future__ import annotations

from faultlens.stacktrace import parse_trace

SUPPRESSED = """\
Exception in thread "main" java.lang.RuntimeException: wrapped
\tat com.example.App.run(App.java:10)
\tat com.example.App.lambda$main$0(App.java:13)
\tat java.base/java.lang.Iterable.forEach(Iterable.java:75)
\tat com.example.App.main(App.java:13)
Caused by: java.io.IOException: disk
full
\tat com.example.App.read(App.java:7)
\tat com.example.App.run(App.java:9)
\t... 3 more
\tSuppressed: java.lang.IllegalStateException: close failed
\t\tat com.example.App$Res.close(App.java:5)
\t\t... 4 more
"""

LOGGED = """\
2024-05-01 10:00:00.123 ERROR 4242 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet] : Servlet failed
org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection
\tat org.springframework.orm.jpa.vendor.HibernateJpaDialect.convert(HibernateJpaDialect.java:277) ~[spring-orm.jar:5.3]
\tat com.acme.shop.OrderService$$Lambda$1424/0x0000000800e5b440.apply(Unknown Source) ~[classes/:na]
\tat jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method) ~[na:na]
\tat com.acme.shop.OrderController.create(OrderController.kt:41) ~[classes/:na]
Caused by: java.net.SocketTimeoutException: Connect timed out
\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:546) ~[na:na]
\t... 3 common frames omitted
2024-05-01 10:00:00.200 INFO 4242 --- [main] c.a.s.App : next record
"""


def test_cause_chain_is_reversed() -> None:
    """The root cause comes first; suppressed exceptions sit before their holder."""
    trace = parse_trace(SUPPRESSED)
    assert trace is not None and trace.language == "java"
    assert [(e.type, e.module, e.relation) for e in trace.exceptions] == [
        ("IllegalStateException", "java.lang", "suppressed"),
        ("IOException", "java.io", "cause"),
        ("RuntimeException", "java.lang", None),
    ]
    assert trace.exceptions[1].value == "disk\nfull"


def test_frames_are_reversed_and_omitted_counted() -> None:
    """The raising frame ends the list; `... N more` is recorded, not invented."""
    trace = parse_trace(SUPPRESSED)
    assert trace is not None
    root = trace.exceptions[1]
    assert [f.function for f in root.frames] == ["run", "read"]
    assert root.frames_omitted == 3
    assert trace.exceptions[0].frames_omitted == 4
    top = trace.exceptions[2]
    assert top.frames[-1].module == "com.example.App"
    assert top.frames[-1].filename == "App.java" and top.frames[-1].lineno == 10
    assert top.frames[1].module == "java.lang.Iterable"
    assert top.frames[2].function == "lambda$main$0"


def test_log_framework_output() -> None:
    """Header found after a log line; jar suffixes, lambdas, native frames and logback markers parse."""
    trace = parse_trace(LOGGED)
    assert trace is not None
    assert (trace.start_line, trace.end_line) == (1, 9)
    cause, top = trace.exceptions
    assert (cause.type, cause.module, cause.frames_omitted) == ("SocketTimeoutException", "java.net", 3)
    assert top.type == "DataAccessResourceFailureException"
    functions = [(f.module, f.function, f.filename, f.lineno) for f in top.frames]
    assert functions == [
        ("com.acme.shop.OrderController", "create", "OrderController.kt", 41),
        ("jdk.internal.reflect.NativeMethodAccessorImpl", "invoke0", None, None),
        ("com.acme.shop.OrderService$$Lambda$1424", "apply", None, None),
        ("org.springframework.orm.jpa.vendor.HibernateJpaDialect", "convert", "HibernateJpaDialect.java", 277),
    ]


def test_missing_header() -> None:
    """Frames cut from their header still form a trace of unknown type."""
    trace = parse_trace("\tat a.B.c(B.java:1)\n\tat a.B.main(B.java:2)\n")
    assert trace is not None
    assert trace.exceptions[0].type == "<unknown>"
    assert len(trace.exceptions[0].frames) == 2


def test_log_prefixed_frames() -> None:
    """Every line carrying a container log prefix still parses."""
    text = (
        "2024-05-01T10:00:00Z stderr F java.lang.IllegalStateException: x\n"
        "2024-05-01T10:00:00Z stderr F \tat a.B.c(B.java:1)\n"
        "2024-05-01T10:00:00Z stderr F \tat a.B.main(B.java:2)\n"
    )
    trace = parse_trace(text)
    assert trace is not None
    assert trace.exceptions[0].type == "IllegalStateException"
    assert [f.lineno for f in trace.exceptions[0].frames] == [2, 1]
