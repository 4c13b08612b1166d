"""Which service calls which, read from what the services logged about each other.

Callers name their dependencies when a call fails: a URL (`http://payment-service.payments.svc:8000/…`),
a `host:port`, an upstream, a path another service serves, or the dependency's name beside a
failure ("inventory call … failed", "fx-rates did not answer"). Those names are matched against
the services seen: the host's first DNS label, the whole name as a word, the name without a
generic suffix ("payment" for payment-service) when it stands right before a failure phrase, a
path another service answered, and ports learned from messages that name both a service and a
port. A name that matches no service is an outside dependency, kept by its label.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

_URL = re.compile(r"\b(?:https?|grpcs?|tcp|amqps?|redis|postgres(?:ql)?|mysql|mongodb)://([A-Za-z0-9_.-]+)"
                  r"(?::(\d{2,5}))?(/[^\s'\"?#,)]*)?")
_HOST_PORT = re.compile(r"(?<![\w./:@-])((?:[A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)|\d{1,3}(?:\.\d{1,3}){3})"
                        r":(\d{2,5})\b")
_METHOD_PATH = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/[^\s'\"?#]*)")
_FAILURE_PHRASE = re.compile(
    r"(?<![\w.-])([A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*)\s+(?:did not answer|didn't answer|call\b|"
    r"timed out|time-?out|request failed|is (?:down|unavailable|unreachable|not responding)|unavailable|"
    r"unreachable|refused|not responding|returned 5\d\d|answered 5\d\d)", re.I)
_CALLED = re.compile(r"(?:\burl|\bupstream|\bto|\bcalling|\bcall(?:ed)?|\bfrom|\brequest(?:ing)?|\bGET|\bPOST|\bPUT|"
                     r"\bDELETE|\bPATCH|\bconnect(?:ing)?(?: to)?)\W{0,3}$", re.I)
"""What stands right before a URL that a service called, as opposed to a link to documentation."""
_GENERIC_PARTS = frozenset({"service", "svc", "api", "server", "app", "backend", "srv", "http", "grpc", "web"})
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1"})
_PATH_ID = re.compile(r"/(?:\d[^/]*|[0-9a-fA-F-]{16,}|[A-Z]+-\d+)(?=/|$)")
_NOT_NAMES = frozenset({"the", "a", "an", "call", "request", "connection", "upstream", "server", "client", "read",
                        "connect", "socket", "operation", "it", "this", "that", "job", "task", "query", "http",
                        "https"})


@dataclass(slots=True)
class Mentions:
    """What one service's warnings and errors say about others: service → events, and outside labels → events."""

    services: Counter[str] = field(default_factory=Counter)
    outside: Counter[str] = field(default_factory=Counter)
    how: dict[str, str] = field(default_factory=dict)


