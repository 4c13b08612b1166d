"""Alerts: rules over committed batches, both payload shapes, retries, cooldowns, rate limits and the address check.

Webhooks here are real HTTP servers on 127.0.0.1 (allowed explicitly, as loopback is refused by
default); each test stops the servers it starts.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from typer.testing import CliRunner

import faultlens.commands.alerts  # noqa: F401  (registers `alerts` on the app)
from faultlens.commands import app as cli_app
from faultlens.config import load_config
from faultlens.errors import ConfigError
from faultlens.server.alerting import Alerting, AlertRule, AlertSettings, read_alert_settings
from faultlens.server.config import ServerConfig
from faultlens.server.hooks import CommitResult
from faultlens.server.probes import read_probes
from faultlens.server.webhooks import (
    Alert,
    DeliveryError,
    RetryableDeliveryError,
    TargetWorker,
    WebhookSender,
    WebhookTarget,
    json_payload,
    resolve_target,
    slack_payload,
)
from tests.conftest import REPO
from tests.server.conftest import Credentials, RunningServer

LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Webhook:
    """A webhook receiver: records each JSON body, answering with the statuses it is told to, then 200."""

    def __init__(self, statuses: list[int] | None = None, delay: float = 0.0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        self.delay = delay
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.hits += 1
                time.sleep(owner.delay)
                status = owner.statuses.pop(0) if owner.statuses else 200
                if status == 200:
                    owner.bodies.append(json.loads(body))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except ConnectionError:
                    pass  # the sender gave up waiting (the slow-webhook test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.bodies) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.bodies

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.stop()


def alerting_for(hook: Webhook, *rules: AlertRule, fmt: str = "json", per_minute: int = 30) -> Alerting:
    target = WebhookTarget("ops", hook.url, "slack" if fmt == "slack" else "json", per_minute)
    settings = AlertSettings(rules, (target,), LOOPBACK)
    return Alerting(settings, WebhookSender(LOOPBACK, first_wait=0.01))


def batch(at: datetime, counts: dict[str, int] | None = None, *, new: set[str] = frozenset(),
          regressed: set[str] = frozenset(), service: str = "checkout", project: str = "shop",
          service_counts: dict[str, tuple[int, int]] | None = None) -> CommitResult:
    counts = counts or {}
    return CommitResult(frozenset(new), counts, frozenset(regressed), service_counts or {}, at,
                        {fp: project for fp in counts}, {fp: service for fp in counts},
                        {fp: f"ValueError: bad {fp}" for fp in counts})


def test_new_issue_alert_reaches_a_json_webhook(webhook: Webhook) -> None:
    """A new issue in a committed batch is posted to the webhook with its title, service, project and count."""
    alerting = alerting_for(webhook, AlertRule("server.alerts[1]", "new_issue", ("ops",)))
    try:
        alerting(batch(T0, {"abc123": 3}, new={"abc123"}))
        [body] = webhook.wait_for(1)
    finally:
        alerting.close()
    assert body["kind"] == "new_issue" and body["title"] == "ValueError: bad abc123"
    assert body["fingerprint"] == "abc123" and body["service"] == "checkout" and body["project"] == "shop"
    assert body["observed"] == 3 and body["rule"] == "server.alerts[1]" and body["fired_at"] == "2026-03-02T09:00:00Z"


def test_slack_webhook_receives_text_and_blocks(webhook: Webhook) -> None:
    """A Slack-format target gets `text` and `blocks`, with markup in the title escaped."""
    alerting = alerting_for(webhook, AlertRule("r", "regression", ("ops",)), fmt="slack")
    result = CommitResult(frozenset(), {"f1": 2}, frozenset({"f1"}), {}, T0, {"f1": "shop"}, {"f1": "api"},
                          {"f1": "KeyError: <!channel> & co"})
    try:
        alerting(result)
        [body] = webhook.wait_for(1)
    finally:
        alerting.close()
    assert set(body) == {"text", "blocks"} and body["text"].startswith("Regression: KeyError")
    assert [block["type"] for block in body["blocks"]] == ["header", "section", "section", "context"]
    fields = " ".join(field["text"] for field in body["blocks"][2]["fields"])
    assert "*service:* api" in fields and "*issue:* f1" in fields
    assert "&lt;!channel&gt; &amp; co" in json.dumps(slack_payload(
        Alert("new_issue", "x", "<!channel> & co", T0, "r"))["blocks"][1])


def test_filters_pick_services_and_projects(webhook: Webhook) -> None:
    """Service and project globs decide which issues a rule alerts on; an unknown service matches no filter."""
    rule = AlertRule("r", "new_issue", ("ops",), services=("check*",), projects=("shop",))
    alerting = alerting_for(webhook, rule)
    try:
        alerting(batch(T0, {"a": 1}, new={"a"}, service="billing"))
        alerting(batch(T0, {"b": 1}, new={"b"}, project="blog"))
        alerting(CommitResult(frozenset({"c"}), {"c": 1}, committed_at=T0))
        alerting(batch(T0, {"d": 1}, new={"d"}, service="checkout-api"))
        bodies = webhook.wait_for(1)
        time.sleep(0.1)
    finally:
        alerting.close()
    assert [body["fingerprint"] for body in bodies] == ["d"]


def test_one_alert_per_issue_per_kind_per_cooldown(webhook: Webhook) -> None:
    """A regression reported again inside the cooldown is not sent twice; after the cooldown it is."""
    alerting = alerting_for(webhook, AlertRule("r", "regression", ("ops",), cooldown_minutes=30))
    try:
        alerting(batch(T0, {"f": 1}, regressed={"f"}))
        alerting(batch(T0 + timedelta(minutes=10), {"f": 1}, regressed={"f"}))
        alerting(batch(T0 + timedelta(minutes=31), {"f": 1}, regressed={"f"}))
        bodies = webhook.wait_for(2)
        time.sleep(0.1)
    finally:
        alerting.close()
    assert [body["fired_at"] for body in bodies] == ["2026-03-02T09:00:00Z", "2026-03-02T09:31:00Z"]


def test_spike_fires_on_a_burst_over_the_issue_baseline(webhook: Webhook) -> None:
    """Steady traffic raises nothing; a burst far above the issue's own baseline raises one spike alert."""
    alerting = alerting_for(webhook, AlertRule("r", "spike", ("ops",), window_minutes=5))
    try:
        for minute in range(60):
            alerting(batch(T0 + timedelta(minutes=minute), {"f": 2 if minute % 2 else 1}))
        time.sleep(0.1)
        assert webhook.bodies == []
        alerting(batch(T0 + timedelta(minutes=60), {"f": 80}))
        [body] = webhook.wait_for(1)
    finally:
        alerting.close()
    assert body["kind"] == "spike" and body["fingerprint"] == "f" and body["window_seconds"] == 300
    assert body["observed"] >= 80 and "robust standard deviations" in body["text"]


