"""The ingest front: which requests it answers itself, and what a door sees of a request."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from starlette.requests import ClientDisconnect

from faultlens.server.front import Answer, IngestFront, IngestRequest, json_answer
from faultlens.server.ratelimit import GuessLimiter


def scope(method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None, query: bytes = b"",
          client: str = "10.0.0.7") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "headers": headers or [], "query_string": query,
            "client": (client, 5000)}


def body_messages(*chunks: bytes, disconnect: bool = False) -> Any:
    messages = [{"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
                for n, chunk in enumerate(chunks)]
    if disconnect:
        messages = [{"type": "http.request", "body": chunks[0], "more_body": True}, {"type": "http.disconnect"}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)
    return receive


class Door:
    """A door that records what it read and answers with it."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.seen: list[IngestRequest] = []

    async def answer(self, request: IngestRequest) -> Answer:
        self.seen.append(request)
        chunks, more = [], True
        while more:
            chunk, more = await request.chunk()
            chunks.append(chunk)
        body = b"".join(chunks)
        return json_answer({"path": dict(request.path_params), "body": body.decode()}, self.status)


def run(front: IngestFront, request_scope: dict[str, Any], receive: Any = None) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
    asyncio.run(front(request_scope, receive or body_messages(b""), send))
    if not sent:
        return 0, {}, b""
    headers = {name.decode(): value.decode() for name, value in sent[0]["headers"]}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def make_front(door: Door, limiter: GuessLimiter | None = None) -> tuple[IngestFront, list[str]]:
    passed: list[str] = []

    async def below(scope: Any, receive: Any, send: Any) -> None:
        passed.append(f"{scope['method']} {scope['path']}")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
    front = IngestFront(below, paths={"/api/ingest": door}, sentry={"envelope": door, "store": door},
                        limiter=limiter or GuessLimiter())
    return front, passed


def test_ingest_paths_reach_their_doors_and_others_the_app() -> None:
    door = Door()
    front, passed = make_front(door)
    status, _, body = run(front, scope("POST", "/api/42/envelope/"), body_messages(b"ab", b"cd"))
    assert status == 200 and orjson.loads(body) == {"path": {"project_id": "42"}, "body": "abcd"}
    assert run(front, scope("POST", "/api/42/store"))[0] == 200
    assert run(front, scope("POST", "/api/ingest"))[0] == 200
    for method, path in (("GET", "/api/projects"), ("POST", "/api/42/envelopes/"), ("OPTIONS", "/api/42/envelope/"),
                         ("POST", "/api/42/envelope/extra")):
        assert run(front, scope(method, path))[0] == 204
    assert passed == ["GET /api/projects", "POST /api/42/envelopes/", "OPTIONS /api/42/envelope/",
                      "POST /api/42/envelope/extra"]
    assert len(door.seen) == 3


def test_other_methods_are_405_and_cors_follows_origin() -> None:
    front, _ = make_front(Door())
    status, headers, body = run(front, scope("GET", "/api/1/envelope/"))
    assert status == 405 and headers["allow"] == "POST" and orjson.loads(body)["error"]["code"] == "method_not_allowed"
    plain = run(front, scope("POST", "/api/1/envelope/"))[1]
    browser = run(front, scope("POST", "/api/1/envelope/", [(b"origin", b"https://shop.example.com")]))[1]
    assert "access-control-allow-origin" not in plain
    assert browser["access-control-allow-origin"] == "*" and "X-Sentry-Rate-Limits" in browser[
        "access-control-expose-headers"]


def test_failed_keys_count_against_the_client() -> None:
    limiter = GuessLimiter()
    front, _ = make_front(Door(status=401), limiter)
    statuses = [run(front, scope("POST", "/api/1/envelope/"))[0] for _ in range(limiter.burst + 2)]
    assert statuses == [401] * limiter.burst + [429, 429]
    assert run(front, scope("POST", "/api/1/envelope/", client="10.0.0.8"))[0] == 401


def test_request_reads_first_header_query_and_disconnects() -> None:
    request = IngestRequest(scope("POST", "/api/ingest", [(b"x-faultlens-key", b"first"), (b"x-faultlens-key", b"second"),
                                                          (b"Content-Type", b"application/json")],
                                  query=b"project=shop&empty=&project=other&sentry_key=abc%20d"),
                            body_messages(b"x", disconnect=True))
    assert request.headers["x-faultlens-key"] == "first"
    assert request.query_params == {"project": "shop", "empty": "", "sentry_key": "abc d"}
    assert request.client_host == "10.0.0.7"

    async def drain() -> None:
        more = True
        while more:
            _, more = await request.chunk()
    with pytest.raises(ClientDisconnect):
        asyncio.run(drain())


def test_a_disconnected_client_gets_no_answer_and_a_failing_door_a_500() -> None:
    front, _ = make_front(Door())
    assert run(front, scope("POST", "/api/1/envelope/"), body_messages(b"x", disconnect=True))[0] == 0

    class Broken(Door):
        async def answer(self, request: IngestRequest) -> Answer:
            raise RuntimeError("bug")
    broken, _ = make_front(Broken())
    status, _, body = run(broken, scope("POST", "/api/1/envelope/"))
    assert status == 500 and orjson.loads(body)["error"]["code"] == "internal"
