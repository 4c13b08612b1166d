"""Outgoing calls carry the correlation id: httpx clients (sync and async) and a requests session."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import requests
from asgi_correlation_id.context import correlation_id
from requests.adapters import HTTPAdapter

from faultlens.instrument import instrument_httpx, instrument_requests
from faultlens.instrument.requests_adapter import CorrelationAdapter


@pytest.fixture
def current_id() -> Iterator[str]:
    token = correlation_id.set("order-7f3a-0001")
    yield "order-7f3a-0001"
    correlation_id.reset(token)


def echo(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"sent": request.headers.get("x-correlation-id")})


class TestHttpx:
    def test_a_sync_client_sends_the_current_id(self, current_id):
        """Every request of an instrumented httpx.Client carries the id of the request being handled."""
        client = httpx.Client(transport=httpx.MockTransport(echo))
        instrument_httpx(client)
        assert client.get("http://inventory/stock").json() == {"sent": current_id}

    @pytest.mark.anyio
    async def test_an_async_client_sends_the_current_id(self, current_id):
        """An instrumented httpx.AsyncClient awaits its hook and sends the id too."""
        async with httpx.AsyncClient(transport=httpx.MockTransport(echo)) as client:
            instrument_httpx(client)
            assert (await client.get("http://inventory/stock")).json() == {"sent": current_id}

    def test_outside_a_request_no_header_is_sent(self):
        """With no current id, no header is invented."""
        client = httpx.Client(transport=httpx.MockTransport(echo))
        instrument_httpx(client)
        assert client.get("http://inventory/stock").json() == {"sent": None}

    def test_a_header_the_call_sets_is_kept(self, current_id):
        """A call that sets X-Correlation-ID itself keeps its own value; hooks already on the client still run."""
        seen: list[str] = []
        client = httpx.Client(transport=httpx.MockTransport(echo),
                              event_hooks={"request": [lambda request: seen.append(request.url.path)]})
        instrument_httpx(client)
        response = client.get("http://inventory/stock", headers={"X-Correlation-ID": "batch-000001"})
        assert response.json() == {"sent": "batch-000001"} and seen == ["/stock"]


class _EchoHeader(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"sent": self.headers.get("X-Correlation-ID")}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHeader)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class TestRequests:
    def test_a_session_sends_the_current_id(self, echo_server, current_id):
        """Every request of an instrumented requests.Session carries the id, over a real socket."""
        with requests.Session() as session:
            instrument_requests(session)
            assert session.get(echo_server + "/stock").json() == {"sent": current_id}

    def test_outside_a_request_no_header_is_sent(self, echo_server):
        """With no current id, the session sends no header."""
        with requests.Session() as session:
            instrument_requests(session)
            assert session.get(echo_server + "/stock").json() == {"sent": None}

    def test_the_retries_of_the_replaced_adapter_are_kept(self):
        """Mounting the correlation adapter keeps the retry policy the session had."""
        with requests.Session() as session:
            session.mount("https://", HTTPAdapter(max_retries=4))
            instrument_requests(session)
            adapter = session.get_adapter("https://inventory/")
            assert isinstance(adapter, CorrelationAdapter) and adapter.max_retries.total == 4
