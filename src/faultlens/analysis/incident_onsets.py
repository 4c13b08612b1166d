"""Where each service's errors rose above its own background, and which rises belong together.

A rise is found with a Poisson scan statistic (Kulldorff's): over every run of consecutive
buckets, the errors seen are compared with the errors the service's own error rate predicts
from the records it wrote there, and the run with the largest likelihood ratio wins if it is
unlikely by chance. Records, not minutes, are the baseline, so a rise in traffic does not look
like a rise in errors. Rises of different services that overlap in time (within a few minutes)
are one candidate incident; a lone service must rise for longer to count, since a scanner's
burst of 404s in one log is not an incident.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from faultlens.analysis.buckets import BUCKET_SIZES, floor_time

MAX_BUCKETS = 240
"""Enough resolution for onsets (a minute over four hours); the scan is quadratic in buckets."""
MIN_LLR = 10.0
"""2·LLR is chi-squared with one degree of freedom: LLR 10 is p ≈ 1e-5 per run of buckets."""
MIN_EXCESS = 5.0
MIN_RATIO = 3.0
MAX_RISES_PER_SERVICE = 4
MERGE_GAP = timedelta(minutes=5)
LONE_MIN_LLR = 20.0
LONE_MIN_BUSY_BUCKETS = 3
LONE_MIN_ERRORS = 10


@dataclass(slots=True)
class Rise:
    """A run of buckets in which one service's errors stood far above what its records predict."""

    service: str
    start: datetime
    end: datetime
    onset: datetime
    last_error: datetime
    errors: int
    expected: float
    llr: float
    busy_buckets: int


@dataclass(slots=True)
class RiseCluster:
    """Rises of one or more services that overlap in time: a candidate incident."""

    rises: list[Rise] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return min(r.onset for r in self.rises)

    @property
    def end(self) -> datetime:
        return max(r.last_error for r in self.rises)

    @property
    def services(self) -> list[str]:
        return sorted({r.service for r in self.rises})

    def onsets(self) -> dict[str, datetime]:
        found: dict[str, datetime] = {}
        for rise in self.rises:
            found[rise.service] = min(found.get(rise.service, rise.onset), rise.onset)
        return found


def scan_bucket(start: datetime, end: datetime) -> int:
    """The smallest bucket (a minute or more) that keeps the scan within MAX_BUCKETS."""
    span = max((end - start).total_seconds(), 60.0)
    for size in BUCKET_SIZES:
        if span / size <= MAX_BUCKETS:
            return size
    return BUCKET_SIZES[-1]


