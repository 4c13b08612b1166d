"""What `faultlens serve` keeps beside the events: projects, their keys, API tokens and issue status changes.

Secrets are never stored: a token is kept as the hash the caller made of it, and a project's
public key is public by design (it is in every DSN an app ships). An issue's status lives in two
places on purpose: `issues.status`, which the analyses read (a stored "resolved" plus new events
is a regression to the trends code), and `issue_status`, which remembers when it was resolved
and when it came back, so a regression is told once per resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from faultlens.errors import StoreError, UsageError
from faultlens.store.rows import aware_utc, naive_utc

ACCOUNT_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS projects (
        id INTEGER PRIMARY KEY, name VARCHAR UNIQUE NOT NULL, created_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS project_keys (
        public_key VARCHAR PRIMARY KEY, project_id INTEGER NOT NULL, created_at TIMESTAMP, revoked_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS api_tokens (
        id VARCHAR PRIMARY KEY, name VARCHAR, hash VARCHAR NOT NULL, created_at TIMESTAMP, revoked_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS issue_status (
        fingerprint VARCHAR PRIMARY KEY, status VARCHAR NOT NULL, changed_at TIMESTAMP, resolved_at TIMESTAMP,
        regressed_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS ui_users (
        name VARCHAR PRIMARY KEY, hash VARCHAR NOT NULL, created_at TIMESTAMP)""",
)

ISSUE_STATUSES = ("unresolved", "resolved", "ignored")
"""Statuses a person sets; "regressed" is derived: resolved, then seen again."""


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProjectKey:
    public_key: str
    project_id: int
    project: str
    created_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: str
    name: str | None
    hash: str
    created_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class UiUser:
    """Someone who may sign in to the web UI with a password; only its Argon2 hash is kept."""

    name: str
    hash: str
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssueState:
    """A status a person set, and when the issue was last resolved and last came back."""

    fingerprint: str
    status: str
    changed_at: datetime | None
    resolved_at: datetime | None
    regressed_at: datetime | None

    @property
    def effective(self) -> str:
        """What the API shows: a resolved issue seen again after its resolution is "regressed"."""
        if self.status == "resolved" and self.regressed_at and self.resolved_at and \
                self.regressed_at >= self.resolved_at:
            return "regressed"
        return self.status


