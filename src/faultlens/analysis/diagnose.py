"""Diagnosis: the known error pattern that best matches an issue, with its fix and runbook.

The catalogue matches one issue's latest event, plus findings only the analyses can make
(a burst of 401s is a `status-spike`, which a single event never shows).
"""

from __future__ import annotations

from faultlens.knowledge.catalogue import Catalogue, default_catalogue
from faultlens.knowledge.evidence import Evidence
from faultlens.model import Diagnosis, Issue


class Diagnoser:
    """Match issues against a catalogue (the bundled one by default)."""

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        self.catalogue = catalogue or default_catalogue()

    def __call__(self, issue: Issue) -> Diagnosis | None:
        if issue.sample is None:
            return None
        evidence = Evidence.from_event(issue.sample).with_signals(signals(issue))
        found = self.catalogue.match(evidence)
        if not found:
            return None
        best = found[0]
        monitoring = best.monitoring
        return Diagnosis(
            pattern_id=best.id, title=best.title, category=best.category, severity=best.severity,
            root_cause_kind=best.root_cause_kind, explanation=best.explanation, score=best.score,
            reasons=list(best.reasons), fix_summary=best.fix.summary,
            fix_code=[{"runtime": block.lang, "library": block.title or "", "code": block.code}
                      for block in best.fix.code],
            testing=list(best.testing), prevention=list(best.prevention),
            monitoring=" ".join(part for part in (monitoring.summary, monitoring.watch) if part),
            alert=monitoring.alert or None, runbook=list(best.runbook))


def signals(issue: Issue) -> set[str]:
    """Findings about the whole issue that the catalogue's rules may name."""
    found = set()
    status = issue.sample.http_status if issue.sample else None
    if status in (401, 403) and issue.trend is not None and issue.trend.status in ("spiking", "new"):
        found.add("status-spike")
    return found
