"""The `faultlens` command line. Thin: parse options, run the pipeline, render the report."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from faultlens import __version__
from faultlens.analysis.alerts import build_alert_rules
from faultlens.analysis.deploys import git_tag_deploys, load_marker_file
from faultlens.analysis.overview import build_report
from faultlens.config import load_config
from faultlens.errors import FaultlensError, UsageError
from faultlens.grouping.explain_grouping import render_grouping
from faultlens.grouping.miner_cli import write_templates
from faultlens.ingest.sniff import FORMAT_NAMES
from faultlens.ingest.sources import InputRef, LineReader, expand_inputs, open_input
from faultlens.model import LEVELS, IngestStats, Report
from faultlens.report import RENDERERS
from faultlens.report.alert_rules import render_datadog, render_prometheus
from faultlens.report.terminal import render_terminal
from faultlens.runner import IngestOptions, Ingestor
from faultlens.stacktrace.explain import explain as explain_traces
from faultlens.stacktrace.render import render_explanation
from faultlens.stacktrace.sourcemaps import SourceMapResolver
from faultlens.store import DEFAULT_DB, Store, open_store
from faultlens.store.duckdb_sql import run_sql
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


DbOption = Annotated[str, typer.Option("--db", help=f"Store: a DuckDB file (default {DEFAULT_DB}) or :memory:.")]


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
        "--repo", help="A git clone of the code: its tags become deploys.")] = None,
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
    window = (_time_option("--since", since), _time_option("--until", until))
    settings = load_config(config)
    options = IngestOptions(input_format=input_format, service=service, min_level=min_level,
                            app_packages=app_package or (), grouping=settings.grouping)
    extra = load_marker_file(deploys) if deploys else []
    store = open_store(db)
    try:
        with _progress(paths) as advance:
            ingestor = Ingestor(store, options, progress=advance, warn=_warn)
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
                              limit=None if output_format is OutputFormat.json else limit, extra_deploys=extra)
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


@app.command()
def explain(
    source: Annotated[str, typer.Argument(help="A file holding a stack trace or a log excerpt, or - for stdin.")] = "-",
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    app_package: Annotated[list[str] | None, typer.Option(
        "--app-package", help="Module or path prefix of your own code (repeatable).")] = None,
    sourcemaps: Annotated[Path | None, typer.Option(
        "--sourcemaps", help="Folder of source maps and minified bundles: JavaScript frames are shown "
        "at their original file, line and function.")] = None,
) -> None:
    """Read a pasted stack trace: the error, where it was raised, your first frame, the call chain."""
    if output_format not in ("text", "json"):
        raise UsageError(f"--format {output_format!r} is not one of: text, json")
    resolver = SourceMapResolver(sourcemaps) if sourcemaps is not None else None
    text = _read_text(source)
    explanations = explain_traces(text, app_package or (), resolver)
    for problem in resolver.problems if resolver is not None else ():
        _warn(str(problem))
    if output_format == "json":
        sys.stdout.write(orjson.dumps(explanations, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        render_explanation(explanations, Console())
    if not explanations:
        raise typer.Exit(1)


@app.command()
def templates(
    source: Annotated[str, typer.Argument(help="One log message per line, from a file or - for stdin.")] = "-",
) -> None:
    """Mine message templates: print TEMPLATE_ID<TAB>TEMPLATE for each input line, in order."""
    ref = InputRef(source)
    stream = open_input(ref)
    try:
        reader = LineReader(stream, source)
        write_templates((line for batch in reader.batches() for line in batch.lines), sys.stdout)
    finally:
        if not ref.is_stdin:
            stream.close()


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


class AlertFormat(StrEnum):
    prometheus = "prometheus"
    datadog = "datadog"


@app.command()
def alerts(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Log inputs to analyze first; without them, the store named by --db is read.")] = None,
    db: DbOption = DEFAULT_DB,
    output_format: Annotated[AlertFormat, typer.Option("--format", "-f", help="prometheus or datadog.")] = (
        AlertFormat.prometheus),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the rules to this file.")] = None,
    runbook_base: Annotated[str, typer.Option(
        help="Where the HTML report will live: runbook links point into it.")] = "faultlens-report.html",
) -> None:
    """Write alert rules for the issues and error rates seen: a Prometheus rule file or Datadog monitors."""
    if not paths and db != ":memory:" and not Path(db).exists():
        raise UsageError(f"no store at {db}; give log inputs to analyze, or run `faultlens analyze` first")
    store = open_store(db)
    try:
        stats = Ingestor(store, IngestOptions(), warn=_warn).run(paths) if paths else IngestStats()
        if paths and stats.files == 0:
            raise UsageError("nothing readable was given; name log files, directories, globs or - for stdin")
        report = build_report(store, stats, deliverable_issues=0)
        rules = build_alert_rules(report, store.query("service_minutes"), runbook_base)
    finally:
        store.close()
    text = render_prometheus(rules) if output_format is AlertFormat.prometheus else render_datadog(rules)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _render_table(report: Report, console: Console, explain_grouping: bool) -> None:
    render_terminal(report, console)
    if explain_grouping and report.issues:
        render_grouping(report.issues, console)


def _read_text(source: str) -> str:
    """A whole small input (a pasted trace, a sample) as text; compressed files are read too."""
    ref = InputRef(source)
    stream = open_input(ref)
    try:
        return stream.read().decode("utf-8", errors="replace")
    finally:
        if not ref.is_stdin:
            stream.close()


def _releases_by_service(store: Store) -> dict[str, set[str]]:
    releases: dict[str, set[str]] = {}
    for row in store.query("release_traffic"):
        releases.setdefault(row["service"], set()).add(row["release"])
    return releases


def _time_option(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = parse_timestamp(value)
    if parsed is None:
        raise UsageError(f"{name} {value!r} is not a time; write it as ISO 8601, e.g. 2026-11-28T14:00:00Z")
    return parsed


def _warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {message}", markup=True, highlight=False, soft_wrap=True)


@contextmanager
def _progress(paths: list[str]) -> Iterator[object]:
    """A progress bar on stderr for inputs of known size, only when stderr is a terminal."""
    if not err.is_terminal:
        yield None
        return
    total = sum(ref.size or 0 for ref in expand_inputs(paths) if isinstance(ref, InputRef))
    columns = (TextColumn("reading"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("read", total=total or None)
        yield lambda n: progress.advance(task, n)


def main() -> None:
    """Entry point: user errors become one red line and an exit code, never a traceback.

    Usage errors (unknown options, missing arguments) are printed by the command-line parser,
    which exits 2; real bugs keep their traceback.
    """
    try:
        app()
    except FaultlensError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