class Accounts:
    """Projects, keys, tokens and issue status on one DuckDB connection (the caller owns it)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str = ":memory:") -> None:
        self.con = con
        self.path = path
        try:
            for statement in ACCOUNT_DDL:
                con.execute(statement)
        except duckdb.Error as exc:
            raise StoreError(f"cannot prepare the server's tables: {exc}", path=path) from None

    def create_project(self, name: str, public_key: str) -> tuple[Project, ProjectKey]:
        if self.project(name) is not None:
            raise UsageError(f"a project named {name!r} exists; `faultlens projects keys {name}` shows its keys")
        now = naive_utc(datetime.now(UTC))
        row = self.con.execute("SELECT coalesce(max(id), 0) + 1 FROM projects").fetchone()
        project_id = int(row[0]) if row else 1
        self._write("INSERT INTO projects VALUES (?, ?, ?)", [project_id, name, now])
        project = Project(project_id, name, aware_utc(now))
        return project, self.add_key(project, public_key)

    def projects(self) -> list[Project]:
        rows = self.con.execute("SELECT id, name, created_at FROM projects ORDER BY id").fetchall()
        return [Project(int(r[0]), r[1], aware_utc(r[2])) for r in rows]

    def project(self, name: str) -> Project | None:
        row = self.con.execute("SELECT id, name, created_at FROM projects WHERE name = ?", [name]).fetchone()
        return Project(int(row[0]), row[1], aware_utc(row[2])) if row else None

    def add_key(self, project: Project, public_key: str) -> ProjectKey:
        now = naive_utc(datetime.now(UTC))
        self._write("INSERT INTO project_keys VALUES (?, ?, ?, NULL)", [public_key, project.id, now])
        return ProjectKey(public_key, project.id, project.name, aware_utc(now), None)

    def project_keys(self, project: Project | None = None) -> list[ProjectKey]:
        rows = self.con.execute(
            "SELECT k.public_key, k.project_id, p.name, k.created_at, k.revoked_at FROM project_keys k "
            "JOIN projects p ON p.id = k.project_id WHERE ? IS NULL OR k.project_id = ? ORDER BY k.created_at",
            [project.id if project else None, project.id if project else None]).fetchall()
        return [ProjectKey(r[0], int(r[1]), r[2], aware_utc(r[3]), aware_utc(r[4])) for r in rows]

    def revoke_key(self, public_key: str) -> ProjectKey | None:
        """Revoke a key; None when no such key exists. Revoking twice keeps the first time."""
        self._write("UPDATE project_keys SET revoked_at = coalesce(revoked_at, ?) WHERE public_key = ?",
                    [naive_utc(datetime.now(UTC)), public_key])
        return next((key for key in self.project_keys() if key.public_key == public_key), None)

    def add_token(self, token_id: str, name: str | None, token_hash: str) -> ApiToken:
        now = naive_utc(datetime.now(UTC))
        self._write("INSERT INTO api_tokens VALUES (?, ?, ?, ?, NULL)", [token_id, name, token_hash, now])
        return ApiToken(token_id, name, token_hash, aware_utc(now), None)

    def tokens(self) -> list[ApiToken]:
        rows = self.con.execute("SELECT id, name, hash, created_at, revoked_at FROM api_tokens "
                                "ORDER BY created_at").fetchall()
        return [ApiToken(r[0], r[1], r[2], aware_utc(r[3]), aware_utc(r[4])) for r in rows]

    def revoke_token(self, token_id: str) -> ApiToken | None:
        self._write("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                    [naive_utc(datetime.now(UTC)), token_id])
        return next((token for token in self.tokens() if token.id == token_id), None)

    def add_user(self, name: str, password_hash: str) -> UiUser:
        if any(user.name == name for user in self.users()):
            raise UsageError(f"a user named {name!r} exists; pick another name")
        now = naive_utc(datetime.now(UTC))
        self._write("INSERT INTO ui_users VALUES (?, ?, ?)", [name, password_hash, now])
        return UiUser(name, password_hash, aware_utc(now))

    def users(self) -> list[UiUser]:
        rows = self.con.execute("SELECT name, hash, created_at FROM ui_users ORDER BY name").fetchall()
        return [UiUser(r[0], r[1], aware_utc(r[2])) for r in rows]

    def issue_states(self) -> dict[str, IssueState]:
        rows = self.con.execute("SELECT fingerprint, status, changed_at, resolved_at, regressed_at "
                                "FROM issue_status").fetchall()
        return {r[0]: IssueState(r[0], r[1], aware_utc(r[2]), aware_utc(r[3]), aware_utc(r[4])) for r in rows}

    def set_issue_status(self, fingerprint: str, status: str) -> IssueState | None:
        """Set a status a person chose; None when there is no such issue."""
        if status not in ISSUE_STATUSES:
            raise UsageError(f"status {status!r} is not one of: {', '.join(ISSUE_STATUSES)}")
        now = naive_utc(datetime.now(UTC))
        try:
            self.con.execute("BEGIN")
            found = self.con.execute("UPDATE issues SET status = ? WHERE fingerprint = ?",
                                     [status, fingerprint]).fetchone()
            if not found or not found[0]:
                self.con.execute("ROLLBACK")
                return None
            self.con.execute("""
                INSERT INTO issue_status VALUES ($fp, $status, $now, CASE WHEN $status = 'resolved' THEN $now END,
                                                 NULL)
                ON CONFLICT (fingerprint) DO UPDATE SET status = $status, changed_at = $now,
                    resolved_at = CASE WHEN $status = 'resolved' THEN $now ELSE issue_status.resolved_at END""",
                             {"fp": fingerprint, "status": status, "now": now})
            self.con.execute("COMMIT")
        except duckdb.Error as exc:
            self.con.execute("ROLLBACK")
            raise StoreError(f"cannot change the issue's status: {exc}", path=self.path) from None
        return self.issue_states().get(fingerprint)

    def mark_regressed(self, times: dict[str, datetime]) -> None:
        """Remember when resolved issues came back (fingerprint → the event's time)."""
        for fingerprint, moment in times.items():
            self._write("UPDATE issue_status SET regressed_at = ? WHERE fingerprint = ?",
                        [naive_utc(moment), fingerprint])

    def _write(self, statement: str, params: list[object]) -> None:
        try:
            self.con.execute(statement, params)
        except duckdb.Error as exc:
            raise StoreError(f"cannot write the server's tables: {exc}", path=self.path) from None
