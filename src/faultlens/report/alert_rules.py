"""Alert rules written in the formats the tools accept: a Prometheus rule file and Datadog monitors.

The Prometheus file is YAML written by hand: every string is a JSON string, which YAML reads
as a double-quoted scalar, so hostile text in a title cannot break the file.
"""

from __future__ import annotations

from typing import Any

import orjson

from faultlens.model import AlertRule

DATADOG_PRIORITY = {"critical": 1, "high": 2, "medium": 3, "low": 4}


def _q(text: str) -> str:
    return orjson.dumps(text).decode()


def render_prometheus(rules: list[AlertRule], group: str = "faultlens") -> str:
    lines = ["groups:", f"  - name: {_q(group)}", "    rules:"]
    for rule in rules:
        lines += [
            f"      - alert: {_q(rule.name)}",
            f"        expr: {_q(rule.promql)}",
            f"        for: {_q('2m' if rule.kind == 'error-rate' else '0m')}",
            "        labels:",
            f"          severity: {_q(rule.severity)}",
            f"          kind: {_q(rule.kind)}",
        ]
        if rule.service:
            lines.append(f"          service: {_q(rule.service)}")
        lines += [
            "        annotations:",
            f"          summary: {_q(rule.summary)}",
            f"          description: {_q(rule.description)}",
            f"          threshold_reason: {_q(rule.reason)}",
        ]
        if rule.runbook_url:
            lines.append(f"          runbook_url: {_q(rule.runbook_url)}")
    return "\n".join(lines) + "\n"


def datadog_monitors(rules: list[AlertRule]) -> list[dict[str, Any]]:
    """Monitor definitions as Datadog's API takes them (POST /api/v1/monitor), one per rule it can express."""
    monitors = []
    for rule in rules:
        if rule.datadog_query is None or rule.datadog_type is None or rule.datadog_threshold is None:
            continue
        tags = [f"severity:{rule.severity}", f"kind:{rule.kind}", "source:faultlens"]
        if rule.service:
            tags.append(f"service:{rule.service}")
        message = f"{rule.description}\n\nRunbook: {rule.runbook_url}" if rule.runbook_url else rule.description
        monitors.append({
            "name": f"[faultlens] {rule.summary}"[:200],
            "type": rule.datadog_type,
            "query": rule.datadog_query,
            "message": message,
            "tags": tags,
            "priority": DATADOG_PRIORITY.get(rule.severity, 3),
            "options": {
                "thresholds": {"critical": rule.datadog_threshold},
                "notify_no_data": False,
                "include_tags": True,
                "enable_logs_sample": True,
            },
        })
    return monitors


def render_datadog(rules: list[AlertRule]) -> str:
    return orjson.dumps(datadog_monitors(rules), option=orjson.OPT_INDENT_2).decode() + "\n"
