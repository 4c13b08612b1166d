"""Sustained Sentry-envelope ingest: `faultlens serve` beside a trivial ASGI ceiling and Bugsink, in one run.

Each server gets the same gzip-compressed envelopes, each holding one exception event as
sentry-python builds it (a real `sentry_sdk.Client` captures real exceptions; each request gets
its own event_id and is packed with sentry_sdk's Envelope and Item classes, compressed as its
HTTP transport does). A bounded async load generator (aiohttp on uvloop, in this process) keeps
`--concurrency` requests in flight over keep-alive connections to 127.0.0.1 until `--requests`
have been answered or `--duration` seconds have passed, after a short warm-up, and reports
answered requests per second (events/s: one event per envelope) and the p50 and p99 latency of
each request.

- ceiling: a trivial ASGI app that reads the body and answers 200, on the same stack as
  faultlens (uvicorn with uvloop and httptools), the same worker count.
- faultlens: `faultlens serve` on a fresh store, with a project made by `faultlens projects create`
  and the per-key rate limit lifted (one key sends everything). A request is answered once it is
  in the write-ahead spool; after the run the script waits for the writer to commit everything
  accepted and reports the stored rate beside the answered one (events stored from the load's
  start until the last commit) and how long the commits ran on after the load (`drain s`).
- Bugsink: the `bugsink` package in its own virtualenv (it pins an older `symbolic` than
  faultlens's tests need), set up as its local-install docs say: `bugsink-create-conf
  --template=local`, migrations, sqlite, events digested as they arrive (the local template's
  eager snappea), with the event quotas lifted as its stress-testing guide says, served by
  gunicorn with the same worker count. The events it stored are counted after the run.

    python benchmarks/serve.py                      # all three: 1 worker, 64 in flight, 40000 requests or 20 s
    python benchmarks/serve.py --requests 5000 --duration 10
    python benchmarks/serve.py --skip-bugsink       # the ceiling and faultlens only
    python benchmarks/serve.py --repeat 3           # the ceiling and faultlens 3 times each, medians reported
    python benchmarks/serve.py --rate 3000 --skip-bugsink   # a paced load: CPU per event at 3,000 requests/s

With `--rate`, requests start on a fixed schedule (that many per second, `--concurrency` at most in
flight) instead of as fast as they are answered. Read the CPU column then: at full load a server's
cost per event depends on how busy the machine is (the load generator shares it, and a server
batches more as it gets busier), so saturated runs vary by several percent, while faultlens's CPU per
event at one paced rate repeated within 2% (0.395 and 0.390 ms at 3,000/s): the figure to compare
two versions by.

The load generator shares the machine's cores with the server it loads; every target pays that
cost alike, so the ratios are the figures to read.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
SDK_NAME = "sentry.python"


# --- the envelopes ---------------------------------------------------------------------------

def _raise(kind: int) -> None:
    """Real exceptions with real stacks, of a few kinds, so the events group into a few issues."""
    order = {"id": kind, "items": []}
    if kind == 0:
        _ = order["items"][3]
    elif kind == 1:
        _ = order["coupon"]  # type: ignore[index]
    elif kind == 2:
        int("12x")
    else:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except OSError as exc:
            raise RuntimeError("payment gateway unavailable") from exc


def sample_events(kinds: int = 4) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Exception events and envelope headers exactly as a sentry_sdk client builds them."""
    import sentry_sdk
    from sentry_sdk.transport import Transport

    envelopes: list[Any] = []

    class Keep(Transport):
        """Keeps the envelopes the client builds instead of sending them."""

        def capture_envelope(self, envelope: Any) -> None:
            envelopes.append(envelope)

    sentry_sdk.init(dsn="http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1", transport=Keep,
                    release="shop@1.4.2", environment="production", server_name="web-1", default_integrations=False)
    for kind in range(kinds):
        try:
            _raise(kind)
        except Exception as exc:
            sentry_sdk.capture_exception(exc)
    sentry_sdk.flush(timeout=2)
    sentry_sdk.get_client().close()
    events = [envelope.get_event() for envelope in envelopes if envelope.get_event() is not None]
    if not events:
        raise RuntimeError("sentry_sdk built no event envelope; check the installed sentry-sdk")
    return events, dict(envelopes[0].headers)


