"""The UI's defences, checked over HTTP against a real server: sign-in, session cookies, CSRF, headers, redirects."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from faultlens.server.config import ServerConfig
from tests.server.conftest import Credentials, RunningServer
from tests.server.ui.conftest import PASSWORD, USER, UiServer

FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def signed_in(url: str, name: str = USER, secret: str = PASSWORD, next_path: str = "/ui/") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=10.0) as client:
        token = FIELD.search(client.get("/ui/login").text).group(1)
        answer = client.post("/ui/login", data={"csrf_token": token, "name": name, "secret": secret,
                                                "next": next_path})
        assert answer.status_code == 303, answer.text
        yield client


def csrf_of(client: httpx.Client, path: str) -> str:
    return FIELD.search(client.get(path).text).group(1)


def first_issue(client: httpx.Client) -> str:
    page = client.get("/ui/projects/checkout/issues")
    return re.search(r'href="/ui/issues/([0-9a-f]+)"', page.text).group(1)


def test_pages_answer_with_a_strict_policy_and_no_caching(demo_server: UiServer) -> None:
    """Every UI page carries the CSP (own scripts only, no inline anything), framing and sniffing refusals."""
    with signed_in(demo_server.url) as client:
        for path in ("/ui/login", "/ui/projects/checkout/issues", "/ui/projects/checkout/incidents"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
            assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
            assert headers["cache-control"] == "no-store"
        static = client.get("/ui/static/htmx.min.js")
        assert static.status_code == 200 and "content-security-policy" in static.headers
        assert static.headers["cache-control"].startswith("public")
        for name in ("LICENSES.md", "..%2Fpages.py", "%2E%2E%2Fusers.py", "nothing.js"):
            assert client.get(f"/ui/static/{name}").status_code == 404, name


def test_session_cookie_flags_and_a_new_id_at_each_sign_in(demo_server: UiServer) -> None:
    """The session cookie is HttpOnly, SameSite=Lax and scoped to /ui; each sign-in gets a fresh id."""
    ids = []
    for _ in range(2):
        with signed_in(demo_server.url) as client:
            ids.append(client.cookies["faultlens_session"])
            header = next(v for k, v in client.get("/ui/login").request.headers.items() if k == "cookie")
            assert "faultlens_session" in header
    assert ids[0] != ids[1]
    raw = httpx.Client(base_url=demo_server.url)
    token = FIELD.search(raw.get("/ui/login").text).group(1)
    answer = raw.post("/ui/login", data={"csrf_token": token, "name": USER, "secret": PASSWORD})
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/ui" in cookie and "Secure" not in cookie


def test_cookies_are_secure_behind_an_https_public_url(tmp_path: Path, demo_db: Path,
                                                       start_server: Callable[[ServerConfig], RunningServer]) -> None:
    """With `public_url` on https (TLS ended by a proxy), the session and sign-in cookies are Secure."""
    import shutil

    db = tmp_path / "faultlens.duckdb"
    shutil.copy(demo_db, db)
    server = start_server(ServerConfig(db=str(db), public_url="https://errors.example.com"))
    with httpx.Client(base_url=server.url) as client:
        form = client.get("/ui/login")
        assert "Secure" in form.headers["set-cookie"]
        client.cookies.set("faultlens_login", form.cookies["faultlens_login"])  # httpx keeps Secure cookies off http
        answer = client.post("/ui/login", data={"csrf_token": FIELD.search(form.text).group(1), "name": USER,
                                                "secret": PASSWORD})
        assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]


@pytest.mark.parametrize("token", [None, "", "not-the-token"])
def test_an_action_without_the_csrf_token_changes_nothing(demo_server: UiServer, token: str | None) -> None:
    """A status change without the session's CSRF token (missing, empty, wrong) is refused with 403."""
    with signed_in(demo_server.url) as client:
        issue = first_issue(client)
        data = {"status": "resolved"} | ({"csrf_token": token} if token is not None else {})
        answer = client.post(f"/ui/issues/{issue}/status", data=data)
        assert answer.status_code == 403
        assert 'id="issue-status">unresolved<' in client.get(f"/ui/issues/{issue}").text


def test_an_action_with_the_token_is_done(demo_server: UiServer) -> None:
    """The same change with the token (as a field, or as htmx's header) is made and redirects to the issue."""
    with signed_in(demo_server.url) as client:
        issue = first_issue(client)
        token = csrf_of(client, f"/ui/issues/{issue}")
        answer = client.post(f"/ui/issues/{issue}/status", data={"status": "ignored", "csrf_token": token})
        assert answer.status_code == 303 and answer.headers["location"] == f"/ui/issues/{issue}"
        assert 'id="issue-status">ignored<' in client.get(f"/ui/issues/{issue}").text
        answer = client.post(f"/ui/issues/{issue}/status", data={"status": "unresolved"},
                             headers={"X-CSRF-Token": token})
        assert answer.status_code == 303


def test_another_sessions_token_does_not_do(demo_server: UiServer) -> None:
    """A CSRF token belongs to its session: one taken from another sign-in is refused."""
    with signed_in(demo_server.url) as mine, signed_in(demo_server.url) as theirs:
        issue = first_issue(mine)
        stolen = csrf_of(theirs, f"/ui/issues/{issue}")
        answer = mine.post(f"/ui/issues/{issue}/status", data={"status": "resolved", "csrf_token": stolen})
        assert answer.status_code == 403


