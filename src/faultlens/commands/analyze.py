"""`faultlens analyze`: read logs, group, classify and trend their errors, and write the report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from faultlens.analysis.deploys import git_tag_deploys, load_marker_file
from faultlens.analysis.overview import build_report
from faultlens.commands import DbOption, OutputFormat, app, err, progress, time_option, warn
from faultlens.config import load_config
from faultlens.errors import UsageError
from faultlens.grouping.explain_grouping import render_grouping
from faultlens.ingest.sniff import FORMAT_NAMES
from faultlens.model import LEVELS, Report
from faultlens.report import RENDERERS
from faultlens.report.terminal import render_terminal
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import DEFAULT_DB, Store, open_store


@app.command()
def analyze(
    paths: Annotated[list[str], typer.Argument(help="Log files, directories, globs, or - for standard input.")],
    db: DbOption = DEFAULT_DB,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Report format.")] = OutputFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    input_format: Annotated[str, typer.Option(
        "--input-format", help="Input format: auto (detected per file), json, logfmt, docker, cri, text, or a "
        "text dialect such as log4j, access-log, syslog-3164.")] = "auto",
    service: Annotated[str | None, typer.Option(help="Service name for records that do not name one.")] = None,
    min_level: Annotated[str, typer.Option(help="Lowest level kept as an event: debug, info, warning, error, "
                                           "fatal.")] = "warning",
    app_package: Annotated[list[str] | None, typer.Option(
        "--app-package", help="Module or path prefix of your own code (repeatable); marks frames in-app.")] = None,
    since: Annotated[str | None, typer.Option(help="Report only events at or after this time (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Report only events at or before this time (ISO 8601).")] = None,
    limit: Annotated[int, typer.Option(help="Issues to show in the table and Markdown reports.")] = 25,
    deploys: Annotated[Path | None, typer.Option(
        "--deploys", help="Deploy markers: a CSV (service,release,time[,commit]) or JSON list.")] = None,
    repo: Annotated[Path | None, typer.Option(
        "--repo", help="A git clone of the code: its tags become deploys, and issues get suspect commits.")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Settings file (default: faultlens.toml in the working directory, if any).")] = None,
    explain_grouping: Annotated[bool, typer.Option(
        "--explain-grouping", help="After the table, print the parts of each issue's fingerprint.")] = False,
) -> None:
    """Read logs, group their errors into issues, classify and trend them, and write the deliverables."""
    if explain_grouping and output_format is not OutputFormat.table:
        raise UsageError("--explain-grouping draws on the table report; the JSON report carries each issue's "
                         "`grouping` instead")
    if input_format not in FORMAT_NAMES:
        raise UsageError(f"--input-format {input_format!r} is not one of: {', '.join(FORMAT_NAMES)}")
    if min_level not in LEVELS:
        raise UsageError(f"--min-level {min_level!r} is not one of: {', '.join(LEVELS)}")
    window = (time_option("--since", since), time_option("--until", until))
    settings = load_config(config)
    options = IngestOptions(input_format=input_format, service=service, min_level=min_level,
                            app_packages=app_package or (), grouping=settings.grouping,
                            max_decompressed_bytes=settings.max_decompressed_bytes)
    extra = load_marker_file(deploys) if deploys else []
    store = open_store(db)
    try:
        with progress(paths) as advance:
            ingestor = Ingestor(store, options, progress=advance, warn=warn)
            try:
                stats = ingestor.run(paths)
            except KeyboardInterrupt:
                err.print(f"[yellow]interrupted: {ingestor.stats.events_new:,} new events were stored[/yellow]")
                raise typer.Exit(130) from None
        if stats.files == 0:
            raise UsageError("nothing readable was given; name log files, directories, globs or - for stdin")
        if repo is not None:
            extra += git_tag_deploys(repo, list(store.query("totals")[0]["services"] or []),
                                     _releases_by_service(store))
        report = build_report(store, stats, since=window[0], until=window[1],
                              limit=None if output_format is OutputFormat.json else limit, extra_deploys=extra,
                              repo=repo)
    finally:
        store.close()
    if output_format is OutputFormat.table:
        if output is not None:
            with output.open("w", encoding="utf-8") as handle:
                _render_table(report, Console(file=handle, width=160, no_color=True), explain_grouping)
        else:
            _render_table(report, Console(), explain_grouping)
        return
    text = RENDERERS[output_format.value](report)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)




def _render_table(report: Report, console: Console, explain_grouping: bool) -> None:
    render_terminal(report, console)
    if explain_grouping and report.issues:
        render_grouping(report.issues, console)


def _releases_by_service(store: Store) -> dict[str, set[str]]:
    releases: dict[str, set[str]] = {}
    for row in store.query("release_traffic"):
        releases.setdefault(row["service"], set()).add(row["release"])
    return releases
