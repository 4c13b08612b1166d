"""`faultlens templates`: the template miner's benchmark contract, one template line per input line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from faultlens.commands import app
from faultlens.grouping.miner_cli import write_templates
from faultlens.ingest.sources import InputRef, LineReader, open_input


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
