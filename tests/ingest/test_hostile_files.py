"""Hostile files through the real CLI: one line naming the file, never a traceback, nothing else skipped.

Each test puts one hostile input beside an ordinary log, runs `faultlens analyze` on both, and
checks the warning, the exit code (0: something was readable; 2: nothing was, per docs/cli.md),
that the ordinary log's events are stored, and that what the hostile input held before the
trouble is stored too. Memory is measured in a subprocess, as peak RSS.
"""

from __future__ import annotations

import ctypes
import gzip
import json
import os
import stat
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
import zstandard

from faultlens.ingest import sources

PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2
ERROR_LINE = "2026-11-28 14:05:{second:02d},877 ERROR [main] com.acme.PaymentClient - charge {n} failed: {what}"


def error_lines(count: int, what: str = "card declined", start: int = 0) -> bytes:
    return "".join(ERROR_LINE.format(second=(start + i) % 60, n=start + i, what=what) + "\n"
                   for i in range(count)).encode()


def stored_messages(run_cli, db: Path) -> list[str]:
    code, out, err = run_cli("query", "SELECT message FROM events ORDER BY message", "--db", str(db), "--format", "json")
    assert code == 0, err
    return [row["message"] for row in json.loads(out)]


def analyze(run_cli, db: Path, *paths: Path | str) -> tuple[int, str]:
    code, _, err = run_cli("analyze", *map(str, paths), "--db", str(db), "--format", "json")
    assert "Traceback" not in err
    return code, err


@pytest.fixture
def ordinary(tmp_path: Path) -> Path:
    """A plain log with three errors, read beside every hostile input."""
    path = tmp_path / "ordinary" / "payments.log"
    path.parent.mkdir()
    path.write_bytes(error_lines(3, "ordinary"))
    return path


def warnings_about(err: str, path: Path) -> list[str]:
    return [line for line in err.splitlines() if str(path) in line or path.name in line]


def test_gzip_bomb_stops_at_the_limit_and_keeps_the_lines_before(run_cli, tmp_path, ordinary, monkeypatch):
    """A gzip file inflating past `[ingest] max_decompressed_bytes` keeps its lines before the limit and says why it stopped."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "faultlens.toml").write_text("[ingest]\nmax_decompressed_bytes = 4000000\n")
    member = gzip.compress(b"x" * 1_000_000 + b"\n", 9)
    bomb = tmp_path / "bomb.log.gz"
    bomb.write_bytes(gzip.compress(error_lines(5, "before the bomb")) + member * 200)  # ~200 MB inflated
    code, err = analyze(run_cli, tmp_path / "s.duckdb", bomb, ordinary)
    assert code == 0
    assert any("inflates to more than 4,000,000 bytes" in line for line in warnings_about(err, bomb)), err
    messages = stored_messages(run_cli, tmp_path / "s.duckdb")
    assert sum("before the bomb" in m for m in messages) == 5
    assert sum("ordinary" in m for m in messages) == 3


def test_zstd_bomb_stops_at_the_limit(run_cli, tmp_path, ordinary, monkeypatch):
    """A zstd file inflating past the limit is cut there with a warning; the other input is read in full."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "faultlens.toml").write_text("[ingest]\nmax_decompressed_bytes = 4000000\n")
    compressor = zstandard.ZstdCompressor()
    bomb = tmp_path / "bomb.log.zst"
    bomb.write_bytes(compressor.compress(error_lines(5, "before the bomb"))
                     + compressor.compress(b"y" * 4_000_000 + b"\n") * 50)
    code, err = analyze(run_cli, tmp_path / "s.duckdb", bomb, ordinary)
    assert code == 0
    assert any("compression bomb" in line for line in warnings_about(err, bomb)), err
    messages = stored_messages(run_cli, tmp_path / "s.duckdb")
    assert sum("before the bomb" in m for m in messages) == 5
    assert sum("ordinary" in m for m in messages) == 3


