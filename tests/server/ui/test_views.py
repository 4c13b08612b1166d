"""The pure parts of the UI's views: how a stack is folded, how filters keep issues, how charts are placed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faultlens.model import Event, ExceptionInfo, Frame, Incident, Issue, ServiceImpact, Source, TimelineEntry, Trigger
from faultlens.server.ui.charts import lanes, sparkline
from faultlens.server.ui.issues import IssueRow, exception_chain, keep

T0 = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)


def test_library_runs_fold_and_application_frames_stay_open() -> None:
    """Frames are cut into runs: each run of library frames is one folded group, application frames stay apart."""
    frames = [Frame(function="main", in_app=True), Frame(function="dispatch", in_app=False),
              Frame(function="wrap", in_app=False), Frame(function="handler", in_app=True),
              Frame(function="unknown")]
    event = Event(id="e", timestamp=T0, level="error", message="boom", source=Source("test"),
                  exceptions=[ExceptionInfo(type="KeyError", frames=frames)])
    [link] = exception_chain(event)
    assert [(g.in_app, [f.function for f in g.frames]) for g in link.groups] == [
        (True, ["main"]), (False, ["dispatch", "wrap"]), (True, ["handler", "unknown"])]
    assert exception_chain(None) == []


def issue(**fields: object) -> Issue:
    base: dict[str, object] = dict(fingerprint="f1", title="KeyError: 'sku'", type="KeyError", message="", level="error",
                                   count=3, users=1, services=["cart"], releases=["1.0"], environments=["prod"],
                                   first_seen=T0, last_seen=T0, culprit="cart/views.py in add")
    return Issue(**(base | fields))  # type: ignore[arg-type]


def test_filters_keep_matching_issues_and_unresolved_includes_regressed() -> None:
    """Each facet narrows; a search looks at title, culprit, type and id; 'unresolved' keeps regressed issues."""
    row = IssueRow(issue(), "regressed", None)
    assert keep(row, {}, "")
    assert keep(row, {"service": "cart", "release": "1.0"}, "views.py")
    assert not keep(row, {"service": "checkout"}, "")
    assert not keep(row, {}, "TimeoutError")
    assert not keep(row, {"status": "resolved"}, "")
    assert keep(row, {"status": "all"}, "")
    assert not keep(IssueRow(issue(), "ignored", None), {}, "")


def test_a_sparkline_spans_the_box_and_peaks_at_the_top() -> None:
    """Points run from x=0 to the full width; the peak bucket sits at the top, zero at the bottom."""
    line = sparkline([(T0 + timedelta(minutes=i), n) for i, n in enumerate([0, 4, 2])])
    assert line is not None and (line.peak, line.total) == (4, 6)
    points = [tuple(map(float, p.split(","))) for p in line.points.split()]
    assert points[0] == (0.0, 23.0) and points[1][1] == 1.0 and points[-1][0] == 120.0
    assert sparkline([(T0, 3)]) is None


def test_lanes_follow_the_cascade_and_start_at_each_onset() -> None:
    """One lane per service in cascade order; a lane starts where its service's errors began."""
    incident = Incident(
        id="i", start=T0, end=T0 + timedelta(minutes=10), origin_service="payment", affected_services=["payment", "gateway"],
        root_cause_kind="deploy", root_cause_summary="", trigger=Trigger(kind=None), issues=[],
        impacts=[ServiceImpact("payment", "origin", T0, 10, 1), ServiceImpact("gateway", "edge", T0 + timedelta(minutes=5), 3, 1)],
        timeline=[TimelineEntry(T0 + timedelta(minutes=1), "payment", "first error")])
    payment, gateway = lanes(incident)
    assert (payment.service, payment.role, payment.x, payment.width) == ("payment", "origin", 0.0, 100.0)
    assert (gateway.service, gateway.x, gateway.width) == ("gateway", 50.0, 50.0)
    assert [m.x for m in payment.marks] == [10.0] and gateway.marks == []