def build_bodies(count: int, events: list[dict[str, Any]], headers: dict[str, Any]) -> list[bytes]:
    """`count` gzip-compressed envelopes, each with its own event_id, packed with sentry_sdk's classes.

    Every server gets this same list; each starts on an empty store, so ids repeat across servers only.
    """
    from sentry_sdk.envelope import Envelope, Item, PayloadRef

    bodies = []
    for n in range(count):
        event = dict(events[n % len(events)])
        event["event_id"] = uuid.uuid4().hex
        event["timestamp"] = datetime.now(UTC).isoformat()
        envelope = Envelope(headers={**headers, "event_id": event["event_id"],
                                     "sent_at": datetime.now(UTC).isoformat().replace("+00:00", "Z")},
                            items=[Item(payload=PayloadRef(json=event), type="event")])
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="w", compresslevel=9) as gz:
            envelope.serialize_into(gz)
        bodies.append(buffer.getvalue())
    return bodies


# --- the load generator ----------------------------------------------------------------------

@dataclass
class Outcome:
    name: str
    answered: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    stored: int | None = None
    stored_seconds: float | None = None
    cpu_start: float | None = None
    cpu_seconds: float | None = None
    """CPU time the server's processes (all of them, children included) spent from the measured load's start
    (after the warm-up) to its end (for faultlens, until everything answered was stored)."""
    peak_mib: float | None = None
    """The server's peak resident memory (tree_peak_mib) when the load ended, or for faultlens when all was stored."""
    note: str = ""
    note_runs: str = ""
    """With --repeat, every run's rate (this is the median one)."""

    @property
    def cpu_ms_per_event(self) -> float | None:
        events = self.stored if self.stored is not None else self.answered
        return 1000 * self.cpu_seconds / events if self.cpu_seconds is not None and events else None

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _load(url: str, bodies: list[bytes], auth: str, concurrency: int, limit: int, seconds: float,
                outcome: Outcome, rate: float = 0.0) -> None:
    """Send until `limit` requests or `seconds` have passed; with `rate`, request n starts n/rate s in."""
    import aiohttp

    headers = {"Content-Type": "application/x-sentry-envelope", "Content-Encoding": "gzip",
               "X-Sentry-Auth": auth, "User-Agent": f"{SDK_NAME}/2"}
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    next_index = 0
    deadline = time.perf_counter() + seconds

    async with aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False) as session:
        async def worker() -> None:
            nonlocal next_index
            while next_index < limit and time.perf_counter() < deadline:
                index = next_index
                body = bodies[index % len(bodies)]
                next_index += 1
                if rate:
                    await asyncio.sleep(max(0.0, began + index / rate - time.perf_counter()))
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    outcome.failed[type(exc).__name__] = outcome.failed.get(type(exc).__name__, 0) + 1
                    continue
                if 200 <= status < 300:
                    outcome.answered += 1
                    outcome.latencies.append(time.perf_counter() - started)
                else:
                    outcome.failed[str(status)] = outcome.failed.get(str(status), 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        outcome.seconds = time.perf_counter() - began


def run_load(name: str, url: str, bodies: list[bytes], auth: str, args: argparse.Namespace,
             server_pid: int | None = None) -> Outcome:
    """Warm up, then load `url` for at most args.requests requests and args.duration seconds.

    With `server_pid`, the CPU time of the server's process tree during the load is kept too.
    """
    import uvloop

    warm = Outcome(name)
    uvloop.run(_load(url, bodies[:args.warmup], auth, min(args.concurrency, 16), args.warmup, 10.0, warm))
    if warm.answered == 0:
        raise RuntimeError(f"{name}: no request was answered during warm-up ({warm.failed})")
    outcome = Outcome(name)
    outcome.cpu_start = tree_cpu_seconds(server_pid) if server_pid else None
    uvloop.run(_load(url, bodies[args.warmup:], auth, args.concurrency, args.requests, args.duration, outcome,
                     args.rate))
    if server_pid and outcome.cpu_start is not None:
        outcome.cpu_seconds = tree_cpu_seconds(server_pid) - outcome.cpu_start
        outcome.peak_mib = tree_peak_mib(server_pid)
    return outcome


def process_tree(pid: int) -> set[int]:
    """A process and every live descendant, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, owner in parents.items() if owner == parent and child not in tree]
        tree.update(children)
        frontier.extend(children)
    return tree


def tree_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process and every live descendant (reaped children included), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15]) / ticks
    return total


def tree_peak_mib(pid: int) -> float:
    """The sum of each live process's peak resident memory (VmHWM) in the tree: an upper bound of the
    server's peak, which a long run shows flat or growing."""
    total_kib = 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        total_kib += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
    return total_kib / 1024


# --- the servers -----------------------------------------------------------------------------

async def ceiling_app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
    """The ceiling: read the whole body and answer 200 with an id, as an ingest endpoint does, and nothing else."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"42")]})
    await send({"type": "http.response.body", "body": b'{"id":"00000000000000000000000000000000"}\n'})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening on {port}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT if process.args and "faultlens" in str(process.args[0]) else signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def bench_ceiling(args: argparse.Namespace, bodies: list[bytes]) -> Outcome:
    port = free_port()
    server = subprocess.Popen(
        [str(VENV_BIN / "uvicorn"), "serve:ceiling_app", "--app-dir", str(Path(__file__).parent),
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers), "--loop", "uvloop",
         "--http", "httptools", "--no-access-log", "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_listening(port, server)
        key = "0123456789abcdef0123456789abcdef"
        return run_load("ceiling (trivial ASGI)", f"http://127.0.0.1:{port}/api/1/envelope/", bodies,
                        _auth(key), args, server.pid)
    finally:
        stop(server)


def bench_faultlens(args: argparse.Namespace, bodies: list[bytes], work: Path) -> Outcome:
    faultlens = VENV_BIN / "faultlens"
    db = work / "faultlens.duckdb"
    port = free_port()
    created = subprocess.run([str(faultlens), "projects", "create", "bench", "--db", str(db), "--url",
                              f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=False)
    if created.returncode:
        return Outcome("faultlens serve", note=f"`faultlens projects create` failed: {created.stderr.strip()}")
    dsn = created.stdout.strip().splitlines()[-1]
    match = re.match(r"https?://([0-9a-f]+)@[^/]+/(\d+)", dsn)
    if match is None:
        return Outcome("faultlens serve", note=f"unexpected DSN {dsn!r}")
    key, project = match.groups()
    settings = work / "faultlens.toml"
    settings.write_text("[server]\nrate_per_key = 0  # one key sends everything: lifted, as Bugsink's quotas are\n")
    server = subprocess.Popen([str(faultlens), "serve", "--db", str(db), "--config", str(settings), "--host",
                               "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_listening(port, server)
        outcome = run_load("faultlens serve", f"http://127.0.0.1:{port}/api/{project}/envelope/", bodies,
                           _auth(key), args, server.pid)
        expected = args.warmup + outcome.answered
        outcome.stored, waited = _wait_stored(port, expected, outcome.seconds)
        outcome.stored_seconds = outcome.seconds + waited
        if outcome.cpu_start is not None:
            outcome.cpu_seconds = tree_cpu_seconds(server.pid) - outcome.cpu_start
            outcome.peak_mib = tree_peak_mib(server.pid)
        if outcome.stored is not None:
            outcome.stored -= args.warmup  # the CPU counted is the measured load's, so are the events
        return outcome
    finally:
        stop(server)
        if server.returncode not in (0, -2, 130) and server.stderr is not None:
            sys.stderr.write(server.stderr.read().decode(errors="replace")[-2000:])


def _wait_stored(port: int, expected: int, loaded_for: float) -> tuple[int | None, float]:
    """Poll the server's metrics until `expected` events are stored; how many were, and how long past the load."""
    started = time.perf_counter()
    stored: int | None = None
    while time.perf_counter() - started < max(60.0, 3 * loaded_for):
        stored = _stored_events(port)
        if stored is None or stored >= expected:
            break
        time.sleep(0.05)
    return stored, time.perf_counter() - started


def _stored_events(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return None
    total = 0.0
    found = False
    for line in text.splitlines():
        if line.startswith("faultlens_events_total"):
            total += float(line.rsplit(" ", 1)[1])
            found = True
    return int(total) if found else None


def bench_bugsink(args: argparse.Namespace, bodies: list[bytes], work: Path) -> Outcome:
    venv = Path(args.bugsink_venv)
    outcome = Outcome("Bugsink")
    if not (venv / "bin" / "bugsink-manage").exists():
        if args.no_install:
            outcome.note = f"no Bugsink in {venv} (run without --no-install to install it there)"
            return outcome
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        installed = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "bugsink"], capture_output=True,
                                   text=True, check=False)
        if installed.returncode:
            outcome.note = f"`pip install bugsink` failed: {installed.stderr.strip()[-500:]}"
            return outcome
    home = work / "bugsink"
    home.mkdir()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(home)}
    manage = [str(venv / "bin" / "bugsink-manage")]

    def run(*command: str) -> str:
        done = subprocess.run(list(command), cwd=home, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command[:3])} failed: {done.stderr.strip()[-800:]}")
        return done.stdout

    run(str(venv / "bin" / "bugsink-create-conf"), "--template=local", f"--port={port}", "--host=127.0.0.1")
    with (home / "bugsink_conf.py").open("a") as conf:  # its stress-testing guide: lift the quotas first
        for scope in ("PROJECT_PER_", ""):
            for period in ("5_MINUTES", "HOUR", "MONTH"):
                conf.write(f'BUGSINK["MAX_EVENTS_PER_{scope}{period}"] = 1_000_000_000\n')
    run(*manage, "migrate")
    run(*manage, "migrate", "snappea", "--database=snappea")
    made = run(*manage, "shell", "-c", "from projects.models import Project; p = Project.objects.create(name='bench');"
               " print(p.id, p.sentry_key.hex)")
    project, key = made.split()[-2:]
    server = subprocess.Popen(
        [str(venv / "bin" / "gunicorn"), f"--bind=127.0.0.1:{port}", f"--workers={args.workers}",
         "--error-logfile", str(home / "gunicorn.log"), "bugsink.wsgi"],
        cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, server)
        outcome = run_load("Bugsink", f"http://127.0.0.1:{port}/api/{project}/envelope/", bodies, _auth(key), args,
                           server.pid)
        outcome.stored = int(run(*manage, "shell", "-c", "from events.models import Event; "
                                 "print(Event.objects.count())").split()[-1])
        outcome.stored_seconds = outcome.seconds
        return outcome
    finally:
        stop(server)


