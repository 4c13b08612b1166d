"""Zipkin v2 JSON from OpenTelemetry's Zipkin exporter, and Jaeger's query-API JSON, read as spans and errors."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from faultlens.ingest.jaeger import decode_jaeger_document
from faultlens.ingest.reader import ReadResult, read_items
from faultlens.ingest.sources import InputRef
from faultlens.ingest.traces import SpanRecord, span_error_event
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import open_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "traces_otel"
sys.path.insert(0, str(FIXTURES / "_generate"))
otel_capture = importlib.import_module("otel_capture")
checkout = importlib.import_module("checkout")
generate = importlib.import_module("generate")


def read(path: Path) -> tuple[list[SpanRecord], ReadResult]:
    result = ReadResult()
    items = [i for i in read_items(InputRef(str(path)), result) if isinstance(i, SpanRecord)]
    return items, result


@pytest.fixture(scope="module")
def zipkin_live(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The checkout scenario exported by the SDK's Zipkin JSON v2 exporter, as the bodies it posted."""
    with otel_capture.otlp_receiver() as (url, captured):
        ids = checkout.run_checkouts(
            otel_capture.Telemetry(generate.zipkin_provider(url, "storefront"), generate.LoggerProvider()),
            otel_capture.Telemetry(generate.zipkin_provider(url, "payments"), generate.LoggerProvider()))
    path = tmp_path_factory.mktemp("zipkin") / "spans.jsonl"
    path.write_bytes(b"\n".join(captured.bodies["/api/v2/spans"]) + b"\n")
    return path, ids


class TestZipkin:
    @pytest.mark.parametrize("source", ["committed", "live"])
    def test_spans_parents_services_and_failure(self, source: str, zipkin_live: tuple[Path, dict[str, str]]) -> None:
        """Zipkin spans keep their parents and services; the failing span's exception annotation is its event."""
        if source == "committed":
            path = FIXTURES / "zipkin" / "checkout.json"
            ids = json.loads((FIXTURES / "zipkin" / "ids.json").read_text())
        else:
            path, ids = zipkin_live
        items, result = read(path)
        assert result.format == "zipkin" and not result.problems
        spans = {i.span.span_id: i for i in items if i.span.trace_id == ids["trace_id"]}
        charge = spans[ids["charge_span_id"]]
        assert (charge.span.service, charge.span.name, charge.span.status) == ("payments", "charge_card", "error")
        server = spans[charge.span.parent_span_id]
        assert (server.span.service, server.span.kind) == ("payments", "server")
        assert spans[server.span.parent_span_id].span.service == "storefront"
        event = span_error_event(charge)
        assert event is not None and event.exceptions[-1].type == "CardDeclined"
        assert event.exceptions[-1].value == "card ending 0002 declined for 1999 cents"
        assert event.platform == "python" and event.trace_id == ids["trace_id"]

    def test_error_tag_without_status(self, tmp_path: Path) -> None:
        """A span from Brave or another Zipkin tracer fails by its `error` tag, whose value is the message."""
        doc = [{"traceId": "4d1e00c0db9010db86154a4ba6e91385", "parentId": "86154a4ba6e91385",
                "id": "4d1e00c0db9010db", "kind": "CLIENT", "name": "get", "timestamp": 1472470996199000,
                "duration": 207000, "localEndpoint": {"serviceName": "frontend", "ipv6": "7::80:807f"},
                "remoteEndpoint": {"serviceName": "backend", "ipv4": "192.168.99.101", "port": 9000},
                "annotations": [{"timestamp": 1472470996238000, "value": "foo"}],
                "tags": {"http.path": "/api", "error": "502 Bad Gateway"}}]
        path = tmp_path / "spans.json"
        path.write_text(json.dumps(doc))
        (item,), _ = read(path)
        assert (item.span.status, item.span.status_message, item.span.kind) == ("error", "502 Bad Gateway", "client")
        assert item.span.attributes["peer.service"] == "backend"
        assert item.events[0].name == "foo"