def test_spike_waits_for_a_baseline(webhook: Webhook) -> None:
    """A burst in the server's first windows is not judged: there is no baseline yet to be above."""
    alerting = alerting_for(webhook, AlertRule("r", "spike", ("ops",), window_minutes=5))
    try:
        alerting(batch(T0, {"f": 1}))
        alerting(batch(T0 + timedelta(minutes=12), {"f": 500}))
        time.sleep(0.2)
    finally:
        alerting.close()
    assert webhook.bodies == []


def test_error_rate_threshold_per_service(webhook: Webhook) -> None:
    """A service whose errors over the window reach the threshold alerts; too few records or a low rate do not."""
    rule = AlertRule("r", "error_rate", ("ops",), threshold=0.1, window_minutes=5, min_records=20)
    alerting = alerting_for(webhook, rule)
    try:
        alerting(batch(T0, service_counts={"api": (10, 9)}))
        alerting(batch(T0, service_counts={"web": (1000, 5)}))
        alerting(batch(T0 + timedelta(minutes=1), service_counts={"api": (10, 0)}))
        [body] = webhook.wait_for(1)
        time.sleep(0.1)
    finally:
        alerting.close()
    assert body["kind"] == "error_rate" and body["service"] == "api" and body["observed"] == 0.45
    assert body["title"] == "api error rate 45.0%" and body["threshold"] == 0.1


