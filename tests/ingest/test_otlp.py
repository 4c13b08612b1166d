"""OTLP traces and logs as the OpenTelemetry Python SDK's exporters send them, in every encoding faultlens reads."""

from __future__ import annotations

import gzip
import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from faultlens.ingest.reader import ReadResult, read_items
from faultlens.ingest.sources import InputRef
from faultlens.ingest.traces import SpanRecord, TelemetryRecord, hex_id
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import open_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "traces_otel"
sys.path.insert(0, str(FIXTURES / "_generate"))
otel_capture = importlib.import_module("otel_capture")
checkout = importlib.import_module("checkout")


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A failing checkout through two services, exported live by the SDK and written in each encoding."""
    out = tmp_path_factory.mktemp("otlp")
    with otel_capture.otlp_receiver() as (url, bodies):
        storefront, payments = otel_capture.telemetry(url, "storefront"), otel_capture.telemetry(url, "payments")
        ids = checkout.run_checkouts(storefront, payments)
        storefront.shutdown()
        payments.shutdown()
    traces, logs = bodies.traces, bodies.logs
    files = {
        "framed": out / "framed" / "traces.binpb",
        "raw": out / "raw",
        "hex": out / "hex" / "traces.jsonl",
        "base64": out / "base64" / "traces.jsonl",
        "snake": out / "snake" / "traces.jsonl",
        "pretty": out / "pretty" / "traces.json",
        "gzip": out / "gzip" / "traces.jsonl.gz",
    }
    for path in files.values():
        (path if path.name == "raw" else path.parent).mkdir(parents=True, exist_ok=True)
    otel_capture.write_framed(traces, files["framed"])
    otel_capture.write_framed(logs, out / "framed" / "logs.binpb")
    for n, body in enumerate(traces):
        otel_capture.write_raw(body, files["raw"] / f"traces-{n}.pb")
    for n, body in enumerate(logs):
        otel_capture.write_raw(body, files["raw"] / f"logs-{n}.pb")
    otel_capture.write_json_lines([otel_capture.otlp_json(b, "traces") for b in traces], files["hex"])
    otel_capture.write_json_lines([otel_capture.otlp_json(b, "logs") for b in logs], out / "hex" / "logs.jsonl")
    otel_capture.write_json_lines([otel_capture.protobuf_json(b, "traces") for b in traces], files["base64"])
    otel_capture.write_json_lines([otel_capture.protobuf_json(b, "logs") for b in logs], out / "base64" / "logs.jsonl")
    otel_capture.write_json_lines([otel_capture.protobuf_json(b, "traces", proto_names=True) for b in traces],
                                  files["snake"])
    merged = {"resourceSpans": [rs for b in traces for rs in otel_capture.otlp_json(b, "traces")["resourceSpans"]]}
    files["pretty"].write_text(json.dumps(merged, indent=2))
    files["gzip"].write_bytes(gzip.compress(files["hex"].read_bytes()))
    return {"dir": out, "files": files, "ids": ids, "traces": traces, "logs": logs}


def read(path: Path) -> tuple[list[Any], ReadResult]:
    result = ReadResult()
    paths = sorted(path.iterdir()) if path.is_dir() else [path]
    return [item for p in paths for item in read_items(InputRef(str(p)), result)], result


def span_rows(items: list[Any]) -> set[tuple[Any, ...]]:
    return {(i.span.trace_id, i.span.span_id, i.span.parent_span_id, i.span.service, i.span.name, i.span.kind,
             i.span.status, i.span.start, i.span.end) for i in items if isinstance(i, SpanRecord)}


def ingest(paths: list[Path]) -> Any:
    store = open_store(":memory:")
    stats = Ingestor(store, IngestOptions()).run([str(p) for p in paths])
    return store, stats


class TestEncodings:
    @pytest.mark.parametrize(("name", "fmt"), [("framed", "otlp-proto"), ("hex", "otlp-json"),
                                               ("base64", "otlp-json"), ("snake", "otlp-json"),
                                               ("pretty", "otlp-json"), ("gzip", "otlp-json")])
    def test_format_detected_by_content(self, captured: dict[str, Any], name: str, fmt: str) -> None:
        """Each encoding of the SDK's export is recognised from its bytes, whatever the file is called."""
        _, result = read(captured["files"][name])
        assert result.format == fmt
        assert not result.problems

    def test_raw_protobuf_is_not_rejected_as_binary(self, captured: dict[str, Any]) -> None:
        """A binary ExportTraceServiceRequest is read as OTLP, not skipped for its NUL bytes."""
        store, stats = ingest([captured["files"]["raw"]])
        assert stats.skipped_inputs == 0
        assert stats.formats == {"otlp-proto": len(captured["traces"]) + len(captured["logs"])}
        assert store.query("totals", since=None, until=None)[0]["events"] > 0

    @pytest.mark.parametrize("name", ["raw", "hex", "base64", "snake", "pretty", "gzip"])
    def test_spans_identical_whichever_encoding(self, captured: dict[str, Any], name: str) -> None:
        """Hex ids, base64 ids, proto field names and protobuf bytes all give the same spans."""
        reference = span_rows(read(captured["files"]["framed"])[0])
        assert len(reference) == 8
        assert span_rows(read(captured["files"][name])[0]) == reference

    def test_ids_are_lowercase_hex(self, captured: dict[str, Any]) -> None:
        """Trace ids are 32 and span ids 16 lowercase hex digits, as the SDK generated them."""
        items, _ = read(captured["files"]["base64"])
        assert captured["ids"]["trace_id"] in {i.span.trace_id for i in items}
        for item in items:
            assert len(item.span.trace_id) == 32 and item.span.trace_id == item.span.trace_id.lower()
            assert len(item.span.span_id) == 16 and int(item.span.span_id, 16)

    def test_log_records_identical_whichever_encoding(self, captured: dict[str, Any]) -> None:
        """A log record has one id, trace id and body whether read from protobuf, hex JSON or base64 JSON."""
        def records(path: Path) -> set[tuple[Any, ...]]:
            return {(r.event_id, r.fields.get("trace_id"), r.fields.get("span_id"), r.message, r.level)
                    for r in read(path)[0] if isinstance(r, TelemetryRecord)}
        framed = records(captured["dir"] / "framed")
        assert len(framed) == 5
        assert records(captured["dir"] / "hex") == framed == records(captured["dir"] / "base64")


