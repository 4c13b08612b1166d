"""The bundled checkout incident, analyzed end to end, against the verdicts its story dictates.

Written from examples/checkout-incident/README.md before looking at the output: payment-service
is deployed v2.3.0 → v2.3.1 at 14:00, its SQLAlchemy pool is exhausted from about 14:04, order
service and the gateway fail after it, and v2.3.0 is back at about 14:38.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from faultlens.analysis.overview import build_report
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import open_store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "checkout-incident"


@pytest.fixture(scope="module")
def report():
    store = open_store(":memory:")
    stats = Ingestor(store, IngestOptions()).run([str(EXAMPLE)])
    yield build_report(store, stats)
    store.close()


def test_the_deploy_and_the_rollback_are_found(report):
    """Both version changes of payment-service are deploys; the first one raised its error rate significantly."""
    changes = [(d.deploy.service, d.deploy.previous_release, d.deploy.release) for d in report.deploys]
    assert ("payment-service", "v2.3.0", "v2.3.1") in changes
    assert ("payment-service", "v2.3.1", "v2.3.0") in changes
    deploy = next(d for d in report.deploys if d.deploy.release == "v2.3.1")
    assert deploy.deploy.time == datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    assert deploy.significant and deploy.rate_after > 5 * deploy.rate_before


def test_pool_exhaustion_leads_and_is_tied_to_the_deploy(report):
    """The top issue is the QueuePool timeout in payment-service: new, performance, high or worse, from v2.3.1."""
    top = report.issues[0]
    assert "QueuePool" in top.title and top.services == ["payment-service"]
    assert top.trend.status == "new"
    assert top.category.value == "performance"
    assert top.severity.value in ("high", "critical")
    assert top.suspect_deploy is not None and top.suspect_deploy.deploy.release == "v2.3.1"
    assert top.deliverables is not None and len(top.deliverables.five_whys) == 5
    assert "roll payment-service back" in top.deliverables.immediate_fix


def test_callers_fail_as_integration_issues(report):
    """The gateway's 502s on orders are a new integration issue, not the root."""
    gateway = next(i for i in report.issues if i.title.startswith("POST /api/v1/orders 502"))
    assert gateway.trend.status == "new" and gateway.category.value == "integration"


def test_background_errors_stay_ongoing(report):
    """Rare background errors of the whole window are neither new nor spiking."""
    for needle in ("CardValidationError", "NullPointerException", "KeyError: 'order_id'"):
        found = next(i for i in report.issues if needle in i.title)
        assert found.trend.status == "ongoing", (needle, found.trend.reason)


def test_quiet_hour_raises_no_new_issue():
    """The hour before the deploy, analyzed alone, has no new or regressed issue."""
    store = open_store(":memory:")
    stats = Ingestor(store, IngestOptions()).run([str(EXAMPLE)])
    quiet = build_report(store, stats, until=datetime(2026, 11, 28, 13, 59, 59, tzinfo=UTC))
    flagged = [(i.title, i.trend.status) for i in quiet.issues if i.trend.status in ("new", "regressed")]
    assert flagged == []
    store.close()
