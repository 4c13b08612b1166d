"""`faultlens serve`: take events from SDKs, OTLP exporters and log shippers, and answer the API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faultlens.commands import app, err
from faultlens.config import load_config
from faultlens.errors import UsageError
from faultlens.server.config import server_config


@app.command()
def serve(
    db: Annotated[str | None, typer.Option("--db", help="The store the server owns (default: [server] db, else "
                                           ".faultlens/faultlens.duckdb).")] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 8000).")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Settings file (default: faultlens.toml in the working directory, if any).")] = None,
    log_level: Annotated[str, typer.Option(help="Server log level: debug (with a line per request), info, warning, "
                                           "error.")] = "info",
) -> None:
    """Serve Sentry's ingest API, OTLP/HTTP, JSON log ingest and the issues API over one store.

    The server holds the store while it runs: `analyze`, `query`, `projects` and `tokens` on the
    same --db must wait until it stops; the API serves what they would read.
    """
    import uvicorn

    from faultlens.server.app import create_app
    from faultlens.server.gc_tuning import tune_collector

    if log_level not in ("debug", "info", "warning", "error"):
        raise UsageError(f"--log-level {log_level!r} is not one of: debug, info, warning, error")
    settings = server_config(load_config(config), db=db, host=host, port=port)
    application = create_app(settings)
    tune_collector()
    err.print(f"faultlens serving {settings.db} at {settings.base_url} (the store is locked until it stops; "
              "`faultlens projects create NAME` prints a DSN when it is stopped)", highlight=False, soft_wrap=True)
    uvicorn.run(application, host=settings.host, port=settings.port, log_level=log_level, lifespan="on",
                access_log=log_level == "debug",
                server_header=False)
