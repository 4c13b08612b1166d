"""Hostile event data renders inert: a corpus of XSS payloads sent through a real Sentry SDK into messages, tags,
frame names, user fields, releases and breadcrumbs shows as text on every page, and nothing runs."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sentry_sdk

from tests.conftest import REPO
from tests.server.ui.conftest import UiServer, Watched, sign_in

PAYLOADS = [line for line in (REPO / "tests" / "fixtures" / "xss" / "payloads.txt").read_text().splitlines()
            if line and not line.startswith("#")]

# Elements and attributes a payload would add if it were parsed as HTML. The pages' own markup has none of them.
INJECTED = """() => {
  const all = [...document.querySelectorAll('*')];
  return {
    handlers: all.filter(e => [...e.attributes].some(a => a.name.startsWith('on') || a.name.startsWith('hx-on')))
                 .map(e => e.outerHTML.slice(0, 80)),
    scripts: [...document.scripts].map(s => s.getAttribute('src')),
    foreign: [...document.querySelectorAll('iframe, object, embed, meta[http-equiv], base, img, video, audio, '
                                           + 'math, style, [srcdoc], [hx-trigger="load"], a[href^="javascript"]')]
                 .map(e => e.outerHTML.slice(0, 80)),
  };
}"""
OUR_SCRIPTS = ["/ui/static/htmx.min.js", "/ui/static/uPlot.iife.js", "/ui/static/faultlens.js"]


def hostile_event(payload: str, trace_id: str) -> dict[str, Any]:
    """One error event carrying `payload` in every field a sender controls and a page shows."""
    frame = {"filename": payload, "abs_path": payload, "module": payload, "function": payload, "lineno": 7,
             "context_line": payload, "in_app": True}
    library = {"filename": "site-packages/lib.py", "module": payload, "function": payload, "lineno": 3,
               "in_app": False}
    return {
        "level": "error",
        "message": payload,
        "release": payload,
        "environment": payload,
        "tags": {"payload": payload, "region": payload},
        "user": {"id": payload, "username": payload, "email": payload, "ip_address": "10.9.8.7"},
        "exception": {"values": [{"type": "XssError", "value": payload, "module": payload,
                                  "stacktrace": {"frames": [library, frame]}}]},
        "breadcrumbs": {"values": [{"category": payload, "message": payload, "level": "info"}]},
        "contexts": {"trace": {"trace_id": trace_id, "span_id": secrets.token_hex(8)}},
    }


def send(dsn: str, events: list[dict[str, Any]]) -> None:
    client = sentry_sdk.Client(dsn=dsn, default_integrations=False, auto_enabling_integrations=False)
    try:
        with sentry_sdk.new_scope() as scope:
            scope.set_client(client)
            for event in events:
                scope.capture_event(event)
    finally:
        client.flush(timeout=10)
        client.close()


def shown_as(text: str, payload: str) -> bool:
    """`text` is `payload`, or its start when the pipeline cut a long title with an ellipsis."""
    return text == payload.strip() or (text.endswith("…") and payload.startswith(text[:-1]))


def assert_inert(page: Any, watched: Watched, where: str) -> None:
    """Nothing ran (no dialog, no script error, no policy refusal) and nothing was parsed as markup."""
    found = page.evaluate(INJECTED)
    assert found["handlers"] == [], where
    assert found["foreign"] == [], where
    assert found["scripts"] == OUR_SCRIPTS, where
    assert watched.dialogs == [], where
    assert watched.page_errors == [], where
    assert watched.console_errors == [], where


@pytest.fixture
def hostile_server(fresh_server: UiServer) -> tuple[UiServer, str]:
    trace_id = secrets.token_hex(16)
    send(fresh_server.server.dsn(fresh_server.credentials), [hostile_event(p, trace_id) for p in PAYLOADS])
    fresh_server.server.wait_committed()
    return fresh_server, trace_id


def test_the_corpus_is_real(tmp_path: Path) -> None:
    """The payload file holds the corpus (a test reading an empty file would pass for nothing)."""
    assert len(PAYLOADS) >= 30
    assert any("<script>" in p.lower() for p in PAYLOADS) and any("onerror" in p for p in PAYLOADS)


def test_payloads_show_as_text_and_never_run(hostile_server: tuple[UiServer, str], page: Any,
                                             watched: Watched, shots: Any) -> None:
    """Every page showing the payloads — the list, each issue, the trace, releases, incidents — shows them as
    text, opens no dialog and runs no script."""
    server, trace_id = hostile_server
    sign_in(page, server.url)
    page.goto(f"{server.url}/ui/projects/shop/issues?status=all")
    links = page.locator("table.issues tbody a.title")
    assert links.count() == len(PAYLOADS)
    titles = links.all_inner_texts()
    assert all(any(shown_as(title, f"XssError: {p}") for p in PAYLOADS) for title in titles)
    release_options = page.locator("#f-release option").all_inner_texts()
    assert set(PAYLOADS) <= set(release_options)
    assert_inert(page, watched, "issues list")
    shots(page, "xss-issues")

    hrefs = [links.nth(n).get_attribute("href") for n in range(links.count())]
    for href in hrefs:
        page.goto(server.url + href)
        shown = page.locator("pre.message").inner_text()
        assert shown in PAYLOADS, href
        frames = page.locator("ol.frames.app code").all_inner_texts()
        assert shown in frames, href
        assert page.locator("pre.context").first.inner_text() == shown
        facts = page.locator("#event dl.facts").first.inner_text()
        assert f"User username\n{shown}" in facts and f"User email\n{shown}" in facts
        assert page.locator("table.crumbs-table tbody td").nth(3).inner_text() == shown
        assert page.locator("dl.facts dd", has_text=shown).count() >= 3  # tags, user, release
        assert_inert(page, watched, href)
        page.locator("details.library summary").first.click()  # folded library frames open as text too
        assert_inert(page, watched, href + " (library frames open)")

    page.goto(f"{server.url}/ui/traces/{trace_id}")
    rows = page.locator("table.waterfall tbody tr")
    assert rows.count() == len(PAYLOADS)
    assert_inert(page, watched, "trace")
    for path in ("releases", "incidents"):
        page.goto(f"{server.url}/ui/projects/shop/{path}")
        assert_inert(page, watched, path)


def test_a_search_is_echoed_as_text(fresh_server: UiServer, page: Any, watched: Watched) -> None:
    """A payload in the query string comes back in the search box as its value, and runs nothing."""
    sign_in(page, fresh_server.url)
    for payload in PAYLOADS:
        page.goto(f"{fresh_server.url}/ui/projects/shop/issues?{urlencode({'q': payload, 'sort': payload})}")
        assert page.get_by_label("Search").input_value() == payload
        assert page.get_by_label("Sort by").input_value() == "priority"
        assert_inert(page, watched, payload)
