"""faultlens.instrument: make a Python service's logs the evidence `faultlens analyze` reads best.

    configure_logging(service=..., environment=..., version=...)   every line as one JSON object
    ASGIMiddleware / WSGIMiddleware                                 correlation ids and request lines
    instrument_httpx(client) / instrument_requests(session)         the id on outgoing calls
    bind_user(user_id)                                              the user of the current request

Needs the `instrument` extra: pip install 'faultlens[instrument]'.
"""

from __future__ import annotations

try:
    import asgi_correlation_id  # noqa: F401
    import structlog  # noqa: F401
except ImportError as missing:  # pragma: no cover - exercised in a separate interpreter by the tests
    raise ImportError(f"faultlens.instrument needs {missing.name}, which the instrument extra installs: "
                      "pip install 'faultlens[instrument]'") from missing

from faultlens.instrument._context import (
    HEADER,
    bind_user,
    correlation_headers,
    current_correlation_id,
)
from faultlens.instrument._logging import configure_logging
from faultlens.instrument.asgi import ASGIMiddleware
from faultlens.instrument.outgoing import instrument_httpx, instrument_requests
from faultlens.instrument.wsgi import WSGIMiddleware

__all__ = [
    "HEADER",
    "ASGIMiddleware",
    "WSGIMiddleware",
    "bind_user",
    "configure_logging",
    "correlation_headers",
    "current_correlation_id",
    "instrument_httpx",
    "instrument_requests",
]
