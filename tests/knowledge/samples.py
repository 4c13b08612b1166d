"""Turning a catalogue sample into the Evidence the pipeline would build for it."""

from __future__ import annotations

from datetime import UTC, datetime

from faultlens.knowledge import Evidence, Pattern
from faultlens.model import Event, Source
from faultlens.stacktrace import parse_trace


def event_from_text(text: str, **fields: object) -> Event:
    """A trace becomes its exception chain (its first line the message); anything else is a log message."""
    trace = parse_trace(text)
    event = Event(id="sample", timestamp=datetime(2026, 1, 1, tzinfo=UTC), level="error",
                  message=text, source=Source(path="sample"))
    if trace is not None and trace.exceptions:
        event.exceptions = trace.exceptions
        event.platform = trace.language
        event.stacktrace = text
        event.message = next((line for line in text.splitlines() if line.strip()), "")
    for key, value in fields.items():
        setattr(event, key, value)
    return event


def sample_evidence(pattern: Pattern) -> Evidence:
    return Evidence.from_event(event_from_text(pattern.sample.text, **pattern.sample.fields))
