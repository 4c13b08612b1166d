"""Sources: files, directories, globs, compression and damaged input, read in bounded memory."""

from __future__ import annotations

import gzip
import io
import os

import zstandard

from faultlens.errors import SourceError
from faultlens.ingest.sources import InputRef, LineReader, expand_inputs, open_input


def read_all(data: bytes, max_line: int = 1 << 20) -> tuple[list[str], LineReader]:
    reader = LineReader(io.BytesIO(data), "mem.log", max_line_bytes=max_line)
    lines = [line for batch in reader.batches() for line in batch.lines]
    return lines, reader


def test_lines_split_and_numbered_across_chunks(monkeypatch):
    """Lines that straddle a chunk boundary come back whole and in order."""
    monkeypatch.setattr("faultlens.ingest.sources.CHUNK_BYTES", 7)
    lines, _ = read_all(b"alpha\nbravo charlie\ndelta\n")
    assert lines == ["alpha", "bravo charlie", "delta"]


def test_last_line_without_newline_is_kept():
    """A file that does not end in a newline loses nothing."""
    lines, _ = read_all(b"one\ntwo")
    assert lines == ["one", "two"]


def test_overlong_line_is_skipped_and_reported(monkeypatch):
    """A line over the limit becomes an empty line, keeps the numbering, and is reported with its number."""
    monkeypatch.setattr("faultlens.ingest.sources.CHUNK_BYTES", 16)
    lines, reader = read_all(b"short\n" + b"x" * 100 + b"\nafter\n", max_line=40)
    assert lines == ["short", "", "after"]
    assert reader.skipped_lines == 1
    assert reader.problems[0].line == 2


def test_invalid_utf8_is_read_as_latin1_and_reported():
    """A line that is not UTF-8 is read as Latin-1, losing no byte, and the first such line is named."""
    lines, reader = read_all(b"ok\ncaf\xe9 \xff\xfe byte\nok\n")
    assert lines[1] == "café ÿþ byte"
    assert reader.problems and reader.problems[0].line == 2


def test_gzip_and_zstd_are_read_by_magic_bytes(tmp_path):
    """Compressed files are recognised by content, not by name."""
    payload = b"2026-01-01T00:00:00Z ERROR boom\n"
    (tmp_path / "a.log.1").write_bytes(gzip.compress(payload))
    (tmp_path / "b.log").write_bytes(zstandard.ZstdCompressor().compress(payload))
    for name in ("a.log.1", "b.log"):
        stream = open_input(InputRef(str(tmp_path / name)))
        assert stream.read() == payload
        stream.close()


def test_truncated_gzip_keeps_what_was_read(tmp_path):
    """A gzip file cut short yields the lines before the cut and one problem naming the file."""
    payload = b"".join(f"line {i}\n".encode() for i in range(20000))
    data = gzip.compress(payload)
    path = tmp_path / "cut.log.gz"
    path.write_bytes(data[: len(data) // 2])
    reader = LineReader(open_input(InputRef(str(path))), str(path))
    lines = [line for batch in reader.batches() for line in batch.lines]
    assert 0 < len(lines) < 20000
    assert lines[0] == "line 0"
    assert any("ends early" in str(p) for p in reader.problems)


def test_directories_are_walked_recursively_in_order(tmp_path):
    """A directory yields its files recursively, sorted, skipping hidden entries."""
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.log").write_text("z")
    (tmp_path / "a.log").write_text("a")
    (tmp_path / ".hidden.log").write_text("h")
    refs = [r.path for r in expand_inputs([str(tmp_path)])]
    assert refs == [os.path.join(tmp_path, "a.log"), os.path.join(tmp_path, "b", "z.log")]


def test_missing_path_and_empty_glob_are_errors(tmp_path):
    """A path that names nothing comes back as a SourceError naming it."""
    items = list(expand_inputs([str(tmp_path / "nope.log"), str(tmp_path / "*.none")]))
    assert all(isinstance(i, SourceError) for i in items)
    assert "nope.log" in str(items[0])


def test_glob_expands(tmp_path):
    """Globs are expanded when the shell did not."""
    for name in ("x1.log", "x2.log", "y.txt"):
        (tmp_path / name).write_text("line")
    refs = [os.path.basename(r.path) for r in expand_inputs([str(tmp_path / "x*.log")])]
    assert refs == ["x1.log", "x2.log"]


def test_symlink_loop_is_read_once(tmp_path):
    """A directory symlink pointing at its parent does not make the walk loop."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.log").write_text("f")
    os.symlink(tmp_path, tmp_path / "d" / "loop")
    refs = list(expand_inputs([str(tmp_path)]))
    assert len(refs) == 1