def test_the_limit_is_checked_in_the_config(run_cli, tmp_path, monkeypatch):
    """A limit that is not a positive whole number stops the command with exit code 2, naming the key."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "faultlens.toml").write_text("[ingest]\nmax_decompressed_bytes = -1\n")
    (tmp_path / "a.log").write_bytes(error_lines(1))
    code, _, err = run_cli("analyze", "a.log", "--db", ":memory:")
    assert code == 2
    assert "ingest.max_decompressed_bytes" in err and "Traceback" not in err


def test_damaged_gzip_keeps_what_came_before(run_cli, tmp_path, ordinary):
    """A gzip file with a damaged member keeps the members before it and names the damage."""
    damaged = tmp_path / "damaged.log.gz"
    second = bytearray(gzip.compress(error_lines(4, "lost", start=10)))
    second[len(second) // 2] ^= 0xFF
    damaged.write_bytes(gzip.compress(error_lines(5, "kept")) + bytes(second))
    code, err = analyze(run_cli, tmp_path / "s.duckdb", damaged, ordinary)
    assert code == 0
    assert any("ends early" in line for line in warnings_about(err, damaged)), err
    messages = stored_messages(run_cli, tmp_path / "s.duckdb")
    assert sum("kept" in m for m in messages) == 5
    assert sum("ordinary" in m for m in messages) == 3


def test_gzip_with_a_bad_header_is_skipped_with_a_message(run_cli, tmp_path, ordinary):
    """Gzip magic followed by garbage is skipped with one line; the ordinary log is read."""
    bad = tmp_path / "bad.log.gz"
    bad.write_bytes(b"\x1f\x8b" + os.urandom(200))
    code, err = analyze(run_cli, tmp_path / "s.duckdb", bad, ordinary)
    assert code == 0
    assert warnings_about(err, bad), err
    assert sum("ordinary" in m for m in stored_messages(run_cli, tmp_path / "s.duckdb")) == 3


FAULTLENS = (sys.executable, "-c", "from faultlens.cli import main; main()")
PEAK_RSS = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.stderr.write(done.stderr)
"""


def peak_rss_kib(*args: str) -> tuple[int, int, str]:
    """(exit code, peak RSS in KiB, stderr) of `faultlens ARGS` in a fresh process."""
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, *FAULTLENS, *args],
                          capture_output=True, text=True, timeout=600)
    code, rss = done.stdout.split()
    return int(code), int(rss), done.stderr


def test_a_line_of_a_gigabyte_is_read_in_bounded_memory(tmp_path):
    """A 1 GiB line (zstd frames, so the file is small) is skipped with a warning, the lines around it are kept, and
    peak RSS grows by less than 64 MiB over reading a small file."""
    compressor = zstandard.ZstdCompressor(level=1)
    huge = tmp_path / "huge.log.zst"
    block = compressor.compress(b"x" * (1 << 20))
    with huge.open("wb") as handle:
        handle.write(compressor.compress(error_lines(2, "before the long line")))
        for _ in range(1024):
            handle.write(block)
        handle.write(compressor.compress(b"\n" + error_lines(2, "after the long line", start=5)))
    small = tmp_path / "small.log"
    small.write_bytes(error_lines(4, "small"))
    base_code, base_rss, _ = peak_rss_kib("analyze", str(small), "--db", ":memory:", "--format", "json")
    code, rss, err = peak_rss_kib("analyze", str(huge), "--db", ":memory:", "--format", "json")
    assert base_code == 0 and code == 0, err
    assert "line longer than 1048576 bytes skipped" in err and "Traceback" not in err
    assert rss - base_rss < 64 * 1024, (base_rss, rss)


def test_nul_holes_are_dropped_and_scattered_nuls_mean_binary(run_cli, tmp_path, ordinary):
    """A log behind a zero-filled hole (copytruncate) is read whole; a file with NULs strewn through it is skipped as binary."""
    holed = tmp_path / "holed.log"
    holed.write_bytes(b"\x00" * 200_000 + error_lines(4, "after the hole") + b"\x00" * 5000
                      + error_lines(2, "after the second hole", start=20))
    binary = tmp_path / "core.bin"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 64)
    code, err = analyze(run_cli, tmp_path / "s.duckdb", holed, binary, ordinary)
    assert code == 0
    assert any("NUL bytes in runs dropped" in line for line in warnings_about(err, holed)), err
    assert any("looks binary" in line for line in warnings_about(err, binary)), err
    messages = stored_messages(run_cli, tmp_path / "s.duckdb")
    assert sum("after the hole" in m for m in messages) == 4
    assert sum("after the second hole" in m for m in messages) == 2
    assert sum("ordinary" in m for m in messages) == 3


