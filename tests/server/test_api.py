"""The issues API: filters and sorting, one issue and its events, status changes and regressions,
the analyze report per project, and an OpenAPI description of every route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from faultlens.server.credentials import new_public_key
from faultlens.server.hooks import CommitResult
from faultlens.store import open_store


def send(running: Any, key: str, project_id: int, event: dict[str, Any]) -> None:
    body = b"\n".join([b"{}", orjson.dumps({"type": "event"}), orjson.dumps(event)])
    with running.client() as client:
        answer = client.post(f"/api/{project_id}/envelope/", content=body, headers={
            "X-Sentry-Auth": f"Sentry sentry_key={key}"})
    assert answer.status_code == 200, answer.text


def error(kind: str, value: str, **fields: Any) -> dict[str, Any]:
    frames = [{"filename": f"app/{kind.lower()}.py", "module": f"app.{kind.lower()}", "function": "handle",
               "lineno": 10, "in_app": True}]
    return {"level": "error", "platform": "python",
            "exception": {"values": [{"type": kind, "value": value, "stacktrace": {"frames": frames}}]}, **fields}


def test_filters_sorting_and_paging(running: Any, credentials: Any) -> None:
    """status, query, release, environment, since, sort and limit/offset narrow and order the list."""
    key, pid = credentials.public_key, credentials.project_id
    for n in range(3):
        send(running, key, pid, error("KeyError", f"'sku-{n}'", release="1.0", environment="prod",
                                      user={"id": f"u{n}"}))
    send(running, key, pid, error("ValueError", "bad amount", release="1.1", environment="staging"))
    running.wait_committed()
    with running.client(credentials.token) as client:
        def ids(**params: Any) -> list[str]:
            answer = client.get("/api/projects/shop/issues", params=params)
            assert answer.status_code == 200, answer.text
            return [issue["type"] for issue in answer.json()["issues"]]
        assert ids(sort="count") == ["KeyError", "ValueError"]
        assert ids(sort="users") == ["KeyError", "ValueError"]
        assert ids(release="1.1") == ["ValueError"]
        assert ids(environment="prod") == ["KeyError"]
        assert ids(query="keyerr") == ["KeyError"]
        assert ids(query="50%_off") == []
        assert ids(since="1h", sort="count") == ["KeyError", "ValueError"]
        assert ids(since="2999-01-01T00:00:00Z") == []
        assert ids(sort="count", limit=1, offset=1) == ["ValueError"]
        assert ids(status="resolved") == []
        for params in ({"status": "open"}, {"sort": "size"}, {"since": "yesterday"}, {"limit": "0"}):
            answer = client.get("/api/projects/shop/issues", params=params)
            assert answer.status_code == 400 and answer.json()["error"]["code"] == "malformed"
        assert client.get("/api/projects/nope/issues").status_code == 404


def test_resolve_then_regress(running: Any, credentials: Any) -> None:
    """A resolved issue seen again is "regressed", reported once to the after-commit hooks; ignore and
    unresolve are kept as set."""
    results: list[CommitResult] = []
    running.app.state.after_commit.append(results.append)
    key, pid = credentials.public_key, credentials.project_id
    send(running, key, pid, error("KeyError", "'a'"))
    running.wait_committed()
    assert len(results[0].new_issue_fingerprints) == 1
    issue_id = next(iter(results[0].new_issue_fingerprints))
    assert results[0].events_by_fingerprint == {issue_id: 1}
    assert results[0].service_counts == {"shop": (1, 1)} and results[0].projects == {issue_id: "shop"}
    with running.client(credentials.token) as client:
        resolved = client.patch(f"/api/issues/{issue_id}", json={"status": "resolved"}).json()
        assert resolved["status"] == "resolved" and resolved["resolved_at"]
        send(running, key, pid, error("KeyError", "'b'"))
        send(running, key, pid, error("KeyError", "'c'"))
        running.wait_committed()
        issue = client.get(f"/api/issues/{issue_id}").json()
        assert issue["status"] == "regressed" and issue["count"] == 3
        assert [r.regressed_fingerprints for r in results[1:]].count(frozenset({issue_id})) == 1
        assert not any(r.new_issue_fingerprints for r in results[1:])
        listed = client.get("/api/projects/shop/issues", params={"status": "unresolved"}).json()["issues"]
        assert [i["id"] for i in listed] == [issue_id]
        assert client.patch(f"/api/issues/{issue_id}", json={"status": "ignored"}).json()["status"] == "ignored"
        assert client.get("/api/projects/shop/issues", params={"status": "ignored"}).json()["issues"]
        assert client.patch(f"/api/issues/{issue_id}", json={"status": "unresolved"}).json()["status"] == \
            "unresolved"
        assert client.patch(f"/api/issues/{issue_id}", json={"status": "gone"}).status_code == 422
        assert client.patch(f"/api/issues/{issue_id}", content=b"{").status_code == 400
        assert client.patch("/api/issues/0000", json={"status": "resolved"}).status_code == 404


def test_events_of_an_issue_page_newest_first(running: Any, credentials: Any) -> None:
    """An issue's events come newest first, a page at a time."""
    for n in range(5):
        send(running, credentials.public_key, credentials.project_id,
             error("KeyError", f"'k{n}'", timestamp=f"2026-11-28T14:00:0{n}Z"))
    running.wait_committed()
    with running.client(credentials.token) as client:
        issue_id = client.get("/api/projects/shop/issues").json()["issues"][0]["id"]
        first = client.get(f"/api/issues/{issue_id}/events", params={"limit": 2}).json()
        assert [e["timestamp"] for e in first["events"]] == ["2026-11-28T14:00:04Z", "2026-11-28T14:00:03Z"]
        rest = client.get(f"/api/issues/{issue_id}/events", params={"before": first["next_before"]}).json()
        assert len(rest["events"]) == 3 and rest["next_before"] is None
        assert client.get("/api/issues/nope/events").status_code == 404


