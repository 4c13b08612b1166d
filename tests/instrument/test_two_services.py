"""Two real services on 127.0.0.1 — checkout (FastAPI under uvicorn) calling inventory (Flask under waitress)
with httpx — and the real `faultlens analyze` and `faultlens timeline` commands on the log files they wrote."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

APPS = Path(__file__).parent / "apps"
FAILING_ID = "order-7f3a-0001"
STARTUP_LIMIT_S = 60.0
"""How long a service may take to say it listens before the test gives up; no assertion is about time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    """A service in its own process, its log lines written to `log` as they would be in production."""

    name: str
    argv: list[str]
    log: Path
    ready_line: str
    env: dict[str, str]

    def start(self) -> None:
        self._out = self.log.open("w")
        self._err = self.log.with_suffix(".stderr").open("w")
        self.process = subprocess.Popen(self.argv, cwd=APPS, stdout=self._out, stderr=self._err,
                                        env={**os.environ, **self.env})

    def wait_until_listening(self) -> None:
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while self.ready_line not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{self.name} did not start: {self.log.with_suffix('.stderr').read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()
        self._err.close()


@dataclass
class Run:
    checkout_log: Path
    inventory_log: Path
    ok: httpx.Response
    failed: httpx.Response

    def lines(self, log: Path) -> list[dict[str, Any]]:
        return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    """Start both services, place one order that succeeds and one that fails in inventory, stop both."""
    logs = tmp_path_factory.mktemp("two-services")
    inventory_port, checkout_port = free_port(), free_port()
    inventory = Service("inventory", [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{inventory_port}",
                                      "inventory:app"],
                        logs / "inventory.log", f"Serving on http://127.0.0.1:{inventory_port}", {})
    checkout = Service("checkout", [sys.executable, "-m", "uvicorn", "checkout:app", "--host", "127.0.0.1",
                                    "--port", str(checkout_port)],
                       logs / "checkout.log", "Uvicorn running on",
                       {"INVENTORY_URL": f"http://127.0.0.1:{inventory_port}"})
    services = [inventory, checkout]
    try:
        for service in services:
            service.start()
        for service in services:
            service.wait_until_listening()
        with httpx.Client(base_url=f"http://127.0.0.1:{checkout_port}", timeout=30) as client:
            ok = client.post("/orders/sku-1", headers={"X-User-ID": "u-17"})
            failed = client.post("/orders/sku-404", headers={"X-User-ID": "u-18", "X-Correlation-ID": FAILING_ID})
    finally:
        for service in reversed(services):
            service.stop()
    return Run(checkout.log, inventory.log, ok, failed)


def faultlens(*args: str) -> subprocess.CompletedProcess[str]:
    command = shutil.which("faultlens", path=str(Path(sys.executable).parent)) or "faultlens"
    return subprocess.run([command, *args], capture_output=True, text=True, timeout=300)


def test_the_calls_answer_with_their_correlation_ids(run):
    """The order that succeeds gets a new id; the one that fails keeps the caller's id on its 500."""
    assert run.ok.status_code == 200 and len(run.ok.headers["x-correlation-id"]) == 32
    assert run.failed.status_code == 500 and run.failed.headers["x-correlation-id"] == FAILING_ID


def test_every_line_of_both_services_is_one_json_object_in_the_layout(run):
    """Each service's file holds only JSON objects naming the service, with time, level and message."""
    for log, service, version in ((run.checkout_log, "checkout", "1.4.0"), (run.inventory_log, "inventory", "2.0.3")):
        lines = run.lines(log)
        assert lines, log
        for line in lines:
            assert (line["service"], line["version"], line["environment"]) == (service, version, "staging")
            assert line["timestamp"].endswith("Z") and line["level"] and line["message"]


def test_the_generated_id_reaches_the_second_service(run):
    """The id checkout made for the good order is on inventory's lines for it: httpx sent it on."""
    made = run.ok.headers["x-correlation-id"]
    checkout_line = next(line for line in run.lines(run.checkout_log) if line["message"] == "POST /orders/sku-1 200")
    inventory_line = next(line for line in run.lines(run.inventory_log) if line["message"] == "GET /stock/sku-1 200")
    assert checkout_line["correlation_id"] == inventory_line["correlation_id"] == made
    assert checkout_line["user"] == {"id": "u-17"} and checkout_line["request"]["status_code"] == 200


def test_analyze_finds_the_error_and_its_request_in_both_services(run):
    """`faultlens analyze` finds the KeyError in inventory and checkout's failure, both under the failing id."""
    result = faultlens("analyze", str(run.checkout_log), str(run.inventory_log), "--format", "json", "--db", ":memory:")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(report["summary"]["services"]) == ["checkout", "inventory"]
    assert report["summary"]["skipped_lines"] == 0
    issues = {issue["type"]: issue for issue in report["issues"]}
    assert set(issues) == {"KeyError", "HTTPStatusError"}
    origin, surfaced = issues["KeyError"], issues["HTTPStatusError"]
    assert origin["services"] == ["inventory"] and origin["title"] == "KeyError: 'sku-404'"
    assert origin["culprit"].endswith("inventory.py in stock")
    assert surfaced["services"] == ["checkout"] and surfaced["users"] == 1
    for issue in (origin, surfaced):
        assert issue["count"] == 1 and issue["sample"]["correlation_id"] == FAILING_ID
    assert surfaced["sample"]["request"]["status_code"] == 500


def test_timeline_rebuilds_the_request_and_says_it_began_in_inventory(run):
    """`faultlens timeline --correlation-id` draws the failing order across both services, errors first in inventory."""
    result = faultlens("timeline", "--correlation-id", FAILING_ID, str(run.checkout_log), str(run.inventory_log),
                       "--format", "json")
    assert result.returncode == 0, result.stderr
    timeline = json.loads(result.stdout)
    assert timeline["services"] == ["checkout", "inventory"]
    assert timeline["errors_began"]["service"] == "inventory"
    assert timeline["errors_began"]["first_error"]["exception_type"] == "KeyError"
    assert timeline["counts"]["errors"] == 2
    texts = [entry["text"] for entry in timeline["entries"]]
    assert texts.index("reserving stock") < texts.index("stock lookup")
