"""The preparing process: batches in and out in order, large ones both ways, and a preparer killed mid-stream."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from faultlens.runner import IngestOptions
from faultlens.server.ingest import new_submission
from faultlens.server.preparer import Preparation, Prepared, Preparer
from faultlens.server.spool import Spool, Ticket
from faultlens.store.staging import StagedBatch
from tests.server.test_ingest_answers import auth, envelope


def sentry_event(number: int) -> dict[str, Any]:
    """An exception event as sentry-python sends it, with a deep stack so batches are large."""
    frames = [{"function": f"step_{depth}", "module": "shop.checkout", "filename": "shop/checkout.py",
               "abs_path": "/srv/shop/checkout.py", "lineno": 10 + depth, "in_app": True,
               "context_line": "    total = price * quantity  # " + "x" * 200} for depth in range(40)]
    return {"event_id": uuid.uuid4().hex, "timestamp": datetime.now(UTC).isoformat(), "level": "error",
            "platform": "python", "release": "shop@1.0", "environment": "production",
            "exception": {"values": [{"type": "KeyError", "value": f"'sku-{number % 3}'", "module": None,
                                      "stacktrace": {"frames": frames}}]}}


def submissions(count: int, start: int = 0) -> list[Any]:
    return [new_submission("sentry", "shop", envelope(({"type": "event"}, orjson.dumps(sentry_event(n)))))
            for n in range(start, start + count)]


def test_staged_batch_pickles_as_arrow_streams() -> None:
    table = pa.table({"id": ["a", "b"], "count": [1, 2], "at": pa.array([datetime(2026, 1, 1), None],
                                                                        pa.timestamp("us"))})
    batch = StagedBatch({"events": table}, grouping_state='{"version": 1}')
    back = pickle.loads(pickle.dumps(batch))
    assert back.tables["events"].equals(table)
    assert back.grouping_state == '{"version": 1}'


def test_batches_come_back_in_order_without_deadlock() -> None:
    """Several large batches sent before any is read: each side must keep reading while it writes."""
    preparer = Preparer(IngestOptions())
    preparer.start({}, None)
    batches = [submissions(200, start=200 * n) for n in range(4)]
    results: list[Prepared] = []

    def exchange() -> None:
        for batch in batches:
            preparer.send(batch)
        results.extend(preparer.receive() for _ in batches)

    worker = threading.Thread(target=exchange, daemon=True)
    worker.start()
    worker.join(120)  # a deadlock never ends; a working exchange ends in seconds
    try:
        assert not worker.is_alive(), "the server and the preparer are each waiting for the other"
        ids = [[submission.id for submission in batch] for batch in batches]
        for result, batch_ids in zip(results, ids, strict=True):
            events = result.events()
            assert len(events) == 200
            assert {e.fingerprint for e in events} and all(e.project == "shop" for e in events)
            sources = result.staged.tables["events"].column("source_path").to_pylist()
            assert [path.split("/")[1] for path in sources] == batch_ids  # sentry:PROJECT/SUBMISSION/ITEM
    finally:
        final = preparer.finish()
        assert final is not None and final.staged.grouping_state  # the miner's state is handed over at the end


def test_spooled_work_is_read_back_by_ticket(tmp_path: Path) -> None:
    """The writer sends tickets; the preparer reads each entry from the spool and prepares what it would
    have from the submission itself. An entry gone from the spool is dropped with why, the rest kept."""
    batch = submissions(30)
    spool = Spool(str(tmp_path))
    tickets = spool.append(batch)
    by_ticket = Preparation(IngestOptions(), {}, None, str(tmp_path)).prepare(tickets)
    direct = Preparation(IngestOptions(), {}, None).prepare(batch)
    assert by_ticket.staged.tables["events"].equals(direct.staged.tables["events"])
    assert by_ticket.dropped == []
    lost = Ticket(tickets[0].segment + 1, 0, tickets[0].length)
    partly = Preparation(IngestOptions(), {}, None, str(tmp_path)).prepare([lost, *tickets[:5]])
    assert len(partly.events()) == 5 and len(partly.dropped) == 1 and "spool entry" in partly.dropped[0]
    spool.close()


def wait_alive(preparer: Preparer) -> None:
    deadline = time.monotonic() + 60
    while not preparer.alive and time.monotonic() < deadline:
        time.sleep(0.05)
    assert preparer.alive, "the preparing process was not started again"


def test_killed_preparer_loses_nothing(running: Any, credentials: Any) -> None:
    """The preparing process is killed while requests keep coming; every answered event is stored once."""
    ingest = running.app.state.ingest
    path = f"/api/{credentials.project_id}/envelope/"
    sent: list[str] = []
    with running.client() as client:
        for round_ in range(3):
            for number in range(30):
                event = sentry_event(number)
                answer = client.post(path, content=envelope(({"type": "event"}, orjson.dumps(event))),
                                     headers=auth(credentials.public_key))
                assert answer.status_code == 200, answer.text
                sent.append(event["event_id"])
            if round_ < 2:
                wait_alive(ingest.preparer)
                os.kill(ingest.preparer._process.pid, signal.SIGKILL)
        running.wait_committed(timeout=120)
        wait_alive(ingest.preparer)
        assert client.get("/ready").status_code == 200
        stored = ingest.store.reader().con.execute("SELECT count(*), count(DISTINCT id) FROM events").fetchone()
    assert stored == (len(sent), len(sent))


def test_a_batch_stored_just_before_a_crash_is_not_replayed(server_config: Any, credentials: Any,
                                                            start_server: Any, monkeypatch: Any) -> None:
    """The process dies after the store's commit and before the spool drops the entries: the replay
    must skip them, or their spans and record counts would be counted twice."""
    from faultlens.server.spool import Spool

    monkeypatch.setattr(Spool, "committed", lambda self, tickets: [])  # the crash: entries never dropped
    first = start_server(server_config)
    path = f"/api/{credentials.project_id}/envelope/"
    with first.client() as client:
        for number in range(12):
            answer = client.post(path, content=envelope(({"type": "event"}, orjson.dumps(sentry_event(number)))),
                                 headers=auth(credentials.public_key))
            assert answer.status_code == 200, answer.text
    first.wait_committed(timeout=60)
    first.stop()
    assert list((Path(server_config.spool_path)).glob("*.spool")), "the crash left the entries in the spool"
    monkeypatch.undo()

    second = start_server(server_config)
    second.wait_committed(timeout=60)
    reader = second.app.state.ingest.store.reader()
    events, records = reader.con.execute("SELECT (SELECT count(*) FROM events), "
                                         "(SELECT sum(count) FROM volume)").fetchone()
    assert (events, records) == (12, 12)
    assert not [p for p in Path(server_config.spool_path).glob("*.spool") if p.stat().st_size]
