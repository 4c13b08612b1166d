"""What the ingest doors answer: Sentry's codes for auth, malformed and large bodies, rate limits and overload,
always in the server's one error shape."""

from __future__ import annotations

import gzip
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import brotli
import httpx
import orjson

from faultlens.server.config import ServerConfig
from faultlens.server.credentials import new_public_key
from faultlens.store import open_store

EVENT = {"event_id": "0c1b6a3e5f7d4e2a9b8c7d6e5f4a3b2c", "message": "disk full", "level": "error"}


def limited(config: ServerConfig, **limits: Any) -> ServerConfig:
    return replace(config, limits=replace(config.limits, **limits))


def envelope(*items: tuple[dict[str, Any], bytes], header: dict[str, Any] | None = None) -> bytes:
    parts = [orjson.dumps(header or {})]
    for item_header, payload in items:
        parts += [orjson.dumps(item_header), payload]
    return b"\n".join(parts) + b"\n"


def auth(key: str) -> dict[str, str]:
    return {"X-Sentry-Auth": f"Sentry sentry_version=7, sentry_client=test/1.0, sentry_key={key}"}


def assert_error(answer: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert set(error) == {"status", "code", "message"} and error["status"] == status and error["message"]
    if code:
        assert error["code"] == code
    return error


def test_every_way_of_sending_the_key(running: Any, credentials: Any) -> None:
    """X-Sentry-Auth, Authorization: Sentry, ?sentry_key and the envelope's dsn each authenticate."""
    body = envelope(({"type": "event"}, orjson.dumps(EVENT)))
    path = f"/api/{credentials.project_id}/envelope/"
    key = credentials.public_key
    with running.client() as client:
        answers = [
            client.post(path, content=body, headers=auth(key)),
            client.post(path, content=body, headers={"Authorization": f"Sentry sentry_key={key}"}),
            client.post(path, content=body, params={"sentry_key": key}),
            client.post(path, content=envelope(({"type": "event"}, orjson.dumps(EVENT)), header={
                "dsn": running.dsn(credentials), "event_id": EVENT["event_id"]})),
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert all(a.json() == {"id": EVENT["event_id"]} for a in answers)
    running.wait_committed()
    with running.client(credentials.token) as client:
        issues = client.get("/api/projects/shop/issues").json()["issues"]
    assert [issue["count"] for issue in issues] == [1], "one event id is stored once"


def test_auth_failures(server_config: ServerConfig, credentials: Any, start_server: Any) -> None:
    """No key or an unknown one is 401, a key of another project 401, a revoked key 403."""
    store = open_store(server_config.db)
    accounts = store.accounts()  # type: ignore[attr-defined]
    revoked = accounts.add_key(accounts.project("shop"), new_public_key()).public_key
    accounts.revoke_key(revoked)
    store.close()
    running = start_server(server_config)
    body = envelope(({"type": "event"}, orjson.dumps(EVENT)))
    path = f"/api/{credentials.project_id}/envelope/"
    with running.client() as client:
        assert_error(client.post(path, content=body), 401, "unauthorized")
        assert_error(client.post(path, content=body, headers=auth("0" * 32)), 401)
        assert_error(client.post(f"/api/{credentials.project_id + 1}/envelope/", content=body,
                                 headers=auth(credentials.public_key)), 401)
        assert_error(client.post(path, content=body, headers=auth(revoked)), 403, "key_revoked")
        assert_error(client.post("/api/ingest", content=b"{}"), 401)
        assert_error(client.post("/v1/logs", content=b"", headers={"X-Faultlens-Key": revoked}), 403)
        assert_error(client.get("/api/projects/shop/issues"), 401)
        assert_error(client.get("/api/projects/shop/issues", headers={"Authorization": "Bearer flt_00_xx"}), 401)


def test_malformed_and_unknown_items(running: Any, credentials: Any) -> None:
    """Broken envelopes are 400; item types faultlens does not keep are accepted and skipped."""
    path = f"/api/{credentials.project_id}/envelope/"
    headers = auth(credentials.public_key)
    odd = envelope(({"type": "session"}, b'{"sid":"x"}'), ({"type": "client_report"}, b"{}"),
                   ({"type": "attachment", "length": 4}, b"a\nbc"), ({"type": "check_in"}, b"{}"),
                   ({"type": "profile"}, b"{}"), ({"type": "brand_new_type"}, b"whatever"))
    with running.client() as client:
        assert client.post(path, content=odd, headers=headers).status_code == 200
        assert_error(client.post(path, content=b"{not json", headers=headers), 400, "malformed")
        assert_error(client.post(path, content=b'{}\n{"type":"event","length":99}\n{}', headers=headers), 400)
        assert_error(client.post(f"/api/{credentials.project_id}/store/", content=b"\x01\x02", headers=headers), 400)
        assert_error(client.post(path, content=b"x", headers={**headers, "Content-Encoding": "gzip"}), 400)
        assert_error(client.post(path, content=b"x", headers={**headers, "Content-Encoding": "lzma"}), 415)
        assert_error(client.post("/api/notanumber/envelope/", content=odd, headers=headers), 404)
        assert_error(client.get(path), 405, "method_not_allowed")
        assert_error(client.get("/nowhere"), 404, "not_found")


def test_a_bad_payload_is_dropped_alone(running: Any, credentials: Any) -> None:
    """As Sentry's Relay does, the door reads an envelope's framing only: an item whose payload is not a JSON
    object is accepted with it, then dropped alone (counted in /metrics); the envelope's other items are kept."""
    path = f"/api/{credentials.project_id}/envelope/"
    good = {"event_id": "5e1c0a4f6a2b4c8d9e0f1a2b3c4d5e6f", "message": "payment declined", "level": "error"}
    mixed = envelope(({"type": "event"}, b"[1, 2]"), ({"type": "event"}, b"{not json"),
                     ({"type": "event"}, orjson.dumps(good)), header={"event_id": good["event_id"]})
    with running.client() as client:
        answer = client.post(path, content=mixed, headers=auth(credentials.public_key))
        assert answer.status_code == 200 and answer.json() == {"id": good["event_id"]}
        running.wait_committed()
        metrics = client.get("/metrics").text
    assert "faultlens_ingest_dropped_total 2.0" in metrics
    with running.client(credentials.token) as client:
        issues = client.get("/api/projects/shop/issues").json()["issues"]
        assert [issue["title"] for issue in issues] == ["payment declined"]
        events = client.get(f"/api/issues/{issues[0]['id']}/events").json()["events"]
    assert [event["id"] for event in events] == [good["event_id"]]


def test_size_limits_and_bombs(server_config: ServerConfig, credentials: Any, start_server: Any) -> None:
    """Bodies over the limit, bodies that inflate past it (gzip and brotli bombs) and huge events are 413."""
    running = start_server(limited(server_config, max_body_bytes=64 * 1024, max_decompressed_bytes=256 * 1024,
                                       max_event_bytes=16 * 1024))
    path = f"/api/{credentials.project_id}/envelope/"
    headers = auth(credentials.public_key)
    zeros = envelope(({"type": "event"}, orjson.dumps({"message": "x" * (2 * 1024 * 1024)})))
    with running.client() as client:
        assert_error(client.post(path, content=b"x" * (65 * 1024), headers=headers), 413, "too_large")
        assert_error(client.post(path, content=gzip.compress(zeros), headers={**headers, "Content-Encoding": "gzip"}),
                     413)
        assert_error(client.post(path, content=brotli.compress(zeros), headers={**headers, "Content-Encoding": "br"}),
                     413)
        big_event = envelope(({"type": "event"}, orjson.dumps({"message": "y" * (20 * 1024)})))
        assert_error(client.post(path, content=big_event, headers=headers), 413)
        attachment = envelope(({"type": "attachment"}, b"z" * (20 * 1024)), ({"type": "event"}, orjson.dumps(EVENT)))
        assert client.post(path, content=attachment, headers=headers).status_code == 200


def test_rate_limit_answers_like_sentry(server_config: ServerConfig, credentials: Any, start_server: Any) -> None:
    """A key past its burst gets 429 with Retry-After and X-Sentry-Rate-Limits, in the error shape."""
    running = start_server(limited(server_config, rate_per_key=0.5, rate_burst=2))
    path = f"/api/{credentials.project_id}/envelope/"
    body = envelope(({"type": "event"}, orjson.dumps({"message": "hello"})))
    with running.client() as client:
        codes = [client.post(path, content=body, headers=auth(credentials.public_key)) for _ in range(3)]
    assert [a.status_code for a in codes] == [200, 200, 429]
    assert_error(codes[2], 429, "rate_limited")
    assert int(codes[2].headers["Retry-After"]) >= 1
    assert codes[2].headers["X-Sentry-Rate-Limits"].endswith("::key")


def test_full_queue_answers_503(server_config: ServerConfig, credentials: Any, start_server: Any) -> None:
    """While the writer is held up and the queue is full, requests are refused with 503, never queued past it."""
    running = start_server(limited(server_config, queue_size=2))
    gate = threading.Event()
    running.app.state.after_commit.append(lambda result: gate.wait(10))
    path = f"/api/{credentials.project_id}/envelope/"
    body = envelope(({"type": "event"}, orjson.dumps({"message": "hello"})))
    try:
        with running.client() as client:
            codes = [client.post(path, content=body, headers=auth(credentials.public_key)).status_code
                     for _ in range(5)]
            answer = client.post(path, content=body, headers=auth(credentials.public_key))
            ready = client.get("/ready")
    finally:
        gate.set()
    assert codes[:2] == [200, 200] and 503 in codes
    assert_error(answer, 503, "overloaded")
    assert answer.headers["Retry-After"]
    assert_error(ready, 503)
    assert running.app.state.ingest.queue.depth <= 2


def test_json_log_ingest(running: Any, credentials: Any, tmp_path: Path) -> None:
    """JSON lines and JSON arrays from log shippers are read as analyze reads them; errors become issues."""
    lines = [
        {"timestamp": "2026-11-28T14:00:00Z", "level": "info", "message": "GET /cart 200", "service": "web"},
        {"timestamp": "2026-11-28T14:00:01Z", "level": "error", "message": "db timeout after 3000 ms",
         "service": "web", "error": {"type": "TimeoutError", "message": "db timeout"}},
        {"@timestamp": "2026-11-28T14:00:02Z", "log.level": "ERROR", "message": "db timeout after 2950 ms",
         "service.name": "web"},
    ]
    ndjson = b"\n".join(orjson.dumps(line) for line in lines)
    with running.client() as client:
        first = client.post("/api/ingest", content=ndjson, headers={"X-Faultlens-Key": credentials.public_key})
        second = client.post("/api/ingest", content=orjson.dumps(lines[1:]),
                             headers={"Authorization": f"Bearer {credentials.public_key}"})
        third = client.post("/api/ingest", params={"project": "shop"}, content=orjson.dumps(lines[2]),
                            headers={"Authorization": f"Bearer {credentials.token}"})
        bad = client.post("/api/ingest", content=b'{"a": 1}\nnot json', headers={"X-Faultlens-Key":
                                                                                   credentials.public_key})
    assert (first.status_code, first.json()) == (200, {"accepted": 3})
    assert second.status_code == 200 and third.status_code == 200
    assert "line 2" in assert_error(bad, 400)["message"]
    running.wait_committed()
    with running.client(credentials.token) as client:
        issues = client.get("/api/projects/shop/issues").json()["issues"]
        report = client.get("/api/projects/shop/report").json()
    assert sum(issue["count"] for issue in issues) == 5
    assert {rate["service"]: rate["records"] for rate in report["service_rates"]}["web"] == 6


def test_browser_sdks_may_post_cross_origin(running: Any, credentials: Any) -> None:
    """A browser's preflight is allowed and answers carry the CORS headers the SDK needs to read them."""
    path = f"/api/{credentials.project_id}/envelope/"
    with running.client() as client:
        preflight = client.options(path, headers={"Origin": "https://shop.example.com",
                                                  "Access-Control-Request-Method": "POST",
                                                  "Access-Control-Request-Headers": "content-type"})
        answer = client.post(path, params={"sentry_key": credentials.public_key}, headers={
            "Origin": "https://shop.example.com", "Content-Type": "text/plain;charset=UTF-8"},
            content=envelope(({"type": "event"}, orjson.dumps(EVENT))))
    assert preflight.status_code == 200 and "POST" in preflight.headers["access-control-allow-methods"]
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"
