"""The `faultlens` command line: every command module registers on one app; `main` runs it."""

from __future__ import annotations

import sys

from faultlens.commands import (
    alerts,
    analyze,
    app,
    db,
    err,
    explain,
    incident,
    ingest,
    projects,
    query,
    serve,
    templates,
    tokens,
    users,
)
from faultlens.commands import timeline as timeline_command
from faultlens.errors import FaultlensError

COMMANDS = (analyze, explain, templates, query, alerts, timeline_command, serve, projects,
            tokens, incident, users, db, ingest)
"""The command modules, imported for their registration on `app`; docs/cli.md documents each."""

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