def test_sign_in_needs_its_form_token(demo_server: UiServer) -> None:
    """A sign-in posted from elsewhere (no matching form cookie) is refused, even with the right password."""
    with httpx.Client(base_url=demo_server.url) as client:
        answer = client.post("/ui/login", data={"csrf_token": "forged", "name": USER, "secret": PASSWORD})
        assert answer.status_code == 403 and "faultlens_session" not in answer.headers.get("set-cookie", "")


def test_wrong_secrets_are_refused(demo_server: UiServer) -> None:
    """A wrong password, an unknown user and a made-up token all get 401 and no session."""
    with httpx.Client(base_url=demo_server.url) as client:
        for name, secret in ((USER, "wrong"), ("mallory", PASSWORD), ("", "flt_deadbeef_nope")):
            token = FIELD.search(client.get("/ui/login").text).group(1)
            answer = client.post("/ui/login", data={"csrf_token": token, "name": name, "secret": secret})
            assert answer.status_code == 401
            assert "faultlens_session" not in answer.headers.get("set-cookie", "")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/ui/", "/\\evil.example", "/api/projects",
                                    "javascript:alert(1)"])
def test_sign_in_never_redirects_away(demo_server: UiServer, target: str) -> None:
    """`next` after signing in leads only inside /ui/; anything else goes to /ui/."""
    raw = httpx.Client(base_url=demo_server.url)
    token = FIELD.search(raw.get("/ui/login").text).group(1)
    answer = raw.post("/ui/login", data={"csrf_token": token, "name": USER, "secret": PASSWORD, "next": target})
    assert answer.headers["location"] == "/ui/"


def test_signing_out_ends_the_session(demo_server: UiServer) -> None:
    """After signing out, the old session cookie no longer opens a page."""
    with signed_in(demo_server.url) as client:
        cookie = client.cookies["faultlens_session"]
        token = csrf_of(client, "/ui/projects/checkout/issues")
        assert client.post("/ui/logout", data={"csrf_token": token}).status_code == 303
    replay = httpx.Client(base_url=demo_server.url, cookies={"faultlens_session": cookie})
    answer = replay.get("/ui/projects/checkout/issues")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/login")


def test_the_root_and_bare_ui_lead_to_the_ui(demo_server: UiServer) -> None:
    """`/` and `/ui` send a browser to `/ui/` (the router adds the slash), which asks a visitor to sign in."""
    with httpx.Client(base_url=demo_server.url) as client:
        for path in ("/", "/ui"):
            assert client.get(path).headers["location"] in ("/ui/", f"{demo_server.url}/ui/"), path
        assert client.get("/ui/").headers["location"] == "/ui/login?next=%2Fui%2F"


def test_unknown_things_are_404_pages(demo_server: UiServer) -> None:
    """An unknown project, issue, incident or trace is a 404 page, not an error."""
    with signed_in(demo_server.url) as client:
        for path in ("/ui/projects/nope/issues", "/ui/issues/nope", "/ui/projects/checkout/incidents/nope",
                     "/ui/traces/nope", "/ui/projects/checkout/incidents/nope/export/pdf"):
            answer = client.get(path)
            assert answer.status_code == 404 and "text/html" in answer.headers["content-type"], path


def test_users_command_creates_a_user_who_can_sign_in(run_cli, tmp_path: Path, credentials: Credentials,
                                                     server_config: ServerConfig, monkeypatch: pytest.MonkeyPatch,
                                                     start_server: Callable[[ServerConfig], RunningServer]) -> None:
    """`faultlens users create NAME --password-stdin` stores a user the next server start lets in."""
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    code, _, err = run_cli("users", "create", "bob", "--db", server_config.db, "--password-stdin")
    assert code == 0, err
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    code, _, err = run_cli("users", "create", "carol", "--db", server_config.db, "--password-stdin")
    assert code != 0 and "shorter than" in err
    code, out, _ = run_cli("users", "list", "--db", server_config.db)
    assert "bob" in out and "carol" not in out
    server = start_server(server_config)
    with signed_in(server.url, "bob", "a long enough password") as client:
        assert client.get("/ui/projects/shop/issues").status_code == 200


def test_sign_in_attempts_are_limited_per_address(demo_server: UiServer) -> None:
    """Refused sign-ins count as guesses: past the server's guess limit the next attempt from that address is
    refused with 429, even with the right password."""
    from faultlens.server.ratelimit import GuessLimiter

    with httpx.Client(base_url=demo_server.url) as client:
        for _ in range(GuessLimiter().burst):
            token = FIELD.search(client.get("/ui/login").text).group(1)
            assert client.post("/ui/login", data={"csrf_token": token, "name": USER, "secret": "no"}).status_code == 401
        answer = client.post("/ui/login", data={"csrf_token": "any", "name": USER, "secret": PASSWORD})
        assert answer.status_code == 429 and int(answer.headers["retry-after"]) >= 1
        assert "faultlens_session" not in answer.headers.get("set-cookie", "")
