"""Show every regular expression in src/faultlens linear on adversarial input.

Log lines reach faultlens's regexes at up to a megabyte each (sources.MAX_LINE_BYTES), so one
pattern that backtracks quadratically turns a hostile line into an hour of CPU. This script
collects every pattern faultlens compiles (module globals, whatever they are nested in, and
every literal `re.*(...)` call in the source), builds attack strings for each, and times
`search` and `match` at growing sizes:

- for every repetition in the pattern, the classic ReDoS shape: what comes before it, its body
  pumped n times, then a character that breaks the match (and the same without the prefix);
- runs of each character the pattern names, plus the usual suspects, with and without a breaker.

A linear pattern takes about SIZES[-1] / SIZES[0] times longer on the largest input than on the
smallest; a quadratic one about the square of that. Patterns whose worst ratio passes
FLAG_RATIO are listed as superlinear, and the script exits 1, unless BOUNDED explains why no
long input ever reaches them (a line-length cap, a match that never searches).

Run: python benchmarks/regex_linearity.py [--verbose] [--filter TEXT]
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import itertools
import pkgutil
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from re import _constants as C
from re import _parser as sre
from typing import Any

import faultlens

SIZES = (1000, 2000, 4000, 8000)
GROWTH = SIZES[-1] / SIZES[0]
FLAG_RATIO = GROWTH * 2.5
"""Worst time ratio over SIZES that counts as superlinear: linear is GROWTH (8), quadratic GROWTH² (64)."""
MIN_SECONDS = 2e-4
"""Below this on the largest input a pattern is fast whatever its ratio (timer noise dominates)."""
BREAKERS = ("\x01", "!", "\n", " ")
SUSPECTS = "a0 \t.:/-_\"'=[](){}<>@#,;|\\+*xZ\u00e9"
SRC = Path(faultlens.__file__).resolve().parent
BOUNDED = {
    "faultlens.stacktrace.ruby._HEADER_PAREN": "only matched (never searched), on lines of at most MAX_LINE (4096)",
    "faultlens.stacktrace.swift._HEADER": "searched only in lines of at most MAX_LINE (4096)",
    "faultlens.stacktrace.php._PLAIN_FATAL": "searched only in lines of at most MAX_LINE (4096)",
    "faultlens.stacktrace.native._UBSAN": "searched only in lines of at most MAX_LINE (4096)",
    "faultlens.stacktrace.dotnet._REST": "fullmatched on a frame line of at most MAX_LINE (4096)",
    "faultlens.ingest.decode_text.ACCESS_LOG": "a text dialect: only ever matched at the start of a line",
    "faultlens.ingest.sniff.BY_NAME": "text dialects: only ever matched at the start of a line",
    "faultlens.runner._ROTATION_SUFFIX": "applied to a file's base name, at most 255 bytes (NAME_MAX)",
}
"""Patterns superlinear on the attacks but never given a long input, or never searched: why each is safe.

Any pattern not named here that grows superlinearly fails the run."""
RE_CALLS = frozenset({"compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer"})


@dataclass
class Finding:
    """The worst attack found for one pattern."""

    where: str
    pattern: re.Pattern[str]
    ratio: float = 0.0
    seconds: float = 0.0
    attack: str = ""
    method: str = ""
    times: list[float] = field(default_factory=list)


# ---------------------------------------------------------------- collecting patterns


Found = dict[tuple[str, int], tuple[re.Pattern[str], str, tuple[str, ...]]]
SEARCHING = frozenset({"search", "finditer", "findall", "sub", "subn", "split"})


def collect_patterns() -> Found:
    """Every str pattern faultlens compiles, keyed by (source, flags): where it was found, and how it is called.

    A module-level pattern only ever called with `.match` or `.fullmatch` is timed with `match`
    alone (a search tries every start, which a match never does); any other use, or none seen,
    is timed both ways.
    """
    found: Found = {}
    for module in _modules():
        seen: set[int] = set()
        source = Path(module.__file__ or "").read_text(encoding="utf-8") if module.__file__ else ""
        for name, value in vars(module).items():
            calls = {call for call in re.findall(rf"\b{re.escape(name)}\.(\w+)\(", source)}
            methods = ("match",) if calls and calls <= {"match", "fullmatch"} else ("search", "match")
            for pattern in _patterns_in(value, seen, 0):
                found.setdefault((pattern.pattern, pattern.flags), (pattern, f"{module.__name__}.{name}", methods))
    for path in sorted(SRC.rglob("*.py")):
        for pattern, line, method in _literal_calls(path):
            where = f"{path.relative_to(SRC.parent)}:{line}"
            methods = ("match",) if method in ("match", "fullmatch") else ("search", "match")
            found.setdefault((pattern.pattern, pattern.flags), (pattern, where, methods))
    return found


def _modules() -> list[Any]:
    modules = []
    for info in pkgutil.walk_packages(faultlens.__path__, "faultlens."):
        try:
            modules.append(importlib.import_module(info.name))
        except Exception as exc:  # an optional dependency missing: its literal patterns are still read below
            print(f"note: {info.name} not imported ({type(exc).__name__}: {exc})", file=sys.stderr)
    return modules


def _patterns_in(value: Any, seen: set[int], depth: int) -> list[re.Pattern[str]]:
    if depth > 4 or id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, re.Pattern):
        return [value] if isinstance(value.pattern, str) else []
    if isinstance(value, dict):
        items: Any = list(value.values())
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    elif hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        items = [getattr(value, name, None) for name in value.__dataclass_fields__]
    else:
        return []
    return [pattern for item in items for pattern in _patterns_in(item, seen, depth + 1)]


def _literal_calls(path: Path) -> list[tuple[re.Pattern[str], int, str]]:
    """`re.compile("…")`, `re.search(r"…", text)` and the like, wherever they are in the source."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RE_CALLS
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re" and node.args):
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        flags = 0
        for keyword in node.keywords:
            if keyword.arg == "flags":
                flags = _flags(keyword.value)
        if node.func.attr == "compile" and len(node.args) > 1:
            flags = _flags(node.args[1])
        with contextlib.suppress(re.error):
            out.append((re.compile(first.value, flags), node.lineno, node.func.attr))
    return out


