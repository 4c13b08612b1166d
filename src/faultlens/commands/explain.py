"""`faultlens explain`: read a pasted stack trace as a senior engineer would."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from faultlens.commands import app, read_text, warn
from faultlens.config import load_config
from faultlens.errors import UsageError
from faultlens.grouping.fingerprint import Fingerprinter
from faultlens.model import Event, Source
from faultlens.stacktrace import ParsedTrace, find_traces
from faultlens.stacktrace.explain import explain_trace
from faultlens.stacktrace.render import render_explanation
from faultlens.stacktrace.sourcemaps import SourceMapResolver


@app.command()
def explain(
    source: Annotated[str, typer.Argument(help="A file holding a stack trace or a log excerpt, or - for stdin.")] = "-",
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    app_package: Annotated[list[str] | None, typer.Option(
        "--app-package", help="Module or path prefix of your own code (repeatable).")] = None,
    sourcemaps: Annotated[Path | None, typer.Option(
        "--sourcemaps", help="Folder of source maps and minified bundles: JavaScript frames are shown "
        "at their original file, line and function.")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Settings file (default: faultlens.toml in the working directory, if any).")] = None,
) -> None:
    """Read a pasted stack trace: the error, where it was raised, your first frame, the call chain."""
    if output_format not in ("text", "json"):
        raise UsageError(f"--format {output_format!r} is not one of: text, json")
    resolver = SourceMapResolver(sourcemaps) if sourcemaps is not None else None
    text = read_text(source)
    settings = load_config(config)
    packages = (*settings.grouping.app_packages, *(app_package or ()))
    fingerprinter = Fingerprinter(settings.grouping)
    explanations = []
    for trace in find_traces(text):
        explanation = explain_trace(trace, packages, resolver)
        _group_as_analyze_does(explanation, trace, fingerprinter)
        explanations.append(explanation)
    for problem in resolver.problems if resolver is not None else ():
        warn(str(problem))
    if output_format == "json":
        sys.stdout.write(orjson.dumps(explanations, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        render_explanation(explanations, Console())
    if not explanations:
        raise typer.Exit(1)


def _group_as_analyze_does(explanation: dict[str, Any], trace: ParsedTrace, fingerprinter: Fingerprinter) -> None:
    """The fingerprint and its parts as `analyze` would give this trace, so the two commands agree."""
    event = Event(id="explain", timestamp=datetime.now(UTC), level="error", message="", source=Source("-"),
                  exceptions=trace.exceptions, platform=trace.language)
    fingerprinter(event)
    explanation["fingerprint"] = event.fingerprint
    explanation["grouping"] = event.grouping