def test_report_is_per_project(server_config: Any, credentials: Any, start_server: Any, tmp_path: Path) -> None:
    """The report endpoint is the analyze JSON report over one project's events only."""
    store = open_store(server_config.db)
    other_project, other_key = store.accounts().create_project("billing", new_public_key())  # type: ignore[attr-defined]
    store.close()
    running = start_server(server_config)
    send(running, credentials.public_key, credentials.project_id, error("KeyError", "'x'"))
    send(running, other_key.public_key, other_project.id, error("ZeroDivisionError", "division by zero"))
    running.wait_committed()
    with running.client(credentials.token) as client:
        shop = client.get("/api/projects/shop/report").json()
        billing = client.get("/api/projects/billing/report", params={"since": "1d"}).json()
        projects = client.get("/api/projects").json()["projects"]
    assert shop["schema"] == "faultlens.report/1"
    assert [i["type"] for i in shop["issues"]] == ["KeyError"]
    assert [i["type"] for i in billing["issues"]] == ["ZeroDivisionError"]
    assert [p["name"] for p in projects] == ["shop", "billing"]


def test_the_same_error_in_two_projects_is_two_issues(server_config: Any, credentials: Any,
                                                      start_server: Any) -> None:
    """Issues belong to one project: the same exception sent to two projects is an issue in each, with its
    own count and status (resolving one leaves the other open)."""
    store = open_store(server_config.db)
    other_project, other_key = store.accounts().create_project("billing", new_public_key())  # type: ignore[attr-defined]
    store.close()
    running = start_server(server_config)
    for _ in range(2):
        send(running, credentials.public_key, credentials.project_id, error("KeyError", "'sku'"))
    send(running, other_key.public_key, other_project.id, error("KeyError", "'sku'"))
    running.wait_committed()
    with running.client(credentials.token) as client:
        shop = client.get("/api/projects/shop/issues").json()["issues"]
        billing = client.get("/api/projects/billing/issues").json()["issues"]
        assert [(i["type"], i["count"]) for i in shop] == [("KeyError", 2)]
        assert [(i["type"], i["count"]) for i in billing] == [("KeyError", 1)]
        assert shop[0]["id"] != billing[0]["id"]
        assert client.patch(f"/api/issues/{shop[0]['id']}", json={"status": "resolved"}).status_code == 200
        assert client.get(f"/api/issues/{billing[0]['id']}").json()["status"] == "unresolved"


def test_openapi_names_every_api_route(running: Any) -> None:
    """/api/openapi.json describes every route under /api/ but the ingest doors, with its methods."""
    with running.client() as client:
        document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    served = {(route.path, method.lower()) for route in running.app.routes
              for method in (route.methods or ()) if route.path.startswith("/api/") and method != "HEAD"
              and not route.path.startswith(("/api/{project_id}", "/api/ingest", "/api/openapi"))}
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert served == described
