"""The ingest queue is bounded in requests and in bytes, and always lets one request in."""

from __future__ import annotations

from faultlens.server.ingest import Accepted, IngestQueue, new_submission
from faultlens.server.spool import Submission, Ticket


def accepted(size: int) -> Accepted:
    return Accepted("id", Ticket(1), size, Submission("id", "json-lines", "shop", b"x" * size, {}))


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


def queued(queue: IngestQueue, count: int) -> None:
    for _ in range(count):
        assert queue.reserve(1)
        queue.put(accepted(1))


def test_a_batch_fills_until_full_or_old_enough() -> None:
    """Under load a batch is let fill: taken when `most` are queued or the oldest has waited `fill` seconds."""
    queue = IngestQueue(capacity=100, max_bytes=1000)
    queued(queue, 3)
    assert queue.take_batch(most=5, wait=0.0, fill=60.0) == [], "neither full nor old enough"
    queued(queue, 4)
    assert len(queue.take_batch(most=5, wait=0.0, fill=60.0)) == 5, "full: taken at once, no more than `most`"
    assert len(queue.take_batch(most=5, wait=0.0, fill=0.0)) == 2, "old enough"
    assert queue.take_batch(most=5, wait=0.0, fill=0.0) == []


def test_wake_ends_the_fill_with_what_is_queued() -> None:
    """Commands and stopping must not wait for a batch to fill."""
    queue = IngestQueue(capacity=100, max_bytes=1000)
    queue.wake()
    assert queue.take_batch(most=5, wait=60.0, fill=60.0) == [], "woken with nothing queued: back at once"
    queued(queue, 2)
    queue.wake()
    assert len(queue.take_batch(most=5, wait=60.0, fill=60.0)) == 2


def test_submission_ids_are_unique_and_shaped_like_sentry_ids() -> None:
    """Ids stand in for an event id in Sentry's answer when an SDK sent none: 32 hex digits, never repeated."""
    ids = [new_submission("json-lines", "shop", b"{}").id for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_a_batch_is_bounded_in_bytes_but_never_empty() -> None:
    """A batch is one transaction, held in memory by the store: bounded by bytes too; a larger request goes alone."""
    queue = IngestQueue(capacity=100, max_bytes=10_000)
    for size in (400, 400, 400, 5000, 100):
        assert queue.reserve(size)
        queue.put(accepted(size))
    assert [a.size for a in queue.take_batch(most=50, wait=0.0, fill=60.0, most_bytes=1000)] == [400, 400], \
        "ready by bytes, cut before the budget is passed"
    assert [a.size for a in queue.take_batch(most=50, wait=0.0, fill=0.0, most_bytes=1000)] == [400]
    assert [a.size for a in queue.take_batch(most=50, wait=0.0, fill=0.0, most_bytes=1000)] == [5000]
    assert [a.size for a in queue.take_batch(most=50, wait=0.0, fill=0.0, most_bytes=1000)] == [100]