class DependencyNamer:
    """Maps the names found in a message to the services seen; built once per analysis."""

    def __init__(self, services: Iterable[str], served_paths: Iterable[dict[str, Any]] = (),
                 texts: Iterable[tuple[str, str]] = ()) -> None:
        self.services = sorted({s for s in services if s})
        self._lower = {s.lower(): s for s in self.services}
        self._aliases = _aliases(self.services)
        self._whole = [(s, re.compile(rf"(?<![\w.-]){re.escape(s)}(?![\w-])", re.I)) for s in self.services]
        self._paths = _path_owners(served_paths)
        self._ports = self._learn_ports(texts)

    def name_in(self, text: str, speaker: str) -> tuple[set[str], set[str], dict[str, str]]:
        """Services (other than the speaker) and outside labels a message names, and how each was named."""
        found: set[str] = set()
        outside: set[str] = set()
        how: dict[str, str] = {}

        def add(service: str | None, reason: str) -> None:
            if service and service != speaker:
                found.add(service)
                how.setdefault(service, reason)

        for match in _URL.finditer(text):
            host, port, path = match.group(1), match.group(2), match.group(3)
            owner = self._host_owner(host) or self._port_owner(host, port) or self._path_owner(path)
            if owner:
                add(owner, f"calls {match.group(0)[:80]}")
            elif host.lower() not in _LOCAL_HOSTS and not _is_ip(host) and _CALLED.search(text, 0, match.start()):
                outside.add(host.lower())
        for match in _HOST_PORT.finditer(text):
            host, port = match.group(1), match.group(2)
            owner = self._host_owner(host) or self._port_owner(host, port)
            if owner:
                add(owner, f"names {host}:{port}")
        for match in _FAILURE_PHRASE.finditer(text):
            word = match.group(1)
            owner = self._lower.get(word.lower()) or self._aliases.get(word.lower())
            if owner:
                add(owner, f"“{match.group(0)[:60]}”")
            elif word.lower() not in _NOT_NAMES and ("-" in word or "_" in word) and word.lower() != speaker.lower():
                outside.add(word.lower())
        for service, pattern in self._whole:
            if pattern.search(text):
                add(service, f"names {service}")
        for match in _METHOD_PATH.finditer(text):
            owner = self._path_owner(match.group(1))
            if owner:
                add(owner, f"calls {match.group(0)[:60]}, which {owner} serves")
        return found, outside, how

    def mentions(self, rows: Iterable[dict[str, Any]]) -> dict[str, Mentions]:
        """Per speaking service, the services and outside labels its `service_messages` rows name, by events."""
        result: dict[str, Mentions] = defaultdict(Mentions)
        for row in rows:
            speaker = row["service"]
            found, outside, how = self.name_in(message_text(row), speaker)
            events = int(row["events"] or 0)
            entry = result[speaker]
            for service in found:
                entry.services[service] += events
                entry.how.setdefault(service, how[service])
            for label in outside:
                entry.outside[label] += events
        return dict(result)

    def _host_owner(self, host: str | None) -> str | None:
        if not host:
            return None
        lowered = host.lower()
        if lowered in self._lower:
            return self._lower[lowered]
        label = lowered.split(".")[0]
        return self._lower.get(label) or (self._aliases.get(label) if not _is_ip(host) else None)

    def _port_owner(self, host: str | None, port: str | None) -> str | None:
        if not port or (host and not (host.lower() in _LOCAL_HOSTS or _is_ip(host))):
            return None
        return self._ports.get(port)

    def _path_owner(self, path: str | None) -> str | None:
        if not path:
            return None
        return self._paths.get(path_template(path))

    def _learn_ports(self, texts: Iterable[tuple[str, str]]) -> dict[str, str]:
        """A port seen only beside one service's name, in messages of other services, is that service's."""
        seen: dict[str, Counter[str]] = defaultdict(Counter)
        for speaker, text in texts:
            ports = {m.group(2) for m in _URL.finditer(text) if m.group(2)}
            ports |= {m.group(2) for m in _HOST_PORT.finditer(text)}
            if not ports:
                continue
            named = {s for s, pattern in self._whole if s != speaker and pattern.search(text)}
            named |= {self._lower.get(m.group(1).lower()) or self._aliases.get(m.group(1).lower(), "")
                      for m in _FAILURE_PHRASE.finditer(text)} - {"", speaker}
            if len(named) == 1:
                for port in ports:
                    seen[port][next(iter(named))] += 1
        return {port: owners.most_common(1)[0][0] for port, owners in seen.items() if len(owners) == 1}


def message_text(row: dict[str, Any]) -> str:
    """The message, the exception values and the failing path of a `service_messages` row, as one text."""
    parts = [str(row.get("message") or ""), str(row.get("exc_value") or "")]
    return "\n".join(p for p in parts if p)


def path_template(path: str) -> str:
    """`/orders/10067` → `/orders/<*>`: paths compare by route, not by id."""
    return _PATH_ID.sub("/<*>", path.split("?", 1)[0].rstrip("/") or "/")


def _aliases(services: Sequence[str]) -> dict[str, str]:
    """Each service's name without its generic parts (payment-service → payment), when no other service shares it."""
    candidates: dict[str, set[str]] = defaultdict(set)
    for service in services:
        parts = [p for p in re.split(r"[-_.]", service.lower()) if p and p not in _GENERIC_PARTS]
        if parts:
            alias = "-".join(parts)
            if len(alias) >= 3 and alias != service.lower():
                candidates[alias].add(service)
                candidates[alias + "s"].add(service)
    return {alias: next(iter(owners)) for alias, owners in candidates.items() if len(owners) == 1}


def _path_owners(rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Request paths (by route) answered by exactly one service.

    The caller leaves out the edge's rows: a gateway answers every path it proxies, and would
    otherwise share each one with the service behind it.
    """
    owners: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        owners[path_template(row["http_path"])].add(row["service"])
    return {path: next(iter(services)) for path, services in owners.items() if len(services) == 1}


def _is_ip(host: str) -> bool:
    return bool(re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", host))
