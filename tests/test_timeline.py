"""`faultlens timeline` on a real failing request through three services.

The services are three Starlette apps under uvicorn on 127.0.0.1, calling each other with httpx,
instrumented with the real OpenTelemetry SDK (ASGI and httpx instrumentation, OTLP/HTTP exporter) and
logging JSON lines with the trace id; the spans are written as the collector's file exporter would.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from faultlens.commands import app
from faultlens.commands import timeline as timeline_command
from faultlens.errors import FaultlensError
from faultlens.ingest.reader import ReadResult, read_items
from faultlens.ingest.sources import InputRef
from faultlens.ingest.traces_request import ReadOptions, read_request, trace_needles
from faultlens.runner import service_from_path
from faultlens.timeline import Timeline, build_timeline

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "traces_otel"
sys.path.insert(0, str(FIXTURES / "_generate"))
otel_capture = importlib.import_module("otel_capture")
services = importlib.import_module("services")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One good and one failing checkout through gateway → orders → inventory; their logs and spans."""
    out = tmp_path_factory.mktemp("three")
    with otel_capture.otlp_receiver() as (url, captured):
        telemetry = {name: otel_capture.telemetry(url, name) for name in ("gateway", "orders", "inventory")}
        with services.three_services(telemetry, out) as gateway:
            ok = httpx.get(f"{gateway}/checkout/sku-1", headers={"x-correlation-id": "corr-ok-1"})
            failed = httpx.get(f"{gateway}/checkout/sku-404", headers={"x-correlation-id": "corr-bad-7"})
        for t in telemetry.values():
            t.shutdown()
    otel_capture.write_framed(captured.traces, out / "spans.binpb")
    lines = [json.loads(line) for line in (out / "inventory.log").read_text().splitlines()]
    trace_id = next(line["trace_id"] for line in lines if line["correlation_id"] == "corr-bad-7")
    return {"dir": out, "trace_id": trace_id, "statuses": (ok.status_code, failed.status_code)}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the command as `faultlens.cli.main` does: a FaultlensError becomes its exit code."""
    assert timeline_command.timeline is not None  # imported for its registration on `app`
    code = 0
    try:
        app(["timeline", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    except FaultlensError as exc:
        code = exc.exit_code
    return code, capsys.readouterr().out


def timeline_of(run: dict[str, Any], kind: str, request_id: str) -> Timeline:
    data = read_request([str(run["dir"])], kind, request_id, ReadOptions(default_service=service_from_path))
    return build_timeline(kind, request_id, [item.span for item in data.spans], data.events, data.files)


def test_requests_behaved_as_staged(run: dict[str, Any]) -> None:
    """The good checkout answered 200, the failing one 502."""
    assert run["statuses"] == (200, 502)


def test_waterfall_in_order(run: dict[str, Any]) -> None:
    """Spans run parent before child, each a level deeper, from the gateway down to inventory's reserve_stock."""
    timeline = timeline_of(run, "trace", run["trace_id"])
    assert [(s.service, s.kind, s.depth) for s in timeline.spans] == [
        ("gateway", "server", 0), ("gateway", "client", 1), ("orders", "server", 2), ("orders", "client", 3),
        ("inventory", "server", 4), ("inventory", "internal", 5)]
    assert timeline.spans[-1].name == "reserve_stock"
    offsets = [s.offset_ms for s in timeline.spans]
    assert offsets == sorted(offsets) and offsets[0] == 0.0
    assert timeline.services == ["gateway", "orders", "inventory"]
    assert all(s.start >= parent.start and s.end <= parent.end
               for parent, s in zip(timeline.spans, timeline.spans[1:], strict=False))


def test_failing_span_and_where_errors_began(run: dict[str, Any]) -> None:
    """The deepest failing span is reserve_stock in inventory; the first error is its StockLookupError."""
    timeline = timeline_of(run, "trace", run["trace_id"])
    assert timeline.failing_span is not None
    assert (timeline.failing_span.name, timeline.failing_span.service) == ("reserve_stock", "inventory")
    assert [s.service for s in timeline.failing_spans][:2] == ["inventory", "inventory"]
    assert timeline.origin_service == "inventory"
    first = timeline.first_error
    assert first is not None and first.service == "inventory" and first.exception_type == "StockLookupError"
    assert "The failing span is reserve_stock in inventory" in timeline.summary


