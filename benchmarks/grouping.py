"""Stack-trace grouping on real traces with known groups: faultlens against two common baselines.

The dataset (tests/fixtures/grouping/traces.jsonl, built by its `_generate/generate.py` from
Python, Java 17 and Node.js 20) holds bugs of three small shops, each reached through several
call paths, with varying values, in three versions whose line numbers differ; several distinct
bugs are raised by one helper. Every trace is parsed by faultlens's own parsers and grouped by:

* **type + top frame**: the last exception's type and the frame that raised it (module or file
  basename and function; no line number, which would only split more);
* **GlitchTip**: MD5 of title (`Type: first line of value`, 100 characters), culprit (the
  innermost in-app frame, Sentry's legacy culprit) and event type, as GlitchTip groups;
* **faultlens, in-app hash**: Sentry's rules alone, the fingerprint each event carries;
* **faultlens**: the full grouping, issues joined by in-app, all-frames and crash-site keys.

Scores are B-cubed precision, recall and F1 (Bagga and Baldwin; Amigó et al.), averaged over
traces, so large groups weigh in proportion to their events. `--shuffle N` also runs faultlens
over N shuffled orders and prints its lowest F1, since issue joining sees events one at a time.

Usage: python benchmarks/grouping.py [--shuffle N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO / "tests/fixtures/grouping/traces.jsonl"
sys.path.insert(0, str(REPO / "src"))

from faultlens.enrich import default_chain, run_chain  # noqa: E402
from faultlens.grouping.session import GroupingSession  # noqa: E402
from faultlens.model import Event, Frame, Source  # noqa: E402
from faultlens.stacktrace import parse_trace  # noqa: E402

Grouper = Callable[[list[Event]], list[str]]


@dataclass(frozen=True)
class Case:
    """One trace of the dataset and the bug that produced it."""

    trace: str
    bug: str
    runtime: str


def load_cases(path: Path = DATASET) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        cases.append(Case(record["trace"], record["bug"], record["runtime"]))
    return cases


def parse_events(cases: Sequence[Case]) -> list[Event]:
    """Fresh events for one method (enrichers mark frames in place), parsed as ingestion parses them."""
    events = []
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    for number, case in enumerate(cases):
        parsed = parse_trace(case.trace)
        if parsed is None:
            raise SystemExit(f"case {number}: the trace did not parse")
        last = parsed.exceptions[-1]
        events.append(Event(id=str(number), timestamp=moment, level="error", source=Source("traces.jsonl", number),
                            message=f"{last.type}: {last.value}".rstrip(": "), service=case.runtime,
                            exceptions=parsed.exceptions, platform=parsed.language))
    return events


def b_cubed(truth: Sequence[str], predicted: Sequence[str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 averaged over items."""
    pairs = Counter(zip(truth, predicted, strict=True))
    truth_sizes, predicted_sizes = Counter(truth), Counter(predicted)
    precision = sum(pairs[t, p] / predicted_sizes[p] for t, p in zip(truth, predicted, strict=True)) / len(truth)
    recall = sum(pairs[t, p] / truth_sizes[t] for t, p in zip(truth, predicted, strict=True)) / len(truth)
    return precision, recall, 2 * precision * recall / (precision + recall)


def _located(frame: Frame) -> str:
    return frame.module or (frame.filename or frame.abs_path or "?").replace("\\", "/").rsplit("/", 1)[-1]


def type_and_top_frame(events: list[Event]) -> list[str]:
    keys = []
    for event in events:
        last = event.exceptions[-1]
        top = last.frames[-1] if last.frames else Frame()
        keys.append(f"{last.type}|{_located(top)}|{top.function}")
    return keys


def glitchtip(events: list[Event]) -> list[str]:
    """MD5(title + culprit + type), with Sentry's legacy culprit from in-app marked frames."""
    keys = []
    for event in _marked(events):
        last = event.exceptions[-1]
        value = last.value.splitlines()[0] if last.value else ""
        value = value if len(value) <= 100 else value[:97] + "..."
        title = f"{last.type}: {value}" if value else last.type
        keys.append(hashlib.md5((title + _culprit(event) + "error").encode()).hexdigest())
    return keys


