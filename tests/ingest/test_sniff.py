"""Format detection picks the decoder that fits the whole file from its first lines."""

from __future__ import annotations

import pytest

from faultlens.ingest.sniff import sniff

SAMPLES = {
    "log4j-mdc": [
        "2026-11-28 14:05:31,877 ERROR [http-nio-8080-exec-7] [req-3f2a] com.acme.order.PaymentClient - failed",
        "2026-11-28 14:05:32,001 INFO  [main] [] com.acme.order.App - started",
    ],
    "log4j": ["2026-11-28 14:05:31,877 ERROR [main] com.acme.Foo - boom", "2026-11-28 14:05:31,878 INFO [main] a.B - ok"],
    "logback": ["2026-11-28 14:05:31.877 [main] ERROR com.acme.Foo - boom"],
    "spring-boot": [
        "2026-11-28T14:05:31.877Z ERROR 1234 --- [order] [nio-8080-exec-1] c.a.o.OrderController : boom",
        "2026-11-28 14:05:31.877  INFO 1234 --- [           main] c.a.o.App                : started",
    ],
    "python-bracketed": ["2026-11-28 14:05:01,234 ERROR [worker.jobs] job 124 failed"],
    "python-dashes": ["2026-11-28 14:05:01,234 - worker.jobs - ERROR - job 124 failed"],
    "python-basic": ["ERROR:root:boom", "WARNING:app.db:slow"],
    "access-log": [
        '203.0.113.42 - - [28/Nov/2026:14:05:32 +0000] "POST /api/v1/orders HTTP/1.1" 502 157 "-" "curl/8" 30.004 r-1',
        '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
    ],
    "nginx-error": ["2026/11/28 14:05:32 [error] 31#31: *10234 upstream timed out (110: Connection timed out)"],
    "apache-error": ["[Wed Oct 11 14:32:52.123 2000] [core:error] [pid 35708:tid 4328636416] [client 1.2.3.4:1] x"],
    "syslog-3164": ["<34>Oct 11 22:14:15 mymachine su[123]: 'su root' failed for lonvick on /dev/pts/8",
                    "Oct 11 22:14:16 mymachine sshd[77]: Accepted publickey for bob"],
    "syslog-5424": ["<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - An application event"],
    "rails": ["E, [2026-11-28T14:05:31.877123 #1234] ERROR -- : boom", "I, [2026-11-28T14:05:31.877123 #1234]  INFO -- : ok"],
    "go-log": ["2026/11/28 14:05:32 http: panic serving 10.0.0.1:5000: runtime error"],
    "zap-console": ["2026-11-28T14:05:31.877Z\tERROR\tpayment/charge.go:42\tcharge failed\t{\"id\": 1}"],
    "klog": ["E1128 14:05:31.877123    1234 controller.go:42] sync failed"],
    "flask": ["[2026-11-28 14:05:31,877] ERROR in app: Exception on /charge [POST]"],
    "env-logger": ["[2026-11-28T14:05:31Z ERROR my_crate::db] pool timed out"],
}


@pytest.mark.parametrize("dialect", sorted(SAMPLES))
def test_text_dialects_are_detected(dialect):
    """Each common plain-text header layout is recognised by name."""
    detected = sniff(SAMPLES[dialect])
    assert detected.format == "text"
    assert detected.dialect is not None and detected.dialect.name == dialect


def test_json_lines_detected():
    """Lines of JSON objects are JSON, even with a stray text line among them."""
    lines = ['{"level": "error", "msg": "x"}', '{"level": "info", "msg": "y"}', "panic: boom"]
    assert sniff(lines).format == "json"


def test_docker_and_cri_detected():
    """Container runtimes' wrappers are told apart from the application's own JSON."""
    docker = ['{"log":"hello\\n","stream":"stdout","time":"2026-11-28T14:05:31.877Z"}']
    cri = ["2026-11-28T14:05:31.877000000Z stderr F 2026-11-28 14:05:31,877 ERROR [main] a.B - boom"]
    assert sniff(docker).format == "docker"
    assert sniff(cri).format == "cri"


def test_logfmt_detected():
    """key=value lines with a level or message key are logfmt."""
    lines = ['time=2026-11-28T14:05:31Z level=error msg="charge failed" order=42']
    assert sniff(lines).format == "logfmt"


def test_unknown_text_has_no_dialect():
    """Text with no known header is read raw, line by line."""
    assert sniff(["hello world", "another line"]).dialect is None


def test_a_megabyte_word_is_sniffed_in_linear_time():
    """A line of a megabyte without `=` costs the logfmt check one scan, not one per character (a ReDoS before)."""
    import time

    line = "a" * (1 << 20)
    started = time.process_time()
    assert sniff([line] * 3).format == "text"
    assert time.process_time() - started < 5  # quadratic, it took over an hour