def test_failed_delivery_is_retried_with_backoff() -> None:
    """A webhook answering 500 twice gets the alert on the third try; one answering 400 is not retried."""
    flaky, refusing = Webhook([500, 503]), Webhook([400])
    sender = WebhookSender(LOOPBACK, attempts=4, first_wait=0.01)
    alert = Alert("test", "t", "x", T0, "r")
    try:
        sender.send(WebhookTarget("flaky", flaky.url), alert)
        with pytest.raises(DeliveryError, match="refused the alert with 400"):
            sender.send(WebhookTarget("refusing", refusing.url), alert)
    finally:
        sender.close()
        flaky.stop()
        refusing.stop()
    assert flaky.hits == 3 and len(flaky.bodies) == 1 and refusing.hits == 1


def test_retries_are_bounded() -> None:
    """A webhook that keeps failing is tried `attempts` times, then the error names it."""
    down = Webhook([500] * 10)
    sender = WebhookSender(LOOPBACK, attempts=3, first_wait=0.01)
    try:
        with pytest.raises(RetryableDeliveryError, match="webhook down answered 500"):
            sender.send(WebhookTarget("down", down.url), Alert("test", "t", "x", T0, "r"))
    finally:
        sender.close()
        down.stop()
    assert down.hits == 3


def test_rate_limit_holds_back_and_counts(webhook: Webhook) -> None:
    """Past a target's rate, alerts are held back and the next delivered one says how many."""
    now = [0.0]
    sender = WebhookSender(LOOPBACK, first_wait=0.01)
    worker = TargetWorker(WebhookTarget("ops", webhook.url, max_per_minute=2), sender, clock=lambda: now[0])
    try:
        for n in range(5):
            worker.offer(Alert("test", f"a{n}", "x", T0, "r"))
        webhook.wait_for(2)
        deadline = time.monotonic() + 5
        while worker.queue.unfinished_tasks and worker.counts.rate_limited < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        now[0] = 30.0
        worker.offer(Alert("test", "a5", "x", T0, "r"))
        bodies = webhook.wait_for(3)
    finally:
        worker.close(2.0)
        sender.close()
    assert [body["title"] for body in bodies] == ["a0", "a1", "a5"]
    assert bodies[2]["suppressed_before"] == 3 and worker.counts.rate_limited == 3


def test_slow_webhook_never_blocks_the_writer() -> None:
    """The hook returns at once while a webhook takes seconds; what overflows the bounded queue is dropped."""
    slow = Webhook(delay=1.0)
    target = WebhookTarget("slow", slow.url, max_per_minute=1000)
    alerting = Alerting(AlertSettings((AlertRule("r", "new_issue", ("slow",), cooldown_minutes=0),), (target,),
                                      LOOPBACK), WebhookSender(LOOPBACK, first_wait=0.01), queue_size=2)
    try:
        started = time.perf_counter()
        for n in range(10):
            alerting(batch(T0, {f"f{n}": 1}, new={f"f{n}"}))
        took = time.perf_counter() - started
    finally:
        alerting.close(timeout=0.5)
        slow.stop()
    assert took < 0.2
    assert alerting.workers["slow"].counts.dropped >= 7


def test_private_and_loopback_targets_are_refused_unless_allowed() -> None:
    """Loopback, private and link-local addresses, by literal or by name, are refused before any connection."""
    for url in ("http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest", "http://[::1]/x",
                "http://[::ffff:192.168.1.1]/x"):
        with pytest.raises(DeliveryError, match="refused"):
            resolve_target(url, ())
    with pytest.raises(DeliveryError, match=r"localhost refused, 127\.0\.0\.1 is a loopback address"):
        resolve_target("http://localhost:8000/x", (), resolve=lambda host, port: ["127.0.0.1"])
    with pytest.raises(DeliveryError, match="webhook_allowed_networks"):
        resolve_target("https://hooks.example.com/x", (), resolve=lambda host, port: ["93.184.215.14", "10.0.0.7"])
    pinned, host = resolve_target("https://hooks.example.com:8443/x?y=1", (),
                                  resolve=lambda host, port: ["93.184.215.14"])
    assert str(pinned) == "https://93.184.215.14:8443/x?y=1" and host == "hooks.example.com"
    assert resolve_target("http://127.0.0.1:9/x", LOOPBACK)[1] == "127.0.0.1"
    with pytest.raises(DeliveryError, match="http:// or https://"):
        resolve_target("file:///etc/passwd", ())