def _culprit(event: Event) -> str:
    frames = next((exc.frames for exc in reversed(event.exceptions) if exc.frames), [])
    chosen = next((f for f in reversed(frames) if f.in_app), frames[-1] if frames else None)
    if chosen is None:
        return ""
    where = chosen.module or chosen.filename or ""
    if event.platform == "javascript":
        return f"{chosen.function or '?'}({where})"
    return f"{where} in {chosen.function or '?'}"


def _marked(events: list[Event]) -> list[Event]:
    """Events after in-app marking, as the grouping under test sees them."""
    chain = default_chain()[:1]
    return [run_chain(chain, event) for event in events]


def faultlens_in_app_hash(events: list[Event]) -> list[str]:
    session = GroupingSession()
    chain = default_chain(session)
    return [run_chain(chain, event).fingerprint or "" for event in events]


def faultlens(events: list[Event], batch: int = 100) -> list[str]:
    """The full grouping, with a dictionary standing in for the store's alias table."""
    session = GroupingSession()
    chain = default_chain(session)
    aliases: dict[str, str] = {}
    keys: list[str] = []
    for start in range(0, len(events), batch):
        enriched = [run_chain(chain, event) for event in events[start:start + batch]]
        aliases.update(session.assign_issues(enriched, lambda wanted: {k: aliases[k] for k in wanted if k in aliases}))
        keys += [event.fingerprint or "" for event in enriched]
    return keys


METHODS: dict[str, Grouper] = {
    "type + top frame": type_and_top_frame,
    "GlitchTip (title + culprit + type)": glitchtip,
    "faultlens, in-app hash only": faultlens_in_app_hash,
    "faultlens": faultlens,
}


def print_table(cases: list[Case]) -> None:
    truth, runtimes = [case.bug for case in cases], [case.runtime for case in cases]
    names = sorted(set(runtimes))
    header = f"{'method':<36} {'precision':>9} {'recall':>7} {'F1':>6} {'groups':>7}  " + "  ".join(
        f"{name + ' F1':>10}" for name in names)
    print(f"{len(cases)} traces, {len(set(truth))} bugs ({', '.join(f'{n}: {runtimes.count(n)}' for n in names)})")
    print(header)
    print("-" * len(header))
    for name, method in METHODS.items():
        predicted = method(parse_events(cases))
        precision, recall, f1 = b_cubed(truth, predicted)
        per_runtime = []
        for runtime in names:
            index = [i for i, r in enumerate(runtimes) if r == runtime]
            per_runtime.append(b_cubed([truth[i] for i in index], [predicted[i] for i in index])[2])
        print(f"{name:<36} {precision:>9.3f} {recall:>7.3f} {f1:>6.3f} {len(set(predicted)):>7}  "
              + "  ".join(f"{score:>10.3f}" for score in per_runtime))


def print_shuffled(cases: list[Case], orders: int) -> None:
    scores = []
    for seed in range(orders):
        shuffled = random.Random(seed).sample(cases, len(cases))
        scores.append(b_cubed([case.bug for case in shuffled], faultlens(parse_events(shuffled)))[2])
    print(f"faultlens over {orders} shuffled orders: F1 min {min(scores):.3f}, mean {sum(scores) / orders:.3f}")


def explain_misses(cases: list[Case]) -> None:
    """Which bugs faultlens splits or merges."""
    predicted = faultlens(parse_events(cases))
    by_truth: dict[str, set[str]] = defaultdict(set)
    by_group: dict[str, set[str]] = defaultdict(set)
    for t, p in zip((case.bug for case in cases), predicted, strict=True):
        by_truth[t].add(p)
        by_group[p].add(t)
    for bug, groups in sorted(by_truth.items()):
        if len(groups) > 1:
            print(f"  split  {bug}: {len(groups)} issues")
    for bugs in sorted(by_group.values()):
        if len(bugs) > 1:
            print(f"  merged {', '.join(sorted(bugs))}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shuffle", type=int, default=0, help="also score faultlens over N shuffled orders")
    parser.add_argument("--misses", action="store_true", help="list the bugs faultlens splits or merges")
    args = parser.parse_args(argv)
    cases = load_cases()
    print_table(cases)
    if args.shuffle:
        print_shuffled(cases, args.shuffle)
    if args.misses:
        explain_misses(cases)


if __name__ == "__main__":
    main()
