"""`faultlens projects` and `faultlens tokens`: DSNs printed, keys listed and revoked, tokens shown once."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from faultlens.cli import app
from faultlens.errors import UsageError
from faultlens.server.credentials import token_matches
from faultlens.store import open_store

runner = CliRunner()


def refused(*args: str) -> str:
    """The UsageError a command stops with (the CLI's main turns it into one red line and exit code 2)."""
    result = runner.invoke(app, list(args))
    assert isinstance(result.exception, UsageError), result.output
    return str(result.exception)


def test_projects_and_keys(tmp_path: Path) -> None:
    """create prints a DSN SDKs accept; keys --new adds one; revoke-key marks it; list shows the projects."""
    db = str(tmp_path / "f.duckdb")
    created = runner.invoke(app, ["projects", "create", "shop", "--db", db, "--url", "https://errors.example.com/"])
    assert created.exit_code == 0, created.output
    dsn = created.output.strip()
    key = dsn.split("//")[1].split("@")[0]
    assert dsn == f"https://{key}@errors.example.com/1" and len(key) == 32
    second = runner.invoke(app, ["projects", "create", "billing", "--db", db])
    assert second.output.strip().endswith("@127.0.0.1:8000/2")
    assert "exists" in refused("projects", "create", "shop", "--db", db)
    assert "lowercase" in refused("projects", "create", "Bad Name", "--db", db)
    rotated = runner.invoke(app, ["projects", "keys", "shop", "--new", "--db", db])
    assert rotated.exit_code == 0 and key in rotated.output
    revoked = runner.invoke(app, ["projects", "revoke-key", key, "--db", db])
    assert revoked.exit_code == 0 and "shop" in revoked.output
    assert "no key" in refused("projects", "revoke-key", "nope", "--db", db)
    store = open_store(db)
    keys = store.accounts().project_keys()  # type: ignore[attr-defined]
    store.close()
    assert [(k.project, k.active) for k in keys] == [("shop", False), ("billing", True), ("shop", True)]
    listed = runner.invoke(app, ["projects", "list", "--db", db], env={"COLUMNS": "200"})
    assert "shop" in listed.output and "billing" in listed.output


def test_tokens_are_shown_once_and_stored_hashed(tmp_path: Path) -> None:
    """The token is printed once; the store keeps an Argon2 hash of it; revoke marks it."""
    db = str(tmp_path / "f.duckdb")
    created = runner.invoke(app, ["tokens", "create", "--name", "grafana", "--db", db])
    assert created.exit_code == 0
    token = created.stdout.strip().splitlines()[-1]
    store = open_store(db)
    stored = store.accounts().tokens()  # type: ignore[attr-defined]
    store.close()
    assert len(stored) == 1 and stored[0].name == "grafana" and token not in stored[0].hash
    assert stored[0].hash.startswith("$argon2id$") and token_matches(token, stored[0].hash)
    listed = runner.invoke(app, ["tokens", "list", "--db", db], env={"COLUMNS": "200"})
    assert stored[0].id in listed.output and token not in listed.output
    assert runner.invoke(app, ["tokens", "revoke", stored[0].id, "--db", db]).exit_code == 0
    assert "no token" in refused("tokens", "revoke", "nope", "--db", db)
