"""configure_logging end to end: what stdlib logging and structlog write, and what `faultlens analyze` reads back."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import structlog
from asgi_correlation_id.context import correlation_id
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultlens.instrument._context import RequestInfo, accepts_correlation_id, begin_request, end_request
from faultlens.instrument._layout import LAYOUT_KEYS, LOGGED_MARK


def test_stdlib_and_structlog_lines_share_one_layout(logs):
    """A stdlib line and a structlog line carry the same keys, in the same order."""
    buffer = logs("checkout", environment="staging", version="1.4.0", host="web-1")
    logging.getLogger("checkout.orders").warning("stock low for %s", "sku-2", extra={"sku": "sku-2"})
    structlog.get_logger("checkout.orders").warning("stock low for %s", "sku-2", sku="sku-2")
    stdlib_line, structlog_line = buffer.lines()
    for line in (stdlib_line, structlog_line):
        line.pop("timestamp")
    assert stdlib_line == structlog_line == {
        "level": "warning", "message": "stock low for sku-2", "logger": "checkout.orders", "service": "checkout",
        "environment": "staging", "host": "web-1", "version": "1.4.0", "context": {"sku": "sku-2"}}


def test_fields_bound_with_structlog_contextvars_reach_stdlib_lines_too(logs):
    """`structlog.contextvars.bind_contextvars` adds its fields to every line of the context, stdlib ones too."""
    buffer = logs()
    structlog.contextvars.bind_contextvars(tenant="acme")
    try:
        logging.getLogger("jobs").info("job started")
    finally:
        structlog.contextvars.clear_contextvars()
    logging.getLogger("jobs").info("job done")
    assert [line.get("context") for line in buffer.lines()] == [{"tenant": "acme"}, None]


def test_timestamps_are_utc_iso_8601(logs):
    """The time is written in UTC, ISO 8601, with microseconds and a Z."""
    buffer = logs()
    logging.getLogger("x").info("tick")
    (line,) = buffer.lines()
    assert line["timestamp"].endswith("Z") and "T" in line["timestamp"]
    assert buffer.events()[0].timestamp.tzinfo is not None


def test_an_exception_is_read_back_as_the_error(logs):
    """`logger.exception` from either API is read by faultlens as the exception chain with its frames."""
    buffer = logs("inventory")

    def lookup() -> None:
        {}["sku-404"]

    try:
        lookup()
    except KeyError:
        logging.getLogger("inventory.stock").exception("lookup failed")
        structlog.get_logger("inventory.stock").exception("lookup failed")
    for event in buffer.events():
        assert event.level == "error" and event.service == "inventory"
        assert event.exceptions[-1].type == "KeyError" and event.exceptions[-1].value == "'sku-404'"
        assert [frame.function for frame in event.exceptions[-1].frames][-1] == "lookup"


def test_level_filters_lower_lines(logs):
    """Lines below the configured level are not written."""
    buffer = logs(level="WARNING")
    logging.getLogger("x").info("quiet")
    logging.getLogger("x").warning("loud")
    assert [line["message"] for line in buffer.lines()] == ["loud"]


def test_server_loggers_write_the_layout_and_access_logs_are_silenced(logs):
    """uvicorn's error logger, which has its own handler and does not propagate, is written in the layout."""
    server = logging.getLogger("uvicorn")
    server.addHandler(logging.StreamHandler(sys.stderr))
    server.propagate = False
    buffer = logs("checkout")
    logging.getLogger("uvicorn.error").info("Application startup complete.")
    logging.getLogger("uvicorn.access").info('127.0.0.1:5000 - "GET / HTTP/1.1" 200')
    assert [(line["logger"], line["message"]) for line in buffer.lines()] == [
        ("uvicorn.error", "Application startup complete.")]


def test_an_exception_a_request_line_carried_is_not_logged_again(logs):
    """A server's own report of an exception already written with its request is dropped; others are kept."""
    buffer = logs()
    reported, fresh = RuntimeError("reported"), RuntimeError("fresh")
    setattr(reported, LOGGED_MARK, True)
    logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=reported)
    logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=fresh)
    assert [line["error"]["message"] for line in buffer.lines()] == ["fresh"]


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(str.strip)
_ids = st.from_regex(r"[A-Za-z0-9_.:/-]{6,64}", fullmatch=True)
_int64 = st.integers(-(2**63), 2**63 - 1)  # wider integers come back as floats: orjson reads JSON numbers so
_RESERVED = {*LAYOUT_KEYS, *logging.makeLogRecord({}).__dict__, "message", "asctime", "exc_info", "fingerprint",
             "stack_info", "stacklevel", "extra", "event"}
"""Names a call cannot use for a field of its own: the layout's, LogRecord's and the logging calls' arguments."""
_keys = st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True).filter(lambda key: key not in _RESERVED)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(api=st.sampled_from(["stdlib", "structlog"]), message=_text, service=_text, user=_text, correlation=_ids,
       path=_text, extra=st.dictionaries(_keys, _int64 | _text, max_size=4), error_text=_text)
def test_every_field_written_is_read_back(logs, api, message, service, user, correlation, path, extra, error_text):
    """Whatever the values, from stdlib logging or structlog, the event faultlens extracts holds each field written."""
    assert accepts_correlation_id(correlation)
    buffer = logs(service.strip(), environment="prod", version="v9")
    info = RequestInfo(method="GET", path=path, user_id=user, status_code=503, duration_ms=12.5)
    request_token, id_token = begin_request(info), correlation_id.set(correlation)
    try:
        try:
            raise ValueError(error_text)
        except ValueError:
            if api == "stdlib":
                logging.getLogger("svc.module").error("%s", message, exc_info=True, extra=extra)
            else:
                structlog.get_logger("svc.module").error(message, exc_info=True, **extra)
    finally:
        correlation_id.reset(id_token)
        end_request(request_token)
    (event,) = buffer.events()
    assert event.message == message and event.level == "error"
    assert (event.service, event.environment, event.release) == (service.strip(), "prod", "v9")
    assert event.correlation_id == correlation and event.user_id == user
    assert (event.http_method, event.http_path, event.http_status, event.duration_ms) == ("GET", path, 503, 12.5)
    assert event.exceptions[-1].type == "ValueError" and event.exceptions[-1].value == error_text
    assert event.logger == "svc.module"
    for key, value in extra.items():
        assert event.tags.get(f"context.{key}", event.context.get(f"context.{key}")) == str(value)


def test_faultlens_imports_without_the_extra_and_instrument_names_it():
    """Without structlog, faultlens itself imports and faultlens.instrument says which extra to install."""
    script = ("import sys; sys.modules['structlog'] = None\n"
              "import faultlens.cli\n"
              "try:\n    import faultlens.instrument\nexcept ImportError as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "faultlens[instrument]" in out and "structlog" in out


def test_works_without_opentelemetry_or_requests_installed():
    """With neither opentelemetry nor requests importable, lines are written, with no trace ids."""
    script = ("import sys, json, io, logging\n"
              "for name in ('opentelemetry', 'opentelemetry.trace', 'requests'):\n    sys.modules[name] = None\n"
              "from faultlens import instrument\n"
              "buffer = io.StringIO()\n"
              "instrument.configure_logging('worker', stream=buffer)\n"
              "logging.getLogger('jobs').warning('slow job')\n"
              "print(buffer.getvalue())\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    line = json.loads(out)
    assert line["service"] == "worker" and line["message"] == "slow job" and "trace_id" not in line
