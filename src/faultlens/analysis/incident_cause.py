"""An incident's trigger and root-cause kind, from the origin's own failure and what changed before it.

The kind names what to act on, from the fixed vocabulary. A change that set the failure off
wins over the mechanism it worked through: when payment-service's new release exhausts its
connection pool, the kind is `deploy` (roll it back) and the pool exhaustion is the summary's
mechanism; exhaustion with no change before it is `resource-exhaustion`. A change counts when
it came on the origin (or, for configuration, on any affected service) within half an hour
before the first errors, and its service's error rate rose after it or the origin's issues are
pinned on it. Without a change, the kind is the knowledge base's for the origin's own leading
error, else what its category implies, else `unknown`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from faultlens.analysis.stats import poisson_sf
from faultlens.model import DeployImpact, Issue, Trigger

CHANGE_HORIZON = timedelta(minutes=30)
CHANGE_SLACK = timedelta(seconds=60)
"""Deploys read off release changes are stamped with their minute, so one may look a little late."""
LOAD_WINDOW = timedelta(minutes=10)
LOAD_BASELINE = timedelta(minutes=60)
LOAD_RATIO = 1.5
LOAD_P = 1e-3
SYMPTOM_KINDS = frozenset({"downstream-timeout", "dependency-failure"})
_CATEGORY_KINDS = {"configuration": "configuration", "performance": "resource-exhaustion", "security": "security",
                   "integration": "dependency-failure"}
_TIMEOUT = re.compile(r"time[ds]?[ -]?out|did not answer|deadline", re.I)


@dataclass(slots=True)
class Cause:
    """The trigger, the kind, the one-line summary and the evidence behind them."""

    trigger: Trigger
    kind: str
    summary: str
    leading: Issue | None
    change: DeployImpact | None = None
    evidence: list[str] = field(default_factory=list)


def find_trigger(origin: str | None, affected: Sequence[str], start: datetime, deploys: Sequence[DeployImpact],
                 origin_issues: Sequence[Issue], traffic: Mapping[str, Mapping[datetime, float]],
                 ) -> tuple[Trigger, DeployImpact | None, list[str]]:
    """The change or surge that set the incident off, or a Trigger of kind None."""
    evidence: list[str] = []
    earliest, latest = start - CHANGE_HORIZON, start + CHANGE_SLACK
    before = [d for d in deploys if earliest <= d.deploy.time <= latest]
    pinned = {id(i.suspect_deploy) for i in origin_issues if i.suspect_deploy is not None}
    for impact in sorted(before, key=lambda d: d.deploy.time, reverse=True):
        deploy = impact.deploy
        if deploy.kind == "deploy" and deploy.service == origin:
            if impact.significant or id(impact) in pinned:
                evidence.append(_change_evidence(impact, start))
                return (Trigger("deploy", deploy.service, deploy.release, deploy.time, _deploy_text(impact)), impact,
                        evidence)
            evidence.append(f"{deploy.service} {deploy.release} was deployed at {deploy.time:%H:%M}, but its error "
                            "rate did not rise after it and no issue is pinned on it.")
        elif deploy.kind == "config" and (deploy.service == origin or deploy.service in affected):
            evidence.append(_change_evidence(impact, start))
            return (Trigger("config", deploy.service, None, deploy.time,
                            f"configuration change on {deploy.service}: {(deploy.description or '')[:120]}"),
                    impact, evidence)
    surge = _load_surge(origin, affected, start, traffic)
    if surge is not None:
        service, when, ratio = surge
        evidence.append(f"{service}'s traffic rose {ratio:.1f}× in the ten minutes before the errors "
                        f"(from {when:%H:%M}), against the hour before.")
        return Trigger("load", service, None, when, f"{service} traffic rose {ratio:.1f}×"), None, evidence
    return Trigger(None, description="no deploy, configuration change or traffic surge came before it"), None, evidence


def find_kind(origin: str | None, trigger: Trigger, origin_issues: Sequence[Issue], symptom_fingerprints: set[str],
              silent_origin: bool) -> tuple[str, Issue | None, str]:
    """The root-cause kind, the origin's leading issue, and why that kind."""
    failures = [i for i in origin_issues if i.level in ("error", "fatal")]
    own = [i for i in failures if i.fingerprint not in symptom_fingerprints]
    leading = max(own or failures or origin_issues, key=lambda i: i.count, default=None)
    if silent_origin:
        return "infrastructure", leading, f"{origin} wrote nothing while its callers failed to reach it"
    if trigger.kind == "deploy":
        return "deploy", leading, f"the failure began after {trigger.service} {trigger.release} went live"
    if trigger.kind == "config":
        return "configuration", leading, "the failure began after a configuration change"
    diagnosed = leading.diagnosis.root_cause_kind if leading and leading.diagnosis else None
    if diagnosed and diagnosed not in ("unknown", "deploy"):
        assert leading is not None and leading.diagnosis is not None
        return diagnosed, leading, f"{origin}'s leading error matches the known pattern “{leading.diagnosis.title}”"
    if leading is not None and not own:
        text = f"{leading.title} {leading.message}"
        kind = "downstream-timeout" if _TIMEOUT.search(text) else "dependency-failure"
        return kind, leading, f"{origin}'s errors are failed calls to a dependency outside the logs"
    category = leading.category.value if leading and leading.category else None
    if category in _CATEGORY_KINDS:
        return _CATEGORY_KINDS[category], leading, f"{origin}'s leading error is a {category} failure"
    if trigger.kind == "load":
        return "resource-exhaustion", leading, "it began with a surge of traffic"
    return "unknown", leading, "neither a change, a known pattern nor the error's category says what caused it"


