"""End-to-end throughput and memory of `faultlens analyze` on generated plain-text logs.

Generates N lines (1M by default) of mixed, realistic logs — a log4j service with Java
traces, a Python worker with tracebacks, an nginx access log — then runs `faultlens analyze`
on them in a subprocess pinned to one core, and prints lines/s and peak memory. With
`--scale`, it runs again at four times the size, to show memory follows issues, not lines.

    python benchmarks/ingest.py                 # 1M lines
    python benchmarks/ingest.py --lines 200000  # quicker
    python benchmarks/ingest.py --scale         # 1M and 4M lines, and the memory ratio
    python benchmarks/ingest.py --json          # JSON lines instead of plain text
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

JAVA_TRACE = """com.acme.order.payment.PaymentGatewayException: Payment authorization failed for order {order}
\tat com.acme.order.payment.PaymentClient.authorize(PaymentClient.java:{line})
\tat com.acme.order.service.OrderService.placeOrder(OrderService.java:88)
\tat com.acme.order.web.OrderController.create(OrderController.java:41)
\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)
\tat java.base/java.lang.reflect.Method.invoke(Method.java:580)
Caused by: java.net.SocketTimeoutException: Read timed out
\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)
\tat java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:304)
\tat java.base/java.net.Socket$SocketInputStream.read(Socket.java:1099)
\tat com.acme.order.payment.PaymentClient.authorize(PaymentClient.java:{line2})
\t... 4 more"""

PY_TRACE = """Traceback (most recent call last):
  File "/srv/worker/app/jobs/receipts.py", line {line}, in run
    send_receipt(job)
  File "/srv/worker/app/jobs/receipts.py", line 61, in send_receipt
    customer = job.payload["customer_id"]
KeyError: 'customer_id'"""

PATHS = ["/api/v1/orders", "/api/v1/cart", "/api/v1/payments/charge", "/api/v1/products/{id}", "/health"]


def generate(directory: Path, lines: int, seed: int = 7, as_json: bool = False) -> int:
    """Write `lines` lines over three files; return the number written."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
    per_file = lines // 3
    written = 0
    writers = (_java_lines, _python_lines, _access_lines) if not as_json else (_json_lines,) * 3
    names = ("order-service.log", "worker.log", "access.log") if not as_json else (
        "payment-a.jsonl", "payment-b.jsonl", "payment-c.jsonl")
    for name, writer in zip(names, writers, strict=True):
        with (directory / name).open("w", encoding="utf-8") as handle:
            written += writer(handle, rng, start, per_file)
    return written


def _tick(start: datetime, i: int, total: int) -> datetime:
    return start + timedelta(seconds=86400 * i / max(total, 1))


def _java_lines(handle, rng: random.Random, start: datetime, total: int) -> int:
    count = 0
    i = 0
    while count < total:
        stamp = _tick(start, count, total).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
        thread = f"http-nio-8080-exec-{rng.randint(1, 40)}"
        if rng.random() < 0.01:
            handle.write(f"{stamp} ERROR [{thread}] [req-{rng.getrandbits(48):012x}] "
                         f"com.acme.order.payment.PaymentClient - Payment call failed for order ord-{i}\n")
            trace = JAVA_TRACE.format(order=f"ord-{i}", line=rng.choice((112, 118)), line2=rng.choice((140, 141)))
            handle.write(trace + "\n")
            count += 1 + trace.count("\n") + 1
        else:
            level = "WARN " if rng.random() < 0.03 else "INFO "
            handle.write(f"{stamp} {level} [{thread}] [req-{rng.getrandbits(48):012x}] "
                         f"com.acme.order.service.OrderService - order ord-{i} placed for user-{rng.randint(1, 5000)} "
                         f"in {rng.randint(5, 900)} ms\n")
            count += 1
        i += 1
    return count


