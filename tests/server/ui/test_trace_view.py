"""A trace sent by a real Sentry SDK (a transaction with child spans, an error inside one) as a waterfall."""

from __future__ import annotations

import re
from typing import Any

import sentry_sdk
from playwright.sync_api import expect

from tests.server.ui.conftest import UiServer, Watched, sign_in


def charge_card(amount: str) -> int:
    return int(amount)


def send_checkout_trace(dsn: str) -> str:
    """One request: a transaction, a database span, then a payment span in which a ValueError is reported."""
    client = sentry_sdk.Client(dsn=dsn, traces_sample_rate=1.0, default_integrations=False,
                               auto_enabling_integrations=False, release="shop@2.0.0")
    try:
        with sentry_sdk.new_scope() as scope:
            scope.set_client(client)
            with sentry_sdk.start_transaction(name="POST /checkout", op="http.server") as transaction:
                with sentry_sdk.start_span(op="db.query", name="SELECT * FROM carts WHERE id = %s"):
                    pass
                with sentry_sdk.start_span(op="http.client", name="POST payments/charge"):
                    try:
                        charge_card("12.50 EUR")
                    except ValueError:
                        sentry_sdk.capture_exception()
                trace_id = transaction.trace_id
    finally:
        client.flush(timeout=10)
        client.close()
    return trace_id


def test_a_trace_from_an_issue_shows_spans_and_the_error(fresh_server: UiServer, page: Any, watched: Watched,
                                                         shots: Any) -> None:
    """From the issue, the trace link opens the waterfall: the transaction, its two spans nested under it, and the
    error in the payment span."""
    trace_id = send_checkout_trace(fresh_server.server.dsn(fresh_server.credentials))
    fresh_server.server.wait_committed()
    sign_in(page, fresh_server.url)
    page.get_by_role("link", name=re.compile("ValueError")).click()
    page.get_by_role("link", name=trace_id).first.click()
    expect(page.locator("h1")).to_contain_text(trace_id)
    rows = page.locator("table.waterfall tbody tr")
    texts = rows.locator("td:nth-child(3)").all_inner_texts()
    assert any("POST /checkout" in t for t in texts)
    assert any("SELECT * FROM carts" in t for t in texts)
    assert any("POST payments/charge" in t for t in texts)
    assert any("ValueError" in t for t in texts)
    expect(page.locator("table.waterfall tr.row-span")).to_have_count(3)
    nested = page.locator("table.waterfall tr.row-span td.depth-1")
    expect(nested).to_have_count(2)
    bars = page.locator("table.waterfall tr.row-span rect.wf")
    assert bars.first.get_attribute("width") == "100.0%"  # the transaction spans the whole request
    shots(page, "trace-spans")
    assert watched.dialogs == [] and watched.console_errors == [] and watched.page_errors == []
