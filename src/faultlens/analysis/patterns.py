"""Patterns: where an issue clusters (tag values over-represented in it) and when (periodic bursts).

Lift compares a value's share among the issue's events with its share among all events, or
among all records where the volume knows the value (host and release), so a host that serves
most traffic is not blamed for most errors.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from faultlens.analysis.stats import median
from faultlens.model import TagLift

MIN_LIFT = 1.5
MIN_SHARE = 0.5
MIN_EVENTS = 5
BURST_GAP_SECONDS = 10
MIN_BURSTS = 4
MAX_PERIOD_CV = 0.15


def tag_lifts(tag_rows: Sequence[dict[str, Any]], traffic: dict[str, dict[str, int]]) -> dict[str, list[TagLift]]:
    """Per fingerprint, the tag values that hold at least half its events and are over-represented.

    `traffic` maps a key ("host", "release") to record counts per value over all traffic; keys
    without traffic are compared with all stored events instead.
    """
    per_issue: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    overall: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in tag_rows:
        per_issue[row["fingerprint"]][row["key"]][row["value"]] = int(row["events"])
        overall[row["key"]][row["value"]] += int(row["events"])
    result: dict[str, list[TagLift]] = {}
    for fingerprint, keys in per_issue.items():
        lifts = []
        for key, values in keys.items():
            baseline = traffic.get(key) or overall[key]
            if len(baseline) < 2:
                continue  # one value everywhere says nothing about clustering
            total_issue = sum(values.values())
            total_all = sum(baseline.values())
            for value, count in values.items():
                issue_share = count / total_issue
                overall_share = baseline.get(value, 0) / total_all if total_all else 0.0
                if count < MIN_EVENTS or issue_share < MIN_SHARE or overall_share <= 0:
                    continue
                lift = issue_share / overall_share
                if lift >= MIN_LIFT:
                    lifts.append(TagLift(key, value, round(issue_share, 3), round(overall_share, 3), round(lift, 2),
                                         count))
        if lifts:
            result[fingerprint] = sorted(lifts, key=lambda t: -t.lift)
    return result


def periodic_seconds(times: Sequence[datetime]) -> int | None:
    """The period of bursts that recur like a cron job, or None.

    Events within ten seconds of each other form one burst; at least four bursts whose gaps
    vary by under 15% make a period.
    """
    if len(times) < MIN_BURSTS:
        return None
    starts = [times[0]]
    for previous, current in itertools.pairwise(times):
        if (current - previous).total_seconds() > BURST_GAP_SECONDS:
            starts.append(current)
    if len(starts) < MIN_BURSTS:
        return None
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    mid = median(gaps)
    if mid < 30:
        return None
    mean = sum(gaps) / len(gaps)
    spread = (sum((g - mean) ** 2 for g in gaps) / len(gaps)) ** 0.5
    return round(mid) if spread / mean <= MAX_PERIOD_CV else None
