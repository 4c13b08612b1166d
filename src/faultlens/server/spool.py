"""The write-ahead spool: every accepted request is on disk before it is answered.

Requests are appended to segment files as framed entries (length, CRC-32, metadata, body) and
fsynced in groups: requests that arrive while one fsync runs share the next, and each is answered
only once its own bytes are synced. The writer thread reports entries as committed to the store;
a segment whose entries are all committed is deleted (or truncated, if it is the one being
written), so the spool holds only what the store does not have yet. At start-up the entries left
behind by a crash are replayed: recovery reads only each entry's frame and metadata (bodies are
read once, by the preparing process, which checks each entry's CRC and drops one that fails). A
torn last entry (the process died mid-write, before that request was answered) runs past the end
of its segment and is dropped with whatever follows.
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
    """Where an entry lies: its segment, and its frame's offset and length there.

    The writer hands tickets back once their entries are committed; the preparing process reads
    an entry's bytes by its ticket, so the server's process never holds a spooled body for long.
    """

    segment: int
    offset: int = 0
    length: int = 0


@dataclass(frozen=True, slots=True)
class Recovered:
    """An entry found at start-up: its request's id, its body's size, and its ticket."""

    id: str
    body_bytes: int
    ticket: Ticket


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

    def recover(self) -> Iterator[Recovered]:
        """The entries a previous run left uncommitted, oldest first; each must be handed back committed.

        A segment is scanned and counted before its first entry is handed out, so committing part
        of it never deletes what is still to be replayed.
        """
        for segment in self._recovered:
            path = self._path(segment)
            entries = list(scan_segment(path, segment))
            if not entries:
                path.unlink(missing_ok=True)
                continue
            with self._lock:
                self._outstanding[segment] = self._outstanding.get(segment, 0) + len(entries)
            yield from entries
        self._recovered = []

    def append(self, submissions: list[Submission]) -> list[Ticket]:
        """Write and sync entries; returns when they are on disk."""
        return self.append_frames([encode_entry(s) for s in submissions])

    def append_frames(self, frames: list[bytes]) -> list[Ticket]:
        """Write and sync entries already framed by `encode_entry`; returns when they are on disk."""
        with self._lock:
            if self._file.tell() > SEGMENT_BYTES:
                self._roll()
            offset = self._file.tell()
            self._file.write(b"".join(frames))
            self._file.flush()
            if self.fsync:
                os.fsync(self._file.fileno())
            self._outstanding[self._active] = self._outstanding.get(self._active, 0) + len(frames)
            tickets = []
            for frame in frames:
                tickets.append(Ticket(self._active, offset, len(frame)))
                offset += len(frame)
            return tickets

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
        return segment_path(self.directory, segment)


def segment_path(directory: str | Path, segment: int) -> Path:
    return Path(directory) / f"{segment:08d}.spool"


class EntryReader:
    """Reads entries back by their tickets (in the preparing process), one open file per segment."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._files: dict[int, int] = {}

    def read(self, ticket: Ticket) -> Submission:
        """The entry a ticket names; OSError if its segment is gone, ValueError if its bytes are not the entry."""
        fd = self._files.get(ticket.segment)
        if fd is None:
            fd = self._files[ticket.segment] = os.open(segment_path(self.directory, ticket.segment), os.O_RDONLY)
        entry = decode_entry(os.pread(fd, ticket.length, ticket.offset))
        if entry is None:
            raise ValueError(f"spool segment {ticket.segment} holds no whole entry at byte {ticket.offset}")
        return entry

    def close_others(self, keep: set[int]) -> None:
        """Close the files of segments not in `keep` (segments are deleted once committed)."""
        for segment in [s for s in self._files if s not in keep]:
            os.close(self._files.pop(segment))


def encode_entry(submission: Submission) -> bytes:
    meta = orjson.dumps({"id": submission.id, "kind": submission.kind, "project": submission.project,
                         "meta": submission.meta})
    crc = zlib.crc32(submission.body, zlib.crc32(meta))
    return _FRAME.pack(_MAGIC, len(meta), len(submission.body), crc) + meta + submission.body


def decode_entry(data: bytes) -> Submission | None:
    """The entry `data` holds, whole; None if it is torn, longer than its frame says, or fails its CRC."""
    if len(data) < _FRAME.size:
        return None
    magic, meta_len, body_len, crc = _FRAME.unpack_from(data)
    meta_end = _FRAME.size + meta_len
    if magic != _MAGIC or meta_end + body_len != len(data):
        return None
    meta, body = data[_FRAME.size:meta_end], data[meta_end:]
    if zlib.crc32(body, zlib.crc32(meta)) != crc:
        return None
    head = orjson.loads(meta)
    return Submission(head["id"], head["kind"], head["project"], body, head.get("meta") or {})


def scan_segment(path: Path, segment: int) -> Iterator[Recovered]:
    """Entries of one segment by their frames and metadata, bodies skipped, up to the first torn one
    (a frame that is not one, or that runs past the end of the file)."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        pos = 0
        while pos + _FRAME.size <= size:
            handle.seek(pos)
            magic, meta_len, body_len, _ = _FRAME.unpack(handle.read(_FRAME.size))
            end = pos + _FRAME.size + meta_len + body_len
            try:
                entry_id = orjson.loads(handle.read(meta_len))["id"] if magic == _MAGIC and end <= size else None
            except (orjson.JSONDecodeError, TypeError, KeyError):
                entry_id = None
            if not isinstance(entry_id, str):
                log.warning("spool %s: torn or corrupt entry at byte %d; it and the rest of the segment are dropped "
                            "(a torn last entry was never acknowledged)", path, pos)
                return
            yield Recovered(entry_id, body_len, Ticket(segment, pos, end - pos))
            pos = end
