"""Synthetic checks: the server calls your services' /health, /ready or any URL on an interval.

A failed or slow answer becomes an ordinary event (service = the probe's name) submitted through
`app.state.ingest`, so it is spooled, enriched, grouped into an issue and alerted on like an
error from an SDK. Each kind of failure has its own message template, so "answered 503" and
"refused the connection" become separate issues while every timeout of one probe is one issue.
Probes run as tasks on the server's event loop, so they cost no threads; a recovery is logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.applications import Starlette

from faultlens.model import Event, Source
from faultlens.server.config import ServerConfig
from faultlens.server.hooks import EventSubmitter, Overloaded
from faultlens.server.tables import TableReader

log = logging.getLogger("faultlens.probes")

METHODS = ("GET", "HEAD", "POST", "PUT", "OPTIONS")

FAILURES: dict[str, tuple[str, str]] = {
    "status": ("error", "{method} {url} answered {status}, expected {expected}"),
    "timeout": ("error", "{method} {url} gave no answer within {timeout} s"),
    "refused": ("error", "{method} {url} refused the connection"),
    "unreachable": ("error", "{method} {url} could not be reached: {error}"),
    "slow": ("warning", "{method} {url} answered in {elapsed} ms, over its {threshold} ms threshold"),
}
"""Failure kind → (level, message template). A slow answer is a warning: the service still works."""


@dataclass(frozen=True, slots=True)
class Probe:
    """One `[[server.probes]]` table."""

    name: str
    url: str
    method: str = "GET"
    interval_seconds: float = 30.0
    expected_status: tuple[int, ...] = (200,)
    latency_threshold_ms: float | None = None
    timeout_seconds: float = 5.0
    project: str = "default"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One check: `failure` is a key of FAILURES, or None when the answer was as expected and in time."""

    probe: Probe
    checked_at: datetime
    elapsed_ms: float
    failure: str | None = None
    status: int | None = None
    error: str | None = None

    @property
    def message(self) -> str:
        if self.failure is None:
            return f"{self.probe.method} {self.probe.url} answered {self.status} in {self.elapsed_ms:.0f} ms"
        probe = self.probe
        return FAILURES[self.failure][1].format(
            method=probe.method, url=probe.url, status=self.status, error=self.error,
            expected=" or ".join(str(code) for code in probe.expected_status), timeout=f"{probe.timeout_seconds:g}",
            elapsed=f"{self.elapsed_ms:.0f}", threshold=f"{probe.latency_threshold_ms or 0:g}")


async def check(client: httpx.AsyncClient, probe: Probe) -> ProbeResult:
    """Call the probe's URL once and say what, if anything, was wrong with the answer."""
    checked_at = datetime.now(UTC)
    started = time.perf_counter()
    try:
        response = await client.request(probe.method, probe.url, timeout=probe.timeout_seconds)
    except httpx.TimeoutException:
        return ProbeResult(probe, checked_at, _since(started), "timeout")
    except httpx.HTTPError as exc:
        failure = "refused" if _refused(exc) else "unreachable"
        return ProbeResult(probe, checked_at, _since(started), failure, error=f"{type(exc).__name__}: {exc}")
    elapsed = _since(started)
    if response.status_code not in probe.expected_status:
        return ProbeResult(probe, checked_at, elapsed, "status", response.status_code)
    if probe.latency_threshold_ms is not None and elapsed > probe.latency_threshold_ms:
        return ProbeResult(probe, checked_at, elapsed, "slow", response.status_code)
    return ProbeResult(probe, checked_at, elapsed, None, response.status_code)


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _refused(exc: BaseException) -> bool:
    """Whether the connection was actively refused (nothing listens) rather than lost or unresolvable."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError) or "refused" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def result_event(result: ProbeResult) -> Event | None:
    """The event a failed check becomes; None for a good one."""
    if result.failure is None:
        return None
    probe = result.probe
    digest = hashlib.sha256(f"{probe.name}\0{result.checked_at.isoformat()}".encode()).hexdigest()[:32]
    url = httpx.URL(probe.url)
    return Event(
        id=f"probe-{digest}", timestamp=result.checked_at, level=FAILURES[result.failure][0],
        message=result.message, source=Source(f"probe:{probe.name}"), service=probe.name,
        logger="faultlens.probes", project=probe.project, http_method=probe.method, http_path=url.path,
        http_status=result.status, duration_ms=round(result.elapsed_ms, 1),
        tags={"probe": probe.name, "probe.failure": result.failure, "probe.url": probe.url},
    )


@dataclass(slots=True)
class ProbeState:
    """How one probe is doing, for the logs and the API."""

    last: ProbeResult | None = None
    failing_since: datetime | None = None
    consecutive_failures: int = 0
    checks: int = 0


@dataclass(slots=True)
class ProbeRunner:
    """Runs every probe on its interval as a task of the running event loop."""

    probes: Sequence[Probe]
    ingest: EventSubmitter
    states: dict[str, ProbeState] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        """Start one task per probe; call inside the server's loop (its lifespan's start hooks)."""
        loop = asyncio.get_running_loop()
        for probe in self.probes:
            self.states[probe.name] = ProbeState()
            self.tasks.append(loop.create_task(self._run(probe), name=f"probe-{probe.name}"))

    def stop(self) -> None:
        """Cancel the probes; each closes its connections as it ends."""
        for task in self.tasks:
            task.cancel()
        self.tasks.clear()

    async def _run(self, probe: Probe) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        async with httpx.AsyncClient(follow_redirects=False) as client:
            while True:
                try:
                    self.record(await check(client, probe))
                except Exception:
                    log.exception("probe %s: the check itself failed", probe.name)
                due = max(due + probe.interval_seconds, loop.time())
                await asyncio.sleep(due - loop.time())

    def record(self, result: ProbeResult) -> None:
        """Keep the probe's state, submit a failure as an event, and log when it starts failing or recovers."""
        name = result.probe.name
        state = self.states.setdefault(name, ProbeState())
        state.checks += 1
        state.last = result
        if result.failure is None:
            if state.failing_since is not None:
                log.info("probe %s recovered after %d failed check(s) since %s: %s", name,
                         state.consecutive_failures, f"{state.failing_since:%H:%M:%S}", result.message)
            state.failing_since, state.consecutive_failures = None, 0
            return
        if state.failing_since is None:
            state.failing_since = result.checked_at
            log.warning("probe %s failing: %s", name, result.message)
        state.consecutive_failures += 1
        event = result_event(result)
        if event is None:
            return
        try:
            self.ingest.submit_events([event], result.probe.project)
        except Overloaded:
            log.warning("probe %s: ingest queue full, this failure was not recorded: %s", name, result.message)


