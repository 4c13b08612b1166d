"""Faults under a real `faultlens serve`: a full disk under the spool and the store, then space again and a restart
(every event answered 2xx is in the store afterwards, once), and a store another process holds at start-up.
(SIGKILL mid-stream is test_durability.py's.)

The disk is a small tmpfs mounted for the test (root is needed; without it the test is skipped, as the
mount is the fault). A filler file takes all but a little of it, so the spool's and DuckDB's writes meet a
real ENOSPC, not a mock.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pytest

from tests.server.conftest import Credentials
from tests.server.test_durability import CLI, free_port, start

DISK_MIB = 24
LEFT_FREE = 96 * 1024
EVENTS = 600


@contextlib.contextmanager
def small_disk(where: Path) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MIB}m", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); the full-disk test needs root")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A file taking all of `disk` but `leave` bytes."""
    filler = disk / "filler"
    with filler.open("wb") as out:
        chunk = b"\0" * (1 << 20)
        while shutil.disk_usage(disk).free > leave + len(chunk):
            out.write(chunk)
            out.flush()
        with contextlib.suppress(OSError):
            out.write(b"\0" * max(0, shutil.disk_usage(disk).free - leave))
    return filler


def send(url: str, key: str, n: int) -> tuple[str, int]:
    event_id = uuid.uuid4().hex
    body = b"\n".join([orjson.dumps({"event_id": event_id}), b'{"type":"event"}',
                       orjson.dumps({"event_id": event_id, "level": "error", "message": f"job {n} failed",
                                     "extra": {"padding": "x" * 400}})])
    try:
        answer = httpx.post(url, content=body, headers={"X-Sentry-Auth": f"Sentry sentry_key={key}"}, timeout=30)
    except httpx.TransportError:
        return event_id, 0
    return event_id, answer.status_code


def stored_ids(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return [row[0] for row in connection.execute("SELECT id FROM events").fetchall()]


def test_full_disk_loses_nothing_answered(tmp_path: Path, credentials: Credentials, server_config: Any) -> None:
    """With the disk full, requests are refused (never answered 2xx and dropped); with space again and a restart,
    every event answered 2xx is stored once."""
    with small_disk(tmp_path / "disk") as disk:
        db = disk / "faultlens.duckdb"
        shutil.copy(server_config.db, db)
        port, log = free_port(), tmp_path / "server.log"
        process = start(db, port, log)
        url = f"http://127.0.0.1:{port}/api/{credentials.project_id}/envelope/"
        try:
            with ThreadPoolExecutor(4) as pool:
                before = list(pool.map(lambda n: send(url, credentials.public_key, n), range(50)))
                filler = fill(disk, LEFT_FREE)
                during = list(pool.map(lambda n: send(url, credentials.public_key, n), range(50, EVENTS)))
                with pytest.raises(OSError) as full:
                    (disk / "probe").write_bytes(b"\0" * (LEFT_FREE * 2))
                assert full.value.errno == errno.ENOSPC
                filler.unlink()
                (disk / "probe").unlink(missing_ok=True)
                after = list(pool.map(lambda n: send(url, credentials.public_key, n), range(EVENTS, EVENTS + 50)))
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(30)
        answered = [event_id for event_id, status in before + during + after if 200 <= status < 300]
        refused = [status for _, status in during if not 200 <= status < 300]
        assert all(200 <= status < 300 for _, status in before)
        assert refused, "the disk never filled up: the test did not test anything"
        assert set(refused) == {503}, set(refused)
        process = start(db, port, log)
        process.send_signal(signal.SIGINT)
        process.wait(60)
        stored = stored_ids(db)
    assert sorted(set(answered) - set(stored)) == [], "events answered 2xx are missing"
    assert len(stored) == len(set(stored))
    text = log.read_text()
    assert "No space left on device" in text or "ENOSPC" in text or "Errno 28" in text, text[-3000:]


def test_a_held_store_stops_the_server_with_one_line(tmp_path: Path, credentials: Credentials,
                                                     server_config: Any) -> None:
    """When another process holds the store, `faultlens serve` says so in one line and exits 1, no traceback."""
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({server_config.db!r}); "
                               "print('held', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        done = subprocess.run([*CLI, "serve", "--db", server_config.db, "--port", str(free_port())],
                              capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and "in use by another" in lines[0], done.stderr
