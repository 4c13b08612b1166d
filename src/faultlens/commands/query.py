"""`faultlens query`: SQL over the store, opened read-only."""

from __future__ import annotations

import csv
import sys
from typing import Annotated

import orjson
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from faultlens.commands import DbOption, app
from faultlens.errors import UsageError
from faultlens.store import DEFAULT_DB, run_sql


@app.command()
def query(
    statement: Annotated[str, typer.Argument(help="SQL over the store's tables (see docs/queries.md).")],
    db: DbOption = DEFAULT_DB,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Run SQL over the store: events, issues, volume, deploys, spans. The store is opened read-only."""
    if output_format not in ("table", "csv", "json"):
        raise UsageError(f"--format {output_format!r} is not one of: table, csv, json")
    columns, rows = run_sql(db, statement)
    if output_format == "json":
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        sys.stdout.write(orjson.dumps(records, default=str, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif output_format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        table = Table(*columns, header_style="bold", box=box.SIMPLE_HEAD)
        for row in rows:
            table.add_row(*("" if value is None else str(value) for value in row))
        Console().print(table)
