"""Fingerprints: the key that decides which events are one issue.

An explicit fingerprint from the producer wins. With a stack trace, the exception types and
the frames (module or file basename plus function, never line numbers) make the key, so the
same bug stays one issue when code moves; the in-app frames are used when any are marked.
Without a stack, the level, service and masked message do. `grouping` records which parts
were used, so users can see why two events were, or were not, grouped.
"""

from __future__ import annotations

import hashlib
import posixpath

from faultlens.grouping.mask import mask_message
from faultlens.model import Event, ExceptionInfo, Frame

FINGERPRINT_HEX = 16


def hash_parts(parts: list[str]) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "replace"), digest_size=FINGERPRINT_HEX // 2).hexdigest()


def frame_key(frame: Frame) -> str | None:
    """Module (or file basename) and function: what stays the same when lines shift."""
    where = frame.module or (posixpath.basename(frame.filename.replace("\\", "/")) if frame.filename else None)
    if not where and not frame.function:
        return None
    return f"{where or '?'}:{frame.function or '?'}"


def stack_parts(exceptions: list[ExceptionInfo]) -> list[str]:
    """Each exception's type and its frames, in-app only when the chain has any in-app frame."""
    any_in_app = any(f.in_app for exc in exceptions for f in exc.frames)
    parts: list[str] = []
    for exc in exceptions:
        parts.append(f"type:{exc.type}")
        for frame in exc.frames:
            if any_in_app and not frame.in_app:
                continue
            key = frame_key(frame)
            if key:
                parts.append(f"frame:{key}")
    return parts


def message_parts(event: Event) -> list[str]:
    return [f"level:{event.level}", f"service:{event.service or ''}", f"message:{event.template or ''}"]


class Fingerprinter:
    """Sets `event.fingerprint` and `event.grouping`."""

    def __call__(self, event: Event) -> Event:
        if event.explicit_fingerprint:
            parts = [f"explicit:{event.explicit_fingerprint}"]
        elif any(exc.frames for exc in event.exceptions):
            parts = stack_parts(event.exceptions)
        elif event.exceptions:
            exc = event.exceptions[-1]
            parts = [f"type:{exc.type}", f"value:{mask_message(exc.value)}", f"service:{event.service or ''}"]
        else:
            parts = message_parts(event)
        event.grouping = parts
        event.fingerprint = hash_parts(parts)
        return event