def summarize(origin: str | None, kind: str, trigger: Trigger, leading: Issue | None, cascade: Sequence[str],
              outside: Sequence[str]) -> str:
    """One sentence: what failed where, set off by what, and who failed with it."""
    if origin is None:
        return "Errors rose together across services; no origin could be told apart."
    mechanism = _mechanism(leading)
    text = f"{origin} failed: {mechanism}" if mechanism else f"{origin} failed"
    if trigger.kind == "deploy":
        text += f", after {trigger.service} {trigger.release} was deployed at {trigger.time:%H:%M}" \
            if trigger.time else ""
    elif trigger.kind == "config":
        text += f", after a configuration change on {trigger.service}"
    elif trigger.kind == "load":
        text += f", under a traffic surge on {trigger.service}"
    if kind in SYMPTOM_KINDS and outside:
        text += f"; it depends on {', '.join(outside[:2])}, which does not log here"
    callers = [s for s in cascade if s != origin]
    if callers:
        text += f". {', '.join(callers)} failed in cascade"
    return text + "."


def _mechanism(leading: Issue | None) -> str:
    if leading is None:
        return ""
    if leading.diagnosis is not None:
        return leading.diagnosis.title.rstrip(".")
    return _short(leading.title, 120)


def _load_surge(origin: str | None, affected: Sequence[str], start: datetime,
                traffic: Mapping[str, Mapping[datetime, float]]) -> tuple[str, datetime, float] | None:
    """A service whose records per minute just before the start far exceed its hour before."""
    for service in [s for s in (origin, *affected) if s]:
        series = traffic.get(service, {})
        recent = [(m, c) for m, c in series.items() if start - LOAD_WINDOW <= m <= start]
        earlier = [c for m, c in series.items() if start - LOAD_WINDOW - LOAD_BASELINE <= m < start - LOAD_WINDOW]
        if len(earlier) < 10 or not recent:
            continue
        per_minute = sum(earlier) / len(earlier)
        expected = per_minute * len(recent)
        observed = sum(c for _, c in recent)
        if expected > 0 and observed >= LOAD_RATIO * expected and poisson_sf(int(observed), expected) < LOAD_P:
            return service, min(m for m, _ in recent), observed / expected
    return None


def _deploy_text(impact: DeployImpact) -> str:
    deploy = impact.deploy
    previous = f" from {deploy.previous_release}" if deploy.previous_release else ""
    return f"{deploy.service} deployed{previous} to {deploy.release}"


def _change_evidence(impact: DeployImpact, start: datetime) -> str:
    deploy = impact.deploy
    gap = int((start - deploy.time).total_seconds())
    what = (f"{deploy.service} {deploy.release} went live at {deploy.time:%H:%M:%S}" if deploy.kind == "deploy"
            else f"{deploy.service}'s configuration changed at {deploy.time:%H:%M:%S}")
    text = f"{what}, {gap // 60} min {gap % 60} s before the first errors"
    if impact.rate_before is not None and impact.rate_after is not None:
        p = f", p={impact.p_value:.2g}" if impact.p_value is not None else ""
        text += f"; its error rate went from {impact.rate_before:.2%} to {impact.rate_after:.2%}{p}"
    return text + "."


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def traffic_by_minute(rows: Sequence[dict[str, Any]]) -> dict[str, dict[datetime, float]]:
    """Records per service and minute from `service_minutes` rows, errors left out (they are the effect)."""
    traffic: dict[str, dict[datetime, float]] = {}
    for row in rows:
        records = float(row["records"] or 0) - float(row["errors"] or 0)
        traffic.setdefault(row["service"], {})[row["minute"]] = records
    return traffic
