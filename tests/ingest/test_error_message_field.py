"""A JSON line's own `error.message` is the exception's message, even where its trace's last line cuts it."""

from __future__ import annotations

import json
import traceback
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from faultlens.ingest.decode_json import decode_json_object
from faultlens.ingest.extract import Extractor


def extract_line(obj: dict[str, object]):
    return Extractor(None, datetime(2000, 1, 1, tzinfo=UTC))(decode_json_object("app.log", 1, obj))


def trace_of(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


@given(st.text(min_size=1, max_size=60))
def test_the_producers_message_wins_over_the_traces_last_line(message):
    """A multi-line or carriage-return message is kept whole when the producer wrote it beside the trace."""
    try:
        raise ValueError(message)
    except ValueError as exc:
        line = {"level": "error", "message": "failed",
                "error": {"type": "ValueError", "message": message, "stack_trace": trace_of(exc)}}
    event = extract_line(json.loads(json.dumps(line)))
    assert event.exceptions[-1].type == "ValueError" and event.exceptions[-1].value == message
    assert event.exceptions[-1].frames


def test_a_message_of_another_type_leaves_the_parsed_one():
    """When error.type names a different exception than the trace's last, the parsed message stays."""
    try:
        raise KeyError("sku-404")
    except KeyError as exc:
        line = {"level": "error", "error": {"type": "TimeoutError", "message": "pool exhausted",
                                            "stack_trace": trace_of(exc)}}
    assert extract_line(line).exceptions[-1].value == "'sku-404'"
