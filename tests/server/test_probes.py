"""Synthetic probes against a real service on 127.0.0.1 that is switched between healthy, failing, slow and down."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from faultlens.errors import ConfigError
from faultlens.model import Event
from faultlens.server.config import ServerConfig
from faultlens.server.hooks import Overloaded
from faultlens.server.probes import Probe, ProbeRunner, check, read_probes, result_event
from tests.server.conftest import Credentials, RunningServer


class Service:
    """A tiny HTTP service with /health, whose mode decides the answer: healthy, failing (500), slow, or down."""

    def __init__(self) -> None:
        self.mode = "healthy"
        with socket.socket() as probe_port:
            probe_port.bind(("127.0.0.1", 0))
            self.port = probe_port.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/health"
        self.server: ThreadingHTTPServer | None = None
        self.up()

    def up(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if owner.mode == "slow":
                    time.sleep(0.3)
                status = 500 if owner.mode == "failing" else 200
                body = b'{"status": "ok"}' if status == 200 else b'{"status": "db down"}'
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def set(self, mode: str) -> None:
        if mode == "down":
            self.down()
        elif self.server is None:
            self.up()
        self.mode = mode if mode != "down" else self.mode


class RecordingIngest:
    """Collects what probes submit, standing in for the ingest door in tests of probes alone."""

    def __init__(self) -> None:
        self.submitted: list[tuple[list[Event], str]] = []
        self.full = False

    def submit_events(self, events: Sequence[Event], project: str) -> None:
        if self.full:
            raise Overloaded("queue full")
        self.submitted.append((list(events), project))


@pytest.fixture
def service() -> Iterator[Service]:
    svc = Service()
    yield svc
    svc.down()


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout=10))


async def check_once(probe: Probe) -> Any:
    async with httpx.AsyncClient() as client:
        return await check(client, probe)


def test_each_mode_gives_its_failure_kind(service: Service) -> None:
    """Healthy passes; a 500 is a status failure, a slow answer is slow, a stopped service refused the connection."""
    probe = Probe("checkout", service.url, latency_threshold_ms=150, timeout_seconds=2)
    assert run(check_once(probe)).failure is None
    service.set("failing")
    failing = run(check_once(probe))
    assert (failing.failure, failing.status) == ("status", 500)
    assert failing.message == f"GET {service.url} answered 500, expected 200"
    service.set("slow")
    slow = run(check_once(probe))
    assert slow.failure == "slow" and slow.elapsed_ms >= 150 and "over its 150 ms threshold" in slow.message
    service.set("down")
    down = run(check_once(probe))
    assert down.failure == "refused" and down.message == f"GET {service.url} refused the connection"


def test_timeout_is_its_own_failure(service: Service) -> None:
    """An answer slower than the probe's timeout is a timeout, an error, not a slow answer."""
    service.set("slow")
    result = run(check_once(Probe("checkout", service.url, timeout_seconds=0.1)))
    assert result.failure == "timeout" and result.message == f"GET {service.url} gave no answer within 0.1 s"
    event = result_event(result)
    assert event is not None and event.level == "error"


def test_failures_become_events_for_their_service(service: Service) -> None:
    """A failed check is an event whose service is the probe's name, with the request's method, path and status."""
    service.set("failing")
    result = run(check_once(Probe("checkout-health", service.url, expected_status=(200, 204), project="shop")))
    event = result_event(result)
    assert event is not None
    assert (event.service, event.level, event.project, event.http_status) == ("checkout-health", "error", "shop", 500)
    assert event.http_method == "GET" and event.http_path == "/health" and event.fingerprint is None
    assert event.message == f"GET {service.url} answered 500, expected 200 or 204"
    assert event.tags == {"probe": "checkout-health", "probe.failure": "status", "probe.url": service.url}
    assert event.id.startswith("probe-") and event.source.path == "probe:checkout-health"
    service.set("slow")
    slow = result_event(run(check_once(Probe("checkout-health", service.url, latency_threshold_ms=100))))
    assert slow is not None and slow.level == "warning"


