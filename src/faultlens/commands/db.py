"""`faultlens db init`: create the store's tables ahead of the first run, on DuckDB or on ClickHouse."""

from __future__ import annotations

from typing import Annotated

import typer

from faultlens.commands import DbOption, app
from faultlens.errors import UsageError
from faultlens.store import DEFAULT_DB, is_clickhouse_url, open_store

db_app = typer.Typer(help="The store itself: create its tables (ClickHouse: with retention, or on a cluster).",
                     no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("init")
def init(
    db: DbOption = DEFAULT_DB,
    ttl_days: Annotated[int | None, typer.Option(
        "--ttl-days", min=1, help="ClickHouse: drop events, spans and counts older than this many days.")] = None,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", help="ClickHouse: create Replicated tables on every node of this cluster, with a "
        "Distributed table over each.")] = None,
    print_ddl: Annotated[bool, typer.Option(
        "--print-ddl", help="Print the statements instead of running them (to review or run by hand).")] = False,
) -> None:
    """Create the store's tables; tables that exist are left as they are."""
    if not is_clickhouse_url(db):
        if ttl_days is not None or cluster is not None or print_ddl:
            raise UsageError("--ttl-days, --cluster and --print-ddl apply to ClickHouse; pass "
                             "--db clickhouse://user:password@host:8123/database (see docs/clickhouse.md)")
        open_store(db).close()
        typer.echo(f"store ready: {db}")
        return
    from faultlens.store.clickhouse_schema import cluster_ddl, schema_ddl
    from faultlens.store.clickhouse_store import connect, parse_url, run_statements

    target = parse_url(db)
    statements = (cluster_ddl(target.database, cluster, ttl_days) if cluster
                  else schema_ddl(target.database, ttl_days))
    if print_ddl:
        typer.echo(";\n\n".join(statements) + ";")
        return
    client = connect(target)
    try:
        run_statements(client, target, statements)
    finally:
        client.close()
    where = f" on cluster {cluster}" if cluster else ""
    retention = f", events kept {ttl_days} days" if ttl_days else ""
    typer.echo(f"store ready: {target.describe()}{where} ({len(statements)} statements{retention})")