def _flags(node: ast.expr) -> int:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "re":
        return int(getattr(re, node.attr, 0))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _flags(node.left) | _flags(node.right)
    return 0


# ---------------------------------------------------------------- attack strings


class Renderer:
    """Render a parsed pattern as one string it matches, with one repetition pumped n times."""

    def __init__(self, target: int | None, n: int) -> None:
        self.target = target
        self.n = n
        self.counter = 0
        self.cut: int | None = None  # where the pumped repetition ended in the output

    def render(self, items: Any, out: list[str]) -> None:
        for op, arg in items:
            self.node(op, arg, out)

    def node(self, op: Any, arg: Any, out: list[str]) -> None:
        if op is C.LITERAL:
            out.append(chr(arg))
        elif op is C.NOT_LITERAL:
            out.append("b" if arg != ord("b") else "c")
        elif op is C.ANY:
            out.append("a")
        elif op is C.IN:
            out.append(_class_member(arg))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, high, body = arg
            index = self.counter
            self.counter += 1
            if index == self.target:
                count = self.n if high == C.MAXREPEAT or high >= self.n else high
                for _ in range(max(count, 1)):
                    self.render(body, out)
                self.cut = sum(len(piece) for piece in out)
            else:
                for _ in range(max(low, 1) if high else 0):
                    self.render(body, out)
        elif op is C.SUBPATTERN:
            self.render(arg[-1], out)
        elif op is C.ATOMIC_GROUP:
            self.render(arg, out)
        elif op is C.BRANCH:
            branches = arg[1]
            chosen = next((b for b in branches if self._holds_target(b)), branches[0])
            self.render(chosen, out)
        elif op is C.GROUPREF:
            pass
        elif op is C.CATEGORY:
            out.append(_category_member(arg))
        # AT, ASSERT, ASSERT_NOT and the rest match no text

    def _holds_target(self, items: Any) -> bool:
        if self.target is None:
            return False
        probe = Renderer(None, 0)
        probe.counter = self.counter
        probe.render(items, [])
        return probe.counter > self.target


def _class_member(items: Any) -> str:
    negate = any(op is C.NEGATE for op, _ in items)
    if negate:
        excluded = {chr(arg) for op, arg in items if op is C.LITERAL}
        return next(c for c in "bxq7 " if c not in excluded)
    for op, arg in items:
        if op is C.LITERAL:
            return chr(arg)
        if op is C.RANGE:
            return chr(arg[0])
        if op is C.CATEGORY:
            return _category_member(arg)
    return "a"


def _category_member(category: Any) -> str:
    name = str(category)
    if "NOT_DIGIT" in name:
        return "a"
    if "DIGIT" in name:
        return "7"
    if "NOT_SPACE" in name:
        return "a"
    if "SPACE" in name:
        return " "
    if "NOT_WORD" in name:
        return "-"
    return "a"


def _repeat_count(items: Any) -> int:
    probe = Renderer(None, 0)
    probe.render(items, [])
    return probe.counter