def find_rises(error_rows: Iterable[dict[str, Any]], volume_rows: Iterable[dict[str, Any]], start: datetime,
               end: datetime) -> list[Rise]:
    """Every service's significant rises of errors within [start, end].

    `error_rows` are `service_error_minutes` rows; `volume_rows` are `service_minutes` rows,
    whose records are each bucket's baseline. A service with no counted records gets an even
    baseline over time.
    """
    size = scan_bucket(start, end)
    first = floor_time(start, size)
    count = int((floor_time(end, size) - first).total_seconds() // size) + 1
    errors: dict[str, list[int]] = defaultdict(lambda: [0] * count)
    firsts: dict[str, list[datetime | None]] = defaultdict(lambda: [None] * count)
    lasts: dict[str, list[datetime | None]] = defaultdict(lambda: [None] * count)
    for row in error_rows:
        index = _index(row["minute"], first, size, count)
        if index is None or not row["errors"]:
            continue
        service = row["service"]
        errors[service][index] += int(row["errors"])
        earliest, latest = firsts[service][index], lasts[service][index]
        firsts[service][index] = row["first"] if earliest is None else min(earliest, row["first"])
        lasts[service][index] = row["last"] if latest is None else max(latest, row["last"])
    records: dict[str, list[float]] = defaultdict(lambda: [0.0] * count)
    for row in volume_rows:
        index = _index(row["minute"], first, size, count)
        if index is not None:
            records[row["service"]][index] += float(row["records"] or 0)
    rises = []
    for service, series in errors.items():
        baseline = records.get(service) or [1.0] * count
        baseline = [max(b, float(e)) for b, e in zip(baseline, series, strict=True)]
        for lo, hi, llr, observed, expected in _scan_repeatedly(series, baseline):
            starts = [t for t in firsts[service][lo:hi] if t is not None]
            ends = [t for t in lasts[service][lo:hi] if t is not None]
            rises.append(Rise(service=service, start=first + timedelta(seconds=size * lo),
                              end=first + timedelta(seconds=size * hi), onset=min(starts), last_error=max(ends),
                              errors=observed, expected=round(expected, 2), llr=round(llr, 1),
                              busy_buckets=sum(1 for e in series[lo:hi] if e)))
    return sorted(rises, key=lambda r: r.onset)


def cluster_rises(rises: Sequence[Rise]) -> list[RiseCluster]:
    """Rises that overlap in time (within MERGE_GAP) grouped; lone rises kept only when sustained."""
    clusters: list[RiseCluster] = []
    for rise in sorted(rises, key=lambda r: r.start):
        if clusters and rise.start <= max(r.end for r in clusters[-1].rises) + MERGE_GAP:
            clusters[-1].rises.append(rise)
        else:
            clusters.append(RiseCluster([rise]))
    return [c for c in clusters if len(c.services) > 1 or _sustained(c.rises)]


def _sustained(rises: Sequence[Rise]) -> bool:
    return any(r.llr >= LONE_MIN_LLR and r.busy_buckets >= LONE_MIN_BUSY_BUCKETS and r.errors >= LONE_MIN_ERRORS
               for r in rises)


def _index(minute: datetime, first: datetime, size: int, count: int) -> int | None:
    index = int((minute - first).total_seconds() // size)
    return index if 0 <= index < count else None


def _scan_repeatedly(errors: list[int], baseline: list[float]) -> list[tuple[int, int, float, int, float]]:
    """The best run, then the best run among the buckets left, while each stays significant."""
    errors, baseline = list(errors), list(baseline)
    found = []
    for _ in range(MAX_RISES_PER_SERVICE):
        best = _best_run(errors, baseline)
        if best is None:
            break
        found.append(best)
        lo, hi = best[0], best[1]
        errors[lo:hi] = [0] * (hi - lo)
        baseline[lo:hi] = [0.0] * (hi - lo)
    return found


def _best_run(errors: list[int], baseline: list[float]) -> tuple[int, int, float, int, float] | None:
    total_errors, total_base = sum(errors), sum(baseline)
    if total_errors < MIN_EXCESS or total_base <= 0:
        return None
    cum_e, cum_b = [0], [0.0]
    for e, b in zip(errors, baseline, strict=True):
        cum_e.append(cum_e[-1] + e)
        cum_b.append(cum_b[-1] + b)
    best: tuple[int, int, float, int, float] | None = None
    n = len(errors)
    for lo in range(n):
        if not errors[lo]:
            continue  # a run worth reporting starts and ends with errors
        for hi in range(lo + 1, n + 1):
            if not errors[hi - 1]:
                continue
            observed = cum_e[hi] - cum_e[lo]
            share = (cum_b[hi] - cum_b[lo]) / total_base
            expected = total_errors * share
            if observed - expected < MIN_EXCESS or share >= 1.0:
                continue
            rest = total_errors - observed
            ratio = (observed / share) / (rest / (1.0 - share)) if rest else math.inf
            if ratio < MIN_RATIO:
                continue
            llr = _llr(observed, expected, total_errors)
            if llr >= MIN_LLR and (best is None or llr > best[2]):
                best = (lo, hi, llr, observed, expected)
    return best


def _llr(observed: int, expected: float, total: int) -> float:
    """Poisson scan log-likelihood ratio of a run with `observed` errors where `expected` were due."""
    inside = observed * math.log(observed / expected)
    rest, rest_expected = total - observed, total - expected
    outside = rest * math.log(rest / rest_expected) if rest else 0.0
    return inside + outside
