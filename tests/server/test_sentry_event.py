"""Sentry's event protocol placed in faultlens's model: events, transactions as spans, log items as records."""

from __future__ import annotations

from datetime import UTC, datetime

from faultlens.server.sentry_event import event_from_sentry, records_from_logs, spans_from_transaction

NOW = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)


def test_event_fields_land_in_place() -> None:
    """Exceptions, message, user, request, tags (either form), contexts and breadcrumbs are all kept."""
    payload = {
        "event_id": "9EC79C33-EC99-42AB-8353-589FCB2E04DC", "timestamp": 1795874400.5, "level": "fatal",
        "platform": "node", "release": "web@3", "environment": "prod", "server_name": "web-2", "logger": "app",
        "logentry": {"message": "charge %s failed", "params": ["ch_1"]},
        "exception": {"values": [
            {"type": "Error", "value": "socket hang up", "mechanism": {"type": "generic", "handled": True}},
            {"type": "PaymentError", "value": "charge failed", "module": "billing",
             "mechanism": {"handled": False, "source": "cause"},
             "stacktrace": {"frames": [{"filename": "app.js", "function": "main", "lineno": 1},
                                       {"filename": "billing.js", "function": "charge", "lineno": 40, "colno": 7,
                                        "in_app": True, "context_line": "throw err"}]}}]},
        "user": {"username": "ann", "ip_address": "{{auto}}"},
        "request": {"method": "POST", "url": "https://shop.example.com/pay?x=1"},
        "contexts": {"trace": {"trace_id": "a" * 32, "span_id": "b" * 16}, "response": {"status_code": 502}},
        "tags": [["service", "payments"], ["region", "eu"]],
        "breadcrumbs": {"values": [{"message": f"step {n}"} for n in range(150)]},
        "fingerprint": ["payments", "{{ transaction }}"],
    }
    event = event_from_sentry(payload, "shop", "sentry:x", NOW, "fallback", client_ip="203.0.113.9")
    assert event.id == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert event.timestamp == datetime(2026, 11, 28, 14, 0, 0, 500000, tzinfo=UTC)
    assert (event.level, event.platform, event.message) == ("fatal", "javascript", "charge ch_1 failed")
    assert (event.service, event.host, event.release, event.environment) == ("payments", "web-2", "web@3", "prod")
    assert [e.type for e in event.exceptions] == ["Error", "PaymentError"]
    assert [e.relation for e in event.exceptions] == ["cause", None]
    assert event.exceptions[0].handled is True and event.exceptions[1].handled is False
    frame = event.exceptions[1].frames[-1]
    assert (frame.function, frame.lineno, frame.colno, frame.in_app) == ("charge", 40, 7, True)
    assert (event.user_id, event.user_ip) == ("ann", "203.0.113.9")
    assert (event.http_method, event.http_path, event.http_status) == ("POST", "/pay", 502)
    assert (event.trace_id, event.span_id) == ("a" * 32, "b" * 16)
    assert event.tags == {"region": "eu"}
    assert len(event.context["breadcrumbs"]) == 100 and event.context["breadcrumbs"][-1]["message"] == "step 149"
    assert event.explicit_fingerprint == "payments/{{ transaction }}"


def test_message_only_event_and_default_fingerprint() -> None:
    """A bare message event takes the project as its service; a default-only fingerprint is no fingerprint."""
    event = event_from_sentry({"message": "cache warm", "fingerprint": ["{{ default }}"]}, "shop", "s", NOW, "id1")
    assert (event.id, event.level, event.message, event.service) == ("id1", "info", "cache warm", "shop")
    assert event.timestamp == NOW and event.explicit_fingerprint is None


def test_transaction_becomes_spans() -> None:
    """A transaction is its root span and child spans; a non-ok status is a failed span."""
    payload = {
        "type": "transaction", "transaction": "GET /cart", "start_timestamp": 1795874400.0, "timestamp": 1795874400.2,
        "release": "web@3", "server_name": "web-2",
        "contexts": {"trace": {"trace_id": "c" * 32, "span_id": "d" * 16, "op": "http.server",
                               "status": "internal_error"}},
        "spans": [{"span_id": "e" * 16, "parent_span_id": "d" * 16, "op": "db.query", "description": "SELECT 1",
                   "start_timestamp": 1795874400.05, "timestamp": 1795874400.1, "status": "ok"}],
    }
    records = spans_from_transaction(payload, "shop", "sentry:t")
    root, child = (r.span for r in records)
    assert (root.name, root.kind, root.status) == ("GET /cart", "server", "error")
    assert root.attributes["sentry.status"] == "internal_error"
    assert records[0].failed and records[0].entry and records[0].resource["service.version"] == "web@3"
    assert (child.name, child.parent_span_id, child.status, child.trace_id) == ("SELECT 1", "d" * 16, "ok", "c" * 32)


def test_log_items_become_records() -> None:
    """A log item's entries are records with their level, time, body, trace and attributes."""
    payload = {"items": [{"timestamp": 1795874400.0, "level": "error", "body": "db down", "trace_id": "f" * 32,
                          "attributes": {"sentry.release": {"value": "web@3", "type": "string"},
                                         "db.system": {"value": "postgresql", "type": "string"}}}]}
    [record] = records_from_logs(payload, "sentry:l")
    assert (record.level, record.message, record.line) == ("error", "db down", 1)
    assert record.fields["release"] == "web@3" and record.fields["db.system"] == "postgresql"
