"""The command-line application and what its commands share: the app, options, warnings and input reading.

Each command lives in its own module under `faultlens.commands` and registers itself on `app`;
`faultlens.cli` imports them all. Commands stay thin: parse options, call the pipeline, render.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from faultlens import __version__
from faultlens.errors import SourceError, UsageError
from faultlens.ingest.sources import InputRef, expand_inputs, open_input
from faultlens.store import DEFAULT_DB
from faultlens.times import parse_timestamp

app = typer.Typer(
    name="faultlens",
    help="Error analysis and resolution: group, classify and explain the errors in your logs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"faultlens {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Error analysis and resolution for the logs, traces and SDK events a team already has."""


DbOption = Annotated[str, typer.Option("--db", help=f"Store: a DuckDB file (default {DEFAULT_DB}) or :memory:, "
                                      "or ClickHouse: clickhouse://user:password@host:8123/database, chdb:///dir.")]


def time_option(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = parse_timestamp(value)
    if parsed is None:
        raise UsageError(f"{name} {value!r} is not a time; write it as ISO 8601, e.g. 2026-11-28T14:00:00Z")
    return parsed


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {message}", markup=True, highlight=False, soft_wrap=True)


@contextmanager
def progress(paths: list[str]) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for inputs of known size, only when stderr is a terminal."""
    if not err.is_terminal:
        yield None
        return
    total = sum(ref.size or 0 for ref in expand_inputs(paths) if isinstance(ref, InputRef))
    columns = (TextColumn("reading"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("read", total=total or None)
        yield lambda n: progress.advance(task, n)


def read_text(source: str) -> str:
    """A whole small input (a pasted trace, a sample) as text; compressed files are read too."""
    ref = InputRef(source)
    stream = open_input(ref)
    try:
        return stream.read().decode("utf-8", errors="replace")
    except (EOFError, OSError) as exc:  # a damaged or cut compressed file: Click would print only "Aborted."
        raise SourceError(f"cannot be read to the end ({exc}); fix or decompress it first", path=source) from None
    finally:
        if not ref.is_stdin:
            stream.close()


