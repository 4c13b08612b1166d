"""User rules: fingerprint rules that fix or extend a fingerprint, stack-trace rules that mark or ignore frames."""

from __future__ import annotations

from datetime import UTC, datetime

from faultlens.enrich import InAppMarker, default_chain, run_chain
from faultlens.grouping.fingerprint import Fingerprinter
from faultlens.grouping.rules import FingerprintRule, GroupingConfig, StackRule
from faultlens.grouping.session import GroupingSession
from faultlens.model import Event, ExceptionInfo, Frame, Source

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def db_timeout(service: str = "orders", region: str = "eu-west", host: str = "db-1") -> Event:
    frames = [Frame(function="checkout", module="shop.views", filename="/srv/shop/views.py"),
              Frame(function="query", module="shop.db.client", filename="/srv/shop/db/client.py"),
              Frame(function="connect", module="psycopg.pool", filename="/venv/site-packages/psycopg/pool.py")]
    exc = ExceptionInfo("OperationalError", value=f"timeout connecting to {host} after 30s", module="psycopg",
                        frames=frames)
    return Event(id="e", timestamp=NOW, level="error", message=f"OperationalError: timeout connecting to {host}",
                 source=Source("t"), service=service, exceptions=[exc], tags={"region": region}, platform="python")


def fingerprint(event: Event, *rules: FingerprintRule, stack: tuple[StackRule, ...] = ()) -> Event:
    config = GroupingConfig(stack_rules=stack, fingerprint_rules=rules)
    return run_chain(default_chain(GroupingSession(config)), event)


class TestFingerprintRules:
    def test_fixed_fingerprint_replaces_the_stack(self) -> None:
        """Events matching a fixed rule form one issue keyed by the rule's text, named in the grouping."""
        rule = FingerprintRule("database down", type="OperationalError", fingerprint="database-unavailable")
        first = fingerprint(db_timeout(), rule)
        other_stack = db_timeout()
        other_stack.exceptions[0].frames.pop(0)
        assert first.fingerprint == fingerprint(other_stack, rule).fingerprint
        assert first.grouping == ["rule:database down", "fixed:database-unavailable"]

    def test_extra_parts_split_the_default_by_a_field(self) -> None:
        """`extra` keeps the stack parts and adds the named fields, so each region is its own issue."""
        rule = FingerprintRule("per region", type="*Error", extra=("{tags.region}",))
        eu, us = fingerprint(db_timeout(), rule), fingerprint(db_timeout(region="us-east"), rule)
        assert eu.fingerprint != us.fingerprint
        assert eu.grouping[0] == "rule:per region" and eu.grouping[-1] == "extra:eu-west"
        assert "frame:shop.db.client in query" in eu.grouping

    def test_every_condition_must_hold(self) -> None:
        """A rule applies only when its type, message, module, path, service and tags all match."""
        plain = fingerprint(db_timeout()).fingerprint
        conditions = [
            {"type": "OperationalError"}, {"type": "psycopg.Operational*"}, {"message": "*timeout connecting*"},
            {"message_regex": r"after \d+s$"}, {"module": "shop.db.*"}, {"path": "*/db/client.py"},
            {"service": "ord*"}, {"tags": (("region", "eu-*"),)},
        ]
        for condition in conditions:
            rule = FingerprintRule("r", fingerprint="fixed", **condition)  # type: ignore[arg-type]
            assert fingerprint(db_timeout(), rule).grouping[0] == "rule:r", condition
        misses = [{"type": "KeyError"}, {"message": "timeout"}, {"message_regex": "^refused"}, {"module": "billing.*"},
                  {"path": "*/api/*"}, {"service": "billing"}, {"tags": (("region", "us-*"),)},
                  {"type": "OperationalError", "service": "billing"}]
        for condition in misses:
            rule = FingerprintRule("r", fingerprint="fixed", **condition)  # type: ignore[arg-type]
            assert fingerprint(db_timeout(), rule).fingerprint == plain, condition

    def test_first_matching_rule_wins(self) -> None:
        """Rules are tried in file order."""
        first = FingerprintRule("first", service="orders", fingerprint="a")
        second = FingerprintRule("second", service="orders", fingerprint="b")
        assert fingerprint(db_timeout(), first, second).grouping[0] == "rule:first"

    def test_placeholders_fill_from_the_event(self) -> None:
        """`{service}` and friends make one fixed issue per value."""
        rule = FingerprintRule("db per service", type="OperationalError", fingerprint="db-{service}")
        assert fingerprint(db_timeout(), rule).grouping[-1] == "fixed:db-orders"
        assert fingerprint(db_timeout(service="billing"), rule).grouping[-1] == "fixed:db-billing"

    def test_rules_apply_to_messages_without_a_stack(self) -> None:
        """A message event matched by an `extra` rule keeps its template and gains the parts."""
        rule = FingerprintRule("per host", message="disk * full on *", extra=("{host}",))
        event = Event(id="m", timestamp=NOW, level="error", message="disk /var full on web-1", source=Source("t"),
                      host="web-1")
        grouped = fingerprint(event, rule)
        assert grouped.grouping[0] == "rule:per host" and grouped.grouping[-1] == "extra:web-1"
        assert any(part.startswith("template:") for part in grouped.grouping)


class TestStackRules:
    def test_in_app_rules_override_the_defaults(self) -> None:
        """A path rule can disown vendored code and a module rule claim a library; later rules win."""
        event = db_timeout()
        rules = (StackRule(path="/srv/shop/db/*", in_app=False), StackRule(module="psycopg.*", in_app=True))
        InAppMarker((), rules)(event)
        assert [f.in_app for f in event.exceptions[0].frames] == [True, False, True]
        InAppMarker((), (*rules, StackRule(module="psycopg.*", in_app=False)))(event)
        assert event.exceptions[0].frames[2].in_app is False

    def test_marking_changes_the_in_app_fingerprint_only(self) -> None:
        """Claiming a library frame changes the fingerprint but not the all-frames key."""
        plain = GroupingSession()
        claimed = GroupingSession(GroupingConfig(stack_rules=(StackRule(module="psycopg.*", in_app=True),)))
        a = run_chain(default_chain(plain), db_timeout())
        b = run_chain(default_chain(claimed), db_timeout())
        assert a.fingerprint != b.fingerprint
        all_frames = dict(plain.fingerprinter.pending[a.fingerprint or ""].others)["all-frames"]
        keys_b = [b.fingerprint, *(key for _, key in claimed.fingerprinter.pending[b.fingerprint or ""].others)]
        assert all_frames in keys_b, "every frame is in-app now, so the fingerprint is the all-frames key"

    def test_ignored_frames_leave_the_fingerprint(self) -> None:
        """A helper frame ignored by a rule no longer tells two call sites apart."""
        def via(function: str) -> Event:
            frames = [Frame(function=function, module="shop.orders"), Frame(function="fail", module="shop.errors")]
            return Event(id=function, timestamp=NOW, level="error", message="x", source=Source("t"),
                         exceptions=[ExceptionInfo("ShopError", frames=frames)])
        rule = StackRule(function="fail", ignore=True)
        config = GroupingConfig(stack_rules=(rule,))
        grouped = Fingerprinter(config)(via("cancel"))
        assert "frame:shop.errors in fail" not in grouped.grouping
        assert "frame:shop.errors in fail" in Fingerprinter()(via("cancel")).grouping
