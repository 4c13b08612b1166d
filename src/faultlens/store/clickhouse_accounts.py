"""What `faultlens serve` keeps beside the events, in ClickHouse: the same answers as duckdb_accounts.py.

Every change is a new row with a later `version`, and reads take each key's latest row (`FINAL`):
revoking a key writes the key again with its revocation time, setting a status writes the status
again. Project ids are the next after the largest; two servers creating projects in the same
instant could pick the same id, so create projects from one place (the CLI).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from faultlens.errors import StoreError, UsageError
from faultlens.store.duckdb_accounts import ISSUE_STATUSES, ApiToken, IssueState, Project, ProjectKey, UiUser
from faultlens.store.rows import aware_utc, naive_utc

TIME = "DateTime64(6, 'UTC')"


class ClickHouseAccounts:
    """Projects, keys, tokens, UI users and issue status on one clickhouse-connect client."""

    def __init__(self, client: Any, path: str, now: Any, errors: tuple[type[BaseException], ...]) -> None:
        self.client = client
        self.path = path
        self._now = now
        self._errors = errors

    def create_project(self, name: str, public_key: str) -> tuple[Project, ProjectKey]:
        if self.project(name) is not None:
            raise UsageError(f"a project named {name!r} exists; `faultlens projects keys {name}` shows its keys")
        rows = self._rows("SELECT max(id) FROM projects FINAL", {})
        project_id = int(rows[0][0] or 0) + 1
        now = self._now()
        self._write("INSERT INTO projects VALUES ({id:UInt32}, {name:String}, {now:" + TIME + "})",
                    {"id": project_id, "name": name, "now": now})
        project = Project(project_id, name, aware_utc(now))
        return project, self.add_key(project, public_key)

    def projects(self) -> list[Project]:
        rows = self._rows("SELECT id, name, created_at FROM projects FINAL ORDER BY id", {})
        return [Project(int(r[0]), r[1], aware_utc(r[2])) for r in rows]

    def project(self, name: str) -> Project | None:
        return next((p for p in self.projects() if p.name == name), None)

    def add_key(self, project: Project, public_key: str) -> ProjectKey:
        now = self._now()
        self._write("INSERT INTO project_keys VALUES ({key:String}, {id:UInt32}, {now:" + TIME + "}, NULL, "
                    "{now:" + TIME + "})", {"key": public_key, "id": project.id, "now": now})
        return ProjectKey(public_key, project.id, project.name, aware_utc(now), None)

    def project_keys(self, project: Project | None = None) -> list[ProjectKey]:
        rows = self._rows(
            "SELECT k.public_key, k.project_id, p.name, k.created_at, k.revoked_at FROM project_keys AS k FINAL "
            "JOIN projects AS p FINAL ON p.id = k.project_id "
            "WHERE {id:Nullable(UInt32)} IS NULL OR k.project_id = {id:Nullable(UInt32)} "
            "ORDER BY k.created_at, k.public_key", {"id": project.id if project else None})
        return [ProjectKey(r[0], int(r[1]), r[2], aware_utc(r[3]), aware_utc(r[4])) for r in rows]

    def revoke_key(self, public_key: str) -> ProjectKey | None:
        """Revoke a key; None when no such key exists. Revoking twice keeps the first time."""
        key = next((k for k in self.project_keys() if k.public_key == public_key), None)
        if key is None:
            return None
        if key.revoked_at is None:
            now = self._now()
            self._write("INSERT INTO project_keys VALUES ({key:String}, {id:UInt32}, {created:" + TIME + "}, "
                        "{now:" + TIME + "}, {now:" + TIME + "})",
                        {"key": public_key, "id": key.project_id, "created": naive_utc(key.created_at or now),
                         "now": now})
        return next((k for k in self.project_keys() if k.public_key == public_key), None)

    def add_token(self, token_id: str, name: str | None, token_hash: str) -> ApiToken:
        now = self._now()
        self._write("INSERT INTO api_tokens VALUES ({id:String}, {name:Nullable(String)}, {hash:String}, "
                    "{now:" + TIME + "}, NULL, {now:" + TIME + "})",
                    {"id": token_id, "name": name, "hash": token_hash, "now": now})
        return ApiToken(token_id, name, token_hash, aware_utc(now), None)

    def tokens(self) -> list[ApiToken]:
        rows = self._rows("SELECT id, name, hash, created_at, revoked_at FROM api_tokens FINAL "
                          "ORDER BY created_at, id", {})
        return [ApiToken(r[0], r[1], r[2], aware_utc(r[3]), aware_utc(r[4])) for r in rows]

    def revoke_token(self, token_id: str) -> ApiToken | None:
        token = next((t for t in self.tokens() if t.id == token_id), None)
        if token is None:
            return None
        if token.revoked_at is None:
            now = self._now()
            self._write("INSERT INTO api_tokens VALUES ({id:String}, {name:Nullable(String)}, {hash:String}, "
                        "{created:" + TIME + "}, {now:" + TIME + "}, {now:" + TIME + "})",
                        {"id": token.id, "name": token.name, "hash": token.hash,
                         "created": naive_utc(token.created_at or now), "now": now})
        return next((t for t in self.tokens() if t.id == token_id), None)

    def add_user(self, name: str, password_hash: str) -> UiUser:
        if any(user.name == name for user in self.users()):
            raise UsageError(f"a user named {name!r} exists; pick another name")
        now = self._now()
        self._write("INSERT INTO ui_users VALUES ({name:String}, {hash:String}, {now:" + TIME + "})",
                    {"name": name, "hash": password_hash, "now": now})
        return UiUser(name, password_hash, aware_utc(now))

    def users(self) -> list[UiUser]:
        rows = self._rows("SELECT name, hash, created_at FROM ui_users FINAL ORDER BY name", {})
        return [UiUser(r[0], r[1], aware_utc(r[2])) for r in rows]

    def issue_states(self) -> dict[str, IssueState]:
        rows = self._rows("SELECT fingerprint, status, changed_at, resolved_at, regressed_at "
                          "FROM issue_status FINAL", {})
        return {r[0]: IssueState(r[0], r[1], aware_utc(r[2]), aware_utc(r[3]), aware_utc(r[4])) for r in rows}

    def set_issue_status(self, fingerprint: str, status: str) -> IssueState | None:
        """Set a status a person chose; None when there is no such issue."""
        if status not in ISSUE_STATUSES:
            raise UsageError(f"status {status!r} is not one of: {', '.join(ISSUE_STATUSES)}")
        if not self._rows("SELECT 1 FROM issues WHERE fingerprint = {fp:String} LIMIT 1", {"fp": fingerprint}):
            return None
        previous = self.issue_states().get(fingerprint)
        now = self._now()
        resolved = now if status == "resolved" else (naive_utc(previous.resolved_at)
                                                     if previous and previous.resolved_at else None)
        regressed = naive_utc(previous.regressed_at) if previous and previous.regressed_at else None
        self._insert_state(fingerprint, status, now, resolved, regressed)
        return self.issue_states().get(fingerprint)

    def mark_regressed(self, times: dict[str, datetime]) -> None:
        """Remember when resolved issues came back (fingerprint → the event's time)."""
        states = self.issue_states()
        for fingerprint, moment in times.items():
            state = states.get(fingerprint)
            if state is not None:
                self._insert_state(fingerprint, state.status, naive_utc(state.changed_at or datetime.now(UTC)),
                                   naive_utc(state.resolved_at) if state.resolved_at else None, naive_utc(moment))

    def _insert_state(self, fingerprint: str, status: str, changed: datetime, resolved: datetime | None,
                      regressed: datetime | None) -> None:
        self._write("INSERT INTO issue_status VALUES ({fp:String}, {status:String}, {changed:" + TIME + "}, "
                    "{resolved:Nullable(" + TIME + ")}, {regressed:Nullable(" + TIME + ")}, {now:" + TIME + "})",
                    {"fp": fingerprint, "status": status, "changed": changed, "resolved": resolved,
                     "regressed": regressed, "now": self._now()})

    def _rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        try:
            return list(self.client.query(sql, parameters=params).result_rows)
        except self._errors as exc:
            raise StoreError(f"cannot read the server's tables: {exc}", path=self.path) from None

    def _write(self, sql: str, params: dict[str, Any]) -> None:
        try:
            self.client.command(sql, parameters=params)
        except self._errors as exc:
            raise StoreError(f"cannot write the server's tables: {exc}", path=self.path) from None
