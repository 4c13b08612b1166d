"""Renderers draw hostile log content inertly and keep every deliverable."""

from __future__ import annotations

from datetime import UTC, datetime

from faultlens.model import Deliverables, Event, IngestStats, Issue, Report, Source, Verdict, Why
from faultlens.report.html import render_html
from faultlens.report.json_report import report_json
from faultlens.report.markdown import render_markdown

T0 = datetime(2026, 11, 28, 14, tzinfo=UTC)
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def report_with(title: str, evidence: str) -> Report:
    deliverables = Deliverables(summary=title, root_cause=title, five_whys=[Why(title, [evidence])],
                                evidence=[f"Trace (f:1):\n{evidence}"], immediate_fix=title,
                                fix_code=[{"runtime": "python", "library": "x", "code": evidence}], testing=[title],
                                prevention=[title], monitoring=[title], runbook=[title])
    sample = Event(id="e", timestamp=T0, level="error", message=title, source=Source("f", 1))
    issue = Issue(fingerprint="abc", title=title, type=None, message=title, level="error", count=1, users=1,
                  services=["svc"], releases=[], environments=[], first_seen=T0, last_seen=T0, sample=sample,
                  severity=Verdict("high", title), category=Verdict("runtime", title),
                  observability=Verdict("intermittent", title), deliverables=deliverables)
    return Report(generated_at=T0, window_start=T0, window_end=T0, stats=IngestStats(), issues=[issue],
                  total_events=1, total_issues=1, services=["svc"])


def test_html_escapes_log_content():
    """Markup inside log lines is shown as text, never as elements, and nothing is fetched."""
    page = render_html(report_with(XSS, XSS))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page
    assert "http://" not in page.split("</style>")[0] and "<script" not in page
    assert "Content-Security-Policy" in page


def test_markdown_fence_cannot_be_closed_by_content():
    """A trace holding a code fence is wrapped in a longer fence."""
    text = render_markdown(report_with("boom", "line\n```\n<b>not markdown</b>\n````"))
    assert "`````" in text


def test_json_keeps_the_eight_deliverables():
    """The JSON report carries every deliverable under its documented name."""
    deliverables = report_json(report_with("boom", "trace"))["issues"][0]["deliverables"]
    assert set(deliverables) == {"error_summary", "root_cause", "five_whys", "evidence", "immediate_fix", "fix_code",
                                 "testing_strategy", "preventive_measures", "monitoring", "runbook"}
