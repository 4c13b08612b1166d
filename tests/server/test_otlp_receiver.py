"""The real OpenTelemetry SDK's OTLP/HTTP exporters send logs and spans; failures become issues."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.server.test_ingest_answers import limited

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "traces_otel" / "checkout"
RESOURCE = Resource.create({"service.name": "checkout", "service.version": "2.0.1",
                            "deployment.environment.name": "staging"})


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_sdk_logs_and_spans(running: Any, credentials: Any, compression: Compression) -> None:
    """Exported log records and spans are stored; an exception log and a failing span each become an issue."""
    headers = {"x-faultlens-key": credentials.public_key}
    tracer_provider = TracerProvider(resource=RESOURCE)
    tracer_provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(
        endpoint=f"{running.url}/v1/traces", headers=headers, compression=compression, timeout=10)))
    logger_provider = LoggerProvider(resource=RESOURCE)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(
        endpoint=f"{running.url}/v1/logs", headers=headers, compression=compression, timeout=10)))
    logger = logger_provider.get_logger("checkout.orders")
    try:
        tracer = tracer_provider.get_tracer("checkout")
        with tracer.start_as_current_span("POST /orders", kind=SpanKind.SERVER) as span:
            span.set_attribute("http.request.method", "POST")
            span.set_attribute("url.path", "/orders")
            span.set_attribute("http.response.status_code", 502)
            with tracer.start_as_current_span("charge card", kind=SpanKind.CLIENT) as child:
                child.record_exception(TimeoutError("gateway timed out after 30 s"))
                child.set_status(Status(StatusCode.ERROR, "gateway timed out"))
            span.set_status(Status(StatusCode.ERROR))
            logger.emit(severity_number=SeverityNumber.INFO, severity_text="INFO", body="order received")
            try:
                raise ConnectionRefusedError("inventory refused the connection")
            except ConnectionRefusedError as exc:
                logger.emit(severity_number=SeverityNumber.ERROR, severity_text="ERROR", body="cannot reserve stock",
                            exception=exc)
    finally:
        tracer_provider.shutdown()
        logger_provider.shutdown()
    running.wait_committed()
    with running.client(credentials.token) as client:
        issues = client.get("/api/projects/shop/issues").json()["issues"]
        report = client.get("/api/projects/shop/report").json()
    titles = {issue["title"] for issue in issues}
    assert "TimeoutError: gateway timed out after 30 s" in titles
    assert any("cannot reserve stock" in title or "ConnectionRefusedError" in title for title in titles)
    assert all(issue["services"] == ["checkout"] for issue in issues)
    assert {rate["service"]: rate["records"] for rate in report["service_rates"]}["checkout"] >= 2


def test_otlp_json_body_and_bad_bodies(running: Any, credentials: Any) -> None:
    """OTLP/JSON (hex ids) is read like protobuf; a body that is neither is 400 and an unknown type 415."""
    headers = {"Authorization": f"Bearer {credentials.public_key}"}
    with running.client() as client:
        for line in (FIXTURES / "traces.otlp.jsonl").read_text().splitlines():
            answer = client.post("/v1/traces", content=line, headers={**headers, "Content-Type": "application/json"})
            assert answer.status_code == 200 and answer.json() == {}
        bad = client.post("/v1/logs", content=b"\x00garbage\xff", headers={
            **headers, "Content-Type": "application/x-protobuf"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "malformed"
        text = client.post("/v1/logs", content=b"hi", headers={**headers, "Content-Type": "text/plain"})
        assert text.status_code == 415
        empty = client.post("/v1/traces", content=b"", headers={**headers, "Content-Type": "application/x-protobuf"})
        assert empty.status_code == 200
    running.wait_committed()
    with running.client(credentials.token) as client:
        assert client.get("/api/projects/shop/issues").json()["issues"], "failing spans of the fixture are issues"


def test_an_oversized_record_is_413(server_config: Any, credentials: Any, start_server: Any) -> None:
    """Each span and log record is held to the event size limit, as a Sentry item or a log line is."""
    running = start_server(limited(server_config, max_event_bytes=16 * 1024))
    headers = {"Authorization": f"Bearer {credentials.public_key}", "Content-Type": "application/json"}

    def logs(body: str) -> bytes:
        return orjson.dumps({"resourceLogs": [{"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "checkout"}}]}, "scopeLogs": [{"logRecords": [
                {"timeUnixNano": "1764547200000000000", "severityText": "ERROR", "body": {"stringValue": body}}]}]}]})
    spans = orjson.loads((FIXTURES / "traces.otlp.jsonl").read_text().splitlines()[0])
    span = spans["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span.setdefault("attributes", []).append({"key": "blob", "value": {"stringValue": "s" * 20_000}})
    with running.client() as client:
        assert client.post("/v1/logs", content=logs("payment failed"), headers=headers).status_code == 200
        big = client.post("/v1/logs", content=logs("x" * 20_000), headers=headers)
        assert big.status_code == 413 and "log record" in big.json()["error"]["message"]
        wide = client.post("/v1/traces", content=orjson.dumps(spans), headers=headers)
        assert wide.status_code == 413 and "span" in wide.json()["error"]["message"]
