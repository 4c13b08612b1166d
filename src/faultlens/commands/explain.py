"""`faultlens explain`: read a pasted stack trace as a senior engineer would."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console

from faultlens.commands import app, read_text, warn
from faultlens.errors import UsageError
from faultlens.stacktrace.explain import explain as explain_traces
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
) -> None:
    """Read a pasted stack trace: the error, where it was raised, your first frame, the call chain."""
    if output_format not in ("text", "json"):
        raise UsageError(f"--format {output_format!r} is not one of: text, json")
    resolver = SourceMapResolver(sourcemaps) if sourcemaps is not None else None
    text = read_text(source)
    explanations = explain_traces(text, app_package or (), resolver)
    for problem in resolver.problems if resolver is not None else ():
        warn(str(problem))
    if output_format == "json":
        sys.stdout.write(orjson.dumps(explanations, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        render_explanation(explanations, Console())
    if not explanations:
        raise typer.Exit(1)
