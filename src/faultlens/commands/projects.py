"""`faultlens projects`: the projects a server takes events for, and the keys their SDKs send with."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from faultlens.commands import DbOption, app
from faultlens.config import load_config
from faultlens.errors import UsageError
from faultlens.server.config import server_config
from faultlens.server.credentials import dsn, new_public_key
from faultlens.server.store_access import open_accounts
from faultlens.store import DEFAULT_DB

projects_app = typer.Typer(help="Projects, their DSNs and keys. Run these while `faultlens serve` is stopped: "
                           "the server holds the store while it runs.", no_args_is_help=True)
app.add_typer(projects_app, name="projects")

UrlOption = Annotated[str | None, typer.Option(
    "--url", help="How SDKs reach the server, for the DSN (default: [server] public_url, else http://HOST:PORT).")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="Settings file (default: faultlens.toml).")]
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


@projects_app.command("create")
def create(name: Annotated[str, typer.Argument(help="Project name: lowercase letters, digits, - _ .")],
           db: DbOption = DEFAULT_DB, url: UrlOption = None, config: ConfigOption = None) -> None:
    """Create a project and print its DSN (give it to the SDK's `dsn` option)."""
    if not name or not set(name) <= NAME_CHARS or len(name) > 64:
        raise UsageError(f"project name {name!r}: use 1 to 64 lowercase letters, digits, '-', '_' or '.'")
    base = _base_url(url, config)
    with open_accounts(db) as accounts:
        project, key = accounts.create_project(name, new_public_key())
    typer.echo(dsn(base, key.public_key, project.id))


@projects_app.command("list")
def list_projects(db: DbOption = DEFAULT_DB, url: UrlOption = None, config: ConfigOption = None) -> None:
    """List the projects with their ids and the DSN of their newest active key."""
    base = _base_url(url, config)
    with open_accounts(db) as accounts:
        projects, keys = accounts.projects(), accounts.project_keys()
    rows: list[tuple[str, ...]] = [("id", "name", "created", "dsn")]
    for project in projects:
        active = [k for k in keys if k.project_id == project.id and k.active]
        rows.append((str(project.id), project.name, when(project.created_at),
                     dsn(base, active[-1].public_key, project.id) if active else "(no active key)"))
    print_rows(rows)


@projects_app.command("keys")
def keys(name: Annotated[str, typer.Argument(help="Project name.")], db: DbOption = DEFAULT_DB,
         url: UrlOption = None, config: ConfigOption = None,
         new: Annotated[bool, typer.Option("--new", help="Add a key first (to rotate: add, deploy, revoke the "
                                                        "old one).")] = False) -> None:
    """List a project's keys and their DSNs, revoked ones included."""
    base = _base_url(url, config)
    with open_accounts(db) as accounts:
        project = accounts.project(name)
        if project is None:
            raise UsageError(f"no project named {name!r}; `faultlens projects list` shows them")
        if new:
            accounts.add_key(project, new_public_key())
        found = accounts.project_keys(project)
    rows: list[tuple[str, ...]] = [("key", "created", "revoked", "dsn")]
    rows += [(key.public_key, when(key.created_at), when(key.revoked_at), dsn(base, key.public_key, project.id))
             for key in found]
    print_rows(rows)


@projects_app.command("revoke-key")
def revoke_key(key: Annotated[str, typer.Argument(help="The public key (the part of the DSN before '@').")],
               db: DbOption = DEFAULT_DB) -> None:
    """Revoke a key: the server answers 403 to what is sent with it from its next start."""
    with open_accounts(db) as accounts:
        revoked = accounts.revoke_key(key)
    if revoked is None:
        raise UsageError(f"no key {key!r}; `faultlens projects keys NAME` lists a project's keys")
    typer.echo(f"revoked {key} of project {revoked.project}")


def print_rows(rows: Sequence[tuple[str, ...]]) -> None:
    """Aligned columns, never cut: keys, tokens and DSNs are copied from here."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _base_url(url: str | None, config: Path | None) -> str:
    return url.rstrip("/") if url else server_config(load_config(config)).base_url


def when(moment: object) -> str:
    """A stored time as the account commands print it; `-` for none."""
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}"
