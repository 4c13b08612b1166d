"""Evidence is built from an Event once, with every name and text the match rules read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from faultlens.knowledge import Evidence
from faultlens.knowledge.evidence import MAX_TEXT, platform_of, simple_name
from faultlens.model import Event, ExceptionInfo, Frame, Source


@pytest.mark.parametrize(("name", "simple"), [
    ("java.net.ConnectException", "ConnectException"),
    ("ActiveRecord::RecordNotFound", "RecordNotFound"),
    ("Stripe\\Exception\\CardException", "CardException"),
    ("com.shop.Outer$InnerError", "InnerError"),
    ("KeyError", "KeyError"),
])
def test_simple_name_is_the_last_part(name: str, simple: str) -> None:
    """Qualified names of every runtime reduce to their last part."""
    assert simple_name(name) == simple


def test_platforms_use_the_catalogue_names() -> None:
    """Stack-trace languages map onto the catalogue's platform names."""
    assert platform_of("java") == "jvm"
    assert platform_of("javascript") == "node"
    assert platform_of("python") == "python"
    assert platform_of(None) is None


def make_event(**fields: object) -> Event:
    event = Event(id="e", timestamp=datetime(2026, 1, 1, tzinfo=UTC), level="error", message="boom",
                  source=Source(path="x.log"))
    for key, value in fields.items():
        setattr(event, key, value)
    return event


def test_from_event_keeps_names_values_frames_and_request() -> None:
    """An Event's chain, request and producer fields all reach the Evidence."""
    event = make_event(
        exceptions=[
            ExceptionInfo(type="ConnectionRefusedError", value="[Errno 111] Connection refused"),
            ExceptionInfo(type="ConnectionError", module="requests.exceptions", value="Max retries exceeded",
                          frames=[Frame(function="send", module="requests.adapters", filename="adapters.py"),
                                  Frame(function="fetch_rates", filename="/srv/app/rates.py")]),
        ],
        platform="java", http_status=502, http_method="GET", http_path="/rates", logger="app.rates",
        service="rates", stacktrace="Traceback ...",
    )
    evidence = Evidence.from_event(event)
    assert evidence.type_names >= {"ConnectionRefusedError", "requests.exceptions.ConnectionError", "ConnectionError"}
    assert evidence.exceptions[1].frames == ("fetch_rates /srv/app/rates.py", "requests.adapters send adapters.py")
    assert evidence.texts == ("boom", "[Errno 111] Connection refused", "Max retries exceeded", "Traceback ...")
    assert (evidence.platform, evidence.http_status, evidence.http_method, evidence.http_path) == (
        "jvm", 502, "GET", "/rates")
    assert (evidence.logger, evidence.service) == ("app.rates", "rates")


def test_long_texts_are_cut() -> None:
    """Messages and values are cut so a huge record cannot slow matching."""
    evidence = Evidence.from_event(make_event(message="x" * (MAX_TEXT * 3)))
    assert len(evidence.message) == MAX_TEXT


def test_signals_are_added_without_changing_the_original() -> None:
    """with_signals returns a copy carrying the analyzer's findings."""
    evidence = Evidence(message="GET /orders")
    flagged = evidence.with_signals(["repeated-query-template"])
    assert flagged.signals == {"repeated-query-template"} and evidence.signals == frozenset()
