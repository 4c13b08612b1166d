"""An event answered 2xx is never lost: the server is killed with SIGKILL mid-stream and restarted."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson

EVENTS = 200
CLI = [sys.executable, "-c", "from faultlens.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(db: Path, port: int, log: Path, log_level: str = "warning") -> subprocess.Popen[bytes]:
    process = subprocess.Popen([*CLI, "serve", "--db", str(db), "--port", str(port), "--log-level", log_level],
                               cwd=db.parent, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()}")
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not become ready")


def restart_and_read(db: Path, port: int, log: Path, credentials: Any) -> tuple[list[str], str, int | None]:
    """Start the server (replaying its spool), then stop it: the ids of the events the API showed for
    project shop, the metrics page, and the exit code."""
    process = start(db, port, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}",
                          headers={"Authorization": f"Bearer {credentials.token}"}, timeout=10) as client:
            issues = client.get("/api/projects/shop/issues").json()["issues"]
            stored = [event["id"] for issue in issues for event in client.get(
                f"/api/issues/{issue['id']}/events", params={"limit": 1000}).json()["events"]]
            metrics = client.get("/metrics").text
    finally:
        process.terminate()
        process.wait(30)
    return stored, metrics, process.returncode


def test_sigkill_loses_nothing_answered(tmp_path: Path, credentials: Any, server_config: Any) -> None:
    """Every event answered 200 before a SIGKILL is in the store after the restart, and only once."""
    db, port, log = Path(server_config.db), free_port(), tmp_path / "server.log"
    process = start(db, port, log)
    url = f"http://127.0.0.1:{port}/api/{credentials.project_id}/envelope/"
    headers = {"X-Sentry-Auth": f"Sentry sentry_key={credentials.public_key}"}

    def send(n: int) -> str | None:
        event_id = uuid.uuid4().hex
        body = b"\n".join([orjson.dumps({"event_id": event_id}), b'{"type":"event"}',
                           orjson.dumps({"event_id": event_id, "level": "error", "message": f"job {n} failed"})])
        try:
            answer = httpx.post(url, content=body, headers=headers, timeout=10)
        except httpx.TransportError:
            return None
        return event_id if answer.status_code == 200 else None

    try:
        locked = subprocess.run([*CLI, "projects", "list", "--db", str(db)], capture_output=True, text=True,
                                timeout=60)
        assert locked.returncode == 1 and "faultlens serve" in locked.stderr
        with ThreadPoolExecutor(4) as pool:
            answered = [event_id for event_id in pool.map(send, range(EVENTS)) if event_id]
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    assert len(answered) == EVENTS
    stored, _, returncode = restart_and_read(db, port, log, credentials)
    assert sorted(stored) == sorted(answered)
    assert returncode in (0, -signal.SIGTERM), "uvicorn exits by re-raising the signal it handled"
    assert not any(p.stat().st_size for p in (tmp_path / "faultlens.duckdb.spool").glob("*.spool"))


def test_a_damaged_spool_entry_is_dropped_alone_at_replay(tmp_path: Path, credentials: Any,
                                                           server_config: Any) -> None:
    """Entries left in the spool are replayed at start-up; one whose body no longer matches its checksum
    is dropped and counted, and the others are stored."""
    from faultlens.server.ingest import new_submission
    from faultlens.server.spool import Spool, encode_entry

    db, port, log = Path(server_config.db), free_port(), tmp_path / "server.log"
    ids = [uuid.uuid4().hex for _ in range(3)]
    submissions = [new_submission("sentry", "shop", b"\n".join([
        orjson.dumps({"event_id": event_id}), b'{"type":"event"}',
        orjson.dumps({"event_id": event_id, "level": "error", "message": f"replayed job {n} failed"})]))
        for n, event_id in enumerate(ids)]
    spool = Spool(str(db) + ".spool")
    tickets = spool.append(submissions)
    spool.close()
    segment = next(Path(str(db) + ".spool").glob("*.spool"))
    data = bytearray(segment.read_bytes())
    data[tickets[1].offset + len(encode_entry(submissions[1])) - 5] ^= 0x20
    segment.write_bytes(bytes(data))
    stored, metrics, _ = restart_and_read(db, port, log, credentials)
    assert sorted(stored) == sorted([ids[0], ids[2]])
    assert "faultlens_ingest_dropped_total 1.0" in metrics
    assert "holds no whole entry" in log.read_text()
    assert not any(p.stat().st_size for p in segment.parent.glob("*.spool"))