def test_latin1_lines_keep_their_text(run_cli, tmp_path, ordinary):
    """A line in Latin-1 is stored with its accented letters, and one warning names its line."""
    latin = tmp_path / "latin.log"
    latin.write_bytes(error_lines(1, "plain") + ERROR_LINE.format(second=1, n=1, what="café fermé").encode("latin-1")
                      + b"\n")
    code, err = analyze(run_cli, tmp_path / "s.duckdb", latin, ordinary)
    assert code == 0
    assert any(":2: 1 line(s) are not valid UTF-8" in line for line in warnings_about(err, latin)), err
    messages = stored_messages(run_cli, tmp_path / "s.duckdb")
    assert any("café fermé" in m for m in messages)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_a_bom_is_read_as_text(run_cli, tmp_path, ordinary, encoding):
    """UTF-16 with a byte-order mark (as Windows tools write it) is decoded, not skipped as binary."""
    wide = tmp_path / "windows.log"
    bom = "\ufeff".encode(encoding)
    wide.write_bytes(bom + error_lines(3, "naïve wide").decode().encode(encoding))
    code, err = analyze(run_cli, tmp_path / "s.duckdb", wide, ordinary)
    assert code == 0
    assert not warnings_about(err, wide), err
    assert sum("naïve wide" in m for m in stored_messages(run_cli, tmp_path / "s.duckdb")) == 3


def test_symlink_loops_are_named_and_skipped(run_cli, tmp_path, ordinary):
    """A file symlink loop is skipped with its reason; a directory loop is walked once; the rest is read."""
    folder = ordinary.parent
    (folder / "a.log").symlink_to(folder / "b.log")
    (folder / "b.log").symlink_to(folder / "a.log")
    (folder / "again").symlink_to(folder)
    code, err = analyze(run_cli, tmp_path / "s.duckdb", folder)
    assert code == 0
    assert any("too many levels of symbolic links" in line for line in err.splitlines()), err
    assert sum("ordinary" in m for m in stored_messages(run_cli, tmp_path / "s.duckdb")) == 3


def test_a_fifo_inside_a_directory_is_skipped_at_once(run_cli, tmp_path, ordinary):
    """A named pipe found by walking a directory is skipped without waiting for a writer."""
    fifo = ordinary.parent / "pipe.log"
    os.mkfifo(fifo)
    started = time.monotonic()
    code, err = analyze(run_cli, tmp_path / "s.duckdb", ordinary.parent)
    assert time.monotonic() - started < sources.FIFO_WAIT_SECONDS
    assert code == 0
    assert any("not a regular file" in line for line in warnings_about(err, fifo)), err
    assert sum("ordinary" in m for m in stored_messages(run_cli, tmp_path / "s.duckdb")) == 3


def test_a_silent_fifo_named_outright_is_skipped_after_the_wait(run_cli, tmp_path, ordinary, monkeypatch):
    """A named pipe nothing writes to is given up on after FIFO_WAIT_SECONDS, with a message saying so."""
    monkeypatch.setattr(sources, "FIFO_WAIT_SECONDS", 0.5)
    fifo = tmp_path / "silent.pipe"
    os.mkfifo(fifo)
    code, err = analyze(run_cli, tmp_path / "s.duckdb", fifo, ordinary)
    assert code == 0
    assert any("nothing was written to" in line for line in warnings_about(err, fifo)), err
    assert sum("ordinary" in m for m in stored_messages(run_cli, tmp_path / "s.duckdb")) == 3


def test_a_fifo_named_outright_is_read_as_a_stream(run_cli, tmp_path):
    """A named pipe given by name (as `<(kubectl logs …)` does) is read to its end like stdin."""
    fifo = tmp_path / "stream.pipe"
    os.mkfifo(fifo)

    def write() -> None:
        with fifo.open("wb") as handle:
            for n in range(5):
                handle.write(error_lines(1, "streamed", start=n))
                handle.flush()
                time.sleep(0.05)

    writer = threading.Thread(target=write)
    writer.start()
    code, err = analyze(run_cli, tmp_path / "s.duckdb", fifo)
    writer.join(timeout=10)
    assert code == 0, err
    assert sum("streamed" in m for m in stored_messages(run_cli, tmp_path / "s.duckdb")) == 5


