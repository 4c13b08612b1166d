"""Webhook delivery: the two payload shapes, the address check, retries, and one worker per target.

    DeliveryError              a webhook refused the alert, or its address is not allowed
    └── RetryableDeliveryError no answer, a refused connection, 408/425/429 or 5xx: worth another try

Each target has its own thread and bounded queue, so a slow or dead webhook delays only its own
alerts and never the writer thread that commits events: the writer only offers alerts, and what
does not fit in a full queue is dropped and counted. Addresses are resolved and checked before
every request and the request goes to the checked address, so a name that resolves to a private
or loopback address (or starts to, between two alerts) is refused unless a setting allows it.
"""

from __future__ import annotations

import ipaddress
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import httpx
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_when_event_set,
    wait_exponential,
)

from faultlens.errors import FaultlensError

log = logging.getLogger("faultlens.alerts")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
PayloadFormat = Literal["json", "slack"]

RETRYABLE_STATUS = frozenset({408, 425, 429})
KIND_LABELS = {"new_issue": "New issue", "regression": "Regression", "spike": "Spike",
               "error_rate": "Error rate", "test": "Test alert"}


class DeliveryError(FaultlensError):
    """A webhook refused the alert, or its address is not one faultlens may send to."""


class RetryableDeliveryError(DeliveryError):
    """The webhook did not answer or answered 'later': another try may succeed."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert as every target receives it; the payload shapes are drawn from these fields."""

    kind: str
    title: str
    text: str
    fired_at: datetime
    rule: str
    fingerprint: str | None = None
    service: str | None = None
    project: str | None = None
    observed: float | None = None
    threshold: float | None = None
    window_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """A webhook alerts are sent to, named so that alert rules can share it."""

    name: str
    url: str
    format: PayloadFormat = "json"
    max_per_minute: int = 30
    timeout_seconds: float = 5.0


def json_payload(alert: Alert, suppressed: int = 0) -> dict[str, Any]:
    """The generic shape: every field of the alert, plus how many were held back before it."""
    return {
        "source": "faultlens", "kind": alert.kind, "title": alert.title, "text": alert.text,
        "fired_at": alert.fired_at.isoformat().replace("+00:00", "Z"), "rule": alert.rule,
        "fingerprint": alert.fingerprint, "service": alert.service, "project": alert.project,
        "observed": alert.observed, "threshold": alert.threshold, "window_seconds": alert.window_seconds,
        "suppressed_before": suppressed,
    }


def slack_payload(alert: Alert, suppressed: int = 0) -> dict[str, Any]:
    """Slack's incoming-webhook shape: `text` for notifications, `blocks` for the message itself."""
    label = KIND_LABELS.get(alert.kind, alert.kind)
    facts = [f"*{name}:* {_slack_escape(str(value))}" for name, value in (
        ("service", alert.service), ("project", alert.project), ("issue", alert.fingerprint),
        ("observed", alert.observed), ("threshold", alert.threshold)) if value is not None]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{label}: {alert.title}"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(alert.text)[:3000]}},
    ]
    if facts:
        blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": fact[:2000]} for fact in facts[:10]]})
    context = f"faultlens · {alert.rule} · {alert.fired_at:%Y-%m-%d %H:%M:%S} UTC"
    if suppressed:
        context += f" · {suppressed} earlier alert(s) held back by this webhook's rate limit"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": f"{label}: {alert.title}", "blocks": blocks}


def _slack_escape(text: str) -> str:
    """Slack reads &, < and > as markup; escaped, an issue title cannot mention @channel or forge a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


PAYLOADS: dict[str, Callable[[Alert, int], dict[str, Any]]] = {"json": json_payload, "slack": slack_payload}


def parse_networks(values: Sequence[str]) -> tuple[IPNetwork, ...]:
    """Networks a webhook may live in although they are private; a ValueError names the bad one."""
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def check_address(address: IPAddress, allowed: Sequence[IPNetwork]) -> str | None:
    """Why `address` may not receive alerts (private, loopback, link-local, ...), or None if it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in allowed):
        return None
    if address.is_global:
        return None
    kind = ("loopback" if address.is_loopback else "link-local" if address.is_link_local
            else "private" if address.is_private else "reserved")
    return f"{address} is a {kind} address"


