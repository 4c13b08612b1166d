"""Sentry's event protocol turned into faultlens's model: events, transactions (spans) and logs.

Field names in the model already follow Sentry's, so this is mostly placing: `exception.values`
are oldest first and their frames caller first, as ours; `user`, `request`, `contexts`, `tags`,
`breadcrumbs` and `extra` land in their fields or are kept in context. Nothing here touches the
store: the writer thread runs the results through the same enrich chain as a log file's events.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from faultlens.ingest.decode_json import decode_json_object
from faultlens.ingest.levels import normalize_level
from faultlens.ingest.record import Record
from faultlens.ingest.traces import SpanRecord
from faultlens.model import Event, ExceptionInfo, Frame, Source, Span
from faultlens.times import parse_timestamp

MAX_TAG_LENGTH = 200
MAX_BREADCRUMBS = 100
PLATFORMS = {"node": "javascript", "csharp": "dotnet", "cocoa": "swift", "objc": "native", "c": "native"}
"""Sentry's platform names where they differ from the stack-trace modules' names."""
RELATIONS = {"__cause__": "cause", "__context__": "context", "cause": "cause", "context": "context"}
_CONTEXT_KEYS = ("contexts", "extra", "modules", "sdk", "request", "transaction", "dist")


def event_from_sentry(payload: dict[str, Any], project: str, source: str, received_at: datetime,
                      fallback_id: str, client_ip: str | None = None) -> Event:
    """One Sentry error or message event; `fallback_id` names it when the SDK gave no event_id, and
    `client_ip` is the sender's address, which `{{auto}}` user IPs stand for."""
    exceptions = [exc for exc in map(_exception, _values(payload.get("exception"))) if exc is not None]
    for exc in exceptions[:-1]:
        exc.relation = exc.relation or "cause"
    if exceptions:
        exceptions[-1].relation = None
    message = _message(payload)
    if not message and exceptions:
        last = exceptions[-1]
        message = f"{last.type}: {last.value}" if last.value else last.type
    tags = _tags(payload.get("tags"))
    contexts = _dict(payload.get("contexts"))
    trace = _dict(contexts.get("trace"))
    user = _dict(payload.get("user"))
    request = _dict(payload.get("request"))
    response = _dict(contexts.get("response"))
    platform = _str(payload.get("platform"))
    event = Event(
        id=_event_id(payload.get("event_id")) or fallback_id,
        timestamp=parse_timestamp(payload.get("timestamp")) or received_at,
        level=normalize_level(payload.get("level")) or ("error" if exceptions else "info"),
        message=message,
        source=Source(source),
        service=tags.pop("service", None) or project,
        environment=_str(payload.get("environment")),
        host=_str(payload.get("server_name")),
        release=_str(payload.get("release")),
        logger=_str(payload.get("logger")),
        platform=PLATFORMS.get(platform or "", platform),
        project=project,
        exceptions=exceptions,
        trace_id=_str(trace.get("trace_id")),
        span_id=_str(trace.get("span_id")),
        parent_span_id=_str(trace.get("parent_span_id")),
        user_id=_str(user.get("id") or user.get("username") or user.get("email")),
        user_ip=client_ip if user.get("ip_address") == "{{auto}}" else _str(user.get("ip_address")),
        session_id=_str(user.get("session_id")),
        http_method=_str(request.get("method")),
        http_path=_path(request.get("url")),
        http_status=_int(response.get("status_code")),
        explicit_fingerprint=_fingerprint(payload.get("fingerprint")),
        tags=tags,
    )
    for key in _CONTEXT_KEYS:
        value = payload.get(key)
        if value:
            event.context[key] = value
    if user:
        event.context["user"] = user
    crumbs = _values(payload.get("breadcrumbs"))
    if crumbs:
        event.context["breadcrumbs"] = crumbs[-MAX_BREADCRUMBS:]
    return event


def spans_from_transaction(payload: dict[str, Any], project: str, source: str) -> list[SpanRecord]:
    """A transaction's root span and child spans; a failed one becomes an error event in the runner."""
    contexts = _dict(payload.get("contexts"))
    trace = _dict(contexts.get("trace"))
    tags = _tags(payload.get("tags"))
    service = tags.get("service") or project
    resource = {"service.name": service, "service.version": payload.get("release"),
                "host.name": payload.get("server_name"),
                "deployment.environment.name": payload.get("environment")}
    resource = {key: value for key, value in resource.items() if value}
    root = dict(trace)
    root.update({"description": payload.get("transaction"), "start_timestamp": payload.get("start_timestamp"),
                 "timestamp": payload.get("timestamp"), "data": {**_dict(trace.get("data")), **tags}})
    spans = [root, *(span for span in payload.get("spans") or [] if isinstance(span, dict))]
    records = []
    for number, span in enumerate(spans, start=1):
        built = _span(span, str(trace.get("trace_id") or ""), service, root=number == 1)
        if built is not None:
            records.append(SpanRecord(source, number, built, [], resource, "sentry"))
    return records