class TestStore:
    def test_spans_stored_with_parents_and_services(self, captured: dict[str, Any]) -> None:
        """The charge span's parent is the payments server span, whose parent is the storefront's client span."""
        store, _ = ingest([captured["files"]["framed"]])
        rows = store.con.execute(
            "SELECT span_id, parent_span_id, service, name, kind, status FROM spans WHERE trace_id = ?",
            [captured["ids"]["trace_id"]]).fetchall()
        spans = {row[0]: row for row in rows}
        charge = spans[captured["ids"]["charge_span_id"]]
        assert charge[2:] == ("payments", "charge_card", "internal", "error")
        server = spans[charge[1]]
        assert server[2:5] == ("payments", "POST /charges", "server")
        client = spans[server[1]]
        assert client[2:5] == ("storefront", "POST", "client")
        root = spans[client[1]]
        assert root[1] is None and root[2:5] == ("storefront", "POST /checkout", "server")

    def test_error_span_becomes_event_with_its_exception(self, captured: dict[str, Any]) -> None:
        """The span that recorded CardDeclined becomes an error event with the parsed Python traceback."""
        store, _ = ingest([captured["files"]["framed"]])
        row = store.con.execute(
            "SELECT level, service, exc_type, exc_value, platform, trace_id, parent_span_id, duration_ms, exceptions, "
            "environment, release, host FROM events WHERE span_id = ?", [captured["ids"]["charge_span_id"]]).fetchone()
        level, service, exc_type, exc_value, platform, trace_id, parent, duration, exceptions, env, release, host = row
        assert (level, service, exc_type, platform) == ("error", "payments", "CardDeclined", "python")
        assert exc_value == "card ending 0002 declined for 1999 cents"
        assert trace_id == captured["ids"]["trace_id"] and parent is not None and duration > 0
        assert (env, release, host) == ("test", "1.0.0", "payments-1")
        frames = json.loads(exceptions)[-1]["frames"]
        assert [f["function"] for f in frames][-2:] == ["run_checkouts", "charge_card"]

    def test_failing_server_span_carries_the_request(self, captured: dict[str, Any]) -> None:
        """A span failing without an exception is an error event with its HTTP method, path and status."""
        store, _ = ingest([captured["files"]["framed"]])
        row = store.con.execute("SELECT message, http_method, http_path, http_status FROM events "
                                "WHERE service = 'payments' AND exc_type IS NULL AND level = 'error'").fetchone()
        assert row == ("POST /charges failed with HTTP 402", "POST", "/charges", 402)

    def test_log_records_become_events_and_are_counted(self, captured: dict[str, Any]) -> None:
        """OTLP log records are counted like log lines; the ERROR one is an event with the exception it logged."""
        store, stats = ingest([captured["dir"] / "framed" / "logs.binpb"])
        assert stats.records == 5
        volume = dict(store.con.execute("SELECT level, sum(count) FROM volume GROUP BY level").fetchall())
        assert volume == {"info": 3, "warning": 1, "error": 1}
        row = store.con.execute("SELECT message, exc_type, trace_id, logger, service FROM events "
                                "WHERE level = 'error'").fetchone()
        assert row == ("charge failed", "CardDeclined", captured["ids"]["trace_id"], "payments.charges", "payments")

    def test_reingestion_adds_nothing(self, captured: dict[str, Any]) -> None:
        """Reading the same trace and log files again adds no event, span or count."""
        paths = [captured["files"]["framed"], captured["dir"] / "framed" / "logs.binpb", captured["files"]["hex"]]
        store = open_store(":memory:")
        first = Ingestor(store, IngestOptions()).run([str(p) for p in paths])

        def sizes() -> tuple[int, ...]:
            return tuple(store.con.execute(f"SELECT coalesce(sum({c}), 0) FROM {t}").fetchone()[0]
                         for t, c in (("events", "1"), ("spans", "1"), ("volume", "count")))
        before = sizes()
        again = Ingestor(store, IngestOptions()).run([str(p) for p in paths])
        assert first.events_new > 0 and again.events_new == 0
        assert sizes() == before

    def test_event_ids_identical_whichever_encoding(self, captured: dict[str, Any]) -> None:
        """Events from protobuf and from base64 JSON have the same ids, so either encoding stores them once."""
        def ids(paths: list[Path]) -> set[str]:
            store, _ = ingest(paths)
            return {row[0] for row in store.con.execute("SELECT id FROM events").fetchall()}
        framed = ids([captured["dir"] / "framed"])
        assert len(framed) >= 4
        assert ids([captured["dir"] / "base64"]) == framed


