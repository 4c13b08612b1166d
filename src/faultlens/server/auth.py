"""Who may send and who may read: project keys for the ingest doors, API tokens for `/api/`.

The server holds its store for as long as it runs, so keys and tokens cannot change under it
(the commands that change them need the store): they are read once at start-up and kept in
memory. A token's Argon2 check runs once per token; later requests compare a SHA-256 of it.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from faultlens.server.credentials import token_id_of, token_matches
from faultlens.server.errors import ApiError
from faultlens.store.duckdb_accounts import Accounts, ApiToken, ProjectKey

if TYPE_CHECKING:
    from faultlens.store.clickhouse_accounts import ClickHouseAccounts

KEY_HEADER = "x-faultlens-key"


class Credentialed(Protocol):
    """What the checks read of a request: a Starlette Request (API, UI) or a door's IngestRequest."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def query_params(self) -> Mapping[str, str]: ...


class KeyRing:
    """Project keys by public key, projects by name and id, tokens by id."""

    def __init__(self, accounts: Accounts | ClickHouseAccounts) -> None:
        self.keys: dict[str, ProjectKey] = {key.public_key: key for key in accounts.project_keys()}
        self.projects = {project.name: project for project in accounts.projects()}
        self.project_ids = {project.id: project for project in self.projects.values()}
        self.tokens: dict[str, ApiToken] = {token.id: token for token in accounts.tokens()}
        self._verified: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def project_key(self, public_key: str | None, project_id: int | None = None) -> ProjectKey:
        """The active key named; 401 when missing or unknown, 403 when revoked."""
        if not public_key:
            raise ApiError(401, "no project key: send the DSN's key (X-Sentry-Auth sentry_key=..., "
                           "X-Faultlens-Key, or Authorization: Bearer <key>)")
        key = self.keys.get(public_key)
        if key is None:
            raise ApiError(401, "unknown project key; `faultlens projects keys NAME` lists a project's keys")
        if not key.active:
            raise ApiError(403, "this project key was revoked; use another of the project's keys",
                           code="key_revoked")
        if project_id is not None and key.project_id != project_id:
            raise ApiError(401, f"the key belongs to project {key.project_id}, not {project_id}; check the DSN")
        return key

    def token(self, request: Credentialed) -> ApiToken:
        """The API token of `Authorization: Bearer <token>`; 401 unless it is known and not revoked."""
        given = bearer(request)
        if given is None:
            raise ApiError(401, "send an API token as Authorization: Bearer <token> "
                           "(`faultlens tokens create` makes one)", headers={"WWW-Authenticate": "Bearer"})
        token_id = token_id_of(given)
        token = self.tokens.get(token_id or "")
        if token is None or token.revoked_at is not None or not self._matches(given, token):
            raise ApiError(401, "the API token is unknown or revoked; `faultlens tokens list` shows tokens",
                           headers={"WWW-Authenticate": "Bearer"})
        return token

    def ingest_key(self, request: Credentialed) -> ProjectKey:
        """The project a log or OTLP request is for: its key (X-Faultlens-Key or Bearer), or a token and
        `?project=NAME`."""
        given = request.headers.get(KEY_HEADER) or bearer(request)
        if given and token_id_of(given) is not None:
            self.token(request)
            name = request.query_params.get("project", "")
            project = self.projects.get(name)
            if project is None:
                raise ApiError(404, f"no project named {name!r}; with an API token, name the project in "
                               "?project=NAME")
            active = [k for k in self.keys.values() if k.project_id == project.id and k.active]
            if not active:
                raise ApiError(403, f"project {name!r} has no active key", code="key_revoked")
            return active[-1]
        return self.project_key(given)

    def _matches(self, given: str, token: ApiToken) -> bool:
        digest = hashlib.sha256(given.encode()).digest()
        with self._lock:
            known = self._verified.get(token.id)
        if known is not None:
            return hmac.compare_digest(known, digest)
        if not token_matches(given, token.hash):
            return False
        with self._lock:
            self._verified[token.id] = digest
        return True


def bearer(request: Credentialed) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def sentry_key(request: Credentialed, envelope_dsn: object = None) -> str | None:
    """The public key a Sentry SDK sent: X-Sentry-Auth, Authorization: Sentry, ?sentry_key, or the envelope's DSN."""
    for header in (request.headers.get("x-sentry-auth", ""), request.headers.get("authorization", "")):
        scheme, _, params = header.strip().partition(" ")
        if scheme.lower() != "sentry":
            continue
        for part in params.split(","):
            name, _, value = part.strip().partition("=")
            if name.strip() == "sentry_key" and value.strip():
                return value.strip()
    if request.query_params.get("sentry_key"):
        return request.query_params["sentry_key"]
    if isinstance(envelope_dsn, str) and envelope_dsn:
        return urlsplit(envelope_dsn).username or None
    return None
