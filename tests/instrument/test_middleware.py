"""The ASGI and WSGI middleware in-process: the id on the response, one request line, errors reported once."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from faultlens.ingest.extract import _correlation
from faultlens.instrument import ASGIMiddleware, WSGIMiddleware, bind_user, current_correlation_id
from faultlens.instrument.wsgi import status_code

HEX_ID = re.compile(r"[0-9a-f]{32}")


def fastapi_app() -> ASGIMiddleware:
    api = FastAPI()

    @api.get("/orders/{order_id}")
    async def order(order_id: str) -> dict[str, str | None]:
        bind_user("u-17")
        logging.getLogger("checkout.orders").info("loading order")
        if order_id == "missing":
            raise HTTPException(404)
        if order_id == "broken":
            raise RuntimeError("order table is locked")
        return {"order": order_id, "seen_id": current_correlation_id()}

    @api.get("/sync")
    def sync_view() -> dict[str, str | None]:
        bind_user("u-sync")  # a sync view runs in a thread pool, in a copy of the request's context
        return {"seen_id": current_correlation_id()}

    return ASGIMiddleware(api)


def flask_app() -> WSGIMiddleware:
    app = Flask("inventory")

    @app.get("/stock/<sku>")
    def stock(sku: str) -> dict[str, object]:
        bind_user("u-18")
        logging.getLogger("inventory.stock").info("stock lookup")
        return {"sku": sku, "available": {"sku-1": 12}[sku], "seen_id": current_correlation_id()}

    return WSGIMiddleware(app.wsgi_app)


def asgi_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=fastapi_app()), base_url="http://test")


def wsgi_client(app=None) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=app or flask_app()), base_url="http://test")


class TestASGI:
    async def _get(self, path: str, **headers: str) -> httpx.Response:
        async with asgi_client() as client:
            return await client.get(path, headers=headers)

    @pytest.mark.anyio
    async def test_an_id_is_made_kept_for_the_request_and_returned(self, logs):
        """With no header, a new id is made, seen by the handler, written on every line and returned."""
        buffer = logs("checkout")
        response = await self._get("/orders/7")
        returned = response.headers["x-correlation-id"]
        assert HEX_ID.fullmatch(returned) and response.json()["seen_id"] == returned
        assert [line.get("correlation_id") for line in buffer.lines()] == [returned, returned]

    @pytest.mark.anyio
    async def test_the_callers_id_is_kept(self, logs):
        """An id the caller sends comes back and is what every line carries."""
        buffer = logs("checkout")
        response = await self._get("/orders/7", **{"X-Correlation-ID": "order-7f3a-0001"})
        assert response.headers["x-correlation-id"] == "order-7f3a-0001"
        assert {line["correlation_id"] for line in buffer.lines()} == {"order-7f3a-0001"}

    @pytest.mark.anyio
    async def test_an_id_faultlens_could_not_read_back_is_replaced_with_a_warning(self, logs):
        """A header of two letters is not taken as an id: a new one is used and the swap is reported."""
        buffer = logs("checkout")
        response = await self._get("/orders/7", **{"X-Correlation-ID": "ab"})
        new = response.headers["x-correlation-id"]
        warning = buffer.lines()[0]
        assert HEX_ID.fullmatch(new) and warning["level"] == "warning" and new in warning["message"]

    @pytest.mark.anyio
    async def test_one_request_line_with_method_path_status_duration_and_user(self, logs):
        """The request line carries the method, path, status code, duration and the user the handler bound."""
        buffer = logs("checkout")
        await self._get("/orders/missing")
        inside, request_line = buffer.lines()
        assert inside["request"] == {"method": "GET", "path": "/orders/missing"} and inside["user"] == {"id": "u-17"}
        assert request_line["message"] == "GET /orders/missing 404" and request_line["level"] == "info"
        assert request_line["user"] == {"id": "u-17"} and request_line["logger"] == "faultlens.request"
        request = request_line["request"]
        assert (request["method"], request["path"], request["status_code"]) == ("GET", "/orders/missing", 404)
        assert request["duration_ms"] >= 0

    @pytest.mark.anyio
    async def test_a_sync_view_in_a_thread_pool_binds_the_user(self, logs):
        """A sync view runs in a thread, yet the id reaches it and the user it binds reaches the request line."""
        buffer = logs("checkout")
        response = await self._get("/sync")
        (line,) = buffer.lines()
        assert response.json()["seen_id"] == line["correlation_id"] and line["user"] == {"id": "u-sync"}

    @pytest.mark.anyio
    async def test_an_unhandled_error_is_one_error_line_with_the_exception(self, logs):
        """The request line of a request that raised is the error line, with the exception; the server's own
        report of the same exception is dropped, and the 500 still carries the id."""
        buffer = logs("checkout")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fastapi_app(), raise_app_exceptions=False),
                                     base_url="http://test") as client:
            response = await client.get("/orders/broken")
        assert response.status_code == 500 and response.headers["x-correlation-id"]
        error_line = buffer.lines()[-1]
        assert error_line["level"] == "error" and error_line["message"] == "GET /orders/broken 500"
        assert error_line["error"]["type"] == "RuntimeError"
        assert error_line["error"]["message"] == "order table is locked"
        assert error_line["request"]["status_code"] == 500 and error_line["user"] == {"id": "u-17"}
        assert error_line["correlation_id"] == response.headers["x-correlation-id"]
        with pytest.raises(RuntimeError) as raised:
            async with asgi_client() as client:
                await client.get("/orders/broken")
        before = len(buffer.lines())
        logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=raised.value)
        assert len(buffer.lines()) == before


    @pytest.mark.anyio
    async def test_added_with_add_middleware_it_works_inside_the_framework(self, logs):
        """`api.add_middleware(ASGIMiddleware)` gives the same id and request line; the exception is still logged once."""
        api = FastAPI()

        @api.get("/fail")
        async def fail() -> None:
            raise ValueError("bad sku")

        @api.get("/ok")
        async def ok() -> dict[str, str | None]:
            return {"seen_id": current_correlation_id()}

        api.add_middleware(ASGIMiddleware)
        buffer = logs("checkout")
        transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            good = await client.get("/ok", headers={"X-Correlation-ID": "order-7f3a-0003"})
            bad = await client.get("/fail")
        assert good.headers["x-correlation-id"] == good.json()["seen_id"] == "order-7f3a-0003"
        assert bad.status_code == 500
        assert [(line["level"], line["message"]) for line in buffer.lines()] == [
            ("info", "GET /ok 200"), ("error", "GET /fail 500")]
        assert buffer.lines()[-1]["error"]["type"] == "ValueError"


    @pytest.mark.anyio
    async def test_inside_opentelemetry_every_line_carries_the_server_spans_ids(self, logs):
        """Under OpenTelemetry's ASGI middleware, the handler's lines and the request line carry its span's ids."""
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        exported = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exported))
        app = OpenTelemetryMiddleware(fastapi_app(), tracer_provider=provider, exclude_spans=["receive", "send"])
        buffer = logs("checkout")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            await client.get("/orders/7")
        (server_span,) = exported.get_finished_spans()
        context = server_span.get_span_context()
        ids = {(line["trace_id"], line["span_id"]) for line in buffer.lines()}
        assert ids == {(f"{context.trace_id:032x}", f"{context.span_id:016x}")} and len(buffer.lines()) == 2


