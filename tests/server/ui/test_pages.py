"""Each page of the web UI in a real headless Chromium, against a real server holding the checkout example."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.server.ui.conftest import DEMO_PROJECT, WAIT_MS, UiServer, Watched, settled, sign_in

QUEUE_POOL = "QueuePool limit of size 5"


def assert_clean(watched: Watched) -> None:
    """No dialog opened, no script failed, and the Content-Security-Policy refused nothing."""
    assert watched.dialogs == []
    assert watched.page_errors == []
    assert watched.console_errors == []


def issue_titles(page: Any) -> list[str]:
    return page.locator("table.issues tbody a.title").all_inner_texts()


def test_pages_need_signing_in(demo_server: UiServer, page: Any, watched: Watched) -> None:
    """A visitor is sent to sign in, a wrong password is refused, and the right one leads back to the page asked for."""
    page.goto(f"{demo_server.url}/ui/projects/{DEMO_PROJECT}/releases")
    expect(page).to_have_url(re.compile(r"/ui/login\?next="))
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password or API token").fill("wrong password, clearly")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not known")
    page.get_by_label("Password or API token").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{demo_server.url}/ui/projects/{DEMO_PROJECT}/releases")
    watched.console_errors = [e for e in watched.console_errors if "401" not in e]  # the refused sign-in's answer
    assert_clean(watched)


def test_an_api_token_signs_in(demo_server: UiServer, page: Any, watched: Watched) -> None:
    """With no user name, the secret is read as an API token."""
    sign_in(page, demo_server.url, name="", secret=demo_server.credentials.token)
    expect(page).to_have_url(re.compile(rf"/ui/projects/{DEMO_PROJECT}/issues$"))
    expect(page.locator("header")).to_contain_text("token ui tests")
    assert_clean(watched)


def test_issues_list_filters_sorts_and_searches(demo_server: UiServer, page: Any, watched: Watched, shots: Any) -> None:
    """The list ranks by priority with badges and sparklines; filters, sort and search narrow it in place."""
    sign_in(page, demo_server.url)
    expect(page.locator("table.issues tbody tr")).to_have_count(38)
    first = page.locator("table.issues tbody tr").first
    expect(first).to_contain_text(QUEUE_POOL)
    expect(first.locator(".badge.new")).to_be_visible()
    expect(first.locator("svg.spark polyline")).to_have_count(1)
    shots(page, "issues")

    settled(page)
    page.get_by_label("Service").select_option("gateway")
    expect(page).to_have_url(re.compile(r"service=gateway"))
    expect(page.locator("table.issues tbody tr").first).to_contain_text("gateway")
    rows = page.locator("table.issues tbody tr .muted").all_inner_texts()
    assert rows and all("gateway" in row for row in rows)

    page.get_by_label("Service").select_option("")
    page.get_by_label("Severity").select_option("high")
    expect(page.locator("table.issues tbody tr .badge.sev-medium")).to_have_count(0)
    assert page.locator("table.issues tbody tr .badge.sev-high").count() > 0

    page.get_by_label("Severity").select_option("")
    page.get_by_label("Sort by").select_option("frequency")
    expect(page).to_have_url(re.compile(r"sort=frequency"))
    counts = [int(c.replace(",", "")) for c in page.locator("table.issues tbody td.n:nth-child(4)").all_inner_texts()]
    assert counts == sorted(counts, reverse=True) and len(counts) == 38

    page.get_by_label("Search").fill("queuepool")
    expect(page.locator("table.issues tbody tr")).to_have_count(3)
    assert all(QUEUE_POOL in title for title in issue_titles(page))
    page.get_by_label("Search").fill("list_unsettled")
    expect(page.locator("table.issues tbody tr")).to_have_count(1)
    assert_clean(watched)


def test_an_issue_shows_its_evidence_and_can_be_resolved(demo_server: UiServer, page: Any, watched: Watched,
                                                         shots: Any) -> None:
    """An issue shows verdicts, stack (library frames folded), tags, chart, diagnosis and events; Resolve resolves it."""
    sign_in(page, demo_server.url)
    page.get_by_role("link", name=re.compile(QUEUE_POOL)).first.click()
    expect(page.locator("h1")).to_contain_text(QUEUE_POOL)
    verdicts = page.locator("dl.verdicts")
    expect(verdicts).to_contain_text("Severity")
    expect(verdicts).to_contain_text("Category")
    expect(verdicts).to_contain_text("Observability")
    expect(page.locator("#h-diagnosis")).to_contain_text("connection pool exhausted")
    expect(page.locator(".incident-note a")).to_contain_text("payment-service failing")
    expect(page.locator("figure.chart canvas")).to_have_count(1)  # uPlot drew over the SVG
    expect(page.locator("figure.chart")).to_contain_text("v2.3.1")
    shots(page, "issue")
    expect(page.locator("table.tagbars caption", has_text="release")).to_be_visible()
    expect(page.locator("ol.frames.app li").first).to_be_visible()
    library = page.locator("details.library").first
    expect(library).not_to_have_attribute("open", "")
    expect(library.locator("ol.frames")).to_be_hidden()
    library.locator("summary").click()
    expect(library.locator("ol.frames")).to_be_visible()
    expect(page.locator("#h-deliverables")).to_be_visible()

    expect(page.get_by_role("heading", name=re.compile(r"Event 1 of"))).to_be_visible()
    page.get_by_role("link", name="Older →").click()
    expect(page.get_by_role("heading", name=re.compile(r"Event 2 of"))).to_be_visible()
    page.get_by_role("link", name="← Newer").click()
    expect(page.get_by_role("heading", name=re.compile(r"Event 1 of"))).to_be_visible()

    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#issue-status")).to_have_text("resolved")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    page.get_by_role("link", name=f"Issues of {DEMO_PROJECT}").click()
    expect(page.locator("table.issues tbody tr")).to_have_count(37)
    settled(page)
    page.get_by_label("Status").select_option("resolved")
    expect(page.locator("table.issues tbody tr")).to_have_count(1)
    expect(page.locator("table.issues tbody tr")).to_contain_text("get_default_payment_method")
    assert_clean(watched)

    with demo_server.server.client(demo_server.credentials.token) as client:
        issues = client.get(f"/api/projects/{DEMO_PROJECT}/issues", params={"status": "resolved"}).json()["issues"]
    assert [issue["culprit"].endswith("get_default_payment_method") for issue in issues] == [True]


def test_an_incident_leads_to_a_request_trace(demo_server: UiServer, page: Any, watched: Watched, shots: Any) -> None:
    """The incident shows one lane per service with its origin, the five whys and exports; a failing request opens
    its waterfall across services."""
    sign_in(page, demo_server.url)
    page.get_by_role("link", name="Incidents").click()
    expect(page.locator("h1")).to_contain_text("Incidents")
    page.locator("table tbody a").first.click()
    expect(page.locator("h1")).to_contain_text("payment-service failing")
    lanes = page.locator("table.lanes tbody tr th[scope=row]")
    expect(lanes).to_have_count(4)
    assert [name.split()[0] for name in lanes.all_inner_texts()] == ["payment-service", "worker", "order-service",
                                                                     "gateway"]
    expect(lanes.first.locator(".badge")).to_have_text("origin")
    expect(page.locator("ol.whys").first.locator("> li")).to_have_count(5)
    expect(page.get_by_role("heading", name="Runbook")).to_be_visible()
    shots(page, "incident")

    markdown = page.request.get(demo_server.url + page.get_by_role("link", name="Markdown").get_attribute("href"))
    assert markdown.ok and markdown.text().startswith("# Postmortem draft: payment-service")
    exported = page.request.get(demo_server.url + page.get_by_role("link", name="HTML").get_attribute("href"))
    assert exported.ok and "<h2>Five whys</h2>" in exported.text()
    assert "attachment" in exported.headers["content-disposition"]

    page.locator("#h-requests + ul a").first.click()
    expect(page.locator("h1")).to_contain_text(re.compile(r"Trace|Correlation"))
    rows = page.locator("table.waterfall tbody tr")
    assert rows.count() >= 2
    services = set(page.locator("table.waterfall tbody td:nth-child(2)").all_inner_texts())
    assert len(services) >= 2
    expect(page.locator("table.waterfall tr.row-error").first).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents")).to_be_visible()
    shots(page, "trace")
    assert_clean(watched)


def test_releases_show_rates_around_each_deploy(demo_server: UiServer, page: Any, watched: Watched,
                                                shots: Any) -> None:
    """The bad deploy shows its error rate jumping and the issues it brought; the rollback brings none."""
    sign_in(page, demo_server.url)
    page.get_by_role("link", name="Releases").click()
    expect(page.locator("h1")).to_contain_text("Releases")
    deploy = page.locator("tbody tr", has_text="v2.3.0 → v2.3.1")
    expect(deploy).to_contain_text("1.80%")
    expect(deploy).to_contain_text("37.27%")
    assert deploy.locator("td:last-child li").count() >= 5
    expect(page.locator("tbody tr", has_text="v2.3.1 → v2.3.0").locator("td:last-child")).to_have_text("none")
    expect(page.get_by_role("heading", name="Errors of payment-service, with its deploys")).to_be_visible()
    expect(page.locator("figure.chart canvas")).to_have_count(1)
    shots(page, "releases")
    assert_clean(watched)


def test_pages_read_and_act_without_javascript(demo_server: UiServer, browser: Any) -> None:
    """With JavaScript off: sign in, filter with the form, read an issue (SVG chart) and resolve it."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        sign_in(page, demo_server.url)
        page.get_by_label("Service").select_option("worker")
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(re.compile(r"service=worker"))
        rows = page.locator("table.issues tbody tr .muted").all_inner_texts()
        assert rows and all("worker" in row for row in rows)
        page.locator("table.issues tbody a.title").first.click()
        expect(page.locator("figure.chart svg rect.bar").first).to_be_attached()
        expect(page.locator("figure.chart canvas")).to_have_count(0)
        page.get_by_role("button", name="Ignore").click()
        expect(page.locator("#issue-status")).to_have_text("ignored")
    finally:
        context.close()


def test_keyboard_reaches_the_filters_and_the_issues(demo_server: UiServer, page: Any) -> None:
    """Tab from the top reaches the skip link first, then the navigation; every filter control has a label."""
    sign_in(page, demo_server.url)
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select')]
        .filter(el => !el.labels || el.labels.length === 0).length""")
    assert unlabelled == 0
    page.locator("table.issues tbody a.title").first.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/ui/issues/"))