class TestJaeger:
    def test_query_api_export(self) -> None:
        """A trace downloaded from Jaeger: services from processes, parents from CHILD_OF, OTel status tags."""
        items, result = read(FIXTURES / "jaeger" / "checkout.json")
        assert result.format == "jaeger" and len(items) == 6
        spans = {i.span.span_id: i for i in items}
        charge = spans["c42e9a8b1d7f3350"]
        assert (charge.span.service, charge.span.kind, charge.span.status) == ("payments", "server", "error")
        assert charge.span.status_message == "connection pool exhausted"
        assert spans[charge.span.parent_span_id].span.name == "charge"
        assert spans["eee19b7ec3c1b174"].span.parent_span_id is None
        assert spans["0d4c3a1f9e2b7765"].span.status is None

    def test_exception_log_becomes_event_with_java_frames(self) -> None:
        """The exception log of the payments span is parsed as a JVM stack trace."""
        items, _ = read(FIXTURES / "jaeger" / "checkout.json")
        charge = next(i for i in items if i.span.span_id == "c42e9a8b1d7f3350")
        event = span_error_event(charge)
        assert event is not None and event.platform == "java"
        exc = event.exceptions[-1]
        assert exc.type == "SQLTransientConnectionException" and exc.module == "java.sql"
        assert exc.frames[-1].function == "createTimeoutException"
        assert event.release == "5.2.1"

    def test_ui_fixture_shape_and_opentracing_error_log(self) -> None:
        """A bare trace object (Jaeger's own fixture shape) with unpadded ids and an OpenTracing error log."""
        doc = {"traceID": "0000000000000001", "spans": [
            {"traceID": "0000000000000001", "spanID": "2", "operationName": "some-operation", "references": [],
             "startTime": 1485467191639875, "duration": 5, "processID": "p1", "warnings": None,
             "tags": [{"key": "error", "type": "bool", "value": True}],
             "logs": [{"timestamp": 1485467191639877, "fields": [
                 {"key": "event", "type": "string", "value": "error"},
                 {"key": "error.kind", "type": "string", "value": "TimeoutError"},
                 {"key": "message", "type": "string", "value": "upstream timed out"}]}]},
            {"traceID": "0000000000000001", "spanID": "3", "operationName": "child", "processID": "p2",
             "references": [{"refType": "CHILD_OF", "traceID": "0000000000000001", "spanID": "2"}],
             "startTime": 1485467191639875, "duration": 5, "tags": [], "logs": []}],
            "processes": {"p1": {"serviceName": "service-x", "tags": []},
                          "p2": {"serviceName": "service-y", "tags": []}}}
        parent, child = decode_jaeger_document(doc, "trace.json", 1)
        assert (parent.span.span_id, child.span.parent_span_id) == ("0000000000000002", "0000000000000002")
        assert child.span.service == "service-y"
        event = span_error_event(parent)
        assert event is not None
        assert (event.exceptions[-1].type, event.exceptions[-1].value) == ("TimeoutError", "upstream timed out")


class TestIngest:
    def test_zipkin_and_jaeger_errors_join_the_store(self) -> None:
        """Both formats store their spans and turn their failing spans into issues."""
        store = open_store(":memory:")
        stats = Ingestor(store, IngestOptions()).run([str(FIXTURES / "zipkin" / "checkout.json"),
                                                    str(FIXTURES / "jaeger" / "checkout.json")])
        assert stats.formats == {"zipkin": 1, "jaeger": 1} and stats.skipped_inputs == 0
        assert store.con.execute("SELECT count(*) FROM spans").fetchone()[0] == 14
        types = {row[0] for row in store.con.execute("SELECT exc_type FROM events").fetchall()}
        assert {"CardDeclined", "SQLTransientConnectionException"} <= types

    def test_json_logs_mentioning_trace_fields_stay_logs(self, tmp_path: Path) -> None:
        """A JSON log line with `traceID` and `spans` keys is not taken for a Jaeger export."""
        path = tmp_path / "app.log"
        path.write_text(json.dumps({"level": "error", "message": "flush failed", "traceID": "ab12", "spans": 3}) + "\n")
        result = ReadResult()
        records = list(read_items(InputRef(str(path)), result))
        assert result.format == "json" and records[0].message == "flush failed"


def test_zipkin_fixture_is_the_exporters_shape() -> None:
    """The committed Zipkin file holds what the exporter wrote: v2 spans with the fields its API defines."""
    spans: list[dict[str, Any]] = json.loads((FIXTURES / "zipkin" / "checkout.json").read_text())
    assert all({"traceId", "id", "name", "timestamp", "duration", "localEndpoint"} <= set(s) for s in spans)
