"""Credentials never reach the server's log: the access log's request paths are redacted.

SDKs may send their key in the query string (`?sentry_key=...`, as Sentry's legacy store endpoint
allows), and a request path may hold a `token=` or `password=` a client put there; uvicorn's
access log writes the path as it came. The filter below rewrites those values to `[Filtered]`
before any handler sees the line. Headers (where keys and tokens usually travel) are never logged.
"""

from __future__ import annotations

import logging

from faultlens.scrub import FILTERED, Scrubber

ACCESS_LOGGER = "uvicorn.access"
CREDENTIAL_PARAMETERS = ("sentry_key", "sentry_secret", "key", "dsn")


class RedactCredentials(logging.Filter):
    """Rewrites the values of credential-like query parameters in uvicorn's access log records."""

    def __init__(self) -> None:
        super().__init__()
        self.scrubber = Scrubber()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            args = list(record.args)
            args[2] = self.redact(record.args[2])
            record.args = tuple(args)
        return True

    def redact(self, path: str) -> str:
        where, mark, query = path.partition("?")
        if not mark:
            return path
        pairs = []
        for pair in query.split("&"):
            name, equals, _ = pair.partition("=")
            secret = equals and (name.lower() in CREDENTIAL_PARAMETERS or self.scrubber.sensitive(name))
            pairs.append(f"{name}={FILTERED}" if secret else pair)
        return f"{where}?{'&'.join(pairs)}"


def redact_access_log() -> None:
    """Install the filter once on uvicorn's access logger (uvicorn's own logging set-up keeps filters)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, RedactCredentials) for existing in logger.filters):
        logger.addFilter(RedactCredentials())
