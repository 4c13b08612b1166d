"""JSON decoding of what real logging libraries write, recorded from the libraries inside each test."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import orjson
import pytest

from faultlens.ingest.extract import Extractor
from faultlens.ingest.reader import ReadResult, read_records
from faultlens.ingest.sources import InputRef
from faultlens.model import Event

FALLBACK = datetime(2000, 1, 1, tzinfo=UTC)


def decode_lines(tmp_path, text: str, name: str = "app.jsonl") -> list[Event]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    extract = Extractor("fallback-service", FALLBACK)
    result = ReadResult()
    events = [extract(r) for r in read_records(InputRef(str(path)), result)]
    assert result.format in ("json", "docker")
    return events


def fail() -> None:
    {}["customer_id"]


def stdlib_logger(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"payment.{id(buffer)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, buffer


def test_structlog_json_renderer_with_format_exc_info(tmp_path):
    """structlog's JSONRenderer: `event` is the message, `exception` the traceback text."""
    structlog = pytest.importorskip("structlog")
    buffer = io.StringIO()
    logger = structlog.wrap_logger(
        structlog.PrintLogger(buffer),
        processors=[structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.format_exc_info, structlog.processors.JSONRenderer()],
    )
    logger.info("charge started", order_id="ord-1", user_id="user-7")
    try:
        fail()
    except KeyError:
        logger.exception("charge failed", order_id="ord-1")
    started, failed = decode_lines(tmp_path, buffer.getvalue())
    assert started.level == "info" and started.message == "charge started"
    assert started.user_id == "user-7" and started.tags["order_id"] == "ord-1"
    assert failed.level == "error" and failed.message == "charge failed"
    assert failed.exceptions[-1].type == "KeyError"
    assert failed.exceptions[-1].frames[-1].function == "fail"
    assert failed.timestamp.year >= 2024


def test_structlog_dict_tracebacks(tmp_path):
    """structlog's dict_tracebacks: the structured exception becomes the chain without parsing text."""
    structlog = pytest.importorskip("structlog")
    buffer = io.StringIO()
    logger = structlog.wrap_logger(
        structlog.PrintLogger(buffer),
        processors=[structlog.processors.add_log_level, structlog.processors.dict_tracebacks,
                    structlog.processors.JSONRenderer()],
    )
    try:
        try:
            fail()
        except KeyError as exc:
            raise RuntimeError("order lookup failed") from exc
    except RuntimeError:
        logger.exception("lookup failed")
    (event,) = decode_lines(tmp_path, buffer.getvalue())
    assert [e.type for e in event.exceptions] == ["KeyError", "RuntimeError"]
    assert event.exceptions[0].relation == "cause"
    assert event.exceptions[0].frames[-1].function == "fail"


