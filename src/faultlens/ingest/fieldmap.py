"""Where each producer puts each field: ordered candidate keys per Event field.

Keys are dotted paths into the flattened object, so `{"error": {"type": ...}}` and
`{"error.type": ...}` are found alike. The first candidate present wins; keys used are
removed, and whatever is left becomes tags and context rather than being dropped.
"""

from __future__ import annotations

from typing import Any

CANDIDATES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "@timestamp", "time", "ts", "datetime", "date", "asctime", "eventTime", "@t",
                  "receiveTimestamp", "t"),
    "level": ("level", "log.level", "severity", "levelname", "level_name", "levelName", "lvl", "loglevel",
              "log_level", "@l", "status"),
    "message": ("message", "msg", "@message", "@m", "event", "textPayload", "jsonPayload.message", "body",
                "short_message", "MESSAGE", "log", "@mt"),
    "service": ("service", "service.name", "service_name", "serviceName", "dd.service", "serviceContext.service",
                "app", "application", "app_name", "appname", "resource.labels.container_name",
                "kubernetes.container_name", "k8s.container.name", "syslog.appname"),
    "environment": ("environment", "env", "service.environment", "deployment.environment", "dd.env",
                    "deployment.environment.name"),
    "host": ("host", "hostname", "host.name", "host.hostname", "HOSTNAME", "kubernetes.pod_name", "k8s.pod.name",
             "resource.labels.pod_name", "pod"),
    "release": ("version", "release", "service.version", "dd.version", "app_version", "serviceContext.version",
                "build", "git.commit.sha"),
    "logger": ("logger", "logger_name", "log.logger", "logger.name", "loggerName", "name", "component", "module"),
    "thread": ("thread", "thread_name", "threadName", "process.thread.name", "thread.name", "tid"),
    "error.type": ("error.type", "error.kind", "error.class", "err.type", "err.name", "exception.type",
                   "exc_type", "error.name", "exception.class", "exception_class"),
    "error.message": ("error.message", "err.message", "exception.message", "error.msg", "exc_value",
                      "exception.value", "exception_message"),
    "error.stack": ("error.stack_trace", "error.stack", "err.stack", "error.stacktrace", "exception.stacktrace",
                    "exception.stack_trace", "stack_trace", "stacktrace", "stack", "exc_info", "exception",
                    "exc_text", "err", "error"),
    "fingerprint": ("error.fingerprint", "fingerprint"),
    "trace_id": ("trace_id", "traceId", "trace.id", "dd.trace_id", "otelTraceID", "logging.googleapis.com/trace",
                 "trace", "traceid", "TraceId"),
    "span_id": ("span_id", "spanId", "span.id", "dd.span_id", "otelSpanID", "logging.googleapis.com/spanId",
                "spanid", "SpanId"),
    "parent_span_id": ("parent_span_id", "parentSpanId", "parent.id", "parent_id"),
    "correlation_id": ("correlation_id", "correlationId", "correlation.id", "request_id", "requestId",
                       "request.id", "req_id", "reqId", "x_request_id", "http.request.id", "transaction.id", "mdc"),
    "user.id": ("user.id", "user_id", "userId", "usr.id", "user.name", "enduser.id", "user"),
    "user.ip": ("user.ip", "client.ip", "client.address", "source.ip", "ip", "remote_addr", "remoteAddress",
                "http.client_ip", "network.client.ip", "req.remoteAddress"),
    "session_id": ("user.session_id", "session_id", "sessionId", "session.id"),
    "http.method": ("request.method", "http.request.method", "http.method", "method", "req.method",
                    "httpRequest.requestMethod"),
    "http.path": ("request.path", "url.path", "http.path", "http.target", "http.url", "path", "req.url", "url",
                  "httpRequest.requestUrl", "request.url", "url.original"),
    "http.status_code": ("request.status_code", "http.response.status_code", "http.status_code", "status_code",
                         "res.statusCode", "statusCode", "httpRequest.status", "response.status_code",
                         "http.status"),
    "duration_ms": ("request.duration_ms", "duration_ms", "elapsed_ms", "responseTime", "response_time_ms",
                    "latency_ms", "duration"),
}

STRING_ONLY = frozenset({"status", "user", "err", "error", "exception", "log", "mdc", "trace"})
"""Candidates that also name unrelated things: taken only when they hold text (or a list of it)."""


def flatten(obj: dict[str, Any]) -> dict[str, Any]:
    """Flatten nested objects into dotted keys; lists and scalars stay values."""
    out: dict[str, Any] = {}
    _flatten_into(obj, "", out)
    return out


def _flatten_into(obj: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in obj.items():
        name = prefix + str(key)
        if isinstance(value, dict) and value:
            _flatten_into(value, name + ".", out)
        else:
            out[name] = value


def find_key(fields: dict[str, Any], name: str) -> str | None:
    """The first candidate key for `name` that holds a usable value."""
    for key in CANDIDATES[name]:
        value = fields.get(key)
        if value is None or value == "":
            continue
        if key in STRING_ONLY and not isinstance(value, str | list):
            continue
        return key
    return None


def take(fields: dict[str, Any], name: str) -> Any:
    """Remove and return the value for `name` (None if absent)."""
    key = find_key(fields, name)
    return None if key is None else fields.pop(key)


def peek(fields: dict[str, Any], name: str) -> Any:
    """Like `take` without removing: decoders use it for the level, time and message of every line."""
    key = find_key(fields, name)
    return None if key is None else fields[key]
