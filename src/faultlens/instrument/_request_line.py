"""One request from its start to its line: method, path, status code, duration and user, once per request.

A request that raised writes its line at error level with the exception attached, and the exception is
marked so the server's own report of it is dropped. A 5xx answered without an exception is an error
line too, unless an error was already logged during the request (Flask and Django log the exception
themselves and answer 500): one failure, one error event.
"""

from __future__ import annotations

import logging
import time

from faultlens.instrument._context import RequestInfo, begin_request, end_request
from faultlens.instrument._layout import LOGGED_MARK

logger = logging.getLogger("faultlens.request")


class RequestLine:
    """Started when a request arrives; `finish` writes its line and ends its context."""

    def __init__(self, method: str, path: str) -> None:
        self.info = RequestInfo(method=method, path=path)
        self._token = begin_request(self.info)
        self._started = time.perf_counter()

    def finish(self, status_code: int | None, exc: BaseException | None = None) -> None:
        """Write the request line; a request that never answered counts as a 500."""
        info = self.info
        code = info.status_code = status_code if status_code is not None else 500
        info.duration_ms = (time.perf_counter() - self._started) * 1000
        try:
            message = f"{info.method} {info.path} {code}"
            if exc is not None:
                logger.error(message, exc_info=exc)
                setattr(exc, LOGGED_MARK, True)
            elif code >= 500 and not info.error_logged:
                logger.error(message)
            else:
                logger.info(message)
        finally:
            end_request(self._token)

