"""The assembler: joins continuation lines (stack frames, `Caused by:`) to the record they belong to."""

from __future__ import annotations

from collections.abc import Callable

from faultlens.ingest.record import Record

MAX_EXTRA_LINES = 2000
MAX_EXTRA_BYTES = 512 * 1024
"""A record keeps at most this much continuation; the rest is counted, not kept."""

Decode = Callable[[int, str], Record | None]
"""Decode one line: a new Record, or None when the line continues the previous record."""


class Assembler:
    """Feed lines in order; get back each record once the next one has started.

    Lines that continue nothing (continuations before the first record) become records of
    their own, so no input is lost.
    """

    def __init__(self, decode: Decode, start_orphan: Callable[[int, str], Record]) -> None:
        self._decode = decode
        self._start_orphan = start_orphan
        self._current: Record | None = None

    def feed(self, line_no: int, line: str) -> Record | None:
        record = self._decode(line_no, line)
        if record is None:
            current = self._current
            if current is None:
                self._current = self._start_orphan(line_no, line)
                return None
            _append(current, line)
            return None
        done, self._current = self._current, record
        return done

    def flush(self) -> Record | None:
        done, self._current = self._current, None
        return done

    @property
    def current(self) -> Record | None:
        return self._current


def _append(record: Record, line: str) -> None:
    extra = record.extra
    if extra is None:
        extra = record.extra = []
    if len(extra) >= MAX_EXTRA_LINES or record.extra_bytes + len(line) > MAX_EXTRA_BYTES:
        record.extra_dropped += 1
        return
    extra.append(line)
    record.extra_bytes += len(line) + 1
