"""Cascade signals: what callers do when a dependency fails, read as evidence that they are callers.

A circuit breaker that opens, a storm of retries, a full queue pushing back and messages sent
to a dead-letter queue all say "something I depend on is failing": the service that logs them
reacts to the failure and amplifies it, it rarely starts it. Each signal names the service,
its events and when it first showed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from faultlens.analysis.incident_dependencies import message_text

SIGNALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("circuit breaker open", re.compile(
        r"circuit[ -]?breaker\b[^\n]{0,60}\b(?:open(?:ed)?|trip(?:ped)?|half[ -]open)|\bcircuit (?:is )?open\b|"
        r"CallNotPermittedException|BrokenCircuit|CircuitBreakerOpen|short[- ]circuited", re.I)),
    ("retry storm", re.compile(
        r"\bretr(?:y|ying|ied|ies)\b|\battempt \d+ (?:of|/) \d+|\bbacking off\b|\bexhausted retries\b|"
        r"failed permanently after \d+ attempts", re.I)),
    ("queue backpressure", re.compile(
        r"back-?pressure|queue (?:is )?full|buffer (?:is )?full|RejectedExecutionException|queue depth|"
        r"too many (?:pending|queued|in-flight)|consumer lag|lagging behind|max(?:imum)? in-?flight", re.I)),
    ("dead letters", re.compile(r"dead[- ]?letter|\bDLQ\b|poison (?:message|pill)|parking[- ]lot queue", re.I)),
)
MIN_RETRY_EVENTS = 5
"""A retry or two is ordinary; a storm needs several in the incident."""


@dataclass(slots=True)
class CascadeSignal:
    """One kind of cascade behaviour seen in one service during an incident."""

    kind: str
    service: str
    events: int
    first: datetime
    example: str
    fingerprints: list[str]


def cascade_signals(rows: Iterable[dict[str, Any]]) -> list[CascadeSignal]:
    """Signals in `service_messages` rows, one per (kind, service), earliest first."""
    found: dict[tuple[str, str], CascadeSignal] = {}
    for row in rows:
        text = message_text(row)
        for kind, pattern in SIGNALS:
            if not pattern.search(text):
                continue
            key = (kind, row["service"])
            events = int(row["events"] or 0)
            signal = found.get(key)
            if signal is None:
                found[key] = CascadeSignal(kind, row["service"], events, row["first"], text.splitlines()[0][:160],
                                           [row["fingerprint"]])
            else:
                signal.events += events
                if row["first"] < signal.first:
                    signal.first, signal.example = row["first"], text.splitlines()[0][:160]
                if row["fingerprint"] not in signal.fingerprints:
                    signal.fingerprints.append(row["fingerprint"])
            break
    kept = [s for s in found.values() if s.kind != "retry storm" or s.events >= MIN_RETRY_EVENTS]
    return sorted(kept, key=lambda s: s.first)


def describe(signal: CascadeSignal) -> str:
    return (f"{signal.service}: {signal.kind}, {signal.events} event(s) from {signal.first:%H:%M:%S} "
            f"(“{signal.example}”)")
