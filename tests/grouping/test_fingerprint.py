"""Fingerprints: Sentry's stack rules on traces from real runtimes, templates for messages, and the
other keys an event may join an issue by."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultlens.enrich import default_chain, run_chain
from faultlens.grouping.fingerprint import Fingerprinter, hash_parts
from faultlens.grouping.stack import all_frame_parts, crash_site_parts, in_app_parts
from faultlens.model import Event, ExceptionInfo, Frame, Source
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


def event_with(*exceptions: ExceptionInfo, message: str = "boom", service: str = "orders") -> Event:
    return Event(id="e", timestamp=None, level="error", message=message, source=Source("t"),  # type: ignore[arg-type]
                 service=service, exceptions=list(exceptions))


APP = Frame(function="load", filename="/srv/app/db.py", lineno=3, in_app=True, context_line="  return row['id']  ")
LIB = Frame(function="connect", module="sqlalchemy.pool", lineno=99, in_app=False, context_line="sock.connect()")
CALLER = Frame(function="view", filename="/srv/app/views.py", lineno=10, in_app=True, context_line="load(1)")


class TestStackParts:
    def test_in_app_frames_with_context_lines_and_no_line_numbers(self) -> None:
        """In-app frames give module or basename, function and the folded source line; library frames stay out."""
        exc = ExceptionInfo("KeyError", frames=[CALLER, LIB, APP])
        assert in_app_parts([exc]) == ["type:KeyError", "frame:views.py in view", "context:load(1)",
                                       "frame:db.py in load", "context:return row['id']"]

    def test_all_frames_when_none_is_in_app(self) -> None:
        """A crash entirely inside libraries still groups by where it happened."""
        exc = ExceptionInfo("TimeoutError", frames=[LIB])
        assert in_app_parts([exc]) == ["type:TimeoutError", "frame:sqlalchemy.pool in connect",
                                       "context:sock.connect()"]

    def test_every_exception_of_a_chain_contributes(self) -> None:
        """The cause's type and frames take part as well as the exception finally raised."""
        cause = ExceptionInfo("ConnectionError", frames=[APP], relation="cause")
        final = ExceptionInfo("RepositoryError", module="shop.errors", frames=[CALLER])
        parts = in_app_parts([cause, final])
        assert parts[0] == "type:ConnectionError" and "type:shop.errors.RepositoryError" in parts
        assert hash_parts(parts) != hash_parts(in_app_parts([final]))

    def test_long_context_lines_are_left_out(self) -> None:
        """A minified or generated source line says nothing stable, as in Sentry."""
        frame = Frame(function="f", filename="a.js", context_line="x" * 121)
        assert in_app_parts([ExceptionInfo("E", frames=[frame])]) == ["type:E", "frame:a.js in f"]

    def test_recursion_depth_does_not_split(self) -> None:
        """Repeated frames of a recursion count once, whatever depth it reached."""
        deep = ExceptionInfo("RecursionError", frames=[CALLER] + [APP] * 40)
        shallow = ExceptionInfo("RecursionError", frames=[CALLER] + [APP] * 3)
        assert in_app_parts([deep]) == in_app_parts([shallow])

    def test_all_frames_ignore_in_app_marking(self) -> None:
        """The all-frames view is the same whichever frames are marked in-app."""
        marked = ExceptionInfo("E", frames=[CALLER, LIB, APP])
        unmarked = ExceptionInfo("E", frames=[Frame(**{**_fields(f), "in_app": None}) for f in marked.frames])
        assert all_frame_parts([marked]) == all_frame_parts([unmarked])
        assert in_app_parts([marked]) != in_app_parts([unmarked])

    def test_crash_site_keeps_the_innermost_in_app_frame_and_an_in_app_message(self) -> None:
        """Callers drop out of the crash site; a message raised by application code stays, masked."""
        one = ExceptionInfo("ShopError", value="order 17 already shipped", frames=[CALLER, APP])
        two = ExceptionInfo("ShopError", value="order 99 already shipped",
                            frames=[Frame(function="admin", filename="/srv/app/admin.py", in_app=True), APP])
        assert crash_site_parts([one]) == crash_site_parts([two])
        other = ExceptionInfo("ShopError", value="refund exceeds charge", frames=[CALLER, APP])
        assert crash_site_parts([one]) != crash_site_parts([other])

    def test_crash_site_ignores_messages_raised_in_libraries(self) -> None:
        """A library's message describes its input, which varies within one bug."""
        parser = Frame(function="loads", filename="/usr/lib/python3.11/json/decoder.py", in_app=False)
        first = ExceptionInfo("JSONDecodeError", value="Expecting value: line 1 column 1", frames=[APP, parser])
        second = ExceptionInfo("JSONDecodeError", value="Unterminated string at char 7", frames=[APP, parser])
        assert crash_site_parts([first]) == crash_site_parts([second])


def _fields(frame: Frame) -> dict[str, object]:
    return {name: getattr(frame, name) for name in Frame.__slots__}


class TestFingerprinter:
    def test_stack_events_record_their_other_keys(self) -> None:
        """A stack trace yields the in-app fingerprint plus all-frames and crash-site keys for joining."""
        fingerprinter = Fingerprinter()
        event = fingerprinter(event_with(ExceptionInfo("KeyError", frames=[CALLER, LIB, APP])))
        keys = fingerprinter.pending[event.fingerprint or ""]
        assert [label for label, _ in keys.others] == ["all-frames", "crash-site"]
        assert event.fingerprint not in [key for _, key in keys.others]

    def test_template_only_without_a_usable_stack(self) -> None:
        """With frames the message plays no part; without them its template id does, with the types."""
        chain = default_chain()
        with_stack = [run_chain(chain, event_with(ExceptionInfo("KeyError", frames=[APP]), message=m))
                      for m in ("first", "second")]
        assert with_stack[0].fingerprint == with_stack[1].fingerprint
        assert not any(part.startswith("template:") for part in with_stack[0].grouping)
        bare = run_chain(chain, event_with(ExceptionInfo("KeyError", value="'id'"), message="KeyError: 'id'"))
        assert bare.grouping[0] == "type:KeyError"
        assert any(part.startswith("template:") for part in bare.grouping)

    def test_message_part_is_the_template_id(self) -> None:
        """Messages share a fingerprint when the miner puts them in one template."""
        chain = default_chain()
        events = [run_chain(chain, event_with(message=f"payment {n} declined for card 4{n}42")) for n in range(3)]
        assert len({e.fingerprint for e in events}) == 1
        assert events[0].template == "payment <*> declined for card <*>"
        assert events[0].grouping[-1].startswith("template:")


STACKS = st.lists(
    st.builds(Frame, function=st.sampled_from(["a", "b", "load", None]),
              filename=st.sampled_from(["/srv/app/x.py", "lib.js", None]),
              module=st.sampled_from([None, "com.acme.Shop"]), lineno=st.integers(1, 999),
              in_app=st.sampled_from([True, False, None]), context_line=st.sampled_from([None, "x = 1"])),
    max_size=8)


@given(STACKS, st.integers(0, 500))
def test_fingerprints_are_deterministic_and_blind_to_line_numbers(frames: list[Frame], shift: int) -> None:
    """The same trace gives the same fingerprint in every session, whatever its line numbers."""
    def fingerprint(offset: int) -> str | None:
        moved = [Frame(**{**_fields(f), "lineno": (f.lineno or 0) + offset}) for f in frames]
        return Fingerprinter()(event_with(ExceptionInfo("E", frames=moved))).fingerprint
    assert fingerprint(0) == fingerprint(0) == fingerprint(shift)
