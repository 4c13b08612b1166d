"""Fingerprint v1 on traces produced by real runtimes: line shifts keep one issue, other bugs make another."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import pytest

from faultlens.enrich import default_chain, run_chain
from faultlens.grouping.fingerprint import Fingerprinter
from faultlens.model import Event, ExceptionInfo, Source
from faultlens.stacktrace import parse_trace

PY_APP = """
def load(order):
    return order["customer_id"]

def charge(order):
    {padding}
    return load(order)

charge({{}})
"""


def python_trace(tmp_path, padding_lines: int, bug: str = 'order["customer_id"]') -> str:
    source = PY_APP.format(padding="\n    ".join(["pass"] * max(padding_lines, 1))).replace('order["customer_id"]', bug)
    path = tmp_path / "app" / "orders.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(source)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True)
    assert done.returncode != 0
    return done.stderr


def fingerprint_of(trace_text: str) -> Event:
    parsed = parse_trace(trace_text)
    assert parsed is not None
    event = Event(id="x", timestamp=None, level="error", message="", source=Source("t"),  # type: ignore[arg-type]
                  service="orders", exceptions=parsed.exceptions, platform=parsed.language)
    return run_chain(default_chain(), event)


def test_same_bug_at_shifted_lines_is_one_issue(tmp_path):
    """Inserting lines above the raising code changes line numbers, not the fingerprint."""
    first = python_trace(tmp_path, 1)
    shifted = python_trace(tmp_path, 7)
    assert first != shifted, "the traces differ in their line numbers"
    assert fingerprint_of(first).fingerprint == fingerprint_of(shifted).fingerprint


def test_different_exception_types_are_two_issues(tmp_path):
    """A KeyError and a TypeError raised from the same function are different issues."""
    key_error = python_trace(tmp_path, 1)
    type_error = python_trace(tmp_path, 1, bug="order + 1")
    assert "TypeError" in type_error
    assert fingerprint_of(key_error).fingerprint != fingerprint_of(type_error).fingerprint


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_trace_line_shift_keeps_fingerprint(tmp_path):
    """The same holds for V8 traces, whose frames also carry columns."""
    def run(pad: int) -> str:
        script = tmp_path / "server.js"
        script.write_text(textwrap.dedent(f"""
            function parse(body) {{ {'; '.join(['0'] * pad)}; return JSON.parse(body).id; }}
            function handle(body) {{ return parse(body); }}
            handle("{{bad json");
        """))
        done = subprocess.run(["node", str(script)], capture_output=True, text=True)
        return done.stderr
    assert fingerprint_of(run(1)).fingerprint == fingerprint_of(run(30)).fingerprint


def test_explicit_fingerprint_wins():
    """A producer's own fingerprint decides the issue whatever the stack says."""
    a = Event(id="a", timestamp=None, level="error", message="x", source=Source("t"),  # type: ignore[arg-type]
              exceptions=[ExceptionInfo("KeyError")], explicit_fingerprint="payment-declined")
    b = Event(id="b", timestamp=None, level="error", message="y", source=Source("t"),  # type: ignore[arg-type]
              exceptions=[ExceptionInfo("TypeError")], explicit_fingerprint="payment-declined")
    assert Fingerprinter()(a).fingerprint == Fingerprinter()(b).fingerprint
    assert a.grouping == ["explicit:payment-declined"]


def test_messages_differing_in_variables_group_together():
    """Without a stack, messages that differ only in ids and numbers are one issue."""
    chain = default_chain()
    events = [
        Event(id=str(i), timestamp=None, level="error", source=Source("t"), service="gateway",  # type: ignore[arg-type]
              message=f"upstream timed out after {ms} ms for order ord-{i} from 10.0.0.{i}")
        for i, ms in ((1, 30001), (2, 30004))
    ]
    fingerprints = {run_chain(chain, e).fingerprint for e in events}
    assert len(fingerprints) == 1
    other = Event(id="3", timestamp=None, level="error", source=Source("t"), service="gateway",  # type: ignore[arg-type]
                  message="connection refused to 10.0.0.3:5432")
    assert run_chain(chain, other).fingerprint not in fingerprints