def read_probes(server: Mapping[str, object], path: str | None = None) -> tuple[Probe, ...]:
    """Read `[[server.probes]]` from the `[server]` table; errors name the probe and key."""
    read = TableReader(path)
    probes: list[Probe] = []
    for where, table in read.tables(server, "server.probes"):
        read.known(table, where, ("name", "url", "method", "interval", "expected_status", "latency_threshold_ms",
                                  "timeout", "project"))
        url = read.text(table, where, "url", required=True)
        if not url.startswith(("http://", "https://")):
            raise read.fail(f"{where}.url", f"expected an http:// or https:// URL, found {url!r}")
        expected = table.get("expected_status", 200)
        codes = expected if isinstance(expected, list) else [expected]
        if not codes or not all(isinstance(c, int) and not isinstance(c, bool) and 100 <= c <= 599 for c in codes):
            raise read.fail(f"{where}.expected_status",
                            f"expected an HTTP status or a list of them, found {expected!r}")
        probes.append(Probe(
            read.text(table, where, "name", required=True), url,
            read.choice(table, where, "method", METHODS, "GET"),
            float(read.number(table, where, "interval", 30.0, minimum=1.0)), tuple(codes),
            read.number(table, where, "latency_threshold_ms", None, minimum=1.0),
            float(read.number(table, where, "timeout", 5.0, minimum=0.1)),
            read.text(table, where, "project") or "default"))
    names = [probe.name for probe in probes]
    if len(set(names)) != len(names):
        raise read.fail("server.probes", f"each probe needs its own name (it becomes the event's service); found "
                        f"{names}")
    return tuple(probes)


class ProbeCollector(Collector):
    """Each probe's last answer, read when /metrics is scraped, for dashboards beside the events."""

    def __init__(self, runner: ProbeRunner) -> None:
        self.runner = runner

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("faultlens_probe_up", "1 when the probe's last check was as expected and in time.",
                               labels=["probe"])
        seconds = GaugeMetricFamily("faultlens_probe_duration_seconds", "How long the probe's last check took.",
                                    labels=["probe"])
        for name, state in sorted(self.runner.states.items()):
            if state.last is not None:
                up.add_metric([name], 1.0 if state.last.failure is None else 0.0)
                seconds.add_metric([name], state.last.elapsed_ms / 1000.0)
        yield up
        yield seconds


def install_probes(app: Starlette, config: ServerConfig) -> ProbeRunner | None:
    """Check `[[server.probes]]` and run them with the app; None when there are none."""
    probes = read_probes({"probes": list(config.probes)})
    if not probes:
        return None
    runner = ProbeRunner(probes, app.state.ingest)
    app.state.on_start.append(runner.start)
    app.state.on_stop.append(runner.stop)
    app.state.server.metrics.registry.register(ProbeCollector(runner))
    return runner