def test_runner_submits_failures_and_logs_recovery(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    """Running on its interval, a probe submits one event per failed check, none while healthy, and logs recovery."""
    ingest = RecordingIngest()
    probe = Probe("checkout", service.url, interval_seconds=0.05, timeout_seconds=1)

    async def scenario() -> ProbeRunner:
        runner = ProbeRunner([probe], ingest)
        runner.start()
        await _until(lambda: runner.states["checkout"].checks >= 2)
        service.set("failing")
        await _until(lambda: len(ingest.submitted) >= 2)
        service.set("down")
        await _until(lambda: any(e.tags["probe.failure"] == "refused" for batch, _ in ingest.submitted for e in batch))
        service.set("healthy")
        await _until(lambda: runner.states["checkout"].failing_since is None)
        tasks = list(runner.tasks)
        runner.stop()
        await asyncio.wait(tasks, timeout=5)
        assert all(task.done() for task in tasks)
        return runner

    with caplog.at_level(logging.INFO, logger="faultlens.probes"):
        runner = run(scenario())
    kinds = [event.tags["probe.failure"] for events, project in ingest.submitted for event in events]
    assert kinds[:2] == ["status", "status"] and "refused" in kinds and set(kinds) <= {"status", "refused"}
    assert all(project == "default" for _, project in ingest.submitted)
    assert any("probe checkout failing" in message for message in caplog.messages)
    assert any("probe checkout recovered after" in message for message in caplog.messages)
    assert runner.states["checkout"].consecutive_failures == 0 and not runner.tasks


def test_full_ingest_queue_is_logged_not_raised(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    """When ingest is overloaded the failure is logged and the probe keeps running."""
    ingest = RecordingIngest()
    ingest.full = True
    service.set("failing")
    runner = ProbeRunner([Probe("checkout", service.url)], ingest)
    runner.record(run(check_once(runner.probes[0])))
    assert any("ingest queue full" in message for message in caplog.messages)


def test_probes_are_read_from_the_server_table() -> None:
    """`[[server.probes]]` tables become probes, with defaults for what is left out."""
    probes = read_probes({"probes": [
        {"name": "api-ready", "url": "http://api.internal:8080/ready", "interval": 15, "expected_status": [200, 204],
         "latency_threshold_ms": 500, "timeout": 2, "method": "HEAD", "project": "shop"},
        {"name": "web", "url": "https://example.com/health"},
    ]})
    assert probes[0] == Probe("api-ready", "http://api.internal:8080/ready", "HEAD", 15.0, (200, 204), 500, 2.0, "shop")
    assert probes[1] == Probe("web", "https://example.com/health")


@pytest.mark.parametrize(("probes", "expected"), [
    ([{"url": "http://x/health"}], "server.probes[1].name: expected a non-empty string"),
    ([{"name": "a", "url": "x/health"}], "server.probes[1].url: expected an http:// or https:// URL"),
    ([{"name": "a", "url": "http://x", "interval": 0.5}], "server.probes[1].interval: expected a number of at least 1"),
    ([{"name": "a", "url": "http://x", "expected_status": 99}], "expected an HTTP status or a list of them"),
    ([{"name": "a", "url": "http://x", "method": "BREW"}], "method: expected one of GET"),
    ([{"name": "a", "url": "http://x", "every": 5}], "server.probes[1].every: unknown key"),
    ([{"name": "a", "url": "http://x"}, {"name": "a", "url": "http://y"}], "each probe needs its own name"),
])
def test_probe_settings_errors_name_the_key(probes: list[dict[str, Any]], expected: str) -> None:
    """A wrong probe setting stops with an error naming the probe, the key and what was expected."""
    with pytest.raises(ConfigError) as caught:
        read_probes({"probes": probes})
    assert expected in str(caught.value)


async def _until(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def test_probe_failures_become_issues_in_the_real_server(service: Service, server_config: ServerConfig,
                                                         credentials: Credentials,
                                                         start_server: Callable[[ServerConfig], RunningServer]) -> None:
    """With `[[server.probes]]` set, the server probes on its own; a failing service becomes an issue of its name,
    and /metrics shows the probe down."""
    service.set("failing")
    probes = [{"name": "checkout-health", "url": service.url, "interval": 1, "project": credentials.project}]
    server = start_server(replace(server_config, probes=probes))
    deadline = time.monotonic() + 10
    issues: list[dict[str, Any]] = []
    with server.client(credentials.token) as client:
        while not issues and time.monotonic() < deadline:
            server.wait_committed()
            answer = client.get(f"/api/projects/{credentials.project}/issues")
            assert answer.status_code == 200, answer.text
            issues = answer.json()["issues"]
            time.sleep(0.1)
    [issue] = issues
    assert "answered 500, expected 200" in issue["title"] and issue["services"] == ["checkout-health"]
    with server.client() as client:
        assert 'faultlens_probe_up{probe="checkout-health"} 0.0' in client.get("/metrics").text
