"""Who may sign in to the web UI: users with a password (`faultlens users create`), or anyone holding an
API token (`faultlens tokens create`).

Passwords are hashed with Argon2id at OWASP's recommended settings for password storage (19 MiB,
two passes, one lane): the settings the API tokens already use, so one hasher serves both. Like
keys and tokens, users are read when the server starts.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from faultlens.server.credentials import hash_token, token_id_of, token_matches
from faultlens.store.duckdb_accounts import Accounts, ApiToken

if TYPE_CHECKING:
    from faultlens.store.clickhouse_accounts import ClickHouseAccounts

MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    return hash_token(password)


def password_matches(password: str, stored_hash: str) -> bool:
    return token_matches(password, stored_hash)


@cache
def _absent_user_hash() -> str:
    """Checked against when the name is unknown, so the answer takes as long as for a known name."""
    return hash_password("no such user: the time spent is the point")


class UserRing:
    """Password hashes by user name, and the API tokens, as the store held them at start-up."""

    def __init__(self, accounts: Accounts | ClickHouseAccounts, tokens: dict[str, ApiToken]) -> None:
        self.passwords = {user.name: user.hash for user in accounts.users()}
        self.tokens = tokens

    def sign_in(self, name: str, secret: str) -> str | None:
        """The name to show for whoever `name` and `secret` identify; None when they do not match.

        With an empty name, `secret` is read as an API token.
        """
        if not name.strip():
            return self._token_user(secret.strip())
        stored = self.passwords.get(name)
        matched = password_matches(secret, stored or _absent_user_hash())
        return name if matched and stored is not None else None

    def _token_user(self, secret: str) -> str | None:
        token = self.tokens.get(token_id_of(secret) or "")
        if token is None or token.revoked_at is not None or not token_matches(secret, token.hash):
            return None
        return f"token {token.name or token.id}"
