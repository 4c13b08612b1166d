"""Fingerprints: the key that decides which events are one issue.

An explicit fingerprint from the producer wins. With a stack trace, the exception types and
the frames (module or file basename plus function, never line numbers) make the key, so the
same bug stays one issue when code moves; the in-app frames are used when any are marked.
Without a stack, the level, service and masked message do. `grouping` records which parts
were used, so users can see why two events were, or were not, grouped.
"""

from __future__ import annotations

import hashlib

from faultlens.grouping.mask import mask_message
from faultlens.model import Event
from faultlens.stacktrace.fingerprint_parts import stack_fingerprint_parts

FINGERPRINT_HEX = 16


def hash_parts(parts: list[str]) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "replace"), digest_size=FINGERPRINT_HEX // 2).hexdigest()


def message_parts(event: Event) -> list[str]:
    return [f"level:{event.level}", f"service:{event.service or ''}", f"message:{event.template or ''}"]


class Fingerprinter:
    """Sets `event.fingerprint` and `event.grouping`."""

    def __call__(self, event: Event) -> Event:
        if event.explicit_fingerprint:
            parts = [f"explicit:{event.explicit_fingerprint}"]
        elif any(exc.frames for exc in event.exceptions):
            parts = stack_fingerprint_parts(event.exceptions)
        elif event.exceptions:
            exc = event.exceptions[-1]
            parts = [f"type:{exc.type}", f"value:{mask_message(exc.value)}", f"service:{event.service or ''}"]
        else:
            parts = message_parts(event)
        event.grouping = parts
        event.fingerprint = hash_parts(parts)
        return event
