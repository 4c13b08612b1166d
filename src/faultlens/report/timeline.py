"""Draw a request's Timeline: a Rich table with waterfall bars, Markdown, or JSON (docs/traces.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from faultlens.timeline import Timeline, TimelineEntry, TimelineSpan

SCHEMA = "faultlens.timeline/1"
BAR_WIDTH = 32
LEVEL_STYLES = {"debug": "dim", "info": "dim", "warning": "yellow", "error": "red", "fatal": "bold red"}


def render_timeline_table(timeline: Timeline, console: Console) -> None:
    """The waterfall: each span's bar placed at its start offset and as long as its duration."""
    console.print(Text(f"{timeline.id_kind} id {timeline.request_id}", style="bold"))
    console.print(timeline.summary, highlight=False, soft_wrap=True)
    if not timeline.entries:
        return
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("+ms", justify="right")
    table.add_column("duration", justify="right")
    table.add_column("service")
    table.add_column("span / line", overflow="fold", ratio=1)
    table.add_column("waterfall", no_wrap=True, width=BAR_WIDTH)
    for entry in timeline.entries:
        style = _style(entry)
        indent = "  " * entry.depth
        marker = {"span": "▸ ", "error": "✖ ", "log": "· "}[entry.kind]
        table.add_row(
            f"{entry.offset_ms:,.1f}",
            f"{entry.duration_ms:,.1f}" if entry.duration_ms is not None else "",
            entry.service or "",
            Text(indent + marker + entry.text, style=style),
            _bar(entry, timeline.duration_ms, style),
        )
    console.print(table)
    failing = timeline.failing_span
    if failing is not None:
        console.print(Text(f"failing span: {failing.name} in {failing.service or '?'} "
                           f"at +{failing.offset_ms:,.1f} ms" + (f" — {failing.status_message}"
                                                                  if failing.status_message else ""), style="red"))
    if timeline.first_error is not None:
        first = timeline.first_error
        console.print(Text(f"errors began in {timeline.origin_service or first.service or '?'}: "
                           f"first error at +{first.offset_ms:,.1f} ms in {first.service or '?'}: {first.text}",
                           style="red"), soft_wrap=True)


def _bar(entry: TimelineEntry, total_ms: float, style: str) -> Text:
    scale = BAR_WIDTH / total_ms if total_ms > 0 else 0.0
    start = min(BAR_WIDTH - 1, int(entry.offset_ms * scale))
    if entry.kind != "span":
        return Text(" " * start + "◆", style=style)
    length = max(1, min(BAR_WIDTH - start, round((entry.duration_ms or 0.0) * scale)))
    return Text(" " * start + "█" * length, style=style or "cyan")


def _style(entry: TimelineEntry) -> str:
    if entry.kind == "span":
        return "red" if entry.failed else ""
    return LEVEL_STYLES.get(entry.level or "info", "")


def render_timeline_markdown(timeline: Timeline) -> str:
    lines = [f"# Timeline of {timeline.id_kind} id `{timeline.request_id}`", "", timeline.summary, ""]
    failing = timeline.failing_span
    if failing is not None:
        lines.append(f"- **Failing span:** `{_md(failing.name)}` in **{_md(failing.service or '?')}** at "
                     f"+{failing.offset_ms:,.1f} ms" + (f" — {_md(failing.status_message)}"
                                                        if failing.status_message else ""))
    if timeline.first_error is not None:
        first = timeline.first_error
        lines.append(f"- **Errors began in:** {_md(timeline.origin_service or first.service or '?')}; first error at "
                     f"+{first.offset_ms:,.1f} ms in {_md(first.service or '?')}: {_md(first.text)}")
    if timeline.trace_ids:
        lines.append("- **Traces:** " + ", ".join(f"`{t}`" for t in timeline.trace_ids))
    if timeline.entries:
        lines += ["", "| + ms | duration ms | service | span / line |", "|---:|---:|---|---|"]
        for entry in timeline.entries:
            text = _md(entry.text)
            if entry.kind == "span":
                text = f"`{text}`" if not entry.failed else f"**`{text}`** ✖"
            elif entry.kind == "error":
                text = f"**{entry.level}**: {text}"
            else:
                text = f"{entry.level}: {text}"
            duration = f"{entry.duration_ms:,.1f}" if entry.duration_ms is not None else ""
            lines.append(f"| {entry.offset_ms:,.1f} | {duration} | {_md(entry.service or '')} | "
                         f"{'&nbsp;&nbsp;' * entry.depth}{text} |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def timeline_json(timeline: Timeline) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "request": {"kind": timeline.id_kind, "id": timeline.request_id},
        "trace_ids": timeline.trace_ids,
        "start": _time(timeline.start),
        "end": _time(timeline.end),
        "duration_ms": timeline.duration_ms,
        "services": timeline.services,
        "summary": timeline.summary,
        "failing_span": _span_json(timeline.failing_span) if timeline.failing_span else None,
        "failing_spans": [s.span_id for s in timeline.failing_spans],
        "errors_began": {
            "service": timeline.origin_service,
            "first_error": _entry_json(timeline.first_error) if timeline.first_error else None,
        },
        "counts": {"spans": len(timeline.spans), "logs": timeline.logs, "errors": timeline.errors,
                   "files": timeline.files},
        "spans": [_span_json(span) for span in timeline.spans],
        "entries": [_entry_json(entry) for entry in timeline.entries],
    }


def render_timeline_json(timeline: Timeline) -> str:
    return orjson.dumps(timeline_json(timeline), option=orjson.OPT_INDENT_2).decode() + "\n"


def _span_json(span: TimelineSpan) -> dict[str, Any]:
    return {
        "trace_id": span.trace_id, "span_id": span.span_id, "parent_span_id": span.parent_span_id,
        "service": span.service, "name": span.name, "kind": span.kind, "start": _time(span.start),
        "end": _time(span.end), "offset_ms": span.offset_ms, "duration_ms": span.duration_ms, "depth": span.depth,
        "status": span.status, "status_message": span.status_message, "failed": span.failed, "http": span.http,
    }


def _entry_json(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind, "time": _time(entry.time), "offset_ms": entry.offset_ms, "depth": entry.depth,
        "service": entry.service, "text": entry.text, "level": entry.level, "span_id": entry.span_id,
        "duration_ms": entry.duration_ms, "failed": entry.failed, "source": entry.source,
        "exception_type": entry.exception_type,
    }


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