def records_from_logs(payload: dict[str, Any], source: str) -> list[Record]:
    """The records of a `log` item (`{"items": [...]}`), each decoded as a JSON log line would be."""
    records = []
    for number, item in enumerate(payload.get("items") or [], start=1):
        if not isinstance(item, dict):
            continue
        line: dict[str, Any] = {}
        for key, value in _dict(item.get("attributes")).items():
            line[key] = value.get("value") if isinstance(value, dict) and "value" in value else value
        line.update({"timestamp": item.get("timestamp"), "level": item.get("level"), "message": item.get("body"),
                     "trace_id": item.get("trace_id")})
        line = {key: value for key, value in line.items() if value is not None}
        if "sentry.release" in line:
            line.setdefault("release", line.pop("sentry.release"))
        if "sentry.environment" in line:
            line.setdefault("environment", line.pop("sentry.environment"))
        records.append(decode_json_object(source, number, line, "sentry-log"))
    return records


def _span(obj: dict[str, Any], trace_id: str, service: str, root: bool) -> Span | None:
    span_id = _str(obj.get("span_id"))
    start = parse_timestamp(obj.get("start_timestamp"))
    trace = _str(obj.get("trace_id")) or trace_id
    if not span_id or start is None or not trace:
        return None
    status = _str(obj.get("status"))
    data = _dict(obj.get("data"))
    attributes = {**data, **_tags(obj.get("tags"))}
    if obj.get("op"):
        attributes["sentry.op"] = obj["op"]
    if status:
        attributes["sentry.status"] = status  # a code word (internal_error), kept out of the title
    op = str(obj.get("op") or "")
    return Span(trace_id=trace, span_id=span_id, name=str(obj.get("description") or op or "span"), start=start,
                end=parse_timestamp(obj.get("timestamp")) or start, service=service,
                parent_span_id=_str(obj.get("parent_span_id")),
                kind="server" if root and op.startswith("http.server") else "client" if op.startswith("http.client")
                else None,
                status=None if status is None else "ok" if status == "ok" else "error", attributes=attributes)


def _exception(value: Any) -> ExceptionInfo | None:
    if not isinstance(value, dict):
        return None
    mechanism = _dict(value.get("mechanism"))
    stacktrace = _dict(value.get("stacktrace"))
    frames = [_frame(frame) for frame in stacktrace.get("frames") or [] if isinstance(frame, dict)]
    source = str(mechanism.get("source") or "")
    relation = RELATIONS.get(source) or ("group" if source.startswith("exceptions[") else None)
    handled = mechanism.get("handled")
    return ExceptionInfo(type=str(value.get("type") or "Error"), value=str(value.get("value") or ""),
                         module=_str(value.get("module")), handled=handled if isinstance(handled, bool) else None,
                         frames=frames, relation=relation)


def _frame(obj: dict[str, Any]) -> Frame:
    in_app = obj.get("in_app")
    return Frame(function=_str(obj.get("function")), module=_str(obj.get("module")),
                 filename=_str(obj.get("filename")), abs_path=_str(obj.get("abs_path")),
                 lineno=_int(obj.get("lineno")), colno=_int(obj.get("colno")),
                 in_app=in_app if isinstance(in_app, bool) else None, context_line=_str(obj.get("context_line")))


def _message(payload: dict[str, Any]) -> str:
    for key in ("logentry", "message"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict):
            text = value.get("formatted") or value.get("message")
            if isinstance(text, str) and text:
                params = value.get("params")
                if not value.get("formatted") and isinstance(params, list) and "%" in text:
                    try:
                        return text % tuple(params)
                    except (TypeError, ValueError):
                        return text
                return text
    return ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _values(value: Any) -> list[Any]:
    """Sentry writes interfaces as `{"values": [...]}` or, in older SDKs, as the bare list."""
    if isinstance(value, dict):
        value = value.get("values")
    return list(value) if isinstance(value, list) else []


def _tags(value: Any) -> dict[str, str]:
    pairs = value.items() if isinstance(value, dict) else (
        tuple(pair) for pair in value if isinstance(pair, list | tuple) and len(pair) == 2) if isinstance(
        value, list) else ()
    return {str(k): str(v)[:MAX_TAG_LENGTH] for k, v in pairs if v is not None}


def _fingerprint(value: Any) -> str | None:
    """An SDK's fingerprint; one that only asks for the default grouping is no fingerprint at all."""
    if not isinstance(value, list) or not value:
        return None
    parts = [str(part) for part in value]
    if parts == ["{{ default }}"] or parts == ["{{default}}"]:
        return None
    return "/".join(parts)


def _event_id(value: Any) -> str | None:
    text = _str(value)
    return text.replace("-", "").lower() if text else None


def _path(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    return urlsplit(url).path or "/"


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def stable_id(*parts: object) -> str:
    """An id from what a submission was (its id and an item's place), the same when a spool is replayed."""
    return hashlib.blake2b("\0".join(str(p) for p in parts).encode(), digest_size=16).hexdigest()
