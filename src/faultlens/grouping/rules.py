"""User grouping rules: which frames are the application's, which to leave out, and fingerprints by hand.

Rules arrive already validated (``faultlens.config`` reads them from ``faultlens.toml``); here they
are compiled once, so matching an event costs a few precompiled regex searches. Globs follow
``fnmatch``: ``*`` matches any text, ``/`` and ``.`` included, ``?`` one character, ``[abc]`` a set.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from faultlens.model import Event, ExceptionInfo, Frame
from faultlens.scrub import ScrubRules

PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[^{}]+)?)\}")
EVENT_FIELDS = ("service", "environment", "host", "release", "level", "logger", "platform", "type", "message")
"""Fields a fingerprint rule may write into its parts as ``{field}``; ``{tags.KEY}`` reads a tag."""


def compile_glob(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern))


@dataclass(frozen=True, slots=True)
class StackRule:
    """Frames matching every given glob are marked in-app or not, or left out of fingerprints."""

    path: str | None = None
    module: str | None = None
    function: str | None = None
    in_app: bool | None = None
    ignore: bool = False
    _matchers: tuple[tuple[str, re.Pattern[str]], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        matchers = tuple((name, compile_glob(glob)) for name, glob in
                         (("path", self.path), ("module", self.module), ("function", self.function)) if glob)
        object.__setattr__(self, "_matchers", matchers)

    def matches(self, frame: Frame) -> bool:
        for name, pattern in self._matchers:
            if name == "path":
                paths = [p for p in (frame.abs_path, frame.filename) if p]
                if not any(pattern.match(p) for p in paths):
                    return False
            elif not pattern.match(getattr(frame, name) or ""):
                return False
        return True


@dataclass(frozen=True, slots=True)
class FingerprintRule:
    """Events matching every given condition get a fixed fingerprint, or the default one plus parts.

    Conditions: exception ``type`` (any exception of the chain, with or without its module),
    ``message`` glob or ``message_regex`` (the message or any exception value), ``module`` and
    ``path`` (any frame), ``service``, and ``tags`` (each key's value). ``fingerprint`` and
    ``extra`` may hold ``{field}`` placeholders (:data:`EVENT_FIELDS`, ``{tags.KEY}``).
    """

    name: str
    type: str | None = None
    message: str | None = None
    message_regex: str | None = None
    module: str | None = None
    path: str | None = None
    service: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    fingerprint: str | None = None
    extra: tuple[str, ...] = ()
    _compiled: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for key in ("type", "message", "module", "path", "service"):
            glob = getattr(self, key)
            if glob is not None:
                self._compiled[key] = compile_glob(glob)
        if self.message_regex is not None:
            self._compiled["message_regex"] = re.compile(self.message_regex)
        for key, glob in self.tags:
            self._compiled[f"tags.{key}"] = compile_glob(glob)

    def matches(self, event: Event) -> bool:
        compiled = self._compiled
        if "type" in compiled and not any(compiled["type"].match(name) for name in _type_names(event.exceptions)):
            return False
        if "service" in compiled and not compiled["service"].match(event.service or ""):
            return False
        if "message" in compiled and not any(compiled["message"].match(text) for text in _messages(event)):
            return False
        if "message_regex" in compiled and not any(compiled["message_regex"].search(t) for t in _messages(event)):
            return False
        frames = [frame for exc in event.exceptions for frame in exc.frames]
        if "module" in compiled and not any(compiled["module"].match(f.module or "") for f in frames):
            return False
        if "path" in compiled and not any(compiled["path"].match(p) for f in frames
                                          for p in (f.abs_path, f.filename) if p):
            return False
        return all(compiled[f"tags.{key}"].match(event.tags.get(key, "")) for key, _ in self.tags)

    def expand(self, text: str, event: Event) -> str:
        """A fingerprint or extra part with its ``{field}`` placeholders filled from the event."""
        return PLACEHOLDER.sub(lambda match: _field_value(event, match.group(1)), text)


@dataclass(frozen=True, slots=True)
class GroupingConfig:
    """Everything users can say about grouping: their code's prefixes, frame rules, fingerprint rules; and
    what scrubbing removes first, so that no secret reaches a template or a fingerprint."""

    app_packages: tuple[str, ...] = ()
    stack_rules: tuple[StackRule, ...] = ()
    fingerprint_rules: tuple[FingerprintRule, ...] = ()
    scrub: ScrubRules = field(default_factory=ScrubRules)


def apply_stack_rules(exceptions: Sequence[ExceptionInfo], rules: Sequence[StackRule]) -> None:
    """Override `in_app` where a rule says so; later rules win, as in Sentry's stack trace rules."""
    marking = [rule for rule in rules if rule.in_app is not None]
    if not marking:
        return
    for exception in exceptions:
        for frame in exception.frames:
            for rule in marking:
                if rule.matches(frame):
                    frame.in_app = rule.in_app


def first_matching_rule(event: Event, rules: Sequence[FingerprintRule]) -> FingerprintRule | None:
    return next((rule for rule in rules if rule.matches(event)), None)


def _type_names(exceptions: Sequence[ExceptionInfo]) -> list[str]:
    names = [exc.type for exc in exceptions]
    names += [f"{exc.module}.{exc.type}" for exc in exceptions if exc.module]
    return names


def _messages(event: Event) -> list[str]:
    return [event.message, *(exc.value for exc in event.exceptions if exc.value)]


def _field_value(event: Event, name: str) -> str:
    if name.startswith("tags."):
        return event.tags.get(name[5:], "")
    if name == "type":
        return event.exceptions[-1].type if event.exceptions else ""
    if name == "message":
        return event.template or event.message.split("\n", 1)[0]
    value = getattr(event, name, None)
    return "" if value is None else str(value)