def test_json_payload_shape() -> None:
    """The generic payload carries every alert field under a fixed set of keys."""
    body = json_payload(Alert("spike", "t", "x", T0, "r", "fp", "api", "shop", 40.0, 3.0, 600), suppressed=2)
    assert body == {"source": "faultlens", "kind": "spike", "title": "t", "text": "x",
                    "fired_at": "2026-03-02T09:00:00Z", "rule": "r", "fingerprint": "fp", "service": "api",
                    "project": "shop", "observed": 40.0, "threshold": 3.0, "window_seconds": 600,
                    "suppressed_before": 2}


def test_settings_are_read_from_the_server_table() -> None:
    """`[[server.webhooks]]`, `[[server.alerts]]` and the allowed networks become rules, targets and networks."""
    settings = read_alert_settings({
        "webhook_allowed_networks": ["127.0.0.1/32"],
        "webhooks": [{"name": "ops", "url": "https://hooks.example.com/x", "format": "slack", "max_per_minute": 5}],
        "alerts": [{"kind": "spike", "services": ["api*"], "threshold": 4.0, "window": 15, "webhooks": ["ops"]},
                   {"kind": "error_rate", "threshold": 0.05, "webhooks": ["ops"]}],
    })
    assert settings.webhooks == (WebhookTarget("ops", "https://hooks.example.com/x", "slack", 5),)
    assert settings.rules[0] == AlertRule("server.alerts[1]", "spike", ("ops",), ("api*",), (), 4.0, 15)
    assert settings.rules[1].window_minutes == 5 and settings.allowed_networks == LOOPBACK


@pytest.mark.parametrize(("server", "expected"), [
    ({"alerts": [{"kind": "typo", "webhooks": []}]}, "server.alerts[1].kind: expected one of new_issue"),
    ({"alerts": [{"kind": "new_issue", "webhooks": ["nope"]}]}, "expected names of [[server.webhooks]] (none"),
    ({"webhooks": [{"name": "o", "url": "https://x"}], "alerts": [{"kind": "error_rate", "webhooks": ["o"]}]},
     "server.alerts[1].threshold: an error_rate alert needs a threshold"),
    ({"webhooks": [{"name": "o", "url": "https://x"}],
      "alerts": [{"kind": "new_issue", "window": 5, "webhooks": ["o"]}]}, "window: does not apply to new_issue"),
    ({"webhooks": [{"name": "o", "url": "https://x"}],
      "alerts": [{"kind": "spike", "window": 0, "webhooks": ["o"]}]}, "expected a whole number of at least 1"),
    ({"webhooks": [{"name": "o", "url": "ftp://x"}]}, "expected an http:// or https:// url"),
    ({"webhooks": [{"name": "o", "url": "http://10.1.2.3/hook"}]}, "o: http://10.1.2.3/hook: 10.1.2.3 refused, "
     "10.1.2.3 is a private address; if that webhook is yours, add \"10.1.2.3/32\""),
    ({"webhook_allowed_networks": ["not-a-net"]}, "expected networks such as"),
    ({"webhooks": {"name": "o"}}, "expected an array of tables ([[server.webhooks]])"),
])
def test_settings_errors_name_the_key(server: dict[str, Any], expected: str) -> None:
    """A wrong alert setting stops with an error naming the entry, the key and what was expected."""
    with pytest.raises(ConfigError) as caught:
        read_alert_settings(server, "faultlens.toml")
    assert expected in str(caught.value) and str(caught.value).startswith("faultlens.toml: ")


def test_alerts_test_command_sends_a_sample(webhook: Webhook) -> None:
    """`faultlens alerts test --webhook URL --slack` posts a sample Slack alert and reports the answer."""
    result = CliRunner().invoke(cli_app, ["alerts", "test", "--webhook", webhook.url, "--slack",
                                          "--allow-network", "127.0.0.1/32"])
    assert result.exit_code == 0, result.output
    assert "answered 200" in result.output
    [body] = webhook.wait_for(1)
    assert body["text"].startswith("Test alert:")