class TestCommittedFixtures:
    def test_checkout_fixture_reads_as_captured(self) -> None:
        """The committed SDK capture decodes to its recorded failing span, in protobuf and in JSON alike."""
        ids = json.loads((FIXTURES / "checkout" / "ids.json").read_text())
        for name in ("traces.binpb", "traces.otlp.jsonl", "traces.pbjson.jsonl"):
            items, _ = read(FIXTURES / "checkout" / name)
            charge = next(i for i in items if i.span.span_id == ids["charge_span_id"])
            assert charge.span.trace_id == ids["trace_id"] and charge.failed, name
            assert charge.exception_events()[0].attributes["exception.type"].endswith("CardDeclined")


class TestIds:
    @pytest.mark.parametrize(("value", "size", "expected"), [
        ("5B8EFFF798038103D269B633813FC60C", 16, "5b8efff798038103d269b633813fc60c"),
        ("W47/95gDgQPSabYzgT/GDA==", 16, "5b8efff798038103d269b633813fc60c"),
        ("W47_95gDgQPSabYzgT_GDA", 16, "5b8efff798038103d269b633813fc60c"),
        ("7u6bfsPBsXQ=", 8, "eeee9b7ec3c1b174"),
        (bytes.fromhex("eeee9b7ec3c1b174"), 8, "eeee9b7ec3c1b174"),
        ("2", 8, "0000000000000002"),
        ("4d1e00c0db9010db", 16, "4d1e00c0db9010db"),
        ("", 8, None),
        ("AAAAAAAAAAA=", 8, None),
        ("0000000000000000", 8, None),
    ])
    def test_hex_id(self, value: Any, size: int, expected: str | None) -> None:
        """Hex (any case), base64 (padded, unpadded, URL-safe), raw bytes and short hex all become lowercase hex."""
        assert hex_id(value, size) == expected
