"""The real sentry-sdk reports to a real server: its events become issues grouped as `analyze` groups them."""

from __future__ import annotations

from typing import Any

import pytest
import sentry_sdk
import sentry_sdk.logger
import sentry_sdk.transport

from faultlens.server import bodies


def fail_lookup(key: str) -> None:
    {}[key]


def fail_parse(text: str) -> None:
    try:
        int(text)
    except ValueError as exc:
        raise RuntimeError(f"cannot parse {text!r}") from exc


def report(dsn: str, **options: Any) -> None:
    """Send a realistic mix through the SDK: repeated and chained exceptions, messages, breadcrumbs, a user."""
    client = sentry_sdk.Client(dsn=dsn, release="shop@1.4.2", environment="production", server_name="web-1",
                               data_collection={"user_info": True}, default_integrations=False, auto_enabling_integrations=False, **options)
    try:
        with sentry_sdk.new_scope() as scope:
            scope.set_client(client)
            scope.set_user({"id": "user-7", "ip_address": "10.1.2.3"})
            scope.set_tag("region", "eu-west-1")
            scope.add_breadcrumb(category="http", message="GET /cart", level="info")
            for key in ("sku-1", "sku-2", "sku-3"):
                try:
                    fail_lookup(key)
                except KeyError:
                    sentry_sdk.capture_exception()
            try:
                fail_parse("twelve")
            except RuntimeError:
                sentry_sdk.capture_exception()
            sentry_sdk.capture_message("payment 1042 declined by gateway", level="warning")
            sentry_sdk.capture_message("payment 2211 declined by gateway", level="warning")
    finally:
        client.flush(timeout=10)
        client.close()


def issues_by_type(running: Any, token: str) -> dict[str, dict[str, Any]]:
    running.wait_committed()
    with running.client(token) as client:
        answer = client.get("/api/projects/shop/issues", params={"sort": "count"})
    assert answer.status_code == 200, answer.text
    return {issue["type"] or issue["title"]: issue for issue in answer.json()["issues"]}


@pytest.mark.parametrize("brotli_importable", [True, False])
def test_sdk_events_become_issues(running: Any, credentials: Any, monkeypatch: pytest.MonkeyPatch,
                                  brotli_importable: bool) -> None:
    """Exceptions of one stack make one issue, chained ones keep their cause, messages group by template —
    whether the SDK compresses with brotli (installed) or gzip (not)."""
    if not brotli_importable:
        monkeypatch.setattr(sentry_sdk.transport, "brotli", None)
    encodings: list[str] = []
    inflate = bodies.inflate
    monkeypatch.setattr(bodies, "inflate", lambda body, encoding, limit: encodings.append(encoding) or inflate(
        body, encoding, limit))
    report(running.dsn(credentials))
    assert set(encodings) == {"br" if brotli_importable else "gzip"}
    issues = issues_by_type(running, credentials.token)
    assert set(issues) == {"KeyError", "RuntimeError", "payment 1042 declined by gateway"}
    lookup = issues["KeyError"]
    assert (lookup["count"], lookup["users"], lookup["level"]) == (3, 1, "error")
    assert lookup["releases"] == ["shop@1.4.2"] and lookup["environments"] == ["production"]
    assert lookup["culprit"].endswith("in fail_lookup")
    assert issues["payment 1042 declined by gateway"]["count"] == 2
    assert issues["payment 1042 declined by gateway"]["level"] == "warning"
    with running.client(credentials.token) as client:
        chained = client.get(f"/api/issues/{issues['RuntimeError']['id']}").json()["latest_event"]
    assert [e["type"] for e in chained["exceptions"]] == ["ValueError", "RuntimeError"]
    assert chained["exceptions"][0]["relation"] == "cause"
    assert chained["exceptions"][-1]["frames"][-1]["function"] == "fail_parse"
    assert chained["user"]["id"] == "user-7" and chained["user"]["ip"] == "10.1.2.3"
    assert chained["host"] == "web-1" and chained["tags"]["region"] == "eu-west-1"
    assert chained["context"]["breadcrumbs"][0]["message"] == "GET /cart"


def test_uncompressed_sdk_and_store_endpoint(running: Any, credentials: Any) -> None:
    """An SDK told not to compress is read as well, and the legacy store endpoint takes a bare event."""
    report(running.dsn(credentials), _experiments={"transport_compression_level": 0})
    event = {"event_id": "fa7e0b4ed1f24d5ab1c3e1c1f6d9a001", "level": "error", "platform": "node",
             "exception": {"values": [{"type": "TypeError", "value": "x is undefined", "stacktrace": {"frames": [
                 {"filename": "/app/src/cart.js", "function": "total", "lineno": 12, "in_app": True}]}}]}}
    with running.client() as client:
        answer = client.post(f"/api/{credentials.project_id}/store/", json=event,
                             headers={"X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={credentials.public_key}"})
    assert answer.status_code == 200 and answer.json() == {"id": event["event_id"]}
    issues = issues_by_type(running, credentials.token)
    assert issues["KeyError"]["count"] == 3 and issues["TypeError"]["count"] == 1


def test_sdk_transactions_and_logs(running: Any, credentials: Any) -> None:
    """Transactions become spans (a failed one an error issue) and the SDK's logs become records."""
    client = sentry_sdk.Client(dsn=running.dsn(credentials), release="shop@1.4.2", traces_sample_rate=1.0,
                               enable_logs=True, default_integrations=False, auto_enabling_integrations=False)
    try:
        with sentry_sdk.new_scope() as scope:
            scope.set_client(client)
            with sentry_sdk.start_transaction(name="GET /cart", op="http.server"), \
                    sentry_sdk.start_span(op="db.query", name="SELECT cart"):
                pass
            with sentry_sdk.start_transaction(name="POST /checkout", op="http.server") as transaction:
                transaction.set_status("internal_error")
            sentry_sdk.logger.info("cart viewed by {user}", user="user-7")
            sentry_sdk.logger.error("stock service answered {status}", status=503)
    finally:
        client.flush(timeout=10)
        client.close()
    running.wait_committed()
    with running.client(credentials.token) as api:
        issues = api.get("/api/projects/shop/issues").json()["issues"]
        report = api.get("/api/projects/shop/report").json()
    titles = {issue["title"] for issue in issues}
    assert "POST /checkout failed" in titles
    assert any(title.startswith("stock service answered") for title in titles)
    rates = {rate["service"]: rate for rate in report["service_rates"]}
    assert rates["shop"]["requests"] == 2 and rates["shop"]["failed_requests"] == 1
