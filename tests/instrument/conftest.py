"""configure_logging writing to a buffer, with the process's logging set-up restored after each test."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog

from faultlens.ingest.decode_json import decode_json_object, parse_json_line
from faultlens.ingest.extract import Extractor
from faultlens.instrument import configure_logging
from faultlens.instrument._logging import ACCESS_LOGGERS, SERVER_LOGGERS
from faultlens.model import Event


class LogBuffer:
    """The JSON lines configure_logging wrote since the test began."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[dict[str, Any]]:
        """The lines the service wrote; an in-process test client's own (httpx's) are left out."""
        lines = [json.loads(line) for line in self.stream.getvalue().splitlines()]
        return [line for line in lines if line.get("logger") != "httpx"]

    def events(self) -> list[Event]:
        """The lines as `faultlens analyze` reads them: JSON decoder, then extraction."""
        extract = Extractor(None, datetime(2000, 1, 1, tzinfo=UTC))
        events = []
        for number, text in enumerate(self.stream.getvalue().splitlines(), 1):
            obj = parse_json_line(text)
            assert obj is not None, text
            events.append(extract(decode_json_object("service.log", number, obj)))
        return events

    def clear(self) -> None:
        self.stream.seek(0)
        self.stream.truncate()


@pytest.fixture
def logs() -> Iterator[Callable[..., LogBuffer]]:
    """Call it with configure_logging's options; it returns the buffer the lines go to."""
    root = logging.getLogger()
    level = root.level
    taken = [logging.getLogger(name) for name in SERVER_LOGGERS + ACCESS_LOGGERS]
    saved = [(lg, lg.handlers[:], lg.propagate, lg.disabled) for lg in taken]
    handlers: list[logging.Handler] = []

    def configure(service: str = "svc", **options: Any) -> LogBuffer:
        buffer = LogBuffer()
        handlers.append(configure_logging(service, stream=buffer.stream, **options))
        return buffer

    yield configure
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(level)
    for lg, old_handlers, propagate, disabled in saved:
        lg.handlers[:] = old_handlers
        lg.propagate, lg.disabled = propagate, disabled
    structlog.reset_defaults()
