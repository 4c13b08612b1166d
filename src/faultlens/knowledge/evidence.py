"""What the catalogue looks at: one issue's facts, flattened once so matching never walks an Event.

An issue is matched once, but a report may hold hundreds of them, so the names, texts and frame
strings the match rules read are built here a single time and kept as plain tuples.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from faultlens.model import Event, ExceptionInfo

MAX_TEXT = 4096
"""Texts are cut to this many characters: a known pattern shows near the start, and the cut bounds regex work."""

MAX_FRAMES = 64
"""Frames kept per exception, the raising end first; deep recursion repeats itself."""

_NAME_SEPARATORS = re.compile(r"::|[.\\/$]")

LANGUAGE_PLATFORMS: dict[str, str] = {"java": "jvm", "javascript": "node", "csharp": "dotnet", "c": "native",
                                      "cpp": "native", "c++": "native", "node.js": "node", "kotlin": "jvm",
                                      "scala": "jvm", "cocoa": "native"}
"""Stack-trace languages and SDK platform names that the catalogue knows under another name."""


def simple_name(type_name: str) -> str:
    """`java.net.ConnectException`, `ActiveRecord::RecordNotFound`, `App\\Error` → the last part."""
    return _NAME_SEPARATORS.split(type_name)[-1]


def is_qualified(type_name: str) -> bool:
    """Whether a type name carries its module or namespace, so it must be compared whole."""
    return _NAME_SEPARATORS.search(type_name) is not None


def platform_of(name: str | None) -> str | None:
    """The catalogue's platform name for a stack-trace language or an SDK's platform field."""
    if not name:
        return None
    lowered = name.lower()
    return LANGUAGE_PLATFORMS.get(lowered, lowered)


@dataclass(frozen=True, slots=True)
class ExceptionEvidence:
    """One exception of the chain: its names, its value, and its frames as `module function filename` lines."""

    qualified: str
    simple: str
    value: str
    frames: tuple[str, ...] = ()

    @classmethod
    def from_exception(cls, exc: ExceptionInfo) -> ExceptionEvidence:
        qualified = exc.type
        if exc.module and not qualified.startswith(exc.module):
            qualified = f"{exc.module}.{qualified}"
        frames = tuple(
            " ".join(part for part in (frame.module, frame.function, frame.filename or frame.abs_path) if part)
            for frame in reversed(exc.frames[-MAX_FRAMES:])
        )
        return cls(qualified=qualified, simple=simple_name(exc.type), value=exc.value[:MAX_TEXT], frames=frames)


@dataclass(frozen=True, slots=True)
class Evidence:
    """The facts of one issue that match rules can test.

    `exceptions` run oldest first, as in the Event; `stacktrace` is the raw trace text, if kept.
    `signals` are facts no single event shows, named by the analyzers that found them (for
    example `repeated-query-template` for N+1 queries, `status-spike` for a burst of 401s); the
    catalogue maps them to a diagnosis like any other evidence.
    """

    message: str = ""
    stacktrace: str = ""
    exceptions: tuple[ExceptionEvidence, ...] = ()
    platform: str | None = None
    http_status: int | None = None
    http_method: str | None = None
    http_path: str | None = None
    logger: str | None = None
    service: str | None = None
    signals: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_event(cls, event: Event) -> Evidence:
        return cls(
            message=event.message[:MAX_TEXT],
            stacktrace=(event.stacktrace or "")[:MAX_TEXT],
            exceptions=tuple(ExceptionEvidence.from_exception(exc) for exc in event.exceptions),
            platform=platform_of(event.platform),
            http_status=event.http_status,
            http_method=event.http_method,
            http_path=event.http_path,
            logger=event.logger,
            service=event.service,
        )

    def with_signals(self, signals: Iterable[str]) -> Evidence:
        """A copy that also carries analyzer findings."""
        return replace(self, signals=self.signals | frozenset(signals))

    @property
    def type_names(self) -> frozenset[str]:
        """Every exception's qualified and simple name: the catalogue's pre-filter key."""
        names: set[str] = set()
        for exc in self.exceptions:
            names.add(exc.qualified)
            names.add(exc.simple)
        return frozenset(names)

    @property
    def texts(self) -> tuple[str, ...]:
        """Where message rules search: the message, every exception value, then the raw trace.

        The raw trace comes last and catches lines a parser keeps out of the chain, such as
        Node's `FATAL ERROR` banner printed above a native stack.
        """
        return (self.message, *(exc.value for exc in self.exceptions), self.stacktrace)
