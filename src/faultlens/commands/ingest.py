"""`faultlens ingest`: read inputs into the store, with worker processes, and report what was read (no analysis)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from faultlens.commands import DbOption, app, err, progress, warn
from faultlens.config import load_config
from faultlens.errors import UsageError
from faultlens.ingest.sniff import FORMAT_NAMES
from faultlens.model import LEVELS
from faultlens.parallel.run import ParallelIngestor
from faultlens.parallel.split import PIECE_BYTES
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import DEFAULT_DB, open_store


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Log files, directories, globs, or - for standard input.")],
    db: DbOption = DEFAULT_DB,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Processes that read and extract; "
                                         "1 reads in this process.")] = 1,
    piece_mb: Annotated[int, typer.Option("--piece-mb", min=1, help="Files larger than this are cut into "
                                          "ranges of about this size for the workers.")] = PIECE_BYTES >> 20,
    input_format: Annotated[str, typer.Option("--input-format", help="Input format (default: detected per "
                                              "file); see `faultlens analyze --help`.")] = "auto",
    service: Annotated[str | None, typer.Option(help="Service name for records that do not name one.")] = None,
    min_level: Annotated[str, typer.Option(help="Lowest level kept as an event.")] = "warning",
    app_package: Annotated[list[str] | None, typer.Option(
        "--app-package", help="Module or path prefix of your own code (repeatable); marks frames in-app.")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Settings file (default: faultlens.toml in the working directory, if any).")] = None,
) -> None:
    """Read logs into the store (in parallel with --workers) without writing a report; `analyze` reports on it."""
    if input_format not in FORMAT_NAMES:
        raise UsageError(f"--input-format {input_format!r} is not one of: {', '.join(FORMAT_NAMES)}")
    if min_level not in LEVELS:
        raise UsageError(f"--min-level {min_level!r} is not one of: {', '.join(LEVELS)}")
    options = IngestOptions(input_format=input_format, service=service, min_level=min_level,
                            app_packages=app_package or (), grouping=load_config(config).grouping)
    store = open_store(db)
    started = time.perf_counter()
    try:
        with progress(paths) as advance:
            ingestor = (Ingestor(store, options, progress=advance, warn=warn) if workers == 1 else
                        ParallelIngestor(store, options, workers=workers, piece_bytes=piece_mb << 20,
                                         progress=advance, warn=warn))
            try:
                stats = ingestor.run(paths)
            except KeyboardInterrupt:
                err.print(f"[yellow]interrupted: {ingestor.stats.events_new:,} new events were stored[/yellow]")
                raise typer.Exit(130) from None
        if stats.files == 0:
            raise UsageError("nothing readable was given; name log files, directories, globs or - for stdin")
        issues = store.query("totals", since=None, until=None)[0]["issues"]
    finally:
        store.close()
    elapsed = time.perf_counter() - started
    typer.echo(f"{stats.files:,} file(s), {stats.records:,} records, {stats.events:,} events "
               f"({stats.events_new:,} new), {issues:,} issues in the store; {elapsed:.1f} s, "
               f"{stats.records / max(elapsed, 1e-9):,.0f} records/s with {workers} worker(s)")