def _auth(key: str) -> str:
    return f"Sentry sentry_key={key}, sentry_version=7, sentry_client={SDK_NAME}/2"


# --- the report ------------------------------------------------------------------------------

def median_run(runs: list[Outcome]) -> Outcome:
    """The run with the median rate (the lower middle one of an even count), its note naming the others."""
    measured = sorted((run for run in runs if not run.note), key=lambda run: run.rate)
    if not measured:
        return runs[0]
    chosen = measured[(len(measured) - 1) // 2]
    if len(runs) > 1:
        chosen.note_runs = ", ".join(f"{run.rate:.0f}" for run in runs if not run.note)
    return chosen


def report(results: list[Outcome], args: argparse.Namespace, load_before: float) -> None:
    paced = f", started at {args.rate:g} per second" if args.rate else ""
    print(f"\n{args.concurrency} requests in flight{paced}, {args.workers} worker(s), at most {args.requests} requests "
          f"or {args.duration:g} s per server after {args.warmup} warm-up requests; one event per envelope; "
          f"{os.cpu_count()} cores, load average {load_before:.1f} before the run (other work skews the figures)\n")
    print(f"{'server':<24}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'answered':>10}{'failed':>8}"
          f"{'stored':>9}{'stored/s':>10}{'drain s':>9}{'CPU ms/event':>14}{'peak MiB':>10}")
    for r in results:
        if r.note:
            print(f"{r.name:<24}  not measured: {r.note}")
            continue
        stored = "" if r.stored is None else str(r.stored)
        stored_rate = "" if r.stored is None or not r.stored_seconds else f"{r.stored / r.stored_seconds:.0f}"
        drain = "" if r.stored_seconds is None else f"{r.stored_seconds - r.seconds:.1f}"
        cpu = "" if r.cpu_ms_per_event is None else f"{r.cpu_ms_per_event:.3f}"
        peak = "" if r.peak_mib is None else f"{r.peak_mib:.0f}"
        print(f"{r.name:<24}{r.rate:>10.0f}{r.percentile(0.5):>9.1f}{r.percentile(0.99):>9.1f}{r.answered:>10}"
              f"{sum(r.failed.values()):>8}{stored:>9}{stored_rate:>10}{drain:>9}{cpu:>14}{peak:>10}")
        if r.failed:
            print(f"{'':<24}failures: {json.dumps(r.failed)}")
        if r.note_runs:
            print(f"{'':<24}median of the runs' events/s: {r.note_runs}")
    by_name = {r.name: r for r in results if not r.note and r.rate}
    faultlens, ceiling, bugsink = (by_name.get("faultlens serve"), by_name.get("ceiling (trivial ASGI)"),
                                   by_name.get("Bugsink"))
    print()
    if args.rate:
        if faultlens and ceiling and faultlens.cpu_ms_per_event and ceiling.cpu_ms_per_event:
            print(f"paced at {args.rate:g} requests/s: server CPU per event, faultlens "
                  f"{faultlens.cpu_ms_per_event:.3f} ms, {faultlens.cpu_ms_per_event / ceiling.cpu_ms_per_event:.1f}x "
                  "the ceiling's (rates are the schedule's; the targets are read off an unpaced run)")
        return
    if faultlens and ceiling:
        print(f"faultlens / ceiling: {faultlens.rate / ceiling.rate:.2f} answered (target at least 0.5)")
        if faultlens.stored and faultlens.stored_seconds:
            stored_rate = faultlens.stored / faultlens.stored_seconds
            print(f"faultlens stored / ceiling: {stored_rate / ceiling.rate:.2f} (events stored from the load's start "
                  f"until the last was committed, {faultlens.stored_seconds - faultlens.seconds:.1f} s after the load)")
        if faultlens.cpu_ms_per_event and ceiling.cpu_ms_per_event:
            cost = faultlens.cpu_ms_per_event / ceiling.cpu_ms_per_event
            print(f"server CPU per event: faultlens {cost:.1f}x the ceiling's (all its processes, until stored)")
    if faultlens and bugsink:
        print(f"faultlens / Bugsink: {faultlens.rate / bugsink.rate:.1f}x (target at least 3x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40_000, help="most requests per server (default 40000)")
    parser.add_argument("--duration", type=float, default=20.0, help="most seconds per server (default 20)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight (default 64)")
    parser.add_argument("--workers", type=int, default=1, help="server processes, the same for each (default 1)")
    parser.add_argument("--warmup", type=int, default=500, help="requests sent before measuring (default 500)")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="requests started per second, paced (default 0: as fast as they are answered)")
    parser.add_argument("--bugsink-venv", default=str(Path(tempfile.gettempdir()) / "faultlens-bench-bugsink"),
                        help="virtualenv holding Bugsink; made and filled if missing")
    parser.add_argument("--no-install", action="store_true", help="do not install Bugsink if it is missing")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of the ceiling and of faultlens, alternating; each one's median run is reported "
                             "(Bugsink runs once)")
    parser.add_argument("--skip-bugsink", action="store_true")
    parser.add_argument("--skip-faultlens", action="store_true")
    args = parser.parse_args()
    args.requests = max(1, args.requests)
    args.repeat = max(1, args.repeat)
    args.duration = min(max(1.0, args.duration), 120.0)

    events, headers = sample_events()
    bodies = build_bodies(args.warmup + args.requests, events, headers)
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="faultlens-bench-serve-"))
    results: list[Outcome] = []
    try:
        ceilings: list[Outcome] = []
        ours: list[Outcome] = []
        for run in range(args.repeat):  # alternating, so drifts in the machine's load meet both alike
            ceilings.append(bench_ceiling(args, bodies))
            if not args.skip_faultlens:
                if shutil.which("faultlens", path=str(VENV_BIN)) is None:
                    ours.append(Outcome("faultlens serve", note=f"no faultlens command in {VENV_BIN}"))
                else:
                    (work / f"run-{run}").mkdir()
                    ours.append(bench_faultlens(args, bodies, work / f"run-{run}"))
        results += [median_run(runs) for runs in (ceilings, ours) if runs]
        if not args.skip_bugsink:
            try:
                results.append(bench_bugsink(args, bodies, work))
            except RuntimeError as exc:
                results.append(Outcome("Bugsink", note=str(exc)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, args, load_before)


if __name__ == "__main__":
    main()
