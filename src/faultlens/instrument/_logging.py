"""configure_logging: every line of a service, from stdlib logging or structlog, as one JSON object.

Both APIs end in one stdlib handler whose structlog `ProcessorFormatter` runs the layout chain and
structlog's JSONRenderer, so a line from a library's `logging.getLogger` and one from
`structlog.get_logger` are indistinguishable to `faultlens analyze`.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import IO

import structlog
from structlog.typing import Processor

from faultlens.instrument._layout import LOGGED_MARK, RequestFields, ServiceFields, arrange_layout, error_fields

SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "gunicorn", "gunicorn.error", "hypercorn.error", "waitress",
                  "werkzeug", "django", "django.server")
"""Loggers that servers and frameworks give handlers of their own: their lines are written in the layout too."""

ACCESS_LOGGERS = ("uvicorn.access", "gunicorn.access", "hypercorn.access")
"""Access logs are silenced: the middleware's request line says the same with the correlation id and user."""


class DropRelogged(logging.Filter):
    """Drop a server's second report of an exception that a request line has already carried."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (exc is not None and getattr(exc, LOGGED_MARK, False))


def configure_logging(service: str, *, environment: str | None = None, version: str | None = None,
                      level: int | str = logging.INFO, stream: IO[str] | None = None,
                      host: str | None = None) -> logging.Handler:
    """Write every log line of this process as one JSON object per line, to `stream` (stdout by default).

    Replaces the root logger's handlers and takes over the server loggers named in SERVER_LOGGERS;
    configures structlog to log through the same handler. Returns the handler.
    """
    pre_chain: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*pre_chain, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            ServiceFields(service, environment, version, host or socket.gethostname()),
            RequestFields(),
            error_fields,
            structlog.processors.EventRenamer("message"),
            arrange_layout,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(DropRelogged())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    for name in ACCESS_LOGGERS:
        logging.getLogger(name).disabled = True
    structlog.configure(
        processors=[*pre_chain, structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return handler
