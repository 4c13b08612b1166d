"""The write-ahead spool keeps what was accepted until it is committed, and survives a torn last write."""

from __future__ import annotations

from pathlib import Path

import pytest

from faultlens.server.spool import EntryReader, Spool, Submission, Ticket, encode_entry


def sub(n: int) -> Submission:
    return Submission(f"id{n}", "json-lines", "shop", b'{"n": %d}\n' % n, {"received_at": "2026-01-01T00:00:00+00:00"})


def test_uncommitted_entries_are_recovered_in_order(tmp_path: Path) -> None:
    """Entries not committed before a restart come back, oldest first, with their bodies."""
    spool = Spool(str(tmp_path))
    tickets = spool.append([sub(1), sub(2)])
    spool.append([sub(3)])
    spool.committed(tickets[:1])
    spool.close()
    again = Spool(str(tmp_path))
    recovered = list(again.recover())
    assert [entry.id for entry in recovered] == ["id1", "id2", "id3"]
    assert [entry.body_bytes for entry in recovered] == [len(sub(n).body) for n in (1, 2, 3)]
    assert EntryReader(str(tmp_path)).read(recovered[1].ticket) == sub(2)
    again.committed([entry.ticket for entry in recovered])
    again.close()
    assert list(Spool(str(tmp_path)).recover()) == []


def test_committed_spool_is_truncated(tmp_path: Path) -> None:
    """Once every entry is committed, the segment being written is emptied."""
    spool = Spool(str(tmp_path))
    spool.committed(spool.append([sub(1), sub(2)]))
    assert spool.pending_bytes() == 0
    spool.append([sub(3)])
    assert spool.pending_bytes() > 0


def test_torn_last_entry_is_dropped(tmp_path: Path) -> None:
    """A half-written last entry (a crash mid-write, never answered) is dropped; those before it are kept."""
    spool = Spool(str(tmp_path))
    spool.append([sub(1)])
    spool.close()
    segment = next(tmp_path.glob("*.spool"))
    with segment.open("ab") as handle:
        handle.write(encode_entry(sub(2))[:-3])
    assert [entry.id for entry in Spool(str(tmp_path)).recover()] == ["id1"]


def test_corrupt_body_fails_its_checksum_when_read_back(tmp_path: Path) -> None:
    """A flipped byte in a body is found by the one read of it (the preparer's), which refuses the entry
    rather than replaying garbage; the entries around it are unharmed."""
    spool = Spool(str(tmp_path))
    spool.append([sub(1), sub(2), sub(3)])
    spool.close()
    segment = next(tmp_path.glob("*.spool"))
    data = bytearray(segment.read_bytes())
    end_of_second = len(encode_entry(sub(1))) + len(encode_entry(sub(2)))
    data[end_of_second - 2] ^= 0xFF
    segment.write_bytes(bytes(data))
    recovered = list(Spool(str(tmp_path)).recover())
    assert [entry.id for entry in recovered] == ["id1", "id2", "id3"]
    reader = EntryReader(str(tmp_path))
    assert reader.read(recovered[0].ticket) == sub(1) and reader.read(recovered[2].ticket) == sub(3)
    with pytest.raises(ValueError):
        reader.read(recovered[1].ticket)


def test_corrupt_frame_stops_the_segment(tmp_path: Path) -> None:
    """A frame that is not one (its magic or metadata damaged) ends the segment: nothing after it can be
    found reliably, so it is not replayed as garbage."""
    spool = Spool(str(tmp_path))
    spool.append([sub(1), sub(2), sub(3)])
    spool.close()
    segment = next(tmp_path.glob("*.spool"))
    data = bytearray(segment.read_bytes())
    data[len(encode_entry(sub(1)))] ^= 0xFF
    segment.write_bytes(bytes(data))
    assert [entry.id for entry in Spool(str(tmp_path)).recover()] == ["id1"]


def test_entries_are_read_back_by_their_tickets(tmp_path: Path) -> None:
    """A ticket names its entry's segment, offset and length; the reader gets the entry whole, or refuses."""
    spool = Spool(str(tmp_path))
    first = spool.append([sub(1), sub(2)])
    second = spool.append([sub(3)])
    reader = EntryReader(str(tmp_path))
    assert [reader.read(ticket) for ticket in [*first, *second]] == [sub(1), sub(2), sub(3)]
    assert first[1].offset == first[0].offset + first[0].length and second[0].offset == first[1].offset + first[1].length
    with pytest.raises(ValueError):
        reader.read(Ticket(first[1].segment, first[1].offset + 1, first[1].length))
    with pytest.raises(ValueError):
        reader.read(Ticket(first[0].segment, first[0].offset, first[0].length - 1))
    with pytest.raises(OSError):
        reader.read(Ticket(first[0].segment + 7, 0, 10))
    spool.close()
