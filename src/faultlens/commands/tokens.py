"""`faultlens tokens`: API tokens for the server's `/api/` (shown once, stored hashed)."""

from __future__ import annotations

from typing import Annotated

import typer

from faultlens.commands import DbOption, app, err
from faultlens.commands.projects import print_rows, when
from faultlens.errors import UsageError
from faultlens.server.credentials import hash_token, new_token
from faultlens.server.store_access import open_accounts
from faultlens.store import DEFAULT_DB

tokens_app = typer.Typer(help="API tokens (Authorization: Bearer <token>). Run these while `faultlens serve` is "
                         "stopped: the server holds the store while it runs.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")


@tokens_app.command("create")
def create(db: DbOption = DEFAULT_DB,
           name: Annotated[str | None, typer.Option("--name", help="What the token is for.")] = None) -> None:
    """Create a token and print it once; only its hash is kept."""
    token_id, token = new_token()
    with open_accounts(db) as accounts:
        accounts.add_token(token_id, name, hash_token(token))
    err.print(f"token {token_id} created; it is shown only now", highlight=False)
    typer.echo(token)


@tokens_app.command("list")
def list_tokens(db: DbOption = DEFAULT_DB) -> None:
    """List tokens by id and name (never the tokens themselves)."""
    with open_accounts(db) as accounts:
        tokens = accounts.tokens()
    rows: list[tuple[str, ...]] = [("id", "name", "created", "revoked")]
    rows += [(token.id, token.name or "-", when(token.created_at), when(token.revoked_at)) for token in tokens]
    print_rows(rows)


@tokens_app.command("revoke")
def revoke(token_id: Annotated[str, typer.Argument(help="The token's id, as `tokens list` shows it.")],
           db: DbOption = DEFAULT_DB) -> None:
    """Revoke a token: the server answers 401 to it from its next start."""
    with open_accounts(db) as accounts:
        revoked = accounts.revoke_token(token_id)
    if revoked is None:
        raise UsageError(f"no token {token_id!r}; `faultlens tokens list` shows them")
    typer.echo(f"revoked token {token_id}")