class TestWSGI:
    def test_an_id_is_made_kept_for_the_request_and_returned(self, logs):
        """With no header, a new id is made, seen by the view, written on every line and returned."""
        buffer = logs("inventory")
        with wsgi_client() as client:
            response = client.get("/stock/sku-1")
        returned = response.headers["x-correlation-id"]
        assert HEX_ID.fullmatch(returned) and response.json()["seen_id"] == returned
        assert [line.get("correlation_id") for line in buffer.lines()] == [returned, returned]

    def test_the_callers_id_is_kept_and_the_request_line_written(self, logs):
        """The caller's id comes back; the request line has method, path, status, duration and user."""
        buffer = logs("inventory")
        with wsgi_client() as client:
            response = client.get("/stock/sku-1", headers={"X-Correlation-ID": "order-7f3a-0001"})
        assert response.headers["x-correlation-id"] == "order-7f3a-0001"
        request_line = buffer.lines()[-1]
        assert request_line["message"] == "GET /stock/sku-1 200" and request_line["user"] == {"id": "u-18"}
        assert request_line["correlation_id"] == "order-7f3a-0001"
        assert request_line["request"]["status_code"] == 200 and request_line["request"]["duration_ms"] >= 0

    def test_an_id_faultlens_could_not_read_back_is_replaced_with_a_warning(self, logs):
        """As in ASGI: a header that is no id is swapped for a new one, reported in the same words."""
        buffer = logs("inventory")
        with wsgi_client() as client:
            response = client.get("/stock/sku-1", headers={"X-Correlation-ID": "id with spaces"})
        new = response.headers["x-correlation-id"]
        warning = buffer.lines()[0]
        assert HEX_ID.fullmatch(new) and warning["level"] == "warning" and new in warning["message"]
        assert warning["logger"] == "asgi_correlation_id"

    def test_the_id_does_not_outlive_the_request(self, logs):
        """After the response is closed, lines of the same thread carry no id and no request."""
        buffer = logs("inventory")
        with wsgi_client() as client:
            client.get("/stock/sku-1")
        logging.getLogger("inventory").info("after")
        assert current_correlation_id() is None
        assert "correlation_id" not in buffer.lines()[-1] and "request" not in buffer.lines()[-1]

    def test_a_flask_500_is_one_error_event(self, logs):
        """Flask logs the exception itself and answers 500: that line is the error, the request line stays info."""
        buffer = logs("inventory")
        with wsgi_client() as client:
            response = client.get("/stock/sku-404")
        assert response.status_code == 500
        levels = [(line["level"], line["message"]) for line in buffer.lines()]
        assert levels == [("info", "stock lookup"), ("error", "Exception on /stock/sku-404 [GET]"),
                          ("info", "GET /stock/sku-404 500")]
        error_line = buffer.lines()[1]
        assert error_line["error"]["type"] == "KeyError" and error_line["request"]["path"] == "/stock/sku-404"
        assert error_line["correlation_id"] == response.headers["x-correlation-id"]

    def test_a_5xx_with_nothing_logged_is_an_error_line(self, logs):
        """A 503 answered without any error logged is reported by its request line, at error level."""
        def unavailable(environ, start_response):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"busy"]

        buffer = logs("inventory")
        with wsgi_client(WSGIMiddleware(unavailable)) as client:
            client.get("/health")
        (line,) = buffer.lines()
        assert (line["level"], line["message"]) == ("error", "GET /health 503")

    def test_an_app_that_raises_is_one_error_line_with_the_exception(self, logs):
        """A WSGI app that raises gets an error request line with the exception, and the error propagates."""
        def broken(environ, start_response):
            raise ConnectionError("database went away")

        buffer = logs("inventory")
        with wsgi_client(WSGIMiddleware(broken)) as client, pytest.raises(ConnectionError):
            client.get("/orders")
        (line,) = buffer.lines()
        assert line["level"] == "error" and line["error"]["type"] == "ConnectionError"
        assert line["request"]["status_code"] == 500 and current_correlation_id() is None


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=140))
def test_an_incoming_id_is_either_read_back_exactly_or_replaced(logs, header):
    """Whatever a caller sends as X-Correlation-ID, the id logged is one `faultlens analyze` reads back as is;
    an ASCII id the reader takes whole is kept, anything else replaced."""
    buffer = logs("inventory")
    seen: list[str] = []

    def app(environ, start_response):
        start_response("200 OK", [])
        return [b""]

    body = WSGIMiddleware(app)({"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_X_CORRELATION_ID": header},
                               lambda status, headers, exc_info=None: seen.extend(v for _, v in headers))
    body.close()
    *warnings, line = buffer.lines()
    assert seen == [line["correlation_id"]]
    assert len(warnings) == (1 if header and line["correlation_id"] != header else 0)
    assert _correlation(line["correlation_id"]) == line["correlation_id"]
    read_back_as_is = _correlation(header) == header
    if header.isascii():  # the reader also takes non-ASCII word characters, which a header should not carry
        assert (line["correlation_id"] == header) == (read_back_as_is and len(header) <= 128)
    else:
        assert line["correlation_id"] != header


@example("000 Zero")
@example("²00 OK")
@given(st.text(max_size=30))
def test_any_status_line_is_read_without_raising(status_text):
    """A status line an app wrote is read to its code, or to None when it has none; it never raises."""
    code = status_code(status_text)
    assert code is None or (100 <= code <= 999 and status_text.startswith(str(code)))


@given(st.integers(100, 599), st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20))
def test_a_well_formed_status_line_gives_its_code(code, reason):
    """`"404 Not Found"` is 404, whatever the reason phrase."""
    assert status_code(f"{code} {reason}") == code