def attacks(pattern: re.Pattern[str], n: int) -> dict[str, str]:
    """Attack strings of about n characters, by name."""
    out: dict[str, str] = {}
    try:
        parsed = sre.parse(pattern.pattern, pattern.flags)
    except Exception:
        parsed = []
    for target in range(_repeat_count(parsed)):
        renderer = Renderer(target, 1)
        pieces: list[str] = []
        renderer.render(parsed, pieces)
        unit_text = "".join(pieces)
        if not unit_text:
            continue
        pumps = max(1, n // max(1, len(unit_text)))
        renderer = Renderer(target, pumps)
        pieces = []
        renderer.render(parsed, pieces)
        text = "".join(pieces)
        cut = renderer.cut if renderer.cut is not None else len(text)
        for breaker in BREAKERS:
            out[f"pump#{target}+{breaker!r}"] = text[:cut] + breaker
        out[f"pump#{target} whole"] = text + "\x01"
    literal_chars = {c for c in pattern.pattern if c.isprintable()}
    for char in sorted(set(SUSPECTS) | literal_chars):
        out[f"run {char!r}"] = char * n
        out[f"run {char!r}+break"] = char * n + "\x01"
    return out


# ---------------------------------------------------------------- timing


def _time(call: Any, text: str, runs: int = 3) -> float:
    """CPU seconds of the fastest of a few calls: CPU time, as other processes on a shared machine stretch wall time."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        call(text)
        best = min(best, time.process_time() - start)
        if best > 0.05:
            break
    return best


def measure(pattern: re.Pattern[str], where: str, methods: tuple[str, ...]) -> Finding:
    """The worst ratio over every attack: two small sizes first, the larger ones only where the time grew fast."""
    finding = Finding(where, pattern)
    by_size = {size: attacks(pattern, size) for size in SIZES}
    for name, text in by_size[SIZES[0]].items():
        if any(name not in by_size[size] for size in SIZES):
            continue
        for method in methods:
            call = getattr(pattern, method)
            times = [_time(call, text), _time(call, by_size[SIZES[1]][name])]
            if times[1] < 2.8 * max(times[0], 1e-7) * (SIZES[1] / SIZES[0]) / 2:
                continue  # grew about linearly from the first size to the second
            times = [_time(call, by_size[size][name], 5) for size in SIZES]  # confirm, more carefully
            ratio = times[-1] / max(times[0], 1e-7)
            if any(later < earlier * 1.4 for earlier, later in itertools.pairwise(times)):
                ratio = min(ratio, GROWTH)  # time that does not grow at every step is noise, not a trend
            if times[-1] >= MIN_SECONDS and ratio > finding.ratio:
                finding.ratio, finding.seconds, finding.attack, finding.method, finding.times = (
                    ratio, times[-1], name, method, times)
            if finding.ratio > FLAG_RATIO:
                return finding  # superlinear already: the worst attack matters less than the fix
    return finding


def main() -> int:
    parser = argparse.ArgumentParser(description="Time every faultlens regex on adversarial input.")
    parser.add_argument("--verbose", action="store_true", help="print every pattern, not only the slowest")
    parser.add_argument("--filter", default="", help="only patterns whose source or location holds this text")
    args = parser.parse_args()
    patterns = collect_patterns()
    chosen = [(pattern, where, methods) for (source, _), (pattern, where, methods) in sorted(patterns.items())
              if args.filter in source or args.filter in where]
    findings = []
    for number, (pattern, where, methods) in enumerate(chosen, start=1):
        findings.append(measure(pattern, where, methods))
        if findings[-1].ratio > FLAG_RATIO and where not in BOUNDED:
            print(f"\nsuperlinear: {where} {pattern.pattern[:100]!r}", file=sys.stderr)
        print(f"\r{number}/{len(chosen)} patterns timed", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    findings.sort(key=lambda f: -f.ratio)
    flagged = [f for f in findings if f.ratio > FLAG_RATIO and f.where not in BOUNDED]
    print(f"{len(findings)} patterns, inputs of {SIZES[0]:,} to {SIZES[-1]:,} characters; linear growth is "
          f"{GROWTH:.0f}x, flagged above {FLAG_RATIO:.0f}x (if the largest input takes >= {MIN_SECONDS * 1e3:.1f} ms)")
    print(f"{'ratio':>7} {'largest':>9}  {'method':6}  where / attack")
    shown = findings if args.verbose else findings[:15]
    for f in shown:
        mark = "  SUPERLINEAR" if f in flagged else ""
        if f.ratio > FLAG_RATIO and f.where in BOUNDED:
            mark = f"  superlinear but bounded: {BOUNDED[f.where]}"
        largest = f"{f.seconds * 1e3:.2f} ms" if f.seconds else "-"
        print(f"{f.ratio:7.1f} {largest:>9}  {f.method or '-':6}  {f.where}  [{f.attack}]{mark}")
        if mark or args.verbose:
            print(f"{'':27}{f.pattern.pattern[:150]!r}")
            print(f"{'':27}seconds by size: {', '.join(f'{t:.4f}' for t in f.times)}")
    fast = sum(1 for f in findings if not f.seconds)
    bounded = sum(1 for f in findings if f.ratio > FLAG_RATIO and f.where in BOUNDED)
    print(f"{fast} patterns stayed under {MIN_SECONDS * 1e3:.1f} ms on every attack; "
          f"{bounded} superlinear but bounded (BOUNDED says why); {len(flagged)} superlinear")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
