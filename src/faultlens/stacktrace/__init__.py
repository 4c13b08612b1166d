"""Stack traces of every common runtime, parsed into faultlens's exception chain and frames.

Exceptions come oldest first and frames caller first, as Sentry's event protocol orders them,
whatever order the runtime printed them in.
"""

from faultlens.stacktrace.dispatch import find_traces, parse_trace
from faultlens.stacktrace.inapp import mark_in_app
from faultlens.stacktrace.trace import UNKNOWN_TYPE, ParsedTrace

__all__ = ["UNKNOWN_TYPE", "ParsedTrace", "find_traces", "mark_in_app", "parse_trace"]
