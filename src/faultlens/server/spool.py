"""The write-ahead spool: every accepted request is on disk before it is answered.

Requests are appended to segment files as framed entries (length, CRC-32, metadata, body) and
fsynced in groups: requests that arrive while one fsync runs share the next, and each is answered
only once its own bytes are synced. The writer thread reports entries as committed to the store;
a segment whose entries are all committed is deleted (or truncated, if it is the one being
written), so the spool holds only what the store does not have yet. At start-up the entries left
behind by a crash are replayed. A torn last entry (the process died mid-write, before that
request was answered) fails its CRC and is dropped.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger("faultlens.server")

SEGMENT_BYTES = 64 * 1024 * 1024
"""A segment this large is closed and a new one begun, so a busy spool can shrink as it drains."""
_FRAME = struct.Struct("<4sIII")
_MAGIC = b"FLS1"


@dataclass(frozen=True, slots=True)
class Submission:
    """One accepted request, as the spool keeps it and the writer reads it.

    `id` is unique per request and makes the ids of what it holds stable across a replay; `kind`
    says which decoder reads `body` (already inflated); `meta` holds what the decoder needs
    besides (content type, a received time).
    """

    id: str
    kind: str
    project: str
    body: bytes
    meta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Ticket:
    """Where an entry lies: its segment. The writer hands tickets back once their entries are committed."""

    segment: int


class Spool:
    """Segment files in one directory; `append` and `committed` may be called from different threads."""

    def __init__(self, directory: str, fsync: bool = True) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self._lock = threading.Lock()
        self._outstanding: dict[int, int] = {}
        existing = self._segments()
        self._recovered = existing
        self._active = (existing[-1] + 1) if existing else 1
        self._file = self._open(self._active)

    def recover(self) -> Iterator[tuple[Submission, Ticket]]:
        """The entries a previous run left uncommitted, oldest first; each must be handed back committed.

        A segment is read whole and counted before its first entry is handed out, so committing
        part of it never deletes what is still to be replayed.
        """
        for segment in self._recovered:
            path = self._path(segment)
            entries = list(read_segment(path))
            if not entries:
                path.unlink(missing_ok=True)
                continue
            with self._lock:
                self._outstanding[segment] = self._outstanding.get(segment, 0) + len(entries)
            for submission in entries:
                yield submission, Ticket(segment)
        self._recovered = []

    def append(self, submissions: list[Submission]) -> list[Ticket]:
        """Write and sync entries; returns when they are on disk."""
        frames = [encode_entry(s) for s in submissions]
        with self._lock:
            if self._file.tell() > SEGMENT_BYTES:
                self._roll()
            self._file.write(b"".join(frames))
            self._file.flush()
            if self.fsync:
                os.fsync(self._file.fileno())
            self._outstanding[self._active] = self._outstanding.get(self._active, 0) + len(frames)
            return [Ticket(self._active)] * len(frames)

    def committed(self, tickets: list[Ticket]) -> list[int]:
        """The store holds these entries now: drop segments with nothing left uncommitted; return them."""
        with self._lock:
            for ticket in tickets:
                self._outstanding[ticket.segment] -= 1
            dropped = [s for s, n in self._outstanding.items() if n <= 0]
            for segment in dropped:
                del self._outstanding[segment]
                if segment == self._active:
                    self._file.truncate(0)
                    self._file.seek(0)
                    if self.fsync:
                        os.fsync(self._file.fileno())
                else:
                    self._path(segment).unlink(missing_ok=True)
            return dropped

    def pending_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.directory.glob("*.spool") if p.exists())

    def close(self) -> None:
        with self._lock:
            self._file.close()
            if self._file_is_empty(self._active) and self._active not in self._outstanding:
                self._path(self._active).unlink(missing_ok=True)

    def _roll(self) -> None:
        self._file.close()
        if self._active not in self._outstanding:
            self._path(self._active).unlink(missing_ok=True)
        self._active += 1
        self._file = self._open(self._active)

    def _open(self, segment: int) -> Any:
        handle = open(self._path(segment), "ab")  # noqa: SIM115 - held open for the spool's life
        if self.fsync:
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return handle

    def _file_is_empty(self, segment: int) -> bool:
        path = self._path(segment)
        return not path.exists() or path.stat().st_size == 0

    def _segments(self) -> list[int]:
        return sorted(int(p.stem) for p in self.directory.glob("*.spool") if p.stem.isdigit())

    def _path(self, segment: int) -> Path:
        return self.directory / f"{segment:08d}.spool"


def encode_entry(submission: Submission) -> bytes:
    meta = orjson.dumps({"id": submission.id, "kind": submission.kind, "project": submission.project,
                         "meta": submission.meta})
    crc = zlib.crc32(submission.body, zlib.crc32(meta))
    return _FRAME.pack(_MAGIC, len(meta), len(submission.body), crc) + meta + submission.body


def read_segment(path: Path) -> Iterator[Submission]:
    """Entries of one segment up to the first torn or corrupt one."""
    data = path.read_bytes()
    pos = 0
    while pos + _FRAME.size <= len(data):
        magic, meta_len, body_len, crc = _FRAME.unpack_from(data, pos)
        start = pos + _FRAME.size
        end = start + meta_len + body_len
        if magic != _MAGIC or end > len(data):
            log.warning("spool %s: torn entry at byte %d dropped (never acknowledged)", path, pos)
            return
        meta, body = data[start:start + meta_len], data[start + meta_len:end]
        if zlib.crc32(body, zlib.crc32(meta)) != crc:
            log.warning("spool %s: corrupt entry at byte %d; the rest of the segment is dropped", path, pos)
            return
        head = orjson.loads(meta)
        yield Submission(head["id"], head["kind"], head["project"], body, head.get("meta") or {})
        pos = end