def test_python_json_logger_with_exc_info(tmp_path):
    """python-json-logger: `levelname`, `name`, `asctime`, and the traceback in `exc_info`."""
    jsonlogger = pytest.importorskip("pythonjsonlogger.json")
    logger, buffer = stdlib_logger(jsonlogger.JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger.warning("slow charge", extra={"duration_ms": 2547, "correlation_id": "req-7f3b"})
    try:
        fail()
    except KeyError:
        logger.exception("charge failed")
    slow, failed = decode_lines(tmp_path, buffer.getvalue())
    assert slow.level == "warning" and slow.duration_ms == 2547 and slow.correlation_id == "req-7f3b"
    assert slow.logger == logger.name
    assert failed.level == "error"
    assert failed.exceptions[-1].type == "KeyError" and failed.exceptions[-1].value == "'customer_id'"


def test_ecs_logging_stdlib_formatter(tmp_path):
    """ecs-logging: `@timestamp`, `log.level`, `log.logger`, `error.type` and `error.stack_trace`."""
    ecs_logging = pytest.importorskip("ecs_logging")
    logger, buffer = stdlib_logger(ecs_logging.StdlibFormatter())
    try:
        fail()
    except KeyError:
        logger.exception("charge failed", extra={"service.name": "payment-service", "user.id": "user-9"})
    (event,) = decode_lines(tmp_path, buffer.getvalue())
    assert event.level == "error" and event.message == "charge failed"
    assert event.service == "payment-service" and event.user_id == "user-9"
    assert event.logger == logger.name
    assert event.exceptions[-1].type == "KeyError"
    assert event.exceptions[-1].frames, "the stack_trace text is parsed into frames"


def test_structured_layout_of_the_method(tmp_path):
    """The layout faultlens recommends: every field lands in its place."""
    line = {
        "timestamp": "2025-10-11T14:23:45.123Z", "level": "ERROR", "message": "Failed to charge card",
        "correlation_id": "req-7f3b2a1c", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "span_id": "00f067aa0ba902b7", "service": "payment-service", "environment": "production",
        "host": "pod-payment-7d4f8b9c-xk2l9", "version": "v2.3.1",
        "error": {"type": "PaymentProcessingException", "message": "Insufficient funds", "stack_trace": "",
                  "fingerprint": "payment-insufficient-funds"},
        "user": {"id": "user-12345", "ip": "203.0.113.42", "session_id": "sess-abc123"},
        "request": {"method": "POST", "path": "/api/v1/payments/charge", "duration_ms": 2547, "status_code": 402},
        "context": {"payment_method": "credit_card", "amount": 149.99},
    }
    (event,) = decode_lines(tmp_path, orjson.dumps(line).decode() + "\n")
    assert event.timestamp == datetime(2025, 10, 11, 14, 23, 45, 123000, tzinfo=UTC)
    assert (event.service, event.environment, event.host, event.release) == (
        "payment-service", "production", "pod-payment-7d4f8b9c-xk2l9", "v2.3.1")
    assert (event.trace_id, event.span_id, event.correlation_id) == (
        "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "req-7f3b2a1c")
    assert (event.user_id, event.user_ip, event.session_id) == ("user-12345", "203.0.113.42", "sess-abc123")
    assert (event.http_method, event.http_path, event.http_status, event.duration_ms) == (
        "POST", "/api/v1/payments/charge", 402, 2547.0)
    assert event.exceptions[-1].type == "PaymentProcessingException"
    assert event.explicit_fingerprint == "payment-insufficient-funds"
    assert event.tags["context.payment_method"] == "credit_card"


# Recorded from the producers' own documentation and output; each keeps its source.
RECORDED = {
    # Datadog's JSON log attributes, as the docs' "Connect logs and traces" page shows (ddtrace log injection).
    "datadog": ('{"timestamp": "2026-11-28T14:05:01.123Z", "status": "error", "message": "charge failed", '
                '"service": "payment", "env": "prod", "version": "1.2", "dd.trace_id": "1234567890123456789", '
                '"dd.span_id": "987654321", "error.kind": "TimeoutError", "error.message": "pool exhausted", '
                '"usr.id": "u-1"}',
                {"level": "error", "service": "payment", "environment": "prod", "release": "1.2",
                 "trace_id": "1234567890123456789", "user_id": "u-1"}),
    # Bunyan's core fields (node-bunyan README: name, hostname, pid, level, msg, time, v) with an err object.
    "bunyan": ('{"name":"checkout","hostname":"web-1","pid":4242,"level":50,"err":{"message":"connect ECONNREFUSED '
               '127.0.0.1:5432","name":"Error","stack":"Error: connect ECONNREFUSED 127.0.0.1:5432\\n    at '
               'TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)"},"msg":"db down",'
               '"time":"2026-11-28T14:05:01.123Z","v":0}',
               {"level": "error", "service": "checkout", "host": "web-1"}),
    # Pino's default line (pino docs: level, time in epoch ms, pid, hostname, msg) with an err serializer.
    "pino": ('{"level":50,"time":1795874701123,"pid":77,"hostname":"api-2","err":{"type":"Error",'
             '"message":"boom","stack":"Error: boom\\n    at handler (/srv/api/src/routes.js:10:11)"},"msg":"boom"}',
             {"level": "error", "host": "api-2"}),
    # logstash-logback-encoder's LogstashEncoder standard fields (project README, "Standard Fields").
    "logstash-logback": ('{"@timestamp":"2026-11-28T14:05:01.123+00:00","@version":"1","message":"call failed",'
                         '"logger_name":"com.acme.order.PaymentClient","thread_name":"http-nio-8080-exec-7",'
                         '"level":"ERROR","level_value":40000,"stack_trace":"java.net.SocketTimeoutException: Read '
                         'timed out\\n\\tat java.base/java.net.Socket$SocketInputStream.read(Socket.java:1099)\\n\\tat '
                         'com.acme.order.PaymentClient.authorize(PaymentClient.java:118)\\n"}',
                         {"level": "error", "logger": "com.acme.order.PaymentClient",
                          "thread": "http-nio-8080-exec-7"}),
    # GCP Cloud Logging structured-logging special fields (cloud.google.com/logging/docs/structured-logging).
    "gcp": ('{"severity":"ERROR","message":"charge failed","time":"2026-11-28T14:05:01.123Z",'
            '"logging.googleapis.com/trace":"projects/shop/traces/4bf92f3577b34da6a3ce929d0e0e4736",'
            '"logging.googleapis.com/spanId":"00f067aa0ba902b7","serviceContext":{"service":"payment",'
            '"version":"v7"}}',
            {"level": "error", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7",
             "service": "payment", "release": "v7"}),
}


@pytest.mark.parametrize("producer", sorted(RECORDED))
def test_recorded_producers(tmp_path, producer):
    """Each common producer's fields map onto the event's."""
    line, expected = RECORDED[producer]
    (event,) = decode_lines(tmp_path, line + "\n")
    for field, value in expected.items():
        assert getattr(event, field) == value, field
    assert event.timestamp.year == 2026


def test_bunyan_and_pino_errors_carry_their_stacks(tmp_path):
    """`err.stack` of Node loggers is parsed into the exception chain."""
    for producer in ("bunyan", "pino", "logstash-logback"):
        (event,) = decode_lines(tmp_path, RECORDED[producer][0] + "\n", name=f"{producer}.jsonl")
        assert event.exceptions and event.exceptions[-1].frames, producer


def test_docker_json_file_unwraps_the_application_line(tmp_path):
    """Docker's json-file driver: the application's own JSON inside `log` is decoded, with its fields."""
    inner = orjson.dumps({"level": "error", "msg": "boom", "service": "cart"}).decode()
    lines = [orjson.dumps({"log": inner + "\n", "stream": "stderr", "time": "2026-11-28T14:05:01.5Z"}).decode()]
    (event,) = decode_lines(tmp_path, "\n".join(lines) + "\n", name="container-json.log")
    assert event.level == "error" and event.message == "boom" and event.service == "cart"
    assert event.timestamp == datetime(2026, 11, 28, 14, 5, 1, 500000, tzinfo=UTC)
    assert event.tags["stream"] == "stderr"
