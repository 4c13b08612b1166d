"""The Record: one decoded log entry before extraction turns it into an Event."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Record:
    """A log entry as its decoder read it.

    `fields` holds what the decoder found (header groups, or a JSON/logfmt object flattened to
    dotted keys); `extra` holds the continuation lines the assembler joined to it (stack
    frames, `Caused by:`, a multi-line message). Only records worth keeping are extracted
    further, so decoders do the least work that gives the level, time and service.
    """

    path: str
    line: int
    format: str
    message: str
    level: str | None = None
    ts_text: Any = None
    fields: dict[str, Any] = field(default_factory=dict)
    extra: list[str] | None = None
    extra_bytes: int = 0
    extra_dropped: int = 0
    header: re.Match[str] | None = None
    """A text record's header match; its groups become `fields` only if the record is kept."""

    def full_text(self) -> str:
        """The message with its continuation lines, as the producer wrote it."""
        if not self.extra:
            return self.message
        return self.message + "\n" + "\n".join(self.extra)
