"""Sustained load on `faultlens serve`: a steady rate of Sentry envelopes for minutes, every event counted.

A real `faultlens serve` (a subprocess, on a fresh store, rate limiting off) is sent exception
events as sentry-python builds them (benchmarks/serve.py's envelopes, each with its own
event_id), paced at `--rate` requests a second with at most `--concurrency` in flight, for
`--duration` seconds. Every 10 s the resident memory of the server's processes (the server and
its preparing process) is sampled. When the load ends, the server is stopped (SIGINT: it commits
what it accepted) and the store is opened: every event answered 2xx must be in it, once.

    nice -n 10 python benchmarks/load.py                      # 782 events/s for ten minutes
    python benchmarks/load.py --rate 100 --duration 20        # a short run

The pace is a ceiling, not a promise: when the server (or the machine) cannot keep up, requests
wait for a free slot and the rate held is what is reported. Memory is called flat when the mean
RSS of the last fifth of the run is within `--rss-tolerance` of the first fifth after warm-up.
Exits 1 when an answered event is missing or memory grew.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import free_port, sample_events, wait_listening

VENV_BIN = Path(sys.executable).parent
SAMPLE_EVERY = 10.0
ID_HOLE = b"@" * 32
TIME_HOLE = b"~" * 27


@dataclass
class Run:
    answered: list[str] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    rss_mib: list[tuple[float, float, float]] = field(default_factory=list)
    """(seconds since the load started, MiB of the server's process, MiB of its children: the preparer)."""


def envelope_template(events: list[dict[str, Any]], headers: dict[str, Any]) -> list[bytes]:
    """One serialized envelope per kind of event, with placeholders where each request's own id and time go
    (as long as what replaces them: the envelope's item header states the item's length)."""
    from sentry_sdk.envelope import Envelope, Item, PayloadRef

    templates = []
    for event in events:
        event = {**event, "event_id": ID_HOLE.decode(), "timestamp": TIME_HOLE.decode()}
        envelope = Envelope(headers={**headers, "event_id": ID_HOLE.decode(), "sent_at": TIME_HOLE.decode()},
                            items=[Item(payload=PayloadRef(json=event), type="event")])
        buffer = io.BytesIO()
        envelope.serialize_into(buffer)
        templates.append(buffer.getvalue())
    return templates


def body_for(template: bytes, event_id: str) -> bytes:
    """The envelope with its own id and time, gzip-compressed as sentry-python's transport does."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode()
    raw = template.replace(ID_HOLE, event_id.encode()).replace(TIME_HOLE, now)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="w", compresslevel=1) as gz:
        gz.write(raw)
    return buffer.getvalue()


def tree_rss_mib(pid: int) -> tuple[float, float]:
    """Resident memory of a process and of its children (the preparing process), in MiB, from /proc."""
    own = children = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = re.search(r"^PPid:\s+(\d+)", status, re.M)
        rss = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        kib = int(rss.group(1)) if rss else 0
        if int(entry.name) == pid:
            own += kib
        elif ppid is not None and int(ppid.group(1)) == pid:
            children += kib
    return own / 1024, children / 1024


async def load(url: str, auth: str, templates: list[bytes], args: argparse.Namespace, pid: int, run: Run) -> None:
    import aiohttp

    headers = {"Content-Type": "application/x-sentry-envelope", "Content-Encoding": "gzip",
               "X-Sentry-Auth": auth}
    slots = asyncio.Semaphore(args.concurrency)
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        async def send(n: int) -> None:
            event_id = uuid.uuid4().hex
            try:
                async with session.post(url, data=body_for(templates[n % len(templates)], event_id),
                                        headers=headers) as response:
                    await response.read()
                    status = str(response.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                status = type(exc).__name__
            finally:
                slots.release()
            if status.startswith("2"):
                run.answered.append(event_id)
            else:
                run.refused[status] = run.refused.get(status, 0) + 1

        async def sample() -> None:
            while True:
                run.rss_mib.append((time.perf_counter() - started, *tree_rss_mib(pid)))
                await asyncio.sleep(SAMPLE_EVERY)

        started = time.perf_counter()
        sampler = asyncio.create_task(sample())
        tasks: set[asyncio.Task[None]] = set()
        n = 0
        while (now := time.perf_counter() - started) < args.duration:
            if n > now * args.rate:
                await asyncio.sleep(min(0.01, n / args.rate - now))
                continue
            await slots.acquire()
            task = asyncio.create_task(send(n))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        await asyncio.gather(*tasks)
        run.seconds = time.perf_counter() - started
        sampler.cancel()
        run.rss_mib.append((run.seconds, *tree_rss_mib(pid)))


def stored_ids(db: Path) -> list[str]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as connection:
        return [row[0] for row in connection.execute("SELECT id FROM events").fetchall()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=782.0, help="requests (one event each) a second to aim at")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight at most")
    parser.add_argument("--rss-tolerance", type=float, default=0.25,
                        help="how much the late mean RSS may exceed the early one (0.25: 25%%)")
    args = parser.parse_args()

    events, envelope_headers = sample_events()
    templates = envelope_template(events, envelope_headers)
    with tempfile.TemporaryDirectory(prefix="faultlens-load-") as work:
        db, port, config = Path(work) / "load.duckdb", free_port(), Path(work) / "faultlens.toml"
        config.write_text("[server]\nrate_per_key = 0\n")
        faultlens = str(VENV_BIN / "faultlens")
        created = subprocess.run([faultlens, "projects", "create", "load", "--db", str(db), "--url",
                                  f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True)
        match = re.search(r"https?://([0-9a-f]+)@[^/]+/(\d+)", created.stdout)
        assert match is not None, created.stdout
        key, project = match.groups()
        log = Path(work) / "server.log"
        server = subprocess.Popen([faultlens, "serve", "--db", str(db), "--port", str(port), "--config", str(config),
                                   "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=log.open("wb"))
        run = Run()
        try:
            wait_listening(port, server)
            import uvloop

            uvloop.run(load(f"http://127.0.0.1:{port}/api/{project}/envelope/",
                            f"Sentry sentry_version=7, sentry_key={key}, sentry_client=sentry.python/2",
                            templates, args, server.pid, run))
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(300)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        stored = stored_ids(db)
        if server.returncode not in (0, -signal.SIGINT, 130):
            sys.stderr.write(log.read_text()[-2000:])
    return report(run, stored, args)


def report(run: Run, stored: list[str], args: argparse.Namespace) -> int:
    missing = set(run.answered) - set(stored)
    duplicated = len(stored) - len(set(stored))
    sent = len(run.answered) + sum(run.refused.values())
    print(f"aimed at {args.rate:.0f}/s for {args.duration:.0f} s ({args.concurrency} in flight at most)")
    print(f"sent {sent} requests in {run.seconds:.1f} s: {sent / run.seconds:.1f}/s; answered 2xx {len(run.answered)} "
          f"({len(run.answered) / run.seconds:.1f}/s); refused {run.refused or 'none'}")
    print(f"stored {len(stored)} events; answered but missing {len(missing)}; stored twice {duplicated}")
    warm = [own + children for at, own, children in run.rss_mib if at >= min(60.0, args.duration / 5)]
    fifth = max(1, len(warm) // 5)
    early, late = sum(warm[:fifth]) / fifth, sum(warm[-fifth:]) / fifth
    rss = ", ".join(f"{at:.0f}s {own:.0f}+{children:.0f}" for at, own, children in run.rss_mib)
    print(f"RSS MiB (server + preparer): {rss}")
    flat = late <= early * (1 + args.rss_tolerance)
    print(f"RSS early {early:.0f} MiB, late {late:.0f} MiB: {'flat' if flat else 'GREW'}")
    return 0 if not missing and not duplicated and flat and run.answered else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
