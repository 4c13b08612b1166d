"""The ingest queue is bounded in requests and in bytes, and always lets one request in."""

from __future__ import annotations

from faultlens.server.ingest import Accepted, IngestQueue
from faultlens.server.spool import Submission, Ticket


def accepted(size: int) -> Accepted:
    return Accepted(Submission("id", "json-lines", "shop", b"x" * size, {}), Ticket(1))


def test_bounded_by_requests_and_bytes() -> None:
    """Reservations stop at the request count or the byte budget; a commit frees both."""
    queue = IngestQueue(capacity=3, max_bytes=100)
    assert queue.reserve(60) and queue.reserve(30)
    assert not queue.reserve(20), "over the byte budget"
    assert queue.reserve(10) and not queue.reserve(0), "over the request count"
    assert queue.full
    queue.done([accepted(60), accepted(30), accepted(10)])
    assert queue.depth == 0 and not queue.full


def test_one_large_request_is_always_let_in() -> None:
    """An empty queue takes a request larger than its byte budget, so it is never refused forever."""
    queue = IngestQueue(capacity=3, max_bytes=100)
    assert queue.reserve(500) and not queue.reserve(1)
    queue.release(500)
    assert queue.depth == 0 and queue.reserve(1)
