"""The parts of a stack trace that say which problem it is, following Sentry's grouping.

Every exception of the chain contributes its type and its frames, each frame as its module (or
file basename) and function, plus the source line where the runtime printed one; never a line
number, an address or a generated name, since those change with every build while the problem
stays. Three views of one trace:

* **in-app**: the application's frames (all frames when none is the application's), minus the
  frames user rules ignore: Sentry's default, and the fingerprint users read;
* **all frames**: every frame, no rules applied, so a change of in-app detection or of rules
  leaves it alone; an event whose in-app view changed still finds its issue by it;
* **crash site**: per exception, its type, the innermost frame of the in-app view and, when the
  application's own frame raised it, its value with variables masked. The same bug reached from
  two callers differs only in the frames above the crash, which splits Sentry's groups; the
  crash site joins them. A helper that raises for many callers is one crash site for several
  bugs, but it raises in application code with the caller's message, and the message parts
  them. An exception raised inside a library or the runtime describes the input it was handed
  (``Unexpected token 'a'``, ``position 1``), which varies with the data of one bug, so there the
  crash site alone decides.
"""

from __future__ import annotations

from collections.abc import Sequence

from faultlens.grouping.mask import mask_message
from faultlens.grouping.rules import StackRule
from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.fingerprint_parts import _normalise, _where

MAX_CONTEXT_LINE = 120
"""Longer source lines are minified or generated code, and say nothing stable (Sentry's limit too)."""
MAX_VALUE = 200


def has_usable_stack(exceptions: Sequence[ExceptionInfo], rules: Sequence[StackRule] = ()) -> bool:
    """Whether some frame, not ignored by a rule, says where the error happened."""
    ignoring = [rule for rule in rules if rule.ignore]
    return any((frame.function or frame.module or frame.filename or frame.abs_path)
               and not any(rule.matches(frame) for rule in ignoring)
               for exc in exceptions for frame in exc.frames)


def in_app_parts(exceptions: Sequence[ExceptionInfo], rules: Sequence[StackRule] = ()) -> list[str]:
    """Types and in-app frames of the chain, oldest exception first; all frames when none is in-app."""
    kept = _kept_frames(exceptions, rules)
    any_in_app = any(frame.in_app is not False for frames in kept for frame in frames)
    parts: list[str] = []
    for exception, frames in zip(exceptions, kept, strict=True):
        parts.append(type_part(exception))
        _add_frames(parts, [f for f in frames if f.in_app is not False or not any_in_app])
    return parts


def all_frame_parts(exceptions: Sequence[ExceptionInfo]) -> list[str]:
    """Types and every frame of the chain, with no rule applied."""
    parts: list[str] = []
    for exception in exceptions:
        parts.append(type_part(exception))
        _add_frames(parts, exception.frames)
    return parts


def crash_site_parts(exceptions: Sequence[ExceptionInfo], rules: Sequence[StackRule] = ()) -> list[str]:
    """Per exception: type, innermost frame of the in-app view, and the masked value if raised in-app."""
    kept = _kept_frames(exceptions, rules)
    any_in_app = any(frame.in_app is not False for frames in kept for frame in frames)
    parts = ["site"]
    for exception, frames in zip(exceptions, kept, strict=True):
        parts.append(type_part(exception))
        chosen = [f for f in frames if f.in_app is not False or not any_in_app]
        if chosen:
            _add_frames(parts, chosen[-1:])
        if exception.frames and exception.frames[-1].in_app is not False:
            value = exception.value.split("\n", 1)[0][:MAX_VALUE]
            parts.append(f"value:{mask_message(value)}")
    return parts


def type_part(exception: ExceptionInfo) -> str:
    name = f"{exception.module}.{exception.type}" if exception.module else exception.type
    return f"type:{name}"


def frame_part(frame: Frame) -> str:
    return f"frame:{_where(frame)} in {_normalise(frame.function or '?')}"


def context_part(frame: Frame) -> str | None:
    """The printed source line, whitespace folded; None when absent or too long to be stable."""
    line = frame.context_line
    if not line or len(line) > MAX_CONTEXT_LINE:
        return None
    folded = " ".join(line.split())
    return f"context:{folded}" if folded else None


def _kept_frames(exceptions: Sequence[ExceptionInfo], rules: Sequence[StackRule]) -> list[list[Frame]]:
    ignoring = [rule for rule in rules if rule.ignore]
    if not ignoring:
        return [exc.frames for exc in exceptions]
    return [[f for f in exc.frames if not any(rule.matches(f) for rule in ignoring)] for exc in exceptions]


def _add_frames(parts: list[str], frames: Sequence[Frame]) -> None:
    """Append frame parts; a frame repeating the one before it (recursion) adds nothing, so the
    depth a recursion reached does not split an issue."""
    previous: tuple[str, str | None] | None = None
    for frame in frames:
        current = (frame_part(frame), context_part(frame))
        if current == previous:
            continue
        previous = current
        parts.append(current[0])
        if current[1] is not None:
            parts.append(current[1])
