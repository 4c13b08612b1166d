"""`faultlens users`: who may sign in to the web UI with a password (stored as an Argon2 hash)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from faultlens.commands import DbOption, app, err
from faultlens.commands.projects import print_rows, when
from faultlens.errors import UsageError
from faultlens.server.store_access import open_accounts
from faultlens.server.ui.users import MIN_PASSWORD, hash_password
from faultlens.store import DEFAULT_DB

users_app = typer.Typer(help="Users of the web UI (`faultlens serve`, /ui/). Run these while the server is "
                        "stopped: it holds the store while it runs, and reads users when it starts.",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("create")
def create(name: Annotated[str, typer.Argument(help="The name to sign in with.")],
           db: DbOption = DEFAULT_DB,
           password_stdin: Annotated[bool, typer.Option(
               "--password-stdin", help="Read the password from the first line of standard input.")] = False) -> None:
    """Create a user; the password is asked for (twice), or read with --password-stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password is shorter than {MIN_PASSWORD} characters; choose a longer one")
    if not name.strip():
        raise UsageError("the user name is empty; an empty name signs in with an API token")
    with open_accounts(db) as accounts:
        accounts.add_user(name.strip(), hash_password(password))
    err.print(f"user {name.strip()} created; it can sign in once `faultlens serve` (re)starts", highlight=False)


@users_app.command("list")
def list_users(db: DbOption = DEFAULT_DB) -> None:
    """List the users by name (never their passwords)."""
    with open_accounts(db) as accounts:
        users = accounts.users()
    rows: list[tuple[str, ...]] = [("name", "created")]
    rows += [(user.name, when(user.created_at)) for user in users]
    print_rows(rows)
