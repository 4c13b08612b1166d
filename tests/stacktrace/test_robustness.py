"""Transport damage does not change what a corpus trace parses to.

Each transformation is one that logs, terminals, JSON encoders and chat tools apply to traces
in the wild; the parse of the damaged text must match the parse of the clean one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from faultlens.stacktrace import ParsedTrace, parse_trace

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
CASES = sorted(path for path in CORPUS.glob("*/*.txt") if not path.parent.name.startswith("_"))


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def _ansi(text: str) -> str:
    return "\n".join(f"\x1b[31m{line}\x1b[0m" if line else line for line in text.split("\n"))


def _fenced(text: str) -> str:
    return "Here is the crash:\n```text\n" + text + "\n```\n"


def _json_field(text: str) -> str:
    return json.dumps({"level": "error", "logger": "app", "stack_trace": text}, ensure_ascii=False)


def _flattened(text: str) -> str:
    return "ERROR unhandled: " + json.dumps(text, ensure_ascii=False)[1:-1]


def _indented(text: str) -> str:
    return "\n".join("    " + line if line else line for line in text.split("\n"))


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "crlf": _crlf, "ansi": _ansi, "fenced": _fenced, "json": _json_field, "flattened": _flattened,
    "indented": _indented,
}


def _summary(trace: ParsedTrace | None) -> list[tuple[object, ...]]:
    assert trace is not None
    return [
        (trace.language, e.type, e.module, e.value, e.relation, len(e.frames), e.frames_omitted,
         [(f.function, f.lineno) for f in e.frames])
        for e in trace.exceptions
    ]


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_damaged_trace_parses_the_same(path: Path, transform: str) -> None:
    """The damaged trace yields the same chain, values and frames as the clean one."""
    text = path.read_text(encoding="utf-8")
    assert _summary(parse_trace(TRANSFORMS[transform](text))) == _summary(parse_trace(text))


STRIPPING_LOSES_STRUCTURE = {"python/task_group", "python/nested_exception_group"}
"""Exception group boxes nest by column: with every indent gone their members cannot be told apart."""


def _shape(trace: ParsedTrace | None) -> list[tuple[object, ...]]:
    assert trace is not None
    return [(trace.language, e.type, e.relation, [(f.function, f.lineno) for f in e.frames]) for e in trace.exceptions]


@pytest.mark.parametrize(
    "path",
    [p for p in CASES if f"{p.parent.name}/{p.stem}" not in STRIPPING_LOSES_STRUCTURE],
    ids=[f"{p.parent.name}/{p.stem}" for p in CASES if f"{p.parent.name}/{p.stem}" not in STRIPPING_LOSES_STRUCTURE],
)
def test_stripped_indentation_keeps_the_chain_and_frames(path: Path) -> None:
    """With every line's indentation stripped, the chain and its frames are unchanged."""
    text = path.read_text(encoding="utf-8")
    stripped = "\n".join(line.lstrip() for line in text.split("\n"))
    assert _shape(parse_trace(stripped)) == _shape(parse_trace(text))
