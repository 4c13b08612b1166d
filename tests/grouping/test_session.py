"""Issue joining per batch, and the miner's state carried from one run to the next."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import orjson
import pytest

from faultlens.enrich import default_chain, run_chain
from faultlens.errors import StoreError
from faultlens.grouping.miner import TemplateMiner
from faultlens.grouping.miner_state import dump_miner, load_miner
from faultlens.grouping.rules import GroupingConfig
from faultlens.grouping.session import JOINED_BY, GroupingSession
from faultlens.model import Event, ExceptionInfo, Frame, Source
from tests.conftest import SHARED

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class AliasTable:
    """The store's alias table, counting the lookups a batch makes."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.lookups = 0

    def lookup(self, keys: Sequence[str]) -> Mapping[str, str]:
        self.lookups += 1
        return {key: self.rows[key] for key in keys if key in self.rows}

    def write(self, session: GroupingSession, events: list[Event]) -> list[Event]:
        self.rows.update(session.assign_issues(events, self.lookup))
        return events


def crash(caller: str, *, app_packages: tuple[str, ...] = (), message: str = "order 7 already shipped") -> Event:
    frames = [Frame(function=caller, filename=f"/srv/shop/{caller}.py"),
              Frame(function="dispatch", filename="/venv/lib/python3.11/site-packages/kit/router.py"),
              Frame(function="wrapper", filename="/venv/lib/python3.11/site-packages/retry/api.py"),
              Frame(function="cancel", filename="/srv/shop/orders.py", context_line="fail(f'order {id} shipped')"),
              Frame(function="fail", filename="/srv/shop/errors.py", context_line="raise ShopError(message)")]
    return Event(id=caller, timestamp=NOW, level="error", message=message, source=Source("t"), platform="python",
                 exceptions=[ExceptionInfo("ShopError", value=message, frames=frames)])


def enrich(session: GroupingSession, *events: Event) -> list[Event]:
    chain = default_chain(session)
    return [run_chain(chain, event) for event in events]


class TestAssignIssues:
    def test_one_lookup_per_batch(self) -> None:
        """A batch asks the store once, however many events and keys it holds."""
        table, session = AliasTable(), GroupingSession()
        table.write(session, enrich(session, *(crash(f"view{n}") for n in range(50))))
        assert table.lookups == 1

    def test_the_same_bug_from_two_callers_is_one_issue(self) -> None:
        """Crash site and message match, so a second call path joins the first one's issue."""
        table, session = AliasTable(), GroupingSession()
        first, second = table.write(session, enrich(session, crash("checkout"), crash("admin")))
        assert first.fingerprint == second.fingerprint
        assert second.grouping[-1] == JOINED_BY + "crash-site"

    def test_other_messages_from_one_helper_stay_apart(self) -> None:
        """A helper raising another message for another caller is another issue."""
        table, session = AliasTable(), GroupingSession()
        first, second = table.write(session, enrich(session, crash("checkout"),
                                                    crash("refund", message="refund exceeds charge")))
        assert first.fingerprint != second.fingerprint

    def test_new_in_app_marking_joins_by_all_frames(self) -> None:
        """After `--app-package` claims a library, events still land in the issue their trace founded."""
        table = AliasTable()
        before = GroupingSession()
        (old,) = table.write(before, enrich(before, crash("checkout")))
        after = GroupingSession(app_packages=["/venv/lib/python3.11/site-packages/kit"])
        (new,) = enrich(after, crash("checkout"))
        assert new.fingerprint != old.fingerprint, "the in-app frames changed"
        table.write(after, [new])
        assert new.fingerprint == old.fingerprint
        assert new.grouping[-1] == JOINED_BY + "all-frames"

    def test_keys_already_known_keep_their_issue(self) -> None:
        """New keys are returned for the store; known ones are not rewritten."""
        table, session = AliasTable(), GroupingSession()
        table.write(session, enrich(session, crash("checkout")))
        known = dict(table.rows)
        table.write(session, enrich(session, crash("checkout")))
        assert table.rows == known

    def test_templates_merged_since_fingerprinting_key_the_survivor(self) -> None:
        """Events fingerprinted before their template merged are written under the merged template."""
        table, session = AliasTable(), GroupingSession()
        messages = [f"user {name} signed in" for name in ("alice", "bob", "carol", "dave", "erin")]
        events = enrich(session, *(Event(id=m, timestamp=NOW, level="error", message=m, source=Source("t"))
                                   for m in messages))
        assert len({e.fingerprint for e in events}) > 1, "the first names founded templates of their own"
        table.write(session, events)
        assert len({e.fingerprint for e in events}) == 1
        assert all(e.template for e in events)


class TestMinerState:
    def test_state_round_trips_through_json(self) -> None:
        """A restored miner answers every later message as the uninterrupted one does."""
        messages = [f"job {n} on worker-{n % 3} took {n * 7} ms" for n in range(30)]
        messages += [f"user {name} logged in from 10.0.0.{n}" for n, name in enumerate("abcdefgh")]
        messages += ["disk full", "disk nearly full", "cache warmed"] * 3
        whole = TemplateMiner()
        expected = [whole.add(m).id for m in messages]
        first = TemplateMiner()
        got = [first.add(m).id for m in messages[:20]]
        second = load_miner(orjson.loads(orjson.dumps(dump_miner(first))))
        got += [second.add(m).id for m in messages[20:]]
        assert [second.canonical_id(i) for i in got] == [whole.canonical_id(i) for i in expected]
        assert [t.template for t in second.templates()] == [t.template for t in whole.templates()]

    @pytest.mark.skipif(not (SHARED / "data/loghub-2k").is_dir(), reason="Loghub sample not present")
    def test_real_logs_continue_exactly(self) -> None:
        """Cut anywhere in a real log, save and restore: the ids match one long run."""
        lines = (SHARED / "data/loghub-2k/OpenSSH/OpenSSH_2k.log").read_text().splitlines()
        contents = [line.split(": ", 1)[-1] for line in lines]
        whole = TemplateMiner()
        expected = [whole.canonical_id(whole.add(m).id) for m in contents]
        miner = TemplateMiner()
        ids = []
        for start in range(0, len(contents), 500):
            ids += [miner.add(m).id for m in contents[start:start + 500]]
            miner = load_miner(orjson.loads(orjson.dumps(dump_miner(miner))))
        assert [miner.canonical_id(i) for i in ids] == [whole.canonical_id(i) for i in expected]

    def test_damaged_state_is_a_store_error(self) -> None:
        """A state the miner cannot read stops the run with advice, instead of regrouping silently."""
        with pytest.raises(StoreError, match="new --db"):
            GroupingSession(GroupingConfig(), state='{"version": 99}')
        with pytest.raises(StoreError):
            GroupingSession(GroupingConfig(), state="not json")
