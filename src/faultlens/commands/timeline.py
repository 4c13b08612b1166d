"""`faultlens timeline`: one request's path across services, read straight from the inputs."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from faultlens.commands import app, warn
from faultlens.errors import FaultlensError, UsageError
from faultlens.ingest.sniff import FORMAT_NAMES
from faultlens.ingest.traces_request import ReadOptions, read_request
from faultlens.report.timeline import render_timeline_json, render_timeline_markdown, render_timeline_table
from faultlens.runner import service_from_path
from faultlens.timeline import build_timeline


class TimelineFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


@app.command()
def timeline(
    paths: Annotated[list[str], typer.Argument(help="Logs and trace exports: files, directories, globs, or -.")],
    trace_id: Annotated[str | None, typer.Option("--trace-id", help="The request's trace id (hex).")] = None,
    correlation_id: Annotated[str | None, typer.Option(
        "--correlation-id", help="The request's correlation id, as logs and span attributes carry it.")] = None,
    request_id: Annotated[str | None, typer.Option(
        "--request-id", help="The request's id (X-Request-ID); read like a correlation id.")] = None,
    output_format: Annotated[TimelineFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TimelineFormat.table),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the timeline to this file.")] = None,
    input_format: Annotated[str, typer.Option(
        "--input-format", help="Input format, as for analyze (auto: detected per file).")] = "auto",
    service: Annotated[str | None, typer.Option(help="Service name for lines that do not name one.")] = None,
) -> None:
    """Show one request across services: its spans as a waterfall, its log lines and errors, where it failed."""
    given = [(kind, value) for kind, value in (("trace", trace_id), ("correlation", correlation_id),
                                               ("request", request_id)) if value]
    if len(given) != 1:
        raise UsageError("give exactly one of --trace-id, --correlation-id or --request-id")
    if input_format not in FORMAT_NAMES:
        raise UsageError(f"--input-format {input_format!r} is not one of: {', '.join(FORMAT_NAMES)}")
    kind, wanted = given[0]
    options = ReadOptions(input_format=input_format, warn=warn,
                          default_service=(lambda path: service) if service else service_from_path)
    data = read_request(paths, kind, wanted.strip(), options)
    if data.files == 0:
        raise UsageError("nothing readable was given; name log files, trace exports, directories, globs or -")
    result = build_timeline(kind, wanted.strip(), [item.span for item in data.spans], data.events, data.files)
    if not result.entries:
        raise FaultlensError(f"nothing in the {data.files} input(s) carries {kind} id {wanted!r}; "
                             "check the id, or add the inputs of the other services")
    if output_format is TimelineFormat.table:
        if output is not None:
            with output.open("w", encoding="utf-8") as handle:
                render_timeline_table(result, Console(file=handle, width=160, no_color=True))
        else:
            render_timeline_table(result, Console())
        return
    text = (render_timeline_json if output_format is TimelineFormat.json else render_timeline_markdown)(result)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
