"""Explain stack traces: what was raised, where, through which code, and what to check first.

`explain` builds plain JSON-ready dicts (one per trace found) so the CLI, the server and tests
share one result; `render_explanation` draws them in the terminal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.dispatch import find_traces
from faultlens.stacktrace.fingerprint_parts import stack_fingerprint_parts
from faultlens.stacktrace.hints import hints_for
from faultlens.stacktrace.inapp import mark_in_app
from faultlens.stacktrace.render import render_explanation
from faultlens.stacktrace.trace import ParsedTrace

if TYPE_CHECKING:
    from faultlens.stacktrace.sourcemaps import SourceMapResolver

__all__ = ["explain", "explain_trace", "render_explanation"]

_FRAME_FIELDS = ("function", "module", "filename", "abs_path", "lineno", "colno", "in_app")
_MAX_NEXT_STEPS = 5


def explain(
    text: str, app_packages: Sequence[str] = (), resolver: SourceMapResolver | None = None
) -> list[dict[str, Any]]:
    """One explanation per stack trace in text, in the order they appear."""
    return [explain_trace(trace, app_packages, resolver) for trace in find_traces(text)]


def explain_trace(
    trace: ParsedTrace, app_packages: Sequence[str] = (), resolver: SourceMapResolver | None = None
) -> dict[str, Any]:
    """The explanation of one parsed trace; resolves and marks its frames in-app as side effects.

    Source maps apply before anything else, so the origin, the first app frame and the in-app
    marks speak of the original files rather than the minified bundle.
    """
    if resolver is not None and trace.language == "javascript":
        resolver.resolve_exceptions(trace.exceptions)
    mark_in_app(trace.exceptions, trace.language, app_packages)
    parts = stack_fingerprint_parts(trace.exceptions)
    origin_index = _origin_exception(trace.exceptions)
    origin = _origin(trace.exceptions, origin_index)
    first_app = _first_app_frame(trace.exceptions, origin_index)
    boundaries = _async_boundaries(trace.exceptions)
    return {
        "language": trace.language,
        "fingerprint": hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest(),
        "exceptions": [_exception_dict(exception) for exception in trace.exceptions],
        "origin": origin,
        "first_app_frame": first_app,
        "async_boundaries": boundaries,
        "next_steps": _next_steps(trace.exceptions, first_app, boundaries),
        "lines": [trace.start_line, trace.end_line],
    }


def _frame_dict(frame: Frame) -> dict[str, Any]:
    return {name: getattr(frame, name) for name in _FRAME_FIELDS}


def _exception_dict(exception: ExceptionInfo) -> dict[str, Any]:
    return {
        "type": exception.type,
        "value": exception.value,
        "module": exception.module,
        "relation": exception.relation,
        "frames": [_frame_dict(frame) for frame in exception.frames],
        "frames_omitted": exception.frames_omitted,
    }


def _origin_exception(exceptions: list[ExceptionInfo]) -> int:
    """The root cause: the oldest exception that carries frames (the last one if none does)."""
    for index, exception in enumerate(exceptions):
        if exception.frames:
            return index
    return len(exceptions) - 1


def _origin(exceptions: list[ExceptionInfo], index: int) -> dict[str, Any] | None:
    """Where the root cause was raised: the last frame of its stack."""
    frames = exceptions[index].frames if exceptions else []
    if not frames:
        return None
    return {**_frame_dict(frames[-1]), "exception": index}


def _first_app_frame(exceptions: list[ExceptionInfo], index: int) -> dict[str, Any] | None:
    """The innermost application frame: of the root cause first, then of the later exceptions."""
    order = [index, *[i for i in range(len(exceptions)) if i != index]]
    for position in order:
        for frame in reversed(exceptions[position].frames):
            if frame.in_app:
                return {**_frame_dict(frame), "exception": position}
    return None


def _boundary_kind(frame: Frame) -> str | None:
    """Frames where the call path crossed a scheduler: the code that queued the work is not below."""
    function = frame.function or ""
    module = frame.module or ""
    if function.startswith("async "):
        return "await"
    if "processTicksAndRejections" in function or "runMicrotasks" in function:
        return "event loop"
    if module.startswith("asyncio.") and function in ("_run", "run_until_complete", "run_forever", "__step"):
        return "event loop"
    if module.startswith(("concurrent.futures", "java.util.concurrent.")) or "ThreadPoolExecutor" in module:
        return "thread pool"
    if module.startswith(("_COROUTINE", "kotlinx.coroutines")):
        return "coroutine"
    if function == "MoveNext" and ">d__" in module:
        return "await"
    if module.startswith("System.Threading.Tasks"):
        return "task"
    if "tokio::runtime" in function or "std::thread::Builder" in function:
        return "thread"
    return None


def _async_boundaries(exceptions: list[ExceptionInfo]) -> list[dict[str, Any]]:
    boundaries: list[dict[str, Any]] = []
    for index, exception in enumerate(exceptions):
        previous = None
        for position, frame in enumerate(exception.frames):
            kind = _boundary_kind(frame)
            if kind is not None and kind != previous:
                boundaries.append(
                    {"exception": index, "frame": position, "kind": kind, "function": frame.function,
                     "module": frame.module, "filename": frame.filename}
                )
            previous = kind
        if exception.type.endswith("RemoteTraceback"):
            boundaries.append({"exception": index, "frame": None, "kind": "process", "function": None,
                               "module": exception.module, "filename": None})
    return boundaries


def _where(frame: dict[str, Any]) -> str:
    location = frame.get("filename") or frame.get("abs_path") or frame.get("module") or "?"
    if frame.get("lineno") is not None:
        location = f"{location}:{frame['lineno']}"
    function = frame.get("function")
    return f"{location} in {function}" if function else location


def _next_steps(
    exceptions: list[ExceptionInfo], first_app: dict[str, Any] | None, boundaries: list[dict[str, Any]]
) -> list[str]:
    steps: list[str] = []
    if first_app is not None:
        steps.append(f"Open {_where(first_app)}: the innermost frame of your own code before the error.")
    elif any(exception.frames for exception in exceptions):
        steps.append("No frame is application code: pass your package names as app packages, "
                     "or look at the caller that logged this error.")
    if len(exceptions) > 1:
        root = exceptions[0]
        steps.append(f"Start from the root cause {root.type}: {_short(root.value)}; "
                     f"the {len(exceptions) - 1} other exception(s) in the chain follow from it.")
    if boundaries:
        kinds = ", ".join(sorted({boundary["kind"] for boundary in boundaries}))
        steps.append(f"The call path crossed an async boundary ({kinds}): the code that scheduled this work "
                     "is not on the stack; look where the task, promise or job was created.")
    texts = " ".join(f"{exception.type} {exception.value}" for exception in exceptions)
    steps.extend(hints_for(texts))
    return steps[:_MAX_NEXT_STEPS]


def _short(text: str, limit: int = 80) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
