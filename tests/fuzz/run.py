"""Coverage-guided fuzzing of one target with atheris (libFuzzer), seeded from the real fixtures.

    python tests/fuzz/run.py --list
    python tests/fuzz/run.py --target stacktrace-python --runs 1000000
    python tests/fuzz/run.py --target file --runs 100000 --corpus /tmp/corpus-file

The targets are those of the hypothesis suites (tests/fuzz/fuzz_targets.py). A crash prints its
traceback and writes the input to `crash-<sha1>` in the working directory (`--artifacts` moves
it); replay it with `--reproduce FILE`. `--no-coverage` mutates the corpus without coverage
feedback (tests/fuzz/mutate.py), three to ten times faster: the million-run jobs grow a corpus
with coverage first, then run without it over that corpus. Needs `pip install faultlens[fuzz]`; run long jobs with
`nice -n 10`. Other arguments after `--` go to libFuzzer (`-- -max_total_time=600`).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

MAX_LEN = 2048
"""Longest input libFuzzer builds: a trace of a dozen frames or a dozen log lines; longer inputs slow every run."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", help="what to fuzz (--list shows the names)")
    parser.add_argument("--runs", type=int, default=100_000, help="executions before stopping (default 100000)")
    parser.add_argument("--corpus", type=Path, help="a corpus folder to keep between runs (default: a fresh one)")
    parser.add_argument("--artifacts", type=Path, default=Path.cwd(), help="where crashing inputs are written")
    parser.add_argument("--max-len", type=int, default=MAX_LEN, help=f"longest input (default {MAX_LEN} bytes)")
    parser.add_argument("--reproduce", type=Path, help="run the target once on this input and exit")
    parser.add_argument("--no-coverage", action="store_true",
                        help="mutate the corpus without atheris (tests/fuzz/mutate.py): several times faster, for "
                             "million-run jobs over a corpus that coverage-guided runs grew")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    args, libfuzzer_args = parser.parse_known_args()
    libfuzzer_args = [arg for arg in libfuzzer_args if arg != "--"]

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import atheris

    if args.no_coverage:
        import fuzz_targets
    else:
        with atheris.instrument_imports(include=["faultlens"]):
            import fuzz_targets

    if args.list:
        for target in fuzz_targets.TARGETS.values():
            print(f"{target.name:24} {target.help}")
        return 0
    if args.target not in fuzz_targets.TARGETS:
        parser.error(f"--target must be one of: {', '.join(fuzz_targets.TARGETS)}")
    target = fuzz_targets.TARGETS[args.target]
    if args.reproduce is not None:
        from mutate import read_input

        target.run(read_input(args.reproduce))
        print(f"{args.target}: {args.reproduce} runs without an exception")
        return 0

    corpus = args.corpus or Path(tempfile.mkdtemp(prefix=f"faultlens-corpus-{args.target}-"))
    corpus.mkdir(parents=True, exist_ok=True)
    for seed in target.seeds():
        seed = seed[: args.max_len]
        (corpus / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    args.artifacts.mkdir(parents=True, exist_ok=True)
    if args.no_coverage:
        from mutate import fuzz_without_coverage

        return fuzz_without_coverage(target.run, corpus, args.runs, args.artifacts, args.max_len)
    argv = [sys.argv[0], f"-runs={args.runs}", f"-max_len={args.max_len}", "-timeout=20",
            f"-artifact_prefix={args.artifacts}/", *libfuzzer_args, str(corpus)]
    atheris.Setup(argv, target.run)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