def resolve_target(url: str, allowed: Sequence[IPNetwork],
                   resolve: Callable[[str, int], list[str]] | None = None) -> tuple[httpx.URL, str]:
    """The URL with its host replaced by a checked address, and the host name to present.

    Raises DeliveryError when the URL is not http(s) or any address of its host is refused: one
    refused address is enough, since the connection could go to any of them.
    """
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise DeliveryError(f"{url}: a webhook must be an http:// or https:// URL with a host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(parsed.host)]
    except ValueError:
        try:
            found = (resolve or _resolve)(parsed.host, port)
        except OSError as exc:
            raise RetryableDeliveryError(f"{url}: cannot resolve {parsed.host} ({exc})") from None
        addresses = [ipaddress.ip_address(text) for text in dict.fromkeys(found)]
    for address in addresses:
        problem = _refusal(url, parsed.host, address, allowed)
        if problem:
            raise DeliveryError(problem)
    return parsed.copy_with(host=str(addresses[0])), parsed.host


def refused_literal(url: str, allowed: Sequence[IPNetwork]) -> str | None:
    """Why a webhook written as an address may not receive alerts, so startup can say so at once.

    None for an allowed address and for a host name, which is checked each time it is resolved.
    """
    host = httpx.URL(url).host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return _refusal(url, host, address, allowed)


def _refusal(url: str, host: str, address: IPAddress, allowed: Sequence[IPNetwork]) -> str | None:
    problem = check_address(address, allowed)
    if problem is None:
        return None
    return (f"{url}: {host} refused, {problem}; if that webhook is yours, add "
            f"\"{address}/{address.max_prefixlen}\" to server.webhook_allowed_networks")


def _resolve(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class WebhookSender:
    """Posts one alert to one target, retrying with exponential backoff a bounded number of times."""

    def __init__(self, allowed_networks: Sequence[IPNetwork] = (), *, attempts: int = 4, first_wait: float = 0.5,
                 max_wait: float = 30.0, client: httpx.Client | None = None) -> None:
        self.allowed = tuple(allowed_networks)
        self.stop = threading.Event()
        self.client = client or httpx.Client(follow_redirects=False, headers={"User-Agent": "faultlens-alerts"})
        self.retrying = Retrying(
            stop=stop_after_attempt(attempts) | stop_when_event_set(self.stop),
            wait=wait_exponential(multiplier=first_wait, max=max_wait),
            retry=retry_if_exception_type(RetryableDeliveryError),
            sleep=self._pause,
            reraise=True,
        )

    def _pause(self, seconds: float) -> None:
        """Back off between tries, cut short when the server stops."""
        self.stop.wait(seconds)

    def send(self, target: WebhookTarget, alert: Alert, suppressed: int = 0) -> httpx.Response:
        """Deliver `alert`; raises DeliveryError once the tries are spent or the target refuses."""
        body = PAYLOADS[target.format](alert, suppressed)
        return self.retrying.copy()(self._post_once, target, body)

    def _post_once(self, target: WebhookTarget, body: dict[str, Any]) -> httpx.Response:
        url, host = resolve_target(target.url, self.allowed)
        host_header = httpx.URL(target.url).netloc.decode("ascii")
        try:
            response = self.client.post(url, json=body, timeout=target.timeout_seconds,
                                        headers={"Host": host_header}, extensions={"sni_hostname": host})
        except httpx.TimeoutException:
            raise RetryableDeliveryError(
                f"webhook {target.name}: no answer within {target.timeout_seconds:g} s") from None
        except httpx.TransportError as exc:
            raise RetryableDeliveryError(f"webhook {target.name}: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if status in RETRYABLE_STATUS or status >= 500:
            raise RetryableDeliveryError(f"webhook {target.name} answered {status}: {response.text[:200]}")
        if status >= 400:
            raise DeliveryError(f"webhook {target.name} refused the alert with {status}: {response.text[:200]}; "
                                "check its URL and payload format (json or slack)")
        return response

    def close(self) -> None:
        self.stop.set()
        self.client.close()


class RateLimit:
    """A token bucket: `per_minute` alerts a minute, in bursts of at most that many."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.tokens = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.last = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass(slots=True)
class DeliveryCounts:
    """What happened to the alerts offered to one target; /metrics serves it as faultlens_alert_deliveries."""

    delivered: int = 0
    failed: int = 0
    dropped: int = 0
    rate_limited: int = 0


class TargetWorker:
    """One thread and one bounded queue per webhook, so targets cannot slow each other down."""

    def __init__(self, target: WebhookTarget, sender: WebhookSender, queue_size: int = 100,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.target = target
        self.sender = sender
        self.limit = RateLimit(target.max_per_minute, clock)
        self.counts = DeliveryCounts()
        self.held_back = 0
        self.queue: queue.Queue[Alert | None] = queue.Queue(maxsize=queue_size)
        self.thread = threading.Thread(target=self._run, name=f"faultlens-webhook-{target.name}", daemon=True)
        self.thread.start()

    def offer(self, alert: Alert) -> bool:
        """Queue `alert` without waiting; False (and counted) when the queue is full."""
        try:
            self.queue.put_nowait(alert)
        except queue.Full:
            self.counts.dropped += 1
            log.warning("webhook %s: queue full, alert dropped: %s", self.target.name, alert.title)
            return False
        return True

    def _run(self) -> None:
        while True:
            alert = self.queue.get()
            if alert is None or self.sender.stop.is_set():
                return
            if not self.limit.take():
                self.counts.rate_limited += 1
                self.held_back += 1
                continue
            try:
                self.sender.send(self.target, alert, self.held_back)
            except DeliveryError as exc:
                self.counts.failed += 1
                log.warning("alert %r not delivered: %s", alert.title, exc)
            else:
                self.counts.delivered += 1
                self.held_back = 0

    def close(self, timeout: float) -> None:
        """Ask the thread to finish what it holds and stop; a hung webhook is left behind, not waited on."""
        deadline = time.monotonic() + timeout
        while self.thread.is_alive() and time.monotonic() < deadline:
            try:
                self.queue.put(None, timeout=0.05)
                break
            except queue.Full:
                continue
        self.thread.join(max(0.0, deadline - time.monotonic()))
