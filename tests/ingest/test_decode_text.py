"""Plain-text records: headers read, continuation lines joined, fields in their places."""

from __future__ import annotations

from datetime import UTC, datetime

from faultlens.ingest.extract import Extractor
from faultlens.ingest.reader import ReadResult, read_records
from faultlens.ingest.sources import InputRef
from faultlens.model import Event

FALLBACK = datetime(2000, 1, 1, tzinfo=UTC)

LOG4J = """2026-11-28 14:05:31,001 INFO  [main] [] com.acme.order.App - Started OrderApplication in 4.2 seconds
2026-11-28 14:05:31,877 ERROR [http-nio-8080-exec-7] [req-3f2a9c1e] com.acme.order.payment.PaymentClient - Payment call failed for order ord-88213
com.acme.order.payment.PaymentGatewayException: Payment authorization failed for order ord-88213
\tat com.acme.order.payment.PaymentClient.authorize(PaymentClient.java:118)
\tat com.acme.order.service.OrderService.placeOrder(OrderService.java:88)
Caused by: java.net.SocketTimeoutException: Read timed out
\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)
\tat com.acme.order.payment.PaymentClient.authorize(PaymentClient.java:140)
\t... 1 more
2026-11-28 14:05:32,002 WARN  [scheduling-1] [] com.acme.order.Cleanup - 3 stale carts
"""


def events_of(tmp_path, text: str, name: str) -> tuple[list[Event], ReadResult]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = ReadResult()
    extract = Extractor("svc", FALLBACK)
    return [extract(r) for r in read_records(InputRef(str(path)), result)], result


def test_log4j_record_keeps_its_trace(tmp_path):
    """A log4j error line and its `Caused by:` trace are one event with the chain oldest first."""
    events, result = events_of(tmp_path, LOG4J, "order-service.log")
    assert result.format == "log4j-mdc"
    assert [e.level for e in events] == ["info", "error", "warning"]
    error = events[1]
    assert error.message == "Payment call failed for order ord-88213"
    assert error.thread == "http-nio-8080-exec-7"
    assert error.logger == "com.acme.order.payment.PaymentClient"
    assert error.correlation_id == "req-3f2a9c1e"
    assert error.timestamp == datetime(2026, 11, 28, 14, 5, 31, 877000, tzinfo=UTC)
    assert [e.type for e in error.exceptions][-1].endswith("PaymentGatewayException")
    assert error.exceptions[0].type.endswith("SocketTimeoutException")
    assert error.source.line == 2
    assert events[0].correlation_id is None, "an empty MDC slot is no correlation id"


def test_access_log_5xx_is_an_error_event_with_its_request(tmp_path):
    """An access-log line with status >= 500 is an error event carrying method, path, status, time and id."""
    text = (
        '203.0.113.42 - - [28/Nov/2026:14:05:32 +0000] "POST /api/v1/orders HTTP/1.1" 502 157 "-" "curl/8.4" '
        "30.004 req-3f2a9c1e\n"
        '203.0.113.43 - alice [28/Nov/2026:14:05:33 +0100] "GET /health HTTP/1.1" 200 2 "-" "kube-probe/1.29"\n'
    )
    events, _ = events_of(tmp_path, text, "access.log")
    bad, good = events
    assert bad.level == "error" and good.level == "info"
    assert (bad.http_method, bad.http_path, bad.http_status) == ("POST", "/api/v1/orders", 502)
    assert bad.duration_ms == 30004.0 and bad.correlation_id == "req-3f2a9c1e"
    assert bad.user_ip == "203.0.113.42"
    assert good.user_id == "alice"
    assert good.timestamp == datetime(2026, 11, 28, 13, 5, 33, tzinfo=UTC)


def test_python_logging_with_traceback(tmp_path):
    """A Python logging line followed by a traceback is one error event whose last exception is the raised one."""
    text = (
        "2026-11-28 14:05:02,234 ERROR [worker.jobs] job 124 failed\n"
        "Traceback (most recent call last):\n"
        '  File "/srv/worker/app/jobs.py", line 42, in run\n'
        "    process(job)\n"
        '  File "/srv/worker/app/jobs.py", line 12, in process\n'
        "    raise KeyError('customer_id')\n"
        "KeyError: 'customer_id'\n"
        "2026-11-28 14:05:03,000 INFO [worker.jobs] job 125 done\n"
    )
    events, result = events_of(tmp_path, text, "worker.log")
    assert result.format == "python-bracketed"
    error = events[0]
    assert error.logger == "worker.jobs"
    assert error.exceptions[-1].type == "KeyError"
    assert [f.function for f in error.exceptions[-1].frames] == ["run", "process"]
    assert error.stacktrace is not None and error.stacktrace.startswith("job 124 failed\nTraceback")


def test_syslog_priority_gives_the_level(tmp_path):
    """RFC 3164 lines take their level from PRI and their service from the tag."""
    text = "<11>Nov 28 14:05:32 db-1 postgres[991]: FATAL:  remaining connection slots are reserved\n"
    (event,), _ = events_of(tmp_path, text, "messages")
    assert event.level == "error"
    assert event.service == "postgres"
    assert event.host == "db-1"


def test_raw_text_joins_a_traceback(tmp_path):
    """Text with no header layout still keeps a pasted traceback whole, exception line included."""
    text = (
        "starting worker\n"
        "Traceback (most recent call last):\n"
        '  File "/app/main.py", line 3, in <module>\n'
        "    main()\n"
        "ValueError: bad config\n"
        "worker stopped\n"
    )
    events, result = events_of(tmp_path, text, "stdout.txt")
    assert result.format == "text"
    assert len(events) == 2
    assert events[0].exceptions[-1].type == "ValueError"
    assert events[0].level == "error", "a record carrying a trace is an error when its header names no level"
    assert events[1].message == "worker stopped"


def test_continuation_before_any_header_is_kept(tmp_path):
    """Lines before the first header (a cut-off trace) become a record of their own, not lost."""
    text = "\tat com.acme.Foo.bar(Foo.java:1)\n2026-11-28 14:05:31,877 ERROR [main] com.acme.Foo - boom\n"
    events, _ = events_of(tmp_path, text, "app.log")
    assert len(events) == 2
    assert events[1].message == "boom"


def test_windows_line_endings(tmp_path):
    """CRLF files read like LF files."""
    text = LOG4J.replace("\n", "\r\n")
    events, _ = events_of(tmp_path, text, "order-service.log")
    assert events[1].message == "Payment call failed for order ord-88213"
    assert events[1].exceptions[0].type.endswith("SocketTimeoutException")
