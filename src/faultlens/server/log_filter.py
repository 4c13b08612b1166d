"""Credentials never reach the server's log: the access log's request paths are redacted.

SDKs may send their key in the query string (`?sentry_key=...`, as Sentry's legacy store endpoint
allows), and a request path may hold a `token=` or `password=` a client put there; uvicorn's
access log writes the path as it came. The filter below rewrites those values to `[Filtered]`
before any handler sees the line. Headers (where keys and tokens usually travel) are never logged.
"""

from __future__ import annotations

import logging
import re

from faultlens.scrub import FILTERED, Scrubber

ACCESS_LOGGER = "uvicorn.access"
CREDENTIAL_PARAMETERS = ("sentry_key", "sentry_secret", "key", "dsn")
_PARAMETER = re.compile(r"([?&;])([^=&;#]*)=([^&;#]*)")


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
        def value(match: re.Match[str]) -> str:
            name = match.group(2).lower()
            secret = name in CREDENTIAL_PARAMETERS or self.scrubber.sensitive(name)
            return f"{match.group(1)}{match.group(2)}={FILTERED}" if secret else match.group(0)
        return _PARAMETER.sub(value, path) if "?" in path else path


def redact_access_log() -> None:
    """Install the filter once on uvicorn's access logger (uvicorn's own logging set-up keeps filters)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, RedactCredentials) for existing in logger.filters):
        logger.addFilter(RedactCredentials())
