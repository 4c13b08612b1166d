"""The enrich stage: a chain of small callables, each `Event -> Event`.

Options go to constructors, the per-event work to `__call__`. `default_chain()` is the one
list of enrichers every door (CLI, server) runs; docs/pipeline.md describes it and must
change with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from faultlens.grouping.fingerprint import Fingerprinter
from faultlens.grouping.mask import mask_message
from faultlens.model import Event, Frame
from faultlens.stacktrace import mark_in_app

Enricher = Callable[[Event], Event]


class InAppMarker:
    """Mark application frames, with the user's `--app-package` prefixes winning over the defaults."""

    def __init__(self, app_packages: Sequence[str] = ()) -> None:
        self.app_packages = tuple(app_packages)

    def __call__(self, event: Event) -> Event:
        if event.exceptions:
            mark_in_app(event.exceptions, event.platform or "", self.app_packages)
        return event


class Templater:
    """The message with its variables masked: the part of the fingerprint a message without a stack gives."""

    def __call__(self, event: Event) -> Event:
        first_line = event.message.split("\n", 1)[0]
        event.template = mask_message(first_line[:2000])
        return event


class Titler:
    """The issue title (`Type: message` or the message) and the culprit (where the app raised it)."""

    def __init__(self, max_length: int = 200) -> None:
        self.max_length = max_length

    def __call__(self, event: Event) -> Event:
        exc = event.primary_exception
        if exc is not None:
            value = exc.value.split("\n", 1)[0]
            title = f"{exc.type}: {value}" if value else exc.type
            event.culprit = _culprit(exc.frames)
        else:
            title = event.message.split("\n", 1)[0]
        event.title = title if len(title) <= self.max_length else title[: self.max_length - 1] + "…"
        return event


def _culprit(frames: list[Frame]) -> str | None:
    """The frame an engineer opens first: the deepest application frame, else the raising frame."""
    chosen = next((f for f in reversed(frames) if f.in_app), frames[-1] if frames else None)
    if chosen is None:
        return None
    where = chosen.module or chosen.filename or "?"
    return f"{where} in {chosen.function}" if chosen.function else where


def default_chain(app_packages: Sequence[str] = ()) -> list[Enricher]:
    return [InAppMarker(app_packages), Templater(), Fingerprinter(), Titler()]


def run_chain(chain: list[Enricher], event: Event) -> Event:
    for enricher in chain:
        event = enricher(event)
    return event
