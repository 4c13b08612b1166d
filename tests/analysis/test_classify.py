"""Classification verdicts carry their reasons; each rule is checked on a hand-built issue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faultlens.analysis import classify
from faultlens.model import Event, ExceptionInfo, Issue, Source, TagLift, Trend

T0 = datetime(2026, 11, 28, 14, tzinfo=UTC)


def issue(title: str, type_: str | None = None, level: str = "error", count: int = 10, users: int = 1,
          services: list[str] | None = None, status: int | None = None, counts: list[int] | None = None) -> Issue:
    sample = Event(id="e", timestamp=T0, level=level, message=title, source=Source("f"), http_status=status,
                   exceptions=[ExceptionInfo(type_, title.partition(": ")[2])] if type_ else [])
    series = [(T0 + timedelta(minutes=i), c) for i, c in enumerate(counts or [1] * 10)]
    return Issue(fingerprint="f", title=title, type=type_, message=title, level=level, count=count, users=users,
                 services=services or ["api"], releases=[], environments=[], first_seen=T0,
                 last_seen=T0 + timedelta(minutes=9), sample=sample,
                 trend=Trend(status="ongoing", reason="", bucket_seconds=60, series=series))


def test_categories_from_types_and_messages():
    """Pool exhaustion is performance, a refused connection integration, a missing module configuration."""
    cases = {
        "performance": issue("TimeoutError: QueuePool limit of size 5 overflow 10 reached", "TimeoutError"),
        "integration": issue("ConnectionRefusedError: [Errno 111] Connection refused", "ConnectionRefusedError"),
        "configuration": issue("ModuleNotFoundError: No module named 'yaml'", "ModuleNotFoundError"),
        "security": issue("GET /admin 403 Forbidden", status=403),
        "logic": issue("AssertionError: balance must not be negative", "AssertionError"),
        "runtime": issue("AttributeError: 'NoneType' object has no attribute 'id'", "AttributeError"),
    }
    for expected, case in cases.items():
        verdict = classify.category(case, None, None)
        assert verdict.value == expected, (expected, verdict)
        assert verdict.reason


def test_known_pattern_decides_category():
    """A knowledge-base match overrides the heuristics and says so."""
    verdict = classify.category(issue("boom", "Weird"), "configuration", "Missing setting")
    assert verdict.value == "configuration" and "Missing setting" in verdict.reason


def test_severity_rules():
    """Fatal is critical; many users is high; a single rare warning is low; reasons list every rule."""
    assert classify.severity(issue("panic: boom", level="fatal"), None, None, 100).value == "critical"
    many = classify.severity(issue("KeyError: 'x'", "KeyError", users=40), None, None, 100)
    assert many.value == "high" and "40 users" in many.reason
    rare = classify.severity(issue("slow", level="warning", count=1, users=0), None, None, 100)
    assert rare.value == "low"
    failing = classify.severity(issue("POST /pay 503", status=503), 0.6, None, 100)
    assert failing.value == "critical" and "60%" in failing.reason


def test_observability_environmental():
    """An issue almost only on one host, when traffic is spread, is environmental."""
    lift = TagLift("host", "web-3", 1.0, 0.25, 4.0, 40)
    verdict = classify.observability(issue("x", count=40), [lift], [], None)
    assert verdict.value == "environmental" and "web-3" in verdict.reason


def test_observability_load_dependent_and_intermittent():
    """Counts that follow traffic are load-dependent; scattered single events are intermittent."""
    counts = [1, 2, 5, 9, 3, 1, 2, 8, 10, 2]
    traffic = [(T0 + timedelta(minutes=i), c * 100) for i, c in enumerate(counts)]
    assert classify.observability(issue("x", counts=counts, count=43), [], traffic, None).value == "load-dependent"
    sparse = [1, 0, 0, 0, 0, 1, 0, 0, 0, 1]
    assert classify.observability(issue("x", counts=sparse, count=3), [], [], None).value == "intermittent"
