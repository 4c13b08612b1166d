"""The layout processors, each called directly on a small event dict."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider

from faultlens.instrument._context import RequestInfo, begin_request, end_request
from faultlens.instrument._layout import (
    LAYOUT_KEYS,
    RequestFields,
    ServiceFields,
    arrange_layout,
    error_fields,
)


class OrderRejected(Exception):
    pass


@pytest.fixture
def request_info():
    info = RequestInfo(method="POST", path="/orders/7")
    token = begin_request(info)
    yield info
    end_request(token)


class TestServiceFields:
    def test_names_the_producer(self):
        """Service, environment, version and host are added; options left out are not written as null."""
        add = ServiceFields("checkout", None, "1.4.0", "web-1")
        assert add(None, "info", {}) == {"service": "checkout", "version": "1.4.0", "host": "web-1"}

    def test_a_call_may_name_its_own_service(self):
        """A service the log call passes wins over the configured one."""
        add = ServiceFields("checkout", "prod", None, "web-1")
        assert add(None, "info", {"service": "worker"})["service"] == "worker"


class TestRequestFields:
    def test_outside_a_request_adds_nothing(self):
        """A line written outside a request and outside a span gets no ids and no request."""
        assert RequestFields()(None, "info", {"message": "boot"}) == {"message": "boot"}

    def test_correlation_id_and_request(self, request_info):
        """Inside a request the line carries the correlation id, the method and path, and the user once bound."""
        from asgi_correlation_id.context import correlation_id

        token = correlation_id.set("order-7f3a-0001")
        try:
            request_info.user_id = "u-17"
            line = RequestFields()(None, "info", {})
        finally:
            correlation_id.reset(token)
        assert line == {"correlation_id": "order-7f3a-0001", "request": {"method": "POST", "path": "/orders/7"},
                        "user": {"id": "u-17"}}

    def test_a_frameworks_request_object_gives_way_to_the_request_fields(self, request_info):
        """A request object a framework passes as `extra` (Django does) is replaced by the request's fields."""
        line = RequestFields()(None, "error", {"request": object()})
        assert line["request"] == {"method": "POST", "path": "/orders/7"}

    def test_an_error_line_is_noted_on_the_request(self, request_info):
        """An error line marks the request, so its request line does not report the failure twice."""
        RequestFields()(None, "info", {"level": "info"})
        assert not request_info.error_logged
        RequestFields()(None, "error", {"level": "error"})
        assert request_info.error_logged

    def test_ids_of_the_current_span(self):
        """Inside an OpenTelemetry span the line carries its trace and span ids in OTLP's hex."""
        tracer = TracerProvider().get_tracer("test")
        with tracer.start_as_current_span("charge") as span:
            line = RequestFields()(None, "info", {})
        context = span.get_span_context()
        assert line == {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}
        assert len(line["trace_id"]) == 32 and len(line["span_id"]) == 16


class TestErrorFields:
    def test_an_exception_becomes_error_fields(self):
        """type, message and the whole traceback, with the type named as Python's traceback names it."""
        try:
            raise OrderRejected("card declined")
        except OrderRejected as exc:
            line = error_fields(None, "error", {"exc_info": exc})
        error = line["error"]
        assert error["type"] == f"{__name__}.OrderRejected"
        assert error["message"] == "card declined"
        assert error["stack_trace"].startswith("Traceback (most recent call last):")
        assert error["stack_trace"].endswith(f"{__name__}.OrderRejected: card declined")
        assert "exc_info" not in line

    def test_exc_info_true_reads_the_exception_being_handled(self):
        """`exc_info=True`, as `logger.exception` passes it, reads the exception being handled."""
        try:
            {}["sku-404"]
        except KeyError:
            line = error_fields(None, "error", {"exc_info": True})
        assert line["error"]["type"] == "KeyError" and line["error"]["message"] == "'sku-404'"

    def test_exc_info_true_outside_a_handler_adds_nothing(self):
        """`exc_info=True` with no exception being handled writes no error fields."""
        assert error_fields(None, "error", {"exc_info": True}) == {}

    def test_a_fingerprint_is_passed_through_never_made_up(self):
        """A fingerprint the call passes becomes error.fingerprint; an exception alone gets none."""
        line = error_fields(None, "error", {"fingerprint": ["payment", "declined"]})
        assert line == {"error": {"fingerprint": ["payment", "declined"]}}
        try:
            raise ValueError("x")
        except ValueError as exc:
            assert "fingerprint" not in error_fields(None, "error", {"exc_info": exc})["error"]


class TestArrangeLayout:
    def test_layout_keys_first_in_order_and_the_rest_under_context(self):
        """Known keys keep their place in the layout's order; others go under context."""
        line = arrange_layout(None, "info", {"sku": "sku-1", "message": "m", "level": "info", "timestamp": "t"})
        assert list(line) == ["timestamp", "level", "message", "context"]
        assert line["context"] == {"sku": "sku-1"}
        assert list(LAYOUT_KEYS)[:3] == ["timestamp", "level", "message"]

    def test_a_context_the_call_passes_is_merged(self):
        """A context dict the call passes keeps its keys beside the extra fields; a scalar one is kept as value."""
        assert arrange_layout(None, "info", {"context": {"a": 1}, "b": 2})["context"] == {"a": 1, "b": 2}
        assert arrange_layout(None, "info", {"context": "text", "b": 2})["context"] == {"value": "text", "b": 2}

    def test_colour_codes_are_dropped(self):
        """uvicorn's coloured copy of its message is not written to the file."""
        assert arrange_layout(None, "info", {"message": "m", "color_message": "\x1b[36mm"}) == {"message": "m"}