def test_log_lines_interleaved_under_their_spans(run: dict[str, Any]) -> None:
    """INFO lines of the request are kept, each under the span that was current when it was logged."""
    timeline = timeline_of(run, "trace", run["trace_id"])
    texts = [(e.kind, e.service, e.text, e.depth) for e in timeline.entries]
    assert ("log", "inventory", "inventory received GET for sku-404", 5) in texts
    assert ("log", "gateway", "gateway received GET for sku-404", 1) in texts
    assert not any("sku-1" in e.text for e in timeline.entries)
    errors = [e for e in timeline.entries if e.kind == "error"]
    assert [e.service for e in errors] == ["inventory", "inventory", "orders", "gateway"]
    times = [e.time for e in timeline.entries if e.kind != "span" and e.depth == 5]
    assert times == sorted(times)


def test_correlation_id_finds_the_whole_path(run: dict[str, Any]) -> None:
    """Only the gateway's span carries the correlation id; its trace brings in the downstream spans."""
    by_correlation = timeline_of(run, "correlation", "corr-bad-7")
    by_trace = timeline_of(run, "trace", run["trace_id"])
    assert [s.span_id for s in by_correlation.spans] == [s.span_id for s in by_trace.spans]
    assert by_correlation.trace_ids == [run["trace_id"]]
    assert by_correlation.failing_span is not None and by_correlation.failing_span.name == "reserve_stock"


def test_cli_json(run: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """The JSON timeline names the failing span and where the errors began (docs/traces.md)."""
    code, out = run_cli(capsys, str(run["dir"]), "--trace-id", run["trace_id"], "-f", "json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["schema"] == "faultlens.timeline/1"
    assert doc["request"] == {"kind": "trace", "id": run["trace_id"]}
    assert doc["failing_span"]["name"] == "reserve_stock" and doc["failing_span"]["service"] == "inventory"
    assert doc["errors_began"]["service"] == "inventory"
    assert doc["errors_began"]["first_error"]["exception_type"] == "StockLookupError"
    assert [s["depth"] for s in doc["spans"]] == [0, 1, 2, 3, 4, 5]
    assert doc["counts"]["spans"] == 6 and doc["counts"]["logs"] >= 3


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_cli_table_and_markdown(run: dict[str, Any], fmt: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """Table and Markdown outputs draw the waterfall and name the failing span."""
    out = tmp_path / "timeline.txt"
    code, _ = run_cli(capsys, str(run["dir"]), "--request-id", "corr-bad-7", "-f", fmt, "-o", str(out))
    assert code == 0
    text = out.read_text()
    assert "reserve_stock" in text and "inventory" in text and "StockLookupError" in text
    if fmt == "table":
        assert "█" in text and "failing span: reserve_stock in inventory" in text
    else:
        assert "| + ms |" in text and "**Failing span:** `reserve_stock`" in text


def test_cli_needs_exactly_one_id(run: dict[str, Any],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Naming no id, or two, is a usage error."""
    assert run_cli(capsys, str(run["dir"]))[0] == 2
    assert run_cli(capsys, str(run["dir"]), "--trace-id", "a", "--correlation-id", "b")[0] == 2


def test_unknown_id_says_so(run: dict[str, Any],
                            capsys: pytest.CaptureFixture[str]) -> None:
    """An id nothing carries ends with a message and exit code 1, not an empty timeline."""
    assert run_cli(capsys, str(run["dir"]), "--trace-id", "0" * 31 + "1")[0] == 1


def test_prefilter_keeps_the_stack_of_a_matching_line(tmp_path: Path) -> None:
    """Lines without the id are not decoded, but a matching record keeps its stack trace lines."""
    log = tmp_path / "orders.log"
    log.write_text(
        "2026-11-28 14:05:01,100 INFO [orders] trace=aa11 starting\n"
        "2026-11-28 14:05:01,200 ERROR [orders] trace=bb22 failed\n"
        "Traceback (most recent call last):\n"
        '  File "/srv/orders/app.py", line 3, in handle\n'
        "ValueError: bad total\n"
        "2026-11-28 14:05:01,300 ERROR [orders] trace=cc33 other failure\n"
        '  File "/srv/orders/app.py", line 9, in other\n')
    records = list(read_items(InputRef(str(log)), ReadResult(), None, trace_needles(["bb22"])))
    assert [r.line for r in records] == [2]
    assert records[0].extra == ["Traceback (most recent call last):", '  File "/srv/orders/app.py", line 3, in handle',
                                "ValueError: bad total"]


def test_json_keys_are_documented(run: dict[str, Any]) -> None:
    """docs/traces.md names every key of the timeline JSON, its spans and its entries."""
    from faultlens.report.timeline import timeline_json

    doc = timeline_json(timeline_of(run, "trace", run["trace_id"]))
    text = (Path(__file__).resolve().parents[1] / "docs" / "traces.md").read_text()
    keys = set(doc) | set(doc["spans"][0]) | set(doc["entries"][0]) | set(doc["errors_began"])
    assert [key for key in sorted(keys) if f"`{key}`" not in text and f"| `{key}" not in text] == []
