"""`faultlens alerts`: alert rules for what the analysis saw, for Prometheus or Datadog."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from faultlens.analysis.alerts import build_alert_rules
from faultlens.analysis.overview import build_report
from faultlens.commands import DbOption, app, warn
from faultlens.errors import UsageError
from faultlens.model import IngestStats
from faultlens.report.alert_rules import render_datadog, render_prometheus
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import DEFAULT_DB, open_store


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
        stats = Ingestor(store, IngestOptions(), warn=warn).run(paths) if paths else IngestStats()
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