def _without_root_overrides() -> None:
    """Root reads any file; dropping its two override capabilities before exec lets it meet a permission check."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_permission_denied_is_named_and_the_rest_is_read(tmp_path):
    """An unreadable file is skipped with "permission denied"; alone, it makes exit code 2 (nothing readable)."""
    secret = tmp_path / "secret.log"
    secret.write_bytes(error_lines(2, "secret"))
    secret.chmod(0)
    readable = tmp_path / "readable.log"
    readable.write_bytes(error_lines(3, "readable"))
    command = [*FAULTLENS, "analyze", "--db", ":memory:", "--format", "json"]
    run = {"capture_output": True, "text": True, "timeout": 120, "cwd": tmp_path,
           "preexec_fn": _without_root_overrides if os.geteuid() == 0 else None}
    try:
        both = subprocess.run([*command, str(secret), str(readable)], **run)  # type: ignore[call-overload]
        alone = subprocess.run([*command, str(secret)], **run)  # type: ignore[call-overload]
    finally:
        secret.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert both.returncode == 0, both.stderr
    assert "secret.log: cannot open: permission denied" in both.stderr
    assert json.loads(both.stdout)["summary"]["events"] == 3
    assert alone.returncode == 2 and "nothing readable" in alone.stderr
    assert "Traceback" not in both.stderr + alone.stderr


def test_a_file_truncated_while_read_keeps_what_was_read(run_cli, tmp_path, ordinary, monkeypatch):
    """A file cut shorter under the reader (copytruncate) keeps the lines read and says it shrank, with the line."""
    monkeypatch.setattr(sources, "CHUNK_BYTES", 4096)
    shrinking = tmp_path / "shrinking.log"
    shrinking.write_bytes(error_lines(400, "before the cut"))
    real_batches = sources.LineReader.batches

    def batches_then_truncate(self):
        for number, batch in enumerate(real_batches(self)):
            yield batch
            if number == 0 and self.path == str(shrinking):
                os.truncate(shrinking, 100)

    monkeypatch.setattr(sources.LineReader, "batches", batches_then_truncate)
    code, err = analyze(run_cli, tmp_path / "s.duckdb", shrinking, ordinary)
    assert code == 0
    assert any("shrank to 100 bytes while it was read" in line for line in warnings_about(err, shrinking)), err
    messages = stored_messages(run_cli, tmp_path / "s.duckdb")
    assert 0 < sum("before the cut" in m for m in messages) < 400
    assert sum("ordinary" in m for m in messages) == 3


def test_a_file_growing_while_read_is_read_without_complaint(run_cli, tmp_path, ordinary):
    """A log appended to while it is read is read up to where it ended, with no warning; the next run reads the rest."""
    growing = tmp_path / "growing.log"
    growing.write_bytes(error_lines(200, "at the start"))
    stop = threading.Event()

    def append() -> None:
        n = 1000
        while not stop.is_set():
            with growing.open("ab") as handle:
                handle.write(error_lines(20, "appended", start=n))
            n += 20
            time.sleep(0.01)

    writer = threading.Thread(target=append)
    writer.start()
    try:
        code, err = analyze(run_cli, tmp_path / "s.duckdb", growing, ordinary)
    finally:
        stop.set()
        writer.join()
    assert code == 0
    assert not warnings_about(err, growing), err
    messages = stored_messages(run_cli, tmp_path / "s.duckdb")
    assert sum("at the start" in m for m in messages) == 200
    code, err = analyze(run_cli, tmp_path / "s.duckdb", growing)
    appended = growing.read_bytes().count(b"appended")
    assert sum("appended" in m for m in stored_messages(run_cli, tmp_path / "s.duckdb")) == appended


def test_zlib_inflates_a_bomb_in_bounded_steps():
    """GzipStream hands over at most a chunk per read, however much one compressed block inflates to."""
    import io

    bomb = gzip.compress(b"\0" * (64 << 20))
    stream = sources.GzipStream(io.BytesIO(bomb))  # type: ignore[arg-type]
    first = stream.read(1 << 16)
    assert len(first) == 1 << 16
    assert len(stream._pending) <= sources.CHUNK_BYTES
    assert zlib.crc32(first) == zlib.crc32(b"\0" * (1 << 16))


def test_explain_names_a_damaged_compressed_trace(run_cli, tmp_path):
    """`faultlens explain` on a gzip file damaged past its first megabyte prints one error line, not "Aborted"."""
    body = os.urandom(1_500_000).hex().encode() + b"\nValueError: x\n"
    data = bytearray(gzip.compress(body))
    data[-100] ^= 0xFF
    damaged = tmp_path / "trace.txt.gz"
    damaged.write_bytes(bytes(data))
    code, _, err = run_cli("explain", str(damaged))
    assert code == 1
    assert "trace.txt.gz: cannot be read to the end (damaged gzip data" in err
    assert "Aborted" not in err and "Traceback" not in err
