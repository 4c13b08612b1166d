"""A real server with the checkout example in its store, and a real headless Chromium to look at it.

Playwright drives Debian's chromium (CI installs it); Playwright's own browser download is never
used. Screenshots go to $FAULTLENS_SCREENSHOTS when set (the README's come from there), else to
the test's temporary directory.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from faultlens.runner import IngestOptions, Ingestor
from faultlens.server.config import Limits, ServerConfig
from faultlens.server.ui.users import hash_password
from faultlens.store import open_store
from tests.conftest import EXAMPLE
from tests.server.conftest import Credentials, RunningServer, make_credentials

CHROMIUM = os.environ.get("FAULTLENS_CHROMIUM", "/usr/bin/chromium")
WAIT_MS = 30_000
"""How long a page or an expectation may wait for what it needs (a report's first build on a loaded 2-core
machine took over 4 s): a wait, never a measure; no test asserts on time."""
USER, PASSWORD = "alice", "correct horse battery staple"
DEMO_PROJECT = "checkout"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout example read into a store once per run, as project `checkout`, with a UI user."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    store = open_store(str(path))
    try:
        Ingestor(store, IngestOptions(project=DEMO_PROJECT)).run([str(EXAMPLE)])
        store.accounts().add_user(USER, hash_password(PASSWORD))  # type: ignore[attr-defined]
    finally:
        store.close()
    make_credentials(path, DEMO_PROJECT)
    return path


@dataclass
class UiServer:
    server: RunningServer
    credentials: Credentials

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def demo_server(demo_db: Path, tmp_path: Path, start_server: Callable[[ServerConfig], RunningServer]) -> UiServer:
    """A server of its own on a copy of the demo store (tests change issues' status)."""
    db = tmp_path / "faultlens.duckdb"
    shutil.copy(demo_db, db)
    token = _token_of(db)
    config = ServerConfig(db=str(db), limits=Limits(rate_per_key=0), batch_wait_seconds=0.01)
    return UiServer(start_server(config), token)


def _token_of(db: Path) -> Credentials:
    """A fresh token (the demo's was shown once, in another fixture), and the demo project's key."""
    from faultlens.server.credentials import hash_token, new_token

    store = open_store(str(db))
    try:
        accounts = store.accounts()  # type: ignore[attr-defined]
        project = accounts.project(DEMO_PROJECT)
        key = accounts.project_keys(project)[0]
        token_id, token = new_token()
        accounts.add_token(token_id, "ui tests", hash_token(token))
    finally:
        store.close()
    return Credentials(DEMO_PROJECT, project.id, key.public_key, token)


@pytest.fixture
def fresh_server(server_config: ServerConfig, credentials: Credentials,
                 start_server: Callable[[ServerConfig], RunningServer]) -> UiServer:
    """An empty store with project `shop` and the UI user, for events a test sends itself."""
    store = open_store(server_config.db)
    try:
        store.accounts().add_user(USER, hash_password(PASSWORD))  # type: ignore[attr-defined]
    finally:
        store.close()
    return UiServer(start_server(server_config), credentials)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium) or set "
                    "FAULTLENS_CHROMIUM")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@dataclass
class Watched:
    """What a page did that it should not: dialogs opened, console errors (CSP refusals among them)."""

    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


@pytest.fixture
def watched() -> Watched:
    return Watched()


@pytest.fixture
def page(browser: object, watched: Watched) -> Iterator[object]:
    """A fresh browser context and page; dialogs are recorded and dismissed, errors recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)

    def on_dialog(dialog: object) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]
    tab.on("dialog", on_dialog)
    tab.on("console", lambda message: watched.console_errors.append(message.text)
           if message.type == "error" else None)
    tab.on("pageerror", lambda error: watched.page_errors.append(str(error)))
    yield tab
    context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Callable[[object, str], Path]:
    """`shots(page, name)` saves a full-page PNG and returns its path."""
    folder = Path(os.environ.get("FAULTLENS_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def shoot(tab: object, name: str) -> Path:
        path = folder / f"{name}.png"
        tab.screenshot(path=str(path), full_page=False)  # type: ignore[attr-defined]
        return path
    return shoot


def settled(tab: object) -> None:
    """Wait until htmx has settled what it swapped in: new content's triggers are bound only then (20 ms
    after the swap), so a control used sooner does nothing — a race a loaded machine loses."""
    tab.wait_for_function(  # type: ignore[attr-defined]
        "() => window.htmx && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def sign_in(tab: object, url: str, name: str = USER, secret: str = PASSWORD) -> None:
    tab.goto(f"{url}/ui/")  # type: ignore[attr-defined]
    tab.get_by_label("User name").fill(name)  # type: ignore[attr-defined]
    tab.get_by_label("Password or API token").fill(secret)  # type: ignore[attr-defined]
    tab.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    tab.wait_for_url(re.compile(r"/ui/(?!login)"))  # type: ignore[attr-defined]
