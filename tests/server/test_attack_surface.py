"""What the server lets in: credentials on every route, guessing limited, queries parameterized, no path
escapes, webhooks kept off private networks, and no secret stored or logged.

Routes are enumerated from the app itself (mounts included), so a route added later is checked too.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pytest
import sentry_sdk
from starlette.routing import BaseRoute, Mount, Route

from faultlens.server.front import IngestFront
from faultlens.server.openapi import openapi_document
from faultlens.server.ratelimit import GuessLimiter
from faultlens.server.webhooks import DeliveryError, resolve_target
from tests.server.conftest import Credentials, RunningServer
from tests.server.test_durability import free_port, start

PUBLIC = {"/health", "/ready", "/metrics", "/api/openapi.json", "/", "/ui/login"}
"""Answer without any credential: operations probes, the API's description, the way to the sign-in page,
and the sign-in form itself (its POST needs the form's CSRF cookie). Static assets under /ui/static are
public too (checked separately)."""
STATIC = "/ui/static"
PATH_VALUES = {"project_id": "1", "project": "shop", "format": "json"}
SQL_ATTACKS = ("' OR '1'='1", "'; DROP TABLE events; --", "\" OR 1=1 --", "1; DELETE FROM issues",
               "x' UNION SELECT id, message FROM events --", "%' OR 1=1 OR '%'='", "\\'; SELECT 1; --",
               "1) OR (1=1", "$$; DROP TABLE events; $$")


def routes_of(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """Every (path, methods) the app answers, mounts unwrapped (middleware around a router included)."""
    for route in routes:
        if isinstance(route, Route):
            yield prefix + route.path, set(route.methods or ()) - {"HEAD"}
        elif isinstance(route, Mount):
            app = route.app
            while not hasattr(app, "routes") and hasattr(app, "app"):
                app = app.app
            inner = getattr(app, "routes", None)
            if inner is None:
                yield prefix + route.path + "/{path}", {"GET"}
            else:
                yield from routes_of(list(inner), prefix + route.path)


def doors_of(app: Any) -> Iterator[tuple[str, set[str]]]:
    """The ingest doors, answered by the front ahead of the router (server.front)."""
    for middleware in app.user_middleware:
        if middleware.cls is IngestFront:
            for path in middleware.kwargs["paths"]:
                yield path, {"POST"}
            for last in middleware.kwargs["sentry"]:
                yield f"/api/{{project_id}}/{last}/", {"POST"}
                yield f"/api/{{project_id}}/{last}", {"POST"}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PATH_VALUES.get(m.group(1), "x"), path)


def envelope(event: dict[str, Any]) -> bytes:
    return b"\n".join([orjson.dumps({"event_id": event["event_id"]}), b'{"type":"event"}', orjson.dumps(event)])


def error_event(message: str = "checkout failed") -> dict[str, Any]:
    return {"event_id": uuid.uuid4().hex, "level": "error", "message": message}


def test_every_route_needs_its_credential(running: RunningServer, credentials: Credentials) -> None:
    """Without a credential every route but the public ones refuses (401, 403 or the sign-in page); with
    the right one, ingest and API routes accept it."""
    found = [*routes_of(running.app.routes), *doors_of(running.app)]
    paths = {path for path, _ in found}
    assert {"/api/{project_id}/envelope/", "/api/projects", "/ui/projects/{project}/issues"} <= paths
    body = envelope(error_event())
    checked = 0
    with httpx.Client(base_url=running.url, timeout=10, follow_redirects=False) as anonymous:
        for path, methods in found:
            if path.startswith(STATIC):
                continue
            for method in sorted(methods):
                answer = anonymous.request(method, concrete(path), content=body,
                                           headers={"Content-Type": "application/json"})
                where = f"{method} {path}: {answer.status_code} {answer.text[:200]}"
                if path in PUBLIC:
                    assert (answer.status_code < 500 and answer.status_code not in (401, 403)) or (
                        method == "POST" and answer.status_code == 403), where
                    continue
                checked += 1
                if path.startswith("/ui"):
                    to_login = answer.status_code in (302, 303, 307) and answer.headers["location"].startswith(
                        "/ui/login")
                    assert to_login or answer.status_code in (401, 403), where
                else:
                    assert answer.status_code == 401, where
    assert checked >= 15
    key = {"X-Sentry-Auth": f"Sentry sentry_key={credentials.public_key}", "X-Faultlens-Key": credentials.public_key}
    with running.client(credentials.token) as client:
        for path, methods in found:
            if path.startswith(("/ui", "/v1")) or path in PUBLIC:
                continue
            for method in methods:
                answer = client.request(method, concrete(path), content=body, headers=key)
                assert answer.status_code not in (401, 403), f"{method} {path}: {answer.text[:200]}"


def test_key_and_token_guessing_is_limited(running: RunningServer, credentials: Credentials) -> None:
    """After a burst of wrong keys or tokens a client gets 429, even with a right one; other clients do not."""
    url = f"/api/{credentials.project_id}/envelope/"
    burst = GuessLimiter().burst

    def client(address: str) -> httpx.Client:
        return httpx.Client(base_url=running.url, transport=httpx.HTTPTransport(local_address=address), timeout=10)

    with client("127.0.0.2") as guesser, client("127.0.0.3") as honest:
        answers = [guesser.post(url, content=envelope(error_event()),
                                headers={"X-Sentry-Auth": f"Sentry sentry_key={uuid.uuid4().hex}"}).status_code
                   for _ in range(burst + 3)]
        assert answers[:burst] == [401] * burst and answers[burst:] == [429] * 3
        right = {"X-Sentry-Auth": f"Sentry sentry_key={credentials.public_key}"}
        refused = guesser.post(url, content=envelope(error_event()), headers=right)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.json()["error"]["code"] == "rate_limited"
        assert honest.post(url, content=envelope(error_event()), headers=right).status_code == 200
    with client("127.0.0.4") as guesser, client("127.0.0.5") as honest:
        tokens = [guesser.get("/api/projects", headers={"Authorization": f"Bearer flt_{n:08x}_{uuid.uuid4().hex}"})
                  for n in range(burst + 1)]
        assert [answer.status_code for answer in tokens] == [401] * burst + [429]
        good = {"Authorization": f"Bearer {credentials.token}"}
        assert guesser.get("/api/projects", headers=good).status_code == 429
        assert honest.get("/api/projects", headers=good).status_code == 200


def test_guess_limiter_refills() -> None:
    """A client that stops guessing may try again once a failure's worth has refilled."""
    now = [0.0]
    limiter = GuessLimiter(burst=2, per_minute=6, clock=lambda: now[0])
    limiter.failed("a")
    limiter.failed("a")
    assert limiter.wait("a") == 10 and limiter.wait("b") == 0
    now[0] = 10.0
    assert limiter.wait("a") == 0


def filter_parameters() -> Iterator[tuple[str, str, str]]:
    """(path template, method, parameter) for every query and path parameter the API describes."""
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                yield path, method.upper(), parameter["name"]


def test_sql_injection_in_every_parameter_changes_nothing(running: RunningServer, credentials: Credentials) -> None:
    """Injection attempts in every API parameter answer 2xx or 4xx, match nothing, and leave every table whole."""
    with running.client() as client:
        for message in ("checkout failed", "disk quota exceeded on volume", "user lookup timed out"):
            answer = client.post(f"/api/{credentials.project_id}/envelope/", content=envelope(error_event(message)),
                                 headers={"X-Sentry-Auth": f"Sentry sentry_key={credentials.public_key}"})
            assert answer.status_code == 200
    running.wait_committed()
    parameters = list(filter_parameters())
    assert {name for _, _, name in parameters} >= {"project", "query", "status", "release", "environment", "since",
                                                  "sort", "limit", "offset", "issue_id", "before", "until"}
    with running.client(credentials.token) as client:
        before = client.get("/api/projects/shop/issues").json()["issues"]
        issue = before[0]["id"]
        assert len(before) == 3
        for path, method, name in parameters:
            if method != "GET":
                continue
            for attack in SQL_ATTACKS:
                values = {"project": "shop", "issue_id": issue, name: attack}
                url = re.sub(r"\{(\w+)\}", lambda m, values=values: values[m.group(1)], path)
                params = {} if f"{{{name}}}" in path else {name: attack}
                answer = client.get(url, params=params)
                assert answer.status_code in (200, 400, 404, 422), f"{name}={attack!r}: {answer.text[:300]}"
                if answer.status_code == 200 and "issues" in answer.json():
                    assert answer.json()["issues"] == [], f"{name}={attack!r} matched issues"
        assert client.get("/api/projects/shop/issues").json()["issues"] == before
        assert len(client.get(f"/api/issues/{issue}/events").json()["events"]) == 1


def raw_get(url: str, path: str) -> tuple[int, bytes]:
    """GET a path as given, without the client normalizing `..` or percent escapes away."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


TRAVERSALS = ("../../app.py", "..%2f..%2fapp.py", "%2e%2e/%2e%2e/app.py", "..%5c..%5capp.py", "....//....//app.py",
              "%2e%2e%2f%2e%2e%2fapp.py", "/etc/passwd", "..%252f..%252fapp.py", "..;/..;/app.py",
              "%c0%ae%c0%ae/%c0%ae%c0%ae/app.py", "..\\..\\app.py", "htmx.min.js/../../../app.py",
              "../../../../../../../../etc/passwd")


def test_no_path_escapes_a_route_that_serves_files(running: RunningServer) -> None:
    """Static assets are served; `..`, encoded and absolute paths never reach a file outside them."""
    status, body = raw_get(running.url, f"{STATIC}/htmx.min.js")
    assert status == 200 and b"htmx" in body
    for attack in TRAVERSALS:
        for base in (f"{STATIC}/", "/ui/", "/api/projects/shop/issues/"):
            status, body = raw_get(running.url, base + attack)
            assert status in (400, 401, 403, 404, 405, 303, 307), (base + attack, status)
            assert b"create_app" not in body and b"root:" not in body, base + attack


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0.0.0.0", "[::]",
                                  "100.64.0.1", "198.18.0.1", "[fd00::1]", "[::ffff:7f00:1]", "172.31.255.255"])
def test_webhooks_refuse_every_spelling_of_a_private_address(host: str) -> None:
    """Numeric, octal, short and mapped spellings of private or reserved addresses are refused as the plain
    address is, through the real resolver; allowing the network lets them through. (httpx rejects octal
    spellings as URLs outright, which refuses them too.)"""
    with pytest.raises((DeliveryError, httpx.InvalidURL)) as refused:
        resolve_target(f"http://{host}:9/hook", ())
    if refused.type is httpx.InvalidURL:
        return
    address = ipaddress.ip_address(str(resolve_target(f"http://{host}:9/hook", (
        ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")))[0].host).strip("[]"))
    assert not address.is_global


SECRETS = {"password": "hunter2-correct-horse", "card": "4111 1111 1111 1111", "cookie": "sessionid=s3ss10n-c00kie",
           "authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.tok3n-value", "api_key": "ak_live_51HxYz-secret",
           "query": "token=qs-t0ken-value"}


def send_with_secrets(dsn: str) -> None:
    """A real sentry-sdk client reports an exception whose request, extra and message hold secrets."""
    client = sentry_sdk.Client(dsn=dsn, default_integrations=False, auto_enabling_integrations=False)

    def add_request(event: Any, hint: Any) -> Any:
        event["request"] = {
            "method": "POST", "url": "https://shop.example.com/checkout", "query_string": SECRETS["query"],
            "headers": {"Authorization": SECRETS["authorization"], "Cookie": SECRETS["cookie"],
                        "User-Agent": "Mozilla/5.0"},
            "cookies": {"sessionid": SECRETS["cookie"]},
            "data": {"password": SECRETS["password"], "card_number": SECRETS["card"], "sku": "A-1"}}
        return event
    try:
        with sentry_sdk.new_scope() as scope:
            scope.set_client(client)
            scope.add_event_processor(add_request)
            scope.set_extra("api_key", SECRETS["api_key"])
            scope.set_extra("note", f"charged card {SECRETS['card']}")
            try:
                raise PermissionError(f"login failed: password={SECRETS['password']}")
            except PermissionError:
                sentry_sdk.capture_exception()
            sentry_sdk.capture_message(f"payment with {SECRETS['card']} declined", level="error")
    finally:
        client.flush(timeout=10)
        client.close()


def stored_text(db: str) -> str:
    with duckdb.connect(db, read_only=True) as connection:
        rows = connection.execute("SELECT * FROM events").fetchall()
    assert len(rows) == 2
    return repr(rows)


def test_secrets_are_scrubbed_before_they_are_stored(server_config: Any, credentials: Credentials,
                                                     start_server: Any) -> None:
    """Passwords, cookies, Authorization headers, API keys and card numbers sent by a real SDK are not in the
    store; the rest of the request is."""
    server = start_server(server_config)
    send_with_secrets(server.dsn(credentials))
    server.wait_committed()
    server.stop()
    text = stored_text(server_config.db)
    for name, secret in SECRETS.items():
        assert secret.split("=")[-1] not in text, name
    assert "[Filtered]" in text and "Mozilla/5.0" in text and "A-1" in text and "PermissionError" in text


def test_scrubbing_can_be_turned_off(tmp_path: Path, credentials: Credentials, server_config: Any,
                                     start_server: Any) -> None:
    """With `[scrub] enabled = false` the store keeps what the SDK sent, secrets included."""
    from dataclasses import replace

    from faultlens.config import parse_config

    grouping = parse_config("[scrub]\nenabled = false\n", tmp_path / "faultlens.toml").grouping
    server = start_server(replace(server_config, grouping=grouping))
    send_with_secrets(server.dsn(credentials))
    server.wait_committed()
    server.stop()
    assert SECRETS["password"] in stored_text(server_config.db)


def test_secrets_never_reach_the_log(tmp_path: Path, credentials: Credentials, server_config: Any) -> None:
    """A real `faultlens serve` at debug level, sent right and wrong keys (in headers and in the query string),
    tokens, a bad body and a sign-in, writes none of them to its log."""
    db, port, log = Path(server_config.db), free_port(), tmp_path / "server.log"
    wrong_key, wrong_token = uuid.uuid4().hex, f"flt_0badc0de_{uuid.uuid4().hex}"
    process = start(db, port, log, "debug")
    try:
        base = f"http://127.0.0.1:{port}"
        sent = [
            httpx.post(f"{base}/api/{credentials.project_id}/store/", params={"sentry_key": credentials.public_key},
                       content=orjson.dumps(error_event())),
            httpx.post(f"{base}/api/{credentials.project_id}/store/", params={"sentry_key": wrong_key},
                       content=orjson.dumps(error_event())),
            httpx.post(f"{base}/api/{credentials.project_id}/envelope/", content=b"\x00not an envelope",
                       headers={"X-Sentry-Auth": f"Sentry sentry_key={credentials.public_key}"}),
            httpx.post(f"{base}/api/ingest", content=b'{"level": "error", "message": "x"}',
                       headers={"Authorization": f"Bearer {wrong_key}"}),
            httpx.get(f"{base}/api/projects", headers={"Authorization": f"Bearer {credentials.token}"}),
            httpx.get(f"{base}/api/projects", headers={"Authorization": f"Bearer {wrong_token}"}),
            httpx.post(f"{base}/ui/login", data={"name": "admin", "secret": wrong_token}),
        ]
        assert [answer.status_code for answer in sent] == [200, 401, 400, 401, 200, 401, 403]
        time.sleep(0.5)  # not an assertion on time: lets the access log lines of the last requests be written
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    text = log.read_text()
    assert "POST /api/" in text, "the access log was written, so the check below means something"
    for secret in (credentials.public_key, credentials.token, wrong_key, wrong_token):
        assert secret not in text


def test_request_lines_are_logged_at_debug_only(tmp_path: Path, credentials: Credentials, server_config: Any) -> None:
    """At the default level the log says what the server does, not a line per ingested event."""
    db, port, log = Path(server_config.db), free_port(), tmp_path / "server.log"
    process = start(db, port, log, "info")
    try:
        answer = httpx.post(f"http://127.0.0.1:{port}/api/{credentials.project_id}/store/",
                            params={"sentry_key": credentials.public_key}, content=orjson.dumps(error_event()))
        assert answer.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    text = log.read_text()
    assert "Application startup complete" in text, "the log was written at info level"
    assert "POST /api/" not in text and "GET /health" not in text

