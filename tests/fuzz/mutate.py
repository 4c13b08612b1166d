"""Fuzzing without coverage feedback: random mutations of a corpus, for runs of millions of executions.

libFuzzer with no coverage to judge by drops every seed but one and shrinks its inputs to a few
bytes, so the million-run jobs use this loop instead: pick a corpus input (the seeds, and what
coverage-guided runs added), apply a few byte- and line-level mutations, run the target. A crash
writes its input to `crash-<sha1>`; a hang is caught by faulthandler, which prints the stack and
exits, and the input it hung on is left in `last-input` (a memory-mapped file written before
every run, since a regex stuck in C code never lets Python run again; its first four bytes are
the input's length, and `run.py --reproduce` reads it).
"""

from __future__ import annotations

import faulthandler
import hashlib
import mmap
import random
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

HANG_SECONDS = 30
INTERESTING = [b"\r", b"\x00", b"\t", b"\xe2\x80\xa8", b"\\n", b'"""', b"\x1b[31m", b"\xff", b"\xc3", b"{", b"}",
               b"[", b"]", b'"', b"(", b")", b":", b"=", b" ", b"\n\n", b"\n    ", b"\n\t", b"0x", b"-1", b"99999999999"]


def mutate(rng: random.Random, data: bytes, corpus: list[bytes], max_len: int) -> bytes:
    """One to four mutations: byte edits, pumped ranges, splices, and line swaps, drops and copies."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        pos = rng.randint(0, len(buf))
        op = rng.randrange(9)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif op == 2 and buf:
            del buf[pos:pos + rng.randint(1, 64)]
        elif op == 3 and buf:
            start = rng.randrange(len(buf))
            piece = buf[start:start + rng.randint(1, 32)]
            buf[pos:pos] = piece * rng.choice((1, 2, 8, 64))
        elif op == 4:
            other = rng.choice(corpus)
            buf = buf[:pos] + other[rng.randint(0, len(other)):]
        elif op == 5:
            buf[pos:pos] = rng.choice(INTERESTING) * rng.choice((1, 1, 3, 200))
        else:
            lines = bytes(buf).split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            if op == 6:
                lines[i], lines[j] = lines[j], lines[i]
            elif op == 7:
                del lines[i]
            else:
                other = rng.choice(corpus).split(b"\n")
                lines.insert(i, rng.choice(other))
            buf = bytearray(b"\n".join(lines))
    return bytes(buf[:max_len])


def fuzz_without_coverage(run: Callable[[bytes], None], corpus_dir: Path, runs: int, artifacts: Path,
                          max_len: int, seed: int | None = None) -> int:
    corpus = [path.read_bytes()[:max_len] for path in sorted(corpus_dir.iterdir()) if path.is_file()]
    if not corpus:
        corpus = [b""]
    rng = random.Random(seed)
    last = artifacts / "last-input"
    last.write_bytes(b"\0" * (4 + max_len))
    with last.open("r+b") as handle, mmap.mmap(handle.fileno(), 4 + max_len) as shared:
        faulthandler.dump_traceback_later(HANG_SECONDS, repeat=False, exit=True)
        started = time.monotonic()
        crashes = 0
        for done in range(1, runs + 1):
            data = mutate(rng, rng.choice(corpus), corpus, max_len) if done > len(corpus) else corpus[done - 1]
            shared[:4] = len(data).to_bytes(4, "big")
            shared[4:4 + len(data)] = data
            try:
                run(data)
            except Exception:
                crashes += 1
                name = artifacts / f"crash-{hashlib.sha1(data).hexdigest()}"
                name.write_bytes(data)
                print(f"crash written to {name}:\n{traceback.format_exc()}", file=sys.stderr)
            if done % 256 == 0:
                faulthandler.dump_traceback_later(HANG_SECONDS, repeat=False, exit=True)
            if done % 20_000 == 0:
                rate = done / (time.monotonic() - started)
                print(f"#{done} exec/s: {rate:.0f} crashes: {crashes}", file=sys.stderr, flush=True)
        faulthandler.cancel_dump_traceback_later()
    print(f"Done {runs} runs in {time.monotonic() - started:.0f} second(s); {crashes} crash(es)", file=sys.stderr)
    return 1 if crashes else 0


def read_input(path: Path) -> bytes:
    """A crash file as written, or the input a hang left in `last-input`."""
    data = path.read_bytes()
    if path.name == "last-input":
        return data[4:4 + int.from_bytes(data[:4], "big")]
    return data