def _python_lines(handle, rng: random.Random, start: datetime, total: int) -> int:
    count = 0
    i = 0
    while count < total:
        stamp = _tick(start, count, total).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
        if rng.random() < 0.005:
            handle.write(f"{stamp} ERROR [worker.jobs] job {i} failed\n")
            trace = PY_TRACE.format(line=rng.choice((40, 42, 44)))
            handle.write(trace + "\n")
            count += 1 + trace.count("\n") + 1
        else:
            handle.write(f"{stamp} INFO [worker.jobs] job {i} done: sent receipt to "
                         f"user-{rng.randint(1, 5000)}@example.com in {rng.random():.3f}s\n")
            count += 1
        i += 1
    return count


def _access_lines(handle, rng: random.Random, start: datetime, total: int) -> int:
    for count in range(total):
        stamp = _tick(start, count, total).strftime("%d/%b/%Y:%H:%M:%S +0000")
        path = rng.choice(PATHS).format(id=rng.randint(1, 99999))
        status = 502 if rng.random() < 0.01 else rng.choice((200, 200, 200, 201, 204, 304, 404))
        method = "POST" if "orders" in path or "charge" in path else "GET"
        handle.write(f'203.0.113.{rng.randint(1, 254)} - - [{stamp}] "{method} {path} HTTP/1.1" {status} '
                     f'{rng.randint(100, 9000)} "-" "Mozilla/5.0 (X11; Linux x86_64)" {rng.random():.3f} '
                     f"req-{rng.getrandbits(48):012x}\n")
    return total


def _json_lines(handle, rng: random.Random, start: datetime, total: int) -> int:
    import orjson

    for count in range(total):
        stamp = _tick(start, count, total).isoformat().replace("+00:00", "Z")
        record = {"timestamp": stamp, "level": "INFO", "message": f"charged order ord-{count}",
                  "service": "payment-service", "version": "v2.3.0", "host": "payment-1",
                  "correlation_id": f"req-{rng.getrandbits(48):012x}",
                  "user": {"id": f"user-{rng.randint(1, 5000)}"}}
        if rng.random() < 0.01:
            record["level"] = "ERROR"
            record["message"] = "charge failed"
            record["error"] = {"type": "TimeoutError", "message": "QueuePool limit of size 5 overflow 10 reached",
                               "stack_trace": PY_TRACE.format(line=42)}
        handle.write(orjson.dumps(record).decode() + "\n")
    return total


def run_analyze(directory: Path, db: Path) -> tuple[float, int, str]:
    """Run analyze in a child pinned to one core; return seconds, peak RSS in KiB and its stdout."""
    exe = shutil.which("faultlens", path=os.path.dirname(sys.executable)) or "faultlens"
    command = [exe, "analyze", str(directory), "--db", str(db), "--format", "json"]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, *command], capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - began
    peak = int(done.stderr.strip().splitlines()[-1])
    return elapsed, peak, done.stdout


PEAK_WRAPPER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""
"""Each run gets its own parent, so the peak it reports is that run's alone."""


def measure(lines: int, as_json: bool) -> tuple[int, float, int, int]:
    with tempfile.TemporaryDirectory(prefix="faultlens-bench-") as tmp:
        data = Path(tmp) / "logs"
        data.mkdir()
        written = generate(data, lines, as_json=as_json)
        elapsed, peak_kib, stdout = run_analyze(data, Path(tmp) / "bench.duckdb")
        import orjson

        issues = orjson.loads(stdout)["summary"]["issues"]
    return written, elapsed, peak_kib, issues


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--scale", action="store_true", help="also run at 4x the lines and compare peak memory")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of plain text")
    args = parser.parse_args()
    sizes = [args.lines, args.lines * 4] if args.scale else [args.lines]
    kind = "json" if args.json else "plain text"
    print(f"faultlens analyze, end to end, one core, {kind}")
    print(f"{'lines':>10} {'seconds':>8} {'lines/s':>10} {'peak MiB':>9} {'issues':>7}")
    peaks = []
    for size in sizes:
        written, elapsed, peak_kib, issues = measure(size, args.json)
        peaks.append(peak_kib)
        print(f"{written:>10,} {elapsed:>8.2f} {written / elapsed:>10,.0f} {peak_kib / 1024:>9.1f} {issues:>7}")
    if len(peaks) == 2:
        print(f"peak memory at 4x lines / at 1x: {peaks[1] / peaks[0]:.2f}")


if __name__ == "__main__":
    main()
