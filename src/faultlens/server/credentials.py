"""Project keys and API tokens: how they are made, shown and checked.

A project key is public (every app that reports to the project carries it in its DSN); it names
the project and can be revoked. An API token is a secret shown once: only its Argon2 hash is
stored. A token carries its own id (`flt_<id>_<secret>`) so checking one costs one hash, not one
per stored token.
"""

from __future__ import annotations

import secrets
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from argon2 import PasswordHasher

TOKEN_PREFIX = "flt_"


@cache
def _hasher() -> PasswordHasher:
    """OWASP's minimum Argon2id settings: tokens are long random strings, so the hash guards a leaked
    store, not a guessable password; heavier settings would only slow every first request. Imported
    when first needed, so commands that never touch a token do not load it."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def new_public_key() -> str:
    return secrets.token_hex(16)


def new_token() -> tuple[str, str]:
    """A fresh token and its id."""
    token_id = secrets.token_hex(4)
    return token_id, f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(24)}"


def token_id_of(token: str) -> str | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    token_id, sep, secret = token[len(TOKEN_PREFIX):].partition("_")
    return token_id if sep and token_id and secret else None


def hash_token(token: str) -> str:
    return _hasher().hash(token)


def token_matches(token: str, stored_hash: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored_hash, token)
    except (VerificationError, InvalidHashError):
        return False


def dsn(base_url: str, public_key: str, project_id: int) -> str:
    """`http://<public_key>@<host>:<port>/<project_id>`, the form every Sentry SDK reads."""
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{public_key}@{parts.netloc}{path}/{project_id}"
