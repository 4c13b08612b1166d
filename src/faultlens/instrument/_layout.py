"""The processors that give every line the layout `faultlens analyze` reads best.

Each is a structlog processor: options in `__init__`, work in `__call__`. They run in the formatter,
after structlog's own chain or stdlib's record has been turned into an event dict, so lines from
either API come out alike.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from structlog.typing import EventDict, WrappedLogger

from faultlens.instrument._context import current_correlation_id, current_request

LAYOUT_KEYS = ("timestamp", "level", "message", "logger", "service", "environment", "host", "version",
               "correlation_id", "trace_id", "span_id", "error", "user", "request", "context")
"""Keys that stay at the top of a line, in this order; any other field a call passes is kept under `context`."""

DROPPED_KEYS = frozenset({"color_message"})
"""uvicorn's copy of its message with terminal colour codes: noise in a file."""

ERROR_LEVELS = frozenset({"error", "critical", "exception", "fatal"})
LOGGED_MARK = "__faultlens_logged__"
"""Set on an exception once a request line carried it, so a server's own report of it is dropped."""

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class ServiceFields:
    """Name the producer: service, environment, version and host, unless the call named them itself."""

    def __init__(self, service: str, environment: str | None, version: str | None, host: str) -> None:
        fields = {"service": service, "environment": environment, "version": version, "host": host}
        self._fields = {key: value for key, value in fields.items() if value}

    def __call__(self, _: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        for key, value in self._fields.items():
            event_dict.setdefault(key, value)
        return event_dict


class RequestFields:
    """The correlation id, the request and its user, and the OpenTelemetry span current when the line was written."""

    def __init__(self) -> None:
        self._current_ids = _opentelemetry_ids()

    def __call__(self, _: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        correlation = current_correlation_id()
        if correlation:
            event_dict.setdefault("correlation_id", correlation)
        if self._current_ids is not None:
            ids = self._current_ids()
            if ids is not None:
                event_dict.setdefault("trace_id", ids[0])
                event_dict.setdefault("span_id", ids[1])
        info = current_request()
        if info is None:
            return event_dict
        if event_dict.get("level") in ERROR_LEVELS:
            info.error_logged = True
        if not isinstance(event_dict.get("request"), dict):
            event_dict["request"] = info.as_fields()  # replaces a framework's request object (Django passes one)
        if info.user_id is not None:
            event_dict.setdefault("user", {"id": info.user_id})
        return event_dict


def _opentelemetry_ids() -> Callable[[], tuple[str, str] | None] | None:
    """A reader of the current span's ids in OTLP's hex, or None when opentelemetry-api is not installed."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None

    def current_ids() -> tuple[str, str] | None:
        context = trace.get_current_span().get_span_context()
        if not context.is_valid:
            return None
        return f"{context.trace_id:032x}", f"{context.span_id:016x}"

    return current_ids


def error_fields(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """An attached exception becomes `error.type`, `error.message` and `error.stack_trace`.

    A `fingerprint` the call passes becomes `error.fingerprint`; none is made up otherwise, because a
    producer's fingerprint overrides faultlens's grouping by stack, which is the better one.
    """
    exc_info = _exc_info(event_dict.pop("exc_info", None))
    fingerprint = event_dict.pop("fingerprint", None)
    if exc_info is None and fingerprint is None:
        return event_dict
    error: dict[str, Any] = {}
    if exc_info is not None:
        exc_type, exc, tb = exc_info
        error["type"] = _type_name(exc_type)
        error["message"] = str(exc)
        error["stack_trace"] = "".join(traceback.format_exception(exc_type, exc, tb)).rstrip("\n")
    if fingerprint is not None:
        error["fingerprint"] = fingerprint
    event_dict["error"] = error
    return event_dict


def _exc_info(value: Any) -> ExcInfo | None:
    if value is True:
        current = sys.exc_info()
        return None if current[1] is None else (current[0], current[1], current[2])
    if isinstance(value, BaseException):
        return type(value), value, value.__traceback__
    if isinstance(value, tuple) and len(value) == 3 and isinstance(value[1], BaseException):
        return value
    return None


def _type_name(exc_type: type[BaseException]) -> str:
    """The name Python's traceback prints: qualified by its module unless it is a builtin."""
    module = exc_type.__module__
    if module in ("builtins", "__main__"):
        return exc_type.__qualname__
    return f"{module}.{exc_type.__qualname__}"


def arrange_layout(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """The layout's keys in their order; fields outside it go under `context`, so they never shadow one."""
    extra = {key: value for key, value in event_dict.items() if key not in LAYOUT_KEYS and key not in DROPPED_KEYS}
    arranged = {key: event_dict[key] for key in LAYOUT_KEYS if key in event_dict}
    if extra:
        context = arranged.pop("context", None)
        if context is not None and not isinstance(context, dict):
            extra["value"] = context
            context = None
        arranged["context"] = {**(context or {}), **extra}
    return arranged
