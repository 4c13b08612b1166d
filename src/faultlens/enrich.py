"""The enrich stage: a chain of small callables, each `Event -> Event`.

Options go to constructors, the per-event work to `__call__`. `default_chain()` is the one
list of enrichers every door (CLI, server) runs; docs/pipeline.md describes it and must
change with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from faultlens.grouping.fingerprint import template_source
from faultlens.grouping.miner import TemplateMiner
from faultlens.grouping.rules import StackRule, apply_stack_rules
from faultlens.grouping.session import GroupingSession
from faultlens.model import Event, Frame
from faultlens.scrub import Scrubber
from faultlens.stacktrace import mark_in_app

Enricher = Callable[[Event], Event]


class InAppMarker:
    """Mark application frames: the user's app packages win over the runtime's defaults, and the
    user's stack-trace rules over both."""

    def __init__(self, app_packages: Sequence[str] = (), rules: Sequence[StackRule] = ()) -> None:
        self.app_packages = tuple(app_packages)
        self.rules = tuple(rules)

    def __call__(self, event: Event) -> Event:
        if event.exceptions:
            mark_in_app(event.exceptions, event.platform or "", self.app_packages)
            apply_stack_rules(event.exceptions, self.rules)
        return event


class Templater:
    """The message's mined template. One miner learns from every event of a run (and, through the
    store, of earlier runs), so messages that differ only in their values share a template."""

    def __init__(self, miner: TemplateMiner | None = None) -> None:
        self.miner = miner or TemplateMiner()

    def __call__(self, event: Event) -> Event:
        event.template = self.miner.add(template_source(event)).template
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


def default_chain(grouping: GroupingSession | None = None) -> list[Enricher]:
    """The enrichers every door runs; `grouping` carries the miner, rules and keys across a run."""
    session = grouping or GroupingSession()
    config = session.config
    return [Scrubber(config.scrub), InAppMarker(config.app_packages, config.stack_rules), Templater(session.miner),
            session.fingerprinter, Titler()]


def run_chain(chain: list[Enricher], event: Event) -> Event:
    for enricher in chain:
        event = enricher(event)
    return event