def test_alerts_without_a_subcommand_still_writes_rules(tmp_path: Path) -> None:
    """`faultlens alerts PATH --format prometheus` writes a rule file as before `alerts test` existed."""
    result = CliRunner().invoke(cli_app, ["alerts", str(REPO / "examples" / "checkout-incident"), "--format",
                                          "prometheus", "--db", str(tmp_path / "store.duckdb")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("groups:") and "HighErrorRate" in result.output


def test_alerts_test_command_refuses_loopback_by_default(webhook: Webhook) -> None:
    """Without an allowed network, the test command refuses a loopback webhook and says how to allow it."""
    result = CliRunner().invoke(cli_app, ["alerts", "test", "--webhook", webhook.url])
    assert result.exit_code == 1
    assert "loopback" in str(result.exception) and webhook.hits == 0


def test_sdk_error_in_the_real_server_alerts_the_webhook(webhook: Webhook, server_config: ServerConfig,
                                                        credentials: Credentials,
                                                        start_server: Callable[[ServerConfig], RunningServer]) -> None:
    """An exception reported by sentry-sdk to a running server becomes one new-issue alert naming it, counted in /metrics."""
    config = replace(server_config, webhook_allowed_networks=["127.0.0.1/32"],
                     webhooks=[{"name": "ops", "url": webhook.url, "format": "json"}],
                     alerts=[{"kind": "new_issue", "projects": [credentials.project], "webhooks": ["ops"]}])
    server = start_server(config)
    report_key_error(server.dsn(credentials), 3)
    server.wait_committed()
    bodies = webhook.wait_for(1)
    time.sleep(0.2)
    [body] = bodies
    assert body["kind"] == "new_issue" and body["project"] == credentials.project and "KeyError" in body["title"]
    with server.client() as http:
        metrics = http.get("/metrics").text
    assert 'faultlens_alert_deliveries_total{outcome="delivered",webhook="ops"} 1.0' in metrics


def test_resolved_issue_seen_again_alerts_a_regression(webhook: Webhook, server_config: ServerConfig,
                                                       credentials: Credentials,
                                                       start_server: Callable[[ServerConfig], RunningServer]) -> None:
    """Resolving an issue through the API and reporting it again sends a Slack-shaped regression alert."""
    config = replace(server_config, webhook_allowed_networks=["127.0.0.1/32"],
                     webhooks=[{"name": "chat", "url": webhook.url, "format": "slack"}],
                     alerts=[{"kind": "regression", "webhooks": ["chat"]}])
    server = start_server(config)
    report_key_error(server.dsn(credentials), 1)
    server.wait_committed()
    with server.client(credentials.token) as client:
        [issue] = client.get(f"/api/projects/{credentials.project}/issues").json()["issues"]
        assert client.patch(f"/api/issues/{issue['id']}", json={"status": "resolved"}).status_code == 200
        report_key_error(server.dsn(credentials), 1)
        server.wait_committed()
    [body] = webhook.wait_for(1)
    assert body["text"].startswith("Regression: ") and "KeyError" in body["text"]
    assert f"*issue:* {issue['id']}" in json.dumps(body["blocks"])


def report_key_error(dsn: str, times: int) -> None:
    """Report the same KeyError `times` times through sentry-sdk, as an application would."""
    client = sentry_sdk.Client(dsn=dsn, server_name="web-1", default_integrations=False,
                               auto_enabling_integrations=False)
    try:
        with sentry_sdk.new_scope() as scope:
            scope.set_client(client)
            for _ in range(times):
                try:
                    {}["sku-1"]
                except KeyError:
                    sentry_sdk.capture_exception()
    finally:
        client.flush(timeout=10)
        client.close()


def test_documented_examples_are_valid(tmp_path: Path) -> None:
    """The faultlens.toml examples of docs/alerting.md, read together, give the rules and probes they describe."""
    docs = (REPO / "docs" / "alerting.md").read_text()
    path = tmp_path / "faultlens.toml"
    path.write_text("\n".join(re.findall(r"```toml\n(.*?)```", docs, re.S)))
    server = load_config(path).server
    settings = read_alert_settings(server, str(path))
    assert [rule.kind for rule in settings.rules] == ["new_issue", "regression", "spike", "error_rate"]
    assert [target.name for target in settings.webhooks] == ["ops-slack", "pager"]
    assert [probe.name for probe in read_probes(server, str(path))] == ["checkout-ready", "api-health"]
